"""What the CSV dataset readers (ACLED, UCDP GED) share: decoding, sniffing, rows with lines.

Dataset CSVs arrive in the state people left them in: saved from Excel in cp1252,
with a BOM, with semicolons in a European locale, with notes spread over several
lines inside quotes. This module turns such a file into a lower-cased header and
rows, each with the physical line it starts on (header = line 1), so that every
problem can point at the line a person would open in an editor.

A dataset format is declared as one `CsvExport` (how a file is recognised, which
columns it needs and dates by, how a row becomes an article); its `detect` and
`read` follow from that, and the readers keep only what a row of theirs means.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from warlens import boundary
from warlens.formats import Imported
from warlens.formats.exportdates import DayColumn
from warlens.problems import WARNING, Collector, Problem
from warlens.text import key_slug

#: Delimiters tried on the header line, in order of preference on a tie.
DELIMITERS = (",", ";", "\t")
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

    def keep_without(self, row: CsvRow, exc: RowError, what: str) -> None:
        """Warn that a bad value was left out and the row kept: `what` says how."""
        self.add(row.line, exc.column, f"{exc.message}; {what}", WARNING)


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


def read_table(path: Path, file: str, aliases: Mapping[str, str] | None = None,
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
    skipped = _skip_notes(text, stream, signature)
    offset = len(skipped)
    start = stream.tell()
    header_line = stream.readline()
    stream.seek(start)
    delimiter = sniff_delimiter(header_line)
    reader = csv.reader(stream, delimiter=delimiter)
    table = CsvTable(file, problems, columns=[], delimiter=delimiter, header_line=offset + 1)
    if skipped:
        table.add(1, "(file)", notes_skipped(skipped), WARNING)
    try:
        header = next(reader)
    except StopIteration:
        table.add(offset + 1, "(file)", "the file is empty: expected a header row")
        return table
    except csv.Error as exc:
        table.add(offset + 1, "(file)", f"the header row cannot be read as CSV: {exc}")
        return table
    table.columns = _column_names(header, aliases or {})
    _read_rows(reader, offset, table)
    return table


def notes_skipped(skipped: list[str]) -> str:
    """What is said of the lines (stripped) found before a file's header."""
    offset = len(skipped)
    shown = " / ".join(repr(line[:60]) for line in skipped if line) or "blank"
    lines = "the line" if offset == 1 else f"the {offset} lines"
    return (f"the header is on line {offset + 1}; {lines} before it ({shown}) "
            f"{'was' if offset == 1 else 'were'} skipped as notes")


def _skip_notes(text: str, stream: io.StringIO, signature: tuple[str, ...]) -> list[str]:
    """Read past the lines before the header (the first holding all of `signature`);
    return them, stripped, for the warning that quotes them."""
    if not signature:
        return []
    peek = io.StringIO(text[:_HEAD_BYTES * 4], newline="")
    at = find_header([peek.readline() for _ in range(PREAMBLE_LINES + 1)], signature)
    return [stream.readline().strip() for _ in range(at or 0)]


def _column_names(header: list[str], aliases: Mapping[str, str]) -> list[str]:
    """The header's names as the readers look them up, old names given their new ones."""
    columns = [normalize_column(c) for c in header]
    for old, new in aliases.items():
        if old in columns and new not in columns:
            columns[columns.index(old)] = new
    return columns


def _read_rows(reader: Iterator[list[str]], offset: int, table: CsvTable) -> None:
    """Add each record after the header to `table` as a row by column name; a record
    that is not CSV or has another number of cells than the header is said, not kept."""
    columns = table.columns
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
                      f"(a stray '{table.delimiter}' or quote?); the row was skipped")
            continue
        named: dict[str, str] = {}
        for name, cell in zip(columns, cells, strict=True):
            named.setdefault(name, cell)
        table.rows.append(CsvRow(line, named))


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


#: build(row, table, seen, days) -> the row's article document; RowError to skip the row.
RowBuilder = Callable[[CsvRow, CsvTable, dict[str, int], DayColumn], dict]


@dataclass(frozen=True)
class CsvExport:
    """A dataset CSV format declared once; its `detect` and `read` follow from it.

    `signature`: the columns a file is recognised by, in a header within its first
    lines. `required`: the columns without which no row means anything.
    `date_columns`: the columns holding dates written alike, decided on together (the
    first is where what was decided is said). `build` turns one row into an article.
    `no_year` ends the note on two-digit years given a century. `aliases` renames old
    column names to current ones.
    """

    signature: tuple[str, ...]
    required: tuple[str, ...]
    date_columns: tuple[str, ...]
    build: RowBuilder
    no_year: str
    aliases: Mapping[str, str] | None = None

    def detect(self, path: Path) -> bool:
        """Whether `path` is a .csv file with this format's header."""
        return has_header(path, self.signature)

    def read(self, path: Path, display: str, *, root: Path | str | None = None) -> Imported:
        """One native article per row of the file, with every problem said on its line.

        A file without the required columns imports nothing (each missing one is said);
        a row that cannot be imported is skipped and said; the rest import. Raises
        OSError if the file cannot be read.
        """
        table = read_table(path, display, self.aliases, self.signature, root=root)
        if not table.columns or missing_columns(table, self.required):
            return Imported(problems=table.problems)
        days = DayColumn(self.date_columns[0], (row.get(column) for row in table.rows
                                                for column in self.date_columns))
        return rows_to_docs(table, days, self.date_columns[0],
                            lambda row, seen: self.build(row, table, seen, days), self.no_year)


def record_id(row: CsvRow, column: str, prefix: str, seen: dict[str, int]) -> tuple[str, str]:
    """The row's record id (the cell of `column`) and its article id, `prefix-<id>`;
    RowError when the cell is empty or the id was imported from an earlier row."""
    raw = row.get(column)
    if not raw:
        raise RowError(column, "is empty")
    article_id = key_slug(f"{prefix}-{raw}")
    if article_id in seen:
        raise RowError(column, f"'{raw}' was already imported from line {seen[article_id]}")
    return raw, article_id


# --- cell values ------------------------------------------------------------------------------

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


def day_cell(row: CsvRow, column: str, days: DayColumn) -> datetime.date:
    """The day the cell of `column` gives, its century from the row's year column if it
    needs one; RowError naming the column when it gives none."""
    try:
        return days.day(row.get(column), year_cell(row))
    except ValueError as exc:
        raise RowError(column, str(exc)) from None


def coordinates(row: CsvRow, table: CsvTable) -> tuple[float | None, float | None]:
    """The row's latitude and longitude (see `lat_lon`); bad ones are left out with a
    warning, and the place is kept by its name."""
    try:
        return lat_lon(row)
    except RowError as exc:
        table.keep_without(row, exc, "the place was imported by its name, without coordinates")
        return None, None
