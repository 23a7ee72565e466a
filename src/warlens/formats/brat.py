"""brat standoff annotation (a .ann file beside its .txt) -> one native article.

The .ann lines this reader understands (the id and the text are set off by tabs; type,
start and end by spaces or, as some corpora write them, tabs; offsets in code points of
the .txt, 0-based, end-exclusive):

    T1  Type start end[;start end...]  text      a span (discontinuous with ';')
    E1  Type:T1 Role:T2 Role2:E3               an event: trigger and arguments
    R1  Rel Arg1:T1 Arg2:T2                    a binary relation
    A1  Attr E1 [Value]   (M1, legacy)         an attribute (Negation -> stance denies)
    N1  Reference T2 GeoNames:713174  Bakhmut  a normalisation (GeoNames -> place id)
    #1  AnnotatorNotes T1  note                a note (kept in the article's notes)
    *   Equiv T1 T2                            an equivalence (not kept)

Spans and events become places, dates, actors, events and claims through the label
map (`warlens.formats.labels`); event roles say which argument is the place, the
date, an actor or a claimant. Each span's text is checked against the .txt; a .txt
whose line ends were changed to CRLF after annotating is repaired. Every bad line is
a problem with its line number; the rest of the file imports.
"""

from __future__ import annotations

import bisect
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warlens import boundary
from warlens.formats import Format, Imported
from warlens.formats.labels import (
    UNKNOWN_OUTLET,
    LabelMap,
    Link,
    Mention,
    SpanExport,
    label_files,
    with_lf,
)
from warlens.formats.offsets import MODES, OffsetIndex
from warlens.formats.records import published_on
from warlens.problems import WARNING, Collector
from warlens.text import slugify

__all__ = ["is_brat", "read_brat"]

_ID = re.compile(r"^[TERAMN#*][0-9]*$")
_FRAGMENT = re.compile(r"^(\d+)[ \t]+(\d+)$")
_HEAD = re.compile(r"^(\S+)[ \t]+(\d+[ \t]+\d+(?:[ \t]*;[ \t]*\d+[ \t]+\d+)*)$")
_SPAN_LINE = re.compile(
    r"^(\S+)[ \t]+(\d+[ \t]+\d+(?:[ \t]*;[ \t]*\d+[ \t]+\d+)*)(?:[\t ](.*))?$", re.DOTALL)
_STEM_DAY = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")


def is_brat(path: Path) -> bool:
    """A .ann file (its .txt beside it is read too; a missing one is reported)."""
    return path.suffix.lower() == ".ann"


@dataclass
class _Span:
    id: str
    type: str
    fragments: list[tuple[int, int]]
    text: str
    line: int


@dataclass
class _Ann:
    """Everything parsed from one .ann file, before it is checked against the text."""

    spans: dict[str, _Span] = field(default_factory=dict)
    events: dict[str, tuple[str, str, list[tuple[str, str]], int]] = field(default_factory=dict)
    relations: list[tuple[str, str, str, int]] = field(default_factory=list)
    attributes: list[tuple[str, str, str | None, int]] = field(default_factory=list)
    references: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    notes: list[tuple[str, str, int]] = field(default_factory=list)


def read_brat(path: Path, display: str, label_map: LabelMap | None = None, *,
              root: Path | str | None = None) -> Imported:
    """Read one brat .ann and its .txt into a native article document and problems.

    The .txt must be a regular file inside `root` (the data folder; None: the .ann's
    own folder): a .txt that is a link leading elsewhere is a problem, never read.
    """
    root = path.parent if root is None else root
    export = SpanExport.open(path, display, label_map, root)
    report = export.report
    txt_path = path.with_suffix(".txt")
    ann_data = boundary.read_bytes(path, boundary.CAPS["annotations"], root,
                                   "a brat .ann file")
    if not (txt_path.exists() or txt_path.is_symlink()):
        report.add(None, "(file)", f"has no {txt_path.name} beside it: brat keeps the text "
                   "there; nothing was imported")
        return export.imported
    try:
        txt_data = boundary.read_bytes(txt_path, boundary.CAPS["text"], root, "a brat .txt")
    except OSError as exc:
        report.add(None, "(file)", f"its text {txt_path.name} cannot be read: "
                   f"{exc.strerror or exc}; nothing was imported")
        return export.imported
    try:
        # As stored (CRLF kept): brat counts offsets on the file as stored.
        raw_text = txt_data.decode("utf-8")
        ann_lines = ann_data.decode("utf-8").split("\n")
    except UnicodeDecodeError as exc:
        report.add(None, "(file)", f"{txt_path.name} or {path.name} is not UTF-8 text "
                   f"(byte {exc.start})")
        return export.imported
    if not raw_text.strip():
        report.add(1, "(file)", f"{txt_path.name} is empty: there is no article to import")
        return export.imported
    ann = _parse(ann_lines, report)
    mentions, links, notes = _build(ann, raw_text, export.labels, report)
    report.flush()
    export.add_article(_head(path, display, raw_text, notes, report), raw_text, mentions,
                       links, 1)
    return export.finish()


def _head(path: Path, display: str, raw_text: str, notes: list[str],
          report: Collector) -> dict[str, Any]:
    """The article's own fields: brat has none, so each is said to be a stand-in."""
    lines = with_lf(raw_text).lstrip("\ufeff").split("\n")
    first_line = next((ln.strip() for ln in lines if ln.strip()), "")
    day = _day_in_name(path.stem)
    head: dict[str, Any] = {
        "id": f"brat-{slugify(path.stem, 'document', 90)}",
        "title": " ".join(first_line.split())[:200] or path.stem,
        "outlet": UNKNOWN_OUTLET,
        "published": published_on(day),
        "source_file": display[:2000],
    }
    if notes:
        head["notes"] = "\n".join(notes)
    published = (f"published the date in the file name ({day.isoformat()}), marked inferred"
                 if day else "published left undated (the file's date is when it was copied, "
                 "not when the article appeared), so dates such as 'yesterday' stay undated")
    report.add(1, "(file)", "brat standoff has no title, outlet or publication date: the "
               f"title is the text's first line, the outlet '{UNKNOWN_OUTLET}', and "
               f"{published}; set published in the imported YAML when you know it", WARNING)
    return head


def _day_in_name(stem: str) -> datetime.date | None:
    """An ISO day written in a file name (`bakhmut-2023-05-21`), if it is a real day."""
    found = _STEM_DAY.search(stem)
    try:
        return datetime.date.fromisoformat(found.group(1)) if found else None
    except ValueError:
        return None


def _repaired(report: Collector, line: int, how: str) -> None:
    """Note a span whose offsets were repaired: said once per file, by `flush`."""
    report.count(how, line, f"{{n}} span(s) did not hold their text at their offsets in the "
                 f".txt; repaired ({how}), first on line {line}")


def _parse(lines: list[str], report: Collector) -> _Ann:
    """Parse each line on its own; a bad line is a problem and is skipped."""
    ann = _Ann()
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        ident, _, rest = line.partition("\t")
        if not _ID.match(ident) or not rest:
            ident, _, rest = line.partition(" ")  # some tools write a space after the id
        if not _ID.match(ident) or not rest:
            report.add(n, "(line)", "not a brat annotation line: expected an id such as T1, "
                       "E1, R1, A1, N1 or #1, a tab, then the annotation")
            continue
        try:
            _parse_line(ident, rest, n, ann)
        except ValueError as exc:
            report.add(n, ident, str(exc))
    return ann


def _parse_line(ident: str, rest: str, n: int, ann: _Ann) -> None:
    """One annotation line into `ann`, by the kind its id starts with.

    '*' (Equiv) lines say two spans are the same thing; nothing in an article keeps that.
    """
    reader = _LINE_READERS.get(ident[0])
    if reader is not None:
        reader(ident, rest, n, ann)


def _read_span(ident: str, rest: str, n: int, ann: _Ann) -> None:
    """A span: 'Type start end[;start end...]', a tab, its text."""
    head, text = _span_head(rest)
    found = _HEAD.match(head)
    if found is None:
        raise ValueError(f"cannot read 'Type start end' from '{head}' (a span line is "
                         "'Type start end', a tab, then its text)")
    label, offsets = found.group(1), found.group(2)
    fragments = []
    for part in offsets.split(";"):
        m = _FRAGMENT.match(part.strip())
        if not m:
            raise ValueError(f"cannot read 'Type start end' from '{head}'")
        start, end = int(m.group(1)), int(m.group(2))
        if start >= end:
            raise ValueError(f"start {start} must be below end {end}")
        fragments.append((start, end))
    ann.spans[ident] = _Span(ident, label, fragments, text, n)


def _read_event(ident: str, rest: str, n: int, ann: _Ann) -> None:
    """An event: 'Type:T1 Role:T2 ...' (its trigger, then its arguments)."""
    parts = rest.split("\t")[0].split()
    if not parts or ":" not in parts[0]:
        raise ValueError("an event line needs 'Type:T1' (its trigger) first")
    label, trigger = parts[0].split(":", 1)
    args = []
    for part in parts[1:]:
        role, sep, target = part.partition(":")
        if not sep or not role or not target:
            raise ValueError(f"cannot read the argument '{part}' (expected Role:T2)")
        args.append((role, target))
    ann.events[ident] = (label, trigger, args, n)


def _read_relation(ident: str, rest: str, n: int, ann: _Ann) -> None:
    """A relation: 'Type Arg1:T1 Arg2:T2'."""
    parts = rest.split("\t")[0].split()
    if len(parts) != 3 or not all(":" in p for p in parts[1:]):
        raise ValueError("a relation line needs 'Type Arg1:T1 Arg2:T2'")
    ann.relations.append((parts[0], parts[1].split(":", 1)[1], parts[2].split(":", 1)[1], n))


def _read_attribute(ident: str, rest: str, n: int, ann: _Ann) -> None:
    """An attribute (A) or modifier (M): 'Name Target [Value]'."""
    parts = rest.split("\t")[0].split()
    if len(parts) not in (2, 3):
        raise ValueError("an attribute line needs 'Name Target [Value]'")
    ann.attributes.append((parts[0], parts[1], parts[2] if len(parts) == 3 else None, n))


def _read_reference(ident: str, rest: str, n: int, ann: _Ann) -> None:
    """A normalisation: 'Reference T1 Database:id', a tab, its text."""
    head, _, text = rest.partition("\t")
    parts = head.split()
    if len(parts) != 3 or ":" not in parts[2]:
        raise ValueError("a normalisation line needs 'Reference T1 Database:id'")
    db, ref = parts[2].split(":", 1)  # the first colon only: ids may hold colons
    ann.references.append((parts[1], db, ref, text, n))


def _read_note(ident: str, rest: str, n: int, ann: _Ann) -> None:
    """A note: 'AnnotatorNotes T1', a tab, the note."""
    head, _, note = rest.partition("\t")
    parts = head.split()
    if len(parts) != 2:
        raise ValueError("a note line needs 'AnnotatorNotes T1', a tab, then the note")
    ann.notes.append((parts[1], note, n))


#: The first letter of an annotation's id -> what reads its line.
_LINE_READERS: dict[str, Callable[[str, str, int, _Ann], None]] = {
    "T": _read_span, "E": _read_event, "R": _read_relation, "A": _read_attribute,
    "M": _read_attribute, "N": _read_reference, "#": _read_note,
}


def _span_head(rest: str) -> tuple[str, str]:
    """A T line after its id -> ('Type start end', text), whether the type, start and
    end are set off by spaces or by tabs (some corpora write tabs). The offsets end
    where no ';' follows, so a text that starts with a number stays the text."""
    found = _SPAN_LINE.match(rest)
    if found is None:
        head, _, text = rest.partition("\t")
        return head, text
    return f"{found.group(1)} {found.group(2)}", found.group(3) or ""


def _build(ann: _Ann, raw_text: str, labels: LabelMap,
           report: Collector) -> tuple[list[Mention], list[Link], list[str]]:
    """Check spans against the text; make mentions (spans and events), links and notes."""
    refs = _Refs(*_mentions(ann, raw_text, report), report)
    links = _links(ann, refs)
    _add_attributes(ann, refs, labels)
    return list(refs.mentions.values()), links, _notes(ann, refs, report)


def _mentions(ann: _Ann, raw_text: str, report: Collector
              ) -> tuple[dict[str, Mention], dict[str, str]]:
    """A mention per span placed in the text and per event whose trigger was placed: an
    event stands on its trigger's text, and the trigger is no mention of its own but an
    alias of its (first) event."""
    index = OffsetIndex(raw_text)
    single = [(s.fragments[0][0], s.fragments[0][1], s.text) for s in ann.spans.values()
              if len(s.fragments) == 1]
    mode = index.best_mode(single)
    crlf = [m.start() for m in re.finditer("\r\n", raw_text)]

    def fold(pos: int) -> int:
        return pos - bisect.bisect_left(crlf, pos)

    placed: dict[str, tuple[int, int, str]] = {}  # span id -> (start, end, text), folded
    for s in ann.spans.values():
        found = _place(s, index, mode, raw_text, report)
        if found is not None:
            lo, hi, text = found
            placed[s.id] = (fold(lo), fold(hi), text)

    triggers = {trigger for _, trigger, _, _ in ann.events.values()}
    alias: dict[str, str] = {}
    mentions: dict[str, Mention] = {}
    for s in ann.spans.values():
        if s.id in placed and s.id not in triggers:
            lo, hi, text = placed[s.id]
            mentions[s.id] = Mention(s.id, lo, hi, text, (s.type,), s.line)
    for eid, (label, trigger, _, line) in ann.events.items():
        if trigger not in placed:
            why = "is not defined" if trigger not in ann.spans else "could not be placed"
            report.add(line, eid, f"the trigger {trigger} {why}; event skipped")
            continue
        lo, hi, text = placed[trigger]
        mentions[eid] = Mention(eid, lo, hi, text, (label,), line)
        alias.setdefault(trigger, eid)
    return mentions, alias


class _Refs:
    """What an annotation line's reference names: a trigger span stands for its (first)
    event; a reference to nothing usable is said and ignored."""

    def __init__(self, mentions: dict[str, Mention], alias: dict[str, str],
                 report: Collector) -> None:
        self.mentions, self.alias, self.report = mentions, alias, report

    def target(self, ref: str, line: int, what: str) -> Mention | None:
        found = self.mentions.get(self.alias.get(ref, ref))
        if found is None:
            self.report.add(line, ref, f"{what} refers to {ref}, which is not defined or "
                            "could not be read; ignored", WARNING)
        return found


def _links(ann: _Ann, refs: _Refs) -> list[Link]:
    """Event arguments (directed: the event is the head) and relations."""
    links: list[Link] = []
    for eid, (_, _, args, line) in ann.events.items():
        if eid not in refs.mentions:
            continue
        for role, ref in args:
            arg = refs.target(ref, line, f"{eid}'s {role} argument")
            if arg is not None:
                links.append(Link(eid, arg.key, role, line, directed=True))
    for rel, a, b, line in ann.relations:
        first = refs.target(a, line, "the relation")
        second = refs.target(b, line, "the relation")
        if first is not None and second is not None:
            links.append(Link(first.key, second.key, rel, line))
    return links


def _add_attributes(ann: _Ann, refs: _Refs, labels: LabelMap) -> None:
    """Attributes as modifiers of their mention: the value if the map knows it, else the
    name (with its value when neither is known)."""
    for name, ref, value, line in ann.attributes:
        m = refs.target(ref, line, f"the attribute {name}")
        if m is None:
            continue
        if value is not None and labels.meaning(value) is not None:
            m.modifiers.append(value)
        elif labels.meaning(name) is not None or value is None:
            m.modifiers.append(name)
        else:
            m.modifiers.append(f"{name}={value}")


def _notes(ann: _Ann, refs: _Refs, report: Collector) -> list[str]:
    """GeoNames normalisations pin places; other references and notes become notes."""
    notes: list[str] = []
    for ref, db, ident, text, line in ann.references:
        m = refs.target(ref, line, "the normalisation")
        if m is None:
            continue
        if db.casefold() == "geonames":
            if not ident.isdigit() or int(ident) < 1:
                report.add(line, ref, f"GeoNames id '{ident}' is not a number; ignored", WARNING)
                continue
            m.geonames = int(ident)
        else:
            notes.append(f"{ref} ({m.text}): {db}:{ident}" + (f" {text}" if text else ""))
    for ref, note, line in ann.notes:
        m = refs.target(ref, line, "the note")
        notes.append(f"{ref} ({m.text}): {note}" if m is not None else f"{ref}: {note}")
    return notes


def _place(s: _Span, index: OffsetIndex, mode: str, raw_text: str,
           report: Collector) -> tuple[int, int, str] | None:
    """Where a span really is: (start, end, text) in code points of the raw text."""
    if len(s.fragments) == 1:
        start, end = s.fragments[0]
        found = index.repair(start, end, s.text, mode)
        if found is not None and found[2] != MODES[0]:
            _repaired(report, s.line, found[2])
        if found is not None:
            return found[0], found[1], s.text
        near = " ".join(raw_text[start:end].split()) if end <= len(raw_text) else None
        if near and near == " ".join(s.text.split()):
            return start, end, raw_text[start:end]  # the same words, with other whitespace
    else:
        # brat writes a discontinuous span's text as its pieces joined by a space.
        wanted = " ".join(s.text.split())
        for convention in (mode, *(m for m in MODES if m != mode)):
            converted = [index.convert(convention, a, b) for a, b in s.fragments]
            if any(c is None for c in converted):
                continue
            pieces = [raw_text[c[0]:c[1]] for c in converted if c is not None]
            if " ".join(" ".join(p.split()) for p in pieces) == wanted:
                if convention != MODES[0]:
                    _repaired(report, s.line, convention)
                return converted[0][0], converted[-1][1], " ".join(pieces)  # type: ignore[index]
    where = ";".join(f"{a} {b}" for a, b in s.fragments)
    if s.fragments[-1][1] > len(raw_text):
        report.add(s.line, s.id, f"offsets {where} reach past the end of the .txt "
                   f"({len(raw_text)} characters), and '{s.text[:60]}' is not in it; span skipped")
        return None
    found_text = " ".join(raw_text[a:b] for a, b in s.fragments if b <= len(raw_text))
    report.add(s.line, s.id, f"the .txt holds '{found_text[:60]}' at {where}, not "
               f"'{s.text[:60]}'; span skipped")
    return None


def companions(path: Path, root: Path | str | None) -> list[Path]:
    """The .txt a .ann annotates and the label map laid over the default one."""
    return [path.with_suffix(".txt"), *label_files(path, root)]


FORMAT = Format("brat", "brat", (".ann",), is_brat, read_brat, companions, takes_labels=True,
                rank=20)
