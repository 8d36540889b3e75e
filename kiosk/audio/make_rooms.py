"""Make the simulated rooms' impulse responses (kiosk/audio/data/rooms.npz). Developers only.

The echo canceller has to be judged on what a microphone hears in a hall, not on one delayed
copy of the reply, so the tests and the bench use image-source rooms from pyroomacoustics. It
is a developer tool (``pip install -e '.[rooms]'``), not a runtime dependency: its output is
saved once, small, and `kiosk.audio.rooms` reads it with numpy alone.

Run from the repository root: ``.venv/bin/python -m kiosk.audio.make_rooms``. The output is
deterministic (the randomised image sources are seeded).

Geometry: a 7 x 5 x 3.2 m hall; the kiosk stands 0.6 m from a wall, its loudspeaker at 1.2 m
height and its microphone straight above it at 0.1 m (a microphone beside the speaker grille)
or 0.4 m (at the top of the screen); the visitor's mouth is 1.6 m high, 1 m in front of the
kiosk. Each wall's absorption is tuned until the echo path's measured RT60 is the target (Sabine's
formula alone gives 1.05 s for 0.8 s in a shoebox with image sources), for 0.2, 0.5 and 0.8 s.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).resolve().parent / "data" / "rooms.npz"
RATE_HZ = 16000
DIMENSIONS_M = (7.0, 5.0, 3.2)
SPEAKER_M = (3.5, 0.6, 1.2)
VISITOR_MOUTH_M = (3.5, 1.6, 1.6)
RT60S_S = (0.2, 0.5, 0.8)
DISTANCES_M = (0.1, 0.4)
KEEP_S = 0.8           # enough for 60 dB of decay in the 0.8 s room
FADE_S = 0.02
# pyroomacoustics amplitudes are about 1/distance (10 at 10 cm); this keeps the closest path
# below full scale while preserving every ratio between paths.
SCALE = 0.1

log = logging.getLogger("make_rooms")


def impulse_responses(rt60_s: float, distance_m: float, seed: int
                      ) -> tuple[np.ndarray, np.ndarray, float]:
    """(loudspeaker → mic, visitor → mic, measured RT60) for one room."""
    import pyroomacoustics as pra

    absorption, _ = pra.inverse_sabine(rt60_s, DIMENSIONS_M)
    for _ in range(8):   # fixed-point steps on the absorption until the measured RT60 fits
        echo, visitor, measured = _simulate(absorption, distance_m, seed)
        if abs(measured - rt60_s) < 0.02:
            break
        absorption = min(0.99, absorption * (measured / rt60_s) ** 1.2)
    return echo, visitor, measured


def _simulate(absorption: float, distance_m: float, seed: int
              ) -> tuple[np.ndarray, np.ndarray, float]:
    import pyroomacoustics as pra

    np.random.seed(seed)  # pyroomacoustics' randomised image sources draw from numpy's global RNG
    _, max_order = pra.inverse_sabine(0.8, DIMENSIONS_M)
    room = pra.ShoeBox(DIMENSIONS_M, fs=RATE_HZ, materials=pra.Material(absorption),
                       max_order=max_order, air_absorption=True, use_rand_ism=True,
                       max_rand_disp=0.05)
    mic = (SPEAKER_M[0], SPEAKER_M[1], SPEAKER_M[2] + distance_m)
    room.add_source(list(SPEAKER_M))
    room.add_source(list(VISITOR_MOUTH_M))
    room.add_microphone(list(mic))
    room.compute_rir()
    # pyroomacoustics centres each arrival on a fractional-delay filter; dropping its half
    # length puts the direct sound at its physical time of flight.
    lead = pra.constants.get("frac_delay_length") // 2
    echo, visitor = (np.asarray(room.rir[0][k][lead:], np.float64) * SCALE for k in (0, 1))
    measured = float(pra.experimental.measure_rt60(echo, fs=RATE_HZ, decay_db=30))
    return _truncate(echo), _truncate(visitor), measured


def _truncate(rir: np.ndarray) -> np.ndarray:
    keep = min(len(rir), int(KEEP_S * RATE_HZ))
    out = rir[:keep].copy()
    fade = int(FADE_S * RATE_HZ)
    out[-fade:] *= np.hanning(2 * fade)[fade:]
    return out


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    arrays: dict[str, Any] = {}  # npz members: arrays and scalars
    names: list[str] = []
    for i, rt60_s in enumerate(RT60S_S):
        for j, distance_m in enumerate(DISTANCES_M):
            name = f"rt{rt60_s:.1f}_d{distance_m:.1f}"
            echo, visitor, measured = impulse_responses(rt60_s, distance_m, seed=10 * i + j)
            names.append(name)
            for path, rir in (("echo", echo), ("visitor", visitor)):
                peak = float(np.abs(rir).max())
                arrays[f"{name}.{path}"] = (rir / peak).astype(np.float16)
                arrays[f"{name}.{path}_peak"] = np.float32(peak)
            arrays[f"{name}.rt60_s"] = np.float32(measured)
            arrays[f"{name}.distance_m"] = np.float32(distance_m)
            log.info("event=room name=%s rt60_measured_s=%.2f echo_peak=%.3f visitor_peak=%.3f",
                     name, measured, float(np.abs(echo).max()), float(np.abs(visitor).max()))
    arrays["names"] = np.array(names)
    arrays["rate_hz"] = np.int32(RATE_HZ)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    log.info("event=rooms_written path=%s bytes=%d", OUT, OUT.stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
