"""net.tls judged by the trust of the TARGET interpreter, not chat-doctor's: a pyenv Python without
openai, and a real openai 2.x venv whose certifi bundle holds the test CA."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.helpers import check_endpoint as check
from tests.support.tls_certs import TlsMaterial, tls_server

pytestmark = pytest.mark.timeout(60)


# --------------------------------------------------------------------------------------------
# the trust of the TARGET interpreter, not chat-doctor's
# --------------------------------------------------------------------------------------------


def test_a_target_without_openai_is_judged_by_the_openai_pip_would_install(certs: TlsMaterial) -> None:
    from tests.support.venvs import pyenv_python

    python = pyenv_python("3.9")
    with tls_server(certs.good) as server:
        run = check(server.base_url, {}, "--python", python)
    sdk = run.check("net.tls")["data"]["trust"]["sdk"]
    assert sdk["source"] == "certifi" and "not installed" in sdk["client"] and "1.x/2.x" in sdk["client"]
    assert run.check("net.tls")["code"] == "tls_unknown_ca"


@pytest.mark.slow
def test_sdk_trusts_but_the_default_context_does_not_with_a_real_openai_2_target(certs: TlsMaterial) -> None:
    """openai 2.x trusts certifi's bundle; here that bundle holds the test CA, the system store does not."""
    import shutil
    import subprocess

    from tests.support.venvs import make_venv, pyenv_python, venv_python

    venv = make_venv(pyenv_python("3.11"), ["openai==2.54.0"], sitecustomize="# chat-doctor test: certifi + test CA\n")
    python = str(venv_python(venv))
    bundle = Path(subprocess.run([python, "-c", "import certifi; print(certifi.where())"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    original = bundle.with_name("cacert.pem.orig")
    if not original.exists():
        shutil.copy(bundle, original)
    bundle.write_bytes(original.read_bytes() + Path(certs.ca_file).read_bytes())
    try:
        with tls_server(certs.good) as server:
            run = check(server.base_url, {}, "--python", python)
    finally:
        shutil.copy(original, bundle)
    tls = run.check("net.tls")
    assert (tls["status"], tls["code"]) == ("warn", "tls_trust_differs"), tls
    sdk = tls["data"]["trust"]["sdk"]
    assert (sdk["source"], sdk["cafile"], sdk["ok"]) == ("certifi", str(bundle), True)
    assert "openai 2.54.0 (httpx)" == sdk["client"]
    assert not tls["data"]["trust"]["default"]["ok"]
    assert run.check("api.auth")["status"] == "ok"  # the API request trusts what the SDK trusts
    assert run.exit_code == 0
