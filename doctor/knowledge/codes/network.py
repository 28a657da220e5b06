"""Diagnosis codes reported by the `network.*` checks."""

from __future__ import annotations

from doctor.knowledge.diagnoses import ERROR, FAIL, OK, SKIP, WARN, Diagnosis, register  # noqa: F401

register(
)
