"""What pip itself looks at before it changes the target: is it a virtual environment, does its
stdlib directory hold PEP 668's EXTERNALLY-MANAGED marker, is pip there at all. Asked of the
target with a few stdlib lines (Python 3.6+ source), exactly as pip asks it
(pip._internal.utils.misc.check_externally_managed: no check inside a virtual environment,
else `sysconfig.get_path("stdlib")/EXTERNALLY-MANAGED`)."""

from __future__ import annotations

import json
from typing import Callable, Mapping

from doctor.fix.apply import run_bounded
from doctor.fix.plan import TargetFacts

# Stdlib only, 3.6 syntax: it runs inside the interpreter being fixed, under the user's environment
# (their warning filters included, as pip will run). One JSON line on stdout.
# pip's own urllib3 is imported too: pip 26.1+ vendors urllib3 2, which refuses OpenSSL < 1.1.1
# exactly as the user's does, and then pip cannot run at all (facts: urllib3-and-openssl.md, "pip's
# vendored urllib3"). The pip wheel bundled with the Python (ensurepip) is the way around it.
_QUERY = """\
import glob, importlib.util, json, os, sys, sysconfig
in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix) or hasattr(sys, "real_prefix")
marker = os.path.join(sysconfig.get_path("stdlib") or "", "EXTERNALLY-MANAGED")
has_pip = importlib.util.find_spec("pip") is not None
pip_error = None
if has_pip:
    try:
        import pip._vendor.urllib3
    except Exception as exc:
        pip_error = "%s: %s" % (type(exc).__name__, exc)
try:
    import ensurepip
    wheels = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")))
except Exception:
    wheels = []
print(json.dumps({"in_venv": in_venv, "marker": marker if os.path.isfile(marker) else None,
                  "has_pip": has_pip, "pip_error": pip_error, "bundled_pip": wheels[-1] if wheels else None}))
"""

# The answer is one short line; anything bigger is not the answer.
_KEEP = 8 * 1024


def ask_target(python: str, env: Mapping[str, str], timeout_s: float, scrub: Callable[[str], str]) -> TargetFacts:
    """The target's facts; on any failure, `error` says why (doctor.fix.plan then changes nothing)."""
    ran = run_bounded([python, "-c", _QUERY], env, timeout_s, scrub, keep=_KEEP)
    lines = [line for line in ran.output.splitlines() if line.startswith("{")]
    if not ran.ok or not lines:
        why = ran.error or ("timed out" if ran.timed_out else f"exited {ran.returncode}")
        return TargetFacts(python, error=why)
    try:
        answer = json.loads(lines[-1])
    except ValueError:
        return TargetFacts(python, error="answered something that is not JSON")
    if not isinstance(answer, dict):
        return TargetFacts(python, error="answered something that is not an object")
    marker, pip_error, bundled = answer.get("marker"), answer.get("pip_error"), answer.get("bundled_pip")
    return TargetFacts(
        python,
        in_venv=answer.get("in_venv") is True,
        externally_managed=marker if isinstance(marker, str) else None,
        has_pip=answer.get("has_pip") is not False,
        pip_error=pip_error if isinstance(pip_error, str) else None,
        bundled_pip=bundled if isinstance(bundled, str) else None,
    )
