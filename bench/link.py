"""How fast and how well `warlens link` links stories at 10,000 and 100,000 articles.

    python bench/link.py [--sizes 10000,100000] [--work /tmp/warlens-link-bench]

For each size it writes (once) a synthetic corpus with `warlens.synth`, whose shared
stories carry their true `story:` slug, then, each step in a fresh process:

* load: `load_corpus` (the compiled cache is used when present: the first run at a size
  is cold), and the events and places tables saved as Parquet; wall time and peak RSS;
* link: from those tables, `link.evaluate` (hide the stories, block, score, cluster at
  the default acceptance threshold, count pairs) and `link.propose` (the proposals a
  `warlens link -o` run writes, with the hand links in place); wall time of each and the
  peak RSS of the process, which holds the tables as a real run does;
* quality: pairwise precision, recall and F1 of the hidden-story run.

Load time is measured apart from link time: linking reads the tables, not the files.
The load average (`uptime`) is printed beside the figures; the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

_LOAD = """
import json, resource, time
from warlens.workspace import load_corpus
t = time.perf_counter()
corpus = load_corpus({folder!r})
seconds = time.perf_counter() - t
corpus.events.to_parquet({events!r})
corpus.places.to_parquet({places!r})
print(json.dumps({{"load_s": seconds, "load_rss_mb":
    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "errors": corpus.n_errors,
    "articles": len(corpus.articles), "events": len(corpus.events)}}))
"""

_LINK = """
import json, resource, time
import pandas as pd
from warlens import link
events, places = pd.read_parquet({events!r}), pd.read_parquet({places!r})
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
scores = link.evaluate(events, places, threshold=link.ACCEPT)
evaluate_s = time.perf_counter() - t
t = time.perf_counter()
found = link.propose(events, places, root={folder!r})
propose_s = time.perf_counter() - t
print(json.dumps({{"evaluate_s": evaluate_s, "propose_s": propose_s,
    "tables_rss_mb": base, "link_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "precision": scores.precision, "recall": scores.recall, "f1": scores.f1,
    "true_pairs": scores.true_pairs, "proposed_pairs": scores.proposed_pairs,
    "candidates": found.candidates, "stories_proposed": len(found.stories)}}))
"""


def _child(code: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603
                          cwd=REPO, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def ensure_corpus(folder: Path, size: int, seed: int) -> float:
    """Write the synthetic corpus unless a complete one is there; the seconds it took."""
    if folder.is_dir() and sum(1 for _ in folder.rglob("*.yaml")) == size:
        return 0.0
    from warlens import synth

    started = time.perf_counter()
    synth.write_corpus(folder, size, seed=seed)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "warlens-link-bench")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        folder = args.work / f"synth-{size}"
        synth_s = ensure_corpus(folder, size, args.seed)
        events, places = args.work / f"events-{size}.parquet", args.work / f"places-{size}.parquet"
        paths = {"folder": str(folder), "events": str(events), "places": str(places)}
        before = load_average()
        result: dict[str, Any] = {"articles": size, "synth_s": synth_s}
        result.update(_child(_LOAD.format(**paths)))
        result.update(_child(_LINK.format(**paths)))
        result["load_average"] = f"{before} (before) / {load_average()} (after)"
        results.append(result)
        print(f"{size:>7} articles, {result['events']} events: load {result['load_s']:.1f} s "
              f"(peak {result['load_rss_mb']:.0f} MB); link (evaluate) "
              f"{result['evaluate_s']:.1f} s, propose {result['propose_s']:.1f} s, peak "
              f"{result['link_rss_mb']:.0f} MB (tables alone {result['tables_rss_mb']:.0f} MB); "
              f"{result['candidates']} candidate pairs; precision {result['precision']:.3f} "
              f"recall {result['recall']:.3f} F1 {result['f1']:.3f} "
              f"({result['true_pairs']} true pairs); {result['load_average']}", flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
