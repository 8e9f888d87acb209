"""Redaction with the real spaCy model and presidio: names, phones, e-mails and street addresses go; the facts
the service counts (districts, street names, 911, times, counts) stay."""

from __future__ import annotations

import re

import pytest

from synth.errors import ConfigError
from synth.redact import (
    Lexicon,
    NamePrefilter,
    PresidioRedactor,
    Redacted,
    RegexRedactor,
    build_redactor,
    load_ner,
)

# 50 records with planted personal data: (text, planted strings). Names are also checked word by word.
PLANTED: list[tuple[str, list[str]]] = [
    ("Maria Gonzalez called about the broken streetlight on Elm St; call her back at 555-201-3344.",
     ["Maria Gonzalez", "555-201-3344"]),
    ("Officer Dana Reyes said patrols on 5th Ave would double after the District 3 meeting.", ["Dana Reyes"]),
    ("Sgt. Miller promised to follow up with the 40 residents who signed the petition.", ["Miller"]),
    ("Resident Keisha Williams lives at 412 Oak Ave and reported two car break-ins this month.",
     ["Keisha Williams", "412 Oak Ave"]),
    ("Email from tom.becker@example.org: the crosswalk at Main St and 3rd is dangerous at 7:30 am.",
     ["tom.becker@example.org"]),
    ("Priya Raman asked whether the 911 response times in District 5 are published.", ["Priya Raman"]),
    ("My name is Ahmed Hassan and I live at 1200 N. Main Street, apartment 3B.",
     ["Ahmed Hassan", "1200 N. Main Street"]),
    ("Mrs. Chen said the noise from the bar starts around 11 pm every Friday.", ["Chen"]),
    ("Please call me at (555) 310-4477 about the abandoned car near Lincoln Park.", ["310-4477"]),
    ("Lt. Okafor explained that the new beat map takes effect on June 5.", ["Okafor"]),
    ("Detective Sam Ortiz took my report about the package thefts on Pine Rd.", ["Sam Ortiz"]),
    ("Text 555.201.7788 if you see the van again, said Linda Chu from the block club.",
     ["555.201.7788", "Linda Chu"]),
    ("Thanks to Officer Kim for stopping by; my neighbor Rosa Delgado at 55 Elm St Apt 4 was grateful.",
     ["Kim", "Rosa Delgado", "55 Elm St Apt 4"]),
    ("Siobhan O'Connor wrote in to say the playground lights have been out since March.",
     ["Siobhan O'Connor"]),
    ("Reach Daniel Whitfield at +1 555 201 3344 or daniel.w@gmail.com for the neighborhood watch schedule.",
     ["Daniel Whitfield", "555 201 3344", "daniel.w@gmail.com"]),
    ("José Martínez said drivers run the stop sign at Maple Dr and 2nd St every morning.", ["José Martínez"]),
    ("Captain Ward told the meeting that 12 officers are assigned to District 2.", ["Ward"]),
    ("Neighbors said Mark Thompson has been feeding the stray cats on Walnut St.", ["Mark Thompson"]),
    ("Grace Liu volunteered to organize the cleanup on Saturday.", ["Grace Liu"]),
    ("Officer Hall and Sgt. West attended; about 25 people came.", ["Hall", "West"]),
    ("I talked to Deputy Chief Alvarez about the speeding on Cesar Chavez Ave.", ["Alvarez"]),
    ("Call Dana at 555-987-6543 to get on the volunteer list.", ["Dana", "555-987-6543"]),
    ("Oluwaseun Adeyemi reported that the bus shelter on Broadway was vandalized again.",
     ["Oluwaseun Adeyemi"]),
    ("The resident at 2337 Washington St, Mr. Patel, says the alley light has been out for weeks.",
     ["2337 Washington St", "Patel"]),
    ("Nguyen Thi Lan came with her son and asked about youth programs at the rec center.",
     ["Nguyen Thi Lan"]),
    ("Write to kwilliams77@yahoo.com with any photos of the illegal dumping.", ["kwilliams77@yahoo.com"]),
    ("Dmitri Volkov, who lives on Oak Ave, counted 14 speeding cars in ten minutes.", ["Dmitri Volkov"]),
    ("According to Ms. Rivera, the corner store has sold to minors twice this month.", ["Rivera"]),
    ("Tom said the fireworks went on past midnight on July 4.", ["Tom"]),
    ("Aisha asked if the city could add a crossing guard near Roosevelt High.", ["Aisha"]),
    ("Officer Jenna Kowalski gave out her cell, 555 433 2211, at the meeting.",
     ["Jenna Kowalski", "555 433 2211"]),
    ("Please forward the minutes to maria.gonzalez@outlook.com and copy Councilmember Brooks.",
     ["maria.gonzalez@outlook.com", "Brooks"]),
    ("Rachel Kim from the tenants' association said rents went up 20% in District 4.", ["Rachel Kim"]),
    ("A caller, Hector Moreno, said someone is living in the vacant house at 88 Cedar Rd.",
     ["Hector Moreno", "88 Cedar Rd"]),
    ("Sgt. Elena Vasquez will host the next coffee with a cop at 9 am on Tuesday.", ["Elena Vasquez"]),
    ("I'm Wei Zhang; my car was broken into outside 640 Linden Ave last night.",
     ["Wei Zhang", "640 Linden Ave"]),
    ("Mei-Ling Zhao and her husband asked for more lighting on the path behind the library.",
     ["Mei-Ling Zhao"]),
    ("The officer who responded, Officer Luis Ortega, was respectful and quick.", ["Luis Ortega"]),
    ("Gregory Doyle says his number, 5552013399, was never called back by dispatch.",
     ["Gregory Doyle", "5552013399"]),
    ("Fatima Haddad thanked Officer Ben Carver for finding her stolen bike.",
     ["Fatima Haddad", "Ben Carver"]),
    ("Contact the organizer, Patrick Brennan, at pbrennan@comcast.net.",
     ["Patrick Brennan", "pbrennan@comcast.net"]),
    ("Will Turner wants speed humps on Elm St before school starts in August.", ["Will Turner"]),
    ("At the District 6 meeting, Ingrid Lindqvist said the 300 block of River Rd floods.",
     ["Ingrid Lindqvist"]),
    ("Omar Rahman and Susan Albright both live on Quarry Ln and want a four-way stop.",
     ["Omar Rahman", "Susan Albright"]),
    ("Thanks for listening.\nRegards,\nCarlos Delgado\n1450 Highland Blvd",
     ["Carlos Delgado", "1450 Highland Blvd"]),
    ("Officer Trevor McAllister's bike patrol was praised by 9 of the 11 attendees.", ["Trevor McAllister"]),
    ("My neighbor Olga Petrova at 17 Ash Ct keeps a camera pointed at the alley.",
     ["Olga Petrova", "17 Ash Ct"]),
    ("Samuel Okafor (555-210-9087) offered his driveway camera footage to detectives.",
     ["Samuel Okafor", "555-210-9087"]),
    ("Thank you Officer Simone Dubois for coming to the block party on 5th Ave!", ["Simone Dubois"]),
    ("Resident Tyrone Jefferson said the 7:30 pm meeting time is hard for shift workers.",
     ["Tyrone Jefferson"]),
]


@pytest.fixture(scope="module")
def presidio() -> PresidioRedactor:
    return PresidioRedactor()


def redact(redactor: PresidioRedactor | RegexRedactor, text: str) -> Redacted:
    (result,) = redactor.redact_batch([text])
    return result


def _is_name(planted: str) -> bool:
    return not any(c.isdigit() or c == "@" for c in planted)


def test_planted_set_has_50_records() -> None:
    assert len(PLANTED) == 50


def test_no_planted_string_leaks(presidio: PresidioRedactor) -> None:
    results = presidio.redact_batch([text for text, _ in PLANTED])
    leaks = []
    for (_, planted), result in zip(PLANTED, results, strict=True):
        for value in planted:
            words = value.split() if _is_name(value) else [value]
            leaks += [(value, w, result.text) for w in [value, *words]
                      if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", result.text)]
    assert not leaks


@pytest.mark.parametrize(("text", "name"), [
    ("Maria Gonzalez called about the potholes on Elm St.", "Maria Gonzalez"),
    ("Officer Dana Reyes said the patrols would increase.", "Dana Reyes"),
    ("Sgt. Miller promised a follow-up at the next meeting.", "Miller"),
    ("A resident, Maria, said the lights are out again.", "Maria"),
    ("Resident Maria said the noise starts at 11 pm.", "Maria"),
    ("Mrs. Chen reported that the alley is dark.", "Chen"),
])
def test_names_are_replaced_and_counted(presidio: PresidioRedactor, text: str, name: str) -> None:
    result = redact(presidio, text)
    assert name not in result.text
    assert "[PERSON]" in result.text
    assert result.counts == {"PERSON": 1}


@pytest.mark.parametrize("phone", ["555-201-3344", "(555) 201-3344", "555.201.3344", "+1 555 201 3344",
                                   "1-555-201-3344", "5552013344"])
def test_phone_formats(presidio: PresidioRedactor, phone: str) -> None:
    result = redact(presidio, f"Call me back at {phone} about the dumping.")
    assert result.text == "Call me back at [PHONE] about the dumping."
    assert result.counts == {"PHONE_NUMBER": 1}


@pytest.mark.parametrize("email", ["maria.gonzalez@example.org", "kwilliams77@yahoo.com", "t_b@city.gov"])
def test_emails(presidio: PresidioRedactor, email: str) -> None:
    result = redact(presidio, f"Send the minutes to {email} please.")
    assert result.text == "Send the minutes to [EMAIL] please."
    assert result.counts == {"EMAIL_ADDRESS": 1}


@pytest.mark.parametrize("address", ["412 Oak Ave", "1200 N. Main Street", "55 Elm St Apt 4", "200 5th Ave",
                                     "2337 Martin Luther King Jr Blvd", "412 oak ave"])
def test_street_addresses_with_a_house_number(presidio: PresidioRedactor, address: str) -> None:
    result = redact(presidio, f"Someone at {address} asked for a home visit.")
    assert result.text == "Someone at [ADDRESS] asked for a home visit."
    assert result.counts == {"STREET_ADDRESS": 1}


@pytest.mark.parametrize("text", [
    "About 40 residents attended the District 3 meeting on Main St at 7:30 pm.",
    "Speeding on 5th Ave and Main St is the top concern; 911 calls went up 12% in District 3.",
    "The 300 block of Elm St has been dark since June; 14 of 22 attendees want more lights.",
    "Traffic on Martin Luther King Jr Blvd and Cesar Chavez Ave backs up between 7:30 and 9 am.",
    "Speeding on Maple Dr. Residents want speed humps near Jefferson Middle School by May 1.",
    "The Resident Advisory Board meets at City Hall on Tuesday, March 3 at 6 pm.",
])
def test_facts_are_kept(presidio: PresidioRedactor, text: str) -> None:
    assert redact(presidio, text) == Redacted(text, {})


def test_facts_next_to_a_redaction_are_kept(presidio: PresidioRedactor) -> None:
    text = "Officer Dana Reyes told 40 residents in District 3 that 911 calls on Main St and 5th Ave peak at 7:30."
    result = redact(presidio, text)
    assert result.text == text.replace("Dana Reyes", "[PERSON]")
    assert result.counts == {"PERSON": 1}


def test_counts_per_entity_type(presidio: PresidioRedactor) -> None:
    text = ("Officer Dana Reyes and Sgt. Miller met Maria Gonzalez (555-201-3344, maria@example.org) at "
            "412 Oak Ave; her sister at 55 Elm St can be reached at (555) 310-4477.")
    result = redact(presidio, text)
    assert result.counts == {"PERSON": 3, "PHONE_NUMBER": 2, "EMAIL_ADDRESS": 1, "STREET_ADDRESS": 2}
    assert result.text.count("[PERSON]") == 3


def test_a_name_found_once_is_replaced_everywhere(presidio: PresidioRedactor) -> None:
    text = ("I saw Natasha at the clinic on Elm St. She listened carefully. "
            "The appointment with Natasha ran over the allotted time.")
    result = redact(presidio, text)
    assert "Natasha" not in result.text
    assert result.counts == {"PERSON": 2}


def test_batch_order_is_preserved(presidio: PresidioRedactor) -> None:
    texts = [f"Note {i}: about {i} residents came." if i % 3 else f"Note {i}: call 555-201-33{i:02d}."
             for i in range(40)]
    results = presidio.redact_batch(texts)
    assert len(results) == len(texts)
    for i, result in enumerate(results):
        assert result.text.startswith(f"Note {i}:")
        assert result.counts == ({} if i % 3 else {"PHONE_NUMBER": 1})


def test_empty_input(presidio: PresidioRedactor) -> None:
    assert presidio.redact_batch([]) == []
    assert presidio.redact_batch(["", "  "]) == [Redacted("", {}), Redacted("  ", {})]


def test_prefilter_sends_every_planted_name_to_the_model() -> None:
    prefilter = NamePrefilter(Lexicon.from_spacy(load_ner()))
    missed = []
    for text, planted in PLANTED:
        ranges = prefilter.candidates(text)
        for name in filter(_is_name, planted):
            start = text.index(name)
            if not any(a <= start < b for a, b in ranges):
                missed.append((name, text))
    assert not missed


def test_prefilter_skips_sentences_without_a_possible_name() -> None:
    prefilter = NamePrefilter(Lexicon.from_spacy(load_ner()))
    text = ("About 40 residents attended the District 3 meeting on Main St. Several neighbors said speeding "
            "on 5th Ave got worse since June. Parents asked for a crossing guard near Jefferson Middle.")
    assert prefilter.candidates(text) == []


def test_regex_redactor_finds_contacts_but_not_names() -> None:
    regex = RegexRedactor()
    text = "Maria Gonzalez at 412 Oak Ave: 555-201-3344, maria@example.org. District 3, Main St, 7:30, 911."
    result = redact(regex, text)
    assert result.text == "Maria Gonzalez at [ADDRESS]: [PHONE], [EMAIL]. District 3, Main St, 7:30, 911."
    assert result.counts == {"STREET_ADDRESS": 1, "PHONE_NUMBER": 1, "EMAIL_ADDRESS": 1}


def test_build_redactor_by_name() -> None:
    assert isinstance(build_redactor("regex"), RegexRedactor)
    assert build_redactor("presidio").name == "presidio"
    with pytest.raises(ConfigError, match="choose one of presidio, regex"):
        build_redactor("scrubadub")


@pytest.mark.parametrize(("text", "expected", "counts"), [
    ("Grey van, plate ABC-1234, parks on the sidewalk.", "Grey van, plate [PLATE], parks on the sidewalk.",
     {"LICENSE_PLATE": 1}),
    ("Silver sedan 7XYZ123 was seen at 2 am.", "Silver sedan [PLATE] was seen at 2 am.", {"LICENSE_PLATE": 1}),
    ("The car AB12 CDE keeps racing.", "The car [PLATE] keeps racing.", {"LICENSE_PLATE": 1}),
    ("Victim DOB 03/04/1985, lives in District 4.", "Victim DOB [DOB], lives in District 4.", {"DATE_OF_BIRTH": 1}),
    ("She was born on 4 March 1985 here.", "She was born on [DOB] here.", {"DATE_OF_BIRTH": 1}),
    ("His SSN 123-45-6789 was on the form.", "His SSN [ID_NUMBER] was on the form.", {"ID_NUMBER": 1}),
    ("NI number QQ 12 34 56 C given.", "NI number [ID_NUMBER] given.", {"ID_NUMBER": 1}),
    ("The officer, badge 4471, was rude.", "The officer, badge [BADGE], was rude.", {"BADGE_NUMBER": 1}),
    ("Officer #5521 took the report.", "Officer #[BADGE] took the report.", {"BADGE_NUMBER": 1}),
    ("Call +44 20 7946 0958 tonight.", "Call [PHONE] tonight.", {"PHONE_NUMBER": 1}),
    ("Call 07700 900123 tonight.", "Call [PHONE] tonight.", {"PHONE_NUMBER": 1}),
    ("Call 555-0199 tonight.", "Call [PHONE] tonight.", {"PHONE_NUMBER": 1}),
    ("Write to jane dot doe at gmail dot com today.", "Write to [EMAIL] today.", {"EMAIL_ADDRESS": 1}),
    ("Write to jane [dot] doe [at] gmail [dot] com today.", "Write to [EMAIL] today.", {"EMAIL_ADDRESS": 1}),
    ("Write to chidi[at]okonkwo[dot]ng today.", "Write to [EMAIL] today.", {"EMAIL_ADDRESS": 1}),
    ("I live at 19 Rue de la Paix now.", "I live at [ADDRESS] now.", {"STREET_ADDRESS": 1}),
    ("THE HOUSE AT 410 W 23RD ST IS EMPTY", "THE HOUSE AT [ADDRESS] IS EMPTY", {"STREET_ADDRESS": 1}),
    ("text me 555 0123 tonight", "text me [PHONE] tonight", {"PHONE_NUMBER": 1}),
    ("reach me at tom-at-gmail-dot-com", "reach me at [EMAIL]", {"EMAIL_ADDRESS": 1}),
    ("Det. #447 and Ofc. Lee #9921 responded", "Det. #[BADGE] and Ofc. [PERSON] #[BADGE] responded",
     {"BADGE_NUMBER": 2, "PERSON": 1}),
])
def test_identifiers(presidio: PresidioRedactor, text: str, expected: str, counts: dict[str, int]) -> None:
    assert redact(presidio, text) == Redacted(expected, counts)


@pytest.mark.parametrize(("text", "names"), [
    ("i talked to Mr. jorge alvarado after the meeting", ["jorge", "alvarado"]),
    ("my neighbour Tom says the alley is dark", ["Tom"]),
    ("me and lucy walked home past the park", ["lucy"]),
    ("JORGE ALVARADO KEEPS PARKING ON THE SIDEWALK", ["JORGE", "ALVARADO"]),
    ("TARIQ MAHMOOD saw two men trying car doors.", ["TARIQ", "MAHMOOD"]),
    ("anyway magdalena wisniewska thinks nobody cares", ["magdalena", "wisniewska"]),
    ("Spoke with priya raman about speeding.", ["priya", "raman"]),
    ("Krzysztof Szczepański reported the dumping.", ["Krzysztof", "Szczepański"]),
    ("Lucía Álvarez said the lights are out.", ["Lucía", "Álvarez"]),
    ("I spoke with Иван Петров and 王伟 about parking.", ["Иван", "Петров", "王伟"]),
    ("\"It is not safe,\" Nguyễn Văn An told the group.", ["Nguyễn", "Văn", "An"]),
    ("Spoke with Grace Hall about speeding.", ["Grace", "Hall"]),
    ("Please pass this on to my wife, Elena, who runs the club.", ["Elena"]),
    ("Complainant: Bartholomew Nkemelu\nDistrict: 3", ["Bartholomew", "Nkemelu"]),
    ("Spoke with Capt. O'Neill about speeding.", ["O'Neill"]),
    ("Meeting hosted by the Okonjo family at the church.", ["Okonjo"]),
    ("Attendees: Ana Lucia, Tomasz Nowak, Precious Adebayo", ["Ana", "Lucia", "Tomasz", "Nowak", "Precious",
                                                             "Adebayo"]),
    ("jenny from next door saw it", ["jenny"]),
    ("Steph, Mum, Ben, Michelle and Vicky are all amazing.", ["Steph", "Ben", "Michelle", "Vicky"]),
    ("Angus Morrison", ["Angus", "Morrison"]),
    ("Everything worked well. Klaudia was very kind.", ["Klaudia"]),
    ("Listened well, took a good history Doctor Pierzchniak.", ["Pierzchniak"]),
    ("Fantastic staff, especially psychologist George. Lots of activities.", ["George"]),
    ("i think his name was bob smith", ["bob", "smith"]),
    ("Thanks to officers Reyes and Dubois", ["Reyes", "Dubois"]),
    ("Signed: K. Oyelaran", ["Oyelaran"]),
    # a frequent surname that is also an English word, in lower case, right after a title
    ("Mrs jones said her son was stopped twice", ["jones"]),
    ("mrs white from the corner shop was there", ["white"]),
    ("Officer smith came by on Tuesday", ["smith"]),
    ("sgt brown promised a follow-up", ["brown"]),
    ("PC Davies and PCSO Hughes came to the flat", ["Davies", "Hughes"]),
    ("Carol from the HOA raised parking again", ["Carol"]),
    ("Father murphy from St. Mary's hosted", ["murphy"]),
])
def test_names_in_any_case_and_script(presidio: PresidioRedactor, text: str, names: list[str]) -> None:
    result = redact(presidio, text)
    assert [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", result.text)] == []
    assert "[PERSON]" in result.text


@pytest.mark.parametrize("text", [
    "Marijuana should be free.",
    "Cars are a fact of life in Bowling Green.",
    "Bowling Green should be free.",
    "Recycling Bins should be emptied weekly.",
    "Legalized Marijuana will assist Bowling Green in earning Tax revenue.",
    "Our city should make a bid for Google Fiber to help compete with Spectrum and AT&T.",
    "BG needs to install traffic cameras that help police intersections like Gallatin, TN.",
    "BG needs to draw Warren Co and surrounding counties downtown.",
    "A robust Angel Investor community would help.",
    "Make Scott Waste follow their contract.",
    "Some roads are not wide enough but they do anyway catherine dr is ridiculous",
    "BG2050 has clearly defined pathways for students.",
    "Raise drivers license from 16 to 18.",
    "I'm registered to vote in San Juan County.",
    "Retention of Cultural Resources in situ should be a priority.",
    "The Old ByPass and Scotsville Road from old ByPass to Natcher Parkway.",
    "Grey van, plate unknown, parks on the sidewalk.",
    "Sorted pads out for my Mum. Thank you",
    "Always polite, Friendly and kind.",
    "Healthcare staff say officers came, officer haven't turned up.",
    "No help to me at all. If YOU arrange a visit, come.",
    "Lovely nurse. Kind, supportive, informative and patient.",
    "More officer presence and officer training, please; the officer field training program helps.",
    "The officer said she would call back, and the officer will.",
    "Someone from the HOA raised parking, and the PTA asked about crossings.",
    "Noise from the bar again; my PC crashed so I emailed.",
])
def test_places_brands_and_capitalised_words_are_not_names(presidio: PresidioRedactor, text: str) -> None:
    assert redact(presidio, text) == Redacted(text, {})


@pytest.mark.parametrize("text", [
    "whoever it was is long goone.",
    "A dad with yong kids said it was fine.",
    "A dad with young kds said it was fine.",
    "One resident siad somebody keyed cars.",
    "The Land Bnak says it will sell the lots.",
    "Law enforcement in Bowling Green and Warren couty needs more officers.",
    "The face of drug dealrs has changed.",
    "Make Scott Wste follow their contract.",
])
def test_misspelt_words_are_not_names(presidio: PresidioRedactor, text: str) -> None:
    assert redact(presidio, text) == Redacted(text, {})


@pytest.mark.parametrize(("text", "names"), [
    ("my neighbour tom said hi", ["tom"]),
    ("I met jorge alvarado at the park", ["jorge", "alvarado"]),
    ("what did maria garcia say", ["maria", "garcia"]),
    ("me and lucy walked hme past the prak", ["lucy"]),
    ("Spoke wiht priya raman abuot speeding.", ["priya", "raman"]),
    ("my neighbour yong says the alley is dark", ["yong"]),
    ("i talked to will barnes yestrday", ["barnes"]),
    ("We want my coussin Bilal to know the cameras are out.", ["Bilal"]),
])
def test_names_survive_typos_around_them(presidio: PresidioRedactor, text: str, names: list[str]) -> None:
    result = redact(presidio, text)
    assert [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", result.text)] == []


def test_a_speech_verb_after_a_cued_name_stays(presidio: PresidioRedactor) -> None:
    assert redact(presidio, "my neighbour tom said hi").text == "my neighbour [PERSON] said hi"


def test_a_window_read_before_is_redacted_as_if_read_now(presidio: PresidioRedactor) -> None:
    """The NER results kept for a window give the same redaction where the window recurs at another offset,
    in a batch with other texts, and the cache keeps digests, not text."""
    tail = "After that we talked and then Natasha Okonkwo said the lights on the corner are out."
    earlier, later = f"Short meeting, lots of noise about the pool. {tail}", f"The pool was loud again tonight. {tail}"
    presidio._window_persons.clear()
    cold = presidio.redact_batch([later])[0]
    presidio._window_persons.clear()
    presidio.redact_batch([earlier])
    kept = dict(presidio._window_persons)
    warm = presidio.redact_batch(["Nothing to report from District 4.", later])[1]
    assert presidio._window_persons == kept  # the window was not read again
    assert warm == cold and "Natasha" not in warm.text and "Okonkwo" not in warm.text
    assert all(isinstance(key, bytes) and len(key) == 16 for key in presidio._window_persons)


@pytest.mark.parametrize("text", ["Badge 4471 was seen", "OFFICER #5521 came", "dob 03/04/1985",
                                  "the Officer, badge no. 12, said", "Sgt. West and my wife Elena"])
def test_triggers_on_lower_cased_text_match_as_before(text: str) -> None:
    from synth.redact.identifiers import CaselessTrigger

    pattern = r"badge|officer|dob|\bsgt|wife"
    trigger = CaselessTrigger(pattern)
    assert trigger.search(text) == (re.search(pattern, text, re.IGNORECASE) is not None)
    assert CaselessTrigger(r"\bsgt", other_texts_match=True).search("Ѕgt. West")  # a Cyrillic letter: runs
