"""What the user asked for: flags plus the environment, frozen before any check runs.

Checks read the environment only through `Settings.env`, never `os.environ`, so tests can
give each run its own environment and nothing leaks between concurrent checks.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT_S = 10.0
# Beyond these a value is a typo (`--timeout 1e10`, `--runs 100000`), not a wish: a step that may
# take longer than ten minutes bounds nothing, and a hundred streamed replies give stable
# percentiles (README, "Commands").
MAX_SECONDS = 600.0
MAX_RUNS = 100
# The largest output limit any OpenAI model takes (o1, o3, o4-mini: 100,000 tokens), so every
# value a real model accepts is accepted; a smoke reply needs a few dozen. Above it the value is
# a typo, and it would stretch the run's time bound (4 tokens a second, doctor.stream.budget)
# past anything meaningful.
MAX_TOKENS = 100_000


class UsageError(ValueError):
    """A flag or value that makes the command impossible to run (exit code 2)."""


def seconds_problem(value: float) -> Optional[str]:
    """What is wrong with `value` as a number of seconds (finite, above 0, at most MAX_SECONDS)."""
    if math.isfinite(value) and 0 < value <= MAX_SECONDS:
        return None
    return f"must be a number of seconds above 0 and at most {MAX_SECONDS:g}, not {value:g}"


def runs_problem(value: int) -> Optional[str]:
    if 1 <= value <= MAX_RUNS:
        return None
    return f"must be between 1 and {MAX_RUNS}, not {value}"


def tokens_problem(value: int) -> Optional[str]:
    if 1 <= value <= MAX_TOKENS:
        return None
    return f"must be between 1 and {MAX_TOKENS}, not {value}"


# The OpenAI streaming APIs the smoke test can prove (`--api`): Chat Completions, the Responses
# API, or both one after the other against the same endpoint.
API_CHAT = "chat"
API_RESPONSES = "responses"
API_BOTH = "both"
APIS = (API_CHAT, API_RESPONSES, API_BOTH)


def api_problem(value: str) -> Optional[str]:
    if value in APIS:
        return None
    return f"must be one of {', '.join(APIS)}, not {value!r}"


def text_problem(value: Optional[str]) -> Optional[str]:
    """Why a text flag cannot be sent: bytes that are not UTF-8 reach Python as lone surrogates
    (surrogateescape), which no JSON body or header can carry."""
    if value is not None and any("\udc80" <= char <= "\udcff" for char in value):
        return "is not valid UTF-8 text"
    return None


def python_problem(value: Optional[str]) -> Optional[str]:
    """Why --python names no interpreter: an empty value (`--python "$UNSET"`) would otherwise
    read as no --python at all, and the run would quietly inspect another interpreter."""
    if value is not None and value == "":
        return ("is empty: give an interpreter or a virtual environment, or leave --python out to "
                "inspect $VIRTUAL_ENV (else chat-doctor's own interpreter)")
    return None  # any other path is the target's business (python.interpreter says what it is)


def _require(flag: str, problem: Optional[str]) -> None:
    if problem is not None:
        raise UsageError(f"{flag} {problem}")


def working_directory() -> Optional[Path]:
    """The current directory, or None when it was deleted under us (nothing is read from it then)."""
    try:
        return Path.cwd()
    except OSError:
        return None


@dataclass(frozen=True)
class SmokeOptions:
    """Options of the streamed smoke test (`smoke`, `check --smoke`)."""

    prompt: str = "Reply with one short friendly sentence about checking connections."
    max_tokens: int = 64
    runs: int = 1
    max_ttft_s: Optional[float] = None
    quiet: bool = False
    api: str = API_CHAT  # which API(s) stream: APIS

    def __post_init__(self) -> None:
        _require("--api", api_problem(self.api))
        _require("--runs", runs_problem(self.runs))
        _require("--max-tokens", tokens_problem(self.max_tokens))
        _require("--prompt", text_problem(self.prompt))
        if self.max_ttft_s is not None:
            _require("--max-ttft", seconds_problem(self.max_ttft_s))


@dataclass(frozen=True)
class Settings:
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Optional[Path] = field(default_factory=working_directory)
    python: Optional[str] = None  # --python, as given
    base_url: Optional[str] = None  # --base-url, as given
    model: Optional[str] = None  # --model; None means the documented default
    timeout_s: float = DEFAULT_TIMEOUT_S
    offline: bool = False
    strict: bool = False
    verbose: bool = False
    allow_insecure: bool = False
    smoke: Optional[SmokeOptions] = None

    def __post_init__(self) -> None:
        _require("--timeout", seconds_problem(self.timeout_s))
        _require("--python", python_problem(self.python))
        _require("--model", text_problem(self.model))
        _require("--base-url", text_problem(self.base_url))


def current_python() -> str:
    return sys.executable or "python3"
