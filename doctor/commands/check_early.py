"""`chat-doctor check`'s head start, launched before typer is imported (doctor.cli.main).

Why: against a slow /models the run cannot end before the answer, and typer, click and the
command's own modules cost about 0.2 s that can as well run while the request waits on the
network (scripts/bench.py network).

The command line is read here only when it is simple enough to be sure of the Settings typer
will build from it: `check` followed by nothing but the flags below, each at most once, each
value a separate or `=`-joined word that does not look like a flag. Anything else (--help,
--offline, --smoke, --only/--skip, --junit, --save-svg, an unknown flag, a cluster such as
`-vm`, a repeated flag, `--`) starts nothing and the command runs as before. The result is
only an offer: doctor.checks.models_head_start.start hands it to the run when typer's Settings
are equal to these, and otherwise replaces it (the early answer is then never judged). The
gates are the same either way: models_head_start.start applies them from the Settings.
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence

# Flags that take a value -> the Settings field; the bare flags -> theirs. Every other flag of
# `check` (or a flag of this list whose meaning typer might read otherwise) declines.
_VALUED = {"--python": "python", "--base-url": "base_url", "--model": "model", "-m": "model",
           "--timeout": "timeout_s"}
_BARE = {"--json": None, "--verbose": "verbose", "-v": "verbose", "--strict": "strict",
         "--allow-insecure": "allow_insecure"}
# The groups of a `check` without --only/--skip/--smoke (doctor.commands.check._CHECK_GROUPS).
_GROUPS = ("python", "packages", "config", "net", "api")


def early_options(argv: Sequence[str]) -> Optional[Dict[str, object]]:
    """The Settings keyword arguments typer will pass for `argv`, or None when not sure."""
    args = list(argv[1:])
    if args[:1] != ["check"]:
        return None
    options: Dict[str, object] = {}
    i = 1
    while i < len(args):
        arg = args[i]
        name, joined, value = arg.partition("=")
        if name in _VALUED:
            if not joined:
                if i + 1 >= len(args):
                    return None
                i += 1
                value = args[i]
            elif name == "-m":  # to click `-m=x` is the model "=x": unusual enough to leave to typer
                return None
            if value.startswith("-"):  # click might read it as the next flag, or not: unsure
                return None
            field = _VALUED[name]
            if field in options:
                return None
            options[field] = value
        elif arg in _BARE:
            field = _BARE[arg] or arg
            if field in options:
                return None
            options[field] = True
        else:
            return None
        i += 1
    options.pop("--json", None)  # a rendering choice, not a setting
    if "timeout_s" in options:
        try:
            options["timeout_s"] = float(str(options["timeout_s"]))  # as click's FLOAT converts it
        except ValueError:
            return None
    return options


def start_early(argv: Sequence[str]) -> None:
    """Start the head start for `argv` when it is a simple `check` (see the module doc)."""
    options = early_options(argv)
    if options is None:
        return
    from doctor.checks.models_head_start import start
    from doctor.settings import Settings, UsageError

    try:
        settings = Settings(**options)  # type: ignore[arg-type]  # values typed by early_options' table
    except (UsageError, ValueError, TypeError):
        return  # typer reports the bad value as a usage error; nothing to start
    start(settings, _GROUPS)
