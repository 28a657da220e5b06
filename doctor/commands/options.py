"""Options shared by several commands, declared once so their names and help never drift."""

# No `from __future__ import annotations` here or in command modules: typer < 0.13 reads
# annotations without evaluating them and would silently ignore the Annotated options.
from typing import Annotated, Any, Callable, List, Optional, Tuple

import typer

from doctor.settings import (
    API_CHAT,
    APIS,
    MAX_RUNS,
    MAX_SECONDS,
    MAX_TOKENS,
    api_problem,
    runs_problem,
    seconds_problem,
    text_problem,
    tokens_problem,
)


def _bounded(problem_of: Callable[[Any], Optional[str]]) -> Callable[[Any], Any]:
    """A typer callback refusing what `problem_of` (doctor.settings, which checks the same
    bounds for every other caller) says is wrong with the value."""

    def callback(value: Any) -> Any:
        problem = None if value is None else problem_of(value)
        if problem is not None:
            raise typer.BadParameter(problem)
        return value

    return callback


def _groups(values: Optional[List[str]]) -> Tuple[str, ...]:
    """The group names of `--only`/`--skip` (comma-separated or the flag repeated); an unknown
    one is refused here, as a usage error that names the groups there are."""
    from doctor.session import group_names  # loaded only when the flag is given
    from doctor.settings import UsageError

    if not values:
        return ()
    try:
        names = group_names(values)
    except UsageError as exc:
        raise typer.BadParameter(str(exc)) from None
    if not names:
        raise typer.BadParameter("names no group")
    return names


PythonOpt = Annotated[
    Optional[str],
    typer.Option(
        "--python",
        metavar="PATH",
        help="Interpreter (or virtual environment) to inspect. Default: $VIRTUAL_ENV, else chat-doctor's own.",
    ),
]
BaseUrlOpt = Annotated[
    Optional[str],
    typer.Option("--base-url", metavar="URL", help="API base URL. Default: $OPENAI_BASE_URL, else https://api.openai.com/v1."),
]
ModelOpt = Annotated[
    Optional[str], typer.Option("--model", "-m", metavar="NAME", callback=_bounded(text_problem),
                                help="Chat model (Azure: the deployment). Default: gpt-4o-mini.")
]
TimeoutOpt = Annotated[
    float,
    typer.Option("--timeout", metavar="SECONDS", callback=_bounded(seconds_problem),
                 help=f"Bound on every network step (at most {MAX_SECONDS:g} s).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the JSON report alone on stdout.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show details, timings and durations.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Treat warnings as failures (exit 1).")]
InsecureOpt = Annotated[
    bool,
    typer.Option(
        "--allow-insecure",
        help="Allow sending the key over plain http:// to a host that is not this machine.",
    ),
]
OfflineOpt = Annotated[bool, typer.Option("--offline", help="Skip every check that needs the network.")]
MaxTtftOpt = Annotated[
    Optional[float],
    typer.Option(
        "--max-ttft", metavar="SECONDS", callback=_bounded(seconds_problem),
        help="Fail (exit 4) when the time to first token (the median with --runs) exceeds this.",
    ),
]

# --- the streamed chat smoke test (`smoke`, `check --smoke`) ---------------------------------
SmokeFlagOpt = Annotated[
    bool, typer.Option("--smoke", help="Also run the streamed chat smoke test (stream.chat) and time it.")
]
PromptOpt = Annotated[
    Optional[str], typer.Option("--prompt", metavar="WORDS", callback=_bounded(text_problem),
                                help="The user message of the smoke test.")
]
MaxTokensOpt = Annotated[
    int, typer.Option("--max-tokens", metavar="N", callback=_bounded(tokens_problem),
                      help=f"Cap on the reply's tokens (at most {MAX_TOKENS}).")
]
RunsOpt = Annotated[
    int,
    typer.Option(
        "--runs", metavar="N", callback=_bounded(runs_problem),
        help="Streamed requests to time, one after another, with one client "
        f"(percentiles over the runs; at most {MAX_RUNS}).",
    ),
]
ApiOpt = Annotated[
    str,
    typer.Option(
        "--api", metavar="|".join(APIS), callback=_bounded(api_problem),
        help=f"Which streaming API to prove: Chat Completions (stream.chat), the Responses API "
        f"(stream.responses), or both one after the other, side by side. Default: {API_CHAT}.",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Do not show the streamed reply, only the results.")
]

# --- CI (`check`, `smoke`) ---------------------------------------------------------------------
def _path_problem(value: str) -> Optional[str]:
    # `--junit "$REPORT"` with the variable unset: refused, rather than silently writing nothing.
    return None if value.strip() else "needs a file path"


JunitOpt = Annotated[
    Optional[str],
    typer.Option(
        "--junit", metavar="PATH", callback=_bounded(_path_problem),
        help="Also write the report as JUnit XML to PATH (one test case per check and per smoke run), "
        "once every check is done, whatever their verdicts.",
    ),
]
GROUP_LIST = "python, packages, config, net, api, stream"  # doctor.session.GROUPS, spelt out for --help
OnlyOpt = Annotated[
    Optional[List[str]],
    typer.Option(
        "--only", metavar="GROUP[,GROUP]", callback=_groups,
        help=f"Run only these check groups ({GROUP_LIST}; stream needs --smoke). "
        "Checks whose prerequisites are skipped still run.",
    ),
]
SkipOpt = Annotated[
    Optional[List[str]],
    typer.Option(
        "--skip", metavar="GROUP[,GROUP]", callback=_groups,
        help="Leave out these check groups (after --only). Checks whose prerequisites are skipped still run.",
    ),
]
SmokeSkipOpt = Annotated[
    Optional[List[str]],
    typer.Option(
        "--skip", metavar="config", callback=_groups,
        help="Leave out the config checks (--skip config): only the streamed test runs, "
        "even where the config checks would have failed.",
    ),
]
