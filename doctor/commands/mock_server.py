"""`chat-doctor mock-server`: run the local OpenAI-compatible endpoint in the foreground.

A thin adapter: options -> MockOptions, start the server, print where it listens, wait for
Ctrl-C/SIGTERM. The server module is imported inside the command so `chat-doctor --help` stays fast.
"""

# No `from __future__ import annotations` in command modules: typer < 0.13 reads the
# annotations without evaluating them and would silently ignore the Annotated options.
import errno
import signal
import threading
from pathlib import Path
from typing import Annotated, Any, Callable, Dict, List, Optional

import typer

PREFIX = "chat-doctor mock-server"
USAGE_ERROR = 2
# An hour: longer than anything worth rehearsing, and far from what time.sleep overflows on.
MAX_DELAY_MS = 3_600_000


def command(
    scenario: Annotated[
        str, typer.Option("--scenario", "-s", metavar="NAME", help="How the endpoint behaves (see --list-scenarios).")
    ] = "ok",
    host: Annotated[str, typer.Option(metavar="HOST", help="Address to bind. Loopback by default.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to bind; 0 picks a free one.", min=0, max=65535)] = 0,
    tls_cert: Annotated[
        Optional[Path], typer.Option("--tls-cert", metavar="FILE", help="Serve HTTPS with this PEM certificate (chain).")
    ] = None,
    tls_key: Annotated[
        Optional[Path], typer.Option("--tls-key", metavar="FILE", help="PEM private key for --tls-cert.")
    ] = None,
    first_token_delay: Annotated[
        int, typer.Option("--first-token-delay", metavar="MS", min=0, max=MAX_DELAY_MS,
                          help="Delay from request to the first streamed token (0: scenario default).")
    ] = 0,
    token_interval: Annotated[
        int, typer.Option("--token-interval", metavar="MS", min=0, max=MAX_DELAY_MS,
                          help="Delay between streamed tokens.")
    ] = 0,
    slow_delay: Annotated[
        int, typer.Option("--slow-delay", metavar="MS", min=0, max=MAX_DELAY_MS,
                          help="Head delay in the 'slow' scenario.")
    ] = 3000,
    stall: Annotated[
        int, typer.Option("--stall", metavar="MS", min=0, max=MAX_DELAY_MS,
                          help="How long the 'stall' scenario holds a stream.")
    ] = 60000,
    require_key: Annotated[
        Optional[str], typer.Option("--require-key", metavar="KEY",
                                    help="Accept only this key; any other gets 401 invalid_api_key.")
    ] = None,
    reply: Annotated[Optional[str], typer.Option(metavar="WORDS", help="The assistant's reply text.")] = None,
    redirect_to: Annotated[
        Optional[str], typer.Option("--redirect-to", metavar="URL", help="Location for the 'redirect' scenario.")
    ] = None,
    list_scenarios: Annotated[
        bool, typer.Option("--list-scenarios", help="List the scenarios and exit.")
    ] = False,
) -> None:
    """Run a local OpenAI-compatible endpoint that misbehaves on purpose."""
    from doctor.mock.scenarios import SCENARIOS

    if list_scenarios:
        _echo_lines(_scenario_table(SCENARIOS))
        return
    if scenario not in SCENARIOS:
        _fail(f"unknown scenario {scenario!r}; run `chat-doctor mock-server --list-scenarios`")
    if tls_key is not None and tls_cert is None:
        _fail("--tls-key needs --tls-cert")
    for path in (tls_cert, tls_key):
        if path is not None and not path.is_file():
            _fail(f"cannot read {path}: no such file")

    from doctor.mock.server import MockOptions, MockServer
    from doctor.net.loopback import is_loopback_host

    overrides: Dict[str, Any] = {"reply": reply} if reply is not None else {}
    options = MockOptions(
        scenario=scenario, host=host, port=port,
        certfile=str(tls_cert) if tls_cert else None, keyfile=str(tls_key) if tls_key else None,
        first_token_delay_ms=first_token_delay, token_interval_ms=token_interval,
        slow_delay_ms=slow_delay, stall_ms=stall, require_key=require_key, redirect_to=redirect_to,
        **overrides,
    )
    server = MockServer(options)
    try:
        server.start()
    except Exception as exc:  # noqa: BLE001  # every start failure is a one-line usage error
        _fail(_start_error_text(exc, options.host, options.port, options.certfile, options.keyfile))

    warning = None if is_loopback_host(host) else (
        f"warning: listening on {host}, reachable from other machines (clients will send their API keys to it)")
    banner = _banner(scenario, server.base_url, SCENARIOS[scenario].description, require_key is not None,
                     SCENARIOS[scenario].requires_key, tls_cert)
    _serve_until_interrupted(server, banner, warning)


def _serve_until_interrupted(server: Any, banner: List[str], warning: Optional[str]) -> None:
    # Handlers go in before the first line is printed: whoever reads that line may signal at once.
    stop = threading.Event()
    restore = _on_stop_signals(lambda *_: stop.set())
    try:
        if warning:
            typer.echo(f"{PREFIX}: {warning}", err=True)
        _echo_lines(banner)
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        restore()
    typer.echo(f"{PREFIX}: stopped", err=True)


def _on_stop_signals(handler: Callable[..., None]) -> Callable[[], None]:
    """Stop on SIGINT and SIGTERM; returns a function restoring the previous handlers.

    SIGINT gets an explicit handler too: a process started in the background by a
    non-interactive shell (`mock-server &` in a CI script) inherits SIGINT *ignored*, and
    Python then never raises KeyboardInterrupt, so `kill -INT` would not stop the server.
    """
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.signal(signum, handler)
        except ValueError:  # not the main thread (e.g. an embedding test runner): Ctrl-C only
            pass

    def restore() -> None:
        for signum, old in previous.items():
            signal.signal(signum, old)

    return restore


def _banner(scenario: str, base_url: str, description: str, key_required: bool, scenario_needs_key: bool,
            tls_cert: Optional[Path]) -> List[str]:
    # The base URL is on the first line so scripts can read it without parsing the rest.
    lines = [f"{PREFIX}: scenario {scenario}, listening on {base_url}", f"  {description}",
             f"  export OPENAI_BASE_URL={base_url}"]
    if key_required:
        lines.append("  export OPENAI_API_KEY=<the key given to --require-key>")
    elif scenario_needs_key:
        lines.append("  export OPENAI_API_KEY=sk-mock-local   # any non-empty key is accepted")
    if tls_cert is not None:
        lines.append("  clients must trust the CA that signed --tls-cert, e.g. export SSL_CERT_FILE=<ca.pem>")
    lines.append("  Press Ctrl-C to stop.")
    return lines


def _scenario_table(scenarios: Any) -> List[str]:
    width = max(len(name) for name in scenarios)
    return ["Scenarios (chat-doctor mock-server --scenario NAME):"] + [
        f"  {name.ljust(width)}  {scenario.description}" for name, scenario in scenarios.items()
    ]


def _start_error_text(exc: BaseException, host: str, port: int, certfile: Optional[str],
                      keyfile: Optional[str]) -> str:
    import socket
    import ssl

    if isinstance(exc, ssl.SSLError):
        return f"cannot load the TLS certificate/key ({exc.reason or exc}); expected PEM files"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host {host!r}: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        if exc.filename and exc.filename in (certfile, keyfile):
            return f"cannot read {exc.filename}: {exc.strerror or exc}"
        messages: Dict[Optional[int], str] = {
            errno.EADDRINUSE: f"port {port} on {host} is already in use; pick another with --port (0: any free port)",
            errno.EACCES: f"permission denied binding {host}:{port}; use a port above 1023",
            errno.EADDRNOTAVAIL: f"cannot bind {host}: no such address on this machine",
        }
        return messages.get(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    return f"cannot start: {exc}"


def _echo_lines(lines: List[str]) -> None:
    for line in lines:
        typer.echo(line)


def _fail(message: str) -> None:
    from doctor.process import say  # the message may quote a path or flag: its controls are escaped

    say(f"{PREFIX}: error: {message}")
    raise typer.Exit(USAGE_ERROR)
