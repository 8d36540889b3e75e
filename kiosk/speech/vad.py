"""Voice activity detection: Silero VAD (ONNX) and the segmenter that cuts a stream into utterances.

Why segment ourselves instead of handing Whisper the raw stream:

* Whisper hallucinates on silence and noise ("Thank you.", "시청해주셔서 감사합니다"); giving it
  only stretches that Silero scored as speech removes most of those inputs before they exist.
* Whisper's cost grows with its 30 s window, not with the speech, so short trimmed clips and
  knowing *when* the visitor stopped (``end_silence_ms``) are what make replies feel prompt.
* A hard cap (``max_utterance_s``) keeps one endless talker or a TV nearby from starving the loop.
* With a turn judge (Smart Turn, kiosk/speech/turn.py), a short pause (``turn_pause_ms``) asks
  it whether the visitor has finished: a finished question ends there instead of after the
  full ``end_silence_ms``, and one judged unfinished ("How do I get to … the library?") waits
  up to ``incomplete_silence_ms`` for the rest instead of being cut in two.

Silero v5/v6 is streaming: each call takes one 512-sample frame (32 ms at 16 kHz) prefixed by the
last 64 samples of the previous call, plus a recurrent state of shape (2, 1, 128) that this class
carries between calls. onnxruntime only; torch is never imported.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from kiosk.config import VadConfig
from kiosk.errors import ModelError, one_line
from kiosk.messages import ASR_RATE_HZ, Transcript, Utterance
from kiosk.speech.turn import Ending, TurnJudge

log = logging.getLogger(__name__)

FRAME_SAMPLES = 512
"""Silero's frame at 16 kHz (32 ms)."""
CONTEXT_SAMPLES = 64
FRAME_S = FRAME_SAMPLES / ASR_RATE_HZ


class FrameScorer(Protocol):
    """Anything that scores a 512-sample frame as speech probability (Silero, or a test fake)."""

    def prob(self, frame: np.ndarray) -> float: ...

    def reset(self) -> None: ...


class SileroVad:
    """Silero VAD v5/v6 ONNX model, streaming one 32 ms frame per call."""

    def __init__(self, model_path: str | Path) -> None:
        import onnxruntime as ort

        path = Path(model_path)
        if not path.is_file():
            raise ModelError(f"model error: VAD model not found: {path} (run `kiosk models fetch`)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise ModelError(f"model error: cannot load VAD model {path}: "
                             f"{one_line(error)}") from None
        names = {i.name for i in self._session.get_inputs()}
        if names != {"input", "state", "sr"}:
            raise ModelError(
                f"model error: {path} is not a Silero VAD v5/v6 model (inputs {sorted(names)})"
            )
        self._sr = np.array(ASR_RATE_HZ, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        """Forget the recurrent state and context (call between unrelated streams)."""
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, dtype=np.float32)

    def prob(self, frame: np.ndarray) -> float:
        """Speech probability 0..1 of one float32 frame of exactly 512 samples at 16 kHz."""
        frame = np.asarray(frame, dtype=np.float32).reshape(-1)
        if len(frame) != FRAME_SAMPLES:
            raise ValueError(f"Silero frame must be {FRAME_SAMPLES} samples, got {len(frame)}")
        x = np.concatenate([self._context, frame])[np.newaxis, :]
        out, self._state = self._session.run(
            None, {"input": x, "state": self._state, "sr": self._sr}
        )
        self._context = frame[-CONTEXT_SAMPLES:].copy()
        return float(out.reshape(-1)[0])


class UtteranceSegmenter:
    """Cuts a 16 kHz float32 stream (blocks of any size) into ``Utterance``s.

    Hysteresis: a frame with prob ≥ ``start_threshold`` opens speech; once open, frames ≥
    ``stop_threshold`` count as speech and ``end_silence_ms`` of frames below it closes it.
    Speech with fewer than ``min_speech_ms`` of speech frames is dropped (clicks, coughs).
    ``preroll_ms`` of audio before onset is kept (and as much trailing silence, so Whisper sees
    the word ends); speech longer than ``max_utterance_s`` is emitted with ``cut=True`` and
    segmentation carries on with the rest.
    """

    def __init__(self, scorer: FrameScorer, config: VadConfig,
                 judge: TurnJudge | None = None) -> None:
        self._scorer = scorer
        self._cfg = config
        self._judge = judge
        self._preroll_frames = round(config.preroll_ms / 1000 / FRAME_S)
        self._end_frames = max(1, round(config.end_silence_ms / 1000 / FRAME_S))
        self._pause_frames = max(1, round(config.turn_pause_ms / 1000 / FRAME_S))
        self._incomplete_frames = max(
            self._end_frames, round(config.incomplete_silence_ms / 1000 / FRAME_S))
        self._min_speech_frames = max(1, round(config.min_speech_ms / 1000 / FRAME_S))
        self._max_frames = max(1, int(config.max_utterance_s / FRAME_S))
        self._pending = np.zeros(0, dtype=np.float32)
        self._reset_state()
        self._frame_index = 0

    def _reset_state(self) -> None:
        self._preroll: deque[np.ndarray] = deque(maxlen=max(1, self._preroll_frames))
        self._speaking = False
        self._frames: list[np.ndarray] = []
        self._start_frame = 0
        self._speech_frames = 0
        self._silence_run = 0
        self._unfinished = False  # the judge heard an unfinished turn at this pause
        self._heard: Transcript | None = None  # its transcript, while no more speech came

    def feed(self, block: np.ndarray) -> Iterator[Utterance]:
        """Push float32 mono 16 kHz samples; yields every utterance completed by them."""
        block = np.array(block, dtype=np.float32).reshape(-1)  # a copy: callers reuse buffers
        data = np.concatenate([self._pending, block]) if len(self._pending) else block
        n_full = len(data) // FRAME_SAMPLES
        self._pending = data[n_full * FRAME_SAMPLES :].copy()
        for i in range(n_full):
            frame = data[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]
            utterance = self._step(frame, self._scorer.prob(frame))
            self._frame_index += 1
            if utterance is not None:
                yield utterance

    def flush(self) -> Iterator[Utterance]:
        """End of stream: yield speech still open (if long enough) and reset for a new stream."""
        if self._speaking:
            if len(self._pending):
                self._frames.append(self._pending)
            utterance = self._emit(cut=False, trailing=self._silence_run, ended_by="end_of_stream")
            if utterance is not None:
                yield utterance
        self._pending = np.zeros(0, dtype=np.float32)
        self._reset_state()
        self._frame_index = 0
        self._scorer.reset()

    def _step(self, frame: np.ndarray, p: float) -> Utterance | None:
        cfg = self._cfg
        if not self._speaking:
            if p >= cfg.start_threshold:
                self._speaking = True
                self._frames = [*self._preroll, frame]
                self._start_frame = self._frame_index - len(self._preroll)
                self._speech_frames, self._silence_run = 1, 0
                self._preroll.clear()
            elif self._preroll_frames:
                self._preroll.append(frame)
            return None

        self._frames.append(frame)
        if p >= cfg.stop_threshold:
            self._speech_frames += 1
            self._silence_run = 0
            self._unfinished, self._heard = False, None
        else:
            self._silence_run += 1
        if self._judge is not None and self._silence_run == self._pause_frames:
            ending = self._judged()
            if ending is Ending.NOW:
                return self._emit(cut=False, trailing=self._silence_run, ended_by="turn_model")
            self._unfinished = ending is Ending.LATER
        limit = self._incomplete_frames if self._unfinished else self._end_frames
        if self._silence_run >= limit:
            return self._emit(cut=False, trailing=self._silence_run,
                              ended_by="long_silence" if self._unfinished else "silence")
        if len(self._frames) >= self._max_frames:
            return self._emit(cut=True, trailing=0)
        return None

    def _judged(self) -> Ending:
        """Ask the judge about the turn so far; a judge that fails leaves it to silence."""
        assert self._judge is not None
        if self._speech_frames < self._min_speech_frames:
            return Ending.SILENCE  # a cough: let silence drop it as before
        try:
            verdict = self._judge.judge(np.concatenate(self._frames))
        except Exception as error:  # one bad call must not stop listening
            log.warning("event=turn_judge_failed error=%s action=silence_decides",
                        one_line(error))
            return Ending.SILENCE
        self._heard = verdict.heard
        log.debug("event=turn_judged ending=%s", verdict.ending)
        return verdict.ending

    def _emit(self, cut: bool, trailing: int, ended_by: str = "silence") -> Utterance | None:
        """Close the open speech; keep at most ``preroll`` frames of its trailing silence."""
        keep_tail = min(trailing, self._preroll_frames)
        frames = self._frames[: len(self._frames) - (trailing - keep_tail)]
        speech_frames = self._speech_frames
        start_s = self._start_frame * FRAME_S
        if cut:  # speech goes on: stay open, the next piece starts right after this one
            self._start_frame += len(self._frames)
        else:  # the closing silence is the pre-roll of whatever comes next
            self._speaking = False
            self._silence_run = 0
            self._preroll.clear()
            if self._preroll_frames:
                self._preroll.extend(self._frames[-self._preroll_frames :])
        heard, self._heard = self._heard, None
        self._frames, self._speech_frames, self._unfinished = [], 0, False
        if speech_frames < self._min_speech_frames:
            log.debug("event=vad_drop start_s=%.2f speech_frames=%d", start_s, speech_frames)
            return None
        audio = np.concatenate(frames) if frames else np.zeros(0, np.float32)
        end_s = start_s + len(audio) / ASR_RATE_HZ
        ended_by = "length_cap" if cut else ended_by
        log.info("event=utterance start_s=%.2f end_s=%.2f cut=%s ended_by=%s",
                 start_s, end_s, cut, ended_by)
        return Utterance(audio=audio, start_s=start_s, end_s=end_s, cut=cut, ended_by=ended_by,
                         heard=None if cut else heard)
