"""Text from a link or a data file reaches Streamlit's markdown only through `md_escape`.

Two halves: what `md_escape` leaves of each kind of live markdown (links, autolinks,
images, directives, icons, formulas), and a reading of every page's source that finds
each Streamlit call rendering markdown and checks that whatever it is given that the
code did not write itself goes through `md_escape` (or a number format). st.text,
st.code and st.dataframe render nothing and are not checked. The real browser's view of
the same payloads is in tests/e2e/test_injection.py.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from warlens.ui.safe import WORD_JOINER, md_escape

REPO_ROOT = Path(__file__).resolve().parents[1]
LINK_VALUES = REPO_ROOT / "tests" / "fixtures" / "hostile" / "link-values.json"
UI_SOURCES = sorted([*(REPO_ROOT / "src" / "warlens" / "ui").glob("*.py"),
                     *(REPO_ROOT / "pages").glob("*.py"), REPO_ROOT / "app.py"])

#: Payloads a crafted link or data file can carry, and what each must not leave behind
#: (checked on the escaped text with its backslashes removed, as the browser reads it).
LIVE = {
    "[Sign in again](https://evil.example)": r"https?://",
    "![x](http://outside.example/img.png)": r"https?://",
    "bare https://evil.example/path here": r"https?://",
    "HTTP://EVIL.EXAMPLE": r"(?i)https?://",
    "www.evil.example": r"(?i)www\.",
    "WWW.EVIL.EXAMPLE": r"(?i)www\.",
    "write to me@evil.example": r"@\w",
    "mailto:me@evil.example": r"@\w",
    ":material/home:": r":material/",
    ":MATERIAL/home:": r"(?i):material/",
}


def _as_read(escaped: str) -> str:
    """The escaped text as markdown reads it: escapes resolved."""
    return re.sub(r"\\(.)", r"\1", escaped)


@pytest.mark.parametrize(("payload", "live"), LIVE.items(), ids=list(LIVE))
def test_md_escape_breaks_every_link_autolink_and_icon(payload: str, live: str) -> None:
    escaped = md_escape(payload)
    assert not re.search(live, _as_read(escaped)), escaped
    # Nothing shown changes but an invisible joiner.
    assert _as_read(escaped).replace(WORD_JOINER, "") == payload


@pytest.mark.parametrize("payload", [":red[red]", "$x^2$", "**b**", "<b>b</b>", "# h",
                                     "[a](b)", "`c`", "~~s~~", "a | b"])
def test_md_escape_escapes_every_markup_character(payload: str) -> None:
    escaped = md_escape(payload)
    assert re.fullmatch(r"(?:\\[^\w\s]|[\w /])*", escaped), escaped
    assert _as_read(escaped) == payload


def test_md_escape_drops_right_to_left_overrides_and_keeps_lines() -> None:
    assert md_escape("a\u202eb\nc") == "ab  \nc"


# --- every markdown-rendering call on the pages -------------------------------------------

#: Streamlit calls whose text (first argument, label, body, help) is read as markdown.
MARKDOWN_CALLS = {
    "markdown", "caption", "warning", "info", "success", "error", "toast", "title",
    "header", "subheader", "write", "page_link", "link_button", "button", "download_button",
    "expander", "metric", "popover", "checkbox", "toggle", "radio", "text_input",
    "text_area", "date_input", "selectbox", "multiselect", "segmented_control",
    "file_uploader", "number_input", "slider", "tabs",
}
TEXT_KEYWORDS = ("label", "body", "help")
#: Functions whose result is safe to render: the escaper, the reader's marking built on it
#: (ui/reader.py: every segment goes through md_escape), and counts.
SAFE_FUNCTIONS = {"md_escape", "to_markdown", "coloured", "plural", "len"}


def _call_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _literal_names(tree: ast.Module) -> set[str]:
    """Names only ever bound to text the code wrote: `x = "..."` (every time), and the
    targets of a loop over a module constant (`for path, label, icon in PAGES`)."""
    literal: set[str] = set()
    other: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            (literal if isinstance(node.value, ast.Constant) else other).update(names)
        elif isinstance(node, ast.For) and isinstance(node.iter, ast.Name):
            bound = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
            (literal if node.iter.id.isupper() else other).update(bound)
        elif isinstance(node, ast.arg | ast.AugAssign | ast.AnnAssign | ast.NamedExpr):
            name = node.arg if isinstance(node, ast.arg) else getattr(node.target, "id", "")
            other.add(name)
    return literal - other


def _safe(node: ast.expr, literal: frozenset[str] = frozenset()) -> bool:
    """Whether this expression can only be text the code wrote, escaped text or numbers."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(_safe(v, literal) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        # A number format ({n:,} {x:.2f} {n:d}) prints digits only.
        spec = node.format_spec
        if (isinstance(spec, ast.JoinedStr) and spec.values
                and all(isinstance(v, ast.Constant) for v in spec.values)
                and re.fullmatch(r"[,_]?(?:\.\d+)?[dfge%]?", "".join(
                    str(v.value) for v in spec.values))):
            return True
        return _safe(node.value, literal)
    if isinstance(node, ast.Call):
        if (isinstance(node.func, ast.Attribute) and node.func.attr == "join"
                and isinstance(node.func.value, ast.Constant) and len(node.args) == 1):
            parts = node.args[0]  # " · ".join(md_escape(m) for m in meta)
            if isinstance(parts, ast.GeneratorExp | ast.ListComp):
                return _safe(parts.elt, literal)
            return isinstance(parts, ast.List | ast.Tuple) and all(
                _safe(e, literal) for e in parts.elts)
        return _call_name(node.func) in SAFE_FUNCTIONS
    if isinstance(node, ast.Compare):  # True or False ("s" * (n != 1))
        return True
    if isinstance(node, ast.BinOp):
        return _safe(node.left, literal) and _safe(node.right, literal)
    if isinstance(node, ast.IfExp):
        return _safe(node.body, literal) and _safe(node.orelse, literal)
    if isinstance(node, ast.Name):
        return node.id.isupper() or node.id in literal  # a constant, or bound to one
    if isinstance(node, ast.Attribute) and node.attr.isupper():
        return True  # a module's constant (figures.MAP_KEY): text the code wrote
    if isinstance(node, ast.Subscript | ast.Attribute):
        # A constant table or attribute of one (GROUPS[key], STANCES, Col.X)
        base = node.value
        while isinstance(base, ast.Subscript | ast.Attribute):
            base = base.value
        return isinstance(base, ast.Name) and base.id.isupper()
    return False


def unescaped_calls(source: str) -> list[tuple[int, str, str]]:
    """(line, call, argument) for every markdown call given text that is not known safe."""
    found = []
    tree = ast.parse(source)
    literal = frozenset(_literal_names(tree))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in MARKDOWN_CALLS and (node.args or node.keywords)):
            continue
        texts = node.args[:1] + [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        if node.func.attr == "page_link":
            texts = [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        found.extend((node.lineno, node.func.attr, ast.unparse(t)) for t in texts
                     if not _safe(t, literal))
    return found


def test_the_checker_finds_unescaped_text_and_accepts_escaped_text() -> None:
    assert unescaped_calls("st.warning(notice)") == [(1, "warning", "notice")]
    assert unescaped_calls("c.caption(f'claimed {row[x]}')")
    assert unescaped_calls("st.page_link(P, label=title)")
    assert not unescaped_calls("st.warning(md_escape(notice), icon=':material/x:')")
    assert not unescaped_calls("st.caption(f'{n:,} rows of {common.md_escape(t)}')")
    assert not unescaped_calls("st.text(anything)")
    assert not unescaped_calls("st.caption(figures.MAP_KEY + ' Select places.')")
    assert unescaped_calls("st.caption(figures.map_key + ' Select places.')")
    assert not unescaped_calls("many = 'Type'\nst.multiselect('A', [], help=many)")
    assert unescaped_calls("many = 'Type'\nmany = row.x\nst.caption(many)")
    assert not unescaped_calls("for path, label in PAGES:\n    st.page_link(path, label=label)")
    assert unescaped_calls("for path, label in rows:\n    st.page_link(path, label=label)")


@pytest.mark.parametrize("path", UI_SOURCES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_markdown_call_on_the_pages_gets_escaped_or_literal_text(path: Path) -> None:
    assert unescaped_calls(path.read_text(encoding="utf-8")) == []


# --- the notices about a link's values -----------------------------------------------------


def test_a_crafted_link_value_is_quoted_in_the_notice_escaped(monkeypatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("WARLENS_DATA", str(REPO_ROOT / "data" / "articles"))
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    values = {k: v for k, v in json.loads(LINK_VALUES.read_text("utf-8")).items()
              if not k.startswith("_")}
    at.query_params.update(values)
    at.run()
    notices = [w.value for w in at.warning]
    shown = " ".join(_as_read(n).replace(WORD_JOINER, "") for n in notices)
    for name, value in values.items():
        assert f"{name}={value!r}" in shown, notices
    for notice in notices:
        assert "[Sign in again](" not in notice and not re.search(r"(?<!\\)[$\[\]]", notice)
        assert not re.search(r"https?://|@\w|:material/", _as_read(notice)), notice
