"""The `warlens` command: validate data folders (and, as they arrive, export and import)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from warlens.corpus import Corpus, data_dir, load_corpus

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def _problem_lines(corpus: Corpus) -> list[str]:
    lines = []
    for p in corpus.problems.itertuples(index=False):
        where = f"{p.file}:{p.line}" if p.line is not None and p.line == p.line else p.file
        label = "" if p.severity == "error" else "warning: "
        lines.append(f"{where}: {p.field}: {label}{p.message}")
    return lines


def cmd_validate(args: argparse.Namespace) -> int:
    """Check article files; print every problem, then a summary line."""
    corpus = load_corpus(args.paths or [data_dir()])
    counts = corpus.counts()
    if args.json:
        problems = [
            {**p, "line": None if p["line"] is None or p["line"] != p["line"] else int(p["line"])}
            for p in corpus.problems.astype(object).where(corpus.problems.notna(), None)
            .to_dict("records")
        ]
        print(json.dumps({**counts, "problems": problems}, ensure_ascii=False, indent=2))
    else:
        for line in _problem_lines(corpus):
            print(line)
        print(f"{counts['articles']} articles, {counts['events']} events, "
              f"{counts['claims']} claims, {counts['places']} places, "
              f"{counts['contested']} contested; "
              f"{corpus.n_errors} errors, {corpus.n_warnings} warnings in {corpus.files} files")
    if corpus.n_errors or (args.strict and corpus.n_warnings):
        return EXIT_ERRORS
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="warlens", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check article files and list every problem")
    validate.add_argument("paths", nargs="*", type=Path,
                          help="files or folders (default: $WARLENS_DATA or data/articles)")
    validate.add_argument("--json", action="store_true", help="print counts and problems as JSON")
    validate.add_argument("--strict", action="store_true", help="warnings also fail (exit 1)")
    validate.set_defaults(run=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `warlens` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
