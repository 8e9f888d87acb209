"""The adversarial personal-data corpus: planted names, phones, e-mails (plain and spelled out), street addresses,
licence plates, dates of birth, national ids and badge numbers, in many writing styles and fields.

Every value is planted in several carriers (a meeting note, a chat message in lower case, a shouted all-caps
comment, a form field, a letter's sign-off, a CSV-like fragment, a quote, a bullet), chosen deterministically
so that each value meets different carriers and each carrier meets every category. `corpus()` returns
`Planted` records: the text and the strings that must not survive redaction.

    python -m tests.adversarial_pii        # prints the corpus size per category
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Planted:
    category: str
    text: str
    planted: tuple[str, ...]  # as they appear in `text`


# Names: (as written, the part that must go). A title or cue may stay; the name itself must not.
NAMES: list[tuple[str, str]] = [
    ("Jorge Alvarado", "Jorge Alvarado"), ("jorge alvarado", "jorge alvarado"), ("JORGE ALVARADO", "JORGE ALVARADO"),
    ("Mr. jorge alvarado", "jorge alvarado"), ("my neighbour Tom", "Tom"), ("my neighbor tom", "tom"),
    ("Lucía Álvarez", "Lucía Álvarez"), ("Krzysztof Szczepański", "Krzysztof Szczepański"),
    ("Mrs. Szczepańska", "Szczepańska"), ("Zoë Brontë-Hughes", "Zoë Brontë-Hughes"),
    ("Иван Петров", "Иван Петров"), ("王伟", "王伟"), ("محمد علي", "محمد علي"),
    ("Γιώργος Παπαδόπουλος", "Γιώργος Παπαδόπουλος"), ("김민수", "김민수"), ("דוד כהן", "דוד כהן"),
    ("राहुल शर्मा", "राहुल शर्मा"), ("田中 さくら", "田中 さくら"), ("Nguyễn Văn An", "Nguyễn Văn An"),
    ("Siobhán O'Sullivan", "Siobhán O'Sullivan"), ("Oluwaseun Adeyemi", "Oluwaseun Adeyemi"),
    ("Priya Raman", "Priya Raman"), ("priya raman", "priya raman"), ("Dr. Amara Okafor", "Amara Okafor"),
    ("Officer Jenkins", "Jenkins"), ("officer jenkins", "jenkins"), ("Sgt. Maria Delgado", "Maria Delgado"),
    ("Det. Kowalski", "Kowalski"), ("Deputy Ruiz", "Ruiz"), ("Lt. Haruto Sato", "Haruto Sato"),
    ("Ms. Fatima Haddad", "Fatima Haddad"), ("ms. haddad", "haddad"), ("Pastor James Whitfield", "James Whitfield"),
    ("Mark Brown", "Mark Brown"), ("Grace Hall", "Grace Hall"), ("Will Parker", "Will Parker"),
    ("Dmitri Volkov", "Dmitri Volkov"), ("Ingrid Lindqvist", "Ingrid Lindqvist"), ("Mei-Ling Zhao", "Mei-Ling Zhao"),
    ("Aisha Bello", "Aisha Bello"), ("José Martínez", "José Martínez"), ("jose martinez", "jose martinez"),
    ("Tyrone Jefferson", "Tyrone Jefferson"), ("Keisha Williams", "Keisha Williams"), ("Sean O'Brien", "Sean O'Brien"),
    ("Ahmed Hassan", "Ahmed Hassan"), ("Olga Petrova", "Olga Petrova"), ("Wei Zhang", "Wei Zhang"),
    ("Rosa Delgado", "Rosa Delgado"), ("rosa", "rosa"), ("Linda", "Linda"), ("lucy", "lucy"),
    ("Bartholomew Nkemelu", "Bartholomew Nkemelu"), ("Thanh Nguyen", "Thanh Nguyen"),
    ("Ana-María Quispe", "Ana-María Quispe"),
    ("Kwame Mensah", "Kwame Mensah"), ("Björn Andersson", "Björn Andersson"), ("François Lefèvre", "François Lefèvre"),
    ("Chief Reyes", "Reyes"), ("Capt. O'Neill", "O'Neill"), ("Councilmember Brooks", "Brooks"),
    ("resident Samuel Okafor", "Samuel Okafor"), ("my son Daniel", "Daniel"), ("my wife, Elena", "Elena"),
]
NAME_CARRIERS = [
    "{x} said the streetlight on Elm St has been out for three weeks.",
    "i talked to {x} after the meeting and she thinks the alley needs cameras",
    "Spoke with {x} about speeding near the school; about 40 people attended.",
    "Complainant: {x}\nDistrict: 3\nConcern: noise after midnight",
    "Thanks for listening.\nRegards,\n{x}",
    "record 17; reporter={x}; district=North; topic=parking",
    "\"It is not safe after dark,\" {x} told the group.",
    "- {x}: wants speed humps on Maple Dr",
    "me and {x} walked home past the park and the lights were all out",
    "The caller ({x}) asked for a follow-up on the dumping behind the store.",
    "Please pass this on to {x}, who runs the block club.",
    "According to {x}, the corner store sells to minors.",
]

PHONES = ["+44 20 7946 0958", "(555) 123-4567", "555-0199", "07700 900123", "+1 (212) 555-0143", "555 201 3344",
          "+33 1 23 45 67 89", "020 7946 0958", "+49 30 1234567", "+91 98765 43210", "5552013344", "555.867.5309",
          "1-800-555-0199", "+61 2 9876 5432", "0161 496 0000", "555.0147", "+52 55 1234 5678", "(02) 9876 5432",
          "+353 1 234 5678", "01632 960001", "+1-555-201-7788", "555 0162"]
PHONE_CARRIERS = [
    "Call me back at {x} about the abandoned car.",
    "my number is {x} if anyone sees the van again",
    "Phone: {x}\nBest time: evenings",
    "Text {x} to join the neighbourhood watch group.",
    "CALL {x} NOW, THE HYDRANT IS LEAKING",
    "She left her cell, {x}, with the desk sergeant.",
]

EMAILS = ["jane.doe@gmail.com", "kwilliams77@yahoo.com", "t_b@city.gov", "m.szczepanski+pd@outlook.co.uk",
          "jane dot doe at gmail dot com", "jane [dot] doe [at] gmail [dot] com", "jdoe(at)example(dot)org",
          "jorge.alvarado AT hotmail DOT com", "tom {at} proton {dot} me", "lucy at yahoo dot com",
          "j.doe at gmail.com", "priya_r [at] mail [dot] org", "sam dot ortiz at city dot gov",
          "anna (at) posteo (dot) de", "neighbour.watch at riverside dot org dot uk"]
EMAIL_CARRIERS = [
    "Email me at {x} with the minutes.",
    "you can reach me: {x}",
    "Contact: {x}",
    "WRITE TO {x} IF YOU SAW ANYTHING",
    "Send photos of the dumping to {x} please.",
]

ADDRESSES = ["12 Oak St", "1400 Martin Luther King Blvd", "221B Baker Street", "4 Privet Drive", "55 Elm St Apt 4",
             "2337 Washington St", "640 Linden Ave", "88 Cedar Rd", "17 Ash Ct", "1200 N. Main Street",
             "12 oak st", "301 Riverside Dr", "9 Quarry Ln", "1450 Highland Blvd", "76 Church Road",
             "3 Mill Lane", "410 W 23rd St", "5021 Old Mill Pkwy", "19 Rue de la Paix", "7 Kings Way"]
ADDRESS_CARRIERS = [
    "Someone broke into the car parked at {x} last night.",
    "i live at {x} and the noise goes on till 3am",
    "Address: {x}\nIssue: overgrown lot",
    "THE HOUSE AT {x} HAS BEEN EMPTY FOR MONTHS",
]

PLATES = ["ABC-1234", "7XYZ123", "AB12 CDE", "KJR 442", "8KJR442", "XYZ 789", "LMN4521", "GH57 TYU", "abc-1234",
          "JHX-2291", "5TRB901", "YT19 WKP"]
PLATE_CARRIERS = [
    "A grey van, plate {x}, parks on the sidewalk every night.",
    "the car with licence plate {x} keeps racing down Main St",
    "Silver sedan {x} was seen leaving the lot at 2 am.",
]

DOBS = ["DOB 03/04/1985", "born on 4 March 1985", "date of birth: 1985-03-04", "d.o.b. 12.11.1979",
        "born March 4, 1985", "birthday is 14th of July 1990", "DOB: 7/9/62", "Date of Birth 21 Dec 2001",
        "born 02-28-1977", "b. 1 Jan 1950"]
DOB_VALUES = ["03/04/1985", "4 March 1985", "1985-03-04", "12.11.1979", "March 4, 1985", "14th of July 1990",
              "7/9/62", "21 Dec 2001", "02-28-1977", "1 Jan 1950"]
DOB_CARRIERS = [
    "The missing teen, {x}, was last seen near the library.",
    "victim info: {x}, lives in District 4",
    "Reporting party ({x}) asked for a call back.",
]

IDS = ["123-45-6789", "SSN 078 05 1121", "social security number 219-09-9999", "NI number QQ 12 34 56 C",
       "AB123456C", "SSN: 536-22-4817", "passport number 533380006", "ID number 7781-2290-33"]
ID_VALUES = ["123-45-6789", "078 05 1121", "219-09-9999", "QQ 12 34 56 C", "AB123456C", "536-22-4817", "533380006",
             "7781-2290-33"]
ID_CARRIERS = [
    "Caller gave {x} to confirm identity.",
    "his {x} was on the form, please remove it",
    "FORM FIELD: {x}",
    "For the record, {x}.",
]

BADGES = ["badge 4471", "Officer #5521", "badge number 0193", "shield #2231", "Ofc. #883", "Sgt. no. 4102",
          "badge #76", "officer 33817", "Deputy #4410", "badge no. 12345"]
BADGE_VALUES = ["4471", "5521", "0193", "2231", "883", "4102", "76", "33817", "4410", "12345"]
BADGE_CARRIERS = [
    "The officer, {x}, was rude to my son.",
    "{x} took the report and never called back",
    "Complaint against {x} filed at the front desk.",
]


# A second set, written after the redactor was tuned on the one above and measured before any fix to it:
# new values and new carriers, so that its recall says how the redactor does on what it was not fitted to.
HOLDOUT_NAMES: list[tuple[str, str]] = [
    ("Magdalena Wiśniewska", "Magdalena Wiśniewska"), ("magdalena wisniewska", "magdalena wisniewska"),
    ("Sra. Carmen Ortega", "Carmen Ortega"), ("Mx. Robin Achterberg", "Robin Achterberg"),
    ("Tariq Mahmood", "Tariq Mahmood"), ("TARIQ MAHMOOD", "TARIQ MAHMOOD"), ("Chidi Okonkwo", "Chidi Okonkwo"),
    ("Александра Смирнова", "Александра Смирнова"), ("李娜", "李娜"), ("Νίκος Γεωργίου", "Νίκος Γεωργίου"),
    ("Sgt. hernandez", "hernandez"), ("officer PATEL", "PATEL"), ("my cousin Bilal", "Bilal"),
    ("Hannah Schmidt", "Hannah Schmidt"), ("Kevin O'Donnell", "Kevin O'Donnell"), ("Yuki Tanaka", "Yuki Tanaka"),
    ("Esperanza Villalobos", "Esperanza Villalobos"), ("esperanza", "esperanza"), ("Bernard", "Bernard"),
    ("Det. Sgt. Aoife Byrne", "Aoife Byrne"), ("Trooper McKenzie", "McKenzie"), ("Ngozi Eze", "Ngozi Eze"),
]
HOLDOUT_NAME_CARRIERS = [
    "Last week {x} saw two men trying car doors on Birch Ave.",
    "anyway {x} thinks the council doesnt care about our street",
    "Attendee list: {x}, plus 12 others from District 5.",
    "We want {x} to know the cameras are still not working.",
]
HOLDOUT_CONTACTS: list[tuple[str, str]] = [
    ("phone", "+81 3 1234 5678"), ("phone", "(312) 555-0187"), ("phone", "555-0134"), ("phone", "07911 123456"),
    ("phone", "+27 21 555 0199"), ("phone", "415.555.0110"),
    ("email", "r.achterberg@web.de"), ("email", "tariq dot mahmood at outlook dot com"),
    ("email", "chidi[at]okonkwo[dot]ng"), ("email", "ESPERANZA AT GMAIL DOT COM"),
    ("address", "742 Evergreen Terrace"), ("address", "31 Spooner St"), ("address", "1600 Pennsylvania Ave NW"),
    ("address", "8 Calle Mayor"), ("plate", "plate KLM-5512"), ("plate", "tag 4ABC321"), ("plate", "reg BD51 SMR"),
    ("dob", "DOB 11/22/1990"), ("dob", "born 30 June 1988"), ("dob", "date of birth 1979-01-15"),
    ("id_number", "987-65-4320"), ("id_number", "SSN 321 54 9876"), ("id_number", "NI number AB 12 34 56 D"),
    ("badge", "badge 8812"), ("badge", "Officer #3390"), ("badge", "shield number 17"),
]
HOLDOUT_CONTACT_CARRIERS = [
    "Neighbour says {x} belongs to the man who keeps dumping tyres.",
    "pls remove {x} from the notes before you share them",
    "Note for file - {x} - follow up Tuesday",
]
_PLANTED_PART = re.compile(r"^(?:(?:plate|tag|reg|DOB|born|date of birth|SSN|NI number|badge|shield number)\s+|"
                           r"Officer )", re.IGNORECASE)


def _styled(carrier: str, value: str, planted: str) -> tuple[str, str]:
    """The carrier with the value in it; an all-caps carrier shouts the value too."""
    if carrier.replace("{x}", "").isupper():
        return carrier.replace("{x}", value.upper()), planted.upper()
    return carrier.replace("{x}", value), planted


def _spread(category: str, values: list[tuple[str, str]], carriers: list[str], per_value: int) -> list[Planted]:
    """Each value in `per_value` carriers, walking the carriers with a stride so neighbours differ."""
    records = []
    for i, (value, planted) in enumerate(values):
        for j in range(per_value):
            carrier = carriers[(i * 5 + j * 7) % len(carriers)]
            text, shown = _styled(carrier, value, planted)
            records.append(Planted(category, text, (shown,)))
    return records


def corpus() -> list[Planted]:
    return [
        *_spread("name", NAMES, NAME_CARRIERS, 2),
        *_spread("phone", [(p, p) for p in PHONES], PHONE_CARRIERS, 2),
        *_spread("email", [(e, e) for e in EMAILS], EMAIL_CARRIERS, 3),
        *_spread("address", [(a, a) for a in ADDRESSES], ADDRESS_CARRIERS, 2),
        *_spread("plate", [(p, p) for p in PLATES], PLATE_CARRIERS, 3),
        *_spread("dob", list(zip(DOBS, DOB_VALUES, strict=True)), DOB_CARRIERS, 3),
        *_spread("id_number", list(zip(IDS, ID_VALUES, strict=True)), ID_CARRIERS, 4),
        *_spread("badge", list(zip(BADGES, BADGE_VALUES, strict=True)), BADGE_CARRIERS, 3),
    ]


def holdout() -> list[Planted]:
    names = _spread("name", HOLDOUT_NAMES, HOLDOUT_NAME_CARRIERS, 2)
    contacts = []
    for i, (category, value) in enumerate(HOLDOUT_CONTACTS):
        for j in range(2):
            carrier = HOLDOUT_CONTACT_CARRIERS[(i + j) % len(HOLDOUT_CONTACT_CARRIERS)]
            text, shown = _styled(carrier, value, _PLANTED_PART.sub("", value))
            contacts.append(Planted(category, text, (shown,)))
    return names + contacts


def leaks(planted: Planted, redacted: str) -> list[str]:
    """What survives: the planted string itself (any case), each word of a name, or a number of 3+ digits."""
    found = []
    for value in planted.planted:
        parts = [value]
        if planted.category == "name":
            parts += [w for w in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", value) if len(w) > 1]
        else:
            parts += re.findall(r"\d{3,}", value)
        found += [p for p in parts if re.search(rf"(?<![\w]){re.escape(p)}(?![\w])", redacted, re.IGNORECASE)]
    return found


if __name__ == "__main__":
    for label, records in (("tuning", corpus()), ("held-out", holdout())):
        print(f"{label}: {len(records)} planted items:", dict(Counter(r.category for r in records)))
