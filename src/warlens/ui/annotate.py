"""The Annotate page: paste or upload an article's text, get draft annotations to review.

Drafting runs in a worker process with a time budget (`warlens.drafter`): a long or
pathological text can never stall the server for other visitors. The draft lives in this
person's session only (st.session_state): it is never written to
the data folder or shown to anyone else. It leaves as a YAML download, to be checked,
edited and saved into the data folder by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from warlens import annotate
from warlens.drafter import get_drafter
from warlens.problems import WarlensError
from warlens.ui.safe import md_escape
from warlens.ui.shell import View

#: The largest text accepted, pasted or uploaded: the article format's own limit.
MAX_CHARS = annotate.MAX_TEXT
#: The largest upload read, checked on the server before decoding (UTF-8: up to 4 bytes a
#: character).
MAX_UPLOAD_BYTES = 4 * MAX_CHARS
K_TEXT, K_UPLOAD, K_PUBLISHED = "ann_text", "ann_upload", "ann_published"
K_TITLE, K_OUTLET, K_URL, K_DRAFT = "ann_title", "ann_outlet", "ann_url", "ann_draft"
K_RESULT, K_DOWNLOAD = "ann_result", "ann_download"
#: The longest draft file shown on the page (it is always offered for download): the
#: browser's YAML highlighter took 12 s on a 200,000-character run of full stops and
#: 100 s on one of "A-", while the draft itself took under 0.3 s.
MAX_SHOWN_YAML = 20_000


def read_upload(data: bytes) -> str:
    """An uploaded file's bytes as text; WarlensError if too big or not UTF-8."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise WarlensError(f"the file is {len(data):,} bytes; the limit is "
                           f"{MAX_UPLOAD_BYTES:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WarlensError(f"the file is not UTF-8 text (byte {exc.start}); save it as "
                           "UTF-8 and upload it again") from None


def _source_text() -> str:
    """The text to draft: the uploaded file if there is one, else the pasted text."""
    upload = st.session_state.get(K_UPLOAD)
    if upload is not None:
        return read_upload(upload.getvalue())
    return str(st.session_state.get(K_TEXT) or "")


def _draft() -> None:
    """Run the drafter on the inputs and keep the result (or the error) in the session."""
    try:
        text = _source_text()
        if len(text) > MAX_CHARS:
            raise WarlensError(f"the text has {len(text):,} characters; the limit is "
                               f"{MAX_CHARS:,}")
    except WarlensError as exc:
        st.session_state[K_RESULT] = {"doc": None, "yaml": None, "error": exc.message}
        return
    url = str(st.session_state.get(K_URL) or "").strip() or None
    # In a worker process, within its budget: this thread waits without holding the GIL.
    outcome = get_drafter().draft(
        text, published=st.session_state[K_PUBLISHED],
        title=st.session_state.get(K_TITLE) or None,
        outlet=st.session_state.get(K_OUTLET) or None, url=url)
    st.session_state[K_RESULT] = {"doc": outcome.doc, "yaml": outcome.yaml,
                                  "error": outcome.error}


def place_table(doc: dict[str, Any]) -> pd.DataFrame:
    """The drafted places as a table."""
    columns = ["id", "name", "precision", "country", "lat", "lon", "geonames"]
    return pd.DataFrame([{c: p.get(c) for c in columns} for p in doc["places"]],
                        columns=columns)


def event_table(doc: dict[str, Any]) -> pd.DataFrame:
    """The drafted events as a table."""
    columns = ["id", "type", "when", "place", "summary", "actors", "quote"]
    rows = [{**{c: e.get(c) for c in columns}, "actors": "; ".join(e.get("actors", []))}
            for e in doc["events"]]
    return pd.DataFrame(rows, columns=columns)


def claim_table(doc: dict[str, Any]) -> pd.DataFrame:
    """The drafted claims as a table."""
    columns = ["id", "claimant", "stance", "claim", "about", "quote"]
    return pd.DataFrame([{c: item.get(c) for c in columns} for item in doc["claims"]],
                        columns=columns)


def _draw_inputs() -> None:
    st.text_area("Article text", key=K_TEXT, height=260, max_chars=MAX_CHARS,
                 placeholder="Paste the article's text here, one paragraph or heading a line.")
    st.file_uploader("...or upload a .txt file (UTF-8)", type=["txt"], key=K_UPLOAD,
                     help="An uploaded file is used instead of the pasted text.")
    c1, c2, c3 = st.columns([1, 2, 2])
    if K_PUBLISHED not in st.session_state:
        st.session_state[K_PUBLISHED] = dt.date.today()
    c1.date_input("Published", key=K_PUBLISHED, format="YYYY-MM-DD",
                  min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31),
                  help="Relative dates in the text (yesterday, the end of January, the last "
                       "few weeks) are resolved against this day.")
    c2.text_input("Title", key=K_TITLE, placeholder="default: the first sentence")
    c3.text_input("Outlet", key=K_OUTLET, placeholder="default: unknown")
    st.text_input("Web address (optional)", key=K_URL, placeholder="https://...")
    st.button("Draft annotations", key=K_DRAFT, type="primary", on_click=_draft,
              icon=":material/edit_note:")


def _draw_result(result: dict[str, Any]) -> None:
    if result["error"]:
        st.error(f"Could not draft: {md_escape(result['error'])}", icon=":material/error:")
        return
    doc = result["doc"]
    st.success(f"Drafted {len(doc['places'])} places, {len(doc['events'])} events and "
               f"{len(doc['claims'])} claims. Every item is marked draft: true; check each "
               "one against the text before you keep it.", icon=":material/task_alt:")
    st.subheader("Events")
    st.dataframe(event_table(doc), hide_index=True, width="stretch")
    st.subheader("Claims")
    st.dataframe(claim_table(doc), hide_index=True, width="stretch")
    st.subheader("Places")
    st.dataframe(place_table(doc), hide_index=True, width="stretch", column_config={
        "geonames": st.column_config.NumberColumn(format="%d"),
    })
    st.subheader("Article file")
    st.download_button("Download draft.yaml", data=result["yaml"], file_name="draft.yaml",
                       mime="application/x-yaml", key=K_DOWNLOAD,
                       icon=":material/download:")
    if len(result["yaml"]) <= MAX_SHOWN_YAML:
        st.code(result["yaml"], language="yaml")
    else:
        st.caption(f"The file has {len(result['yaml']):,} characters, too many to show here: "
                   "download it to read it.")


def draw(view: View) -> None:
    """The page: inputs, the Draft button, and the last draft of this session."""
    del view  # the page drafts from what is pasted, not from the corpus
    get_drafter().warm()  # a worker loads its gazetteer while the text is being pasted
    st.title("Annotate")
    st.caption("A rule-based first draft of places, dates, events and claims, to save you "
               "typing, not to replace reading. The draft stays in this browser session: "
               "nothing is saved or shared until you download it.")
    _draw_inputs()
    result = st.session_state.get(K_RESULT)
    if result is not None:
        st.divider()
        _draw_result(result)
