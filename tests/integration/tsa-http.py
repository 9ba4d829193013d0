# tsa-http.py PORTFILE CERT KEY [HOLDFILE]: an RFC 3161 time-stamping
# authority over HTTP for the tests, answered by OpenSSL's own TSA (`openssl
# ts -reply`), so that kho's external-TSA client meets a server nobody here
# wrote. Writes the port it listens on (127.0.0.1) to PORTFILE; runs until
# killed. With HOLDFILE: the first request is held while that file exists
# (HOLDFILE.held says it is), so a test can act while that client waits;
# the others are answered meanwhile.
import http.server, os, subprocess, sys, tempfile, threading, time

portfile, cert, key = sys.argv[1:4]
holdfile = sys.argv[4] if len(sys.argv) > 4 else None
work = tempfile.mkdtemp(prefix="tsa-http.")
conf = os.path.join(work, "tsa.cnf")
with open(os.path.join(work, "serial"), "w") as f:
    f.write("01\n")
with open(conf, "w") as f:
    f.write(f"""[ tsa ]
default_tsa = t
[ t ]
serial = {work}/serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.4146.2.3
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")

lock = threading.Lock()
first = [True]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            hold, first[0] = holdfile is not None and first[0], False
        while hold and os.path.exists(holdfile):
            open(holdfile + ".held", "w").close()
            time.sleep(0.05)
        with lock:
            self.answer(body)

    def answer(self, body):
        q = os.path.join(work, "q.tsq")
        r = os.path.join(work, "r.tsr")
        with open(q, "wb") as f:
            f.write(body)
        p = subprocess.run(["openssl", "ts", "-reply", "-config", conf, "-queryfile", q,
                            "-signer", cert, "-inkey", key, "-chain", cert, "-out", r],
                           capture_output=True)
        if p.returncode != 0:
            sys.stderr.write(p.stderr.decode(errors="replace"))
            self.send_response(500)
            self.end_headers()
            return
        data = open(r, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
