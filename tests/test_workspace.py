"""The Workspace: one owner of a data folder, loading it once however many ask at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from seedcorpus import seed_folder
from warlens import workspace
from warlens.workspace import Workspace


def test_sessions_opening_a_fresh_server_together_load_the_folder_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve sessions on a fresh server each loaded the folder at once, and some pages
    came out empty (tests/e2e/test_load.py); one loads now, the others take its corpus."""
    calls: list[Path] = []
    real = workspace.load_corpus

    def slow_load(folder: Path):
        calls.append(folder)
        time.sleep(0.3)
        return real(folder, cache=False)

    monkeypatch.setattr(workspace, "load_corpus", slow_load)
    owner = Workspace(seed_folder())
    got = []
    threads = [threading.Thread(target=lambda: got.append(owner.corpus())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len({id(c) for c in got}) == 1 and len(got[0].articles) == 1


def test_a_changed_file_is_loaded_again(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARLENS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "data"
    folder.mkdir()
    source = next(seed_folder().glob("*.yaml"))
    (folder / source.name).write_bytes(source.read_bytes())
    monkeypatch.setattr(workspace, "FINGERPRINT_TTL_S", 0.0)
    monkeypatch.setattr(workspace, "FINGERPRINT_TTL_COST", 0)
    owner = Workspace(folder)
    first = owner.corpus()
    assert owner.corpus() is first  # nothing changed: the same corpus
    text = (folder / source.name).read_text(encoding="utf-8")
    (folder / source.name).write_text(text.replace("outlet: Sky News", "outlet: Sky"),
                                      encoding="utf-8")
    assert list(owner.corpus().articles["outlet"]) == ["Sky"]
