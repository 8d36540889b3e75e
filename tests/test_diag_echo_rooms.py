"""The full-duplex measurement in simulated halls (`kiosk bench`'s `echo.rooms`) measures what it
says: a canceller that does nothing interrupts itself on every reply; the voice loop's does not,
and still hears a visitor who talks over it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiosk import daemon
from kiosk.audio import rooms
from kiosk.audio.aec import WebRtcEchoCanceller
from kiosk.audio.wavio import read_wav, resample
from kiosk.config import Config
from kiosk.diag import echo_rooms
from kiosk.messages import ASR_RATE_HZ
from kiosk.pipeline import BargeInRule, OnsetTracker


class _Scores:
    """A VAD stand-in that replays given speech probabilities."""

    def __init__(self, probs: list[float]) -> None:
        self._probs = iter(probs)

    def prob(self, frame: np.ndarray) -> float:
        return next(self._probs)

    def reset(self) -> None:
        """Nothing to reset."""


def _heard_after(probs: list[float], rule: BargeInRule) -> int | None:
    onset = OnsetTracker(_Scores(probs), 0.5)
    for frame in range(len(probs)):
        onset.prob(np.zeros(512, np.float32))
        if rule.heard(onset):
            return frame
    return None


def test_the_barge_in_rule_counts_speech_in_a_window_not_a_run() -> None:
    rule = BargeInRule(128, 224, 0.4)  # 4 of the last 7 frames
    # A visitor's first words under a ducking canceller: the score dips between syllables.
    assert _heard_after([0.1, 0.6, 0.3, 0.7, 0.2, 0.5, 0.8, 0.1], rule) == 6
    assert _heard_after([0.1, 0.6, 0.3, 0.7, 0.2, 0.5, 0.8, 0.1],
                        BargeInRule(160, 160, 0.5)) is None   # the old run of 5 never fires
    # Residual echo: now and then a frame over the threshold, never four in seven.
    assert _heard_after([0.5, 0.1, 0.1, 0.45, 0.1, 0.1, 0.1, 0.6, 0.1, 0.1, 0.1], rule) is None


def test_a_miss_counts_as_later_than_any_catch() -> None:
    assert echo_rooms._p95_with_misses([100.0] * 19 + [float("nan")]) == 100.0
    assert echo_rooms._p95_with_misses([100.0] * 18 + [float("nan")] * 2) is None
    assert echo_rooms._p95_with_misses([]) is None


def test_the_microphone_timeline_has_no_gaps_or_overlaps() -> None:
    mic = echo_rooms._Timeline()
    mic.add(np.ones(1000, np.float32), 100)
    starts = [at for at, _ in mic.blocks(700)] + [at for at, _ in mic.blocks(1300)]
    assert starts == [0, 512, 1024] and mic.read == 1536
    mic.add(np.ones(10, np.float32), mic.read)    # sound added at the read point is heard
    at, block = next(mic.blocks(mic.read + 1))
    assert at == 1536 and float(block[:10].sum()) == 10.0


def _speech(path: Path) -> np.ndarray:
    samples, rate_hz = read_wav(path)
    return resample(samples, rate_hz, ASR_RATE_HZ).astype(np.float32)


@pytest.fixture(scope="module")
def material(data_dir: Path) -> echo_rooms.Material:
    reply = _speech(data_dir / "long_speech.wav")[: 6 * ASR_RATE_HZ]
    question = echo_rooms.Spoken("Where is Hanyang Plaza?", "en",
                                 _speech(data_dir / "where_is_hanyang_plaza.wav"), "105")
    # Labelled Korean so that the visitors' questions come from the English pool.
    return echo_rooms.Material([echo_rooms.Spoken("a long campus answer", "ko", reply)],
                               {"en": [question], "ko": [question]})


class _Deaf:
    """A canceller that takes nothing out (what the microphone hears goes to the VAD)."""

    blocks_suppressed = 0
    delay_samples = 0

    def played(self, samples_16k: np.ndarray, mic_sample: int) -> None: ...

    def stopped(self, mic_sample: int) -> None: ...

    def active(self, mic_sample: int) -> bool:
        return True

    def clean(self, block: np.ndarray, mic_sample: int) -> np.ndarray:
        return block

    def said(self, text: str) -> None: ...

    def is_own_words(self, transcript: str, similarity: float = 0.6, min_words: int = 5,
                     during_reply: bool = False) -> bool:
        return False


def test_with_output_latency_the_echo_arrives_later_and_stops_as_it_was_registered(
        material: echo_rooms.Material) -> None:
    hall = rooms.room("rt0.2_d0.4")
    reply = material.replies[0].samples[: 2 * ASR_RATE_HZ]
    delay = echo_rooms._latency(60)
    late, on_time = echo_rooms._echo(reply, hall, delay), echo_rooms._echo(reply, hall)
    assert delay == 960 and not late[:delay].any() and np.array_equal(late[delay:], on_time)
    # A reply stopped at sample `cut`: what was registered before it still comes out, late.
    cut = ASR_RATE_HZ
    heard = late.copy()
    heard[cut:] -= echo_rooms._echo_after(reply, cut, hall, delay)
    np.testing.assert_allclose(heard[: delay + cut + len(hall.echo_path) - 1],
                               echo_rooms._echo(reply[:cut], hall, delay), atol=1e-5)


@pytest.mark.parametrize("latency_ms", [0, 60])
def test_the_voice_loops_canceller_lines_its_reference_up_with_the_late_echo(
        config: Config, material: echo_rooms.Material, latency_ms: int) -> None:
    """Two replies through the ERLE run (no VAD, no models): the canceller's measured lag is
    the latency plus the direct path (18 samples at 0.4 m), less its 32-sample lead."""
    hall = rooms.room("rt0.2_d0.4")
    canceller = echo_rooms.SYSTEMS["webrtc_aec3"].canceller(config)
    power_in, power_out = echo_rooms.erle(canceller, hall, material, 2, 1, latency_ms)
    direct = int(np.argmax(np.abs(hall.echo_path)))
    expected = max(0, echo_rooms._latency(latency_ms) + direct - 32)
    assert isinstance(canceller, WebRtcEchoCanceller)
    assert abs(canceller.lag_samples - expected) <= 16, (canceller.lag_samples, expected)
    assert power_out < 0.01 * power_in   # and it cancels: over 20 dB


@pytest.mark.slow
def test_without_a_canceller_the_kiosk_interrupts_itself_and_with_its_own_it_does_not(
        template_models: daemon.Models, material: echo_rooms.Material) -> None:
    hall = rooms.room("rt0.2_d0.4")
    voice_loop = echo_rooms.SYSTEMS["webrtc_aec3"]
    deaf = echo_rooms.System(lambda config: _Deaf(), voice_loop.rule)
    alone = echo_rooms.single_talk(template_models, deaf, hall, material, 3, 1)
    assert alone.self_interruptions == 3
    mine = echo_rooms.single_talk(template_models, voice_loop, hall, material, 3, 1)
    assert mine.self_interruptions == 0 and mine.self_triggered == 0


@pytest.mark.slow
def test_a_visitor_talking_over_a_reply_stops_it_and_is_answered(
        template_models: daemon.Models, material: echo_rooms.Material) -> None:
    figures = echo_rooms.double_talk(template_models, echo_rooms.SYSTEMS["webrtc_aec3"],
                                     rooms.room("rt0.2_d0.4"), material, 3, 1)
    caught = [ms for ms in figures.barge_in_ms if not np.isnan(ms)]
    assert len(caught) >= 2 and all(0 < ms < 2000 for ms in caught), figures.barge_in_ms
    assert figures.answered >= 2
    report = figures.as_json()
    assert report["barge_in_tries"] == 3 and 0 <= report["answered_during_reply"] <= 1


def test_the_median_barge_in_is_the_middle_of_the_caught_tries_in_order() -> None:
    figures = echo_rooms.Figures(barge_in_tries=4, barge_in_ms=[900.0, 100.0, float("nan"),
                                                                  200.0])
    report = figures.as_json()
    assert report["barge_in_ms_p50"] == 200 and report["barge_in_missed"] == 1
    assert echo_rooms.Figures(barge_in_tries=1, barge_in_ms=[float("nan")]).as_json()[
        "barge_in_ms_p50"] is None
