"""What the CSV dataset readers (ACLED, UCDP GED) share: decoding, sniffing, rows with lines.

Dataset CSVs arrive in the state people left them in: saved from Excel in cp1252,
with a BOM, with semicolons in a European locale, with notes spread over several
lines inside quotes. This module turns such a file into a lower-cased header and
rows, each with the physical line it starts on (header = line 1), so that every
problem can point at the line a person would open in an editor.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from warlens import boundary
from warlens.formats import Imported
from warlens.formats.exportdates import DayColumn
from warlens.model import EventIn
from warlens.problems import WARNING, Collector, Problem

#: Delimiters tried on the header line, in order of preference on a tie.
DELIMITERS = (",", ";", "\t")
#: The most a native `Line` field (title, summary, actor, tag) may hold.
MAX_LINE = 2000
#: How much of a file a detector reads to find the header line.
_HEAD_BYTES = 65536
#: How many lines may come before the header (a "(Sample)" note, a blank line...).
PREAMBLE_LINES = 20
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
class CsvTable(Collector):
    """A decoded CSV file: its column names (lower-cased), rows, and reading problems."""

    columns: list[str] = field(default_factory=list)
    rows: list[CsvRow] = field(default_factory=list)
    delimiter: str = ","
    #: The line the header is on: 1 unless notes come before it.
    header_line: int = 1


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


def head_lines(path: Path) -> list[str]:
    """The first lines of a regular file, decoded leniently; reads at most 64 KiB."""
    if not boundary.is_regular(path):
        return []
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if head.startswith(_UTF16_BOMS):
        text = head.decode("utf-16", errors="ignore")
    else:
        try:
            text = head.decode("utf-8-sig")
        except UnicodeDecodeError as exc:  # cut inside a character, or not UTF-8
            text = (head[:exc.start].decode("utf-8-sig") if exc.start > len(head) - 4
                    else head.decode("cp1252", errors="replace"))
    return text.splitlines()[:PREAMBLE_LINES + 1]


def find_header(lines: list[str], signature: tuple[str, ...]) -> int | None:
    """The 0-based index of the first line whose columns include all of `signature`."""
    for i, line in enumerate(lines):
        if set(signature) <= set(split_header(line)):
            return i
    return None


def has_header(path: Path, signature: tuple[str, ...]) -> bool:
    """Whether a .csv file has a header naming every column of `signature` on its
    first line or after a few lines of notes."""
    if path.suffix.lower() != ".csv":
        return False
    return find_header(head_lines(path), signature) is not None


def read_table(path: Path, file: str, aliases: dict[str, str] | None = None,
               signature: tuple[str, ...] = (), *, root: Path | str | None = None) -> CsvTable:
    """Read a whole CSV file into rows with their starting lines; never raises for content.

    The header is the first line holding every column of `signature` (line 1 if none
    does): lines of notes before it are skipped with a warning that quotes them.
    `aliases` renames old column names to current ones (`ally_actor_1` -> `assoc_actor_1`)
    unless the current name is also present. Rows whose number of cells differs from the
    header's are reported and left out: their cells cannot be trusted to sit under the
    right names. Raises OSError if the file cannot be read (`boundary.Refused` for a
    file outside `root`, not regular, or above the dataset size cap).
    """
    data = boundary.read_bytes(path, boundary.CAPS["dataset"], root, "a dataset CSV")
    text, problems = decode(data, file)
    stream = io.StringIO(text, newline="")
    skipped: list[str] = []
    if signature:
        peek = io.StringIO(text[:_HEAD_BYTES * 4], newline="")
        at = find_header([peek.readline() for _ in range(PREAMBLE_LINES + 1)], signature)
        if at:
            for _ in range(at):
                skipped.append(stream.readline().strip())
    offset = len(skipped)
    start = stream.tell()
    header_line = stream.readline()
    stream.seek(start)
    delimiter = sniff_delimiter(header_line)
    reader = csv.reader(stream, delimiter=delimiter)
    table = CsvTable(file, problems, columns=[], delimiter=delimiter, header_line=offset + 1)
    if skipped:
        shown = " / ".join(repr(line[:60]) for line in skipped if line) or "blank"
        lines = "the line" if offset == 1 else f"the {offset} lines"
        table.add(1, "(file)", f"the header is on line {offset + 1}; {lines} before it "
                  f"({shown}) {'was' if offset == 1 else 'were'} skipped as notes",
                  WARNING)
    try:
        header = next(reader)
    except StopIteration:
        table.add(offset + 1, "(file)", "the file is empty: expected a header row")
        return table
    except csv.Error as exc:
        table.add(offset + 1, "(file)", f"the header row cannot be read as CSV: {exc}")
        return table
    columns = [normalize_column(c) for c in header]
    for old, new in (aliases or {}).items():
        if old in columns and new not in columns:
            columns[columns.index(old)] = new
    table.columns = columns
    for line, cells, error in _records(reader):
        line += offset
        if error is not None:
            table.add(line, "(row)", f"cannot be read as CSV: {error}")
            continue
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            table.add(line, "(row)",
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
    """Report required columns absent from the header (at its line); return their names."""
    missing = [c for c in required if c not in table.columns]
    for column in missing:
        table.add(table.header_line, column, "required column is missing from the header; "
                                 "no rows were imported")
    return missing


# --- rows -> documents -----------------------------------------------------------------------

def rows_to_docs(table: CsvTable, days: DayColumn, column: str,
                 build: Callable[[CsvRow, dict[str, int]], dict], no_year: str) -> Imported:
    """One native article document per row of `table`, made by `build(row, seen)`.

    `seen` maps the ids given so far to their rows. A row `build` raises RowError for is
    skipped and said; what `days` noticed about the date `column` is said once, on the
    header, ending with `no_year` when two-digit years had to be given a century.
    """
    result = Imported(problems=table.problems)
    if days.note:
        table.add(table.header_line, column, days.note, WARNING)
    seen: dict[str, int] = {}
    for row in table.rows:
        try:
            doc = build(row, seen)
        except RowError as exc:
            table.add(row.line, exc.column, f"{exc.message}; the row was skipped")
            continue
        seen[doc["id"]] = row.line
        result.docs.append((doc, {(): row.line}))
    if days.two_digit_guessed:
        table.add(table.header_line, column,
                  f"two-digit years (such as '{days.two_digit_guessed}') were given their "
                  f"century by dateutil's rule, as {no_year}", WARNING)
    return result


def record_article(head: dict, notes: list[str], tag: str, source: str, place: dict | None,
                   event: dict) -> dict:
    """The article document of one dataset record (a CSV row, a TimeMap event).

    `head` holds its id, title, outlet, published date and text; then come its notes,
    its one tag, the record it came from (`file:line`), its place if known, and its one
    event (only the keys an event may hold).
    """
    doc = dict(head)
    if notes:
        doc["notes"] = " ".join(notes)
    doc["tags"] = [tag]
    doc["source_file"] = clip(source)
    if place is not None:
        doc["places"] = [place]
    doc["events"] = [{k: event[k] for k in EventIn.model_fields if k in event}]
    return doc


# --- cell values ------------------------------------------------------------------------------

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


def year_cell(row: CsvRow, column: str = "year") -> int | None:
    """The row's year column as a four-digit year, None if absent or unreadable (it only
    lends its century to a two-digit date)."""
    try:
        year = to_int(row.get(column))
    except ValueError:
        return None
    return year if year is not None and 1000 <= year <= 9999 else None


def split_list(text: str, sep: str = ";") -> list[str]:
    """A delimited cell as its non-empty, stripped parts, without repeats."""
    parts: list[str] = []
    for part in text.split(sep):
        part = part.strip()
        if part and part not in parts:
            parts.append(part)
    return parts
