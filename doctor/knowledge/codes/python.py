"""Diagnosis codes reported by the `python.*` checks."""

from __future__ import annotations

from doctor.knowledge.diagnoses import ERROR, FAIL, OK, SKIP, WARN, Diagnosis, register  # noqa: F401

register(
    Diagnosis(
        "probe_failed", "python.interpreter", FAIL,
        "The target interpreter could not be inspected: it is not a Python, or it crashed, hung or printed garbage.",
        "Check the path given to `--python` (or `VIRTUAL_ENV`) and that `<python> -c 'print(1)'` works.",
    ),
)
