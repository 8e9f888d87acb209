"""Token-bounded chunking of redacted text, keeping each chunk's link to its record.

Most comments fit in one chunk; their token counts come from one batched tiktoken call. Long meeting notes
are split by LangChain's recursive splitter on paragraph and sentence boundaries, measured in tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_text_splitters import RecursiveCharacterTextSplitter

from synth.models import Chunk
from synth.tokens import get_encoding


class Chunker:
    def __init__(self, encoding: str = "cl100k_base", chunk_tokens: int = 200, overlap: int = 20) -> None:
        self.encoding = get_encoding(encoding)
        self.chunk_tokens = chunk_tokens
        self._splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
            encoding_name=encoding, chunk_size=chunk_tokens, chunk_overlap=overlap,
            separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        )

    def count(self, texts: Sequence[str]) -> list[int]:
        return [len(t) for t in self.encoding.encode_ordinary_batch(list(texts))]

    def chunk(self, record_ids: Sequence[str], texts: Sequence[str]) -> list[Chunk]:
        chunks: list[Chunk] = []
        for record_id, text, n in zip(record_ids, texts, self.count(texts), strict=True):
            if n <= self.chunk_tokens:
                chunks.append(Chunk(id=f"{record_id}#0", record_id=record_id, index=0, text=text, tokens=n))
                continue
            pieces = self._splitter.split_text(text)
            for i, (piece, m) in enumerate(zip(pieces, self.count(pieces), strict=True)):
                chunks.append(Chunk(id=f"{record_id}#{i}", record_id=record_id, index=i, text=piece, tokens=m))
        return chunks
