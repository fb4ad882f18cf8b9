"""Reading pasted or uploaded text for batch sentiment: TXT (one sentence a line) or CSV.

Uploads are bytes from strangers: a binary file renamed ``.csv`` must give a clear
:class:`~cnnapps.errors.InvalidText`, never a pandas traceback.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from cnnapps.errors import InvalidText

__all__ = ["MAX_UPLOAD_BYTES", "decode_text", "guess_text_column", "read_lines", "read_table"]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # 20 MB of text is ~200k sentences: plenty for a page
_SNIFF = 8192


def decode_text(data: bytes, *, name: str = "the file") -> str:
    """UTF-8 (BOM allowed), else cp1252 (MR's encoding); binary data raises InvalidText.

    Binary means: a NUL byte, or more than 5% control characters in the first 8 KiB once decoded.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidText(f"{name} is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB.")
    if b"\x00" in data[:_SNIFF]:
        raise InvalidText(f"{name} looks like a binary file, not text (it contains NUL bytes). "
                          "Upload a UTF-8 CSV or TXT file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as err:
            raise InvalidText(f"{name} is neither UTF-8 nor cp1252 text ({err.reason} at byte "
                              f"{err.start}). Upload a UTF-8 CSV or TXT file.") from None
    head = text[:_SNIFF]
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\n\r\f")
    if head and controls / len(head) > 0.05:
        raise InvalidText(f"{name} looks like a binary file, not text ({controls} control "
                          "characters in its first 8 KiB). Upload a UTF-8 CSV or TXT file.")
    return text


def read_lines(text: str) -> list[str]:
    """Non-empty lines, stripped (a pasted block or a TXT upload: one sentence per line)."""
    return [line.strip() for line in text.split("\n") if line.strip()]


def read_table(data: bytes, *, name: str = "upload.csv") -> pd.DataFrame:
    """A CSV (delimiter sniffed among , ; tab |) or TXT upload as a DataFrame of strings.

    A TXT file becomes one column ``text``. Raises InvalidText for binary or unparseable input.
    """
    text = decode_text(data, name=name)
    if not text.strip():
        raise InvalidText(f"{name} is empty.")
    if name.lower().endswith(".txt"):
        return pd.DataFrame({"text": read_lines(text)})
    try:
        dialect = csv.Sniffer().sniff(text[:_SNIFF], delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise InvalidText(f"{name} could not be read as CSV: {err}") from None
    if frame.shape[1] == 0:
        raise InvalidText(f"{name} has no columns.")
    return frame


_TEXT_NAMES = ("sentence", "text", "review", "comment", "content", "message", "body")


def guess_text_column(frame: pd.DataFrame) -> str:
    """The column that most likely holds the sentences: a conventional name, else the column with
    the longest average string."""
    lowered = {str(c).strip().lower(): c for c in frame.columns}
    for name in _TEXT_NAMES:
        if name in lowered:
            return str(lowered[name])
    lengths = {str(c): frame[c].astype(str).str.len().mean() for c in frame.columns}
    return max(lengths, key=lambda c: lengths[c] if lengths[c] == lengths[c] else -1.0)
