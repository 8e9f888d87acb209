"""How many review-queue verdicts bring a district's theme counts to exact (synth/synthesis/review/).

    python bench/bench_review.py --dataset sample [--records 1500] [--seed 7]
    python bench/bench_review.py --dataset police-notes-dev
    python bench/bench_review.py --dataset bowling-green

A simulated coordinator works through `build_queue` for each district (its current period, as the summaries show
it), in order, knowing the truth: the sample city's exact truth (`synth sample`; its taxonomy's ids are the
truth's), or the hand-labelled police notes (evals/data/police_notes/dev.csv; themes per record, mapped to the
starter taxonomy by `STARTER_TO_POLICE_NOTES`, two starter themes to one label where the set merges them), or the
Bowling Green Polis conversation (607 statements, one district, one-off so its period is "all"; truth:
Sensemaker's top-level topics per statement, an LLM's labels, so silver; the coordinator's taxonomy is
`BOWLING_GREEN_TOPICS`, one theme per topic). Per item: confirm when the record's truth has the sentence's theme
(or has nothing missing for a sentence with no theme); a theme the record's truth has and its annotation lacks is
given to the sentence of the record that scores highest for it (the truth is per record, so this stands in for
reading the sentence): as its theme, or as a second theme when its own is right; a sentence with a wrong theme and
nothing missing that it is about gets any missing theme, else "not a concern".
Every click counts as a review, and applies at once; the queue is read again after every `--batch` verdicts
(with learning, the store is re-annotated then; the page does it after every click).
A district stops when every theme count (records per theme) equals the truth's, or the queue runs dry.

Prints, per district and mode (with and without learning from corrections): concerns (sentences with a theme)
in the district's current period, count errors before, reviews and corrections needed, and reviews/concerns.
Embedder: the settings' (MiniLM by default), so figures are those of a real store; redactor: regex (fast).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STARTER_TO_POLICE_NOTES = {
    "traffic_speeding": "speeding_traffic", "street_lighting": "street_lighting", "drugs": "drugs",
    "homelessness": "homelessness", "noise": "noise", "police_presence": "police_presence",
    "police_response": "response_times", "police_conduct": "police_conduct_trust", "youth": "youth_schools",
    "schools": "youth_schools", "parks": "parks", "vandalism_litter": "vandalism_graffiti_litter",
    "property_crime": "burglary_theft", "gun_violence": "gun_violence", "mental_health": "mental_health",
    "housing": "housing_landlords", "parking": "parking", "transit": "public_transit",
    "businesses": "local_businesses", "community_events": "community_events",
    "communication": "communication_followup"}  # roads_sidewalks, scams_fraud: no label in the set

# The coordinator's taxonomy for the Bowling Green conversation: one theme per Sensemaker top-level topic, its
# description written from the topic's name alone (no statement text, so the truth does not leak in). The
# description is also the theme's one example phrase: a seeded theme needs example phrases to be classified by
# them and to learn from corrections (without any, themes are assigned by centre and corrections only apply).
BOWLING_GREEN_TOPICS = {
    "Transportation": "Getting around the city: roads and traffic, buses, cycling, walking and parking.",
    "Community Services": "Services the city offers residents: libraries, parks and recreation, help for "
                          "families and people in need.",
    "Economic Development": "Jobs, wages, local businesses, investment and growing the local economy.",
    "Education": "Schools, colleges and universities, teachers, school funding and learning.",
    "Quality of Life": "What makes the city a good place to live: amenities, culture, entertainment and "
                       "neighbourhoods.",
    "Public Safety": "Crime, policing, fire and emergency services, and feeling safe.",
    "Government Administration": "How the city and county are run: officials, budgets and taxes, openness and "
                                 "how residents have a say.",
    "Healthcare": "Health care, hospitals and clinics, insurance, mental health and public health.",
    "Land Use and Zoning": "Zoning rules, planning, development and what land and buildings may be used for.",
    "Environment": "Pollution, recycling, trees and green space, clean air and water, energy and climate.",
    "Infrastructure": "Public works: streets and sidewalks, water, sewer and drainage, utilities and internet.",
}


def topic_id(topic: str) -> str:
    return "bg_" + re.sub(r"[^a-z0-9]+", "_", topic.lower()).strip("_")


def write_topic_taxonomy(path: Path, topics: set[str]) -> dict[str, str]:
    """`BOWLING_GREEN_TOPICS` as a coordinator's taxonomy file; theme id -> topic. Every truth topic needs one."""
    import yaml

    unknown = topics - set(BOWLING_GREEN_TOPICS)
    if unknown:
        raise SystemExit(f"no theme for Sensemaker topic(s) {sorted(unknown)}: add them to BOWLING_GREEN_TOPICS")
    themes = [{"id": topic_id(t), "label": t, "description": d, "examples": [f"{t}. {d}"]}
              for t, d in BOWLING_GREEN_TOPICS.items()]
    path.write_text(yaml.safe_dump({"themes": themes}, sort_keys=False), encoding="utf-8")
    return {topic_id(t): t for t in BOWLING_GREEN_TOPICS}

SHARES = (0.05, 0.1, 0.25, 0.5, 1.0)  # shares of a district's concerns reviewed at which its count errors are logged


@dataclasses.dataclass
class Setup:
    services: Any
    truth: dict[str, set[str]]  # record id -> truth labels
    to_truth: Callable[[str], str | None]  # theme id -> truth label (None: no label)


def setup(dataset: str, root: Path, records: int, seed: int) -> Setup:
    from synth.services import Services
    from synth.settings import Settings
    from synth.synthesis.taxonomy_file import load_seed_file

    settings = Settings(data_dir=root / "store", redactor="regex", _env_file=None)
    svc = Services(settings)
    if dataset == "sample":
        from samplecity import generate_city

        city = generate_city(root / "city", records=records, seed=seed)
        svc.ingestor.ingest([root / "city" / "notes", root / "city" / "comments"])
        svc.synthesizer.refresh(seeds=load_seed_file(root / "city" / "taxonomy.yaml"))
        return Setup(svc, {rid: set(r.themes) for rid, r in city.records.items()}, lambda t: t)
    from evals.datasets import load_dataset

    ds = load_dataset(dataset, root / "input")
    truth = {rid: set(lab.themes) for rid, lab in ds.labels.items()}
    svc.ingestor.ingest(ds.inputs)
    if dataset == "bowling-green":  # top-level topics only (the dataset's labels are those already)
        to_topic = write_topic_taxonomy(root / "taxonomy.yaml", set().union(*truth.values()))
        svc.synthesizer.refresh(seeds=load_seed_file(root / "taxonomy.yaml"))
        return Setup(svc, truth, to_topic.get)
    svc.synthesizer.refresh()  # the starter taxonomy
    return Setup(svc, truth, STARTER_TO_POLICE_NOTES.get)


def labels_of(ann: Any, to_truth: Callable[[str], str | None]) -> set[str]:
    return {label for t in ann.themes if (label := to_truth(t))}


def count_errors(annotations: dict[str, Any], ids: list[str], s: Setup) -> int:
    got = Counter(label for rid in ids for label in labels_of(annotations[rid], s.to_truth))
    want = Counter(label for rid in ids for label in s.truth.get(rid, ()))
    return sum(abs(got[k] - want[k]) for k in set(got) | set(want))


def about(synth: Any, corpus: Any, record_id: str, index: int, s: Setup, missing: set[str]) -> str | None:
    """A theme of `missing` (truth labels) that sentence `index` is about, standing in for the reader's judgement
    (the truth is per record): the theme whose score this sentence, of all its record's sentences, has highest."""
    from synth.synthesis.models import OTHER_THEME
    from synth.synthesis.review.queue import score_spans

    spans = synth.store.load_spans([record_id])
    scores = score_spans(synth, corpus.taxonomy, spans, [OTHER_THEME] * len(spans))
    row = next(i for i, sp in enumerate(spans) if sp.idx == index)
    best = None
    for j, tid in enumerate(scores.themes):
        if s.to_truth(tid) in missing and scores.values[:, j].argmax() == row and (
                best is None or scores.values[row, j] > scores.values[row, best]):
            best = j
    return scores.themes[best] if best is not None else None


def verdict(item: Any, ann: Any, s: Setup, themes: list[str], likely: str | None) -> tuple[str, str | None]:
    """What a coordinator who knows the truth clicks: ("confirm" | "theme" | "also" | "none", theme). `likely`:
    a theme the record misses that this sentence is about (`about`)."""
    from synth.synthesis.models import OTHER_THEME

    want, have = s.truth.get(item.record_id, set()), labels_of(ann, s.to_truth)
    missing = want - have
    label = s.to_truth(item.theme_id) if item.theme_id != OTHER_THEME else None
    if label is not None and label in want:  # right; it may raise a missing theme too
        return ("also", likely) if likely else ("confirm", item.theme_id)
    if label is None and item.theme_id == OTHER_THEME:  # no theme: one the record misses, if offered
        return ("theme", likely) if likely else ("confirm", OTHER_THEME)
    fix = likely or next((tid for tid in themes if s.to_truth(tid) in missing), None)
    return ("theme", fix) if fix else ("none", OTHER_THEME)


def run_district(s: Setup, district: str, learning: bool, batch: int, log: Callable[[str], None]
                 ) -> dict[str, Any]:
    from synth.synthesis.models import OTHER_THEME
    from synth.synthesis.review.corrections import apply_corrections
    from synth.synthesis.review.queue import build_queue, district_scope

    synth = s.services.synthesizer
    synth.corrections.learning = learning
    corpus = synth.corpus()
    period, ids = district_scope(corpus, district)
    base, spans = corpus.annotations, synth.store.load_spans(ids)
    concerns = sum(c.theme_id != OTHER_THEME for rid in ids for c in base[rid].concerns if c.index < 1000)
    start_errors = count_errors(base, ids, s)
    differ = sum(labels_of(base[rid], s.to_truth) != s.truth.get(rid, set()) for rid in ids)
    log(f"  {district} {period}: {start_errors} count errors; {differ} of {len(ids)} records' theme sets differ "
        "from the truth")
    themes = sorted(corpus.themes)
    reviews = corrections = 0
    trajectory: dict[float, int] = {}
    while count_errors(corpus.annotations, ids, s) and reviews < len(spans):
        items = build_queue(synth, corpus, district=district, limit=batch)
        if not items:
            break
        for item in items:
            ann = corpus.annotations[item.record_id]
            missing = s.truth.get(item.record_id, set()) - labels_of(ann, s.to_truth)
            likely = about(synth, corpus, item.record_id, item.index, s, missing) if missing else None
            kind, theme = verdict(item, ann, s, themes, likely)
            span = next(sp for sp in spans if sp.record_id == item.record_id and sp.idx == item.index)
            if kind == "also":
                synth.corrections.save(span, "bench", theme_id=item.theme_id, also=theme)
            else:
                synth.corrections.save(span, "bench", theme_id=theme)
            reviews += 1
            corrections += kind != "confirm"
            corpus = dataclasses.replace(corpus, annotations=apply_corrections(  # the click's own effect at once
                corpus.annotations, synth.corrections.all(), spans, corpus.taxonomy.themes))
            errors = count_errors(corpus.annotations, ids, s)
            for share in SHARES:  # how the errors fall, for a district that needs the whole queue
                if reviews == max(1, round(share * concerns)):
                    trajectory[share] = errors
            if not errors:
                break
        if not count_errors(corpus.annotations, ids, s):
            break
        if learning:  # re-annotated with the corrected sentences as examples (without learning, a re-run gives
            corpus = synth.corpus()  # the annotations the corrections were just applied to)
    left = count_errors(corpus.annotations, ids, s)
    # the queue ran dry (each sentence is judged once, and a theme can go missing after its best sentence was
    # judged): what is left is fixed record by record, one click per missing theme on the record's sentence that
    # scores highest for it (POST /review/corrections takes any sentence), or "not a concern" on a wrong one
    extra = 0
    for rid in ids if left else ():
        for _ in range(10):
            ann = corpus.annotations[rid]
            have, want = labels_of(ann, s.to_truth), s.truth.get(rid, set())
            if have == want:
                break
            fix = _fix_record(synth, corpus, rid, s, want - have, have - want, spans)
            if fix is None:
                break
            extra += 1
            corpus = dataclasses.replace(corpus, annotations=apply_corrections(
                corpus.annotations, synth.corrections.all(), spans, corpus.taxonomy.themes))
    after = count_errors(corpus.annotations, ids, s)
    log(f"  {district} {period}: {reviews} reviews ({corrections} corrections), {left} count errors left; "
        f"{extra} clicks on records then, {after} left")
    if trajectory:
        log("    count errors left after " + ", ".join(f"{share:.0%} of concerns reviewed: {errors}"
                                                    for share, errors in trajectory.items()))
    return {"district": district, "period": period, "records": len(ids), "concerns": concerns,
            "errors_before": start_errors, "errors_after": left, "reviews": reviews, "corrections": corrections,
            "record_clicks": extra, "errors_final": after}


def _fix_record(synth: Any, corpus: Any, rid: str, s: Setup, missing: set[str], wrong: set[str],
                spans: list[Any]) -> str | None:
    """One click that fixes one of the record's count errors (a theme added to its best sentence, or a wrong
    theme's sentence marked "not a concern"); the theme or None when nothing can be done."""
    from synth.synthesis.models import OTHER_THEME

    ann = corpus.annotations[rid]
    own = {sp.idx: sp for sp in spans if sp.record_id == rid}
    for c in ann.concerns:
        if c.index in own and s.to_truth(c.theme_id) in wrong:
            synth.corrections.save(own[c.index], "bench", theme_id=OTHER_THEME)
            return OTHER_THEME
    for idx, sp in own.items():
        if (tid := about(synth, corpus, rid, idx, s, missing)) is not None:
            first = next((c.theme_id for c in ann.concerns if c.index == idx), OTHER_THEME)
            if first == OTHER_THEME or s.to_truth(first) in wrong:
                synth.corrections.save(sp, "bench", theme_id=tid)
            else:
                synth.corrections.save(sp, "bench", theme_id=first, also=tid)
            return tid
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="sample", help="sample, police-notes-dev, police-notes or bowling-green")
    parser.add_argument("--records", type=int, default=1500, help="sample city size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=5, help="verdicts between re-reads of the queue")
    parser.add_argument("--modes", default="off,on", help="learning from corrections: off, on or both")
    args = parser.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    results: dict[str, list[dict[str, Any]]] = {}
    for mode in args.modes.split(","):
        with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
            started = time.perf_counter()
            s = setup(args.dataset, Path(tmp), args.records, args.seed)
            log(f"learning {mode}: store ready in {time.perf_counter() - started:.0f} s")
            try:
                districts = s.services.synthesizer.corpus().districts
                results[mode] = [run_district(s, d, mode == "on", args.batch, log) for d in districts]
            finally:
                s.services.close()
    print(f"dataset {args.dataset}" + (f" ({args.records} records, seed {args.seed})" if args.dataset == "sample"
                                        else ""))
    print("| learning | district | period | records | concerns | count errors before | reviews (corrections) "
          "| reviews / concerns | exact | then clicks on records |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for mode, rows in results.items():
        for r in rows:
            share = r["reviews"] / r["concerns"] if r["concerns"] else 0.0
            print(f"| {mode} | {r['district']} | {r['period']} | {r['records']} | {r['concerns']} | "
                  f"{r['errors_before']} | {r['reviews']} ({r['corrections']}) | {share:.1%} | "
                  f"{'yes' if not r['errors_after'] else 'no, ' + str(r['errors_after']) + ' left'} | "
                  f"{r['record_clicks'] or ''}{', ' + str(r['errors_final']) + ' left' if r['errors_final'] else ''} |")
        reviews, concerns = sum(r["reviews"] for r in rows), sum(r["concerns"] for r in rows)
        print(f"| {mode} | all | | {sum(r['records'] for r in rows)} | {concerns} | "
              f"{sum(r['errors_before'] for r in rows)} | {reviews} ({sum(r['corrections'] for r in rows)}) | "
              f"{reviews / max(concerns, 1):.1%} | {sum(not r['errors_after'] for r in rows)}/{len(rows)} | "
              f"{sum(r['record_clicks'] for r in rows)} |")


if __name__ == "__main__":
    main()
