#!/usr/bin/env python3
"""A backend for tests/lb: python3 backend.py NAME PORT DIR

GET / answers 200 "backend NAME". GET /health answers 200, or 500 while
DIR/NAME.sick exists, or hangs (up to 60 s) while DIR/NAME.hang exists:
the test switches a backend's health by creating and removing files.
"""
import http.server
import os
import sys
import time

name, port, state_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = 200
        if self.path == '/health':
            if os.path.exists(os.path.join(state_dir, name + '.hang')):
                end = time.monotonic() + 60
                while time.monotonic() < end and \
                        os.path.exists(os.path.join(state_dir, name + '.hang')):
                    time.sleep(0.05)
            if os.path.exists(os.path.join(state_dir, name + '.sick')):
                code = 500
        body = ('backend %s\n' % name).encode()
        self.send_response(code)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
