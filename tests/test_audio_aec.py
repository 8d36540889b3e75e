"""WebRTC AEC3 (and Speex before it) on the simulated halls: echo out, visitor through.

The reply is the kiosk's own Piper voice (tests/data/long_speech.wav, 8 s) played through the
loudspeaker model into each room, and the visitor asks "How long does it take to walk to
Paiknam Library?" 5 dB quieter from 1 m, 3 s into the reply, over quiet traffic. The floors are
well below what was measured here (docs/echo.md): ERLE 27-68 dB for AEC3 alone and 25-39 dB
with Speex first; the visitor comes out 5-10 dB down alone and 3-5 dB down with Speex first,
their ratio to what is left of the echo 7-24 dB better than at the microphone.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from kiosk.audio import rooms
from kiosk.audio.aec import WebRtcEchoCanceller
from kiosk.audio.wavio import read_wav, resample
from kiosk.diag.single_tap import EchoCanceller
from kiosk.errors import AudioError
from kiosk.messages import ASR_RATE_HZ

BLOCK = 512          # the kiosk's 32 ms microphone block
VISITOR_AT = 3 * ASR_RATE_HZ
MIC_GAIN = 2.0


def _speech(path: Path) -> np.ndarray:
    samples, rate_hz = read_wav(path)
    return resample(samples, rate_hz, ASR_RATE_HZ).astype(np.float32)


@pytest.fixture(scope="module")
def reply(data_dir: Path) -> np.ndarray:
    speech = _speech(data_dir / "long_speech.wav")[: 8 * ASR_RATE_HZ]
    return (speech * (0.5 / np.abs(speech).max())).astype(np.float32)


@pytest.fixture(scope="module")
def question(data_dir: Path, reply: np.ndarray) -> np.ndarray:
    speech = _speech(data_dir / "how_long_to_paiknam_library.wav")
    return (speech * (rooms.rms(reply) * 10 ** (-5 / 20) / rooms.rms(speech))).astype(np.float32)


def _clean(canceller: WebRtcEchoCanceller, mic: np.ndarray, reference: np.ndarray
           ) -> np.ndarray:
    """Play `reference` from sample 0, clean `mic` block by block, undo the fixed delay."""
    canceller.played(reference, 0)
    out = np.zeros_like(mic)
    for at in range(0, len(mic) - BLOCK + 1, BLOCK):
        out[at:at + BLOCK] = canceller.clean(mic[at:at + BLOCK], at)
    delay = canceller.delay_samples
    return np.concatenate([out[delay:], np.zeros(delay, np.float32)])


def _erle_db(echo: np.ndarray, residual: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(echo ** 2) / max(float(np.sum(residual ** 2)), 1e-20)))


def _visitor_share(out: np.ndarray, visitor: np.ndarray) -> tuple[float, float]:
    """(visitor's gain in `out`, dB; visitor-to-rest ratio in `out`, dB)."""
    gain = float(np.dot(out, visitor) / np.dot(visitor, visitor))
    rest = out - gain * visitor
    return (20 * np.log10(max(abs(gain), 1e-6)),
            10 * np.log10(gain * gain * float(np.dot(visitor, visitor))
                          / max(float(np.dot(rest, rest)), 1e-20)))


@pytest.mark.parametrize("linear_ms", [0, 384])
@pytest.mark.parametrize("sim", rooms.rooms(), ids=lambda sim: sim.name)
def test_the_kiosks_voice_is_removed_in_every_room(sim: rooms.SimRoom, linear_ms: int,
                                                   reply: np.ndarray) -> None:
    echo = MIC_GAIN * rooms.echo_of(reply, sim)
    canceller = WebRtcEchoCanceller(linear_ms=linear_ms)
    out = _clean(canceller, echo, reply)
    second = ASR_RATE_HZ
    assert _erle_db(echo[second:], out[second:]) >= 15.0
    assert canceller.blocks_suppressed > 0.5 * (len(echo) - second) / BLOCK


def _double_talk(sim: rooms.SimRoom, linear_ms: int, reply: np.ndarray, question: np.ndarray
                 ) -> tuple[float, float, float]:
    """(visitor kept, dB; visitor-to-rest in the output, dB; the same at the microphone)."""
    echo = MIC_GAIN * rooms.echo_of(reply, sim)
    visitor = np.zeros_like(echo)
    visitor[VISITOR_AT:VISITOR_AT + len(question)] = MIC_GAIN * rooms.at_microphone(question, sim)
    mic = (echo + visitor + rooms.traffic(len(echo) / ASR_RATE_HZ, 0.0015, seed=1)
           ).astype(np.float32)
    out = _clean(WebRtcEchoCanceller(linear_ms=linear_ms), mic, reply)
    span = slice(VISITOR_AT, VISITOR_AT + len(question))
    kept_db, out_ratio_db = _visitor_share(out[span], visitor[span])
    _, mic_ratio_db = _visitor_share(mic[span], visitor[span])
    return kept_db, out_ratio_db, mic_ratio_db


@pytest.mark.parametrize("linear_ms", [0, 384])
@pytest.mark.parametrize("sim", rooms.rooms(), ids=lambda sim: sim.name)
def test_a_visitor_talking_over_the_kiosk_comes_through(sim: rooms.SimRoom, linear_ms: int,
                                                        reply: np.ndarray,
                                                        question: np.ndarray) -> None:
    kept_db, out_ratio_db, mic_ratio_db = _double_talk(sim, linear_ms, reply, question)
    assert kept_db >= (-10.0 if linear_ms else -16.0)
    assert out_ratio_db >= mic_ratio_db + 4.0


def test_speex_first_keeps_more_of_the_visitor_than_aec3_alone(reply: np.ndarray,
                                                              question: np.ndarray) -> None:
    """Why `linear_ms` defaults to 384: AEC3 alone ducks a visitor under a loud echo."""
    alone = [_double_talk(sim, 0, reply, question)[0] for sim in rooms.rooms()]
    after_speex = [_double_talk(sim, 384, reply, question)[0] for sim in rooms.rooms()]
    assert np.mean(after_speex) >= np.mean(alone) + 1.0, (alone, after_speex)


@pytest.mark.parametrize("linear_ms", [0, 384])
def test_silence_in_is_silence_out_while_the_kiosk_talks(linear_ms: int,
                                                         reply: np.ndarray) -> None:
    silent = np.zeros(4 * ASR_RATE_HZ, np.float32)
    out = _clean(WebRtcEchoCanceller(linear_ms=linear_ms), silent, reply[: len(silent)])
    assert float(np.abs(out).max()) < 1e-3


def test_with_nothing_playing_the_microphone_comes_through_late_but_whole(
        question: np.ndarray) -> None:
    canceller = WebRtcEchoCanceller(linear_ms=0)
    mic = np.concatenate([question, np.zeros(ASR_RATE_HZ, np.float32)])
    out = np.zeros_like(mic)
    for at in range(0, len(mic) - BLOCK + 1, BLOCK):
        assert not canceller.active(at)
        out[at:at + BLOCK] = canceller.clean(mic[at:at + BLOCK], at)
    assert canceller.delay_samples == 128 + 160  # AEC3's 8 ms + framing 32 ms blocks
    delayed = out[canceller.delay_samples:][: len(question)]
    correlation = np.dot(delayed, question[: len(delayed)]) / np.sqrt(
        np.dot(delayed, delayed) * np.dot(question[: len(delayed)], question[: len(delayed)]))
    assert correlation > 0.9   # AEC3's high-pass filter and 10 ms frames: 0.94 measured
    assert rooms.rms(delayed) > 0.7 * rooms.rms(question[: len(delayed)])
    assert canceller.blocks_suppressed == 0


def test_a_reply_cut_short_stops_being_cancelled_after_the_rooms_tail(
        reply: np.ndarray) -> None:
    canceller = WebRtcEchoCanceller(linear_ms=0, max_lag_ms=400, tail_ms=800)
    canceller.played(reply, 0)
    assert canceller.active(0) and canceller.active(len(reply))
    canceller.stopped(ASR_RATE_HZ)
    assert canceller.active(ASR_RATE_HZ + int(1.1 * ASR_RATE_HZ))
    assert not canceller.active(ASR_RATE_HZ + int(1.3 * ASR_RATE_HZ))


def test_it_has_the_single_tap_cancellers_interface_and_shares_its_own_words_check() -> None:
    canceller = WebRtcEchoCanceller(linear_ms=0)
    for name in ("played", "stopped", "active", "clean", "said", "is_own_words",
                 "blocks_suppressed"):
        assert hasattr(canceller, name) and hasattr(EchoCanceller(), name), name
    assert type(canceller.own_words) is type(EchoCanceller().own_words)
    canceller.said("Paiknam Library is about a seven minute walk from here.")
    assert canceller.is_own_words("is about a seven minute walk from here")
    assert not canceller.is_own_words("Where is Paiknam Library?")


def test_a_missing_aec3_library_is_a_one_line_audio_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pywebrtc_audio", None)  # import raises ImportError
    with pytest.raises(AudioError) as caught:
        WebRtcEchoCanceller(linear_ms=0)
    assert "\n" not in str(caught.value) and "pywebrtc-audio" in str(caught.value)


def test_without_libspeexdsp_the_voice_loop_runs_aec3_alone(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from kiosk.audio import canceller, speex

    def missing(name: str) -> None:
        raise OSError(f"{name}: cannot open shared object file")

    speex._library.cache_clear()
    monkeypatch.setattr(speex.ctypes, "CDLL", missing)
    try:
        with pytest.raises(AudioError) as caught:
            WebRtcEchoCanceller(linear_ms=384)
        assert "\n" not in str(caught.value) and "libspeexdsp1" in str(caught.value)
        degraded = canceller.voice_loop_canceller(384, 400, 500)
        assert isinstance(degraded, WebRtcEchoCanceller) and not degraded.has_linear_filter
        assert "event=aec_degraded" in caplog.text
    finally:
        speex._library.cache_clear()
