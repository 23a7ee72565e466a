"""The sketch of a shared link's view, put into its HTML page by the server
(`server.FirstView`): drawn from the very figure and rows the page then draws (built once,
`common.built_once`), so the visitor's session finds them ready.

`warlens.sketch` draws; this module finds what to draw for each page. It is imported by
the server only once it is running, with the data folder: pandas and the engine are not
loaded before the server answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from warlens import query, sketch, stories, text
from warlens.limits import read_limits
from warlens.model import Col
from warlens.ui import claims as claims_page
from warlens.ui import common, mapview, reader, shell, timeline
from warlens.ui.routes import STATIC as STATIC  # the map outlines a map sketch draws on
from warlens.workspace import data_dir

#: Contested events a Claims sketch sets side by side.
CONTESTED_SKETCHED = 3
#: Reports a story's sketch lists (the live page lists them all).
STORY_REPORTS_SKETCHED = 12


def draw(kind: str, params: dict[str, list[str]],
         outlines: Callable[[str], sketch.Outlines]) -> str:
    """The sketch of page `kind` for a link's parameters ("" when it would draw nothing),
    on the country outlines `outlines` reads by file name."""
    source = shell.workspace(str(data_dir())).source()
    vocab = source.vocabulary()
    filters, _notices = query.filters_from_params(params, vocab)
    display, _notices = query.display_from_params(params)
    view = shell.View(getattr(source, "corpus", None), vocab, filters, (),
                      read_limits()[0], source, display=display)
    # Drawn once per view, like the figures it is drawn from: the source's memo forgets
    # it with them when the data changes.
    return common.built_once(view, f"sketch:{kind}", (filters.event, filters.claim,
                                                      tuple(sorted(display.items()))),
                             lambda: _sketch_of(kind, view, outlines))


def _sketch_of(kind: str, view: object, outlines: Callable[[str], sketch.Outlines]) -> str:
    """The sketch of `view` on page `kind` ("" when the page would draw nothing)."""
    labels = {spec.param: spec.label or spec.param for spec in query.FILTERS
              if spec.kind != "item"}
    filters = view.filters  # type: ignore[attr-defined]
    shown = sketch.in_force(filters.to_params(), labels)
    for spec in query.DISPLAY:  # how the page is shown, when the link says
        if spec.page.lower() == kind and (value := view.display[spec.param]) != spec.default:  # type: ignore[attr-defined]
            shown[spec.label] = spec.choices[value]
    for what, key in (("Selected event", filters.event), ("Selected claim", filters.claim)):
        if key:
            shown[what] = key
    title, body = _SKETCHES[kind](view, outlines)
    return sketch.page(kind, title, shown, body) if body else ""


def _map_sketch(view: object, outlines: Callable[[str], sketch.Outlines]) -> tuple[str, str]:
    if view.display["marks"] == "stories":  # type: ignore[attr-defined]
        fig = mapview.story_map_figure(view)
    else:
        fig, _missing = mapview.map_figure(view)
    if fig is None:
        return "Map", ""
    return "Map", (f"<h3>{sketch.text(fig.layout.title.text, 200)}</h3>"
                   + sketch.map_svg(fig, outlines(mapview.outline_file(fig)))
                   + sketch.legend(fig))


def _timeline_sketch(view: object, _outlines: object) -> tuple[str, str]:
    n_dated = view.source.timeline_dated(view.filters)  # type: ignore[attr-defined]
    if not n_dated:
        return "Timeline", ""
    fig = timeline.timeline_figure(view, n_dated,
                                   view.display["group"])  # type: ignore[attr-defined]
    title = re.sub(r"<[^>]*>", " ", str(fig.layout.title.text or ""))
    return "Timeline", (f"<h3>{sketch.text(title, 200)}</h3>" + sketch.timeline(fig)
                        + sketch.legend(fig))


def _claims_sketch(view: object, _outlines: object) -> tuple[str, str]:
    """The contested claims side by side, then the first rows of the claims table."""
    source, filters = view.source, view.filters  # type: ignore[attr-defined]
    rows = source.claims(filters, [*claims_page.COLUMNS], limit=sketch.TABLE_ROWS,
                         about=filters.event)
    if rows.frame.empty:
        return "Claims", ""
    pairs, n_events = source.contested_pairs(filters, filters.event, CONTESTED_SKETCHED)
    groups: dict[str, tuple[str, list, list]] = {}
    for pair in pairs.to_dict("records"):
        _summary, asserting, denying = groups.setdefault(
            str(pair[Col.EVENT]), (pair[Col.EVENT_SUMMARY], [], []))
        for stance, side in (("asserts", asserting), ("denies", denying)):
            said = (pair[f"{Col.CLAIMANT}_{stance}"], pair[f"{Col.CLAIM}_{stance}"])
            if said not in side:
                side.append(said)
    contested = (f"<h3>Contested ({n_events:,} event{'s' * (n_events != 1)})</h3>"
                 + sketch.pairs(list(groups.values())) if n_events else "")
    columns = {col: claims_page.COLUMNS[col]["label"] for col in claims_page.COLUMNS
               if col != Col.CONTESTED}
    return "Claims", (contested + f"<h3>All claims ({rows.total:,})</h3>"
                      + sketch.table(rows.frame.fillna(""), columns, rows.total,
                                     narrow=(Col.CLAIMANT, Col.STANCE, Col.CLAIM)))


def _credit(row: dict) -> str:
    return text.credit(row.get(Col.ATTRIBUTION), row.get(Col.LICENSE))


def _story_sketch(view: object, _outlines: object) -> tuple[str, str]:
    """One story (`?story=slug`): the dispute side by side, then its reports in order of
    publication, each quote with its text's attribution and licence."""
    filters = view.filters  # type: ignore[attr-defined]
    if len(filters.stories) != 1:
        return "Stories", ""
    told, reports, claims = view.source.story(filters.stories[0])  # type: ignore[attr-defined]
    if told is None:
        return "Stories", ""
    verdict = ("contested: one claimant asserts it, another denies it" if told[Col.CONTESTED]
               else "not contested in these sources")
    n_reports, n_outlets = int(told[stories.N_ARTICLES]), int(told[stories.N_OUTLETS])
    head = (f"<h3>{sketch.text(filters.stories[0], 120)}</h3><p class=\"wl-note\">"
            + sketch.text(f"{told[Col.DATE_LABEL]} · {told[stories.PLACES] or 'no place given'}"
                          f" · {n_reports:,} report{'s' * (n_reports != 1)} from {n_outlets:,} "
                          f"outlet{'s' * (n_outlets != 1)} ({told[stories.OUTLETS]}) · {verdict}",
                          400) + "</p>")
    credits = {str(r[Col.ARTICLE]): _credit(r) for r in reports.to_dict("records")}

    def one(claim: dict) -> str:
        return sketch.said(claim[Col.CLAIMANT], claim[Col.STANCE], claim[Col.CLAIM],
                           claim[Col.OUTLET], claim[Col.PUBLISHED_LABEL], claim[Col.QUOTE],
                           credits.get(str(claim[Col.ARTICLE]), ""))

    dispute = ""
    records = claims.to_dict("records")
    asserting = [c for c in records if c[Col.STANCE] == "asserts"]
    denying = [c for c in records if c[Col.STANCE] == "denies"]
    if told[Col.CONTESTED] and asserting and denying:
        dispute = ("<h3>The dispute</h3>" + "".join(
            f'<div class="wl-pair"><div>{one(a)}</div><div>{one(d)}</div></div>'
            for d in denying[:2] for a in asserting[:2] if a[Col.CLAIMANT] != d[Col.CLAIMANT]))
    told_by = "".join(
        f'<div class="wl-card"><p><b>{sketch.text(r[Col.OUTLET], 80)}</b>, published '
        f"{sketch.text(r[Col.PUBLISHED_LABEL], 40)}: {sketch.text(r[Col.TITLE], 200)}</p>"
        f"<p>Reports: {sketch.text(r[Col.SUMMARY])}</p>"
        f"<blockquote>{sketch.text(r[Col.QUOTE], 400)}</blockquote>"
        + (f'<p class="wl-note">{sketch.text(_credit(r), 300)}</p>' if _credit(r) else "")
        + "</div>" for r in reports.head(STORY_REPORTS_SKETCHED).to_dict("records"))
    return "Stories", (head + dispute + f"<h3>Reports in the order they were published "
                       f"({len(reports):,})</h3>" + told_by)


def _article_sketch(view: object, _outlines: object) -> tuple[str, str]:
    """A link to one article (or to a sentence in it): its text with the sentence marked,
    and the text's attribution and licence. A link that leaves the article to be picked
    gets no sketch."""
    source, filters = view.source, view.filters  # type: ignore[attr-defined]
    article_id = None
    for table, key in (("claims", filters.claim), ("events", filters.event)):
        hit = source.item(table, key) if key else None
        if hit is not None:
            article_id = str(hit[Col.ARTICLE])
            break
    if article_id is None and len(filters.articles) == 1:
        article_id = filters.articles[0]
    found = source.article(article_id) if article_id else None
    if found is None or found["articles"].empty:
        return "Article", ""
    article = found["articles"].iloc[0]
    text_ = str(article[Col.TEXT])
    focus, chosen = [], ""
    for table, key in ((found["claims"], filters.claim), (found["events"], filters.event)):
        hit = table[table[Col.KEY] == key] if key else table.iloc[0:0]
        if len(hit):
            row = hit.iloc[0]
            focus.append((int(row[Col.SPAN_START]), int(row[Col.SPAN_END])))
            chosen = (f'<div class="wl-card"><p class="wl-note">Selected sentence</p>'
                      f'<p><mark class="focus">{sketch.text(row[Col.QUOTE], 2000)}</mark></p>'
                      "</div>")
    events, claims, places = found["events"], found["claims"], found["places"]
    marks = {"focus": focus,
             "claim": list(zip(claims[Col.SPAN_START].astype(int),
                               claims[Col.SPAN_END].astype(int), strict=True)),
             "event": list(zip(events[Col.SPAN_START].astype(int),
                               events[Col.SPAN_END].astype(int), strict=True)),
             "place": reader.place_spans(text_, list(places[Col.PLACE_NAME]))}
    meta = " · ".join(str(v) for v in (article[Col.OUTLET],
                                       f"published {article[Col.PUBLISHED_LABEL]}",
                                       article.get(Col.AUTHOR)) if isinstance(v, str) and v)
    credit = _credit(article.to_dict())
    return "Article", (f"<h3>{sketch.text(article[Col.TITLE], 300)}</h3>"
                       f'<p class="wl-note">{sketch.text(meta, 300)}</p>'
                       + (f'<p class="wl-note">Text: {sketch.text(credit, 300)}</p>'
                          if credit else "")
                       + chosen + sketch.marked_text(reader.marked_segments(text_, marks)))


#: What each sketched page draws: (its title, the sketch's body, "" for nothing).
_SKETCHES: dict[str, Callable[[object, Callable[[str], sketch.Outlines]], tuple[str, str]]] = {
    "map": _map_sketch, "timeline": _timeline_sketch, "claims": _claims_sketch,
    "stories": _story_sketch, "article": _article_sketch}
