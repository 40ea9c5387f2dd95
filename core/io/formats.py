"""JSON Lines, JSON arrays and Excel sheets read into tables (used by ``core.io.reader``).

JSON Lines go through the Arrow JSON reader (streamed in blocks, typed columns); where that reader
refuses the file (a line that is not JSON, a field whose type changes between lines) the lines are
read one by one, the objects kept as text columns and every other line reported as malformed, so
no row is lost. A JSON array of objects is written out as JSON Lines and read the same way. Excel
``.xlsx`` sheets are read with python-calamine; every cell becomes text (whole numbers without
``.0``, dates in ISO 8601).
"""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json

from core.errors import InvalidInputError


def read_json_lines(utf8: bytes) -> tuple[pa.Table, np.ndarray, pd.DataFrame]:
    """JSON Lines / NDJSON: (table, 1-based record number of each row, malformed lines).

    Blank lines are not records. Nested objects stay structs here (``reader.flatten`` names them).
    A single pretty-printed document (its first line is no JSON on its own) is read as by
    :func:`read_json_array`.

    Parameters
    ----------
    utf8
        The whole file, UTF-8 encoded.

    Returns
    -------
    tuple of (pyarrow.Table, numpy.ndarray, pandas.DataFrame)
        The records, each one's 1-based record number, and the lines that are no JSON object
        (``row_number``, ``raw_line``).
    """
    first = next((line for line in utf8.split(b"\n", 50)[:50] if line.strip()), b"")
    if not _is_json(first) and _is_json(utf8):
        return read_json_array(utf8)
    try:
        table = pa_json.read_json(
            io.BytesIO(utf8), read_options=pa_json.ReadOptions(block_size=1 << 24)
        )
        return table, np.arange(1, table.num_rows + 1), _malformed([], [])
    except pa.ArrowInvalid:
        pass
    lines = [line for line in utf8.split(b"\n") if line.strip()]
    records, numbers, bad_numbers, bad_lines = [], [], [], []
    for number, line in enumerate(lines, start=1):  # fallback only: Arrow refused the file
        try:
            obj = json.loads(line)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            records.append(obj)
            numbers.append(number)
        else:
            bad_numbers.append(number)
            bad_lines.append(line.decode("utf-8", errors="replace").rstrip("\r"))
    return (
        _text_table(records),
        np.array(numbers, dtype=np.int64),
        _malformed(bad_numbers, bad_lines),
    )


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def read_json_array(utf8: bytes) -> tuple[pa.Table, np.ndarray, pd.DataFrame]:
    """A JSON array of objects (or an object holding one such array, e.g. ``{"data": [...]}``).

    Parameters
    ----------
    utf8
        The whole document, UTF-8 encoded. An object with exactly one array value is read as
        that array; any other object as a one-record array.

    Returns
    -------
    tuple
        As :func:`read_json_lines`: records, their 1-based numbers, the elements that are no object.

    Raises
    ------
    InvalidInputError
        If the text is not valid JSON, or is a JSON value other than an array or object.
    """
    try:
        doc = json.loads(utf8)
    except ValueError as exc:
        raise InvalidInputError(
            f"source: expected a JSON array of objects, found text that is not valid JSON ({exc})"
        ) from exc
    if isinstance(doc, dict):
        arrays = [v for v in doc.values() if isinstance(v, list)]
        doc = arrays[0] if len(arrays) == 1 else [doc]
    if not isinstance(doc, list):
        raise InvalidInputError(
            f"source: expected a JSON array of objects, found a JSON {type(doc).__name__}"
        )
    lines = "\n".join(json.dumps(v, ensure_ascii=False) for v in doc)
    return read_json_lines(lines.encode("utf-8") + b"\n")


def _malformed(numbers: list[int], lines: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"row_number": np.array(numbers, dtype=np.int64), "raw_line": lines})


def _cell(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _text_table(records: list[dict]) -> pa.Table:
    """Objects (nested ones flattened to dotted names) as a table of text columns."""
    if not records:
        return pa.table({})
    frame = pd.json_normalize(records, sep=".")
    return pa.table(
        {str(c): pa.array(frame[c].map(_cell).tolist(), type=pa.string()) for c in frame.columns}
    )


def _excel_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _workbook(data: bytes):
    try:
        from python_calamine import CalamineWorkbook
    except ImportError as exc:  # pragma: no cover - a runtime dependency
        raise InvalidInputError(
            "source: reading Excel needs python-calamine (pip install python-calamine)"
        ) from exc
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types
        raise InvalidInputError(f"source: Excel workbook could not be read: {exc}") from exc


def sheet_names(data: bytes) -> tuple[str, ...]:
    """The sheet names of an ``.xlsx`` workbook, in order.

    Parameters
    ----------
    data
        The workbook's bytes.

    Returns
    -------
    tuple of str
    """
    return tuple(_workbook(data).sheet_names)


def sheet_rows(data: bytes, sheet: str | int | None = None) -> list[list[str]]:
    """The non-empty rows of one sheet of an ``.xlsx`` workbook as text cells.

    Parameters
    ----------
    data
        The workbook's bytes.
    sheet
        Sheet name or 0-based index; ``None`` is the first sheet.

    Returns
    -------
    list of list of str
        Every row that has a non-blank cell, cells as text (dates ISO-formatted).

    Raises
    ------
    InvalidInputError
        If the workbook cannot be read or has no such sheet.
    """
    book = _workbook(data)
    names = list(book.sheet_names)
    chosen = 0 if sheet is None else sheet
    if isinstance(chosen, str) and chosen.isdigit() and chosen not in names:
        chosen = int(chosen)
    if isinstance(chosen, int):
        if not 0 <= chosen < len(names):
            raise InvalidInputError(f"sheet: expected an index below {len(names)}, found {chosen}")
        chosen = names[chosen]
    if chosen not in names:
        raise InvalidInputError(f"sheet: expected one of {names}, found {chosen!r}")
    rows = book.get_sheet_by_name(chosen).to_python(skip_empty_area=True)
    text = [[_excel_text(v) for v in row] for row in rows]
    return [row for row in text if any(cell.strip() for cell in row)]
