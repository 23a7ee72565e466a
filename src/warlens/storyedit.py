"""Write reviewed story links into article files, changing nothing else in them.

`warlens link --apply` never re-dumps a file: for each event it inserts one line,
`story: <slug>`, right after the event's `id:` line, at the indentation of that key
and with that line's own line ending. The line comes from the strict loader's line
marks, found again by the event's id in the file as it is now, so a file edited since
the proposals were written is still edited in the right place. The edited bytes must
then load with the same events, identical but for the new story; otherwise the file is
left as it was and the event reported as skipped.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warlens.article import read_article_file
from warlens.model import SLUG_RE, Col
from warlens.problems import WarlensError
from warlens.yamlio import load_yaml

WRITTEN, UNCHANGED, CONFLICT, SKIPPED = "written", "unchanged", "conflict", "skipped"
#: The id key of an event item: `  - id: e1` or, on a line of its own, `    id: e1`.
_ID_LINE = re.compile(rb"^([ ]*(?:-[ ]+)?)id[ ]*:")


@dataclass(frozen=True)
class Outcome:
    """What happened to one event of the proposals."""

    file: str
    event: str
    story: str
    status: str       # written | unchanged | conflict | skipped
    message: str = ""

    def __str__(self) -> str:
        note = f": {self.message}" if self.message else ""
        return f"{self.status}: {self.file}: {self.event} -> {self.story}{note}"


def _story_line(slug: str) -> bytes:
    """`story: slug`, quoted when YAML would read the slug as something other than text."""
    try:
        doc, _ = load_yaml(f"story: {slug}\n")
        plain = isinstance(doc, dict) and doc.get("story") == slug
    except WarlensError:
        plain = False
    return f"story: {slug if plain else json.dumps(slug)}".encode()


def set_stories(data: bytes, stories: dict[str, str], file: str = "(file)",
                ) -> tuple[bytes, list[Outcome]]:
    """The file's bytes with `story:` set on the events named (event id -> slug).

    Returns the new bytes (the same bytes when nothing was written) and an outcome per
    event. An event that already has another story is a conflict and is not touched.
    """
    try:
        doc, lines = load_yaml(data)
    except WarlensError as exc:
        return data, [Outcome(file, e, s, SKIPPED, f"the file does not load: {exc.message}")
                      for e, s in stories.items()]
    items = doc.get("events") if isinstance(doc, dict) else None
    index = {item["id"]: i for i, item in enumerate(items or [])
             if isinstance(item, dict) and isinstance(item.get("id"), str)}
    source = data.splitlines(keepends=True)
    inserts: list[tuple[int, bytes]] = []   # (0-based line to insert before, bytes)
    outcomes: list[Outcome] = []
    planned: list[str] = []
    for event, slug in stories.items():
        if event not in index:
            outcomes.append(Outcome(file, event, slug, SKIPPED, "no such event in the file"))
            continue
        item = items[index[event]]  # type: ignore[index]
        if "story" in item:
            outcomes.append(_has_story(file, event, slug, item["story"]))
            continue
        insert = _story_insert(source, data, lines.get(("events", index[event], "id")), slug)
        if insert is None:
            outcomes.append(Outcome(file, event, slug, SKIPPED,
                                    "its id is not on a line of its own (flow style?); "
                                    "add the story by hand"))
            continue
        inserts.append(insert)
        planned.append(event)
    if not inserts:
        return data, outcomes
    for at, payload in sorted(inserts, reverse=True):
        source.insert(at, payload)
    new = b"".join(source)
    problem = _changed_otherwise(data, new, {e: stories[e] for e in planned}, file)
    if problem:
        outcomes += [Outcome(file, e, stories[e], SKIPPED, problem) for e in planned]
        return data, outcomes
    outcomes += [Outcome(file, e, stories[e], WRITTEN) for e in planned]
    return new, outcomes


def _has_story(file: str, event: str, slug: str, have: object) -> Outcome:
    """The outcome for an event that has a `story:` line already: never overwritten."""
    if have is None:
        return Outcome(file, event, slug, SKIPPED, "has an empty `story:` line; fill it in "
                       "by hand")
    if have == slug:
        return Outcome(file, event, slug, UNCHANGED, "already has this story")
    return Outcome(file, event, slug, CONFLICT, f"already has story {have!r}; left as it is")


def _story_insert(source: list[bytes], data: bytes, line: int | None,
                  slug: str) -> tuple[int, bytes] | None:
    """Where to insert the story line (the 0-based line before which) and its bytes:
    after the event's `id:` line, at its indentation, with its line ending. None when
    the id is not on a line of its own. A last line without an ending is given one
    in `source`."""
    text = source[line - 1] if line is not None and line <= len(source) else b""
    found = _ID_LINE.match(text)
    if found is None or line is None:
        return None
    body = text.rstrip(b"\r\n")
    eol = text[len(body):] or (b"\r\n" if b"\r\n" in data else b"\n")
    if not text.endswith((b"\n", b"\r")):  # the last line of the file: end it first
        source[line - 1] = text + eol
    indent = b" " * len(found.group(1))
    return line, indent + _story_line(slug) + eol


def _changed_otherwise(old: bytes, new: bytes, stories: dict[str, str], file: str) -> str:
    """Why `new` is not `old` with just these stories set ("" when it is)."""
    before, after = read_article_file(old, file), read_article_file(new, file)
    if len(after.problems) != len(before.problems) or len(after.articles) != len(
            before.articles) or not after.articles:
        return "the edited file would not load as before; left as it was"
    old_events = {e[Col.ID]: e for e in before.articles[0].events}
    new_events = {e[Col.ID]: e for e in after.articles[0].events}
    if old_events.keys() != new_events.keys():
        return "the edited file would load other events; left as it was"
    for event_id, row in old_events.items():
        want = {**row, Col.STORY: stories.get(event_id, row[Col.STORY])}
        got = {**new_events[event_id], Col.LINE: row[Col.LINE]}
        want[Col.LINE] = row[Col.LINE]
        if repr(got) != repr(want):  # repr: a NaN equals itself
            return f"the edited file would change event {event_id!r}; left as it was"
    return ""


def read_proposals(path: Path) -> dict[str, Any]:
    """A proposals file, strictly parsed; raises WarlensError when it is not one."""
    doc, _ = load_yaml(path.read_bytes())
    if not isinstance(doc, dict) or not isinstance(doc.get("stories"), list):
        raise WarlensError("not a proposals file: it has no list of stories")
    return doc


def proposals_root(doc: dict[str, Any], path: Path) -> Path:
    """The data folder the proposals' file paths are relative to.

    As written (relative to the working folder), else relative to the proposals file.
    """
    root = Path(str(doc.get("root") or "."))
    if root.is_absolute() or root.is_dir():
        return root
    beside = path.parent / root
    return beside if beside.is_dir() else root


def apply_proposals(doc: dict[str, Any], root: Path) -> list[Outcome]:
    """Write the accepted stories of a proposals document into the article files."""
    wanted, outcomes = _accepted(doc)
    for file, events in sorted(wanted.items()):
        outcomes += _apply_to_file(root, file, events)
    return outcomes


def _accepted(doc: dict[str, Any]) -> tuple[dict[str, dict[str, set[str]]], list[Outcome]]:
    """The stories to write (file -> event -> slugs accepted for it), and an outcome for
    each event of a story not accepted or not named by a slug."""
    wanted: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    outcomes: list[Outcome] = []
    for story in doc["stories"]:
        if not isinstance(story, dict):
            continue
        slug = str(story.get("story", ""))
        members = [m for m in story.get("events") or [] if isinstance(m, dict)]
        if story.get("accept") is not True:
            outcomes += [Outcome(str(m.get("file")), str(m.get("event")), slug, SKIPPED,
                                 "not accepted") for m in members]
            continue
        if not SLUG_RE.fullmatch(slug):
            outcomes += [Outcome(str(m.get("file")), str(m.get("event")), slug, SKIPPED,
                                 "the story is not a slug (a-z, 0-9, - and _)")
                         for m in members]
            continue
        for m in members:
            wanted[str(m.get("file"))][str(m.get("event"))].add(slug)
    return wanted, outcomes


def _apply_to_file(root: Path, file: str, events: dict[str, set[str]]) -> list[Outcome]:
    """Set the stories of one article file; an event accepted into two stories is a
    conflict and left as it is."""
    target = root / file
    clear = {e: next(iter(s)) for e, s in events.items() if len(s) == 1}
    if Path(file).is_absolute() or ".." in Path(file).parts:
        return [Outcome(file, e, s, SKIPPED, "not a path inside the data folder")
                for e, s in clear.items()]
    outcomes = [Outcome(file, e, ", ".join(sorted(s)), CONFLICT,
                        "accepted into more than one story; left as it is")
                for e, s in events.items() if len(s) > 1]
    try:
        data = target.read_bytes()
    except OSError as exc:
        return outcomes + [Outcome(file, e, s, SKIPPED, f"cannot be read: {exc.strerror or exc}")
                           for e, s in clear.items()]
    new, done = set_stories(data, clear, file)
    if new != data:
        try:
            _write_in_place(target, new)
        except OSError as exc:
            done = [Outcome(o.file, o.event, o.story, SKIPPED,
                            f"cannot be written: {exc.strerror or exc}")
                    if o.status == WRITTEN else o for o in done]
    return outcomes + done


def _write_in_place(target: Path, data: bytes) -> None:
    """Replace the file's bytes, keeping its permissions (write a sibling, then rename),
    and read them back."""
    target = target.resolve()  # a symlinked article: edit the file, keep the link
    spare = target.with_name(f".{target.name}.warlens-link")
    spare.write_bytes(data)
    try:
        os.chmod(spare, target.stat().st_mode & 0o7777)  # noqa: PTH101
        spare.replace(target)
    except OSError:
        spare.unlink(missing_ok=True)
        raise
    if target.read_bytes() != data:  # the bytes checked are the bytes on disk
        raise OSError(f"{target} does not read back as written")
