"""What the user asked for: flags plus the environment, frozen before any check runs.

Checks read the environment only through `Settings.env`, never `os.environ`, so tests can
give each run its own environment and nothing leaks between concurrent checks.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT_S = 10.0


class UsageError(ValueError):
    """A flag or value that makes the command impossible to run (exit code 2)."""


@dataclass(frozen=True)
class SmokeOptions:
    """Options of the streamed chat smoke test (`smoke`, `check --smoke`)."""

    prompt: str = "Reply with one short friendly sentence about checking connections."
    max_tokens: int = 64
    runs: int = 1
    max_ttft_s: Optional[float] = None
    quiet: bool = False


@dataclass(frozen=True)
class Settings:
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
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
        if not self.timeout_s > 0:
            raise UsageError(f"--timeout must be a positive number of seconds, got {self.timeout_s:g}")

    @property
    def model_name(self) -> str:
        return self.model or DEFAULT_MODEL


def current_python() -> str:
    return sys.executable or "python3"
