"""A data folder and everything warlens keeps about it, owned in one place.

`Workspace(folder)` watches the folder, loads it through the compiled store (`cache`)
when its files change, and hands out the corpus; the app holds one per folder (ui/shell
keeps it in one `st.cache_resource`), the command line makes one per run. Nothing here
lives in a module global: two workspaces never share state, and a test's workspace dies
with the test.

`load_corpus(paths)` is the one-shot form for commands and tests: any mix of files and
folders, through the store when they are all folders.

`Workspace.source()` is what the pages draw from (`warlens.source.Source`): the loaded
corpus in memory, or, when `WARLENS_ENGINE` names an engine, that engine's tables (built
by `warlens build`); the choice is made once here, never in a page.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from warlens import cache as store
from warlens import engine
from warlens.corpus import Corpus, build_corpus, list_files, read_file
from warlens.gazetteer import Gazetteer, get_gazetteer
from warlens.problems import Problem
from warlens.source import Source, memory_source

if TYPE_CHECKING:  # the engine is imported only when one is used
    from warlens.engine.source import EngineSource

#: Where the app and the CLI look for articles unless WARLENS_DATA says otherwise.
DEFAULT_DATA = Path("data/articles")
#: How long a fingerprint of the data folder is trusted before the folder is walked again,
#: at least; a slow walk is trusted FINGERPRINT_TTL_COST times as long as it took, so that
#: walking (0.3-0.5 s of Python for 100,000 files, in the server's process) takes at most
#: a twentieth of the time and a changed file shows within ~10 s even there.
FINGERPRINT_TTL_S = 2.0
FINGERPRINT_TTL_COST = 20
#: A walk slower than this (a folder of ~2,000 files; 10,000 take ~0.1 s) is redone in the
#: background: the rerun that notices the fingerprint is old uses it once more instead of
#: waiting, since a person's next filter click comes after the TTL has run out.
WALK_INLINE_S = 0.02


def data_dir() -> Path:
    """The data folder: $WARLENS_DATA, else data/articles."""
    return Path(os.environ.get("WARLENS_DATA") or DEFAULT_DATA)


def load_corpus(paths: Path | str | Sequence[Path | str] | None = None, *,
                cache: bool = True) -> Corpus:
    """Load every article under `paths` (default: the data folder) into a Corpus.

    With `cache` (the default) and folders to load, the compiled store is used: only
    files changed since the last load are parsed.
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
        return store.load_cached(roots, listing.keys, listing.displays,
                                 extra_problems=problems, sources=sources,
                                 folders=listing.roots)
    results = [read_file(Path(f), s, r) for f, s, r in zip(listing.paths, listing.displays,
                                                           listing.roots, strict=True)]
    return build_corpus(results, extra_problems=problems, sources=sources)


def fingerprint(folder: Path) -> str:
    """A digest of the names, sizes and mtimes of the data files: when it changes, reload.

    A short string, not the list itself: it is compared on every rerun.
    """
    digest = hashlib.sha1(usedforsecurity=False)
    stack = [str(folder)]
    while stack:
        top = stack.pop()
        try:
            with os.scandir(top) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                    continue
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            digest.update(f"{entry.path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dataclass
class _Seen:
    """The last fingerprint of the folder: when it was taken, and what the walk cost."""

    value: str
    taken: float
    cost: float
    refreshing: bool = False


@dataclass
class _Served:
    """The engine a folder is served from: its source, the build stamp its answers come
    from, and when that stamp was last checked."""

    url: str
    source: EngineSource
    stamp: tuple[int, ...]
    checked: float


class Workspace:
    """One data folder: its watch, its store, its gazetteer and its current corpus."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._loading = threading.Lock()  # one load at a time; the others wait for it
        self._seen: _Seen | None = None
        self._loaded: tuple[str, Corpus] | None = None
        self._engine: _Served | None = None

    def __repr__(self) -> str:
        return f"Workspace({str(self.folder)!r})"

    @cached_property
    def gazetteer(self) -> Gazetteer:
        """The offline gazetteer the folder's places are resolved with."""
        return get_gazetteer()

    def fingerprint(self) -> str:
        """The folder's fingerprint, walked at most every FINGERPRINT_TTL_S (longer if slow).

        A rerun after a filter click must not walk 100,000 files: a fresh fingerprint is
        reused, and an old one of a slow folder is renewed by a background thread while
        this rerun goes on with it (the change shows on the next rerun).
        """
        with self._lock:
            seen = self._seen
            if seen is not None and time.monotonic() - seen.taken < max(
                    FINGERPRINT_TTL_S, FINGERPRINT_TTL_COST * seen.cost):
                return seen.value
            if seen is not None and seen.cost > WALK_INLINE_S:
                if not seen.refreshing:
                    seen.refreshing = True
                    threading.Thread(target=self._walk, daemon=True,
                                     name="warlens-fingerprint").start()
                return seen.value
        return self._walk()

    def _walk(self) -> str:
        started = time.monotonic()
        value = fingerprint(self.folder)
        done = time.monotonic()
        with self._lock:
            self._seen = _Seen(value, done, done - started)
        return value

    def corpus(self) -> Corpus:
        """The folder's corpus, loaded again (changed files only) when its files change."""
        current = self.fingerprint()
        loaded = self._loaded
        if loaded is not None and loaded[0] == current:
            return loaded[1]
        # Sessions opened together on a fresh server all ask at once: one loads, and the
        # others take its corpus rather than parse the folder again beside it.
        with self._loading:
            loaded = self._loaded
            if loaded is not None and loaded[0] == current:
                return loaded[1]
            self.gazetteer  # noqa: B018 - loaded once here, not inside the first parse
            corpus = load_corpus(self.folder)
            self._loaded = (current, corpus)
        return corpus

    @property
    def engine_url(self) -> str | None:
        """The engine this folder is served from (`WARLENS_ENGINE`), or None: in memory."""
        return engine.engine_url(self.folder)

    def source(self) -> Source:
        """What the pages draw from: the engine's tables when one is set, else the corpus.

        An engine is connected once and never walks or parses the folder (`warlens
        build` keeps it current); nothing is read from it until a page asks.
        """
        url = self.engine_url
        if url is None:
            return memory_source(self.corpus())
        with self._loading:
            current = self._engine
            if current is None or current.url != url:
                from warlens.engine.source import engine_source

                source = engine_source(url, (str(self.folder),))
                current = self._engine = _Served(url, source, source.stamp(), time.monotonic())
            elif time.monotonic() - current.checked > FINGERPRINT_TTL_S:
                # A build (another process, perhaps another machine) may have changed the
                # store: every replica then forgets its answers and reads the new rows.
                stamp = current.source.stamp()
                if stamp != current.stamp:
                    from warlens.engine.source import engine_source

                    # A new connection: the old source closes its own when it goes.
                    fresh = engine_source(url, (str(self.folder),))
                    current = self._engine = _Served(url, fresh, stamp, time.monotonic())
                else:
                    current.checked = time.monotonic()
        return current.source
