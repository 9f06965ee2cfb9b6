#!/usr/bin/env python3
"""A tiny HTTP service for the runner's end-to-end tests.

GET /        appends a line to $LOG_DIR/app.log; when that write fails
             (disk full), answers 500 with --mode=fragile, 200 with
             --mode=robust (the failed log write is dropped), and exits
             with status 1 with --mode=crash.
GET /health  always 200, without touching the log.
GET /slow    sleeps 2 s, then 200.
Prints "listening on PORT" once the socket is bound.
"""
import argparse
import http.server
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mode", default="robust",
                    choices=["robust", "fragile", "crash"])
    args = ap.parse_args()
    log_dir = os.environ.get("LOG_DIR", ".")
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, "app.log")

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, code, body):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/health":
                return self.reply(200, "ok\n")
            if self.path == "/slow":
                time.sleep(2)
                return self.reply(200, "slow\n")
            try:
                with open(log_path, "a") as f:
                    f.write("GET %s %f\n" % (self.path, time.time()))
            except OSError as e:
                if args.mode == "crash":
                    print("log write failed: %s; exiting" % e, flush=True)
                    os._exit(1)
                if args.mode == "fragile":
                    return self.reply(500, "log write failed: %s\n" % e)
            return self.reply(200, "hello\n")

    class Server(http.server.ThreadingHTTPServer):
        # probes connect in bursts; socketserver's default backlog of 5
        # would drop SYNs (a 1 s retransmit looks like a hung server)
        request_queue_size = 128
        daemon_threads = True

    srv = Server(("127.0.0.1", args.port), Handler)
    print("listening on %d" % args.port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
