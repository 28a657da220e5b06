"""`chat-doctor report`: one redacted block to paste into a bug report.

Runs the same session as `check` (with `--smoke`, `check --smoke`, the reply not shown), then
prints what a maintainer asks first (doctor.render.report_facts): chat-doctor's version and
command line, the target interpreter and its TLS library, openai and its HTTP stack, urllib3,
certifi and the CA settings (paths, never contents), the endpoint's kind and host, the key's
shape, proxies (masked), every check's status and code, and the smoke timings with `--smoke`
(`--api` as for `smoke`: chat, responses, or both, each API's run in its own section).

The exit code says whether the report was produced, not what it found: 0 whenever it was
printed (a failing check is the very thing to report), 2 for a usage error.
"""

# No `from __future__ import annotations` in command modules: typer < 0.13 reads the
# annotations without evaluating them and would silently ignore the Annotated options.
import shlex
import sys
from typing import Any, List

import typer

from doctor.commands.options import ApiOpt, BaseUrlOpt, ModelOpt, PythonOpt, TimeoutOpt
from doctor.commands.share_options import FormatOpt, ReportSmokeOpt
from doctor.settings import DEFAULT_TIMEOUT_S, SmokeOptions

# The groups of `check`; `stream` joins them with --smoke.
_GROUPS = ("python", "packages", "config", "net", "api")
PROG = "chat-doctor"


def command(
    ctx: typer.Context,
    python: PythonOpt = None,
    smoke: ReportSmokeOpt = False,
    report_format: FormatOpt = "markdown",
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT_S,
    api: ApiOpt = SmokeOptions.api,
) -> None:
    """Print a redacted report to paste into an issue (Markdown, text or JSON); exit 0 once printed."""
    from doctor import session
    from doctor.commands.present import settings_or_exit, usage_error
    from doctor.settings import UsageError

    source = ctx.get_parameter_source("api")
    if not smoke and source is not None and source.name != "DEFAULT":
        raise usage_error("--api only applies to the smoke test: add --smoke")
    settings = settings_or_exit(
        python=python, base_url=base_url, model=model, timeout_s=timeout,
        # quiet: the streamed reply would land in the middle of what is meant to be pasted.
        smoke=SmokeOptions(quiet=True, api=api) if smoke else None,
    )
    try:
        the_plan = session.plan(settings)
    except UsageError as exc:
        raise usage_error(str(exc)) from None
    groups = {*_GROUPS, "stream"} if smoke else set(_GROUPS)
    with _waiting():
        report = session.run(the_plan, groups=groups)
    text = render(report, report_format, command_line(ctx), ascii_only=not _fits_stdout())
    # The results are scrubbed already; this pass covers what the report adds (the command line).
    sys.stdout.write(session.redactor(the_plan).text(text))
    sys.stdout.flush()
    raise typer.Exit(0)


def render(report: Any, report_format: str, command: str, *, ascii_only: bool) -> str:
    """The report in `report_format` (markdown, text, json)."""
    import platform

    from doctor.render.report_facts import Runner, build

    runner = Runner(
        command=command,
        python=f"{platform.python_implementation()} {platform.python_version()}",
        platform=platform.platform(),
    )
    facts = build(report, runner)
    if report_format == "json":
        from doctor.render.report_json import render_report_json

        return render_report_json(facts, ascii_only=ascii_only)
    if report_format == "text":
        from doctor.render.report_text import render_text

        return render_text(facts, ascii_only=ascii_only)
    from doctor.render.report_markdown import render_markdown

    return render_markdown(facts, ascii_only=ascii_only)


def command_line(ctx: typer.Context) -> str:
    """The command line as chat-doctor parsed it (the flags given, not their defaults), shell
    quoted, with URLs shown as `display_url` shows them (the rest is scrubbed with the output)."""
    from doctor.redact import display_url

    words: List[str] = [PROG, ctx.info_name or "report"]
    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name or "")
        if source is None or source.name == "DEFAULT" or not param.opts:
            continue
        value = ctx.params.get(param.name or "")
        flag = param.opts[0]
        if isinstance(value, bool):
            if value:
                words.append(flag)
            continue
        shown = str(value)
        words += [flag, display_url(shown) if "://" in shown or "@" in shown else shown]
    return " ".join(shlex.quote(word) for word in words)


def _fits_stdout() -> bool:
    from doctor.render.stream_picture import blocks_fit

    return blocks_fit(getattr(sys.stdout, "encoding", None))


class _Quiet:
    def __enter__(self) -> "_Quiet":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _waiting() -> Any:
    """A transient spinner on stderr while the checks run, on a terminal only: stdout holds the
    report and nothing else, so it can be piped into a file or `gh issue create`."""
    from doctor.render.console import make_console

    err = make_console(stderr=True)
    if not err.is_terminal or err.is_dumb_terminal:
        return _Quiet()
    return err.status("gathering the report…", spinner="dots")
