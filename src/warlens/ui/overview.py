"""The home page: the corpus at a glance."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd
import streamlit as st

from warlens import stories
from warlens.model import Col
from warlens.query import Filters, Rows
from warlens.ui import common
from warlens.ui import stories as stories_ui
from warlens.ui.shell import View, share_box

if TYPE_CHECKING:
    from warlens.limits import Limits
    from warlens.source import Source

#: What the page shows of an article (its text is most of the table: never copied here).
ARTICLE_COLUMNS = (Col.TITLE, Col.OUTLET, Col.PUBLISHED_LABEL, Col.PUBLISHED_INFERRED,
                   Col.ARTICLE, Col.PUBLISHED_START)
#: Contested events linked from the page; the Claims page has them all.
CONTESTED_LIMIT = 20


class Asked(NamedTuple):
    """What the page asks its source for a view (`ask`)."""

    counts: dict[str, int]
    contested: Rows
    multi: pd.DataFrame
    articles: Rows
    problems: dict[str, int]


def ask(source: Source, filters: Filters, limits: Limits) -> Asked:
    """Everything the page draws for a view, from the source (which remembers it): the
    server asks it for the open view while it starts (`server.lifespan`), so the first
    visitor's page finds it ready."""
    return Asked(
        counts=source.counts(filters),
        contested=source.events(replace(filters.without_selection(), contested=True),
                                [Col.KEY, Col.SUMMARY, Col.DATE_LABEL], limit=CONTESTED_LIMIT),
        multi=source.stories(filters, "multi", CONTESTED_LIMIT).frame,
        articles=source.articles(filters, ARTICLE_COLUMNS, limits.table_rows),
        problems=source.problem_counts())


def draw(view: View) -> None:
    """Counts, articles, contested events and a pointer to the problems."""
    st.title("warlens")
    st.markdown("What was reported, who claims what, and where: every event and claim "
                "traced to the sentence it comes from.")
    source = view.source
    counts, contested, multi, articles, problems = ask(source, view.filters, view.limits)
    cols = st.columns(6)
    for col, label, n, help_ in zip(
            cols, ("Articles", "Events", "Claims", "Places", "Contested events",
                   "Shared stories"),
            (counts["articles"], counts["events"], counts["claims"], counts["places"],
             counts["contested"], counts["shared_stories"]),
            (None, None, None,
             "Where the events in view happened: a place is a name at a spot, however many "
             "articles name it.",
             "One claimant asserts the event, another denies it.",
             "Real-world events reported by more than one outlet (the Stories page)."),
            strict=True):
        col.metric(common.md_escape(label), f"{n:,}",
                   help=common.md_escape(help_) if help_ else None)

    if len(multi):
        st.subheader("Stories across outlets")
        for row in multi.itertuples(index=False):
            get = row.__getattribute__
            # The label is the story's name alone (a link's label never wraps, and a phone
            # cut a long date range off); when, whether contested and who reported it go
            # under the link, where they wrap.
            st.page_link(stories_ui.STORIES_PAGE, label=common.md_escape(get(Col.STORY)[:200]),
                         icon=":material/compare_arrows:",
                         query_params={**view.link(view.filters.without_selection()),
                                       "story": [get(Col.STORY)]})
            st.caption(common.md_escape(
                f"{get(Col.DATE_LABEL)}" + (" · contested" if get(Col.CONTESTED) else "")
                + f" · {get(stories.N_ARTICLES)} reports from {get(stories.OUTLETS)}"))

    st.subheader("Contested events")
    if not contested.total:
        st.caption("No event in view is both asserted and denied.")
    elif contested.total > CONTESTED_LIMIT:
        st.caption(f"The first {CONTESTED_LIMIT} of {contested.total:,}; the Claims page sets "
                   "them side by side.")
    for event in contested.frame.itertuples(index=False):
        row = getattr(event, Col.KEY)
        # What happened goes under the link, where it wraps; the label stays short.
        st.page_link(common.CLAIMS_PAGE,
                     label=common.md_escape(f"{getattr(event, Col.DATE_LABEL)}: "
                                            "compare the claims"),
                     icon=":material/compare_arrows:",
                     query_params={**view.link(view.filters.without_selection()),
                                   "event": [row]})
        st.caption(common.md_escape(str(getattr(event, Col.SUMMARY))))

    st.subheader(f"Articles ({articles.total:,})")
    if articles.capped:
        st.caption(f"The {view.limits.table_rows:,} most recently published; "
                   "filter to narrow them down.")
    table = articles.frame[[Col.TITLE, Col.OUTLET, Col.PUBLISHED_LABEL, Col.PUBLISHED_INFERRED,
                            Col.ARTICLE, "events", "claims"]]
    st.dataframe(table, hide_index=True, width="stretch",
                 column_order=[Col.TITLE, Col.OUTLET, Col.PUBLISHED_LABEL, "events", "claims",
                               Col.PUBLISHED_INFERRED, Col.ARTICLE],
                 column_config={
                     Col.TITLE: st.column_config.TextColumn("title", width="large"),
                     Col.OUTLET: st.column_config.TextColumn("outlet", width="small"),
                     Col.PUBLISHED_LABEL: "published",
                     Col.PUBLISHED_INFERRED: "date inferred", Col.ARTICLE: "id",
                     "events": st.column_config.NumberColumn(format="%d", width="small"),
                     "claims": st.column_config.NumberColumn(format="%d", width="small"),
                 })

    if problems["problems"]:
        errors = problems["errors"]
        st.page_link(common.PROBLEMS_PAGE,
                     label=f"{common.plural(errors, 'error')} and "
                           f"{common.plural(problems['problems'] - errors, 'warning')} in the "
                           "data files",
                     icon=":material/report:", query_params=view.link())
    else:
        st.caption(f"{common.plural(source.files, 'data file')}, "
                   "all loaded without problems.")
    share_box(view)
