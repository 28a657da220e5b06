"""Diagnosis codes reported by the `python.*` checks."""

from __future__ import annotations

from typing import Tuple

from doctor.knowledge.diagnosis import FAIL, WARN, Diagnosis

DIAGNOSES: Tuple[Diagnosis, ...] = (
    # --- python.interpreter ------------------------------------------------------------
    Diagnosis(
        "probe_failed", "python.interpreter", FAIL,
        "The target interpreter could not be inspected: it is not a Python, or it crashed, hung or printed garbage.",
        "Check the path given to `--python` (or `VIRTUAL_ENV`) and that `<python> -c 'print(1)'` works.",
    ),
    Diagnosis(
        # fail: no openai release with a chat API runs on it, so nothing else can work (2.7 and 3.6 alike).
        "python_too_old", "python.interpreter", FAIL,
        "The target cannot run any openai SDK with a chat API: Python 3.6 gets openai 0.10.5 at best (the chat API "
        "arrived in 0.27.0, which needs 3.7.1) and older Pythons get none.",
        "Install a current Python (3.10 or newer, e.g. `uv python install 3.13`) and run your app with it.",
    ),
    Diagnosis(
        # warn: everything may still work today, but it gets no security fixes any more.
        "python_eol", "python.interpreter", WARN,
        "The target Python release line is past its end of life: no more security fixes.",
        "Move to a supported Python (3.11 or newer) and recreate your virtual environment with it.",
    ),
    Diagnosis(
        # warn: the older SDK still talks to the API; new features and fixes stay out of reach.
        "openai_sdk_capped", "python.interpreter", WARN,
        "This Python can no longer install the current openai SDK (3.x needs Python 3.10+); pip stops at an older release.",
        "Move to Python 3.10 or newer (3.13 recommended) and recreate your virtual environment with it.",
    ),
    # --- python.ssl ----------------------------------------------------------------------
    Diagnosis(
        # fail: HTTPS is impossible without it.
        "ssl_missing", "python.ssl", FAIL,
        "The target Python has no usable `ssl` module (built without OpenSSL), so it cannot make HTTPS requests.",
        "Install a Python built with OpenSSL (Homebrew, python.org, uv, or pyenv after installing the OpenSSL headers).",
    ),
    Diagnosis(
        # warn: TLS 1.2 still reaches the API, but the library is unmaintained and urllib3 2 refuses it.
        "ssl_library_outdated", "python.ssl", WARN,
        "The target's `ssl` module is built against OpenSSL older than 1.1.1: out of support, no TLS 1.3, and urllib3 2 refuses to import on it.",
        "Use a Python built against OpenSSL 1.1.1 or newer (uv, pyenv with openssl11-devel, a newer OS).",
    ),
    # --- python.urllib3 --------------------------------------------------------------------
    Diagnosis(
        "urllib3_ssl_import_error", "python.urllib3", FAIL,
        "`import urllib3` fails: urllib3 2.x refuses this TLS library (LibreSSL with 2.0.0-2.0.2, OpenSSL < 1.1.1 with any 2.x, or the LibreSSL warning under -W error).",
        "Use a Python built against OpenSSL 1.1.1+ and recreate the venv, or `<python> -m pip install \"urllib3<2\"` "
        "(pip 26.1+ vendor urllib3 2 and fail here too: first `<python> <ensurepip's pip wheel>/pip install \"pip<26.1\"`).",
        also=(("python.urllib3", WARN),),
    ),
    Diagnosis(
        "urllib3_ssl_warning", "python.urllib3", WARN,
        "`import urllib3` prints NotOpenSSLWarning: urllib3 2.0.3+ supports only OpenSSL, and this Python uses LibreSSL or another library.",
        "Use a Python built against OpenSSL (Homebrew, python.org, uv), pin `urllib3<2`, or silence it with PYTHONWARNINGS=\"ignore:urllib3 v2\".",
    ),
    Diagnosis(
        "urllib3_import_failed", "python.urllib3", FAIL,
        "`import urllib3` fails for a reason other than the TLS library (a broken or partial install).",
        "Reinstall it: `<python> -m pip install --force-reinstall urllib3`.",
    ),
    # --- python.certs ----------------------------------------------------------------------
    Diagnosis(
        # fail for the variables clients read at start-up (httpx raises FileNotFoundError when
        # the openai client is built; requests raises OSError per request); warn for PIP_CERT.
        "ca_path_missing", "python.certs", FAIL,
        "A CA variable (SSL_CERT_FILE, SSL_CERT_DIR, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, PIP_CERT) points at a missing or unreadable path, or a file without certificates.",
        "Point the variable at a readable PEM bundle (e.g. `python -m certifi` prints one) or unset it.",
        also=(("python.certs", WARN),),
    ),
    Diagnosis(
        # fail: httpx and requests import certifi at start-up; a missing or empty bundle breaks them.
        "certifi_unusable", "python.certs", FAIL,
        "certifi is required by an installed package but is missing, broken, or its cacert.pem is unreadable or empty.",
        "Reinstall it: `<python> -m pip install --force-reinstall certifi`.",
    ),
    Diagnosis(
        # warn: openai (httpx uses certifi; httpx2 uses the Keychain) is not affected; the
        # stdlib (urllib.request) and anything using ssl's default paths is.
        "macos_certificates_not_installed", "python.certs", WARN,
        "A python.org macOS Python whose \"Install Certificates\" step never ran: its default CA file does not exist, so stdlib HTTPS fails with CERTIFICATE_VERIFY_FAILED.",
        "Run \"/Applications/Python 3.X/Install Certificates.command\" (double-click it in Finder).",
    ),
)
