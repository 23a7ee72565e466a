"""Draft native article files from the openly licensed texts in ../shared/corpus/.

Each text there starts with header lines (Title, Date, Outlet/author, Original URL, and
sometimes Lead) written by whoever collected it, then a blank line, then the text exactly as
published. This turns the header into article fields, keeps the text byte-for-byte, adds the
licence and attribution the publisher asks for, and runs `warlens annotate`'s drafter so the
annotator starts from a checklist. Every drafted item is `draft: true` until checked by hand.

    python scripts/draft_corpus.py ../shared/corpus -o drafts/

It never overwrites a file: hand annotations are worth more than a fresh draft.
"""

from __future__ import annotations

import argparse
import calendar
import datetime
import re
import sys
from pathlib import Path

from warlens import annotate
from warlens.yamlio import dump_yaml, load_yaml

#: Per publisher folder: outlet name, licence, attribution (as each PROVENANCE.txt states).
PUBLISHERS = {
    "kremlin-ru": ("Kremlin", "CC BY 4.0",
                   "Source: President of Russia, kremlin.ru, CC BY 4.0"),
    "president-gov-ua": ("President of Ukraine", "CC BY 4.0",
                         "Source: President of Ukraine, president.gov.ua, CC BY 4.0"),
    "whitehouse-gov": ("White House", "public domain (work of the U.S. Government)",
                       "Source: The White House, whitehouse.gov (archived at "
                       "bidenwhitehouse.archives.gov)"),
}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}


def split_header(raw: str) -> tuple[dict[str, str], str]:
    """The header fields and the text after the first blank line, minus one added newline."""
    head, _, text = raw.partition("\n\n")
    fields = {}
    for line in head.splitlines():
        name, _, value = line.partition(":")
        fields[name.split(" (")[0].strip().lower()] = value.strip()
    return fields, text.removesuffix("\n")


def published_of(value: str) -> datetime.date:
    """The day a header's Date line gives: ISO first, else '16 May 2023 - 22:26'."""
    if m := re.match(r"(\d{4})-(\d{2})-(\d{2})", value):
        return datetime.date(int(m[1]), int(m[2]), int(m[3]))
    m = re.match(r"(\d{1,2}) (\w+) (\d{4})", value)
    if not m:
        raise ValueError(f"unreadable Date line: {value!r}")
    return datetime.date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))


def draft(path: Path) -> dict:
    """One drafted article document for one corpus text."""
    fields, text = split_header(path.read_text(encoding="utf-8"))
    outlet, licence, attribution = PUBLISHERS[path.parent.name]
    url = fields.get("original url", "")
    url = url if url.startswith("http") else None
    day = published_of(fields["date"])
    article_id = path.stem.replace("_", "-")
    doc = annotate.draft_article(text, published=day, title=fields["title"], outlet=outlet,
                                 url=url, article_id=article_id)
    notes = [f"Header as collected: Date {fields['date']}; {fields.get('outlet/author', '')}."]
    if lead := fields.get("lead"):
        notes.append(f"Lead: {lead}")
    head = {k: doc.pop(k) for k in list(doc) if k not in ("text", "places", "events", "claims")}
    return {**head, "notes": " ".join(notes), "license": licence, "attribution": attribution,
            "source_file": f"{path.parent.name}/{path.name}", **doc}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted(args.corpus.glob("*/*_*.txt")):
        doc = draft(path)
        target = args.out / f"{doc['id']}.yaml"
        if target.exists():
            print(f"kept {target} (exists)")
            continue
        data = dump_yaml(doc)
        back, _ = load_yaml(data.encode() if isinstance(data, str) else data)
        if back["text"] != split_header(path.read_text(encoding="utf-8"))[1]:
            print(f"{path}: the text does not survive YAML exactly", file=sys.stderr)
            return 1
        target.write_text(data if isinstance(data, str) else data.decode(), encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
