"""The bundled sample's files: writing them (with the dirt real exports carry) and reading them back."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from core import schema
from core.sample.generate import GroundTruth, SampleLog

ASSETS = Path(__file__).resolve().parents[2] / "assets"
BUNDLED_EVENTS = ASSETS / "sample_events.csv.gz"
BUNDLED_ITEMS = ASSETS / "sample_items.csv"
BUNDLED_TRUTH = ASSETS / "sample_truth.json"


def _dirty_rows(events: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Rows a real export carries: exact duplicates, rows without ids, bad clocks, (0, 0) places."""
    n = len(events)
    dupes = events.iloc[rng.choice(n, size=max(n // 400, 1), replace=False)]
    no_user = events.iloc[rng.choice(n, size=12, replace=False)].assign(user_id="")
    no_item = events.iloc[rng.choice(n, size=13, replace=False)].assign(item_id="")
    bad_clock = events.iloc[rng.choice(n, size=15, replace=False)].assign(
        timestamp="1970-01-01T00:00:00Z"
    )
    return pd.concat([dupes, no_user, no_item, bad_clock], ignore_index=True)


def write(sample: SampleLog, out_dir: str | Path) -> tuple[Path, Path, Path]:
    """Write events (gzip CSV, with dirty rows when ``spec.dirty``), catalogue (CSV) and truth (JSON).

    Parameters
    ----------
    sample
        From :func:`core.sample.generate`.
    out_dir
        Folder to write into (created if needed).

    Returns
    -------
    tuple of (Path, Path, Path)
        The events, catalogue and ground-truth files.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    events = sample.events_raw
    if sample.spec.dirty:
        rng = np.random.default_rng(sample.spec.seed + 1)
        events = events.copy()
        web = np.flatnonzero(events["lat"].isna().to_numpy())[:40]
        events.loc[web, ["lat", "lon"]] = 0.0  # a null-island export bug, cleared on ingest
        dirty = _dirty_rows(sample.events_raw, rng)
        events = pd.concat([events, dirty], ignore_index=True)
        events = events.iloc[rng.permutation(len(events))].reset_index(drop=True)
        order = np.argsort(events["timestamp"].to_numpy(), kind="stable")
        events = events.iloc[order].reset_index(drop=True)
    paths = (out / BUNDLED_EVENTS.name, out / BUNDLED_ITEMS.name, out / BUNDLED_TRUTH.name)
    with gzip.GzipFile(paths[0], "wb", mtime=0) as fh:  # mtime=0: byte-identical reruns
        fh.write(events.to_csv(index=False).encode("utf-8"))
    sample.items_raw.to_csv(paths[1], index=False)
    paths[2].write_text(sample.truth.to_json(), encoding="utf-8")
    return paths


def to_event_log(sample: SampleLog) -> pd.DataFrame:
    """The canonical EventLog of a generated (clean) sample, item text taken from the catalogue.

    Parameters
    ----------
    sample
        From :func:`core.sample.generate`.

    Returns
    -------
    pandas.DataFrame
        Canonical EventLog (``core.schema``).
    """
    text = sample.items_raw["title"] + " | " + sample.items_raw["category"]
    events = sample.events_raw.rename(columns={"timestamp": schema.TS})
    events[schema.ITEM_TEXT] = events["item_id"].map(
        dict(zip(sample.items_raw["item_id"], text, strict=True))
    )
    events[schema.TS] = pd.to_datetime(events[schema.TS], utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    events[schema.WEIGHT] = schema.event_weights(events["event"])
    return schema.conform(events)


def bundled_paths() -> tuple[Path, Path]:
    """Paths of the bundled sample's events and item catalogue.

    Returns
    -------
    tuple of (Path, Path)
        The events file and the catalogue file in ``assets/``.
    """
    return BUNDLED_EVENTS, BUNDLED_ITEMS


@functools.lru_cache(maxsize=1)
def _bundled_event_log() -> pd.DataFrame:
    from core.io.ingest import ingest  # imported late: ingest is heavier than this module

    return ingest(BUNDLED_EVENTS, items=BUNDLED_ITEMS).events


def bundled_event_log() -> pd.DataFrame:
    """The bundled sample as the dashboard sees it.

    Returns
    -------
    pandas.DataFrame
        The files in ``assets/`` through ``core.io.ingest`` (dirty rows rejected).
    """
    return _bundled_event_log().copy()


def bundled_truth() -> GroundTruth:
    """The ground truth planted in the bundled sample.

    Returns
    -------
    GroundTruth
        Read from ``assets/`` (written by ``python -m core sample``).
    """
    return GroundTruth.from_json(BUNDLED_TRUTH.read_text(encoding="utf-8"))
