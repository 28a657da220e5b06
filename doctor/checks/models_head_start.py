"""A head start for the `models` fact: `GET /models` sent while the rest of `check` starts up.

Why: against a slow endpoint a run cannot end before /models answers, and in the serial order
the request left only once rich, every check module (the registry) and the checks before
api.auth had run, about 0.6 s of CPU that could as well run while the request waits on the
network (scripts/bench.py network). The request is written before urllib3 is even imported
(doctor.net.presend: the bytes urllib3 would write, then urllib3 reads the answer on that
socket), so urllib3's ~0.1 s of imports also runs while the server thinks.

The key travels under exactly the serial path's rules, because the head start applies them
first, from the same settings, with the same functions:
- only for a run that has api.auth and is not --offline;
- only when the config checks api.auth depends on pass (config.api_key, config.base_url,
  config.proxy: their own gather and judge, which read only the settings and ./.env);
- only along a usable plain-http route chat-doctor crosses itself, decided without the
  interpreter probe (a route or proxy check that asks for the probe declines: the answer
  would depend on the target's packages, known only later);
- never over https: there the key waits for net.tls's verdict, which needs the target's trust;
- and gather_models itself asks doctor.net.keyroute before anything is sent.
The answer is only offered (doctor.checks.models_fact.provide_models): api.auth adopts it once
the run's own prerequisites passed; when net.dns or net.tcp fails it is never judged.
"""

from __future__ import annotations

import threading
from typing import Any, Collection, Optional, Tuple

from doctor.runner import PASSING, Context
from doctor.settings import Settings

# How long the command waits for the head start before going on: first for its CPU work (the
# gates, the imports) to be done, then for its request to be written. Meanwhile the command's
# own imports would only fight it for the GIL; once the request is out, they run while it waits
# on the network. Bounds, so a slow machine only loses the overlap and a silent host (a connect
# that hangs) delays the checks by _SENT_WAIT_S at most.
_READY_WAIT_S = 2.0
_SENT_WAIT_S = 0.25


class _ProbeNeeded(KeyError):
    """A gather asked for the interpreter probe: the verdict depends on the target, so decline."""


def start(settings: Settings, groups: Collection[str]) -> None:
    """Start the head start for the run of `settings` (when it may apply) and return once its
    request is written, it declined or failed, or the waits below ran out."""
    from doctor.checks.models_fact import HeadStart, hand_over_head_start, offer_head_start

    if hand_over_head_start(settings):
        return  # started before typer, from equal Settings (doctor.commands.check_early)
    if settings.offline or "api" not in groups:
        return
    from doctor.endpoint import resolve_endpoint

    try:
        endpoint = resolve_endpoint(settings)
    except Exception:  # noqa: BLE001  # the run reports a bad endpoint itself; nothing to start
        return
    head_start = HeadStart(settings, endpoint)
    offer_head_start(head_start)  # before the thread starts: the run finds it pending, never asks beside it
    ready, sent = threading.Event(), threading.Event()
    thread = threading.Thread(target=_run, args=(head_start, ready, sent), name="models head start", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # no thread to be had (a pids limit): declined, the run asks itself
        head_start.outcome.set_result(None)
        return
    if ready.wait(_READY_WAIT_S):
        sent.wait(_SENT_WAIT_S)


def _run(head_start: Any, ready: threading.Event, sent: threading.Event) -> None:
    try:
        try:
            ctx = head_start_context(head_start.settings, head_start.endpoint)
        except BaseException:  # noqa: BLE001  # any doubt declines: the run then asks itself, as before
            ctx = None
        if ctx is None:
            head_start.outcome.set_result(None)
            return
        _send(head_start, ctx, ready, sent)
    finally:
        ready.set()
        sent.set()


def _send(head_start: Any, ctx: Context, ready: threading.Event, sent: threading.Event) -> None:
    try:
        import doctor.credentials
        import doctor.net.http
        import doctor.net.keyroute
        import doctor.net.presend  # noqa: F401  # (all four) imported for their cost, not their names: gather_models' own
        from doctor.checks.models_fact import gather_models
        ready.set()
        # early: the request is written before urllib3 is imported (doctor.net.presend), which then
        # loads while the server thinks and the command starts up.
        head_start.outcome.set_result((ctx.fact("route"), gather_models(ctx, on_sent=sent.set, early=True)))
    except BaseException as exc:  # noqa: BLE001  # re-raised in api.auth, as the serial gather would raise there
        head_start.outcome.set_exception(exc)


def head_start_context(settings: Settings, endpoint: Any) -> Optional[Context]:
    """A Context for gather_models when every rule before it lets the key go; else None."""
    from doctor.checks import config_api_key, config_base_url, config_proxy
    from doctor.checks.models_fact import sendable
    from doctor.checks.route import gather_route
    from doctor.plan import Plan
    from doctor.probe.target_select import select_target

    asked = threading.Event()  # config.proxy and the route catch the refusal and go on: remember it

    def no_probe(_ctx: Context) -> None:
        asked.set()
        raise _ProbeNeeded("interpreter")

    plan = Plan(settings=settings, target=select_target(settings), endpoint=endpoint)
    ctx = Context(plan, {"route": gather_route, "interpreter": no_probe})
    config_checks: Tuple[Any, ...] = (*config_api_key.CHECKS, *config_base_url.CHECKS, *config_proxy.CHECKS)
    for check in config_checks:
        if check.judge(check.gather(ctx)).status not in PASSING:
            return None
    route = ctx.fact("route")
    if asked.is_set() or not sendable(route) or route.scheme != "http":
        return None
    return ctx
