"""`chat-doctor fix`: the plan for the findings that have an automatic fix, and with --apply, doing it."""

# No `from __future__ import annotations` in command modules: typer < 0.13 reads the
# annotations without evaluating them and would silently ignore the Annotated options.
from typing import Annotated

import typer

from doctor.commands.options import BaseUrlOpt, JsonOpt, ModelOpt, OfflineOpt, PythonOpt, TimeoutOpt, VerboseOpt
from doctor.settings import DEFAULT_TIMEOUT_S

ApplyOpt = Annotated[bool, typer.Option("--apply", help="Run the plan (after asking once), then check again.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="With --apply: do not ask (needed without a terminal).")]
PinOpt = Annotated[
    bool,
    typer.Option("--pin-urllib3", help="For urllib3's NotOpenSSLWarning alone: pin urllib3<2 (refused if an "
                                       "installed package needs urllib3 2)."),
]


def command(
    python: PythonOpt = None,
    apply: ApplyOpt = False,
    yes: YesOpt = False,
    pin_urllib3: PinOpt = False,
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
    offline: OfflineOpt = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT_S,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Show what can be fixed automatically (pip, in the target interpreter) and what cannot; --apply does it.

    Exit: 0 nothing left to do, 1 findings remain, 2 usage error or no terminal to ask (pass --yes),
    3 a step failed, 130 interrupted."""
    from doctor import session
    from doctor.commands.present import settings_or_exit, usage_error
    from doctor.fix.flow import Options, run
    from doctor.settings import UsageError

    if yes and not apply:
        raise usage_error("--yes only applies with --apply")
    settings = settings_or_exit(python=python, base_url=base_url, model=model, offline=offline, timeout_s=timeout, verbose=verbose)
    try:
        the_plan = session.plan(settings)
    except UsageError as exc:
        raise usage_error(str(exc)) from None
    from doctor.probe.interpreters import SELECTED_BY_SELF

    if apply and the_plan.target.selected_by == SELECTED_BY_SELF:
        # Without a named target, pip would change the environment chat-doctor itself runs from
        # (a pipx venv, a tools venv): never what was meant, and it could break chat-doctor.
        from doctor.knowledge.wording.fix import own_interpreter

        raise usage_error(own_interpreter(the_plan.target.python))
    raise typer.Exit(run(the_plan, Options(apply=apply, yes=yes, pin_urllib3=pin_urllib3, as_json=as_json)))
