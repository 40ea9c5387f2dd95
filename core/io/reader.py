"""Bytes to a table of raw columns: compression, format, encoding, delimiter and header.

The format is decided by the content, never by the file name: gzip (``1f 8b``) and zip
(``PK\\x03\\x04``, one file inside) are unpacked first; then Parquet (``PAR1``), Excel ``.xlsx`` (a
zip holding ``xl/``), a JSON array of objects (``[``), JSON Lines / NDJSON (``{``), else delimited
text. Delimited text is parsed by the Arrow CSV reader with every column as text, so a rejected row
keeps exactly what was written; multi-character delimiters (``::``, ``||``) are mapped onto one
control character first. JSON Lines go through the Arrow JSON reader (nested objects flattened to
dotted names such as ``properties.sku``), falling back to a line-by-line read that reports the
lines that are not JSON objects as malformed.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from core.errors import InvalidInputError
from core.io.delimited import (
    DELIMITERS,
    MULTI_DELIMITERS,
    detect_delimiter,
    detect_header,
    head_rows,
    kind,
    names_of,
    read_csv,
    split_rows,
    unique_names,
)
from core.io.encoding import detect_encoding, to_utf8
from core.io.formats import read_json_array, read_json_lines, sheet_rows

Source = str | Path | bytes | bytearray | BinaryIO
#: Re-exported from ``core.io.delimited`` (delimited-text detection lives there).
__all__ = [
    "DELIMITERS",
    "FORMATS",
    "MULTI_DELIMITERS",
    "Raw",
    "ReadOptions",
    "Source",
    "detect_delimiter",
    "detect_encoding",
    "detect_format",
    "detect_header",
    "flatten",
    "head_rows",
    "kind",
    "read",
    "read_bytes",
    "split_rows",
    "to_utf8",
    "unique_names",
    "unpack",
]

FORMATS: Final = ("csv", "jsonl", "json", "parquet", "excel")
_BINARY_KINDS: Final = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other Office 97) file: save it as .xlsx or CSV"),
    (b"SQLite format 3", "an SQLite database"),
)


@dataclass(frozen=True)
class ReadOptions:
    """Overrides for detection; ``None`` means "detect"."""

    has_header: bool | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None  # Excel: sheet name or 0-based index (default: the first)


@dataclass(frozen=True)
class Raw:
    """A file read as a table of raw columns, plus what was detected on the way."""

    table: pa.Table  # text columns for delimited files and Excel, typed for Parquet / JSON
    row_number: np.ndarray  # 1-based data row of each table row
    malformed: pd.DataFrame  # row_number, raw_line of rows that could not be split into fields
    format: str
    compression: str | None
    encoding: str | None
    delimiter: str | None
    has_header: bool

    @property
    def rows_in(self) -> int:
        return self.table.num_rows + len(self.malformed)


def no_malformed() -> pd.DataFrame:
    """The empty malformed-rows frame of a read that split every row.

    Returns
    -------
    pandas.DataFrame
        Columns ``row_number`` (int64) and ``raw_line``, no rows.
    """
    return pd.DataFrame({"row_number": np.array([], dtype=np.int64), "raw_line": []})


# ----------------------------------------------------------------------------- bytes


def read_bytes(source: Source) -> bytes:
    """The bytes of a path, a bytes object or a binary file object (read once).

    Parameters
    ----------
    source
        ``str`` or ``Path``, ``bytes`` / ``bytearray`` / ``memoryview``, or a binary file object.

    Returns
    -------
    bytes
        The whole content, still compressed if it was.

    Raises
    ------
    InvalidInputError
        If ``source`` is another type, names no file, or is a text file object.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise InvalidInputError(
                f"source: expected an existing file, found no file at {str(path)!r}"
            )
        return path.read_bytes()
    if hasattr(source, "read"):
        data = source.read()
        if isinstance(data, str):
            raise InvalidInputError("source: expected a binary file object, found a text one")
        return bytes(data)
    raise InvalidInputError(
        f"source: expected a path, bytes or a binary file object, found {type(source).__name__}"
    )


def _is_xlsx(archive: zipfile.ZipFile) -> bool:
    names = archive.namelist()
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def unpack(data: bytes, head_only: bool = False) -> tuple[bytes, str | None]:
    """Undo gzip or zip (one file inside; an .xlsx is left whole).

    Parameters
    ----------
    data
        The source's bytes.
    head_only
        Decompress only about the first MiB of a gzip stream (enough to sniff a text file).

    Returns
    -------
    tuple of (bytes, str or None)
        The content and ``"gzip"``, ``"zip"`` or None.

    Raises
    ------
    InvalidInputError
        If the compressed data is corrupt or a zip archive holds other than one file.
    """
    if data[:2] == b"\x1f\x8b":
        if head_only:
            head = zlib.decompressobj(wbits=31).decompress(data, 1 << 20)
            if head[:4] != b"PAR1" and head[:2] != b"PK":
                return head, "gzip"
        try:
            inner, _ = unpack(gzip.decompress(data))
        except (OSError, EOFError, zlib.error) as exc:
            raise InvalidInputError(f"source: gzip data could not be decompressed: {exc}") from exc
        return inner, "gzip"
    if data[:4] == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            if _is_xlsx(archive):
                return data, None
            members = [
                i
                for i in archive.infolist()
                if not i.is_dir()
                and not i.filename.startswith("__MACOSX/")
                and not Path(i.filename).name.startswith(".")
            ]
            if len(members) != 1:
                raise InvalidInputError(
                    "source: expected a zip archive with one file inside, found "
                    f"{len(members)}: {[m.filename for m in members][:10]}"
                )
            inner = archive.read(members[0])
        except zipfile.BadZipFile as exc:
            raise InvalidInputError(f"source: zip data could not be read: {exc}") from exc
        if inner[:2] == b"\x1f\x8b":
            inner, _ = unpack(inner)
        return inner, "zip"
    return data, None


def detect_format(data: bytes) -> str:
    """``csv``, ``jsonl``, ``json``, ``parquet`` or ``excel``, by content (after :func:`unpack`).

    Parameters
    ----------
    data
        Unpacked bytes (the head is enough for every format but a JSON array).

    Returns
    -------
    str

    Raises
    ------
    InvalidInputError
        If the content is none of those (e.g. a PDF or an image).
    """
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:4] == b"PK\x03\x04":
        return "excel"
    head = data[:4096]
    for magic, what in _BINARY_KINDS:
        if head.startswith(magic):
            raise InvalidInputError(
                "source: expected an event log (delimited text, JSON Lines, JSON, Parquet or "
                f"Excel .xlsx, optionally gzip/zip-compressed), found {what}"
            )
    encoding = detect_encoding(head)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")
    if "\x00" in text or (
        text and sum(not c.isprintable() and c not in "\t\r\n" for c in text) > len(text) // 10
    ):
        raise InvalidInputError(
            "source: expected an event log (delimited text, JSON Lines, JSON, Parquet or Excel "
            f".xlsx, optionally gzip/zip-compressed), found binary data that is none of these "
            f"(it starts with {data[:8]!r})"
        )
    if text.startswith("["):
        return "json"
    if text.startswith("{"):
        return "jsonl"
    return "csv"


def _read_excel(data: bytes, opts: ReadOptions) -> tuple[pa.Table, bool]:
    rows = sheet_rows(data, opts.sheet)
    if not rows:
        raise InvalidInputError("source: expected rows in the Excel sheet, found an empty sheet")
    has_header = detect_header(rows[:50]) if opts.has_header is None else opts.has_header
    names = names_of(rows[:50], has_header)
    body = rows[1:] if has_header else rows
    width = len(names)
    columns = [[r[i] if i < len(r) else "" for r in body] for i in range(width)]
    table = pa.table(
        {n: pa.array(c, type=pa.string()) for n, c in zip(names, columns, strict=True)}
    )
    return table, has_header


def read(data: bytes, opts: ReadOptions = ReadOptions(), compression: str | None = None) -> Raw:
    """Read unpacked bytes (see :func:`unpack`) into a :class:`Raw` table.

    Parameters
    ----------
    data
        Unpacked bytes.
    opts
        Encoding, delimiter, header and sheet overrides (None: detect).
    compression
        What :func:`unpack` undid, recorded in the result.

    Returns
    -------
    Raw
        The raw columns, each row's 1-based data row, the malformed rows and what was detected.

    Raises
    ------
    InvalidInputError
        If the content cannot be read in its detected format.
    """
    fmt = detect_format(data)
    if fmt == "parquet":
        try:
            table = pq.read_table(io.BytesIO(data))
        except (pa.ArrowInvalid, OSError) as exc:
            raise InvalidInputError(f"source: Parquet file could not be read: {exc}") from exc
        table = flatten(table)
        rows = np.arange(1, table.num_rows + 1)
        return Raw(table, rows, no_malformed(), fmt, compression, None, None, True)
    if fmt == "excel":
        table, has_header = _read_excel(data, opts)
        rows = np.arange(1, table.num_rows + 1)
        return Raw(table, rows, no_malformed(), fmt, compression, None, None, has_header)
    encoding = opts.encoding or detect_encoding(data)
    utf8 = to_utf8(data, encoding)
    if fmt in ("json", "jsonl"):
        reader = read_json_array if fmt == "json" else read_json_lines
        table, rows, malformed = reader(utf8)
        return Raw(flatten(table), rows, malformed, fmt, compression, encoding, None, True)
    table, rows, malformed, delimiter, has_header = read_csv(utf8, opts.has_header, opts.delimiter)
    return Raw(table, rows, malformed, "csv", compression, encoding, delimiter, has_header)


def flatten(table: pa.Table) -> pa.Table:
    """Nested struct columns flattened to dotted names; list columns written as JSON text.

    Parameters
    ----------
    table
        An Arrow table, e.g. read from JSON.

    Returns
    -------
    pyarrow.Table
        ``table`` itself when nothing is nested.
    """
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    for i, f in enumerate(table.schema):
        if pa.types.is_list(f.type) or pa.types.is_large_list(f.type) or pa.types.is_map(f.type):
            import json

            values = [
                None if v is None else json.dumps(v, default=str)
                for v in table.column(i).to_pylist()
            ]
            table = table.set_column(i, f.name, pa.array(values, type=pa.string()))
    return table


def read_json_head(utf8: bytes) -> pa.Table:
    """The first JSON Lines records (for a preview), read with Arrow.

    Parameters
    ----------
    utf8
        The head of a JSON Lines file, UTF-8.

    Returns
    -------
    pyarrow.Table
        Up to 21 records from the first 40 lines, flattened (:func:`flatten`); if Arrow
        refuses a line, the lenient JSON Lines reader reads them.
    """
    lines = [line for line in utf8.splitlines()[:40] if line.strip()][:21]
    try:
        return flatten(pa_json.read_json(io.BytesIO(b"\n".join(lines) + b"\n")))
    except pa.ArrowInvalid:
        table, _, _ = read_json_lines(b"\n".join(lines) + b"\n")
        return flatten(table)
