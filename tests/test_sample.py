"""The synthetic city: reproducible files, parseable formats and a truth that is exactly what was written."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from samplecity import (
    NOTE_WORDS,
    THEME_IDS,
    CityTruth,
    generate_city,
    load_truth,
    month_list,
    overall_sentiment,
)
from synth.models import Channel, RecordKind, Sentiment, content_id

CHANNELS = {RecordKind.meeting_note: Channel.meeting, RecordKind.comment: Channel.web_form,
            RecordKind.survey_response: Channel.survey, RecordKind.email: Channel.email}
NOTE_HEADER_KEYS = ["District", "Date", "Meeting", "Note-taker", "Attendees", "Location"]
FORM_HEADER_KEYS = ["Top concerns", "Overall sentiment"]

PHONE_RE = re.compile(r"(?:\+1[ .-]?)?(?:\(\d{3}\)|\b\d{3})[ .-]?\d{3}[ .-]?\d{4}\b")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ADDRESS_RE = re.compile(
    r"\b\d{1,5} +(?:[NSEW]\.? +)?[A-Z][a-z]+(?: +[A-Z][a-z]+)* +"
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Ln|Lane|Dr|Drive|Ct|Court|Way|Pl|Place)\b"
)
# One obvious keyword per theme: the matcher a paraphrase-rich city must defeat.
NAIVE_KEYWORDS = {
    "street_lighting": "light",
    "traffic_safety": "speed",
    "response_times": "response",
    "drug_activity": "drug",
    "vandalism_graffiti": "graffiti",
    "homeless_encampments": "encampment",
    "noise": "noise",
    "youth_programs": "youth",
    "police_trust": "officer",
    "parks_public_spaces": "park",
}


# ---------------------------------------------------------------------------------------------------------
# Reading the city back the way an ingest reader would.
# ---------------------------------------------------------------------------------------------------------


def parse_note(path: Path) -> tuple[dict[str, str], str]:
    raw = path.read_text(encoding="utf-8")
    head, body = raw.split("\n\n", 1)
    header = {}
    for line in head.splitlines():
        key, value = line.split(": ", 1)
        header[key] = value
    return header, body


def read_sources(out: Path) -> dict[tuple[str, int], dict]:
    """(file, row) -> the source row (notes: header + body), for every record in the city."""
    sources: dict[tuple[str, int], dict] = {}
    with open(out / "comments/web_form.csv", encoding="utf-8", newline="") as f:
        for row, rec in enumerate(csv.DictReader(f), start=1):
            sources[("comments/web_form.csv", row)] = rec
    with open(out / "comments/survey.jsonl", encoding="utf-8") as f:
        for row, line in enumerate(f, start=1):
            sources[("comments/survey.jsonl", row)] = json.loads(line)
    emails = json.loads((out / "comments/email.json").read_text(encoding="utf-8"))
    for row, rec in enumerate(emails, start=1):
        sources[("comments/email.json", row)] = rec
    for path in sorted((out / "notes").glob("*.md")):
        header, body = parse_note(path)
        sources[(f"notes/{path.name}", 1)] = {"header": header, "text": body}
    return sources


def texts_by_record(out: Path, truth: CityTruth) -> dict[str, str]:
    sources = read_sources(out)
    return {rid: sources[(r.file, r.row)]["text"] for rid, r in truth.records.items()}


def file_bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CityTruth]:
    out = tmp_path_factory.mktemp("city")
    return out, generate_city(out)


@pytest.fixture(scope="module")
def texts(city: tuple[Path, CityTruth]) -> dict[str, str]:
    out, truth = city
    return texts_by_record(out, truth)


# ---------------------------------------------------------------------------------------------------------
# Reproducibility and arguments.
# ---------------------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_city(a, records=400, seed=11)
    generate_city(b, records=400, seed=11)
    generate_city(c, records=400, seed=12)
    files_a, files_b, files_c = file_bytes(a), file_bytes(b), file_bytes(c)
    assert files_a == files_b
    assert (files_a["truth.json"] != files_c["truth.json"]
            and files_a["comments/web_form.csv"] != files_c["comments/web_form.csv"])


def test_regenerating_into_the_same_directory_leaves_exactly_one_city(tmp_path: Path) -> None:
    generate_city(tmp_path, records=300, seed=1)
    truth = generate_city(tmp_path, records=200, seed=2)
    assert len(list((tmp_path / "notes").glob("*.md"))) == truth.counts_by_kind["meeting_note"]


def test_truth_json_round_trips(city: tuple[Path, CityTruth]) -> None:
    out, truth = city
    assert load_truth(out / "truth.json") == truth


def test_months_end_at_end_month() -> None:
    assert month_list("2026-02", 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    with pytest.raises(ValueError):
        month_list("2026/02", 3)
    with pytest.raises(ValueError):
        month_list("2026-02", 0)


def test_rejects_impossible_counts(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_city(tmp_path, records=10, pii_records=11)
    with pytest.raises(ValueError):
        generate_city(tmp_path, records=10, pii_records=0, injection_records=10)


def test_ten_thousand_records_are_fast(tmp_path: Path) -> None:
    # CPU time, not wall time, so a loaded CI box does not flake; ~2 s measured (spec: under ~10 s).
    start = time.process_time()
    truth = generate_city(tmp_path, records=10_000)
    assert truth.records_total == 10_000
    assert time.process_time() - start < 10


# ---------------------------------------------------------------------------------------------------------
# Formats.
# ---------------------------------------------------------------------------------------------------------


def test_web_form_csv_parses_with_its_columns_and_awkward_texts(city: tuple[Path, CityTruth]) -> None:
    out, truth = city
    with open(out / "comments/web_form.csv", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        assert next(reader) == ["id", "kind", "text", "district", "location", "date", "channel"]
        rows = list(reader)
    assert rows and all(len(r) == 7 for r in rows)
    assert {(r[1], r[6]) for r in rows} == {("comment", "web_form")}
    assert len({r[0] for r in rows}) == len(rows) == truth.counts_by_kind["comment"]
    texts = [r[2] for r in rows]
    assert sum("\n" in t for t in texts) >= 3
    assert sum('"' in t for t in texts) >= 3
    assert sum("," in t for t in texts) >= 3
    assert all(r[3] in truth.districts and dt.date.fromisoformat(r[5]) for r in rows)


def test_survey_jsonl_and_email_json_parse(city: tuple[Path, CityTruth]) -> None:
    out, truth = city
    lines = (out / "comments/survey.jsonl").read_text(encoding="utf-8").splitlines()
    surveys = [json.loads(line) for line in lines]
    emails = json.loads((out / "comments/email.json").read_text(encoding="utf-8"))
    assert len(surveys) == truth.counts_by_kind["survey_response"]
    assert len(emails) == truth.counts_by_kind["email"]
    keys = ["id", "kind", "text", "district", "date", "channel"]
    assert all(list(s) == keys and (s["kind"], s["channel"]) == ("survey_response", "survey")
               for s in surveys)
    assert all(list(e) == keys and e["kind"] == "email" and e["channel"] == "email" for e in emails)
    assert any("\n" in e["text"] for e in emails)


def test_note_headers_parse_and_match_truth(city: tuple[Path, CityTruth]) -> None:
    out, truth = city
    notes = {rid: r for rid, r in truth.records.items() if r.kind is RecordKind.meeting_note}
    assert len(notes) == truth.counts_by_kind["meeting_note"] == len(list((out / "notes").glob("*.md")))
    forms = 0
    for rid, rec in notes.items():
        header, body = parse_note(out / rec.file)
        assert list(header)[:6] == NOTE_HEADER_KEYS
        assert header["District"] == rec.district and header["Meeting"] == rec.meeting_id
        assert dt.date.fromisoformat(header["Date"]) == rec.date
        assert int(header["Attendees"]) == rec.attendees
        assert header["Note-taker"] in truth.note_takers
        assert rec.file == f"notes/{rec.meeting_id}.md" and rec.row == 1
        if rec.standard_form:
            forms += 1
            assert list(header)[6:] == FORM_HEADER_KEYS
            assert len(header["Top concerns"].split("; ")) == len(rec.themes)
            assert Sentiment(header["Overall sentiment"]) == rec.form_sentiment
        else:
            assert len(header) == 6 and rec.form_sentiment is None
        # The id ingest will compute for a note that carries none.
        assert content_id("meeting_note", header["District"], dt.date.fromisoformat(header["Date"]),
                          header["Meeting"], body) == rid
    assert 0.2 < forms / len(notes) < 0.4


def test_meeting_ids_are_numbered_in_date_order(city: tuple[Path, CityTruth]) -> None:
    _, truth = city
    by_cell: dict[tuple[str, str], list] = {}
    for r in truth.records.values():
        if r.meeting_id:
            by_cell.setdefault((r.district, r.month), []).append(r)
    for (district, month), recs in by_cell.items():
        recs.sort(key=lambda r: r.meeting_id)
        assert [r.date for r in recs] == sorted(r.date for r in recs)
        assert recs[0].meeting_id == f"KT-D{district.split()[-1]}-{month}-01"


def test_lengths(city: tuple[Path, CityTruth], texts: dict[str, str]) -> None:
    _, truth = city
    for rid, rec in truth.records.items():
        words = len(texts[rid].split())
        if rec.kind is RecordKind.meeting_note:
            assert 40 <= words <= NOTE_WORDS[1] + 30, rid
        else:
            assert 10 <= words <= 90, rid
    notes = [len(texts[rid].split()) for rid, r in truth.records.items() if r.kind is RecordKind.meeting_note]
    assert sum(notes) / len(notes) > 60


# ---------------------------------------------------------------------------------------------------------
# Truth consistency.
# ---------------------------------------------------------------------------------------------------------


def test_every_record_points_at_its_source_row(city: tuple[Path, CityTruth]) -> None:
    out, truth = city
    sources = read_sources(out)
    assert len(sources) == len(truth.records) == truth.records_total == 1500
    assert {(r.file, r.row) for r in truth.records.values()} == set(sources)
    for rid, rec in truth.records.items():
        src = sources[(rec.file, rec.row)]
        assert rec.month == rec.date.strftime("%Y-%m") and rec.month in truth.months
        assert rec.channel == CHANNELS[rec.kind]
        if rec.kind is not RecordKind.meeting_note:
            assert src["id"] == rid and src["kind"] == rec.kind.value
            assert src["district"] == rec.district and src["date"] == rec.date.isoformat()


def test_counts_per_kind_and_file(city: tuple[Path, CityTruth]) -> None:
    _, truth = city
    kinds = Counter(r.kind.value for r in truth.records.values())
    assert kinds == Counter(truth.counts_by_kind)
    assert sum(truth.counts_by_file.values()) == truth.records_total
    assert 0.35 < kinds["meeting_note"] / truth.records_total < 0.45
    assert truth.districts == [f"District {i}" for i in range(1, 7)]
    assert truth.months == month_list("2026-11", 6)


def test_mentions_are_an_exact_recount_of_records(city: tuple[Path, CityTruth]) -> None:
    _, truth = city
    recount: Counter = Counter()
    for r in truth.records.values():
        assert r.themes and len(r.themes) == len(set(r.themes))
        assert set(r.concern_sentiments) == set(r.themes)
        assert r.sentiment == overall_sentiment(list(r.concern_sentiments.values()))
        recount.update((r.district, r.month, t) for t in r.themes)
    for d in truth.districts:
        assert list(truth.mentions[d]) == truth.months
        for m in truth.months:
            assert list(truth.mentions[d][m]) == list(THEME_IDS)
            for t in THEME_IDS:
                assert truth.mentions[d][m][t] == recount[(d, m, t)]
        for t in THEME_IDS:
            assert truth.mentions_total[d][t] == sum(recount[(d, m, t)] for m in truth.months)
    assert set(truth.themes) == set(THEME_IDS) and len(THEME_IDS) == 10


def test_meetings_and_attendees_per_district(city: tuple[Path, CityTruth]) -> None:
    _, truth = city
    notes = [r for r in truth.records.values() if r.kind is RecordKind.meeting_note]
    assert truth.meetings_per_district == {d: sum(r.district == d for r in notes) for d in truth.districts}
    assert truth.attendees_per_district == {d: sum(r.attendees or 0 for r in notes if r.district == d)
                                            for d in truth.districts}


def test_sentiment_rule() -> None:
    pos, neg, neu, mix = Sentiment.positive, Sentiment.negative, Sentiment.neutral, Sentiment.mixed
    assert overall_sentiment([pos, pos]) == pos
    assert overall_sentiment([neg]) == neg
    assert overall_sentiment([pos, neg]) == neu
    assert overall_sentiment([pos, neg, neg, mix]) == neg
    assert overall_sentiment([neu, mix]) == neu


def test_concern_sentiments_vary(city: tuple[Path, CityTruth]) -> None:
    _, truth = city
    labels = Counter(s for r in truth.records.values() for s in r.concern_sentiments.values())
    assert all(labels[s] > 20 for s in Sentiment)
    assert labels[Sentiment.negative] > labels[Sentiment.positive]


# ---------------------------------------------------------------------------------------------------------
# Personal data and prompt injection.
# ---------------------------------------------------------------------------------------------------------


def test_exactly_the_listed_records_carry_personal_data(city: tuple[Path, CityTruth],
                                                         texts: dict[str, str]) -> None:
    out, truth = city
    with_pii = {rid: r for rid, r in truth.records.items() if r.pii}
    assert len(with_pii) == truth.pii_records == 50
    kinds_seen = set()
    for rid, rec in with_pii.items():
        assert len(rec.pii) == len(rec.pii_types)
        for value, kind in zip(rec.pii, rec.pii_types, strict=True):
            assert value in texts[rid]
            kinds_seen.add(kind)
    assert kinds_seen == {"resident_name", "officer_name", "phone", "email", "address"}
    planted = {v for r in with_pii.values() for v in r.pii}
    sources = read_sources(out)
    for rid, rec in truth.records.items():
        if rid in with_pii:
            continue
        src = sources[(rec.file, rec.row)]
        # Every field of the row (notes: the header values too, minus the note-taker pseudonymised by ingest).
        fields = [v for k, v in src.get("header", {}).items() if k != "Note-taker"]
        fields += [str(v) for k, v in src.items() if k != "header"]
        row = "\n".join(fields)
        assert not PHONE_RE.search(row), (rid, row)
        assert not EMAIL_RE.search(row), (rid, row)
        assert not ADDRESS_RE.search(row), (rid, row)
        assert not any(v in row for v in planted), (rid, row)
        assert not any(name.split(" ", 1)[1] in texts[rid] for name in truth.note_takers), (rid, row)
    # Whole files, too: only note files and comment files that hold a PII record may match.
    pii_files = {r.file for r in with_pii.values()}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel != "truth.json" and rel not in pii_files:
            raw = path.read_text(encoding="utf-8")
            assert not (PHONE_RE.search(raw) or EMAIL_RE.search(raw) or ADDRESS_RE.search(raw)), rel


def test_pii_regexes_catch_every_planted_format(city: tuple[Path, CityTruth]) -> None:
    _, truth = city
    regex = {"phone": PHONE_RE, "email": EMAIL_RE, "address": ADDRESS_RE}
    for r in truth.records.values():
        for value, kind in zip(r.pii, r.pii_types, strict=True):
            if kind in regex:
                assert regex[kind].fullmatch(value), value


def test_injections_hide_inside_real_complaints(city: tuple[Path, CityTruth], texts: dict[str, str]) -> None:
    _, truth = city
    injected = {rid: r for rid, r in truth.records.items() if r.injection}
    assert len(injected) == truth.injection_records == 3
    for rid, rec in injected.items():
        assert rec.kind is not RecordKind.meeting_note
        assert rec.injection_text and rec.injection_text in texts[rid]
        assert rec.themes and Sentiment.negative in rec.concern_sentiments.values()
        assert texts[rid].strip() != rec.injection_text
    others = [t for rid, t in texts.items() if rid not in injected]
    assert not any("instructions" in t.lower() for t in others)


# ---------------------------------------------------------------------------------------------------------
# Planted stories and variety.
# ---------------------------------------------------------------------------------------------------------


def top_theme(counts: dict[str, int] | dict[str, float]) -> str:
    best = max(counts.values())
    leaders = [t for t, c in counts.items() if c == best]
    assert len(leaders) == 1, counts
    return leaders[0]


def story_checks(truth: CityTruth) -> None:
    m = truth.months
    men = truth.mentions

    def share(d: str, t: str, months: list[str]) -> float:
        return sum(men[d][x][t] for x in months) / sum(truth.records_per_district_month[d][x] for x in months)

    def sentiment_share(d: str, t: str, label: str, months: list[str]) -> float:
        hits = sum(truth.theme_sentiments[d][x][t][label] for x in months)
        return hits / sum(men[d][x][t] for x in months)

    # Lighting dominates District 3 and surges in the last two months.
    assert top_theme(men["District 3"][m[-1]]) == "street_lighting"
    assert top_theme(truth.mentions_total["District 3"]) == "street_lighting"
    lighting = "District 3", "street_lighting"
    assert share(*lighting, m[-2:]) > 1.3 * share(*lighting, m[:-2])
    # Speeding dominates District 5.
    assert top_theme(truth.mentions_total["District 5"]) == "traffic_safety"
    # Response times worsen in District 2 in the last month.
    assert share("District 2", "response_times", m[-1:]) > 1.5 * share("District 2", "response_times", m[:-1])
    assert (sentiment_share("District 2", "response_times", "negative", m[-1:])
            > sentiment_share("District 2", "response_times", "negative", m[:-1]))
    # Graffiti fades in District 1.
    graffiti = "District 1", "vandalism_graffiti"
    assert share(*graffiti, m[:2]) > 2 * share(*graffiti, m[-2:])
    # Youth programs praised in District 4.
    praise = {d: sentiment_share(d, "youth_programs", "positive", m) for d in truth.districts}
    assert praise["District 4"] > 0.7 and top_theme(praise) == "District 4"
    # Parks turn around in District 6.
    half = len(m) // 2
    assert sentiment_share("District 6", "parks_public_spaces", "positive", m[half:]) > 0.5
    assert sentiment_share("District 6", "parks_public_spaces", "positive", m[:half]) < 0.25


def test_planted_stories_are_documented_and_visible(city: tuple[Path, CityTruth]) -> None:
    _, truth = city
    assert {s.district for s in truth.planted} == set(truth.districts)
    for story in truth.planted:
        assert story.theme in truth.themes and story.description and story.months
        assert story.evidence["mentions"] == {m: truth.mentions[story.district][m][story.theme]
                                              for m in truth.months}
    story_checks(truth)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_stories_hold_for_other_seeds(tmp_path: Path, seed: int) -> None:
    # Statistical at this size; 150 seeds at 3,000 records all passed when this was written.
    story_checks(generate_city(tmp_path, seed=seed, records=3000))


def test_naive_keyword_matcher_is_not_perfect(city: tuple[Path, CityTruth], texts: dict[str, str]) -> None:
    _, truth = city
    hits = misses = false_alarms = 0
    for rid, rec in truth.records.items():
        text = texts[rid].lower()
        found = {t for t, kw in NAIVE_KEYWORDS.items() if kw in text}
        hits += len(found & set(rec.themes))
        misses += len(set(rec.themes) - found)
        false_alarms += len(found - set(rec.themes))
    recall = hits / (hits + misses)
    assert 0.2 < recall < 0.8
    assert false_alarms > 0


def test_notes_have_typos_chatter_and_several_concerns(city: tuple[Path, CityTruth],
                                                       texts: dict[str, str]) -> None:
    _, truth = city
    notes = [rid for rid, r in truth.records.items() if r.kind is RecordKind.meeting_note]
    assert Counter(len(truth.records[rid].themes) for rid in notes).keys() == {1, 2, 3, 4}
    assert sum("bakery" in texts[rid] or "cookies" in texts[rid] for rid in notes) > 10
    assert sum("\n- " in texts[rid] for rid in notes) > 10
    assert sum("\n\n" in texts[rid] for rid in notes) > 10
    assert any(word in " ".join(texts[rid] for rid in notes) for word in ("streetlihgts", "nieghbors", "ppl"))


def test_seed_taxonomy_names_the_truth_themes_with_examples_not_from_the_phrase_banks(
        city: tuple[Path, CityTruth]) -> None:
    from samplecity import THEMES
    from synth.synthesis.taxonomy_file import load_seed_file

    out, truth = city
    seeds = load_seed_file(out / "taxonomy.yaml")
    assert [t.id for t in seeds] == list(truth.themes)
    bank = {clause.split("{")[0].strip().lower() for th in THEMES for cs in th.clauses.values() for clause in cs}
    for t in seeds:
        assert len(t.examples) >= 5 and t.description
        assert not any(e.lower().startswith(b) for e in t.examples for b in bank if len(b) > 12), t.id


# ---------------------------------------------------------------------------------------------------------
# Wording: each seed writes its own sentences, and every phrasing says exactly its concern.
# ---------------------------------------------------------------------------------------------------------

# Words that name one theme unambiguously: a phrasing of another theme, or the prose around concerns, must not
# contain them (it would raise a second theme the truth does not list).
THEME_CUES = {
    "street_lighting": ("lamp", "streetlight", "bulb", "lighting"),
    "traffic_safety": ("speed", "crosswalk", "stop sign", "red light", "drivers"),
    "response_times": ("911", "dispatch", "non-emergency", "response"),
    "drug_activity": ("dealing", "dealer", "needle", "syringe", "drug"),
    "vandalism_graffiti": ("graffiti", "tagging", "spray", "mural", "smashed"),
    "homeless_encampments": ("tent", "encampment", "outreach", "shelter beds"),
    "noise": ("music", "quiet", "loud", "bass"),
    "youth_programs": ("after-school", "teen", "summer camp"),
    "police_trust": ("officer", "cops", "trust"),
    "parks_public_spaces": ("playground", "bathrooms", "restrooms", "splash pad", "{park}"),
}


def cues_in(text: str, cues: list[str]) -> list[str]:
    return [c for c in cues if re.search(rf"(?<![a-z]){re.escape(c)}", text.lower())]


def test_every_frame_expansion_says_only_its_theme_and_its_sentiment() -> None:
    from samplecity import THEMES
    from samplecity.grammar import expansions

    checked = 0
    for theme in THEMES:
        others = [cue for tid, cues in THEME_CUES.items() if tid != theme.id for cue in cues]
        for sentiment, frames in theme.frames.items():
            for frame in frames:
                for text in expansions(frame):
                    checked += 1
                    assert not cues_in(text, others), (theme.id, text)
                    assert "[" not in text and "]" not in text, text
                    if sentiment is Sentiment.neutral:
                        assert text.endswith("?"), text  # a question, not a complaint or praise
                    else:
                        assert "?" not in text, text
                    if sentiment is Sentiment.mixed:
                        assert ", but " in text or ", though " in text or ", then " in text, text
    assert checked > 2000


def test_prose_around_concerns_raises_no_theme() -> None:
    from samplecity.grammar import expansions
    from samplecity.vocabulary import load_data

    prose = load_data("prose.yaml")
    skip = {"misspellings", "abbreviations", "number_words", "injections"}
    cues = [cue for cs in THEME_CUES.values() for cue in cs]
    banks = [v for k, v in prose.items() if k not in skip]
    entries = [e for bank in banks for e in (bank if isinstance(bank, list) else
                                             [x for xs in bank.values() for x in xs])]
    assert len(entries) > 100
    for entry in entries:
        for text in expansions(entry):
            assert not cues_in(text, cues), text


def concern_sentences(out: Path) -> list[str]:
    """Sentences that name a place (nearly all say a concern), geography masked."""
    from samplecity.variety import city_texts, sentences

    return [s for s in sentences(city_texts(out)) if "<g>" in s]


def test_same_seed_rewrites_the_same_city_and_other_seeds_word_it_differently(tmp_path: Path) -> None:
    from samplecity.variety import compare

    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_city(a, records=400, seed=7)
    generate_city(b, records=400, seed=7)
    generate_city(c, records=400, seed=11)
    assert file_bytes(a) == file_bytes(b)
    seven, again, eleven = concern_sentences(a), concern_sentences(b), concern_sentences(c)
    assert compare(seven, again)["shared_share"] == 1.0
    # Before per-seed wording, about half of another seed's concern sentences were word for word the same.
    assert compare(seven, eleven)["shared_share"] < 0.4
