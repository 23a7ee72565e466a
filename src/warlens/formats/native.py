"""warlens' own article files: one YAML document per file, read with line marks."""

from __future__ import annotations

from pathlib import Path

from warlens import boundary
from warlens.formats import NATIVE, Format, Imported
from warlens.problems import WarlensError
from warlens.yamlio import load_yaml

#: Native article files, recognised by their suffix alone.
SUFFIXES = (".yaml", ".yml")


def detect(path: Path) -> bool:
    """A native article: any file named *.yaml or *.yml (what it holds is checked later)."""
    return path.name.lower().endswith(SUFFIXES)


def read(path: Path, display: str, *, root: Path | str | None = None,
         label_map: object = None) -> Imported:
    """The article document of a YAML file and its line marks; a YAML error is a problem.

    Raises OSError if the file cannot be read (or `boundary` refuses it). A native file
    names its own labels: `label_map` is not used.
    """
    data = boundary.read_bytes(path, boundary.CAPS["article"], root, "an article file")
    try:
        doc, lines = load_yaml(data)
    except WarlensError as exc:
        return Imported(problems=[exc.to_problem(display)])
    return Imported(docs=[(doc, lines)])


FORMAT = Format(NATIVE, "warlens YAML", SUFFIXES, detect, read, importable=False, rank=0)
