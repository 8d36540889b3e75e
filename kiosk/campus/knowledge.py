"""The campus knowledge base: typed, validated places loaded from the packaged ``campus.json``.

Every fact the kiosk says comes from here, so a broken file must stop start-up with one
operator-readable line (``KnowledgeError``) instead of surfacing as a wrong answer later.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from kiosk.errors import KnowledgeError

DEFAULT_KB_PATH = Path(__file__).resolve().parent / "data" / "campus.json"

Lang = Literal["ko", "en"]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    """Unknown keys are errors: a misspelt field in the KB must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Neighbour(_Strict):
    """A nearby place and where it lies relative to the place that lists it."""

    code: NonEmpty
    direction_ko: NonEmpty
    direction_en: NonEmpty


class Place(_Strict):
    """One building or landmark, with its facts in both languages."""

    code: NonEmpty
    kind: Literal["building", "landmark"]
    name_ko: NonEmpty
    name_en: NonEmpty
    aliases_ko: list[NonEmpty] = []
    aliases_en: list[NonEmpty] = []
    category_ko: NonEmpty
    category_en: NonEmpty
    floors_ko: NonEmpty
    floors_en: NonEmpty
    floors_above: Annotated[int, Field(ge=1, le=60)] | None = None
    floors_below: Annotated[int, Field(ge=1, le=10)] | None = None
    minutes_from_gate: Annotated[int, Field(ge=0, le=60)]
    neighbours: list[Neighbour] = []
    route_ko: NonEmpty
    route_en: NonEmpty
    features_ko: list[NonEmpty] = []
    features_en: list[NonEmpty] = []
    lat: float | None = None
    lon: float | None = None

    def name(self, lang: Lang) -> str:
        """Display name in ``lang``."""
        return self.name_ko if lang == "ko" else self.name_en

    def aliases(self, lang: Lang) -> list[str]:
        """Aliases in ``lang`` (names not included)."""
        return self.aliases_ko if lang == "ko" else self.aliases_en


class Gate(_Strict):
    """Where the kiosk itself stands (Aeji Gate, Exit 2 of Hanyang Univ. Station)."""

    code: NonEmpty
    name_ko: NonEmpty
    name_en: NonEmpty
    station_exit_ko: NonEmpty
    station_exit_en: NonEmpty
    lat: float | None = None
    lon: float | None = None


class CampusData(_Strict):
    """The whole ``campus.json`` document."""

    version: int
    source: str = ""
    gate: Gate
    places: Annotated[list[Place], Field(min_length=1)]
    offcampus: list[Place] = []
    offcampus_note: str = ""


def _first_error(err: ValidationError, doc: object) -> str:
    """One line naming the place (by code when known) and the field of the first error."""
    first = err.errors()[0]
    loc = list(first["loc"])
    where = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] == "places" and isinstance(loc[1], int) and isinstance(doc, dict):
        places = doc.get("places")
        if isinstance(places, list) and loc[1] < len(places) and isinstance(places[loc[1]], dict):
            code = places[loc[1]].get("code", "?")
            field = ".".join(str(p) for p in loc[2:]) or "(place)"
            where = f"place {code!s} (#{loc[1]}) field {field}"
    return f"{where}: {first['msg']}"


class KnowledgeBase:
    """Validated places plus code lookup; immutable after load."""

    def __init__(self, data: CampusData, source: Path | None = None) -> None:
        self.data = data
        self.source = source
        self.places: list[Place] = list(data.places)
        self.gate: Gate = data.gate
        self._by_code = {p.code: p for p in self.places}

    @classmethod
    def load(cls, path: Path | None = None) -> KnowledgeBase:
        """Load and validate ``path`` (default: the packaged KB); any defect -> KnowledgeError."""
        path = Path(path) if path is not None else DEFAULT_KB_PATH
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KnowledgeError(f"campus KB {path}: cannot read ({exc.strerror or exc})") from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise KnowledgeError(
                f"campus KB {path}: bad JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        try:
            data = CampusData.model_validate(doc)
        except ValidationError as exc:
            raise KnowledgeError(f"campus KB {path}: {_first_error(exc, doc)}") from None
        kb = cls(data, path)
        problems = kb.check()
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise KnowledgeError(f"campus KB {path}: {problems[0]}{more}")
        return kb

    def by_code(self, code: str) -> Place | None:
        """The place with building number / slug ``code``, or None."""
        return self._by_code.get(code)

    def check(self) -> list[str]:
        """Consistency problems that pydantic cannot see, one line each (empty when sound)."""
        problems: list[str] = []
        seen: set[str] = set()
        for p in self.places:
            if p.code in seen:
                problems.append(f"place {p.code} ({p.name_ko}): duplicate code")
            seen.add(p.code)
        for p in self.places:
            for i, nb in enumerate(p.neighbours):
                if nb.code not in self._by_code:
                    problems.append(
                        f"place {p.code} ({p.name_ko}) field neighbours.{i}.code: "
                        f"{nb.code!r} names no place"
                    )
                elif nb.code == p.code:
                    problems.append(f"place {p.code} ({p.name_ko}) field neighbours.{i}: itself")
            if len(p.features_ko) != len(p.features_en):
                problems.append(
                    f"place {p.code} ({p.name_ko}) field features_en: "
                    f"{len(p.features_en)} items but features_ko has {len(p.features_ko)}"
                )
        if self.gate.code not in self._by_code:
            problems.append(f"gate field code: {self.gate.code!r} names no place")
        return problems
