"""`tls = "self-signed"`: a certificate authority of the emulator's own and a server
certificate it signs for the names the server answers to.

Clients trust `tls/ca.pem` (printed at start); the server presents `tls/server.pem`.
Both stay in the folder and are used again at the next start while the names are the
same, so a client configured once keeps trusting the emulator across restarts.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..settings import Settings

VALID_DAYS = 825
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


def names_for(settings: Settings) -> list[str]:
    """localhost, the loopback addresses, this machine's name, the listening host, the
    public URL's host and any `tls_names`."""
    names = ["localhost", "127.0.0.1", "::1", socket.gethostname()]
    if settings.host not in WILDCARD_HOSTS:
        names.append(settings.host)
    if settings.public_url:
        names.append(urlsplit(settings.public_url).hostname or "")
    names.extend(settings.tls_names)
    return sorted({name for name in names if name})


def _write_private(path: Path, data: bytes) -> None:
    """Owner-only from its first byte: created 0o600 under a new name, then renamed over
    `path` (a chmod after writing would leave a moment where others could read it)."""
    part = path.with_name(path.name + ".new")
    part.unlink(missing_ok=True)
    with os.fdopen(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(data)
    os.replace(part, path)


def self_signed(folder: Path, names: list[str]) -> tuple[Path, Path]:
    """(server certificate chain, server key) under `folder/tls/`, made if missing or
    made for other names."""
    target = folder / "tls"
    target.mkdir(parents=True, exist_ok=True)
    cert, key, recorded = target / "server.pem", target / "server.key", target / "names"
    if cert.is_file() and key.is_file() and recorded.is_file():
        if recorded.read_text().split() == names:
            return cert, key
    ca_key, ca_cert = _authority()
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _server(server_key, ca_key, ca_cert, names)
    (target / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM)
                     + ca_cert.public_bytes(serialization.Encoding.PEM))
    _write_private(key, server_key.private_bytes(serialization.Encoding.PEM,
                                                 serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    recorded.write_text("\n".join(names) + "\n")
    return cert, key


def _window() -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    return start, start + datetime.timedelta(days=VALID_DAYS)


def _authority() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pixverse-emulator local CA")])
    start, end = _window()
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True,
            content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _server(
    key: ec.EllipticCurvePrivateKey,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    names: list[str],
) -> x509.Certificate:
    start, end = _window()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)
