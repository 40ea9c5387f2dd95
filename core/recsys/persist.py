"""Save and load a trained sequence model as safetensors weights plus a JSON description.

Loading reads tensors with ``safetensors`` and everything else with ``json``: nothing is unpickled,
so a model directory from an untrusted source cannot run code.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import torch
from safetensors.torch import load_file, save_file

from core.device import pick_device
from core.errors import InvalidInputError, ModelUnavailableError
from core.recsys.seqmodel import SeqConfig, SeqRec
from core.recsys.sequences import Vocab
from core.recsys.train import TrainResult, TrainSpec

FORMAT = "interest-atlas-seqrec"
VERSION = 1
WEIGHTS_FILE = "model.safetensors"
META_FILE = "model.json"


@dataclass(frozen=True)
class ModelBundle:
    """Everything ``core.recsys.recommend`` needs: the model, its vocabulary, topics and report."""

    model: SeqRec
    spec: TrainSpec
    vocab: Vocab
    item_topic: tuple[str, ...] | None = None  # topic label of each vocab item ("" = none)
    report: pd.DataFrame = field(default_factory=pd.DataFrame)
    propensity_threshold: float = 0.5
    info: Mapping[str, object] = field(default_factory=dict)

    @property
    def item_vectors(self) -> torch.Tensor | None:
        """Language-model vectors of the vocab items ``(n_items, d)``, or None."""
        if self.model.config.text_dim == 0:
            return None
        return self.model.item_text[1:]


def bundle_from(
    result: TrainResult,
    item_topic: Mapping[str, str] | Sequence[str] | None = None,
) -> ModelBundle:
    """Wrap a ``TrainResult`` (plus optional topic label per item) as a ``ModelBundle``.

    Parameters
    ----------
    result
        From :func:`core.recsys.train.fit` or ``train_and_compare``.
    item_topic
        Topic label per item, for the reasons: a mapping item_id -> label (items it lacks get ""),
        or one label per vocab item in vocab order; None for no topics.

    Returns
    -------
    ModelBundle
        The model, spec, vocabulary, report and training figures (``info``).

    Raises
    ------
    InvalidInputError
        If ``item_topic`` is a sequence whose length is not the number of vocab items.
    """
    topics: tuple[str, ...] | None = None
    if isinstance(item_topic, Mapping):
        labels = pd.Series(item_topic, dtype="object").reindex(result.vocab.items)
        topics = tuple(labels.fillna("").astype(str))
    elif item_topic is not None:
        if len(item_topic) != result.vocab.n_items:
            raise InvalidInputError(
                f"item_topic: expected {result.vocab.n_items} labels (one per item), found {len(item_topic)}"
            )
        topics = tuple(str(t) for t in item_topic)
    info = {
        "seconds": result.seconds,
        "seconds_per_epoch": result.seconds_per_epoch,
        "best_epoch": result.best_epoch,
        "val_ndcg10": result.val_ndcg,
        "stopped": result.stopped,
        "history": [list(h) for h in result.history],
        "has_purchases": result.has_purchases,
    }
    return ModelBundle(
        model=result.model,
        spec=result.spec,
        vocab=result.vocab,
        item_topic=topics,
        report=result.report,
        propensity_threshold=result.propensity_threshold,
        info=info,
    )


def save(bundle: ModelBundle, directory: str | Path) -> Path:
    """Write ``model.safetensors`` and ``model.json`` into ``directory`` (created if needed).

    Parameters
    ----------
    bundle
        A trained model with its vocabulary and report (from :func:`bundle_from`).
    directory
        Where to write; files of an earlier model there are replaced.

    Returns
    -------
    Path
        ``directory``, which :func:`load` (and ``python -m core recommend DIR``) reads back.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in bundle.model.state_dict().items()}
    save_file(state, str(out / WEIGHTS_FILE), metadata={"format": FORMAT, "version": str(VERSION)})
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "config": bundle.model.config.to_dict(),
        "spec": asdict(bundle.spec),
        "vocab": {
            "users": [str(u) for u in bundle.vocab.users],
            "items": [str(i) for i in bundle.vocab.items],
            "events": [str(e) for e in bundle.vocab.events],
        },
        "item_topic": None if bundle.item_topic is None else list(bundle.item_topic),
        "report": None if bundle.report.empty else bundle.report.to_json(orient="split"),
        "propensity_threshold": bundle.propensity_threshold,
        "info": dict(bundle.info),
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return out


def load(directory: str | Path, device: str | torch.device | None = None) -> ModelBundle:
    """Read a model saved by ``save`` (safetensors + JSON; never unpickles).

    Parameters
    ----------
    directory
        Folder holding ``model.safetensors`` and ``model.json``.
    device
        Where to put the model; default ``pick_device()``.

    Returns
    -------
    ModelBundle
        The model in eval mode on ``device``, with the spec, vocabulary, report and info it was saved
        with.

    Raises
    ------
    ModelUnavailableError
        If the files are missing or do not describe a model of this format.
    """
    folder = Path(directory)
    weights, meta_path = folder / WEIGHTS_FILE, folder / META_FILE
    if not weights.is_file() or not meta_path.is_file():
        raise ModelUnavailableError(
            f"directory: expected {WEIGHTS_FILE} and {META_FILE} in {folder}, found "
            f"{sorted(p.name for p in folder.iterdir()) if folder.is_dir() else 'no such folder'}"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT or int(meta.get("version", -1)) > VERSION:
        raise ModelUnavailableError(
            f"{meta_path}: expected format {FORMAT!r} version <= {VERSION}, found "
            f"{meta.get('format')!r} version {meta.get('version')!r}"
        )
    dev = device if isinstance(device, torch.device) else pick_device(device)
    config = SeqConfig.from_dict(meta["config"])
    model = SeqRec(config)
    state = load_file(str(weights), device="cpu")
    model.load_state_dict(state, strict=True)
    model = model.to(dev).eval()
    spec_fields = {k: v for k, v in meta["spec"].items() if k in TrainSpec.__dataclass_fields__}
    vocab = Vocab(
        users=pd.Index(meta["vocab"]["users"], dtype="object"),
        items=pd.Index(meta["vocab"]["items"], dtype="object"),
        events=pd.Index(meta["vocab"]["events"], dtype="object"),
    )
    report = (
        pd.read_json(io.StringIO(meta["report"]), orient="split")
        if meta.get("report")
        else pd.DataFrame()
    )
    topics = meta.get("item_topic")
    return ModelBundle(
        model=model,
        spec=TrainSpec(**spec_fields),
        vocab=vocab,
        item_topic=None if topics is None else tuple(topics),
        report=report,
        propensity_threshold=float(meta.get("propensity_threshold", 0.5)),
        info=meta.get("info", {}),
    )
