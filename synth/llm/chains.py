"""What every chain shares, without importing LangChain: the model's name, JSON for untrusted-data blocks,
and packing items into calls within a token budget."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def model_name(chat_model: Any) -> str:
    """The model's name as the endpoint knows it: a ChatModel's `name`; for a LangChain chat model its
    `model_name` or `model` (its class name for models without one)."""
    if callable(getattr(chat_model, "complete", None)) and isinstance(getattr(chat_model, "name", None), str):
        return str(chat_model.name)
    for attr in ("model_name", "model"):
        value = getattr(chat_model, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(chat_model).__name__


def escaped_json(value: Any, *, indent: int | None = None) -> str:
    """JSON for a prompt's delimited data block: '<' and '>' escaped, so no value (a resident's text) can close
    the block it is placed in."""
    return json.dumps(value, ensure_ascii=False, indent=indent).replace("<", "\\u003c").replace(">", "\\u003e")


def data_json(items: Sequence[Mapping[str, Any]]) -> str:
    """A JSON list, one compact item per line, with '<' and '>' escaped so no value can close its block."""
    return "[\n" + ",\n".join(escaped_json(i) for i in items) + "\n]"


def pack(items: Sequence[T], cost: Callable[[list[T]], int], *, budget: int, max_items: int) -> list[list[T]]:
    """Consecutive batches whose `cost` (the rendered prompt's tokens) stays within `budget`, at most
    `max_items` each. An item over the budget on its own still goes, alone: nothing is truncated."""
    batches: list[list[T]] = []
    current: list[T] = []
    for item in items:
        if current and (len(current) >= max_items or cost([*current, item]) > budget):
            batches.append(current)
            current = []
        current.append(item)
    if current:
        batches.append(current)
    return batches
