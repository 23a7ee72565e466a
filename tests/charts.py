"""The figures a page drew, as AppTest sees them (warlens/ui/plot.py's chart element)."""

from __future__ import annotations

import json


def figures(where: object) -> list[dict]:
    """Each chart's plotly figure (data and layout), in page order, from an AppTest or
    a block of one (`at.main`)."""
    elements = where.get("bidi_component")  # type: ignore[attr-defined]
    return [json.loads(json.loads(e.proto.json)["figure"]) for e in elements
            if e.proto.component_name == "warlens_plot"]
