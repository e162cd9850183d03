#!/usr/bin/env python3
"""A loopback SMS gateway sink that accepts every request at once, Kannel-style.

Usage: bench/sink.py PORT [ARRIVALS_FILE]
Answers every GET/POST with 202 `0: Accepted for delivery` (keep-alive). With
ARRIVALS_FILE, appends one monotonic arrival time per request (for rate checks).
"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b"0: Accepted for delivery"
ARRIVALS = open(sys.argv[2], "a", buffering=1) if len(sys.argv) > 2 else None


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if ARRIVALS:
            ARRIVALS.write(f"{time.monotonic():.6f}\n")
        self.send_response(202)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    do_GET = answer
    do_POST = answer

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
