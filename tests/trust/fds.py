"""Python's ways of closing and passing descriptors, under a rule
`write errno=ENOSPC path=LOGDIR/...`: writes to LOGDIR's files fail with
ENOSPC, and sockets, pipes and eventfds that reuse their numbers never do.
    python3 fds.py LOGDIR
Prints a line per case and exits 1 when one went wrong.
"""
import ctypes
import errno
import itertools
import os
import socket
import sys

logdir = sys.argv[1]
failures = 0
names = itertools.count()


def report(ok, what, detail=None):
    global failures
    print(('ok' if ok else 'not ok') + ' - ' + what + (': ' + detail if detail else ''), flush=True)
    if not ok:
        failures += 1


def open_log():
    return os.open(os.path.join(logdir, 'py%d.log' % next(names)),
                   os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def expect_faulted(fd, what):
    try:
        os.write(fd, b'log line\n')
        report(False, what, 'the write went through')
    except OSError as e:
        report(e.errno == errno.ENOSPC, what, e.strerror)


def expect_clean(write, what):
    try:
        write()
        report(True, what)
    except OSError as e:
        report(False, what, e.strerror)


def expect_number(got, want, what):
    if got != want:
        report(False, what, 'got fd %d, not %d (the case proves nothing)' % (got, want))


# 1. a log file through Python's file objects, closed by os.close
fd = open_log()
expect_faulted(fd, 'a log file is faulted')
os.close(fd)

# 2. os.closerange (close_range), then a socket received by recv_fds on the number
a, b = socket.socketpair()
c, d = socket.socketpair()
fd = open_log()
os.closerange(fd, fd + 1)
socket.send_fds(a, [b'x'], [c.fileno()])
msg, fds, flags, addr = socket.recv_fds(b, 1, 1)
expect_number(fds[0], fd, 'recv_fds reuses the closed log number')
s = socket.socket(fileno=fds[0])
expect_clean(lambda: os.write(s.fileno(), b'hello'), 'a socket from recv_fds + socket(fileno=) on a log number is not faulted')
report(d.recv(5) == b'hello', 'and its data arrives')

# 2b. closed behind libc's back, as libuv does (syscall(SYS_close, fd))
libc = ctypes.CDLL(None, use_errno=True)
SYS_close = 3  # x86-64; asm/unistd_64.h
c2, d2 = socket.socketpair()
fd = open_log()
libc.syscall(ctypes.c_long(SYS_close), ctypes.c_long(fd))
socket.send_fds(a, [b'x'], [c2.fileno()])
msg, fds, flags, addr = socket.recv_fds(b, 1, 1)
expect_number(fds[0], fd, 'recv_fds reuses the number closed by syscall()')
s2 = socket.socket(fileno=fds[0])
expect_clean(lambda: os.write(s2.fileno(), b'hello'), 'a socket received on a number closed by syscall(SYS_close) is not faulted')

# 3. socket.fromfd (a dup) of a socket whose original is closed by os.close
fd = open_log()
os.close(fd)
e, f = socket.socketpair()
dup = socket.fromfd(e.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
os.close(e.detach())
expect_clean(lambda: os.write(dup.fileno(), b'hi'), 'a socket from socket.fromfd is not faulted')

# 4. an eventfd on a log number
fd = open_log()
os.close(fd)
ev = os.eventfd(0)
expect_number(ev, fd, 'eventfd reuses the closed log number')
expect_clean(lambda: os.eventfd_write(ev, 1), 'an eventfd on a log number is not faulted')
os.close(ev)

# 5. a log file received by recv_fds is faulted, on a socket's old number
fd = open_log()
g, h = socket.socketpair()
num = g.fileno()
g.close()
socket.send_fds(a, [b'x'], [fd])
msg, fds, flags, addr = socket.recv_fds(b, 1, 1)
expect_number(fds[0], num, 'recv_fds reuses the closed socket number')
expect_faulted(fds[0], 'a log file received by recv_fds is faulted')

# 6. a pipe made by os.pipe on a log number
fd = open_log()
os.close(fd)
r, w = os.pipe()
expect_clean(lambda: os.write(w, b'p'), 'a pipe is not faulted')
sys.exit(1 if failures else 0)
