#!/usr/bin/env python3
"""Prepares a Distribution registry (Debian's docker-registry) for the tests, on 127.0.0.1 only.

  registry_setup.py MODE DIR USER PASSWORD     MODE: anonymous | basic | token | tls
(tls: HTTPS with a server certificate for 127.0.0.1 signed by a fresh CA in DIR/ca.crt)
Writes DIR/config.yml (storage in DIR/storage), DIR/htpasswd (bcrypt, for basic) or the token
signing key and certificate (for token), and prints "REGISTRY_PORT TOKEN_PORT" (free ports).
"""
import datetime, os, socket, sys

mode, root, user, password = sys.argv[1:5]

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

port, token_port = free_port(), free_port()
auth = ""
if mode == "basic":
    import bcrypt
    with open(f"{root}/htpasswd", "w") as f:
        f.write(f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()}\n")
    auth = f"auth:\n  htpasswd:\n    realm: vigil-test\n    path: {root}/htpasswd\n"
elif mode == "token":
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vigil-test-token-issuer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    with open(f"{root}/token.key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with open(f"{root}/token.crt", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    auth = (f"auth:\n  token:\n    realm: http://127.0.0.1:{token_port}/token\n    service: vigil-test-registry\n"
            f"    issuer: vigil-test-issuer\n    rootcertbundle: {root}/token.crt\n")
tls = ""
if mode == "tls":
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    now = datetime.datetime.now(datetime.timezone.utc)
    def cert(subject, key, issuer, issuer_key, ca):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vigil test CA")])
    ca = cert(ca_name, ca_key, ca_name, ca_key, True)
    server = cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), server_key, ca_name, ca_key, False)
    open(f"{root}/ca.crt", "wb").write(ca.public_bytes(serialization.Encoding.PEM))
    open(f"{root}/server.crt", "wb").write(server.public_bytes(serialization.Encoding.PEM))
    open(f"{root}/server.key", "wb").write(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    tls = f"  tls:\n    certificate: {root}/server.crt\n    key: {root}/server.key\n"
with open(f"{root}/config.yml", "w") as f:
    f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {root}/storage\n"
            f"http:\n  addr: 127.0.0.1:{port}\n{tls}{auth}")
print(port, token_port)
