"""What every chain shares, without importing LangChain: the model's name and JSON for untrusted-data blocks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


def model_name(chat_model: BaseChatModel) -> str:
    """The model's name as the endpoint knows it (its class name for models without one)."""
    for attr in ("model_name", "model"):
        value = getattr(chat_model, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(chat_model).__name__


def escaped_json(value: Any, *, indent: int | None = None) -> str:
    """JSON for a prompt's delimited data block: '<' and '>' escaped, so no value (a resident's text) can close
    the block it is placed in."""
    return json.dumps(value, ensure_ascii=False, indent=indent).replace("<", "\\u003c").replace(">", "\\u003e")
