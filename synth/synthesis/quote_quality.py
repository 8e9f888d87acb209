"""Whether a resident's sentence is worth quoting in a report: a complete, informative statement.

A summary shows a coordinator one or two quotes per theme; "Lighting came up again." or "See Belgium." tell
them nothing. A span is **quotable** when all of these hold (`quality_problem` names the first that fails):

* **length**: at least ``MIN_WORDS`` (4) words and ``MIN_CHARS``..``MAX_CHARS`` (20..240) characters, so it
  can say what and where ("Holly drive needs sidewalks"), and still reads at a glance (a quote is never
  shortened; quotes.py prefers 30..240 characters among the quotable);
* **complete**: it does not start mid-sentence ("and ...", "to ...", "which ...", as a fragment the splitter
  cut off would; residents often type without capitals, so a lower-case start alone is fine) and holds
  mostly words, not numbers, codes or links;
* **a verb**: it states something (a closed list of auxiliaries, modals and common verbs, "n't", or an
  "-ed" word, an -ize/-ify verb); a bare noun phrase ("Street lighting on Birch and Elm near the school") says nothing;
* **not a bare reference**: it does not merely point elsewhere ("See Belgium.", "Same as above",
  "I agree with the previous comment", "+1", a link) or, in a few words, about the meeting itself
  ("Lighting came up again.", "Homelessness was discussed at length."; a longer sentence that says where or
  what is kept).

Measured on 1,362 real Polis statements (tests/test_quote_quality.py prints the figure): most pass; the rule
rejects the short, the link-only and the pointer statements.
"""

from __future__ import annotations

import re

MIN_WORDS = 4
MIN_CHARS = 20
MAX_CHARS = 240

_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")  # "arts-based" is one word (and no "-ed" verb)
_START = re.compile(r"^[\"'“‘(\[]?[A-Z0-9]")
_LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_REFERENCE = re.compile(
    r"^\W*(?:see|cf|refer to|re|ditto|same(?: as| here| thing)?|as (?:above|below|before|per)|"
    r"(?:i )?(?:also )?(?:agree|disagree|second|concur)(?: with)?(?: the| this| that| above| previous| #?\d+)|"
    r"\+1|me too|this\.?$)\b",
    re.IGNORECASE,
)
# A note-taker's line about the meeting rather than what residents said ("Lighting came up again.",
# "Homelessness was discussed at length."): a short sentence whose verb is one of these.
_META = re.compile(r"\b(?:came|come|comes) up\b|\b(?:was|were|got|been) (?:discussed|mentioned|raised|brought up|"
                   r"talked about)\b|\bas (?:discussed|mentioned) (?:above|before|earlier)\b", re.IGNORECASE)
META_MAX_WORDS = 6
# Auxiliaries and modals, and the base form of verbs residents use most (their -s forms are derived): a
# statement without any of these, an -ed word or a contraction is almost always a heading or a noun phrase.
_AUXILIARIES = frozenset([
    "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does", "did",
    "done", "can", "could", "should", "would", "will", "shall", "may", "might", "must", "ought", "need", "needs"
])
_BASE_VERBS = [
    "want", "wish", "hope", "get", "make", "go", "take", "give", "keep", "let", "feel", "think", "know", "see",
    "seem", "look", "like", "love", "hate", "say", "tell", "ask", "call", "come", "live", "work", "build", "add",
    "stop", "fix", "allow", "provide", "improve", "create", "support", "increase", "reduce", "ban", "hire", "fund",
    "invest", "protect", "expand", "require", "limit", "encourage", "help", "use", "stay", "drive", "walk", "park",
    "speed", "run", "pay", "cost", "spend", "charge", "respond", "patrol", "enforce", "install", "replace",
    "repair", "become", "remain", "believe", "agree", "disagree", "prefer", "care", "lack", "lose", "grow", "bring",
    "put", "leave", "move", "happen", "matter", "include", "offer", "serve", "raise", "cut", "close", "open",
    "ensure", "consider", "focus", "attract", "develop", "preserve", "plant", "sell", "buy", "rent", "afford",
    "try", "treat", "deserve", "seek", "order", "continue", "pass", "receive", "exist", "prevent", "promote",
    "maintain", "manage", "plan", "vote", "listen", "learn", "teach", "educate", "clean", "share", "start", "end",
    "begin", "change", "turn", "follow", "meet", "connect", "restore", "zone", "tax", "police", "arrest", "report",
    "block", "hurt", "harm", "kill", "destroy", "waste", "save", "benefit", "mean", "fear", "worry", "trust",
    "respect", "value", "enjoy", "miss", "visit", "shop", "eat", "drink", "sleep", "wait", "answer", "solve",
    "address", "regulate", "reach", "own", "volunteer", "race", "fly", "honk", "break", "steal", "deal", "shoot",
    "fight", "yell", "scream", "bark", "litter", "dump", "crash", "hit", "sit", "stand", "wake", "establish",
    "activate", "carry", "enrich", "recruit", "retain", "complete", "fuel", "play", "contribute", "undermine",
    "prescribe", "lead", "feed", "suffer", "struggle", "remove", "hold", "win", "thrive", "welcome", "join", "thank"
]
_VERBS = _AUXILIARIES | frozenset(_BASE_VERBS) | frozenset(
    v + ("es" if v.endswith(("s", "sh", "ch", "x", "z")) else "s") for v in _BASE_VERBS) | frozenset(
    {"went", "took", "gave", "kept", "felt", "thought", "knew", "saw", "said", "told", "came", "made", "got",
     "built", "paid", "spent", "ran", "lost", "grew", "brought", "left", "meant", "began", "sold", "bought",
     "tries", "flies", "worries", "carries", "buries"})
# A lower-case statement is fine ("the bark park needs more trees"); one starting with these is a fragment.
_FRAGMENT_STARTS = frozenset([
    "and", "or", "but", "of", "to", "for", "with", "which", "that", "because", "so", "very", "as", "than", "then",
    "also", "including", "especially", "plus"
])
_CONTRACTION = re.compile(r"n['’]t\b|['’](?:s|re|ve|ll|d|m)\b", re.IGNORECASE)
# "-ed" words and verbs made with -ize/-ify; not "-ing" words, as often nouns (lighting, parking, housing)
_VERB_FORM = re.compile(r"^(?:[a-z]{2,}ed|[a-z]{3,}(?:iz|if)(?:e|es|ies|y)|[a-z]{3,}ifies)$")
_SUBJECT = re.compile(r"\b(?:i|we|they|you|he|she|it|people|residents)\s+[a-z]+", re.IGNORECASE)  # "I own ..."


def has_verb(text: str) -> bool:
    """Whether `text` holds a verb: a listed one, a contraction, an -ed word, or a word after a subject
    pronoun ("I own ...")."""
    if _CONTRACTION.search(text) or _SUBJECT.search(text):
        return True
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    return any(w in _VERBS or _VERB_FORM.match(w) for w in words)


def quality_problem(text: str) -> str | None:
    """Why `text` is not a quotable statement ("too short", "no verb", ...), or None when it is."""
    text = text.strip()
    words = _WORD.findall(_LINK.sub(" ", text))
    if len(words) < MIN_WORDS or len(text) < MIN_CHARS:
        return "too short"
    if len(text) > MAX_CHARS:
        return "too long"
    if _REFERENCE.match(text) or (_META.search(text) and len(words) <= META_MAX_WORDS):
        return "a bare reference"
    if not _START.match(text) and words[0].lower() in _FRAGMENT_STARTS:
        return "not a complete sentence"
    if sum(len(w) for w in words) < len(text) / 2:
        return "mostly not words"
    if not has_verb(text):
        return "no verb"
    return None


def is_quotable(text: str) -> bool:
    return quality_problem(text) is None
