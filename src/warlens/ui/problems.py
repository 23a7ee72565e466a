"""The problems page: every problem found in the data files, by file and line."""

from __future__ import annotations

import streamlit as st

from warlens.ui.shell import View


def draw(view: View) -> None:
    """The problems table, with a severity choice."""
    st.title("Problems")
    problems = view.corpus.problems
    if problems.empty:
        st.success(f"All {view.corpus.files} data files loaded without problems.")
        return
    errors = int((problems["severity"] == "error").sum())
    st.markdown(f"{errors} errors (the record or file was not loaded) and "
                f"{len(problems) - errors} warnings (loaded, with something missing), "
                f"in {problems['file'].nunique()} files.")
    severity = st.segmented_control("Show", ["error", "warning"], selection_mode="multi",
                                    default=["error", "warning"], key="problems_severity")
    shown = problems[problems["severity"].isin(severity or [])]
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "line": st.column_config.NumberColumn(format="%d"),
    })
