"""The `--json` document of `chat-doctor pythons` (schema `chat-doctor.pythons/1`, README
"pythons"): plain data built from the survey and the pure judgements, nothing printed here.

Fields are only ever added to this schema; a rename or a change of meaning is a new schema name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence

from doctor.knowledge.wording import pythons_command as words
from doctor.knowledge.wording.pythons_command import venv_commands
from doctor.pythons.gather import Survey
from doctor.pythons.recommend import Assessment, Recommendation

if TYPE_CHECKING:
    from doctor.probe.discovery import InactiveShim

SCHEMA = "chat-doctor.pythons/1"
EXIT_RECOMMENDED = 0  # a recommendable interpreter exists
EXIT_NONE = 1  # none does (2 is a usage error, as for every command)


def exit_code(recommendation: Optional[Recommendation]) -> int:
    return EXIT_RECOMMENDED if recommendation is not None else EXIT_NONE


def document(survey: Survey, assessments: Sequence[Assessment], recommendation: Optional[Recommendation]) -> Dict[str, Any]:
    from doctor import __version__

    return {
        "schema": SCHEMA,
        "tool": {"name": "chat-doctor", "version": __version__},
        "today": survey.today.isoformat(),
        "probe_timeout_s": survey.limit_s,
        "wall_ms": survey.wall_ms,
        "left_out": survey.left_out,
        "interpreters": [_interpreter(a) for a in assessments],
        "inactive_pyenv_shims": [_inactive(shim) for shim in survey.inactive],
        "recommendation": _recommendation(recommendation, survey.venv_dir),
        "exit_code": exit_code(recommendation),
    }


def _interpreter(assessment: Assessment) -> Dict[str, Any]:
    row = assessment.row
    return {
        "path": row.path,
        "found_by": list(row.found_by),
        "aliases": list(row.aliases),
        "probed": row.probed,
        "error": None if row.probed else {"reason": row.failure, "output": row.failure_output or None},
        "version": row.version,
        "implementation": row.implementation or None,
        "executable": row.executable or None,
        "prefix": row.prefix or None,
        "is_venv": row.is_venv,
        "platform": row.platform or None,
        "tls": row.tls,
        "urllib3": {
            "installed": row.urllib3_installed.to_dict() if row.urllib3_installed else None,
            "pip": row.urllib3_pip.to_dict() if row.urllib3_pip else None,
        },
        "openai": {
            "newest": row.openai_newest,
            "newest_has_chat": row.openai_newest_has_chat if row.probed else None,
            "current": row.openai_current if row.probed else None,
            "installed": row.openai_installed,
        },
        "eol_date": row.eol_date.isoformat() if row.eol_date else None,
        "eol": assessment.eol if row.probed else None,
        "recommendable": assessment.recommendable,
        "blockers": list(assessment.blockers),
        "drawbacks": list(assessment.drawbacks),
    }


def _inactive(shim: InactiveShim) -> Dict[str, Any]:
    resolution = shim.resolution
    selection = resolution.selection
    return {
        "path": shim.path,
        "command": resolution.command,
        "selected_versions": list(selection.versions) if selection else [],
        "selected_by": selection.origin if selection else None,
        "installed_in": list(resolution.available),
        "activate": words.shim_activation(resolution.available),
    }


def _recommendation(recommendation: Optional[Recommendation], venv_dir: str) -> Optional[Dict[str, Any]]:
    if recommendation is None:
        return None
    row = recommendation.row
    return {
        "path": row.path,
        "version": row.version,
        "reasons": list(recommendation.reasons),
        "drawbacks": list(recommendation.drawbacks),
        "venv_dir": venv_dir,
        "commands": list(venv_commands(row.path, venv_dir)),
    }
