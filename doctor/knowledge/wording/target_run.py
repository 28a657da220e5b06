"""What a run of the smoke test inside the target interpreter says when it could not run there
(doctor.stream.target_launch): why chat-doctor falls back to its own interpreter, and why a
runner that started did not finish. Kept beside the check wording so the texts live in one place.
"""

from __future__ import annotations

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
