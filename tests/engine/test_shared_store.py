"""Two app processes reading one PostgreSQL store show the same data, and both show a new
build without being restarted: the newsroom setup of docs/engines.md."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engines import _why_not, postgres_database
from warlens.cli import main
from warlens.workspace import FINGERPRINT_TTL_S

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "articles"

#: One app process: each line on its stdin reruns the Overview; it answers with the
#: metrics a reader sees, as one JSON line.
REPLICA = """
import json, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=120)
for _ in sys.stdin:
    at.run()
    shown = {m.label: m.value for m in at.metric}
    print(json.dumps({"metrics": shown, "errors": [e.value for e in at.exception]}),
          flush=True)
"""


class Replica:
    """An app process serving the Overview from an engine."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", REPLICA, str(ROOT / "app.py")], cwd=ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def overview(self) -> dict[str, str]:
        """Rerun the Overview, and the metrics it shows."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("run\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        assert not answer["errors"], answer["errors"]
        return answer["metrics"]

    def close(self) -> None:
        """End the process."""
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


@pytest.fixture
def shared(tmp_path: Path):
    """A copy of the bundled folder built into a fresh PostgreSQL database, and its URL."""
    why = _why_not("postgres")
    if why:
        pytest.skip(why)
    folder = tmp_path / "articles"
    shutil.copytree(DATA, folder)
    with postgres_database() as url:
        assert main(["build", str(folder), "--engine", url]) == 0
        yield folder, url


def test_two_app_processes_on_one_postgres_show_the_same_data_and_the_next_build(
        shared, tmp_path: Path) -> None:
    folder, url = shared
    env = {**os.environ, "WARLENS_ENGINE": url, "WARLENS_DATA": str(folder),
           "WARLENS_CACHE_DIR": str(tmp_path / "cache")}
    replicas = [Replica(env), Replica(env)]
    try:
        first = [r.overview() for r in replicas]
        assert first[0] == first[1]
        assert first[0]["Articles"] == "21"
        # A build job changes the store while both are serving: one article goes.
        gone = sorted(folder.glob("*.yaml"))[0]
        gone.unlink()
        assert main(["build", str(folder), "--engine", url]) == 0
        time.sleep(FINGERPRINT_TTL_S + 0.5)
        second = [r.overview() for r in replicas]
        assert second[0] == second[1]
        assert second[0]["Articles"] == "20"
        assert second[0] != first[0]
    finally:
        for replica in replicas:
            replica.close()
