"""The `warlens` command: validate data folders, export views, import other formats.

Everything it prints that came from a file (names, keys, values) goes through
`visible`: a control character in a file name could otherwise retitle the terminal
or overwrite an error line with "all good".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TextIO

import pandas as pd

from warlens import export, formats, query
from warlens.corpus import Corpus
from warlens.problems import Problem
from warlens.workspace import data_dir, load_corpus

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

#: C0 and C1 control characters (DEL included), bidirectional overrides and isolates,
#: and the Unicode line and paragraph separators: none reaches the terminal raw.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                        "\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object) -> str:
    """Text with every control character shown as an escape (ESC as \\x1b): what a
    file name, key or value holds is seen, never obeyed by the terminal."""
    return _INVISIBLE.sub(_escape, str(text))


def say(text: object, stream: TextIO | None = None) -> None:
    """Print one line of output (stdout by default), control characters made visible."""
    print(visible(text), file=stream or sys.stdout)


#: What json.dumps leaves raw (it escapes C0 itself, and its own line breaks must stay).
_JSON_RAW = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                       "\u2066-\u2069]")


def _json_visible(payload: str) -> str:
    """JSON output with the characters json leaves raw (C1, bidi controls) as \\u
    escapes: valid JSON, since they can only occur inside strings."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", payload)


def _n(count: int, noun: str) -> str:
    """'1 article', '6 events'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _problem_lines(corpus: Corpus) -> list[str]:
    lines = []
    for p in corpus.problems.itertuples(index=False):
        where = p.file if pd.isna(p.line) else f"{p.file}:{int(p.line)}"
        label = "" if p.severity == "error" else "warning: "
        lines.append(f"{where}: {p.field}: {label}{p.message}")
    return lines


def _usage(prog: str, message: str) -> int:
    """A usage error: one line on stderr, exit code 2."""
    say(f"{prog}: {message}", sys.stderr)
    return EXIT_USAGE


def _missing(paths: Sequence[Path]) -> list[str]:
    return [str(p) for p in paths if not (p.exists() or p.is_symlink())]


def cmd_validate(args: argparse.Namespace) -> int:
    """Check article files; print every problem, then a summary line."""
    paths = args.paths or [data_dir()]
    missing = _missing(paths)
    if missing:
        hint = "" if args.paths else " (give a folder, or set WARLENS_DATA)"
        return _usage("warlens validate", f"no such file or folder: {', '.join(missing)}"
                      f"{hint}")
    corpus = load_corpus(paths)
    counts = corpus.counts()
    if args.json:
        problems = [
            {**p, "line": None if p["line"] is None or p["line"] != p["line"] else int(p["line"])}
            for p in corpus.problems.astype(object).where(corpus.problems.notna(), None)
            .to_dict("records")
        ]
        print(_json_visible(json.dumps({**counts, "problems": problems}, ensure_ascii=False,
                                       indent=2)))
    else:
        for line in _problem_lines(corpus):
            say(line)
        say(f"{_n(counts['articles'], 'article')}, {_n(counts['events'], 'event')}, "
            f"{_n(counts['claims'], 'claim')}, {_n(counts['places'], 'place')}, "
            f"{counts['contested']} contested; {_n(corpus.n_errors, 'error')}, "
            f"{_n(corpus.n_warnings, 'warning')} in {_n(corpus.files, 'file')}")
        if counts["stories"] or counts["outlets"] > 1 or counts["drafts"]:
            say(f"{_n(counts['outlets'], 'outlet')}; "
                f"{counts['stories']} {'story' if counts['stories'] == 1 else 'stories'}"
                f", {counts['stories_multi_outlet']} reported by 2 or more outlets, "
                f"{counts['stories_contested']} contested; {_n(counts['drafts'], 'draft')}")
    if corpus.n_errors or (args.strict and corpus.n_warnings):
        return EXIT_ERRORS
    return EXIT_OK


#: What `export --table` may name: the filtered table, its export columns, and its GeoJSON.
_EXPORT_TABLES = {
    "events": (query.filter_events, export.EXPORT_EVENT_COLUMNS, export.events_to_geojson),
    "claims": (query.filter_claims, export.EXPORT_CLAIM_COLUMNS, export.claims_to_geojson),
}


def export_params(args: argparse.Namespace) -> dict[str, list[str]]:
    """The export options as URL parameters, so a command and a shared link mean one view."""
    params: dict[str, list[str]] = {}
    for spec in query.FILTERS:
        value = getattr(args, _dest(spec), None)
        if value in (None, False, []):
            continue
        if spec.kind == "names":
            params[spec.param] = list(value)
        elif spec.kind == "flag":
            params[spec.param] = [spec.on if value is True else value]
        else:
            params[spec.param] = [value]
    return params


def _dest(spec: query.FilterSpec) -> str:
    return f"filter_{spec.field}"


def _add_filter_options(parser: argparse.ArgumentParser) -> None:
    """One option per filter of the app's URL, named as its URL parameter."""
    for spec in query.FILTERS:
        flag = "--search" if spec.param == query.P_SEARCH else f"--{spec.param}"
        what = spec.label.lower() or spec.what
        if spec.kind == "names":
            parser.add_argument(flag, action="append", dest=_dest(spec), metavar="NAME",
                                help=f"{what} (repeatable)")
        elif spec.kind == "date":
            parser.add_argument(flag, dest=_dest(spec), metavar="DATE",
                                help=f"{what}: YYYY-MM-DD")
        elif spec.kind == "text":
            parser.add_argument(flag, dest=_dest(spec), metavar="TEXT",
                                help=f"{what} (URL parameter {spec.param})")
        elif spec.kind == "flag" and spec.off is not None:
            parser.add_argument(flag, dest=_dest(spec), choices=(spec.on, spec.off),
                                help=what)
        elif spec.kind == "flag":
            parser.add_argument(flag, dest=_dest(spec), action="store_true", help=what)


def _option_wording(notice: str) -> str:
    """A URL notice reworded for the command line, where the value came from an option."""
    return (notice.replace(" from the link", "").replace("The link's", "The")
            .replace("; they were swapped", ""))


def cmd_export(args: argparse.Namespace) -> int:
    """Write the events or claims in view as CSV or GeoJSON to a file or stdout.

    Filter values go through the same reader as the app's URL, so a value the app
    would drop with a notice is a usage error here (exit 2, nothing written): an
    export that silently ignored a misspelt place would hold the whole corpus.
    """
    prog = "warlens export"
    paths = args.paths or [data_dir()]
    missing = _missing(paths)
    if missing:
        return _usage(prog, f"no such file or folder: {', '.join(missing)}")
    corpus = load_corpus(paths)
    filters, notices = query.filters_from_params(export_params(args), query.vocabulary(corpus))
    if notices:
        wording = "; ".join(_option_wording(n).rstrip(".") for n in notices)
        return _usage(prog, f"{wording}; nothing written (names match without regard to "
                            "case)")
    select, columns, to_geojson = _EXPORT_TABLES[args.table]
    table = export.credited(select(corpus, filters), corpus.articles)
    if args.format == "csv":
        payload, written, skipped = export.to_csv(table, columns, corpus.sources), len(table), 0
    else:
        collection = to_geojson(table, corpus.sources)
        payload = export.encode_geojson(collection)
        written, skipped = len(collection["features"]), collection[export.SKIPPED_MEMBER]
    target = "stdout" if args.output == "-" else args.output
    try:
        if args.output == "-":
            sys.stdout.flush()
            sys.stdout.buffer.write(payload)
            sys.stdout.buffer.flush()
        else:
            Path(args.output).write_bytes(payload)
    except OSError as exc:
        say(f"{prog}: cannot write {target}: {exc.strerror or exc}", sys.stderr)
        return EXIT_ERRORS
    note = f" ({skipped} without coordinates left out)" if skipped else ""
    say(f"wrote {written} {args.table} to {target}{note}", sys.stderr)
    if corpus.n_errors:
        say(f"{prog}: warning: {corpus.n_errors} problems kept some articles or items out "
            "of the export; `warlens validate` lists them", sys.stderr)
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    """Write a synthetic corpus (every file marked synthetic) for tests and benchmarks."""
    from warlens import synth  # the gazetteer it needs is only loaded when asked for

    if args.articles < 0:
        return _usage("warlens synth", "--articles must be 0 or more")
    try:
        written = synth.write_corpus(args.output, args.articles, seed=args.seed)
    except OSError as exc:
        say(f"warlens synth: cannot write {args.output}: {exc.strerror or exc}", sys.stderr)
        return EXIT_ERRORS
    say(f"wrote {args.articles} synthetic articles ({written / 1e6:.1f} MB) to {args.output}",
        sys.stderr)
    return EXIT_OK


def _link_root(paths: Sequence[Path]) -> Path:
    """The folder that proposals' file paths are relative to: the common folder of PATHs."""
    import os

    folders = [os.path.abspath(p if p.is_dir() else p.parent) for p in paths]  # noqa: PTH100
    common = Path(os.path.commonpath(folders))
    try:
        return common.relative_to(Path.cwd())
    except ValueError:
        return common


def cmd_link(args: argparse.Namespace) -> int:
    """Propose story links (-o), apply reviewed ones (--apply), or score them (--evaluate)."""
    import time

    prog = "warlens link"
    if args.apply is not None:
        if args.paths or args.output or args.evaluate:
            say(f"{prog}: --apply takes only the proposals file", sys.stderr)
            return EXIT_USAGE
        return _apply_links(prog, args.apply)
    if not 0 < args.threshold <= 1:
        say(f"{prog}: --threshold must be above 0 and at most 1", sys.stderr)
        return EXIT_USAGE
    if not args.evaluate and not args.output:
        say(f"{prog}: give -o PROPOSALS.yaml, --apply PROPOSALS.yaml or --evaluate",
    sys.stderr)
        return EXIT_USAGE
    paths = args.paths or [data_dir()]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        for path in missing:
            say(f"{prog}: {path}: no such file or folder", sys.stderr)
        return EXIT_USAGE
    started = time.perf_counter()
    corpus = load_corpus(paths)
    load_time = time.perf_counter() - started
    if corpus.n_errors:
        say(f"{prog}: warning: {corpus.n_errors} problems kept some items out; "
              "`warlens validate` lists them", sys.stderr)
    if args.evaluate:
        return _evaluate_links(corpus, args.threshold, load_time)
    return _propose_links(prog, corpus, paths, args.output, args.threshold, load_time)


def _apply_links(prog: str, proposals: Path) -> int:
    """`link --apply`: write the accepted stories of a reviewed proposals file."""
    from warlens import storyedit
    from warlens.problems import WarlensError

    try:
        doc = storyedit.read_proposals(proposals)
    except OSError as exc:
        say(f"{prog}: {proposals}: {exc.strerror or exc}", sys.stderr)
        return EXIT_USAGE
    except WarlensError as exc:
        say(f"{prog}: {proposals}: {exc.message}", sys.stderr)
        return EXIT_ERRORS
    root = storyedit.proposals_root(doc, proposals)
    outcomes = storyedit.apply_proposals(doc, root)
    for outcome in outcomes:
        say(outcome)
    counts = {s: sum(o.status == s for o in outcomes) for s in (
        storyedit.WRITTEN, storyedit.UNCHANGED, storyedit.CONFLICT, storyedit.SKIPPED)}
    say(", ".join(f"{n} {s}" for s, n in counts.items()) + f" (files under {root})")
    return EXIT_ERRORS if counts[storyedit.CONFLICT] else EXIT_OK


def _evaluate_links(corpus: Corpus, threshold: float, load_time: float) -> int:
    """`link --evaluate`: score the proposals against the corpus's own story links, both
    at the accept-by-default level and at the proposal threshold."""
    import time

    from warlens import link

    started = time.perf_counter()
    lines = []
    for label, level in (("accepted by default", max(link.ACCEPT, threshold)),
                         ("all proposed", threshold)):
        scores = link.evaluate(corpus.events, corpus.places, threshold=level)
        lines.append(f"{label} (score >= {level}):\n{link.format_scores(scores)}")
    for line in "\n".join(lines).splitlines():
        say(line)
    say(f"load {load_time:.1f} s, link {time.perf_counter() - started:.1f} s",
    sys.stderr)
    return EXIT_OK


def _propose_links(prog: str, corpus: Corpus, paths: Sequence[Path], output: str,
                   threshold: float, load_time: float) -> int:
    """`link -o`: write the proposed stories to a file for review, with how to apply it."""
    import time

    from warlens import link
    from warlens.yamlio import dump_yaml

    started = time.perf_counter()
    root = _link_root(paths)
    found = link.propose(corpus.events, corpus.places, root=str(root), threshold=threshold)
    link_time = time.perf_counter() - started
    accepted = sum(1 for s in found.stories if s["accept"])
    doc = {"root": root.as_posix(), "stories": found.stories}
    header = ("# Story links proposed by `warlens link`. Review each story: set accept to\n"
              "# true or false (or change the slug), then run\n"
              f"#   warlens link --apply {output}\n"
              "# root: the data folder the files are relative to.\n")
    try:
        Path(output).write_text(header + dump_yaml(doc), encoding="utf-8")
    except OSError as exc:
        say(f"{prog}: cannot write {output}: {exc.strerror or exc}", sys.stderr)
        return EXIT_ERRORS
    say(f"proposed {len(found.stories)} stories ({accepted} accepted by default, "
        f"{len(found.stories) - accepted} to decide) to {output}; "
        f"{found.events} events, {found.skipped} without a place or a date sharp enough to link, "
        f"{found.candidates} pairs compared; load {load_time:.1f} s, "
        f"link {link_time:.1f} s", sys.stderr)
    return EXIT_OK


def _import_files(fmt: str, sources: Sequence[Path]
                  ) -> tuple[list[tuple[Path, str | None]], list[str], list[Problem]]:
    """The files to read, each with its data folder: files as given, folders searched
    with the format's detector (the folder walk's rules: no link leading out of the
    folder is followed, no FIFO or device opened).

    A TimeMap side file (export_sources.json...) given by name stands for its export's
    export_events.json, which is read once. Returns the files, the usage errors (a
    missing path, a folder holding nothing the format recognises) and the problems the
    walk found.
    """
    from warlens.corpus import list_files

    reads = formats.registry()[fmt]
    files: list[tuple[Path, str | None]] = []
    errors: list[str] = []
    walked: list[Problem] = []
    for src in sources:
        if not (src.exists() or src.is_symlink()):
            errors.append(f"{src}: no such file or folder")
        elif src.is_dir():
            listing = list_files([src])
            walked.extend(listing.problems)
            found = [(Path(p), r) for p, r in zip(listing.paths, listing.roots, strict=True)
                     if p.lower().endswith(reads.suffixes) and reads.detect(Path(p))]
            if not found:
                errors.append(f"{src}: holds no file the {fmt} reader recognises")
            files.extend(found)
        elif reads.main_file is not None and reads.is_side_file(src):
            main = reads.main_file(src)
            if not main.is_file():
                errors.append(f"{src}: a {reads.label} side file, read along with an "
                              f"{main.name}, but there is none beside it")
            files.append((main, str(main.resolve().parent)))
        else:  # a file named by the user: its side files may lie beside where it really is
            files.append((src, str(src.resolve().parent)))
    unique: dict[str, tuple[Path, str | None]] = {}
    for path, root in files:
        unique.setdefault(str(Path(path).resolve()), (path, root))
    return list(unique.values()), errors, walked


def _read_labels(path: Path) -> tuple[object | None, str | None]:
    """The label map of --labels, or the one-line usage error saying why it is unusable."""
    from warlens import boundary
    from warlens.formats.labels import load_label_map
    from warlens.problems import WarlensError

    try:
        return load_label_map(path), None
    except WarlensError as exc:
        return None, str(exc.to_problem(str(path)))
    except OSError as exc:
        if isinstance(exc, boundary.Refused) or path.exists():
            return None, f"{path}: cannot be read: {exc.strerror or exc}"
        return None, f"{path}: no such labels file"


def cmd_import(args: argparse.Namespace) -> int:
    """Read files of another format, write one native YAML article per record, validate them.

    Problems found while reading point at the source file's line; problems found when
    the written articles are validated point at the YAML file, which is the one to fix.
    A file already in the output folder with other content is only replaced with
    --overwrite, so hand edits to an earlier import are never lost silently. The last
    line counts what happened: written, unchanged (already there, the same) and skipped.
    """
    prog = "warlens import"
    options, usage = _reader_options(args.format, args.labels)
    if usage is not None:
        return _usage(prog, usage)
    files, usages, problems = _import_files(args.format, args.sources)
    if usages:
        return _usage(prog, "; ".join(usages))
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        say(f"{prog}: cannot create {args.output}: {exc.strerror or exc}", sys.stderr)
        return EXIT_ERRORS
    run = _ImportRun(args.output, args.overwrite, problems)
    reader = formats.registry()[args.format].read
    for path, root in files:
        shown = str(path)
        try:
            imported = reader(path, shown, root=root, **options)
        except OSError as exc:
            problems.append(Problem(shown, None, "(file)",
                                    f"cannot be read: {exc.strerror or exc}"))
            continue
        problems.extend(imported.problems)
        for doc, lines in imported.docs:
            run.write(doc, shown, lines.get(()))
    return _report_import(run, len(files))


def _reader_options(fmt: str, labels: Path | None) -> tuple[dict[str, object], str | None]:
    """The keywords for the format's reader (a --labels map), or a usage error."""
    if labels is None:
        return {}, None
    labelled = [name for name, reads in formats.registry().items() if reads.takes_labels]
    if fmt not in labelled:
        return {}, f"--labels applies to {' and '.join(labelled)} only, not {fmt}"
    label_map, problem = _read_labels(labels)
    if problem is not None:
        return {}, f"--labels: {problem}"
    return {"label_map": label_map}, None


@dataclass
class _ImportRun:
    """The articles one `warlens import` wrote: where, what it stands for, what it skipped.

    `done` holds the files written or found unchanged (the articles the import stands
    for, validated at the end); `origin` remembers where each article id came from, so
    the same record in two sources is written once and the second is named.
    """

    output: Path
    overwrite: bool
    problems: list[Problem]
    done: list[Path] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)
    written: int = 0
    unchanged: int = 0
    skipped: int = 0

    def write(self, doc: object, shown: str, line: int | None) -> None:
        """Write one imported article document as <id>.yaml, or say why not."""
        from warlens.model import SLUG_RE
        from warlens.yamlio import dump_yaml

        article_id = doc.get("id") if isinstance(doc, dict) else None
        if not isinstance(article_id, str) or not SLUG_RE.fullmatch(article_id):
            self._skip(Problem(shown, line, "id", f"no usable article id ({article_id!r}); "
                               "not written"))
            return
        if article_id in self.origin:
            self._skip(Problem(shown, line, "id", f"article id '{article_id}' was already "
                               f"imported from {self.origin[article_id]}; not written"))
            return
        self.origin[article_id] = f"{shown}:{line}"
        self._store(self.output / f"{article_id}.yaml", dump_yaml(doc).encode("utf-8"))

    def _store(self, target: Path, payload: bytes) -> None:
        """Write the bytes unless the file holds them already or holds a hand edit."""
        from warlens.problems import WARNING

        try:
            old = target.read_bytes() if target.is_file() else None
            if old == payload:
                self.unchanged += 1
            elif old is not None and not self.overwrite:
                self._skip(Problem(str(target), None, "(file)", "already exists with other "
                                   "content; kept as it is (use --overwrite to replace it)",
                                   WARNING))
                return
            else:
                target.write_bytes(payload)
                self.written += 1
        except OSError as exc:
            self._skip(Problem(str(target), None, "(file)",
                               f"cannot be written: {exc.strerror or exc}"))
            return
        self.done.append(target)

    def _skip(self, problem: Problem) -> None:
        self.problems.append(problem)
        self.skipped += 1


def _report_import(run: _ImportRun, n_files: int) -> int:
    """Validate what the import stands for, print every problem and the count line."""
    from warlens.problems import ERROR

    corpus = load_corpus(run.done)
    for problem in run.problems:
        say(problem)
    for line in _problem_lines(corpus):
        say(line)
    counts = corpus.counts()
    n_problems = len(run.problems) + len(corpus.problems)
    say(f"imported {_n(counts['articles'], 'article')} ({_n(counts['events'], 'event')}) "
        f"from {_n(n_files, 'file')}: {run.written} written, {run.unchanged} unchanged, "
        f"{run.skipped} skipped; {_n(n_problems, 'problem')}")
    errors = corpus.n_errors + sum(p.severity == ERROR for p in run.problems)
    return EXIT_ERRORS if errors else EXIT_OK


def cmd_annotate(args: argparse.Namespace) -> int:
    """Draft annotations for a raw text file, or score the drafter against a hand annotation."""
    prog = "warlens annotate"
    if args.evaluate is not None:
        if args.file is not None:
            say(f"{prog}: give either FILE.txt or --evaluate GOLD.yaml, not both", sys.stderr)
            return EXIT_USAGE
        return _evaluate_drafter(prog, args.evaluate)
    if args.file is None or args.published is None:
        say(f"{prog}: give FILE.txt and --published DATE (or --evaluate GOLD.yaml)", sys.stderr)
        return EXIT_USAGE
    return _draft_file(prog, args)


def _evaluate_drafter(prog: str, gold_path: Path) -> int:
    """`annotate --evaluate`: draft a hand-annotated article's text, print the scores."""
    from warlens import annotate, dates
    from warlens.problems import WarlensError
    from warlens.yamlio import load_yaml

    if not gold_path.is_file():
        say(f"{prog}: {gold_path}: no such file", sys.stderr)
        return EXIT_USAGE
    try:
        gold, _ = load_yaml(gold_path.read_bytes())
        if not isinstance(gold, dict) or not isinstance(gold.get("text"), str):
            raise WarlensError("not an article: it has no text")
        published = dates.parse_published(gold.get("published"))
        if published.end is None:
            raise WarlensError("its published date gives no day")
        draft = annotate.draft_article(gold["text"], published=published.end,
                                       title=gold.get("title"), outlet=gold.get("outlet"))
        scores = annotate.evaluate(draft, gold)
    except WarlensError as exc:
        say(f"{prog}: {gold_path}: {exc.message}", sys.stderr)
        return EXIT_ERRORS
    for line in annotate.format_scores(scores).split("\n"):
        say(line)
    return EXIT_OK


def _draft_file(prog: str, args: argparse.Namespace) -> int:
    """`annotate FILE.txt`: write a draft article for the text, every item marked draft."""
    from warlens import annotate, dates
    from warlens.article import read_article_doc
    from warlens.problems import WarlensError
    from warlens.yamlio import dump_yaml

    if not args.file.is_file():
        say(f"{prog}: {args.file}: no such file", sys.stderr)
        return EXIT_USAGE
    try:
        text = args.file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        say(f"{prog}: {args.file}: not UTF-8 text (byte {exc.start}); save it as UTF-8", sys.stderr)
        return EXIT_ERRORS
    try:
        published = dates.parse_published(args.published).end
    except WarlensError as exc:
        say(f"{prog}: --published: {exc.message}", sys.stderr)
        return EXIT_USAGE
    try:
        doc = annotate.draft_article(text, published=published or args.published,
                                     title=args.title, outlet=args.outlet, url=args.url,
                                     article_id=args.id)
    except WarlensError as exc:
        say(f"{prog}: {args.file}: {exc.message}", sys.stderr)
        return EXIT_ERRORS
    _, problems = read_article_doc(doc, str(args.output))
    for problem in problems:  # a draft that does not load is a bug; say so, still write it
        say(f"{prog}: warning: {problem.field}: {problem.message}", sys.stderr)
    payload = dump_yaml(doc)
    target = "stdout" if args.output == "-" else args.output
    try:
        if args.output == "-":
            sys.stdout.write(payload)
        else:
            Path(args.output).write_text(payload, encoding="utf-8")
    except OSError as exc:
        say(f"{prog}: cannot write {target}: {exc.strerror or exc}", sys.stderr)
        return EXIT_ERRORS
    say(f"drafted {len(doc['places'])} places, {len(doc['events'])} events and "
        f"{len(doc['claims'])} claims to {target}; every item is marked draft: true", sys.stderr)
    return EXIT_ERRORS if problems else EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    """Compile a data folder (and any event CSVs given) into an engine; print what happened."""
    from warlens.engine import EngineError
    from warlens.engine.build import build
    from warlens.engine.bulk import FORMATS, BulkError, bulk_format

    folder = args.path or data_dir()
    if not folder.is_dir():
        return _usage("warlens build", f"no such folder: {folder}")
    if args.format and args.format not in FORMATS:
        return _usage("warlens build", f"loading {args.format} files in bulk is not written "
                      f"yet (formats: {', '.join(FORMATS)}); without --events they are read "
                      "like any file")
    for events in args.events if args.format else ():
        found = bulk_format(events.resolve(), folder.resolve())
        if found is not None and found != args.format:
            return _usage("warlens build", f"{events} is a {found} file, not {args.format}")
    try:
        report = build(folder, args.engine, fresh=args.fresh, bulk=args.events)
    except (EngineError, BulkError) as exc:
        return _usage("warlens build", str(exc))
    for line in report.problems:
        say(line)
    say(report.summary())
    return EXIT_ERRORS if report.errors else EXIT_OK


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error said in one line (and exit 2), not usage and error."""

    def error(self, message: str) -> NoReturn:
        say(f"{self.prog}: {message} (see {self.prog} --help)", sys.stderr)
        raise SystemExit(EXIT_USAGE)


@dataclass(frozen=True)
class Option:
    """One argument of a subcommand: the names and keywords `add_argument` takes."""

    names: tuple[str, ...]
    spec: dict[str, Any]


def _option(*names: str, **spec: Any) -> Option:
    return Option(names, spec)


def _output(metavar: str, what: str, **spec: Any) -> Option:
    """The -o/--output option; what it names (a file, a folder, '-') is the subcommand's."""
    return _option("-o", "--output", metavar=metavar, help=what, **spec)


#: The files or folders a subcommand reads as a corpus.
PATHS = _option("paths", nargs="*", type=Path,
                help="files or folders (default: $WARLENS_DATA or data/articles)")


@dataclass(frozen=True)
class Command:
    """One `warlens` subcommand: its name, what runs it, its help, and its options.

    `derived` adds options that follow from elsewhere (export's filters, from
    query.FILTERS) after the listed ones.
    """

    name: str
    run: Callable[[argparse.Namespace], int]
    help: str
    options: tuple[Option, ...]
    description: str | None = None
    derived: Callable[[argparse.ArgumentParser], None] | None = None


def _import_help() -> tuple[str, Option]:
    """The `import` one-line help and FORMAT argument, from the formats that import."""
    names = formats.importable()
    labels = [formats.registry()[name].label for name in names]
    return (f"turn {', '.join(labels[:-1])} or {labels[-1]} files into articles",
            _option("format", choices=names, metavar="FORMAT", help=f"one of {', '.join(names)}"))


def commands() -> tuple[Command, ...]:
    """Every subcommand, in the order `warlens --help` lists them.

    A function rather than a constant: the import entry asks the format registry,
    which is only loaded when a parser is built.
    """
    import_help, import_format = _import_help()
    return (
        Command("validate", cmd_validate, "check article files and list every problem", (
            PATHS,
            _option("--json", action="store_true", help="print counts and problems as JSON"),
            _option("--strict", action="store_true", help="warnings also fail (exit 1)"),
        )),
        Command("export", cmd_export, "write the events or claims in view as CSV or GeoJSON", (
            PATHS,
            _output("FILE", "where to write; '-' for stdout", required=True),
            _option("--format", choices=("csv", "geojson"), default="csv",
                    help="file format (default: csv)"),
            _option("--table", choices=tuple(_EXPORT_TABLES), default="events",
                    help="what to export (default: events); claims sit at their place"),
        ), description="Write the events or claims in view as CSV (UTF-8 with BOM, "
                       "formula cells neutralised) or RFC 7946 GeoJSON. Filters take the "
                       "same names and values as the app's URL parameters; an unknown value "
                       "is a usage error (exit 2).",
            derived=_add_filter_options),
        Command("synth", cmd_synth, "write a synthetic corpus for tests and benchmarks", (
            _option("--articles", type=int, required=True, metavar="N",
                    help="how many articles to write"),
            _option("--seed", type=int, default=0, metavar="S", help="random seed (default 0)"),
            _output("DIR", "folder to write into (created if missing)", type=Path,
                    required=True),
        ), description="Write N synthetic article files (real towns, made-up events, every "
                       "article tagged 'synthetic') that validate with zero errors. The same "
                       "seed always writes the same files."),
        Command("import", cmd_import, import_help, (
            import_format,
            _option("sources", nargs="+", type=Path, metavar="SRC",
                    help="files or folders to read"),
            _output("DIR", "folder to write the articles into (created if missing)",
                    type=Path, required=True),
            _option("--labels", type=Path, metavar="FILE",
                    help="label map laid over the default one (labelstudio and brat only); "
                         "without it, a .warlens-labels.yaml in the source's folder or one "
                         "above it, up to the folder given, is used"),
            _option("--overwrite", action="store_true",
                    help="replace articles already in DIR whose content differs"),
        ), description="Read files of another format and write one native YAML article per "
                       "record into DIR (named <id>.yaml), then validate what was written. "
                       "A folder SRC is searched for the files the format recognises. "
                       "Exit 0 without errors, 1 with errors, 2 on a usage error."),
        Command("annotate", cmd_annotate,
                "draft places, dates, events and claims from a raw text", (
            _option("file", nargs="?", type=Path, metavar="FILE.txt",
                    help="the article's text, UTF-8"),
            _option("--published", metavar="DATE",
                    help="the article's published date, YYYY-MM-DD (relative dates "
                         "resolve against it)"),
            _option("--title", metavar="T", help="title (default: the first sentence)"),
            _option("--outlet", metavar="O", help="outlet (default: unknown)"),
            _option("--url", metavar="U", help="the article's web address"),
            _option("--id", metavar="SLUG", help="article id (default: from title and date)"),
            _output("FILE", "where to write the YAML; '-' for stdout (default)", default="-"),
            _option("--evaluate", type=Path, metavar="GOLD.yaml",
                    help="score the drafter against this hand-annotated article"),
        ), description="Draft a native article file from a plain-text article: places from "
                       "the gazetteer, dates, events and claims, each marked draft: true for "
                       "review. With --evaluate, draft the text of a hand-annotated article "
                       "and print precision and recall against it."),
        Command("link", cmd_link,
                "propose which events of different articles are the same story", (
            PATHS,
            _output("PROPOSALS.yaml", "where to write the proposals"),
            _option("--apply", type=Path, metavar="PROPOSALS.yaml",
                    help="write the accepted stories of a reviewed proposals file"),
            _option("--evaluate", action="store_true",
                    help="print pairwise precision, recall and F1 against the story links"),
            _option("--threshold", type=float, default=0.75, metavar="T",
                    help="propose pairs scoring T or more, 0 to 1 (default 0.75); stories "
                         "whose links all score 0.80 or more are accepted by default"),
        ), description="Propose which events of different articles report the same "
                       "real-world story (same place, overlapping dates, similar type and "
                       "words) and write the proposals to a file to review (-o); write the "
                       "accepted ones into the article files as `story:` (--apply); or hide "
                       "the existing story links and score the proposals against them "
                       "(--evaluate). docs/linking.md explains the scores."),
        Command("build", cmd_build, "compile a data folder into a query engine "
                "(DuckDB, PostgreSQL, Spark), changed files only", (
            _option("path", nargs="?", type=Path,
                    help="the data folder (default: $WARLENS_DATA or data/articles)"),
            _option("--engine", metavar="URL", default=None,
                    help="duckdb://PATH, postgres://USER:PASSWORD@HOST/DB or "
                         "pyspark://local[N] (default: $WARLENS_ENGINE, else a DuckDB file in "
                         "the folder's .warlens/)"),
            _option("--events", metavar="FILE", type=Path, action="append", default=[],
                    help="an event dataset CSV inside the folder to load in bulk (repeatable)"),
            _option("--format", choices=("acled", "ucdp", "gdelt"), default=None,
                    help="the format of the --events files, checked against each (default: "
                         "recognised from the file)"),
            _option("--fresh", action="store_true", help="drop what the engine holds first"),
        ), description="Compile a data folder into a query engine: articles, events, claims, "
                       "places, stories and problems, re-reading only the files that changed. "
                       "Event dataset CSVs given with --events load straight into the engine, "
                       "each row keeping its file and line. docs/engines.md says which engine "
                       "to use when."),
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand, built from `commands()`."""
    parser = _Parser(prog="warlens", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for command in commands():
        child = sub.add_parser(command.name, help=command.help, description=command.description)
        for option in command.options:
            child.add_argument(*option.names, **option.spec)
        if command.derived is not None:
            command.derived(child)
        child.set_defaults(run=command.run)
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
