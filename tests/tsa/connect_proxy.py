#!/usr/bin/python3
"""A local http proxy for the wslplug tests: CONNECT tunnels (https through a proxy) and
absolute-form requests (plain http through a proxy), on a free port of 127.0.0.1 written to
--port-file. Every request appends "<METHOD> <target>" to --log. With --require-auth, requests
without "Proxy-Authorization: Basic dXNlcjpzZWNyZXQ=" (user:secret) get 407. Exits by itself
after --lifetime seconds.
"""
import argparse
import os
import select
import socket
import sys
import threading
import time
import urllib.parse

AUTH = "Basic dXNlcjpzZWNyZXQ="


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(1)
        if not chunk:
            return None, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def pipe(a, b):
    socks = [a, b]
    while True:
        ready, _, _ = select.select(socks, [], [], 30)
        if not ready:
            return
        for s in ready:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


def handle(conn, args):
    try:
        head, rest = read_head(conn)
        if head is None:
            return
        lines = head.split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        with open(args.log, "a") as log:
            log.write("%s %s%s\n" % (method, target,
                                     " auth" if "proxy-authorization" in headers else ""))
        if args.require_auth and headers.get("proxy-authorization") != AUTH:
            conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                         b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=30)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pipe(conn, upstream)
            upstream.close()
            return
        url = urllib.parse.urlsplit(target)
        if url.scheme != "http":
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        upstream = socket.create_connection((url.hostname, url.port or 80), timeout=30)
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        kept = [l for l in lines[1:] if not l.lower().startswith("proxy-authorization")]
        upstream.sendall(("%s %s HTTP/1.1\r\n" % (method, path) + "\r\n".join(kept) +
                          "\r\n\r\n").encode("latin-1") + rest)
        pipe(conn, upstream)
        upstream.close()
    except Exception as e:  # a test proxy: report and drop the connection
        sys.stderr.write("proxy: %r\n" % e)
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--lifetime", type=float, default=120)
    ap.add_argument("--require-auth", action="store_true")
    args = ap.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, args.port_file)

    def expire():
        time.sleep(args.lifetime)
        os._exit(0)

    threading.Thread(target=expire, daemon=True).start()
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn, args), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
