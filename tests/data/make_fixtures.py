"""Regenerate the speech test fixtures with the kiosk's own Piper English voice.

Run from the repository root: ``.venv/bin/python tests/data/make_fixtures.py``. Output is
deterministic (Piper's noise scales are set to 0, noise is seeded). Speech files are 16 kHz mono
16-bit; ``long_speech.wav`` is 8 kHz 8-bit so 20 s stays under 200 KB (it also exercises the
8-bit and resampling paths of ``read_wav``).
"""

from __future__ import annotations

import logging
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from piper import PiperVoice, SynthesisConfig  # noqa: E402

from kiosk.audio.wavio import resample, write_wav  # noqa: E402
from kiosk.config import load_config  # noqa: E402

OUT = Path(__file__).resolve().parent
RATE_HZ = 16000
log = logging.getLogger("make_fixtures")
PEAK = 0.5  # Piper normalises to full scale; a microphone gives far less
LONG_SENTENCE = (
    "The kiosk at Aeji Gate answers questions about buildings, libraries, cafeterias and "
    "bus stops on the Hanyang University campus in Korean and in English"
)


def speak(voice: PiperVoice, text: str, length_scale: float = 1.0) -> np.ndarray:
    syn = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, length_scale=length_scale)
    audio = np.concatenate([chunk.audio_float_array for chunk in voice.synthesize(text, syn)])
    audio = resample(audio, voice.config.sample_rate, RATE_HZ)
    return audio * (PEAK / max(1e-6, float(np.abs(audio).max())))


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE_HZ), np.float32)


def write_u8(path: Path, samples: np.ndarray, rate_hz: int) -> None:
    pcm = (np.clip(samples, -1, 1) * 127 + 128).round().astype(np.uint8)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(rate_hz)
        wav.writeframes(pcm.tobytes())


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = load_config()
    voice = PiperVoice.load(config.model_path(config.tts.voices["en"]))
    files = {
        "where_is_hanyang_plaza.wav": [
            silence(0.5), speak(voice, "Where is Hanyang Plaza?"), silence(0.8)
        ],
        "how_long_to_paiknam_library.wav": [
            silence(0.5),
            speak(voice, "How long does it take to walk to Paiknam Library?"),
            silence(0.8),
        ],
        "two_questions.wav": [
            silence(0.3),
            speak(voice, "What is the building number of the Main Building?", 0.85),
            silence(1.5),
            speak(voice, "What is next to the Student Union?", 0.85),
            silence(0.62),
        ],
        "silence.wav": [silence(3.0)],
        "noise.wav": [
            np.random.default_rng(1234).normal(0.0, 0.05, 3 * RATE_HZ).astype(np.float32)
        ],
    }
    for name, parts in files.items():
        write_wav(OUT / name, np.concatenate(parts), RATE_HZ)
    sentence = speak(voice, LONG_SENTENCE)
    gap = silence(0.15)  # well below the 300 ms that would count as a pause
    long_parts: list[np.ndarray] = [silence(0.3)]
    while sum(len(p) for p in long_parts) < 20 * RATE_HZ:
        long_parts += [sentence, gap]
    speech = np.concatenate(long_parts)[: 20 * RATE_HZ]
    long_speech = np.concatenate([speech, silence(0.7)])
    write_u8(OUT / "long_speech.wav", resample(long_speech, RATE_HZ, 8000), 8000)
    for path in sorted(OUT.glob("*.wav")):
        with wave.open(str(path), "rb") as wav:
            seconds = wav.getnframes() / wav.getframerate()
        log.info("fixture=%s seconds=%.2f kb=%d", path.name, seconds, path.stat().st_size // 1024)


if __name__ == "__main__":
    main()
