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


Reader = Callable[[Path, str], Imported]

#: Format name -> reader(path, display_name). Filled in by each format's module.
READERS: dict[str, Reader] = {}
#: Format name -> detector(path) -> bool: recognises a file by its name and content.
DETECTORS: dict[str, Callable[[Path], bool]] = {}


def register(name: str, reader: Reader, detector: Callable[[Path], bool]) -> None:
    """Make a format known to the corpus loader and to `warlens import`."""
    READERS[name] = reader
    DETECTORS[name] = detector


def detect(path: Path) -> str | None:
    """The format of a file, or None if no reader recognises it."""
    for name, is_it in DETECTORS.items():
        try:
            if is_it(path):
                return name
        except OSError:
            return None
    return None


def companions(path: Path) -> list[Path]:
    """The other files a reader reads along with `path` (a brat .txt, TimeMap's sources
    and associations, a label map), so that a change to any of them re-reads `path`."""
    fmt = detect(path)
    found: list[Path] = []
    if fmt == "brat":
        found.append(path.with_suffix(".txt"))
    elif fmt == "timemap":
        found += [path.with_name("export_sources.json"),
                  path.with_name("export_associations.json")]
    if fmt in ("brat", "labelstudio"):
        from warlens.formats.labels import OVERRIDE_NAME

        for folder in (path.parent, *path.parent.parents):
            if (folder / OVERRIDE_NAME).is_file():
                found.append(folder / OVERRIDE_NAME)
                break
    return [p for p in found if p.is_file()]


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
