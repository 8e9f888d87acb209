"""Meeting ids that hold personal data ("home-of-Szczepanski-2026-11-03") become a salted hash, like note-takers'
`nt_<hash>`; plain ids ("m-rv-022", "district-3-town-hall-2026-11") stay readable.

An id holds personal data when one of its words is a census given name or surname, or a capitalised word of
four letters or more, unless it is a civic or meeting word ("hall", "park", "north", "coffee"); when a word
stands next to a home word ("home-of-hall", "parkers-house"); or when it holds an e-mail address. Short
codes ("m", "rv", "d3") and numbers are plain. When unsure, the id is hashed: a hashed id still groups a
meeting's records, a readable name is not taken back. For ingest: call `pseudonymize_meeting_id(id, salt)`
with the note-takers' salt before the id is stored or shown.
"""

from __future__ import annotations

import hashlib
import re

from synth.redact.gazetteer import fold, given_names, surnames
from synth.redact.vocabulary import CIVIC, KNOWN_WORDS, STOP, TITLES, word_set

MEETING_PREFIX = "mtg_"
MEETING_WORDS = word_set("""
    meeting meetings mtg notes note session sessions forum townhall listening coffee cop cops walk walkthrough
    virtual online zoom hybrid am pm morning afternoon evening weekly monthly quarterly annual special regular
    community neighbourhood neighborhood block club watch huddle briefing debrief visit visits survey outreach
    youth seniors students faith business merchants tenants residents minutes agenda draft final""")
# After these, any word is taken for a person's: "home-of-hall", "at-the-wards", "parkers-house".
_HOME_WORDS = word_set("home house residence apartment apt family kitchen backyard porch driveway place")
_PLAIN = (CIVIC | KNOWN_WORDS | STOP | MEETING_WORDS | _HOME_WORDS) - TITLES
_TOKENS = re.compile(r"[^\W\d_]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def meeting_id_holds_personal_data(meeting_id: str) -> bool:
    """Whether a meeting id names a person or holds an e-mail address (see the module docstring)."""
    if _EMAIL.search(meeting_id):
        return True
    given, family = given_names(), surnames()
    tokens = _TOKENS.findall(_CAMEL.sub(" ", meeting_id))
    for k, token in enumerate(tokens):
        low = fold(token)
        beside_home = any(fold(t) in _HOME_WORDS for t in tokens[max(k - 2, 0):k + 2] if t is not token)
        if len(low) >= 3 and beside_home and low not in _HOME_WORDS | STOP | MEETING_WORDS:
            return True
        if len(low) < 3 or low in _PLAIN:
            continue
        if low in given or low in family or low.replace("'", "") in family:
            return True
        if token[0].isupper() and len(low) >= 4:
            return True
    return False


def pseudonymize_meeting_id(meeting_id: str, salt: str) -> str:
    """The id itself when it holds no personal data, else `mtg_<hash>`: stable for the same id and salt, the
    name not kept. Ids that differ only in letter case or surrounding spaces map to the same pseudonym."""
    if not meeting_id_holds_personal_data(meeting_id):
        return meeting_id
    digest = hashlib.sha256((salt + "\x1f" + meeting_id.strip().casefold()).encode()).hexdigest()
    return MEETING_PREFIX + digest[:10]
