"""`chat-doctor smoke`: stream one reply (or several) from the chat API and time it (`--api`: Chat
Completions, the Responses API, or both side by side)."""

# No `from __future__ import annotations` in command modules: typer < 0.13 reads the
# annotations without evaluating them and would silently ignore the Annotated options.
from typing import Optional

from doctor.commands.options import (
    ApiOpt,
    BaseUrlOpt,
    InsecureOpt,
    JsonOpt,
    JunitOpt,
    MaxTokensOpt,
    MaxTtftOpt,
    ModelOpt,
    PromptOpt,
    PythonOpt,
    QuietOpt,
    RunsOpt,
    SmokeSkipOpt,
    StrictOpt,
    TimeoutOpt,
    VerboseOpt,
)
from doctor.commands.share_options import SaveSvgOpt
from doctor.settings import API_CHAT, DEFAULT_TIMEOUT_S, SmokeOptions

# The smoke test runs the cheap offline config checks too, so a bad key is explained rather
# than only answered with a 401.
SMOKE_GROUPS = frozenset({"config", "stream"})
# What `smoke --skip` may leave out: the stream is the command itself.
_SKIPPABLE = ("config",)


def smoke_options(
    prompt: Optional[str], max_tokens: int, runs: int, max_ttft: Optional[float], quiet: bool, api: str = API_CHAT
) -> SmokeOptions:
    defaults = SmokeOptions()
    return SmokeOptions(
        prompt=prompt if prompt else defaults.prompt,
        max_tokens=max_tokens,
        runs=runs,
        max_ttft_s=max_ttft,
        quiet=quiet,
        api=api,
    )


def command(
    python: PythonOpt = None,
    model: ModelOpt = None,
    prompt: PromptOpt = None,
    max_tokens: MaxTokensOpt = SmokeOptions.max_tokens,
    runs: RunsOpt = SmokeOptions.runs,
    api: ApiOpt = SmokeOptions.api,
    max_ttft: MaxTtftOpt = None,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT_S,
    base_url: BaseUrlOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    strict: StrictOpt = False,
    allow_insecure: InsecureOpt = False,
    skip: SmokeSkipOpt = None,
    junit: JunitOpt = None,
    save_svg: SaveSvgOpt = None,
) -> None:
    """Stream a chat reply token by token and measure time to first token (TTFT) and its parts.

    It runs in the target interpreter with its openai SDK (--python), over Chat Completions,
    the Responses API or both (--api)."""
    from doctor.commands.ci import CiOutputs
    from doctor.commands.present import run_and_present, settings_or_exit, usage_error

    refused = [group for group in skip or () if group not in _SKIPPABLE]
    if refused:
        raise usage_error(f"smoke --skip {refused[0]}: smoke runs the config and stream groups, "
                          f"and only {', '.join(_SKIPPABLE)} can be left out")

    settings = settings_or_exit(
        python=python,
        base_url=base_url,
        model=model,
        timeout_s=timeout,
        strict=strict,
        verbose=verbose,
        allow_insecure=allow_insecure,
        smoke=smoke_options(prompt, max_tokens, runs, max_ttft, quiet, api),
    )
    groups = SMOKE_GROUPS.difference(skip or ())
    run_and_present(settings, as_json=as_json, groups=groups, outputs=CiOutputs.for_run(settings.env, junit),
                    save_svg=save_svg)
