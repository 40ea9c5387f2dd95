"""Streamed ingest for the local engine: input files read in record batches, never whole.

Each file is sniffed from its head (core.io.ingest's detection), then read batch by batch (Arrow's
streaming CSV reader, Parquet row groups, Arrow's streaming JSON reader); every batch goes through
the validation the Spark engine runs per partition (``spark_ingest.validate_table``, which is
core.io.ingest's own code), and its accepted rows are staged as Parquet by day with their H3 cell,
period unit and hour of week already computed. Exact duplicates always share their time and so
their day: each day's staged rows are then de-duplicated with DuckDB (first occurrence by file,
then row, kept) and written out as the atlas's ``events/day=.../`` partition.

Formats the streaming readers cannot split (a JSON array, Excel, zip, a multi-character
delimiter, Parquet inside gzip, a JSON Lines file Arrow refuses) are read whole by core.io's reader
and validated in slices, so every format ingest reads is accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from core import schema
from core.engines import tables
from core.engines.batches import plan_file, read_batches
from core.engines.folder import DAY, EVENTS
from core.engines.spark_ingest import ORDER_STRIDE, validate_table
from core.errors import InvalidInputError
from core.io.catalogue import Catalogue, catalogue_from
from core.io.ingest import IngestSpec, _read
from core.spacetime.filters import BASIS_LONGITUDE, BASIS_OFFSET, BASIS_UTC

#: Columns of the de-duplication key: every parsed field plus the raw text of the extras.
KEY: Final = (
    schema.USER,
    schema.ITEM,
    schema.TS,
    schema.EVENT,
    schema.WEIGHT,
    schema.ITEM_TEXT,
    schema.CATEGORY,
    schema.LAT,
    schema.LON,
    schema.TZ_OFFSET,
    "extras",
)
#: Hour of week on each basis (the basis is decided over the whole log, after the stream).
HOW: Final = {BASIS_UTC: "how_utc", BASIS_LONGITUDE: "how_lon", BASIS_OFFSET: "how_off"}
STAGED: Final = "staged"
KEYED: Final = "keyed"


@dataclass(frozen=True)
class Streamed:
    """What the stream left: the keyed events folder, rejected rows and the per-file counts."""

    keyed: Path  # day=.../*.parquet: KEY columns + ord, h3, located, region, unit, how_*, sub
    rejected: pd.DataFrame  # file, row_number, reason
    rows_in: tuple[int, ...]  # per file
    staged_rows: int  # accepted rows before de-duplication
    accepted: int


# ----------------------------------------------------------------------------- staging


def _keyed(parsed: pd.DataFrame, res: int, period: str, sub_buckets: int) -> pa.Table:
    """The accepted rows of a batch with everything later steps group by, computed once."""
    ts = parsed[schema.TS].to_numpy(np.int64)
    lat = parsed[schema.LAT].to_numpy(np.float64)
    lon = parsed[schema.LON].to_numpy(np.float64)
    offset = parsed[schema.TZ_OFFSET].to_numpy(np.float64)
    ok, cells, region = tables.place_keys(lat, lon, res)
    users = pa.array(parsed[schema.USER].to_numpy(dtype=object), pa.string())
    columns = {
        name: (
            pa.array(parsed[name].to_numpy(dtype=object), pa.string())
            if parsed[name].dtype == object
            else pa.array(parsed[name].to_numpy())
        )
        for name in KEY
    }
    columns[schema.USER] = users
    columns.update(
        {
            "ord": pa.array(
                parsed["file"].to_numpy(np.int64) * ORDER_STRIDE
                + parsed["row_number"].to_numpy(np.int64)
            ),
            "h3": pa.array(cells.view(np.int64)),
            "located": pa.array(ok),
            "region": pa.array(region.astype(np.int64)),
            "unit": pa.array(tables.bin_units(ts, period)),
            **{
                col: pa.array(tables.local_how(ts, offset, lon, basis).astype(np.int16))
                for basis, col in HOW.items()
            },
            "sub": pa.array(
                (
                    pd.util.hash_array(parsed[schema.USER].to_numpy(dtype=object)) % sub_buckets
                ).astype(np.int32)
            ),
            DAY: pa.array(ts.view("datetime64[ns]").astype("datetime64[D]").astype(str)),
        }
    )
    return pa.table(columns)


def stream_files(
    files: Sequence[str],
    tmp: Path,
    con,
    items: str | None,
    spec: IngestSpec,
    res: int,
    period: str,
    sub_buckets: int,
) -> Streamed:
    """Stream every file into ``tmp/staged``, then de-duplicate day by day into ``tmp/keyed``.

    Parameters
    ----------
    files
        The event files, in input order.
    tmp
        Working folder (staged and keyed Parquet).
    con
        A DuckDB connection.
    items
        Optional item catalogue, joined in every batch.
    spec
        Column mapping and validation settings.
    res, period
        H3 resolution and calendar period of the precomputed cell and unit columns.
    sub_buckets
        Number of user sub-buckets (``sub`` column) the user tables are later grouped by.

    Returns
    -------
    Streamed

    Raises
    ------
    InvalidInputError, MissingColumnsError
        As core.io.ingest.
    """
    catalogue: Catalogue | None = (
        catalogue_from(_read(items, spec.read_options(items=True)), spec.items_mapping)
        if items
        else None
    )
    staged = tmp / STAGED
    rejected: list[pd.DataFrame] = []
    rows_in: list[int] = []
    staged_rows = 0
    for index, path in enumerate(files):
        plan, encoding, how = plan_file(path, index, spec)
        got = _stream_one(plan, encoding, how, spec, catalogue, staged, res, period, sub_buckets)
        if got is None:  # Arrow refused the file mid-way: read it whole instead
            for part in staged.glob(f"{DAY}=*/f{index}-*.parquet"):
                part.unlink()
            got = _stream_one(
                plan, encoding, "whole", spec, catalogue, staged, res, period, sub_buckets
            )
        n_in, n_staged, bad = got
        rows_in.append(n_in)
        staged_rows += n_staged
        rejected.extend(bad)
    rejected_frame = (
        pd.concat(rejected, ignore_index=True)
        if rejected
        else pd.DataFrame({"file": [], "row_number": [], "reason": []})
    )
    rejected_frame = (
        rejected_frame.astype({"file": np.int64, "row_number": np.int64, "reason": object})
        .sort_values(["file", "row_number"], kind="stable")
        .reset_index(drop=True)
    )
    keyed = tmp / KEYED
    accepted = _deduplicate(con, staged, keyed)
    return Streamed(keyed, rejected_frame, tuple(rows_in), staged_rows, accepted)


def _stream_one(plan, encoding, how, spec, catalogue, staged, res, period, sub_buckets):
    n_in = n_staged = 0
    bad: list[pd.DataFrame] = []
    try:
        for i, (table, numbers, malformed) in enumerate(read_batches(plan, encoding, how, spec)):
            n_in += table.num_rows + len(malformed)
            if len(malformed):
                bad.append(
                    pd.DataFrame({"file": plan.index, "row_number": malformed}).assign(
                        reason="malformed_row"
                    )
                )
            if not table.num_rows:
                continue
            parsed = validate_table(table, numbers, plan, spec, catalogue)
            ok = (parsed["reason"] == "").to_numpy()
            if (~ok).any():
                bad.append(parsed.loc[~ok, ["file", "row_number", "reason"]])
            if ok.any():
                keyed = _keyed(parsed[ok].reset_index(drop=True), res, period, sub_buckets)
                ds.write_dataset(
                    keyed,
                    str(staged),
                    format="parquet",
                    partitioning=ds.partitioning(pa.schema([(DAY, pa.string())]), flavor="hive"),
                    basename_template=f"f{plan.index}-b{i}-{{i}}.parquet",
                    existing_data_behavior="overwrite_or_ignore",
                )
                n_staged += int(ok.sum())
    except (pa.ArrowInvalid, InvalidInputError) as exc:
        if how in ("jsonl", "csv") and _refused(exc):
            return None
        raise InvalidInputError(f"{plan.path}: could not be read: {exc}") from exc
    return n_in, n_staged, bad


def _refused(exc: Exception) -> bool:
    return isinstance(exc, pa.ArrowInvalid) or "row number unknown" in str(exc)


def _deduplicate(con, staged: Path, keyed: Path) -> int:
    """Each day's staged rows, exact duplicates dropped (the first by file and row kept), into
    ``keyed/day=.../part.parquet``; returns the number of rows kept."""
    keyed.mkdir(parents=True, exist_ok=True)
    kept = 0
    key = ", ".join(f'"{c}"' for c in KEY)
    for day_dir in sorted(p for p in staged.iterdir() if p.is_dir()) if staged.exists() else []:
        out = keyed / day_dir.name
        out.mkdir()
        glob = str(day_dir / "*.parquet")
        con.execute(
            f"COPY (SELECT {key}, min(ord) AS ord, first(h3) AS h3, first(located) AS located, "
            f"first(region) AS region, "
            f"first(unit) AS unit, first(how_utc) AS how_utc, first(how_lon) AS how_lon, "
            f"first(how_off) AS how_off, first(sub) AS sub "
            f"FROM read_parquet(?) GROUP BY ALL) TO '{out / 'part.parquet'}' (FORMAT parquet)",
            [glob],
        )
        kept += con.execute(
            "SELECT count(*) FROM read_parquet(?)", [str(out / "part.parquet")]
        ).fetchone()[0]
    return int(kept)


def write_events(con, keyed: Path, out: Path) -> None:
    """``events/day=.../part-0.parquet`` from the keyed days: canonical columns, sorted by user,
    time (ties in input order), as ``core.engines.folder.write_events`` writes them.

    Parameters
    ----------
    con
        A DuckDB connection.
    keyed
        The keyed folder :func:`stream_files` wrote.
    out
        The atlas folder.
    """
    columns = [c for c in schema.CANONICAL if c != schema.TS]
    select = ", ".join(f'"{c}"' for c in columns)
    for day_dir in sorted(p for p in keyed.iterdir() if p.is_dir()):
        target = out / EVENTS / day_dir.name
        target.mkdir(parents=True, exist_ok=True)
        part = str(day_dir / "part.parquet").replace("'", "''")
        cursor = con.cursor()  # a result of its own, read while other queries finish
        result = cursor.sql(
            f"SELECT {select}, ts FROM read_parquet('{part}') ORDER BY user_id, ts, ord"
        ).to_arrow_reader(128_000)
        writer = None
        for batch in result:
            arrays = [batch.column(c) for c in columns]
            ts = batch.column(schema.TS).cast(pa.timestamp("ns", tz="UTC"))
            table = pa.Table.from_arrays([*arrays, ts], names=[*columns, schema.TS])
            table = table.select(list(schema.CANONICAL))
            if writer is None:
                writer = pq.ParquetWriter(str(target / "part-0.parquet"), table.schema)
            writer.write_table(table)
        if writer is not None:
            writer.close()
        cursor.close()
