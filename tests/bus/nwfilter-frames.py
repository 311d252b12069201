#!/usr/bin/env python3
# nwfilter-frames.py: sends hand-made Ethernet frames from the guest namespace and counts what reaches the peer's.
#
# Usage: nwfilter-frames.py burst GPID PPID KIND=N...   send N frames of each KIND, then print "KIND=received ..."
#        nwfilter-frames.py burst-in GPID PPID KIND=N... the same from the peer to the guest (kinds in-*)
#        nwfilter-frames.py stream GPID PPID KIND...    send the KINDs round and round; "ready" once the peer
#                                                       listens, stop at a line on stdin, then print the counts
# GPID and PPID are processes whose network namespaces are the guest's (sending on g0) and the peer's
# (listening on p0). Every frame is broadcast and carries a marker with its kind, so the counts are exact
# whatever else the interfaces see. The last frame is a valid "end" frame: the peer stops counting there.
import ctypes
import os
import select
import socket
import struct
import sys

CLONE_NEWNET = 0x40000000
GUEST_MAC = "52:54:00:11:22:33"
FORGED_MAC = "52:54:00:de:ad:01"
PEER_MAC = "52:54:00:00:00:03"
GUEST_IP, PEER_IP, SPOOF_IP = "10.0.0.2", "10.0.0.3", "10.0.0.9"
MARK = b"VMMDT:"


def enter(pid):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")
    os.close(fd)


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def udp(src_mac, src_ip, dst_ip, sport, dport, payload):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 0, 0, 64, 17, 0, socket.inet_aton(src_ip),
                     socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\xff" * 6 + mac(src_mac) + b"\x08\x00" + ip + u


def arp(src_mac, sender_ip, target_ip, payload):
    a = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac(src_mac), socket.inet_aton(sender_ip),
                    b"\0" * 6, socket.inet_aton(target_ip))
    return b"\xff" * 6 + mac(src_mac) + b"\x08\x06" + a + payload


def raw(src_mac, payload):
    return b"\xff" * 6 + mac(src_mac) + b"\x88\xb5" + payload


def frame(kind):
    p = MARK + kind.encode() + b";"
    return {
        "ownmac": lambda: raw(GUEST_MAC, p),
        "forged": lambda: raw(FORGED_MAC, p),
        "udp-ok": lambda: udp(GUEST_MAC, GUEST_IP, PEER_IP, 4000, 4000, p),
        "udp-spoof": lambda: udp(GUEST_MAC, SPOOF_IP, PEER_IP, 4000, 4000, p),
        "udp-forged": lambda: udp(FORGED_MAC, GUEST_IP, PEER_IP, 4000, 4000, p),
        "dhcp": lambda: udp(GUEST_MAC, "0.0.0.0", "255.255.255.255", 68, 67, p),
        "garp-ok": lambda: arp(GUEST_MAC, GUEST_IP, GUEST_IP, p),
        "garp-peer": lambda: arp(GUEST_MAC, PEER_IP, PEER_IP, p),
        "end": lambda: udp(GUEST_MAC, GUEST_IP, PEER_IP, 4000, 4000, p),
        "in-udp": lambda: udp(PEER_MAC, PEER_IP, GUEST_IP, 4000, 4000, p),
        "in-raw": lambda: raw(PEER_MAC, p),
        "in-end": lambda: udp(PEER_MAC, PEER_IP, GUEST_IP, 4000, 4000, p),
    }[kind]()


def receiver(ppid, ifname, ready_w, result_w):
    enter(ppid)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((ifname, 0))
    s.settimeout(20)
    os.write(ready_w, b"r")
    counts = {}
    try:
        while True:
            data = s.recv(2048)
            i = data.find(MARK)
            if i < 0:
                continue
            kind = data[i + len(MARK):].split(b";", 1)[0].decode()
            if kind in ("end", "in-end"):
                break
            counts[kind] = counts.get(kind, 0) + 1
    except socket.timeout:
        counts["timeout"] = 1
    os.write(result_w, " ".join(f"{k}={v}" for k, v in sorted(counts.items())).encode() + b"\n")


def main():
    mode, gpid, ppid = sys.argv[1], sys.argv[2], sys.argv[3]
    inward = mode == "burst-in"
    end = "in-end" if inward else "end"
    if inward:
        # the peer sends, the guest counts
        gpid, ppid = ppid, gpid
    send_if, recv_if = ("p0", "g0") if inward else ("g0", "p0")
    ready_r, ready_w = os.pipe()
    result_r, result_w = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            receiver(ppid, recv_if, ready_w, result_w)
        finally:
            os._exit(0)
    os.read(ready_r, 1)
    enter(gpid)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((send_if, 0))
    if mode.startswith("burst"):
        for spec in sys.argv[4:]:
            kind, n = spec.split("=")
            for _ in range(int(n)):
                s.send(frame(kind))
    else:
        kinds = sys.argv[4:]
        print("ready", flush=True)
        while True:
            for kind in kinds:
                s.send(frame(kind))
            if select.select([sys.stdin], [], [], 0.001)[0]:
                break
    # the end frame may meet a port being changed: send a few, the receiver stops at the first
    for _ in range(20):
        s.send(frame(end))
        if select.select([result_r], [], [], 0.05)[0]:
            break
    result = os.read(result_r, 4096).decode().strip()
    os.waitpid(child, 0)
    print(result, flush=True)


main()
