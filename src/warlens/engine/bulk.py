"""Big event datasets straight into an engine: ACLED, UCDP GED and GDELT files of millions
of rows, no YAML.

The app reads a dataset row by row into article documents (`formats.acled`,
`formats.ucdp`, `formats.gdelt`), which is right for a country file and far too slow for
a full export. Here DuckDB reads the file (`read_csv`, every cell as text) and SQL makes
the articles, events and places rows. The mapping is the reader's own, applied once per
distinct value rather than once per row: the reader's functions (event types, precisions,
country codes, the dates its `DayColumn` reads, UCDP's estimates) run on each distinct
combination of the cells they read, and come back as small lookup tables that the SQL
joins, with what they said about those values; what is left per row (texts, titles,
tags) is SQL written as the twin of the reader's Python. Each row keeps its provenance:
the file's path inside the data folder and the line the record starts on (worked out from
the file's bytes, quoted line breaks and all).

Nothing is dropped without a word: a record CSV parsing rejects, a row with no id or an
id already loaded, is an error naming file, line and column; a bad value (an unreadable
date, coordinates out of range, an unknown type or precision) is a warning and the row
loads without it, as the app loads it.

On PostgreSQL and Spark the rows are made the same way in an in-memory DuckDB and copied
over in Arrow batches.
"""

# ruff: noqa: S608 - the SQL here is put together from this module's own table and column
# names; text from the file reaches it only as a parameter or through `_literal`.
from __future__ import annotations

import contextlib
import hashlib
import itertools
import mmap
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from warlens import boundary, dates
from warlens.engine import schema
from warlens.engine.schema import DOC, ID_LINE, KIND, SRC
from warlens.formats import acled, csvutil, gdelt, ucdp
from warlens.formats.exportdates import DayColumn
from warlens.model import Col
from warlens.problems import ERROR, WARNING, Problem
from warlens.text import _KEY_BAD, MAX_LINE

if TYPE_CHECKING:
    from warlens.engine.store import Store

#: The dataset formats loaded in bulk, by name.
FORMATS = ("acled", "ucdp", "gdelt")
#: Rows copied to a non-DuckDB engine at a time.
BATCH_ROWS = 200_000


class BulkError(ValueError):
    """A dataset that cannot be loaded in bulk (its rows are then parsed like any file)."""


@dataclass(frozen=True)
class Loaded:
    """What a bulk load put in: the file's digest, the rows loaded, the rows refused."""

    digest: str
    rows: int
    refused: int = 0


def bulk_format(path: Path, root: Path | str | None = None) -> str | None:
    """The dataset format of a CSV this module loads in bulk, or None."""
    if not boundary.is_regular(path, root):
        return None
    with contextlib.suppress(OSError):
        for fmt in (acled, ucdp, gdelt):
            if fmt.detect(path):
                return fmt.NAME
    return None


def file_digest(path: str) -> str:
    """The file's content digest as `cache.file_digest` gives it, read a block at a time."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:  # noqa: PTH123
        while block := handle.read(1 << 24):
            digest.update(block)
    return digest.hexdigest()


def record_lines(path: str, header_index: int, block: int = 1 << 26, *,
                 quoted: bool = True) -> np.ndarray:
    """The line each data record of a CSV file starts on (1-based), blank lines left out.

    A record ends at a line break outside quotes: counted on the bytes with numpy, a
    block at a time (memory stays at a few times `block` whatever the file's size), so
    that a 500 MB file takes seconds. Doubled quotes inside a quoted cell keep the count
    even, as CSV means them to. `quoted` False: a file whose cells are never quoted
    (GDELT's), where every line break ends a record. `header_index` -1: no header.
    """
    firsts: list[np.ndarray] = [np.array([1], dtype=np.int64)]
    blanks: list[np.ndarray] = []
    quotes_before = 0  # quotes in the blocks before this one
    lines_before = 0  # line breaks in the blocks before this one
    last_end = -1  # offset of the last record-ending break so far
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0,  # noqa: PTH123
                                               access=mmap.ACCESS_READ) as data:
        size = len(data)
        for offset in range(0, size, block):
            raw = np.frombuffer(data, dtype=np.uint8, count=min(block, size - offset),
                                offset=offset)
            breaks = np.flatnonzero(raw == 0x0A)
            quotes = np.flatnonzero(raw == 0x22) if quoted else np.empty(0, np.int64)
            outside = (np.searchsorted(quotes, breaks) + quotes_before) % 2 == 0
            ends = breaks[outside] + offset
            # the record after each end starts on the line after it
            firsts.append(np.flatnonzero(outside).astype(np.int64) + lines_before + 2)
            # a record is blank when it ends right after the previous end (or a lone \r)
            previous = np.concatenate(([last_end], ends[:-1]))
            gap = ends - previous
            carriage = np.zeros(len(ends), dtype=bool)
            inside = gap == 2
            if inside.any():
                carriage[inside] = np.frombuffer(data, dtype=np.uint8)[ends[inside] - 1] == 0x0D
            blanks.append((gap == 1) | carriage)
            if len(ends):
                last_end = int(ends[-1])
            quotes_before += len(quotes)
            lines_before += len(breaks)
            del raw
    starts = np.concatenate(firsts)
    # blanks[k] says whether the record *ending* at end k is blank: record k (0-based)
    blank = np.concatenate([*blanks, [last_end >= size - 1]])
    records = starts[~blank]
    # the records after the header's line (blank lines in the notes before it are no records)
    return records[records > header_index + 1]


def load_file(store: Store, key: str, path: str, display: str, *,
              root: Path | str | None = None) -> Loaded:
    """Load one dataset CSV found in the folder (`key` its absolute path, `path` inside
    the folder, `display` as problems name it) into the store's tables."""
    fmt = bulk_format(Path(key), root)
    loaders = {acled.NAME: _load_acled, ucdp.NAME: _load_ucdp, gdelt.NAME: _load_gdelt}
    if fmt not in loaders:
        raise BulkError(f"{display}: not a dataset this build loads in bulk")
    boundary.contained(key, root)
    return loaders[fmt](store, key, path, display)


def inside_folder(path: Path | str, root: Path) -> str:
    """`path` (a dataset named on the command line) as a path inside the data folder;
    BulkError when it is not an event dataset there."""
    key = str(Path(path).resolve())
    prefix = str(root).rstrip("/") + "/"
    if not key.startswith(prefix) or not boundary.is_regular(key, root):
        raise BulkError(f"{path}: give a regular file inside the data folder {root}")
    if bulk_format(Path(key), root) is None:
        raise BulkError(f"{path}: not an event dataset this build loads in bulk "
                        f"(formats: {', '.join(FORMATS)}); an ACLED CSV has event_id_cnty "
                        "and event_date in its header, a UCDP GED CSV date_start, where_prec "
                        "and side_a, a GDELT export 61, 58 or 57 tab-separated cells a line")
    return key[len(prefix):]


def lines_at(path: str, offsets: list[int], block: int = 1 << 26) -> list[int]:
    """The 1-based line of each byte offset of a file, counted a block at a time."""
    wanted = np.asarray(offsets, dtype=np.int64)
    found = np.zeros(len(wanted), dtype=np.int64)
    lines_before = 0
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0,  # noqa: PTH123
                                               access=mmap.ACCESS_READ) as data:
        size = len(data)
        for offset in range(0, size, block):
            count = min(block, size - offset)
            breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8, count=count,
                                                  offset=offset) == 0x0A) + offset
            inside = (wanted >= offset) & (wanted < offset + count)
            found[inside] = lines_before + np.searchsorted(breaks, wanted[inside]) + 1
            lines_before += len(breaks)
    return [int(x) for x in found]


#: DuckDB's names for a record with another number of cells than the header's.
_WRONG_LENGTH = ("MISSING COLUMNS", "TOO MANY COLUMNS")


def _refused(db: object, key: str, rejects: str) -> list[tuple[int, str, str]]:
    """The records DuckDB's CSV reader refused, once each: (the line the record starts
    on, the column at fault or '(row)', DuckDB's message). DuckDB's own `line` counts
    records, not lines, so the line is worked out from the record's byte offset."""
    found = db.execute(f"SELECT line_byte_position, any_value(column_name ORDER BY column_idx), "
                       f"any_value(error_type ORDER BY column_idx), "
                       f"any_value(error_message ORDER BY column_idx) FROM {rejects} "
                       "GROUP BY line_byte_position ORDER BY line_byte_position").fetchall()
    lines = lines_at(key, [int(r[0]) for r in found])
    return [(line, "(row)" if str(kind) in _WRONG_LENGTH else (column or "(row)"), message)
            for line, (_, column, kind, message) in zip(lines, found, strict=True)]


def _read_rows(db: object, key: str, display: str, header_index: int, columns: list[str],
               delimiter: str, raw: str, *, quoted: bool = True) -> tuple[list, list[Problem]]:
    """Read a CSV's records into temp tables `raw` (every cell as text) and `raw`_l (the
    same with `_line`, the line each record starts on); returns the records the CSV
    reader refused (line, column, message) and a note when the file is not UTF-8.

    `header_index` is the header's 0-based line (-1 for a file without a header);
    `quoted` False reads a file whose cells are never quoted (GDELT's), one record a line.
    """
    tag = raw.rsplit("_", 1)[-1]
    rejects, scan = f"{raw}_rej", f"{raw}_scan"
    names = ", ".join(_literal(c) for c in columns)
    quoting = "quote='\"', escape='\"'" if quoted else "quote='', escape=''"
    notes: list[Problem] = []
    for encoding in ("utf-8", "latin-1"):
        for name in (raw, rejects, scan):
            db.execute(f"DROP TABLE IF EXISTS {name}")
        db.execute(
            f"CREATE TEMP TABLE {raw} AS SELECT * FROM read_csv(?, header=false, skip=?, "
            f"names=[{names}], all_varchar=true, delim=?, {quoting}, "
            f"ignore_errors=true, store_rejects=true, rejects_table='{rejects}', "
            f"rejects_scan='{scan}', strict_mode=false, encoding='{encoding}')",
            [key, header_index + 1, delimiter])
        refused = _refused(db, key, rejects)
        bad_text = [r for r in refused if "unicode" in str(r[2]).lower()]
        if not bad_text:
            break
        # as csvutil.decode does: a file that is not UTF-8 is read as a Windows one
        notes = [Problem(display, int(bad_text[0][0]), "(file)",
                         "the file is not valid UTF-8; read as Latin-1 (ISO 8859-1): "
                         "check accented names, or save the file as UTF-8", WARNING)]
    for name in (rejects, scan):
        db.execute(f"DROP TABLE IF EXISTS {name}")
    starts = record_lines(key, header_index, quoted=quoted)
    refused_lines = {int(r[0]) for r in refused}
    kept = starts[~np.isin(starts, np.fromiter(refused_lines, dtype=np.int64,
                                               count=len(refused_lines)))]
    n_rows = db.execute(f"SELECT count(*) FROM {raw}").fetchone()[0]
    if n_rows != len(kept):
        raise BulkError(f"{display}: {n_rows} rows read but {len(kept)} records found; "
                        "its lines cannot be told")
    db.register(f"_lines_{tag}", pa.table({"_line": pa.array(kept)}))
    db.execute(f"CREATE TEMP TABLE {raw}_l AS SELECT r.*, l._line FROM "
               f"(SELECT *, row_number() OVER () - 1 AS _i FROM {raw}) r "
               f"JOIN (SELECT _line, row_number() OVER () - 1 AS _i FROM _lines_{tag}) l "
               "USING (_i)")
    db.unregister(f"_lines_{tag}")
    return refused, notes


def _header(key: str, display: str, signature: tuple[str, ...], name: str
            ) -> tuple[list[str], int, str]:
    """A dataset CSV's first lines, the index of its header line among them, and the header
    (a file without one is refused, naming it)."""
    lines = csvutil.head_lines(Path(key))
    index = csvutil.find_header(lines, signature)
    if index is None:
        raise BulkError(f"{display}: no {name} header in its first lines")
    return lines, index, lines[index]


# --- ACLED ------------------------------------------------------------------------------------


def _load_acled(store: Store, key: str, path: str, display: str) -> Loaded:
    """An ACLED CSV through DuckDB: rows with lines, lookups, then SQL inserts."""
    import duckdb

    lines, header_index, header = _header(key, display, acled.SIGNATURE, "ACLED")
    columns = [acled.ALIASES.get(c, c) for c in csvutil.split_header(header)]
    delimiter = csvutil.sniff_delimiter(header)
    checked = csvutil.CsvTable(display, columns=columns, header_line=header_index + 1)
    if csvutil.missing_columns(checked, acled.REQUIRED):
        store.append("problems", _problem_frame(checked.problems, path))
        return Loaded(file_digest(key), 0)
    own = store.backend == "duckdb"
    db = store.con.con if own else duckdb.connect()
    tag = uuid.uuid4().hex[:8]
    raw = f"_acled_raw_{tag}"
    try:
        refused, notes = _read_rows(db, key, display, header_index, columns, delimiter, raw)
        notes += _preamble(lines, header_index, display)
        notes += [Problem(display, header_index + 1, "event_date", note, WARNING)
                  for note in _register_lookups(db, raw, columns, tag)]
        problems = _acled_problems(db, raw, tag, refused, display)
        counts = _acled_rows(db, store, own, raw, tag, path, display)
        store.append("problems", _problem_frame(notes, path))
        store.append("problems", problems.to_pandas().assign(
            **{SRC: path, KIND: schema.KIND_FILE}))
    finally:
        for name in (raw, f"{raw}_l", f"{raw}_sel", f"{raw}_ok"):
            with contextlib.suppress(Exception):
                db.execute(f"DROP TABLE IF EXISTS {name}")
        for lookup in ("days", "types", "geo", "iso", "gaz", "names"):
            with contextlib.suppress(Exception):
                db.unregister(f"_acled_{lookup}_{tag}")
        if not own:
            db.close()
    return Loaded(file_digest(key), counts, len(refused))


def _preamble(lines: list[str], header_index: int, display: str) -> list[Problem]:
    """The warning on lines of notes before a CSV's header, as `csvutil.read_table` says
    it (none when the header is on line 1)."""
    if header_index <= 0:
        return []
    skipped = [line.strip() for line in lines[:header_index]]
    return [Problem(display, 1, "(file)", csvutil.notes_skipped(skipped), WARNING)]


def _problem_frame(problems: list[Problem], path: str) -> pd.DataFrame:
    """Problems as rows of the problems table, of the file at `path`."""
    frame = pd.DataFrame([p.to_dict() for p in problems],
                         columns=["file", "line", "field", "message", "severity"])
    return frame.astype({"line": "Int64"}).assign(**{SRC: path, KIND: schema.KIND_FILE})


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _column(columns_present: set[str], name: str) -> str:
    """A cell of `name` trimmed, '' when the file has no such column."""
    return f'trim(coalesce(r."{name}", \'\'))' if name in columns_present else "''"


def _texts(values: object) -> pa.Array:
    """A text column of a lookup table (typed even when the file gave no rows)."""
    return pa.array(list(values), pa.string())


def _register_lookups(db: object, raw: str, columns: list[str], tag: str) -> list[str]:
    """formats.acled's mapping, applied once per distinct value, as lookup tables; returns
    what the day reader noticed about the whole date column (said once, on the header)."""
    present = set(columns)
    cell = lambda name: _column(present, name)  # noqa: E731
    pairs = db.execute(f"SELECT DISTINCT {cell('event_date')}, {cell('time_precision')}, "
                       f"{cell('year')} FROM {raw} r").fetchall()
    days = DayColumn("event_date", (p[0] for p in pairs))
    rows = []
    for raw_date, precision, year in pairs:
        row = csvutil.CsvRow(0, {"time_precision": precision, "year": year})
        found = {"d": raw_date, "p": precision, "y": year, "start": None, "end": None,
                 "dprec": "undated", "dlabel": "undated", "dtext": "undated", "warn": None,
                 "wcol": None, "pub_label": "undated"}
        try:
            day = days.day(raw_date, csvutil.year_cell(row))
        except ValueError as exc:
            found["warn"], found["wcol"] = (f"{exc}; the event was imported undated",
                                            "event_date")
            rows.append(found)
            continue
        try:
            when = acled._within(row, day)
        except csvutil.RowError as exc:
            found["warn"], found["wcol"] = (f"{exc.message}; the date was taken as the day",
                                            exc.column)
            when = day.isoformat()
        parsed = dates.parse_when(when)
        published = dates.parse_when({"date": day.isoformat(), "inferred": True})
        found.update(start=parsed.start, end=parsed.end, dprec=parsed.precision,
                     dlabel=parsed.label(), dtext=parsed.text, pub_label=published.label(),
                     day=day)
        rows.append(found)
    db.register(f"_acled_days_{tag}", pa.table({
        "d": _texts(r["d"] for r in rows), "p": _texts(r["p"] for r in rows),
        "y": _texts(r["y"] for r in rows),
        "day": pa.array([r.get("day") for r in rows], pa.date32()),
        "start": pa.array([r["start"] for r in rows], pa.date32()),
        "end": pa.array([r["end"] for r in rows], pa.date32()),
        "dprec": _texts(r["dprec"] for r in rows), "dlabel": _texts(r["dlabel"] for r in rows),
        "dtext": _texts(r["dtext"] for r in rows),
        "pub_label": _texts(r["pub_label"] for r in rows),
        "warn": pa.array([r["warn"] for r in rows], pa.string()),
        "wcol": pa.array([r["wcol"] for r in rows], pa.string())}))

    types = db.execute(f"SELECT DISTINCT {cell('event_type')}, {cell('sub_event_type')} "
                       f"FROM {raw} r").fetchall()
    mapped = []
    for acled_type, sub_type in types:
        ours = acled._event_type(acled_type, sub_type)
        warn = ("is empty; imported as 'other'" if not acled_type else
                None if ours is not None else
                f"unknown ACLED event type {acled_type!r}; imported as 'other'")
        mapped.append((acled_type, sub_type, ours or "other", acled_type or "Event", warn))
    db.register(f"_acled_types_{tag}", pa.table({
        "t": _texts(m[0] for m in mapped), "s": _texts(m[1] for m in mapped),
        "ours": _texts(m[2] for m in mapped), "label": _texts(m[3] for m in mapped),
        "warn": pa.array([m[4] for m in mapped], pa.string())}))

    geo = db.execute(f"SELECT DISTINCT {cell('geo_precision')} FROM {raw} r").fetchall()
    geo_rows = []
    for (value,) in geo:
        try:
            precision = acled.GEO_PRECISION.get(csvutil.to_int(value) or 1)
        except ValueError:
            precision = None
        warn = None if precision is not None else (
            f"{value!r} is not an ACLED geo precision (1, 2 or 3); the place is marked as a "
            "region")
        geo_rows.append((value, precision or "region", warn))
    db.register(f"_acled_geo_{tag}", pa.table({
        "g": _texts(g[0] for g in geo_rows), "precision": _texts(g[1] for g in geo_rows),
        "warn": pa.array([g[2] for g in geo_rows], pa.string())}))

    isos = db.execute(f"SELECT DISTINCT {cell('iso')}, {cell('country')} FROM {raw} r"
                      ).fetchall()
    db.register(f"_acled_iso_{tag}", pa.table({
        "iso": _texts(i[0] for i in isos), "c": _texts(i[1] for i in isos),
        "country": pa.array([acled._country(i[0], i[1]) for i in isos],
                            pa.string())}))
    db.execute(f"CREATE TEMP TABLE {raw}_sel AS {_acled_select(present, raw, tag)}")
    _resolve_places(db, raw, tag)
    notes = [days.note] if days.note else []
    if days.two_digit_guessed:
        notes.append(f"two-digit years (such as '{days.two_digit_guessed}') were given their "
                     "century by dateutil's rule, as the file has no year column")
    return notes


#: Coordinates a row may keep: both given, both in range.
_VALID = ("{p}lat IS NOT NULL AND {p}lon IS NOT NULL AND {p}lat BETWEEN -90 AND 90 "
          "AND {p}lon BETWEEN -180 AND 180")


def _resolve_places(db: object, raw: str, tag: str) -> None:
    """Each row's place as the app resolves an article's place: its own coordinates, else
    the gazetteer's (looked up once per distinct name and country), else off the map."""
    from warlens.gazetteer import get_gazetteer

    gaz = get_gazetteer()
    valid = _VALID.format(p="s.")
    names = db.execute(f"SELECT DISTINCT place_name, coalesce(country, '') FROM {raw}_sel s "
                       f"WHERE place_name IS NOT NULL AND NOT ({valid})").fetchall()
    hits = []
    for name, country in names:
        hit = gaz.lookup(name, context=[country] if country else [])
        hits.append((name, country, *(
            (hit.lat, hit.lon, hit.country or None, hit.geonames, hit.admin1)
            if hit is not None else (None, None, None, None, ""))))
    db.register(f"_acled_gaz_{tag}", pa.table({
        "n": _texts(h[0] for h in hits), "c": _texts(h[1] for h in hits),
        "glat": pa.array([h[2] for h in hits], pa.float64()),
        "glon": pa.array([h[3] for h in hits], pa.float64()),
        "gcountry": _texts(h[4] for h in hits),
        "ggeonames": pa.array([h[5] for h in hits], pa.int64()),
        "gadmin1": _texts(h[6] for h in hits)}))
    codes = {c for (c,) in db.execute(f"SELECT DISTINCT country FROM {raw}_sel").fetchall()}
    codes |= {h[4] for h in hits}
    known = sorted(c for c in codes if c)
    db.register(f"_acled_names_{tag}", pa.table({
        "code": _texts(known), "cname": _texts(gaz.country_name(c) for c in known)}))
    db.execute(f"""CREATE TEMP TABLE {raw}_ok AS
        SELECT s.* EXCLUDE (lat, lon, country), s.lat AS lat_given, s.lon AS lon_given,
            CASE WHEN {valid} THEN s.lat ELSE g.glat END AS lat,
            CASE WHEN {valid} THEN s.lon ELSE g.glon END AS lon,
            coalesce(s.country, g.gcountry) AS country,
            coalesce(nm.cname, '') AS country_name, g.ggeonames AS geonames,
            coalesce(g.gadmin1, '') AS admin1_found,
            CASE WHEN {valid} THEN 'file' WHEN g.glat IS NOT NULL THEN 'gazetteer'
                 ELSE 'none' END AS resolved_by
        FROM {raw}_sel s
        LEFT JOIN _acled_gaz_{tag} g ON g.n = s.place_name AND g.c = coalesce(s.country, '')
        LEFT JOIN _acled_names_{tag} nm ON nm.code = coalesce(s.country, g.gcountry)""")


def _acled_select(present: set[str], raw: str, tag: str) -> str:
    """Each row with its mapped values, its article id, and whether it loads."""
    cell = lambda name: _column(present, name)  # noqa: E731
    slug = (f"rtrim(left(trim(regexp_replace(lower('acled-' || {cell('event_id_cnty')}), "
            f"{_literal(_KEY_BAD.pattern)}, '-', 'g'), '-_'), 100), '-_')")
    eslug = slug.replace("'acled-'", "'e-'")
    lat, lon = (f"try_cast(replace({cell(c)}, ',', '.') AS DOUBLE)"
                for c in ("latitude", "longitude"))
    name = (f"coalesce(nullif({cell('location')}, ''), nullif({cell('admin2')}, ''), "
            f"nullif({cell('admin1')}, ''), nullif({cell('country')}, ''))")
    return f"""
    SELECT r._line, {cell('event_id_cnty')} AS event_id, {slug} AS article, {eslug} AS eid,
        row_number() OVER (PARTITION BY {slug} ORDER BY r._line) AS nth,
        min(r._line) OVER (PARTITION BY {slug}) AS first_line,
        d.day, d.start, d."end", d.dprec, d.dlabel, d.dtext, d.pub_label,
        d.warn AS date_warn, d.wcol AS date_col,
        t.ours AS type, t.label AS acled_type, t.warn AS type_warn,
        g.precision, g.warn AS geo_warn, i.country,
        {lat} AS lat, {lon} AS lon, {cell('latitude')} AS lat_text,
        {cell('longitude')} AS lon_text, try_cast({cell('fatalities')} AS BIGINT) AS fatalities,
        {cell('fatalities')} AS fatalities_text, {name} AS place_name,
        {cell('admin1')} AS admin1, {cell('location')} AS location,
        {cell('sub_event_type')} AS sub_type, {cell('notes')} AS notes,
        {cell('actor1')} AS actor1, {cell('assoc_actor_1')} AS assoc1,
        {cell('actor2')} AS actor2, {cell('assoc_actor_2')} AS assoc2,
        {cell('disorder_type')} AS disorder_type, {cell('source')} AS source,
        {cell('country')} AS country_text, {cell('event_type')} AS event_type_text,
        {cell('source_scale')} AS source_scale,
        {cell('civilian_targeting')} AS civilian_targeting,
        {cell('time_precision')} AS time_prec_text, {cell('geo_precision')} AS geo_prec_text,
        {cell('tags')} AS acled_tags, try_cast({cell('timestamp')} AS BIGINT) AS stamp
    FROM {raw}_l r
    LEFT JOIN _acled_days_{tag} d ON d.d = {cell('event_date')}
        AND d.p = {cell('time_precision')} AND d.y = {cell('year')}
    LEFT JOIN _acled_types_{tag} t ON t.t = {cell('event_type')}
        AND t.s = {cell('sub_event_type')}
    LEFT JOIN _acled_geo_{tag} g ON g.g = {cell('geo_precision')}
    LEFT JOIN _acled_iso_{tag} i ON i.iso = {cell('iso')} AND i.c = {cell('country')}
    """


def _acled_problems(db: object, raw: str, tag: str, refused: list, display: str) -> pa.Table:
    """Every row refused or loaded without a value, as problem rows (file:line: column)."""
    ok = f"{raw}_ok"
    shown = _literal(display)
    query = f"""
    SELECT {shown} AS file, _line AS line, 'event_id_cnty' AS field,
           'is empty; the row was skipped' AS message, '{ERROR}' AS severity FROM {ok}
           WHERE event_id = ''
    UNION ALL
    SELECT {shown}, _line, 'event_id_cnty', '''' || event_id || ''' was already imported '
           || 'from line ' || first_line || '; the row was skipped', '{ERROR}' FROM {ok}
           WHERE event_id <> '' AND nth > 1
    UNION ALL
    SELECT {shown}, _line, date_col, date_warn, '{WARNING}' FROM {ok}
           WHERE event_id <> '' AND nth = 1 AND date_warn IS NOT NULL
    UNION ALL
    SELECT {shown}, _line, 'event_type', type_warn, '{WARNING}' FROM {ok}
           WHERE event_id <> '' AND nth = 1 AND type_warn IS NOT NULL
    UNION ALL
    SELECT {shown}, _line, 'geo_precision', geo_warn, '{WARNING}' FROM {ok}
           WHERE event_id <> '' AND nth = 1 AND geo_warn IS NOT NULL
    UNION ALL
    SELECT {shown}, _line, field, message || '; the place was imported by its name, '
           || 'without coordinates', '{WARNING}' FROM (
        SELECT _line, CASE
            WHEN lat_given IS NULL AND lat_text <> '' THEN 'latitude'
            WHEN lon_given IS NULL AND lon_text <> '' THEN 'longitude'
            WHEN lat_given IS NULL AND lon_given IS NOT NULL THEN 'latitude'
            WHEN lon_given IS NULL AND lat_given IS NOT NULL THEN 'longitude'
            WHEN lat_given NOT BETWEEN -90 AND 90 THEN 'latitude'
            WHEN lon_given NOT BETWEEN -180 AND 180 THEN 'longitude' END AS field, CASE
            WHEN lat_given IS NULL AND lat_text <> '' THEN '''' || lat_text || ''' is not a number'
            WHEN lon_given IS NULL AND lon_text <> '' THEN '''' || lon_text || ''' is not a number'
            WHEN lat_given IS NULL AND lon_given IS NOT NULL
                THEN 'is empty but the longitude is given'
            WHEN lon_given IS NULL AND lat_given IS NOT NULL
                THEN 'is empty but the latitude is given'
            WHEN lat_given NOT BETWEEN -90 AND 90
                THEN CAST(lat_given AS VARCHAR) || ' is out of range (-90 to 90)'
            WHEN lon_given NOT BETWEEN -180 AND 180
                THEN CAST(lon_given AS VARCHAR) || ' is out of range (-180 to 180)' END
                AS message
        FROM {ok} WHERE event_id <> '' AND nth = 1) WHERE field IS NOT NULL
    UNION ALL
    SELECT {shown}, _line, 'places[0].name', '''' || place_name || ''' is not in the '
           || 'gazetteer and has no lat/lon: it stays off the map (add lat and lon, or an '
           || 'alias)', '{WARNING}' FROM {ok}
           WHERE event_id <> '' AND nth = 1 AND resolved_by = 'none' AND place_name IS NOT NULL
    UNION ALL
    SELECT {shown}, _line, 'fatalities', '''' || fatalities_text || ''' is not a whole '
           || 'number; the event was imported without casualties', '{WARNING}' FROM {ok}
           WHERE event_id <> '' AND nth = 1 AND fatalities IS NULL AND fatalities_text <> ''
    """
    return _with_refused(db.execute(query).to_arrow_table(), refused, display)


def _split(cell: str) -> str:
    """SQL: a ';'-separated cell as its non-empty, stripped parts, each once, in order
    (`csvutil.split_list`)."""
    parts = f"list_transform(string_split({cell}, ';'), x -> trim(x))"
    return f"list_filter({parts}, (x, i) -> x <> '' AND list_position({parts}, x) = i)"


def _acled_rows(db: object, store: Store, own: bool, raw: str, tag: str, path: str,
                display: str) -> int:
    """Insert the articles, events and places of the rows that load; how many loaded.

    The texts are those `formats.acled` writes: the generated sentence for a row without
    notes, the title, the summary, the tags (each `name: value`, in the reader's order).
    """
    ok = f"{raw}_ok"
    good = f"FROM {ok} WHERE event_id <> '' AND nth = 1"
    what = "coalesce(nullif(sub_type, ''), acled_type)"
    summary = f"CASE WHEN location <> '' THEN {what} || ' in ' || location ELSE {what} END"
    where = ("array_to_string(list_filter([location, admin1, country_text], x -> x <> ''), "
             "', ')")
    involved = "array_to_string(list_filter([actor1, actor2], x -> x <> ''), ' and ')"
    generated = (f"'ACLED records an event of type ' || coalesce(nullif(sub_type, ''), "
                 f"event_type_text) || CASE WHEN {where} <> '' THEN ' at ' || {where} "
                 "ELSE '' END || coalesce(' on ' || strftime(day, '%Y-%m-%d'), '') || "
                 f"CASE WHEN {involved} <> '' THEN ', involving ' || {involved} ELSE '' END "
                 "|| coalesce(', with ' || fatalities || ' reported fatalities', '') || '.'")
    text = f"CASE WHEN notes <> '' THEN notes ELSE {generated} END"
    updated = ("CASE WHEN stamp > 0 THEN 'ACLED record last updated ' || "
               "strftime(make_timestamp(stamp * 1000000), '%Y-%m-%d') || '.' END")
    no_notes = ("CASE WHEN notes = '' THEN 'ACLED gives no notes for this event; the text "
                "was generated from the record''s fields by warlens.' END")
    notes = f"nullif(concat_ws(' ', {no_notes}, {updated}), '')"
    # actor1, its associates, actor2, its associates: each named once, in that order
    listed = ("list_transform(flatten([[actor1], string_split(assoc1, ';'), [actor2], "
              "string_split(assoc2, ';')]), x -> trim(x))")
    actors = (f"array_to_string(list_filter({listed}, (x, i) -> x <> '' AND "
              f"list_position({listed}, x) = i), '; ')")
    named = [f"CASE WHEN {c} <> '' THEN '{label}: ' || {c} END" for label, c in (
        ("disorder_type", "disorder_type"), ("event_type", "event_type_text"),
        ("sub_event_type", "sub_type"), ("source_scale", "source_scale"),
        ("civilian_targeting", "civilian_targeting"), ("time_precision", "time_prec_text"),
        ("geo_precision", "geo_prec_text"))]
    tags = (f"array_to_string(list_concat(list_filter([{', '.join(named)}], "
            "x -> x IS NOT NULL), list_transform(" + _split("source") + ", x -> 'source: ' "
            "|| x), list_transform(" + _split("acled_tags") + ", x -> 'acled tag: ' || x)), "
            "'; ')")
    place_id = ("coalesce(nullif(rtrim(left(trim(regexp_replace(lower(place_name), "
                f"{_literal(_KEY_BAD.pattern)}, '-', 'g'), '-_'), 100), '-_'), ''), 'place')")
    named_place = "coalesce(place_name, CAST(lat AS VARCHAR) || ', ' || CAST(lon AS VARCHAR))"
    has_place = "(place_name IS NOT NULL OR lat_given IS NOT NULL)"
    src, shown = _literal(path), _literal(display)
    title = (f"acled_type || ': ' || ({summary}) || ', ' || "
             "coalesce(strftime(day, '%Y-%m-%d'), 'undated')")
    statements = {
        "articles": f"""SELECT article AS "{Col.ARTICLE}", {title} AS "{Col.TITLE}",
            'ACLED' AS "{Col.OUTLET}", NULL AS "{Col.URL}",
            CAST(day AS TIMESTAMP) AS "{Col.PUBLISHED_START}",
            CAST(day AS TIMESTAMP) AS "{Col.PUBLISHED_END}",
            pub_label AS "{Col.PUBLISHED_LABEL}",
            day IS NOT NULL AS "{Col.PUBLISHED_INFERRED}", NULL AS "{Col.AUTHOR}",
            'en' AS "{Col.LANGUAGE}", {text} AS "{Col.TEXT}", {notes} AS "{Col.NOTES}",
            'ACLED' AS "{Col.TAGS}", NULL AS "{Col.LICENSE}", NULL AS "{Col.ATTRIBUTION}",
            {shown} AS "{Col.FILE}", false AS "{Col.DRAFT}", {src} AS "{SRC}",
            CAST(_line AS INTEGER) AS "{DOC}", _line AS "{ID_LINE}" {good}""",
        "events": f"""SELECT article || '/' || eid AS "{Col.KEY}", article AS "{Col.ARTICLE}",
            eid AS "{Col.ID}", {summary} AS "{Col.SUMMARY}", type AS "{Col.TYPE}",
            CAST(start AS TIMESTAMP) AS "{Col.START}", CAST("end" AS TIMESTAMP) AS "{Col.END}",
            dprec AS "{Col.DATE_PRECISION}", dlabel AS "{Col.DATE_LABEL}",
            dtext AS "{Col.DATE_TEXT}",
            CASE WHEN {has_place} THEN article || '/' || {place_id} END AS "{Col.PLACE}",
            CASE WHEN {has_place} THEN {named_place} END AS "{Col.PLACE_NAME}",
            lat AS "{Col.LAT}", lon AS "{Col.LON}",
            CASE WHEN {has_place} THEN precision END AS "{Col.PRECISION}",
            country AS "{Col.COUNTRY}", country_name AS "{Col.COUNTRY_NAME}",
            admin1_found AS "{Col.ADMIN1}", {actors} AS "{Col.ACTORS}",
            {text} AS "{Col.QUOTE}", 0 AS "{Col.SPAN_START}",
            length({text}) AS "{Col.SPAN_END}", fatalities AS "{Col.CASUALTIES_LOW}",
            fatalities AS "{Col.CASUALTIES_HIGH}",
            CASE WHEN fatalities IS NOT NULL THEN 'ACLED fatalities' END
                AS "{Col.CASUALTIES_TEXT}", '' AS "{Col.SOURCES}", {tags} AS "{Col.TAGS}",
            false AS "{Col.CONTESTED}", 0 AS "{Col.N_CLAIMS}", '' AS "{Col.STORY}",
            {shown} AS "{Col.FILE}", _line AS "{Col.LINE}", false AS "{Col.DRAFT}",
            {src} AS "{SRC}", CAST(_line AS INTEGER) AS "{DOC}" {good}""",
        "places": f"""SELECT article || '/' || {place_id} AS "{Col.KEY}",
            article AS "{Col.ARTICLE}", {place_id} AS "{Col.ID}",
            {named_place} AS "{Col.PLACE_NAME}", lat AS "{Col.LAT}", lon AS "{Col.LON}",
            precision AS "{Col.PRECISION}", country AS "{Col.COUNTRY}",
            country_name AS "{Col.COUNTRY_NAME}", geonames AS "{Col.GEONAMES}",
            admin1_found AS "{Col.ADMIN1}", resolved_by AS "{Col.RESOLVED_BY}",
            {shown} AS "{Col.FILE}", _line AS "{Col.LINE}", false AS "{Col.DRAFT}",
            {src} AS "{SRC}", CAST(_line AS INTEGER) AS "{DOC}" {good} AND {has_place}""",
    }
    for table, select in statements.items():
        columns = list(schema.stored(table))
        if own:
            db.execute(f'INSERT INTO "{table}" BY NAME {select}')
        else:
            for batch in db.execute(select).to_arrow_reader(BATCH_ROWS):
                store.append(table, pa.Table.from_batches([batch]).select(columns))
    return int(db.execute(f"SELECT count(*) {good}").fetchone()[0])


# --- shared by the UCDP and GDELT loads -------------------------------------------------------

#: Python's whitespace (what str.split and str.strip take away) as an RE2 class: DuckDB's
#: trim() takes only spaces, and the readers strip every cell the Python way.
_WS_CHARS = (r"\s\x{0B}\x{1C}-\x{1F}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}"
             r"\x{202F}\x{205F}\x{3000}")
_WS = f"[{_WS_CHARS}]"
#: The problems a reader's own function said of a lookup's values.
_PROBLEMS = pa.list_(pa.struct([("field", pa.string()), ("message", pa.string()),
                                ("severity", pa.string())]))


def _macros(db: object) -> None:
    """SQL twins of the readers' text helpers: a cell stripped (`CsvRow.get`), a line
    clipped (`text.clip`), an id slug (`text.key_slug`), a ';' list (`split_list`)."""
    strip = _literal(f"^{_WS}+|{_WS}+$")
    db.execute(f"CREATE OR REPLACE TEMP MACRO _wl_strip(x) AS "
               f"regexp_replace(coalesce(x, ''), {strip}, '', 'g')")
    db.execute(f"CREATE OR REPLACE TEMP MACRO _wl_cut(y) AS CASE WHEN length(y) <= {MAX_LINE} "
               f"THEN y ELSE rtrim(left(y, {MAX_LINE - 1})) || '\u2026' END")
    db.execute(f"CREATE OR REPLACE TEMP MACRO _wl_clip(x) AS "
               f"_wl_cut(_wl_strip(regexp_replace(x, {_literal(_WS + '+')}, ' ', 'g')))")
    db.execute(f"CREATE OR REPLACE TEMP MACRO _wl_slug(x) AS rtrim(left(trim(regexp_replace("
               f"lower(x), {_literal(_KEY_BAD.pattern)}, '-', 'g'), '-_'), 100), '-_')")
    parts = "list_transform(string_split(x, ';'), y -> _wl_strip(y))"
    db.execute(f"CREATE OR REPLACE TEMP MACRO _wl_split(x) AS list_filter({parts}, "
               f"(y, i) -> y <> '' AND list_position({parts}, y) = i)")


@dataclass
class _Job:
    """One bulk load's DuckDB side: the connection, the file's columns, the temp tables
    and lookups it made (`close` drops them)."""

    db: object
    own: bool
    raw: str
    columns: list[str]
    display: str
    made: list[str]
    registered: list[str]

    @property
    def rows(self) -> str:
        """The table of the file's records, each with its `_line`."""
        return f"{self.raw}_l"

    def cell(self, name: str) -> str:
        """SQL: the cell of `name` as `CsvRow.get` gives it ('' without such a column)."""
        return f'_wl_strip(r."{name}")' if name in self.columns else "''"

    def key(self, name: str) -> str:
        """SQL: the cell of `name` as written: what a lookup is keyed on."""
        return f"coalesce(r.\"{name}\", '')" if name in self.columns else "''"

    def table(self, suffix: str) -> str:
        """The name of a temp table of this load, dropped at the end."""
        name = f"{self.raw}_{suffix}"
        self.made.append(name)
        return name

    def register(self, suffix: str, table: pa.Table) -> str:
        """Register an Arrow table for this load's SQL; its name."""
        name = f"{self.raw}_{suffix}"
        self.db.register(name, table)
        self.registered.append(name)
        return name

    def lookup(self, suffix: str, keys: tuple[str, ...],
               apply: Callable[[csvutil.CsvRow, csvutil.CsvTable], dict],
               out: dict[str, pa.DataType]) -> str:
        """Apply a reader's own function once per distinct combination of the cells of
        `keys`: `apply(row, table)` returns the values `out` names, and what it adds to
        `table` are the problems of every row with those cells. Registered as a table
        (`k0`, `k1`... the cells; the values; `_problems`) that `on` joins; its name."""
        cells = ", ".join(self.key(k) for k in keys)
        found: dict[str, list] = {**{f"k{i}": [] for i in range(len(keys))},
                                  **{k: [] for k in out}, "_problems": []}
        for values in self.db.execute(f"SELECT DISTINCT {cells} FROM {self.rows} r"
                                      ).fetchall():
            row = csvutil.CsvRow(0, dict(zip(keys, values, strict=True)))
            said = csvutil.CsvTable(self.display)
            result = apply(row, said)
            for i, value in enumerate(values):
                found[f"k{i}"].append(value)
            for column in out:
                found[column].append(result.get(column))
            found["_problems"].append([{"field": p.field, "message": p.message,
                                        "severity": p.severity} for p in said.problems])
        types = {**{f"k{i}": pa.string() for i in range(len(keys))}, **out,
                 "_problems": _PROBLEMS}
        return self.register(suffix, pa.table({k: pa.array(v, types[k])
                                               for k, v in found.items()}))

    def on(self, alias: str, keys: tuple[str, ...]) -> str:
        """SQL: the join condition of a lookup (as `alias`) on the cells of `keys`."""
        return " AND ".join(f"{alias}.k{i} = {self.key(k)}" for i, k in enumerate(keys))

    def close(self) -> None:
        """Drop what this load made; close DuckDB when it was only a staging area."""
        for name in reversed(self.made):
            with contextlib.suppress(Exception):
                self.db.execute(f"DROP TABLE IF EXISTS {name}")
        for name in self.registered:
            with contextlib.suppress(Exception):
                self.db.unregister(name)
        if not self.own:
            self.db.close()


@contextlib.contextmanager
def _job(store: Store, key: str, display: str, prefix: str, header_index: int,
         columns: list[str], delimiter: str, *, quoted: bool = True
         ) -> Iterator[tuple[_Job, list, list[Problem]]]:
    """A load's DuckDB side with the file's records read (`_read_rows`): the job, the
    records the CSV reader refused, and the note on the file's encoding."""
    import duckdb

    own = store.backend == "duckdb"
    db = store.con.con if own else duckdb.connect()
    raw = f"_{prefix}_raw_{uuid.uuid4().hex[:8]}"
    job = _Job(db, own, raw, columns, display, [raw, f"{raw}_l"], [])
    try:
        _macros(db)
        refused, notes = _read_rows(db, key, display, header_index, columns, delimiter, raw,
                                    quoted=quoted)
        yield job, refused, notes
    finally:
        job.close()


def _day_labels(when: str | dict) -> dict:
    """An event's `when` as the app reads it: its dates, precision, label and text."""
    parsed = dates.parse_when(when)
    return {"ev_start": parsed.start, "ev_end": parsed.end, "dprec": parsed.precision,
            "dlabel": parsed.label(), "dtext": parsed.text}


#: The columns `_day_labels` gives, typed.
_DAY_LABELS = {"ev_start": pa.date32(), "ev_end": pa.date32(), "dprec": pa.string(),
               "dlabel": pa.string(), "dtext": pa.string()}


def _coordinates(lat_field: str, lon_field: str) -> str:
    """SQL select items: the field and message of what is wrong with a row's coordinates
    (as `csvutil.lat_lon` says it), or NULLs."""
    cases = (
        ("lat_given IS NULL AND lat_text <> ''", lat_field,
         "'''' || lat_text || ''' is not a number'"),
        ("lon_given IS NULL AND lon_text <> ''", lon_field,
         "'''' || lon_text || ''' is not a number'"),
        ("lat_given IS NULL AND lon_given IS NOT NULL", lat_field,
         "'is empty but the longitude is given'"),
        ("lon_given IS NULL AND lat_given IS NOT NULL", lon_field,
         "'is empty but the latitude is given'"),
        ("lat_given NOT BETWEEN -90 AND 90", lat_field,
         "CAST(lat_given AS VARCHAR) || ' is out of range (-90 to 90)'"),
        ("lon_given NOT BETWEEN -180 AND 180", lon_field,
         "CAST(lon_given AS VARCHAR) || ' is out of range (-180 to 180)'"))
    field = " ".join(f"WHEN {when} THEN {_literal(name)}" for when, name, _ in cases)
    message = " ".join(f"WHEN {when} THEN {text}" for when, _, text in cases)
    return (f"CASE {field} END AS coord_field, CASE {message} END || '; the place was "
            "imported by its name, without coordinates' AS coord_message")


def _number(text: str) -> str:
    """SQL: a stripped cell as `csvutil.to_float` reads it (a decimal comma when there is
    no point), NULL when it is not a number."""
    return (f"try_cast(CASE WHEN contains({text}, ',') AND NOT contains({text}, '.') "
            f"THEN replace({text}, ',', '.') ELSE {text} END AS DOUBLE)")


def _resolve(job: _Job, sel: str) -> str:
    """Each row's place as the app resolves an article's place (`article._read_places`):
    its own coordinates, else the gazetteer's by its name and alias in its country
    (looked up once per distinct place), else off the map. Returns the table made from
    `sel` with lat, lon, country_found, country_name, geonames, admin1_found and
    resolved_by."""
    from warlens import article, model
    from warlens.gazetteer import get_gazetteer

    gaz = get_gazetteer()
    hits: dict[str, list] = {k: [] for k in ("n", "a", "p", "c", "glat", "glon", "gcountry",
                                             "ggeonames", "gadmin1")}
    for name, alias, precision, country in job.db.execute(
            f"SELECT DISTINCT place_name, alias, precision, country FROM {sel} "
            "WHERE has_place AND NOT valid").fetchall():
        place = model.PlaceIn.model_validate({
            "id": "p", "name": name, "aliases": [alias] if alias else [],
            "precision": precision, "country": country})
        hit = article._look_up(place, gaz, article._countries([(0, place)], gaz))
        found = ((hit.lat, hit.lon, hit.country or None, hit.geonames, hit.admin1)
                 if hit is not None else (None, None, None, None, ""))
        for column, value in zip(hits, (name, alias, precision, country, *found), strict=True):
            hits[column].append(value)
    gaz_table = job.register("gaz", pa.table({
        **{k: _texts(hits[k]) for k in ("n", "a", "p", "c", "gcountry", "gadmin1")},
        "glat": pa.array(hits["glat"], pa.float64()),
        "glon": pa.array(hits["glon"], pa.float64()),
        "ggeonames": pa.array(hits["ggeonames"], pa.int64())}))
    codes = {c for (c,) in job.db.execute(f"SELECT DISTINCT country FROM {sel}").fetchall()}
    known = sorted(c for c in codes | set(hits["gcountry"]) if c)
    names = job.register("cnames", pa.table({
        "code": _texts(known), "cname": _texts(gaz.country_name(c) for c in known)}))
    ok = job.table("ok")
    job.db.execute(f"""CREATE TEMP TABLE {ok} AS
        SELECT s.*, CASE WHEN s.valid THEN s.lat_given ELSE g.glat END AS lat,
            CASE WHEN s.valid THEN s.lon_given ELSE g.glon END AS lon,
            coalesce(s.country, g.gcountry) AS country_found,
            coalesce(nm.cname, '') AS country_name, g.ggeonames AS geonames,
            coalesce(g.gadmin1, '') AS admin1_found,
            CASE WHEN s.valid THEN 'file' WHEN g.glat IS NOT NULL THEN 'gazetteer'
                 ELSE 'none' END AS resolved_by
        FROM {sel} s
        LEFT JOIN {gaz_table} g ON s.has_place AND NOT s.valid AND g.n = s.place_name
            AND g.a IS NOT DISTINCT FROM s.alias AND g.p = s.precision
            AND g.c IS NOT DISTINCT FROM s.country
        LEFT JOIN {names} nm ON nm.code = coalesce(s.country, g.gcountry)""")
    return ok


#: The rows that load: an id, given for the first time.
_GOOD = "record_id <> '' AND nth = 1"


def _problems(job: _Job, ok: str, id_field: str, refused: list) -> pa.Table:
    """Every row refused, skipped or loaded without a value, as problem rows: the records
    the CSV reader refused, an empty or repeated id, what the reader's functions said
    (`_said`), bad coordinates, a place the gazetteer does not know."""
    shown = _literal(job.display)
    query = f"""
    SELECT {shown} AS file, _line AS line, {_literal(id_field)} AS field,
           'is empty; the row was skipped' AS message, '{ERROR}' AS severity FROM {ok}
           WHERE record_id = ''
    UNION ALL
    SELECT {shown}, _line, {_literal(id_field)}, '''' || record_id || ''' was already '
           || 'imported from line ' || first_line || '; the row was skipped', '{ERROR}'
           FROM {ok} WHERE record_id <> '' AND nth > 1
    UNION ALL
    SELECT {shown}, _line, p.field, p.message, p.severity FROM (
        SELECT _line, unnest(_said) AS p FROM {ok} WHERE {_GOOD})
    UNION ALL
    SELECT {shown}, _line, coord_field, coord_message, '{WARNING}' FROM {ok}
           WHERE {_GOOD} AND coord_field IS NOT NULL
    UNION ALL
    SELECT {shown}, _line, 'places[0].name', '''' || place_name || ''' is not in the '
           || 'gazetteer and has no lat/lon: it stays off the map (add lat and lon, or an '
           || 'alias)', '{WARNING}' FROM {ok}
           WHERE {_GOOD} AND has_place AND resolved_by = 'none'
    """
    return _with_refused(job.db.execute(query).to_arrow_table(), refused, job.display)


def _with_refused(found: pa.Table, refused: list, display: str) -> pa.Table:
    """Problems found in SQL, and a problem per row DuckDB's CSV parser refused (line,
    column, its message), in line order."""
    refused_rows = pa.table({
        "file": _texts([display] * len(refused)),
        "line": pa.array([int(r[0]) for r in refused], pa.int64()),
        "field": _texts(r[1] or "(row)" for r in refused),
        "message": _texts(f"the CSV parser refused this row ({r[2].splitlines()[0]}); the "
                          "row was skipped" for r in refused),
        "severity": _texts([ERROR] * len(refused))})
    return pa.concat_tables([found.cast(refused_rows.schema), refused_rows]) \
        .sort_by([("line", "ascending")])


def _published_labels(job: _Job, ok: str) -> str:
    """The published label of each (day, inferred) of the rows, as the app labels it."""
    pairs = job.db.execute(f"SELECT DISTINCT pub_day, pub_inferred FROM {ok}").fetchall()
    labels = [dates.parse_published(
        "undated" if day is None else {"date": day.isoformat(), "inferred": True}
        if inferred else day.isoformat()).label() for day, inferred in pairs]
    return job.register("pub", pa.table({
        "day": pa.array([p[0] for p in pairs], pa.date32()),
        "inferred": pa.array([p[1] for p in pairs], pa.bool_()), "label": _texts(labels)}))


def _insert(job: _Job, store: Store, ok: str, path: str) -> int:
    """Insert the articles, events and places of the rows of `ok` that load; how many.

    `ok` holds, per row, the values the reader's article document gives: article, eid,
    title, outlet, url, pub_day, pub_inferred, text, notes, art_tags, summary, type, the
    event's dates (`_DAY_LABELS`), has_place, place_id, place_name, precision, the place
    as resolved (`_resolve`), actors, cas_low, cas_high, cas_text, ev_tags.
    """
    pub = _published_labels(job, ok)
    good = (f"FROM {ok} o LEFT JOIN {pub} pl ON pl.day IS NOT DISTINCT FROM o.pub_day "
            f"AND pl.inferred = o.pub_inferred WHERE {_GOOD}")
    src, shown = _literal(path), _literal(job.display)
    statements = {
        "articles": f"""SELECT article AS "{Col.ARTICLE}", title AS "{Col.TITLE}",
            outlet AS "{Col.OUTLET}", url AS "{Col.URL}",
            CAST(pub_day AS TIMESTAMP) AS "{Col.PUBLISHED_START}",
            CAST(pub_day AS TIMESTAMP) AS "{Col.PUBLISHED_END}",
            pl.label AS "{Col.PUBLISHED_LABEL}", pub_inferred AS "{Col.PUBLISHED_INFERRED}",
            NULL AS "{Col.AUTHOR}", 'en' AS "{Col.LANGUAGE}", text AS "{Col.TEXT}",
            notes AS "{Col.NOTES}", art_tags AS "{Col.TAGS}", NULL AS "{Col.LICENSE}",
            NULL AS "{Col.ATTRIBUTION}", {shown} AS "{Col.FILE}", false AS "{Col.DRAFT}",
            {src} AS "{SRC}", CAST(_line AS INTEGER) AS "{DOC}", _line AS "{ID_LINE}" {good}""",
        "events": f"""SELECT article || '/' || eid AS "{Col.KEY}", article AS "{Col.ARTICLE}",
            eid AS "{Col.ID}", summary AS "{Col.SUMMARY}", type AS "{Col.TYPE}",
            CAST(ev_start AS TIMESTAMP) AS "{Col.START}",
            CAST(ev_end AS TIMESTAMP) AS "{Col.END}",
            dprec AS "{Col.DATE_PRECISION}", dlabel AS "{Col.DATE_LABEL}",
            dtext AS "{Col.DATE_TEXT}",
            CASE WHEN has_place THEN article || '/' || place_id END AS "{Col.PLACE}",
            CASE WHEN has_place THEN place_name END AS "{Col.PLACE_NAME}",
            lat AS "{Col.LAT}", lon AS "{Col.LON}",
            CASE WHEN has_place THEN precision END AS "{Col.PRECISION}",
            country_found AS "{Col.COUNTRY}", country_name AS "{Col.COUNTRY_NAME}",
            admin1_found AS "{Col.ADMIN1}", actors AS "{Col.ACTORS}",
            text AS "{Col.QUOTE}", 0 AS "{Col.SPAN_START}",
            length(text) AS "{Col.SPAN_END}", cas_low AS "{Col.CASUALTIES_LOW}",
            cas_high AS "{Col.CASUALTIES_HIGH}", cas_text AS "{Col.CASUALTIES_TEXT}",
            '' AS "{Col.SOURCES}", ev_tags AS "{Col.TAGS}",
            false AS "{Col.CONTESTED}", 0 AS "{Col.N_CLAIMS}", '' AS "{Col.STORY}",
            {shown} AS "{Col.FILE}", _line AS "{Col.LINE}", false AS "{Col.DRAFT}",
            {src} AS "{SRC}", CAST(_line AS INTEGER) AS "{DOC}" {good}""",
        "places": f"""SELECT article || '/' || place_id AS "{Col.KEY}",
            article AS "{Col.ARTICLE}", place_id AS "{Col.ID}",
            place_name AS "{Col.PLACE_NAME}", lat AS "{Col.LAT}", lon AS "{Col.LON}",
            precision AS "{Col.PRECISION}", country_found AS "{Col.COUNTRY}",
            country_name AS "{Col.COUNTRY_NAME}", geonames AS "{Col.GEONAMES}",
            admin1_found AS "{Col.ADMIN1}", resolved_by AS "{Col.RESOLVED_BY}",
            {shown} AS "{Col.FILE}", _line AS "{Col.LINE}", false AS "{Col.DRAFT}",
            {src} AS "{SRC}", CAST(_line AS INTEGER) AS "{DOC}" {good} AND has_place""",
    }
    for table, select in statements.items():
        columns = list(schema.stored(table))
        if job.own:
            job.db.execute(f'INSERT INTO "{table}" BY NAME {select}')
        else:
            for batch in job.db.execute(select).to_arrow_reader(BATCH_ROWS):
                store.append(table, pa.Table.from_batches([batch]).select(columns))
    return int(job.db.execute(f"SELECT count(*) FROM {ok} WHERE {_GOOD}").fetchone()[0])


def _record(job: _Job, id_column: str, prefix: str) -> str:
    """SQL select items: a row's record id, its article and event ids, and which of the
    rows with that article id it is (as `csvutil.record_id` decides: the first loads)."""
    record = job.cell(id_column)
    slug = f"_wl_slug('{prefix}-' || {record})"
    return (f"{record} AS record_id, {slug} AS article, _wl_slug('e-' || {record}) AS eid, "
            f"row_number() OVER (PARTITION BY {slug} ORDER BY r._line) AS nth, "
            f"min(r._line) OVER (PARTITION BY {slug}) AS first_line")


def _said(*lists: str) -> str:
    """SQL select item: what the lookups said of a row, one list."""
    return "list_concat(" + ", ".join(f"coalesce({x}, [])" for x in lists) + ") AS _said"


def _load(store: Store, key: str, path: str, display: str, read: tuple,
          select: Callable[[_Job], str], id_field: str,
          notes: Callable[[], list[Problem]]) -> Loaded:
    """A dataset read by DuckDB (`read`: the `_job` arguments after `display`), mapped
    by `select` (each row with the values `_insert` takes), its places resolved, its
    rows and problems (`notes()` said once per file) inserted."""
    *args, quoted = read
    with _job(store, key, display, *args, quoted=quoted) as (job, refused, said):
        sel = job.table("sel")
        job.db.execute(f"CREATE TEMP TABLE {sel} AS {select(job)}")
        ok = _resolve(job, sel)
        problems = _problems(job, ok, id_field, refused)
        count = _insert(job, store, ok, path)
    store.append("problems", _problem_frame(said + notes(), path))
    store.append("problems", problems.to_pandas().assign(**{SRC: path, KIND: schema.KIND_FILE}))
    return Loaded(file_digest(key), count, len(refused))


# --- UCDP GED ----------------------------------------------------------------------------------


def _load_ucdp(store: Store, key: str, path: str, display: str) -> Loaded:
    """A UCDP GED CSV through DuckDB, mapped as `formats.ucdp` maps it."""
    lines, header_index, header = _header(key, display, ucdp.SIGNATURE, "UCDP GED")
    columns = csvutil.split_header(header)
    checked = csvutil.CsvTable(display, columns=columns, header_line=header_index + 1)
    if csvutil.missing_columns(checked, ucdp.REQUIRED):
        store.append("problems", _problem_frame(checked.problems, path))
        return Loaded(file_digest(key), 0)
    said: list[str] = []
    return _load(store, key, path, display,
                 ("ucdp", header_index, columns, csvutil.sniff_delimiter(header), True),
                 lambda job: _ucdp_select(job, said), "id",
                 lambda: _preamble(lines, header_index, display) + [
                     Problem(display, header_index + 1, "date_start", note, WARNING)
                     for note in said])


def _ucdp_days(job: _Job, said: list[str]) -> str:
    """formats.ucdp's dates (`_dates`, `_when`) once per distinct date_start, date_end and
    year, the file's day order decided from every row's dates as the reader decides it;
    what the day reader noticed of the whole file goes to `said`."""
    counts = job.db.execute(f"SELECT {job.key('date_start')}, {job.key('date_end')}, count(*) "
                            f"FROM {job.rows} r GROUP BY ALL").fetchall()
    days = DayColumn("date_start", itertools.chain.from_iterable(
        itertools.repeat(v, n) for start, end, n in counts for v in (start, end)))

    def apply(row: csvutil.CsvRow, table: csvutil.CsvTable) -> dict:
        start, end = ucdp._dates(row, table, days)
        return {"start": start, "end": end, **_day_labels(ucdp._when(start, end))}

    lookup = job.lookup("days", ("date_start", "date_end", "year"), apply,
                        {"start": pa.date32(), "end": pa.date32(), **_DAY_LABELS})
    if days.note:
        said.append(days.note)
    if days.two_digit_guessed:
        said.append(f"two-digit years (such as '{days.two_digit_guessed}') were given their "
                    f"century by dateutil's rule, as {ucdp.EXPORT.no_year}")
    return lookup


def _ucdp_estimates(row: csvutil.CsvRow, table: csvutil.CsvTable) -> dict:
    """formats.ucdp's death estimates and casualty text of one low, best, high."""
    low, best, high, dropped = ucdp._estimates(row, table)
    text = (None if low is None and high is None
            else ucdp._casualty_text(low, best, high) + dropped)
    return {"low": low, "best": best, "high": high, "cas_text": text}


def _ucdp_codes(row: csvutil.CsvRow, table: csvutil.CsvTable) -> dict:
    """formats.ucdp's reading of the codes (type of violence, date and place precision,
    event clarity): what they become and the tags they give."""
    violence = ucdp._code(row, "type_of_violence", ucdp.VIOLENCE_TYPES, table)
    event_type, violence_name = ucdp.VIOLENCE_TYPES.get(violence or 0, ("other", ""))
    if violence is None:
        table.add(row.line, "type_of_violence",
                  "no type of violence given; imported as 'other'", WARNING)
    date_prec = ucdp._code(row, "date_prec", ucdp.DATE_PRECISION, table)
    where = ucdp._code(row, "where_prec", ucdp.WHERE_PRECISION, table)
    codes_only = csvutil.CsvRow(0, {"where_prec": row.get("where_prec"),
                                    "event_clarity": row.get("event_clarity")})
    return {"type": event_type, "what": (violence_name or "violence").capitalize(),
            "where_code": where,
            "precision": ucdp.WHERE_PRECISION[where][0] if where else "region",
            # the conflict and dyad tags come between these two (`ucdp._tags`)
            "tags_first": ucdp._tags(csvutil.CsvRow(0, {}), violence, violence_name, None),
            "tags_rest": ucdp._tags(codes_only, None, "", date_prec)}


def _ucdp_select(job: _Job, said: list[str]) -> str:
    """Each row of a UCDP GED file with the values `formats.ucdp` gives it."""
    c = job.cell
    days = _ucdp_days(job, said)
    estimates = job.lookup("est", ("low", "best", "high"), _ucdp_estimates, {
        "low": pa.int64(), "best": pa.int64(), "high": pa.int64(), "cas_text": pa.string()})
    code_keys = ("type_of_violence", "date_prec", "where_prec", "event_clarity")
    codes = job.lookup("codes", code_keys, _ucdp_codes, {
        "type": pa.string(), "what": pa.string(), "where_code": pa.int64(),
        "precision": pa.string(), "tags_first": pa.list_(pa.string()),
        "tags_rest": pa.list_(pa.string())})
    countries = job.lookup("iso", ("country",),
                           lambda row, _: {"iso": ucdp._country(row.get("country"))},
                           {"iso": pa.string()})
    name = (f"coalesce(nullif({c('where_coordinates')}, ''), nullif({c('where_description')}, "
            f"''), nullif({c('adm_2')}, ''), nullif({c('adm_1')}, ''), "
            f"nullif({c('country')}, ''))")
    dyad = (f"CASE WHEN {c('dyad_name')} <> '' THEN {c('dyad_name')} ELSE concat_ws(' - ', "
            f"nullif({c('side_a')}, ''), nullif({c('side_b')}, '')) END")
    deaths = ", ".join(f"CASE WHEN {c(column)} <> '' THEN '{label} ' || {c(column)} END"
                       for column, label in (("deaths_a", "side A"), ("deaths_b", "side B"),
                                             ("deaths_civilians", "civilians"),
                                             ("deaths_unknown", "unknown")))
    source_days = (f"list_filter(list_transform(regexp_extract_all({c('source_date')}, "
                   r"'\d{4}-\d{2}-\d{2}'), x -> try_cast(x AS DATE)), x -> x IS NOT NULL)")
    iso = "strftime({}, '%Y-%m-%d')"
    return f"""
    WITH m AS (
    SELECT r._line, {_record(job, 'id', 'ucdp')},
        {_number(c('latitude'))} AS lat_given, {_number(c('longitude'))} AS lon_given,
        {c('latitude')} AS lat_text, {c('longitude')} AS lon_text, {name} AS name_raw,
        {c('where_description')} AS description, {dyad} AS dyad,
        {c('conflict_name')} AS conflict_name, {c('side_a')} AS side_a,
        {c('side_b')} AS side_b, {c('source_headline')} AS headline,
        {c('source_article')} AS source_article, list_min({source_days}) AS source_day,
        array_to_string(list_filter([{deaths}], x -> x IS NOT NULL), ', ') AS deaths,
        list_concat(k.tags_first, [
            CASE WHEN {c('conflict_name')} <> ''
                 THEN _wl_clip('conflict: ' || {c('conflict_name')}) END,
            CASE WHEN {c('dyad_name')} <> '' THEN _wl_clip('dyad: ' || {c('dyad_name')}) END],
            k.tags_rest,
            list_transform(_wl_split({c('source_office')}), x -> _wl_clip('source: ' || x)),
            list_transform(_wl_split({c('source_original')}),
                           x -> _wl_clip('original source: ' || x))) AS tag_list,
        d.start, d."end", d.ev_start, d.ev_end, d.dprec, d.dlabel, d.dtext,
        e.best, e.low AS cas_low, e.high AS cas_high, e.cas_text,
        k.type, k.what, k.precision,
        CASE WHEN k.where_code = 7 THEN NULL ELSE i.iso END AS country,
        {_said('d._problems', 'e._problems', 'k._problems', 'i._problems')}
    FROM {job.rows} r
    LEFT JOIN {days} d ON {job.on('d', ('date_start', 'date_end', 'year'))}
    LEFT JOIN {estimates} e ON {job.on('e', ('low', 'best', 'high'))}
    LEFT JOIN {codes} k ON {job.on('k', code_keys)}
    LEFT JOIN {countries} i ON {job.on('i', ('country',))}
    ), p AS (
    SELECT *, coalesce(lat_given IS NOT NULL AND lon_given IS NOT NULL
            AND lat_given BETWEEN -90 AND 90 AND lon_given BETWEEN -180 AND 180, false)
            AS valid
    FROM m
    ), q AS (
    SELECT *, name_raw IS NOT NULL OR valid AS has_place,
        _wl_clip(coalesce(name_raw, CAST(lat_given AS VARCHAR) || ', '
                          || CAST(lon_given AS VARCHAR))) AS place_name,
        coalesce(nullif(_wl_slug(coalesce(name_raw, '')), ''), 'place') AS place_id,
        CASE WHEN NOT valid AND description <> '' AND description <> coalesce(name_raw, '')
             THEN _wl_clip(description) END AS alias,
        nullif(concat_ws(chr(10) || chr(10), nullif(headline, ''), nullif(source_article, '')),
               '') AS given_text,
        CASE WHEN start IS NULL THEN 'undated' WHEN start = "end" THEN {iso.format('start')}
             ELSE {iso.format('start')} || ' to ' || {iso.format('"end"')} END AS dates_label
    FROM p
    ), w AS (
    SELECT *, CASE WHEN has_place THEN place_name ELSE '' END AS at_where FROM q
    )
    SELECT *, {_coordinates('latitude', 'longitude')},
        _wl_clip(coalesce(nullif(conflict_name, ''), nullif(dyad, ''), 'UCDP event')
                 || CASE WHEN at_where <> '' THEN ': ' || at_where ELSE '' END
                 || ', ' || dates_label) AS title,
        'UCDP GED' AS outlet, NULL AS url,
        coalesce(source_day, "end") AS pub_day,
        source_day IS NULL AND "end" IS NOT NULL AS pub_inferred,
        coalesce(given_text, 'UCDP records an event'
            || CASE WHEN dyad <> '' THEN ' involving ' || dyad ELSE '' END
            || CASE WHEN at_where <> '' THEN ' at ' || at_where ELSE '' END
            || CASE WHEN start IS NULL OR "end" IS NULL THEN ''
                    WHEN start = "end" THEN ' on ' || {iso.format('start')}
                    ELSE ' between ' || {iso.format('start')} || ' and '
                         || {iso.format('"end"')} END
            || coalesce(', with a best estimate of ' || CAST(best AS VARCHAR) || ' deaths', '')
            || '.') AS text,
        nullif(concat_ws(' ',
            CASE WHEN given_text IS NULL THEN 'UCDP gives no source headline or article text '
                 || 'for this event; the text was generated from the record''s fields by '
                 || 'warlens.' END,
            CASE WHEN deaths <> '' THEN 'UCDP deaths by party: ' || deaths || '.' END,
            CASE WHEN source_day IS NULL AND "end" IS NOT NULL THEN 'The published date is '
                 || 'the event''s last day, not a source''s date.' END), '') AS notes,
        'UCDP GED' AS art_tags,
        _wl_clip(what || CASE WHEN at_where <> '' THEN ' at ' || at_where ELSE '' END
                 || CASE WHEN dyad <> '' THEN ': ' || dyad ELSE '' END) AS summary,
        CASE WHEN side_a <> '' AND side_b <> '' AND _wl_clip(side_a) <> _wl_clip(side_b)
             THEN _wl_clip(side_a) || '; ' || _wl_clip(side_b)
             WHEN side_a <> '' THEN _wl_clip(side_a) WHEN side_b <> '' THEN _wl_clip(side_b)
             ELSE '' END AS actors,
        array_to_string(list_filter(tag_list, x -> x IS NOT NULL), '; ') AS ev_tags
    FROM w
    """


# --- GDELT -------------------------------------------------------------------------------------


def _load_gdelt(store: Store, key: str, path: str, display: str) -> Loaded:
    """A GDELT events export (tab-separated, no header) through DuckDB, mapped as
    `formats.gdelt` maps it; the layout is told by the first line, as the reader tells it."""
    lines = [line for line in csvutil.head_lines(Path(key))[:1] if line.strip()]
    layout = gdelt.layout_of(lines[0]) if lines else None
    if layout is None:
        raise BulkError(f"{display}: not a GDELT events export (61, 58 or 57 tab-separated "
                        "cells on its first line)")
    return _load(store, key, path, display, ("gdelt", -1, list(layout[1]), "\t", False),
                 _gdelt_select, gdelt.ID, list)


def _gdelt_day(row: csvutil.CsvRow, said: csvutil.CsvTable) -> dict:
    """formats.gdelt's event day of one SQLDATE, and the event's dates from it."""
    day = gdelt.event_day(row, said)
    return {"day": day, **_day_labels(day.isoformat() if day else "undated")}


def _gdelt_select(job: _Job) -> str:
    """Each row of a GDELT export with the values `formats.gdelt` gives it."""
    c = job.cell
    days = job.lookup("days", (gdelt.DAY,), _gdelt_day, {"day": pa.date32(), **_DAY_LABELS})
    added = job.lookup("added", (gdelt.ADDED,),
                       lambda row, said: {"added": gdelt.published_day(row, said, None)[0]},
                       {"added": pa.date32()})
    type_keys = ("EventRootCode", "EventBaseCode")
    types = job.lookup("types", type_keys, lambda row, said: dict(zip(
        ("type", "what"), gdelt.event_types(row, said), strict=True)) | {
            "cameo": gdelt.cameo_tag(row.get("EventRootCode"))},
        {"type": pa.string(), "what": pa.string(), "cameo": pa.list_(pa.string())})
    geo = job.lookup("geo", ("ActionGeo_Type",), lambda row, said: {
        "precision": gdelt.geo_precision(row, said)}, {"precision": pa.string()})
    countries = job.lookup("iso", ("ActionGeo_CountryCode",), lambda row, said: {
        "iso": gdelt.country(row, said)}, {"iso": pa.string()})
    one, two = c("Actor1Name"), c("Actor2Name")
    # each named once, in order (`dict.fromkeys` in the reader)
    actors = (f"CASE WHEN {one} <> '' AND {two} <> '' AND _wl_clip({one}) <> _wl_clip({two}) "
              f"THEN [_wl_clip({one}), _wl_clip({two})] WHEN {one} <> '' THEN [_wl_clip({one})] "
              f"WHEN {two} <> '' THEN [_wl_clip({two})] ELSE []::VARCHAR[] END")
    tags = ", ".join(f"CASE WHEN {c(column)} <> '' THEN _wl_clip('{column}: ' || {c(column)}) END"
                     for column in gdelt.TAG_COLUMNS)
    url = _literal(f"(?i)^https?://[^{_WS_CHARS}/$.?#][^{_WS_CHARS}]*$")
    iso = "strftime(day, '%Y-%m-%d')"
    return f"""
    WITH m AS (
    SELECT r._line, {_record(job, gdelt.ID, 'gdelt')},
        {_number(c(gdelt.LAT))} AS lat_given, {_number(c(gdelt.LON))} AS lon_given,
        {c(gdelt.LAT)} AS lat_text, {c(gdelt.LON)} AS lon_text,
        {c('ActionGeo_FullName')} AS name_raw, {c('EventCode')} AS code,
        {c(gdelt.SOURCE)} AS source, {actors} AS actor_list,
        list_concat(t.cameo, [{tags}]) AS tag_list,
        d.day, d.ev_start, d.ev_end, d.dprec, d.dlabel, d.dtext, a.added, t.type, t.what,
        g.precision, i.iso AS country,
        {_said('d._problems', 'a._problems', 't._problems', 'g._problems', 'i._problems')}
    FROM {job.rows} r
    LEFT JOIN {days} d ON {job.on('d', (gdelt.DAY,))}
    LEFT JOIN {added} a ON {job.on('a', (gdelt.ADDED,))}
    LEFT JOIN {types} t ON {job.on('t', type_keys)}
    LEFT JOIN {geo} g ON {job.on('g', ('ActionGeo_Type',))}
    LEFT JOIN {countries} i ON {job.on('i', ('ActionGeo_CountryCode',))}
    ), p AS (
    SELECT *, coalesce(lat_given IS NOT NULL AND lon_given IS NOT NULL
            AND lat_given BETWEEN -90 AND 90 AND lon_given BETWEEN -180 AND 180, false)
            AS valid,
        actor_list AS named
    FROM m
    ), q AS (
    SELECT *, name_raw <> '' OR valid AS has_place,
        _wl_clip(coalesce(nullif(name_raw, ''), CAST(lat_given AS VARCHAR) || ', '
                          || CAST(lon_given AS VARCHAR))) AS place_name,
        coalesce(nullif(_wl_slug(name_raw), ''), 'place') AS place_id,
        NULL::VARCHAR AS alias
    FROM p
    ), w AS (
    SELECT *, CASE WHEN has_place THEN place_name ELSE '' END AS at_where FROM q
    ), s AS (
    SELECT *, what || CASE WHEN at_where <> '' THEN ' in ' || at_where ELSE '' END
              AS summary_text FROM w
    )
    SELECT * EXCLUDE (summary_text), {_coordinates(gdelt.LAT, gdelt.LON)},
        _wl_clip(summary_text || ', ' || coalesce({iso}, 'undated')) AS title,
        {_literal(gdelt.OUTLET)} AS outlet,
        CASE WHEN regexp_matches(source, {url}) THEN source END AS url,
        coalesce(added, day) AS pub_day, coalesce(added, day) IS NOT NULL AS pub_inferred,
        'GDELT codes an event of type ' || what
            || CASE WHEN code <> '' THEN ' (CAMEO ' || code || ')' ELSE '' END
            || CASE WHEN at_where <> '' THEN ' at ' || at_where ELSE '' END
            || coalesce(' on ' || {iso}, '')
            || CASE WHEN len(named) > 0 THEN ', involving ' || array_to_string(named, ' and ')
                    ELSE '' END
            || '.' || CASE WHEN source <> '' THEN ' Source: ' || source ELSE '' END AS text,
        {_literal(gdelt.GENERATED)} || CASE
            WHEN added IS NOT NULL THEN ' ' || {_literal(gdelt.ADDED_NOTE)}
            WHEN day IS NOT NULL THEN ' ' || {_literal(gdelt.DAY_NOTE)} ELSE '' END AS notes,
        'GDELT' AS art_tags, _wl_clip(summary_text) AS summary,
        array_to_string(named, '; ') AS actors,
        NULL::BIGINT AS cas_low, NULL::BIGINT AS cas_high, NULL::VARCHAR AS cas_text,
        array_to_string(list_filter(list_concat(tag_list, [CASE WHEN source <> ''
            THEN _wl_clip('source: ' || source) END]), x -> x IS NOT NULL), '; ') AS ev_tags
    FROM s
    """


__all__ = ["FORMATS", "BulkError", "Loaded", "bulk_format", "inside_folder", "lines_at",
           "load_file", "record_lines"]
