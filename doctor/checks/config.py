"""Checks of the `config` group."""

from __future__ import annotations

from typing import Dict, Tuple

from doctor.runner import Check, FactProvider

CHECKS: Tuple[Check, ...] = ()
FACTS: Dict[str, FactProvider] = {}
