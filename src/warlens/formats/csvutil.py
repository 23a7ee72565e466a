"""What the CSV dataset readers (ACLED, UCDP GED) share: decoding, sniffing, rows with lines.

Dataset CSVs arrive in the state people left them in: saved from Excel in cp1252,
with a BOM, with semicolons in a European locale, with notes spread over several
lines inside quotes. This module turns such a file into a lower-cased header and
rows, each with the physical line it starts on (header = line 1), so that every
problem can point at the line a person would open in an editor.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from warlens.problems import ERROR, WARNING, Problem, Severity

#: Delimiters tried on the header line, in order of preference on a tie.
DELIMITERS = (",", ";", "\t")
#: The most a native `Line` field (title, summary, actor, tag) may hold.
MAX_LINE = 2000
#: How much of a file a detector reads to find the first line.
_HEAD_BYTES = 65536
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass
class CsvRow:
    """One record: the line it starts on and its cells by lower-case column name."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        """The stripped cell of `column`, "" if the column is absent or empty."""
        return self.cells.get(column, "").strip()


@dataclass
class CsvTable:
    """A decoded CSV file: its column names (lower-cased), rows, and reading problems."""

    file: str
    columns: list[str]
    rows: list[CsvRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    delimiter: str = ","

    def problem(self, line: int | None, column: str, message: str,
                severity: Severity = ERROR) -> None:
        """Record a problem at `line` concerning `column`."""
        self.problems.append(Problem(self.file, line, column, message, severity))


def decode(data: bytes, file: str) -> tuple[str, list[Problem]]:
    """Bytes -> text: UTF-8 (BOM or not), UTF-16 with a BOM, else cp1252 with a warning."""
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace"), []
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        warning = Problem(
            file, line, "(file)",
            f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02X} at byte offset "
            f"{exc.start}); read as Windows-1252 (cp1252): check accented names, or save the "
            "file as UTF-8", WARNING)
        return data.decode("cp1252", errors="replace"), [warning]


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a CSV file, judged from its header line (comma, semicolon or tab).

    A header holds names, not free text, so the character that splits it most is the
    delimiter; csv.Sniffer guesses wrongly on one line and is not needed here.
    """
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def split_header(header_line: str) -> list[str]:
    """The column names of a header line, lower-cased and stripped of quotes and BOM."""
    line = header_line.lstrip("\ufeff").rstrip("\r\n")
    cells = next(csv.reader([line], delimiter=sniff_delimiter(line)), [])
    return [normalize_column(c) for c in cells]


def normalize_column(name: str) -> str:
    """A column name as the readers look it up: `EVENT_DATE ` -> `event_date`."""
    return name.strip().strip('"').strip().lower()


def first_line(path: Path) -> str:
    """The first line of a file, decoded leniently; reads at most 64 KiB."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if head.startswith(_UTF16_BOMS):
        text = head.decode("utf-16", errors="ignore")
    else:
        try:
            text = head.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = head.decode("cp1252", errors="replace")
    return text.splitlines()[0] if text else ""


def header_of(path: Path) -> set[str]:
    """The lower-cased column names of a .csv file's header line; empty for other files."""
    if path.suffix.lower() != ".csv" or not path.is_file():
        return set()
    return set(split_header(first_line(path)))


def read_table(path: Path, file: str, aliases: dict[str, str] | None = None) -> CsvTable:
    """Read a whole CSV file into rows with their starting lines; never raises for content.

    `aliases` renames old column names to current ones (`ally_actor_1` -> `assoc_actor_1`)
    unless the current name is also present. Rows whose number of cells differs from the
    header's are reported and left out: their cells cannot be trusted to sit under the
    right names. Raises OSError if the file cannot be read.
    """
    text, problems = decode(path.read_bytes(), file)
    stream = io.StringIO(text, newline="")
    header_line = stream.readline()
    stream.seek(0)
    delimiter = sniff_delimiter(header_line)
    reader = csv.reader(stream, delimiter=delimiter)
    table = CsvTable(file, [], problems=problems, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        table.problem(1, "(file)", "the file is empty: expected a header row")
        return table
    except csv.Error as exc:
        table.problem(1, "(file)", f"the header row cannot be read as CSV: {exc}")
        return table
    columns = [normalize_column(c) for c in header]
    for old, new in (aliases or {}).items():
        if old in columns and new not in columns:
            columns[columns.index(old)] = new
    table.columns = columns
    for line, cells, error in _records(reader):
        if error is not None:
            table.problem(line, "(row)", f"cannot be read as CSV: {error}")
            continue
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            table.problem(line, "(row)",
                          f"has {len(cells)} cells but the header has {len(columns)} columns "
                          f"(a stray '{delimiter}' or quote?); the row was skipped")
            continue
        named: dict[str, str] = {}
        for name, cell in zip(columns, cells, strict=True):
            named.setdefault(name, cell)
        table.rows.append(CsvRow(line, named))
    return table


def _records(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str], str | None]]:
    """(starting line, cells, csv error or None) for each record after the header.

    csv.reader's line_num is the physical line the record *ended* on, so a record
    starts one line after the previous one ended, however many lines its quoted
    cells span.
    """
    ended = reader.line_num  # type: ignore[attr-defined]
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            now = reader.line_num  # type: ignore[attr-defined]
            yield ended + 1, [], str(exc)
            ended = now
            continue
        now = reader.line_num  # type: ignore[attr-defined]
        yield ended + 1, cells, None
        ended = now


def missing_columns(table: CsvTable, required: tuple[str, ...]) -> list[str]:
    """Report required columns absent from the header (line 1); return their names."""
    missing = [c for c in required if c not in table.columns]
    for column in missing:
        table.problem(1, column, "required column is missing from the header; "
                                 "no rows were imported")
    return missing


# --- cell values ------------------------------------------------------------------------------

_SLUG_BAD = re.compile(r"[^a-z0-9_-]+")


def slugify(text: str, max_len: int = 100) -> str:
    """A native id from any text: `UKR12345` -> `ukr12345`, `Zone 3/B` -> `zone-3-b`."""
    slug = _SLUG_BAD.sub("-", text.strip().lower()).strip("-_")
    return slug[:max_len].rstrip("-_")


def clip(text: str, limit: int = MAX_LINE) -> str:
    """Text cut to a native `Line` field's length, single-lined, an ellipsis marking a cut."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "\u2026"


def to_float(text: str) -> float | None:
    """A decimal number, accepting a decimal comma; None for an empty cell.

    Raises ValueError for text that is not a number (or is NaN/infinite).
    """
    value = text.strip()
    if not value:
        return None
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(value)
    return number


def to_int(text: str) -> int | None:
    """A whole number ("12", "12.0"); None for an empty cell. Raises ValueError otherwise."""
    value = text.strip()
    if not value:
        return None
    number = to_float(value)
    if number is None or number != int(number):
        raise ValueError(value)
    return int(number)


class RowError(Exception):
    """A record that cannot be imported: the column at fault and why."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def number_cell(row: CsvRow, column: str) -> float | None:
    """The cell of `column` as a number (None if empty); RowError if it is not one."""
    try:
        return to_float(row.get(column))
    except ValueError:
        raise RowError(column, f"{row.get(column)!r} is not a number") from None


def whole_cell(row: CsvRow, column: str) -> int | None:
    """The cell of `column` as a whole number >= 0 (None if empty); RowError otherwise."""
    try:
        value = to_int(row.get(column))
    except ValueError:
        raise RowError(column, f"{row.get(column)!r} is not a whole number") from None
    if value is not None and value < 0:
        raise RowError(column, f"{value} is negative")
    return value


def lat_lon(row: CsvRow, lat_column: str = "latitude",
            lon_column: str = "longitude") -> tuple[float | None, float | None]:
    """A row's coordinates, both or neither; RowError naming the bad column otherwise."""
    lat, lon = number_cell(row, lat_column), number_cell(row, lon_column)
    if lat is None and lon is not None:
        raise RowError(lat_column, "is empty but the longitude is given")
    if lon is None and lat is not None:
        raise RowError(lon_column, "is empty but the latitude is given")
    if lat is not None and not -90 <= lat <= 90:
        raise RowError(lat_column, f"{lat} is out of range (-90 to 90)")
    if lon is not None and not -180 <= lon <= 180:
        raise RowError(lon_column, f"{lon} is out of range (-180 to 180)")
    return lat, lon


_MONTHS = {name: i for i, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"), 1)}
_MONTHS.update({name[:3]: i for name, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_NAMED = re.compile(r"(\d{1,2})[ -]([a-z]+)\.?,?[ -](\d{4})")
_NAMED_US = re.compile(r"([a-z]+)\.? (\d{1,2}),? (\d{4})")


def parse_day(text: str, *, day_first: bool = True) -> datetime.date:
    """A calendar day in the forms datasets use; raises ValueError naming the text.

    ISO (`2023-05-12`, with an optional time after it), numeric with the day first
    (`12-05-2023`, `12/05/2023`) or, with `day_first=False`, the month first
    (`5/12/2023`), and named months (`12 May 2023`, `12-May-2023`, `May 12, 2023`).
    """
    value = " ".join(text.strip().lower().split())
    if m := _ISO_DAY.fullmatch(value):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DAY_FIRST.fullmatch(value):
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        d, mo = (a, b) if day_first else (b, a)
    elif (m := _NAMED.fullmatch(value)) and m[2] in _MONTHS:
        d, mo, y = int(m[1]), _MONTHS[m[2]], int(m[3])
    elif (m := _NAMED_US.fullmatch(value)) and m[1] in _MONTHS:
        mo, d, y = _MONTHS[m[1]], int(m[2]), int(m[3])
    else:
        raise ValueError(f"unknown date form {text.strip()!r}")
    try:
        return datetime.date(y, mo, d)
    except ValueError as exc:
        raise ValueError(f"{text.strip()!r} is not a calendar day ({exc})") from None


def split_list(text: str, sep: str = ";") -> list[str]:
    """A delimited cell as its non-empty, stripped parts, without repeats."""
    parts: list[str] = []
    for part in text.split(sep):
        part = part.strip()
        if part and part not in parts:
            parts.append(part)
    return parts
