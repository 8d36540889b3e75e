"""Templated answers and the fact lines an LLM may use, built only from the knowledge base.

Templates are the kiosk's fallback (and its answer when no LLM runs), so they must be natural
and complete on their own: 1-3 sentences, the asked language only, 해요체 in Korean. ``facts``,
``allowed_numbers`` and ``allowed_names`` let a guard reject an LLM reply that invents a fact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from kiosk.campus.knowledge import KnowledgeBase, Place
from kiosk.campus.retrieval import Intent

Lang = Literal["ko", "en"]
RefusalReason = Literal["unknown_place", "offtopic", "injection"]

_CAN_DO_KO = "건물 위치, 건물 번호, 애지문에서 걸어서 걸리는 시간, 주변 건물, 가는 길"
_CAN_DO_EN = (
    "where a building is, its number, how many minutes it is on foot from Aeji Gate, "
    "what is next to it and how to get there"
)


# --- Korean particles -------------------------------------------------------------------------


def _batchim(word: str) -> int | None:
    """Final consonant index of the last Hangul syllable (0 = none); None when not Hangul."""
    for ch in reversed(word):
        if "가" <= ch <= "힣":
            return (ord(ch) - 0xAC00) % 28
        if ch.isdigit():
            return 0 if ch in "2459" else 8  # 이, 사, 오, 구 end in a vowel; others roughly not
        if ch.isalpha():
            return 0
    return None


def josa(word: str, pair: str) -> str:
    """``word`` plus the fitting particle of ``pair`` ("은/는", "이/가", "과/와", "으로/로")."""
    with_c, without_c = pair.split("/")
    final = _batchim(re.sub(r"\([^)]*\)$", "", word))  # "한양플라자(105번)" reads as 한양플라자
    if pair == "으로/로":
        return word + (without_c if final in (0, 8, None) else with_c)
    return word + (with_c if final else without_c)


_COPULA = re.compile(r"([가-힣]+)(이에요|예요)")


def mend_copula(sentence: str, facts: str) -> str:
    """Fit 이에요/예요 to the word before it when that word is one of the facts' own
    ("기숙사이에요" → "기숙사예요"): the small model picks the wrong one, and the word being
    a known fact keeps a stem that ends in 이 ("아이에요") from being cut."""
    def fit(m: re.Match[str]) -> str:
        word = m.group(1)
        if word not in facts:
            return m.group(0)
        return word + ("이에요" if _batchim(word) else "예요")

    return _COPULA.sub(fit, sentence)


def also_has(phrases: list[str], lang: Lang) -> str:
    """One short sentence for facilities an answer left out ("카페도 있어요.")."""
    if lang == "ko":
        return f"{', '.join(phrases)}도 있어요."
    return f"It also has {_join_en(phrases)}."


# --- labels -----------------------------------------------------------------------------------


def label(place: Place, lang: Lang) -> str:
    """Name with its number: "한양플라자(105번)" / "Hanyang Plaza (building 105)"."""
    if not place.code.isdigit():
        return place.name(lang)
    if lang == "ko":
        return f"{place.name_ko}({place.code}번)"
    noun = "number" if place.kind == "landmark" else "building"
    return f"{_the(place.name_en)} ({noun} {place.code})"


def _the(name_en: str) -> str:
    """English names of generic kind read better with "the" ("the Main Building")."""
    first = name_en.split()[0]
    if name_en[-1].isdigit():
        return name_en  # "Student Residence Hall 5", "Hanyang Cyber University Building 1"
    if first in {
        "Main",
        "Museum",
        "Student",
        "College",
        "Open-Air",
        "Engineering",
        "Science",
        "Materials",
        "Fusion",
        "Industry-Academia",
        "Architecture",
        "Social",
        "Humanities",
        "Medical",
        "Alumni",
        "Hospital",
        "Regional",
        "Future",
        "Convergence",
        "Business",
        "Guest",
        "Olympic",
        "ROTC",
        "Law",
        "Music",
        "Chung",
        "IT/BT",
        "International",
        "Jaesung",
    }:
        return "the " + name_en
    return name_en


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join_en(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _minutes_en(n: int) -> str:
    return f"{n} minute" if n == 1 else f"{n} minutes"


# --- per-intent sentences ---------------------------------------------------------------------


def _route(place: Place, lang: Lang) -> str:
    """The route as a sentence that names the place and its number."""
    if lang == "ko":
        route = place.route_ko
        if route.startswith(place.name_ko) or not place.code.isdigit():
            return route
        return f"{josa(label(place, 'ko'), '은/는')} {route}"
    route = place.route_en
    name = label(place, "en")
    if route.startswith(("It is ", "It's ")):
        return _cap(name) + " is " + route.split(" ", 2)[2]
    if route.startswith("From Aeji Gate, "):
        return f"To get to {name} from Aeji Gate, " + route[len("From Aeji Gate, ") :]
    if route.startswith((place.name_en, _cap(_the(place.name_en)))) or not place.code.isdigit():
        return route
    return f"{_cap(name)}: " + route[:1].lower() + route[1:]


def _where(place: Place, lang: Lang) -> str:
    """Where a place is: the short sentence (name, number, minutes) first, then the way.

    Why this order: the walk time is what a visitor decides on, and a short first sentence
    is spoken while the model is still writing the long route sentence (streaming TTFA).
    """
    if not place.code.isdigit() or place.code == "104":
        return _route(place, lang)  # the gate and the station: their route says "right here"
    route = place.route_ko if lang == "ko" else place.route_en
    return f"{_walk(place, lang)} {route}"


def _walk(place: Place, lang: Lang) -> str:
    m = place.minutes_from_gate
    if lang == "ko":
        if place.code == "104":
            return "이 키오스크가 바로 애지문에 있어요."
        if m == 0:
            return f"{josa(label(place, 'ko'), '은/는')} 애지문 바로 앞이에요."
        return f"{label(place, 'ko')}까지는 애지문에서 걸어서 약 {m}분 걸려요."
    if place.code == "104":
        return "This kiosk stands right at Aeji Gate."
    if m == 0:
        return f"{_cap(label(place, 'en'))} is right at Aeji Gate."
    return f"{_cap(label(place, 'en'))} is about {_minutes_en(m)} on foot from Aeji Gate."


def _code(place: Place, lang: Lang) -> str:
    if lang == "ko":
        if place.code == "104":
            return "애지문의 번호는 104번이고, 한양대역 2번 출구이기도 해요."
        if not place.code.isdigit():
            return (
                f"{josa(place.name_ko, '은/는')} 번호가 붙은 건물이 아니에요. "
                "애지문(104번)이 바로 한양대역 2번 출구예요."
            )
        return f"{josa(place.name_ko, '은/는')} {place.code}번 건물이에요."
    if place.code == "104":
        return "Aeji Gate is number 104, and it is also Exit 2 of Hanyang Univ. Station."
    if not place.code.isdigit():
        return f"{place.name_en} is not a numbered building; its Exit 2 is Aeji Gate (number 104)."
    return f"{_cap(_the(place.name_en))} is building number {place.code}."


def _neighbours(place: Place, lang: Lang, kb: KnowledgeBase) -> str:
    groups: dict[str, list[Place]] = {}  # direction -> places, so "옆에는 A와 B" reads once
    for nb in place.neighbours:
        other = kb.by_code(nb.code)
        if other is not None:
            groups.setdefault(nb.direction_ko if lang == "ko" else nb.direction_en, []).append(
                other
            )
    if lang == "ko":
        if not groups:
            return f"{label(place, 'ko')} 주변 건물 정보는 따로 없어요."
        parts = []
        for direction, places in groups.items():
            names = [label(p, "ko") for p in places]
            joined = "".join(josa(n, "과/와") + " " for n in names[:-1]) + names[-1]
            parts.append(f"{direction}에는 {josa(joined, '이/가')}")
        return f"{label(place, 'ko')} " + " 있고, ".join(parts) + " 있어요."
    if not groups:
        return f"I don't have neighbour information for {label(place, 'en')}."
    parts = []
    for direction, places in groups.items():
        listed = _join_en([label(p, "en") for p in places])
        parts.append(f"{listed}, both {direction}" if len(places) > 1 else f"{listed} {direction}")
    return f"Right by {label(place, 'en')} you'll find {_join_en(parts)}."


def _category(place: Place, lang: Lang) -> str:
    if lang == "ko":
        first = f"{josa(label(place, 'ko'), '은/는')} {josa(place.category_ko, '이에요/예요')}"
        if place.features_ko:
            return f"{first}. {josa(', '.join(place.features_ko), '이/가')} 있어요."
        return first + "."
    first = f"{_cap(label(place, 'en'))} is {_article(place.category_en)}"
    if place.features_en:
        return f"{first}; it has {_join_en(place.features_en)}."
    return first + "."


def _floors(place: Place, lang: Lang) -> str:
    up, down = place.floors_above, place.floors_below
    if lang == "ko":
        name = josa(label(place, "ko"), "은/는")
        if up:
            under = f", 지하 {down}층" if down else ""
            return f"{name} 지상 {up}층{under} 건물이에요."
        if place.floors_ko == "야외":
            return f"{name} 야외 시설이라 층이 없어요."
        return (
            f"{label(place, 'ko')}의 층수 정보는 없고, '{place.floors_ko}'(으)로만 안내되어 있어요."
        )
    name = _cap(label(place, "en"))
    if up:
        under = f" and {down} below ground" if down else ""
        return f"{name} has {up} floors above ground{under}."
    if place.floors_ko == "야외":
        return f"{name} is outdoors, so it has no floors."
    listed = re.sub(r"\s*\(.*\)$", "", place.floors_en)
    return f"I don't have a floor count for {label(place, 'en')}; it is listed only as {listed}."


def _features(place: Place, lang: Lang) -> str:
    if lang == "ko":
        if not place.features_ko:
            return f"{label(place, 'ko')}의 시설 정보는 따로 없어요."
        return f"{label(place, 'ko')}에는 {josa(', '.join(place.features_ko), '이/가')} 있어요."
    if not place.features_en:
        return f"I don't have facility information for {label(place, 'en')}."
    return f"At {label(place, 'en')} you'll find {_join_en(place.features_en)}."


def compose(place: Place, intent: Intent, lang: Lang, kb: KnowledgeBase) -> str:
    """A complete 1-3 sentence answer about ``place`` for ``intent`` in ``lang``."""
    if intent in (Intent.LOCATION, Intent.ROUTE, Intent.UNKNOWN):
        return _where(place, lang)
    if intent is Intent.CODE:
        return _code(place, lang)
    if intent is Intent.WALK_TIME:
        return _walk(place, lang)
    if intent is Intent.NEIGHBOURS:
        return _neighbours(place, lang, kb)
    if intent is Intent.CATEGORY:
        return _category(place, lang)
    if intent is Intent.FLOORS:
        return _floors(place, lang)
    if intent is Intent.FEATURES:
        return _features(place, lang)
    if intent is Intent.GREETING:
        return greeting(lang)
    if intent is Intent.HELP:
        return help_text(lang)
    return refusal(lang, "offtopic")


# --- no-place answers -------------------------------------------------------------------------


def several(codes: Sequence[str], noun: str, lang: Lang, kb: KnowledgeBase) -> str:
    """Places of one kind, nearest first: how many, their numbers, and the walk to the nearest
    ("There are 8 dormitories: buildings 801, …. The nearest, …, is about 15 minutes …")."""
    places = [p for p in (kb.by_code(c) for c in codes) if p is not None]
    nearest = places[0]
    if lang == "ko":
        numbers = ", ".join(f"{p.code}번" for p in places)
        return (f"{josa(noun, '은/는')} {len(places)}곳이 있어요: {numbers} 건물이에요. "
                f"가장 가까운 {label(nearest, 'ko')}까지는 애지문에서 걸어서 약 "
                f"{nearest.minutes_from_gate}분 걸려요.")
    listed = (_join_en([label(p, "en") for p in places]) if len(places) <= 3
              else "buildings " + _join_en([p.code for p in places]))
    return (f"There are {len(places)} {noun}: {listed}. The nearest, {label(nearest, 'en')}, "
            f"is about {_minutes_en(nearest.minutes_from_gate)} on foot from Aeji Gate.")


def refusal(lang: Lang, reason: RefusalReason) -> str:
    """A polite no that says what the kiosk can help with."""
    if lang == "ko":
        first = {
            "unknown_place": (
                "죄송해요, 그곳은 제가 가진 한양대학교 캠퍼스 정보에 없어서 안내해 드리기 어려워요."
            ),
            "offtopic": (
                "죄송해요, 그 질문에는 답해 드릴 수 없어요. 저는 한양대학교 캠퍼스 안내만 해요."
            ),
            "injection": "죄송해요, 그 요청은 따를 수 없어요.",
        }[reason]
        return f"{first} {_CAN_DO_KO}은 물어보시면 알려 드릴게요."
    first = {
        "unknown_place": "Sorry, I don't know that place; it isn't in my Hanyang University "
        "campus information.",
        "offtopic": "Sorry, I can't help with that; I only give directions on the Hanyang "
        "University campus.",
        "injection": "Sorry, I can't do that.",
    }[reason]
    return f"{first} I can tell you {_CAN_DO_EN}."


def greeting(lang: Lang) -> str:
    """Welcome line for a hello."""
    if lang == "ko":
        return (
            "안녕하세요! 여기는 한양대학교 애지문 안내 키오스크예요. 찾으시는 건물을 말씀해 주세요."
        )
    return (
        "Hello! This is the Hanyang University information kiosk at Aeji Gate. "
        "Tell me which building you are looking for."
    )


def help_text(lang: Lang) -> str:
    """What the kiosk can answer, with an example."""
    if lang == "ko":
        return (
            f"한양대학교 캠퍼스 건물에 대해 {_CAN_DO_KO}, 층수와 주요 시설을 알려 드려요. "
            '예를 들어 "백남학술정보관 어떻게 가요?"라고 물어보세요.'
        )
    return (
        f"I can tell you {_CAN_DO_EN}, plus floors and facilities, for buildings on the "
        'Hanyang University campus. Try asking "How do I get to Paiknam Library?"'
    )


# --- facts and guards for an LLM --------------------------------------------------------------


def _nb_lines(place: Place, lang: Lang, kb: KnowledgeBase) -> list[str]:
    lines = []
    for slot, nb in zip(("nearest", "second"), place.neighbours, strict=False):
        other = kb.by_code(nb.code)
        if other is None:
            continue
        code = f" ({other.code})" if other.code.isdigit() else ""
        if lang == "ko":
            key = "가장 가까운 곳" if slot == "nearest" else "그다음 가까운 곳"
            lines.append(f"{key}: {other.name_ko}{code}, {nb.direction_ko}")
        else:
            lines.append(f"{slot}: {other.name_en}{code}, {nb.direction_en}")
    return lines


_FACT_LABELS: dict[str, dict[str, str]] = {
    "ko": {"code": "건물 번호", "route": "가는 길", "category": "종류", "features": "시설",
           "floors": "층수"},
    "en": {"code": "building number", "route": "route", "category": "category",
           "features": "features", "floors": "floors"},
}
_GATE_LINE = {"ko": "애지문: 한양대역 2번 출구, 이 키오스크가 있는 곳",
              "en": "Aeji Gate: Exit 2 of Hanyang Univ. Station, where this kiosk stands"}


def facts(place: Place, intent: Intent, lang: Lang, kb: KnowledgeBase) -> list[str]:
    """Short fact lines in ``lang``: the only facts an LLM answer may use."""
    m = place.minutes_from_gate
    if lang == "ko":
        head = f"{place.name_ko}" + (f" ({place.code}번)" if place.code.isdigit() else "")
        lines = [f"{head}: 애지문에서 걸어서 {m}분"]
    else:
        head = place.name_en + (f" (building {place.code})" if place.code.isdigit() else "")
        lines = [f"{head}: {_minutes_en(m)} walk from Aeji Gate"]
    if place.code == "104":
        lines.append(_GATE_LINE[lang])
    label = _FACT_LABELS[lang]
    route = [f"{label['route']}: {getattr(place, f'route_{lang}')}"]
    features = f"{label['features']}: {', '.join(getattr(place, f'features_{lang}'))}"
    by_intent = {
        Intent.CODE: [f"{label['code']}: {place.code}"] if place.code.isdigit() else [],
        Intent.ROUTE: route,
        Intent.LOCATION: route,
        Intent.UNKNOWN: route,
        Intent.NEIGHBOURS: _nb_lines(place, lang, kb),
        Intent.CATEGORY: [f"{label['category']}: {getattr(place, f'category_{lang}')}",
                          features],
        Intent.FLOORS: [f"{label['floors']}: {getattr(place, f'floors_{lang}')}"],
        Intent.FEATURES: [features],
    }
    return lines + by_intent.get(intent, [])


def _related(place: Place, kb: KnowledgeBase) -> list[Place]:
    """The place, its neighbours, places its route mentions by number, gate and station."""
    codes = [place.code, *(nb.code for nb in place.neighbours)]
    codes += re.findall(r"\d{3}", place.route_ko + " " + place.route_en)
    codes += [kb.gate.code, "station"]
    out: list[Place] = []
    for code in dict.fromkeys(codes):
        p = kb.by_code(code)
        if p is not None:
            out.append(p)
    return out


def allowed_numbers(place: Place, kb: KnowledgeBase) -> set[str]:
    """Every number a correct answer about ``place`` may contain (as digit strings)."""
    nums = {"2"}  # Exit 2
    main = [place, *(p for nb in place.neighbours if (p := kb.by_code(nb.code)) is not None)]
    for p in main:
        if p.code.isdigit():
            nums.add(p.code)
        nums.add(str(p.minutes_from_gate))
        nums.update(str(n) for n in (p.floors_above, p.floors_below) if n)
    names = [n for p in _related(place, kb) for n in (p.name_ko, p.name_en)]  # "제1공학관"
    texts = [place.route_ko, place.route_en, place.floors_ko, *place.features_ko]
    text = " ".join([*texts, *place.features_en, *names])
    nums.update(re.findall(r"\d+", text))
    return nums


def allowed_names(place: Place, kb: KnowledgeBase, lang: Lang) -> set[str]:
    """Every place name (and alias) in ``lang`` a correct answer about ``place`` may contain."""
    names: set[str] = set()
    for p in _related(place, kb):
        names.add(p.name(lang))
        names.update(p.aliases(lang))
    return names
