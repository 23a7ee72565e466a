"""The problems page: every problem found in the data files, by file and line."""

from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from warlens.ui.common import plural
from warlens.ui.shell import View
from warlens.workspace import data_dir


def relative_files(files: pd.Series, folder: str) -> pd.Series:
    """File names shown relative to the data folder: a hosted app never shows server paths."""
    prefix = os.path.abspath(folder).rstrip(os.sep) + os.sep  # noqa: PTH100
    return files.where(~files.str.startswith(prefix), files.str.slice(len(prefix)))


def draw(view: View) -> None:
    """The problems table, with a severity choice."""
    st.title("Problems")
    problems = view.corpus.problems
    if problems.empty:
        st.success(f"{plural(view.corpus.files, 'data file')}, all loaded without problems.")
        return
    errors = int((problems["severity"] == "error").sum())
    st.markdown(f"{plural(errors, 'error')} (the record or file was not loaded) and "
                f"{plural(len(problems) - errors, 'warning')} (loaded, with something "
                f"missing), in {plural(problems['file'].nunique(), 'file')}.")
    severity = st.segmented_control("Show", ["error", "warning"], selection_mode="multi",
                                    default=["error", "warning"], key="problems_severity")
    shown = problems[problems["severity"].isin(severity or [])].assign(
        file=lambda t: relative_files(t["file"].astype(str), str(data_dir())))
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "file": st.column_config.TextColumn("file", width="medium"),
        "line": st.column_config.NumberColumn("line", format="%d", width="small"),
        "field": st.column_config.TextColumn("field", width="small"),
        "message": st.column_config.TextColumn("message", width="large"),
        "severity": st.column_config.TextColumn("severity", width="small"),
    })
