"""Options of the sharing features: `report --format`, and `--save-svg` on check, smoke and demo.

Declared here, apart from doctor/commands/options.py, so the two features can change without
touching each other's lines.
"""

# No `from __future__ import annotations` here or in command modules: typer < 0.13 reads
# annotations without evaluating them and would silently ignore the Annotated options.
from typing import Annotated, Optional

import typer

FORMATS = ("markdown", "text", "json")


def _format(value: str) -> str:
    """`--format` is one of FORMATS, any case; anything else is a usage error (exit 2)."""
    chosen = value.strip().lower()
    if chosen not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}, not {value!r}")
    return chosen


def _svg_path(value: Optional[str]) -> Optional[str]:
    # `--save-svg "$FILE"` with the variable unset: refused, rather than silently saving nothing.
    if value is not None and not value.strip():
        raise typer.BadParameter("needs a file path")
    return value


SaveSvgOpt = Annotated[
    Optional[str],
    typer.Option(
        "--save-svg", metavar="FILE", callback=_svg_path,
        help="Also save what the console showed as an SVG picture in FILE (redacted like the output), "
        "once the run is done.",
    ),
]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format", metavar="FORMAT", callback=_format,
        help="markdown (default: a summary and a collapsible <details> block, for GitHub and GitLab), "
        "text, or json.",
    ),
]
ReportSmokeOpt = Annotated[
    bool, typer.Option("--smoke", help="Also run the streamed chat smoke test and include its timings.")
]
