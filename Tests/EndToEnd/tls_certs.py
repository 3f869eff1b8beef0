"""Certificates for the TLS tests, made here with `cryptography`: a CA, a server certificate for
localhost/127.0.0.1, a client certificate, an expired server certificate, one for another name, a
second CA with a server and a client certificate of its own. Written as PEM files into a directory."""
from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(path: Path, cert, key=None) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.with_suffix(".key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return path


@dataclass
class Issued:
    cert: Path
    key: Path

    @property
    def pem(self) -> str:
        return self.cert.read_text()


class Authority:
    def __init__(self, directory: Path, name: str):
        self.directory = directory
        self.name = name
        self.key = _key()
        now = dt.datetime.now(dt.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.path = _write(directory / f"{name}.crt", self.cert)

    def issue(self, file: str, cn: str, dns=("localhost",), ips=("127.0.0.1",), client=False,
              days=(-1, 10)) -> Issued:
        key = _key()
        now = dt.datetime.now(dt.timezone.utc)
        names = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(self.cert.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now + dt.timedelta(days=days[0]))
                   .not_valid_after(now + dt.timedelta(days=days[1]))
                   .add_extension(x509.ExtendedKeyUsage(
                       [ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        path = _write(self.directory / f"{file}.crt", cert, key)
        return Issued(path, path.with_suffix(".key"))


class CertSet:
    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.ca = Authority(directory, "swiftlet-test-ca")
        self.server = self.ca.issue("server", "localhost")
        self.server2 = self.ca.issue("server-rotated", "localhost-rotated")
        self.client = self.ca.issue("client", "e2e-client", dns=(), ips=(), client=True)
        self.expired = self.ca.issue("expired", "localhost", days=(-10, -1))
        self.wrong_name = self.ca.issue("wrong-name", "elsewhere.example", dns=("elsewhere.example",), ips=())
        self.other_ca = Authority(directory, "other-ca")
        self.other_server = self.other_ca.issue("other-server", "localhost")
        self.other_client = self.other_ca.issue("other-client", "intruder", dns=(), ips=(), client=True)
