"""Cue words for whole-utterance understanding: conversational acts, relations between two
places, attributes the KB does not have, yes/no checks.

English patterns run on `retrieval.normalise`d text (lower case, punctuation to spaces);
Korean cues are substrings of the text with spaces removed, because walk-up speech turned
into text spaces Korean freely ("다시 한번" / "다시한 번").
"""

from __future__ import annotations

import re

from kiosk.campus.query import Act


def _en(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _ko(words: str) -> tuple[str, ...]:
    return tuple(words.split())


# --- conversational acts (checked when the utterance asks nothing about a place) ------------

ACTS_EN: tuple[tuple[Act, re.Pattern[str]], ...] = (
    (Act.SLOWER, _en(r"\bslow(er|ly| down)\b", r"\btoo fast\b", r"\bless fast\b")),
    (Act.REPEAT, _en(r"\b(say|repeat|tell me) (that|it|this)( one)? (again|once more)\b",
                     r"\brepeat( that| it| please|$)", r"\bcome again\b", r"\bpardon\b",
                     r"\bwhat did you (just )?say\b", r"\bone more time\b",
                     r"\bi (didn t|did not|couldn t|could not) (catch|hear|understand)\b",
                     r"\bsay again\b", r"\bagain please\b", r"^again$",
                     r"\bsorry what\b", r"^what$")),
    (Act.GOODBYE, _en(r"\b(bye|goodbye|good bye|see you|see ya|farewell|take care|"
                      r"have a (nice|good|great) (day|one)|that s all|that is all|i m done|"
                      r"i ll be going|gotta go|i have to go)\b")),
    (Act.THANKS, _en(r"\b(thanks|thank you|thank u|thx|ty|cheers|appreciate it|"
                     r"much appreciated|that s helpful|very helpful|great help)\b")),
    (Act.WHO_ARE_YOU, _en(r"\bwho (are|r) (you|u)\b", r"\bwhat are you\b",
                          r"\b(am i|are we) (talking|speaking) (to|with)\b",
                          r"\breal (person|human)\b",
                          r"\bis (this|it) (a |an )?(real )?(person|human|robot|machine)\b",
                          r"\bare you (a |an )?(robot|human|person|real|machine|ai|bot|"
                          r"computer|program)\b", r"\byour name\b", r"\bwho made you\b",
                          r"\bwho is this\b", r"\bwho am i talking to\b")),
    (Act.CAPABILITIES, _en(r"\bwhat (can|could) (you|u|i) (do|ask|help)",
                           r"\bwhat do you (know|do)\b", r"\bhow (do|does|can) (i|this|you) "
                           r"(use|work)", r"^(help|help me|help please)$",
                           r"\bwhat (questions|things) can\b", r"\bcan you help\b",
                           r"\b(do|can|could) you (speak|understand|talk in|talk) "
                           r"(english|korean)\b", r"\b(english|korean) (ok|okay|possible)\b",
                           r"\bspeak (english|korean)\b",
                           r"\bwhat (kind|sort|type)s? of (stuff|things|questions)\b",
                           r"\bcan i ask\b", r"\bwhat can you tell\b",
                           r"\bhow does this (thing )?work\b", r"\blanguages?\b",
                           r"\b(do|can|could) you (speak|understand)\b")),
    (Act.GREETING, _en(r"^(hi|hello|hey|good (morning|afternoon|evening)|greetings|"
                       r"hi there|hello there|howdy|yo)\b")),
)

ACTS_KO: tuple[tuple[Act, tuple[str, ...]], ...] = (
    (Act.SLOWER, _ko("천천히 너무빨라 너무빠르 느리게 빨라요 빠르네")),
    (Act.REPEAT, _ko("다시한번 다시말해 다시말씀 다시얘기 다시알려 다시해 한번더 한번만더 "
                     "뭐라고요 뭐라고하 뭐라고했 뭐라고? 못들었 못알아들 잘안들 안들려 "
                     "다시요 다시요? 네? 예?")),
    (Act.GOODBYE, _ko("안녕히 잘있어 잘있으 수고하 수고많 빠이 바이바이 갈게요 가볼게 "
                      "다음에봐 그럼이만 이만갈")),
    (Act.THANKS, _ko("고마워 고맙 감사 땡큐 덕분에")),
    (Act.WHO_ARE_YOU, _ko("누구야 누구세요 누구예요 누구에요 누구니 누구신 이름이뭐 이름이 "
                          "로봇이야 로봇이에요 로봇인가 로봇이니 사람이야 사람이에요 사람인가 "
                          "정체가 인공지능이 넌뭐야 너뭐야 누가만들 사람이대답 사람이하는 진짜사람 "
                          "기계예요 기계야 기계인가 기계에요")),
    (Act.CAPABILITIES, _ko("뭐할수있 뭘할수있 뭐물어 뭘물어 무엇을물어 뭐물어볼 뭘도와 도움말 "
                           "사용법 어떻게써 어떻게사용 뭐해줄수 무슨기능 뭘알려줄 뭐알려줄 "
                           "뭘알아 뭐알아 뭐하는기계 무엇을할수 무엇을도와 영어할줄 영어돼 "
                           "영어되 영어가능 영어하세요 영어할수 한국어할줄 한국어돼 한국어되 "
                           "한국말할줄 도와줄수 뭐하는거 뭘알려 무엇을알려 영어도할줄 한국어도할줄 "
                           "할줄아세요 뭐물어봐 어떤걸물어 뭘물어봐 어떤언어 무슨언어 몇개국어 "
                           "할줄알아 영어도돼 어떻게쓰는 어떻게사용하 어떻게하는거")),
    (Act.GREETING, _ko("안녕하세요 안녕 반가워 반갑 하이 헬로")),
)

# Acts a whole utterance must consist of: "stop" and "ok" inside a question are not acts
# ("ok how far is that" asks; "아니 잠깐 신소재공학관 옆이요" corrects). Checked last, after
# thanks and goodbye ("ok thanks bye" says goodbye). Why they matter: over a reply a visitor
# nods ("네, 네", "uh huh") or the room makes a noise that the recogniser writes as a word; the
# kiosk then goes on with its answer instead of treating it as a new question.
STOP_EN = _en(r"^(please |ok |okay |hey )?(stop|stop it|stop talking|stop please|enough|"
              r"that s enough|cancel|never ?mind|shut up|be quiet|quiet|hush|silence|"
              r"wait|wait wait|hold on|one (sec|second|moment)|just a (sec|second|moment)|"
              r"(wait|hold on) (a )?(sec|second|moment|minute)( please)?)( please)?$")
STOP_KO = re.compile(r"^(아니|아|저|잠깐|잠깐만|잠깐만요|잠시만|잠시만요|그만|그만해|그만해요|"
                     r"그만하세요|그만해주세요|멈춰|멈춰요|멈춰주세요|스톱|스탑|조용히|조용|"
                     r"조용히해|조용히해주세요|됐어|됐어요|됐습니다|취소|취소해|괜찮아요)+$")
ACKNOWLEDGE_EN = _en(r"^((ok|okay|o k|alright|all right|right|i see|got it|gotcha|sure|yes|"
                     r"yeah|yep|yup|uh huh|mm hmm|mhm|hmm|hm|um|uh|ah|oh|cool|great|nice|"
                     r"good|perfect|understood|makes sense|fine|i understand)\s*)+$")
ACKNOWLEDGE_KO = re.compile(r"^(네|예|응|어|음|아|오|넵|네네|예예|아하|아아|오케이|좋아요|좋아|"
                            r"알겠어요|알겠습니다|알겠어|알았어요|알았어|알았습니다|그렇군요|"
                            r"그렇구나|그래요|그래|그렇죠|맞아요|그렇네요|이해했어요|"
                            r"이해했습니다)+$")

# "in Korean please", "영어로 말해 주세요": the language the visitor wants the answer in.
TO_KOREAN_EN = _en(r"\b(in|into) korean\b", r"\bkorean (please|pls)\b",
                   r"\b(say it|answer|tell me|explain) (in )?korean\b",
                   r"\bspeak (in )?korean (please|to me|instead)\b",
                   r"\b(could|would) you (speak|talk|answer) (in )?korean\b"
                   r"(?! too| also| as well)")
TO_ENGLISH_EN = _en(r"\b(in|into) english\b", r"\benglish (please|pls)\b",
                    r"\b(say it|answer|tell me|explain) (in )?english\b",
                    r"\bspeak (in )?english (please|to me|instead)\b",
                    r"\b(could|would) you (speak|talk|answer) (in )?english\b"
                    r"(?! too| also| as well)")
TO_KOREAN_KO = _ko("한국어로 한국말로 한글로")
TO_ENGLISH_KO = _ko("영어로 english로 잉글리시로")

# --- two places ---------------------------------------------------------------------------

COMPARE_EN = _en(r"\b(closer|nearer|closest|nearest|farther|further|farthest|furthest|"
                 r"quicker|faster|shorter (walk|distance)|less far|more far)\b")
COMPARE_KO = _ko("더가까 더멀 더빨리 중에어디 중에어느 중어디 중어느 어디가가까 어디가더 "
                 "어느게가까 어느게더 어느쪽이가까 어느쪽이더 어느건물이 보다가까 보다멀 "
                 "가까운곳은 가까운건물은 가까운쪽 중에가까 둘중 둘중에 더가깝 더먼 먼데가 "
                 "보다가깝")
FARTHER_EN = _en(r"\b(farther|further|farthest|furthest|more far)\b")
FARTHER_KO = _ko("더멀 보다멀 먼곳 먼건물 먼쪽 더먼 먼데가")
DIRECTION_EN = _en(r"\bwhich (side|way|direction)\b", r"\bwhat (side|direction)\b",
                   r"\b(left|right) or (left|right)\b", r"\b(relative|in relation) to\b",
                   r"\bseen from\b", r"\bwhere is\b", r"\bwhere s\b", r"\bwhere\b",
                   r"\b(to the )?(left|right) of\b", r"\bdirection\b")
DIRECTION_KO = _ko("어느쪽 어느방향 어떤방향 어떤쪽 방향 어디쪽 어디에있 어디야 어디예요 "
                   "어디에요 어딨 어디있 왼쪽이에요 오른쪽이에요 왼쪽이야 오른쪽이야 "
                   "왼쪽인가 오른쪽인가 어디 쪽이죠 쪽이지 쪽맞 쪽이에요 쪽인가요")
ROUTE_EN = _en(r"\bhow (do|can|would|should) (i|we|you) (get|go|walk|reach|find)\b",
               r"\bhow to (get|go|walk|reach)\b", r"\bway to\b", r"\bdirections?\b",
               r"\bget (to|there)\b", r"\bwalk to\b", r"\bgo to\b", r"\bto get to\b",
               r"\bguide me\b", r"\broute\b")
ROUTE_KO = _ko("가는길 가는방법 가는법 어떻게가 어떻게갈 어떻게찾 가려면 길알려 길좀 경로 "
               "찾아가 갈려면 가야돼 가야해 가야하 가야되 가면돼 가면되 가나요 가요 까지")
# A place followed by one of these (in its own word, or as the next word) is where the
# visitor stands or looks from: "재성토목관 기준으로 건축관은 어느 쪽?"
ORIGIN_AFTER_KO = ("에서", "에서는", "에서부터", "부터", "기준", "기준으로", "기준으로는",
                   "기준에서", "의", "에서보면", "쪽에서")
ORIGIN_NEXT_KO = ("기준", "기준으로", "기준으로는", "기준에서", "에서", "앞에서", "에서보면",
                  "에서는", "보면", "봤을때", "있는데", "있어요", "있거든요", "있는데요",
                  "앞인데", "앞인데요", "인데", "인데요", "쪽에서")
ORIGIN_BEFORE_EN = ("from", "at", "of", "leaving", "outside", "near", "in")

# "제2공학관 말고 제1공학관이요", "not the east wing, the west wing": the place to drop.
NEGATED_AFTER_KO = ("말고", "아니고", "아니라")
NEGATED_BEFORE_EN = ("not",)

# --- what the KB does not know -------------------------------------------------------------

ATTRIBUTES_EN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("history", _en(r"\bwhen (was|were|did) .*\b(built|founded|established|made|"
                    r"constructed|opened)\b", r"\bhow old is\b", r"\b(built|founded) in\b")),
    ("politics", _en(r"\belections?\b", r"\bvot(e|ing)\b", r"\bpolitic",
                     r"\bpresident\b(?!( s| is)? office)(?!ial)")),
    ("hours", _en(r"\b(open|opens|opened|opening|close|closes|closing|closed|hours)\b",
                  r"\buntil when\b", r"\bwhat time\b(?! is it)", r"\bwhen does\b",
                  r"\bhow late\b", r"\b24 ?hours?\b", r"\bopen on\b",
                  r"\b(on|at|during) (the )?(weekends?|sundays?|saturdays?|holidays?|night)\b")),
    ("menu", _en(r"\bmenu\b", r"\bwhat s for (lunch|dinner|breakfast)\b",
                 r"\bwhat (food|dishes) (do|does|is|are)\b", r"\btoday s (lunch|special)\b")),
    ("timetable", _en(r"\bshuttle\b", r"\bbus(es)?\b", r"\btimetable\b", r"\bschedule\b",
                      r"\bnext train\b")),
    ("phone", _en(r"\bphone\b", r"\btelephone\b", r"\bcall (them|the)\b", r"\bcontact\b",
                  r"\bemail\b")),
    ("wifi", _en(r"\bwi ?fi\b", r"\bpassword\b", r"\binternet\b")),
    ("event", _en(r"\bfestival\b", r"\bevents?\b", r"\bgraduation\b", r"\btonight\b",
                  r"\bceremony\b", r"\bexhibition (schedule|dates?)\b", r"\bwhat s on\b",
                  r"\bwhat is on\b", r"\b(game|match|matches|games) (today|tonight|on)\b",
                  r"\bconcerts? (today|tonight|on|schedule)\b",
                  r"\bnext (concert|show|game|match|event|performance|recital)\b",
                  r"\b(exhibitions?|exhibits?|shows?|performances?) (now|today|this week|on)\b",
                  r"\bwhat (exhibition|exhibit|show|performance)s?\b")),
    ("news", _en(r"\bexchange rate\b", r"\b(dollar|dollars|euro|yen) to\b", r"\bwho won\b",
                 r"\bscores?\b", r"\bnews\b", r"\bstocks?\b",
                 r"\bbitcoin\b")),
    ("availability", _en(r"\bright now\b", r"\bcan (anyone|anybody|i|we|students|visitors) "
                         r"(use|go in|enter|get in)\b", r"\bopen to (the )?public\b")),
    ("booking", _en(r"\b(book|booking|reserve|reservation|rent|hire)\b")),
    ("person", _en(r"\bprofessors?\b", r"\b(his|her|their|a person s) office\b", r"\bprof\b",
                   r"\boffice hours\b", r"\bdean\b", r"\bchancellor\b", r"\barchitect\b",
                   r"\bwho (designed|built|founded|runs|manages|owns|teaches|works|is the|was "
                   r"the|is in charge|is its)\b",
                   r"\b(university|school s|college s) president\b")),
    ("price", _en(r"\bhow much\b(?!.*\b(time|minutes?|far|long|walk)\b)",
                  r"\b(price|prices|cost|costs|fee|fees|tuition|admission|ticket)\b",
                  r"\bper night\b", r"\b(is|are) (it|they|the \w+|that) free\b",
                  r"\bfor free\b", r"\bfree (entry|admission|of charge|to enter)\b",
                  r"\b(cheap|expensive|affordable|pricey)\b")),
    ("rules", _en(r"\bcurfew\b", r"\b(am i|are we|are visitors|is it) (allowed|permitted)\b",
                  r"\bcan (i|we) (smoke|run|jog|eat|drink|bring|take (photos|pictures)|"
                  r"stay overnight|sleep)\b", r"\bdress code\b",
                  r"\bcan (visitors|outsiders|the public|anyone|tourists|non students|guests) "
                  r"(go|get|come|walk) (in|into|inside)\b", r"\bwalk ins?\b",
                  r"\bwithout (an appointment|a student id|an id)\b")),
    ("parking", _en(r"\bparking\b", r"\bpark (my|the|a|our) car\b",
                    r"\bwhere (can|do|should|could) (i|we) park\b", r"\bcar\b")),
    ("weather", _en(r"\bweather\b", r"\brain(ing|y)?\b", r"\bsnow(ing)?\b",
                    r"\btemperature\b")),
    ("capacity", _en(r"\bhow many (seats|people|students)\b", r"\bcrowded\b",
                     r"\bbusy\b",
                     r"\bthe wait\b", r"\bwait(ing)? time\b", r"\bqueue\b")),
    ("accessibility", _en(r"\belevators?\b", r"\blifts?\b", r"\bwheelchair\b",
                          r"\bramps?\b")),
    ("toilet", _en(r"\b(toilets?|restrooms?|bathrooms?|washrooms?)\b")),
)
ATTRIBUTES_KO: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("history", _ko("지어졌 세워졌 건립 언제생겼 언제지어 언제세워 몇년도")),
    ("politics", _ko("선거 투표 대통령 정치")),
    ("news", _ko("비트코인 주식 뉴스 누가이겼 스코어")),
    ("hours", _ko("면회 상담시간 시간언제 시간이언제 시간도알 시간알아 "
                  "진료시간 시간이어떻게 몇시에 몇시까지 몇시부터 영업 운영시간 이용시간 개방시간 "
                  "여는시간 닫는시간 주말에도 주말에 일요일에 토요일에 공휴일 휴일에 밤에도 "
                  "진료해 진료하 진료돼 "
                  "문열 문닫 열어요 열어 여나요 여는 닫아요 닫나요 닫아 닫는 언제까지 언제열 "
                  "언제문 몇시 24시간 오픈 마감")),
    ("menu", _ko("메뉴 식단 오늘뭐나와 뭐나와요 뭐나오 학식뭐")),
    ("timetable", _ko("셔틀 버스 시간표 배차 막차 첫차")),
    ("phone", _ko("전화 연락처 이메일 번호좀알려주세요연락")),
    ("wifi", _ko("와이파이 wifi 비밀번호 비번 인터넷")),
    ("event", _ko("축제 행사 공연언제 공연일정 오늘공연 졸업식 입학식 설명회 경기언제 경기있 "
                  "경기해 언제해 무슨공연 공연해 공연스케줄 스케줄 일정 무슨전시 전시해 전시하 "
                  "전시중 전시일정")),
    ("booking", _ko("예약 빌리 대여 대관")),
    ("person", _ko("교수님 교수 연구실어디 조교 님계세요 님계신 님계셔 님지금 님있 학장 총장님 "
                   "성함 누가설계 설계했 누가지었")),
    ("price", _ko("가격 얼마예요 얼마에요 얼마야 요금 비용 등록금 입장료 무료 유료 하룻밤 1박 "
                  "숙박비 얼마나해 싸요 싼가 싸나 비싸 저렴")),
    # "들어가서 뛰어도 돼요?": a verb's 아/어도 (permission), not "영어도 돼요?" (capabilities)
    ("rules", _ko("통금 통행금지 외박 출입시간 금연 반입 들어가도 뛰어도 먹어도 마셔도 피워도 "
                  "찍어도 가져가도 사용해도 들어와도 놀아도 앉아도 데려가도 구경해도 외부인 "
                  "출입돼 출입되 출입가능 출입할수 들어갈수있 들어가도돼 일반인 써도 이용해도 "
                  "이용가능")),
    ("parking", _ko("주차")),
    ("weather", _ko("날씨 비와 비가와 비올 눈와 눈이와 기온 미세먼지")),
    ("capacity", _ko("몇석 좌석 붐비 사람많 대기 기다려 기다리")),
    ("accessibility", _ko("엘리베이터 엘레베이터 승강기 휠체어 경사로")),
    ("toilet", _ko("화장실")),
)
# The attribute as the answer names it.
ATTRIBUTE_NAMES = {
    "hours": ("운영 시간", "opening hours"), "menu": ("메뉴", "menus"),
    "timetable": ("버스·셔틀 시간표", "bus or shuttle timetables"),
    "phone": ("전화번호나 연락처", "phone numbers or contacts"),
    "history": ("건물의 역사나 지어진 해", "when buildings were built"),
    "politics": ("정치나 선거", "politics or elections"),
    "booking": ("예약이나 대여 방법", "how to book or rent it"),
    "news": ("뉴스나 경기 결과", "news or results"),
    "availability": ("지금 이용할 수 있는지", "whether it can be used right now"),
    "wifi": ("와이파이 정보", "Wi-Fi details"), "event": ("행사 일정", "event dates"),
    "person": ("교수님이나 사무실 정보", "where a person's office is"),
    "price": ("가격", "prices"), "parking": ("주차 정보", "parking"),
    "weather": ("날씨", "the weather"), "capacity": ("좌석이나 혼잡도", "how busy it is"),
    "accessibility": ("엘리베이터나 휠체어 시설 정보", "elevators or wheelchair access"),
    "toilet": ("화장실 위치", "where the toilets are"),
    "rules": ("이용 규칙", "the rules there"),
}

# --- yes/no checks --------------------------------------------------------------------------

CHECK_EN = _en(r"\b(isn t|is not|aren t|doesn t|does not|didn t|wasn t) (it|that|there|they)\b",
               r"\bright$", r"\bcorrect$", r"\bam i right\b", r"\bis that (right|true|correct)\b",
               r"\bis it true\b", r"\btrue that\b", r"\bi (heard|think|was told|believe)\b",
               r"^(is|does|has|are|do|was) ", r"\bcorrect me\b", r"\byeah$", r"\byes$",
               r"qqsep (does|is|do|did|was|has) (it|that|there|they)$")
# Korean yes/no endings, at the end of the utterance (punctuation gone); 죠/지요 only without a
# question word ("어디죠?" asks where).
CHECK_KO_END = re.compile(r"(맞아|맞아요|맞나요|맞지|맞니|맞죠|맞습니까|아니에요|아니야|아닌가요|"
                          r"아니죠|잖아요|라던데|라면서|다던데|다면서|던데요|던데)$")
CHECK_KO_SOFT_END = re.compile(r"(죠|지요)$")
CHECK_KO = _ko("거맞 것맞 거맞죠 게맞")
WH_KO = _ko("어디 몇 뭐 무엇 언제 어떻게 어느 누구 무슨 얼마")
NEGATION_EN = _en(r"\b(no|not|doesn t|does not|isn t|don t|without|never|n t)\b")
NEGATION_KO = _ko("없 아니 안돼 않")
EXISTS_EN = _en(r"\bexists?\b", r"\bthere (is|isn t|s) (a|an|no)\b", r"\breal\b")
EXISTS_KO = _ko("있어요? 있나요 있긴 존재 있는건물 없는건물 없죠 없지 있죠 있지")
BASEMENT_EN = _en(r"\bbasements?\b", r"\bunderground\b", r"\bbelow ground\b")
BASEMENT_KO = _ko("지하")
NEIGHBOUR_EN = _en(r"\bnext to\b", r"\bbeside\b", r"\bnear\b", r"\bby the\b",
                   r"\bclose to\b", r"\bneighbou?r")
NEIGHBOUR_KO = _ko("옆 근처 가까이 붙어 랑가까 이랑가까 하고가까 와가까 과가까 에서가까 "
                   "랑가깝 이랑가깝 하고가깝")
# Opposite descriptions: a claim of one where the KB says the other is a "no".
OPPOSITES = (
    (("women", "woman", "female", "girls", "여자", "여학생", "여성"),
     ("men", "man", "male", "boys", "남자", "남학생", "남성")),
    (("indoor", "indoors", "inside", "실내"),
     ("outdoor", "outdoors", "open-air", "open air", "야외")),
)
MORE_THAN = _en(r"\b(more than|over|longer than|at least|above|taller than|higher than|"
               r"bigger than)\b")
LESS_THAN = _en(r"\b(less than|under|within|shorter than|at most|below|only|fewer than|"
               r"lower than|smaller than)\b")
MORE_THAN_KO = _ko("넘게 넘어 이상 넘나 넘는")
LESS_THAN_KO = _ko("안에 이내 이하 미만 밖에 만에 이면 이면가")
DIRECTION_WORDS_EN = ("left", "right", "behind", "front", "above", "below", "up", "down",
                      "opposite", "across")
DIRECTION_WORDS_KO = ("왼쪽", "오른쪽", "뒤", "앞", "위", "아래", "건너편", "맞은편")
