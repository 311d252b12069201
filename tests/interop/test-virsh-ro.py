# test-virsh-ro.py: through the read-only socket virsh reads everything and every mutating command is refused with libvirt's "operation forbidden" wording, with nothing changed.
import os
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_env import Env  # noqa: E402

MUTATIONS = [
    ("define", "{xml}"),
    ("start", "ro1"),
    ("destroy", "ro1"),
    ("undefine", "ro1"),
    ("suspend", "ro1"),
    ("resume", "ro1"),
    ("shutdown", "ro1"),
    ("reboot", "ro1"),
    ("reset", "ro1"),
    ("autostart", "ro1"),
    ("domrename", "ro1", "ro2"),
    ("save", "ro1", "{dir}/ro1.save"),
    ("restore", "{dir}/none.save"),
    ("managedsave", "ro1"),
    ("snapshot-create-as", "ro1", "s1"),
    ("create", "{xml2}"),
    ("pool-define-as", "p2", "dir", "--target", "{dir}/p2"),
    ("pool-start", "p1"),
    ("pool-destroy", "p1"),
    ("pool-undefine", "p1"),
    ("vol-create-as", "p1", "v2.raw", "1M"),
    ("vol-delete", "v1.raw", "--pool", "p1"),
]


def host_facts(env):
    """What virsh shows about the host matches the host (vmmd-qemu's GetNodeInfo and friends)."""
    info = env.virsh("nodeinfo", ro=True).stdout
    assert re.search(r"^CPU\(s\):\s+%d$" % os.sysconf("SC_NPROCESSORS_ONLN"), info, re.M), info
    with open("/proc/meminfo") as f:
        total = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    assert re.search(r"^Memory size:\s+%d KiB$" % total, info, re.M), info
    assert re.search(r"^CPU model:\s+%s$" % os.uname().machine, info, re.M), info
    stats = env.virsh("nodememstats", ro=True).stdout
    assert re.search(r"^total\s*:\s+%d KiB$" % total, stats, re.M), stats
    qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout
    ver = re.search(r"version (\d+)\.(\d+)\.(\d+)", qemu).groups()
    out = env.virsh("version", ro=True).stdout
    assert "Running hypervisor: QEMU %s.%s.%s" % ver in out, (out, qemu)
    assert "Using API: QEMU 9.0.0" in out, out
    assert "<os_type>hvm</os_type>" in env.virsh("capabilities", ro=True).stdout
    dcaps = env.virsh("domcapabilities", ro=True).stdout
    assert "<path>/usr/bin/qemu-system-x86_64</path>" in dcaps and "<domain>qemu</domain>" in dcaps, dcaps
    assert env.virsh("hostname", ro=True).stdout.strip() == socket.gethostname()
    assert env.virsh("uri", ro=True).stdout.strip() == env.uri_ro
    assert env.virsh("net-list", "--all", "--name", ro=True).stdout.split() == []


def main():
    with Env() as env:
        xml = env.write("ro1.xml", env.guest_xml("ro1"))
        xml2 = env.write("ro2.xml", env.guest_xml("ro2"))
        env.virsh("define", xml)
        env.virsh("pool-define-as", "p1", "dir", "--target", os.path.join(env.dir, "p1"))
        env.virsh("pool-build", "p1")
        env.virsh("pool-start", "p1")
        env.virsh("vol-create-as", "p1", "v1.raw", "1M")

        # reads work
        out = env.virsh("list", "--all", ro=True).stdout
        assert re.search(r"^\s*-\s+ro1\s+shut off", out, re.M), out
        assert re.search(r"State:\s+shut off", env.virsh("dominfo", "ro1", ro=True).stdout)
        assert "<name>ro1</name>" in env.virsh("dumpxml", "ro1", ro=True).stdout
        assert env.virsh("domstate", "ro1", ro=True).stdout.strip() == "shut off"
        assert "p1" in env.virsh("pool-list", "--all", ro=True).stdout
        assert "v1.raw" in env.virsh("vol-list", "p1", ro=True).stdout
        host_facts(env)

        # writes are refused, in libvirt's words, before anything is forwarded
        before = env.virsh("dumpxml", "ro1").stdout
        for cmd in MUTATIONS:
            args = [a.format(xml=xml, xml2=xml2, dir=env.dir) for a in cmd]
            p = env.virsh(*args, ro=True, check=False)
            assert p.returncode != 0, (args, p.stdout)
            assert "operation forbidden: read only access prevents vir" in p.stderr, (args, p.stderr)

        # and nothing changed
        assert env.virsh("domstate", "ro1").stdout.strip() == "shut off"
        assert env.virsh("dumpxml", "ro1").stdout == before
        assert env.virsh("list", "--all", "--name").stdout.split() == ["ro1"]
        assert re.search(r"Autostart:\s+disable", env.virsh("dominfo", "ro1").stdout)
        assert env.virsh("pool-list", "--all", "--name").stdout.split() == ["p1"]
        assert os.path.exists(os.path.join(env.dir, "p1", "v1.raw"))
        assert not os.path.exists(os.path.join(env.dir, "p2"))
        assert not env.qemu_pids()
    print("ok")


main()
