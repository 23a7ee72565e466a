"""`warlens validate`: every problem as `path:line: field: message`, and an honest exit code."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from warlens.cli import main

ROOT = Path(__file__).parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
KYIV = FIXTURES / "mixed" / "kyiv-drone-attack-2023-05-28.yaml"

PROBLEM_LINE = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>\d+): (?P<field>\S+): (?P<message>.+)$")


def summary(articles: int, events: int, claims: int, places: int, contested: int,
            errors: int, warnings: int, files: int) -> re.Pattern[str]:
    """The summary line's counts, whatever the plural endings."""
    return re.compile(
        rf"^{articles} articles?, {events} events?, {claims} claims?, {places} places?, "
        rf"{contested} contested; {errors} errors?, {warnings} warnings? in {files} files?$")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = main(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


@pytest.fixture
def warnings_only(tmp_path: Path) -> Path:
    """A folder whose one article loads, but with a place the gazetteer does not know."""
    text = KYIV.read_text("utf-8").replace("name: Kyiv", "name: Zzyzx Outpost")
    (tmp_path / "outpost.yaml").write_text(text, "utf-8")
    return tmp_path


def test_the_bundled_data_validates_cleanly_with_its_counts(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("WARLENS_DATA", raising=False)
    code, lines, err = run(capsys)
    assert code == 0
    assert len(lines) == 2
    assert summary(21, 192, 235, 103, 5, 0, 0, 21).match(lines[0])
    # The bundled corpus: 4 outlets, stories reported across them, none left a draft.
    assert lines[1] == ("4 outlets; 18 stories, 16 reported by 2 or more outlets, "
                        "7 contested; 0 drafts")
    assert err == ""


def test_the_data_folder_can_be_chosen_with_warlens_data(capsys, monkeypatch):
    monkeypatch.setenv("WARLENS_DATA", str(FIXTURES / "mixed"))
    code, lines, _ = run(capsys)
    assert code == 1
    assert summary(3, 5, 5, 5, 1, 3, 0, 6).match(lines[-1])


def test_the_bad_folder_fails_with_one_path_line_field_message_line_per_problem(
        capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    code, lines, _ = run(capsys, "bad")
    assert code == 1
    *problems, last = lines
    assert re.match(r"^\d+ articles?, .* in 59 files$", last)
    assert len(problems) >= 53
    for line in problems:
        match = PROBLEM_LINE.match(line)
        assert match, line
        assert match["file"].startswith("bad/") and match["file"].endswith(".yaml")
    assert ("bad/unknown-key-qoute.yaml:21: events[0].qoute: unknown key 'qoute' "
            "(did you mean 'quote'?)") in problems
    assert ("bad/duplicate-key.yaml:6: title: duplicate key \"title\": it is already used on "
            "line 3 of this mapping") in problems


def test_json_output_has_the_counts_and_every_problem_with_its_fields(capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    code, lines, _ = run(capsys, "mixed", "--json")
    assert code == 1
    report = json.loads("\n".join(lines))
    assert report == {
        "articles": 3, "events": 5, "claims": 5, "places": 5, "contested": 1,
        "outlets": 1, "stories": 0, "stories_multi_outlet": 0, "stories_contested": 0,
        "drafts": 0,
        "problems": [
            {"file": "mixed/broken-syntax.yaml", "line": 7, "field": "(file)",
             "message": "YAML syntax error: found unexpected end of stream (while scanning a "
                        "quoted scalar that starts on line 3); a quote or bracket is never "
                        "closed",
             "severity": "error"},
            {"file": "mixed/latin1-title.yaml", "line": 3, "field": "(file)",
             "message": "the file is not valid UTF-8: byte 0xE9 at byte offset 79 (invalid "
                        "continuation byte)",
             "severity": "error"},
            {"file": "mixed/missing-outlet.yaml", "line": 1, "field": "outlet",
             "message": "is required but missing", "severity": "error"},
        ],
    }


def test_json_output_gives_null_for_a_problem_without_a_line(capsys, tmp_path):
    (tmp_path / "leak.yaml").symlink_to("/etc/hostname")
    code, lines, _ = run(capsys, str(tmp_path), "--json")
    assert code == 1
    [problem] = json.loads("\n".join(lines))["problems"]
    assert problem["line"] is None
    assert problem["message"].startswith("is a symbolic link leading outside the data folder")


def test_json_output_of_clean_data_has_an_empty_problem_list(capsys):
    code, lines, _ = run(capsys, str(ROOT / "data" / "articles"), "--json")
    assert code == 0
    report = json.loads("\n".join(lines))
    assert report["problems"] == []
    assert (report["articles"], report["outlets"], report["drafts"]) == (21, 4, 0)


def test_warnings_alone_pass(capsys, warnings_only):
    code, lines, _ = run(capsys, str(warnings_only))
    assert code == 0
    [warning, last] = lines
    assert warning.endswith(": places[0].name: warning: 'Zzyzx Outpost' is not in the "
                            "gazetteer and has no lat/lon: it stays off the map (add lat and "
                            "lon, or an alias)")
    assert summary(1, 1, 2, 1, 0, 0, 1, 1).match(last)


def test_warnings_fail_with_strict(capsys, warnings_only):
    code, _, _ = run(capsys, str(warnings_only), "--strict")
    assert code == 1


def test_json_output_marks_a_warning_by_its_severity(capsys, warnings_only):
    code, lines, _ = run(capsys, str(warnings_only), "--json", "--strict")
    assert code == 1
    [problem] = json.loads("\n".join(lines))["problems"]
    assert problem["severity"] == "warning"
    assert problem["field"] == "places[0].name"


@pytest.mark.parametrize("argv", [[], ["validate", "--no-such-option"], ["frobnicate"]],
                         ids=["no-command", "unknown-option", "unknown-command"])
def test_a_usage_error_exits_2_with_one_line_on_stderr(capsys, argv):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("warlens: ") and err.count("\n") == 1


def test_the_installed_console_script_reports_problems_and_exits_1():
    script = shutil.which("warlens")
    assert script, "the warlens console script is not installed (pip install -e .)"
    done = subprocess.run([script, "validate", "mixed"], cwd=FIXTURES, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("mixed/broken-syntax.yaml:7: (file): YAML syntax error")
    assert summary(3, 5, 5, 5, 1, 3, 0, 6).match(lines[-1])
