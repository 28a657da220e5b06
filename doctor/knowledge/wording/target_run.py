"""What a run of the smoke test inside the target interpreter says when it could not run there
(doctor.stream.target_launch, doctor.stream.target_smoke): why chat-doctor falls back to its own
interpreter, why a runner that started did not finish, a target SDK that cannot build a client
(stream_sdk_broken) with its fixes, and which interpreter and SDK ran it. Kept beside the check
wording so the texts live in one place.
"""

from __future__ import annotations

import shlex
from typing import Optional, Tuple

from doctor.model import Fix

RUNNER_MIN_PYTHON = (3, 8)
RUNNER_MIN_OPENAI = 1


def fallback_too_old_python(python: str, version: str, own: str) -> str:
    minimum = ".".join(map(str, RUNNER_MIN_PYTHON))
    return (f"{python} is Python {version}, older than the {minimum} the smoke test needs there: "
            f"it ran in chat-doctor's own interpreter ({own}) instead")


def fallback_no_openai(python: str, exception: str, message: str, own: str) -> str:
    return (f"openai cannot be imported in {python} ({exception}: {message}): "
            f"the smoke test ran in chat-doctor's own interpreter ({own}) instead")


def fallback_old_openai(python: str, version: str, own: str) -> str:
    return (f"{python} has openai {version}, older than the {RUNNER_MIN_OPENAI}.0 the smoke test needs: "
            f"it ran in chat-doctor's own interpreter ({own}) instead")


def not_started(python: str, reason: str) -> str:
    return f"{python} could not be started: {reason}"


def withheld() -> str:
    return "the key may not travel over plain http on this route: nothing was sent (use https, or --allow-insecure)"


def hung(python: str, deadline_s: float) -> str:
    return f"the smoke test in {python} did not finish within {deadline_s:g} s (killed)"


def flooded(python: str, stream: str, cap: int) -> str:
    return (f"the smoke test in {python} printed more than {cap / (1024 * 1024):.1f} MiB on {stream} (killed): "
            "more than any reply within the limits can produce")


def flooded_lines(python: str, count: int) -> str:
    return (f"the smoke test in {python} printed more than {count} lines (killed): "
            "more events than any run within the limits has")


def crashed(python: str, returncode: int, excerpt: str) -> str:
    how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited with status {returncode}"
    return f"the smoke test in {python} {how} before it finished" + (f": {excerpt}" if excerpt else "")


def garbage(python: str, excerpt: str) -> str:
    return f"the smoke test in {python} printed something that is not a runner event: {excerpt or '(nothing)'}"


def internal_error(python: str, exception: str, message: str) -> str:
    return f"the smoke test in {python} failed on its own: {exception}: {message}"


def fallback_not_installed(python: str, own: str) -> str:
    return (f"openai is not installed in {python}: "
            f"the smoke test ran in chat-doctor's own interpreter ({own}) instead")


def fallback_not_probed(python: str, reason: str, own: str) -> str:
    return (f"{python} could not be inspected ({reason}): "
            f"the smoke test ran in chat-doctor's own interpreter ({own}), not the target")


# --- which interpreter and SDK ran it (a detail line of stream.chat) ---------------------------


def ran_with(python: Optional[str], version: Optional[str], sdk: str, http: Optional[str], in_target: bool) -> str:
    where = "the target" if in_target else "chat-doctor's own interpreter"
    at = f", {python}" + (f" (Python {version})" if version else "") if python else ""
    return f"ran in {where}{at}: {sdk}" + (f" with {http}" if http else "")


# --- a target whose SDK cannot build a client (stream_sdk_broken) ------------------------------


def sdk_broken(exception: str, message: str) -> str:
    return f"the target's openai SDK cannot build a client: {exception}: {message}"


SDK_BROKEN_DETAIL = "the app's own `OpenAI()` fails the same way in this interpreter: nothing was sent"
# openai 1.55.3 stopped passing httpx the `proxies` argument that httpx 0.28 removed.
OPENAI_WITHOUT_PROXIES = "1.55.3"


def sdk_broken_fixes(python: str, exception: str, message: str, sdk: str) -> Tuple[Fix, ...]:
    """Commands for the interpreter the smoke test ran in (`python`, shell-quoted)."""
    pip = f"{shlex.quote(python)} -m pip install"
    if exception == "TypeError" and "proxies" in message:
        return (
            Fix("Upgrade openai in the target: openai before 1.55.3 passes httpx 0.28 the `proxies` it removed",
                f"{pip} -U {shlex.quote('openai>=' + OPENAI_WITHOUT_PROXIES)}"),
            Fix("Or keep this openai and pin httpx below 0.28", f"{pip} {shlex.quote('httpx<0.28')}"),
        )
    version = sdk.split(" ", 1)[-1] if sdk.startswith("openai ") else ""
    pinned = f"openai=={version}" if version[:1].isdigit() else "openai"
    return (Fix("Reinstall openai and its dependencies in the target", f"{pip} --force-reinstall {shlex.quote(pinned)}"),)
