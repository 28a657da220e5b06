"""`chat-doctor pythons`: which interpreters this machine has, and which to start an OpenAI
project with (README, "pythons"). Exit 0 when one is recommendable, 1 when none is, 2 on a
usage error.
"""

# No `from __future__ import annotations` in command modules: typer < 0.13 reads the
# annotations without evaluating them and would silently ignore the Annotated options.
import sys

import typer

from doctor.commands.options import Annotated, JsonOpt
from doctor.settings import DEFAULT_TIMEOUT_S

# check's --timeout, with this command's meaning in its help (the shared one speaks of network
# steps); Settings refuses the same out-of-range values (exit 2).
ProbeTimeoutOpt = Annotated[
    float,
    typer.Option("--timeout", metavar="SECONDS",
                 help="Deadline shared by all the interpreter probes (at least 2 s, at most 60 s)."),
]


def command(
    timeout: ProbeTimeoutOpt = DEFAULT_TIMEOUT_S,
    as_json: JsonOpt = False,
) -> None:
    """List this machine's Pythons (PATH, pyenv, Homebrew, uv, conda...) and recommend one for OpenAI."""
    from doctor.commands.present import settings_or_exit
    from doctor.knowledge.wording.pythons_command import venv_commands
    from doctor.pythons.document import document, exit_code
    from doctor.pythons.gather import gather
    from doctor.pythons.recommend import assess_all, recommend

    settings = settings_or_exit(timeout_s=timeout)
    survey = gather(settings)
    assessments = assess_all(survey.rows, survey.today)
    recommendation = recommend(survey.rows, survey.today)
    if as_json:
        from doctor.render.pythons import render_json

        sys.stdout.write(render_json(document(survey, assessments, recommendation)) + "\n")
        sys.stdout.flush()
    else:
        from doctor.render.console import make_console
        from doctor.render.pythons import render_console

        commands = venv_commands(recommendation.row.path, survey.venv_dir) if recommendation else ()
        render_console(make_console(), assessments, recommendation, commands, survey.left_out, survey.inactive)
    raise typer.Exit(exit_code(recommendation))
