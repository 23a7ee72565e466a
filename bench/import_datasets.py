"""Benchmark: how fast the dataset readers turn records into checked native articles.

Generates an ACLED CSV, a UCDP GED CSV and a TimeMap export of N records each in a
temporary folder (synthetic values, real column names), and the two CSVs once more with
their dates as spreadsheets re-save them (`14/08/2020 00:00:00`, `2/27/2023 12:00:00 AM`),
then for each times the
reader alone and the reader plus `read_article_doc` (the validation every imported
article goes through), and prints records per second. Not a test.

    python bench/import_datasets.py [--records 10000]
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from warlens.article import read_article_doc
from warlens.formats import READERS, Imported
from warlens.gazetteer import get_gazetteer

#: A few towns with their coordinates, so the rows look like the real thing.
TOWNS = [("Bakhmut", 48.5956, 38.0003), ("Kherson", 46.6354, 32.6169),
         ("Kharkiv", 49.9935, 36.2304), ("Avdiivka", 48.1394, 37.7497),
         ("Odesa", 46.4825, 30.7233), ("Kupiansk", 49.7106, 37.6156)]
ACLED_TYPES = [("Battles", "Armed clash"), ("Explosions/Remote violence", "Shelling/artillery/"
               "missile attack"), ("Violence against civilians", "Attack"),
               ("Protests", "Peaceful protest"), ("Strategic developments", "Looting/property "
                                                                          "destruction")]
ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp",
]
UCDP_COLUMNS = [
    "id", "relid", "year", "type_of_violence", "conflict_name", "dyad_name", "side_a",
    "side_b", "number_of_sources", "source_article", "source_office", "source_date",
    "source_headline", "source_original", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "country",
    "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
    "deaths_civilians", "deaths_unknown", "best", "high", "low",
]


def _day(rng: random.Random) -> datetime.date:
    return datetime.date(2022, 2, 24) + datetime.timedelta(days=rng.randrange(700))


def iso(day: datetime.date) -> str:
    """A date as the datasets publish it."""
    return day.isoformat()


def excel_day_first(day: datetime.date) -> str:
    """A date as a European spreadsheet re-saves it."""
    return f"{day:%d/%m/%Y} 00:00:00"


def excel_us(day: datetime.date) -> str:
    """A date as a US spreadsheet re-saves it."""
    return f"{day.month}/{day.day}/{day.year} 12:00:00 AM"


def write_acled(path: Path, n: int, rng: random.Random,
                date_form: Callable[[datetime.date], str] = iso) -> None:
    """An ACLED CSV of n rows, some notes spanning two lines."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(ACLED_COLUMNS)
        for i in range(n):
            town, lat, lon = rng.choice(TOWNS)
            kind, sub = rng.choice(ACLED_TYPES)
            day = _day(rng)
            notes = (f"On {day:%d %B %Y}, an event of type {sub.lower()} was reported in {town}."
                     + ("\nA second source gave another account." if i % 7 == 0 else ""))
            row = {
                "event_id_cnty": f"UKR{i}", "event_date": date_form(day), "year": day.year,
                "time_precision": rng.choice((1, 1, 1, 2, 3)),
                "disorder_type": "Political violence", "event_type": kind,
                "sub_event_type": sub, "actor1": "Military Forces of Russia (2000-)",
                "assoc_actor_1": "Wagner Group; Kadyrovtsy" if i % 5 == 0 else "",
                "actor2": "Military Forces of Ukraine (2019-)", "iso": 804,
                "region": "Europe", "country": "Ukraine", "location": town,
                "latitude": lat, "longitude": lon, "geo_precision": rng.choice((1, 2, 3)),
                "source": "Ukrainska Pravda; Suspilne", "source_scale": "National",
                "notes": notes, "fatalities": rng.randrange(5), "timestamp": 1684108800,
            }
            out.writerow([row.get(c, "") for c in ACLED_COLUMNS])


def write_ucdp(path: Path, n: int, rng: random.Random,
               date_form: Callable[[datetime.date], str] = iso) -> None:
    """A UCDP GED CSV of n rows."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(UCDP_COLUMNS)
        for i in range(n):
            town, lat, lon = rng.choice(TOWNS)
            start = _day(rng)
            end = start + datetime.timedelta(days=rng.choice((0, 0, 3, 6, 30)))
            low = rng.randrange(5)
            row = {
                "id": 500000 + i, "year": start.year, "type_of_violence": rng.choice((1, 2, 3)),
                "conflict_name": "Russia - Ukraine",
                "dyad_name": "Government of Russia (Soviet Union) - Government of Ukraine",
                "side_a": "Government of Russia (Soviet Union)",
                "side_b": "Government of Ukraine", "number_of_sources": 1,
                "source_article": f"Reuters,{end.isoformat()},Fighting near {town}",
                "source_office": "Reuters", "source_date": end.isoformat(),
                "source_headline": f"Fighting near {town}", "where_prec": rng.randrange(1, 8),
                "where_coordinates": f"{town} town", "latitude": lat, "longitude": lon,
                "country": "Ukraine", "event_clarity": 1, "date_prec": rng.randrange(1, 6),
                "date_start": date_form(start), "date_end": date_form(end),
                "best": low + 1, "low": low, "high": low + 3,
            }
            out.writerow([row.get(c, "") for c in UCDP_COLUMNS])


def write_timemap(folder: Path, n: int, rng: random.Random) -> Path:
    """A TimeMap export of n events (one in ten without coordinates); its events file."""
    folder.mkdir()
    sources = {f"s{i}": {"id": f"s{i}", "title": f"Source {i}", "description": "",
                         "paths": [f"https://example.org/media/{i}"]} for i in range(100)}
    associations = [{"id": "civ", "title": "Violence against civilians",
                     "filter_paths": ["Type", "Violence against civilians"], "mode": "FILTER"},
                    {"id": "battle", "title": "Battle", "filter_paths": ["Type", "Battle"],
                     "mode": "FILTER"}]
    events = []
    for i in range(n):
        town, lat, lon = rng.choice(TOWNS)
        day = _day(rng)
        bare = i % 10 == 0
        events.append({
            "id": str(i), "description": f"Event {i}: reported damage in {town}.",
            "date": f"{day.month}/{day.day}/{day.year}", "time": "",
            "location": town, "latitude": "" if bare else str(lat),
            "longitude": "" if bare else str(lon),
            "associations": [rng.choice(("civ", "battle"))], "sources": [f"s{i % 100}"],
        })
    (folder / "export_sources.json").write_text(json.dumps(sources, indent=2), encoding="utf-8")
    (folder / "export_associations.json").write_text(json.dumps(associations, indent=2),
                                                     encoding="utf-8")
    events_file = folder / "export_events.json"
    events_file.write_text(json.dumps(events, indent=2), encoding="utf-8")
    return events_file


def measure(name: str, path: Path, n: int, label: str = "") -> None:
    """Time the reader, then the reader plus validation of every article; print rates."""
    reader: Callable[..., Imported] = READERS[name]
    t0 = time.perf_counter()
    imported = reader(path, path.name)
    t1 = time.perf_counter()
    errors = len([p for p in imported.problems if p.severity == "error"])
    events = 0
    for doc, lines in imported.docs:
        rows, problems = read_article_doc(doc, path.name, lines)
        errors += len([p for p in problems if p.severity == "error"])
        events += len(rows.events) if rows is not None else 0
    t2 = time.perf_counter()
    print(f"{label or name:15} {n:>7,} records  read {t1 - t0:6.2f} s ({n / (t1 - t0):>8,.0f}/s)  "
          f"read+validate {t2 - t0:6.2f} s ({n / (t2 - t0):>7,.0f}/s)  "
          f"{events:,} events, {errors} errors")


def main() -> None:
    """Generate the three datasets and time each import."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000, help="records per dataset")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 - made-up data, not secrets
    get_gazetteer()  # loaded once up front, as the app does; not part of any import's time
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_acled(folder / "acled.csv", args.records, rng)
        write_ucdp(folder / "ged.csv", args.records, rng)
        events_file = write_timemap(folder / "timemap", args.records, rng)
        write_acled(folder / "acled-resaved.csv", args.records, rng, excel_day_first)
        write_ucdp(folder / "ged-resaved.csv", args.records, rng, excel_us)
        measure("acled", folder / "acled.csv", args.records)
        measure("acled", folder / "acled-resaved.csv", args.records, "acled re-saved")
        measure("ucdp", folder / "ged.csv", args.records)
        measure("ucdp", folder / "ged-resaved.csv", args.records, "ucdp re-saved")
        measure("timemap", events_file, args.records)


if __name__ == "__main__":
    main()
