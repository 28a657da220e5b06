"""python.* checks as pure rules, judged from facts fixtures (tests/support/facts.py): the urllib3
verdicts of real platforms, interpreter age, the TLS library, certificates."""

from __future__ import annotations

import datetime
from typing import Optional

import pytest

from doctor.checks.python_certs import CertsCheckFacts, judge_certs
from doctor.checks.python_interpreter import InterpreterCheckFacts, judge_interpreter
from doctor.checks.python_ssl import SslCheckFacts, judge_ssl
from doctor.checks.python_urllib3 import Urllib3CheckFacts, judge_urllib3
from doctor.knowledge import urllib3 as u3
from doctor.knowledge.tls_library import parse_tls_library
from doctor.model import Status, Target
from doctor.probe.facts import (
    CaVariable,
    CertifiFacts,
    InterpreterFacts,
    PathFacts,
    Urllib3Import,
    VerifyPaths,
    WarningRecord,
)
from tests.support.facts import (
    LIBRESSL,
    OPENSSL_3,
    OPENSSL_102,
    OPENSSL_110,
    OPENSSL_111,
    make_facts,
)

TODAY = datetime.date(2026, 11, 25)
CLT = "/Library/Developer/CommandLineTools/usr/bin/python3"


def commands(result) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(fix.command or "" for fix in result.fixes)


# --- python.urllib3: the verdicts of the issue ---------------------------------------------


def test_macos_clt_libressl_with_urllib3_202_fails() -> None:
    facts = make_facts("3.9.6", LIBRESSL, "2.0.2", platform="darwin", executable=CLT)
    result = judge_urllib3(Urllib3CheckFacts(facts, CLT))
    assert (result.status, result.code) == (Status.FAIL, "urllib3_ssl_import_error")
    assert result.data["predicted"]["message"] == (
        "urllib3 v2.0 only supports OpenSSL 1.1.1+, currently the 'ssl' module is compiled with LibreSSL 2.8.3. "
        "See: https://github.com/urllib3/urllib3/issues/2168")
    text = commands(result)
    assert "brew install python@3.13" in text and "uv python install 3.13" in text
    assert f'{CLT} -m pip install "urllib3<2"' in text
    assert '"urllib3>=2.0.3"' in text  # for LibreSSL the upgrade turns the error into a warning
    assert [f.command for f in result.fixes].index(f'{CLT} -m pip install "urllib3<2"') > 0  # interpreter first
    assert any("openai >= 1.0 does not use urllib3" in d for d in result.details)


def test_macos_clt_libressl_with_urllib3_263_warns() -> None:
    facts = make_facts("3.9.6", LIBRESSL, "2.6.3", platform="darwin", executable=CLT)
    result = judge_urllib3(Urllib3CheckFacts(facts, CLT))
    assert (result.status, result.code) == (Status.WARN, "urllib3_ssl_warning")
    assert "'LibreSSL 2.8.3'" in result.data["predicted"]["message"]
    assert "issues/3020" in result.data["predicted"]["message"]
    text = commands(result)
    assert 'PYTHONWARNINGS="ignore:urllib3 v2"' in text
    assert "disable_warnings" not in text
    assert any("disable_warnings() cannot" in f.text for f in result.fixes)
    assert '"urllib3>=2.0.3"' not in text  # already past 2.0.3


def test_rhel7_python36_openssl102_without_urllib3_is_ok_because_pip_gives_1_26() -> None:
    facts = make_facts("3.6.8", OPENSSL_102, None)
    result = judge_urllib3(Urllib3CheckFacts(facts, "/usr/bin/python3"))
    assert result.status is Status.OK
    assert result.data["would_install"] == "1.26.20"
    assert "urllib3 1.26.20" in result.summary


def test_centos7_scl_python38_openssl102_with_urllib3_223_fails() -> None:
    facts = make_facts("3.8.13", OPENSSL_102, "2.2.3")
    result = judge_urllib3(Urllib3CheckFacts(facts, "/opt/rh/rh-python38/root/usr/bin/python3"))
    assert (result.status, result.code) == (Status.FAIL, "urllib3_ssl_import_error")
    assert "older than OpenSSL 1.1.1" in result.summary
    assert "'OpenSSL 1.0.2k-fips  26 Jan 2017'" in result.data["predicted"]["message"]
    assert "PYTHONWARNINGS" not in commands(result)  # silencing cannot help an ImportError
    assert '"urllib3>=2.0.3"' not in commands(result)  # nor can upgrading


def test_amazon_linux2_python37_without_urllib3_warns_of_the_latent_failure() -> None:
    """Nothing is broken yet, but the first `pip install requests` brings urllib3 2.0.7."""
    result = judge_urllib3(Urllib3CheckFacts(make_facts("3.7.16", OPENSSL_102, None), "/usr/bin/python3"))
    assert (result.status, result.code) == (Status.WARN, "urllib3_ssl_import_error")
    assert result.data["would_install"] == "2.0.7"


@pytest.mark.parametrize(
    ("ssl", "version", "expected"),
    [
        (OPENSSL_110, "2.0.7", u3.IMPORT_ERROR),
        (OPENSSL_111, "2.0.0", u3.OK),
        (OPENSSL_3, "2.8.0", u3.OK),
        (LIBRESSL, "1.26.20", u3.OK),
        (LIBRESSL, "2.0.0a1", u3.IMPORT_ERROR),  # pre-releases of 2.0.0 already refuse
        (LIBRESSL, "2.0.3", u3.WARNING),
        (("LibreSSL 3.8.0", (2, 0, 0, 0, 0)), "2.9.0", u3.WARNING),  # newer than the table: same check
        (("OpenSSL 4.0.1 1 Oct 2026", (4, 0, 0, 1, 0)), "2.8.0", u3.OK),
    ],
)
def test_prediction_table(ssl: tuple, version: str, expected: str) -> None:
    assert u3.predict_import(version, True, ssl[0], ssl[1]).outcome == expected


def test_prediction_without_ssl_module_and_with_warning_filters() -> None:
    assert u3.predict_import("2.8.0", False, None, ()).outcome == u3.OK
    as_error = u3.predict_import("2.8.0", True, *LIBRESSL, {"urllib3 v2": "error"})
    assert as_error.outcome == u3.IMPORT_ERROR and as_error.raised == "urllib3.exceptions.NotOpenSSLWarning"
    silenced = u3.predict_import("2.0.7", True, *LIBRESSL, {"urllib3 v2.0": "ignore", "urllib3 v2": "default"})
    assert silenced.outcome == u3.OK and silenced.silenced
    # 2.0.x wording is keyed separately: a filter for "urllib3 v2 " alone would not match it.
    assert u3.predict_import("2.0.7", True, *LIBRESSL, {"urllib3 v2": "ignore"}).outcome == u3.WARNING


def test_message_regex_matches_every_variant() -> None:
    for version, ssl in [("2.0.2", LIBRESSL), ("2.0.7", OPENSSL_102), ("2.8.0", OPENSSL_110), ("2.6.3", LIBRESSL)]:
        message = u3.predict_import(version, True, *ssl).message
        assert message and u3.MESSAGE_RE.search(message)


def test_names_who_pulls_urllib3_in_and_who_needs_urllib3_2() -> None:
    dists = [
        ("tiktoken", "0.14.0", ["regex", "requests>=2.26.0", "blobfile; extra == \"blobfile\""]),
        ("requests", "2.32.5", ["urllib3<3,>=1.21.1", "certifi>=2017.4.17", "PySocks!=1.5.7; extra == \"socks\""]),
        ("types-requests", "2.32.0.20250306", ["urllib3>=2"]),
        ("botocore", "1.31.0", ['urllib3<1.27,>=1.25.4; python_version < "3.10"']),
        ("legacy", "1.0", ['urllib3<1.25; python_version >= "3.12"']),  # marker false on 3.9
    ]
    facts = make_facts("3.9.6", LIBRESSL, "2.6.3", platform="darwin", dists=dists)
    result = judge_urllib3(Urllib3CheckFacts(facts, CLT))
    pulled = result.data["pulled_in_by"]
    assert "tiktoken -> requests -> urllib3" in pulled
    assert "types-requests -> urllib3" in pulled and "botocore -> urllib3" in pulled
    assert not any(p.startswith("legacy") for p in pulled)
    (pin,) = [f for f in result.fixes if f.command and '"urllib3<2"' in f.command]
    assert pin.text.endswith(": here types-requests (needs urllib3>=2)")  # not requests, not botocore


def test_observed_reality_wins_and_disagreement_is_reported() -> None:
    observed = Urllib3Import(installed=True, version="2.8.0", origin="/site/urllib3/__init__.py", attempted=True,
                             ok=True, warnings=(WarningRecord("urllib3.exceptions.NotOpenSSLWarning", "urllib3 v2 only …",
                                                             "/site/urllib3/__init__.py", 35, "default"),))
    facts = make_facts("3.11.7", OPENSSL_3, "2.8.0", observed=observed)  # predicted ok, observed warning
    result = judge_urllib3(Urllib3CheckFacts(facts, "/usr/bin/python3"))
    assert result.code == "urllib3_ssl_warning"
    assert result.data["prediction_matches"] is False
    assert any("predicted ok" in d and "chat-doctor bug" in d for d in result.details)


def test_an_unrelated_import_failure_is_not_blamed_on_tls() -> None:
    observed = Urllib3Import(installed=True, version="2.8.0", attempted=True, ok=False, error_type="builtins.ImportError",
                             error_message="cannot import name 'HTTPHeaderDict' from partially initialized module")
    result = judge_urllib3(Urllib3CheckFacts(make_facts(urllib3="2.8.0", observed=observed), "/usr/bin/python3"))
    assert (result.status, result.code) == (Status.FAIL, "urllib3_import_failed")
    assert "--force-reinstall urllib3" in commands(result)


def test_venv_fix_builds_beside_the_old_venv_and_switches_after() -> None:
    facts = make_facts("3.9.6", LIBRESSL, "2.0.2", platform="darwin", is_venv=True, prefix="/Users/me/app/.venv")
    result = judge_urllib3(Urllib3CheckFacts(facts, "/Users/me/app/.venv/bin/python"))
    install, rebuild = (f.command or "" for f in result.fixes[:2])
    assert install == "brew install python@3.13"
    assert rebuild.startswith("/Users/me/app/.venv/bin/python -m pip list --not-required")
    assert "python3.13 -m venv /Users/me/app/.venv.new" in rebuild and "import openai" in rebuild
    assert "--clear" not in rebuild and "sed 's/==.*//'" in rebuild  # names only: versions chosen anew
    switch = next(f.command for f in result.fixes if (f.command or "").startswith("mv "))
    assert switch.startswith("mv /Users/me/app/.venv /Users/me/app/.venv.old && ")
    assert "OpenSSL" in result.fixes[0].text  # a TLS problem says so; a version problem does not
    capped = judge_interpreter(InterpreterCheckFacts(
        target(), TODAY, make_facts("3.9.6", platform="darwin", is_venv=True, prefix="/Users/me/app/.venv")))
    assert "Python 3.9 is the problem" in capped.fixes[0].text
    assert not any("OpenSSL" in f.text for f in capped.fixes)


# --- python.interpreter ------------------------------------------------------------------------


def target(python: str = "/usr/bin/python3") -> Target:
    return Target(python=python, selected_by="--python")


def test_interpreter_ok_for_a_supported_python() -> None:
    result = judge_interpreter(InterpreterCheckFacts(target(), TODAY, make_facts("3.12.1")))
    assert result.status is Status.OK
    assert "CPython 3.12.1" in result.summary and "selected by --python" in result.summary
    assert result.data["selected_by"] == "--python" and result.data["eol"] is False


def test_python_310_is_eol_after_october_2026() -> None:
    result = judge_interpreter(InterpreterCheckFacts(target(), TODAY, make_facts("3.10.13")))
    assert (result.status, result.code) == (Status.WARN, "python_eol")
    assert "2026-10-31" in result.summary
    assert judge_interpreter(InterpreterCheckFacts(target(), datetime.date(2026, 10, 1), make_facts("3.10.13"))).status is Status.OK


@pytest.mark.parametrize(("version", "stuck"), [("3.9.6", "2.48.0"), ("3.8.18", "2.7.1"), ("3.7.16", "1.53.1")])
def test_openai_sdk_capped_names_the_release_pip_stops_at(version: str, stuck: str) -> None:
    result = judge_interpreter(InterpreterCheckFacts(target(), TODAY, make_facts(version)))
    assert (result.status, result.code) == (Status.WARN, "openai_sdk_capped")
    assert f"openai {stuck}" in result.summary and result.data["openai_newest"] == stuck
    assert any("reached end of life" in d for d in result.details)  # every capped line is also EOL


def test_python_36_fails_like_27_its_only_openai_cannot_chat() -> None:
    result = judge_interpreter(InterpreterCheckFacts(target(), TODAY, make_facts("3.6.15")))
    assert (result.status, result.code) == (Status.FAIL, "python_too_old")
    assert "openai 0.10.5" in result.summary and "no chat API" in result.summary
    assert not any("pip install openai" in (f.command or "") for f in result.fixes)


def test_too_old_python() -> None:
    facts = InterpreterFacts(python_version="2.7.18", version_info=(2, 7, 18), too_old=True)
    result = judge_interpreter(InterpreterCheckFacts(target(), TODAY, facts))
    assert (result.status, result.code) == (Status.FAIL, "python_too_old")


def test_a_failed_probe_is_judged_from_its_reason_and_output() -> None:
    facts = InterpreterCheckFacts(target("/opt/py shim"), TODAY, probe_error="it exited with status 127",
                                  probe_output="pyenv: python3.8: command not found")
    result = judge_interpreter(facts)
    assert (result.status, result.code) == (Status.FAIL, "probe_failed")
    assert result.summary == "cannot inspect /opt/py shim: it exited with status 127"
    assert result.details == ("interpreter: /opt/py shim (selected by --python)",
                              "it printed: pyenv: python3.8: command not found")
    assert result.fixes[0].command == "'/opt/py shim' -c 'import sys; print(sys.version)'"
    assert result.data["reason"] == "it exited with status 127"


def test_gather_reads_the_plans_target_the_shared_probe_and_todays_date() -> None:
    from doctor.checks.python_interpreter import gather_interpreter
    from doctor.probe.facts import ProbeFailed
    from doctor.runner import Context
    from doctor.settings import Settings
    from tests.support.helpers import plan_for

    probe = make_facts("3.12.1")
    plan = plan_for(Settings(env={}))
    before = datetime.date.today()
    gathered = gather_interpreter(Context(plan, {"interpreter": lambda ctx: probe}))
    assert (gathered.target, gathered.probe) == (plan.target, probe)
    assert before <= gathered.today <= datetime.date.today()  # the clock is read by gather, not judge

    def failing(ctx: Context) -> InterpreterFacts:
        raise ProbeFailed("timed out after 5 s", output="half an answer")

    failed = gather_interpreter(Context(plan, {"interpreter": failing}))
    assert (failed.probe, failed.probe_error, failed.probe_output) == (None, "timed out after 5 s", "half an answer")


# --- python.ssl -------------------------------------------------------------------------------------


def test_parse_tls_library_reads_the_string_not_the_info_tuple() -> None:
    assert parse_tls_library("OpenSSL 1.0.2k-fips  26 Jan 2017") == ("OpenSSL", (1, 0, 2), "1.0.2k-fips")
    assert parse_tls_library("LibreSSL 3.3.6") == ("LibreSSL", (3, 3, 6), "3.3.6")
    assert parse_tls_library(None) == ("unknown", None, "")


@pytest.mark.parametrize(
    ("ssl", "status", "code"),
    [(OPENSSL_3, Status.OK, None), (OPENSSL_111, Status.OK, None), (LIBRESSL, Status.OK, None),
     (OPENSSL_102, Status.WARN, "ssl_library_outdated"), (OPENSSL_110, Status.WARN, "ssl_library_outdated"),
     (None, Status.FAIL, "ssl_missing")],
)
def test_ssl_verdicts(ssl: Optional[tuple], status: Status, code: Optional[str]) -> None:
    result = judge_ssl(SslCheckFacts(make_facts("3.9.18", ssl), "/usr/bin/python3"))
    assert (result.status, result.code) == (status, code)


def test_libressl_is_reported_by_name_and_version() -> None:
    result = judge_ssl(SslCheckFacts(make_facts("3.9.6", LIBRESSL, platform="darwin"), "/usr/bin/python3"))
    assert result.summary.startswith("LibreSSL 2.8.3")
    assert result.data["library"] == "LibreSSL" and result.data["version"] == "2.8.3"


# --- python.certs -----------------------------------------------------------------------------------


def ca(name: str, value: str, expected: str = "file", **path: object) -> CaVariable:
    return CaVariable(name, value, expected, PathFacts(**path))  # type: ignore[arg-type]


def test_certs_ok_with_certifi_and_valid_variables() -> None:
    facts = make_facts(certifi=CertifiFacts(True, "2026.10.19", "/site/certifi/cacert.pem",
                                            PathFacts(exists=True, is_file=True, readable=True, cert_count=117)),
                       ca_env=[ca("SSL_CERT_FILE", "/etc/ssl/ca.pem", exists=True, is_file=True, readable=True, cert_count=140)])
    result = judge_certs(CertsCheckFacts(facts, "/usr/bin/python3"))
    assert result.status is Status.OK and "117 certificates" in result.summary


@pytest.mark.parametrize(
    ("variable", "fragment"),
    [
        (ca("SSL_CERT_FILE", "/nonexistent/ca.pem"), "no such file"),
        (ca("SSL_CERT_FILE", "/etc/ssl/certs", exists=True, is_dir=True, readable=True), "must be a PEM file"),
        (ca("REQUESTS_CA_BUNDLE", "/tmp/empty.pem", "file_or_dir", exists=True, is_file=True, readable=True), "no PEM certificate"),
        (ca("SSL_CERT_DIR", "/tmp/ca.pem", "dir", exists=True, is_file=True, readable=True, cert_count=3), "must be a directory"),
        (ca("CURL_CA_BUNDLE", "/root/ca.pem", "file_or_dir", exists=True, is_file=True, read_error="PermissionError"), "not readable"),
    ],
)
def test_ca_path_missing_fails(variable: CaVariable, fragment: str) -> None:
    result = judge_certs(CertsCheckFacts(make_facts(ca_env=[variable]), "/usr/bin/python3"))
    assert (result.status, result.code) == (Status.FAIL, "ca_path_missing")
    assert fragment in result.summary and variable.name in result.summary


def test_pip_cert_alone_only_warns() -> None:
    result = judge_certs(CertsCheckFacts(make_facts(ca_env=[ca("PIP_CERT", "/gone.pem")]), "/usr/bin/python3"))
    assert (result.status, result.code) == (Status.WARN, "ca_path_missing")


def test_certifi_required_but_missing() -> None:
    facts = make_facts(dists=[("requests", "2.32.5", ["certifi>=2017.4.17"])])
    result = judge_certs(CertsCheckFacts(facts, "/usr/bin/python3"))
    assert (result.status, result.code) == (Status.FAIL, "certifi_unusable") and "requests" in result.summary


def test_macos_python_org_without_certificates() -> None:
    exe = "/Library/Frameworks/Python.framework/Versions/3.12/bin/python3"
    verify = VerifyPaths(cafile=None, openssl_cafile="/Library/Frameworks/Python.framework/Versions/3.12/etc/openssl/cert.pem")
    facts = make_facts("3.12.4", OPENSSL_3, platform="darwin", executable=exe, verify=verify)
    result = judge_certs(CertsCheckFacts(facts, exe))
    assert (result.status, result.code) == (Status.WARN, "macos_certificates_not_installed")
    assert commands(result) == 'open "/Applications/Python 3.12/Install Certificates.command"'
    # A Homebrew Python on the same Mac is not a python.org build.
    brew = make_facts("3.12.4", OPENSSL_3, platform="darwin", executable="/opt/homebrew/bin/python3", verify=verify)
    assert judge_certs(CertsCheckFacts(brew, "/opt/homebrew/bin/python3")).status is Status.OK


def test_several_problems_report_the_worst_and_list_the_rest() -> None:
    facts = make_facts(ca_env=[ca("PIP_CERT", "/gone.pem"), ca("SSL_CERT_FILE", "/gone2.pem")])
    result = judge_certs(CertsCheckFacts(facts, "/usr/bin/python3"))
    assert result.status is Status.FAIL and "SSL_CERT_FILE" in result.summary
    assert any("PIP_CERT" in d for d in result.details) and result.data["findings"] == ["ca_path_missing", "ca_path_missing"]


def test_a_long_probe_output_is_shortened_at_a_word_boundary() -> None:
    from doctor.probe.interpreters import output_excerpt

    shortened = output_excerpt("first " + "word " * 100)
    assert shortened.endswith(" …") and shortened[:-2].endswith("word")
