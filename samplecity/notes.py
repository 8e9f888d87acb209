"""Meeting notes: a record's concerns in a note-taker's prose, in that note-taker's style.

Styles: ``plain`` (attributions, one or two paragraphs or bullets), ``reported`` (third-person attributions
whose verb matches the concern's sentiment: "complained that", "was pleased that"), ``long`` (long prose with
connectives and an elaboration per concern), ``terse`` (shorthand: "res: ...", "ppl", "w/", "&"), ``bullets``
(an intro line and one bullet per point, the city's own bullet marker, often no final periods) and ``lower``
(all lower case, more typos, dropped apostrophes). Each note-taker has a usual style that belongs to the seed
and writes in it most of the time.

Only wording changes between styles: every sentence about a concern still says exactly that concern's theme
and sentiment, and the prose around it raises no theme.
"""

from __future__ import annotations

from samplecity.plan import FORM_NOTE_WORDS, NOTE_TYPOS, NOTE_WORDS
from samplecity.stories import Concern
from samplecity.text import (
    Draft,
    Part,
    Pen,
    add_typos,
    draw_slots,
    fit,
    insert_randomly,
    pii_parts,
    shorthand,
)
from samplecity.vocabulary import (
    BULLET_MARKERS,
    LONG_CONNECTORS,
    LONG_ELABORATIONS,
    LONG_INTROS,
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
    PII_NOTE_TEMPLATES,
    REPORTED_LEADS,
    REPORTED_SECOND,
    TERSE_AGREEMENT,
    TERSE_INTROS,
    TERSE_LEADS,
    TERSE_QUESTION_LEADS,
    TERSE_SECOND,
    DistrictGeo,
)

STYLES = ("plain", "reported", "long", "terse", "bullets", "lower")
USUAL_STYLE_SHARE = 0.7  # how often a note-taker writes in their usual style


def note_style(pen: Pen, note_taker: str) -> str:
    usual = pen.lex.favourite(f"style|{note_taker}", STYLES)
    return usual if pen.rng.random() < USUAL_STYLE_SHARE else pen.rng.choice(STYLES)


def _lead(pen: Pen, style: str, concern: Concern, home: str) -> str:
    question = concern.sentiment is NEU
    if style == "terse":
        return pen.pick(TERSE_QUESTION_LEADS if question else TERSE_LEADS)
    if style == "reported":
        return pen.pick(REPORTED_LEADS[concern.sentiment]).format(home=home)
    return pen.pick(NOTE_QUESTION_LEADS if question else NOTE_ATTRIBUTIONS).format(home=home)


def _concern_parts(pen: Pen, style: str, concern: Concern, geo: DistrictGeo, later: bool) -> list[Part]:
    """Maybe a topic line, the concern in the note-taker's words, maybe a follow-up (same theme, same
    sentiment); `later`: not the first concern of the note."""
    rng = pen.rng
    first = pen.template(concern)
    second = pen.template(concern, avoid=first)
    question = concern.sentiment is NEU
    parts = []
    if rng.random() < 0.3:
        parts.append(Part(pen.pick(concern.theme.lead_ins), droppable=True))
    lead = _lead(pen, style, concern, rng.choice(geo.streets))
    if style == "long" and later and not question and rng.random() < 0.6:
        lead = f"{pen.pick(LONG_CONNECTORS)} {lead[0].lower()}{lead[1:]}"
    text = f"{lead} {pen.say(first, draw_slots(rng, geo))}"
    parts.append(Part(text if question else text + "."))
    roll = rng.random()
    if roll < 0.25 and second != first and not question:
        bank = TERSE_SECOND if style == "terse" else REPORTED_SECOND if style == "reported" else \
            NOTE_SECOND_ATTRIBUTIONS
        follow = f"{pen.pick(bank)} {pen.say(second, draw_slots(rng, geo))}."
        parts.append(Part(follow, droppable=True, attached=True))
    elif roll < 0.5 and not question:
        parts.append(Part(pen.pick(TERSE_AGREEMENT if style == "terse" else NOTE_AGREEMENT), droppable=True,
                          attached=True))
    if style == "long" and rng.random() < 0.7:
        parts.append(Part(pen.pick(LONG_ELABORATIONS[concern.sentiment]), droppable=True, attached=True))
    return parts


def _intro(pen: Pen, style: str, attendees: int, venue: str, street: str) -> str:
    bank = NOTE_INTROS
    if style == "terse":
        bank = TERSE_INTROS
    elif style == "long" and pen.rng.random() < 0.7:
        bank = LONG_INTROS
    count = NUMBER_WORDS[attendees]
    return pen.pick(bank).format(n=attendees, count=count, Count=count.capitalize(), venue=venue, street=street)


def _reword(style: str, text: str) -> str:
    if style == "terse":
        return shorthand(text)
    if style == "lower":
        return text.lower()
    return text


def note_body(pen: Pen, geo: DistrictGeo, draft: Draft, attendees: int, venue: str, standard_form: bool,
              style: str) -> str:
    rng = pen.rng
    parts = [Part(_intro(pen, style, attendees, venue, draw_slots(rng, geo)["street"]))]
    for i, concern in enumerate(draft.concerns):
        parts += _concern_parts(pen, style, concern, geo, later=i > 0)
    chatter = rng.sample(NOTE_CHATTER, rng.choice((1, 1, 2, 2) if style == "long" else (0, 1, 1, 2)))
    insert_randomly(rng, parts, [Part(pen.pick([c]), droppable=True) for c in chatter], 1)
    if rng.random() < 0.7:
        parts.append(Part(pen.pick(NOTE_CLOSINGS), droppable=True))
    for part in parts:
        part.text = _reword(style, part.text)
    fillers = tuple(_reword(style, pen.pick([f])) for f in NOTE_FILLERS)
    fit(rng, parts, FORM_NOTE_WORDS if standard_form else NOTE_WORDS, fillers, 1)
    typos = rng.choice(NOTE_TYPOS) + (2 if style == "lower" else 0)
    add_typos(rng, parts, typos)
    if style == "lower" and rng.random() < 0.5:
        for part in parts:
            part.text = part.text.replace("'", "")  # "dont", "its", "theres"
    insert_randomly(rng, parts, pii_parts(rng, draft, PII_NOTE_TEMPLATES), 1)
    return _layout(pen, style, parts)


def _layout(pen: Pen, style: str, parts: list[Part]) -> str:
    """Lines (a sentence with its follow-ups) laid out as the style writes them."""
    rng = pen.rng
    groups: list[list[str]] = []
    for part in parts:
        if part.attached and groups:
            groups[-1].append(part.text)
        else:
            groups.append([part.text])
    lines = [" ".join(g) for g in groups]
    if style == "bullets" and len(lines) > 2:
        marker = pen.lex.favourite("bullet-marker", BULLET_MARKERS)
        bare = rng.random() < 0.5  # bullets without final periods
        items = [line[:-1] if bare and line.endswith(".") else line for line in lines[1:]]
        return lines[0] + "\n" + "\n".join(f"{marker}{item}" for item in items)
    if style == "terse":
        return "\n".join(lines) if rng.random() < 0.5 else lines[0] + "\n" + "\n".join(f"- {x}" for x in lines[1:])
    if style == "long" and len(lines) > 3:
        cut = rng.randint(2, len(lines) - 1)
        return " ".join(lines[:cut]) + "\n\n" + " ".join(lines[cut:])
    roll = rng.random()
    if roll < 0.2 and len(lines) > 2:
        return lines[0] + "\n" + "\n".join(f"- {line}" for line in lines[1:])
    if roll < 0.55 and len(lines) > 3:
        cut = rng.randint(2, len(lines) - 1)
        return " ".join(lines[:cut]) + "\n\n" + " ".join(lines[cut:])
    return " ".join(lines)
