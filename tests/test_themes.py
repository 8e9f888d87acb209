"""Theme discovery and concern splitting: pure functions on synthetic vectors and sentences."""

from __future__ import annotations

import numpy as np
import pytest

from synth.errors import TaxonomyError
from synth.synthesis.concerns import split_concerns, strip_attribution, theme_text
from synth.synthesis.models import OTHER_THEME
from synth.synthesis.themes import DiscoveryConfig, assign, discover, keywords_by_group, merge, split

WORDS = {0: "lamp dark light", 1: "speed car crosswalk", 2: "tent camp sidewalk"}


def blobs(seed: int, n: int = 60, spread: float = 0.15) -> tuple[np.ndarray, list[str], list[int]]:
    """Three well-separated topics in 32 dimensions, with texts carrying each topic's words."""
    rng = np.random.default_rng(seed)
    centers = np.eye(32)[:3] * 3
    labels = [i % 3 for i in range(n * 3)]
    x = np.stack([centers[k] + rng.normal(0, spread, 32) for k in labels])
    return x.astype(np.float32), [f"{WORDS[k]} on the block {i}" for i, k in enumerate(labels)], labels


def test_discovers_the_topics_with_keyword_labels() -> None:
    x, texts, labels = blobs(1)
    state = discover(x, texts, cfg=DiscoveryConfig(seed=0))
    assert len(state.themes) == 3
    assigned, _ = assign(x, state)
    # every topic maps to exactly one theme and back
    pairs = {(lab, a) for lab, a in zip(labels, assigned, strict=True)}
    assert len(pairs) == 3 and len({a for _, a in pairs}) == 3
    assert {tuple(sorted(t.keywords[:3])) for t in state.themes.values()} == {
        tuple(sorted(w.split())) for w in WORDS.values()}


def test_ids_survive_rediscovery_on_new_data() -> None:
    x, texts, _ = blobs(1)
    first = discover(x, texts, cfg=DiscoveryConfig(seed=0))
    x2, texts2, _ = blobs(2, n=80)
    second = discover(x2, texts2, first, cfg=DiscoveryConfig(seed=5))
    assert set(second.themes) == set(first.themes)


def test_far_spans_go_to_other() -> None:
    x, texts, _ = blobs(1)
    state = discover(x, texts)
    stray = np.zeros((1, 32), dtype=np.float32)
    stray[0, 20] = 1.0
    assert assign(stray, state)[0] == [OTHER_THEME]


def test_merge_and_split() -> None:
    x, texts, labels = blobs(1)
    state = discover(x, texts)
    assigned, _ = assign(x, state)
    by_theme = {t: x[[a == t for a in assigned]] for t in state.themes}
    a, b, c = sorted(state.themes)
    merge(state, [b], into=a, vectors_by_theme=by_theme)
    assert set(state.themes) == {a, c} and state.themes[a].source == "edited"
    merged_vectors = np.concatenate([by_theme[a], by_theme[b]])
    merged_texts = [t for t, s in zip(texts, assigned, strict=True) if s in (a, b)]
    new_ids = split(state, a, merged_vectors, merged_texts, parts=2)
    assert len(new_ids) == 2 and a not in state.themes and len(state.themes) == 3
    with pytest.raises(TaxonomyError, match="cannot split"):
        split(state, c, by_theme[c][:1], ["x"], parts=2)


def test_keywords_are_distinctive() -> None:
    kws = keywords_by_group(["dark lamp street", "dark lamp again", "fast cars street", "fast cars again"],
                            ["a", "a", "b", "b"])
    assert set(kws["a"][:2]) == {"dark", "lamp"} and set(kws["b"][:2]) == {"fast", "cars"}


def test_split_concerns_keeps_abbreviations_and_drops_fragments() -> None:
    text = ("Five neighbors came. Sgt. Bell said cars speed on Court St. We started late! "
            "Lights out on 5th Ave. near the park? Ok.")
    assert split_concerns(text) == ["Five neighbors came.", "Sgt. Bell said cars speed on Court St.",
                                    "We started late!", "Lights out on 5th Ave. near the park?"]


def test_attribution_and_places_are_removed_for_theming_only() -> None:
    assert strip_attribution("An older gentleman said that the lamps on Birch are out.") == \
        "the lamps on Birch are out."
    assert strip_attribution("He said hi.") == "He said hi."  # too short once stripped: keep it whole
    assert theme_text("A neighbor mentioned the mural at the Old Town Library got tagged.") == \
        "the mural at the library got tagged."  # the kind of place stays: parks are a theme, libraries might be
    assert theme_text("Sycamore Park looks beautiful these days!") == "the park looks beautiful these days!"
    assert theme_text("Linden Ave is dark once the sun goes down.") == "the street is dark once the sun goes down."
    assert theme_text("Response times on Birch are slow.") == "Response times on the place are slow."
    assert theme_text("Hello, The dealing moved to Ash Ct.") == "The dealing moved to the street."
    # titles, months, services and who residents are say what a span is about: they are not places
    assert theme_text("There were shots on Lowell on Oct 5 and the Sgt never called back.") == \
        "There were shots on the place on Oct 5 and the Sgt never called back."
    assert theme_text("The Captain wants Public Works to post it on Nextdoor.") == \
        "The Captain wants Public Works to post it on Nextdoor."
    assert theme_text("Some older Black residents hesitate to call.") == "Some older Black residents hesitate to call."
    quoted = 'The dispatcher said "someone will be out soon" and no one came.'
    assert strip_attribution(quoted) == quoted  # the speaker is the topic of a quotation


def test_split_concerns_handles_inline_bullets_and_lower_case_starts() -> None:
    assert split_concerns("Folks are using behind the store on Aspen Ct. - One attendee brought her puppy. "
                          "i've lived here for years. the planters were smashed") == [
        "Folks are using behind the store on Aspen Ct.", "One attendee brought her puppy.",
        "i've lived here for years.", "the planters were smashed"]


def test_a_street_abbreviation_ends_a_sentence_unless_the_next_word_carries_it_on() -> None:
    # typed without capitals: "st." then a new sentence ("there are ...") splits; "st. every night" does not
    assert split_concerns("someone keeps tagging the walls along canal st. there are loud parties on elm st. "
                          "every night") == ["someone keeps tagging the walls along canal st.",
                                             "there are loud parties on elm st. every night"]
    # "the St. Anne's hall" is a saint, not a street; "Elm St. are out" goes on
    assert split_concerns("Turnout at the St. Anne's parish hall: 8 people. Lights on Elm St. are out.") == [
        "Turnout at the St. Anne's parish hall: 8 people.", "Lights on Elm St. are out."]


def test_an_unnamed_merged_group_is_tried_again_as_its_segments() -> None:
    """Two topics merged into one group share no name that most of it holds; each segment alone does."""
    from synth.synthesis.labels import named_groups
    from synth.synthesis.themes import _named_or_finer

    texts = ([f"The bus route {n} should run later at night." for n in range(6)]
             + [f"The dog park {n} needs a water fountain." for n in range(6)]
             + [f"Unrelated remark number {n} about nothing much." for n in range(3)])
    vectors = np.eye(15, 4, dtype=np.float32)[[0] * 6 + [1] * 6 + [2] * 3]
    seg = np.array([0] * 6 + [1] * 6 + [2] * 3)
    groups = np.array([0] * 12 + [1] * 3)  # the bus and dog segments merged into group 0
    found = {0: np.ones(4, dtype=np.float32) / 2}
    named = named_groups(texts, ["0"] * 12 + ["other"] * 3)
    strict = DiscoveryConfig(emerging_name_share=0.6)  # no phrase is held by 60% of the merged group
    assert named["0"].share < 0.6
    finer, centres, names = _named_or_finer(vectors, texts, seg, groups, found, named, 5, strict)
    kept = {names[str(g)].phrase for g in centres}
    assert kept == {"bus route", "dog park"}
    assert len({int(g) for g in finer[:6]}) == 1 and int(finer[0]) != int(finer[6]) and int(finer[0]) in centres
    assert all(int(g) not in centres for g in finer[12:])  # the three unrelated remarks stay unthemed
