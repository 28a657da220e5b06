# -*- coding: ascii -*-
"""The probe chat-doctor runs *inside* the target interpreter; it prints one JSON line.

Rules for this file (it runs on interpreters that may be broken or old):
- stdlib only, Python 3.6 syntax (no `from __future__ import annotations`, no walrus,
  no dataclasses, no f-string `=`), ASCII only (it is sent on stdin and decoded with the
  target's locale encoding).
- Every section is gathered independently: one that raises is recorded as
  {"error": "..."} and the rest still comes back.
- The answer is one line `MARK + json`. Anything else the interpreter prints (a chatty
  sitecustomize, a .pth file) is ignored by the reader, which looks for the mark.

`doctor.probe.interpreters` sends this source on stdin to BOOTSTRAP (below), which first
checks the version with 2.7-compatible code, so a Python 2 target gets a clear answer.
"""

import io
import os
import sys
import time
import warnings

# Imports are what this probe's time is made of (scripts/bench.py pythons), so it loads only
# what answers a question: no `json` (its decoder pulls `re`, `re` pulls `enum`), no `platform`
# on Linux (it imports `re`; 3.6-3.8's uname() even runs `uname -p`), no `ssl.py` when the
# stdlib's would be loaded (its socket, enum, base64, selectors: ~25 ms) but the C `_ssl` it
# re-exports the facts from. Each shortcut falls back to the module when its preconditions fail.

SCHEMA = 1

# The CA variables chat-doctor diagnoses, and what each must point at.
CA_VARIABLES = (
    ("SSL_CERT_FILE", "file"),
    ("SSL_CERT_DIR", "dir"),
    ("REQUESTS_CA_BUNDLE", "file_or_dir"),  # requests accepts a directory too (ca_cert_dir)
    ("CURL_CA_BUNDLE", "file_or_dir"),
    ("PIP_CERT", "file_or_dir"),
)
CERT_BEGIN = b"-----BEGIN CERTIFICATE-----"
HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
MAX_CA_BYTES = 32 * 1024 * 1024

# urllib3's NotOpenSSLWarning class chain (urllib3/exceptions.py, 2.0.3+), used to tell how
# the user's warning filters would treat it even when urllib3 is not installed yet.
NOT_OPENSSL_MRO = (
    ("urllib3.exceptions", "NotOpenSSLWarning"),
    ("urllib3.exceptions", "SecurityWarning"),
    ("urllib3.exceptions", "HTTPWarning"),
    ("builtins", "Warning"),
    ("builtins", "Exception"),
    ("builtins", "BaseException"),
    ("builtins", "object"),
)
NOT_OPENSSL_TEXT = (
    "%s only supports OpenSSL 1.1.1+, currently the 'ssl' module is compiled with %r. "
    "See: https://github.com/urllib3/urllib3/issues/3020"
)
# The line of `warnings.warn(` in urllib3/__init__.py: 34 in 2.0.3-2.1.0, 35 from 2.2.0.
NOT_OPENSSL_LINES = {"urllib3 v2.0": 34, "urllib3 v2": 35}


def main(mark):
    started = time.time()
    original_filters = list(warnings.filters)
    # Only a really loaded package counts (a None entry is an import blocker, not a module).
    preloaded = sys.modules.get("urllib3") is not None
    answer = {"schema": SCHEMA, "too_old": False}
    # The real import comes first, under the user's own filters as they were at start-up.
    answer["urllib3"] = _section(_urllib3, original_filters, preloaded)
    with warnings.catch_warnings():
        # The probe's own work must not be derailed by e.g. PYTHONWARNINGS=error.
        warnings.simplefilter("ignore")
        answer["interpreter"] = _section(_interpreter)
        answer["ssl"] = _section(_ssl)
        answer["marker_env"] = _section(_marker_env)
        answer["warnings"] = _section(_warning_options, original_filters)
        answer["distributions"] = _section(_distributions)
        answer["pip"] = _section(_pip)
        answer["certifi"] = _section(_certifi)
        answer["ca_env"] = _section(_ca_env)
    answer["probe_ms"] = round((time.time() - started) * 1000.0, 1)
    sys.stdout.write("\n" + mark + _dumps(answer) + "\n")
    sys.stdout.flush()


def _section(function, *args):
    try:
        return function(*args)
    except Exception as exc:  # one broken section must not lose the others
        return {"error": "%s: %s" % (type(exc).__name__, exc)}


def find_spec(name):
    """importlib.util.find_spec(name) for a top-level name, on the import system's own
    _find_spec: importing importlib.util costs 20 ms on 3.6-3.9 (it pulls typing, re, enum)."""
    find = getattr(sys.modules.get("_frozen_importlib"), "_find_spec", None)
    if find is None:
        import importlib.util

        return importlib.util.find_spec(name)
    if name not in sys.modules:
        return find(name, None)
    module = sys.modules[name]
    if module is None:
        return None
    try:
        spec = module.__spec__
    except AttributeError:
        raise ValueError("{}.__spec__ is not set".format(name)) from None
    if spec is None:
        raise ValueError("{}.__spec__ is None".format(name))
    return spec


# --- interpreter ------------------------------------------------------------------------


def _interpreter():
    base_prefix = getattr(sys, "base_prefix", sys.prefix)
    real_prefix = getattr(sys, "real_prefix", None)  # the old `virtualenv` (< 20) marker
    info = {
        "version": _python_version(),
        "version_info": list(sys.version_info[:3]),
        "implementation": _python_implementation(),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": real_prefix or base_prefix,
        "is_venv": bool(real_prefix) or sys.prefix != base_prefix,
        "pyvenv_cfg": _pyvenv_cfg(sys.prefix),
        "sys_platform": sys.platform,
        "machine": _uname()[4],
        "mac_ver": _mac_ver(),
        "path": [p for p in sys.path],
        "flags": {
            "isolated": bool(getattr(sys.flags, "isolated", 0)),
            "ignore_environment": bool(sys.flags.ignore_environment),
            "no_user_site": bool(sys.flags.no_user_site),
        },
    }
    try:
        import site

        info["user_site"] = site.getusersitepackages()
        info["user_site_enabled"] = bool(site.ENABLE_USER_SITE)
    except Exception as exc:
        info["user_site"] = None
        info["user_site_enabled"] = False
        info["user_site_error"] = str(exc)
    return info


def _pyvenv_cfg(prefix):
    path = os.path.join(prefix, "pyvenv.cfg")
    if not os.path.isfile(path):
        return None
    values = {}
    with io.open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip().lower()] = value.strip()
    return values


# --- ssl --------------------------------------------------------------------------------


def _ssl():
    try:
        ssl = _ssl_module()
    except Exception as exc:
        return {"available": False, "import_error": "%s: %s" % (type(exc).__name__, exc)}
    info = {
        "available": True,
        "version": ssl.OPENSSL_VERSION,
        # Recorded as reported. LibreSSL always reports (2, 0, 0, 0, 0): never compare it.
        "version_info": list(ssl.OPENSSL_VERSION_INFO),
        "version_number": ssl.OPENSSL_VERSION_NUMBER,
        "has_sni": bool(getattr(ssl, "HAS_SNI", False)),
        "has_tls13": bool(getattr(ssl, "HAS_TLSv1_3", False)),
    }
    paths = _verify_paths(ssl)
    info["verify_paths"] = {
        "cafile": paths.cafile,
        "capath": paths.capath,
        "openssl_cafile_env": paths.openssl_cafile_env,
        "openssl_cafile": paths.openssl_cafile,
        "openssl_capath_env": paths.openssl_capath_env,
        "openssl_capath": paths.openssl_capath,
        "openssl_cafile_exists": bool(paths.openssl_cafile) and os.path.isfile(paths.openssl_cafile),
        "openssl_capath_exists": bool(paths.openssl_capath) and os.path.isdir(paths.openssl_capath),
    }
    return info


_SSL_NAMES = ("OPENSSL_VERSION", "OPENSSL_VERSION_INFO", "OPENSSL_VERSION_NUMBER", "get_default_verify_paths")
_SSL_LOADED = []  # the module _ssl_module settled on, found once per probe


def _ssl_module():
    """The module to read ssl's facts from: the C `_ssl`, whose values ssl.py re-exports
    unchanged (`from _ssl import OPENSSL_VERSION, HAS_SNI, ...` in 3.6-3.13), when `import ssl`
    would load the stdlib's ssl.py; the real `ssl` otherwise (loaded already, e.g. by urllib3;
    shadowed by a user's ssl.py on sys.path; a _ssl that lacks a name). Raises what
    `import ssl` raises: ssl.py's failure on a Python without TLS is its `import _ssl`, but the
    text is taken from the real import so nothing else can differ."""
    if _SSL_LOADED:
        return _SSL_LOADED[0]
    module = None
    if "ssl" not in sys.modules and _ssl_is_stdlib():
        try:
            import _ssl

            if all(hasattr(_ssl, name) for name in _SSL_NAMES):
                module = _ssl
        except Exception:
            module = None
    if module is None:
        import ssl

        module = ssl
    _SSL_LOADED.append(module)
    return module


def _ssl_is_stdlib():
    """Whether `import ssl` would load ssl.py from the standard library's directory."""
    try:
        spec = find_spec("ssl")
        stdlib = getattr(sys, "_stdlib_dir", None) or os.path.dirname(os.__file__)
        origin = spec.origin if spec is not None else None
        return bool(origin) and os.path.dirname(os.path.realpath(origin)) == os.path.realpath(stdlib)
    except Exception:
        return False


class _VerifyPaths(object):
    """ssl.DefaultVerifyPaths, as ssl.get_default_verify_paths computes it from _ssl's parts."""

    def __init__(self, parts):
        self.openssl_cafile_env, self.openssl_cafile, self.openssl_capath_env, self.openssl_capath = parts
        # ssl.py: environment variables shadow the compiled-in paths.
        cafile = os.environ.get(parts[0], parts[1])
        capath = os.environ.get(parts[2], parts[3])
        self.cafile = cafile if os.path.isfile(cafile) else None
        self.capath = capath if os.path.isdir(capath) else None


def _verify_paths(module):
    if module.__name__ == "_ssl":
        return _VerifyPaths(module.get_default_verify_paths())
    return module.get_default_verify_paths()


# --- platform facts without `platform` where it would say the same ---------------------


def _plain_cpython_version():
    """platform.python_version() for a CPython whose sys.version reads `X.Y.Z (...) [...]`
    (what platform's regex parses), else None: the caller asks platform itself."""
    if getattr(sys, "implementation", None) is None or sys.implementation.name != "cpython":
        return None
    text = sys.version
    if "PyPy" in text or text.startswith(("IronPython", "Brython")) or sys.platform.startswith("java"):
        return None
    head, _, rest = text.partition(" ")
    rest = rest.lstrip()
    allowed = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.+"
    if not head or any(c not in allowed for c in head) or not rest.startswith("(") or ")" not in rest or "[" not in rest:
        return None
    parts = head.split(".")
    if len(parts) == 2:  # platform adds the missing patch level
        parts.append("0")
    return ".".join(parts)


def _python_version():
    found = _plain_cpython_version()
    if found is not None:
        return found
    import platform

    return platform.python_version()


def _python_version_tuple():
    found = _plain_cpython_version()
    if found is not None:
        return tuple(found.split("."))
    import platform

    return platform.python_version_tuple()


def _python_implementation():
    if _plain_cpython_version() is not None:
        return "CPython"
    import platform

    return platform.python_implementation()


_UNAME = []


def _uname():
    """(system, node, release, version, machine) as platform.uname() gives them: os.uname() on
    Linux, where platform changes nothing when every field is known; platform elsewhere."""
    if not _UNAME:
        found = None
        uname = getattr(os, "uname", None)
        if sys.platform.startswith("linux") and uname is not None:
            fields = tuple(uname())
            if fields[0] == "Linux" and all(fields) and "unknown" not in fields:
                found = fields
        if found is None:
            import platform

            found = tuple(platform.uname())[:5]
        _UNAME.append(found)
    return _UNAME[0]


def _mac_ver():
    if sys.platform != "darwin":
        return ""
    import platform

    return platform.mac_ver()[0]


# --- PEP 508 marker environment (what packaging.markers.default_environment computes) ---


def _marker_env():
    impl = sys.implementation
    iv = impl.version
    impl_version = "%d.%d.%d" % (iv.major, iv.minor, iv.micro)
    if iv.releaselevel != "final":
        impl_version += iv.releaselevel[0] + str(iv.serial)
    return {
        "implementation_name": impl.name,
        "implementation_version": impl_version,
        "os_name": os.name,
        "platform_machine": _uname()[4],
        "platform_release": _uname()[2],
        "platform_system": _uname()[0],
        "platform_version": _uname()[3],
        "python_full_version": _python_version(),
        "platform_python_implementation": _python_implementation(),
        "python_version": ".".join(_python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


# --- warning filters --------------------------------------------------------------------


def _warning_options(original_filters):
    actions = {}
    ssl_version = _ssl_version_or_none()
    for prefix in NOT_OPENSSL_LINES:
        text = NOT_OPENSSL_TEXT % (prefix, ssl_version or "LibreSSL")
        actions[prefix] = _filter_action(
            original_filters, text, NOT_OPENSSL_MRO, "urllib3", NOT_OPENSSL_LINES[prefix]
        )
    return {
        "warnoptions": list(sys.warnoptions),
        "PYTHONWARNINGS": os.environ.get("PYTHONWARNINGS"),
        # What the user's filters do with a NotOpenSSLWarning, per message wording.
        "not_openssl_action": actions,
    }


def _ssl_version_or_none():
    try:
        return _ssl_module().OPENSSL_VERSION
    except Exception:
        return None


def _filter_action(filters, text, mro, module, lineno):
    """The action the warnings machinery picks (same matching as warnings.warn_explicit)."""
    for entry in filters:
        action, message, category, mod, line = entry
        if message is not None and not message.match(text):
            continue
        key = (getattr(category, "__module__", ""), getattr(category, "__qualname__", getattr(category, "__name__", "")))
        if key not in mro:
            continue
        if mod is not None and not mod.match(module):
            continue
        if line and line != lineno:
            continue
        return action
    return warnings.defaultaction


def _class_chain(cls):
    return [(getattr(c, "__module__", ""), getattr(c, "__qualname__", c.__name__)) for c in cls.__mro__]


# --- the real `import urllib3` ----------------------------------------------------------


def _urllib3(original_filters, preloaded):
    info = {"preloaded": preloaded, "attempted": False}
    try:
        spec = find_spec("urllib3")
    except Exception as exc:
        spec = None
        info["find_error"] = "%s: %s" % (type(exc).__name__, exc)
    info["installed"] = spec is not None
    if spec is None:
        return info
    info["origin"] = spec.origin
    info["version_file"] = _read_version(spec)
    if preloaded:
        # Imported at start-up (e.g. PYTHONWARNINGS naming a urllib3 class, or a .pth):
        # importing again would show nothing; report what is loaded.
        module = sys.modules.get("urllib3")
        info["ok"] = module is not None
        info["version"] = getattr(module, "__version__", None)
        return info
    out_buffer, err_buffer = io.StringIO(), io.StringIO()
    saved_out, saved_err = sys.stdout, sys.stderr
    info["attempted"] = True
    with warnings.catch_warnings(record=True) as caught:
        # Record everything; what the user's own filters would do is computed below.
        warnings.simplefilter("always")
        sys.stdout, sys.stderr = out_buffer, err_buffer
        started = time.time()
        try:
            import urllib3

            info["ok"] = True
            info["version"] = getattr(urllib3, "__version__", None)
            info["file"] = getattr(urllib3, "__file__", None)
        except BaseException as exc:
            info["ok"] = False
            info["error_type"] = "%s.%s" % (type(exc).__module__, type(exc).__name__)
            info["error_message"] = str(exc)
            if isinstance(exc, Warning):
                info["error_mro"] = _class_chain(type(exc))
        finally:
            sys.stdout, sys.stderr = saved_out, saved_err
        info["import_ms"] = round((time.time() - started) * 1000.0, 1)
    records = []
    for item in caught:
        category = item.category
        text = str(item.message)
        records.append(
            {
                "category": "%s.%s" % (category.__module__, category.__name__),
                "message": text,
                "filename": item.filename,
                "lineno": item.lineno,
                # What the user's filters (as at start-up: -W, PYTHONWARNINGS) would do.
                "action": _filter_action(
                    original_filters, text, _class_chain(category), _module_of(item.filename), item.lineno
                ),
            }
        )
    info["warnings"] = records
    info["stdout"] = out_buffer.getvalue()[-4000:]
    info["stderr"] = err_buffer.getvalue()[-4000:]
    return info


def _module_of(filename):
    """The module name warnings' `module` filters match: urllib3 for urllib3/__init__.py."""
    filename = filename or ""
    parts = filename.replace("\\", "/").split("/")
    if "urllib3" in parts:
        return "urllib3"
    return os.path.splitext(os.path.basename(filename))[0]


def _read_version(spec):
    """urllib3's version from its own source, without importing it (1.26 and 2.x: _version.py;
    2.3+ generate `__version__ = version = '2.6.3'` after type declarations)."""
    for location in spec.submodule_search_locations or []:
        found = _version_in(location)
        if found:
            return found
    return None


def _version_in(location):
    """The `__version__` a package directory's _version.py or __init__.py assigns, or None."""
    for name in ("_version.py", "__init__.py"):
        path = os.path.join(location, name)
        try:
            with io.open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read(20000)
        except (IOError, OSError):
            continue
        found = version_assignment(text)
        if found:
            return found
    return None


def version_assignment(text):
    r"""What re.search(r'^__version__\s*(?::\s*str\s*)?=\s*(?:\w+\s*=\s*)*[\'"]([^\'"]+)[\'"]', text,
    re.M) captures, or None, without `re` (tests/pure/test_probe_strings.py holds it to the regex):
    \s is str.isspace and \w str.isalnum or _, as in `re` for str patterns; ^ under re.M is the
    start or just after a newline."""
    start = 0
    while True:
        at = text.find("__version__", start)
        if at < 0:
            return None
        start = at + 1
        if at and text[at - 1] != "\n":
            continue
        i = _skip_space(text, at + len("__version__"))
        if text.startswith(":", i):
            j = _skip_space(text, i + 1)
            if text.startswith("str", j):
                i = _skip_space(text, j + 3)
        if not text.startswith("=", i):
            continue
        i = _skip_space(text, i + 1)
        while True:  # `version = ` chains: each a word, spaces, `=`, spaces
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            if j == i:
                break
            k = _skip_space(text, j)
            if not text.startswith("=", k):
                break
            i = _skip_space(text, k + 1)
        if not text.startswith(("'", '"'), i):
            continue
        ends = [n for n in (text.find("'", i + 1), text.find('"', i + 1)) if n >= 0]
        if not ends or min(ends) == i + 1:
            continue
        return text[i + 1:min(ends)]


def _skip_space(text, i):
    while i < len(text) and text[i].isspace():
        i += 1
    return i


# --- pip ----------------------------------------------------------------------------------
# pip 26.1 and newer vendor urllib3 2, whose import-time check refuses the same TLS libraries
# as the user's urllib3: `python -m pip install` then fails before it does anything. Read from
# pip's files (never imported: that would be the failure itself), with the pip wheel ensurepip
# carries, which runs as it is and can install a pip that still vendors urllib3 1.26.


def _pip():
    info = {"version": None, "location": None, "vendored_urllib3": None, "bundled_wheel": _bundled_pip()}
    spec = _find_unhooked("pip")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        return info
    info["location"] = locations[0]
    info["version"] = _version_in(locations[0])
    info["vendored_urllib3"] = _version_in(os.path.join(locations[0], "_vendor", "urllib3"))
    return info


def _find_unhooked(name):
    """find_spec(name) past setuptools' _distutils_hack finder (its distutils-precedence.pth
    puts it first on sys.meta_path in every venv with setuptools). Before 3.12 it answers a
    "pip" lookup by importing traceback and walking the stack, 10-14 ms of CPU per probe, and
    always returns None; so the answer is the same without it."""
    hooks = [finder for finder in sys.meta_path if type(finder).__module__ == "_distutils_hack"]
    if not hooks or name in sys.modules:
        return find_spec(name)
    saved = list(sys.meta_path)
    sys.meta_path[:] = [finder for finder in saved if finder not in hooks]
    try:
        return find_spec(name)
    finally:
        sys.meta_path[:] = saved


def _bundled_pip():
    """ensurepip's pip wheel (ensurepip/_bundled/pip-X-py3-none-any.whl), or None."""
    spec = find_spec("ensurepip")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        return None
    directory = os.path.join(locations[0], "_bundled")
    try:
        wheels = sorted(name for name in os.listdir(directory) if name.startswith("pip-") and name.endswith(".whl"))
    except OSError:
        return None
    return os.path.join(directory, wheels[-1]) if wheels else None


# --- installed distributions ------------------------------------------------------------


def _distributions():
    """Every distribution on sys.path: name, version, Requires-Dist (first one found wins,
    like importlib.metadata). Reads only the metadata headers, so it stays fast."""
    found = []
    seen = set()
    for entry in sys.path:
        directory = entry or os.getcwd()
        if not os.path.isdir(directory):
            continue
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            lower = name.lower()
            if lower.endswith(".dist-info"):
                record = _dist_info(os.path.join(directory, name))
            elif lower.endswith(".egg-info"):
                record = _egg_info(os.path.join(directory, name))
            else:
                continue
            if not record or not record.get("name"):
                continue
            key = normalized_name(record["name"])
            if key in seen:
                continue
            seen.add(key)
            record["location"] = directory
            found.append(record)
    return found


def normalized_name(name):
    """re.sub(r"[-_.]+", "-", name).lower(), without `re`: each run of separators becomes one -."""
    text = name.replace("_", "-").replace(".", "-")
    while "--" in text:
        text = text.replace("--", "-")
    return text.lower()


# The first letters of the keys _read_headers keeps, either case (no other character lowers to
# one of these: only the Kelvin sign lowers to an ASCII letter, k).
KEY_INITIALS = frozenset("nNvVrR")


def _read_headers(path):
    headers = {"name": None, "version": None, "requires": [], "requires_python": None}
    with io.open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                break  # the body (description) follows the first blank line
            first = line[:1]
            if first in (" ", "\t"):
                continue
            # Only Name, Version, Requires-* are kept: most lines (Classifier, Project-URL...)
            # are passed over here, before partition/strip/lower. A leading whitespace character
            # other than space/tab is stripped from the key, so such a line goes the long way.
            if first not in KEY_INITIALS and not first.isspace():
                continue
            key, sep, value = line.partition(":")
            if not sep:
                continue
            key = key.strip().lower()
            value = value.strip()
            if key == "name":
                headers["name"] = value
            elif key == "version":
                headers["version"] = value
            elif key == "requires-dist":
                headers["requires"].append(value)
            elif key == "requires-python":
                headers["requires_python"] = value
    return headers


def _dist_info(path):
    metadata = os.path.join(path, "METADATA")
    if not os.path.isfile(metadata):
        return None
    return _read_headers(metadata)


def _egg_info(path):
    if os.path.isfile(path):
        return _read_headers(path)
    pkg_info = os.path.join(path, "PKG-INFO")
    if not os.path.isfile(pkg_info):
        return None
    record = _read_headers(pkg_info)
    record["requires"] = _egg_requires(os.path.join(path, "requires.txt"))
    return record


def _egg_requires(path):
    """requires.txt -> Requires-Dist strings: `[extra]`, `[:marker]`, `[extra:marker]` sections."""
    if not os.path.isfile(path):
        return []
    requires = []
    marker = None
    with io.open(path, encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                extra, _, condition = line[1:-1].partition(":")
                parts = []
                if extra.strip():
                    parts.append('extra == "%s"' % extra.strip())
                if condition.strip():
                    parts.append("(%s)" % condition.strip())
                marker = " and ".join(parts) or None
                continue
            requires.append(line + ("; " + marker if marker else ""))
    return requires


# --- certifi and CA paths ---------------------------------------------------------------


def _certifi():
    if find_spec("certifi") is None:
        return {"installed": False}
    info = {"installed": True}
    try:
        # certifi is tiny (no third-party imports); importing it is the only way to get
        # where() right, since distributions (e.g. Debian) patch it to the system bundle.
        import certifi

        info["version"] = getattr(certifi, "__version__", None)
        info["where"] = certifi.where()
    except Exception as exc:
        info["error"] = "%s: %s" % (type(exc).__name__, exc)
        return info
    info.update(_describe_path(info["where"]))
    return info


def _ca_env():
    found = []
    for name, expected in CA_VARIABLES:
        value = os.environ.get(name)
        if value is None:
            continue
        record = {"name": name, "value": value, "expected": expected}
        record.update(_describe_path(value))
        found.append(record)
    return found


_DESCRIBED = {}


def _describe_path(path):
    # One read per path: SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and PIP_CERT often
    # name the same bundle, and certifi's where() may be it too.
    if path not in _DESCRIBED:
        _DESCRIBED[path] = _read_path(path)
    return dict(_DESCRIBED[path])


def _read_path(path):
    info = {"exists": False, "is_file": False, "is_dir": False, "readable": False, "cert_count": 0}
    if not path:
        return info
    info["exists"] = os.path.exists(path)
    info["is_file"] = os.path.isfile(path)
    info["is_dir"] = os.path.isdir(path)
    if info["is_file"]:
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_CA_BYTES)
            info["readable"] = True
            info["cert_count"] = data.count(CERT_BEGIN)
        except (IOError, OSError) as exc:
            info["read_error"] = "%s: %s" % (type(exc).__name__, exc)
    elif info["is_dir"]:
        try:
            names = os.listdir(path)
            info["readable"] = os.access(path, os.R_OK | os.X_OK)
            info["entries"] = len(names)
            info["hashed_names"] = sum(1 for n in names if is_hashed_name(n))
        except OSError as exc:
            info["read_error"] = "%s: %s" % (type(exc).__name__, exc)
    return info


def is_hashed_name(name):
    r"""re.match(r"^[0-9a-fA-F]{8}\.\d+$", name), without `re`: 8 hex digits, a dot, decimal
    digits (\d is str.isdecimal for str patterns; $ also matches before one final newline)."""
    if name.endswith("\n"):
        name = name[:-1]
    tail = name[9:]
    return (len(name) > 9 and name[8] == "." and all(c in HEX_DIGITS for c in name[:8])
            and tail.isdecimal())


# --- the answer as JSON, without `json` -------------------------------------------------


def _dumps(value):
    """json.dumps(value, default=repr) for the answer's types (dict, list, tuple, str, int,
    float, bool, None; anything else as its repr), on the C string quoter `_json` has;
    json itself where there is no `_json` (PyPy)."""
    try:
        from _json import encode_basestring_ascii
    except ImportError:
        import json

        return json.dumps(value, default=repr)
    parts = []
    _encode(value, encode_basestring_ascii, parts.append)
    return "".join(parts)


def _encode(value, quote, emit):
    # json.encoder's order: the three constants, str, int, float, list/tuple, dict, default.
    if value is None:
        emit("null")
    elif value is True:
        emit("true")
    elif value is False:
        emit("false")
    elif isinstance(value, str):
        emit(quote(value))
    elif isinstance(value, int):
        emit(int.__repr__(value))
    elif isinstance(value, float):
        emit(_float_text(value))
    elif isinstance(value, (list, tuple)):
        emit("[")
        for index, item in enumerate(value):
            if index:
                emit(", ")
            _encode(item, quote, emit)
        emit("]")
    elif isinstance(value, dict):
        emit("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                emit(", ")
            emit(quote(_key_text(key)))
            emit(": ")
            _encode(item, quote, emit)
        emit("}")
    else:
        _encode(repr(value), quote, emit)


def _float_text(value):
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key_text(key):
    """A dict key as json.dumps writes it (skipkeys=False: other types are a TypeError)."""
    if isinstance(key, str):
        return key
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return _float_text(key)
    raise TypeError("keys must be str, int, float, bool or None, not %s" % type(key).__name__)


if __name__ == "__main__":  # handy by hand: python doctor/probe/target_probe.py
    main("")
