"""A data folder -> Corpus: the resolved tables plus every problem found.

Files are read one by one (a bad file never hides a good one), then checked
across the corpus (an article id used twice names both files), then stacked
into pandas tables and given what is derived rather than typed: which claims
and events are contested, and how many claims each event has.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from warlens import boundary, formats, model
from warlens.article import ArticleRows, FileResult, read_article_doc, read_article_file
from warlens.model import Col
from warlens.problems import ERROR, WARNING, Problem

#: Where the app and the CLI look for articles unless WARLENS_DATA says otherwise.
DEFAULT_DATA = Path("data/articles")
NATIVE_SUFFIXES = (".yaml", ".yml")


def data_dir() -> Path:
    """The data folder: $WARLENS_DATA, else data/articles."""
    return Path(os.environ.get("WARLENS_DATA") or DEFAULT_DATA)


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

    def counts(self) -> dict[str, int]:
        """Headline counts, as `warlens validate --json` prints them."""
        return {
            "articles": len(self.articles),
            "events": len(self.events),
            "claims": len(self.claims),
            "places": len(self.places),
            "contested": int(self.events[Col.CONTESTED].sum()) if len(self.events) else 0,
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
READ_SUFFIXES = (*NATIVE_SUFFIXES, ".csv", ".json", ".ann")
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
    fmt = None if path.suffix.lower() in NATIVE_SUFFIXES else formats.detect(path, root)
    if fmt is not None:
        return read_imported(path, fmt, shown, root)
    try:
        data = boundary.read_bytes(path, boundary.CAPS["article"], root, "an article file")
    except OSError as exc:
        return FileResult(shown, problems=[Problem(shown, None, "(file)", _unread(exc))])
    return read_article_file(data, shown)


def _unread(exc: OSError) -> str:
    """Why a file was not read, in words: the boundary's reason, or the system's."""
    if isinstance(exc, boundary.Refused):
        return f"the file {exc.strerror}"
    return f"cannot be read: {exc.strerror or exc}"


def read_imported(path: Path, fmt: str, display: str,
                  root: Path | str | None = None) -> FileResult:
    """Read a file of another format through the same checks as a native article."""
    result = FileResult(display)
    try:
        imported = formats.READERS[fmt](path, display, root=root)
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


def load_corpus(paths: Path | str | Sequence[Path | str] | None = None, *,
                cache: bool = True) -> Corpus:
    """Load every article under `paths` (default: the data folder) into a Corpus.

    With `cache` (the default) and folders to load, the compiled cache
    (`warlens.cache`) is used: only files changed since the last load are parsed.
    """
    if paths is None:
        paths = [data_dir()]
    elif isinstance(paths, str | Path):
        paths = [paths]
    roots = [Path(p) for p in paths]
    problems: list[Problem] = []
    for root in roots:
        if not root.exists():
            problems.append(Problem(str(root), None, "(file)", "no such file or folder"))
    listing = list_files(r for r in roots if r.exists())
    problems.extend(listing.problems)
    sources = tuple(str(r) for r in roots)
    if cache and roots and all(r.is_dir() for r in roots):
        from warlens import cache as compiled  # imports this module: import it late

        return compiled.load_cached(roots, listing.keys, listing.displays,
                                    extra_problems=problems, sources=sources,
                                    folders=listing.roots)
    results = [read_file(Path(f), s, r) for f, s, r in zip(listing.paths, listing.displays,
                                                           listing.roots, strict=True)]
    return build_corpus(results, extra_problems=problems, sources=sources)


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
    """Stack per-file results into tables; check ids across files; derive contested."""
    problems = list(extra_problems)
    kept: list[ArticleRows] = []
    first_file: dict[str, str] = {}
    n_files = 0
    for result in results:
        n_files += 1
        problems.extend(result.problems)
        for rows in result.articles:
            article_id = rows.article[Col.ARTICLE]
            if article_id in first_file:
                problems.append(Problem(
                    result.file, rows.article.get(Col.LINE, 1), "id",
                    f"article id '{article_id}' is already used by {first_file[article_id]}; "
                    "this file was not loaded"))
                continue
            first_file[article_id] = result.file
            kept.append(rows)
    articles = _frame([r.article for r in kept], model.ARTICLE_COLUMNS)
    places = _frame([p for r in kept for p in r.places], model.PLACE_COLUMNS)
    events = _frame([e for r in kept for e in r.events], model.EVENT_COLUMNS)
    claims = _frame([c for r in kept for c in r.claims], model.CLAIM_COLUMNS)
    events, claims = derive_contested(events, claims)
    problem_frame = pd.DataFrame([p.to_dict() for p in problems], columns=model.PROBLEM_COLUMNS)
    problem_frame["line"] = problem_frame["line"].astype("Int64")
    return Corpus(articles, places, events, claims, problem_frame, files=n_files,
                  sources=sources)


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

    That holds exactly when the event has an asserting and a denying claim and at least
    two distinct claimants among them, which is counted on integer codes: this runs on
    every load, and at 100,000 articles a merge of claimant strings took seconds.
    """
    codes, uniques = pd.factorize(pd.concat([events[Col.KEY], claims[Col.EVENT]],
                                            ignore_index=True))
    n = len(uniques)
    event_code, about = codes[:len(events)], codes[len(events):]
    stance = claims[Col.STANCE]
    asserts = stance.eq("asserts").to_numpy(dtype=bool, na_value=False) & (about >= 0)
    denies = stance.eq("denies").to_numpy(dtype=bool, na_value=False) & (about >= 0)
    sided = asserts | denies
    who = pd.factorize(claims[Col.CLAIMANT], use_na_sentinel=False)[0].astype(np.int64)
    base = int(who.max(initial=0)) + 1  # (event, claimant) pairs as one integer each
    pairs = np.unique(about[sided].astype(np.int64) * base + who[sided])
    distinct = np.bincount(pairs // base, minlength=n)
    contested = (np.bincount(about[asserts], minlength=n) > 0) \
        & (np.bincount(about[denies], minlength=n) > 0) & (distinct >= 2)
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
