"""Meeting ids that hold personal data become `mtg_<hash>`; plain ids stay readable."""

from __future__ import annotations

import pytest

from synth.redact import meeting_id_holds_personal_data, pseudonymize_meeting_id


@pytest.mark.parametrize("meeting_id", [
    "home-of-Szczepanski-2026-11-03", "home-of-szczepanski", "HomeOfGarcia", "meeting-at-marias-house",
    "tom-2026", "home-of-smith", "home-of-hall", "home-of-nkemelu", "Okafor-porch-talk", "jane.doe@gmail.com",
    "walk-with-Officer-Reyes",
])
def test_ids_naming_a_person_are_hashed(meeting_id: str) -> None:
    assert meeting_id_holds_personal_data(meeting_id)
    pseudonym = pseudonymize_meeting_id(meeting_id, "salt")
    assert pseudonym.startswith("mtg_") and len(pseudonym) == 14
    assert pseudonym == pseudonymize_meeting_id(meeting_id.upper(), "salt")  # stable across letter case
    assert pseudonym != pseudonymize_meeting_id(meeting_id, "another salt")


@pytest.mark.parametrize("meeting_id", [
    "m-rv-022", "m-ew-105", "district-3-town-hall-2026-11", "north-precinct-2026-10-14", "d3-coffee-with-a-cop",
    "ward-7-budget", "house-meeting-2026", "2026-11-03", "D3_2026_11", "eastside-2026",
])
def test_plain_ids_stay_readable(meeting_id: str) -> None:
    assert not meeting_id_holds_personal_data(meeting_id)
    assert pseudonymize_meeting_id(meeting_id, "salt") == meeting_id


def test_different_ids_get_different_pseudonyms() -> None:
    a = pseudonymize_meeting_id("home-of-Szczepanski-2026-11-03", "salt")
    b = pseudonymize_meeting_id("home-of-Szczepanski-2026-11-10", "salt")
    assert a != b
    assert "zczepanski" not in a.lower()
