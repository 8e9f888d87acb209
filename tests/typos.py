"""A deterministic typo function for the test corpora: notes typed on a phone drop a letter, double a letter,
swap two adjacent letters or hit a keyboard neighbour. `typo_text` applies one such slip to each word of three
letters or more with a given probability, from a seeded generator, outside the spans it is told to keep.

    python -m tests.typos        # prints a few typo'd real statements
"""

from __future__ import annotations

import random
import re

TYPO_RATE = 0.15  # share of words of 3+ letters that get one slip
SEED = 20261207

_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_ROWS):
    for _c, _key in enumerate(_row):
        near = [_row[i] for i in (_c - 1, _c + 1) if 0 <= i < len(_row)]
        near += [_ROWS[r][i] for r in (_r - 1, _r + 1) if 0 <= r < len(_ROWS)
                 for i in (_c - 1, _c, _c + 1) if 0 <= i < len(_ROWS[r])]
        _NEIGHBOURS[_key] = "".join(near)
_WORD = re.compile(r"[A-Za-z]{3,}")


def typo_word(word: str, rng: random.Random) -> str:
    """One slip in `word`; a capitalised word keeps its first letter."""
    first = 1 if word[0].isupper() else 0
    kind = rng.choice(("drop", "double", "swap", "neighbour"))
    i = rng.randrange(first, len(word) - (1 if kind == "swap" else 0))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    near = _NEIGHBOURS.get(word[i].lower(), word[i])
    key = rng.choice(near)
    return word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1:]


def typo_text(text: str, rng: random.Random, keep: tuple[str, ...] = (), rate: float = TYPO_RATE) -> str:
    """`text` with a slip in each word of 3+ letters with probability `rate`; words inside any of the `keep`
    strings (where they occur in `text`) are left as they are."""
    kept = [(m.start(), m.end()) for k in keep if k for m in re.finditer(re.escape(k), text)]
    out, last = [], 0
    for m in _WORD.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in kept) or rng.random() >= rate:
            continue
        out += [text[last:m.start()], typo_word(m.group(), rng)]
        last = m.end()
    return "".join(out) + text[last:]


def typo_texts(texts: list[str], seed: int = SEED) -> list[str]:
    rng = random.Random(seed)
    return [typo_text(t, rng) for t in texts]


if __name__ == "__main__":
    from tests import real_statements

    texts = [t for _, _, t in real_statements.statements()][:8]
    for original, typoed in zip(texts, typo_texts(texts), strict=True):
        print(f"{original[:100]}\n  -> {typoed[:100]}")
