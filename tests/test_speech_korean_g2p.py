"""The Korean pronunciation front end: text → Hangul as said → Kokoro phonemes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.speech import korean_g2p as g2p
from kiosk.speech.korean_text import native_korean, normalise, sino_korean, spell_latin

KB = Path(__file__).resolve().parents[1] / "kiosk" / "campus" / "data" / "campus.json"
VOCAB = Path(__file__).resolve().parents[1] / "models" / "kokoro" / "vocab.json"


@pytest.mark.parametrize(("number", "reading"), [
    (0, "영"), (1, "일"), (10, "십"), (13, "십삼"), (20, "이십"), (100, "백"),
    (102, "백 이"), (501, "오백 일"), (610, "육백 십"), (707, "칠백 칠"), (1000, "천"),
    (10000, "만"), (12345, "만이천 삼백 사십오"),
])
def test_sino_korean_numbers(number: int, reading: str) -> None:
    assert sino_korean(number) == reading


def test_native_numbers_only_before_native_counters() -> None:
    assert native_korean(1) == "한" and native_korean(20) == "스무"
    assert native_korean(23) == "스물세"
    assert normalise("3곳이 있어요") == "세곳이 있어요"
    assert normalise("약 3분") == "약 삼분"
    assert normalise("지상 6층") == "지상 육층"


@pytest.mark.parametrize(("text", "said"), [
    ("501번", "오백 일번"),
    ("제1공학관", "제일공학관"),
    ("한양사이버대학교 2관", "한양사이버대학교 이관"),
    ("IT/BT관", "아이티 비티관"),
    ("ROTC", "알오티씨"),
    ("역사관(101번)까지는 가까워요.", "역사관 백 일번까지는 가까워요."),
    ("1.5km", "일점오 킬로미터"),
])
def test_normalise_numbers_codes_and_letters(text: str, said: str) -> None:
    assert normalise(text) == said


def test_latin_letters_are_spelt() -> None:
    assert spell_latin("HIT") == "에이치아이티"
    assert spell_latin("SW") == "에스더블유"


@pytest.mark.parametrize(("word", "said"), [
    ("한양", "하냥"), ("옆에", "여페"), ("읽어", "일거"), ("없어", "업써"),      # liaison
    ("같이", "가치"), ("굳이", "구지"),                                           # palatalisation
    ("신라", "실라"), ("설날", "설랄"),                                           # lateralisation
    ("학년", "항년"), ("박물관", "방물관"), ("음료", "음뇨"), ("협력", "혐녁"),   # nasalisation
    ("학교", "학꾜"), ("식당", "식땅"), ("공학관", "공학꽌"),                     # tensification
    ("축하", "추카"), ("좋다", "조타"), ("놓는", "논는"), ("않아", "아나"),       # ㅎ rules
    ("은행", "으냉"), ("결혼", "겨론"), ("앉히다", "안치다"),
    ("꽃", "꼳"), ("부엌", "부억"), ("앞", "압"), ("닭", "닥"),                   # coda
])
def test_pronunciation_rules(word: str, said: str) -> None:
    assert g2p.pronounce_word(word) == said


def test_phonemes_follow_the_measured_choices() -> None:
    assert g2p.phonemes("걸어서") == "kɔɾɔsɔ"            # ㅓ is ɔ, not ʌ
    assert g2p.phonemes("바다") == "pada"                 # plain stop voiced between vowels
    assert g2p.phonemes("가방") == "kabaŋ"
    assert g2p.phonemes("져요") == "ʨɔjo"                 # no glide after ʨ/ʥ/ɕ
    assert g2p.phonemes("셔틀") == "ɕɔtʰɯl"
    assert g2p.phonemes("시계") == "ɕiɡe"                 # ㅅ before i is ɕ; 계 [게]
    assert g2p.phonemes("의사") == "ɯisa"
    assert g2p.phonemes("본관의") == "ponɡwane"          # the particle 의 [에]
    assert g2p.phonemes("희망") == "himaŋ"
    assert g2p.phonemes("서울 역") == "sɔul jɔk"          # words start unvoiced (measured)
    assert g2p.phonemes("네, 좋아요.") == "ne, ʨoajo."


def test_bad_input_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="not a Hangul syllable"):
        g2p.pronounce_word("abc")
    assert g2p.phonemes("") == ""
    assert not any(c.isalpha() for c in g2p.phonemes("!!! ~~~ ???"))


def _kb_names() -> list[str]:
    data = json.loads(KB.read_text(encoding="utf-8"))
    places = data["places"]
    if isinstance(data.get("gate"), dict):
        places = [*places, data["gate"]]
    return sorted({name for p in places for name in [p["name_ko"], *p.get("aliases_ko", [])]
                   if name})


def test_every_kb_name_becomes_kokoro_phonemes() -> None:
    """Every Korean name and alias in the knowledge base: only characters in Kokoro's
    vocabulary, some for every Hangul syllable, no digit or Latin letter left unread."""
    vocab = set(json.loads(VOCAB.read_text(encoding="utf-8"))["vocab"]) if VOCAB.is_file() \
        else None
    names = _kb_names()
    assert len(names) > 100
    for name in names:
        said = g2p.pronounce(name)
        assert not any(c.isascii() and c.isalnum() for c in said), (name, said)
        phones = g2p.to_phonemes(said)
        assert phones.strip(), name
        if vocab is not None:
            assert set(phones) <= vocab, (name, phones, set(phones) - vocab)
        syllables = sum("가" <= c <= "힣" for c in said)
        vowels = sum(c in "aeiouɔɯ" for c in phones)
        assert vowels >= syllables, (name, phones)  # each syllable keeps its vowel
