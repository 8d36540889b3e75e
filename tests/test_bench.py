"""`kiosk bench` and `kiosk bench --soak` run end to end and report what they promise.

Sanity only, never timing thresholds: this machine is shared and its speed varies by 2-3x.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import Config

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
KIOSK = [sys.executable, "-m", "kiosk.cli"]


def kiosk_json(*args: str) -> dict:
    proc = subprocess.run([*KIOSK, *args, "--json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def result(config: Config) -> dict:
    if not config.model_path(config.llm.model).is_file():
        pytest.skip("models missing (run `kiosk models fetch`)")
    return kiosk_json("bench", "--runs", "1", "--voice-questions", "2", "--echo-replies", "2")


def test_bench_reports_every_stage(result: dict) -> None:
    assert {"machine", "vad", "asr", "llm", "tts", "ttfa", "memory", "load", "swap",
            "targets"} <= set(result)
    assert 0 < result["vad"]["ms_per_frame"] < 32 and result["vad"]["frames"] > 100
    assert result["asr"]["rtf"] > 0 and result["asr"]["turns"] >= 2
    llm = result["llm"]
    assert llm["first_token_ms"] > 0 and llm["tokens_per_s"] > 0
    assert llm["kiosk"]["tokens"] > 0 and llm["raw"]["tokens"] > 0
    assert llm["same_output"] is True  # same GGUF, prompt and greedy settings
    assert isinstance(llm["overhead"], float)
    assert result["tts"]["en"]["rtf"] > 0
    assert result["tts"]["ko"]["voice"] == "kokoro:jm_kumo" and result["tts"]["ko"]["rtf"] > 0


def test_bench_reports_voice_to_voice_per_language(result: dict) -> None:
    v2v = result["voice_to_voice"]
    assert v2v["questions"] == 2 and v2v["unanswered"] == 0
    assert {row["lang"] for row in v2v["rows"]} == {"en", "ko"}
    assert v2v["all"]["n"] == 2 and v2v["all"]["p50_ms"] > 0  # the reply starts after the word
    assert set(v2v["by_lang"]) == {"en", "ko"}


def test_bench_compares_streaming_and_sequential_on_the_same_turns(result: dict) -> None:
    ttfa = result["ttfa"]
    turns = ttfa["turns"]
    inputs = {t["input"] for t in turns}
    assert {"where_is_hanyang_plaza", "how_long_to_paiknam_library", "ko-text-1"} <= inputs
    for name in inputs:
        modes = sorted(t["mode"] for t in turns if t["input"] == name)
        assert modes == ["sequential", "streaming"], name
        sources = {t["source"] for t in turns if t["input"] == name}
        assert sources <= {"llm", "template"}, (name, sources)
    assert all("ttfa" in t["timings_ms"] for t in turns)
    assert {t["lang"] for t in turns} == {"en", "ko"}
    assert ttfa["streaming_ms"] > 0 and ttfa["sequential_ms"] > 0 and ttfa["ratio"] > 0


def test_bench_reports_memory_loads_and_the_swapping_run(result: dict) -> None:
    assert result["memory"]["peak_rss_mb"] > 100
    assert {row["role"] for row in result["memory"]["models"]} == {"vad", "asr", "llm", "tts"}
    for name in ("asr", "llm", "tts"):
        assert result["load"][name]["load_ms"] > 0 and result["load"][name]["unload_ms"] >= 0
    swap = result["swap"]
    assert swap["ttfa_ms"] and swap["source"] in ("llm", "template")
    assert sum(s["unloads"] for s in swap["swaps"].values()) >= 1
    assert swap["budget_mb"] < result["memory"]["peak_rss_mb"]


def test_bench_reports_full_duplex_per_simulated_hall(result: dict) -> None:
    echo = result["echo"]
    assert echo["replies_per_room"] == 2 and len(echo["rooms"]) == 6
    for room in echo["rooms"]:
        for figures in (room, room["single_tap"]):
            assert {"erle_db", "self_triggered", "self_interruptions", "barge_in_ms_p95",
                    "answered_during_reply", "cpu_ms_per_audio_s"} <= set(figures)
            assert figures["erle_db"] > 0 and figures["barge_in_tries"] == 2
        assert 0.1 < room["rt60_s"] < 1.0 and room["distance_m"] in (0.1, 0.4)
        assert room["erle_db"] > room["single_tap"]["erle_db"]  # 26-43 dB against 7-26 dB


def test_table_and_plot_from_the_result(result: dict, tmp_path: Path) -> None:
    from kiosk.diag import bench

    table = bench.format_table(result)
    assert "TTFA ratio" in table and "peak RSS" in table and "tight budget" in table
    assert "echo, simulated halls" in table and "rt0.8_d0.4" in table
    note = bench.plot(result, tmp_path / "ttfa.png")
    if note.startswith("plot skipped"):
        assert "matplotlib" in note
    else:
        assert (tmp_path / "ttfa.png").stat().st_size > 1000


def test_soak_runs_scripted_turns_and_reports_growth_and_failures(config: Config) -> None:
    if not config.model_path(config.llm.model).is_file():
        pytest.skip("models missing (run `kiosk models fetch`)")
    soak = kiosk_json("bench", "--soak", "3")
    assert soak["turns"] == 3 and soak["completed"] == 3 and soak["failed"] == 0, soak
    assert soak["crash"] is None and soak["rss_end_mb"] > 0 and soak["turns_per_min"] > 0
    assert set(soak["sources"]) <= {"llm", "template"}


def test_rss_trend_tells_a_plateau_from_a_leak() -> None:
    from kiosk.diag.soak import rss_trend

    noisy_plateau = [1000.0 + (40.0 if i % 3 == 0 else -20.0) for i in range(64)]
    flat = rss_trend(noisy_plateau, 16)
    assert flat["growth"] is not None and abs(flat["growth"]) < 0.01
    assert abs(flat["rss_slope_mb_per_100_turns"] or 0) < 5
    leak = rss_trend([1000.0 + i for i in range(64)], 16)  # 1 MB per turn
    assert leak["growth"] is not None and leak["growth"] > 0.04
    assert leak["rss_slope_mb_per_100_turns"] == pytest.approx(100, rel=0.01)
    assert rss_trend([1000.0], 16)["growth"] is None


def test_ttfa_ratio_pairs_turns_of_the_same_input() -> None:
    from kiosk.diag.bench import paired_ttfa

    def row(name: str, mode: str, ttfa: float, source: str = "llm") -> dict:
        return {"input": name, "run": 0, "mode": mode, "lang": "en", "source": source,
                "timings_ms": {"ttfa": ttfa, "asr": 100.0}}

    # Medians of each mode would compare 500 ms (a KB answer) with 3000 ms (a model answer).
    rows = [row("kb", "streaming", 500, "template"), row("kb", "sequential", 500, "template"),
            row("a", "streaming", 2800), row("a", "sequential", 3000),
            row("b", "streaming", 600), row("b", "sequential", 3000)]
    every = paired_ttfa(rows)
    assert every["pairs"] == 3 and every["ratio"] == round(3900 / 6500, 3)
    phrased = paired_ttfa(rows, lambda r: r["source"] == "llm")
    assert phrased["pairs"] == 2 and phrased["ratio"] == round(3400 / 6000, 3)
    assert paired_ttfa(rows, minus_asr=True)["streaming"] == round(3600 / 3, 1)
    assert paired_ttfa([])["ratio"] is None
