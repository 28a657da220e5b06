"""`--save-svg FILE`: what the console showed, saved as an SVG picture once the run is done.

The console records what it prints (rich's `Console(record=True)`) and exports it at the end,
so the picture holds exactly the lines the user saw, with their colours, already redacted: it
is the console's own record. It is scrubbed once more with the run's Redactor before it is
written, because a file outlives the run and is attached to bug reports.

Whether FILE can be written is found out before any check runs (a usage error, exit 2, rather
than a lost picture after a minute of checks); a write that still fails at the end is one line on
stderr and exit 2 too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from doctor.commands.output_path import unwritable

if TYPE_CHECKING:
    from rich.console import Console

    from doctor.redact import Redactor

TITLE = "chat-doctor"


def svg_problem(path: Path, *, as_json: bool) -> Optional[str]:
    """The usage error that must stop the run before it starts, or None."""
    if as_json:
        return "--save-svg saves what the console showed, and --json shows the JSON document instead: drop one of them"
    problem = unwritable(path)
    return f"--save-svg {path}: {problem}" if problem else None


def save_svg(console: Console, path: Path, redactor: Redactor) -> Optional[str]:
    """Write what `console` recorded to `path`; the error to show when it cannot be, or None."""
    from rich.cells import cell_len

    # The export crops every line at the console's width; off a terminal lines are never
    # wrapped (doctor.render.console.make_console), so the picture is as wide as its longest.
    shown = console.export_text(clear=False)
    console.width = max([console.width, *(cell_len(line) for line in shown.splitlines())])
    picture = redactor.text(console.export_svg(title=TITLE))
    try:
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(picture)
    except OSError as exc:
        return f"--save-svg {path}: could not be written ({exc.strerror or exc})"
    return None
