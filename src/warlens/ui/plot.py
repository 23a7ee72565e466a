"""The chart element every page draws plotly figures with.

Streamlit's `st.plotly_chart` loads the whole of plotly.js (50 trace types, 4.8 MB) in the
browser; a new visitor's timeline or map then took 0.6-0.8 s longer to draw than the
same figure drawn by the plotly.js build in static/ (`scripts/build_plotly.sh`: core,
bar and scattermap, the traces warlens/figures.py makes; the measurements are in
docs/engines.md). `chart()` draws with that build through a Streamlit component (ui/plot.js,
in the page itself, no iframe) and returns the points a reader clicked, boxed or
lassoed, as `st.plotly_chart(on_select="rerun")` did.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from warlens.figures import note_of
from warlens.ui.routes import PLOTLY_BUNDLE as BUNDLE
from warlens.ui.safe import md_escape

#: How a reader may select: "points" (a click), "box", "lasso".
MODES = ("points", "box", "lasso")
#: Plotly's height when a figure sets none.
DEFAULT_HEIGHT = 450
_SELECT_BUTTONS = {"box": "select2d", "lasso": "lasso2d"}

_COMPONENT = st.components.v2.component(
    "warlens_plot", js=Path(__file__).with_name("plot.js").read_text(encoding="utf-8"),
    # In the page's own DOM: plotly adds its styles to the document's head.
    isolate_styles=False)


def app_url(path: str) -> str:
    """The URL of `path` under the app's address (follows server.baseUrlPath)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/{path}" if base else f"/{path}"


def static_url(name: str) -> str:
    """The URL of a file in static/, served by Streamlit."""
    return app_url(f"app/static/{name}")


def chart(fig: go.Figure, *, key: str, modes: Sequence[str] = ("points",),
          scroll_zoom: bool = False) -> list[dict]:
    """Draw `fig` across the page; the points the reader selected in this rerun, if any.

    Each point is a dict of `curve_number`, `point_index`, `customdata` and its
    coordinates (`x`/`y` or `lat`/`lon`). A selection is an action, not a state: the
    next rerun returns no points, so a page turns it into the view (the URL) at once.
    The figure's note (what its short title leaves out) is a caption under it.
    """
    unknown = set(modes) - set(MODES)
    if unknown:
        raise ValueError(f"selection modes are {MODES}, not {sorted(unknown)}")
    config = {"displaylogo": False, "scrollZoom": scroll_zoom,
              "modeBarButtonsToRemove": [button for mode, button in _SELECT_BUTTONS.items()
                                         if mode not in modes]}
    result = _COMPONENT(
        data={"figure": fig.to_json(), "src": static_url(BUNDLE), "modes": list(modes),
              "config": config, "height": fig.layout.height or DEFAULT_HEIGHT},
        key=key, on_select_change=_nothing)
    note = note_of(fig)
    if note:
        st.caption(md_escape(note))
    picked = getattr(result, "select", None)
    points = picked.get("points") if isinstance(picked, dict) else None
    return [p for p in points if isinstance(p, dict)] if isinstance(points, list) else []


def _nothing() -> None:
    """A selection reruns the page (Streamlit asks for a callback to do so)."""
