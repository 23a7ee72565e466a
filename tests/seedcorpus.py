"""The seed article alone, for tests that pin its figures (6 events, 12 claims, 1 contested).

The bundled data folder holds 21 articles from 4 outlets; tests written against the seed
Bakhmut article read it from a folder of its own, made once per test run, so adding
articles to the bundle never changes what they check.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLED = REPO_ROOT / "data" / "articles"
SEED_FILE = BUNDLED / "bakhmut-falls-2023-05-21.yaml"


@functools.cache
def seed_folder() -> Path:
    """A folder holding only a copy of the seed article."""
    folder = Path(tempfile.mkdtemp(prefix="warlens-seed-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    shutil.copy2(SEED_FILE, folder / SEED_FILE.name)
    return folder
