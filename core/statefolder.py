"""The interest-state folder: everything needed to fold a new file of events into an analysis
later without recomputing it (``python -m core interests NEW --update DIR``).

Layout (no pickle anywhere)::

    DIR/manifest.json         format, version, the AnalysisSpec, reference time, topic labels,
                              vector source / model / message, the arrivals folded in so far
    DIR/tensors.safetensors   item_vectors (n_items, d) f32, centroids (k, d) f32, item_topic (n_items,)
                              i64, mean (n_users, d) f32, topic_share (n_users, k) f64,
                              total (n_users,) f64, n_events (n_users,) i64, last_ts (n_users,) i64 ns
    DIR/items.parquet         item_id, item_text in vector row order
    DIR/users.parquet         user_id in state row order
    DIR/topics.parquet        the topic table
    DIR/events.parquet        the event log so far (for duplicates and timelines)
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file, save_file

from core import schema
from core.atlas import AnalysisSpec, Atlas
from core.errors import InvalidInputError
from core.interests.embeddings import ItemVectors
from core.interests.state import InterestState
from core.interests.topics import Topics

FORMAT = "interest-atlas-state"
VERSION = 1
MANIFEST = "manifest.json"


def exists(folder: str | Path) -> bool:
    """Whether ``folder`` holds a state folder.

    Parameters
    ----------
    folder
        A path that may not exist yet.

    Returns
    -------
    bool
        True when ``folder/manifest.json`` is there.
    """
    return (Path(folder) / MANIFEST).is_file()


def save_state(atlas: Atlas, folder: str | Path) -> Path:
    """Write the item vectors, topics, end-of-log interests and the log of ``atlas`` to ``folder``.

    Parameters
    ----------
    atlas
        The analysis (its interests are computed if they are not yet).
    folder
        Created if needed; files of an earlier state are replaced.

    Returns
    -------
    Path
        ``folder``, ready for :func:`open_state` and later ``--update`` runs.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    vectors, topics, state = atlas.item_vectors, atlas.topics, atlas.interests()
    save_file(
        {
            "item_vectors": vectors.vectors.float().contiguous(),
            "centroids": topics.centroids.float().contiguous(),
            "item_topic": torch.from_numpy(np.asarray(topics.item_topic, dtype=np.int64)),
            "mean": state.mean.float().contiguous(),
            "topic_share": state.topic_share.double().contiguous(),
            "total": state.total.double().contiguous(),
            "n_events": state.n_events.long().contiguous(),
            "last_ts": torch.from_numpy(state.last_ts.view("i8").copy()),
        },
        str(out / "tensors.safetensors"),
    )
    text = list(vectors.item_text) if vectors.item_text else [None] * len(vectors.item_ids)
    pd.DataFrame({"item_id": list(vectors.item_ids), "item_text": text}).to_parquet(
        out / "items.parquet", index=False
    )
    pd.DataFrame({"user_id": list(state.user_ids)}).to_parquet(out / "users.parquet", index=False)
    topics.table.to_parquet(out / "topics.parquet", index=False)
    atlas.events.to_parquet(out / "events.parquet", index=False)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "spec": asdict(atlas.spec),
        "ref_time": state.ref_time.isoformat(),
        "half_life_days": state.half_life_days,
        "topic_labels": list(topics.labels),
        "k": int(topics.k),
        "silhouette": float(topics.silhouette),
        "vector_source": vectors.source,
        "vector_model": vectors.model,
        "vector_message": vectors.message,
        "events": len(atlas.events),
        "arrivals": [_arrival_dict(a) for a in atlas.arrivals],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return out


def open_state(folder: str | Path) -> Atlas:
    """An :class:`Atlas` over the saved log with its vectors, topics and interests restored.

    Parameters
    ----------
    folder
        A state folder that :func:`save_state` wrote.

    Returns
    -------
    Atlas
        Seeded with the saved results, ``arrivals`` as saved; ready for ``extend``.

    Raises
    ------
    InvalidInputError
        If ``folder`` is not a state folder of this format.
    """
    src = Path(folder)
    if not exists(src):
        raise InvalidInputError(
            f"state folder: expected {src / MANIFEST} (written by --update), found none"
        )
    manifest = json.loads((src / MANIFEST).read_text())
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise InvalidInputError(
            f"state folder: expected format {FORMAT} version {VERSION}, "
            f"found {manifest.get('format')!r} version {manifest.get('version')!r}"
        )
    t = load_file(str(src / "tensors.safetensors"))
    items = pd.read_parquet(src / "items.parquet")
    item_ids = tuple(items["item_id"].astype(str))
    events = pd.read_parquet(src / "events.parquet")
    # vectors follow the item categories' order: restore it whatever the parquet reader chose
    events[schema.ITEM] = events[schema.ITEM].astype(str).astype(pd.CategoricalDtype(item_ids))
    events = schema.conform(events)
    labels = tuple(manifest["topic_labels"])
    vectors = ItemVectors(
        item_ids=item_ids,
        vectors=t["item_vectors"],
        source=manifest["vector_source"],
        model=manifest["vector_model"],
        message=manifest["vector_message"],
        item_text=tuple(None if pd.isna(x) else str(x) for x in items["item_text"]),
    )
    topics = Topics(
        item_topic=t["item_topic"].numpy(),
        labels=labels,
        centroids=t["centroids"],
        table=pd.read_parquet(src / "topics.parquet"),
        k=int(manifest["k"]),
        silhouette=float(manifest["silhouette"]),
        item_ids=item_ids,
    )
    state = InterestState(
        user_ids=tuple(pd.read_parquet(src / "users.parquet")["user_id"].astype(str)),
        mean=t["mean"],
        topic_share=t["topic_share"],
        total=t["total"],
        n_events=t["n_events"],
        last_ts=t["last_ts"].numpy().view("datetime64[ns]"),
        ref_time=pd.Timestamp(manifest["ref_time"]),
        half_life_days=float(manifest["half_life_days"]),
        topic_labels=labels,
    )
    atlas = Atlas(events, AnalysisSpec(**manifest["spec"])).seeded(vectors, topics, state)
    atlas.arrivals = tuple(manifest.get("arrivals", ()))
    return atlas


def _arrival_dict(arrival: object) -> dict:
    if isinstance(arrival, dict):  # read back from an earlier manifest
        return arrival
    out = {k: v for k, v in asdict(arrival).items() if k != "touched_users"}
    for key in ("time_min", "time_max", "received"):
        out[key] = None if out[key] is None else pd.Timestamp(out[key]).isoformat()
    out["carried"] = list(out["carried"])
    out["summary"] = arrival.summary()
    return out
