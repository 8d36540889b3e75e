"""Speex's MDF linear echo filter, from the system's libspeexdsp (the library PulseAudio uses).

Why ctypes and not a PyPI binding: the only bindings (`speexdsp` 0.1.1, `speexaec`) ship no
wheel, so installing one means `apt install libspeexdsp-dev swig` and a compiler, on the Jetson
too, and `speexdsp` 0.1.1 (2018) imports `imp`, which Python 3.12 removed. The runtime library
itself, `libspeexdsp.so.1`, is in Debian and Ubuntu as `libspeexdsp1` (PulseAudio depends on it,
so every machine with the kiosk's sound server has it), and the filter needs four C functions.
On the same frames this gives the same output as `speexdsp` 0.1.1, sample for sample
(tests/test_audio_speex.py): both call `speex_echo_cancellation` on one echo state and nothing
else (no preprocessor).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache

import numpy as np

from kiosk.errors import AudioError

log = logging.getLogger(__name__)

_SET_SAMPLING_RATE = 24   # SPEEX_ECHO_SET_SAMPLING_RATE in speex/speex_echo.h
_INT16_P = ctypes.POINTER(ctypes.c_int16)


@cache
def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("speexdsp") or "libspeexdsp.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        raise AudioError("audio error: the linear echo filter needs libspeexdsp "
                         "(apt install libspeexdsp1), or set pipeline.echo_linear_ms = 0"
                         ) from None
    lib.speex_echo_state_init.restype = ctypes.c_void_p
    lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.speex_echo_state_destroy.restype = None
    lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
    lib.speex_echo_ctl.restype = ctypes.c_int
    lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.speex_echo_cancellation.restype = None
    lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p, _INT16_P, _INT16_P, _INT16_P]
    log.debug("event=speexdsp_loaded name=%s", name)
    return lib


class LinearEchoFilter:
    """One MDF echo state: `frame` samples at a time, a filter `filter_length` samples long."""

    def __init__(self, frame: int, filter_length: int, rate_hz: int) -> None:
        self._state: int | None = None
        self._lib = _library()
        self._frame = frame
        state = self._lib.speex_echo_state_init(frame, filter_length)
        if not state:
            raise AudioError("audio error: libspeexdsp could not make an echo state")
        self._state = state
        rate = ctypes.c_int(rate_hz)
        self._lib.speex_echo_ctl(state, _SET_SAMPLING_RATE, ctypes.byref(rate))
        self._out = np.zeros(frame, np.int16)

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """The microphone frame (int16) with the filter's estimate of the reference's echo
        taken out; both `frame` samples long."""
        if self._state is None:
            raise AudioError("audio error: the echo filter was closed")
        near = np.ascontiguousarray(mic, np.int16)
        far = np.ascontiguousarray(reference, np.int16)
        if len(near) != self._frame or len(far) != self._frame:
            raise AudioError(f"audio error: the echo filter takes {self._frame}-sample frames")
        self._lib.speex_echo_cancellation(self._state, near.ctypes.data_as(_INT16_P),
                                          far.ctypes.data_as(_INT16_P),
                                          self._out.ctypes.data_as(_INT16_P))
        return self._out.copy()

    def close(self) -> None:
        if getattr(self, "_state", None) is not None:
            self._lib.speex_echo_state_destroy(self._state)
            self._state = None

    def __del__(self) -> None:
        self.close()
