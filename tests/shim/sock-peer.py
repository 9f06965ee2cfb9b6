# A TCP peer for the socket shaping tests (test-shim-shape.sh,
# test-shim-rate.sh), run without the shim:
#   python3 sock-peer.py PORTFILE SIZE
# On a connection, "G" sends SIZE random bytes in one sendall, "P" reads
# until the client's end of file and answers the sha256 of what it read.
# PORTFILE gets "PORT OTHER" (OTHER: a port bound and never listened on,
# for rules that must match nothing), PORTFILE.sha the data's sha256.
import hashlib, os, socket, sys, threading
data = os.urandom(int(sys.argv[2]))
with open(sys.argv[1] + ".sha", "w") as f:
    f.write(hashlib.sha256(data).hexdigest() + "\n")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(16)
o = socket.socket()
o.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d\n" % (s.getsockname()[1], o.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
def serve(c):
    try:
        cmd = c.recv(1)
        if cmd == b"G":
            c.sendall(data)
        elif cmd == b"P":
            h = hashlib.sha256()
            while True:
                d = c.recv(65536)
                if not d:
                    break
                h.update(d)
            c.sendall(h.hexdigest().encode())
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
