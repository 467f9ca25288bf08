#!/usr/bin/python3
"""A local RFC 3161 time-stamping authority for the wslplug tests.

Answers HTTP POST requests on 127.0.0.1 by running `openssl ts -reply` with a tsa.cnf made by
the test fixture (tests/support/tsa.cpp). Misbehaviour modes let tests check the client's error
handling. The server picks a free port, writes it to --port-file and exits by itself after
--lifetime seconds (the fixture also kills it when the test ends).

Modes:
  normal    a real time-stamp reply
  garbage   HTTP 200 with a body that is not DER
  http500   HTTP 500 Internal Server Error
  hang      reads the request and never answers
  reject    a TimeStampResp with PKIStatus rejection and a status text
  nonce     a real reply to the request with its nonce changed (nonce mismatch)
  imprint   a real reply to the request with its message imprint changed (imprint mismatch)
  chunked   a real reply sent with Transfer-Encoding: chunked in 100-byte chunks
  hugechunk a real reply whose first chunk claims a size of 2^64 - 1 bytes (a size that wraps)
--tls-cert/--tls-key serve https instead of http.
--first-mode M --first-count N: the first N requests are answered in mode M, the rest in --mode.
Every request appends one line to --log: "<n> <content-type> <length> <mode>".
"""
import argparse
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("normal", "garbage", "http500", "hang", "reject", "nonce", "imprint", "chunked",
         "hugechunk")


def der_items(buf, start, end):
    """Yields (tag, content_start, content_end) of the DER items in buf[start:end]."""
    i = start
    while i < end:
        tag = buf[i]
        length = buf[i + 1]
        j = i + 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(buf[j:j + n], "big")
            j += n
        yield tag, j, j + length
        i = j + length


def tamper(query, what):
    """Flips the last byte of the nonce or of the imprint hash of a TimeStampReq."""
    q = bytearray(query)
    (_, start, end), = list(der_items(q, 0, len(q)))[:1]
    integers = 0
    for tag, s, e in der_items(q, start, end):
        if tag == 0x02:
            integers += 1
            if what == "nonce" and integers == 2:
                q[e - 1] ^= 0x01
                return bytes(q)
        elif tag == 0x30 and what == "imprint":
            for tag2, s2, e2 in der_items(q, s, e):
                if tag2 == 0x04:
                    q[e2 - 1] ^= 0x01
                    return bytes(q)
    raise ValueError("no %s in the request" % what)


def rejection():
    text = "wslplug test TSA: request rejected".encode()
    utf8 = bytes([0x0C, len(text)]) + text
    free_text = bytes([0x30, len(utf8)]) + utf8
    fail_info = bytes([0x03, 0x02, 0x07, 0x80])  # badAlg (bit 0)
    body = bytes([0x02, 0x01, 0x02]) + free_text + fail_info
    status = bytes([0x30, len(body)]) + body
    return bytes([0x30, len(status)]) + status


class State:
    lock = threading.Lock()
    count = 0


def make_handler(args):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # quiet: the fixture reads --log instead
            pass

        def send(self, code, body, ctype="application/timestamp-reply"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True

        def do_GET(self):
            self.send(405, b"use POST\n", "text/plain")

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            query = self.rfile.read(length)
            with State.lock:
                State.count += 1
                n = State.count
            mode = args.first_mode if n <= args.first_count else args.mode
            with open(args.log, "a") as log:
                log.write("%d %s %d %s\n" % (n, self.headers.get("Content-Type", "-"), len(query), mode))
            if mode == "hang":
                time.sleep(args.lifetime + 5)
                return
            if mode == "garbage":
                return self.send(200, b"this is not a time-stamp reply\n")
            if mode == "http500":
                return self.send(500, b"test TSA failure\n", "text/plain")
            if mode == "reject":
                return self.send(200, rejection())
            if mode in ("nonce", "imprint"):
                query = tamper(query, mode)
            with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
                qf = os.path.join(tmp, "q.tsq")
                rf = os.path.join(tmp, "r.tsr")
                with open(qf, "wb") as f:
                    f.write(query)
                p = subprocess.run(["openssl", "ts", "-reply", "-config", args.config,
                                    "-queryfile", qf, "-out", rf], capture_output=True)
                if p.returncode != 0:
                    return self.send(500, p.stderr, "text/plain")
                with open(rf, "rb") as f:
                    reply = f.read()
            if mode in ("chunked", "hugechunk"):
                return self.send_chunked(reply, huge=mode == "hugechunk")
            self.send(200, reply)

        def send_chunked(self, body, huge=False):
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            if huge:
                self.wfile.write(b"ffffffffffffffff\r\n" + body[:100] + b"\r\n")
            for i in range(0, len(body), 100):
                part = body[i:i + 100]
                self.wfile.write(b"%x;ext=1\r\n" % len(part) + part + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--mode", choices=MODES, default="normal")
    ap.add_argument("--first-mode", choices=MODES, default="normal")
    ap.add_argument("--first-count", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=120)
    ap.add_argument("--tls-cert", help="serve https with this certificate (PEM)")
    ap.add_argument("--tls-key", help="the key of --tls-cert")
    args = ap.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args))
    server.daemon_threads = True
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)

    def expire():
        time.sleep(args.lifetime)
        os._exit(0)

    threading.Thread(target=expire, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
