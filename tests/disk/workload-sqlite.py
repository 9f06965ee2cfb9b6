"""A disk-full workload: sqlite inserting rows while a second process reads.

    workload-sqlite.py DIR MODE     MODE: delete (rollback journal) or wal

Makes DIR/ballast (16 KiB, "old logs") and DIR/app.db, starts a reader
process that counts the table's rows over and over, then inserts 1 KiB
rows, one transaction each, until three in a row fail. Then the ballast is
deleted (space comes back) and it inserts 5 more rows. Prints one line:

    rows N full-errors E other-errors O integrity ok reads R read-errors F recovered K

N rows went in before the disk was full, E inserts failed with "database or
disk is full" (O with something else), R reads succeeded and F failed (a
reader must never fail on a real full disk), K of the 5 inserts after the
space came back succeeded.
"""
import os
import sqlite3
import subprocess
import sys
import time


def reader(db, stop):
    """Count the rows until `stop` exists; print reads and failures.

    Once `stop`.full exists (the writer has met the full disk and waits),
    the next read is answered with a "seen" line: the writer goes on only
    after a read at full disk, however the two are scheduled."""
    conn = sqlite3.connect(db, timeout=30)
    reads = fails = 0
    seen = False
    last = ""
    # the writer waits for this line: under load (an ASan build, a busy
    # CI machine) a fixed head start let the writer finish before the
    # reader's first read
    conn.execute("SELECT count(*) FROM t").fetchone()
    print("ready", flush=True)
    while not os.path.exists(stop):
        full = not seen and os.path.exists(stop + ".full")
        try:
            conn.execute("SELECT count(*), sum(length(v)) FROM t").fetchone()
            reads += 1
        except sqlite3.Error as e:
            fails += 1
            last = str(e)
        if full:
            print("seen", flush=True)
            seen = True
        time.sleep(0.002)
    conn.close()
    print(reads, fails, last.replace(" ", "-") or "-", flush=True)


def insert(conn, i):
    """One row in its own transaction; None or the error's text."""
    try:
        with conn:
            conn.execute("INSERT INTO t(v) VALUES (?)", (bytes([i % 251]) * 1024,))
        return None
    except sqlite3.Error as e:
        return str(e)


def main():
    if sys.argv[1] == "read":
        reader(sys.argv[2], sys.argv[3])
        return
    d, mode = sys.argv[1], sys.argv[2]
    db = os.path.join(d, "app.db")
    stop = os.path.join(d, "..", os.path.basename(d) + ".stop")
    with open(os.path.join(d, "ballast"), "wb") as f:
        f.write(b"b" * 16384)
    conn = sqlite3.connect(db, timeout=30)
    conn.execute("PRAGMA journal_mode=" + mode).fetchone()
    with conn:
        conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)")
    rd = subprocess.Popen([sys.executable, __file__, "read", db, stop],
                          stdout=subprocess.PIPE, text=True)
    # the reader has opened the database (and, in WAL mode, its -shm) and
    # read it once
    rd.stdout.readline()
    rows = full = other = 0
    streak = 0
    i = 0
    while streak < 3 and i < 5000:
        i += 1
        err = insert(conn, i)
        if err is None:
            rows += 1
            streak = 0
            continue
        streak += 1
        if "full" in err:
            full += 1
        else:
            other += 1
            print("insert:", err, file=sys.stderr)
    # the disk is full: wait for one read made now (a reader scheduled
    # late, as under ASan on a loaded machine, read only before or after)
    with open(stop + ".full", "w"):
        pass
    rd.stdout.readline()
    ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
    os.unlink(os.path.join(d, "ballast"))
    recovered = sum(insert(conn, i + k) is None for k in range(1, 6))
    with open(stop, "w"):
        pass
    out, _ = rd.communicate(timeout=60)
    os.unlink(stop)
    os.unlink(stop + ".full")
    reads, fails, last = out.split()
    if int(fails):
        print("reader:", last, file=sys.stderr)
    conn.close()
    print("rows", rows, "full-errors", full, "other-errors", other,
          "integrity", ok, "reads", "yes" if int(reads) else "no",
          "read-errors", fails, "recovered", recovered)


main()
