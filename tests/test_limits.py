"""The sizes above which views are counted or capped, set through the environment."""

from __future__ import annotations

import pytest

from warlens.limits import CEILING, Limits, read_limits


def test_without_settings_the_defaults_hold() -> None:
    assert read_limits({}) == (Limits(), [])
    assert Limits() == Limits(timeline_bars=1_000, map_places=5_000, table_rows=1_000)


def test_each_limit_is_set_by_its_own_variable() -> None:
    limits, problems = read_limits({"WARLENS_TIMELINE_BARS": "250", "WARLENS_MAP_PLACES": " 800 ",
                                    "WARLENS_TABLE_ROWS": "40"})
    assert limits == Limits(timeline_bars=250, map_places=800, table_rows=40)
    assert problems == []


@pytest.mark.parametrize("raw", ["0", "-5", "1e3", "lots", "2.5", str(CEILING + 1)])
def test_a_wrong_value_is_named_and_its_default_kept(raw: str) -> None:
    limits, problems = read_limits({"WARLENS_MAP_PLACES": raw, "WARLENS_TABLE_ROWS": "7"})
    assert limits == Limits(table_rows=7)
    assert len(problems) == 1
    assert problems[0].startswith(f"WARLENS_MAP_PLACES={raw!r} is not a whole number")
    assert "default 5,000 is used" in problems[0]
