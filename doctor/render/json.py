"""The JSON envelope (`chat-doctor.report/1`), alone on stdout under `--json`."""

from __future__ import annotations

import json
from typing import Any

from doctor.model import Report


def render_json(report: Report) -> str:
    from doctor.render.inert import json_inert

    return json_inert(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=_fallback))


def _fallback(value: Any) -> Any:
    # Data payloads are plain values; anything else (a Path, a tuple subclass) becomes text
    # rather than a crash at the very end of a run.
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    return str(value)

