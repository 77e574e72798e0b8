"""Command line: ``python -m bot [run | console | ask | onthisday | timeline | check | add-document | draft]``.

With no subcommand, Safeer runs the Discord bot when ``DISCORD_TOKEN`` is set and the offline
console otherwise. Bad input gets one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import runtime
from .core import queries
from .core.answers import anniversary_json
from .core.ask import AskResult, ask, ask_json, render_ask_text
from .core.errors import CommandError
from .core.library import Library
from .core.load_options import LoadOptions
from .core.problems import DataError
from .core.question import clean_question
from .core.results import NotFound
from .core.text_render import render_text
from .core.when import home_today, precision_of
from .settings import SettingsError, data_dirs, load_env_file, load_options, state_dir, token_is_set


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, exit 2: scripts and people both read it."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="safeer", description="Sourced briefs on Pakistan–Azerbaijan relations.")
    p.add_argument("--briefs", metavar="DIR", help="briefs folder (env SAFEER_BRIEFS_DIR)")
    p.add_argument("--corpus", metavar="DIR", help="corpus folder (env SAFEER_CORPUS_DIR)")
    # The folders may also come after the subcommand (`safeer check --briefs DIR`); SUPPRESS keeps
    # a subcommand's parser from overwriting values given before it.
    folders = _Parser(add_help=False)
    folders.add_argument("--briefs", metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    folders.add_argument("--corpus", metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)", parents=[folders])
    sub.add_parser("console", help="interactive prompt with the bot's commands, offline", parents=[folders])
    ask = sub.add_parser("ask", parents=[folders], help="answer one query (or one per line with --stdin)")
    ask.add_argument("query", nargs="?")
    ask.add_argument("--stdin", action="store_true", help="read one query per line")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--limit", type=int, default=3)
    otd = sub.add_parser("onthisday", parents=[folders], help="events on a day in past years (default: today in Karachi)")
    otd.add_argument("day", nargs="?", help="MM-DD or YYYY-MM-DD")
    otd.add_argument("--json", action="store_true")
    tl = sub.add_parser("timeline", parents=[folders], help="all dated events in order")
    tl.add_argument("topic", nargs="*", help="a brief to limit to, then optional from/to years")
    tl.add_argument("--json", action="store_true")
    sub.add_parser("check", parents=[folders], help="validate briefs and corpus; exit 1 listing every problem")
    add = sub.add_parser("add-document", parents=[folders], help="add a .txt, .md, .html or .pdf file to the corpus")
    add.add_argument("path")
    add.add_argument("--id", help="the document id (default: kind, date and title words)")
    add.add_argument("--published", help="the date when the document shows none: YYYY-MM-DD, YYYY-MM or YYYY")
    add.add_argument("--json", action="store_true")
    dr = sub.add_parser("draft", parents=[folders], help="propose the brief of one corpus document")
    dr.add_argument("document", metavar="DOCUMENT_ID")
    dr.add_argument("--json", action="store_true")
    dr.add_argument("--out", metavar="FILE", help="write the brief as YAML that passes check (nothing is "
                    "written into briefs/ otherwise)")
    return p


def _fail(message: str, code: int = 2) -> NoReturn:
    print(f"safeer: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def _options() -> LoadOptions:
    try:
        return load_options()
    except SettingsError as exc:
        _fail(str(exc))


def _load(args: argparse.Namespace) -> Library:
    briefs, corpus = data_dirs(args.briefs, args.corpus)
    options = _options()
    try:
        with runtime.start_up():
            return Library.load(briefs, corpus, options=options)
    except DataError as exc:
        print(f"safeer: the data has {len(exc.problems)} problem(s); run `python -m bot check`:",
              file=sys.stderr)
        for problem in exc.problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(1) from None


def _ask_one(library: Library, query: str, limit: int) -> AskResult:
    return ask(library, query, home_today(), limit)


def _print_ask(result: AskResult, limit: int, as_json: bool) -> None:
    if as_json:
        print(json.dumps(ask_json(result, limit), ensure_ascii=False))
    else:
        print(render_ask_text(result))


def cmd_ask(args: argparse.Namespace) -> int:
    if args.limit < 1 or args.limit > 25:
        _fail("--limit must be between 1 and 25")
    if args.stdin:
        library = _load(args)
        for line in sys.stdin:
            line = line.rstrip("\n")
            try:
                _print_ask(_ask_one(library, line, args.limit), args.limit, args.json)
            except CommandError as exc:
                if args.json:
                    print(json.dumps({"query": line[:200], "error": str(exc), "results": [], "suggestions": [],
                                      "answer": None}, ensure_ascii=False))
                else:
                    print(exc)
            sys.stdout.flush()
        return 0
    if args.query is None:
        _fail("ask needs a question, e.g. safeer ask \"when did Aliyev visit Pakistan?\" (or --stdin)")
    try:
        clean_question(args.query)
    except CommandError as exc:
        _fail(str(exc))
    library = _load(args)
    _print_ask(_ask_one(library, args.query, args.limit), args.limit, args.json)
    return 0


def cmd_onthisday(args: argparse.Namespace) -> int:
    try:
        queries.parse_day_arg(args.day, home_today())  # a bad date fails before the data is loaded
    except CommandError as exc:
        _fail(str(exc))
    library = _load(args)
    day = queries.on_this_day(library, args.day, home_today())
    if args.json:
        docs = dict(library.catalog.documents)
        print(json.dumps({"day": f"{day.month:02d}-{day.day:02d}",
                          "events": [anniversary_json(i, docs) for i in day.items]}, ensure_ascii=False))
    else:
        print(render_text(day))
    return 0


def cmd_timeline(args: argparse.Namespace) -> int:
    try:
        topic, start, end = queries.parse_timeline_args(" ".join(args.topic))  # bad years fail before loading
    except CommandError as exc:
        _fail(str(exc))
    library = _load(args)
    result = queries.timeline(library, topic, start, end)
    if isinstance(result, NotFound):
        _fail(result.text())
    if not args.json:
        print(render_text(result))
        return 0
    docs = library.catalog.documents
    print(json.dumps({"events": [{
        "date": e.date.iso(), "end": e.end.iso() if e.end else None, "precision": precision_of(e.fact),
        "title": e.brief.title, "brief": e.brief.id, "text": e.fact.text, "line": f"{line.when} — {line.text}",
        "inferred_from": e.fact.inferred_from or None, "status": e.fact.status,
        "sources": [{"id": e.fact.source, "title": docs[e.fact.source].title}],
    } for e, line in zip(result.events, result.lines, strict=True)]}, ensure_ascii=False))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .curate.check import check_folders
    from .curate.versions import folder_commit

    briefs, corpus = data_dirs(args.briefs, args.corpus)
    options = _options()
    version = folder_commit(briefs)
    problems = check_folders(briefs, corpus, options.limits)  # every problem at once, also those the load stops before
    if not problems:
        try:
            with runtime.start_up():
                library = Library.load(briefs, corpus, options=options)
        except DataError as exc:
            problems = exc.problems
    if problems:
        for problem in problems:
            print(str(problem), file=sys.stderr)
        at = f" (briefs at git commit {version})" if version else ""
        print(f"check: {len(problems)} problem(s){at}", file=sys.stderr)
        return 1
    cat = library.catalog
    facts = sum(len(b.facts) for b in cat.briefs.values())
    at = f"; briefs at git commit {version}" if version else ""
    print(f"check: OK — {len(cat.briefs)} briefs, {facts} facts, {len(library.calendar.events)} dated events, "
          f"{len(cat.documents)} documents; every quote found; content hash {cat.content_hash}{at}")
    return 0


def cmd_add_document(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .curate.add_document import add_document
    from .curate.extract import DocumentError

    _, corpus = data_dirs(args.briefs, args.corpus)
    try:
        added = add_document(Path(args.path), corpus, args.id, args.published)
    except DocumentError as exc:
        _fail(str(exc))
    if args.json:
        print(json.dumps(added.to_json(), ensure_ascii=False))
        return 0
    print(f"added {added.path} (id {added.id})")
    for line in added.front.detected:
        print(f"  {line}")
    print(f"next: python -m bot draft {added.id} --out briefs/doc-{added.id}.yaml")
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .curate.drafting import run_draft
    from .curate.extract import DocumentError

    briefs, corpus = data_dirs(args.briefs, args.corpus)
    try:
        print(run_draft(args.document, briefs, corpus, Path(args.out) if args.out else None, as_json=args.json))
    except DocumentError as exc:
        _fail(str(exc))
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from .console import run_console

    library = _load(args)
    return run_console(library, home_today, state_dir=state_dir())


def cmd_run(args: argparse.Namespace) -> int:
    try:
        from .chat.runner import run_bot
    except ImportError as exc:  # pragma: no cover - the Discord face is part of the package
        _fail(f"the Discord face is not available: {exc}")
    return run_bot(args.briefs, args.corpus)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    load_env_file()  # before choosing: a token in .env means the bot, as for `python -m bot run`
    command = args.command or ("run" if token_is_set() else "console")
    handlers = {"ask": cmd_ask, "onthisday": cmd_onthisday, "timeline": cmd_timeline, "check": cmd_check,
                "add-document": cmd_add_document, "draft": cmd_draft,
                "console": cmd_console, "run": cmd_run}
    try:
        return handlers[command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
