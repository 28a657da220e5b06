"""`chat-doctor check`: is this environment ready to talk to the chat API?"""

# No `from __future__ import annotations` in command modules: typer < 0.13 reads the
# annotations without evaluating them and would silently ignore the Annotated options.
from typing import Collection, List, Sequence, Tuple

import typer

from doctor.commands.options import (
    ApiOpt,
    BaseUrlOpt,
    InsecureOpt,
    JsonOpt,
    JunitOpt,
    MaxTokensOpt,
    MaxTtftOpt,
    ModelOpt,
    OfflineOpt,
    OnlyOpt,
    PromptOpt,
    PythonOpt,
    QuietOpt,
    RunsOpt,
    SkipOpt,
    SmokeFlagOpt,
    StrictOpt,
    TimeoutOpt,
    VerboseOpt,
)
from doctor.commands.share_options import SaveSvgOpt
from doctor.settings import DEFAULT_TIMEOUT_S, SmokeOptions

# Options of the smoke test: without --smoke they would change nothing, silently.
_SMOKE_ONLY = ("prompt", "max_tokens", "runs", "api", "max_ttft", "quiet")
# The groups `check` runs; `stream` (the smoke test) joins them with --smoke.
_CHECK_GROUPS = ("python", "packages", "config", "net", "api")


def command(
    ctx: typer.Context,
    python: PythonOpt = None,
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT_S,
    offline: OfflineOpt = False,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
    strict: StrictOpt = False,
    allow_insecure: InsecureOpt = False,
    smoke: SmokeFlagOpt = False,
    prompt: PromptOpt = None,
    max_tokens: MaxTokensOpt = SmokeOptions.max_tokens,
    runs: RunsOpt = SmokeOptions.runs,
    api: ApiOpt = SmokeOptions.api,
    max_ttft: MaxTtftOpt = None,
    quiet: QuietOpt = False,
    only: OnlyOpt = None,
    skip: SkipOpt = None,
    junit: JunitOpt = None,
    save_svg: SaveSvgOpt = None,
) -> None:
    """Check the interpreter, TLS, key, endpoint and API; print causes and fixes."""
    from doctor.commands.ci import CiOutputs
    from doctor.commands.present import run_and_present, settings_or_exit, usage_error
    from doctor.commands.smoke import smoke_options

    if smoke and offline:
        raise usage_error("--smoke streams a reply over the network, which --offline skips; drop one of them")
    stray = _given(ctx, _SMOKE_ONLY)
    if stray and not smoke:
        raise usage_error(f"{', '.join(stray)} only apply to the smoke test: add --smoke")
    groups = _groups(smoke, only or (), skip or ())
    smoke_opts = smoke_options(prompt, max_tokens, runs, max_ttft, quiet, api) if smoke else None

    settings = settings_or_exit(
        python=python,
        base_url=base_url,
        model=model,
        timeout_s=timeout,
        offline=offline,
        strict=strict,
        verbose=verbose,
        allow_insecure=allow_insecure,
        smoke=smoke_opts,
    )
    if junit is None and save_svg is None:  # both may still stop the run as a usage error before any check
        from doctor.checks.models_head_start import start

        start(settings, groups)  # GET /models leaves now and waits on the network while the rest starts
    run_and_present(settings, as_json=as_json, groups=groups, outputs=CiOutputs.for_run(settings.env, junit),
                    save_svg=save_svg)


def _groups(smoke: bool, only: Sequence[str], skip: Sequence[str]) -> Collection[str]:
    """The groups this run checks: --only, then minus --skip; combinations that leave nothing to
    check, or that contradict --smoke, are usage errors."""
    from doctor.commands.present import usage_error
    from doctor.session import select_groups

    if "stream" in only and not smoke:
        raise usage_error("--only stream: the stream group is the smoke test; add --smoke")
    groups = select_groups(_CHECK_GROUPS + (("stream",) if smoke else ()), only=only, skip=skip)
    if smoke and "stream" not in groups:
        raise usage_error("--smoke runs the stream group, which --only/--skip leave out; drop one of them")
    if not groups:
        raise usage_error("--only and --skip leave no group to check")
    return groups


def _given(ctx: typer.Context, names: Tuple[str, ...]) -> List[str]:
    """The flags among `names` that the command line set (defaults do not count)."""
    flags = {param.name: param.opts[0] for param in ctx.command.params}
    given = []
    for name in names:
        source = ctx.get_parameter_source(name)
        if source is not None and source.name != "DEFAULT":
            given.append(flags[name])
    return given
