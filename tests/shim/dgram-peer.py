"""A UDP sender and receiver in one process, for tests/shim/test-shim-dgram.sh.

dgram-peer.py SENDAPI RECVAPI N [blocking]: sends the numbers 0..N-1 as
datagrams to its own receiving socket (SENDAPI: sendto, send, sendmsg,
write, writev), then reads them (RECVAPI: recv, recvfrom, recvmsg, read,
readv, recv_into) until nothing came for 0.1 s, waiting with
select() and reading from a non-blocking socket, or (blocking) from a
blocking one once select() said it is readable. If it got fewer than N,
it sends one more datagram, 999 (a held datagram's turn comes after the
next one), and reads again. Prints what it received, in order.
"""
import os
import select
import socket
import sys

send_api, recv_api, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
blocking = len(sys.argv) > 4 and sys.argv[4] == "blocking"
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 0))
rx.setblocking(blocking)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
to = rx.getsockname()
tx.connect(to)


def send(i):
    b = b"%d" % i
    if send_api == "sendto":
        tx.sendto(b, to)
    elif send_api == "send":
        tx.send(b)
    elif send_api == "sendmsg":
        tx.sendmsg([b[:1], b[1:]])
    elif send_api == "write":
        os.write(tx.fileno(), b)
    elif send_api == "writev":
        os.writev(tx.fileno(), [b[:1], b[1:]])


def recv():
    if recv_api == "recv":
        return rx.recv(100)
    if recv_api == "recvfrom":
        data, addr = rx.recvfrom(100)
        assert addr == tx.getsockname(), addr
        return data
    if recv_api == "recvmsg":
        data, _, _, addr = rx.recvmsg(100)
        assert addr == tx.getsockname(), addr
        return data
    if recv_api == "read":
        return os.read(rx.fileno(), 100)
    if recv_api == "readv":
        a, b = bytearray(2), bytearray(98)
        k = os.readv(rx.fileno(), [a, b])
        return bytes((a + b)[:k])
    buf = bytearray(100)
    k = rx.recv_into(buf)
    return bytes(buf[:k])


def drain(got):
    while True:
        if not select.select([rx], [], [], 0.1)[0]:
            return
        try:
            got.append(int(recv()))
        except BlockingIOError:
            pass


for i in range(n):
    send(i)
got = []
drain(got)
if len(set(got)) < n:
    send(999)
    drain(got)
print(" ".join(map(str, got)))
