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
    counts = view.source.problem_counts()
    if not counts["problems"]:
        st.success(f"{plural(view.source.files, 'data file')}, all loaded without problems.")
        return
    errors = counts["errors"]
    st.markdown(f"{plural(errors, 'error')} (the record or file was not loaded) and "
                f"{plural(counts['problems'] - errors, 'warning')} (loaded, with something "
                f"missing), in {plural(counts['files'], 'file')}.")
    severity = st.segmented_control("Show", ["error", "warning"], selection_mode="multi",
                                    default=["error", "warning"], key="problems_severity")
    listed = view.source.problems(severity or [], view.limits.table_rows)
    if listed.capped:
        st.caption(f"The first {len(listed.frame):,} of {listed.total:,}, by file and line.")
    shown = listed.frame.assign(
        file=lambda t: relative_files(t["file"].astype(str), str(data_dir())))
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "file": st.column_config.TextColumn("file", width="medium"),
        "line": st.column_config.NumberColumn("line", format="%d", width="small"),
        "field": st.column_config.TextColumn("field", width="small"),
        "message": st.column_config.TextColumn("message", width="large"),
        "severity": st.column_config.TextColumn("severity", width="small"),
    })
