"""Annotation labels -> native article records, shared by the span-annotation readers.

Label Studio and brat both describe an article as labelled character spans plus links
between them. Two things turn that into a native warlens article:

* the *label map*: what a label such as LOC, SHELLING or DENIAL means here (a place,
  an event of type remote_violence, a claim's stance), read from default_labels.yaml
  and optionally overridden by a small YAML file of the same shape;
* `assemble`: spans and links -> one native article document (places, events,
  claims) plus a line map, using the sentence a span sits in where the annotation
  leaves a link unsaid (an event's place is the place named in its sentence).

The readers do only what is specific to their format: parsing, offsets and lines.
"""

from __future__ import annotations

import bisect
import datetime
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from warlens import boundary, dates, model
from warlens.formats import Imported
from warlens.problems import WARNING, Collector, Problem, WarlensError
from warlens.text import clip, slugify, split_sentences, unique_id
from warlens.yamlio import Path as DocPath
from warlens.yamlio import field_name, line_of, load_yaml

__all__ = [
    "OVERRIDE_NAME", "UNKNOWN_OUTLET", "LabelMap", "Link", "Meaning", "Mention", "SpanExport",
    "assemble", "find_label_map", "find_override", "label_files", "load_label_map",
    "normalize_label", "with_lf",
]

#: The override file the readers look for beside a source file or in a folder above it.
#: A dot-file, so that the corpus loader never mistakes it for an article.
OVERRIDE_NAME = ".warlens-labels.yaml"

#: Meanings a span/attribute/choice label may have ("event", "stance", "verdict" take a value).
LABEL_KINDS: tuple[str, ...] = ("place", "country", "date", "actor", "claimant", "claim",
                                "event", "stance", "verdict", "tag", "ignore")
#: What a role (brat event argument, relation label) may say about its argument.
ROLE_KINDS: tuple[str, ...] = ("place", "when", "actor", "claimant", "about")
_VALUES: dict[str, tuple[str, ...]] = {
    "event": tuple(model.EVENT_TYPES), "stance": model.STANCES, "verdict": model.VERDICTS,
}
#: Span kinds that stand for something in the text (as opposed to modifiers).
_PRIMARY = ("place", "country", "date", "actor", "claimant", "claim", "event")
UNATTRIBUTED = "unattributed"
#: The outlet of an article whose export names none: said, never guessed.
UNKNOWN_OUTLET = "unknown outlet"
_SUMMARY_CHARS = 200


def normalize_label(label: str) -> str:
    """A label as the map compares it: case-folded, with spaces and hyphens as '_'."""
    return re.sub(r"[\s\-_]+", "_", label.strip()).casefold()


@dataclass(frozen=True, slots=True)
class Meaning:
    """What one label means: a kind, and for event/stance/verdict the value."""

    kind: str
    value: str | None = None


@dataclass(frozen=True)
class LabelMap:
    """Label name -> Meaning, and role name -> role kind, both case-insensitive."""

    labels: Mapping[str, Meaning]
    roles: Mapping[str, str]
    _seen: dict[str, Meaning | None] = field(default_factory=dict, compare=False, repr=False)

    def meaning(self, label: str) -> Meaning | None:
        """The meaning of a span, event, attribute or choice label; None if unmapped."""
        try:
            return self._seen[label]
        except KeyError:
            found = self._seen[label] = self.labels.get(normalize_label(label))
            return found

    def role(self, role: str) -> str | None:
        """The role kind of a brat role or relation label ("Place2" counts as "Place")."""
        name = normalize_label(role)
        return self.roles.get(name) or self.roles.get(name.rstrip("0123456789"))


def _parse_map(doc: object, lines: dict[DocPath, int]) -> tuple[dict[str, Meaning],
                                                                 dict[str, str]]:
    """Check a label-map document; raise WarlensError (with its line) on the first fault."""
    if not isinstance(doc, dict):
        raise WarlensError("a label map is a mapping with the keys labels: and roles:", line=1,
                           field="(file)")
    unknown = set(doc) - {"labels", "roles"}
    if unknown:
        name = sorted(map(str, unknown))[0]
        raise WarlensError(f"unknown key '{name}'; a label map has only labels: and roles:",
                           line=line_of(lines, (name,)), field=name)
    labels: dict[str, Meaning] = {}
    roles: dict[str, str] = {}
    for section in ("labels", "roles"):
        groups = doc.get(section) or {}
        if not isinstance(groups, dict):
            raise WarlensError("must be a mapping of meaning: [labels]",
                               line=line_of(lines, (section,)), field=section)
        for meaning_text, names in groups.items():
            path: DocPath = (section, meaning_text)
            where = {"line": line_of(lines, path), "field": field_name(path)}
            if isinstance(names, str):
                names = [names]
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise WarlensError("must be a list of label names (quote TRUE, FALSE, NO)",
                                   **where)
            if section == "roles":
                if meaning_text not in ROLE_KINDS:
                    raise WarlensError(f"unknown role meaning '{meaning_text}'; use one of "
                                       f"{', '.join(ROLE_KINDS)}", **where)
                roles.update((normalize_label(n), meaning_text) for n in names)
                continue
            meaning = _parse_meaning(str(meaning_text), where)
            labels.update((normalize_label(n), meaning) for n in names)
    return labels, roles


def _parse_meaning(text: str, where: dict[str, Any]) -> Meaning:
    kind, _, value = text.strip().partition(" ")
    value = value.strip()
    if kind not in LABEL_KINDS:
        raise WarlensError(f"unknown meaning '{text}'; use one of {', '.join(LABEL_KINDS)} "
                           "(event, stance and verdict may be followed by a value)", **where)
    allowed = _VALUES.get(kind)
    if allowed is None:
        if value:
            raise WarlensError(f"'{kind}' takes no value (got '{value}')", **where)
        return Meaning(kind)
    if not value:
        if kind == "event":
            return Meaning("event", "other")
        raise WarlensError(f"'{kind}' needs a value: one of {', '.join(allowed)}", **where)
    if value not in allowed:
        raise WarlensError(f"unknown {kind} '{value}'; use one of {', '.join(allowed)}",
                           **where)
    return Meaning(kind, value)


@lru_cache(maxsize=1)
def _default_map() -> LabelMap:
    data = resources.files("warlens.formats").joinpath("default_labels.yaml").read_bytes()
    doc, lines = load_yaml(data)
    labels, roles = _parse_map(doc, lines)
    return LabelMap(labels, roles)


def load_label_map(path: Path | None = None, root: Path | str | None = None) -> LabelMap:
    """The default label map, with the override file at `path` (if given) laid over it.

    The override has the default's shape (`labels: {meaning: [names]}`, `roles: ...`);
    each label it names takes its new meaning, every other label keeps the default one.
    Raises WarlensError (with the override's line) if the file is not a valid map, and
    OSError (`boundary.Refused`) if it is not a regular file inside `root`, or too big.
    """
    base = _default_map()
    if path is None:
        return base
    data = boundary.read_bytes(path, boundary.CAPS["labels"], root, "a label map")
    doc, lines = load_yaml(data)
    labels, roles = _parse_map(doc, lines)
    return LabelMap({**base.labels, **labels}, {**base.roles, **roles})


def find_label_map(source: Path, root: Path | str | None = None
                   ) -> tuple[LabelMap, list[Problem]]:
    """The label map that applies to a source file: the nearest .warlens-labels.yaml
    in its folder or a folder above it up to `root` (the data folder; None: the file's
    own folder only), else the default. A broken override is a problem and the default
    is used instead, so that one typo does not stop an import."""
    found = find_override(source, root)
    if found is None:
        return _default_map(), []
    shown = str(found)
    try:
        return _cached_map(found, found.stat().st_mtime_ns, str(root or source.parent)), []
    except WarlensError as exc:
        problem = exc.to_problem(shown)
        return _default_map(), [Problem(problem.file, problem.line, problem.field,
                                        f"{problem.message}; the default label map is used",
                                        WARNING)]
    except OSError as exc:
        return _default_map(), [Problem(shown, None, "(file)",
                                        f"cannot be read: {exc.strerror or exc}; the default "
                                        "label map is used", WARNING)]


def find_override(source: Path, root: Path | str | None = None) -> Path | None:
    """The nearest override file beside `source` or in a folder above it, never above
    `root` (None: the source's own folder). An override that is a link is still
    returned, for `load_label_map` to refuse with its name."""
    folder = os.path.realpath(source.parent)
    top = os.path.realpath(root) if root is not None else folder
    return _find_override(folder, top)


def label_files(source: Path, root: Path | str | None) -> list[Path]:
    """The label map a reader reads along with `source`, if there is one (its companion)."""
    override = find_override(source, root)
    return [] if override is None else [override]


@lru_cache(maxsize=256)
def _find_override(folder: str, top: str) -> Path | None:
    if not boundary.inside(folder, top):
        return None
    while True:
        path = Path(folder) / OVERRIDE_NAME
        if path.is_file() or path.is_symlink():
            return path
        if folder == top:
            return None
        folder = os.path.dirname(folder)  # noqa: PTH120


@lru_cache(maxsize=16)
def _cached_map(path: Path, mtime_ns: int, root: str) -> LabelMap:
    return load_label_map(path, root)


# --- spans and links -> a native article -----------------------------------------------

@dataclass
class Mention:
    """One annotated span of the article's text, as a reader found it.

    `start`/`end` are code points in the (newline-normalised) text handed to `assemble`.
    `modifiers` are labels said *about* the span (brat attributes, Label Studio per-region
    choices); `geonames` comes from a brat GeoNames normalisation.
    """

    key: str
    start: int
    end: int
    text: str
    labels: tuple[str, ...]
    line: int
    modifiers: list[str] = field(default_factory=list)
    geonames: int | None = None
    draft: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    """A relation between two mentions: a brat E role or R line, a Label Studio relation.

    `head` is the event or claim when the format says so (`directed`); otherwise the
    kinds of the two ends decide which is which. `role` is the role or relation label.
    """

    head: str
    arg: str
    role: str | None
    line: int
    directed: bool = False


@dataclass
class Assembly:
    """The result of `assemble`: one native document, its line map, and problems."""

    doc: dict[str, Any]
    lines: dict[DocPath, int]
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Span:
    """A mention with its meaning resolved."""

    m: Mention
    kind: str
    value: str | None
    stance: str | None
    verdict: str | None
    sentence: int
    first_label: str


def assemble(head: dict[str, Any], text: str, mentions: Iterable[Mention],
             links: Iterable[Link], labels: LabelMap, file: str, head_line: int,
             unmapped: dict[str, int], loose: dict[str, list[int]] | None = None
             ) -> Assembly:
    """Spans and links -> one native article document that read_article_doc accepts.

    `head` holds the article's own fields (id, title, outlet, published, ...) and is
    completed with `text`, tags and the records. `unmapped` collects, across a whole
    source file, each unmapped label and the line it was first seen on, so that the
    reader can warn once per label. Problems returned are warnings: a date phrase that
    could not be read, for instance, leaves its event undated but keeps it.

    Actor, claimant and date spans that no event or claim takes (a PER or DATE span
    in a sentence without an event) have no record of their own in the native format:
    they are kept as article tags (`PER: Oleksandr Syrskyi`) and counted in `loose`
    (label -> [count, first line]) for `loose_message`, across the whole source file.
    """
    out = Assembly({}, {(): head_line})
    tags: list[str] = list(head.pop("tags", []))
    work = _Assembler(text, labels, file, out)
    work.classify(mentions, unmapped, tags)
    published = dates.parse_published(head["published"])
    places, work.place_of = _places(work.spans, out.lines)
    work.link(links)
    for s in work.spans:
        if s.kind == "event":
            work.add_event(s, published.end)
    for s in work.spans:
        if s.kind == "claim":
            work.add_claim_span(s)
    work.add_event_claims()
    tags += work.loose_tags(loose)
    doc = head
    doc["text"] = text
    if tags:
        doc["tags"] = list(dict.fromkeys(tags))
    doc["places"] = places
    doc["events"] = work.events
    doc["claims"] = work.claims
    out.doc = doc
    return out


class _Assembler:
    """The records `assemble` builds from one text's spans, and what it knows on the way."""

    def __init__(self, text: str, labels: LabelMap, file: str, out: Assembly) -> None:
        self.text, self.labels, self.file, self.out = text, labels, file, out
        self.sentences = [(s.start, s.end) for s in split_sentences(text)]
        self.starts = [s for s, _ in self.sentences]
        self.spans: list[_Span] = []
        self.by_key: dict[str, _Span] = {}
        self.by_sentence: dict[int, list[_Span]] = {}
        self.place_of: dict[str, str] = {}
        self.linked: dict[str, dict[str, list[str]]] = {}
        self.attached: set[str] = set()  # keys of spans some record took
        self.events: list[dict[str, Any]] = []
        self.event_of: dict[str, str] = {}
        self.event_index: dict[str, int] = {}
        self.event_ids: set[str] = set()
        # (event span, claimant, stance, line) of claims said by a source named on an event
        self.pending_claims: list[tuple[_Span, str, str | None, int]] = []
        self.claims: list[dict[str, Any]] = []
        self.claim_ids: set[str] = set()
        self.used_claimants: set[str] = set()
        self.used_as_arg: set[str] = set()

    def sentence_of(self, pos: int) -> int:
        return max(bisect.bisect_right(self.starts, pos) - 1, 0)

    def quote_of(self, span: _Span) -> str:
        if not self.sentences:
            return self.text.strip()
        first = self.sentences[span.sentence]
        last = self.sentences[self.sentence_of(max(span.m.end - 1, span.m.start))]
        return self.text[first[0]:max(last[1], first[1])]

    def in_sentence(self, kind: tuple[str, ...], sentence: int) -> list[_Span]:
        return [s for s in self.by_sentence.get(sentence, ()) if s.kind in kind]

    def classify(self, mentions: Iterable[Mention], unmapped: dict[str, int],
                 tags: list[str]) -> None:
        """The mentions as spans of a known kind, in text order; the rest become tags."""
        for m in sorted(mentions, key=lambda m: (m.start, m.end)):
            span = _classify(m, self.labels, unmapped, tags, self.sentence_of(m.start))
            if span is not None:
                self.spans.append(span)
                self.by_sentence.setdefault(span.sentence, []).append(span)
        self.by_key = {s.m.key: s for s in self.spans}

    def link(self, links: Iterable[Link]) -> None:
        self.linked, self.used_as_arg = _resolve_links(links, self.by_key, self.labels)
        self.attached |= self.used_as_arg

    def _args(self, s: _Span, role: str, kinds: tuple[str, ...]) -> list[_Span]:
        """The spans linked to `s` in `role`, else those of `kinds` in its sentence."""
        return [self.by_key[k] for k in self.linked.get(s.m.key, {}).get(role, [])] or \
            self.in_sentence(kinds, s.sentence)

    def add_event(self, s: _Span, base: datetime.date | None) -> None:
        """The event of an event span: its place, date and actors linked or nearby."""
        i = len(self.events)
        args = self.linked.get(s.m.key, {})
        event_id = unique_id(f"{(s.value or 'other').replace('_', '-')}-{i + 1}",
                             self.event_ids)
        self.event_of[s.m.key] = event_id
        self.event_index[s.m.key] = i
        event: dict[str, Any] = {"id": event_id,
                                 "summary": _summary(s, self.text, self.sentences),
                                 "type": s.value or "other"}
        place_spans = [self.by_key[k] for k in args.get("place", [])] or sorted(
            self.in_sentence(("place", "country"), s.sentence), key=lambda p: p.kind == "country")
        date_spans = self._args(s, "when", ("date",))
        self.attached.update(d.m.key for d in date_spans[:1])
        event["when"] = self._when(date_spans[0], i, base) if date_spans else "undated"
        if place_spans:
            event["place"] = self.place_of[place_spans[0].m.key]
        actor_spans = self._args(s, "actor", ("actor",))
        self.attached.update(a.m.key for a in actor_spans)
        actors = list(dict.fromkeys(clip(a.m.text, 200) for a in actor_spans))
        if actors:
            event["actors"] = actors
        event["quote"] = self.quote_of(s)
        label_tag = normalize_label(s.first_label)
        if label_tag not in (s.value, "event"):
            event["tags"] = [label_tag]
        if s.m.draft:
            event["draft"] = True
        self.out.lines[("events", i)] = s.m.line
        self.events.append(event)
        claimants = args.get("claimant", [])
        if claimants or s.stance:
            for k in claimants or [None]:
                self.pending_claims.append((
                    s, self.by_key[k].m.text if k else UNATTRIBUTED, s.stance,
                    self.by_key[k].m.line if k else s.m.line))

    def _when(self, date_span: _Span, i: int, base: datetime.date | None) -> str:
        """The event's date phrase if warlens.dates reads it, else undated (and said)."""
        phrase = clip(date_span.m.text, 200)
        try:
            dates.parse_when(phrase, base)
        except WarlensError as exc:
            self.out.problems.append(Problem(
                self.file, date_span.m.line, field_name(("events", i, "when")),
                f"{exc.message}; the event is kept as undated", WARNING))
            return "undated"
        self.out.lines[("events", i, "when")] = date_span.m.line
        return phrase

    def _add_claim(self, record: dict[str, Any], line: int, draft: bool) -> None:
        i = len(self.claims)
        record = {"id": unique_id(f"claim-{i + 1}", self.claim_ids), **record}
        if draft:
            record["draft"] = True
        self.out.lines[("claims", i)] = line
        self.claims.append(record)

    def add_claim_span(self, s: _Span) -> None:
        """The claim of a claim span: its claimant and the event it is about."""
        args = self.linked.get(s.m.key, {})
        claimant_spans = self._args(s, "claimant", ("claimant",))
        self.used_claimants.update(c.m.key for c in claimant_spans[:1])
        self.attached.update(c.m.key for c in claimant_spans[:1])
        about = [k for k in args.get("about", []) if k in self.event_of] or [
            e.m.key for e in self.in_sentence(("event",), s.sentence)]
        record: dict[str, Any] = {
            "claimant": clip(claimant_spans[0].m.text, 200) if claimant_spans
            else UNATTRIBUTED,
            "stance": s.stance or model.ASSERTS,
            "claim": clip(s.m.text),
        }
        if about:
            record["about"] = self.event_of[about[0]]
        record["quote"] = self.quote_of(s)
        if s.verdict:
            record["verdict"] = s.verdict
        self._add_claim(record, s.m.line, s.m.draft)

    def add_event_claims(self) -> None:
        """A source named on an event ("Claimant:T3" in brat, a relation in Label Studio),
        or a claimant span alone in a sentence with an event, says that event happened
        (or, with a denial on it, that it did not): a claim about the event."""
        self.used_claimants |= self.used_as_arg
        for s in self.spans:
            if s.kind == "claimant" and s.m.key not in self.used_claimants:
                in_it = self.in_sentence(("event",), s.sentence)
                if in_it:
                    self.pending_claims.append((in_it[0], s.m.text, s.stance, s.m.line))
                    self.attached.add(s.m.key)
        said = {(c["claimant"], c.get("about")) for c in self.claims}
        for event_span, claimant, stance, line in self.pending_claims:
            event = self.events[self.event_index[event_span.m.key]]
            who = clip(claimant, 200)
            if (who, event["id"]) in said:
                continue
            said.add((who, event["id"]))
            self._add_claim({"claimant": who, "stance": stance or model.ASSERTS,
                             "claim": event["summary"], "about": event["id"],
                             "quote": event["quote"]}, line, event_span.m.draft)

    def loose_tags(self, loose: dict[str, list[int]] | None) -> list[str]:
        """Tags for the actor, claimant and date spans no record took, counted in `loose`."""
        self.attached |= self.used_claimants
        tags = []
        for s in self.spans:
            if s.kind in _LOOSE_KINDS and s.m.key not in self.attached:
                tags.append(clip(f"{s.first_label}: {s.m.text}", 200))
                if loose is not None:
                    entry = loose.setdefault(s.first_label, [0, s.m.line])
                    entry[0] += 1
        return tags


#: Span kinds with no record of their own: kept as tags when no event or claim takes them.
_LOOSE_KINDS = frozenset({"actor", "claimant", "date"})


def loose_message(loose: dict[str, list[int]]) -> str:
    """The one warning per file about spans no event or claim took, counted by label."""
    total = sum(n for n, _ in loose.values())
    counts = ", ".join(f"{label} {n}" for label, (n, _) in
                       sorted(loose.items(), key=lambda kv: (-kv[1][0], kv[0])))
    return (f"{total} span{'' if total == 1 else 's'} attached to no event or claim "
            f"({counts}) were kept as article tags ('LABEL: text'), since an article has "
            "no actors or dates of its own")


def with_lf(text: str) -> str:
    """Text with CRLF and CR line ends made LF, as an article holds it."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class SpanExport:
    """One span-annotation file being read (a brat .ann, a Label Studio export).

    Holds what the articles of one file share: the label map, the problems, and the
    labels without meaning and the loose spans counted across the whole file, so that
    `finish` says each once per file. A reader parses its own format, hands each
    article's head, text, mentions and links to `add_article`, then calls `finish`.
    """

    display: str
    labels: LabelMap
    report: Collector
    imported: Imported
    unmapped: dict[str, int] = field(default_factory=dict)
    loose: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path, display: str, label_map: LabelMap | None,
             root: Path | str) -> SpanExport:
        """Start reading `path` with `label_map`, else the map found for it up to `root`
        (its problems are the file's first)."""
        report = Collector(display)
        if label_map is None:
            label_map, map_problems = find_label_map(path, root)
            report.problems.extend(map_problems)
        return cls(display, label_map, report, Imported(problems=report.problems))

    def add_article(self, head: dict[str, Any], raw_text: str, mentions: Iterable[Mention],
                    links: Iterable[Link], line: int) -> None:
        """Assemble one article from its spans (see `assemble`) and keep it.

        `raw_text` is the text as annotated; the article holds it with LF line ends
        (the mentions' offsets are already counted on that).
        """
        assembly = assemble(head, with_lf(raw_text), mentions, links, self.labels,
                            self.display, line, self.unmapped, self.loose)
        self.report.problems.extend(assembly.problems)
        self.imported.docs.append((assembly.doc, assembly.lines))

    def finish(self) -> Imported:
        """Warn once for each label the map does not know and once for the loose spans;
        return what was read."""
        for label, line in self.unmapped.items():
            self.report.add(line, "labels", f"label '{label}' has no meaning in the label "
                            "map; kept as an article tag (map it in .warlens-labels.yaml)",
                            WARNING)
        if self.loose:
            self.report.add(min(line for _, line in self.loose.values()), "(file)",
                            loose_message(self.loose), WARNING)
        return self.imported


def _classify(m: Mention, labels: LabelMap, unmapped: dict[str, int], tags: list[str],
              sentence: int) -> _Span | None:
    """Resolve a mention's labels and modifiers; unmapped ones become article tags."""
    if not m.text.strip():
        return None  # a span of white space names nothing
    kind: str | None = None
    value = stance = verdict = None
    first = ""
    for label in (*m.labels, *m.modifiers):
        meaning = labels.meaning(label)
        if meaning is None:
            unmapped.setdefault(label, m.line)
            tags.append(clip(f"{label}: {m.text}", 200))
        elif meaning.kind == "tag":
            tags.append(clip(f"{label}: {m.text}", 200))
        elif meaning.kind == "stance":
            stance = stance or meaning.value
        elif meaning.kind == "verdict":
            verdict = verdict or meaning.value
        elif meaning.kind in _PRIMARY and kind is None:
            kind, value, first = meaning.kind, meaning.value, label
    if kind is None and stance is not None:
        kind = "claim"  # a span labelled only DENIAL is a denial: a claim with that stance
    if kind is None:
        return None
    return _Span(m, kind, value, stance, verdict, sentence, first)


def _places(spans: list[_Span], lines: dict[DocPath, int]) -> tuple[list[dict[str, Any]],
                                                                     dict[str, str]]:
    """One place per distinct name (a country apart); mention key -> place id."""
    places: list[dict[str, Any]] = []
    place_of: dict[str, str] = {}
    by_name: dict[tuple[str, bool], str] = {}
    taken: set[str] = set()
    for s in spans:
        if s.kind not in ("place", "country"):
            continue
        name = clip(s.m.text, 200)
        ident = (name.casefold(), s.kind == "country")
        if ident in by_name and s.m.geonames:
            # The same name twice is the same place; a GeoNames id on either pins both.
            place = next(p for p in places if p["id"] == by_name[ident])
            place.setdefault("geonames", s.m.geonames)
        if ident not in by_name:
            place_id = unique_id(slugify(name, "place"), taken)
            place: dict[str, Any] = {"id": place_id, "name": name}
            if s.kind == "country":
                place["precision"] = "country"
            if s.m.geonames:
                place["geonames"] = s.m.geonames
            if s.m.draft:
                place["draft"] = True
            lines[("places", len(places))] = s.m.line
            places.append(place)
            by_name[ident] = place_id
        place_of[s.m.key] = by_name[ident]
    return places, place_of


_ARG_ROLE = {"place": "place", "country": "place", "date": "when", "actor": "actor",
             "claimant": "claimant", "event": "about"}


def _resolve_links(links: Iterable[Link], by_key: Mapping[str, _Span],
                   labels: LabelMap) -> tuple[dict[str, dict[str, list[str]]], set[str]]:
    """head mention key -> role kind -> argument mention keys.

    The role comes from the role/relation label when the map knows it, else from what
    the argument is (a place is a place, a date a when, an actor on a claim its
    claimant). Links between two places, say, say nothing we can keep and are skipped.
    Also returns the keys of every mention used as an argument.
    """
    result: dict[str, dict[str, list[str]]] = {}
    used: set[str] = set()
    for link in links:
        a, b = by_key.get(link.head), by_key.get(link.arg)
        if a is None or b is None:
            continue
        if not link.directed and b.kind in ("event", "claim") and (
                a.kind not in ("event", "claim") or (a.kind, b.kind) == ("event", "claim")):
            a, b = b, a
        if a.kind not in ("event", "claim"):
            continue
        role = labels.role(link.role) if link.role else None
        if role is None or (role == "about" and b.kind != "event"):
            role = _ARG_ROLE.get(b.kind)
            if role == "actor" and a.kind == "claim":
                role = "claimant"
        if role is None:
            continue
        result.setdefault(a.m.key, {}).setdefault(role, []).append(b.m.key)
        used.add(b.m.key)
    return result, used


def _summary(s: _Span, text: str, sentences: list[tuple[int, int]]) -> str:
    """The event span's words if they say something (3 words or more), else its sentence."""
    words = clip(s.m.text, _SUMMARY_CHARS)
    if len(words.split()) >= 3 or not sentences:
        return words
    start, end = sentences[s.sentence]
    return clip(text[start:end], _SUMMARY_CHARS)
