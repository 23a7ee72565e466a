"""How much a page sends the browser: the sizes above which a view is counted or capped.

Every page's payload stays small at any corpus size because of these: a timeline of
more dated events than `timeline_bars` shows counts per week, a map of more places
than `map_places` counts events in grid cells, and a table lists at most
`table_rows` rows (its CSV export has them all). They are set per deployment through
the environment, so a server for fast desktops can raise them and one for phones can
lower them:

    WARLENS_TIMELINE_BARS=1000  WARLENS_MAP_PLACES=5000  WARLENS_TABLE_ROWS=1000

Measured in Chromium (README "Performance"): a timeline bar with its hover costs
about 1.2 kB, so 1,000 bars and their claim markers are about 1.3 MB.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

#: Environment variable of each limit.
ENV = {"timeline_bars": "WARLENS_TIMELINE_BARS", "map_places": "WARLENS_MAP_PLACES",
       "table_rows": "WARLENS_TABLE_ROWS"}
#: No limit may be set above this: past it no page stays under 2 MB.
CEILING = 100_000


@dataclass(frozen=True)
class Limits:
    """The thresholds in force."""

    timeline_bars: int = 1_000
    map_places: int = 5_000
    table_rows: int = 1_000


def read_limits(environ: Mapping[str, str] = os.environ) -> tuple[Limits, list[str]]:
    """The limits the environment sets, and a message for every value it sets wrongly
    (that limit keeps its default)."""
    values: dict[str, int] = {}
    problems: list[str] = []
    for field in fields(Limits):
        raw = environ.get(ENV[field.name], "").strip()
        if not raw:
            continue
        if raw.isdigit() and 1 <= int(raw) <= CEILING:
            values[field.name] = int(raw)
        else:
            problems.append(f"{ENV[field.name]}={raw[:40]!r} is not a whole number from 1 to "
                            f"{CEILING:,}; the default {field.default:,} is used.")
    return Limits(**values), problems
