"""A data folder -> Corpus: the resolved tables plus every problem found.

Files are read one by one (a bad file never hides a good one), then checked
across the corpus (an article id used twice names both files), then stacked
into pandas tables and given what is derived rather than typed: which claims
and events are contested, and how many claims each event has.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from warlens import boundary, formats, model, stories
from warlens.article import FileResult, read_article_doc
from warlens.model import Col
from warlens.problems import ERROR, WARNING, Problem

#: Native article files, read by their suffix.
NATIVE_SUFFIXES = formats.native_suffixes()


@dataclass(frozen=True)
class Corpus:
    """The resolved tables of a set of articles, and what could not be loaded."""

    articles: pd.DataFrame
    places: pd.DataFrame
    events: pd.DataFrame
    claims: pd.DataFrame
    problems: pd.DataFrame
    files: int = 0
    sources: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_errors(self) -> int:
        """How many problems are errors (something was not loaded)."""
        return int((self.problems["severity"] == ERROR).sum())

    @property
    def n_warnings(self) -> int:
        """How many problems are warnings (loaded with something missing)."""
        return int((self.problems["severity"] == WARNING).sum())

    @cached_property
    def memo(self) -> dict[str, Any]:
        """Values later stages derive from this corpus (query's codes, the vocabulary),
        kept while it lives: the corpus is read-only, so they never go stale."""
        return {}

    @cached_property
    def stories(self) -> pd.DataFrame:
        """One row per story (`stories.STORY_COLUMNS`), derived once per corpus."""
        return stories.story_table(self.articles, self.events, self.claims)

    def counts(self) -> dict[str, int]:
        """Headline counts, as `warlens validate --json` prints them."""
        told = self.stories
        return {
            "articles": len(self.articles),
            "outlets": int(self.articles[Col.OUTLET].nunique()),
            "events": len(self.events),
            "claims": len(self.claims),
            "places": len(self.places),
            "contested": int(self.events[Col.CONTESTED].sum()) if len(self.events) else 0,
            "stories": len(told),
            "stories_multi_outlet": int((told[stories.N_OUTLETS] >= 2).sum()),
            "stories_contested": int(told[Col.CONTESTED].sum()),
            "drafts": int(self.articles[Col.DRAFT].sum() + self.events[Col.DRAFT].sum()
                          + self.claims[Col.DRAFT].sum() + self.places[Col.DRAFT].sum()),
        }


def find_files(paths: Iterable[Path]) -> list[Path]:
    """Every readable file under `paths` (files as given, folders walked), sorted.

    Native YAML articles are taken by their suffix; other files only when a format
    reader recognises them (a Label Studio export, a brat .ann, an ACLED CSV, ...).
    Hidden files and folders (a name starting with ".") are skipped, symlinked
    folders are not entered, and symlinked files are taken only when they lead to a
    file inside the folder (`list_files` says why the others were left out).
    """
    return [Path(p) for p in list_files(paths).paths]


@dataclass(frozen=True)
class Listing:
    """The files `find_files` finds, each as found, as an absolute path, and as shown."""

    paths: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    displays: list[str] = field(default_factory=list)
    #: The data folder each file was found in (for a file given by name, its own folder):
    #: nothing a reader reads beside the file may lie outside it.
    roots: list[str] = field(default_factory=list)
    #: Files left out, each said: a link leaving the folder, a FIFO or device.
    problems: list[Problem] = field(default_factory=list)


#: Suffixes of files a reader may take: one of these that cannot be read is reported.
READ_SUFFIXES = formats.suffixes()
#: What the walk says of a file with a reader's suffix that no reader recognises.
_UNRECOGNISED = {".csv": formats.UNRECOGNISED_CSV, ".json": formats.UNRECOGNISED_JSON}


def list_files(paths: Iterable[Path]) -> Listing:
    """`find_files` as strings, with each file's absolute path and displayed name.

    Strings, and paths worked out once per folder rather than once per file: at
    100,000 files, Path objects and per-file abspath/realpath took seconds, the walk
    itself a fraction of one. The names shown are those `_displays` gives.
    """
    listing = Listing()
    cwd = os.getcwd()  # noqa: PTH109
    folders: dict[str, tuple[str, str]] = {}  # folder as reached -> (absolute, shown) prefix
    for path in paths:
        if not path.is_dir():
            text = str(path)
            listing.paths.append(text)
            listing.keys.append(os.path.abspath(text))  # noqa: PTH100
            listing.displays.extend(_displays([text]))
            listing.roots.append(os.path.dirname(os.path.realpath(text)))  # noqa: PTH120
            continue
        root = os.path.realpath(path)
        for top, name, is_link in _walk(path, listing.problems):
            text = os.path.join(top, name)  # noqa: PTH118
            if is_link and not boundary.inside(os.path.realpath(text), root):
                if name.lower().endswith(READ_SUFFIXES) and not formats.is_side_file(
                        Path(text)):
                    listing.problems.append(Problem(
                        _displays([os.path.join(os.path.realpath(top), name)])[0],  # noqa: PTH118
                        None, "(file)", "is a symbolic link leading outside the data folder; "
                        "not followed"))
                continue
            if not (name.lower().endswith(NATIVE_SUFFIXES)
                    or formats.detect(Path(text), root)):
                unknown = _UNRECOGNISED.get(name[name.rfind("."):].lower() if "." in name else "")
                if unknown and not formats.is_side_file(Path(text)):
                    listing.problems.append(Problem(_displays([text])[0], 1, "(file)", unknown,
                                                    WARNING))
                continue
            prefixes = folders.get(top)
            if prefixes is None:
                prefixes = folders[top] = (os.path.join(os.path.abspath(top), ""),  # noqa: PTH100, PTH118
                                           _shown_prefix(top, cwd))
            listing.paths.append(text)
            listing.keys.append(prefixes[0] + name)
            # realpath(folder/name) is realpath(folder)/name unless name is a symlink
            listing.displays.append(_displays([text])[0] if is_link else prefixes[1] + name)
            listing.roots.append(root)
    return listing


def _shown_prefix(folder: str, cwd: str) -> str:
    """What `_displays` puts before a file's name in `folder` (not a symlink itself)."""
    real = os.path.realpath(folder)
    if real == cwd:
        return ""
    prefix = cwd.rstrip(os.sep) + os.sep
    if real.startswith(prefix):
        return os.path.join(real[len(prefix):], "")  # noqa: PTH118
    return os.path.join(folder, "")  # noqa: PTH118


def _walk(folder: Path, problems: list[Problem]) -> list[tuple[str, str, bool]]:
    """The files under `folder` as (folder reached, name, is a symlink), in the order of
    sorted(folder.rglob("*")). The directory listing says which are symlinks for free.
    A FIFO, device or socket with a name a reader would take is a problem, never opened.

    One os.scandir per folder: 10,000 files take a tenth of the time rglob, is_file
    and relative_to took.
    """
    entries: list[tuple[tuple[str, ...], str, str, bool]] = []
    stack: list[tuple[str, tuple[str, ...]]] = [(str(folder), ())]
    while stack:
        top, rel = stack.pop()
        try:
            with os.scandir(top) as listing:
                for entry in listing:
                    name = entry.name
                    if name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, (*rel, name)))
                    elif entry.is_file():  # follows a symlink: list_files checks where to
                        entries.append(((*rel, name), top, name, entry.is_symlink()))
                    elif name.lower().endswith(READ_SUFFIXES) and not formats.is_side_file(
                            Path(entry.path)):
                        problems.append(Problem(_displays([entry.path])[0], None, "(file)",
                                                "is not a regular file (a FIFO, device or "
                                                "socket); not read"))
        except (PermissionError, FileNotFoundError, NotADirectoryError):
            continue  # as rglob did: an unreadable folder is skipped
    entries.sort(key=lambda e: e[0])  # Path order compares part by part
    return [(top, name, link) for _, top, name, link in entries]


def read_file(path: Path, display: str | None = None,
              root: Path | str | None = None) -> FileResult:
    """Read one file into rows and problems; unreadable files become a problem.

    `root` is the data folder the file was found in: what a reader reads beside the
    file (a brat .txt, a label map) must lie inside it. None means the file's own folder.
    """
    shown = display or str(path)
    # A native suffix decides alone (a FIFO named *.yaml is refused by the reader, with its
    # name); a file no format recognises is read as native, and says why it is not one.
    fmt = formats.NATIVE if path.suffix.lower() in NATIVE_SUFFIXES else (
        formats.detect(path, root) or formats.NATIVE)
    return read_imported(path, fmt, shown, root)


def _unread(exc: OSError) -> str:
    """Why a file was not read, in words: the boundary's reason, or the system's."""
    if isinstance(exc, boundary.Refused):
        return f"the file {exc.strerror}"
    return f"cannot be read: {exc.strerror or exc}"


def read_imported(path: Path, fmt: str, display: str,
                  root: Path | str | None = None) -> FileResult:
    """Read a file of format `fmt` into rows: its reader's documents go through the
    checks of a native article."""
    result = FileResult(display)
    try:
        imported = formats.registry()[fmt].read(path, display, root=root)
    except OSError as exc:
        result.problems.append(Problem(display, None, "(file)", _unread(exc)))
        return result
    result.problems.extend(imported.problems)
    for doc, lines in imported.docs:
        rows, problems = read_article_doc(doc, display, lines)
        result.problems.extend(problems)
        if rows is not None:
            result.articles.append(rows)
    return result


def _displays(paths: Sequence[Path | str]) -> list[str]:
    """Files' names as shown in problems: relative to the working folder when possible.

    Each folder is resolved once, not once per file.

    realpath(folder/name) is realpath(folder)/name unless name is itself a symlink
    (or ".."), the only case resolved per file. Strings, not Paths: 10,000 files take
    50 ms rather than 0.9 s.
    """
    # os.path on strings on purpose (ruff's PTH rules): Path objects cost 10x here.
    cwd = os.getcwd()  # noqa: PTH109
    prefix = cwd.rstrip(os.sep) + os.sep
    folders: dict[str, str] = {}
    shown: list[str] = []
    for path in paths:
        text = os.fspath(path)
        parent, name = os.path.split(text)
        if name in ("", ".", "..") or os.path.islink(text):  # noqa: PTH114
            real = os.path.realpath(text)
        else:
            real_parent = folders.get(parent)
            if real_parent is None:
                real_parent = folders[parent] = os.path.realpath(parent)
            real = os.path.join(real_parent, name)  # noqa: PTH118
        if real == cwd:
            shown.append(".")
        else:
            shown.append(real[len(prefix):] if real.startswith(prefix) else str(path))
    return shown


def build_corpus(results: Iterable[FileResult], *, extra_problems: Iterable[Problem] = (),
                 sources: tuple[str, ...] = ()) -> Corpus:
    """Per-file results -> a Corpus, through `assemble` like every other corpus."""
    results = list(results)
    return assemble(tables_of(results), len(results), extra_problems=extra_problems,
                    sources=sources)


def extend(shared: Corpus, results: Sequence[FileResult]) -> Corpus:
    """`shared` plus more files (an upload), as a new Corpus; `shared` is unchanged.

    The new files are more per-file tables after the shared corpus's, assembled like any
    load: an article whose id the shared corpus already uses is not loaded, so an upload
    can never replace or shadow a shared article.
    """
    own = tables_of(results)
    tables = {}
    for name, table in own.items():
        base = getattr(shared, name).assign(**{FILE: 0, DOC: -2})  # never a later duplicate
        if name == "articles":
            base[ID_LINE] = 1
        moved = table.assign(**{FILE: table[FILE] + 1})
        tables[name] = pd.concat([t for t in (base, moved) if len(t)] or [base],
                                 ignore_index=True)
    return assemble(tables, shared.files + len(results),
                    sources=(*shared.sources, *(r.file for r in results)))


# --- per-file tables ------------------------------------------------------------------------


#: The table of each kind and its columns.
TABLES: dict[str, list[str]] = {
    "articles": model.ARTICLE_COLUMNS,
    "places": model.PLACE_COLUMNS,
    "events": model.EVENT_COLUMNS,
    "claims": model.CLAIM_COLUMNS,
    "problems": model.PROBLEM_COLUMNS,
}
#: Helper columns of per-file tables: the file a row came from (its position in the
#: load), and which of the file's articles (an imported file may hold several).
FILE, DOC = "_file", "_doc"
#: Helper column of the articles table: the line of the article's id, for the problem
#: that names a duplicate.
ID_LINE = "_id_line"


def tables_of(results: Iterable[FileResult]) -> dict[str, pd.DataFrame]:
    """Per-file results -> one table per kind, every row tagged with its file and article.

    A row's file is the result's position in `results`.
    """
    rows: dict[str, list[dict]] = {name: [] for name in TABLES}
    src: dict[str, list[int]] = {name: [] for name in TABLES}
    doc: dict[str, list[int]] = {name: [] for name in TABLES}
    for key, result in enumerate(results):
        for i, article in enumerate(result.articles):
            for name, items in (("articles", [article.article]), ("places", article.places),
                                ("events", article.events), ("claims", article.claims)):
                rows[name].extend(items)
                src[name].extend([key] * len(items))
                doc[name].extend([i] * len(items))
        rows["problems"].extend(p.to_dict() for p in result.problems)
        src["problems"].extend([key] * len(result.problems))
        doc["problems"].extend([-1] * len(result.problems))
    tables = {}
    for name, columns in TABLES.items():
        frame = (_problem_frame(rows[name]) if name == "problems"
                 else _frame(rows[name], columns))
        frame[FILE] = pd.Series(src[name], dtype="int32")
        frame[DOC] = pd.Series(doc[name], dtype="int32")
        if name == "articles":
            frame[ID_LINE] = pd.Series([r.get(Col.LINE) or 1 for r in rows[name]],
                                       dtype="int64")
        tables[name] = frame
    return tables


def _problem_frame(rows: list[dict]) -> pd.DataFrame:
    """Problem rows -> the problems table, typed as `build_corpus` types it."""
    frame = pd.DataFrame(rows, columns=model.PROBLEM_COLUMNS)
    frame["line"] = frame["line"].astype("Int64")
    return frame


def empty_tables() -> dict[str, pd.DataFrame]:
    """Tables with no rows, typed as a parse would type them."""
    return {name: frame.copy() for name, frame in _empty_parse().items()}


@functools.cache
def _empty_parse() -> dict[str, pd.DataFrame]:
    return tables_of([])




def assemble(tables: dict[str, pd.DataFrame], n_files: int, *,
             extra_problems: Iterable[Problem] = (), sources: tuple[str, ...] = ()
             ) -> Corpus:
    """Per-file tables (in file order, see `tables_of`) -> the Corpus: the one way a corpus
    is made, from files just parsed, from the cache, or with an uploaded file added.

    The checks across files run here, vectorised: an article id already used by an
    earlier file drops the later article with its places, events and claims; then
    what is derived (contested events; stories, when first asked for).
    """
    articles = tables["articles"]
    places, events, claims = tables["places"], tables["events"], tables["claims"]
    problems = tables["problems"].assign(_after=0)
    duplicate = articles[Col.ARTICLE].duplicated(keep="first")
    if duplicate.any():
        first = articles.loc[~duplicate].set_index(Col.ARTICLE)[Col.FILE]
        dropped = articles.loc[duplicate]
        messages = [f"article id '{a}' is already used by {first[a]}; this file was not loaded"
                    for a in dropped[Col.ARTICLE]]
        found = pd.DataFrame({"file": dropped[Col.FILE].to_numpy(),
                              "line": dropped[ID_LINE].to_numpy(), "field": "id",
                              "message": messages, "severity": ERROR,
                              FILE: dropped[FILE].to_numpy(), DOC: -1, "_after": 1})
        found["line"] = found["line"].astype("Int64")
        problems = pd.concat([problems, found], ignore_index=True)
        position = problems[FILE].to_numpy() * 2 + problems["_after"].to_numpy()
        problems = problems.iloc[np.argsort(position, kind="stable")]
        gone = set(zip(dropped[FILE], dropped[DOC], strict=True))
        places, events, claims = (
            t[np.fromiter((pair not in gone for pair in zip(t[FILE], t[DOC], strict=True)),
                          dtype=bool, count=len(t))]
            for t in (places, events, claims))
        articles = articles.loc[~duplicate]
    extra = [p.to_dict() for p in extra_problems]
    if extra:
        problems = pd.concat([_problem_frame(extra), problems], ignore_index=True)
    articles, places, events, claims = (
        _like_built(t, TABLES[name]) for t, name in ((articles, "articles"), (places, "places"),
                                                     (events, "events"), (claims, "claims")))
    problem_frame = (_like_built(problems, model.PROBLEM_COLUMNS) if len(problems)
                     else _problem_frame([]))
    events, claims = derive_contested(events, claims)
    return Corpus(articles, places, events, claims, problem_frame, files=n_files,
                          sources=sources)


@functools.cache
def _built_dtypes(columns: tuple[str, ...]) -> dict[str, object]:
    """The column types `build_corpus` gives a table (dates: the unit pandas picks)."""
    return dict(_frame([], list(columns)).dtypes)


def _like_built(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Drop the helper columns; give each text column the type a fresh build infers.

    Tables stacked from several parses can hold a column that is text in one part and
    all-missing (object) in another; a single build over all rows infers text.
    """
    out = frame[columns].reset_index(drop=True)
    built = _built_dtypes(tuple(columns))
    for col in columns:
        values = out[col]
        if values.dtype.kind == "M" and values.dtype != built[col]:
            out[col] = values.astype(built[col])  # a stored unit may differ from a build's
        elif values.dtype == object and len(values):
            kind = pd.api.types.infer_dtype(values, skipna=True)
            if kind == "string":
                out[col] = values.astype("str")
            elif kind == "empty":
                out[col] = pd.Series([None] * len(values), dtype=object)
    return out


_DATE_COLUMNS = (Col.START, Col.END, Col.PUBLISHED_START, Col.PUBLISHED_END)
_NUMBER_COLUMNS = (Col.LAT, Col.LON)
_INT_COLUMNS = (Col.SPAN_START, Col.SPAN_END, Col.LINE, Col.GEONAMES, Col.CASUALTIES_LOW,
                Col.CASUALTIES_HIGH, Col.N_CLAIMS)


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """Rows -> a table with stable column types, even when empty."""
    frame = pd.DataFrame(rows, columns=columns)
    for col in columns:
        if col in _DATE_COLUMNS:
            frame[col] = pd.to_datetime(frame[col])
        elif col in _NUMBER_COLUMNS:
            frame[col] = pd.to_numeric(frame[col]).astype("float64")
        elif col in _INT_COLUMNS:
            frame[col] = pd.to_numeric(frame[col]).astype("Int64")
        elif col in (Col.CONTESTED, Col.DRAFT, Col.PUBLISHED_INFERRED):
            frame[col] = frame[col].astype(bool)
    return frame


def derive_contested(events: pd.DataFrame, claims: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                           pd.DataFrame]:
    """Mark contested events and claims; count claims per event.

    An event is contested when one claimant asserts it and another denies it.
    The asserting and denying claims about it are contested too.

    Counted on integer codes by `stories.contested_among`, which stories use too.
    """
    codes, uniques = pd.factorize(pd.concat([events[Col.KEY], claims[Col.EVENT]],
                                            ignore_index=True))
    n = len(uniques)
    event_code, about = codes[:len(events)], codes[len(events):]
    stance = claims[Col.STANCE]
    sided = stance.isin(("asserts", "denies")).to_numpy(dtype=bool) & (about >= 0)
    contested = stories.contested_among(about, n, stance, claims[Col.CLAIMANT])
    n_claims = np.bincount(about[about >= 0], minlength=n)
    has_event = event_code >= 0
    events = events.assign(**{
        Col.CONTESTED: np.where(has_event, contested[np.maximum(event_code, 0)], False)
        if n else np.zeros(len(events), dtype=bool),
        Col.N_CLAIMS: pd.array(np.where(has_event, n_claims[np.maximum(event_code, 0)], 0) if n
                               else np.zeros(len(events), dtype=np.int64), dtype="Int64"),
    })
    claim_contested = (np.where(about >= 0, contested[np.maximum(about, 0)], False)
                       if n else np.zeros(len(claims), dtype=bool))
    claims = claims.assign(**{Col.CONTESTED: claim_contested & sided})
    return events, claims
