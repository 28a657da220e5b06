"""A verifying TLS handshake, the certificate it saw, and why it failed.

Failures are classified from OpenSSL's verify code (stable numbers, unlike message text):
self-signed leaf, untrusted chain (the TLS-inspecting-proxy case), expired or not yet valid,
wrong host name. When verification fails, the certificate is fetched again without
verification so the report can still say what the server presented.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import socket
import ssl
import tempfile
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from doctor.net.timing import ms, now

# OpenSSL X509_V_ERR_* numbers (include/openssl/x509_vfy.h), stable across 1.1 and 3.x.
_VERIFY_KINDS: Dict[int, str] = {
    2: "unknown_ca",  # unable to get issuer certificate
    9: "not_yet_valid",
    10: "expired",
    18: "self_signed",  # depth zero self-signed certificate
    19: "unknown_ca",  # self-signed certificate in certificate chain (typical of TLS inspection)
    20: "unknown_ca",  # unable to get local issuer certificate
    21: "unknown_ca",  # unable to verify the first certificate (often a missing intermediate)
    62: "hostname_mismatch",
    64: "hostname_mismatch",  # IP address mismatch
}


@dataclass(frozen=True)
class CertInfo:
    subject: str
    issuer: str
    not_before: Optional[str]  # ISO 8601 UTC
    not_after: Optional[str]
    names: Tuple[str, ...]  # subjectAltName DNS names and IP addresses
    self_issued: bool
    sha256: Optional[str] = None

    def days_left(self, at: Optional[_dt.datetime] = None) -> Optional[int]:
        if not self.not_after:
            return None
        end = _dt.datetime.fromisoformat(self.not_after)
        at = at or _dt.datetime.now(_dt.timezone.utc)
        return (end - at).days

    def to_dict(self) -> Dict[str, Any]:
        return {
            "subject": self.subject, "issuer": self.issuer, "not_before": self.not_before,
            "not_after": self.not_after, "names": list(self.names), "self_issued": self.self_issued,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class TlsFailure:
    kind: str  # self_signed, unknown_ca, expired, not_yet_valid, hostname_mismatch, verify_failed,
    #            protocol (not TLS / no common version), timeout, closed, context (CA material unusable)
    message: str
    verify_code: Optional[int] = None


class TlsError(OSError):
    def __init__(self, failure: TlsFailure, elapsed_ms: float) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.elapsed_ms = elapsed_ms


@dataclass(frozen=True)
class Handshake:
    protocol: Optional[str]
    cipher: Optional[str]
    alpn: Optional[str]
    cert: Optional[CertInfo]
    elapsed_ms: float


def classify(exc: BaseException) -> TlsFailure:
    """Turn whatever the handshake raised into a TlsFailure."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = getattr(exc, "verify_code", None)
        message = getattr(exc, "verify_message", None) or str(exc)
        kind = _VERIFY_KINDS.get(code, "verify_failed") if isinstance(code, int) else "verify_failed"
        return TlsFailure(kind, str(message), code if isinstance(code, int) else None)
    if isinstance(exc, ssl.CertificateError):  # hostname check done in Python (old urllib3 paths)
        return TlsFailure("hostname_mismatch", str(exc))
    if isinstance(exc, socket.timeout):
        return TlsFailure("timeout", "the server did not complete the TLS handshake in time")
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None) or ""
        text = str(exc)
        if reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG") \
                or "wrong version number" in text:
            return TlsFailure("protocol", f"the server did not answer with TLS ({reason or text})")
        if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
            return TlsFailure("closed", f"the server closed the connection during the handshake ({reason or text})")
        return TlsFailure("handshake_failed", reason or text)
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return TlsFailure("closed", f"the connection was reset during the handshake ({exc})")
    if isinstance(exc, OSError):
        return TlsFailure("handshake_failed", exc.strerror or str(exc))
    return TlsFailure("handshake_failed", f"{type(exc).__name__}: {exc}")


def handshake(sock: socket.socket, server_hostname: str, context: ssl.SSLContext, timeout_s: float) -> Tuple[ssl.SSLSocket, Handshake]:
    """Wrap `sock` (connected) and handshake; on failure the socket is closed and TlsError raised."""
    started = now()
    sock.settimeout(timeout_s)
    try:
        tls = context.wrap_socket(sock, server_hostname=server_hostname.strip("[]"))
    except Exception as exc:  # noqa: BLE001  # whatever the handshake raised, classify() names it
        sock.close()
        raise TlsError(classify(exc), ms(now() - started)) from None
    except BaseException:  # interrupted (Ctrl-C, SystemExit): close the socket and let it through
        sock.close()
        raise
    elapsed = ms(now() - started)
    cipher = tls.cipher()
    der = tls.getpeercert(binary_form=True)
    info = cert_from_dict(tls.getpeercert() or {}, der) if der else None
    return tls, Handshake(tls.version(), cipher[0] if cipher else None, tls.selected_alpn_protocol(), info, elapsed)


def unverified_certificate(sock: socket.socket, server_hostname: str, timeout_s: float) -> Optional[CertInfo]:
    """The leaf certificate the server presents, without judging it (for reporting a failure)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sock.settimeout(timeout_s)
    try:
        with context.wrap_socket(sock, server_hostname=server_hostname.strip("[]")) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, ValueError):
        sock.close()
        return None
    return decode_der(der) if der else None


def decode_der(der: bytes) -> Optional[CertInfo]:
    """Decode a DER certificate into CertInfo using the ssl module's own decoder."""
    decoder = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if decoder is None:  # pragma: no cover - every CPython 3.9-3.13 has it
        return CertInfo("", "", None, None, (), False, hashlib.sha256(der).hexdigest())
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(ssl.DER_cert_to_PEM_cert(der))
        decoded = decoder(path)
    except (OSError, ValueError, ssl.SSLError):
        return CertInfo("", "", None, None, (), False, hashlib.sha256(der).hexdigest())
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    return cert_from_dict(decoded, der)


def cert_from_dict(cert: Dict[str, Any], der: Optional[bytes] = None) -> CertInfo:
    subject = _name(cert.get("subject", ()))
    issuer = _name(cert.get("issuer", ()))
    names = tuple(value for kind, value in cert.get("subjectAltName", ()) if kind in ("DNS", "IP Address"))
    return CertInfo(
        subject=subject,
        issuer=issuer,
        not_before=_iso(cert.get("notBefore")),
        not_after=_iso(cert.get("notAfter")),
        names=names,
        self_issued=bool(subject) and subject == issuer,
        sha256=hashlib.sha256(der).hexdigest() if der else None,
    )


def _name(rdns: Any) -> str:
    parts = []
    for rdn in rdns or ():
        for key, value in rdn:
            short = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
                     "countryName": "C", "localityName": "L", "stateOrProvinceName": "ST"}.get(key, key)
            parts.append(f"{short}={value}")
    return ", ".join(parts)


def _iso(stamp: Optional[str]) -> Optional[str]:
    if not stamp:
        return None
    try:
        seconds = ssl.cert_time_to_seconds(stamp)
    except ValueError:
        return None
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).isoformat()
