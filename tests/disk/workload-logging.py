"""A disk-full workload: logging.FileHandler writes records until the disk
fills. Prints "errors N bytes M" (records that failed, bytes in the file)."""
import logging
import os
import sys

path = os.path.join(sys.argv[1], "app.log")
handler = logging.FileHandler(path)
errors = 0


def count(record):
    global errors
    errors += 1


handler.handleError = count
log = logging.getLogger("app")
log.addHandler(handler)
log.propagate = False
for i in range(2000):
    log.warning("request %05d served in 12ms by worker 3, all fine", i)
try:
    handler.close()
    closed = "ok"
except OSError as e:
    # the buffer it could not write: the same on the real disk
    closed = os.strerror(e.errno)
print("errors", errors, "close", closed.replace(" ", "-"), "bytes", os.path.getsize(path))
