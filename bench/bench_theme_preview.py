"""How long the theme editor's preview takes (synth/synthesis/theme_editor.py: a dry run of the edit and the
annotation of every stored span under it), per kind of edit, on an existing store.

    SYNTH_DATA_DIR=/path/to/store python bench/bench_theme_preview.py [--repeats 3]

The store is the one `synth ingest` built (the settings' embedder and redactor, as the service runs). The edits
are chosen from the data: merge the two smallest themes, rename / teach an example / split the largest, mark the
smallest as chatter. Reports the first run and the fastest repeat (seconds).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from synth.services import Services
    from synth.settings import Settings
    from synth.synthesis.models import OTHER_THEME
    from synth.synthesis.theme_editor import TaxonomyChange, mentions, preview

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    svc = Services(Settings())
    svc.synthesizer.refresh()
    started = time.perf_counter()
    corpus = svc.live.corpus()
    print(f"records {len(corpus.rows)}, spans {len(svc.synthesizer.spans())}, "
          f"corpus built in {time.perf_counter() - started:.2f} s")
    before = [row.annotation for row in corpus.rows]
    district_of = {row.record_id: row.district for row in corpus.rows}
    ranked = [t for t, _ in mentions(before)[0].most_common() if t != OTHER_THEME]
    largest, smallest, next_smallest = ranked[0], ranked[-1], ranked[-2]
    edits = [TaxonomyChange("merge", (smallest, next_smallest), into=next_smallest),
             TaxonomyChange("rename", (largest,), label="Renamed theme"),
             TaxonomyChange("chatter", (smallest,)),
             TaxonomyChange("examples", (largest,), phrases=("the dogs next door bark all night long",)),
             TaxonomyChange("split", (largest,), parts=2)]
    for edit in edits:
        times = []
        for _ in range(max(1, args.repeats)):
            started = time.perf_counter()
            preview(svc.synthesizer, edit, before, district_of)
            times.append(time.perf_counter() - started)
        print(f"{edit.action:9s} first {times[0]:.2f} s, best {min(times):.2f} s")


if __name__ == "__main__":
    main()
