"""The production redactor on both corpora: every planted item in the adversarial corpus is removed (recall
100% per category, on the tuning set and the held-out set), and at most 1% of real statements without
personal data gain a placeholder. The figures are printed on every run."""

from __future__ import annotations

from collections import Counter

import pytest

from synth.redact import Redactor, build_redactor
from tests import adversarial_pii, real_statements

MAX_OVER_REDACTION = 0.01


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


def test_adversarial_corpus_covers_every_category() -> None:
    records = adversarial_pii.corpus()
    counts = Counter(r.category for r in records)
    assert len(records) >= 300
    assert set(counts) == {"name", "phone", "email", "address", "plate", "dob", "id_number", "badge"}
    assert min(counts.values()) >= 30


@pytest.mark.skipif(not real_statements.available(), reason="../shared/data is not available")
def test_real_statements_are_rarely_over_redacted(presidio: Redactor, capsys: pytest.CaptureFixture[str]) -> None:
    rows = real_statements.statements()
    results = presidio.redact_batch([text for _, _, text in rows])
    changed = [(conv, cid, result.text) for (conv, cid, _), result in zip(rows, results, strict=True)
               if result.counts]
    rate = len(changed) / len(rows)
    with capsys.disabled():
        print(f"\nover-redaction: {len(changed)}/{len(rows)} real statements gained a placeholder ({rate:.2%})")
        for conv, cid, text in changed:
            print(f"  {conv}#{cid}: {text[:110]}")
    assert len(rows) > 1300
    assert rate <= MAX_OVER_REDACTION
