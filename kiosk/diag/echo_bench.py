"""Measure echo cancellers on the simulated halls with the kiosk's own voices. Developers only.

    .venv/bin/python -m kiosk.diag.echo_bench [--models-dir DIR] [--out out/echo-bench]

Two scenes per room (kiosk/audio/rooms.py): the kiosk answers in English (Piper) while a visitor
asks in Korean (Kokoro jf_alpha), and it answers in Korean (Kokoro jm_kumo) while a visitor asks
in English (Piper). The reply is ~15 s, peaking at 0.5 of full scale; the visitor says their
question 5 dB quieter than the loudspeaker, from 1 m, starting 4 s into the reply; the
microphone gain is 2 and a quiet street (traffic and babble, -55 dBFS) is under everything.

Figures, per candidate and room:
- ERLE (dB): 10·log10(echo power in / residual power) while only the kiosk talks (no noise),
  from 1 s into the reply on ("steady") and over its first second ("start", while a canceller
  is still learning the room). Capped at 60 dB.
- Double talk, over the visitor's question: how much of the visitor's voice comes out (the
  least-squares gain of the clean visitor-at-mic signal in the output, dB) and the
  signal-to-residual ratio of that part against everything else in the output (dB), next to
  the same ratio at the microphone.
- Whisper (the kiosk's recogniser, English scene): words of the visitor's question recognised
  in the output, against its transcript without any echo.
- Silero VAD (the kiosk's, 32 ms frames, speech at p >= 0.5): the longest run of residual echo
  scored as speech while only the kiosk talks (160 ms, `pipeline.barge_in_ms`, is a barge-in:
  the kiosk would interrupt itself), and in double talk the share of the visitor's voiced
  frames scored as speech and how long after the visitor starts a 160 ms run completes (the
  barge-in; none within the question counts as missed).
- CPU: process time (all threads) per second of audio, summed over every run; and wall time.

The candidates (kiosk/diag/aec_candidates.py) beyond the kiosk's own (pywebrtc-audio, and Speex
from the system's libspeexdsp1) are installed by hand: ``pip install livekit
aec-audio-processing``; a missing one is skipped. Speech is synthesised once and cached under
--out; results go to --out/results.json and a Markdown summary to stdout (``--summary`` prints
the tables of the last run again).
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.audio import rooms
from kiosk.audio.wavio import resample
from kiosk.config import REPO_ROOT
from kiosk.diag.aec_candidates import CANDIDATES, Candidate

ROOT = REPO_ROOT

log = logging.getLogger("echo_bench")
RATE_HZ = 16000
REPLY_PEAK = 0.5
VISITOR_DB = -5.0       # the visitor's voice relative to the loudspeaker's, at the source
VISITOR_AT_S = 4.0
MIC_GAIN = 2.0
NOISE_RMS = 0.0018      # traffic and babble together: -55 dBFS
ERLE_CAP_DB = 60.0

REPLIES = {
    "en": ["Hanyang Plaza, building 105, is the building immediately on your left as you come "
           "out of Aeji Gate.",
           "Paiknam Library is about a seven minute walk from here: go straight up the main "
           "road and turn right at the second crossing.",
           "The student cafeteria in the Student Union building serves lunch from eleven thirty "
           "to one thirty."],
    "ko": ["한양플라자는 애지문을 나오자마자 바로 왼쪽에 있는 건물입니다.",
           "백남학술정보관은 여기서 걸어서 약 칠 분 거리입니다. 큰길을 따라 올라가다가 두 번째 "
           "교차로에서 오른쪽으로 가세요.",
           "학생회관 학생식당은 오전 열한 시 반부터 오후 한 시 반까지 점심을 팝니다."],
}
QUESTIONS = {"en": "How long does it take to walk to Paiknam Library?",
             "ko": "저기요, 백남학술정보관까지 걸어서 얼마나 걸려요?"}


@dataclass
class Scene:
    name: str
    reply: np.ndarray
    question: np.ndarray
    question_lang: str


def _config(models_dir: Path | None):  # type: ignore[no-untyped-def]
    from kiosk.config import load_config

    config = load_config(ROOT / "config.toml")
    if models_dir is not None:
        paths = config.paths.model_copy(update={"models_dir": models_dir})
        config = config.model_copy(update={"paths": paths})
    return config


def _speech(config, cache: Path) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """reply_en, reply_ko, question_en, question_ko at 16 kHz (cached)."""
    file = cache / "speech.npz"
    if file.is_file():
        with np.load(file) as data:
            return {k: data[k] for k in data.files}
    from kiosk.speech.tts import Speaker

    kiosk_voice = Speaker(config)
    visitor_config = config.model_copy(update={"tts": config.tts.model_copy(
        update={"voices": {"en": config.tts.voices["en"], "ko": "kokoro:jf_alpha"}})})
    visitor_voice = Speaker(visitor_config)
    gap = np.zeros(int(0.3 * RATE_HZ), np.float32)
    out: dict[str, Any] = {}
    for lang, sentences in REPLIES.items():
        parts = []
        for text in sentences:
            spoken = kiosk_voice.synthesize(text, lang)  # type: ignore[arg-type]
            parts += [resample(spoken.samples, spoken.rate_hz, RATE_HZ), gap]
        out[f"reply_{lang}"] = np.concatenate(parts).astype(np.float32)
    for lang, text in QUESTIONS.items():
        spoken = visitor_voice.synthesize(text, lang)  # type: ignore[arg-type]
        out[f"question_{lang}"] = resample(spoken.samples, spoken.rate_hz, RATE_HZ)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(file, **out)
    return out


def scenes(speech: dict[str, np.ndarray]) -> list[Scene]:
    found = []
    for reply_lang, question_lang in (("en", "ko"), ("ko", "en")):
        reply = speech[f"reply_{reply_lang}"]
        reply = reply * (REPLY_PEAK / np.abs(reply).max())
        question = speech[f"question_{question_lang}"]
        question = question * (rooms.rms(reply) * 10 ** (VISITOR_DB / 20) / rooms.rms(question))
        found.append(Scene(f"reply {reply_lang} / visitor {question_lang}",
                           reply.astype(np.float32), question.astype(np.float32),
                           question_lang))
    return found


def erle_db(echo: np.ndarray, residual: np.ndarray) -> float:
    power_in, power_out = float(np.sum(echo ** 2)), float(np.sum(residual ** 2))
    if power_out <= power_in * 10 ** (-ERLE_CAP_DB / 10):
        return ERLE_CAP_DB
    return 10 * np.log10(power_in / power_out)


def visitor_share(out: np.ndarray, visitor: np.ndarray) -> tuple[float, float]:
    """(gain of the visitor in `out`, dB; visitor-to-rest ratio in `out`, dB), over the span
    where the visitor talks, at the best lag within ±10 ms (a canceller may delay its output)."""
    best = (-np.inf, 0.0, 0)
    for lag in range(-160, 161, 4):
        v = np.roll(visitor, lag)
        gain = float(np.dot(out, v) / max(np.dot(v, v), 1e-20))
        explained = gain * gain * float(np.dot(v, v))
        if explained > best[0]:
            best = (explained, gain, lag)
    _, gain, lag = best
    v = np.roll(visitor, lag)
    rest = out - gain * v
    kept_db = 20 * np.log10(max(abs(gain), 1e-6))
    ratio_db = 10 * np.log10(max(gain * gain * float(np.dot(v, v)), 1e-20)
                             / max(float(np.dot(rest, rest)), 1e-20))
    return kept_db, ratio_db


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def words_recognised(heard: str, truth: str) -> float:
    a, b = _words(truth), _words(heard)
    if not a:
        return 0.0
    matched = sum(block.size for block in
                  difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks())
    return matched / len(a)


def speech_probs(vad, signal: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Silero's speech probability for each 32 ms frame of `signal`, from a fresh state."""
    vad.reset()
    frame = 512
    return np.array([vad.prob(signal[i:i + frame])
                     for i in range(0, len(signal) - frame + 1, frame)])


def longest_run_ms(flags: np.ndarray) -> float:
    longest = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return longest * 32.0


BARGE_IN_MS = 160.0      # pipeline.barge_in_ms: this much speech over a reply stops it


def barge_in_after_ms(flags: np.ndarray, onset: int) -> float:
    """Time from frame `onset` until a run of speech frames reaches BARGE_IN_MS (NaN: never)."""
    need = int(BARGE_IN_MS / 32.0)
    run = 0
    for i in range(onset, len(flags)):
        run = run + 1 if flags[i] else 0
        if run >= need:
            return (i + 1 - onset) * 32.0
    return float("nan")


def voiced_frames(signal: np.ndarray) -> np.ndarray:
    """Frames of a clean signal within 25 dB of its loudest frame (where someone talks)."""
    frame = 512
    energy = np.array([float(np.mean(signal[i:i + frame] ** 2))
                       for i in range(0, len(signal) - frame + 1, frame)])
    return energy > energy.max() * 10 ** (-25 / 10)


def _timed(candidate: Candidate, mic: np.ndarray, reference: np.ndarray,
           times: list[float]) -> np.ndarray:
    cpu, wall = time.process_time(), time.perf_counter()
    out = candidate.run(mic, reference)
    times[0] += time.process_time() - cpu
    times[1] += time.perf_counter() - wall
    return out


def measure(candidate: Candidate, scene: Scene, sim: rooms.SimRoom, transcriber,  # type: ignore[no-untyped-def]
            vad, truth: str | None, latency_ms: float = 0.0) -> dict[str, float]:
    reference = scene.reply
    echo = MIC_GAIN * rooms.echo_of(reference, sim, latency_ms=latency_ms)
    result: dict[str, float] = {}
    times = [0.0, 0.0]
    out = _timed(candidate, echo.astype(np.float32), reference, times)
    second = RATE_HZ
    result["erle_start_db"] = erle_db(echo[:second], out[:second])
    result["erle_db"] = erle_db(echo[second:len(out)], out[second:])
    if vad is not None:
        result["echo_as_speech_ms"] = longest_run_ms(speech_probs(vad, out) >= 0.5)
    audio_s = 2 * len(reference) / RATE_HZ
    if latency_ms:
        result["cpu_s"], result["wall_s"], result["audio_s"] = times[0], times[1], audio_s / 2
        return result
    at = int(VISITOR_AT_S * RATE_HZ)
    visitor = np.zeros_like(echo)
    visitor[at:at + len(scene.question)] = MIC_GAIN * rooms.at_microphone(
        scene.question, sim)[: len(visitor) - at]
    seed = int(sim.rt60_s * 10) * 10 + int(sim.distance_m * 10)
    noise = (rooms.traffic(len(echo) / RATE_HZ, NOISE_RMS * 0.8, seed=seed)
             + rooms.babble(len(echo) / RATE_HZ, level=NOISE_RMS * 0.6, seed=seed))[: len(echo)]
    mic = (echo + visitor + noise).astype(np.float32)
    out = _timed(candidate, mic, reference, times)
    span = slice(at, at + len(scene.question))
    kept_db, ratio_db = visitor_share(out[span], visitor[span])
    _, mic_ratio_db = visitor_share(mic[span], visitor[span])
    result.update(visitor_kept_db=kept_db, visitor_ratio_db=ratio_db,
                  mic_ratio_db=mic_ratio_db, cpu_s=times[0], wall_s=times[1], audio_s=audio_s)
    if vad is not None:
        talking = voiced_frames(visitor[span])
        heard = speech_probs(vad, out[span])[: len(talking)] >= 0.5
        result["visitor_detected"] = float(np.mean(heard[talking]))
        result["barge_in_ms"] = barge_in_after_ms(heard, int(np.argmax(talking)))
    if transcriber is not None and truth is not None:
        clip = out[max(0, at - RATE_HZ // 4): at + len(scene.question) + RATE_HZ // 2]
        heard = transcriber.transcribe(clip, language=scene.question_lang).text
        result["words"] = words_recognised(heard, truth)
        log.info("event=heard candidate=%r room=%s text=%r", candidate.name, sim.name, heard)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "echo-bench")
    parser.add_argument("--no-asr", action="store_true", help="skip the Whisper check")
    parser.add_argument("--summary", action="store_true",
                        help="only print the tables of the last run's results.json")
    args = parser.parse_args()
    if args.summary:
        print(summary(json.loads((args.out / "results.json").read_text(encoding="utf-8"))))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("kiosk", "faster_whisper"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config = _config(args.models_dir)
    all_scenes = scenes(_speech(config, args.out))
    transcriber = None
    if not args.no_asr:
        from kiosk.speech.asr import Transcriber
        transcriber = Transcriber(config)
    from kiosk.speech.vad import SileroVad
    vad = SileroVad(config.model_path(config.vad.model))
    results: list[dict[str, object]] = []
    for scene in all_scenes:
        truth = None
        if transcriber is not None and scene.question_lang == "en":
            truth = transcriber.transcribe(scene.question, language="en").text
            log.info("event=truth text=%r", truth)
        for sim in rooms.rooms():
            for candidate in CANDIDATES:
                try:
                    found = measure(candidate, scene, sim, transcriber, vad, truth)
                except ImportError as error:
                    log.warning("event=skipped candidate=%r reason=%s", candidate.name, error)
                    continue
                log.info("event=measured candidate=%r scene=%r room=%s %s", candidate.name,
                         scene.name, sim.name,
                         " ".join(f"{k}={v:.2f}" for k, v in found.items()))
                results.append({"candidate": candidate.name, "scene": scene.name,
                                "room": sim.name, **found})
    sim = rooms.room("rt0.5_d0.4")
    for latency_ms in (60.0, 200.0):
        for candidate in CANDIDATES[1:]:
            try:
                found = measure(candidate, all_scenes[0], sim, None, None, None, latency_ms)
            except ImportError:
                continue
            results.append({"candidate": candidate.name, "scene": all_scenes[0].name,
                            "room": sim.name, "latency_ms": latency_ms, **found})
            log.info("event=latency candidate=%r latency_ms=%.0f erle_db=%.1f",
                     candidate.name, latency_ms, found["erle_db"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(summary(results))
    return 0


def summary(results: list[dict[str, object]]) -> str:
    """Markdown tables: per room ERLE and double talk, per candidate CPU and latency."""
    names = list(dict.fromkeys(str(r["candidate"]) for r in results))
    room_names = [r.name for r in rooms.rooms()]
    main_rows = [r for r in results if "latency_ms" not in r]

    def cell(candidate: str, room: str, key: str) -> str:
        values = [float(r[key]) for r in main_rows  # type: ignore[arg-type]
                  if r["candidate"] == candidate and r["room"] == room and key in r]
        if not values:
            return "-"
        # The worst scene for self-interruption and barge-in, the mean of both for the rest.
        if key == "echo_as_speech_ms":
            return f"{max(values):.0f}"
        if key == "barge_in_ms":
            return " / ".join("missed" if np.isnan(v) else f"{v:.0f}" for v in values)
        return f"{np.mean(values):.1f}"

    lines = []
    for key, title in (("erle_db", "ERLE, steady (dB, single talk, mean of both scenes)"),
                       ("erle_start_db", "ERLE, first second of the reply (dB)"),
                       ("echo_as_speech_ms", "Single talk: longest run of residual echo "
                                             "that Silero scores as speech (ms, worse scene; "
                                             ">= 160 is a barge-in on the kiosk's own voice)"),
                       ("visitor_ratio_db", "Double talk: visitor vs residual in the output "
                                            "(dB; 'none' = at the microphone)"),
                       ("visitor_kept_db", "Double talk: visitor's voice kept (dB)"),
                       ("visitor_detected", "Double talk: share of the visitor's voiced "
                                            "frames Silero scores as speech"),
                       ("barge_in_ms", "Double talk: barge-in, ms from the visitor's "
                                       "first word to 160 ms of speech (reply en + visitor "
                                       "ko / reply ko + visitor en)"),
                       ("words", "Double talk: words of the English question Whisper "
                                 "recognises (share)")):
        lines += ["", f"**{title}**", "",
                  "| candidate | " + " | ".join(room_names) + " |",
                  "|---|" + "---|" * len(room_names)]
        for name in names:
            if key.startswith(("erle", "echo")) and name.startswith("none"):
                continue
            lines.append(f"| {name} | " + " | ".join(cell(name, room, key)
                                                      for room in room_names) + " |")
    lines += ["", "**CPU and unknown output latency (rt0.5_d0.4, reply en)**", "",
              "| candidate | CPU ms per s of audio | wall ms per s | ERLE at 0 / 60 / 200 ms "
              "latency (dB) |",
              "|---|---|---|---|"]
    for name in names[1:]:
        mine = [r for r in results if r["candidate"] == name]
        cpu = sum(float(r["cpu_s"]) for r in mine)  # type: ignore[arg-type,misc]
        wall = sum(float(r["wall_s"]) for r in mine)  # type: ignore[arg-type,misc]
        audio = sum(float(r["audio_s"]) for r in mine)  # type: ignore[arg-type,misc]
        erles = [next((f"{float(r['erle_db']):.1f}" for r in mine  # type: ignore[arg-type]
                       if r["room"] == "rt0.5_d0.4" and r["scene"] == "reply en / visitor ko"
                       and float(r.get("latency_ms", 0.0)) == latency), "-")  # type: ignore[arg-type]
                 for latency in (0.0, 60.0, 200.0)]
        lines.append(f"| {name} | {1000 * cpu / audio:.1f} | {1000 * wall / audio:.1f} | "
                     f"{' / '.join(erles)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
