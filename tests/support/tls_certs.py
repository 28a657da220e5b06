"""Real certificates for TLS tests, made on the spot (trustme + cryptography).

`TlsMaterial(directory)` writes PEM files for:
- `good`: a leaf for localhost / 127.0.0.1 / ::1 signed by `ca` (trusted once `ca_file` is);
- `expired`: the same names, signed by `ca`, validity ended yesterday;
- `wrong_host`: signed by `ca`, valid only for wrong-host.example;
- `unknown_ca`: signed by a second CA that nothing trusts (`other_ca_file` trusts it);
- `self_signed`: a leaf that is its own issuer.
`tls_server(cert)` is the mock endpoint serving HTTPS with one of them.
`hashed_dir(ca_file)` builds an OpenSSL capath (`<subject hash>.0`), for SSL_CERT_DIR tests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import trustme

from doctor.mock.server import MockOptions, MockServer

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class ServerCert:
    certfile: str  # leaf + chain, PEM
    keyfile: str


class TlsMaterial:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca = trustme.CA(organization_name="chat-doctor test CA")
        self.other_ca = trustme.CA(organization_name="chat-doctor untrusted CA")
        self.ca_file = self._write("ca.pem", self.ca.cert_pem.bytes())
        self.other_ca_file = self._write("other-ca.pem", self.other_ca.cert_pem.bytes())
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        self.good = self._leaf("good", self.ca.issue_cert(*LOCAL_NAMES))
        self.expired = self._leaf(
            "expired",
            self.ca.issue_cert(*LOCAL_NAMES, not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)),
        )
        self.wrong_host = self._leaf("wrong-host", self.ca.issue_cert("wrong-host.example"))
        self.unknown_ca = self._leaf("unknown-ca", self.other_ca.issue_cert(*LOCAL_NAMES))
        self.self_signed = self._self_signed()

    def _write(self, name: str, data: bytes) -> str:
        path = self.directory / name
        path.write_bytes(data)
        return str(path)

    def _leaf(self, name: str, leaf: "trustme.LeafCert") -> ServerCert:
        chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
        return ServerCert(self._write(f"{name}.pem", chain), self._write(f"{name}.key", leaf.private_key_pem.bytes()))

    def _self_signed(self) -> ServerCert:
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "chat-doctor self-signed")])
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        return ServerCert(
            self._write("self-signed.pem", cert.public_bytes(serialization.Encoding.PEM)),
            self._write("self-signed.key", key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        )

    def hashed_dir(self, ca_file: str, name: str = "capath") -> Optional[str]:
        """A directory usable as SSL_CERT_DIR holding `ca_file`; None without the openssl CLI."""
        openssl = shutil.which("openssl")
        if openssl is None:
            return None
        subject_hash = subprocess.run(
            [openssl, "x509", "-hash", "-noout", "-in", ca_file], capture_output=True, text=True, check=True
        ).stdout.strip()
        directory = self.directory / name
        directory.mkdir(exist_ok=True)
        shutil.copy(ca_file, directory / f"{subject_hash}.0")
        return str(directory)


@contextlib.contextmanager
def tls_server(cert: ServerCert, scenario: str = "ok") -> Iterator[MockServer]:
    """The mock endpoint on 127.0.0.1 serving HTTPS with `cert`."""
    with MockServer(MockOptions(scenario=scenario, certfile=cert.certfile, keyfile=cert.keyfile)) as server:
        yield server
