"""The echo's delay behind the reference: measured at a reply's start, and lined up by the
canceller so that Speex's filter works when the sound card adds output latency.

The reply is the kiosk's own Piper voice (tests/data/long_speech.wav); the latencies are what
sound cards add (20-200 ms). Measured here with 72 ms: Speex then AEC3 removed 25-28 dB of the
echo with the reference as registered, 41-43 dB once lined up (docs/echo.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiosk.audio import rooms
from kiosk.audio.aec import WebRtcEchoCanceller
from kiosk.audio.echo_delay import EchoDelayEstimator
from kiosk.audio.wavio import read_wav, resample
from kiosk.messages import ASR_RATE_HZ

BLOCK = 512
FRAME = 160
MAX_LAG = 6400       # 400 ms, pipeline.echo_max_lag_ms
WINDOW = 8000


@pytest.fixture(scope="module")
def reply(data_dir: Path) -> np.ndarray:
    samples, rate_hz = read_wav(data_dir / "long_speech.wav")
    speech = resample(samples, rate_hz, ASR_RATE_HZ)[: 8 * ASR_RATE_HZ]
    return (speech * (0.5 / np.abs(speech).max())).astype(np.float32)


def _delayed(signal: np.ndarray, samples: int) -> np.ndarray:
    return np.concatenate([np.zeros(samples, np.float32), signal])[: len(signal)]


def _estimate(mic: np.ndarray, reference: np.ndarray) -> EchoDelayEstimator:
    estimator = EchoDelayEstimator(MAX_LAG, WINDOW)
    estimator.reply_started()
    for at in range(0, len(mic) - FRAME + 1, FRAME):
        if estimator.feed(mic[at:at + FRAME], reference[at:at + FRAME]):
            break
    return estimator


@pytest.mark.parametrize("latency_ms", [0, 40, 72, 200])
@pytest.mark.parametrize("sim", [rooms.room("rt0.2_d0.1"), rooms.room("rt0.8_d0.4")],
                         ids=lambda sim: sim.name)
def test_the_echo_delay_is_found_in_a_hall(sim: rooms.SimRoom, latency_ms: int,
                                           reply: np.ndarray) -> None:
    """The direct path (the impulse response's peak) plus the latency, to a millisecond,
    over a quiet street; the estimate keeps a 2 ms lead so that the filters stay causal."""
    echo = 2.0 * rooms.echo_of(reply, sim, latency_ms=latency_ms)
    mic = (echo + rooms.traffic(len(echo) / ASR_RATE_HZ, 0.0015, seed=3)).astype(np.float32)
    truth = round(latency_ms * ASR_RATE_HZ / 1000) + int(np.argmax(np.abs(sim.echo_path)))
    estimator = _estimate(mic, reply)
    assert estimator.estimates == 1
    assert abs(estimator.lag - max(0, truth - 32)) <= 16, (estimator.lag, truth)


def test_no_echo_is_no_estimate_and_the_last_one_stays(reply: np.ndarray) -> None:
    """A muted loudspeaker (the microphone hears only the street) gives no clear peak."""
    street = rooms.traffic(len(reply) / ASR_RATE_HZ, 0.01, seed=4).astype(np.float32)
    estimator = _estimate(street, reply)
    assert estimator.estimates == 0 and estimator.lag == 0


def _cleaned(canceller: WebRtcEchoCanceller, mic: np.ndarray, reference: np.ndarray,
             starts: list[int]) -> np.ndarray:
    out = np.zeros_like(mic)
    for at in range(0, len(mic) - BLOCK + 1, BLOCK):
        for start in starts:
            if at <= start < at + BLOCK:
                canceller.played(reference, start)
        out[at:at + BLOCK] = canceller.clean(mic[at:at + BLOCK], at)
    delay = canceller.delay_samples
    return np.concatenate([out[delay:], np.zeros(delay, np.float32)])


def test_with_output_latency_the_canceller_lines_the_reference_up_during_the_first_reply(
        reply: np.ndarray) -> None:
    """72 ms of output latency in a one-tap room: the reference is lined up during the first
    reply (after its first 2.4 s) and the echo removed from then on is at least 10 dB more
    than a canceller that kept the reference where it was registered."""
    start = ASR_RATE_HZ
    latency = round(0.072 * ASR_RATE_HZ)
    mic = np.zeros(start + len(reply) + ASR_RATE_HZ, np.float32)
    mic[start + latency:start + len(reply)] += 0.7 * reply[: len(reply) - latency]
    aligned = WebRtcEchoCanceller()
    as_registered = WebRtcEchoCanceller()
    as_registered._consider = lambda lag: None  # type: ignore[method-assign]
    out = _cleaned(aligned, mic, reply, [start])
    kept = _cleaned(as_registered, mic, reply, [start])
    assert abs(aligned.lag_samples - (latency - 32)) <= 16
    assert as_registered.lag_samples == 0
    late = slice(start + 4 * ASR_RATE_HZ, start + len(reply))
    gain_db = 10 * np.log10(np.sum(kept[late] ** 2) / max(float(np.sum(out[late] ** 2)), 1e-20))
    assert gain_db >= 10.0, gain_db
