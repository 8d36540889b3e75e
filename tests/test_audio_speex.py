"""Speex's linear echo filter through ctypes on the system's libspeexdsp (kiosk/audio/speex.py)."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.audio import rooms
from kiosk.audio.speex import LinearEchoFilter
from kiosk.errors import AudioError
from kiosk.messages import ASR_RATE_HZ

FRAME = 160


def _int16(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1, 1) * 32767).astype(np.int16)


def _echo_scene() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    reference = (rng.standard_normal(4 * ASR_RATE_HZ) * 0.1).astype(np.float32)
    return _int16(2 * rooms.echo_of(reference, rooms.room("rt0.5_d0.4"))), _int16(reference)


def _run(filter_: LinearEchoFilter, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return np.concatenate([filter_.process(mic[i:i + FRAME], reference[i:i + FRAME])
                           for i in range(0, len(mic) - FRAME + 1, FRAME)])


def test_the_filter_learns_the_rooms_echo_and_takes_most_of_it_out() -> None:
    mic, reference = _echo_scene()
    out = _run(LinearEchoFilter(FRAME, 6144, ASR_RATE_HZ), mic, reference).astype(np.float64)
    last = slice(2 * ASR_RATE_HZ, len(out))   # after two seconds of learning
    erle = 10 * np.log10(np.sum(mic[last].astype(np.float64) ** 2) / np.sum(out[last] ** 2))
    assert erle >= 10.0, erle


def test_it_gives_what_the_speexdsp_binding_gives_sample_for_sample() -> None:
    speexdsp = pytest.importorskip("speexdsp")  # the PyPI binding, where a developer built it
    mic, reference = _echo_scene()
    theirs = speexdsp.EchoCanceller.create(FRAME, 6144, ASR_RATE_HZ)
    expected = np.concatenate([
        np.frombuffer(theirs.process(mic[i:i + FRAME].tobytes(),
                                     reference[i:i + FRAME].tobytes()), np.int16)
        for i in range(0, len(mic) - FRAME + 1, FRAME)])
    assert np.array_equal(_run(LinearEchoFilter(FRAME, 6144, ASR_RATE_HZ), mic, reference),
                          expected)


def test_a_frame_of_the_wrong_size_is_a_one_line_error_and_the_filter_goes_on() -> None:
    filter_ = LinearEchoFilter(FRAME, 1024, ASR_RATE_HZ)
    with pytest.raises(AudioError) as caught:
        filter_.process(np.zeros(100, np.int16), np.zeros(100, np.int16))
    assert "\n" not in str(caught.value)
    assert len(filter_.process(np.zeros(FRAME, np.int16), np.zeros(FRAME, np.int16))) == FRAME
    filter_.close()
    with pytest.raises(AudioError):
        filter_.process(np.zeros(FRAME, np.int16), np.zeros(FRAME, np.int16))
