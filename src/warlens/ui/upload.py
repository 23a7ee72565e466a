"""Open a file of your own: one article file uploaded into this browser session only.

A visitor can look at an article file they hold (a draft, a file from a colleague)
beside the shared corpus without putting it in the data folder. The upload is
untrusted input from the network, so:

- its size is checked on the server (`yamlio.MAX_BYTES`), not only by the widget;
- its type is decided by its content, not its name: it must parse through the strict
  YAML loader and the article checks (`article.read_article_file`); the name's suffix
  is checked too, but a `.yaml` name proves nothing;
- it lives in this session's `st.session_state` only: another visitor, or another tab
  of the same visitor, never sees it, and nothing is written to disk;
- the shared, cached corpus is never modified: the session works on a combined copy,
  built once per upload and kept in its session state so reruns stay fast.

On a server whose articles are in a query engine (`WARLENS_ENGINE`), the shared store
takes nothing from a visitor: the file opens on its own, in the same pages, and the
session goes back to the shared store when it is closed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from warlens import query
from warlens.article import FileResult, read_article_file
from warlens.corpus import NATIVE_SUFFIXES, Corpus, assemble, extend, tables_of
from warlens.problems import Problem
from warlens.query import Vocabulary
from warlens.yamlio import MAX_BYTES

#: The file_uploader widget's key.
K_UPLOAD = "upload_file"
#: Session-state keys: the parsed upload, and the corpus combined with it.
_UPLOADED = "_warlens_upload"
_COMBINED = "_warlens_upload_combined"
#: The upload as a corpus of its own (a server on an engine).
_ALONE = "_warlens_upload_alone"
#: Longest file name shown; names are the uploader's text, so they are cut and cleaned.
NAME_MAX = 100
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Upload:
    """An uploaded file, read: its shown name, its content hash and what it holds."""

    name: str
    digest: str
    size: int
    result: FileResult = field(compare=False)

    @property
    def loaded(self) -> int:
        """How many articles of the file loaded."""
        return len(self.result.articles)


def shown_name(filename: str) -> str:
    """The uploader's file name as we show it: base name only, no control characters, cut."""
    base = re.split(r"[\\/]", filename or "")[-1]
    clean = _UNSAFE_NAME.sub("", base).strip() or "upload"
    return clean if len(clean) <= NAME_MAX else clean[: NAME_MAX - 3] + "..."


def read_upload(filename: str, data: bytes) -> Upload:
    """Check and parse one uploaded file; bad files become problems, never exceptions.

    The display name is prefixed with "upload:" so its problems can never be taken for
    those of a file in the data folder.
    """
    name = shown_name(filename)
    display = f"upload: {name}"
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_BYTES:
        problem = Problem(display, None, "(file)", f"the file is {len(data):,} bytes, over the "
                                                   f"limit of {MAX_BYTES:,} bytes")
        return Upload(name, digest, len(data), FileResult(display, problems=[problem]))
    if not name.lower().endswith(NATIVE_SUFFIXES):
        problem = Problem(display, None, "(file)",
                          "only article files (.yaml or .yml) can be opened here")
        return Upload(name, digest, len(data), FileResult(display, problems=[problem]))
    return Upload(name, digest, len(data), read_article_file(data, display))


def combine(shared: Corpus, upload: Upload) -> Corpus:
    """The shared corpus plus the upload's articles, as a new Corpus; `shared` is unchanged.

    An uploaded article whose id the shared corpus already uses is not loaded.
    """
    return extend(shared, [upload.result])


def session_corpus_in(state: MutableMapping[str, Any], corpus: Corpus, vocab: Vocabulary
                      ) -> tuple[Corpus, Vocabulary]:
    """`session_corpus` on any mapping standing for the session state (tests pass a dict)."""
    upload: Upload | None = state.get(_UPLOADED)
    if upload is None:
        state.pop(_COMBINED, None)
        return corpus, vocab
    cached = state.get(_COMBINED)
    # Keyed on the shared corpus object too: when the data folder changes, rebuild.
    if cached is not None and cached[0] is corpus and cached[1] == upload.digest:
        return cached[2], cached[3]
    combined = combine(corpus, upload)
    combined_vocab = query.vocabulary(combined)
    state[_COMBINED] = (corpus, upload.digest, combined, combined_vocab)
    return combined, combined_vocab


def alone_in(state: MutableMapping[str, Any]) -> tuple[Corpus, Vocabulary] | None:
    """The file this session opened, as a corpus of its own (None: no file open), built
    once per upload: what a session on an engine-backed server shows while it is open."""
    upload: Upload | None = state.get(_UPLOADED)
    if upload is None:
        state.pop(_ALONE, None)
        return None
    cached = state.get(_ALONE)
    if cached is not None and cached[0] == upload.digest:
        return cached[1], cached[2]
    corpus = assemble(tables_of([upload.result]), 1)
    vocab = query.vocabulary(corpus)
    state[_ALONE] = (upload.digest, corpus, vocab)
    return corpus, vocab


def session_alone() -> tuple[Corpus, Vocabulary] | None:
    """`alone_in` this browser session's state."""
    return alone_in(st.session_state)


def session_corpus(corpus: Corpus, vocab: Vocabulary) -> tuple[Corpus, Vocabulary]:
    """The shared corpus plus the file this session uploaded, if any (this session only)."""
    return session_corpus_in(st.session_state, corpus, vocab)


def _on_upload() -> None:
    """Parse the file as soon as it arrives, before the page runs, so this run shows it."""
    file = st.session_state.get(K_UPLOAD)
    if file is None:
        st.session_state.pop(_UPLOADED, None)
        return
    st.session_state[_UPLOADED] = read_upload(file.name, file.getvalue())


def _close() -> None:
    st.session_state.pop(_UPLOADED, None)
    st.session_state.pop(K_UPLOAD, None)


def draw_upload(alone: bool = False) -> None:
    """The sidebar's "Open a file" box: upload one article file for this session only
    (`alone`: the server's articles are in an engine, and the file is shown on its own)."""
    upload: Upload | None = st.session_state.get(_UPLOADED)
    with st.sidebar.expander("Open a file", icon=":material/upload_file:",
                             expanded=upload is not None):
        st.file_uploader(
            "An article file (.yaml)", type=["yaml", "yml"], key=K_UPLOAD,
            on_change=_on_upload,
            help=("Shown on its own (this server's articles are in a shared store)" if alone
                  else "Shown beside the shared articles")
                 + f" in this browser tab only, never saved. Up to {MAX_BYTES // 1_000_000} MB.")
        if upload is None:
            return
        st.text(f"{upload.name}: {upload.loaded} article(s) loaded")
        problems = pd.DataFrame([p.to_dict() for p in upload.result.problems])
        if len(problems):
            st.dataframe(problems[["line", "field", "message", "severity"]], hide_index=True,
                         width="stretch")
        st.button("Close the file", key="upload_close", on_click=_close,
                  icon=":material/close:")
