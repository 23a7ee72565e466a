"""Strict YAML for article files, on libyaml's C parser, with a line for every value.

PyYAML's loaders are lenient in ways that hurt a corpus of hand-written files:
YAML 1.1 turns `NO` into False and `1:20` into 80, duplicate keys silently
overwrite each other, aliases can expand into gigabytes, and explicit tags can
build arbitrary objects. This module reads one document under stricter rules and
reports every violation as a `WarlensError` carrying a 1-based line and field.

How it works: we pull libyaml's *event* stream (`CSafeLoader.get_event`) and
build plain Python values in a single iterative pass. We deliberately do not
use `yaml.compose`: its C composer recurses once per nesting level and
segfaults the interpreter on ~100,000 nested `[` (a 200 KB file), before any
Python-level depth check could run. Events also carry anchors and tags exactly
as written, so both are refused at the first occurrence and nothing is ever
expanded.

Plain scalars follow the YAML 1.2 core schema (see `_resolve_plain`); a leading
zero does not mean octal, so `010` is the integer 10, as the 1.2 spec says.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import yaml
from yaml.reader import ReaderError

from warlens.problems import WarlensError

Path = tuple[str | int, ...]

MAX_BYTES = 5_000_000
MAX_DEPTH = 40
#: What libyaml (from PyYAML 6.0.4) says of nesting deeper than its own limit of 1,000.
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"

__all__ = ["MAX_BYTES", "MAX_DEPTH", "Path", "field_name", "line_of", "load_yaml"]

_BOM = b"\xef\xbb\xbf"
_FILE = "(file)"  # the field of problems that concern the whole file
_YAML_TAG_PREFIX = "tag:yaml.org,2002:"
_ALIAS_MESSAGE = "anchors and aliases (&name, *name) are not allowed"

# YAML 1.2 core schema, https://yaml.org/spec/1.2.2/#1032-tag-resolution
_CONSTANTS: dict[str, object] = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True,
    "false": False, "False": False, "FALSE": False,
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
}
_NUMBER_START = frozenset("0123456789+-.")
_DECIMAL = re.compile(r"[-+]?[0-9]+")
_OCTAL = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
# Python refuses to convert longer decimal strings (CVE-2020-10735 limit).
_MAX_INT_DIGITS = 4300

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")

# libyaml's token names, as a person would say them.
_TOKEN_WORDS = {
    "<document start>": "'---'",
    "<document end>": "'...'",
    "<block end>": "the end of the indented block",
    "<block mapping start>": "a new key at a different indentation",
    "<block sequence start>": "a '- ' list at a different indentation",
    "<stream end>": "the end of the file",
}
# Substring of libyaml's problem -> what usually causes it.
_HINTS = (
    ("mapping values are not allowed",
     "a value that contains ': ' must be quoted, or the line is indented wrongly"),
    ("tab character", "indent with spaces, never tabs"),
    ("did not find expected key",
     "check this line's indentation against the lines above it"),
    ("could not find expected ':'",
     "a key needs ': ' after it; text running over several lines must be quoted or use '|'"),
    ("found unexpected end of stream", "a quote or bracket is never closed"),
    ("unknown escape character",
     "inside double quotes a backslash starts an escape; use single quotes or write '\\\\'"),
    ("did not find expected ',' or ']'", "a [ list ] is not closed or lacks a comma"),
    ("did not find expected ',' or '}'", "a { mapping } is not closed or lacks a comma"),
    ("did not find expected '-' indicator",
     "items of a list must all start with '- ' at the same indentation"),
    ("did not find expected node content", "a value is missing or misplaced"),
    ("undefined tag handle", "tags (!name) are not allowed; quote a value that starts with '!'"),
)
_AWKWARD_STARTS = {
    "\t": "indent with spaces, never tabs",
    "@": "quote a value that starts with '@'",
    "`": "quote a value that starts with '`'",
    "%": "quote a value that starts with '%'",
}


def field_name(path: Path) -> str:
    """Write a path the way a person reads it: ("events", 2, "quote") -> "events[2].quote".

    The empty path (the whole document) is "(file)". Keys that are not simple
    words (empty, or holding dots, spaces, brackets) are quoted: `a["x.y"]`.
    """
    if not path:
        return "(file)"
    parts: list[str] = []
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _IDENTIFIER.fullmatch(step):
            parts.append(f".{step}" if parts else step)
        else:
            parts.append(f"[{_quote(step)}]")
    return "".join(parts)


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of `path`, or of its nearest recorded ancestor; None if neither is known.

    Validation errors often point at a value that is missing or a step that
    is not in the file (pydantic's union tags, for instance), so we fall back
    to the closest enclosing key or item that is.
    """
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def load_yaml(
    data: bytes | str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> tuple[object, dict[Path, int]]:
    """Parse one YAML document strictly; return (plain python data, line of every path).

    The data holds only dict, list, str, int, float, bool and None. `lines` maps
    each path to the 1-based line where that mapping key or sequence item
    starts (for an item whose value begins on the line after its '-', the
    value's line); the empty path maps to 1. Any rule broken (syntax, encoding, size,
    anchors, tags, duplicate or non-text keys, nesting, more than one document)
    raises `WarlensError`; no other exception leaves this function.
    """
    raw = _to_utf8(data, max_bytes)
    parser = yaml.CSafeLoader(raw)
    try:
        return _read_document(parser, max_depth)
    except yaml.MarkedYAMLError as exc:
        if exc.problem == _LIBYAML_TOO_DEEP:  # before the first value: the root is too deep
            raise _too_deep(exc, (), max_depth) from None
        raise _syntax_error(exc, raw) from None
    except ReaderError as exc:
        line = raw.count(b"\n", 0, exc.position) + 1
        raise WarlensError(
            f"character U+{exc.character:04X} at byte {exc.position} is not allowed "
            f"in YAML ({exc.reason})", line=line, field=_FILE) from None
    except yaml.YAMLError as exc:  # pragma: no cover - libyaml raises only the two above
        raise WarlensError(f"YAML error: {exc}", field=_FILE) from None
    except (RecursionError, MemoryError):  # pragma: no cover - the walk is iterative
        raise WarlensError("the file is nested too deeply or too large to read",
                           field=_FILE) from None
    finally:
        parser.dispose()


def _to_utf8(data: bytes | str, max_bytes: int) -> bytes:
    """The document as UTF-8 bytes without a BOM, after the size and encoding checks."""
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise WarlensError(
                f"the text holds an unpaired surrogate (U+{ord(data[exc.start]):04X}) at "
                f"character {exc.start}, which is not valid Unicode",
                line=data.count("\n", 0, exc.start) + 1, field=_FILE) from None
    else:
        raw = bytes(data)
    if len(raw) > max_bytes:
        raise WarlensError(
            f"the file is {len(raw):,} bytes, over the limit of {max_bytes:,} bytes",
            field=_FILE)
    if isinstance(data, str):
        return raw.removeprefix(_BOM)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = ""
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            hint = "; it looks like UTF-16, save it as UTF-8"
        raise WarlensError(
            f"the file is not valid UTF-8: byte 0x{raw[exc.start]:02X} at byte offset "
            f"{exc.start} ({exc.reason}){hint}",
            line=raw.count(b"\n", 0, exc.start) + 1, field=_FILE) from None
    return raw.removeprefix(_BOM)


def _read_document(parser: yaml.CSafeLoader, max_depth: int) -> tuple[object, dict[Path, int]]:
    """Consume the whole event stream: exactly one document, built by `_build`."""
    get_event = parser.get_event
    get_event()  # StreamStartEvent
    start = get_event()
    if isinstance(start, yaml.StreamEndEvent):
        raise WarlensError("the file is empty", line=1, field=_FILE)
    if start.version is not None or start.tags:
        raise WarlensError(
            "directives (%YAML, %TAG) are not allowed; files are always read as YAML 1.2",
            line=start.start_mark.line + 1, field=_FILE)
    data, lines = _build(get_event, max_depth)
    get_event()  # DocumentEndEvent: libyaml guarantees it after a complete node
    following = get_event()
    if not isinstance(following, yaml.StreamEndEvent):
        raise WarlensError(
            "the file holds a second YAML document ('---'); only one is allowed",
            line=following.start_mark.line + 1, field=_FILE)
    return data, lines


# One loop on purpose, though ruff's C901 counts it as complex: it runs once per YAML
# event of every file, and one more function call per event was measured at about half
# of load_yaml's own time on a synthetic article (288 events).
def _build(
    get_event: Callable[[], yaml.Event], max_depth: int
) -> tuple[object, dict[Path, int]]:
    """Build the document's value from its events in one pass, recording lines.

    Iterative on purpose: an explicit stack of open collections, so depth is
    bounded by `max_depth`, not by the C or Python call stack.
    Each frame is [container, path, pending_key, pending_key_path]; the
    pending key is _MISSING while a mapping awaits its next key; sequences
    leave both pending slots unused.
    """
    scalar_event = yaml.ScalarEvent
    sequence_start = yaml.SequenceStartEvent
    mapping_start = yaml.MappingStartEvent
    alias_event = yaml.AliasEvent
    resolve = _resolve_plain
    missing = _MISSING

    lines: dict[Path, int] = {(): 1}
    stack: list[list] = []
    while True:
        try:
            event = get_event()
        except yaml.MarkedYAMLError as exc:
            # libyaml refuses 1,000 levels itself, while scanning ahead of the events:
            # the nesting starts at the next value this walk would have read.
            if exc.problem != _LIBYAML_TOO_DEEP:
                raise
            raise _too_deep(exc, _path_of_next(stack), max_depth) from None
        kind = type(event)
        if kind is scalar_event or kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or event.tag is not None:
                raise _property_error(event, _path_of_next(stack))
            line = event.start_mark.line + 1
            if kind is scalar_event:
                # implicit[0] means plain (unquoted, untagged): only those get typed.
                value = resolve(event.value, line, stack) if event.implicit[0] else event.value
                is_scalar = True
            else:
                value = {} if kind is mapping_start else []
                is_scalar = False

            if not stack:
                path: Path = ()
                if is_scalar:
                    return value, lines
            else:
                frame = stack[-1]
                container = frame[0]
                if type(container) is list:
                    path = frame[1] + (len(container),)
                    lines[path] = line
                    container.append(value)
                elif frame[2] is missing:
                    _check_key(event, value, frame, line, lines)
                    path = frame[1] + (value,)
                    lines[path] = line
                    frame[2] = value
                    frame[3] = path
                    continue
                else:
                    path = frame[3]
                    container[frame[2]] = value
                    frame[2] = missing
                if is_scalar:
                    continue

            stack.append([value, path, missing, None])
            if len(stack) > max_depth:
                raise WarlensError(
                    f"the data is nested more than {max_depth} levels deep",
                    line=line, field=field_name(path))
        elif kind is alias_event:
            raise WarlensError(
                f"{_ALIAS_MESSAGE}: found alias *{event.anchor}",
                line=event.start_mark.line + 1, field=field_name(_path_of_next(stack)))
        else:  # SequenceEndEvent or MappingEndEvent: libyaml only emits balanced ones
            value = stack.pop()[0]
            if not stack:
                return value, lines


class _Missing:
    """Stands for "nothing here": a mapping's next key not yet read, a failed lookup."""

    __slots__ = ()


_MISSING = _Missing()


def _resolve_plain(text: str, line: int, stack: list[list]) -> object:
    """Type an unquoted scalar by the YAML 1.2 core schema; anything else stays text.

    So `NO`, `off`, `yes`, `1:20`, `2023-05-20` and `2024-02-30` are strings,
    `010` is the integer 10, `0x1F` and `0o17` are integers, `1e3` is 1000.0.
    """
    constant = _CONSTANTS.get(text, _MISSING)
    if constant is not _MISSING:
        return constant
    if not text or text[0] not in _NUMBER_START:
        return text
    if _DECIMAL.fullmatch(text):
        if len(text) > _MAX_INT_DIGITS:
            raise WarlensError(
                f"the number has {len(text):,} digits, too many to read; quote it to keep "
                "it as text", line=line, field=field_name(_path_of_next(stack)))
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _OCTAL.fullmatch(text):
        return int(text[2:], 8)
    return text


def _check_key(
    event: yaml.Event, key: object, frame: list, line: int, lines: dict[Path, int]
) -> None:
    """Refuse mapping keys that are not text, and keys already used in this mapping."""
    parent = frame[1]
    if type(event) is not yaml.ScalarEvent:
        shape = "mapping" if isinstance(event, yaml.MappingStartEvent) else "list"
        raise WarlensError(f"a mapping key must be text, not a {shape}",
                           line=line, field=field_name(parent))
    if not isinstance(key, str):
        if event.value == "":
            message = "a mapping key is empty"
        else:
            message = (f"the key {event.value} is read as {_kind(key)}, but keys must be "
                       f'text; quote it ("{event.value}") if text is meant')
        raise WarlensError(message, line=line, field=field_name(parent))
    if key in frame[0]:
        path = (*parent, key)
        raise WarlensError(f"duplicate key {_quote(key)}: it is already used on line "
                           f"{lines[path]} of this mapping", line=line, field=field_name(path))


def _kind(value: object) -> str:
    """How a person would name the type a plain scalar was read as."""
    if value is None:
        return "null (nothing)"
    if isinstance(value, bool):
        return "a true/false value"
    return "a number"


def _quote(text: str) -> str:
    """Show text in double quotes, escaped so invisible characters stay visible."""
    return '"' + text.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


def _path_of_next(stack: list[list]) -> Path:
    """The path the next node would take: where an anchor, alias or tag was found."""
    if not stack:
        return ()
    container, path, key = stack[-1][0], stack[-1][1], stack[-1][2]
    if type(container) is list:
        return (*path, len(container))
    if key is _MISSING:
        return path
    return (*path, key)


def _property_error(event: yaml.NodeEvent, path: Path) -> WarlensError:
    """The error for an anchor (&name) or explicit tag (!tag) on a node."""
    line = event.start_mark.line + 1
    if event.anchor is not None:
        return WarlensError(f"{_ALIAS_MESSAGE}: found anchor &{event.anchor}",
                            line=line, field=field_name(path))
    tag = event.tag
    if tag.startswith(_YAML_TAG_PREFIX):
        tag = "!!" + tag.removeprefix(_YAML_TAG_PREFIX)
    return WarlensError(
        f"explicit tags (!name, !!type) are not allowed: found {tag}; write the plain "
        "value, in quotes if it should be text", line=line, field=field_name(path))


def _too_deep(exc: yaml.MarkedYAMLError, path: Path, max_depth: int) -> WarlensError:
    """libyaml's own nesting limit, reported as ours, at the value where the nesting starts."""
    mark = exc.problem_mark
    return WarlensError(f"the data is nested more than {max_depth} levels deep",
                        line=mark.line + 1 if mark is not None else None,
                        field=field_name(path))


def _syntax_error(exc: yaml.MarkedYAMLError, raw: bytes) -> WarlensError:
    """libyaml's complaint, in words, at the line where it noticed the problem."""
    mark = exc.problem_mark
    line = mark.line + 1 if mark is not None else None
    problem = exc.problem or "the YAML cannot be read"
    for token, words in _TOKEN_WORDS.items():
        problem = problem.replace(token, words)
    message = f"YAML syntax error: {problem}"
    if exc.context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
        message += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    hint = next((hint for needle, hint in _HINTS if needle in problem), None)
    if hint is None and mark is not None and "cannot start any token" in problem:
        hint = _AWKWARD_STARTS.get(_character_at(raw, mark.line, mark.column))
    if hint:
        message += f"; {hint}"
    return WarlensError(message, line=line, field=_FILE)


def _character_at(raw: bytes, line: int, column: int) -> str:
    """The character at a 0-based line and column of the document, or ''."""
    rows = raw.decode("utf-8").split("\n")
    if line < len(rows) and column < len(rows[line]):
        return rows[line][column]
    return ""


class _PlainDumper(yaml.CSafeDumper):
    """Writes what load_yaml reads back: no anchors, no tags, block style, Unicode kept."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Long or multi-line text (an article's text) as a literal block, as a person would write it.
    # (PyYAML falls back to a quoted scalar where a block cannot hold the text exactly.)
    # PyYAML decides quoting by YAML 1.1, which leaves `1e3`, `-.5` and `0o17` plain;
    # load_yaml (YAML 1.2) would read those back as numbers, so they are quoted.
    style = "|" if "\n" in value else (None if _reads_as_text(value) else "'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _reads_as_text(value: str) -> bool:
    """True when load_yaml reads `value`, written unquoted, back as this text."""
    try:
        return isinstance(_resolve_plain(value, 1, []), str)
    except WarlensError:
        return False


_PlainDumper.add_representer(str, _str_presenter)


def dump_yaml(doc: object) -> str:
    """Plain data as YAML text that load_yaml reads back to the same data."""
    return yaml.dump(doc, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)
