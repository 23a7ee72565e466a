"""How much strictness costs: warlens.yamlio.load_yaml against yaml.load(CSafeLoader).

Generates ~2,000 article-like YAML documents of about 2 KB each (a title, a
source, a date, a few events with places, quotes and actors, a few claims),
parses them all with both readers and prints both timings, the ratio and the
cost extrapolated to 10,000 files. A script, not a test: run it with
`python bench/yaml_speed.py [count]`.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

import yaml

from warlens.yamlio import load_yaml

PLACES = ["Bakhmut", "Kherson", "Mariupol", "Avdiivka", "Kharkiv", "Zaporizhzhia", "Izium"]
ACTORS = ["Russian forces", "Ukrainian forces", "Wagner Group", "local officials", "UN OHCHR"]
WORDS = [
    "shelling", "artillery", "residential", "district", "reported", "civilians", "killed",
    "injured", "according", "to", "regional", "governor", "statement", "drone", "strike",
    "overnight", "power", "station", "damaged", "evacuation", "convoy", "claimed", "denied",
]


def sentence(rng: random.Random, words: int) -> str:
    """A sentence of plausible words."""
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def make_article(rng: random.Random, number: int) -> str:
    """One article file of roughly 2 KB, in the shape the corpus uses."""
    out = [
        f"id: article-{number:05d}",
        f'title: "{sentence(rng, 8)}"',
        f"source: {rng.choice(['Reuters', 'AP', 'Kyiv Independent', 'BBC'])}",
        f"url: https://example.org/news/{number}",
        f"published: 2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "language: en",
        "tags: [shelling, civilians, infrastructure]",
        "events:",
    ]
    for _ in range(rng.randint(3, 5)):
        out += [
            f"  - when: {rng.choice(['2023-05-20', 'early May 2023', 'the night of 4 June'])}",
            f"    place: {rng.choice(PLACES)}",
            f"    actor: {rng.choice(ACTORS)}",
            f"    type: {rng.choice(['shelling', 'airstrike', 'clash'])}",
            f"    fatalities: {rng.randint(0, 40)}",
            "    confidence: 0.8",
            "    quote: >-",
            f"      {sentence(rng, 14)}",
            f"      {sentence(rng, 10)}",
            f"    span: [{rng.randint(0, 2000)}, {rng.randint(2000, 4000)}]",
        ]
    out.append("claims:")
    for _ in range(rng.randint(1, 3)):
        out += [
            f"  - claimant: {rng.choice(ACTORS)}",
            f"    text: '{sentence(rng, 12)}'",
            f"    verdict: {rng.choice(['unverified', 'disputed', 'confirmed'])}",
            "    verified: false",
        ]
    return "\n".join(out) + "\n"


def time_once(read: Callable[[bytes], object], documents: list[bytes]) -> float:
    """CPU seconds to read every document once.

    CPU time rather than wall time, because this machine is shared and wall
    time swings with whatever else runs.
    """
    start = time.process_time()
    for document in documents:
        read(document)
    return time.process_time() - start


def load_baseline(document: bytes) -> object:
    """The fastest lenient reader PyYAML offers."""
    return yaml.load(document, Loader=yaml.CSafeLoader)


def main() -> None:
    """Generate the documents, time both readers, print the comparison."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rng = random.Random(7)  # noqa: S311 - reproducible test data, not secrets
    documents = [make_article(rng, n).encode() for n in range(count)]
    mean_size = sum(map(len, documents)) / count
    # Interleave the rounds so both readers see the same background load; keep the best.
    baseline = strict = float("inf")
    for _ in range(5):
        baseline = min(baseline, time_once(load_baseline, documents))
        strict = min(strict, time_once(load_yaml, documents))
    print(f"{count} documents, mean {mean_size:,.0f} bytes")
    print("best of 5 rounds, CPU time")
    print(f"yaml.load(CSafeLoader): {baseline:.3f} s  ({baseline / count * 1e6:.0f} us/file)")
    print(f"warlens load_yaml:      {strict:.3f} s  ({strict / count * 1e6:.0f} us/file)")
    print(f"ratio load_yaml / yaml.load: {strict / baseline:.2f}")
    print(f"extrapolated to 10,000 files: {baseline * 10_000 / count:.2f} s vs "
          f"{strict * 10_000 / count:.2f} s")


if __name__ == "__main__":
    main()
