"""Text: a record's concerns turned into a meeting note's prose or a comment, with typos and planted extras.

Every sentence is a `Part`; fillers pad a text up to its word range and droppable parts go first when it runs
long. Planted personal data and prompt injections are inserted last, so they are never misspelled.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from samplecity.plan import COMMENT_TYPO_SHARE, COMMENT_WORDS, FORM_NOTE_WORDS, NOTE_TYPOS, NOTE_WORDS, Plan
from samplecity.stories import Concern
from samplecity.vocabulary import (
    AREA_CODES,
    COMMENT_FILLERS,
    COMMENT_OPENERS,
    COMMENT_TAILS,
    EMAIL_DOMAINS,
    EMAIL_GREETINGS,
    EMAIL_SIGNOFFS,
    MISSPELLINGS,
    NEU,
    NOTE_AGREEMENT,
    NOTE_ATTRIBUTIONS,
    NOTE_CHATTER,
    NOTE_CLOSINGS,
    NOTE_FILLERS,
    NOTE_INTROS,
    NOTE_QUESTION_LEADS,
    NOTE_SECOND_ATTRIBUTIONS,
    NUMBER_WORDS,
    OFFICER_FIRST,
    OFFICER_LAST,
    PII_COMMENT_TEMPLATES,
    PII_NOTE_TEMPLATES,
    PII_TYPES,
    QUOTED_REMARKS,
    RESIDENT_FIRST,
    RESIDENT_LAST,
    DistrictGeo,
)
from synth.models import RecordKind


@dataclass
class Part:
    """One sentence of a text; droppable parts go first when a text is too long."""

    text: str
    droppable: bool = False
    typo_ok: bool = True
    attached: bool = False  # follows up the previous sentence: never starts a paragraph or a bullet


@dataclass
class Draft:
    concerns: list[Concern]
    pii: list[tuple[str, str]] = field(default_factory=list)  # (type, value)
    injection_text: str | None = None


_TYPO_WORD = re.compile(r"^([(\"']?)([a-z]{4,})([.,;:!?)\"']*)$")


def _slots(rng: random.Random, geo: DistrictGeo) -> dict[str, str]:
    street, cross = rng.sample(geo.streets, 2)
    return {"street": street, "cross": cross, "place": rng.choice(geo.places), "park": rng.choice(geo.parks),
            "center": rng.choice(geo.centers)}


def _sentence(text: str, end: str = ".") -> str:
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else text + end


def _clause(rng: random.Random, concern: Concern, slots: dict[str, str]) -> str:
    return rng.choice(concern.theme.clauses[concern.sentiment]).format(**slots)


def _typo(rng: random.Random, word: str) -> str:
    if word in MISSPELLINGS and rng.random() < 0.7:
        return MISSPELLINGS[word]
    i = rng.randrange(1, len(word) - 2)
    roll = rng.random()
    if roll < 0.45:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # swapped letters
    if roll < 0.8:
        return word[:i] + word[i + 1:]  # dropped letter
    return word[:i] + word[i] + word[i:]  # doubled letter


def _add_typos(rng: random.Random, parts: list[Part], count: int) -> None:
    """Misspell one lower-case word (4+ letters) in each of `count` parts that allow it."""
    candidates = [i for i, p in enumerate(parts)
                  if p.typo_ok and any(map(_TYPO_WORD.match, p.text.split(" ")))]
    for pi in rng.sample(candidates, min(count, len(candidates))):
        words = parts[pi].text.split(" ")
        wi = rng.choice([i for i, w in enumerate(words) if _TYPO_WORD.match(w)])
        lead, core, trail = _TYPO_WORD.match(words[wi]).groups()  # type: ignore[union-attr]
        words[wi] = lead + _typo(rng, core) + trail
        parts[pi].text = " ".join(words)


def _word_count(parts: list[Part]) -> int:
    return sum(len(p.text.split()) for p in parts)


def _fit(rng: random.Random, parts: list[Part], bounds: tuple[int, int], fillers: tuple[str, ...],
         first: int) -> None:
    """Pad with neutral fillers (inserted at or after index `first`) or drop optional parts to fit bounds."""
    lo, hi = bounds
    unused = list(fillers)
    while _word_count(parts) < lo and unused:
        filler = unused.pop(rng.randrange(len(unused)))
        parts.insert(_free_slot(rng, parts, first), Part(filler, droppable=True))
    while _word_count(parts) > hi:
        droppable = [i for i, p in enumerate(parts) if p.droppable]
        if not droppable:
            break
        del parts[droppable[-1]]


def pii_values(rng: random.Random, geo: DistrictGeo) -> list[tuple[str, str]]:
    types = rng.sample(PII_TYPES, rng.choice((1, 1, 2)))
    return [(t, _pii_value(rng, t, geo)) for t in types]


def _pii_value(rng: random.Random, kind: str, geo: DistrictGeo) -> str:
    if kind == "resident_name":
        return f"{rng.choice(RESIDENT_FIRST)} {rng.choice(RESIDENT_LAST)}"
    if kind == "officer_name":
        return f"{rng.choice(OFFICER_FIRST)} {rng.choice(OFFICER_LAST)}"
    if kind == "phone":
        return _phone(rng)
    if kind == "email":
        first, last = rng.choice(RESIDENT_FIRST).lower(), rng.choice(RESIDENT_LAST).lower()
        user = rng.choice((f"{first}.{last}", f"{first[0]}{last}{rng.randint(1, 99)}", f"{last}_{first}"))
        return f"{user}@{rng.choice(EMAIL_DOMAINS)}"
    return f"{rng.randint(12, 4890)} {rng.choice(geo.streets)}"  # address


def _phone(rng: random.Random) -> str:
    area, line = rng.choice(AREA_CODES), f"01{rng.randint(0, 99):02d}"  # 555-0100..0199 are fictional
    formats = (f"({area}) 555-{line}", f"{area}-555-{line}", f"{area}.555.{line}", f"{area} 555 {line}",
               f"+1 {area}-555-{line}", f"{area}555{line}")
    return rng.choice(formats)


def _pii_parts(rng: random.Random, draft: Draft, templates: Mapping[str, tuple[str, ...]]) -> list[Part]:
    return [Part(rng.choice(templates[t]).format(v=v), typo_ok=False) for t, v in draft.pii]


def _free_slot(rng: random.Random, parts: list[Part], first: int) -> int:
    """A random insertion index >= first that does not separate a sentence from its follow-up."""
    return rng.choice([i for i in range(first, len(parts) + 1) if i == len(parts) or not parts[i].attached])


def _insert_randomly(rng: random.Random, parts: list[Part], extra: list[Part], first: int) -> None:
    for part in extra:
        parts.insert(_free_slot(rng, parts, first), part)


def _note_concern_parts(rng: random.Random, concern: Concern, geo: DistrictGeo) -> list[Part]:
    """Maybe a topic line, the concern in the note-taker's words, maybe a follow-up (same theme)."""
    bank = concern.theme.clauses[concern.sentiment]
    first, second = rng.sample(bank, 2) if len(bank) > 1 else (bank[0], None)
    slots = _slots(rng, geo)
    parts = []
    if rng.random() < 0.3:
        parts.append(Part(rng.choice(concern.theme.lead_ins), droppable=True))
    if concern.sentiment is NEU:
        parts.append(Part(f"{rng.choice(NOTE_QUESTION_LEADS)} {first.format(**slots)}"))
    else:
        attribution = rng.choice(NOTE_ATTRIBUTIONS).format(home=rng.choice(geo.streets))
        parts.append(Part(f"{attribution} {first.format(**slots)}."))
    roll = rng.random()
    if roll < 0.25 and second is not None and concern.sentiment is not NEU:
        lead = rng.choice(NOTE_SECOND_ATTRIBUTIONS)
        parts.append(Part(f"{lead} {second.format(**_slots(rng, geo))}.", droppable=True, attached=True))
    elif roll < 0.5 and concern.sentiment is not NEU:
        parts.append(Part(rng.choice(NOTE_AGREEMENT), droppable=True, attached=True))
    return parts


def note_body(rng: random.Random, geo: DistrictGeo, draft: Draft, attendees: int, venue: str,
               standard_form: bool) -> str:
    slots = _slots(rng, geo)
    intro = rng.choice(NOTE_INTROS).format(
        n=attendees, count=NUMBER_WORDS[attendees], Count=NUMBER_WORDS[attendees].capitalize(),
        venue=venue, street=slots["street"])
    parts = [Part(intro)]
    for concern in draft.concerns:
        parts += _note_concern_parts(rng, concern, geo)
    chatter = rng.sample(NOTE_CHATTER, rng.choice((0, 1, 1, 2)))
    _insert_randomly(rng, parts, [Part(c, droppable=True) for c in chatter], 1)
    if rng.random() < 0.7:
        parts.append(Part(rng.choice(NOTE_CLOSINGS), droppable=True))
    _fit(rng, parts, FORM_NOTE_WORDS if standard_form else NOTE_WORDS, NOTE_FILLERS, 1)
    _add_typos(rng, parts, rng.choice(NOTE_TYPOS))
    _insert_randomly(rng, parts, _pii_parts(rng, draft, PII_NOTE_TEMPLATES), 1)
    return _layout_note(rng, parts)


def _layout_note(rng: random.Random, parts: list[Part]) -> str:
    """Prose in one or two paragraphs, or an intro line followed by bullets (follow-ups stay with theirs)."""
    groups: list[list[str]] = []
    for part in parts:
        if part.attached and groups:
            groups[-1].append(part.text)
        else:
            groups.append([part.text])
    lines = [" ".join(g) for g in groups]
    style = rng.random()
    if style < 0.2 and len(lines) > 2:
        return lines[0] + "\n" + "\n".join(f"- {line}" for line in lines[1:])
    if style < 0.55 and len(lines) > 3:
        cut = rng.randint(2, len(lines) - 1)
        return " ".join(lines[:cut]) + "\n\n" + " ".join(lines[cut:])
    return " ".join(lines)


def _comment_parts(rng: random.Random, geo: DistrictGeo, draft: Draft) -> list[Part]:
    """A comment's body: optional opener, a sentence (maybe plus a tail) per concern, planted extras."""
    parts = []
    for concern in draft.concerns:
        parts.append(Part(_sentence(_clause(rng, concern, _slots(rng, geo)), rng.choice(".....!"))))
        if rng.random() < 0.35:
            parts.append(Part(rng.choice(COMMENT_TAILS[concern.sentiment]), droppable=True))
    head = 0
    if rng.random() < 0.3:
        parts.insert(0, Part(rng.choice(COMMENT_OPENERS).format(**_slots(rng, geo)), droppable=True))
        head = 1
    _fit(rng, parts, COMMENT_WORDS, COMMENT_FILLERS, head)
    if rng.random() < COMMENT_TYPO_SHARE:
        _add_typos(rng, parts, 1)
    if draft.injection_text:
        parts.insert(head + 1, Part(draft.injection_text, typo_ok=False))  # right after the first complaint
    _insert_randomly(rng, parts, _pii_parts(rng, draft, PII_COMMENT_TEMPLATES), head)
    return parts


def comment_text(rng: random.Random, plan: Plan, geo: DistrictGeo, draft: Draft, row: int) -> str:
    texts = [p.text for p in _comment_parts(rng, geo, draft)]
    if plan.kind is RecordKind.comment:
        if row % 41 == 7:
            texts.append(rng.choice(QUOTED_REMARKS))  # embedded double quotes
        if row % 37 == 5 and len(texts) > 1:
            return texts[0] + "\n" + " ".join(texts[1:])  # embedded newline
    if plan.kind is RecordKind.email:
        greeting, signoff = rng.choice(EMAIL_GREETINGS), rng.choice(EMAIL_SIGNOFFS)
        sep = rng.choice((" ", "\n\n"))
        return sep.join((greeting, " ".join(texts), signoff))
    planted = draft.pii or draft.injection_text
    if plan.kind is RecordKind.survey_response and rng.random() < 0.4 and not planted:
        return " ".join(texts).lower().rstrip(".!")  # typed quickly into a survey box
    return " ".join(texts)


def comment_location(rng: random.Random, geo: DistrictGeo) -> str:
    street, cross = rng.sample(geo.streets, 2)
    options = (f"{street} & {cross}", street, rng.choice(geo.places), "", f"near {rng.choice(geo.parks)}")
    return rng.choice(options)
