"""Word lists and patterns that retrieval matches against, kept apart from the matching code.

Korean entries are matched inside the space-free text, so they carry no spaces; English ones are
regular expressions (one per line) on the normalised text. Keys of the intent tables are
``Intent`` values.
"""

from __future__ import annotations


def _words(block: str) -> tuple[str, ...]:
    """Whitespace-separated entries of a block."""
    return tuple(block.split())


def _lines(block: str) -> tuple[str, ...]:
    """One entry per non-empty line of a block (for regexes that contain spaces)."""
    return tuple(line.strip() for line in block.splitlines() if line.strip())


# Korean particles/endings stripped for matching (retrieval tries the longest first).
PARTICLES: tuple[str, ...] = _words(
    """
    인가요 으로는 에서는 이에요 까지는 이든 이고 까지 이죠 이지 로는 으로 에서 하고 이나
    는요 에도 이야 인데 예요 부터 한테 은요 이랑 이요 에는 의 도 든 야 죠
    만 랑 은 을 에 지 와 로 가 과 를 요 는 께 이
    """
)

# Per intent: English regexes on normalised text.
INTENT_EN: dict[str, tuple[str, ...]] = {
    "help": _lines(
        r"""
        \bwhat can (you|i|u) (do|ask|help)
        \bwhat do you (know|do)\b
        \bhow (do|does|can) (i|this|you) (use|work)
        ^(help|help me|help please)$
        \bwhat (questions|things) can\b
        \bwhat are you\b
        \bwho are you\b
        """
    ),
    "offtopic": _lines(
        r"""
        \b(plus|minus|multiplied by|divided by|square root)\b
        \b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|\w+ty|hundred) times \w+
        \bweather\b
        \brain(ing|y)?\b
        \bsnow(ing)?\b
        \btemperature\b
        \bwi ?fi\b
        \bpassword\b
        \bjoke\b
        \bfunny\b
        \bpoem\b
        \bsing\b
        \bstock
        \bpolitic
        \bpresident of\b
        \bnews\b
        \brecommend
        \bwhat time is it\b
        \bwhat s the time\b
        \bwhat day is\b
        \bdate today\b
        \d+ ?(plus|minus|times|x|divided by) ?\d+
        \bmath\b
        \bcalculate\b
        \bmeaning of life\b
        \bbitcoin\b
        \bmovie
        \bfootball score
        \bwho won\b
        \bbest (food|restaurant)
        \bwhere (should|can) (i|we) eat\b
        \btranslate\b
        \blove you\b
        """
    ),
    "walk_time": _lines(
        r"""
        \bhow long\b
        \bhow many min
        \bminutes?\b
        \bmins?\b
        \bhow far\b
        \bfar (is|from|away)\b
        \bis it far\b
        \b(is|are) (the |that |it )?[a-z0-9 ]{0,40}\bfar\b
        \b(a )?long walk\b
        \bhow close\b
        \bwalking time\b
        \btime to walk\b
        \bdistance\b
        \btake to\b
        \bwalk(ing)? distance\b
        """
    ),
    "route": _lines(
        r"""
        \bhow (do|can|should|would) (i|we|you) (get|go|reach|walk|find)
        \bhow to (get|go|reach|walk)
        \bdirections?\b
        \bthe way to\b
        \broute\b
        \bway to\b
        \btake me\b
        \bguide me\b
        \bnavigate\b
        \bwhich way\b
        \bget to\b
        \bget there\b
        \bgo to\b
        \bgoing to\b
        \bheading to\b
        """
    ),
    "floors": _lines(
        r"""
        \bfloors?\b
        \bstor(e)?ys?\b
        \bstories\b
        \bhow tall\b
        \blevels?\b
        \bbasement\b
        \bhow high\b
        """
    ),
    "code": _lines(
        r"""
        \bbuilding (number|no|code|num)\b
        \bwhat number\b
        \bwhich number\b
        \bits number\b
        \bnumbers?\b
        \bcode\b
        \bbldg no\b
        \bwhat s the no\b
        \bnumbered\b
        """
    ),
    "neighbours": _lines(
        r"""
        \bnext to\b
        \bnear(by|est)?\b
        \bbeside\b
        \baround\b
        \bclose to\b
        \bneighbou?r
        \badjacent\b
        \bsurround
        \bnext door\b
        \bclosest\b
        \bby it\b
        \b(right|left) of (it|that|there|this one)\b
        \bwhat (is|s) (further|farther) (down|up|along|in)\b
        \bwhat (is|s) (below|above|behind|across from|opposite|in front of) (it|that|there)\b
        \bwhat (is|s) to the (right|left) of (it|that|there|this one)\b
        \b(further|farther) (down|up) from (it|that|there|this one|here)\b
        """
    ),
    "features": _lines(
        r"""
        \bwhat s in\b
        \bwhat is in\b
        \bwhat s at\b
        \bwhat is at\b
        \binside\b
        \bwhat can (i|we) (do|see|find|visit)\b
        \bwhat (is|s) there to (see|do)\b
        \bworth (seeing|visiting)\b
        \bfacilit
        \bfeatures?\b
        \bis there an?\b
        \bare there\b
        \bdoes it have\b
        \bfood\b
        \beat\b
        \bcaf(e|é)s?\b
        \bcoffee\b
        \bconvenience\b
        \bstore\b
        \bshop\b
        \bcafeteria\b
        \bknown for\b
        \bwhat s there\b
        \bwhat is there\b
        \bspecial about\b
        \bwhat s special\b
        \bwhat happens\b
        \bwhat goes on\b
        \bwhat (do|does) .* have\b
        \bexhibit
        \brestaurant\b
        \bsnack
        """
    ),
    "location": _lines(
        r"""
        \bwhere\b
        \blocat
        \bfind\b
        \bwhich building\b
        \bwhere s\b
        \bwheres\b
        \blooking for\b
        """
    ),
    "category": _lines(
        r"""
        \bwhat kind\b
        \bwhat type\b
        \bwhat sort\b
        \bcategory\b
        \bused for\b
        \bwhat is it for\b
        \bpurpose\b
        \bwhat is\b
        \bwhat s\b
        \bwhats\b
        \bwhat does\b
        \bwhat building is\b
        \bwhat is that\b
        \bkind of (building|place)\b
        \btell me about\b
        """
    ),
    "greeting": _lines(
        r"""
        ^(hi|hello|hey|hiya|yo|good (morning|afternoon|evening)|greetings)\b
        \bnice to meet\b
        \bhello there\b
        """
    ),
}

# Per intent: Korean fragments on space-free text.
INTENT_KO: dict[str, tuple[str, ...]] = {
    "help": _words(
        """
        뭐할수있 뭘할수있 뭐물어 뭘물어 무엇을물어 뭐물어볼 뭘도와 도움말 사용법 어떻게써
        어떻게사용 뭐해줄수 무슨기능 뭘알려줄 뭐알려줄 뭘알아 뭐알아 뭐하는기계 넌누구
        너는누구 누구세요 무엇을할수 무엇을도와
        """
    ),
    "offtopic": _words(
        """
        날씨 비와 비가와 비올 눈와 눈이와 기온 미세먼지 와이파이 wifi 비밀번호 비번 농담 웃긴
        재밌는얘기 노래해 노래불러 주식 정치 대통령 뉴스 맛집 추천 몇시야
        몇시예요 지금몇시 오늘며칠 더하기 빼기 곱하기 나누기 계산 로또 영화 번역 사랑해 점심뭐
        저녁뭐 뭐먹지 뭐먹을까
        """
    ),
    "walk_time": _words(
        """
        몇분 얼마나걸 걸려 걸리 걸릴 소요 얼마나멀 멀어 먼가 먼데 멀리있 멀까 걸어서얼마
        도보로얼마 가까워 가깝나 가까운가 시간이얼마 거리가 오래걸
        """
    ),
    "route": _words(
        """
        가는길 가는방법 가는법 어떻게가 어떻게갈 어떻게찾아 가려면 길알려 길좀 길을알려 경로 루트
        찾아가 데려다 안내해 안내좀 가고싶 갈려면 가야돼 가야해 가야하 가야되 어떻게가요
        어느길 어느쪽으로
        """
    ),
    "floors": _words(
        """
        몇층 층수 몇개층 높이 지하몇 지상몇 층짜리 층이야 층이에요 층인가 층까지 몇층짜리 높아 층있
        """
    ),
    "code": _words(
        """
        몇번 번호 몇동 몇호관 건물번호 코드 몇번째 숫자
        """
    ),
    "neighbours": _words(
        """
        옆 근처 주변 가까운건물 가까운곳 가까이 인근 이웃 가장가까운 제일가까운 붙어있
        """
    ),
    "features": _words(
        """
        뭐있 뭐가있 뭐있어 무엇이있 뭐들어 시설 편의점 카페 식당 푸드코트 밥먹 먹을 매점 특징
        유명 할수있 들어있 안에 볼수있 뭐해요 뭐하는지 커피 전시
        """
    ),
    "location": _words(
        """
        어디 위치 찾고있 어느건물 어딨 어딘 어디야 어디에요 어디예요 어디있
        """
    ),
    "category": _words(
        """
        뭐하는 뭐하는곳 무슨건물 어떤건물 어떤곳 뭐야 뭐예요 뭔가요 무엇인가 무엇이야 용도 종류
        카테고리 뭐하는데 무슨곳 뭐에요 뭐죠 뭐지 무슨일 어떤데 무슨시설 어떤시설 무슨장소
        """
    ),
    "greeting": _words(
        """
        안녕 반가워 반갑 하이 헬로 좋은아침 여보세요
        """
    ),
}

# Attempts to rewrite the kiosk's instructions.
INJECTION_EN: tuple[str, ...] = _lines(
    r"""
    \b(ignore|disregard|forget|override|bypass)\b.*\b(instructions?|prompts?|rules?)\b
    \b(ignore|disregard|forget|override|bypass)\b.*\b(guidelines?|directions?|messages?)\b
    \bsystem ?prompt
    \byour (prompt|instructions|rules|system message)
    \b(reveal|show|print|repeat|tell me) (me )?(your|the) (prompt|instructions|system)
    \bpretend\b
    \byou are now\b
    \byou re now\b
    \bfrom now on you\b
    \bact as\b
    \brole ?play\b
    \bjailbreak
    \bdeveloper mode\b
    \bdan mode\b
    \bnew instructions?\b
    \bdo anything now\b
    \bsay that .* is (building|number)
    """
)

INJECTION_KO: tuple[str, ...] = _words(
    """
    이전지시 지시무시 지시를무시 지시사항무시 명령무시 명령을무시 규칙무시 규칙을무시 프롬프트
    시스템메시지 시스템메세지 역할극 척해 척하 너는이제 넌이제 지금부터너는 지금부터넌
    탈옥 설정을무시 앞의내용무시 위의내용무시 개발자모드 모든지시
    """
)

# Other universities and off-campus places: never answered with a campus building.
ELSEWHERE_EN: tuple[str, ...] = _lines(
    r"""
    \bseoul national\b
    \bsnu\b
    \byonsei\b
    \bkorea university\b
    \bkaist\b
    \bpostech\b
    \bsogang\b
    \bsungkyunkwan\b
    \bskku\b
    \bkonkuk\b
    \bewha\b
    \bsookmyung\b
    \bsungshin\b
    \bduksung\b
    \bdongduk\b
    \bchung ?ang\b
    \bkyung ?hee\b
    \bhanyang erica\b
    \berica\b
    \bharvard\b
    \bmit\b
    \bstanford\b
    \boxford\b
    \bstarbucks\b
    \bmcdonald
    \bburger king\b
    \bolive young\b
    \bdaiso\b
    \bemart\b
    \be mart\b
    \blotte\b
    \bcostco\b
    \bgangnam\b
    \bmyeongdong\b
    \bhongdae\b
    \bitaewon\b
    \bgyeongbok
    \bnamsan\b
    \bseoul tower\b
    \bincheon\b
    \bbusan\b
    \bairport\b
    \bwangsimni\b
    \bseongsu\b
    \bwomans university\b
    \bseoul women
    """
)

ELSEWHERE_KO: tuple[str, ...] = _words(
    """
    서울대 연세대 고려대 카이스트 포스텍 서강대 성균관 건국대 이화여대 숙명 성신 덕성 동덕
    중앙대 경희대 에리카 스타벅스 맥도날드 버거킹 올리브영 다이소 이마트 롯데 코스트코
    강남 명동 홍대 이태원 경복궁 남산 인천 부산 공항 왕십리 성수 서울여대 국립중앙 하버드
    """
)

# Short names matched only at a word start ("연대" is inside "자연대").
ELSEWHERE_KO_WORDS: tuple[str, ...] = _words(
    """
    연대 고대 이대 건대 홍대 외대 시립대 서울시립
    """
)

# Words that alone never make a fuzzy match.
GENERIC_EN: frozenset[str] = frozenset(
    _words(
        """
        building campus center centre college hall hanyang main new of old school the univ
        university
        """
    )
)

# Aliases made only of these words are common nouns ("Museum", "Concert Hall").
COMMON_EN: frozenset[str] = frozenset(
    _words(
        """
        & administration air amphitheater amphitheatre and athletic building business campus car
        center central centre clinic club college concert design dorm dormitory east education
        elementary emergency faculty field football funeral garage guest guesthouse gym gymnasium
        hall hospital house international lecture library lot main medical museum nursing of open
        outdoor park parking playing plaza primary residence room s school shop snack soccer sports
        stadium store student the theater theatre tiered union wedding west wing
        """
    )
)

# A common-noun alias followed by one of these is another place ("plaza hotel").
PLACE_NOUNS: frozenset[str] = frozenset(
    _words(
        """
        bank center centre church cinema clinic hall hospital hotel library mall market museum
        office park restaurant school shop stadium station store theater theatre tower
        """
    )
)

# Words that may precede a common-noun alias and still mean ours ("Hanyang museum").
OWN_EN: frozenset[str] = frozenset(
    _words(
        """
        big campus hanyang hyu main new old our that this univ university your
        """
    )
)

# Korean words that may stand before a facility and still mean ours ("한양대 기숙사").
OWN_KO: frozenset[str] = frozenset(
    _words(
        """
        한양대 한양대학교 학교 캠퍼스 우리 여기 교내 학내
        """
    )
)

# Korean references back to the place under discussion.
PRONOUN_KO: tuple[str, ...] = _words(
    """
    거기 그곳 그건물 그쪽 그장소 그빌딩 저기 저곳 저건물 그거 거긴 걔
    """
)

# English question words: a follow-up made only of these (and numbers) is elliptical.
EN_FILLER: frozenset[str] = frozenset(
    _words(
        """
        a about again also an and any anything are around at be beside big building by can category
        close closest code could did direction directions do does doing else exactly facilities
        facility far feature features find floor floors for from get go going has have here high how
        i in inside is it its just kind know level levels located location long many me min mins
        minute minutes more much my near nearby nearest need neighbor neighbors neighbour neighbours
        next number of oh ok okay on one place please really route s should show so sort storey
        storeys stories story take takes taking tall tell that the then there these thing things
        this those to type uh um up us walk walking want was way we well were what what's whats
        whats's where which will with would you your
        """
    )
)

EN_FEATURE: frozenset[str] = frozenset(
    _words(
        """
        cafe cafes cafeteria café coffee convenience eat food restaurant shop snack snacks store
        """
    )
)

# Korean question words and stems for the same test.
KO_FILLER: frozenset[str] = frozenset(
    _words(
        """
        가 가는 가려면 가요 거 건물 걸어서 것 곳 그 그래서 그러면 그런데 그럼 그럼요 그리고 근데
        근처 길 높이 다시 더 데 도보 도보로 돼 되나요 또 말해 말해줘 몇
        무슨 뭐 뭐가 방향 번 번호 분 소요 시간 시설 안에 알려 알려주세요 알려줘 어디 어떤 어떻게
        얼마나 여기 여기서 옆 요 용도 이 인가요 입니까 있나 있나요 있는
        있어 있어요 저 좀 주변 주세요 줘 지상 지하 쪽 층 층수 특징 한번 해 해요 혹시
        """
    )
)

KO_STEMS: tuple[str, ...] = _words(
    """
    걸려 걸리 걸릴 몇분 몇층 몇번 어디 어떻게 알려 가는 가까 멀어 먼가 뭐하 뭐있 무엇 있어 있나
    있니 있을 얼마 층수 층이 번이 분이 가야 갈려 가려 찾아 높 어딨 주변
    근처 옆에 옆은 옆엔 뭐가 뭐야 뭐예 뭔가 말해 가면 갑니 되나 걸립 나와 보여 층짜 번째 이야
    에요 예요 건물 데려 안내
    """
)

KO_FEATURE: tuple[str, ...] = _words(
    """
    편의점 카페 식당 매점 커피 푸드코트 밥
    """
)
