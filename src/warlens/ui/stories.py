"""The stories page: one real-world event as every outlet and side reported it."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from warlens import stories, text
from warlens.model import Col
from warlens.ui import common
from warlens.ui.shell import View, share_box

STORIES_PAGE = "pages/7_Stories.py"
#: The stances set side by side, in reading order; the rest are listed below them.
SIDES = ("asserts", "denies", "doubts")
LIST_COLUMNS = {
    Col.STORY: st.column_config.TextColumn("story", width="medium"),
    Col.DATE_LABEL: st.column_config.TextColumn("when (all reports)", width="small"),
    stories.PLACES: st.column_config.TextColumn("where", width="small"),
    stories.N_ARTICLES: st.column_config.NumberColumn("articles", format="%d", width="small"),
    stories.OUTLETS: st.column_config.TextColumn("outlets", width="medium"),
    stories.ASSERTS: st.column_config.NumberColumn("asserts", format="%d", width="small"),
    stories.DENIES: st.column_config.NumberColumn("denies", format="%d", width="small"),
    stories.DOUBTS: st.column_config.NumberColumn("doubts", format="%d", width="small"),
    Col.CONTESTED: st.column_config.CheckboxColumn("contested", width="small"),
}


def draw(view: View) -> None:
    """Every story in view; with one story chosen (`?story=`), that story in detail."""
    st.title("Stories")
    if len(view.filters.stories) == 1:
        _draw_story(view, view.filters.stories[0])
    else:
        _draw_list(view)
    share_box(view)


def stories_in_view(view: View) -> pd.DataFrame:
    """The corpus's stories that have an event in view (every one: for small corpora)."""
    return view.source.stories(view.filters).frame


def _draw_list(view: View) -> None:
    source, filters = view.source, view.filters
    listed = source.stories(filters, "all", view.limits.table_rows)
    if not listed.total:
        st.info("No story in view. Events are linked into stories by their `story:` field "
                "(docs/format.md); `warlens link` proposes links for review.")
        return
    multi = source.stories(filters, "multi", 0).total
    contested = source.stories(filters, "contested", 0).total
    st.caption(f"{common.plural(listed.total, 'story', 'stories')}: "
               f"{multi:,} reported by more than one outlet, "
               f"{contested:,} contested (one claimant asserts, another "
               "denies). Select a row to compare its reports."
               + (f" The first {len(listed.frame):,} are listed." if listed.capped else ""))
    table = listed.frame
    picked = st.dataframe(table[list(LIST_COLUMNS)], hide_index=True, width="stretch",
                          column_config=LIST_COLUMNS, on_select="rerun",
                          selection_mode="single-row", key="stories_table")
    rows = picked.selection.rows if picked else []
    if rows:
        common.go(view, replace(view.filters.without_selection(),
                          stories=(str(table.iloc[rows[0]][Col.STORY]),)))


def _draw_story(view: View, story: str) -> None:
    told, reports, claims = view.source.story(story)
    if told is None:
        st.info("This story has no events in the data.")
        return
    st.markdown(f"### {common.md_escape(story)}")
    verdict = ("contested: one claimant asserts it, another denies it" if told[Col.CONTESTED]
               else "not contested in these sources")
    st.caption(common.md_escape(
        f"{told[Col.DATE_LABEL]} · {told[stories.PLACES] or 'no place given'} · "
        f"{common.plural(int(told[stories.N_ARTICLES]), 'report')} from "
        f"{common.plural(int(told[stories.N_OUTLETS]), 'outlet')} ({told[stories.OUTLETS]}) · "
        f"{verdict}"))
    st.page_link(STORIES_PAGE, label="All stories", icon=":material/arrow_back:",
                 query_params=view.link(replace(view.filters.without_selection(),
                                                    stories=())))

    if told[Col.CONTESTED]:
        _draw_contest(view, claims)
    _draw_disagreements(stories.disagreements(reports))
    _draw_sides(view, claims)
    _draw_reports(view, reports)


def _draw_contest(view: View, claims: pd.DataFrame) -> None:
    """The dispute at a glance: for each outlet that denies the story, its first denial
    beside the first assertion of each other outlet, so the two sides sit together on a
    phone too (where columns stack)."""
    st.subheader("The dispute")
    asserting = claims[claims[Col.STANCE] == "asserts"]
    # The outlet that asserts it most first: a side's own words before a relay of them.
    weight = asserting[Col.OUTLET].map(asserting[Col.OUTLET].value_counts())
    asserting = asserting.iloc[(-weight).argsort(kind="stable")].drop_duplicates(Col.OUTLET)
    denying = claims[claims[Col.STANCE] == "denies"].drop_duplicates(Col.OUTLET)
    for deny in denying.itertuples(index=False):
        for assertion in asserting.itertuples(index=False):
            if getattr(assertion, Col.CLAIMANT) == getattr(deny, Col.CLAIMANT):
                continue
            with st.container(border=True):
                left, right = st.columns(2)
                with left:
                    _claim(view, assertion)
                with right:
                    _claim(view, deny)


def _draw_disagreements(found: list[stories.Disagreement]) -> None:
    st.subheader("Where the sources disagree")
    if not found:
        st.caption("The reports agree on the date, the place and any casualty figures "
                   "(vague ranges that contain a precise day count as agreeing).")
        return
    for item in found:
        with st.container(border=True):
            st.markdown(f"**{common.md_escape(item.aspect.capitalize())}**")
            for who, says in item.versions:
                st.markdown(f"- {common.md_escape(who)}: {common.md_escape(says)}")


def _draw_sides(view: View, claims: pd.DataFrame) -> None:
    st.subheader(f"Every claim, by stance ({len(claims)})")
    if claims.empty:
        st.caption("No claim in the data is about this story's events.")
        return
    present = [s for s in SIDES if (claims[Col.STANCE] == s).any()]
    for column, stance in zip(st.columns(max(len(present), 1)), present, strict=False):
        column.markdown(f"**{common.md_escape(stance.capitalize())}**")
        for claim in claims[claims[Col.STANCE] == stance].itertuples(index=False):
            with column, st.container(border=True):
                _claim(view, claim)
    rest = claims[~claims[Col.STANCE].isin(SIDES)]
    if len(rest):
        st.markdown("**Estimates and assessments**")
        for claim in rest.itertuples(index=False):
            with st.container(border=True):
                _claim(view, claim)


def _claim(view: View, claim: object) -> None:
    get = claim.__getattribute__
    st.markdown(f"**{common.md_escape(get(Col.CLAIMANT))}** *{common.md_escape(get(Col.STANCE))}*: "
                f"{common.md_escape(get(Col.CLAIM))}")
    st.caption(common.md_escape(f"{get(Col.OUTLET)} · published {get(Col.PUBLISHED_LABEL)}"))
    st.markdown(f"> {common.md_escape(get(Col.QUOTE))}")
    common.link_to_sentence(view, label="The sentence", claim=get(Col.KEY))


def _draw_reports(view: View, reports: pd.DataFrame) -> None:
    st.subheader(f"Reports in the order they were published ({len(reports)})")
    for report in reports.itertuples(index=False):
        get = report.__getattribute__
        with st.container(border=True):
            st.markdown(f"**{common.md_escape(get(Col.OUTLET))}**, published "
                        f"{common.md_escape(get(Col.PUBLISHED_LABEL))}: "
                        f"{common.md_escape(get(Col.TITLE))}")
            place = get(Col.PLACE_NAME) or "no place given"
            st.markdown(f"Reports: {common.md_escape(get(Col.SUMMARY))}  \n"
                        f"*happened {common.md_escape(get(Col.DATE_LABEL))} · "
                        f"{common.md_escape(place)}*")
            st.markdown(f"> {common.md_escape(get(Col.QUOTE))}")
            common.link_to_sentence(view, label="The sentence", event=get(Col.KEY))
            credit = text.credit(get(Col.ATTRIBUTION), get(Col.LICENSE))
            if credit:
                st.caption(common.md_escape(credit))
