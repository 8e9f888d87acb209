"""Presidio pattern recognizers for identifiers beyond the US phone, e-mail and street address: international,
national and 7-digit local phones, spelled-out e-mail addresses, licence plates, dates of birth, SSN-like
national ids and officers' badge numbers. Each is a shape, a cue word, or both; a date is only redacted after
a birth cue, because the dates of meetings and incidents are facts the service counts.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer

_NOT_IN_A_NUMBER = r"(?<![\w+$#./:-])"
_END = r"(?![\w-]|[.,]\d)"

# +44 20 7946 0958, +33 (0)1 23 45 67 89, +49-30-1234567, +91 98765 43210: a plus, then 7 to 14 digits.
_PHONE_INTERNATIONAL = (
    r"(?<![\w+])\+(?=(?:[\s.()-]*\d){8,15}(?![\d]))\d{1,3}(?:[\s.-]?\(0\))?(?:[\s.-]?\(?\d{1,5}\)?){2,6}" + _END
)
# 07700 900123, 020 7946 0958, 0161-496-0000, 01632 960 001: a national number starting with 0 (10-11 digits).
_PHONE_NATIONAL = _NOT_IN_A_NUMBER + r"0\d{2,4}[\s-]\d{3,4}(?:[\s-]?\d{3,4})" + _END
# 555-0199, 555.0199: a 7-digit local number, dashed or dotted.
_PHONE_LOCAL = _NOT_IN_A_NUMBER + r"[2-9]\d{2}[-.]\d{4}" + _END
# a phone written after a cue, in groups of any size: "cell 917 555 0143", "tel: 0044 20 7946 0958"
_PHONE_CUED = (
    r"(?i:\b(?:phone|cell|mobile|tel|telephone|call|text|whatsapp|number|landline|fax)\b\s*(?:no\.?|number|#)?"
    r"\s*(?:me|us|him|her|them)?\s*(?:is|was|at|on)?\s*[:#]?\s*)\K\(?\d[\d\s().-]{5,18}\d" + _END
)

# a bare "." or "@" joins without spaces ("me at all. If" is no address); a spelled or bracketed one may have them
_SEP_DOT = r"(?:\s*[\[({<]\s*(?i:dot|period)\s*[\])}>]\s*|\s+(?i:dot|period)\s+|[-_](?i:dot)[-_]|\.)"
_SEP_AT = r"(?:\s*[\[({<]\s*(?i:at)\s*[\])}>]\s*|\s+(?i:at)\s+|[-_](?i:at)[-_]|\s?@\s?)"
_TLDS = r"(?i:com|org|net|edu|gov|mil|info|biz|[a-z]{2})"  # generic ones and any country code
_LOCAL = r"[A-Za-z0-9][\w+-]*?"
# jane dot doe at gmail dot com, jane[dot]doe[at]gmail[dot]com, jane (at) city (dot) gov, JANE AT MAIL DOT CO DOT UK
_EMAIL_SPELLED = (
    r"(?<![\w@.])" + _LOCAL + r"(?:" + _SEP_DOT + _LOCAL + r"){0,3}" + _SEP_AT
    + r"(?:(?!-(?i:at|dot)-)[A-Za-z0-9-])+(?:" + _SEP_DOT + r"(?:(?!-(?i:dot)-)[A-Za-z0-9-])+){0,2}" + _SEP_DOT
    + _TLDS + r"\b"
)

_PLATE_CUE = (r"(?i:\b(?:licen[cs]e\s+plate|plate|plates|tag|tags|registration|reg|licen[cs]e)\b"
              r"(?:\s+(?:number|no\.?|#))?(?:\s+(?:is|was|reads|read|reading|of))?\s*[:#]?\s*)")
_PLATE_TOKEN = (  # one to three groups holding a digit: "7XYZ123", "ABC 1234", "abc-1234", "AB12 CDE"
    r"(?=[A-Za-z0-9]*\d|[A-Za-z0-9]+(?:-[A-Za-z0-9]+|\s[A-Z0-9]+)*\d)"
    r"(?:[A-Z0-9]{1,8}|(?=[a-z]*\d|[a-z]{1,4}-)[a-z0-9]{1,8})(?:-[A-Za-z0-9]{1,4}|\s[A-Z0-9]{1,4}(?![a-z])){0,2}"
    r"(?![\w-])"
)
_PLATE_SHAPES = [
    r"\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b",  # UK: AB12 CDE
    r"\b\d[A-Z]{3}\d{3}\b",  # California: 7XYZ123
    r"\b[A-Z]{2,3}-\d{3,4}\b",  # ABC-1234
    r"\b(?!(?i:pre|mid|non|post|the|and|for|age|top|new|old|est|ave|apt|rte|hwy|may|jun|jul|aug|sep|oct|nov|dec"
    r"|jan|feb|mar|apr|fy|q)-)[a-z]{2,3}-\d{4}\b",  # abc-1234
    r"\b(?!(?:HWY|RTE|APT|STE|ZIP|CDT|EST|PST|CST|MST|EDT|PDT|MPH|KPH|AGE|NO|SSN|DOB|SIN|TEL|FAX|EXT)\b)"
    r"[A-Z]{3}\s?\d{3,4}\b(?![-./]?\d)",  # ABC 1234
    r"\b\d{3}[-\s]?[A-Z]{3}\b",  # 123-ABC
]

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r",?\s+\d{2,4}"
    r"|" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})"
)
_DOB = (
    r"(?i:\b(?:d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+(?:on|in))?|b\.)"
    r"(?:\s+(?:is|was|of|:))?\s*[:\-]?\s*)\K(?i:" + _DATE + r")"
)

_SSN = _NOT_IN_A_NUMBER + r"\d{3}([-\s])\d{2}\1\d{4}" + _END  # 123-45-6789, and ITIN-like 9xx-xx-xxxx
_NI_NUMBER = r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"  # UK National Insurance: QQ 12 34 56 C
_ID_CUED = (
    r"(?i:\b(?:ssn|ss#|social\s+security(?:\s+(?:number|no\.?|#))?|national\s+insurance(?:\s+number)?|ni\s+number"
    r"|sin|passport(?:\s+(?:number|no\.?))?|driver'?s\s+licen[cs]e(?:\s+(?:number|no\.?))?|id\s+(?:number|no\.?|#)"
    r"|national\s+id)\b(?:\s+(?:is|was))?\s*[:#]?\s*)\K[A-Za-z]{0,2}\d[\d\s-]{4,14}\d[A-Za-z]?" + _END
)

_BADGE = (
    r"(?i:\b(?:badge|shield|star|warrant\s+card|collar)(?:\s+(?:number|no\.?|num|#))?\s*#?\s*:?\s*)\K\d{2,7}\b"
)
_BADGE_AFTER_TITLE = (
    r"(?i:\b(?:officer|ofc|p\.?o|sgt|sergeant|deputy|dep|det|detective|cpl|corporal|trooper|constable|pc|lt"
    r"|lieutenant|patrolman|patrolwoman)\.?\s*(?:#|no\.?\s*|number\s+)\s*)\K\d{2,7}\b"
)
_BADGE_AFTER_NAME = (  # "Ofc. Lee #9921", "Officer Dana Reyes, badge 4471"
    r"(?i:\b(?:officer|ofc|sgt|sergeant|deputy|det|detective|cpl|trooper|constable|lt|lieutenant)\.?)\s+"
    r"[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?\s*,?\s*(?:#|(?i:no\.|number)\s*)\s*\K\d{2,7}\b"
)
_BADGE_NUMBERED = r"(?i:\b(?:officer|ofc|deputy|trooper|constable|pc)\.?\s+)\K\d{3,7}\b(?!\s*(?:%|pm|am|:))"


# A spelled-out address needs one of these; most texts have none, and the pattern is slow to rule out.
_EMAIL_TRIGGER = re.compile(r"@|\bdot\b|[-_]dot[-_]|[\[({<]\s*at\s*[\])}>]|\bat\s+[\w-]+\s*\.\s*[a-z]{2,4}\b",
                            re.IGNORECASE)


_DIGITS_TRIGGER = re.compile(r"\d\d")
_PLATE_TRIGGER = re.compile(r"[A-Z]{2}|\d[A-Z]|[a-z]{2,3}-\d|(?i:plate|tag|reg|licen)")


class CaselessTrigger:
    """A case-insensitive pattern of lower-case letters, searched case-sensitively in the lower-cased text
    when it is ASCII (the same matches; `re` runs an IGNORECASE alternation of words many times slower).
    Other texts are searched as written, or, with `other_texts_match`, match without a search (for a trigger
    whose word boundaries must agree with the `regex` module's, which differ from `re`'s beyond ASCII)."""

    def __init__(self, pattern: str, *, other_texts_match: bool = False) -> None:
        self._caseless = re.compile(pattern, re.IGNORECASE)
        self._lower = re.compile(pattern)
        self._other_texts_match = other_texts_match

    def search(self, text: str) -> bool:
        if text.isascii():
            return self._lower.search(text.lower()) is not None
        return self._other_texts_match or self._caseless.search(text) is not None


_DOB_TRIGGER = CaselessTrigger(r"dob|d\.o\.b|birth|born|\bb\.")
_BADGE_TRIGGER = CaselessTrigger(r"badge|shield|star|collar|warrant|officer|ofc|p\.?o\b|sgt|sergeant|dep|det|cpl"
                                  r"|corporal|trooper|constable|pc\b|lt\b|lieutenant|patrol")
_Trigger = re.Pattern[str] | CaselessTrigger


class TriggeredRecognizer(PatternRecognizer):
    """A pattern recognizer that runs only on texts where a cheap trigger pattern is found."""

    def __init__(self, trigger: _Trigger, entity: str, name: str, patterns: list[Pattern]) -> None:
        super().__init__(supported_entity=entity, name=name, global_regex_flags=re.MULTILINE, patterns=patterns)
        self._trigger = trigger

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        if not self._trigger.search(text):
            return []
        return super().analyze(text, entities, nlp_artifacts, regex_flags)


def _recognizer(entity: str, name: str, *patterns: tuple[str, str, float],
                trigger: _Trigger | None = None) -> PatternRecognizer:
    found = [Pattern(*p) for p in patterns]
    if trigger is not None:
        return TriggeredRecognizer(trigger, entity, name, found)
    return PatternRecognizer(supported_entity=entity, name=name, global_regex_flags=re.MULTILINE, patterns=found)


def identifier_recognizers() -> list[EntityRecognizer]:
    """Phones beyond the US formats, spelled-out e-mail, licence plates, dates of birth, national ids, badges."""
    return [
        _recognizer("PHONE_NUMBER", "synth_phone_world", ("international phone", _PHONE_INTERNATIONAL, 0.7),
                    ("national phone", _PHONE_NATIONAL, 0.6), ("local phone", _PHONE_LOCAL, 0.5),
                    ("phone after a cue", _PHONE_CUED, 0.6), trigger=_DIGITS_TRIGGER),
        _recognizer("EMAIL_ADDRESS", "synth_email_spelled", ("spelled-out email", _EMAIL_SPELLED, 0.8),
                    trigger=_EMAIL_TRIGGER),
        _recognizer("LICENSE_PLATE", "synth_plate", ("plate after a cue", _PLATE_CUE + r"\K" + _PLATE_TOKEN, 0.8),
                    *[("plate shape", shape, 0.6) for shape in _PLATE_SHAPES], trigger=_PLATE_TRIGGER),
        _recognizer("DATE_OF_BIRTH", "synth_dob", ("date after a birth cue", _DOB, 0.9), trigger=_DOB_TRIGGER),
        _recognizer("ID_NUMBER", "synth_id_number", ("ssn", _SSN, 0.8), ("uk ni number", _NI_NUMBER, 0.8),
                    ("id after a cue", _ID_CUED, 0.8), trigger=_DIGITS_TRIGGER),
        _recognizer("BADGE_NUMBER", "synth_badge", ("badge", _BADGE, 0.9),
                    ("badge after a title", _BADGE_AFTER_TITLE, 0.9),
                    ("officer's number", _BADGE_NUMBERED, 0.7), ("number after an officer's name", _BADGE_AFTER_NAME,
                                                                  0.8), trigger=_BADGE_TRIGGER),
    ]
