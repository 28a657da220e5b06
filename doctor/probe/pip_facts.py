"""The target's own pip, as the probe read it from pip's files (doctor.probe.target_probe `_pip`).

Apart from doctor.probe.facts only to keep that module within its size: InterpreterFacts.pip is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class PipFacts:
    """The pip `python -m pip` runs (None everywhere: no pip), and ensurepip's pip wheel."""

    version: Optional[str] = None  # pip/__init__.py's __version__
    location: Optional[str] = None  # the pip package directory
    vendored_urllib3: Optional[str] = None  # pip/_vendor/urllib3's __version__: 2.x from pip 26.1
    bundled_wheel: Optional[str] = None  # ensurepip/_bundled/pip-X.whl: runnable as `python X.whl/pip`

    @classmethod
    def read(cls, text: Callable[[str], Optional[str]]) -> PipFacts:
        """From the probe's `pip` section, `text` being its type-checked reader (None if absent)."""
        return cls(text("version"), text("location"), text("vendored_urllib3"), text("bundled_wheel"))
