"""What tests of imported datasets ask of a corpus: the one event of an article, a day."""

from __future__ import annotations

import datetime

import pandas as pd

from warlens.corpus import Corpus


def event(corpus: Corpus, article: str) -> pd.Series:
    """The one event an imported article (one dataset row) holds."""
    rows = corpus.events[corpus.events["article"] == article]
    assert len(rows) == 1, f"{article} did not load"
    return rows.iloc[0]


def day(text: str) -> pd.Timestamp:
    """An ISO day as the tables hold it."""
    return pd.Timestamp(datetime.date.fromisoformat(text))
