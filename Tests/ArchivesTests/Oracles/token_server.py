#!/usr/bin/env python3
"""A Distribution token server for the tests (docs: distribution's token authentication spec):
GET /token?service=…&scope=repository:NAME:ACTIONS with Basic credentials USER:PASSWORD answers a
JWT signed with DIR/token.key carrying the certificate in its x5c header; wrong or missing
credentials answer 401. Listens on 127.0.0.1:PORT.

  token_server.py DIR PORT USER PASSWORD
"""
import base64, http.server, json, sys, time, uuid, urllib.parse
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

root, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
key = serialization.load_pem_private_key(open(f"{root}/token.key", "rb").read(), password=None)
cert = x509.load_pem_x509_certificate(open(f"{root}/token.crt", "rb").read())
der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if url.path != "/token" or self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.end_headers()
            return
        access = []
        for scope in query.get("scope", []):
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT", "x5c": [der]}
        claims = {"iss": "vigil-test-issuer", "sub": user, "aud": query.get("service", [""])[0], "exp": now + 600,
                  "nbf": now - 60, "iat": now, "jti": str(uuid.uuid4()), "access": access}
        signing = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        signature = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        token = f"{signing}.{b64(signature)}"
        body = json.dumps({"token": token, "access_token": token, "expires_in": 600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
