"""`chat-doctor demo`: the whole flow against the built-in local endpoint; no key, no network.

Starts the local OpenAI-compatible endpoint (doctor.mock) in this process on 127.0.0.1 and runs
`check --smoke` against it, with its base URL and a placeholder key set for this run only (in
the run's Settings, never exported). The reply streams visibly (a first-token delay and a
token interval); `--scenario` shows what a diagnosis looks like (e.g. `buffered`, `auth401`).
"""

# No `from __future__ import annotations` in command modules: typer < 0.13 reads the
# annotations without evaluating them and would silently ignore the Annotated options.
import os
from typing import Any, Dict

import typer

from doctor.commands.options import Annotated, JsonOpt, VerboseOpt
from doctor.commands.share_options import SaveSvgOpt

# Slow enough to watch the reply stream, fast enough not to bore (about 1 s in all).
DEMO_FIRST_TOKEN_DELAY_MS = 300
DEMO_TOKEN_INTERVAL_MS = 40
DEMO_KEY = "sk-demo-placeholder-not-a-real-key"
LOOPBACK = "127.0.0.1,localhost,::1"

# The demo's endpoint replaces the user's: none of their API settings may leak into it.
_REPLACED_PREFIXES = ("OPENAI_", "AZURE_OPENAI_")

ScenarioOpt = Annotated[
    str,
    typer.Option("--scenario", metavar="NAME", help="How the local endpoint behaves (`chat-doctor mock-server --list-scenarios`)."),
]


def demo_env(base: Dict[str, str], base_url: str) -> Dict[str, str]:
    """The environment of the demo run: the user's, with the API settings pointing at the demo
    endpoint and loopback excluded from any proxy (the endpoint is in this very process).
    """
    env = {k: v for k, v in base.items() if not k.upper().startswith(_REPLACED_PREFIXES)}
    env["OPENAI_BASE_URL"] = base_url
    env["OPENAI_API_KEY"] = DEMO_KEY
    for name in ("NO_PROXY", "no_proxy"):
        current = env.get(name, "")
        env[name] = f"{current},{LOOPBACK}" if current else LOOPBACK
    return env


def command(
    scenario: ScenarioOpt = "ok",
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
    save_svg: SaveSvgOpt = None,
) -> None:
    """Run `check --smoke` against a built-in local endpoint: no key, no network needed."""
    from doctor.commands.present import run_and_present, settings_or_exit, usage_error
    from doctor.mock.scenarios import SCENARIOS
    from doctor.mock.server import MockOptions, MockServer
    from doctor.settings import SmokeOptions

    if scenario not in SCENARIOS:
        raise usage_error(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    timing = _visible_timing(scenario)
    options = MockOptions(scenario=scenario, host="127.0.0.1", port=0, **timing)
    with MockServer(options) as server:
        settings = settings_or_exit(
            env=demo_env(dict(os.environ), server.base_url),
            verbose=verbose,
            # The stall scenario would otherwise wait for the default timeout; 3 s shows it.
            timeout_s=3.0 if scenario == "stall" else 10.0,
            smoke=SmokeOptions(),
        )
        run_and_present(settings, as_json=as_json, groups=None, save_svg=save_svg)


def _visible_timing(scenario: str) -> Dict[str, Any]:
    """The healthy scenario streams at a watchable pace; the others keep their own defaults
    (0 means "the scenario's default" to the mock server)."""
    if scenario == "ok":
        return {"first_token_delay_ms": DEMO_FIRST_TOKEN_DELAY_MS, "token_interval_ms": DEMO_TOKEN_INTERVAL_MS}
    return {}


