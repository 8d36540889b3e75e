"""The echo cancellers the bench compares, each behind one call: `run(mic, reference) -> out`.

`mic` and `reference` are float32 at 16 kHz on one timeline: `reference[i]` is the sample the
kiosk sends to the loudspeaker when the microphone records `mic[i]`. Each candidate is fed
frame by frame in step, as the kiosk would feed it live, starting from a fresh state. A
candidate whose package is missing reports why instead of running. Developers only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

RATE_HZ = 16000
FRAME = 160  # 10 ms: what WebRTC's APM takes; speex is given the same


@dataclass(frozen=True)
class Candidate:
    name: str
    package: str          # PyPI name ("" for the kiosk's own)
    licence: str
    run: Callable[[np.ndarray, np.ndarray], np.ndarray]


def _int16(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1.0, 1.0) * 32767).astype(np.int16)


def _frames(n: int) -> range:
    return range(0, n - FRAME + 1, FRAME)


def single_tap(mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The old single tap (kiosk/diag/single_tap.py) on its 32 ms blocks."""
    from kiosk.diag.single_tap import EchoCanceller

    echo = EchoCanceller()
    echo.played(reference, 0)
    block = 512
    out = np.zeros_like(mic)
    for i in range(0, len(mic) - block + 1, block):
        out[i:i + block] = echo.clean(mic[i:i + block], i)
    return out


def livekit_apm(mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """livekit.rtc.AudioProcessingModule: WebRTC AEC3 (+ its high-pass filter) over FFI."""
    from livekit import rtc

    apm = rtc.AudioProcessingModule(echo_cancellation=True, high_pass_filter=True)
    near, far = _int16(mic), _int16(reference)
    out = np.zeros_like(mic)
    for i in _frames(len(mic)):
        apm.process_reverse_stream(rtc.AudioFrame(far[i:i + FRAME].tobytes(), RATE_HZ, 1, FRAME))
        apm.set_stream_delay_ms(0)
        frame = rtc.AudioFrame(near[i:i + FRAME].tobytes(), RATE_HZ, 1, FRAME)
        apm.process_stream(frame)
        out[i:i + FRAME] = np.frombuffer(frame.data, np.int16) / 32767.0
    return out


def pywebrtc(mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """pywebrtc_audio.EchoCanceller: WebRTC AEC3 (+ high-pass) in a native extension."""
    import pywebrtc_audio

    canceller = pywebrtc_audio.EchoCanceller(sample_rate=RATE_HZ, num_channels=1,
                                             stream_delay_ms=0)
    out = np.zeros_like(mic)
    for i in _frames(len(mic)):
        out[i:i + FRAME] = canceller.process(np.ascontiguousarray(mic[i:i + FRAME]),
                                             np.ascontiguousarray(reference[i:i + FRAME]))
    return out


def speex(mic: np.ndarray, reference: np.ndarray, filter_length: int = 6144) -> np.ndarray:
    """Speex's MDF adaptive filter, 384 ms long, no residual suppression, from the system's
    libspeexdsp (kiosk/audio/speex.py; the same output as the speexdsp 0.1.1 binding)."""
    from kiosk.audio.speex import LinearEchoFilter

    canceller = LinearEchoFilter(FRAME, filter_length, RATE_HZ)
    near, far = _int16(mic), _int16(reference)
    out = np.zeros_like(mic)
    for i in _frames(len(mic)):
        out[i:i + FRAME] = canceller.process(near[i:i + FRAME], far[i:i + FRAME]) / 32767.0
    return out


def aec_audio_processing(mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """aec_audio_processing.AudioProcessor: PulseAudio's webrtc-audio-processing 2 (AEC only)."""
    from aec_audio_processing import AudioProcessor

    apm = AudioProcessor(enable_aec=True, enable_ns=False, enable_agc=False, enable_vad=False)
    apm.set_stream_format(RATE_HZ, 1)
    apm.set_reverse_stream_format(RATE_HZ, 1)
    apm.set_stream_delay(0)
    near, far = _int16(mic), _int16(reference)
    out = np.zeros_like(mic)
    for i in _frames(len(mic)):
        apm.process_reverse_stream(far[i:i + FRAME].tobytes())
        cleaned = apm.process_stream(near[i:i + FRAME].tobytes())
        out[i:i + FRAME] = np.frombuffer(cleaned, np.int16) / 32767.0
    return out


def speex_then_aec3(mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Speex's 384 ms linear filter first, WebRTC AEC3 (pywebrtc-audio) on what it leaves:
    AEC3 then sees a quieter echo path and suppresses less of the visitor."""
    return pywebrtc(speex(mic, reference).astype(np.float32), reference)


def unprocessed(mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return mic.copy()


CANDIDATES = (
    Candidate("none (microphone as is)", "", "", unprocessed),
    Candidate("kiosk EchoCanceller (single tap)", "", "MIT (ours)", single_tap),
    Candidate("livekit 1.2.1 APM (AEC3)", "livekit", "Apache-2.0", livekit_apm),
    Candidate("pywebrtc-audio 0.2.0 (AEC3)", "pywebrtc-audio", "Apache-2.0", pywebrtc),
    Candidate("Speex MDF (libspeexdsp 1.2.1, 384 ms)", "libspeexdsp1 (Debian)", "BSD", speex),
    Candidate("aec-audio-processing 1.0.1", "aec-audio-processing", "BSD-3-Clause",
              aec_audio_processing),
    Candidate("Speex 384 ms, then pywebrtc-audio AEC3", "libspeexdsp1 + pywebrtc-audio",
              "BSD + Apache-2.0", speex_then_aec3),
)
