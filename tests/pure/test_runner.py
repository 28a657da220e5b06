"""The runner's own logic: order, prerequisites, crashes and deadlines (pure, fake checks)."""

from __future__ import annotations

import threading
import time

from doctor.knowledge.diagnoses import diagnose, ok
from doctor.model import Status
from doctor.runner import Check, Context, Need, run_checks
from doctor.settings import Settings
from tests.support.helpers import plan_for


def _as_is(result):
    return result  # these checks gather their result; the judge passes it on


def _ctx(**providers):
    return Context(plan_for(Settings(env={})), providers)


def test_results_come_in_declared_order_while_checks_run_concurrently() -> None:
    started = threading.Barrier(3, timeout=5)

    def slow(check_id: str, delay: float):
        def run(ctx: Context):
            started.wait()  # all three are running at once, or this times out
            time.sleep(delay)
            return ok(check_id, f"{check_id} done")

        return Check(check_id, check_id, run, _as_is)

    checks = [slow("a.first", 0.3), slow("a.second", 0.0), slow("a.third", 0.1)]
    t0 = time.monotonic()
    results = list(run_checks(checks, _ctx(), deadline_s=5))
    assert [r.id for r in results] == ["a.first", "a.second", "a.third"]
    assert time.monotonic() - t0 < 0.3 + 0.3  # concurrent: about the slowest, not the sum


def test_failed_prerequisite_skips_dependent_with_reason() -> None:
    checks = [
        Check("net.dns", "DNS", lambda ctx: diagnose("net.dns", "check_timeout", "dns broke"), _as_is),
        Check("net.tcp", "TCP", lambda ctx: ok("net.tcp", "never runs"), _as_is, needs=("net.dns",)),
    ]
    dns, tcp = run_checks(checks, _ctx(), deadline_s=5)
    assert dns.status is Status.ERROR
    assert tcp.status is Status.SKIP and tcp.code == "prerequisite_failed"
    assert "net.dns" in tcp.summary and "check_timeout" in tcp.summary


def test_crashing_check_becomes_error_and_report_completes() -> None:
    def boom(ctx: Context):
        raise RuntimeError("kaboom")

    checks = [Check("x.crash", "Crash", boom, _as_is), Check("x.fine", "Fine", lambda ctx: ok("x.fine", "fine"), _as_is)]
    crash, fine = run_checks(checks, _ctx(), deadline_s=5)
    assert crash.status is Status.ERROR and crash.code == "check_crashed" and "kaboom" in crash.summary
    assert fine.status is Status.OK


def test_hung_check_is_cut_off_at_the_deadline() -> None:
    release = threading.Event()
    checks = [Check("x.hang", "Hang", lambda ctx: (release.wait(10), ok("x.hang", "late"))[1], _as_is)]
    t0 = time.monotonic()
    (result,) = run_checks(checks, _ctx(), deadline_s=0.3)
    release.set()
    assert result.code == "check_timeout" and result.status is Status.ERROR
    assert time.monotonic() - t0 < 2


def test_offline_skips_network_checks_without_running_them() -> None:
    ran = []
    checks = [Check("net.dns", "DNS", lambda ctx: ran.append(1) or ok("net.dns", "x"), _as_is, network=True)]
    ctx = Context(plan_for(Settings(env={}, offline=True)), {})
    (result,) = run_checks(checks, ctx, deadline_s=5)
    assert result.status is Status.SKIP and result.code == "offline" and not ran


def test_fact_is_gathered_once_for_concurrent_checks() -> None:
    calls = []

    def gather(ctx: Context) -> int:
        calls.append(1)
        time.sleep(0.1)
        return 42

    checks = [Check(f"f.c{i}", "c", lambda ctx, i=i: ok(f"f.c{i}", str(ctx.fact("answer"))), _as_is) for i in range(4)]
    results = list(run_checks(checks, _ctx(answer=gather), deadline_s=5))
    assert [r.summary for r in results] == ["42"] * 4
    assert len(calls) == 1


def test_fact_failure_reaches_every_caller() -> None:
    def broken(ctx: Context) -> int:
        raise OSError("probe exploded")

    checks = [Check(f"f.c{i}", "c", lambda ctx, i=i: ok(f"f.c{i}", str(ctx.fact("x"))), _as_is) for i in range(2)]
    results = list(run_checks(checks, _ctx(x=broken), deadline_s=5))
    assert all(r.code == "check_crashed" and "probe exploded" in r.summary for r in results)


def test_results_are_scrubbed_of_the_key() -> None:
    key = "sk-proj-" + "A" * 40 + "wxyz"
    checks = [Check("s.echo", "Echo", lambda ctx: ok("s.echo", f"server said: bad key {key}", details=[key[:30]]), _as_is)]
    ctx = Context(plan_for(Settings(env={"OPENAI_API_KEY": key})), {})
    (result,) = run_checks(checks, ctx, deadline_s=5)
    assert key not in result.summary and key[:30] not in result.details[0]
    assert "…wxyz" in result.summary


def test_gather_feeds_judge_and_a_crashing_judge_is_an_error() -> None:
    good = Check("g.ok", "Good", lambda ctx: 7, lambda facts: ok("g.ok", f"facts={facts}"))
    bad = Check("g.bad", "Bad", lambda ctx: 7, lambda facts: 1 / 0)
    first, second = run_checks([good, bad], _ctx(), deadline_s=5)
    assert first.summary == "facts=7"
    assert second.code == "check_crashed" and "ZeroDivisionError" in second.summary


def test_a_conditional_need_applies_only_when_its_condition_holds() -> None:
    broken = Check("net.dns", "DNS", lambda ctx: diagnose("net.dns", "check_timeout", "dns broke"), _as_is)

    def dependent(check_id: str, applies: bool) -> Check:
        need = Need("net.dns", when=lambda ctx: applies)
        return Check(check_id, check_id, lambda ctx: ok(check_id, "ran"), _as_is, needs=(need,))

    _, skipped, ran = run_checks([broken, dependent("a.needs", True), dependent("a.free", False)], _ctx(), deadline_s=5)
    assert skipped.code == "prerequisite_failed" and "net.dns" in skipped.summary
    assert (ran.status, ran.summary) == (Status.OK, "ran")


def test_after_earlier_starts_only_when_every_earlier_check_has_finished() -> None:
    release = threading.Event()
    finished = []

    def slow(ctx: Context):
        release.wait(5)
        finished.append("slow")
        return ok("a.slow", "slow")

    def last(ctx: Context):
        return ok("z.last", f"saw {finished}, in run {list(ctx.check_ids())}")

    checks = [Check("a.slow", "slow", slow, _as_is), Check("z.last", "last", last, _as_is, after_earlier=True)]
    results = run_checks(checks, _ctx(), deadline_s=5)
    threading.Timer(0.2, release.set).start()
    _, after = list(results)
    assert after.summary == "saw ['slow'], in run ['a.slow', 'z.last']"
