"""How much two cities' wording differs: a check that the generator is not one fixed set of sentences.

    python -m samplecity.variety [--records 600] [--seeds 7 11]

Sentences are compared with the geography masked (street, place, park, centre and venue names -> ``<g>``,
digits -> ``<n>``), lower-cased and without punctuation, so two sentences that differ only in which street
they name count as the same sentence.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from samplecity.generate import generate_city
from samplecity.grammar import Lexicon, alternatives
from samplecity.stories import Concern
from samplecity.text import Pen
from samplecity.vocabulary import DISTRICTS, SENTIMENT_ORDER, THEMES

_GEO = sorted({n for g in DISTRICTS for n in (*g.streets, *g.places, *g.parks, *g.centers, *g.venues)},
              key=len, reverse=True)
_GEO_RE = re.compile("|".join(re.escape(n) for n in _GEO), re.IGNORECASE)
_SPLIT = re.compile(r"(?<=[.!?:])\s+|\n+")


def normalise(sentence: str) -> str:
    text = _GEO_RE.sub(" <g> ", sentence)
    text = re.sub(r"\d+", "<n>", text.lower())
    return " ".join(re.findall(r"<[gn]>|[a-z']+", text))


def city_texts(out: Path) -> list[str]:
    """Every record's free text: note bodies and comment texts."""
    texts = [p.read_text(encoding="utf-8").split("\n\n", 1)[1] for p in sorted((out / "notes").glob("*.md"))]
    with open(out / "comments/web_form.csv", encoding="utf-8", newline="") as f:
        texts += [row["text"] for row in csv.DictReader(f)]
    lines = (out / "comments/survey.jsonl").read_text(encoding="utf-8").splitlines()
    texts += [json.loads(line)["text"] for line in lines]
    texts += [e["text"] for e in json.loads((out / "comments/email.json").read_text(encoding="utf-8"))]
    return texts


def sentences(texts: Iterable[str]) -> list[str]:
    out = []
    for text in texts:
        for piece in _SPLIT.split(text):
            norm = normalise(piece.strip(" -*•"))
            if len(norm.split()) >= 3:
                out.append(norm)
    return out


def compare(a: list[str], b: list[str]) -> dict[str, float]:
    """shared_share: share of b's sentences (occurrences) also written somewhere in a (also only over the
    sentences that name a place); distinct_jaccard: overlap of the two sets of distinct sentences."""
    set_a, set_b = set(a), set(b)
    placed = [s for s in b if "<g>" in s]  # sentences that name a place: nearly all about a concern
    return {"shared_share": round(sum(s in set_a for s in b) / max(1, len(b)), 3),
            "shared_share_naming_a_place": round(sum(s in set_a for s in placed) / max(1, len(placed)), 3),
            "distinct_jaccard": round(len(set_a & set_b) / max(1, len(set_a | set_b)), 3),
            "distinct_a": len(set_a), "distinct_b": len(set_b)}


def measure(seed_a: int, seed_b: int, records: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a", Path(tmp) / "b"
        generate_city(a, records=records, seed=seed_a)
        generate_city(b, records=records, seed=seed_b)
        return compare(sentences(city_texts(a)), sentences(city_texts(b)))


def phrasings(seed: int, draws: int = 300) -> dict[str, float]:
    """Ways to say one concern (theme x sentiment), slots aside: all the bank allows (min and mean over the
    40 concerns), and how many distinct ones a city of this seed writes in `draws` draws (mean)."""
    pen = Pen(random.Random(seed), Lexicon(seed))
    possible, drawn = [], []
    for theme in THEMES:
        for sentiment in SENTIMENT_ORDER:
            concern = Concern(theme, sentiment)
            possible.append(sum(alternatives(t) for t in theme.phrasings(sentiment)))
            drawn.append(len({pen.lex.expand(pen.rng, pen.template(concern)) for _ in range(draws)}))
    return {"possible_min": min(possible), "possible_mean": round(sum(possible) / len(possible), 1),
            f"seen_in_{draws}_draws_mean": round(sum(drawn) / len(drawn), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--records", type=int, default=600)
    parser.add_argument("--seeds", type=int, nargs=2, default=(7, 11))
    args = parser.parse_args()
    seed_a, seed_b = args.seeds
    print(json.dumps({"sentences": measure(seed_a, seed_b, args.records), "phrasings": phrasings(seed_a)}))


if __name__ == "__main__":
    main()
