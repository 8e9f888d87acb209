"""Word lists about places, titles and civic life, with no heavy imports: the redactor's name recognizers
(through synth/redact/vocabulary.py) and the place masking of theme text (synth/synthesis/concerns.py) share
them, and theming must not load spaCy."""

from __future__ import annotations


def word_set(block: str) -> frozenset[str]:
    return frozenset(block.split())


STREET_SUFFIXES = word_set("""
    st street ave av avenue rd road blvd boulevard dr drive ln lane way ct court pl place ter terrace
    pkwy parkway hwy highway cir circle sq square trl trail loop row plaza aly alley pike expy expressway
    fwy freeway xing crossing path walk""")
# A run of capitalised words ending in one of these names a place ("Grace Lutheran", "Magnolia Lane").
PLACE_NOUNS = STREET_SUFFIXES | word_set("""
    elementary middle high school academy center centre library station hospital clinic university college
    county co stadium mall market apartments homes towers commons village heights estates cathedral temple
    mosque synagogue chapel church lutheran baptist methodist catholic presbyterian episcopal recreation""")
# A person-tagged span right before one of these is a park's name ("Founders Park"); "June Park" is not.
PARK_NOUNS = word_set("park parks green gardens garden field fields playground pool trail woods")
TITLE_ABBREVIATIONS = word_set("ofc sgt det lt capt cpl cmdr insp mr mrs ms mx dr rev pc pcso cllr")
TITLES = TITLE_ABBREVIATIONS | word_set("""
    officer sergeant detective lieutenant captain corporal chief deputy commander trooper inspector sheriff
    miss mayor councilmember councilman councilwoman councilor councillor alderman alderwoman commissioner
    pastor reverend nurse resident neighbor neighbour caller complainant doctor psychologist psychiatrist
    therapist counsellor counselor physio paramedic midwife
    wife husband son daughter mother father brother sister friend partner grandson granddaughter grandmother
    grandfather aunt uncle cousin boyfriend girlfriend roommate""")
CIVIC = PLACE_NOUNS | word_set("""
    district ward precinct beat sector zone city town state council hall police department dept public
    works safety transit transportation parks rec community meeting forum housing authority services
    service water utilities sanitation fire emergency health board committee commission association
    neighborhood neighbourhood watch program plan budget downtown uptown midtown north south east west
    northeast northwest southeast southwest n s e w ne nw se sw bridge river creek lake metro bus route rte
    line airport jail unit division bureau task force team patrol traffic parking code enforcement office
    dispatch dispatcher security staff night out national
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat
    january february march july september october november december jan feb mar apr jun jul aug sep sept
    oct nov dec christmas thanksgiving halloween easter juneteenth memorial labor independence
    english spanish american covid internet wifi facebook nextdoor instagram twitter google zoom""")
