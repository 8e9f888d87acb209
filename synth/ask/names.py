"""The census name lists the named-person check reads (synth/ask/parse.py), without importing the redactor.

Building them imports synth/redact (presidio, spaCy) and reads the census files: about a second for every
`synth ask` process. They are static (the `names` package's files and the hand-written word lists), so
`Asker.from_services` keeps them in the user's cache directory ($XDG_CACHE_HOME/synth, else ~/.cache/synth;
not the data directory, which holds no name list), keyed by the code's stamp and the `names` package's
version, and hands them to the parser.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path

from synth.words import fold  # noqa: F401  (re-exported for callers that fold with the name lists)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NameLists:
    given: frozenset[str]  # popular given names that are no everyday noun
    family: dict[str, int]  # surname -> rank
    plain: frozenset[str]  # plain and civic words a surname may not be
    nouns: frozenset[str]  # given names that are also everyday nouns ("bill", "rose")


@functools.cache
def build_name_lists() -> NameLists:
    from synth.redact.gazetteer import NOUN_NAMES, popular_given_names, surnames
    from synth.redact.vocabulary import CIVIC, KNOWN_WORDS, STOP

    return NameLists(popular_given_names() - NOUN_NAMES, surnames(), frozenset(CIVIC | KNOWN_WORDS | STOP),
                     NOUN_NAMES)


def cached_name_lists() -> NameLists:
    """The name lists from the user's cache directory, built and stored there when missing or stale."""
    from synth.ask.cache import code_stamp

    stamp = hashlib.sha256(f"{names_version()}|{code_stamp()}".encode()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "synth"
    path = base / f"ask-names-{stamp}.pickle"
    try:
        names = pickle.loads(path.read_bytes())  # written below by this same code (the stamp names it)
        if isinstance(names, NameLists):
            return names
    except FileNotFoundError:
        pass
    except Exception as e:  # noqa: BLE001 - rebuilt below
        log.warning("name lists at %s unreadable (%s): rebuilding them", path, e)
    names = build_name_lists()
    try:
        base.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=base, delete=False) as f:
            f.write(pickle.dumps(names, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(f.name, path)
    except OSError as e:  # a read-only home: built per process, as before
        log.info("name lists not cached (%s)", e)
    return names


def names_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("names")
    except PackageNotFoundError:
        return "unknown"
