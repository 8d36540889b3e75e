"""Simulated halls for echo tests and the bench: impulse responses, a loudspeaker, and noise.

`kiosk.audio.room.Room` leaks one delayed, scaled copy of the reply into the microphone; a real
hall adds hundreds of milliseconds of reflections, and a small loudspeaker driven hard adds
distortion that no linear filter predicts. The six rooms here are image-source simulations
(kiosk/audio/make_rooms.py, made once with pyroomacoustics and stored in data/rooms.npz, 240 KB of
float16): RT60 0.2, 0.5 and 0.8 s, with the microphone 0.1 or 0.4 m from the loudspeaker, and
each with the path from a visitor's mouth 1 m in front of the kiosk. Reading them needs numpy
alone, so tests run on any machine.

`echo_of` is what the microphone hears of a reply (tanh soft clipping, then the room);
`at_microphone` is the same for the visitor (no clipping: a mouth does not distort).
`traffic` and `babble` are the backgrounds of a gate on a campus street: low rumble whose level
swells as cars pass, and a crowd of speech-like voices, both seeded and repeatable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from kiosk.errors import AudioError
from kiosk.messages import ASR_RATE_HZ

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data" / "rooms.npz"


@dataclass(frozen=True)
class SimRoom:
    """One simulated hall: impulse responses at 16 kHz from the loudspeaker and the visitor."""

    name: str
    rt60_s: float
    distance_m: float        # loudspeaker to microphone
    echo_path: np.ndarray    # loudspeaker → microphone, float32
    visitor_path: np.ndarray  # visitor's mouth (1 m away) → microphone, float32


@cache
def rooms() -> tuple[SimRoom, ...]:
    """Every stored room, from the driest and closest to the most reverberant and farthest."""
    try:
        data = np.load(DATA)
    except (OSError, ValueError) as error:
        raise AudioError(f"audio error: cannot read the simulated rooms {DATA}: {error}") from None
    with data:
        if int(data["rate_hz"]) != ASR_RATE_HZ:
            raise AudioError(f"audio error: {DATA} is not at {ASR_RATE_HZ} Hz")
        found = []
        for name in (str(n) for n in data["names"]):
            paths = [data[f"{name}.{p}"].astype(np.float32) * float(data[f"{name}.{p}_peak"])
                     for p in ("echo", "visitor")]
            found.append(SimRoom(name, round(float(data[f"{name}.rt60_s"]), 3),
                                 round(float(data[f"{name}.distance_m"]), 3), *paths))
    log.debug("event=rooms_loaded count=%d", len(found))
    return tuple(found)


def room(name: str) -> SimRoom:
    """The room called `name` (e.g. "rt0.5_d0.4"); `AudioError` naming the choices if unknown."""
    for candidate in rooms():
        if candidate.name == name:
            return candidate
    known = ", ".join(r.name for r in rooms())
    raise AudioError(f"audio error: no simulated room {name!r} (known: {known})")


def convolve(signal: np.ndarray, response: np.ndarray) -> np.ndarray:
    """`signal` through `response`, cut to the signal's length (FFT convolution, numpy only)."""
    signal = np.asarray(signal, np.float64)
    if not len(signal):
        return np.zeros(0, np.float32)
    size = len(signal) + len(response) - 1
    fft = 1 << (size - 1).bit_length()
    out = np.fft.irfft(np.fft.rfft(signal, fft) * np.fft.rfft(response, fft), fft)
    return out[: len(signal)].astype(np.float32)


def loudspeaker(playback: np.ndarray, drive: float = 1.0) -> np.ndarray:
    """A small loudspeaker near its limit: tanh soft clipping, unity gain for quiet input.

    With `drive` 1 a full-scale peak comes out at 0.76 (-2.4 dB) and a 0.5 peak at 0.46: the
    loud syllables carry harmonics that a linear echo canceller cannot predict from the
    reference. 0 is a perfectly linear loudspeaker.
    """
    x = np.asarray(playback, np.float32)
    return (np.tanh(drive * x) / drive).astype(np.float32) if drive > 0 else x


def echo_of(playback: np.ndarray, sim: SimRoom, drive: float = 1.0,
            latency_ms: float = 0.0) -> np.ndarray:
    """What the microphone hears of `playback` (16 kHz): loudspeaker, room, and an optional
    output latency (sound card buffers) that delays it past where the kiosk thinks it starts."""
    delay = round(latency_ms * ASR_RATE_HZ / 1000)
    heard = convolve(loudspeaker(playback, drive), sim.echo_path)
    return np.concatenate([np.zeros(delay, np.float32), heard])[: len(heard)]


def at_microphone(speech: np.ndarray, sim: SimRoom) -> np.ndarray:
    """A visitor's `speech` (16 kHz, as said at the mouth) as the kiosk's microphone hears it."""
    return convolve(speech, sim.visitor_path)


def rms(signal: np.ndarray) -> float:
    x = np.asarray(signal, np.float64)
    return float(np.sqrt(np.mean(x * x))) if len(x) else 0.0


def traffic(seconds: float, level: float = 0.01, seed: int = 0) -> np.ndarray:
    """Street noise: brown-ish rumble below ~400 Hz, swelling and fading as cars pass (RMS
    `level`)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * ASR_RATE_HZ)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / ASR_RATE_HZ)
    shape = 1.0 / np.maximum(freqs, 20.0) / (1 + (freqs / 400.0) ** 4)
    rumble = np.fft.irfft(spectrum * shape, n)
    # A car passes every few seconds: a slow bell-shaped swell of 10-20 dB.
    envelope = np.full(n, 0.3)
    t = np.arange(n) / ASR_RATE_HZ
    for at in np.cumsum(rng.uniform(2.0, 6.0, size=int(seconds / 2) + 1)):
        envelope += rng.uniform(0.5, 2.0) * np.exp(-0.5 * ((t - at) / rng.uniform(0.8, 2.0)) ** 2)
    return _at_level(rumble * envelope, level)


def speech_like(seconds: float, seed: int = 0) -> np.ndarray:
    """One synthetic talker: voiced syllables (harmonics of a wandering pitch shaped by vowel
    formants) at about 4 per second with pauses, unit RMS. Not words, but speech's rhythm and
    spectrum, which is what makes babble hard for a voice detector."""
    rng = np.random.default_rng(seed)
    n = int(seconds * ASR_RATE_HZ)
    out = np.zeros(n)
    f0_base = rng.uniform(95, 230)
    vowels = ((730, 1090), (270, 2290), (300, 870), (530, 1840), (640, 1190))
    at = int(rng.uniform(0, 0.3) * ASR_RATE_HZ)
    while at < n:
        length = int(rng.uniform(0.12, 0.3) * ASR_RATE_HZ)
        if at + length > n:
            break
        t = np.arange(length) / ASR_RATE_HZ
        f0 = f0_base * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(1, 3) * t + rng.uniform(0, 6)))
        phase = 2 * np.pi * np.cumsum(f0) / ASR_RATE_HZ
        f1, f2 = vowels[rng.integers(len(vowels))]
        syllable = np.zeros(length)
        for k in range(1, int(3800 / f0_base)):
            freq = k * f0_base
            gain = sum(1 / (1 + ((freq - f) / 90.0) ** 2) for f in (f1, f2)) + 0.05
            syllable += gain / k ** 0.5 * np.sin(k * phase)
        out[at:at + length] += syllable * np.hanning(length)
        at += length + int(rng.exponential(0.08) * ASR_RATE_HZ)
        if rng.random() < 0.12:  # between phrases
            at += int(rng.uniform(0.3, 0.8) * ASR_RATE_HZ)
    return _at_level(out, 1.0)


def babble(seconds: float, talkers: int = 6, level: float = 0.01, seed: int = 0) -> np.ndarray:
    """A crowd: `talkers` speech-like voices summed (RMS `level`)."""
    crowd = sum(speech_like(seconds, seed=seed * 1000 + k) for k in range(talkers))
    return _at_level(np.asarray(crowd), level)


def _at_level(signal: np.ndarray, level: float) -> np.ndarray:
    power = rms(signal)
    return (signal * (level / power if power > 0 else 0.0)).astype(np.float32)
