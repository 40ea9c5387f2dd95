"""Delimited text: delimiter and header detection, and the Arrow CSV parse (every column as text).

Multi-character delimiters (``::``, ``||``) are mapped onto one control character before Arrow
parses the text (Arrow takes one-character delimiters only); rejected rows keep the original
delimiter.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from core.errors import InvalidInputError
from core.io.columns import is_known_name

#: Single-character delimiters tried, then multi-character ones (used when most lines split on
#: them and the lone character is not used on its own).
DELIMITERS: Final = (",", "\t", ";", "|")
MULTI_DELIMITERS: Final = ("::", "||", ";;", "\t\t")
_UNIT_SEPARATOR: Final = "\x1f"  # stands in for a multi-character delimiter
_NUMBER: Final = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def split_rows(lines: list[str], delimiter: str) -> list[list[str]]:
    """Rows of ``lines`` split on ``delimiter`` (quotes respected for one-character ones).

    Parameters
    ----------
    lines
        Text lines without their line ends; blank ones are dropped.
    delimiter
        One character (read with :mod:`csv`) or a multi-character separator (plain split).

    Returns
    -------
    list of list of str
    """
    if len(delimiter) == 1:
        return [row for row in csv.reader(lines, delimiter=delimiter) if row]
    return [line.split(delimiter) for line in lines if line.strip()]


def head_rows(text: str, delimiter: str, n: int = 50) -> list[list[str]]:
    """The first ``n`` complete lines of ``text`` as rows, for delimiter and header detection.

    Parameters
    ----------
    text
        The decoded start of the file (its last line may be cut mid-way, so it is left out).
    delimiter
        The separator to split on.
    n
        How many lines to look at.

    Returns
    -------
    list of list of str
    """
    lines = text.splitlines()[: n + 1]
    if len(lines) > n:  # the last line may be cut off
        lines = lines[:n]
    return split_rows(lines, delimiter)


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most equal, widest rows: one of
    ``, \\t ; |`` (quoted fields respected), or ``:: || ;; \\t\\t`` when most lines split on it
    into the same width and its character is (almost) never used alone.

    Parameters
    ----------
    text
        The decoded start of the file; its first 30 non-blank lines are scored.

    Returns
    -------
    str
        The delimiter; ``,`` for an empty text.
    """
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    if not lines:
        return ","
    for delim in MULTI_DELIMITERS:
        widths = [line.count(delim) + 1 for line in lines]
        lone = sum(delim[0] in line.replace(delim, "") for line in lines)
        mode = max(set(widths), key=widths.count)
        agreement = widths.count(mode) / len(widths)
        if mode > 1 and agreement >= 0.6 and lone <= len(lines) // 10:
            return delim
    best, best_score = ",", (-1.0, 0)
    for delim in DELIMITERS:
        widths = [len(row) for row in csv.reader(lines, delimiter=delim)]
        mode = max(set(widths), key=widths.count)
        agreement = widths.count(mode) / len(widths)
        score = (agreement if mode > 1 else 0.0, mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def kind(value: str) -> str:
    """``empty``, ``number``, ``time`` or ``text``: what a cell looks like.

    Parameters
    ----------
    value
        One cell's text.

    Returns
    -------
    str
    """
    v = value.strip()
    if not v:
        return "empty"
    if re.fullmatch(_NUMBER, v):
        return "number"
    if re.match(r"^\d{4}-\d{2}-\d{2}|^\w{3} \w{3} \d{2} \d", v) or re.match(
        r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|^\d{1,2}-\w{3}-\d{4}", v
    ):
        return "time"
    return "text"


def detect_header(rows: list[list[str]]) -> bool:
    """Whether the first row is a header: one of its cells is a known column name; or a text cell
    sits above a column that is otherwise numbers or times; or (in any script) every cell is a
    short, distinct text without digits that appears nowhere below it.

    Parameters
    ----------
    rows
        The first rows of the file, as :func:`head_rows` splits them.

    Returns
    -------
    bool
        False for no rows, or a single row that names no known field.
    """
    if not rows:
        return False
    first = rows[0]
    if any(is_known_name(cell) for cell in first):
        return True
    body = rows[1:]
    if not body:
        return False
    for col, cell in enumerate(first):
        kinds = [kind(row[col]) for row in body if col < len(row)]
        kinds = [k for k in kinds if k != "empty"]
        if not kinds:
            continue
        typed = sum(k in ("number", "time") for k in kinds) / len(kinds)
        if kind(cell) == "text" and typed >= 0.8:
            return True
    cells = [c.strip() for c in first]
    names_like = (
        all(kind(c) == "text" and len(c) <= 40 and not re.search(r"\d", c) for c in cells)
        and len(set(cells)) == len(cells)
        and len(cells) > 1
    )
    below = {(i, row[i].strip()) for row in body for i in range(min(len(row), len(cells)))}
    return names_like and not any((i, c) in below for i, c in enumerate(cells))


def unique_names(names: list[str]) -> list[str]:
    """Header cells made usable as column names: blanks become ``column_<i>`` and repeats get
    ``.1``, ``.2`` … suffixes, as pandas numbers them.

    Parameters
    ----------
    names
        The header row's cells.

    Returns
    -------
    list of str
        One distinct name per cell, in order.
    """
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = str(name).strip() or f"column_{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        seen.setdefault(name, 0)
        out.append(name)
    return out


def names_of(rows: list[list[str]], has_header: bool) -> list[str]:
    """The column names Arrow reads the file with.

    Parameters
    ----------
    rows
        The first rows of the file.
    has_header
        Whether ``rows[0]`` is a header.

    Returns
    -------
    list of str
        The header made unique (:func:`unique_names`), or ``"0"``, ``"1"`` … for the most common
        row width when there is no header.
    """
    if has_header and rows:
        return unique_names(rows[0])
    widths = [len(r) for r in rows]
    width = max(set(widths), key=widths.count) if widths else 1
    return [str(i) for i in range(width)]


def read_csv(
    utf8: bytes, has_header: bool | None = None, delimiter: str | None = None
) -> tuple[pa.Table, np.ndarray, pd.DataFrame, str, bool]:
    """Parse UTF-8 delimited text into text columns, setting malformed rows aside.

    Parameters
    ----------
    utf8
        The whole file, UTF-8 encoded.
    has_header
        Whether the first line is a header; None detects it (:func:`detect_header`).
    delimiter
        The separator; None detects it (:func:`detect_delimiter`).

    Returns
    -------
    tuple
        ``(table, row_number, malformed, delimiter, has_header)``: the parsed rows as text columns,
        each one's 1-based row number in the file, the malformed rows (``row_number``,
        ``raw_line``), and the delimiter and header choice used.

    Raises
    ------
    InvalidInputError
        If the file holds nothing but whitespace.
    """
    if not utf8.strip():
        raise InvalidInputError("source: expected delimited text or Parquet, found an empty file")
    if not utf8.endswith(b"\n"):
        utf8 += b"\n"  # Arrow cannot skip a header line that has no line end
    head = utf8[: 1 << 16].decode("utf-8", errors="replace")
    delimiter = delimiter or detect_delimiter(head)
    rows = head_rows(head, delimiter)
    has_header = detect_header(rows) if has_header is None else has_header
    names = names_of(rows, has_header)
    arrow_delim = delimiter
    if len(delimiter) > 1:
        utf8, arrow_delim = (
            utf8.replace(delimiter.encode(), _UNIT_SEPARATOR.encode()),
            _UNIT_SEPARATOR,
        )
    table, bad = _parse_csv(utf8, names, arrow_delim, has_header, threads=True)
    if bad and any(number is None for number, _ in bad):
        table, bad = _parse_csv(utf8, names, arrow_delim, has_header, threads=False)
    offset = 1 if has_header else 0
    bad_rows = np.array([number - offset for number, _ in bad], dtype=np.int64)
    total = table.num_rows + len(bad)
    row_number = np.setdiff1d(np.arange(1, total + 1), bad_rows, assume_unique=True)
    lines = [text.replace(_UNIT_SEPARATOR, delimiter) for _, text in bad]
    malformed = pd.DataFrame({"row_number": bad_rows, "raw_line": lines})
    return table, row_number, malformed, delimiter, has_header


def _parse_csv(
    utf8: bytes, names: list[str], delimiter: str, has_header: bool, threads: bool
) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    bad: list[tuple[int | None, str]] = []

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        bad.append((row.number, row.text))
        return "skip"

    try:
        table = pa_csv.read_csv(
            io.BytesIO(utf8),
            read_options=pa_csv.ReadOptions(
                column_names=names,
                skip_rows=1 if has_header else 0,
                use_threads=threads,
                block_size=1 << 24,
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                # Quoted newlines stop Arrow splitting the file into parallel blocks: allow them
                # only when the file has quotes at all.
                newlines_in_values=b'"' in utf8,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InvalidInputError(f"source: delimited text could not be parsed: {exc}") from exc
    return table, bad
