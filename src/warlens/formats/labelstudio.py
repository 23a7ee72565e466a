"""Label Studio JSON exports -> native articles, one per task.

A Label Studio export is a JSON list of tasks, each `{id, data: {text, ...},
annotations: [{result: [...]}], predictions: [...]}`. Span results (`type: labels`)
become places, dates, actors, events and claims through the label map
(`warlens.formats.labels`); relations (`type: relation`) link them; choices
(`type: choices`) give a claim's stance or verdict, for one region when the choice
carries that region's id, else for the task's claims.

Offsets are checked and repaired. Label Studio has exported offsets counted in
UTF-16 code units after an emoji (its issue #1347) and offsets counted on the text
with CRLF line ends folded to LF (#539), and results without `value.text`. For
each annotation we pick the offset convention under which most spans match their
`value.text` (as written, UTF-16, CRLF-folded, or both), apply it to every span,
and fall back span by span to the other conventions and then to the occurrence of
`value.text` nearest the given start. What cannot be matched is a problem naming
the result's line.

Line numbers: the file is parsed with `json`, element by element
(`JSONDecoder.raw_decode`), which gives each task's character range for free. A
result's line is found by searching that range for its `"id": "<id>"`; ids seen
twice (a per-region choice shares its region's id, an accepted prediction its
annotation's) are matched to occurrences in file order. This costs one regex
search per result, not a second parser.
"""

from __future__ import annotations

import bisect
import datetime
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from warlens import boundary, dates
from warlens.formats import Format, Imported
from warlens.formats.labels import (
    UNKNOWN_OUTLET,
    LabelMap,
    Link,
    Mention,
    SpanExport,
    label_files,
)
from warlens.formats.offsets import MODES, OffsetIndex, repair_span
from warlens.formats.records import inferred_date
from warlens.problems import WARNING, Collector, WarlensError
from warlens.text import slugify, split_sentences, unique_id

__all__ = ["MODES", "OffsetIndex", "is_labelstudio", "read_labelstudio", "repair_span"]

_SNIFF_BYTES = 16_384
_TEXT_KEYS = ("text", "content", "body", "article", "document")
_TITLE_KEYS = ("title", "headline", "name")
_OUTLET_KEYS = ("outlet", "publisher", "source_name", "site", "source")
_URL_KEYS = ("url", "link", "source_url", "source")
_DATE_KEYS = ("published", "date", "published_at", "publication_date", "pub_date",
              "datetime")
_AUTHOR_KEYS = ("author", "byline")
_LANGUAGE_KEYS = ("language", "lang")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")


class _Lines:
    """Character offset -> 1-based line of the raw JSON text.

    Offsets are asked for almost always in increasing order, so the count of newlines
    carries on from the last one asked (str.count runs in C); going back recounts.
    """

    def __init__(self, raw: str) -> None:
        self._raw = raw
        self._pos = 0
        self._line = 1

    def at(self, pos: int) -> int:
        if pos < self._pos:
            self._pos, self._line = 0, 1
        self._line += self._raw.count("\n", self._pos, pos)
        self._pos = pos
        return self._line


_ID_KEY = re.compile(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _result_positions(raw: str, start: int, end: int, task: dict[str, Any]) -> dict[int, int]:
    """id(result dict) -> character offset of its `"id": "..."` within raw[start:end].

    One regex pass collects every string id in the task's range in file order; the
    results are then walked in the same order (json keeps key order), so the n-th result
    with a given id gets the n-th occurrence.
    """
    occurrences: dict[str, list[int]] = {}
    for m in _ID_KEY.finditer(raw, start, end):
        text = m.group(1)
        key = json.loads(f'"{text}"') if "\\" in text else text
        occurrences.setdefault(key, []).append(m.start())
    used: dict[str, int] = {}
    found: dict[int, int] = {}
    for value in task.values():
        if not isinstance(value, list):
            continue
        for entry in value:
            results = entry.get("result") if isinstance(entry, dict) else None
            if not isinstance(results, list):
                continue
            for r in results:
                rid = r.get("id") if isinstance(r, dict) else None
                at = occurrences.get(rid, ()) if isinstance(rid, str) else ()
                n = used.get(rid, 0) if isinstance(rid, str) else 0
                if n < len(at):
                    found[id(r)] = at[n]
                    used[rid] = n + 1  # type: ignore[index]
    return found


# --- reading --------------------------------------------------------------------------

def is_labelstudio(path: Path) -> bool:
    """A .json file whose top level is a list of tasks with data and annotations/predictions.

    Only the first 16 KB are read. Exports put `annotations` before `data`, so when a
    long first annotation pushes `data` out of sight, `from_name` (which only Label
    Studio results carry) stands in for it.
    """
    if path.suffix.lower() != ".json":
        return False
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES).decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")
    if not re.match(r"\[\s*\{", head):
        return False
    has_work = re.search(r'"(annotations|predictions)"\s*:', head) is not None
    has_data = re.search(r'"(data|from_name)"\s*:', head) is not None
    return has_work and has_data


def read_labelstudio(path: Path, display: str, label_map: LabelMap | None = None, *,
                     root: Path | str | None = None) -> Imported:
    """Read a Label Studio JSON export: one native article per task, and the problems.

    A malformed task is reported and skipped; the other tasks import. A JSON syntax
    error ends the file there: the tasks before it import. The label map is looked for
    up to `root` (the data folder; None: the file's own folder).
    """
    root = path.parent if root is None else root
    export = SpanExport.open(path, display, label_map, root)
    data = boundary.read_bytes(path, boundary.CAPS["export"], root, "a Label Studio export")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        export.report.add(None, "(file)", f"is not UTF-8 text (byte {exc.start}); export it "
                          "again")
        return export.imported
    lines = _Lines(raw)
    ctx = _Context(path, export, lines, raw)
    for start, end, task, index in _tasks(raw, export.report, lines):
        ctx.read_task(task, index, start, end)
    imported = export.finish()
    export.report.flush()
    return imported


def _tasks(raw: str, notes: Collector, lines: _Lines) -> Iterable[tuple[int, int, Any, int]]:
    """(start, end, task, index) for each element of the top-level JSON list."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"\s*")
    pos = ws.match(raw, 0).end()  # type: ignore[union-attr]
    if raw[pos:pos + 1] != "[":
        notes.add(lines.at(pos), "(file)",
                  "a Label Studio export is a JSON list of tasks, starting with '['")
        return
    pos = ws.match(raw, pos + 1).end()  # type: ignore[union-attr]
    index = 0
    if raw[pos:pos + 1] == "]":
        return
    while True:
        try:
            task, end = decoder.raw_decode(raw, pos)
        except json.JSONDecodeError as exc:
            notes.add(exc.lineno, f"[{index}]",
                      f"JSON syntax error: {exc.msg} (column {exc.colno}); tasks after this "
                      "point were not read")
            return
        yield pos, end, task, index
        index += 1
        pos = ws.match(raw, end).end()  # type: ignore[union-attr]
        if raw[pos:pos + 1] == ",":
            pos = ws.match(raw, pos + 1).end()  # type: ignore[union-attr]
            continue
        if raw[pos:pos + 1] != "]":
            notes.add(lines.at(pos), f"[{index}]",
                      "JSON syntax error: expected ',' or ']' after a task; tasks after this "
                      "point were not read")
        return


@dataclass
class _Context:
    """What reading one export needs across its tasks."""

    path: Path
    export: SpanExport
    lines: _Lines
    raw: str
    ids: set[str] = field(default_factory=set)

    @property
    def notes(self) -> Collector:
        """The export's problems, counted notes among them."""
        return self.export.report

    @property
    def labels(self) -> LabelMap:
        """The label map the export is read with."""
        return self.export.labels

    def read_task(self, task: Any, index: int, start: int, end: int) -> None:
        """Read one task into an article, or say why it was skipped."""
        line = self.lines.at(start)
        where = f"[{index}]"
        if not isinstance(task, dict):
            self.notes.add(line, where, "each task must be a JSON object {id, data, ...}")
            return
        data = task.get("data")
        if not isinstance(data, dict):
            self.notes.add(line, f"{where}.data", "the task has no data object; skipped")
            return
        text_key = next((k for k in _TEXT_KEYS if isinstance(data.get(k), str)
                         and data[k].strip()), None)
        if text_key is None:
            self.notes.add(line, f"{where}.data.text", "the task has no text; skipped")
            return
        raw_text: str = data[text_key]
        positions = _result_positions(self.raw, start, end, task)
        picked = self._pick_annotation(task, line, where)
        if picked is None:
            return
        results, result_path, draft = picked
        head = self._head(task, data, raw_text, index, line)
        found = _TaskResults(self, raw_text, positions, line, result_path, draft)
        mentions, links, extra_tags = found.read(results)
        head["tags"] = extra_tags
        self.export.add_article(head, raw_text, mentions, links, line)

    def _pick_annotation(self, task: dict[str, Any], line: int,
                         where: str) -> tuple[list[Any], str, bool] | None:
        """The results to import: a ground-truth annotation, else the first one not
        cancelled, else the first prediction (imported as draft)."""
        annotations = task.get("annotations", [])
        predictions = task.get("predictions", [])
        for name, value in (("annotations", annotations), ("predictions", predictions)):
            if not isinstance(value, list):
                self.notes.add(line, f"{where}.{name}", f"{name} must be a list; task skipped")
                return None
        usable = [(i, a) for i, a in enumerate(annotations)
                  if isinstance(a, dict) and not a.get("was_cancelled")]
        usable.sort(key=lambda ia: not ia[1].get("ground_truth"))
        if len(usable) > 1:
            self.notes.count("several", line, "{n} task{s} had more than one annotation; the "
                             "ground-truth one (else the first) was imported, the others not")
        if usable:
            i, chosen = usable[0]
            return self._result_list(chosen, f"{where}.annotations[{i}]", line, False)
        preds = [(i, p) for i, p in enumerate(predictions) if isinstance(p, dict)]
        if preds:
            self.notes.count("predicted", line, "{n} task{s} had no annotation, only model "
                             "predictions; these were imported as draft")
            i, chosen = preds[0]
            return self._result_list(chosen, f"{where}.predictions[{i}]", line, True)
        self.notes.count("bare", line, "{n} task{s} had no annotation; imported as text only")
        return [], f"{where}.annotations", False

    def _result_list(self, entry: dict[str, Any], path: str, line: int,
                     draft: bool) -> tuple[list[Any], str, bool] | None:
        results = entry.get("result", [])
        if not isinstance(results, list):
            self.notes.add(line, f"{path}.result", "result must be a list; task skipped")
            return None
        return results, f"{path}.result", draft

    def _head(self, task: dict[str, Any], data: dict[str, Any], text: str, index: int,
              line: int) -> dict[str, Any]:
        """The article's own fields, from data (or meta) where given, else said honestly."""
        meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}

        def field_of(keys: tuple[str, ...]) -> str | None:
            for source in (data, meta):
                for k in keys:
                    v = source.get(k)
                    if isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip():
                        return str(v).strip()
            return None

        task_id = task.get("id", index + 1)
        head: dict[str, Any] = {"id": self._article_id(task.get("project"), task_id, index)}
        title = field_of(_TITLE_KEYS)
        if title is None:
            first = split_sentences(text)[:1]
            title = first[0].text if first else text
        head["title"] = " ".join(title.split())[:200]
        url = field_of(_URL_KEYS)
        url = url if url and re.match(r"^https?://\S+$", url, re.IGNORECASE) else None
        outlet = _outlet(field_of, url)
        if outlet is None:
            self.notes.count("outlet", line, f"{{n}} task{{s}} named no outlet (data."
                             f"{', data.'.join(_OUTLET_KEYS)} or url); shown as "
                             f"'{UNKNOWN_OUTLET}'")
        head["outlet"] = outlet or UNKNOWN_OUTLET
        if url:
            head["url"] = url
        head["published"] = self._published(field_of(_DATE_KEYS), task, line)
        if author := field_of(_AUTHOR_KEYS):
            head["author"] = author[:200]
        language = field_of(_LANGUAGE_KEYS)
        if language and _LANGUAGE_RE.match(language):
            head["language"] = language
        head["source_file"] = f"{self.export.display} (task {task_id})"[:2000]
        return head

    def _article_id(self, project: object, task_id: object, index: int) -> str:
        """ls-<project or export>-<task>, unique within the export."""
        prefix = slugify(str(project), "p") if project is not None else slugify(
            self.path.stem, "export", 40)
        return unique_id(f"ls-{prefix}-{slugify(str(task_id), str(index + 1), 40)}", self.ids)

    def _published(self, given: str | None, task: dict[str, Any], line: int) -> Any:
        if given is not None:
            try:
                dates.parse_published(given)
                return given
            except WarlensError as exc:
                self.notes.add(line, "data.published", f"{exc.message}; another date is used "
                               "instead, marked inferred", WARNING)
        created = task.get("created_at")
        if isinstance(created, str):
            try:
                day = datetime.date.fromisoformat(created[:10])
            except ValueError:
                day = None
            if day is not None:
                self.notes.count("created", line, "{n} task{s} gave no publication date "
                                 "(data.published or data.date); the task's created_at date "
                                 "is used instead, marked inferred")
                return inferred_date(day)
        # Not the export file's date: that is when it was copied, not when anything appeared.
        self.notes.count("undated", line, "{n} task{s} gave no publication date and no "
                         "created_at; left undated (set published in the imported YAML)")
        return "undated"


def _outlet(field_of: Callable[[tuple[str, ...]], str | None], url: str | None) -> str | None:
    """The outlet a task names (not a web address), else its URL's host, else None."""
    outlet = next((v for k in _OUTLET_KEYS
                   if (v := field_of((k,))) and not v.lower().startswith("http")), None)
    if outlet is None and url:
        outlet = urlparse(url).netloc.removeprefix("www.") or None
    return outlet


class _TaskResults:
    """One task's span, relation and choice results -> mentions, links and article tags."""

    def __init__(self, ctx: _Context, raw_text: str, positions: dict[int, int],
                 task_line: int, base: str, draft: bool) -> None:
        self.ctx, self.notes = ctx, ctx.notes
        self.raw_text, self.positions, self.task_line = raw_text, positions, task_line
        self.base, self.draft = base, draft
        self.spans: list[tuple[int, dict[str, Any], int]] = []   # (result index, result, line)
        self.relations: list[tuple[dict[str, Any], int]] = []
        self.choices: list[tuple[dict[str, Any], int, str]] = []

    def read(self, results: list[Any]) -> tuple[list[Mention], list[Link], list[str]]:
        """The mentions, links and tags of `results`; each one unusable is said and skipped."""
        for j, r in enumerate(results):
            self._sort(j, r)
        mentions = self._mentions()
        tags = self._choose(mentions)
        return mentions, self._links(), tags

    def _sort(self, j: int, r: Any) -> None:
        line = (self.ctx.lines.at(self.positions[id(r)]) if id(r) in self.positions
                else self.task_line)
        fld = f"{self.base}[{j}]"
        if not isinstance(r, dict):
            self.notes.add(line, fld, "each result must be a JSON object; skipped")
            return
        kind = r.get("type")
        if kind == "labels":
            if self._span_ok(r, fld, line):
                self.spans.append((j, r, line))
        elif kind == "relation":
            self.relations.append((r, line))
        elif kind == "choices":
            self.choices.append((r, line, fld))
        else:
            self.notes.count(f"type:{kind}", line, f"{{n}} result{{s}} of type '{kind}' "
                             "cannot be imported (only labels, relation, choices)")

    def _span_ok(self, r: dict[str, Any], fld: str, line: int) -> bool:
        value = r.get("value")
        if not isinstance(value, dict):
            self.notes.add(line, f"{fld}.value", "a labels result needs a value object")
            return False
        start, end = value.get("start"), value.get("end")
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool):
            self.notes.add(line, f"{fld}.value", "start and end must be character offsets "
                           f"(got {start!r}, {end!r}); span skipped")
            return False
        if not 0 <= start < end:
            self.notes.add(line, f"{fld}.value", f"start {start} must be below end {end} and "
                           "not negative; span skipped")
            return False
        labels = value.get("labels")
        if not isinstance(labels, list) or not labels:
            self.notes.add(line, f"{fld}.value.labels", "a span needs at least one label; "
                           "span skipped")
            return False
        return True

    def _mentions(self) -> list[Mention]:
        """The spans, their offsets read under the convention that fits the file best."""
        index = OffsetIndex(self.raw_text)
        checked = [(r["value"]["start"], r["value"]["end"], r["value"]["text"])
                   for _, r, _ in self.spans if isinstance(r["value"].get("text"), str)]
        mode = index.best_mode(checked)
        fold = _Folding(self.raw_text)
        mentions: list[Mention] = []
        for j, r, line in self.spans:
            value = r["value"]
            found = self._locate(index, mode, bool(checked), value, line,
                                 f"{self.base}[{j}].value")
            if found is None:
                continue
            lo, hi = found
            labels = [str(x) for x in value.get("labels", [])]
            mentions.append(Mention(key=str(r.get("id", f"#{j}")), start=fold.at(lo),
                                    end=fold.at(hi), text=self.raw_text[lo:hi],
                                    labels=tuple(labels), line=line, draft=self.draft))
        return mentions

    def _locate(self, index: OffsetIndex, mode: str, checked: bool, value: dict[str, Any],
                line: int, fld: str) -> tuple[int, int] | None:
        """Where a span's text lies in code points, repaired if its offsets miss it."""
        expected = value.get("text")
        if isinstance(expected, str) and expected:
            found = index.repair(value["start"], value["end"], expected, mode)
            if found is None:
                shown = expected if len(expected) <= 60 else expected[:57] + "..."
                self.notes.add(line, fld, f"text '{shown}' is not at {value['start']}-"
                               f"{value['end']} or anywhere in the task's text, under any "
                               "offset convention; span skipped")
                return None
            lo, hi, how = found
            if how != MODES[0]:
                self.notes.count(f"repair:{how}", line, f"{{n}} span{{s}} had offsets "
                                 f"that needed repair ({how}); repaired to the text they "
                                 "quote")
            return lo, hi
        converted = index.convert(mode, value["start"], value["end"])
        if converted is None:
            self.notes.add(line, fld, f"offsets {value['start']}-{value['end']} lie "
                           "outside the task's text and value.text is missing; span "
                           "skipped")
            return None
        if index.ambiguous and not checked:
            self.notes.count("unchecked", line, "{n} span{s} without value.text in a "
                             "text with emoji or CRLF line ends: offsets taken as "
                             "code points, unchecked")
        return converted

    def _choose(self, mentions: list[Mention]) -> list[str]:
        """Choices: on a span, its modifiers; on the task, tags or claim modifiers."""
        by_key = {m.key: m for m in mentions}
        task_modifiers: list[tuple[str, int]] = []
        for r, line, fld in self.choices:
            picked = r.get("value", {}).get("choices", []) if isinstance(r.get("value"),
                                                                        dict) else []
            if not isinstance(picked, list):
                self.notes.add(line, f"{fld}.value.choices", "choices must be a list; skipped")
                continue
            target = by_key.get(str(r.get("id")))
            if target is not None:
                target.modifiers.extend(str(c) for c in picked)
            else:
                task_modifiers.extend((str(c), line) for c in picked)
        labels = self.ctx.labels
        tags: list[str] = []
        for choice, line in task_modifiers:
            meaning = labels.meaning(choice)
            if meaning is None or meaning.kind == "tag":
                tags.append(choice)
                if meaning is None:
                    self.ctx.export.unmapped.setdefault(choice, line)
                continue
            for m in mentions:
                kinds = {k.kind for k in map(labels.meaning, m.labels) if k}
                if kinds & {"claim", "claimant", "stance"}:
                    m.modifiers.append(choice)
        return tags

    def _links(self) -> list[Link]:
        links = []
        for r, line in self.relations:
            if "from_id" not in r or "to_id" not in r:
                self.notes.add(line, self.base, "a relation needs from_id and to_id; skipped")
                continue
            role = r.get("labels") or []
            links.append(Link(str(r["from_id"]), str(r["to_id"]),
                              str(role[0]) if isinstance(role, list) and role else None, line))
        return links


class _Folding:
    """Code points of the raw text -> code points once CRLF and CR are folded to LF."""

    def __init__(self, text: str) -> None:
        self._cr = [m.start() for m in re.finditer("\r\n", text)]

    def at(self, pos: int) -> int:
        return pos - bisect.bisect_left(self._cr, pos)


FORMAT = Format("labelstudio", "Label Studio", (".json",), is_labelstudio, read_labelstudio,
                label_files, takes_labels=True, rank=10)
