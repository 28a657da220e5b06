"""Diagnosis codes reported by the `packages.*` checks."""

from __future__ import annotations

from typing import Tuple

from doctor.knowledge.diagnosis import FAIL, WARN, Diagnosis

DIAGNOSES: Tuple[Diagnosis, ...] = (
    Diagnosis(
        # fail: the app's `import openai` would raise ModuleNotFoundError in this interpreter.
        "openai_missing", "packages.openai", FAIL,
        "The openai package is not installed in the target interpreter.",
        "`<python> -m pip install openai`.",
    ),
    Diagnosis(
        # warn: 0.x still reaches the API, but every current example (openai.OpenAI()) fails
        # and `openai.ChatCompletion` code breaks as soon as anything upgrades it.
        "openai_legacy", "packages.openai", WARN,
        "openai < 1.0 is installed: the pre-1.0 API (openai.ChatCompletion) is gone from current releases, and current code and examples do not run on it.",
        "Upgrade and migrate your code: `<python> -m pip install -U openai`, then `openai migrate` (https://github.com/openai/openai-python/discussions/742).",
    ),
    Diagnosis(
        # fail: an unmet requirement or a known-bad combination breaks import or client creation.
        "dependency_conflict", "packages.openai", FAIL,
        "The installed versions do not fit what openai needs: a requirement is missing or out of range, or a combination known to break (e.g. openai < 1.55.3 with httpx >= 0.28).",
        "Let pip resolve openai's stack again: `<python> -m pip install -U openai`.",
    ),
)
