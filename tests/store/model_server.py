#!/usr/bin/python3
"""Local HTTP server for the store tests: serves files from a folder in several misbehaving modes.

Usage: model_server.py ROOT LOG. Binds 127.0.0.1 on a free port and prints "PORT <n> PID <pid>".
Paths are /<mode>/<file>, <file> read from ROOT:
  ok        200 with the file, or 206 for a "Range: bytes=N-" request
  cut       like ok, but a request without Range gets the full Content-Length and only half the
            body, then the connection is dropped (so a client resumes with Range)
  norange   always 200 with the whole file (Range ignored)
  slow      like ok, sent in 64 pieces over about 1.3 s (for progress throttling)
  redirect  302 to /ok/<file>
  missing   404
  html      200 text/html with a login page (> 200 bytes)
  htmlbody  200 application/octet-stream whose body is an HTML page
Each request appends "<method> <path> range=<Range header or ->" to LOG.
"""
import http.server
import os
import re
import sys
import time

ROOT = sys.argv[1]
LOG = sys.argv[2]
HTML = ("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>"
        + "<p>Please sign in to continue to the download.</p>" * 8 + "</body></html>\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        with open(LOG, "a") as log:
            log.write(f"GET {self.path} range={self.headers.get('Range', '-')}\n")
        parts = self.path.strip("/").split("/", 1)
        mode, name = (parts + [""])[:2]
        if mode == "missing":
            return self.send_bytes(404, b"not here\n", "text/plain")
        if mode == "html":
            return self.send_bytes(200, HTML, "text/html; charset=utf-8")
        if mode == "htmlbody":
            return self.send_bytes(200, HTML, "application/octet-stream")
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", f"/ok/{name}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = os.path.join(ROOT, os.path.basename(name))
        if not os.path.isfile(path):
            return self.send_bytes(404, b"no such file\n", "text/plain")
        with open(path, "rb") as f:
            body = f.read()
        self.send_file(mode, body)

    def send_file(self, mode, body):
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        start = int(match.group(1)) if match and mode != "norange" else 0
        if start > len(body) or (start == len(body) and start > 0):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(body)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body) - start))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        rest = body[start:]
        if mode == "cut" and not start:
            self.wfile.write(rest[: len(rest) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode == "slow":
            piece = max(1, len(rest) // 64 + 1)
            for offset in range(0, len(rest), piece):
                self.wfile.write(rest[offset:offset + piece])
                self.wfile.flush()
                time.sleep(0.02)
            return
        self.wfile.write(rest)

    def send_bytes(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"PORT {server.server_address[1]} PID {os.getpid()}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
