"""Taxonomy files: a coordinator's YAML, and the starter taxonomy synth ships and seeds by default.

    themes:
      - id: street_lighting            # optional; stable, counts and history follow it
        label: Street lighting
        description: Broken or missing streetlights, dark streets and paths.
        examples: [The streetlights on our block have been out for weeks., ...]
        cues: ['street ?lights?', 'pitch (black|dark)']   # optional regexes, case-insensitive

`synth themes starter` prints the starter file to copy and edit; `synth themes seed FILE` loads one.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import yaml

from synth.errors import InputError
from synth.synthesis.models import Theme
from synth.synthesis.seeded import check_cues

STARTER_FILE = "data/starter_taxonomy.yaml"


def starter_text() -> str:
    """The starter taxonomy's YAML, as shipped (comments included)."""
    return resources.files("synth.synthesis").joinpath(STARTER_FILE).read_text("utf-8")


def load_starter() -> list[Theme]:
    """The starter taxonomy for police–community engagement (the default when nobody seeded one)."""
    with resources.as_file(resources.files("synth.synthesis").joinpath(STARTER_FILE)) as path:
        return load_seed_file(path)


def load_seed_file(path: str | Path) -> list[Theme]:
    """A coordinator's taxonomy: YAML `themes: [{id, label, description, examples: [...]}, ...]`."""
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise InputError(str(p), f"cannot read the taxonomy YAML: {e}") from e
    items = doc.get("themes") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise InputError(str(p), "expected `themes:` with a list of {id, label, description, examples}")
    themes = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not item.get("label"):
            raise InputError(str(p), f"theme {i}: needs at least a label")
        tid = str(item.get("id") or "t_" + re.sub(r"[^a-z0-9]+", "_", str(item["label"]).lower()).strip("_"))
        cues = [str(c) for c in item.get("cues", []) or []]
        check_cues(str(item["label"]), cues, str(p))
        themes.append(Theme(id=tid, label=str(item["label"]), description=str(item.get("description", "")),
                            examples=[str(e) for e in item.get("examples", [])], source="seeded",
                            keywords=[str(k) for k in item.get("keywords", [])], cues=cues))
    return themes
