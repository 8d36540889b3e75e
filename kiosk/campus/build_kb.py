"""One-off generator of ``kiosk/campus/data/campus.json`` from the seed's ``raw_campus.json``.

The seed has Korean facts only, misspells Aeji Gate (예지문/에지문), names neighbours loosely
("HIT", "의과대학", "한양대역") and has no English. This script keeps the hand-written
translation tables that fix all of that, so the KB can be regenerated and reviewed, but the
kiosk never runs it: the generated JSON is committed and is the only thing loaded at run time.

Usage: ``python -m kiosk.campus.build_kb [RAW_CAMPUS_JSON] [OUT_JSON]``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_RAW = Path("/work/shared/seed-data/raw_campus.json")
DEFAULT_OUT = Path(__file__).resolve().parent / "data" / "campus.json"

# code -> (name_ko, name_en, aliases_ko, aliases_en). The seed's parenthesised parts become aliases.
NAMES: dict[str, tuple[str, str, list[str], list[str]]] = {
    "101": (
        "역사관",
        "History Hall",
        ["구본관", "역사관(구본관)", "한양대 역사관"],
        ["Old Main Building", "Hanyang History Hall", "Yeoksagwan"],
    ),
    "102": (
        "본관",
        "Main Building",
        ["대학본부", "한양대 본관"],
        ["Main Hall", "Administration Building", "Bongwan"],
    ),
    "105": (
        "한양플라자",
        "Hanyang Plaza",
        ["학생복지관", "한양 플라자", "플라자", "한플"],
        [
            "HY Plaza",
            "Hanyang Plaza Building",
            "Student Welfare Building",
            "Plaza",
            "Han Yang Plaza",
        ],
    ),
    "107": (
        "학생회관",
        "Student Union Building",
        ["학관"],
        ["Student Union", "Student Center", "Student Hall", "Haksaeng Hoegwan"],
    ),
    "108": (
        "국제관",
        "International Hall",
        ["국제교육원"],
        ["International Building", "International Education Building", "Gukjegwan"],
    ),
    "109": (
        "박물관",
        "Museum",
        ["한양대 박물관", "한양대학교 박물관"],
        ["Hanyang University Museum", "HYU Museum"],
    ),
    "201": (
        "재성토목관",
        "Jaesung Civil Engineering Building",
        ["토목관", "재성관"],
        ["Jaesung Hall", "Civil Engineering Building", "Jaesung"],
    ),
    "202": (
        "건축관",
        "Architecture Building",
        ["건축학부 건물"],
        ["Architecture Hall", "School of Architecture"],
    ),
    "203": (
        "과학기술관",
        "Science and Technology Building",
        ["과기관"],
        ["Science & Technology Building", "Science Technology Building"],
    ),
    "204": (
        "신소재공학관",
        "Materials Science and Engineering Building",
        ["신소재관", "신소재"],
        ["Materials Science Building", "Materials Engineering Building", "New Materials Building"],
    ),
    "206": (
        "공업센터 본관",
        "Engineering Center Main Building",
        ["공업센터"],
        ["Engineering Center", "Engineering Centre"],
    ),
    "207": (
        "공업센터 별관",
        "Engineering Center Annex",
        ["공업센터별관"],
        ["Engineering Centre Annex"],
    ),
    "208": (
        "퓨전테크센터",
        "Fusion Technology Center",
        ["FTC", "퓨전테크센터(FTC)", "퓨전테크", "에프티씨", "퓨텍", "퓨전텍"],
        ["FTC", "Fusion Tech Center", "Fusion Technology Centre", "Fusion Tech"],
    ),
    "209": (
        "노천극장",
        "Open-Air Theater",
        ["야외극장", "노천"],
        ["Open Air Theatre", "Outdoor Theater", "Amphitheater", "Amphitheatre"],
    ),
    "210": (
        "정몽구 미래자동차연구센터",
        "Chung Mong-Koo Future Automotive Research Center",
        ["미래자동차연구센터", "정몽구센터", "미래자동차센터", "자동차연구센터"],
        [
            "Future Automotive Research Center",
            "Automotive Research Center",
            "Chung Mong Koo Center",
            "Chung Mong-Koo Center",
        ],
    ),
    "211": (
        "제2공학관",
        "Engineering Building II",
        ["2공학관", "이공학관"],
        ["Engineering Building 2", "Second Engineering Building", "Engineering II"],
    ),
    "212": (
        "제1공학관",
        "Engineering Building I",
        ["1공학관", "일공학관"],
        ["Engineering Building 1", "First Engineering Building", "Engineering I"],
    ),
    "301": (
        "대운동장",
        "Main Sports Field",
        ["운동장", "대 운동장"],
        [
            "Sports Field",
            "Main Field",
            "Playing Field",
            "Stadium",
            "Athletic Field",
            "Football Field",
            "Soccer Field",
        ],
    ),
    "304": (
        "산학기술관",
        "Industry-Academia Technology Building",
        ["산학관"],
        ["Industry Academia Technology Building", "Industry-Academia Building", "Sanhak Building"],
    ),
    "305": (
        "IT/BT관",
        "IT/BT Building",
        ["아이티비티관", "ITBT관", "IT BT관"],
        ["ITBT Building", "IT BT Building", "IT/BT", "ITBT"],
    ),
    "306": (
        "올림픽체육관",
        "Olympic Gymnasium",
        ["체육관", "올체", "올림픽 체육관"],
        ["Olympic Gym", "Gymnasium", "Gym", "Olympic Hall"],
    ),
    "401": (
        "생활과학대학",
        "College of Human Ecology",
        ["생활과학관", "생과대", "생활과학대"],
        ["Human Ecology Building", "Human Ecology"],
    ),
    "402": (
        "제1음악관",
        "Music Building I",
        ["1음악관"],
        ["Music Building 1", "First Music Building"],
    ),
    "403": (
        "제2음악관",
        "Music Building II",
        ["2음악관"],
        ["Music Building 2", "Second Music Building"],
    ),
    "405": (
        "백남음악관",
        "Paiknam Music Hall",
        ["백남 음악관", "콘서트홀"],
        ["Baeknam Music Hall", "Paik Nam Music Hall", "Concert Hall", "Paiknam Concert Hall"],
    ),
    "406": (
        "학군단",
        "ROTC Building",
        ["ROTC", "학군단 건물"],
        ["ROTC", "Army ROTC", "ROTC Office"],
    ),
    "407": (
        "제1법학관",
        "Law School Building I",
        ["1법학관", "법학전문대학원", "로스쿨"],
        ["Law Building 1", "Law School Building 1", "Law School", "First Law Building"],
    ),
    "408": (
        "제2법학관",
        "Law School Building II",
        ["2법학관"],
        ["Law Building 2", "Law School Building 2", "Second Law Building"],
    ),
    "409": (
        "제3법학관",
        "Law School Building III",
        ["3법학관"],
        ["Law Building 3", "Law School Building 3", "Third Law Building"],
    ),
    "410": (
        "경제금융대학",
        "College of Economics and Finance",
        ["경금대", "경제금융대", "경제금융관"],
        ["Economics and Finance Building", "Economics Building", "Economics & Finance"],
    ),
    "501": (
        "백남학술정보관",
        "Paiknam Library",
        ["백남도서관", "중앙도서관", "도서관", "학술정보관", "백남", "중도"],
        [
            "Paiknam Academic Information Center",
            "Baeknam Library",
            "Paik Nam Library",
            "Central Library",
            "Library",
            "Paiknam",
            "Baeknam",
            "Main Library",
        ],
    ),
    "503": (
        "사자가 군것질 할 때",
        "Lion's Snack Shop",
        ["사자가 군것질할 때", "사군때", "사자 매점", "매점"],
        ["When the Lion Snacks", "Lion Snack Shop", "Snack Shop", "Campus Store"],
    ),
    "504": (
        "사회과학관",
        "Social Sciences Building",
        ["사회과학대학", "사회대", "사과관"],
        ["Social Science Building", "College of Social Sciences"],
    ),
    "505": (
        "사범대학 본관",
        "College of Education Main Building",
        ["사범대학", "사범대", "사범대 본관"],
        ["College of Education", "Education Building", "Education Main Building"],
    ),
    "506": (
        "사범대학 별관",
        "College of Education Annex",
        ["사범대 별관"],
        ["Education Annex", "Education Building Annex"],
    ),
    "507": (
        "자연과학대학",
        "College of Natural Sciences",
        ["자연대", "자연과학관", "자연과학대"],
        ["Natural Sciences Building", "Natural Science Building", "Natural Sciences"],
    ),
    "508": (
        "인문관",
        "Humanities Building",
        ["인문대", "인문대학", "인문과학대학"],
        ["Humanities Hall", "College of Humanities"],
    ),
    "604": (
        "제1의학관",
        "Medical Science Building I",
        ["1의학관"],
        ["Medical Building 1", "Medical Science Building 1", "First Medical Building"],
    ),
    "605": (
        "제2의학관",
        "Medical Science Building II",
        ["2의학관"],
        ["Medical Building 2", "Medical Science Building 2", "Second Medical Building"],
    ),
    "606": (
        "의과대학 본관",
        "College of Medicine Main Building",
        ["의과대학", "의대", "의대 본관"],
        ["College of Medicine", "Medical School", "Medical College"],
    ),
    "607": (
        "동문회관",
        "Alumni Hall",
        ["동문회", "웨딩홀"],
        ["Alumni Association Building", "Alumni House", "Wedding Hall"],
    ),
    "609": (
        "병원서관",
        "Hospital West Wing",
        ["병원 서관", "국제병원", "장례식장", "병원서관(국제병원, 장례식장)"],
        [
            "Hanyang University Hospital West Wing",
            "International Hospital",
            "International Clinic",
            "Funeral Hall",
            "West Wing",
        ],
    ),
    "610": (
        "병원본관",
        "Hanyang University Hospital",
        ["한양대학교병원", "한양대병원", "병원 본관", "병원", "대학병원"],
        ["Hospital Main Building", "Hanyang Hospital", "Hospital", "University Hospital"],
    ),
    "611": (
        "권역응급의료센터",
        "Regional Emergency Medical Center",
        ["응급실", "응급의료센터", "응급센터"],
        ["Emergency Room", "Emergency Center", "Emergency Medical Center"],
    ),
    "614": (
        "병원동관",
        "Hospital East Wing",
        ["병원 동관", "류마티스병원", "신한플라자", "병원동관(류마티스병원)/신한플라자"],
        ["Rheumatism Hospital", "Shinhan Plaza", "Hospital for Rheumatic Diseases", "East Wing"],
    ),
    "617": (
        "미래교육관",
        "Future Education Building",
        ["간호학부", "간호대"],
        ["Future Education Hall", "Nursing School", "School of Nursing"],
    ),
    "618": (
        "의대계단강의동",
        "Medical Lecture Hall",
        ["계단강의동", "의대 계단 강의실", "계단강의실"],
        ["Medical School Lecture Hall", "Tiered Lecture Hall"],
    ),
    "701": (
        "한양종합기술연구원",
        "Hanyang Institute of Technology",
        ["HIT", "에이치아이티", "한양종합기술연구원(HIT)", "종합기술연구원", "종기원"],
        ["HIT", "HIT Building", "H I T"],
    ),
    "702": (
        "한양사이버대학교 1관",
        "Hanyang Cyber University Building 1",
        ["사이버대 1관", "사이버대학교 1관", "한양사이버대 1관", "한양사이버대학교", "사이버대"],
        ["Cyber University Building 1", "Hanyang Cyber University", "Cyber University", "HYCU"],
    ),
    "703": (
        "한양사이버대학교 2관",
        "Hanyang Cyber University Building 2",
        ["사이버대 2관", "사이버대학교 2관", "한양사이버대 2관"],
        ["Cyber University Building 2", "HYCU Building 2"],
    ),
    "705": (
        "융합교육관",
        "Convergence Education Building",
        ["융합관"],
        ["Convergence Education Hall", "Convergence Building"],
    ),
    "706": (
        "경영관",
        "Business School",
        ["경영대", "경영대학", "경영학관"],
        [
            "Business Building",
            "Business Administration Building",
            "School of Business",
            "Business Hall",
        ],
    ),
    "707": (
        "행원파크",
        "Haengwon Park",
        ["행원 파크", "행원파크 주차장"],
        ["Haeng Won Park", "Hangwon Park", "Parking Garage", "Car Park", "Parking Lot"],
    ),
    "801": (
        "제1학생생활관",
        "Student Residence Hall 1",
        ["1생활관", "제1기숙사", "1기숙사"],
        ["Residence Hall 1", "Dormitory 1", "Dorm 1", "First Dorm"],
    ),
    "802": (
        "제3학생생활관",
        "Student Residence Hall 3",
        ["3생활관", "제3기숙사", "3기숙사"],
        ["Residence Hall 3", "Dormitory 3", "Dorm 3", "Third Dorm"],
    ),
    "803": (
        "제5학생생활관",
        "Student Residence Hall 5",
        ["5생활관", "제5기숙사", "5기숙사"],
        ["Residence Hall 5", "Dormitory 5", "Dorm 5", "Fifth Dorm"],
    ),
    "804": (
        "제2학생생활관",
        "Student Residence Hall 2",
        ["2생활관", "제2기숙사", "2기숙사"],
        ["Residence Hall 2", "Dormitory 2", "Dorm 2", "Second Dorm"],
    ),
    "805": (
        "개나리관",
        "Gaenari Hall",
        ["개나리 기숙사"],
        ["Gaenari Residence", "Gaenari Dorm", "Kaenari Hall", "Forsythia Hall"],
    ),
    "806": (
        "한누리관",
        "Hannuri Hall",
        ["한누리 기숙사"],
        ["Hannuri Residence", "Hannuri Dorm", "Han Nuri Hall"],
    ),
    "807": (
        "게스트하우스",
        "Guest House",
        ["게하", "게스트 하우스"],
        ["Guesthouse", "HYU Guest House"],
    ),
    "809": (
        "제6학생생활관",
        "Student Residence Hall 6",
        ["6생활관", "제6기숙사", "6기숙사", "행복기숙사"],
        ["Residence Hall 6", "Dormitory 6", "Dorm 6", "Happy Dormitory"],
    ),
    "810": (
        "제7학생생활관",
        "Student Residence Hall 7",
        ["7생활관", "제7기숙사", "7기숙사"],
        ["Residence Hall 7", "Dormitory 7", "Dorm 7"],
    ),
    "901": (
        "한양여자대학교 본관",
        "Hanyang Women's University Main Building",
        ["한양여대 본관", "한양여대", "한양여자대학교", "한양여자대학"],
        [
            "Hanyang Women's University",
            "Hanyang Womens University",
            "HYWU",
            "HYWU Main Building",
            "Women's University",
        ],
    ),
    "902": (
        "한양여자대학교 디자인관",
        "Hanyang Women's University Design Building",
        ["한양여대 디자인관", "디자인관"],
        ["HYWU Design Building", "Design Building", "Design Hall"],
    ),
    "903": (
        "한양여자대학교 도서관",
        "Hanyang Women's University Library",
        ["한양여대 도서관", "여대 도서관"],
        ["HYWU Library", "Women's University Library"],
    ),
    "904": (
        "행원스퀘어",
        "Haengwon Square",
        ["행원 스퀘어"],
        ["Haeng Won Square", "Hangwon Square"],
    ),
    "905": (
        "한양초등학교",
        "Hanyang Elementary School",
        ["한양초", "한양 초등학교"],
        ["Hanyang Primary School", "Elementary School"],
    ),
    "906": (
        "한양여자대학교 교수회관",
        "Hanyang Women's University Faculty Hall",
        ["한양여대 교수회관", "교수회관"],
        ["HYWU Faculty Hall", "Faculty Hall", "Faculty Club"],
    ),
    "907": (
        "한양여자대학교 정보문화관",
        "Hanyang Women's University Information and Culture Building",
        ["한양여대 정보문화관", "정보문화관"],
        [
            "HYWU Information and Culture Building",
            "Information and Culture Building",
            "Information Culture Building",
        ],
    ),
    "908": (
        "한양여자대학교 식품영양관",
        "Hanyang Women's University Food and Nutrition Building",
        ["한양여대 식품영양관", "식품영양관"],
        [
            "HYWU Food and Nutrition Building",
            "Food and Nutrition Building",
            "Food Nutrition Building",
        ],
    ),
    "909": (
        "한양여자대학교 유아교육관",
        "Hanyang Women's University Early Childhood Education Building",
        ["한양여대 유아교육관", "유아교육관"],
        ["HYWU Early Childhood Education Building", "Early Childhood Education Building"],
    ),
}

# Seed neighbour names -> place code. None drops a vague pseudo-neighbour that is no place.
NEIGHBOUR_NAMES: dict[str, str | None] = {
    "역사관": "101",
    "본관": "102",
    "한양플라자": "105",
    "예지문": "104",
    "학생회관": "107",
    "국제관": "108",
    "박물관": "109",
    "재성토목관": "201",
    "건축관": "202",
    "과학기술관": "203",
    "신소재공학관": "204",
    "공업센터 본관": "206",
    "공업센터": "206",
    "공업센터 별관": "207",
    "퓨전테크센터(FTC)": "208",
    "백남학술정보관": "501",
    "HIT": "701",
    "대운동장": "301",
    "제1공학관": "212",
    "제2공학관": "211",
    "한양대역": "station",
    "제1의학관": "604",
    "IT/BT관": "305",
    "산학기술관": "304",
    "올림픽체육관": "306",
    "제1법학관": "407",
    "백남음악관": "405",
    "제1음악관": "402",
    "제2음악관": "403",
    "학군단": "406",
    "제1학생생활관": "801",
    "제2법학관": "408",
    "제3법학관": "409",
    "경제금융대학": "410",
    "경영관": "706",
    "인문관": "508",
    "사회과학관": "504",
    "사범대학 본관": "505",
    "사범대학 별관": "506",
    "사범대학": "505",
    "자연과학대학": "507",
    "제2의학관": "605",
    "의과대학 본관": "606",
    "의과대학": "606",
    "동문회관": "607",
    "한양대학교병원": "610",
    "병원본관": "610",
    "병원동관": "614",
    "병원서관": "609",
    "의대계단강의동": "618",
    "미래교육관": "617",
    "행원파크": "707",
    "한양사이버대학교 1관": "702",
    "한양사이버대학교 2관": "703",
    "제5학생생활관": "803",
    "제2학생생활관": "804",
    "제3학생생활관": "802",
    "개나리관": "805",
    "한누리관": "806",
    "게스트하우스": "807",
    "제6학생생활관": "809",
    "제7학생생활관": "810",
    "한양여대 본관": "901",
    "한양여대 디자인관": "902",
    "한양여대 도서관": "903",
    "행원스퀘어": "904",
    "한양초등학교": "905",
    "교수회관": "906",
    "정보문화관": "907",
    "식품영양관": "908",
    "유아교육관": "909",
    # "한양여대" as a whole campus: its main building stands for it (807 is just above it).
    "한양여대": "901",
    "사근동": None,
}

# (building, seed neighbour name, seed direction) pairs dropped as vague pseudo-neighbours.
DROP_NEIGHBOURS = {("809", "한양여대", "방향"), ("810", "사근동", "방향")}

DIRECTIONS: dict[str, tuple[str, str]] = {
    "오른쪽": ("오른쪽", "to the right"),
    "왼쪽": ("왼쪽", "to the left"),
    "앞쪽": ("앞쪽", "in front"),
    "앞": ("앞쪽", "in front"),
    "뒤쪽": ("뒤쪽", "behind"),
    "위쪽": ("위쪽", "further up"),
    "아래쪽": ("아래쪽", "further down"),
    "오른쪽 위": ("오른쪽 위", "up to the right"),
    "오른쪽 아래": ("오른쪽 아래", "down to the right"),
    "바로 옆": ("바로 옆", "right next to it"),
    "옆": ("옆", "next to it"),
    "근처": ("근처", "nearby"),
    "멀리": ("조금 떨어진 곳", "some distance away"),
}

CATEGORIES: dict[str, str] = {
    "행정/부속건물": "administration and heritage building",
    "행정건물": "administration building",
    "복지시설": "student welfare facility",
    "학생자치건물": "student activities building",
    "교육건물": "teaching building",
    "부속건물": "university facility",
    "교육/실습건물": "teaching and workshop building",
    "연구/교육건물": "research and teaching building",
    "야외시설": "outdoor facility",
    "체육시설": "sports facility",
    "문화시설": "cultural facility",
    "군사/교육": "military training (ROTC) building",
    "도서관": "library",
    "편의시설": "convenience store",
    "의료/교육건물": "medical teaching building",
    "행사/웨딩": "events and wedding hall",
    "의료시설": "medical facility",
    "연구건물": "research building",
    "주차장/편의시설": "car park and amenities",
    "기숙사": "dormitory",
    "숙박시설": "guest accommodation",
    "한양여대": "Hanyang Women's University building",
    "부속학교": "affiliated school",
    "교육/의료": "teaching and medical building",
}

# Seed floor_info values that carry no floor count: Korean kept, English explained.
FLOOR_WORDS: dict[str, str] = {
    "야외": "outdoors (no floors)",
    "대형 건물": "a large building (floor count not listed)",
    "지하 주차장": "an underground car park (floor count not listed)",
    "고층": "a high-rise (floor count not listed)",
    "신축": "a new building (floor count not listed)",
    "여대 캠퍼스": "on the Hanyang Women's University campus (floor count not listed)",
    "초등학교": "an elementary school (floor count not listed)",
    "광장/복지": "a plaza with facilities (floor count not listed)",
}

FEATURES: dict[str, str] = {
    "대학 설립자 동상": "a statue of the university's founder",
    "대학 역사 전시실": "a university history exhibition room",
    "총장실": "the president's office",
    "행정부서": "administrative offices",
    "푸드코트": "a food court",
    "편의점": "a convenience store",
    "카페": "a café",
    "동아리방": "student club rooms",
    "학생식당": "a student cafeteria",
    "국제교육원": "the International Education Institute",
    "대학원": "the Graduate School",
    "전시실": "exhibition rooms",
    "세미나실": "seminar rooms",
    "공과대학": "the College of Engineering",
    "건축학부": "the School of Architecture",
    "이과대학": "science departments",
    "자연과학대학": "the College of Natural Sciences",
    "신소재공학부": "the Division of Materials Science and Engineering",
    "공과대학 실습실": "College of Engineering workshops",
    "실습실": "workshops",
    "융합전자공학부": "the School of Electronic Engineering",
    "반도체 연구실": "semiconductor labs",
    "축제": "festivals",
    "공연": "performances",
    "미래자동차공학과": "the Department of Automotive Engineering",
    "옥상정원": "a rooftop garden",
    "공과대학 강의실": "College of Engineering lecture rooms",
    "건축공학부": "the Department of Architectural Engineering",
    "토목공학": "civil engineering",
    "트랙": "a running track",
    "축구장": "a football pitch",
    "오픈소스SW센터": "the Open Source Software Center",
    "정보통신": "information and communications",
    "생명공학 관련": "biotechnology departments",
    "실내체육관": "an indoor gymnasium",
    "생활과학대학": "the College of Human Ecology",
    "음대 강의실": "College of Music lecture rooms",
    "연습실": "practice rooms",
    "콘서트홀": "a concert hall",
    "ROTC": "the ROTC unit",
    "법학전문대학원": "the Law School",
    "강의실": "lecture rooms",
    "연구실": "research offices",
    "경제금융학부": "the School of Economics and Finance",
    "중앙도서관": "the central library",
    "사회과학대학": "the College of Social Sciences",
    "사범대학": "the College of Education",
    "인문과학대학": "the College of Humanities",
    "의과대학": "the College of Medicine",
    "의대 강의실": "medical school lecture rooms",
    "의대 행정": "medical school administration",
    "웨딩홀": "a wedding hall",
    "동문회": "the alumni association",
    "국제병원": "an international clinic",
    "진료실": "consulting rooms",
    "병동": "wards",
    "응급실": "an emergency room",
    "류마티스병원": "a rheumatism hospital",
    "간호학부": "the School of Nursing",
    "대형 강의실": "large lecture halls",
    "산학협력단": "the Industry-University Cooperation Foundation",
    "사이버대": "Hanyang Cyber University",
    "경영대학": "the School of Business",
    "지하주차장": "an underground car park",
    "남학생 기숙사": "a men's dormitory",
    "기숙사": "student rooms",
    "고시반": "exam-preparation study rooms",
    "여학생 기숙사": "a women's dormitory",
    "숙소": "guest rooms",
    "컨벤션": "convention rooms",
    "행복기숙사": "Happy Dormitory (low-cost student housing)",
    "한양여대": "Hanyang Women's University",
    "디자인관": "design classrooms",
    "도서관": "a library",
    "광장": "an open plaza",
    "초등학교": "elementary school classes",
    "교수회관": "a faculty hall",
    "정보문화관": "information and culture classrooms",
    "식품영양관": "food and nutrition classrooms",
    "유아교육관": "early childhood education classrooms",
}

# Faithful English renderings of each building's seed shortest_route ("Exit 2" = Aeji Gate).
ROUTES_EN: dict[str, str] = {
    "101": "History Hall is building 101. Come out of Aeji Gate, Exit 2 of Hanyang Univ. "
    "Station, onto the university square in front of it; it stands behind the lion "
    "statue you can see there.",
    "102": "The Main Building is building 102. Come out of Aeji Gate, Exit 2 of Hanyang Univ. "
    "Station, onto the university square in front of it; it stands to the left of the "
    "lion statue you can see there.",
    "105": "It is the building immediately on your left as you come out of Aeji Gate, Exit 2 "
    "of Hanyang Univ. Station.",
    "107": "Come out of Aeji Gate and keep Hanyang Plaza (building 105), on your left, at your "
    "side as you turn onto the path on the left; it is the red-brick building you "
    "see straight away.",
    "108": "From Aeji Gate, follow the path beside Hanyang Plaza on the left, pass the Student "
    "Union Building (building 107) and go a little further down the slope.",
    "109": "From Aeji Gate, walk past the front of the Main Building (building 102) straight "
    "ahead and go down the slope on the left; you will see it.",
    "201": "From Aeji Gate, take the path up the right side of the Main Building (building 102) "
    "straight ahead, pass the Museum (building 109) and go down the lower path on the "
    "left.",
    "202": "From Aeji Gate, take the path up the right side of the Main Building (building 102) "
    "straight ahead and cross the bridge above the Museum (building 109).",
    "203": "From Aeji Gate, follow the hill path up the right side of the Main Building "
    "(building 102); it is the long building after the Architecture Building "
    "(building 202).",
    "204": "From Aeji Gate, follow the path up the right side of the Main Building "
    "(building 102); it is to the right of the Science and Technology Building "
    "(building 203).",
    "206": "From Aeji Gate, take the path on the right of the Main Building, then go down into "
    "the engineering complex below, opposite the Materials Science and Engineering "
    "Building (building 204); it is in the middle.",
    "207": "From Aeji Gate, go to the Engineering Center Main Building (building 206); the "
    "annex is the building joined directly behind it.",
    "208": "From Aeji Gate, go to the end of the path on the right of the Main Building "
    "(building 102); it is the tall glass building, right next to HIT (building 701).",
    "209": "From Aeji Gate, pass the Main Building (building 102) straight ahead and keep going "
    "up the hill towards the library; the open-air theater spreads out just below the "
    "library.",
    "210": "From Aeji Gate, follow the road on the right by the Main Sports Field all the way "
    "to the end and climb the hill.",
    "211": "From Aeji Gate, pass the Main Sports Field on the right and go up the engineering "
    "access road; it is below the Engineering Center (building 206).",
    "212": "From Aeji Gate, take the path on the right and go in past Engineering Building II "
    "(building 211); it is the long building there.",
    "301": "It is the wide artificial-turf field that opens out immediately on your right as "
    "you come out of Aeji Gate.",
    "304": "From Aeji Gate, go up the path on the left side of the Olympic Gymnasium "
    "(building 306), to the left of the gate; it is behind the gymnasium.",
    "305": "It is the tall building rising behind the Olympic Gymnasium (building 306), to the "
    "left of Aeji Gate. Take the path up the left side of the gymnasium.",
    "306": "It is the huge dome-shaped gymnasium you see immediately on your left as you come "
    "out of Aeji Gate, behind Hanyang Plaza (building 105).",
    "401": "From Aeji Gate, climb the hill straight ahead to the top and cross over by the path "
    "on the left of Paiknam Library (building 501); it is the first building you reach.",
    "402": "From Aeji Gate, go over the hill, pass the College of Human Ecology (building 401) "
    "and go further in; it is in the music complex.",
    "403": "From Aeji Gate, go over the hill; it is at the far end of the music complex, next "
    "to Music Building I (building 402).",
    "405": "From Aeji Gate, go over the hill and past the College of Human Ecology "
    "(building 401); it is the concert hall building you see there.",
    "406": "From Aeji Gate, go over the hill; it is below the music complex, on the way to the "
    "dormitories.",
    "407": "From Aeji Gate, go over the hill; it is opposite the College of Human Ecology "
    "(building 401).",
    "408": "From Aeji Gate, go over the hill; it is the building joined to Law School "
    "Building I (building 407).",
    "409": "From Aeji Gate, go over the hill; it is the innermost building of the law school "
    "complex.",
    "410": "From Aeji Gate, head right towards the Business School (building 706), then take "
    "the path on the right of the Business School; you will come to it.",
    "501": "From Aeji Gate, climb the hill behind the Main Building (building 102) straight "
    "ahead all the way up; it is the big white building at the highest point in the "
    "centre of campus.",
    "503": "From Aeji Gate, climb the hill straight ahead to the top; it is the small shop "
    "building just to the left of Paiknam Library (building 501), on the way to the "
    "Social Sciences Building.",
    "504": "From Aeji Gate, climb the hill straight ahead to the top and take the path on the "
    "left of Paiknam Library (building 501); it is opposite the Humanities Building "
    "(building 508).",
    "505": "From Aeji Gate, follow the path up the left side of the Main Building (building "
    "102) and turn off onto the path below the Humanities Building (building 508).",
    "506": "From Aeji Gate, go to the College of Education Main Building (building 505) and "
    "enter the building attached next to it.",
    "507": "From Aeji Gate, follow the path up the left side of the Main Building (building "
    "102); it is below the Humanities Building (building 508) and above the College "
    "of Education.",
    "508": "From Aeji Gate, climb the hill straight ahead to the top; it is the building you "
    "see just down to the left of Paiknam Library (building 501).",
    "604": "From Aeji Gate, cross the Main Sports Field on the right and go up the stairs "
    "towards the hospital.",
    "605": "From Aeji Gate, go to the hospital complex across the Main Sports Field on the "
    "right and walk to the side of Medical Science Building I (building 604).",
    "606": "From Aeji Gate, pass the Main Sports Field on the right and go to the middle of "
    "the hospital complex.",
    "607": "From Aeji Gate, pass the Main Sports Field on the right and go out towards the "
    "crossroads at the hospital entrance; it is on the main road.",
    "609": "From Aeji Gate, go past the Main Sports Field on the right; it is on the western, "
    "campus side of the hospital complex.",
    "610": "From Aeji Gate, pass the Main Sports Field on the right; it is the biggest "
    "hospital building you see.",
    "611": "From Aeji Gate, go to the Hanyang University Hospital main building (building "
    "610); the emergency center is joined to its right side.",
    "614": "From Aeji Gate, go past the hospital main building and further in to the east.",
    "617": "From Aeji Gate, go to the far end of the hospital complex; it is on the nursing "
    "school side.",
    "618": "From Aeji Gate, go to the end of the road by the Main Sports Field on the right; "
    "it is near the hospital car park.",
    "701": "From Aeji Gate, follow the path up the right side of the Main Building (building "
    "102) to the top of the hill; it is the huge glass building you see straight ahead.",
    "702": "From Aeji Gate, go to the end of the path on the right of the Main Building "
    "(building 102); it is opposite HIT (building 701).",
    "703": "From Aeji Gate, head right and go up the hill behind the Business School "
    "(building 706); it is next to Cyber University Building 1.",
    "705": "From Aeji Gate, head right and go up towards the Business School (building 706); "
    "you will find it near the Business School.",
    "706": "From Aeji Gate, turn right: it is the big building you see on the hill, above "
    "Haengwon Park (building 707).",
    "707": "From Aeji Gate, go right: it is the underground car park entrance and park area "
    "below the Business School (building 706).",
    "801": "From Aeji Gate, go over the hill, past the College of Education and the law "
    "buildings, and a long way down towards the back gate; it is in the dormitory "
    "complex.",
    "802": "From Aeji Gate, go over the hill; it is in the dormitory complex.",
    "803": "From Aeji Gate, go over the hill; it is the high-rise in the westernmost dormitory "
    "area.",
    "804": "From Aeji Gate, go over the hill to the dormitory complex; it is the women's "
    "dormitory there.",
    "805": "From Aeji Gate, go over the hill; it is in the dormitory complex near the back gate.",
    "806": "From Aeji Gate, go over the hill and take the path behind Haengwon Park (building "
    "707) towards the dormitories.",
    "807": "From Aeji Gate, go over the hill; it is on the way to Hanyang Women's University, "
    "across from the Alumni Hall (building 607).",
    "809": "From Aeji Gate, go over the hill; it is the new dormitory on the way down towards "
    "Hanyang Women's University.",
    "810": "From Aeji Gate, go over the hill; it is the new dormitory at the far end, towards "
    "Sageun-dong.",
    "901": "From Aeji Gate, go over the hill and in through the entrance of Hanyang Women's "
    "University at the northern end of campus.",
    "902": "From Aeji Gate, go over the hill; it is on the Hanyang Women's University campus.",
    "903": "From Aeji Gate, go over the hill and onto the Hanyang Women's University campus; "
    "you will find it there.",
    "904": "From Aeji Gate, go over the hill; it is the plaza area on the Hanyang Women's "
    "University campus.",
    "905": "From Aeji Gate, go over the hill; it is in the area of Hanyang Women's University "
    "and the College of Education's affiliated schools.",
    "906": "From Aeji Gate, go over the hill; it is deep inside the Hanyang Women's University "
    "campus.",
    "907": "From Aeji Gate, go over the hill; it is on the Hanyang Women's University campus.",
    "908": "From Aeji Gate, go over the hill; it is deep inside the Hanyang Women's University "
    "campus.",
    "909": "From Aeji Gate, go over the hill; it is at the far end of the Hanyang Women's "
    "University campus.",
}

# Public coordinates quoted in the seed README.
COORDS: dict[str, tuple[float, float]] = {
    "101": (37.556053, 127.044810),
    "102": (37.556706, 127.044445),
    "104": (37.556008, 127.043823),
    "105": (37.556565, 127.043904),
    "501": (37.557439, 127.045674),
}

LANDMARKS: list[dict[str, Any]] = [
    {
        "code": "104",
        "kind": "landmark",
        "name_ko": "애지문",
        "name_en": "Aeji Gate",
        "aliases_ko": ["예지문", "에지문", "애지 문", "한양대역 2번 출구", "2번 출구", "2번출구"],
        "aliases_en": [
            "Aeji Gate",
            "Aeji Mun",
            "Aejimun",
            "Exit 2",
            "Exit Two",
            "Station Exit 2",
            "Yeji Gate",
            "Yejimun",
            "Aeji",
        ],
        "category_ko": "캠퍼스 출입문",
        "category_en": "campus gate",
        "floors_ko": "야외",
        "floors_en": "outdoors (no floors)",
        "floors_above": None,
        "floors_below": None,
        "minutes_from_gate": 0,
        "neighbours": [
            {"code": "105", "direction_ko": "왼쪽", "direction_en": "to the left"},
            {"code": "301", "direction_ko": "오른쪽", "direction_en": "to the right"},
        ],
        "route_ko": "애지문은 한양대역 2번 출구이고, 이 키오스크가 바로 애지문에 있어요.",
        "route_en": "Aeji Gate is Exit 2 of Hanyang Univ. Station, and this kiosk stands right "
        "at it.",
        "features_ko": ["한양대역 2번 출구", "캠퍼스 안내 키오스크"],
        "features_en": ["Exit 2 of Hanyang Univ. Station", "a campus information kiosk"],
    },
    {
        "code": "station",
        "kind": "landmark",
        "name_ko": "한양대역",
        "name_en": "Hanyang Univ. Station",
        "aliases_ko": ["한양대학교역", "한양대 역", "지하철역", "2호선 한양대역", "전철역"],
        "aliases_en": [
            "Hanyang University Station",
            "Hanyang Station",
            "Hanyang Univ Station",
            "subway station",
            "metro station",
        ],
        "category_ko": "지하철 2호선 역",
        "category_en": "Line 2 subway station",
        "floors_ko": "지하철역",
        "floors_en": "a subway station (floor count not listed)",
        "floors_above": None,
        "floors_below": None,
        "minutes_from_gate": 0,
        "neighbours": [
            {"code": "104", "direction_ko": "바로 위", "direction_en": "right above it"},
            {"code": "105", "direction_ko": "바로 옆", "direction_en": "right next to it"},
        ],
        "route_ko": (
            "애지문이 바로 한양대역 2번 출구라서, 애지문 계단으로 내려가면 역이에요. "
            "한양플라자(105번)와는 지하 통로로도 이어져 있어요."
        ),
        "route_en": "Aeji Gate is Exit 2 of Hanyang Univ. Station, so the station is straight down "
        "the stairs at the gate. It is also linked to Hanyang Plaza (building 105) by "
        "an underground passage.",
        "features_ko": ["지하철 2호선", "2번 출구(애지문)"],
        "features_en": ["Seoul Subway Line 2", "Exit 2 (Aeji Gate)"],
    },
]

_POLITE = [
    ("보입니다", "보여요"),
    ("나옵니다", "나와요"),
    ("됩니다", "돼요"),
    ("있습니다", "있어요"),
    ("합니다", "해요"),
]


def _has_batchim(word: str) -> bool:
    """True when the last Hangul syllable ends in a consonant (decides 이에요/예요)."""
    ch = word[-1]
    return "가" <= ch <= "힣" and (ord(ch) - 0xAC00) % 28 != 0


def polite(text: str) -> str:
    """Turn the seed's 합니다-style endings into the kiosk's 해요체."""
    for old, new in _POLITE:
        text = text.replace(old + ".", new + ".")
    return re.sub(
        r"(\S)입니다\.",
        lambda m: m.group(1) + ("이에요." if _has_batchim(m.group(1)) else "예요."),
        text,
    )


def clean_route_ko(text: str) -> str:
    """Fix the gate's spelling, drop the seed's minutes sentence (a field already), be polite."""
    text = text.replace("예지문", "애지문").replace("에지문", "애지문")
    text = re.sub(r"\s*소요시간은[^.]*\.", "", text)
    return polite(text.strip())


def parse_floors(info: str) -> tuple[str, str, int | None, int | None]:
    """Seed floor_info -> (ko, en, floors above ground, floors below ground)."""
    above = re.search(r"지상\s*(\d+)층", info)
    below = re.search(r"지하\s*(\d+)층", info)
    if above:
        n_up = int(above.group(1))
        en = f"{n_up} floors above ground"
        n_down = int(below.group(1)) if below else None
        if n_down:
            en += f" and {n_down} below ground"
        return info, en, n_up, n_down
    return info, FLOOR_WORDS[info], None, None


def build_place(raw: dict[str, Any]) -> dict[str, Any]:
    """One seed building -> one KB place."""
    code = raw["building_code"]
    name_ko, name_en, aliases_ko, aliases_en = NAMES[code]
    floors_ko, floors_en, up, down = parse_floors(raw["floor_info"])
    neighbours = []
    for slot in ("nearest", "second"):
        nb = raw["nearby_buildings"][slot]
        if (code, nb["name"], nb["direction"]) in DROP_NEIGHBOURS:
            log.info("%s: dropped vague neighbour %s %s", code, nb["name"], nb["direction"])
            continue
        nb_code = NEIGHBOUR_NAMES[nb["name"]]
        if nb_code is None:
            continue
        d_ko, d_en = DIRECTIONS[nb["direction"]]
        neighbours.append({"code": nb_code, "direction_ko": d_ko, "direction_en": d_en})
    features_ko = [f.strip() for f in raw["notable_features"].split(",") if f.strip()]
    place: dict[str, Any] = {
        "code": code,
        "kind": "building",
        "name_ko": name_ko,
        "name_en": name_en,
        "aliases_ko": aliases_ko,
        "aliases_en": aliases_en,
        "category_ko": raw["category"],
        "category_en": CATEGORIES[raw["category"]],
        "floors_ko": floors_ko,
        "floors_en": floors_en,
        "floors_above": up,
        "floors_below": down,
        "minutes_from_gate": int(raw["estimated_time_walking"]),
        "neighbours": neighbours,
        "route_ko": clean_route_ko(raw["route_description"]["shortest_route"]),
        "route_en": ROUTES_EN[code],
        "features_ko": features_ko,
        "features_en": [FEATURES[f] for f in features_ko],
    }
    if code in COORDS:
        place["lat"], place["lon"] = COORDS[code]
    return place


def build(raw_path: Path) -> dict[str, Any]:
    """Whole KB document: gate block, places (landmarks first), empty off-campus list."""
    raw = json.loads(raw_path.read_text(encoding="utf-8"))
    places = [dict(p) for p in LANDMARKS] + [build_place(b) for b in raw]
    gate = places[0]
    gate["lat"], gate["lon"] = COORDS["104"]
    return {
        "version": 1,
        "source": "raw_campus.json from the Gemma_2b_Fine-Tuning seed (facts only), "
        "cleaned and translated by kiosk/campus/build_kb.py",
        "gate": {
            "code": "104",
            "name_ko": "애지문",
            "name_en": "Aeji Gate",
            "station_exit_ko": "한양대역 2번 출구",
            "station_exit_en": "Exit 2 of Hanyang Univ. Station",
            "lat": COORDS["104"][0],
            "lon": COORDS["104"][1],
        },
        "places": places,
        "offcampus": [],
        "offcampus_note": "Off-campus places are left out on purpose: the seed's off-campus "
        "facts exist only in generated QA text and contradict each other, so "
        "the kiosk answers that it does not know them.",
    }


def main(argv: list[str]) -> int:
    """Write the KB JSON; argv: [raw_path] [out_path]."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    raw_path = Path(argv[0]) if argv else DEFAULT_RAW
    out_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    doc = build(raw_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    log.info("wrote %d places to %s", len(doc["places"]), out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
