"""The claims page: who claims what, and contested claims side by side."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from warlens.model import Col
from warlens.ui import common
from warlens.ui import stories as stories_ui
from warlens.ui.shell import View, share_box

#: Contested events drawn side by side; the table below lists every claim.
CONTESTED_LIMIT = 20
COLUMNS = {
    # Who speaks comes first, wide enough to read on a phone: its width is set per view
    # (`_claimant_width`). Not pinned: Streamlit greys a pinned column's text.
    Col.CLAIMANT: st.column_config.TextColumn("claimant"),
    Col.STANCE: st.column_config.TextColumn("stance", width="small"),
    Col.CLAIM: st.column_config.TextColumn("claim", width="large"),
    Col.EVENT_SUMMARY: st.column_config.TextColumn("event", width="medium"),
    Col.PLACE_NAME: st.column_config.TextColumn("place", width="small"),
    Col.DATE_LABEL: st.column_config.TextColumn("claimed", width="small"),
    Col.VERDICT: st.column_config.TextColumn("verdict", width="small"),
    Col.CONTESTED: st.column_config.CheckboxColumn("contested", width="small"),
    Col.ARTICLE: st.column_config.TextColumn("article", width="small"),
}
#: Pixels a claimant's name takes per character in the grid's 14 px font (measured: 6.0-6.5
#: for names in the bundled data), plus the cell's padding (8 px a side); the column is never
#: narrower or wider than the bounds: at 390 px (a phone) the widest leaves the stance and
#: the start of the claim on screen, and the reader scrolls sideways or selects the row.
CLAIMANT_CHAR_PX, CLAIMANT_PAD_PX, CLAIMANT_WIDTH_PX = 6.6, 18, (90, 160)


def draw(view: View) -> None:
    """Contested pairs first, then the full table; a selected row shows its sentence."""
    st.title("Claims")
    source, filters = view.source, view.filters
    claims = source.claims(filters, [*COLUMNS, Col.KEY], limit=view.limits.table_rows,
                           about=filters.event)
    if view.filters.event:
        event = common.event_row(view, view.filters.event)
        if event is not None:
            st.markdown(f"Claims about **{common.md_escape(event[Col.SUMMARY])}** "
                        f"({common.md_escape(event[Col.DATE_LABEL])})")
            st.page_link(common.CLAIMS_PAGE, label="Show all claims", icon=":material/close:",
                         query_params=view.link(view.filters.without_selection()))

    _draw_contested_stories(view)
    pairs, n_events = source.contested_pairs(filters, filters.event, CONTESTED_LIMIT)
    st.subheader(f"Contested ({n_events:,} event{'s' * (n_events != 1)})" if n_events
                 else "Contested")
    if pairs.empty:
        st.caption("No claim in view is asserted by one side and denied by another.")
    elif n_events > CONTESTED_LIMIT:
        st.caption(f"The first {CONTESTED_LIMIT} of {n_events:,} contested events; "
                   "filter to narrow them down.")
    # Only the events shown are turned into rows, in the order they first appear.
    groups: dict[str, list[dict]] = {str(e): [] for e in pairs[Col.EVENT].unique()}
    for pair in pairs.to_dict("records"):
        groups[str(pair[Col.EVENT])].append(pair)
    for group in groups.values():
        with st.container(border=True):
            st.markdown(f"**{common.md_escape(group[0][Col.EVENT_SUMMARY])}**")
            left, right = st.columns(2)
            _side(left, view, group, "asserts")
            _side(right, view, group, "denies")

    st.subheader(f"All claims ({claims.total:,})")
    shown = claims.frame
    if claims.capped:
        st.caption(f"Showing the first {view.limits.table_rows:,} of {claims.total:,}; "
                   "the CSV export below has them all.")
    table = shown[[*COLUMNS]].fillna({Col.EVENT_SUMMARY: "", Col.PLACE_NAME: ""})
    columns = {**COLUMNS, Col.CLAIMANT: {**COLUMNS[Col.CLAIMANT],
                                         "width": _claimant_width(table[Col.CLAIMANT])}}
    picked = st.dataframe(table, hide_index=True, width="stretch",
                          column_config=columns, on_select="rerun",
                          selection_mode="single-row", key="claims_table")
    rows = picked.selection.rows if picked else []
    if rows:
        key = shown.iloc[rows[0]][Col.KEY]
        if key != view.filters.claim:
            common.go(view, replace(view.filters, claim=key))
    if view.filters.claim:
        _detail(view, view.filters.claim)
    else:
        st.caption("Select a row to see the sentence it comes from.")
    common.draw_downloads(view, events=False)
    share_box(view)


def _claimant_width(claimants: pd.Series) -> int:
    """Pixels for the claimant column: its longest name shown, within CLAIMANT_WIDTH_PX.

    Streamlit's own choices fail on a phone: "small" cuts "Volodymyr Zelenskyy" to
    "Volodymyr", and sizing to the content lets one long name take the whole screen.
    """
    longest = int(claimants.astype(str).str.len().max()) if len(claimants) else 0
    low, high = CLAIMANT_WIDTH_PX
    return max(low, min(high, round(longest * CLAIMANT_CHAR_PX + CLAIMANT_PAD_PX)))


def _draw_contested_stories(view: View) -> None:
    """Stories one claimant asserts and another denies across articles, with who says what."""
    contested = view.source.stories(view.filters, "contested", CONTESTED_LIMIT)
    if not contested.total:
        return
    st.subheader(f"Contested stories across articles ({contested.total:,})")
    if contested.capped:
        st.caption(f"The first {CONTESTED_LIMIT} of {contested.total:,}; the Stories page "
                   "lists them all.")
    st.caption("One real-world event, asserted in one article and denied in another. "
               "Open a story to set its reports and claims side by side.")
    told = contested.frame  # only the stories listed are looked into
    who_says = _who_says(view, told[Col.STORY].tolist())
    for row in told.itertuples(index=False):
        story = getattr(row, Col.STORY)
        who = who_says.get(story, "")
        # A link's label never wraps: on a phone "who says what" would run off the screen,
        # so it goes under the link, where it wraps.
        st.page_link(stories_ui.STORIES_PAGE, label=common.md_escape(story),
                     icon=":material/compare_arrows:",
                     query_params={**view.link(view.filters.without_selection()),
                                   "story": [story]})
        st.caption(common.md_escape(" · ".join(
            part for part in (str(getattr(row, Col.DATE_LABEL)), who) if part)))


def _who_says(view: View, slugs: list[str]) -> dict[str, str]:
    """Story -> "asserts: outlets; denies: outlets", built once per view for every session
    (picking the sides out of every claim was most of the page's run at 10,000 articles)."""
    def build() -> dict[str, str]:
        sided = view.source.story_sides(slugs, stories_ui.SIDES)
        said = {key: sorted(set(group.dropna())) for key, group
                in sided.groupby([Col.STORY, Col.STANCE], sort=False)[Col.OUTLET]}
        return {story: "; ".join(f"{stance}: " + ", ".join(said[story, stance])
                                 for stance in stories_ui.SIDES if (story, stance) in said)
                for story in slugs}
    return common.built_once(view, "who_says", tuple(slugs), build)


def _side(column, view: View, group: list[dict], stance: str) -> None:
    """One side of a contested event: each of its claims once, with its sentence."""
    column.markdown(f"**{common.md_escape(stance.capitalize())}**")
    key = f"{Col.KEY}_{stance}"
    firsts: dict[str, dict] = {}
    for pair in group:  # a claim is in as many pairs as the other side has claims
        firsts.setdefault(pair[key], pair)
    for row in firsts.values():
        claimant, claim = row[f"{Col.CLAIMANT}_{stance}"], row[f"{Col.CLAIM}_{stance}"]
        column.markdown(f"{common.md_escape(claimant)}: {common.md_escape(claim)}  \n"
                        f"*{common.md_escape(row[f'{Col.DATE_LABEL}_{stance}'])}*")
        column.markdown(f"> {common.md_escape(row[f'{Col.QUOTE}_{stance}'])}")
        with column:
            common.link_to_sentence(view, label="The sentence", claim=row[key])


def _detail(view: View, claim_key: str) -> None:
    claim = view.source.item("claims", claim_key)
    if claim is None:
        return
    with st.container(border=True):
        st.markdown(f"**{common.md_escape(claim[Col.CLAIMANT])}** "
                    f"*{common.md_escape(claim[Col.STANCE])}*: "
                    f"{common.md_escape(claim[Col.CLAIM])}")
        st.caption(f"claimed {common.md_escape(claim[Col.DATE_LABEL])} · verdict: "
                   f"{common.md_escape(claim[Col.VERDICT])}"
                   + (" · contested" if claim[Col.CONTESTED] else ""))
        st.markdown(f"> {common.md_escape(claim[Col.QUOTE])}")
        common.link_to_sentence(view, claim=claim_key)
