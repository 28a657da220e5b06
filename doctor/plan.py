"""What a run is about, resolved before any check runs: the settings, the target interpreter and
the endpoint. Every check's `gather` reads it through `Context.plan`; the console prints it first.
"""

from __future__ import annotations

from dataclasses import dataclass

from doctor.endpoint import EndpointConfig
from doctor.model import Target
from doctor.settings import Settings


@dataclass(frozen=True)
class Plan:
    settings: Settings
    target: Target
    endpoint: EndpointConfig
