"""Readers for the formats people already have, each turning a file into native articles.

Every reader returns plain native article documents (the same structure as a
YAML article file) with a line map pointing back into the source file, so that
imported data goes through exactly the validation native files do, and
`warlens import` can write them out as editable YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from warlens.boundary import is_regular
from warlens.problems import Problem
from warlens.yamlio import Path as DocPath


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

#: What the folder walk says of a .csv file no reader recognises.
UNRECOGNISED_CSV = ("no reader recognises this CSV file: an ACLED export needs the columns "
                    "event_id_cnty and event_date, a UCDP GED export date_start, where_prec "
                    "and side_a, in a header within its first lines; not read")

#: What the folder walk says of a .json file no reader recognises.
UNRECOGNISED_JSON = ("no reader recognises this JSON file: a Label Studio export is a list "
                     "of tasks with data and annotations (or predictions) near its start, a "
                     "TimeMap export a file named export_events.json; not read")

#: Format name -> reader(path, display_name). Filled in by each format's module.
READERS: dict[str, Reader] = {}
#: Format name -> detector(path) -> bool: recognises a file by its name and content.
DETECTORS: dict[str, Callable[[Path], bool]] = {}


def register(name: str, reader: Reader, detector: Callable[[Path], bool]) -> None:
    """Make a format known to the corpus loader and to `warlens import`."""
    READERS[name] = reader
    DETECTORS[name] = detector


def detect(path: Path, root: Path | str | None = None) -> str | None:
    """The format of a file, or None if no reader recognises it.

    Only a regular file inside `root` is looked at: a detector reads the file's head,
    and opening a FIFO would wait for ever. A side file (TimeMap's export_sources.json)
    is no format of its own: it is read with the file it belongs to.
    """
    if not is_regular(path, root) or is_side_file(path):
        return None
    for name, is_it in DETECTORS.items():
        try:
            if is_it(path):
                return name
        except OSError:
            return None
    return None


def is_side_file(path: Path) -> bool:
    """Whether `path` is read only along with another file (TimeMap's export_sources.json
    and the like): its reader reports what is wrong with it, the folder walk does not."""
    from warlens.formats.timemap import is_side_file as timemap_side

    return timemap_side(path)


def companions(path: Path, root: Path | str | None = None) -> list[Path]:
    """The other files a reader reads along with `path` (a brat .txt, TimeMap's sources
    and associations, a label map), so that a change to any of them re-reads `path`.

    Only regular files inside `root` (None: the file's folder) count: no other is read.
    """
    root = path.parent if root is None else root
    fmt = detect(path, root)
    found: list[Path] = []
    if fmt == "brat":
        found.append(path.with_suffix(".txt"))
    elif fmt == "timemap":
        found += [path.with_name("export_sources.json"),
                  path.with_name("export_associations.json")]
    if fmt in ("brat", "labelstudio"):
        from warlens.formats.labels import find_override

        override = find_override(path, root)
        if override is not None:
            found.append(override)
    return [p for p in found if is_regular(p, root)]


def _load_builtin() -> None:
    # Each module registers itself on import; a format under construction may be missing.
    import importlib

    for module in ("labelstudio", "brat", "timemap", "acled", "ucdp"):
        try:
            importlib.import_module(f"warlens.formats.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"warlens.formats.{module}":
                raise


_load_builtin()
