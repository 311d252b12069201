# test-malformed.py: malformed input to vmmd-dispatch (short frames, oversize length, unknown program/procedure, truncated XDR, over-limit strings, random bytes) gets an error reply or a clean close, and other connections keep working.
import os
import random
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_env import Env, raw_connect  # noqa: E402

PROGRAM = 0x20008086
KEEPALIVE = 0x6B656570
CALL, REPLY, MESSAGE = 0, 1, 2
AUTH_LIST, OPEN, SUPPORTS_FEATURE, LOOKUP_BY_NAME, GET_HOSTNAME = 66, 1, 60, 23, 59
ERR_NO_SUPPORT, ERR_RPC, ERR_NO_DOMAIN = 3, 39, 42


def frame(prog, proc, serial, body=b"", vers=1, type_=CALL, status=0):
    header = struct.pack(">IIiIIi", prog, vers, proc, type_, serial, status)
    return struct.pack(">I", 4 + len(header) + len(body)) + header + body


def xdr_string(s):
    data = s.encode() if isinstance(s, str) else s
    return struct.pack(">I", len(data)) + data + b"\0" * ((4 - len(data) % 4) % 4)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_message(sock):
    """(header tuple, body) or None when the dispatcher closed the connection."""
    word = recv_exact(sock, 4)
    if word is None:
        return None
    (length,) = struct.unpack(">I", word)
    data = recv_exact(sock, length - 4)
    if data is None:
        return None
    return struct.unpack(">IIiIIi", data[:24]), data[24:]


def error_code(body):
    return struct.unpack(">i", body[:4])[0]


def assert_closed(sock):
    sock.settimeout(10)
    try:
        assert sock.recv(1) == b"", "the dispatcher should have closed the connection"
    except ConnectionResetError:
        pass


def assert_works(sock, serial):
    """A well-formed AUTH_LIST gets its reply: the connection is still usable."""
    sock.sendall(frame(PROGRAM, AUTH_LIST, serial))
    hdr, body = read_message(sock)
    assert hdr[2] == AUTH_LIST and hdr[3] == REPLY and hdr[4] == serial and hdr[5] == 0, hdr
    assert body == struct.pack(">II", 1, 0), body      # [REMOTE_AUTH_NONE]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    with Env(need=()) as env:
        bystander = raw_connect(env.sock)
        assert_works(bystander, 1)

        # keepalive: PING is answered with PONG
        s = raw_connect(env.sock)
        s.sendall(frame(KEEPALIVE, 1, 0, type_=MESSAGE))
        hdr, body = read_message(s)
        assert hdr[0] == KEEPALIVE and hdr[2] == 2 and hdr[3] == MESSAGE and body == b"", hdr
        assert_works(s, 2)

        # unknown program: an error reply, the connection stays
        s.sendall(frame(0x12345678, 1, 3))
        hdr, body = read_message(s)
        assert hdr[3] == REPLY and hdr[4] == 3 and hdr[5] == 1 and error_code(body) == ERR_RPC, (hdr, body)
        assert_works(s, 4)

        # unknown procedure: VIR_ERR_NO_SUPPORT, the connection stays
        s.sendall(frame(PROGRAM, 9999, 5))
        hdr, body = read_message(s)
        assert hdr[5] == 1 and error_code(body) == ERR_NO_SUPPORT, (hdr, body)
        assert b"not supported by the connection driver" in body, body
        assert_works(s, 6)

        # truncated XDR body (SUPPORTS_FEATURE wants 4 bytes) and trailing garbage
        s.sendall(frame(PROGRAM, SUPPORTS_FEATURE, 7, b"\0\0"))
        hdr, body = read_message(s)
        assert hdr[4] == 7 and hdr[5] == 1 and error_code(body) == ERR_RPC, (hdr, body)
        s.sendall(frame(PROGRAM, SUPPORTS_FEATURE, 8, b"\0\0\0\x0d" + b"junk"))
        hdr, body = read_message(s)
        assert hdr[4] == 8 and hdr[5] == 1 and error_code(body) == ERR_RPC, (hdr, body)
        assert_works(s, 9)

        # a string over the 4 MiB limit (the frame itself is within 32 MiB)
        s.sendall(frame(PROGRAM, LOOKUP_BY_NAME, 10, xdr_string(b"x" * (4 * 1024 * 1024 + 1))))
        hdr, body = read_message(s)
        assert hdr[4] == 10 and hdr[5] == 1 and error_code(body) == ERR_RPC, (hdr, body)
        # a string length claiming more bytes than the frame holds
        s.sendall(frame(PROGRAM, LOOKUP_BY_NAME, 11, struct.pack(">I", 3000000) + b"abcd"))
        hdr, body = read_message(s)
        assert hdr[4] == 11 and hdr[5] == 1 and error_code(body) == ERR_RPC, (hdr, body)
        # a well-formed call is forwarded and its error (no such domain) comes back from vmmd-qemu
        s.sendall(frame(PROGRAM, LOOKUP_BY_NAME, 12, xdr_string("nosuch")))
        hdr, body = read_message(s)
        assert hdr[4] == 12 and hdr[5] == 1 and error_code(body) == ERR_NO_DOMAIN, (hdr, body)
        assert b"nosuch" in body, body
        assert_works(s, 13)
        s.close()

        # oversize length: closed, and nothing was allocated for it
        before = rss_kib(env.dispatch.pid)
        for length in (0xFFFFFFFF, 32 * 1024 * 1024 + 1):
            s = raw_connect(env.sock)
            s.sendall(struct.pack(">I", length) + b"\0" * 24)
            assert_closed(s)
            s.close()
        assert rss_kib(env.dispatch.pid) - before < 8 * 1024, "an oversize frame must not be allocated"

        # short frames: a length below a header, and a header cut off by the peer
        s = raw_connect(env.sock)
        s.sendall(struct.pack(">I", 10) + b"\0" * 6)
        assert_closed(s)
        s.close()
        s = raw_connect(env.sock)
        s.sendall(struct.pack(">I", 28) + b"\0" * 10)
        s.shutdown(socket.SHUT_WR)
        assert_closed(s)
        s.close()

        # random bytes: whatever comes back, the dispatcher survives and serves others
        rng = random.Random(16)
        for _ in range(20):
            s = raw_connect(env.sock)
            try:
                s.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096))))
                s.shutdown(socket.SHUT_WR)
                s.settimeout(10)
                while s.recv(65536):
                    pass
            except (ConnectionResetError, BrokenPipeError):
                pass
            s.close()

        assert env.dispatch.poll() is None, "vmmd-dispatch died"
        assert_works(bystander, 100)
        s = raw_connect(env.sock)
        assert_works(s, 1)
        s.close()
        bystander.close()
    print("ok")


main()
