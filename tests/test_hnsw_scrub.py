"""Embedded Chroma's HNSW files never carry leftover process memory: hnswlib saves preallocated buffers whole,
and without the scrub, text another store upserted earlier in the same process turned up in a new store's
`data_level0.bin` and `length.bin` (reproduced in 6 of 10 fresh stores)."""

from __future__ import annotations

import logging
import struct
from pathlib import Path

import numpy as np
import pytest

from synth.settings import Settings
from vectorstore.embeddings import HashingEmbedder
from vectorstore.hnsw_files import HEADER, LEVEL0, LEVELS, TailScrubber
from vectorstore.store import open_index

PLANTED = b"quincewood lane"


def _segment(root: Path, *, version: int = 1, max_elements: int = 10, used: int = 3, per: int = 16) -> Path:
    seg = root / "4f1c-segment"
    seg.mkdir(parents=True)
    (seg / HEADER).write_bytes(struct.pack("<i4Q", version, 0, max_elements, used, per) + bytes(48))
    (seg / LEVEL0).write_bytes(b"\x01" * (used * per) + b"J" * ((max_elements - used) * per))
    (seg / LEVELS).write_bytes(b"\x02" * (used * 4) + b"J" * ((max_elements - used) * 4))
    return seg


def test_the_tail_past_the_used_slots_is_zeroed_and_the_used_slots_kept(tmp_path: Path) -> None:
    seg = _segment(tmp_path)
    scrubber = TailScrubber(tmp_path)
    assert scrubber.scrub() == 7 * 16 + 7 * 4
    assert (seg / LEVEL0).read_bytes() == b"\x01" * 48 + bytes(7 * 16)
    assert (seg / LEVELS).read_bytes() == b"\x02" * 12 + bytes(7 * 4)
    assert scrubber.scrub() == 0  # unchanged files are skipped


def test_a_file_rewritten_after_a_scrub_is_scrubbed_again(tmp_path: Path) -> None:
    seg = _segment(tmp_path)
    scrubber = TailScrubber(tmp_path)
    scrubber.scrub()
    (seg / LEVEL0).write_bytes(b"\x01" * 48 + b"K" * (7 * 16))
    assert scrubber.scrub() == 7 * 16
    assert (seg / LEVEL0).read_bytes().count(b"K") == 0


def test_an_unknown_header_is_reported_and_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    seg = _segment(tmp_path, version=7)
    before = (seg / LEVEL0).read_bytes()
    with caplog.at_level(logging.WARNING):
        assert TailScrubber(tmp_path).scrub() == 0
    assert (seg / LEVEL0).read_bytes() == before
    assert "unrecognised HNSW header" in caplog.text


def test_no_store_keeps_text_another_store_held_in_memory(tmp_path: Path) -> None:
    import chromadb

    # another store in the same process, holding raw text (as a pre-redaction buffer or an older store might)
    other = chromadb.PersistentClient(path=str(tmp_path / "other")).get_or_create_collection("other")
    for r in range(30):
        other.upsert(ids=[f"{r}-{j}" for j in range(20)], embeddings=np.random.default_rng(r).random((20, 8)),
                     documents=[f"The street lights are dark on Quincewood Lane {j}, call me " * 20
                                for j in range(20)])
    embedder = HashingEmbedder(dim=8)
    for k in range(10):
        settings = Settings(data_dir=tmp_path / f"store{k}", collection="clean", _env_file=None)
        index = open_index(settings, embedder)
        docs = ["Dark street by the school", "Speeding on Elm"]
        index.upsert([f"r{k}a#0", f"r{k}b#0"], embedder.embed(docs), docs,
                     [{"record_id": f"r{k}a"}, {"record_id": f"r{k}b"}])
        index.close()
        for path in (tmp_path / f"store{k}" / "chroma").rglob("*"):
            if path.is_file():
                assert PLANTED not in path.read_bytes().lower(), path


def test_an_index_past_chromas_flush_threshold_still_answers_after_scrubbing(tmp_path: Path) -> None:
    """1,200 records make Chroma save its HNSW graph (it does every 1,000); a fresh client reads it back."""
    embedder = HashingEmbedder(dim=8)
    settings = Settings(data_dir=tmp_path / "data", collection="big", _env_file=None)
    index = open_index(settings, embedder)
    vectors = np.random.default_rng(0).random((1200, 8)).astype(np.float32)
    for start in range(0, 1200, 300):
        ids = [f"r{i}#0" for i in range(start, start + 300)]
        index.upsert(ids, vectors[start:start + 300], [f"doc {i}" for i in range(start, start + 300)],
                     [{"record_id": f"r{i}"} for i in range(start, start + 300)])
    index.close()
    segment = next((tmp_path / "data" / "chroma").glob(f"*/{HEADER}")).parent
    used = struct.unpack("<i4Q", (segment / HEADER).read_bytes()[:36])[3]
    assert used >= 1000  # the graph was saved, so the scrub had a real tail to work on

    reopened = open_index(settings, embedder)
    assert reopened.count() == 1200
    hit = reopened.query_vector(vectors[777], k=1)[0]
    assert hit.record_id == "r777"
