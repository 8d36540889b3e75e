"""`kiosk bench`: every stage's speed and the end-to-end latency, measured on this machine.

What is measured, and why this way:

* TTFA (utterance emitted by the VAD → first audio handed to the sink) in streaming mode and in
  one-stage-after-another mode (`VoiceLoop(streaming=False)`), on the same inputs in the same
  run, alternating the two modes so that load from other processes hits both alike. The LLM is
  on; each turn's answer source is reported. When the guard falls back to the KB template, the
  time the LLM spent is still inside TTFA, so the comparison stays like for like.
* English is spoken (the committed WAV fixtures). Korean has no neural voice to make a spoken
  fixture from, so Korean runs the text path: the same voice loop on an English fixture's audio
  (VAD timing only) with the transcript replaced by the Korean question, and the answer spoken
  by the Korean fallback (romanised Hangul read by the English voice).
* ASR real-time factor comes from the spoken turns (ASR time ÷ utterance length); LLM first
  token and speed from the same turns and from the overhead comparison below.
* Overhead against raw llama.cpp: the kiosk's `LanguageModel.stream` (through the governor)
  against `llama_cpp.Llama` built with the same file, n_ctx, threads and repack off, on the
  same prompts (the engine's real prompts), alternating prompts so both see the same prefix
  cache behaviour.
* Memory: the kernel's RSS high-water mark after the voice turns (before the raw llama.cpp
  instance is loaded), then each model's unload and reload time, then the first spoken question
  again under a budget that only fits the largest model plus a margin (swapping), with its cost.
Timings are wall-clock medians; on a shared machine compare the ratios, not the absolute times.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.audio.sources import WavSource
from kiosk.audio.wavio import read_wav, resample
from kiosk.config import Config
from kiosk.dialog.llm import usable_cores
from kiosk.governor import RssSampler, max_rss_mb
from kiosk.messages import ASR_RATE_HZ, Lang, SpeechAudio, Transcript
from kiosk.pipeline import TurnRecord, VoiceLoop
from kiosk.speech.vad import FRAME_SAMPLES

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
SPOKEN = ("where_is_hanyang_plaza.wav", "how_long_to_paiknam_library.wav")
"""English fixtures with one question each (made with the kiosk's Piper voice)."""
KOREAN = ("저기요 한양플라자 어디로 가면 돼요?", "백남학술정보관 가려면 얼마나 걸려요")
"""Korean questions for the text path (from the held-out evaluation set)."""
CARRIER = "where_is_hanyang_plaza.wav"
"""Audio that carries a Korean text question through the VAD (its words are replaced)."""
SWAP_MARGIN_MB = 150.0
"""Tight budget = base RSS + largest model + this (allocator residue and work buffers)."""
TARGETS = {"ttfa_ratio": 0.6, "llm_overhead": 0.10, "peak_rss_mb": 1536.0, "soak_growth": 0.05,
           "voice_to_voice_p50_ms": 800.0, "voice_to_voice_p95_ms": 1500.0}

Progress = Callable[[str], None]


class NullSink:
    """A sink that plays instantly and keeps nothing (a WAV sink would hold every reply in
    memory until closed: in a long run that reads as a leak)."""

    def __init__(self) -> None:
        self.clips = 0
        self.seconds = 0.0

    async def play(self, speech: SpeechAudio) -> float:
        self.clips += 1
        self.seconds += speech.duration_s
        return speech.duration_s

    def stop(self) -> None:
        """Nothing plays for long enough to be stopped."""


class FixedTranscript:
    """Stands in for ASR: every utterance 'says' the given text (the Korean text path)."""

    def __init__(self, text: str, lang: Lang) -> None:
        self.text = text
        self.lang = lang

    def transcribe(self, audio: np.ndarray, language: Lang | None = None,
                   hotwords: str | None = None) -> Transcript:
        return Transcript(self.text, self.lang, len(audio) / ASR_RATE_HZ, 0.0, 0.0)


@dataclass(frozen=True)
class BenchInput:
    """One question: a spoken fixture, or a Korean text carried on a fixture's audio."""

    name: str
    wav: Path
    text: str | None = None

    @property
    def lang(self) -> str:
        return "ko" if self.text else "en"


def bench_inputs(run: int) -> list[BenchInput]:
    """The inputs of one run: both spoken fixtures and one Korean question (alternating)."""
    spoken = [BenchInput(Path(name).stem, DATA_DIR / name) for name in SPOKEN]
    index = run % len(KOREAN)
    return [*spoken, BenchInput(f"ko-text-{index + 1}", DATA_DIR / CARRIER, KOREAN[index])]


def cold_llm_cache(models: Any) -> None:
    """Make llama.cpp forget the last prompt, so no turn reuses the previous turn's prompt.

    llama-cpp-python skips evaluating the prefix a prompt shares with the previous one; running
    the same question twice (streaming, then sequential) would hand the second mode a free
    prompt evaluation. One token from a one-word prompt leaves nothing useful to share.
    """
    if models.config.llm.enabled:
        list(models.engine.llm.stream("Hi", [], max_tokens=1))


async def voice_turns(models: Any, item: BenchInput, streaming: bool,
                      sink: NullSink | None = None) -> Sequence[TurnRecord]:
    """One input through a fresh `VoiceLoop` on the process's models, not paced in real time."""
    config = models.config
    models.engine.sessions.reset(config.pipeline.session_id)
    transcriber = FixedTranscript(item.text, "ko") if item.text else models.asr
    loop = VoiceLoop(config, aiter(WavSource(item.wav, config.audio.block_ms)),
                     sink or NullSink(), scorer=models.vad, transcriber=transcriber,
                     speaker=models.tts, engine=models.engine, hotwords=models.hotwords,
                     acquire=models.governor.acquire, streaming=streaming)
    await loop.run()
    return loop.turns


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _turn_row(item: BenchInput, mode: str, run: int, turn: TurnRecord) -> dict[str, Any]:
    return {"input": item.name, "question": item.text or "", "lang": turn.lang, "mode": mode,
            "run": run,
            "source": turn.source, "answer": turn.answer,
            "utterance_s": round(turn.utterance_end_s - turn.utterance_start_s, 3),
            "timings_ms": {k: round(v, 1) for k, v in turn.timings_ms.items()}}


def measure_ttfa(models: Any, runs: int, progress: Progress) -> dict[str, Any]:
    """Streaming vs one-stage-after-another, alternating the order from run to run."""
    rows: list[dict[str, Any]] = []
    for run in range(runs):
        for item in bench_inputs(run):
            modes = ["streaming", "sequential"] if run % 2 == 0 else ["sequential", "streaming"]
            for mode in modes:
                cold_llm_cache(models)
                turns = asyncio.run(voice_turns(models, item, mode == "streaming"))
                for turn in turns:
                    rows.append(_turn_row(item, mode, run, turn))
                    progress(f"ttfa run={run} input={item.name} mode={mode} source={turn.source} "
                             f"ttfa_ms={turn.timings_ms.get('ttfa', float('nan')):.0f}")
    overall = paired_ttfa(rows)
    summary: dict[str, Any] = {
        "turns": rows, "pairs": overall["pairs"], "streaming_ms": overall["streaming"],
        "sequential_ms": overall["sequential"], "ratio": overall["ratio"],
        "by_lang": {lang: paired_ttfa(rows, _in_lang(lang)) for lang in ("en", "ko")},
        "model_phrased": paired_ttfa(rows, lambda r: r["source"] == "llm"),
    }
    after_asr = paired_ttfa(rows, minus_asr=True)  # ASR is the same work in both modes
    summary["after_asr_ms"] = {"streaming": after_asr["streaming"],
                               "sequential": after_asr["sequential"]}
    summary["ratio_after_asr"] = after_asr["ratio"]
    summary["sources"] = {source: sum(r["source"] == source for r in rows)
                          for source in sorted({r["source"] for r in rows})}
    return summary


def _in_lang(lang: str) -> Callable[[dict[str, Any]], bool]:
    """A `paired_ttfa` filter: the turns in one language."""
    return lambda row: row["lang"] == lang


def paired_ttfa(rows: list[dict[str, Any]], keep: Callable[[dict[str, Any]], bool] = bool,
                minus_asr: bool = False) -> dict[str, Any]:
    """Mean TTFA of each mode over the same (input, run) pairs, and their ratio.

    Pairs, not medians of each mode: the inputs differ a lot (a KB answer plays in 0.5 s, a
    model answer in 2-3 s), and a median of each mode's mixture can come from different
    inputs. A pair counts only when both of its turns pass `keep`.
    """
    pairs: dict[tuple[str, int], dict[str, float]] = {}
    for row in rows:
        timings = row["timings_ms"]
        if "ttfa" in timings and keep(row):
            value = timings["ttfa"] - (timings.get("asr", 0.0) if minus_asr else 0.0)
            pairs.setdefault((row["input"], row["run"]), {})[row["mode"]] = value
    complete = [p for p in pairs.values() if "streaming" in p and "sequential" in p]
    if not complete:
        return {"pairs": 0, "streaming": None, "sequential": None, "ratio": None}
    streaming = statistics.fmean(p["streaming"] for p in complete)
    sequential = statistics.fmean(p["sequential"] for p in complete)
    return {"pairs": len(complete), "streaming": round(streaming, 1),
            "sequential": round(sequential, 1),
            "ratio": round(streaming / sequential, 3) if sequential else None}


def asr_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """ASR real-time factor from the spoken turns (ASR time ÷ utterance length)."""
    rtfs = [r["timings_ms"]["asr"] / 1000 / r["utterance_s"] for r in rows
            if r["lang"] == "en" and r["utterance_s"] > 0 and "asr" in r["timings_ms"]]
    return {"rtf": round(statistics.median(rtfs), 3) if rtfs else None, "turns": len(rtfs)}


def llm_turn_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    firsts = [r["timings_ms"]["dialog_llm_first_token"] for r in rows
              if "dialog_llm_first_token" in r["timings_ms"]]
    return {"first_token_ms": _median(firsts), "turns": len(firsts)}


def measure_vad(models: Any) -> dict[str, Any]:
    """Silero cost per 32 ms frame over every frame of the spoken fixtures."""
    frames = 0
    started = time.perf_counter()
    for name in SPOKEN:
        samples, rate = read_wav(DATA_DIR / name)
        audio = resample(samples, rate, ASR_RATE_HZ)
        models.vad.reset()
        for offset in range(0, len(audio) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
            models.vad.prob(audio[offset:offset + FRAME_SAMPLES])
            frames += 1
    elapsed_ms = (time.perf_counter() - started) * 1000
    models.vad.reset()
    return {"ms_per_frame": round(elapsed_ms / max(1, frames), 3), "frames": frames,
            "frame_ms": FRAME_SAMPLES / ASR_RATE_HZ * 1000}


def measure_tts(models: Any, texts: dict[str, str], runs: int) -> dict[str, Any]:
    """Real-time factor of the English voice and of the Korean one (Kokoro, or the fallback
    in use), on real answers."""
    result: dict[str, Any] = {}
    for lang, text in texts.items():
        rtfs, audio_s = [], 0.0
        for _ in range(runs):
            started = time.perf_counter()
            speech = models.tts.synthesize(text, lang)
            audio_s = speech.duration_s
            if audio_s:
                rtfs.append((time.perf_counter() - started) / audio_s)
        result[lang] = {"rtf": round(statistics.median(rtfs), 3) if rtfs else None,
                       "audio_s": round(audio_s, 2), "chars": len(text),
                       "voice": "en" if lang == "en" else models.tts.active_korean_voice()}
    return result


@dataclass
class Generation:
    first_ms: float
    total_ms: float
    pieces: int
    text: str

    @property
    def tokens_per_s(self) -> float | None:
        decode_s = (self.total_ms - self.first_ms) / 1000
        return (self.pieces - 1) / decode_s if self.pieces > 1 and decode_s > 0 else None


def _timed(pieces: Iterator[str]) -> Generation:
    started = time.perf_counter()
    first = None
    texts: list[str] = []
    last = started
    for piece in pieces:
        last = time.perf_counter()
        first = first if first is not None else last
        texts.append(piece)
    return Generation(((first or last) - started) * 1000, (last - started) * 1000, len(texts),
                      "".join(texts))


def capture_prompts(models: Any, questions: list[str]) -> list[tuple[str, list[str]]]:
    """The engine's real prompts (and stop strings) for `questions`, as the LLM receives them."""
    llm = models.engine.llm
    seen: list[tuple[str, list[str]]] = []
    governed = llm.stream

    def record(prompt: str, stop: list[str], *args: Any, **kwargs: Any) -> Iterator[str]:
        seen.append((prompt, list(stop)))
        return iter(())

    llm.stream = record
    try:
        for question in questions:
            models.engine.answer(question, "bench-prompts")
    finally:
        llm.stream = governed
        models.engine.sessions.reset("bench-prompts")
    return seen


def _raw_llama(config: Config, lora: Path | None) -> Any:
    """`llama_cpp.Llama` exactly as the kiosk builds it (same file and adapter, context,
    threads, mmap, repack off), without the kiosk's wrapper."""
    from llama_cpp import Llama

    from kiosk.dialog.llm import _model_params

    cfg = config.llm
    with _model_params(cfg.cpu_repack):
        return Llama(model_path=str(config.model_path(cfg.model)),
                     lora_path=str(lora) if lora else None, n_ctx=cfg.n_ctx,
                     n_gpu_layers=cfg.n_gpu_layers, n_threads=cfg.n_threads or usable_cores(),
                     use_mmap=cfg.n_gpu_layers == 0, seed=0, verbose=False)


_NO_DEADLINE_S = 3600.0  # the overhead comparison measures the wrapper, never a timeout


def measure_llm_overhead(models: Any, runs: int, progress: Progress) -> dict[str, Any]:
    """The kiosk's `LanguageModel.stream` against raw llama.cpp on the same prompts."""
    cfg = models.config.llm
    prompts = capture_prompts(models, ["Where is Hanyang Plaza?", KOREAN[1]])
    if not prompts:
        return {"error": "the engine built no LLM prompt (llm disabled?)"}
    # Raw llama.cpp runs on the kiosk model's compute thread too: same OpenMP thread pool.
    compute = models.engine.llm.compute
    raw = compute.call(lambda: _raw_llama(models.config, models.engine.llm.lora_path))

    def raw_chunks(prompt: str, stop: list[str]) -> Iterator[str]:
        for chunk in raw(prompt, max_tokens=cfg.max_tokens, temperature=cfg.temperature,
                         top_p=cfg.top_p, repeat_penalty=cfg.repeat_penalty, stop=stop,
                         stream=True):
            if chunk["choices"][0]["text"]:
                yield chunk["choices"][0]["text"]

    def raw_stream(prompt: str, stop: list[str]) -> Iterator[str]:
        return compute.iterate(lambda: raw_chunks(prompt, stop))

    kiosk: list[Generation] = []
    direct: list[Generation] = []
    try:
        for run in range(runs + 1):  # run 0 warms both (page cache, thread pools)
            for prompt, stop in prompts:
                # no deadline: on a busy machine llm.timeout_s cut the kiosk's text short and
                # "same output" failed for a reason that has nothing to do with the wrapper
                pair = [("kiosk", lambda p=prompt, s=stop: models.engine.llm.stream(
                            p, s, deadline_s=_NO_DEADLINE_S)),
                        ("raw", lambda p=prompt, s=stop: raw_stream(p, s))]
                for name, make in pair if run % 2 == 0 else pair[::-1]:
                    generation = _timed(make())
                    if run:
                        (kiosk if name == "kiosk" else direct).append(generation)
                progress(f"llm run={run} prompt_chars={len(prompt)}")
    finally:
        compute.call(raw.close)
    summary: dict[str, Any] = {"prompts": len(prompts), "runs": runs}
    for name, gens in (("kiosk", kiosk), ("raw", direct)):
        speeds = [g.tokens_per_s for g in gens if g.tokens_per_s]
        summary[name] = {"first_token_ms": _median([g.first_ms for g in gens]),
                         "total_ms": _median([g.total_ms for g in gens]),
                         "tokens": _median([float(g.pieces) for g in gens]),
                         "tokens_per_s": _median(speeds)}
    summary["same_output"] = all(k.text == r.text for k, r in zip(kiosk, direct, strict=True))
    k_total, r_total = summary["kiosk"]["total_ms"], summary["raw"]["total_ms"]
    summary["overhead"] = round(k_total / r_total - 1, 3) if k_total and r_total else None
    return summary


def measure_load_unload(models: Any) -> dict[str, Any]:
    """Unload then reload each model through the governor (no warm-up on a reload)."""
    result: dict[str, Any] = {}
    gov = models.governor
    for name in ("asr", "llm", "tts"):
        slot = gov.slot(name)
        first = {"first_load_ms": slot.last_load_ms, "first_warm_ms": slot.last_warm_ms}
        if not gov.unload(name):
            continue
        gov.acquire(name)
        result[name] = {**first, "unload_ms": round(slot.last_unload_ms or 0, 1),
                        "load_ms": round(slot.last_load_ms or 0, 1),
                        "size_mb": round(slot.size_mb, 1)}
    return result


def measure_swap(models: Any, budget_mb: float | None, baseline_turn_ms: float | None,
                 progress: Progress) -> dict[str, Any]:
    """The first spoken question again under a budget that forces swapping."""
    gov = models.governor
    sizes = {n: gov.slot(n).size_mb for n in ("asr", "llm", "tts")}
    tight = budget_mb or gov.base_mb + max(sizes.values()) + SWAP_MARGIN_MB
    roomy = gov.budget_mb
    for name in sizes:
        gov.unload(name)
    gov.budget_mb = tight
    before = {n: (gov.slot(n).loads, gov.slot(n).unloads, gov.slot(n).total_load_ms,
                  gov.slot(n).total_unload_ms) for n in sizes}
    try:
        with RssSampler() as sampler:
            started = time.perf_counter()
            models.preload()
            preload_ms = (time.perf_counter() - started) * 1000
            item = bench_inputs(0)[0]
            turns = asyncio.run(voice_turns(models, item, streaming=True))
    finally:
        gov.budget_mb = roomy
    moved = {n: {"loads": gov.slot(n).loads - b[0], "unloads": gov.slot(n).unloads - b[1],
                 "load_ms": round(gov.slot(n).total_load_ms - b[2], 1),
                 "unload_ms": round(gov.slot(n).total_unload_ms - b[3], 1)}
             for n, b in before.items()}
    turn = turns[0] if turns else None
    turn_ms = turn.timings_ms.get("turn") if turn else None
    progress(f"swap budget_mb={tight:.0f} turn_ms={turn_ms or float('nan'):.0f}")
    return {
        "budget_mb": round(tight), "base_mb": round(gov.base_mb, 1),
        "sizes_mb": {n: round(v, 1) for n, v in sizes.items()},
        "preload_ms": round(preload_ms, 1), "input": item.name,
        "source": turn.source if turn else None,
        "ttfa_ms": round(turn.timings_ms.get("ttfa", 0), 1) if turn else None,
        "turn_ms": round(turn_ms, 1) if turn_ms else None,
        "baseline_turn_ms": baseline_turn_ms,
        "swap_cost_ms": round(turn_ms - baseline_turn_ms, 1) if turn_ms and baseline_turn_ms
        else None,
        "swaps": moved, "peak_rss_mb": round(sampler.peak_mb, 1),
        "within_budget": sampler.peak_mb <= tight,
    }


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "processor": platform.machine(),
            "loadavg_1m": round(os.getloadavg()[0], 2)}


def run_bench(config: Config, runs: int = 3, budget_mb: float | None = None,
              progress: Progress | None = None,
              voice_questions: int | None = None, echo_replies: int = 50,
              echo_latency_ms: float = 60.0) -> dict[str, Any]:
    """Every measurement above, as one JSON-able dict (see `format_table`); voice-to-voice
    over ``voice_questions`` spoken questions (all 20 by default), once each; full duplex in
    the six simulated halls over ``echo_replies`` replies per hall (0: skipped), with the echo
    ``echo_latency_ms`` behind the registered reply (a sound card's output latency), last,
    because its visitors' voices load more of Kokoro than the kiosk runs with."""
    from kiosk.daemon import Models
    from kiosk.diag import echo_rooms, voice_to_voice

    say = progress or (lambda line: log.info("event=bench %s", line))
    if not config.llm.enabled:
        config = config.model_copy(update={"llm": config.llm.model_copy(update={"enabled": True})})
    started = time.perf_counter()
    result: dict[str, Any] = {"machine": machine(), "runs": runs, "targets": TARGETS}
    models = Models(config)
    models.preload()
    say("models loaded")
    result["vad"] = measure_vad(models)
    result["voice_to_voice"] = voice_to_voice.measure(models, 1, say, voice_questions)
    ttfa = measure_ttfa(models, runs, say)
    result["ttfa"] = ttfa
    result["asr"] = asr_figures(ttfa["turns"])
    result["llm"] = llm_turn_figures(ttfa["turns"])
    answers = {"en": _answer_of(ttfa["turns"], "en"), "ko": _answer_of(ttfa["turns"], "ko")}
    result["tts"] = measure_tts(models, {k: v for k, v in answers.items() if v}, runs)
    result["memory"] = {"peak_rss_mb": round(max_rss_mb(), 1),
                        "budget_mb": config.governor.budget_mb,
                        "models": models.governor.snapshot()}
    say(f"peak_rss_mb={result['memory']['peak_rss_mb']:.0f}")
    result["load"] = measure_load_unload(models)
    overhead = measure_llm_overhead(models, runs, say)
    result["llm"].update(overhead)
    result["llm"]["tokens_per_s"] = overhead.get("kiosk", {}).get("tokens_per_s")
    baseline = _median([r["timings_ms"]["turn"] for r in ttfa["turns"]
                        if r["input"] == bench_inputs(0)[0].name and r["mode"] == "streaming"
                        and "turn" in r["timings_ms"]])
    result["swap"] = measure_swap(models, budget_mb, baseline, say)
    if echo_replies > 0:
        result["echo"] = echo_rooms.measure(models, echo_replies, say,
                                            latency_ms=echo_latency_ms)
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    return result


def _answer_of(rows: list[dict[str, Any]], lang: str) -> str:
    return next((r["answer"] for r in rows if r["lang"] == lang and r["answer"]), "")


def _fmt(value: Any, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def _verdict(value: float | None, target: float, unit: str = "") -> str:
    if value is None:
        return ""
    return f"  (target ≤ {target:g}{unit}: {'ok' if value <= target else 'MISSED'})"


def _korean_spoken(tts: dict[str, Any]) -> str:
    voice = tts.get("ko", {}).get("voice", "")
    return "KB English spoken" if voice == "english-answer" else f"spoken by {voice or '-'}"


def format_table(result: dict[str, Any]) -> str:
    """The bench result as a few aligned lines for people."""
    t, m = result["ttfa"], result["machine"]
    llm, swap, mem = result["llm"], result["swap"], result["memory"]
    tts = result.get("tts", {})
    v2v = result.get("voice_to_voice", {})
    every, langs = v2v.get("all", {}), v2v.get("by_lang", {})
    lines = [
        f"kiosk bench: {m['cpus']} CPUs {m['processor']}, load {m['loadavg_1m']}, "
        f"{result['runs']} run(s), {result.get('elapsed_s', '?')} s, beside "
        f"{result.get('load_processes', 0)} busy process(es)",
        f"{'voice-to-voice p50 / p95':28} {_fmt(every.get('p50_ms'), ' ms')}"
        f"{_verdict(every.get('p50_ms'), TARGETS['voice_to_voice_p50_ms'], ' ms')} / "
        f"{_fmt(every.get('p95_ms'), ' ms')}"
        f"{_verdict(every.get('p95_ms'), TARGETS['voice_to_voice_p95_ms'], ' ms')}  "
        f"(last word to first sound, {every.get('n', 0)} spoken questions)",
        f"{'  p50 ko / en':28} {_fmt(langs.get('ko', {}).get('p50_ms'), ' ms')} / "
        f"{_fmt(langs.get('en', {}).get('p50_ms'), ' ms')}; by answer source: " + ", ".join(
            f"{k} {_fmt(v.get('p50_ms'), ' ms')}" for k, v in v2v.get("by_source", {}).items()),
        f"{'VAD':28} {_fmt(result['vad']['ms_per_frame'], ' ms', 3)} per 32 ms frame",
        f"{'ASR (whisper, en)':28} RTF {_fmt(result['asr']['rtf'], '', 3)}",
        f"{'LLM first token (turns)':28} {_fmt(llm.get('first_token_ms'), ' ms')}",
        f"{'LLM speed':28} {_fmt(llm.get('tokens_per_s'), ' tok/s', 1)}",
        f"{'LLM overhead vs llama.cpp':28} {_fmt(_pct(llm.get('overhead')), ' %', 1)}"
        f"{_verdict(_pct(llm.get('overhead')), TARGETS['llm_overhead'] * 100, ' %')}",
        f"{'  kiosk / raw total':28} {_fmt(llm.get('kiosk', {}).get('total_ms'), ' ms')} / "
        f"{_fmt(llm.get('raw', {}).get('total_ms'), ' ms')}, "
        f"{_fmt(llm.get('kiosk', {}).get('tokens_per_s'), '', 1)} / "
        f"{_fmt(llm.get('raw', {}).get('tokens_per_s'), ' tok/s', 1)}, "
        f"same output: {llm.get('same_output')}",
        f"{'TTS en':28} RTF {_fmt(tts.get('en', {}).get('rtf'), '', 3)}",
        f"{'TTS ko':28} RTF {_fmt(tts.get('ko', {}).get('rtf'), '', 3)} "
        f"({tts.get('ko', {}).get('voice', '-')})",
        f"{'TTFA ko / en (streaming)':28} {_fmt(t['by_lang']['ko']['streaming'], ' ms')} / "
        f"{_fmt(t['by_lang']['en']['streaming'], ' ms')}",
        f"{'TTFA streaming':28} {_fmt(t['streaming_ms'], ' ms')}  (mean of {t['pairs']} "
        "turns; each paired with the same input, same run)",
        f"{'TTFA one stage after another':28} {_fmt(t['sequential_ms'], ' ms')}",
        f"{'TTFA ratio':28} {_fmt(t['ratio'], '', 2)}{_verdict(t['ratio'], TARGETS['ttfa_ratio'])}",
        f"{'  without ASR (same both)':28} {_fmt(t['after_asr_ms']['streaming'], ' ms')} / "
        f"{_fmt(t['after_asr_ms']['sequential'], ' ms')} = {_fmt(t['ratio_after_asr'], '', 2)}",
        *(f"{'  ' + label:28} {_fmt(part['streaming'], ' ms')} / "
          f"{_fmt(part['sequential'], ' ms')} = {_fmt(part['ratio'], '', 2)} "
          f"({part['pairs']} pairs)"
          for label, part in (("en (model's answer spoken)", t["by_lang"]["en"]),
                              (f"ko ({_korean_spoken(tts)})", t["by_lang"]["ko"]),
                              ("answers the model phrased", t["model_phrased"]))),
        f"{'  answer sources':28} " + ", ".join(f"{k} {v}" for k, v in t["sources"].items()),
        f"{'peak RSS (defaults)':28} {_fmt(mem['peak_rss_mb'], ' MB')}"
        f"{_verdict(mem['peak_rss_mb'], TARGETS['peak_rss_mb'], ' MB')}",
    ]
    for name, row in result.get("load", {}).items():
        lines.append(f"{'  ' + name + ' load / unload':28} {_fmt(row['load_ms'], ' ms')} / "
                     f"{_fmt(row['unload_ms'], ' ms')}  ({_fmt(row['size_mb'], ' MB')})")
    swaps = sum(s["unloads"] for s in swap["swaps"].values())
    lines += [
        f"{'tight budget':28} {swap['budget_mb']} MB: peak {_fmt(swap['peak_rss_mb'], ' MB')}, "
        f"{swaps} unloads, turn {_fmt(swap['turn_ms'], ' ms')} vs "
        f"{_fmt(swap['baseline_turn_ms'], ' ms')} (swap cost {_fmt(swap['swap_cost_ms'], ' ms')})",
    ]
    if "echo" in result:
        lines += echo_lines(result["echo"])
    return "\n".join(lines)


def echo_lines(echo: dict[str, Any]) -> list[str]:
    """One line per simulated hall: the voice loop's canceller, then the old single tap."""
    lines = [f"{'echo, simulated halls':28} {echo['replies_per_room']} replies per hall, "
             f"{_fmt(echo.get('output_latency_ms'), ' ms')} output latency; "
             "canceller (single tap): ERLE, self-interruptions, barge-in ≤ 300 ms, p95, "
             "answered during a reply"]
    for room in echo["rooms"]:
        old = room["single_tap"]
        lines.append(
            f"{'  ' + room['room']:28} {_fmt(room['erle_db'], ' dB', 1)} "
            f"({_fmt(old['erle_db'], ' dB', 1)}), {room['self_interruptions']} "
            f"({old['self_interruptions']}), {_fmt(_pct(room['barge_in_within_300ms']), ' %')} "
            f"({_fmt(_pct(old['barge_in_within_300ms']), ' %')}), "
            f"{_fmt(room['barge_in_ms_p95'], ' ms')} ({_fmt(old['barge_in_ms_p95'], ' ms')}), "
            f"{_fmt(_pct(room['answered_during_reply']), ' %')} "
            f"({_fmt(_pct(old['answered_during_reply']), ' %')}); self-triggered "
            f"{room['self_triggered']} ({old['self_triggered']}); "
            f"{_fmt(room['cpu_ms_per_audio_s'], ' ms', 1)} CPU per s")
    return lines


def _pct(value: float | None) -> float | None:
    return None if value is None else value * 100


STAGES = ("asr", "dialog", "tts")


def stage_breakdown(row: dict[str, Any]) -> dict[str, float]:
    """Split one turn's TTFA into ASR, dialog and TTS time (what the plot stacks).

    Streaming: TTS is the first sentence's synthesis; sequential: all synthesis happens after
    the whole answer (dialog_total), so TTS is what is left of TTFA after ASR and dialog.
    """
    t = row["timings_ms"]
    ttfa, asr = t.get("ttfa", 0.0), t.get("asr", 0.0)
    if row["mode"] == "streaming":
        tts = t.get("tts_first", 0.0)
    else:
        tts = max(0.0, ttfa - asr - t.get("dialog_total", 0.0))
    return {"asr": asr, "dialog": max(0.0, ttfa - asr - tts), "tts": tts}


def plot(result: dict[str, Any], path: Path) -> str:
    """Write a PNG of the per-stage TTFA breakdown; returns a one-line note of what happened."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib is not installed (pip install matplotlib)"
    groups: dict[tuple[str, str], list[dict[str, float]]] = {}
    for row in result["ttfa"]["turns"]:
        if "ttfa" in row["timings_ms"]:
            groups.setdefault((row["input"], row["mode"]), []).append(stage_breakdown(row))
    labels = [f"{name[:28]} ({mode})" for name, mode in groups]
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(labels) + 1.5))
    left = np.zeros(len(labels))
    for stage in STAGES:
        values = np.array([statistics.median(b[stage] for b in rows) for rows in groups.values()])
        ax.barh(labels, values, left=left, label=stage)
        left += values
    ax.set_xlabel("ms from end of speech to first audio (median)")
    ax.set_title(f"kiosk TTFA by stage: ratio {result['ttfa']['ratio']} "
                 f"({result['machine']['cpus']} CPUs, load {result['machine']['loadavg_1m']})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"plot written: {path}"
