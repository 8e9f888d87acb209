"""The rules parser: a plain-language question -> StructuredQuery, offline and deterministic.

Districts ("District 4", "D4", "district four", "Ward 3", "districts 4 and 5"), periods
(synth/ask/periods.py), intent (count, share, ranking, trend, compare, open), measure ("how many meetings"
counts meetings), kinds ("comments", "meeting notes"), sentiment ("complain", "praise") and themes
(synth/ask/themes.py). Questions about named individuals and about data synth does not hold are marked
declined.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from synth.ask.models import Intent, StructuredQuery
from synth.ask.names import NameLists, build_name_lists
from synth.ask.periods import parse_period
from synth.ask.themes import SELF_WORDS, ThemeMatch, ThemeMatcher, content_words, topic_content
from synth.words import fold

_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "eleven": 11, "twelve": 12}
_NUMBER = r"(?:\d{1,2}|" + "|".join(_NUMBERS) + r")"
_MORE_NUMBER = r"(?:\d{1,2}|" + "|".join(n for n in _NUMBERS if n != "one") + r")"  # 'and one of them'
# "Ward 3", "districts 4 and 5", "District 4, 5 or 6": the word as the data may name its districts.
_DISTRICT = re.compile(r"\b(district|dist\.?|precinct|ward)s?\s*#?\s*(" + _NUMBER + r")\b((?:\s*(?:,|&|and|or)\s*#?"
                       r"\s*" + _MORE_NUMBER + r"\b)*)", re.IGNORECASE)
_DISTRICT_WORD = {"district": "District", "dist": "District", "dist.": "District", "precinct": "Precinct",
                  "ward": "Ward"}
_SHORT_DISTRICT = re.compile(r"\b[dD](\d{1,2})\b")
_ALL_DISTRICTS = re.compile(r"\b(?:by|per|each|every|all|across|which|what)\s+(?:the\s+)?districts?\b", re.I)
_WHICH_DISTRICT = re.compile(r"\b(?:which|what)\s+(?:of\s+the\s+)?(?:district|dist\.?|precinct|ward|area|town|"
                             r"place)s?\b", re.IGNORECASE)
_BY_MONTH = re.compile(r"\b(?:by|per|each|every)\s+month\b|\bmonth by month\b|\bmonthly\b", re.IGNORECASE)

# Someone named, or a request to identify someone.
_TITLED_NAME = re.compile(r"\b(?i:officer|ofc\.?|sgt\.?|sergeant|detective|det\.|lieutenant|lt\.|captain|capt\.|"
                          r"chief|deputy|mr\.?|mrs\.?|ms\.?|miss|dr\.?)\s+[A-Z][a-z]+")  # the name capitalised
_IDENTIFY = re.compile(r"\b(?:who\s+(?:said|complained|wrote|asked|raised|mentioned|is|was|were|called|"
                       r"posted|sent|took)|which\s+(?:resident|residents|person|people|officer|officers|"
                       r"note[- ]?takers?|neighbou?rs?)\b|names?\s+of\b|(?:home\s+)?address(?:es)?\s+of|"
                       r"phone\s+numbers?|e-?mail\s+address|note[- ]?takers?\b|identify)", re.IGNORECASE)
# "King Dr." and "Oak Dr." are streets: "Dr" right after a capitalised word that is not a question or verb word.
_STREET_BEFORE = re.compile(r"\b([A-Z][a-z]+)\s+$")
_NOT_STREET_NAMES = frozenset({
    "What", "Which", "How", "Who", "Where", "When", "Why", "Is", "Are", "Was", "Were", "Does", "Do", "Did", "Has",
    "Have", "Had", "Can", "Could", "Would", "Should", "Will", "The", "And", "Or", "But", "About", "From", "By",
    "With", "To", "For", "Of", "In", "On", "At", "Ask", "Tell", "Thank", "Thanks", "Call", "Show", "Give", "List",
    "Compare", "Please", "Also", "Dear", "Officer", "Chief", "Deputy",
})
_NAME_PAIR = re.compile(r"\b([A-Z][a-z]{2,})\s+([A-Z][a-z]{2,})\b")
# A name before a street word is a place ("Martin Luther King Boulevard").
_PLACE_WORDS = (r"boulevard|blvd|street|st|avenue|ave|road|rd|drive|dr|lane|ln|way|place|court|park|square|plaza|"
                r"bridge|highway|parkway|pkwy|school|library|center|centre|hall|station|field|gardens?|terrace|circle")
_PLACE_AFTER = re.compile(r"(?:\s+[A-Z][a-z]+)*\s+(?i:" + _PLACE_WORDS + r")\b")
_PLACE_NEXT_RUN = re.compile(r"((?:\s+[^\W\d_]+){0,2}?)\s+(?:" + _PLACE_WORDS + r")\b", re.IGNORECASE)
_SAID_NAME = re.compile(r"\b(?:did|does|has|about|from|by)\s+([A-Z][a-z]{2,})(?:'s)?\s+(?:say|said|write|wrote|"
                        r"complain|think|feel|report|want|ask)")
_NOT_NAMES = frozenset({
    "District", "Districts", "What", "Which", "How", "Who", "Where", "When", "Why", "Is", "Are", "Does", "Do",
    "Did", "Has", "Have", "Can", "Could", "Would", "Should", "The", "And", "In", "Since", "From", "Compare",
    "Give", "Show", "Tell", "List", "Any", "Anyone", "City", "Street", "Police", "Public", "Works", "Residents",
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December", "Youth", "Parks", "Park", "Center", "Avenue", "Road", "Lane", "Green", "Square",
    "Library", "School", "Church", "Station", "Plaza", "Bridge", "Market", "Hall", "Garden", "Gardens", "Ave",
    "St", "Rd", "Blvd", "Boulevard", "Place", "Court", "Drive", "Highway", "Trail", "Commons", "Field", "Lake",
    "North", "South", "East", "West", "Northside", "Southside", "Downtown", "Midtown", "Uptown", "Old", "New",
    "Main", "Trust", "Graffiti", "Noise", "Lighting", "Traffic", "Safety", "Response", "Times", "Drug",
    "Homeless", "Encampments", "Vandalism", "Programs", "Spaces", "Activity", "Overall", "Please", "Also",
})
# Questions about data synth does not hold, or that ask it to decide or predict: always declined.
_OUT_OF_SCOPE = re.compile(
    r"\b(?:weather|forecast|stock|recipe|poem|joke|song|crime\s+rates?|crime\s+statistics|crime\s+stats|"
    r"(?:how\s+many|number\s+of)\s+(?:\w+\s+)?arrests|arrest\s+(?:counts?|numbers|rates?|figures|statistics)|"
    r"911\s+calls?|call\s+volumes?|salar(?:y|ies)|overtime|population\s+(?:of|size|figures?|statistics)|"
    r"demographics?|election|vote|voting|predict\w*|forecast\w*|next\s+year|will\s+\w+\s+(?:be|go|get)|"
    r"should\s+(?:we|i|the\s+\w+)\s+(?:fire|hire|sue|close|ban|cut|fund|spend|vote)|fire\s+(?:the|him|her)|"
    r"lawsuits?|capital\s+of|translate|write\s+(?:me\s+)?(?:a|an)\s+(?:poem|essay|story|email|letter))\b",
    re.IGNORECASE)
# Words about data synth does not hold that residents also raise ("arrests of drug dealers", "the budget for
# park upkeep", "the homeless population"): declined only when no concern theme is named.
_NOT_HELD = re.compile(r"\b(?:arrests?|arrested|budgets?|population|census|football)\b", re.IGNORECASE)

_SHARE = re.compile(r"\b(?:share|percent|percentage|proportion|fraction|what\s+part|how\s+much\s+of|%)", re.I)
_COUNT = re.compile(r"\b(?:how\s+many|number\s+of|count|how\s+often|tally)\b", re.IGNORECASE)
_TREND = re.compile(r"\b(?:trend\w*|over\s+time|chang\w*|rising|rise|rose|increas\w*|decreas\w*|grow\w*|"
                    r"declin\w*|falling|fell|drop\w*|going\s+(?:up|down)|getting\s+(?:worse|better)|"
                    r"month\s+by\s+month|evolv\w*|surg\w*|fad\w*)\b", re.IGNORECASE)
_COMPARE = re.compile(r"\b(?:compare\w*|comparison|versus|vs\.?|more\s+than|less\s+than|fewer\s+than|"
                      r"differ\w*)\b", re.IGNORECASE)
_RANKING = re.compile(r"\b(?:most|top|biggest|main|leading|primary|greatest|highest|lowest|least|rank\w*|"
                      r"worried|worry|worries|concerns?|issues|problems|priorit\w*|care\s+about|focus)\b", re.I)
_EXISTENCE = re.compile(r"^\s*(?:is|are|does|do|has|have|did)\s+(?:anyone|anybody|someone|somebody|any|"
                        r"residents|people|there|the\s+residents)\b", re.IGNORECASE)
_OPEN = re.compile(r"\b(?:what\s+(?:do|did|does|are|were|is)\s+\w+\s+(?:say|said|saying|think|feel|"
                   r"writing|telling)|how\s+do\s+\w+\s+feel|tell\s+me\s+about|describe|summari[sz]e|"
                   r"what\s+is\s+being\s+said|examples?\s+of|quotes?|what\s+kinds?\s+of)\b", re.IGNORECASE)
_MEETINGS = re.compile(r"\bmeetings\b|\bhow\s+many\s+meeting\b(?!\s+notes?\b)", re.IGNORECASE)
# "complaints about lighting", "how many complaints", not "noise complaints" (a topic).
_NEGATIVE = re.compile(r"\b(?:complain(?:s|ed|ing)?\b|complaints?\s+(?:about|of|over|regarding|concerning|on)\b|"
                       r"(?:how\s+many|number\s+of|any)\s+complaints\b|negative|unhappy|angry|frustrat\w*|upset|"
                       r"dissatisf\w*)\b", re.I)
_POSITIVE = re.compile(r"\b(?:prais\w*|positive|happy\s+with|pleased|thank\w*|appreciat\w*|satisf\w*|"
                       r"(?:like|love|enjoy|value)s?\s+about|good\s+about|what\s+(?:do|did|does)\s+\w+\s+"
                       r"(?:like|love|enjoy|value)|what\S*\s+(?:is\s+)?working\s+well)\b", re.I)
_KINDS = (
    (re.compile(r"\bmeeting\s+notes?\b|\bnotes\b", re.I), ["meeting_note"]),
    (re.compile(r"\bsurveys?(?:\s+responses?)?\b", re.I), ["survey_response"]),
    (re.compile(r"\be-?mails?\b", re.I), ["email"]),
    (re.compile(r"\bweb\s*forms?\b", re.I), ["comment"]),
    (re.compile(r"\bcomments\b|\bwritten\s+feedback\b", re.I), ["comment", "survey_response", "email"]),
)
_TOPIC_SPLIT = re.compile(r"\s+(?:vs\.?|versus|compared\s+(?:to|with)|or|and)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class ParseContext:
    """What the parser knows about the data: district names, themes, and the months the data covers."""

    districts: Sequence[str]
    matcher: ThemeMatcher
    latest_month: str | None
    first_month: str | None = None
    latest_by_district: Mapping[str, str] = field(default_factory=dict)  # each district's latest month with records
    names: NameLists | None = None  # the census name lists, when a cache has them (else built on first use)


def _district_number(token: str) -> int:
    return int(token) if token.isdigit() else _NUMBERS[token.lower()]


def parse_districts(question: str, known: Sequence[str]) -> tuple[list[str], list[str], list[tuple[int, int]]]:
    """(known districts named, unknown ones, spans of the text that named them)."""
    found: list[str] = []
    unknown: list[str] = []
    spans: list[tuple[int, int]] = []
    by_lower = {d.lower(): d for d in known}

    def add(word: str, number: str) -> None:
        # the word the question used ("Ward 3"), else "District N" when that is how the data names it
        names = [f"{word} {_district_number(number)}", f"District {_district_number(number)}"]
        name = next((by_lower[n.lower()] for n in names if n.lower() in by_lower), None)
        target, name = (found, name) if name else (unknown, names[0])
        if name not in target:
            target.append(name)

    for m in _DISTRICT.finditer(question):
        word = _DISTRICT_WORD[m[1].lower()]
        for number in [m[2], *re.findall(_MORE_NUMBER, m[3], re.IGNORECASE)]:
            add(word, number)
        spans.append(m.span())
    for m in _SHORT_DISTRICT.finditer(question):
        add("District", m[1])
        spans.append(m.span())
    # districts with other names ("Northside"), longest first: "Bowling Green 2050" is not "Bowling Green"
    for d in sorted(known, key=lambda name: (-len(name), name)):
        for m in re.finditer(r"(?<!\w)" + re.escape(d) + r"(?!\w)", question, re.IGNORECASE):
            if not any(s < m.end() and m.start() < e for s, e in spans):
                if d not in found:
                    found.append(d)
                spans.append(m.span())
    return found, unknown, spans


def person_named(question: str, names: NameLists | None = None) -> str | None:
    """Why a question is about an individual, or None."""
    for titled in _TITLED_NAME.finditer(question):
        title = titled[0].split()[0]
        before = _STREET_BEFORE.search(question, 0, titled.start())
        if title.lower().rstrip(".") == "dr" and before and before[1] not in _NOT_STREET_NAMES:
            continue  # a street ("Martin Luther King Dr. Residents say ...")
        return f"it names an individual ({title} ...)"
    if _IDENTIFY.search(question):
        return "it asks who someone is or for their details"
    if (m := _SAID_NAME.search(question)) and m[1] not in _NOT_NAMES:
        return "it asks what a named person said"
    for m in _NAME_PAIR.finditer(question):
        if m[1] not in _NOT_NAMES and m[2] not in _NOT_NAMES and not _PLACE_AFTER.match(question, m.end()):
            return "it names an individual"
    if _census_name_pair(question, names or build_name_lists()):
        return "it names an individual"
    return None


_WORDS = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SAID_ANY_CASE = re.compile(_SAID_NAME.pattern.replace("[A-Z][a-z]{2,}", "[^\\W\\d_]{3,}"), re.IGNORECASE)


def _census_name_pair(question: str, names: NameLists) -> bool:
    """A given name followed by a surname in any letter case ("what did jorge alvarado say"): the capitalised
    pattern above misses names typed in lower case. Both words come from the census lists the redactor uses;
    given names that are everyday nouns ("bill", "rose") and surnames that are ordinary or civic words
    ("street", "park", "young") do not count, nor does a pair before a street word ("mark lane road")."""
    given, family, plain = names.given, names.family, names.plain
    said = _SAID_ANY_CASE.search(question)
    if said and fold(said[1]) in given and said[1].capitalize() not in _NOT_NAMES:
        return True  # "what did tom say about noise"
    words = list(_WORDS.finditer(question))
    for first, second in zip(words, words[1:], strict=False):
        a, b = fold(first[0]), fold(second[0])
        if question[first.end():second.start()].strip() or a not in given or b in plain or b in names.nouns:
            continue
        # a street named after someone ("alvarado street"), in any case; words between the name and the street
        # word must be capitalised as typed: "jorge alvarado say about street lighting" is a person
        if b in family and f"{b[:1].upper()}{b[1:]}" not in _NOT_NAMES and \
                not _PLACE_AFTER.match(question, second.end()) and not _place_follows(question, second.end()):
            return True
    return False


_JOINERS = frozenset({"say", "said", "says", "about", "on", "at", "in", "of", "to", "from", "for", "the", "a", "an",
                      "and", "or", "is", "was", "did", "do", "does", "tell", "told", "think", "write", "wrote",
                      "near", "complain", "complained", "feel", "felt"})


def _place_follows(question: str, at: int) -> bool:
    """A street or place word within two words after a name, as typed in any case ("martin luther king
    boulevard", "alvarado street"), with no verb or preposition between ("jorge alvarado say about street")."""
    m = _PLACE_NEXT_RUN.match(question, at)
    return m is not None and not any(w.lower() in _JOINERS for w in m[1].split())


def _intent(question: str, districts: int, has_topic: bool) -> Intent:
    if _SHARE.search(question):
        return "share"
    if _COUNT.search(question) or _EXISTENCE.search(question):
        return "count"
    if _COMPARE.search(question) or (districts >= 2 and not _ALL_DISTRICTS.search(question)):
        return "compare"
    if _TREND.search(question):
        return "trend"
    if _OPEN.search(question):
        return "open"
    if _RANKING.search(question) or not has_topic:
        return "ranking"
    return "open"


def _remove(text: str, spans: Sequence[tuple[int, int]]) -> str:
    for s, e in sorted(spans, reverse=True):
        text = text[:s] + " " + text[e:]
    return text


def _narrower_than_theme(match: ThemeMatch, intent: str, ctx: ParseContext) -> bool:
    """A count of a topic a seeded theme only contains ("bike lanes" in "Roads, sidewalks and potholes", matched
    by meaning, not by the label's words) is counted in the records' text, not as the whole theme."""
    theme = ctx.matcher.themes.get(match.theme_id)
    return intent == "count" and match.how == "embedding" and theme is not None and theme.source != "discovered"


def parse_question(question: str, ctx: ParseContext) -> StructuredQuery:
    """The rules parser. Never raises on odd input: what it cannot read it leaves unset."""
    text = " ".join(question.split())
    districts, unknown, spans = parse_districts(text, ctx.districts)
    # a district's own name ("San Juan Islands") is no person's
    if reason := person_named(_remove(text, spans), ctx.names):
        return StructuredQuery(intent="out_of_scope", decline_reason=f"Questions about named individuals are "
                               f"declined: {reason}. Ask about themes, districts or periods instead.")
    m = _OUT_OF_SCOPE.search(text)
    if m is None and (held := _NOT_HELD.search(text)):  # unless a concern theme is named
        named = [w for w in content_words(_remove(text, [held.span()])) if w not in SELF_WORDS]  # "police budget"
        m = None if ctx.matcher.by_words(" ".join(named)) else held
    if m:
        return StructuredQuery(intent="out_of_scope", decline_reason=f"synth holds residents' feedback (meeting "
                               f"notes and comments) only; it cannot answer questions about {m[0].lower()!r}.")
    # "last month" is the latest month with records in the districts the question names
    latest = max((ctx.latest_by_district[d] for d in districts if d in ctx.latest_by_district),
                 default=ctx.latest_month)
    period = parse_period(text, latest, ctx.first_month)
    if period:
        spans = [*spans, period.span]
    rest = _remove(text, spans)
    topic_words = topic_content(rest)
    topic = " ".join(topic_words) or None
    intent = _intent(text, len(districts) + len(unknown), topic is not None)
    which_district = bool(_WHICH_DISTRICT.search(text))
    group_by = ("month" if _BY_MONTH.search(text) else
                "district" if _ALL_DISTRICTS.search(text) or which_district else None)
    if intent == "trend" and group_by is None:
        group_by = "month"
    kinds: list[str] = []
    for pattern, values in _KINDS:
        if pattern.search(text):
            kinds = values
            break
    measure = "meetings" if _MEETINGS.search(text) and intent in ("count", "compare", "ranking") else "records"
    if measure == "meetings" and kinds == ["meeting_note"]:
        kinds = []
    sentiment = "negative" if _NEGATIVE.search(text) else "positive" if _POSITIVE.search(text) else None
    themes: list[str] = []
    if topic:
        parts = [p for p in _TOPIC_SPLIT.split(" ".join(_remove(rest, []).split())) if topic_content(p)]
        # every theme named is answered (a share, trend, ranking or quotes for each; a count compared or grouped)
        candidates = parts if len(parts) > 1 else [rest]
        for part in candidates:
            match = ctx.matcher.match(" ".join(topic_content(part)))
            if match and match.theme_id not in themes and not _narrower_than_theme(match, intent, ctx):
                themes.append(match.theme_id)
        if intent == "count" and len(themes) > 1 and group_by is None:  # ungrouped: compare the ones named
            intent = "compare"
        elif intent != "compare" and candidates is parts and len(themes) < 2:  # one (or none): the whole topic
            match = ctx.matcher.match(" ".join(topic_content(rest)))
            themes = [match.theme_id] if match and not _narrower_than_theme(match, intent, ctx) else []
    if intent == "ranking" and themes and group_by is None and not _RANKING.search(text):
        intent = "open"
    return StructuredQuery(intent=intent, measure=measure, themes=themes, topic=topic, districts=districts,
                           unknown_districts=unknown, period=period.period if period else None,
                           period_text=period.text if period else None, kinds=kinds, group_by=group_by,
                           sentiment=sentiment, rank="districts" if which_district else "themes")
