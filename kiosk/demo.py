"""`make demo`: the kiosk's main job on the embedded default models, start to finish.

1. A few English questions are spoken with the kiosk's own voice into WAV files (there is no
   microphone on a build machine), then each goes through the whole voice loop: VAD → Whisper →
   retrieval + Gemma + guard → Piper, and the spoken answer is written next to it.
2. A few Korean questions are typed (no Korean voice exists to speak them) and answered by the
   dialog engine; the answer audio goes through the Korean voice path that is configured (with
   no Korean voice installed: the English version of the answer, see README).
For each: what was heard, the answer, its source (llm/template/refusal) and the timings.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import numpy as np

from kiosk.audio.wavio import write_wav
from kiosk.config import load_config
from kiosk.daemon import Models, run_files
from kiosk.dialog.sentences import split_sentences
from kiosk.errors import KioskError

OUT_DIR = Path("out/demo")
SPOKEN_EN = [
    "Where is Hanyang Plaza?",
    "How long does it take to walk to Paiknam Library?",
    "What is next to the Student Union Building?",
    "How many floors does the Olympic Gymnasium have?",
    "What's the weather like today?",
]
TYPED_KO = [
    "백남학술정보관 몇 번 건물이에요?",
    "거기까지 걸어서 얼마나 걸려요?",
    "애지문에서 한양플라자 어떻게 가요?",
    "연세대학교는 어디예요?",
]


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _timings(timings: dict[str, float]) -> str:
    return " ".join(f"{key}={value:.0f}ms" for key, value in timings.items())


def main() -> int:
    config = load_config()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    models = Models(config)
    models.preload()
    _say(f"models loaded in {time.perf_counter() - started:.1f} s "
         f"(llm {models.engine.llm.name}, Korean voice: {models.tts.active_korean_voice()})\n")

    _say("== spoken English questions through the full voice loop ==")
    for number, question in enumerate(SPOKEN_EN, start=1):
        question_wav = OUT_DIR / f"q{number}.wav"
        answer_wav = OUT_DIR / f"q{number}.answer.wav"
        speech = models.tts.synthesize(question, "en")
        write_wav(question_wav, speech.samples, speech.rate_hz)
        models.engine.sessions.reset(config.pipeline.session_id)
        turns = asyncio.run(run_files(models, question_wav, answer_wav))
        _say(f"[{number}] asked:  {question}")
        for turn in turns:
            _say(f"    heard:  {turn.transcript}\n    answer: {turn.answer}\n"
                 f"    source: {turn.source}  places: {','.join(turn.places) or '-'}  "
                 f"wav: {answer_wav}\n    {_timings(turn.timings_ms)}")
        if not turns:
            _say("    (nothing heard)")

    _say("\n== typed Korean questions (one visitor, with a follow-up) ==")
    session = "demo-ko"
    for number, question in enumerate(TYPED_KO, start=1):
        reply = models.engine.answer(question, session)
        spoken = reply.answer_en if (reply.lang == "ko" and reply.answer_en and
                                     models.tts.active_korean_voice() == "english-answer") \
            else reply.answer
        tts_started = time.perf_counter()
        parts = [models.tts.synthesize(s, "en" if spoken is reply.answer_en else reply.lang)
                 for s in split_sentences(spoken)]
        tts_ms = (time.perf_counter() - tts_started) * 1000
        answer_wav = OUT_DIR / f"ko{number}.answer.wav"
        if parts:
            write_wav(answer_wav, np.concatenate([p.samples for p in parts]), parts[0].rate_hz)
        _say(f"[ko{number}] asked:  {question}\n    answer: {reply.answer}\n"
             f"    spoken: {spoken}\n    source: {reply.source}  places: "
             f"{','.join(reply.places) or '-'}  wav: {answer_wav}\n"
             f"    {_timings(reply.timings_ms)} tts={tts_ms:.0f}ms")
    _say(f"\ndone in {time.perf_counter() - started:.1f} s; answers in {OUT_DIR}/")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KioskError as error:
        sys.stderr.write(f"kiosk demo: {error}\n")
        sys.exit(error.exit_code)
