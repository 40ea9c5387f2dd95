"""Bytes to text: the encoding of a file's bytes, and the bytes re-encoded as UTF-8."""

from __future__ import annotations

from core.errors import InvalidInputError

__all__ = ["detect_encoding", "to_utf8"]


def detect_encoding(data: bytes) -> str:
    """The text encoding of ``data``.

    A BOM, UTF-16 by its zero bytes, strict UTF-8, else cp1252 (or Latin-1 where cp1252 has holes).
    Never guesses a single-byte code page for valid UTF-8.

    Parameters
    ----------
    data
        The raw bytes; a head sample is enough.

    Returns
    -------
    str
        A Python codec name, e.g. ``"utf-8"``, ``"utf-8-sig"``, ``"utf-16-le"``, ``"cp1252"``.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even == 0:
            return "utf-16-le"
        if even > len(head) // 4 and odd == 0:
            return "utf-16-be"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A head cut inside a multi-byte character (Chinese text) is still UTF-8.
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            return "utf-8"
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def to_utf8(data: bytes, encoding: str) -> bytes:
    """``data`` re-encoded as UTF-8 without a BOM.

    Parameters
    ----------
    data
        Text bytes.
    encoding
        Their encoding (e.g. from :func:`detect_encoding`).

    Returns
    -------
    bytes
        UTF-8 text, a BOM removed.

    Raises
    ------
    InvalidInputError
        If ``data`` does not decode in ``encoding``.
    """
    if encoding not in ("utf-8", "utf8", "ascii"):
        try:
            data = data.decode(encoding).encode("utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise InvalidInputError(
                f"encoding: expected text in {encoding!r}, found bytes it cannot decode ({exc})"
            ) from exc
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


# ----------------------------------------------------------------------------- other formats
