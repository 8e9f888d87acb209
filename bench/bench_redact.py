"""Redaction throughput: texts/s for each redactor on generated civic meeting notes; with --corpora, also recall
per category on the adversarial corpus (tests/adversarial_pii.py, tuning and held-out sets) and the share of
real Polis statements without personal data that gain a placeholder (tests/real_statements.py).

    python bench/bench_redact.py [--texts 2000] [--seed 0] [--kinds presidio,regex] [--corpora] [--city]

The notes are 40-80 words, built from civic sentence templates with district numbers, street names, place
names, times, counts and 911; about one note in six names a resident or an officer, and a few hold a phone,
an e-mail or a street address. With --city, the texts are instead the sample city's notes and comments (what
`bench_ingest.py` ingests: longer, with typos and repeated boilerplate). Models load before the clock starts;
a warm-up on two texts of its own is not timed.
Single process; on a shared machine the CPU-time rate is the one to compare.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth.redact import Redactor, build_redactor  # noqa: E402

STREETS = ["Main St", "Elm St", "Oak Ave", "5th Ave", "Maple Dr", "Broadway", "Washington St", "Pine Rd",
           "3rd Street", "Lincoln Ave", "Martin Luther King Jr Blvd", "Cesar Chavez Ave", "River Rd", "Park Ave"]
PLACES = ["Lincoln Park", "Jefferson Middle School", "the public library", "Riverside Community Center",
          "Fire Station 12", "Roosevelt High", "the senior center", "Grace Community Church", "the Eastside Market",
          "City Hall", "the rec center", "Hillcrest Elementary", "the transit center", "Franklin Square"]
DEPTS = ["Public Works", "the Parks Department", "Transportation", "Code Enforcement", "the City Council",
         "the Police Department", "Sanitation", "the Housing Authority", "Dispatch"]
ISSUES = ["speeding", "illegal dumping", "broken streetlights", "noise after midnight", "car break-ins",
          "graffiti", "potholes", "loitering near the bus stop", "slow 911 response", "fireworks",
          "package theft", "street racing", "overgrown lots", "blocked sidewalks", "drug activity"]
TIMES = ["7:30 pm", "9 pm", "6:45 am", "noon", "10:15 pm", "8 am", "midnight"]
MONTHS = ["January", "March", "June", "September", "October", "December"]
RESIDENTS = ["Maria Gonzalez", "Tom Becker", "Priya Raman", "Keisha Williams", "Ahmed Hassan", "Linda Chu"]
OFFICERS = ["Officer Dana Reyes", "Sgt. Miller", "Officer Kim", "Lt. Okafor", "Detective Sam Ortiz"]

SENTENCES = [
    "Residents at the District {d} meeting raised concerns about {issue} on {street}.",
    "About {n} residents attended the meeting at {place}.",
    "Several neighbors said {issue} has gotten worse since {month}.",
    "Parents asked for a crossing guard near {place} before school starts.",
    "The group discussed {issue} and {issue2} for most of the hour.",
    "One resident reported {issue} near {street} around {time} most nights.",
    "{dept} will review the request and report back by the next meeting.",
    "Concerns included {issue}, {issue2} and slow response to 911 calls.",
    "Attendees thanked {dept} for fixing the lights on {street} last month.",
    "Many people feel unsafe walking to the bus stop on {street} after dark.",
    "Business owners on {street} want more parking enforcement during the day.",
    "The next meeting is on {month} {day} at {time} at {place}.",
    "A show of hands found {n} in favor of speed humps and {n2} opposed.",
    "Speeding remains the top concern in District {d}, with {n} comments this quarter.",
    "Staff will share the survey results with Ward {d} in {month}.",
    "Traffic on {street} backs up every weekday between 7:30 and 9 am.",
    "Youth programs at {place} lost funding and teens have nowhere to go.",
    "Tenants in the apartments near {street} described mold and broken locks.",
    "Overall the mood was frustrated but constructive.",
    "Volunteers offered to organize a cleanup near {place} in {month}.",
]
NAMED = [
    "{resident} said {issue} near {street} keeps her awake.",
    "{officer} explained that patrols on {street} went up to {n} per week.",
    "Resident {first} asked {officer} about {issue} at {place}.",
    "{resident} can be reached at 555-{n3}-{n4} or {email} about the petition.",
    "{officer} said the department will add a speed trailer on {street}.",
    "Mrs. {last} lives at {house} {street} and reported {issue} twice this month.",
]


def note(rng: random.Random) -> str:
    """One meeting note of 40-80 words; about one in six mentions a person."""
    templates = rng.sample(SENTENCES, 8)
    if rng.random() < 1 / 6:
        templates.insert(rng.randrange(3), rng.choice(NAMED))
    target, words = rng.randint(40, 64), []
    for template in templates:
        if len(words) >= target:
            break
        sentence = fill(template, rng)
        words.extend((sentence[0].upper() + sentence[1:]).split())
    return " ".join(words)


def fill(template: str, rng: random.Random) -> str:
    resident = rng.choice(RESIDENTS)
    first, last = resident.split()
    return template.format(
        d=rng.randint(1, 9), n=rng.randint(3, 80), n2=rng.randint(1, 30), n3=rng.randint(200, 999),
        n4=rng.randint(1000, 9999), day=rng.randint(1, 28), house=rng.randint(10, 2400),
        issue=rng.choice(ISSUES), issue2=rng.choice(ISSUES), street=rng.choice(STREETS),
        place=rng.choice(PLACES), dept=rng.choice(DEPTS), time=rng.choice(TIMES), month=rng.choice(MONTHS),
        resident=resident, first=first, last=last, officer=rng.choice(OFFICERS),
        email=f"{first.lower()}.{last.lower()}@example.org",
    )


def city_texts(records: int) -> list[str]:
    """The free text of a sample city of `records` records (seed 7, as bench_ingest.py)."""
    import tempfile

    from bench_ingest import _texts

    from samplecity import generate_city

    with tempfile.TemporaryDirectory() as tmp:
        generate_city(Path(tmp) / "city", records=records, seed=7)
        return _texts(Path(tmp) / "city")


def bench(redactor: Redactor, texts: list[str], batch_size: int = 256) -> tuple[float, float]:
    """(texts/s by the wall clock, texts/s per CPU-second of this process) for one redactor."""
    # warm-up on a text of its own: warming up on the timed texts would let the NER window cache skip them
    redactor.redact_batch(["Warm-up text from Officer Dana Reyes about Main St.", "me and lucy met mr. alvarado"])
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), batch_size):
        redactor.redact_batch(texts[i:i + batch_size])
    return len(texts) / (time.perf_counter() - wall), len(texts) / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default="presidio,regex")
    parser.add_argument("--corpora", action="store_true", help="recall and over-redaction on the test corpora")
    parser.add_argument("--city", action="store_true", help="the sample city's texts instead of generated notes")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    texts = city_texts(args.texts) if args.city else [note(rng) for _ in range(args.texts)]
    mean_words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(texts)} {'sample city texts' if args.city else 'notes'}, {mean_words:.0f} words on average "
          "(the CPU-time rate is less affected by other load)")
    for kind in args.kinds.split(","):
        redactor = build_redactor(kind)
        wall, cpu = bench(redactor, texts)
        print(f"{kind:>10}: {wall:7.0f} texts/s wall clock, {cpu:7.0f} texts/s per CPU-second")
        if args.corpora:
            corpora(redactor)


def corpora(redactor: Redactor) -> None:
    """Recall per category on the adversarial corpus and over-redaction on real statements."""
    from tests import adversarial_pii, real_statements

    for label, records in (("tuning", adversarial_pii.corpus()), ("held-out", adversarial_pii.holdout())):
        results = redactor.redact_batch([r.text for r in records])
        total, removed = Counter[str](), Counter[str]()
        for record, result in zip(records, results, strict=True):
            total[record.category] += 1
            removed[record.category] += not adversarial_pii.leaks(record, result.text)
        line = ", ".join(f"{c} {removed[c]}/{total[c]}" for c in sorted(total))
        print(f"{'':>12}recall ({label}): {sum(removed.values())}/{len(records)} = "
              f"{sum(removed.values()) / len(records):.1%}; {line}")
    if real_statements.available():
        rows = real_statements.statements()
        texts = [text for _, _, text in rows]
        cpu = time.process_time()
        changed = sum(bool(r.counts) for r in redactor.redact_batch(texts))
        rate = len(texts) / (time.process_time() - cpu)
        print(f"{'':>12}over-redaction: {changed}/{len(rows)} real statements = {changed / len(rows):.2%} "
              f"({rate:.0f} texts per CPU-second on them)")


if __name__ == "__main__":
    main()
