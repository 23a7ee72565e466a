"""Stories: one real-world event as every article reports it, across outlets and sides.

An event names its story with `story: <slug>` (docs/format.md); the slug is what links
the reports of different articles. This module derives, from the corpus tables alone,
what a person comparing sources asks of a story: when and where the sources put it, who
reported it and when, who asserts, denies or doubts it, and where the sources disagree.

A story is *contested* when, across all its articles, one claimant asserts it and another
denies it. A `doubts` claim questions without denying: it is counted and shown, but does
not make a story contested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from warlens import dates
from warlens.model import EVENT_TYPE_LABELS, Col

#: The columns of the stories table, one row per story.
N_ARTICLES, N_OUTLETS, N_EVENTS, N_CLAIMS = "n_articles", "n_outlets", "n_events", "n_claims"
OUTLETS, PLACES, ASSERTS, DENIES, DOUBTS = "outlets", "places", "asserts", "denies", "doubts"
FIRST_REPORT, LAST_REPORT = "first_report", "last_report"
STORY_COLUMNS = [
    Col.STORY, Col.START, Col.END, Col.DATE_LABEL, PLACES, N_ARTICLES, N_OUTLETS, OUTLETS,
    N_EVENTS, N_CLAIMS, ASSERTS, DENIES, DOUBTS, Col.CONTESTED, FIRST_REPORT, LAST_REPORT,
]


def contested_among(groups: np.ndarray, n_groups: int, stance: pd.Series,
                    claimant: pd.Series) -> np.ndarray:
    """Per group code: does one claimant assert and another deny? (claims outside any group
    carry a negative code.)

    That holds exactly when the group has an asserting and a denying claim and at least two
    distinct claimants among them, counted on integer codes: this runs on every load, and
    at 100,000 articles a merge of claimant strings took seconds.
    """
    grouped = groups >= 0
    asserts = stance.eq("asserts").to_numpy(dtype=bool, na_value=False) & grouped
    denies = stance.eq("denies").to_numpy(dtype=bool, na_value=False) & grouped
    sided = asserts | denies
    who = pd.factorize(claimant, use_na_sentinel=False)[0].astype(np.int64)
    base = int(who.max(initial=0)) + 1  # (group, claimant) pairs as one integer each
    pairs = np.unique(groups[sided].astype(np.int64) * base + who[sided])
    distinct = np.bincount(pairs // base, minlength=n_groups)
    return ((np.bincount(groups[asserts], minlength=n_groups) > 0)
            & (np.bincount(groups[denies], minlength=n_groups) > 0) & (distinct >= 2))


def story_table(articles: pd.DataFrame, events: pd.DataFrame,
                claims: pd.DataFrame) -> pd.DataFrame:
    """One row per story: its date range and places as the sources give them, how many
    articles and outlets report it, its claims by stance, and whether it is contested."""
    linked = events.loc[events[Col.STORY].fillna("") != "",
                        [Col.STORY, Col.ARTICLE, Col.START, Col.END, Col.PLACE_NAME]]
    if linked.empty:
        return pd.DataFrame(columns=STORY_COLUMNS)
    outlet_of = articles.set_index(Col.ARTICLE)[Col.OUTLET]
    published = articles.set_index(Col.ARTICLE)[Col.PUBLISHED_START]
    linked = linked.assign(**{Col.OUTLET: linked[Col.ARTICLE].map(outlet_of),
                              "published": linked[Col.ARTICLE].map(published)})
    by_story = linked.groupby(Col.STORY, sort=True)
    table = pd.DataFrame({
        Col.START: by_story[Col.START].min(),
        Col.END: by_story[Col.END].max(),
        PLACES: by_story[Col.PLACE_NAME].agg(_joined),
        N_ARTICLES: by_story[Col.ARTICLE].nunique(),
        N_OUTLETS: by_story[Col.OUTLET].nunique(),
        OUTLETS: by_story[Col.OUTLET].agg(_joined),
        N_EVENTS: by_story.size(),
        FIRST_REPORT: by_story["published"].min(),
        LAST_REPORT: by_story["published"].max(),
    })
    sided = claims.loc[claims[Col.STORY].fillna("") != "", [Col.STORY, Col.STANCE,
                                                             Col.CLAIMANT]]
    codes = pd.Categorical(sided[Col.STORY], categories=table.index).codes.astype(np.int64)
    stance = sided[Col.STANCE]
    table[N_CLAIMS] = np.bincount(codes[codes >= 0], minlength=len(table))
    for name in (ASSERTS, DENIES, DOUBTS):
        table[name] = np.bincount(codes[(stance == name).to_numpy() & (codes >= 0)],
                                  minlength=len(table))
    table[Col.CONTESTED] = contested_among(codes, len(table), stance, sided[Col.CLAIMANT])
    table[Col.DATE_LABEL] = [
        dates.span_label(s.date(), e.date()) if pd.notna(s) and pd.notna(e) else "undated"
        for s, e in zip(table[Col.START], table[Col.END], strict=True)]
    return table.reset_index()[STORY_COLUMNS]


def _joined(values: pd.Series) -> str:
    return "; ".join(sorted({str(v) for v in values.dropna() if str(v)}))


@dataclass(frozen=True)
class Disagreement:
    """Where the sources of one story differ: what, and each source's version."""

    aspect: str                   # "date (battle)", "place", "casualties"
    versions: tuple[tuple[str, str], ...]  # (outlet: article title, what it says)


def reports(articles: pd.DataFrame, events: pd.DataFrame, story: str) -> pd.DataFrame:
    """The story's events with their article, in the order the articles were published:
    the report's clock (published) beside the event's clock (when it happened)."""
    rows = events.loc[events[Col.STORY] == story]
    heads = articles[[Col.ARTICLE, Col.TITLE, Col.OUTLET, Col.PUBLISHED_START,
                      Col.PUBLISHED_LABEL, Col.LICENSE, Col.ATTRIBUTION, Col.URL]]
    merged = rows.merge(heads, on=Col.ARTICLE, how="left")
    return merged.sort_values([Col.PUBLISHED_START, Col.ARTICLE, Col.LINE],
                              kind="stable").reset_index(drop=True)


def story_claims(claims: pd.DataFrame, articles: pd.DataFrame, story: str) -> pd.DataFrame:
    """The claims about the story's events, with their outlet, in publication order."""
    rows = claims.loc[claims[Col.STORY] == story]
    heads = articles[[Col.ARTICLE, Col.TITLE, Col.OUTLET, Col.PUBLISHED_START,
                      Col.PUBLISHED_LABEL]]
    merged = rows.merge(heads, on=Col.ARTICLE, how="left")
    return merged.sort_values([Col.PUBLISHED_START, Col.ARTICLE, Col.LINE],
                              kind="stable").reset_index(drop=True)


def disagreements(story_reports: pd.DataFrame) -> list[Disagreement]:
    """Where the reports of one story differ on its date, place or casualty figures.

    Dates disagree when two reports of the same kind of event give ranges that do not
    overlap (a vague range that contains a precise day agrees with it); places when reports
    name different places; casualties when two reports give figures whose ranges do not
    overlap.
    """
    found: list[Disagreement] = []
    if len(story_reports) < 2:
        return found
    who = (story_reports[Col.OUTLET].fillna("?") + ": "
           + story_reports[Col.TITLE].fillna(story_reports[Col.ARTICLE])).tolist()

    # A story can hold several kinds of event (a city's capture, the fighting before it):
    # dates are compared between reports of the same kind.
    dated = (story_reports[Col.START].notna() & story_reports[Col.END].notna()).to_numpy()
    for kind in story_reports[Col.TYPE].unique():
        same = np.flatnonzero(dated & (story_reports[Col.TYPE] == kind).to_numpy())
        if len(same) >= 2 and (story_reports[Col.START].iloc[same].max()
                               > story_reports[Col.END].iloc[same].min()):
            found.append(Disagreement(f"date ({EVENT_TYPE_LABELS.get(kind, kind).lower()})",
                                      tuple((who[i], str(story_reports[Col.DATE_LABEL].iloc[i]))
                                            for i in same)))

    placed = story_reports[Col.PLACE_NAME].fillna("")
    if placed[placed != ""].nunique() >= 2:
        found.append(Disagreement("place", tuple(
            (who[i], placed.iloc[i]) for i in range(len(placed)) if placed.iloc[i])))

    low, high = story_reports[Col.CASUALTIES_LOW], story_reports[Col.CASUALTIES_HIGH]
    figures = low.notna() | high.notna()
    if figures.sum() >= 2:
        lo = low.fillna(high)[figures].astype("int64")
        hi = high.fillna(low)[figures].astype("int64")
        if lo.max() > hi.min():
            found.append(Disagreement("casualties", tuple(
                (who[i], _figure(story_reports.iloc[i]))
                for i in np.flatnonzero(figures.to_numpy()))))
    return found


def _figure(row: pd.Series) -> str:
    low, high, text = (row[Col.CASUALTIES_LOW], row[Col.CASUALTIES_HIGH],
                       row[Col.CASUALTIES_TEXT])
    numbers = (f"{low:,}" if pd.notna(low) and (pd.isna(high) or low == high)
               else f"{low:,}-{high:,}" if pd.notna(low) else f"up to {high:,}")
    return f"{numbers} ({text})" if isinstance(text, str) and text else numbers


def story_points(events: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """One row per report of each story, all at the place its reports name most, in the
    shape of the map's event rows: drawn, a story is one mark sized by its reports.

    `events` needs the story, article, type, place name, coordinates and precision. The
    mark is named by the story's slug (the place-name column), so a click on it names the
    story, and each row's summary is one outlet's report, which the hover lists. Stories
    none of whose events is located are left out.
    """
    linked = events[(events[Col.STORY].fillna("") != "") & events[Col.LAT].notna()
                    & events[Col.LON].notna()]
    if linked.empty:
        return linked.iloc[0:0]
    where = (linked.groupby([Col.STORY, Col.PLACE_NAME, Col.LAT, Col.LON, Col.PRECISION],
                            dropna=False).size().reset_index(name="n")
             .sort_values([Col.STORY, "n"], ascending=[True, False], kind="stable")
             .drop_duplicates(Col.STORY).set_index(Col.STORY))
    kinds = linked.groupby(Col.STORY)[Col.TYPE].agg(lambda t: t.mode().iloc[0])
    outlet_of = articles.set_index(Col.ARTICLE)[Col.OUTLET]
    reports = linked.drop_duplicates([Col.STORY, Col.ARTICLE])
    story = reports[Col.STORY]
    return pd.DataFrame({
        Col.KEY: story.to_numpy(), Col.PLACE: story.to_numpy(),
        Col.PLACE_NAME: story.to_numpy(),
        Col.LAT: story.map(where[Col.LAT]).to_numpy(),
        Col.LON: story.map(where[Col.LON]).to_numpy(),
        Col.PRECISION: story.map(where[Col.PRECISION]).to_numpy(),
        Col.TYPE: story.map(kinds).to_numpy(),
        # The hover lists a mark's rows: here each outlet's report of the story.
        Col.SUMMARY: (reports[Col.ARTICLE].map(outlet_of).fillna("?") + ": "
                      + reports[Col.SUMMARY].fillna("")).to_numpy(),
    })
