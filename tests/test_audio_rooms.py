"""The simulated halls: stored impulse responses, loudspeaker distortion and background noise."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.audio import rooms
from kiosk.errors import AudioError
from kiosk.messages import ASR_RATE_HZ


def test_six_rooms_span_the_reverberation_and_distances_asked_for() -> None:
    found = rooms.rooms()
    assert {(round(r.rt60_s, 1), r.distance_m) for r in found} == {
        (rt, d) for rt in (0.2, 0.5, 0.8) for d in (0.1, 0.4)}
    for sim in found:
        assert abs(sim.rt60_s - float(sim.name[2:5])) < 0.05
        assert 0.5 * ASR_RATE_HZ <= len(sim.echo_path) <= 0.8 * ASR_RATE_HZ
        # The direct sound arrives at its time of flight (343 m/s), within a few samples.
        direct = int(np.argmax(np.abs(sim.echo_path)))
        assert abs(direct - sim.distance_m / 343 * ASR_RATE_HZ) <= 3, (sim.name, direct)
        # A loudspeaker 10-40 cm away is louder at the microphone than a visitor 1 m away.
        assert np.abs(sim.echo_path).max() > 2 * np.abs(sim.visitor_path).max()


def test_a_reverberant_room_keeps_more_energy_late() -> None:
    def late_share(path: np.ndarray) -> float:
        cut = int(0.05 * ASR_RATE_HZ)
        return float(np.sum(path[cut:] ** 2) / np.sum(path ** 2))

    dry, wet = rooms.room("rt0.2_d0.4"), rooms.room("rt0.8_d0.4")
    assert late_share(wet.echo_path) > 2 * late_share(dry.echo_path)


def test_an_unknown_room_names_the_known_ones() -> None:
    with pytest.raises(AudioError, match=r"rt0\.5_d0\.1"):
        rooms.room("cathedral")


def test_echo_is_the_reply_through_loudspeaker_and_room_delayed_by_latency() -> None:
    sim = rooms.room("rt0.5_d0.1")
    click = np.zeros(ASR_RATE_HZ, np.float32)
    click[100] = 0.1
    heard = rooms.echo_of(click, sim, drive=0.0)
    assert len(heard) == len(click)
    np.testing.assert_allclose(heard[100:100 + 50], 0.1 * sim.echo_path[:50], atol=1e-5)
    late = rooms.echo_of(click, sim, drive=0.0, latency_ms=20)
    np.testing.assert_allclose(late[320:], heard[:-320], atol=1e-6)


def test_the_loudspeaker_is_linear_when_quiet_and_compresses_when_loud() -> None:
    quiet = np.float32([0.01, -0.01])
    np.testing.assert_allclose(rooms.loudspeaker(quiet), quiet, rtol=1e-3)
    assert 0.7 < float(rooms.loudspeaker(np.float32([1.0]))[0]) < 0.8


def test_noise_is_seeded_at_the_level_asked_for_and_shaped_like_its_source() -> None:
    street = rooms.traffic(4.0, level=0.02, seed=3)
    crowd = rooms.babble(4.0, level=0.02, seed=3)
    for noise in (street, crowd):
        assert len(noise) == 4 * ASR_RATE_HZ and abs(rooms.rms(noise) - 0.02) < 1e-4
    np.testing.assert_array_equal(street, rooms.traffic(4.0, level=0.02, seed=3))
    freqs = np.fft.rfftfreq(len(street), 1 / ASR_RATE_HZ)

    def share_below(signal: np.ndarray, hz: float) -> float:
        power = np.abs(np.fft.rfft(signal)) ** 2
        return float(power[freqs < hz].sum() / power.sum())

    assert share_below(street, 400) > 0.9      # rumble
    assert 0.3 < share_below(crowd, 1000) < 0.98  # voices: pitch and formants, some highs
