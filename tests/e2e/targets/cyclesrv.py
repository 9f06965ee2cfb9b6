#!/usr/bin/env python3
"""An HTTP service whose answers are a known cycle of statuses.

    cyclesrv.py PORT [--cycle 502,503,200,200] [--note FILE TEXT]

Every GET is answered with the next status of --cycle (default: 200), an
empty body. --note writes TEXT to FILE before listening (what the runner
gave the target, for the test to read). Prints "listening on PORT" once
the socket is bound.
"""
import argparse
import http.server


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--cycle", default="200")
    ap.add_argument("--note", nargs=2, metavar=("FILE", "TEXT"))
    args = ap.parse_args()
    cycle = [int(c) for c in args.cycle.split(",")]
    if args.note:
        with open(args.note[0], "w") as f:
            f.write(args.note[1])

    class Handler(http.server.BaseHTTPRequestHandler):
        n = 0

        def do_GET(self):
            code = cycle[Handler.n % len(cycle)]
            Handler.n += 1
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    s = http.server.HTTPServer(("127.0.0.1", args.port), Handler)
    print("listening on", args.port, flush=True)
    s.serve_forever()


main()
