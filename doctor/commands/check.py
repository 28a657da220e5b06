"""`chat-doctor check`: is this environment ready to talk to the chat API?"""

# No `from __future__ import annotations` in command modules: typer < 0.13 reads the
# annotations without evaluating them and would silently ignore the Annotated options.
from doctor.commands.options import (
    BaseUrlOpt,
    InsecureOpt,
    JsonOpt,
    ModelOpt,
    OfflineOpt,
    PythonOpt,
    StrictOpt,
    TimeoutOpt,
    VerboseOpt,
)
from doctor.settings import DEFAULT_TIMEOUT_S


def command(
    python: PythonOpt = None,
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT_S,
    offline: OfflineOpt = False,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
    strict: StrictOpt = False,
    allow_insecure: InsecureOpt = False,
) -> None:
    """Check the interpreter, TLS, key, endpoint and API; print causes and fixes."""
    from doctor.commands.present import run_and_present, settings_or_exit

    settings = settings_or_exit(
        python=python,
        base_url=base_url,
        model=model,
        timeout_s=timeout,
        offline=offline,
        strict=strict,
        verbose=verbose,
        allow_insecure=allow_insecure,
    )
    run_and_present(settings, as_json=as_json, groups={"python", "packages", "config", "net", "api"})
