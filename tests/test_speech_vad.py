"""Silero VAD on real audio, and the utterance segmenter on scripted and real streams."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from kiosk.audio.sources import WavSource
from kiosk.config import Config
from kiosk.errors import ModelError
from kiosk.speech.vad import FRAME_SAMPLES, SileroVad, UtteranceSegmenter


def frames_of(samples: np.ndarray) -> list[np.ndarray]:
    n = len(samples) // FRAME_SAMPLES
    return [samples[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES] for i in range(n)]


def segment(silero: SileroVad, config: Config, path: Path, block_ms: int = 32):
    silero.reset()
    seg = UtteranceSegmenter(silero, config.vad)
    samples = WavSource(path).samples
    block = 16 * block_ms
    out = []
    for i in range(0, len(samples), block):
        out += list(seg.feed(samples[i : i + block]))
    return out + list(seg.flush())


class ScriptedScorer:
    """Fake VAD: frame i scores probs[i] (0 after the end)."""

    def __init__(self, probs: list[float]) -> None:
        self.probs, self.i = probs, 0

    def prob(self, frame: np.ndarray) -> float:
        p = self.probs[self.i] if self.i < len(self.probs) else 0.0
        self.i += 1
        return p

    def reset(self) -> None:
        self.i = 0


def test_silero_speech_high_silence_and_noise_low(silero, data_dir):
    probs = {}
    for name in ("where_is_hanyang_plaza", "silence", "noise"):
        silero.reset()
        samples = WavSource(data_dir / f"{name}.wav").samples
        probs[name] = [silero.prob(f) for f in frames_of(samples)]
    assert max(probs["where_is_hanyang_plaza"]) > 0.9
    assert np.mean(np.array(probs["where_is_hanyang_plaza"]) > 0.5) > 0.3
    assert max(probs["silence"]) < 0.2
    assert max(probs["noise"]) < 0.35


def test_silero_rejects_wrong_frame_size(silero):
    with pytest.raises(ValueError):
        silero.prob(np.zeros(400, np.float32))


def test_silero_missing_and_truncated_model(tmp_path, config):
    with pytest.raises(ModelError, match="not found"):
        SileroVad(tmp_path / "nope.onnx")
    bad = tmp_path / "silero_vad.onnx"
    bad.write_bytes(config.model_path(config.vad.model).read_bytes()[:3000])
    with pytest.raises(ModelError, match="cannot load VAD model") as info:
        SileroVad(bad)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "count"),
    [("where_is_hanyang_plaza", 1), ("two_questions", 2), ("silence", 0), ("noise", 0)],
)
def test_segmenter_counts_utterances(silero, config, data_dir, name, count):
    utterances = segment(silero, config, data_dir / f"{name}.wav")
    assert len(utterances) == count
    assert not any(u.cut for u in utterances)
    for u in utterances:
        assert u.audio.dtype == np.float32
        assert u.end_s > u.start_s
        assert abs(u.end_s - u.start_s - len(u.audio) / 16000) < 1e-6


def test_segmenter_block_size_does_not_matter(silero, config, data_dir):
    a = segment(silero, config, data_dir / "two_questions.wav", block_ms=32)
    b = segment(silero, config, data_dir / "two_questions.wav", block_ms=100)
    assert [(u.start_s, u.end_s) for u in a] == [(u.start_s, u.end_s) for u in b]


def test_segmenter_cuts_long_speech(silero, config, data_dir):
    utterances = segment(silero, config, data_dir / "long_speech.wav")
    assert len(utterances) == 2
    first, rest = utterances
    assert first.cut and not rest.cut
    assert abs(first.duration_s - config.vad.max_utterance_s) < 0.1
    assert abs(rest.start_s - first.end_s) < 1e-6
    assert rest.duration_s > 3


def test_segmenter_hysteresis_preroll_and_min_speech(config):
    vad = config.vad.model_copy(
        update={"preroll_ms": 64, "end_silence_ms": 128, "min_speech_ms": 96}
    )
    # frames: 5 silent, onset 0.6, 0.4 (between thresholds: still speech), 0.6, then silence;
    # later a 1-frame blip that is too short to count.
    probs = [0.0] * 5 + [0.6, 0.4, 0.6] + [0.1] * 6 + [0.9] + [0.0] * 8
    seg = UtteranceSegmenter(ScriptedScorer(probs), vad)
    stream = np.arange(len(probs) * FRAME_SAMPLES, dtype=np.float32)
    utterances = list(seg.feed(stream)) + list(seg.flush())
    assert len(utterances) == 1
    u = utterances[0]
    # 2 pre-roll frames (3, 4) + 3 speech frames + 2 kept trailing silent frames
    assert u.audio[0] == 3 * FRAME_SAMPLES
    assert len(u.audio) == 7 * FRAME_SAMPLES
    assert u.start_s == pytest.approx(3 * 0.032)


def test_segmenter_flush_emits_open_speech(config):
    seg = UtteranceSegmenter(ScriptedScorer([0.9] * 20), config.vad)
    assert list(seg.feed(np.zeros(20 * FRAME_SAMPLES + 100, np.float32))) == []
    (u,) = list(seg.flush())
    assert not u.cut
    assert len(u.audio) == 20 * FRAME_SAMPLES + 100


def test_silero_loads_from_copied_file(tmp_path, config):
    copy = tmp_path / "vad.onnx"
    shutil.copy(config.model_path(config.vad.model), copy)
    assert 0.0 <= SileroVad(copy).prob(np.zeros(FRAME_SAMPLES, np.float32)) <= 1.0
