"""`warlens import`: other formats in, editable YAML articles out, every problem named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from warlens.cli import main
from warlens.workspace import load_corpus

FIXTURES = Path(__file__).parent / "fixtures"
#: What an event means to a reader, whatever file it was loaded from.
SAME = ["key", "summary", "type", "start", "end", "date_precision", "place_name", "lat", "lon",
        "precision", "country", "actors", "quote", "casualties_low", "casualties_high",
        "casualties_text", "sources", "tags"]


def events(folder: Path) -> pd.DataFrame:
    return load_corpus(folder).events[SAME].sort_values("key").reset_index(drop=True)


@pytest.mark.parametrize(("fmt", "code"), [("acled", 1), ("ucdp", 0), ("timemap", 0)])
def test_imported_yaml_validates_and_reloads_to_the_same_events(fmt, code, tmp_path, capsys):
    out = tmp_path / "articles"
    # ACLED's fixtures hold rows that cannot be imported; the others only values left out
    assert main(["import", fmt, str(FIXTURES / fmt), "-o", str(out)]) == code
    written = load_corpus(out)
    assert written.n_errors == 0
    assert len(written.articles) == len(list(out.glob("*.yaml")))
    pd.testing.assert_frame_equal(events(out), events(FIXTURES / fmt))


def test_problems_point_at_the_source_file_line_and_a_summary_follows(tmp_path, capsys):
    source = FIXTURES / "acled" / "acled-ukraine-2023.csv"
    code = main(["import", "acled", str(source), "-o", str(tmp_path)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0  # the two bad values are left out, their events kept
    assert out[0].startswith(f"{source}:7: event_date: warning: '2023-02-30' is not a "
                             "calendar day")
    assert out[1].startswith(f"{source}:8: latitude: warning: 149.9935 is out of range")
    assert out[-1] == ("imported 7 articles (7 events) from 1 file: 7 written, 0 unchanged, "
                       "0 skipped; 2 problems")
    assert (tmp_path / "acled-ukr100002.yaml").is_file()


def test_a_clean_file_imports_with_exit_code_zero(tmp_path, capsys):
    source = tmp_path / "clean.csv"
    source.write_text("event_id_cnty,event_date,event_type,location,latitude,longitude,notes\n"
                      "UKR5,2023-01-01,Battles,Bakhmut,48.59,38.0,Clashes in Bakhmut.\n",
                      encoding="utf-8")
    assert main(["import", "acled", str(source), "-o", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.strip() == ("imported 1 article (1 event) from 1 file: "
                                               "1 written, 0 unchanged, 0 skipped; 0 problems")


def test_a_hand_edited_article_is_not_replaced_without_overwrite(tmp_path, capsys):
    source = tmp_path / "clean.csv"
    source.write_text("event_id_cnty,event_date,event_type,location,latitude,longitude,notes\n"
                      "UKR5,2023-01-01,Battles,Bakhmut,48.59,38.0,Clashes in Bakhmut.\n",
                      encoding="utf-8")
    out = tmp_path / "out"
    assert main(["import", "acled", str(source), "-o", str(out)]) == 0
    article = out / "acled-ukr5.yaml"
    edited = article.read_text(encoding="utf-8").replace("outlet: ACLED", "outlet: ACLED, checked")
    article.write_text(edited, encoding="utf-8")
    assert main(["import", "acled", str(source), "-o", str(out)]) == 0
    assert article.read_text(encoding="utf-8") == edited
    assert "use --overwrite" in capsys.readouterr().out
    assert main(["import", "acled", str(source), "-o", str(out), "--overwrite"]) == 0
    assert article.read_text(encoding="utf-8") != edited


def test_the_same_record_in_two_sources_is_written_once(tmp_path, capsys):
    first = FIXTURES / "ucdp" / "ged-ukraine-sudan.csv"
    second = tmp_path / "copy.csv"
    shutil.copy(first, second)
    assert main(["import", "ucdp", str(first), str(second), "-o", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert f"{second}:2: id: article id 'ucdp-900001' was already imported from {first}:2" in out


@pytest.mark.parametrize("argv", [
    ["import", "geojson", "x.csv", "-o", "out"],        # unknown format
    ["import", "acled", "no/such/file.csv", "-o", "out"],  # missing source
    ["import", "acled", "-o", "out"],                   # no source at all
    ["import", "ucdp", str(FIXTURES / "timemap"), "-o", "out"],  # nothing of the format there
])
def test_usage_errors_exit_with_two_and_write_nothing(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert not (tmp_path / "out").exists()
