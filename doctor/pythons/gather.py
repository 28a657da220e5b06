"""All the I/O of `chat-doctor pythons`: where to look, the probes, today's date, a free
directory name for the new environment. What it returns is plain data for the pure judges.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Tuple

from doctor.pythons.rows import InterpreterRow

if TYPE_CHECKING:
    from doctor.probe.discovery import InactiveShim
from doctor.settings import Settings

# The new environment's directory, first free one of these (in the working directory).
VENV_NAMES = (".venv", ".venv-openai")


@dataclass(frozen=True)
class Survey:
    rows: Tuple[InterpreterRow, ...]
    today: datetime.date
    limit_s: float  # the probes' shared deadline
    left_out: int  # candidates beyond doctor.probe.discovery.MAX_CANDIDATES, not probed
    venv_dir: str  # where the printed commands make the new environment
    wall_ms: float
    inactive: Tuple[InactiveShim, ...] = ()  # pyenv shims the selected version lacks: not probed


def gather(settings: Settings, root: Path = Path("/")) -> Survey:
    import time

    from doctor.probe.interpreters import probe_timeout
    from doctor.probe.pythons_prestart import discovery_for, home_of
    from doctor.probe.survey import survey
    from doctor.pythons.rows import rows_from

    started = time.perf_counter()
    env = settings.env
    found = discovery_for(env, home_of(env), root, settings.cwd)  # made already when prestarted
    limit = probe_timeout(settings.timeout_s)
    probes = survey(found.candidates, env, limit)
    return Survey(rows=rows_from(probes), today=datetime.date.today(), limit_s=limit, left_out=found.left_out,
                  venv_dir=free_venv_dir(settings.cwd), wall_ms=round((time.perf_counter() - started) * 1000, 1),
                  inactive=found.inactive)


def free_venv_dir(cwd: Optional[Path]) -> str:
    """`.venv` unless it exists, else `.venv-openai`, `.venv-openai-2`...: the commands never
    point at an existing directory (and their `mkdir` refuses one made meanwhile)."""
    names = [*VENV_NAMES, *(f"{VENV_NAMES[-1]}-{n}" for n in range(2, 100))]
    if cwd is None:
        return names[0]
    for name in names:
        if not (cwd / name).exists():
            return name
    return names[-1]
