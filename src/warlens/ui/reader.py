"""The article reader: the text with every annotated span marked, and the annotations beside it."""

from __future__ import annotations

import re
from dataclasses import replace

import streamlit as st

from warlens.model import EVENT_TYPE_LABELS, Col
from warlens.query import Filters
from warlens.ui import common
from warlens.ui.shell import View, share_box

#: Marking by kind; the selected item's sentence outranks everything else.
STYLES = {"focus": "red-background", "claim": "blue-background", "event": "orange-background",
          "place": "green"}
RANK = ("focus", "claim", "event", "place")
#: Longest run of text inside one colour directive (see `coloured`).
COLOUR_CHUNK = 2_000
#: The most articles the picker lists.
PICK_LIMIT = 5_000


def place_spans(text: str, names: list[str]) -> list[tuple[int, int]]:
    """Where the article's place names (and aliases) occur in its text, as whole words."""
    spans = []
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            spans.append((m.start(), m.end()))
    return spans


def marked_segments(text: str, marks: dict[str, list[tuple[int, int]]]
                    ) -> list[tuple[str, str | None]]:
    """Split text into (segment, kind) runs; where marks overlap the highest-ranked kind wins."""
    kind_at: list[str | None] = [None] * len(text)
    for kind in reversed(RANK):
        for start, end in marks.get(kind, []):
            for i in range(max(0, start), min(len(text), end)):
                kind_at[i] = kind
    segments: list[tuple[str, str | None]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if (i == len(text) or kind_at[i] != kind_at[start] or text[i] == "\n"
                or text[i - 1] == "\n"):
            segments.append((text[start:i], kind_at[start]))
            start = i
    return segments


def to_markdown(segments: list[tuple[str, str | None]]) -> str:
    """Escaped markdown with the marked runs coloured; data text can never become markup."""
    out = []
    for segment, kind in segments:
        if segment == "\n":
            out.append("\n\n")
            continue
        if kind and segment.strip():
            out.append(coloured(STYLES[kind], segment))
        else:
            out.append(common.md_escape(segment))
    return "".join(out)


def coloured(style: str, text: str, chunk: int = COLOUR_CHUNK) -> str:
    """`:style[text]`, escaped, in runs of at most `chunk` characters.

    The browser's markdown directive parser takes time quadratic in a run's length: one
    100 KB run froze the tab for ~45 s; in 2,000-character runs it draws in ~3 s.
    """
    return "".join(f":{style}[{common.md_escape(text[i:i + chunk])}]"
                   for i in range(0, len(text), chunk))


def _pick_article(view: View) -> str | None:
    source = view.source
    for table, key in (("claims", view.filters.claim), ("events", view.filters.event)):
        if key:
            hit = source.item(table, key)
            if hit is not None:
                return str(hit[Col.ARTICLE])
    titles = ({} if view.filters.articles
              else source.article_choices(view.filters, PICK_LIMIT))
    candidates = list(view.filters.articles) or list(titles)
    if not candidates:
        titles = source.article_choices(Filters(), PICK_LIMIT)
        candidates = list(titles)
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    if not titles:
        titles = source.article_titles(candidates[:PICK_LIMIT])
    return st.selectbox("Article", candidates[:PICK_LIMIT],
                        format_func=lambda a: titles.get(a, a), key="reader_article")


def _text(value: object) -> str:
    """A table cell as text; missing values (None, NaN) are empty."""
    return value if isinstance(value, str) else ""


def draw(view: View) -> None:
    """The chosen article, its marked text, and its annotations."""
    st.title("Article")
    article_id = _pick_article(view)
    if article_id is None:
        st.info("No article in this view.")
        return
    found = view.source.article(article_id)
    if found["articles"].empty:
        st.info("No such article.")
        return
    article = found["articles"].iloc[0]
    events, claims, places = found["events"], found["claims"], found["places"]

    st.markdown(f"### {common.md_escape(article[Col.TITLE])}")
    meta = [str(article[Col.OUTLET]), f"published {article[Col.PUBLISHED_LABEL]}"]
    author, url, notes = (_text(article[c]) for c in (Col.AUTHOR, Col.URL, Col.NOTES))
    if author:
        meta.append(author)
    st.caption(" · ".join(common.md_escape(m) for m in meta))
    credit = " · ".join(_text(article[c]) for c in (Col.ATTRIBUTION, Col.LICENSE)
                        if _text(article[c]))
    if credit:
        st.caption(common.md_escape(f"Text: {credit}"))
    if url:  # validated as http(s) when the article was loaded
        st.link_button("Original article", url, icon=":material/open_in_new:")
    if notes:
        with st.expander("Annotator's notes"):
            st.text(notes)

    focus: list[tuple[int, int]] = []
    for table, key in ((claims, view.filters.claim), (events, view.filters.event)):
        hit = table[table[Col.KEY] == key] if key else table.iloc[0:0]
        if len(hit):
            row = hit.iloc[0]
            focus.append((int(row[Col.SPAN_START]), int(row[Col.SPAN_END])))
            with st.container(border=True):
                st.caption("Selected sentence")
                st.markdown(coloured(STYLES["focus"], str(row[Col.QUOTE])))

    text = str(article[Col.TEXT])
    marks = {
        "focus": focus,
        "claim": list(zip(claims[Col.SPAN_START].astype(int), claims[Col.SPAN_END].astype(int),
                          strict=True)),
        "event": list(zip(events[Col.SPAN_START].astype(int), events[Col.SPAN_END].astype(int),
                          strict=True)),
        "place": place_spans(text, list(places[Col.PLACE_NAME])),
    }
    left, right = st.columns([3, 2])
    with left:
        st.caption(":orange-background[event]  :blue-background[claim]  :green[place]  "
                   ":red-background[selected]")
        st.markdown(to_markdown(marked_segments(text, marks)))
    with right:
        st.markdown(f"**Events ({len(events)})**")
        for row in events.itertuples(index=False):
            kind = str(getattr(row, Col.TYPE))
            _annotation_link(view, f"{EVENT_TYPE_LABELS.get(kind, kind)}, "
                                   f"{_text(getattr(row, Col.DATE_LABEL)) or 'undated'}",
                             getattr(row, Col.SUMMARY), event=getattr(row, Col.KEY))
        st.markdown(f"**Claims ({len(claims)})**")
        for row in claims.itertuples(index=False):
            _annotation_link(view, f"{getattr(row, Col.CLAIMANT)} {getattr(row, Col.STANCE)}",
                             getattr(row, Col.CLAIM), claim=getattr(row, Col.KEY))
        st.markdown(f"**Places ({len(places)})**")
        st.dataframe(places[[Col.PLACE_NAME, Col.PRECISION, Col.COUNTRY, Col.LAT, Col.LON,
                             Col.RESOLVED_BY]], hide_index=True, width="stretch",
                     column_config={Col.PLACE_NAME: "place", Col.RESOLVED_BY: "coordinates from"})
    share_box(view)


def _annotation_link(view: View, label: str, says: str, **selection: str) -> None:
    """A link selecting one event or claim (its sentence marked in the text), and what it
    says under it: a link's label never wraps, so a summary in it was cut off at the
    column's edge (on a phone, after some 40 characters)."""
    filters = replace(view.filters, **{"event": None, "claim": None, **selection})
    st.page_link(common.ARTICLE_PAGE, label=common.md_escape(label[:160]),
                 query_params=view.link(filters))
    st.caption(common.md_escape(_text(says)))
