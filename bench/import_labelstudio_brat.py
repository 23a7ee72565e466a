"""Benchmark: import a large Label Studio export and a large brat folder.

Generates, in a temporary folder, a Label Studio JSON export of N tasks (default
10,000; one in ten has an emoji before its spans, with offsets in UTF-16 units as
Label Studio once wrote them) and a brat folder of N .ann/.txt pairs, then reads
each through its reader and `read_article_doc` (validation and gazetteer lookup,
exactly as the corpus loader does) and prints records per second.

    python bench/import_labelstudio_brat.py [--n 10000]

A benchmark, not a test: it asserts only that nothing was lost.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from warlens.article import read_article_doc
from warlens.formats.brat import read_brat
from warlens.formats.labelstudio import read_labelstudio
from warlens.gazetteer import get_gazetteer

TOWNS = ["Bakhmut", "Kyiv", "Kharkiv", "Avdiivka", "Marinka", "Kherson", "Soledar",
         "Vuhledar", "Zaporizhzhia", "Kramatorsk"]
EVENTS = [("shelled", "SHELLING"), ("attacked", "ATTACK"), ("captured", "CAPTURE"),
          ("fought near", "BATTLE")]
CLAIMANTS = ["Ukrainian officials", "the regional governor", "the general staff"]


def _article(i: int) -> tuple[str, list[tuple[str, int, int, str]]]:
    """A short article and its spans (text, start, end, label) in code points."""
    town = TOWNS[i % len(TOWNS)]
    verb, label = EVENTS[i % len(EVENTS)]
    who = CLAIMANTS[i % len(CLAIMANTS)]
    lead = "\U0001F525 " if i % 10 == 0 else ""
    s1 = f"{lead}Russian forces {verb} {town} on 1{i % 9} May 2023, {who} said."
    s2 = f"Two civilians were wounded in {town}, according to {who}."
    s3 = "Russia's defence ministry denied the reports."
    text = f"{s1} {s2}\n{s3}"
    spans = []
    for piece, lbl, after in ((verb, label, 0), (town, "LOC", 0), (f"1{i % 9} May 2023", "DATE", 0),
                              ("Russian forces", "ORG", 0), (who, "CLAIMANT", 0),
                              ("Two civilians were wounded", "CLAIM", 0),
                              ("Russia's defence ministry", "CLAIMANT", 0),
                              ("denied the reports", "DENIAL", 0)):
        at = text.index(piece, after)
        spans.append((piece, at, at + len(piece), lbl))
    return text, spans


def _utf16(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-16-le")) // 2


def write_labelstudio(path: Path, n: int) -> None:
    """A Label Studio export of n tasks."""
    tasks = []
    for i in range(n):
        text, spans = _article(i)
        results = []
        for j, (piece, start, end, label) in enumerate(spans):
            if i % 10 == 0:
                start, end = _utf16(text, start), _utf16(text, end)
            results.append({"value": {"start": start, "end": end, "text": piece,
                                      "labels": [label]},
                            "id": f"r{i}-{j}", "from_name": "label", "to_name": "text",
                            "type": "labels", "origin": "manual"})
        results.append({"from_id": f"r{i}-5", "to_id": f"r{i}-0", "type": "relation",
                        "direction": "right", "labels": ["about"]})
        tasks.append({"id": i + 1, "annotations": [{"id": i + 1, "result": results,
                                                   "was_cancelled": False,
                                                   "created_at": "2023-05-22T10:00:00Z"}],
                      "predictions": [], "data": {"text": text, "published": "2023-05-21",
                                                  "outlet": "Bench Wire"},
                      "meta": {}, "created_at": "2023-05-22T10:00:00Z", "project": 1})
    path.write_text(json.dumps(tasks, indent=2, ensure_ascii=False), encoding="utf-8")


def write_brat(folder: Path, n: int) -> None:
    """n brat .ann/.txt pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        text, spans = _article(i)
        lines = [f"T{j + 1}\t{label} {start} {end}\t{piece}"
                 for j, (piece, start, end, label) in enumerate(spans)]
        lines.append("E1\t" + spans[0][3] + ":T1 Place:T2 Time:T3 Agent:T4 Source:T5")
        lines.append("R1\tSaid_by Arg1:T6 Arg2:T5")
        if spans[1][0] == "Bakhmut":
            lines.append("N1\tReference T2 GeoNames:713174\tBakhmut")
        (folder / f"doc{i:05d}.txt").write_text(text, encoding="utf-8")
        (folder / f"doc{i:05d}.ann").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    """Generate, import, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="tasks and brat pairs (10000)")
    args = parser.parse_args()
    get_gazetteer()  # built once, as the app does; not part of the figures
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        export = root / "export.json"
        write_labelstudio(export, args.n)
        write_brat(root / "brat", args.n)
        print(f"generated {args.n} tasks ({export.stat().st_size / 1e6:.1f} MB) "
              f"and {args.n} brat pairs")

        t0 = time.perf_counter()
        imported = read_labelstudio(export, "export.json")
        t1 = time.perf_counter()
        events = claims = errors = 0
        for doc, lines in imported.docs:
            rows, problems = read_article_doc(doc, "export.json", lines)
            errors += sum(p.severity == "error" for p in problems)
            events += len(rows.events) if rows else 0
            claims += len(rows.claims) if rows else 0
        t2 = time.perf_counter()
        assert len(imported.docs) == args.n and errors == 0, (len(imported.docs), errors)
        print(f"Label Studio: {args.n} tasks ({events} events, {claims} claims): "
              f"read {t1 - t0:.2f} s, validated {t2 - t1:.2f} s -> "
              f"{args.n / (t2 - t0):,.0f} tasks/s, {(events + claims) / (t2 - t0):,.0f} "
              "events+claims/s")

        t0 = time.perf_counter()
        events = claims = errors = 0
        read_time = 0.0
        for ann in sorted((root / "brat").glob("*.ann")):
            r0 = time.perf_counter()
            result = read_brat(ann, ann.name)
            read_time += time.perf_counter() - r0
            for doc, lines in result.docs:
                rows, problems = read_article_doc(doc, ann.name, lines)
                errors += sum(p.severity == "error" for p in problems)
                events += len(rows.events) if rows else 0
                claims += len(rows.claims) if rows else 0
        t2 = time.perf_counter()
        assert errors == 0, errors
        print(f"brat: {args.n} documents ({events} events, {claims} claims): "
              f"read {read_time:.2f} s, validated {t2 - t0 - read_time:.2f} s -> "
              f"{args.n / (t2 - t0):,.0f} documents/s, {(events + claims) / (t2 - t0):,.0f} "
              "events+claims/s")


if __name__ == "__main__":
    main()
