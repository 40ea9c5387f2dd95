"""A first look at a file for the column-mapping forms: :func:`sniff`.

Reads the source once, decompresses only the head of a gzip text file, and reads only the first
rows of delimited text, JSON Lines and Parquet (a JSON array or an Excel workbook is read whole).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.errors import InvalidInputError
from core.io import reader
from core.io.columns import CATALOGUE_FIELDS, MAPPABLE, detect_catalogue, detect_mapping
from core.io.reader import Raw, ReadOptions, Source
from core.io.specs import IngestSpec, Sniffed
from core.schema import ITEM


def sniff(source: Source, spec: IngestSpec = IngestSpec(), *, items: bool = False) -> Sniffed:
    """Look at the start of a file: format, encoding, delimiter, header, columns, detected mapping.

    Parameters
    ----------
    source
        Path, bytes or binary file object (read once; compression and format by content).
    spec
        Overrides for anything detected (the ``items_*`` ones when ``items``).
    items
        Sniff an item catalogue: ``mapping`` then pairs catalogue fields with columns and
        ``missing`` is ``("item_id",)`` when no id column is found.

    Returns
    -------
    Sniffed
        With ``preview`` holding the first rows as text.

    Raises
    ------
    InvalidInputError
        If the source cannot be read or the mapping names an unknown column or field.
    """
    opts = spec.read_options(items)
    data = reader.read_bytes(source)
    head, compression = reader.unpack(data, head_only=True)
    fmt = reader.detect_format(head)
    if fmt in ("json", "excel") and compression == "gzip":  # needs the whole document
        head, compression = reader.unpack(data)
    sheets: tuple[str, ...] = ()
    encoding = delimiter = None
    has_header = True
    if fmt == "csv":
        raw = _sniff_csv(head, opts)
        encoding, delimiter, has_header = raw.encoding, raw.delimiter, raw.has_header
        table = raw.table
    elif fmt == "parquet":
        batches = pq.ParquetFile(pa.BufferReader(head)).iter_batches(batch_size=20)
        first = next(batches, None)
        schema_ = pq.read_schema(pa.BufferReader(head))
        table = reader.flatten(
            pa.Table.from_batches([first]) if first is not None else schema_.empty_table()
        )
    elif fmt == "jsonl":
        encoding = opts.encoding or reader.detect_encoding(_cut(head[:65536], "utf-8"))
        table = reader.read_json_head(reader.to_utf8(_cut(head[: 1 << 20], encoding), encoding))
    else:  # a JSON array or Excel needs the whole document
        raw = reader.read(head, opts, compression)
        encoding, has_header, table = raw.encoding, raw.has_header, raw.table.slice(0, 20)
        if fmt == "excel":
            from core.io.formats import sheet_names

            sheets = sheet_names(head)
    columns = tuple(table.column_names)
    preview = pd.DataFrame(
        {c: pc.cast(table.column(c), pa.string()).to_pylist() for c in columns},
        columns=list(columns),
    ).fillna("")
    if items:
        found = detect_catalogue(columns, spec.items_mapping)
        mapping = tuple((f, c) for f, cols in found.items() for c in cols)
        missing = () if ITEM in found else (ITEM,)
        offered = CATALOGUE_FIELDS
    else:
        detected, missing = detect_mapping(columns, spec.mapping, spec.ignore, spec.place_column)
        mapping, offered = tuple(detected.items()), MAPPABLE
    return Sniffed(
        format=fmt,
        compression=compression,
        encoding=encoding,
        delimiter=delimiter,
        has_header=has_header,
        columns=columns,
        mapping=mapping,
        missing=missing,
        preview=preview,
        role="items" if items else "events",
        fields=offered,
        sheets=sheets,
    )


def _sniff_csv(head: bytes, opts: ReadOptions) -> Raw:
    sample = head[: 1 << 16]
    encoding = opts.encoding or reader.detect_encoding(_cut(sample, "utf-8"))
    content = reader.to_utf8(_cut(sample, encoding), encoding).decode("utf-8", errors="replace")
    if not content.strip():
        raise InvalidInputError("source: expected delimited text or Parquet, found an empty file")
    delimiter = opts.delimiter or reader.detect_delimiter(content)
    rows = reader.head_rows(content, delimiter, 21)
    has_header = reader.detect_header(rows) if opts.has_header is None else opts.has_header
    width = max((len(r) for r in rows), default=0)
    columns = (
        reader.unique_names(rows[0]) if has_header and rows else [str(i) for i in range(width)]
    )
    body = rows[1:] if has_header else rows
    cells = [r[: len(columns)] + [""] * (len(columns) - len(r)) for r in body]
    table = pa.table(
        {c: pa.array([r[i] for r in cells], type=pa.string()) for i, c in enumerate(columns)}
    )
    return Raw(
        table,
        np.arange(1, len(cells) + 1),
        reader.no_malformed(),
        "csv",
        None,
        encoding,
        delimiter,
        has_header,
    )


def _cut(head: bytes, encoding: str) -> bytes:
    """A head sample without a character cut at its end."""
    if encoding.startswith("utf-16"):
        return head[: len(head) - len(head) % 2]
    if encoding.startswith("utf-8"):
        for cut in range(4):
            try:
                (head[: len(head) - cut] if cut else head).decode("utf-8")
                return head[: len(head) - cut] if cut else head
            except UnicodeDecodeError:
                continue
    return head
