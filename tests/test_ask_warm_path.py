"""What a warm `synth ask` loads stays cheap: stop words without scikit-learn, its cache unpickled with the
garbage collector paused (and restored, also when the cache is damaged)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from sqlalchemy import text

from synth.stop_words import ENGLISH_STOP_WORDS


def test_the_parsed_list_is_scikit_learns() -> None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as imported

    assert imported == ENGLISH_STOP_WORDS and len(ENGLISH_STOP_WORDS) > 300


def test_the_question_path_does_not_import_scikit_learn() -> None:
    """`synth ask` imports synth.ask (its parser, figures, themes, retrieval) on every question: no sklearn."""
    code = "import sys, synth.ask, synth.ask.service, synth.ask.themes; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr



def test_the_cache_loads_with_the_collector_paused_and_restores_it(tmp_path: Any) -> None:
    import gc

    from synth.ask.cache import AskCache, AskInputs
    from synth.db import RecordStore

    records = RecordStore(f"sqlite:///{tmp_path / 'synth.db'}")
    cache = AskCache(records)
    seen = _SEEN
    seen.clear()

    class Probe:
        def __reduce__(self) -> tuple[Any, ...]:
            return (_collector_enabled_probe, ())

    cache.save("fp", AskInputs(rows=[Probe()], themes={}, centroids={}, scores={}),  # type: ignore[list-item]
               refreshed=True)
    assert gc.isenabled()
    assert cache.load("fp", need_refreshed=True) is not None
    assert seen == [False] and gc.isenabled()  # paused while unpickling, enabled again after
    cache.save("fp", AskInputs(rows=[], themes={}, centroids={}, scores={}), refreshed=True)
    with records.write_session() as s:  # a damaged cache is rebuilt, and the collector still comes back
        s.execute(text("UPDATE ask_cache SET data = :d"), {"d": b"not a pickle"})
    assert cache.load("fp", need_refreshed=True) is None and gc.isenabled()


_SEEN: list[bool] = []  # what the probe saw while it was unpickled


def _collector_enabled_probe() -> object:
    import gc

    _SEEN.append(gc.isenabled())
    return object()
