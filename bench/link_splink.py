"""The other engine measured for `warlens link`: Splink (Fellegi-Sunter, trained by EM) on DuckDB.

    python bench/link_splink.py EVENTS.parquet PLACES.parquet [--threshold 0.9]

Not used by warlens itself: this is how the choice in docs/linking.md was measured.
It reads the events and places tables (as `bench/link.py --save` writes them), links
them with Splink using the same blocking warlens uses (same place, overlapping dates,
one of the two dated within a week; written as Splink blocking rules) and comparisons
on the same evidence (type, date, distance, summary and quote similarity, actors),
trains the model unsupervised (u by random sampling, m by EM), clusters with Splink's
connected components, and prints time, peak memory and pairwise precision/recall/F1
against the `story:` links, counted exactly as `warlens link --evaluate` counts them.
Needs `pip install splink` (not a warlens dependency).
"""

from __future__ import annotations

import argparse
import logging
import resource
import time

import numpy as np
import pandas as pd

from warlens import link
from warlens.model import Col


def frame(events: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """The linkable events as Splink's input table."""
    prep = link.prepare(events.assign(**{Col.STORY: ""}), places).events
    key = np.where(prep["geonames"].notna(), "g" + prep["geonames"].astype(str),
                   "n" + prep[Col.PLACE_NAME].fillna("").str.lower() + "|"
                   + prep[Col.COUNTRY].fillna("").astype(str))
    return pd.DataFrame({
        "unique_id": prep[Col.KEY], "article": prep[Col.ARTICLE], "type": prep[Col.TYPE],
        "place_key": key, "lat": prep[Col.LAT], "lon": prep[Col.LON],
        "day0": prep["day0"], "day1": prep["day1"], "span": prep["span"],
        "summary": link._without_place(prep[Col.SUMMARY], prep[Col.PLACE_NAME]),
        "quote": link._without_place(prep[Col.QUOTE], prep[Col.PLACE_NAME]),
        "actors": [sorted({a.lower() for a in str(v).split("; ") if a})
                   for v in prep[Col.ACTORS]],
    })


def run(events: pd.DataFrame, places: pd.DataFrame, threshold: float) -> None:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    table = frame(events, places)
    blocking = ("l.place_key = r.place_key and l.article <> r.article "
                "and l.day0 <= r.day1 + 1 and r.day0 <= l.day1 + 1 "
                "and least(l.span, r.span) <= 7")
    dates = cl.CustomComparison(
        output_column_name="date",
        comparison_levels=[
            cll.CustomLevel("span_l = 1 and span_r = 1 and day0_l = day0_r", "same day"),
            cll.CustomLevel("day0_l <= day1_r and day0_r <= day1_l and "
                            "greatest(span_l, span_r) <= 4", "overlap, within days"),
            cll.CustomLevel("day0_l <= day1_r and day0_r <= day1_l", "overlap"),
            cll.ElseLevel(),
        ])
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[blocking],
        comparisons=[
            cl.ExactMatch("type"),
            dates,
            cl.DistanceInKMAtThresholds("lat", "lon", [1, 10, 25]),
            cl.JaroWinklerAtThresholds("summary", [0.95, 0.85, 0.7]),
            cl.JaroWinklerAtThresholds("quote", [0.95, 0.85, 0.7]),
            cl.ArrayIntersectAtSizes("actors", [2, 1]),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    linker = Linker(db.register(table), settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("place_key", "day0", "type")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        "l.place_key = r.place_key and l.day0 = r.day0")
    linker.training.estimate_parameters_using_expectation_maximisation(
        "l.type = r.type and l.place_key = r.place_key and l.day0 <= r.day1 + 7 "
        "and r.day0 <= l.day1 + 7")
    trained = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold).as_pandas_dataframe()
    done = time.perf_counter()
    n_pairs = predictions.as_pandas_dataframe().shape[0]
    sizes = clusters.groupby("cluster_id")["unique_id"].transform("size")
    members = clusters.loc[sizes > 1, ["unique_id", "cluster_id"]].rename(
        columns={"unique_id": Col.KEY, "cluster_id": "cluster"})
    truth = events[[Col.KEY, Col.ARTICLE, Col.STORY]].fillna({Col.STORY: ""})
    members = members.merge(truth, on=Col.KEY, how="left")
    gold = truth[truth[Col.STORY] != ""]
    both = members[members[Col.STORY] != ""]
    scores = link.Scores(
        true_pairs=link._cross_article_pairs(gold, [Col.STORY]),
        proposed_pairs=link._cross_article_pairs(members, ["cluster"]),
        correct_pairs=link._cross_article_pairs(both, ["cluster", Col.STORY]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"splink: {len(table)} events; train {trained - started:.1f} s, predict+cluster "
          f"{done - trained:.1f} s, total {done - started:.1f} s; {n_pairs} pairs at "
          f">= {threshold}; peak RSS {peak:.0f} MB")
    print(link.format_scores(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events")
    parser.add_argument("places")
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args()
    run(pd.read_parquet(args.events), pd.read_parquet(args.places), args.threshold)


if __name__ == "__main__":
    main()
