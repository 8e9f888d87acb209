"""The production redactor on both corpora: every planted item in the adversarial corpus is removed (recall
100% per category, on the tuning set and the held-out set), and at most 1% of real statements without
personal data gain a placeholder. With phone typos (tests/typos.py) in the real statements the 1% holds too,
and with typos in the words around the planted items every name is still removed; a number whose only cue is
misspelt ("bade 4471", "dage of bith") can be lost, so the other categories are printed, not asserted. The
figures are printed on every run."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from synth.redact import Redactor, build_redactor
from synth.redact.gazetteer import popular_given_names, surnames
from tests import adversarial_pii, real_statements, typos

MAX_OVER_REDACTION = 0.01
MIN_LOWER_CASE_RECALL = {"given name and surname": 0.75, "lone given name": 0.84}


@pytest.fixture(scope="module")
def presidio() -> Redactor:
    return build_redactor("presidio")


def _recall(redactor: Redactor, records: list[adversarial_pii.Planted]) -> tuple[dict[str, tuple[int, int]], list]:
    results = redactor.redact_batch([r.text for r in records])
    total, kept, misses = Counter[str](), Counter[str](), []
    for record, result in zip(records, results, strict=True):
        total[record.category] += 1
        leaked = adversarial_pii.leaks(record, result.text)
        if leaked:
            misses.append((record.category, leaked, result.text))
        else:
            kept[record.category] += 1
    return {c: (kept[c], total[c]) for c in total}, misses


def _report(capsys: pytest.CaptureFixture[str], title: str, figures: dict[str, tuple[int, int]]) -> None:
    with capsys.disabled():
        removed, planted = sum(k for k, _ in figures.values()), sum(n for _, n in figures.values())
        print(f"\n{title}: {removed}/{planted} planted items removed")
        for category, (k, n) in sorted(figures.items()):
            print(f"  {category:<10} {k:>4}/{n:<4} {k / n:7.1%}")


@pytest.mark.parametrize("corpus", ["tuning", "held-out"])
def test_every_planted_item_is_removed(presidio: Redactor, capsys: pytest.CaptureFixture[str], corpus: str) -> None:
    records = adversarial_pii.corpus() if corpus == "tuning" else adversarial_pii.holdout()
    figures, misses = _recall(presidio, records)
    _report(capsys, f"adversarial corpus ({corpus})", figures)
    assert not misses


@pytest.mark.parametrize("corpus", ["tuning", "held-out"])
def test_planted_items_are_removed_from_typed_notes(presidio: Redactor, capsys: pytest.CaptureFixture[str],
                                                     corpus: str) -> None:
    """Typos in the words around the planted items (never in the items themselves) lose no name."""
    rng = random.Random(typos.SEED)
    records = [adversarial_pii.Planted(r.category, typos.typo_text(r.text, rng, keep=r.planted), r.planted)
               for r in (adversarial_pii.corpus() if corpus == "tuning" else adversarial_pii.holdout())]
    figures, misses = _recall(presidio, records)
    _report(capsys, f"adversarial corpus with typos ({corpus})", figures)
    with capsys.disabled():
        for category, leaked, text in misses:
            print(f"  missed {category} {leaked}: {text!r}")
    assert not [m for m in misses if m[0] == "name"]


def test_adversarial_corpus_covers_every_category() -> None:
    records = adversarial_pii.corpus()
    counts = Counter(r.category for r in records)
    assert len(records) >= 300
    assert set(counts) == {"name", "phone", "email", "address", "plate", "dob", "id_number", "badge"}
    assert min(counts.values()) >= 30


@pytest.mark.skipif(not real_statements.available(), reason="../shared/data is not available")
@pytest.mark.parametrize("typed", [False, True], ids=["clean", "typos"])
def test_real_statements_are_rarely_over_redacted(presidio: Redactor, capsys: pytest.CaptureFixture[str],
                                                  typed: bool) -> None:
    """Also with phone typos in every statement (tests/typos.py): a misspelt word is no name."""
    rows = real_statements.statements()
    if typed:
        rows = [(conv, cid, text) for (conv, cid, _), text in
                zip(rows, typos.typo_texts([text for _, _, text in rows]), strict=True)]
    results = presidio.redact_batch([text for _, _, text in rows])
    changed = [(conv, cid, result.text) for (conv, cid, _), result in zip(rows, results, strict=True)
               if result.counts]
    rate = len(changed) / len(rows)
    with capsys.disabled():
        label = "typo'd real statements" if typed else "real statements"
        print(f"\nover-redaction: {len(changed)}/{len(rows)} {label} gained a placeholder ({rate:.2%})")
        for conv, cid, text in changed:
            print(f"  {conv}#{cid}: {text[:110]}")
    assert len(rows) > 1300
    assert rate <= MAX_OVER_REDACTION


def test_lower_case_census_names_without_a_cue(presidio: Redactor, capsys: pytest.CaptureFixture[str]) -> None:
    """Lower-case names with no cue, from the census lists the redactor uses: a popular given name and one of
    the 5,000 most frequent surnames ("i talked to will barnes ..."), and a popular given name alone ("me and
    lucy ..."). Reading misspelt words as English costs some of these (a rarer given name one slip from an
    English word: "yong", "ahmed"); the figures are printed, with floors."""
    rng = random.Random(7)
    given = sorted(popular_given_names())
    common = sorted(name for name, rank in surnames().items() if rank <= 5000)
    pairs = [(rng.choice(given), rng.choice(common)) for _ in range(1000)]
    cases = {"given name and surname": [(f"i talked to {g} {s} after the meeting", (g, s)) for g, s in pairs],
             "lone given name": [(f"me and {g} walked home past the park", (g,)) for g in given]}
    with capsys.disabled():
        print()
        for label, texts in cases.items():
            results = presidio.redact_batch([text for text, _ in texts])
            removed = sum(not set(words) & set(r.text.split()) for (_, words), r in zip(texts, results, strict=True))
            rate = removed / len(texts)
            print(f"lower-case names without a cue, {label}: {removed}/{len(texts)} removed ({rate:.1%})")
            assert rate >= MIN_LOWER_CASE_RECALL[label]
