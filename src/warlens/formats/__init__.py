"""The formats a data folder may hold, each one entry in one registry.

Every format (native YAML among them) is a `Format`: its name, the suffixes it claims,
how it recognises a file, how it reads one, which files it reads along with it and
which files are only ever read along with another. Readers return plain native article
documents (the same structure as a YAML article file) with a line map pointing back
into the source file, so that imported data goes through exactly the validation
native files do, and `warlens import` can write them out as editable YAML.

Formats are found through the `warlens.formats` entry point group (pyproject.toml
registers the built-in ones there), so a package of its own can add a format without
an edit here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from warlens.boundary import is_regular
from warlens.problems import Problem
from warlens.yamlio import Path as DocPath

#: The entry point group formats register in.
ENTRY_POINTS = "warlens.formats"
#: The format of warlens' own article files.
NATIVE = "native"


@dataclass
class Imported:
    """What a reader got from one source: native article documents and problems.

    `docs` holds (document, lines) pairs; `lines` maps paths inside the document to the
    1-based line or row of the source file it came from ({(): row} at the least).
    """

    docs: list[tuple[dict, dict[DocPath, int]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


#: reader(path, display, *, root=None, label_map=None): `root` is the data folder nothing
#: may be read outside of (None: the file's own folder); see `warlens.boundary`.
Reader = Callable[..., Imported]


def _no_companions(path: Path, root: Path | str | None) -> list[Path]:
    return []


def _never(path: Path) -> bool:
    return False


@dataclass(frozen=True)
class Format:
    """One format: what the folder walk, the corpus loader and `warlens import` need."""

    name: str
    #: What people call it ("Label Studio"), for messages and help.
    label: str
    #: The suffixes (lower case) of the files it may read: no other file is shown to it.
    suffixes: tuple[str, ...]
    #: detect(path) -> bool: whether a file with one of `suffixes` is of this format.
    detect: Callable[[Path], bool]
    #: read(path, display, *, root=None, label_map=None) -> Imported; may raise OSError.
    read: Reader
    #: companions(path, root): the other files read along with `path` (a brat .txt...).
    companions: Callable[[Path, Path | str | None], list[Path]] = _no_companions
    #: is_side_file(path): a file read only along with another (TimeMap's sources).
    is_side_file: Callable[[Path], bool] = _never
    #: main_file(side file): the file a side file is read along with, if it has side files.
    main_file: Callable[[Path], Path] | None = None
    #: Where it stands among the formats, lowest first: the first that recognises a file
    #: takes it, and `warlens import` lists them in this order.
    rank: int = 100
    #: Whether its reader takes a label map (`warlens import --labels`).
    takes_labels: bool = False
    #: Whether `warlens import` offers it (native files need no import).
    importable: bool = True


#: What the folder walk says of a .csv file no reader recognises.
UNRECOGNISED_CSV = ("no reader recognises this CSV file: an ACLED export needs the columns "
                    "event_id_cnty and event_date, a UCDP GED export date_start, where_prec "
                    "and side_a, in a header within its first lines; a GDELT events export "
                    "has no header but 61 (2.0) or 58 or 57 (1.0) tab-separated cells a line, "
                    "starting with an event id and a YYYYMMDD day; not read")

#: What the folder walk says of a .json file no reader recognises.
UNRECOGNISED_JSON = ("no reader recognises this JSON file: a Label Studio export is a list "
                     "of tasks with data and annotations (or predictions) near its start, a "
                     "TimeMap export a file named export_events.json; not read")


@cache
def registry() -> dict[str, Format]:
    """Every installed format by name, by rank (native first), then by name.

    Raises RuntimeError when the native format is missing: the package's metadata is
    out of date (reinstall it), and reading on would take every file for unknown.
    """
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINTS)}
    if NATIVE not in found:
        raise RuntimeError(f"no '{NATIVE}' format in the {ENTRY_POINTS} entry points: "
                           "warlens' installed metadata is out of date; reinstall it "
                           "(pip install -e .)")
    loaded: list[Format] = []
    for name, entry in found.items():
        fmt = entry.load()
        if not isinstance(fmt, Format) or fmt.name != name:
            raise RuntimeError(f"the {ENTRY_POINTS} entry point '{name}' is not the Format "
                               f"named '{name}'")
        loaded.append(fmt)
    return {fmt.name: fmt for fmt in sorted(loaded, key=lambda f: (f.rank, f.name))}


def get(name: str) -> Format | None:
    """The format called `name`, or None if none is installed by that name."""
    return registry().get(name)


def importable() -> tuple[str, ...]:
    """The names `warlens import FORMAT` accepts."""
    return tuple(name for name, fmt in registry().items() if fmt.importable)


def suffixes() -> tuple[str, ...]:
    """Every suffix some format claims: a file with one that cannot be read is reported."""
    return tuple(dict.fromkeys(s for fmt in registry().values() for s in fmt.suffixes))


def native_suffixes() -> tuple[str, ...]:
    """The suffixes of native article files."""
    return registry()[NATIVE].suffixes


def detect(path: Path, root: Path | str | None = None) -> str | None:
    """The format of a file, or None if no reader recognises it.

    Only a regular file inside `root` is looked at: a detector reads the file's head,
    and opening a FIFO would wait for ever. A side file (TimeMap's export_sources.json)
    is no format of its own: it is read with the file it belongs to.
    """
    if not is_regular(path, root) or is_side_file(path):
        return None
    name = path.name.lower()
    for fmt in registry().values():
        if not name.endswith(fmt.suffixes):
            continue
        try:
            if fmt.detect(path):
                return fmt.name
        except OSError:
            return None
    return None


def is_side_file(path: Path) -> bool:
    """Whether `path` is read only along with another file (TimeMap's export_sources.json
    and the like): its reader reports what is wrong with it, the folder walk does not."""
    return any(fmt.is_side_file(path) for fmt in registry().values())


def companions(path: Path, root: Path | str | None = None) -> list[Path]:
    """The other files a reader reads along with `path` (a brat .txt, TimeMap's sources
    and associations, a label map), so that a change to any of them re-reads `path`.

    Only regular files inside `root` (None: the file's folder) count: no other is read.
    """
    root = path.parent if root is None else root
    fmt = get(detect(path, root) or "")
    if fmt is None:
        return []
    return [p for p in fmt.companions(path, root) if is_regular(p, root)]
