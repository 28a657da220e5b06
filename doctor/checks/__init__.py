"""The check registry: every check in the order it is printed, and the facts they share.

Each group module exposes `CHECKS` (its checks, in order) and `FACTS` (name -> provider).
Group modules keep heavy imports inside functions: importing this package must stay cheap
because `--help` and `check --offline` load it.
"""

from __future__ import annotations

from typing import Dict, Tuple

from doctor.runner import Check, FactProvider

# The modules that declare checks, in the order their checks are printed (one per line: each
# group's list is edited on its own).
_GROUP_MODULES = (
    "python_interpreter",
    "python_ssl",
    "python_urllib3",
    "python_certs",
    "packages_openai",
    "config_api_key",
    "config_base_url",
    "config_proxy",
    "net_dns",
    "net_tcp",
    "net_tls",
    "api_auth",
    "api_model",
    "stream_chat",
    "stream_responses",
)


def _load() -> Tuple[Tuple[Check, ...], Dict[str, FactProvider]]:
    import importlib

    checks: list[Check] = []
    facts: Dict[str, FactProvider] = {}
    for name in _GROUP_MODULES:
        module = importlib.import_module(f"doctor.checks.{name}")
        checks.extend(module.CHECKS)
        for fact, provider in module.FACTS.items():
            if fact in facts:
                raise ValueError(f"fact {fact!r} is provided twice")
            facts[fact] = provider
    ids = [check.id for check in checks]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate check id")
    return tuple(checks), facts


def registry() -> Tuple[Tuple[Check, ...], Dict[str, FactProvider]]:
    """All checks in declared order, and all fact providers."""
    return _load()
