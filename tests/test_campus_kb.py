"""The packaged campus KB loads, is consistent, and a broken KB fails with one useful line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.campus.knowledge import DEFAULT_KB_PATH, KnowledgeBase
from kiosk.errors import KnowledgeError


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


def _doc() -> dict:
    return json.loads(DEFAULT_KB_PATH.read_text(encoding="utf-8"))


def _write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "campus.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_counts(kb: KnowledgeBase) -> None:
    buildings = [p for p in kb.places if p.kind == "building"]
    landmarks = [p for p in kb.places if p.kind == "landmark"]
    assert len(buildings) == 71
    assert {p.code for p in landmarks} == {"104", "station"}


def test_kb_lives_in_the_repo() -> None:
    assert DEFAULT_KB_PATH.is_file()
    assert "shared" not in DEFAULT_KB_PATH.parts


def test_check_is_clean_and_neighbours_resolve(kb: KnowledgeBase) -> None:
    assert kb.check() == []
    for place in kb.places:
        for nb in place.neighbours:
            assert kb.by_code(nb.code) is not None, (place.code, nb.code)


def test_gate_and_names(kb: KnowledgeBase) -> None:
    gate = kb.by_code(kb.gate.code)
    assert gate is not None and gate.name_ko == "애지문" and gate.name_en == "Aeji Gate"
    assert "예지문" in gate.aliases_ko
    assert kb.by_code("101").name_ko == "역사관"
    assert "구본관" in kb.by_code("101").aliases_ko
    assert kb.by_code("501").name_en == "Paiknam Library"
    assert kb.by_code("999") is None


def test_no_misspelt_gate_in_routes(kb: KnowledgeBase) -> None:
    for place in kb.places:
        assert "예지문" not in place.route_ko and "에지문" not in place.route_ko, place.code


def test_english_fields_have_no_hangul(kb: KnowledgeBase) -> None:
    for place in kb.places:
        english = [
            place.name_en,
            place.category_en,
            place.floors_en,
            place.route_en,
            *place.aliases_en,
            *place.features_en,
            *(nb.direction_en for nb in place.neighbours),
        ]
        for text in english:
            assert not any("가" <= ch <= "힣" for ch in text), (place.code, text)


def test_minutes_match_seed_examples(kb: KnowledgeBase) -> None:
    assert kb.by_code("105").minutes_from_gate == 1
    assert kb.by_code("501").minutes_from_gate == 6
    assert kb.by_code("501").floors_above == 6 and kb.by_code("501").floors_below == 3


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="cannot read"):
        KnowledgeBase.load(tmp_path / "nope.json")


def test_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "campus.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="bad JSON at line 1"):
        KnowledgeBase.load(path)


def test_duplicate_code(tmp_path: Path) -> None:
    doc = _doc()
    doc["places"][3]["code"] = doc["places"][2]["code"]
    with pytest.raises(KnowledgeError, match=r"place 101 .*duplicate code"):
        KnowledgeBase.load(_write(tmp_path, doc))


def test_dangling_neighbour(tmp_path: Path) -> None:
    doc = _doc()
    place = next(p for p in doc["places"] if p["code"] == "105")
    place["neighbours"][1]["code"] = "999"
    with pytest.raises(KnowledgeError, match=r"place 105 .*neighbours\.1\.code.*'999'"):
        KnowledgeBase.load(_write(tmp_path, doc))


def test_missing_field(tmp_path: Path) -> None:
    doc = _doc()
    del next(p for p in doc["places"] if p["code"] == "202")["route_en"]
    with pytest.raises(KnowledgeError, match=r"place 202 .*field route_en: Field required"):
        KnowledgeBase.load(_write(tmp_path, doc))


def test_empty_name(tmp_path: Path) -> None:
    doc = _doc()
    next(p for p in doc["places"] if p["code"] == "306")["name_en"] = "  "
    with pytest.raises(KnowledgeError, match=r"place 306 .*field name_en"):
        KnowledgeBase.load(_write(tmp_path, doc))


def test_error_is_one_line(tmp_path: Path) -> None:
    doc = _doc()
    doc["places"][5]["minutes_from_gate"] = "soon"
    with pytest.raises(KnowledgeError) as info:
        KnowledgeBase.load(_write(tmp_path, doc))
    assert "\n" not in str(info.value)
    assert "minutes_from_gate" in str(info.value)
