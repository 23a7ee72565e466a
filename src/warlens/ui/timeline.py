"""The timeline page: events as honest date ranges, claims and publication dates beside them."""

from __future__ import annotations

from dataclasses import replace

import plotly.graph_objects as go
import streamlit as st

from warlens import figures, query
from warlens.model import Col
from warlens.ui import common
from warlens.ui.plot import chart
from warlens.ui.shell import View, display_control, share_box

#: How a link without `group=` groups the timeline's rows.
DEFAULT_GROUP = query.DISPLAYS["group"].default


def selected_key(points: list[dict]) -> str | None:
    """The item key (customdata[0]) of the first point selected in a chart."""
    for point in points:
        data = point.get("customdata")
        if data:
            return str(data[0] if isinstance(data, list | tuple) else data)
    return None


def timeline_figure(view: View, n_dated: int, group: str = DEFAULT_GROUP) -> go.Figure:
    """The timeline of a view with `n_dated` dated events (one at least), built once per
    view for every session (and for the first view's sketch): its events in rows by
    `group`, or counted per week when there are more than the limit's bars."""
    source, filters = view.source, view.filters
    counts_only = n_dated > view.limits.timeline_bars

    def build() -> go.Figure:
        if counts_only:  # counts of events and of publications, never their rows
            return figures.make_timeline_counts(source.timeline_counted(filters),
                                                source.publication_dates(filters))
        articles = source.publications(filters, figures.TIMELINE_ARTICLE_COLUMNS)
        # Namesakes by their labels, so two Ivanivkas are two rows.
        events, claims = source.timeline_rows(filters)
        return figures.make_timeline(events, claims, articles, group_by=group,
                                     max_bars=view.limits.timeline_bars)

    return common.built_once(view, "timeline", (counts_only, group, view.limits.timeline_bars),
                             build)


def draw(view: View) -> None:
    """Timeline, undated events, and the detail of the selected event."""
    st.title("Timeline")
    key_note = st.empty()  # filled once the figure says whether it opens on part of the span
    # How many events are dated, first: above the bar limit the chart counts them and needs
    # nothing else (a large view holds 200,000 events).
    source, filters = view.source, view.filters
    n_dated = source.timeline_dated(filters)
    counts_only = n_dated > view.limits.timeline_bars
    group = display_control(
        view, "group", disabled=counts_only,
        help=f"Rows by place, article, type or story (one real-world event as every outlet "
             f"reported it), up to {view.limits.timeline_bars:,} dated events; "
             "above that the timeline counts them per week.")
    if not n_dated:
        st.info("No dated event in this view. Widen the filters in the sidebar.")
    else:
        fig = timeline_figure(view, n_dated, group)
        chosen = chart(fig, key="timeline_chart")
        if not counts_only:
            focused = bool(fig.layout.xaxis.rangeslider.visible)
            key_note.caption(figures.TIMELINE_KEY
                             + (" " + figures.TIMELINE_FOCUS_NOTE if focused else ""))
        key = selected_key(chosen)
        if key and key not in (view.filters.event, view.filters.claim):
            is_claim = key in view.vocab.claims
            common.go(view, replace(view.filters, event=None if is_claim else key,
                              claim=key if is_claim else None))

    rows = view.limits.table_rows
    undated = source.undated(filters, [Col.SUMMARY, Col.PLACE_NAME, Col.DATE_TEXT, Col.ARTICLE],
                             rows)
    if undated.total:
        st.subheader(f"Undated ({undated.total:,})")
        st.caption("Events the text gives no date for. They are listed here, not guessed "
                   "onto the timeline."
                   + (f" The first {rows:,} are shown; the CSV export has them all."
                      if undated.capped else ""))
        st.dataframe(undated.frame, hide_index=True, width="stretch",
                     column_config={Col.PLACE_NAME: "place", Col.DATE_TEXT: "as written"})

    event_key = view.filters.event
    if view.filters.claim:
        claim = source.item("claims", view.filters.claim)
        if claim is not None:
            event_key = claim[Col.EVENT] or None
            st.markdown(f"**Selected claim:** {common.md_escape(claim[Col.CLAIMANT])} "
                        f"{common.md_escape(claim[Col.STANCE])}: "
                        f"{common.md_escape(claim[Col.CLAIM])}")
            common.link_to_sentence(view, claim=view.filters.claim)
    event = common.event_row(view, event_key)
    if event is not None:
        common.draw_event_detail(view, event)
    elif not view.filters.claim:
        st.caption("Select a bar or a claim marker to see its sentence and its claims.")
    common.draw_downloads(view)
    share_box(view)
