"""Prompt files: versioned templates under `prompts/`, rendered strictly.

A prompt is a file `prompts/<name>_v<N>.md`: a small YAML front matter, then a body of jinja2 templates.

    ---
    name: narrative
    version: 1
    description: One paragraph for a district, written from a fact sheet.
    input_variables: [district, facts_json]
    ---
    === system ===
    You write ...
    === human ===
    Facts for {{ district }}: {{ facts_json }}

The body is split into chat messages by marker lines `=== system ===`, `=== human ===` (or `=== ai ===`);
a body without markers is one human message. Rendering is strict: a missing variable, or one the file does
not declare, is an error (ConfigError), and `input_variables` must name exactly the variables the templates
use, which is checked when the file is loaded. Values are inserted as text and never rendered as templates.

    p = load_prompt("narrative")             # the highest version; load_prompt("narrative", 1) pins one
    p.render(district="District 2", ...)     # -> str, every message joined
    p.render_messages(district=...)          # -> [(role, text), ...], what a ChatModel takes
    p.as_chat_prompt()                       # -> LangChain's ChatPromptTemplate (built in synth.llm.chat)

jinja2 comes with the stack today only through spaCy; it should be a declared dependency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any, Literal

import jinja2
import jinja2.meta
import jinja2.sandbox
import yaml

from synth.errors import ConfigError

if TYPE_CHECKING:
    from langchain_core.prompts import ChatPromptTemplate

Role = Literal["system", "human", "ai"]

PROMPTS_PACKAGE = "prompts"
_FILE_NAME = re.compile(r"^(?P<name>[a-z0-9_]+)_v(?P<version>\d+)\.md$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(?P<meta>.*?)\n---\s*\n(?P<body>.*)\Z", re.DOTALL)
_MARKER = re.compile(r"^=== (system|human|ai) ===[ \t]*$", re.MULTILINE)

# Sandboxed like LangChain's jinja2 formatter, so both render a file the same way; strict on undefined names.
_ENV = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


@dataclass(frozen=True)
class PromptFile:
    """One prompt file, parsed and checked. `messages` holds (role, template source) pairs."""

    name: str
    version: int
    description: str
    input_variables: tuple[str, ...]
    messages: tuple[tuple[Role, str], ...]
    source: str  # where it was loaded from, for error messages

    @property
    def key(self) -> str:
        """`<name>_v<N>`, as recorded with everything the prompt produced."""
        return f"{self.name}_v{self.version}"

    def render_messages(self, **variables: Any) -> list[tuple[Role, str]]:
        """Each message rendered; raises ConfigError on a missing or undeclared variable."""
        self._check_variables(variables)
        try:
            return [(role, _ENV.from_string(text).render(**variables)) for role, text in self.messages]
        except jinja2.UndefinedError as e:  # e.g. an attribute a value does not have
            raise ConfigError(f"prompt {self.key} ({self.source}): {e}") from e

    def render(self, **variables: Any) -> str:
        """The whole prompt as one text: every rendered message, separated by a blank line."""
        return "\n\n".join(text for _, text in self.render_messages(**variables))

    def as_chat_prompt(self) -> ChatPromptTemplate:
        """A LangChain chat prompt with the same messages and input variables (`synth.llm.chat.chat_prompt`)."""
        from synth.llm.chat import chat_prompt

        return chat_prompt(self)

    def _check_variables(self, variables: dict[str, Any]) -> None:
        declared = set(self.input_variables)
        missing = sorted(declared - variables.keys())
        extra = sorted(variables.keys() - declared)
        if missing or extra:
            raise ConfigError(
                f"prompt {self.key} ({self.source}) takes {sorted(declared)}; "
                f"missing {missing}, unexpected {extra}: pass exactly the declared input_variables"
            )


def load_prompt(name: str, version: int | None = None, *, directory: Traversable | None = None) -> PromptFile:
    """Load `<name>_v<version>.md` (the highest version when `version` is None) from `prompts/`.

    `directory` replaces the `prompts` package (tests). Raises ConfigError when no such file exists or the
    file is malformed.
    """
    root = directory if directory is not None else resources.files(PROMPTS_PACKAGE)
    versions = prompt_versions(name, directory=root)
    if not versions:
        raise ConfigError(f"no prompt named '{name}' in {root}: prompt files are named {name}_v<N>.md")
    chosen = max(versions) if version is None else version
    if chosen not in versions:
        raise ConfigError(f"prompt '{name}' has versions {sorted(versions)}, not {version}")
    path = root / f"{name}_v{chosen}.md"
    return parse_prompt(path.read_text(encoding="utf-8"), source=str(path), expect=(name, chosen))


def prompt_versions(name: str, *, directory: Traversable | None = None) -> list[int]:
    """Versions of prompt `name` present in the directory, ascending."""
    root = directory if directory is not None else resources.files(PROMPTS_PACKAGE)
    found = []
    for entry in root.iterdir():
        m = _FILE_NAME.match(entry.name)
        if m and m["name"] == name:
            found.append(int(m["version"]))
    return sorted(found)


def parse_prompt(text: str, *, source: str, expect: tuple[str, int] | None = None) -> PromptFile:
    """Parse a prompt file's text. `expect` is the (name, version) its file name promises."""
    m = _FRONT_MATTER.match(text)
    if not m:
        raise ConfigError(f"{source}: a prompt file starts with '---', front matter, '---', then the body")
    meta = _parse_meta(m["meta"], source)
    prompt = PromptFile(
        name=meta["name"],
        version=meta["version"],
        description=meta["description"],
        input_variables=tuple(meta["input_variables"]),
        messages=tuple(_split_messages(m["body"], source)),
        source=source,
    )
    if expect is not None and (prompt.name, prompt.version) != expect:
        raise ConfigError(f"{source}: front matter says {prompt.key} but the file name says {expect[0]}_v{expect[1]}")
    _check_declared_variables(prompt)
    return prompt


def _parse_meta(raw: str, source: str) -> dict[str, Any]:
    try:
        meta = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: the front matter is not valid YAML: {e}") from e
    if not isinstance(meta, dict):
        raise ConfigError(f"{source}: the front matter must be key: value lines")
    required = {"name": str, "version": int, "description": str, "input_variables": list}
    for key, kind in required.items():
        if not isinstance(meta.get(key), kind):
            raise ConfigError(f"{source}: front matter needs '{key}' ({kind.__name__})")
    if not all(isinstance(v, str) for v in meta["input_variables"]):
        raise ConfigError(f"{source}: input_variables must be a list of names")
    return meta


def _split_messages(body: str, source: str) -> list[tuple[Role, str]]:
    parts = _MARKER.split(body)
    if len(parts) == 1:  # no markers: one human message
        return [("human", body.strip())]
    if parts[0].strip():
        raise ConfigError(f"{source}: text before the first '=== role ===' marker")
    messages: list[tuple[Role, str]] = []
    for role, text in zip(parts[1::2], parts[2::2], strict=True):
        messages.append((role, text.strip()))  # type: ignore[arg-type]  # the regex admits only Role values
    return messages


def _check_declared_variables(prompt: PromptFile) -> None:
    used: set[str] = set()
    for _, text in prompt.messages:
        try:
            used |= jinja2.meta.find_undeclared_variables(_ENV.parse(text))
        except jinja2.TemplateSyntaxError as e:
            raise ConfigError(f"{prompt.source}: template error line {e.lineno}: {e.message}") from e
    declared = set(prompt.input_variables)
    if used != declared:
        raise ConfigError(
            f"{prompt.source}: input_variables {sorted(declared)} do not match the variables the templates "
            f"use {sorted(used)}"
        )
