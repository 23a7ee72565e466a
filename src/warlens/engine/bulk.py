"""Big event datasets straight into an engine (placeholder: filled in below)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Loaded:
    """What a bulk load put in: the file's digest and the rows loaded."""

    digest: str
    rows: int


def bulk_format(path: Path, root: Path) -> str | None:
    """The dataset format of a CSV the engine loads in bulk, or None."""
    return None


def load_file(store, key, path, display, *, root) -> Loaded:
    """Load one dataset CSV in bulk."""
    raise NotImplementedError


def load_events(report, folder, events, fmt) -> None:
    """Load an event CSV in bulk (placeholder)."""
    raise NotImplementedError
