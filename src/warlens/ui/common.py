"""Pieces several pages draw: safe text, an event's detail panel, the export buttons."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, BinaryIO, TypeVar
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from warlens import export
from warlens.model import EVENT_TYPE_LABELS, Col
from warlens.query import Filters
from warlens.ui.routes import DOWNLOADS, EXPORT_ROUTE
from warlens.ui.safe import md_escape as md_escape  # re-exported: the one path
from warlens.ui.shell import REWRITE_URL, View

if TYPE_CHECKING:
    from warlens.source import Source

ARTICLE_PAGE = "pages/4_Article.py"
CLAIMS_PAGE = "pages/2_Claims.py"
TIMELINE_PAGE = "pages/1_Timeline.py"
MAP_PAGE = "pages/3_Map.py"
PROBLEMS_PAGE = "pages/5_Problems.py"

T = TypeVar("T")


def built_once(view: View, name: str, options: Hashable, build: Callable[[], T]) -> T:
    """`build()` for this view's filters and `options`, built once for every session.

    `options` must hold everything else the result depends on (a widget's value, a limit,
    a selection the result shows). What is returned is shared: read it, never change it.
    """
    # The source's own memo: it lives as long as the corpus or the engine it answers from.
    return view.source.memo.get(("built", name, view.filters.without_selection(), options),
                                build)


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """'1 error', '3 errors'; '1 story', '3 stories' when the plural is given."""
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"


def go(view: View, filters: Filters) -> None:
    """Switch this page to the view of `filters`, shown as `view` is: write it to the URL
    and rerun, so the URL wins."""
    st.query_params.from_dict(view.link(filters))
    st.session_state[REWRITE_URL] = True
    st.rerun()


def event_row(view: View, event_key: str | None) -> pd.Series | None:
    """The event with this key, if it is in the corpus."""
    return view.source.item("events", event_key) if event_key else None


def link_to_sentence(view: View, label: str = "Read it in the article", **selection: str) -> None:
    """A link to the article page with this item's sentence highlighted."""
    filters = replace(view.filters, **{"event": None, "claim": None, **selection})
    st.page_link(ARTICLE_PAGE, label=md_escape(label), icon=":material/format_quote:",
                 query_params=view.link(filters))


def draw_event_detail(view: View, event: pd.Series) -> None:
    """One event: what, when, where, who, its sentence, and the claims about it."""
    with st.container(border=True):
        st.markdown(f"#### {md_escape(event[Col.SUMMARY])}")
        badges = [EVENT_TYPE_LABELS.get(event[Col.TYPE], event[Col.TYPE])]
        if event[Col.CONTESTED]:
            badges.append("contested")
        if event[Col.DRAFT]:
            badges.append("draft")
        st.caption(md_escape(" · ".join(badges)))  # the type is the data's own word
        c1, c2 = st.columns(2)
        c1.markdown(f"**When:** {md_escape(event[Col.DATE_LABEL])}")
        place = event[Col.PLACE_NAME] or "no place given"
        precision = event[Col.PRECISION] or ""
        where = f"{place} ({precision})" if precision else place
        c2.markdown(f"**Where:** {md_escape(where)}")
        if event[Col.ACTORS]:
            st.markdown(f"**Actors:** {md_escape(event[Col.ACTORS])}")
        st.markdown(f"> {md_escape(event[Col.QUOTE])}")
        link_to_sentence(view, event=event[Col.KEY])
        about = view.source.claims_about(event[Col.KEY], [Col.CLAIMANT, Col.STANCE, Col.CLAIM,
                                                          Col.DATE_LABEL, Col.CONTESTED])
        if len(about):
            st.markdown(f"**Claims about it ({len(about)})**")
            st.dataframe(
                about,
                hide_index=True, width="stretch",
                column_config={Col.DATE_LABEL: "claimed", Col.CONTESTED: "contested"},
            )
            st.page_link(CLAIMS_PAGE, label="See these claims side by side",
                         icon=":material/compare_arrows:",
                         query_params=view.link(replace(view.filters, event=event[Col.KEY],
                                                                claim=None)))




def export_pieces(source: Source, filters: Filters, file_name: str) -> Iterator[bytes]:
    """The bytes of one of DOWNLOADS for this view, a piece at a time: the rows come from
    the source a chunk at a time, so no export is ever whole in memory.

    Every row carries its article's outlet, licence and attribution, and names its file
    relative to the data folder.
    """
    table = next(t for _label, name, _mime, t in DOWNLOADS if name == file_name)
    timed, chunks = source.export_chunks(filters, table)
    if file_name.endswith(".geojson"):
        return export.geojson_chunks(chunks, export.EXPORT_EVENT_COLUMNS, source.sources)
    columns = export.EXPORT_EVENT_COLUMNS if table == "events" else export.EXPORT_CLAIM_COLUMNS
    return export.csv_chunks(chunks, columns, source.sources, timed)


def export_link(filters: Filters, file_name: str) -> str:
    """The address of a view's export, relative to the page (so it works under any base
    path the app is served at)."""
    query_string = urlencode(filters.without_selection().to_params(), doseq=True)
    return f"{EXPORT_ROUTE}/{file_name}" + (f"?{query_string}" if query_string else "")


def draw_downloads(view: View, *, events: bool = True, claims: bool = True) -> None:
    """Export buttons for the current view; the files are made only when asked for.

    The data folder's views are streamed by the server from their own address
    (`export_link`): a download of millions of rows goes out as it is read, and nothing
    holds it whole. A file a visitor opened lives in that visitor's session, which the
    server's route cannot see: it is exported through Streamlit (it is small: uploads are
    limited in size).
    """
    wanted = {"events": events, "claims": claims}

    def payload(file_name: str) -> Callable[[], BinaryIO]:
        return lambda: export.spooled(export_pieces(view.source, view.filters, file_name))

    cols = iter(st.columns(3))
    for button_text, name, mime, table in DOWNLOADS:
        if not wanted[table]:
            continue
        if view.shared:
            next(cols).link_button(button_text, export_link(view.filters, name),
                                   icon=":material/download:")
        else:
            next(cols).download_button(button_text, data=payload(name), file_name=name,
                                       mime=mime,
                                       key=f"dl_{name.split('-')[1].replace('.', '_')}",
                                       icon=":material/download:", on_click="ignore")
