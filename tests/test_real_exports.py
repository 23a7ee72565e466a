"""Real exports as people have them (issue 12): re-saved dates, notes before the header,
figures that contradict each other, brat with tabs, spans with no event, a whole TimeMap
export. Each test loads a small fixture of that shape and checks what a reader sees."""

from __future__ import annotations

import datetime
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from imported import day, event
from warlens.cli import main
from warlens.corpus import Corpus
from warlens.formats.exportdates import DayColumn
from warlens.workspace import load_corpus

RESAVED = Path(__file__).parent / "fixtures" / "resaved"


def load(name: str) -> Corpus:
    return load_corpus(RESAVED / name, cache=False)




def problems_of(corpus: Corpus, file: str) -> list[tuple[int | None, str, str, str]]:
    rows = corpus.problems[corpus.problems["file"].str.endswith(file)]
    return [(None if pd.isna(p.line) else int(p.line), p.field, p.severity, p.message)
            for p in rows.itertuples()]


# --- ACLED -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def acled() -> Corpus:
    return load("acled")


def test_acled_dates_with_a_time_part_are_read_day_first(acled):
    assert event(acled, "acled-ukr9001")["start"] == day("2020-08-14")
    assert event(acled, "acled-ukr9002")["start"] == day("2020-09-03")  # settled by the 14


def test_two_digit_years_take_their_century_from_the_year_column(acled):
    assert event(acled, "acled-ukr8001")["start"] == day("2019-12-31")
    assert event(acled, "acled-ukr8002")["start"] == day("1998-01-05")
    [(line, field, severity, message)] = [
        p for p in problems_of(acled, "acled-two-digit-years.csv")]
    assert (line, field, severity) == (4, "event_date", "warning")
    assert "'05-01-20' has the two-digit year '20' but the year column says 2019" in message


def test_a_row_with_a_bad_date_and_bad_figure_keeps_its_place_and_actors(acled):
    marinka = event(acled, "acled-ukr9003")
    assert pd.isna(marinka["start"])
    assert marinka["place_name"] == "Marinka" and marinka["lat"] == pytest.approx(47.9447)
    assert marinka["actors"] == "Military Forces of Russia (2000-)"
    found = problems_of(acled, "acled-excel-times.csv")
    assert [(line, field, severity) for line, field, severity, _ in found] == [
        (4, "event_date", "warning"), (4, "fatalities", "warning")]
    date_message = found[0][3]
    assert "'3rd of never'" in date_message
    assert "accepted: 2023-05-12" in date_message and "5/12/2023 12:00:00 AM" in date_message
    assert "imported undated" in date_message


def test_a_note_and_a_blank_line_before_the_header_are_skipped_with_a_warning(acled):
    assert event(acled, "acled-ukr7001")["start"] == day("2023-05-12")
    bakhmut = event(acled, "acled-ukr7002")
    assert bakhmut["line"] == 5  # lines count from the top of the file, notes included
    [(line, field, severity, message)] = problems_of(acled, "acled-with-a-note-first.csv")
    assert (line, field, severity) == (1, "(file)", "warning")
    assert "header is on line 3" in message and "'(Sample)'" in message


@pytest.mark.parametrize(("name", "content", "says"), [
    ("notes.csv", "a,b\n1,2\n", "event_id_cnty and event_date"),
    ("tasks.json", '{"not": "a list of tasks"}', "a list of tasks with data and annotations"),
])
def test_a_file_no_reader_recognises_is_reported_not_silently_skipped(name, content, says,
                                                                      tmp_path):
    (tmp_path / name).write_text(content, encoding="utf-8")
    corpus = load_corpus(tmp_path, cache=False)
    [(line, field, severity, message)] = problems_of(corpus, name)
    assert (line, field, severity) == (1, "(file)", "warning")
    assert says in message


def test_a_note_before_the_header_imports_with_the_cli_too(tmp_path, capsys):
    source = RESAVED / "acled" / "acled-with-a-note-first.csv"
    assert main(["import", "acled", str(source), "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "header is on line 3" in out
    assert out.splitlines()[-1].startswith("imported 2 articles (2 events) from 1 file")


# --- UCDP ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ucdp() -> Corpus:
    return load("ucdp")


def test_ucdp_iso_dates_with_a_time_are_read(ucdp):
    assert event(ucdp, "ucdp-700001")["start"] == day("2015-08-19")


def test_an_excel_us_resave_in_cp1252_is_read_month_first(ucdp):
    geneina = event(ucdp, "ucdp-500001")
    assert (geneina["start"], geneina["end"]) == (day("2023-02-27"), day("2023-02-28"))
    assert event(ucdp, "ucdp-500002")["start"] == day("2023-03-01")  # 3/1: month first
    assert "Attaque à El Geneina" in geneina["quote"]


def test_an_unsettled_day_month_order_is_said_once_per_file(ucdp):
    found = problems_of(ucdp, "ged-day-month-unsettled.csv")
    assert len(found) == 1
    line, field, severity, message = found[0]
    assert (line, field, severity) == (1, "date_start", "warning")
    assert "read day-first" in message
    assert event(ucdp, "ucdp-600001")["start"] == day("2014-02-05")


def test_low_above_high_keeps_the_event_and_the_figures_that_agree(ucdp):
    invasion = event(ucdp, "ucdp-700002")
    assert invasion["start"] == day("2022-02-24")
    assert (invasion["casualties_low"], invasion["casualties_high"]) == (5294, 5294)
    assert "high 0 left out" in invasion["casualties_text"]
    hostomel = event(ucdp, "ucdp-700003")
    assert (hostomel["casualties_low"], hostomel["casualties_high"]) == (40, 40)
    found = problems_of(ucdp, "ged-iso-times.csv")
    assert [(line, field, severity) for line, field, severity, _ in found] == [
        (3, "low", "warning"), (4, "low", "warning")]
    assert "low estimate 5294 is above the high estimate 0" in found[0][3]


# --- dates, decided per file ---------------------------------------------------------------

@pytest.mark.parametrize(("values", "expected", "order"), [
    (["14/08/2020 00:00:00", "03/09/2020 00:00:00"], "2020-09-03", "day-first"),
    (["2/27/2023 12:00:00 AM", "3/1/2023 12:00:00 AM"], "2023-03-01", "month-first"),
    (["3/1/2023 12:00:00 AM"], "2023-03-01", "month-first"),  # AM/PM: a US spreadsheet
    (["03/01/2023", "12.05.2023"], "2023-01-03", "day-first"),  # unsettled: day first
])
def test_one_order_is_decided_per_file_from_all_its_values(values, expected, order):
    column = DayColumn("date", values)
    assert column.order == order
    assert column.day(values[-1 if "12.05.2023" not in values else 0]).isoformat() == expected


def test_a_value_that_contradicts_the_files_order_is_reported_not_swapped():
    column = DayColumn("date", ["14/08/2020", "08/15/2020", "20/08/2020"])
    assert column.order == "day-first" and "mix" in (column.note or "")
    with pytest.raises(ValueError, match="written month-first"):
        column.day("08/15/2020")


def test_a_year_first_date_is_never_read_year_day_month_in_a_day_first_file():
    column = DayColumn("date", ["14/08/2020", "2023/05/12", "2023.05.12 10:00"])
    assert column.order == "day-first"
    assert column.day("2023/05/12").isoformat() == "2023-05-12"
    assert column.day("2023.05.12 10:00").isoformat() == "2023-05-12"


def test_a_month_and_year_alone_is_not_taken_for_the_first_of_the_month():
    with pytest.raises(ValueError, match="no day, month and year"):
        DayColumn("date", []).day("May 2023")


# --- brat and Label Studio -------------------------------------------------------------------

def test_brat_lines_with_tabs_between_type_and_offsets_import_their_spans():
    corpus = load("brat")
    shelling = corpus.events.iloc[0]
    assert (shelling["type"], shelling["place_name"]) == ("remote_violence", "Kupiansk")
    assert shelling["start"] == day("2023-05-10")
    assert shelling["actors"] == "Russian forces"
    assert corpus.n_errors == 0


@pytest.mark.parametrize("folder", ["brat", "labelstudio"])
def test_spans_without_an_event_are_kept_as_tags_and_counted_once_per_file(folder):
    corpus = load(folder)
    tags = corpus.articles["tags"].iloc[0]
    assert "PER: Oleksandr Syrskyi" in tags and "DATE: 12 May 2023" in tags
    assert "ORG: The Red Cross" in tags
    said = corpus.problems[corpus.problems["message"].str.contains("attached to no event")]
    assert len(said) == 1
    assert "3 spans" in said["message"].iloc[0]
    assert "(DATE 1, ORG 1, PER 1)" in said["message"].iloc[0]


def test_a_brat_import_never_dates_the_article_by_the_files_clock(tmp_path):
    shutil.copytree(RESAVED / "brat", tmp_path / "brat")
    stamp = datetime.datetime(2020, 1, 1, 12, tzinfo=datetime.UTC).timestamp()
    for path in (tmp_path / "brat").iterdir():
        os.utime(path, (stamp, stamp))
    corpus = load_corpus(tmp_path / "brat", cache=False)
    assert pd.isna(corpus.articles["published_start"].iloc[0])
    assert len(corpus.events) == 1


# --- TimeMap ---------------------------------------------------------------------------------

def test_two_different_events_under_one_id_are_both_kept_with_a_warning():
    corpus = load("timemap")
    assert sorted(corpus.events["article"]) == ["timemap-1", "timemap-2", "timemap-2-2",
                                                "timemap-3"]
    assert event(corpus, "timemap-2-2")["place_name"] == "Kyiv"
    found = problems_of(corpus, "export_events.json")
    assert [(field, severity) for _, field, severity, _ in found] == [
        ("id", "warning"), ("id", "warning")]
    assert "both were kept" in found[0][3] and "exactly; read once" in found[1][3]
    # the side files are read with the events file, never as event files of their own
    assert corpus.files == 1


def test_a_whole_export_named_file_by_file_is_imported_once(tmp_path, capsys):
    files = sorted(str(p) for p in (RESAVED / "timemap").glob("export_*.json"))
    assert len(files) == 4
    assert main(["import", "timemap", *files, "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "already imported" not in out
    assert out.splitlines()[-1] == ("imported 4 articles (4 events) from 1 file: 4 written, "
                                    "0 unchanged, 0 skipped; 2 problems")


# --- the import command ------------------------------------------------------------------

def test_reimporting_says_what_was_unchanged_and_what_was_written(tmp_path, capsys):
    source = RESAVED / "acled" / "acled-excel-times.csv"
    out = tmp_path / "out"
    main(["import", "acled", str(source), "-o", str(out)])
    capsys.readouterr()
    main(["import", "acled", str(source), "-o", str(out)])
    assert capsys.readouterr().out.splitlines()[-1].endswith(
        "from 1 file: 0 written, 3 unchanged, 0 skipped; 2 problems")
    (out / "acled-ukr9001.yaml").write_text("edited by hand\n", encoding="utf-8")
    main(["import", "acled", str(source), "-o", str(out)])
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("imported 2 articles") and "0 written, 2 unchanged, 1 skipped" in last


def test_labels_given_on_the_command_line_are_applied(tmp_path, capsys):
    text = "Drones hit Kupiansk.\n"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "src" / "a.ann").write_text("T1\tBOOM 7 10\thit\nT2\tLOC 11 19\tKupiansk\n",
                                            encoding="utf-8")
    labels = tmp_path / "labels.yaml"
    labels.write_text("labels:\n  event remote_violence: [BOOM]\n", encoding="utf-8")
    assert main(["import", "brat", str(tmp_path / "src"), "-o", str(tmp_path / "plain")]) == 0
    assert load_corpus(tmp_path / "plain", cache=False).events.empty
    assert main(["import", "brat", str(tmp_path / "src"), "-o", str(tmp_path / "mapped"),
                 "--labels", str(labels)]) == 0
    events = load_corpus(tmp_path / "mapped", cache=False).events
    assert list(events["type"]) == ["remote_violence"]
    assert list(events["place_name"]) == ["Kupiansk"]


@pytest.mark.parametrize(("argv", "says"), [
    (["import", "acled", "x.csv", "-o", "out", "--labels", "labels.yaml"],
     "--labels applies to labelstudio and brat only"),
    (["import", "brat", "x.ann", "-o", "out", "--labels", "missing.yaml"],
     "missing.yaml: no such labels file"),
    (["import", "brat", "x.ann", "-o", "out", "--labels", "broken.yaml"],
     "broken.yaml:2: labels.bogus: unknown meaning 'bogus'"),
    (["validate", "no/such/folder"], "no such file or folder: no/such/folder"),
    (["validate"], "(give a folder, or set WARLENS_DATA)"),
])
def test_every_usage_error_is_one_line_and_exit_2(argv, says, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # outside the repository: no data/articles here
    monkeypatch.delenv("WARLENS_DATA", raising=False)
    (tmp_path / "labels.yaml").write_text("labels: {}\n", encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("labels:\n  bogus: [X]\n", encoding="utf-8")
    (tmp_path / "x.ann").write_text("", encoding="utf-8")
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and says in err
    assert not (tmp_path / "out").exists()


def test_a_label_studio_export_named_like_a_timemap_file_is_still_read(tmp_path):
    shutil.copy(RESAVED / "labelstudio" / "kupiansk-project.json", tmp_path / "export_7.json")
    assert len(load_corpus(tmp_path, cache=False).events) == 1
    shutil.copytree(RESAVED / "timemap", tmp_path / "tm")
    shutil.copy(RESAVED / "labelstudio" / "kupiansk-project.json",
                tmp_path / "tm" / "export_tasks.json")  # beside an export_events.json:
    corpus = load_corpus(tmp_path / "tm", cache=False)   # a side file, never an export
    assert corpus.files == 1


def test_a_label_studio_task_without_any_date_is_undated_not_dated_by_the_file(tmp_path):
    tasks = [{"id": 1, "data": {"text": "Shelling hit Kupiansk."}, "annotations": []}]
    (tmp_path / "tasks.json").write_text(json.dumps(tasks), encoding="utf-8")
    corpus = load_corpus(tmp_path, cache=False)
    assert pd.isna(corpus.articles["published_start"].iloc[0])
    assert corpus.problems["message"].str.contains("left undated").any()
