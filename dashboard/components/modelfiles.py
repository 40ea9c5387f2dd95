"""Save a model as a zip of safetensors + JSON, and load one back (never unpickling anything)."""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
from pathlib import Path

import streamlit as st

from core import schema
from core.errors import InvalidInputError, ModelUnavailableError
from dashboard.components import modelstate
from dashboard.components.dataset import Dataset
from dashboard.components.feedback import guard, md_escape

ALLOWED_SUFFIXES = (".safetensors", ".json")
MAX_MEMBER_BYTES = 512 * 1024 * 1024


def model_zip(bundle: object) -> bytes:
    """The model's files (``core.recsys.persist.save``) zipped into one download."""
    from core.recsys import persist

    with tempfile.TemporaryDirectory() as tmp:
        persist.save(bundle, tmp)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(Path(tmp).iterdir()):
                if path.is_file():
                    zf.write(path, path.name)
        return buffer.getvalue()


def _extract(data: bytes, target: Path) -> list[str]:
    """Extract only flat safetensors/JSON members (no paths, no links, bounded size)."""
    names = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir():
                continue
            if (
                "/" in name
                or "\\" in name
                or name.startswith(".")
                or not name.endswith(ALLOWED_SUFFIXES)
            ):
                raise InvalidInputError(
                    f"the zip holds {name!r}: expected only flat .safetensors and .json files"
                )
            if info.file_size > MAX_MEMBER_BYTES:
                raise InvalidInputError(f"{name!r} is larger than {MAX_MEMBER_BYTES // 2**20} MB")
            (target / name).write_bytes(zf.read(info))
            names.append(name)
    return names


def save_button(handle: modelstate.ModelHandle, *, key: str) -> None:
    """A download button for the session's model."""
    st.download_button(
        "Download model (.zip: safetensors + JSON)",
        data=lambda: model_zip(handle.bundle),
        file_name=f"interest_atlas_model_{handle.key.replace(':', '_')}.zip",
        mime="application/zip",
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


def load_form(data: Dataset, *, key: str) -> None:
    """Upload a saved model zip and make it the session's model for this dataset."""
    upload = st.file_uploader("Load a saved model (.zip)", type=["zip"], key=key)
    if upload is None:
        return
    raw = upload.getvalue()
    digest = hashlib.blake2b(raw, digest_size=8).hexdigest()
    if st.session_state.get(f"{key}_done") == (digest, data.fingerprint):
        return
    with guard("Loading the model", "Upload a zip made by the Download model button."):
        from core.recsys import persist

        with tempfile.TemporaryDirectory() as tmp:
            _extract(raw, Path(tmp))
            bundle = persist.load(tmp)
        unknown = ~data.events[schema.ITEM].cat.categories.astype(str).isin(bundle.vocab.items)
        if unknown.all():
            raise ModelUnavailableError(
                "this model was trained on other items: none of this dataset's item ids is in "
                "its vocabulary; load a model trained on this data"
            )
        modelstate.keep(data, bundle, f"loaded from {upload.name}", f"loaded:{digest}")
        st.session_state[f"{key}_done"] = (digest, data.fingerprint)
        st.success(f"Loaded {md_escape(upload.name)}.")
        st.rerun()
