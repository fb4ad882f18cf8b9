"""Reading pasted or uploaded text for batch sentiment: TXT (one sentence a line) or CSV.

Uploads are bytes from strangers: a binary file renamed ``.csv`` must give a clear
:class:`~cnnapps.errors.InvalidText`, never a pandas traceback. And a file is never read lossily
without saying so: :func:`read_table_report` returns a :class:`ReadReport` (encoding, delimiter,
header or not, rows, and a note for every row it had to repair) for the page's preview.

Detection, in order:

- **Encoding**: a byte-order mark decides (UTF-8-SIG, UTF-16 LE/BE, UTF-32 LE/BE); else strict
  UTF-8; else cp1252 (Windows Western, the encoding of MR and of Excel's "CSV" on Windows);
  else latin-1 is *not* guessed: the file is refused with the byte that failed.
- **Delimiter**: :class:`csv.Sniffer` among ``, ; tab |``; a delimiter that gives most lines a
  different number of fields than the header (a one-column file of sentences with unquoted
  commas) is rejected, and the file is read one line per row.
- **Header**: a first row whose fields are known column names (``text``, ``id``, ``label``...),
  or a column that is numeric in every data row but not in the first row (Sniffer's type test).
  Otherwise the first row is data, never silently dropped. Callers may force ``header=``.
- **Ragged rows**: a row with more fields than the header keeps the extra text inside the text
  column (the unquoted commas were part of a sentence); a row with fewer is padded with "".
  Both are counted in the report's notes.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from cnnapps.errors import InvalidText

__all__ = [
    "MAX_UPLOAD_BYTES",
    "ReadReport",
    "decode_text",
    "decode_text_report",
    "guess_text_column",
    "read_lines",
    "read_table",
    "read_table_report",
]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # 20 MB of text is ~200k sentences: plenty for a page
_SNIFF = 65536  # characters looked at to sniff the delimiter and the binary test
_DELIMITERS = ",;\t|"
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", None: "none (one column)"}
# BOMs, longest first (UTF-32 LE's BOM starts with UTF-16 LE's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE (BOM)"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE (BOM)"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE (BOM)"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE (BOM)"),
)
# Column names that mark a first row as a header (lowercase, stripped).
_HEADER_NAMES = frozenset({
    "id", "idx", "index", "text", "sentence", "sentences", "review", "reviews", "comment", "comments",
    "content", "message", "body", "tweet", "title", "label", "labels", "sentiment", "stars", "rating",
    "score", "date", "name", "author", "user", "category", "class", "phrase", "summary", "feedback",
})
_TEXT_NAMES = ("sentence", "text", "review", "comment", "content", "message", "body", "tweet",
               "phrase", "summary", "feedback")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?$")


@dataclass(frozen=True)
class ReadReport:
    """How an upload was read: shown above the preview so the user can check it."""

    encoding: str  # e.g. "UTF-8", "UTF-16 LE (BOM)", "cp1252"
    delimiter: str | None  # None: one column (TXT, or a CSV read one line per row)
    header: bool  # the first row was taken as column names
    rows: int  # data rows in the table (blank lines are not rows)
    columns: tuple[str, ...]
    blank_lines: int = 0  # empty lines skipped (they hold no text)
    notes: tuple[str, ...] = field(default=())  # every repair made, in words

    @property
    def delimiter_name(self) -> str:
        return _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    def summary(self) -> str:
        """One line for the page, e.g. ``"UTF-8 · comma-separated · header row · 3 rows"``."""
        parts = [self.encoding,
                 "one column" if self.delimiter is None else f"{self.delimiter_name}-separated",
                 "header row" if self.header else "no header row",
                 f"{self.rows:,} row{'s' if self.rows != 1 else ''}"]
        if self.blank_lines:
            parts.append(f"{self.blank_lines:,} blank line{'s' if self.blank_lines != 1 else ''} skipped")
        return " · ".join(parts)


def decode_text_report(data: bytes, *, name: str = "the file") -> tuple[str, str]:
    """``(text, encoding name)``; see the module docstring for the order. Binary raises InvalidText.

    Binary means: a NUL byte in BOM-less data, or more than 5% control characters in the first
    64 KiB once decoded.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidText(f"{name} is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB.")
    text: str | None = None
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                text, encoding = data[len(bom):].decode(codec), label
            except UnicodeDecodeError as err:
                raise InvalidText(f"{name} starts with a {label} byte-order mark but is not valid "
                                  f"{codec} ({err.reason} at byte {err.start + len(bom)}).") from None
            break
    if text is None:
        if b"\x00" in data[:_SNIFF]:
            raise InvalidText(f"{name} looks like a binary file, not text (it contains NUL bytes). "
                              "Upload a CSV or TXT file (UTF-8, UTF-16 with a BOM, or Windows cp1252).")
        try:
            text, encoding = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "cp1252 (Windows)"
            except UnicodeDecodeError as err:
                raise InvalidText(f"{name} is neither UTF-8 nor cp1252 text ({err.reason} at byte "
                                  f"{err.start}). Save it as UTF-8 and upload it again.") from None
    head = text[:_SNIFF]
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\n\r\f")
    if head and controls / len(head) > 0.05:
        raise InvalidText(f"{name} looks like a binary file, not text ({controls} control "
                          "characters near its start). Upload a CSV or TXT file.")
    return text, encoding


def decode_text(data: bytes, *, name: str = "the file") -> str:
    """The text of ``data`` (see :func:`decode_text_report`)."""
    return decode_text_report(data, name=name)[0]


def _split_lines(text: str) -> list[str]:
    # \r\n, \n and a lone \r end a line; Unicode separators (NEL, U+2028) inside a sentence do not.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def read_lines(text: str) -> list[str]:
    """Non-empty lines, stripped (a pasted block or a TXT upload: one sentence per line)."""
    return [line.strip() for line in _split_lines(text) if line.strip()]


def read_table(data: bytes, *, name: str = "upload.csv", header: bool | None = None) -> pd.DataFrame:
    """The upload as a DataFrame of strings (see :func:`read_table_report`)."""
    return read_table_report(data, name=name, header=header)[0]


def read_table_report(
    data: bytes, *, name: str = "upload.csv", header: bool | None = None
) -> tuple[pd.DataFrame, ReadReport]:
    """A CSV or TXT upload as a DataFrame of strings, every row and column kept, and how it was read.

    Args:
        data: the file's bytes.
        name: its name; ``.txt`` means one sentence per line (no header unless ``header=True``).
        header: force the first row to be (True) or not to be (False) column names; None detects.

    A header-less one-column file gets the column ``text``; header-less multi-column files get
    ``column 1``, ``column 2``, ... Raises InvalidText for binary, empty or unreadable input.
    """
    text, encoding = decode_text_report(data, name=name)
    if not text.strip():
        raise InvalidText(f"{name} is empty.")
    lines = _split_lines(text)
    while lines and not lines[-1].strip():
        lines.pop()  # the final newline(s)
    if name.lower().endswith(".txt"):
        return _one_column(lines, encoding, header=bool(header), notes=[])
    delimiter = _sniff_delimiter(text)
    rows: list[list[str]] = []
    if delimiter is not None:
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as err:
            raise InvalidText(f"{name} could not be read as CSV: {err}") from None
        rows = [r for r in rows if any(f.strip() for f in r)]
        if rows and all(len(r) == 1 for r in rows):  # quoted one-column CSV: keep csv's unquoting
            lines = [r[0].replace("\n", " ") for r in rows]
            return _one_column(lines, encoding, header=header, notes=[])
        if not _consistent(rows):
            delimiter = None
    if delimiter is None:
        notes = []
        if any(d in line for line in lines for d in _DELIMITERS):
            notes.append("The rows do not split into the same number of fields on any delimiter, "
                         "so each line was read whole as one text.")
        return _one_column(lines, encoding, header=header, notes=notes)
    return _table(rows, encoding, delimiter, header=header, blank=_blank_count(lines))


def _blank_count(lines: list[str]) -> int:
    return sum(1 for line in lines if not line.strip())


def _sniff_delimiter(text: str) -> str | None:
    sample = text[:_SNIFF]
    if not any(d in sample for d in _DELIMITERS):
        return None
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return "," if "," in sample else None


def _consistent(rows: list[list[str]]) -> bool:
    """True when the delimiter gives a real table: several fields, and most rows have as many
    fields as the most common count (a one-column file with stray commas fails this)."""
    if not rows:
        return False
    counts = Counter(len(r) for r in rows)
    width, n = counts.most_common(1)[0]
    if width < 2:
        return False
    return n / len(rows) >= 0.8 and len(rows[0]) >= 2


def _is_number(value: str) -> bool:
    return bool(_NUMBER.match(value.strip()))


def _detect_header(rows: list[list[str]]) -> bool:
    first = [f.strip() for f in rows[0]]
    if any(f.lower() in _HEADER_NAMES for f in first):
        return True
    if any(_is_number(f) for f in first) or len(rows) < 2:
        return False  # column names are not numbers
    body = rows[1:51]
    for col in range(len(first)):
        values = [r[col] for r in body if col < len(r) and r[col].strip()]
        if values and all(_is_number(v) for v in values):
            return True  # a numeric column whose first cell is a word: a name
    return False


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    seen: Counter[str] = Counter()
    for i, raw in enumerate(names):
        name = raw.strip() or f"column {i + 1}"
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name] - 1}")
    return out


def _one_column(lines: list[str], encoding: str, *, header: bool | None, notes: list[str]
                ) -> tuple[pd.DataFrame, ReadReport]:
    kept = [line.strip() for line in lines if line.strip()]
    if header is None:
        header = bool(kept) and kept[0].lower() in _HEADER_NAMES and len(kept) > 1
    column = "text"
    if header:
        column, kept = (kept[0] or "text"), kept[1:]
    frame = pd.DataFrame({column: pd.Series(kept, dtype=object)})
    report = ReadReport(encoding, None, bool(header), len(kept), (column,), _blank_count(lines),
                        tuple(notes))
    return frame, report


def _table(rows: list[list[str]], encoding: str, delimiter: str, *, header: bool | None, blank: int
           ) -> tuple[pd.DataFrame, ReadReport]:
    if header is None:
        header = _detect_header(rows)
    width = len(rows[0]) if header else Counter(len(r) for r in rows).most_common(1)[0][0]
    names = _unique(rows[0]) if header else [f"column {i + 1}" for i in range(width)]
    body = rows[1:] if header else rows
    text_col = names.index(_guess_by_name(names)) if _guess_by_name(names) else None
    if text_col is None:  # the column with the longest average text
        lengths = [sum(len(r[c]) for r in body if c < len(r)) for c in range(width)]
        text_col = max(range(width), key=lengths.__getitem__) if body else 0
    longer = shorter = 0
    fixed: list[list[str]] = []
    for r in body:
        if len(r) > width:  # the extra delimiters were part of the text
            extra = len(r) - width
            merged = delimiter.join(r[text_col : text_col + extra + 1])
            r = r[:text_col] + [merged] + r[text_col + extra + 1 :]
            longer += 1
        elif len(r) < width:
            r = r + [""] * (width - len(r))
            shorter += 1
        fixed.append(r)
    notes = []
    if longer:
        notes.append(f"{longer:,} row(s) had more fields than the header: the extra "
                     f"{_DELIMITER_NAMES[delimiter]}s were kept inside the column '{names[text_col]}'.")
    if shorter:
        notes.append(f"{shorter:,} row(s) had fewer fields than the header: the missing cells are empty.")
    frame = pd.DataFrame(fixed, columns=names, dtype=object) if fixed else pd.DataFrame(columns=names)
    report = ReadReport(encoding, delimiter, bool(header), len(fixed), tuple(names), blank, tuple(notes))
    return frame, report


def _guess_by_name(names: list[str]) -> str | None:
    lowered = {str(c).strip().lower(): str(c) for c in names}
    for name in _TEXT_NAMES:
        if name in lowered:
            return lowered[name]
    return None


def guess_text_column(frame: pd.DataFrame) -> str:
    """The column that most likely holds the sentences: a conventional name, else the column with
    the longest average string."""
    by_name = _guess_by_name([str(c) for c in frame.columns])
    if by_name is not None:
        return by_name
    lengths = {str(c): frame[c].astype(str).str.len().mean() for c in frame.columns}
    return max(lengths, key=lambda c: lengths[c] if lengths[c] == lengths[c] else -1.0)
