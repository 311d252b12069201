#!/usr/bin/python3
# dispatch.py: what vmmd-dispatch adds to a call: virsh through the dispatcher against vmmctl straight on D-Bus, and python-libvirt calls on an open connection (not part of the test suite).
#
# Usage: bench/dispatch.py [DOMAINS] [REPEAT]    (defaults 1000 and 5; VMMD_BUILD_DIR picks the build dir)
#
# Measured 2026-12-06 here (1000 domains, 5 runs, machine shared with other builds), ms:
#                            virsh→dispatch  vmmctl  libvirtd (bench/dispatch-libvirtd.sh)
#   list --all (1000)               534        332       208
#   define                          108         44        32
#   start (tiny guest, TCG)         150        565      2453
#   destroy                          65         34       269
# virsh list --all asks each domain's state (1000 more calls, ~0.2 ms each through the
# dispatcher); on an open connection lookupByName takes 0.18 ms and listAllDomains(1000)
# 75 ms, most of it vmmd-qemu's GetManagedObjects. list and define are slower than libvirtd:
# vmmd-qemu's own define (vmmctl: 44 ms) and its object listing, not the dispatcher hop.
#
# Rows (median of REPEAT runs, ms):
#   list --all (DOMAINS domains)  virsh list --all          vs  vmmctl list --all
#   define                        virsh define FILE         vs  vmmctl define FILE
#   start (tiny guest, TCG)       virsh start NAME          vs  vmmctl start NAME
#   destroy                       virsh destroy NAME        vs  vmmctl destroy NAME
# Each is a new process and a new connection, as in a shell script; "added" is the virsh
# median minus the vmmctl median: the dispatcher plus libvirt's client library, per call.
# Then, on one open connection (python3-libvirt through the dispatcher):
#   listAllDomains (DOMAINS), lookupByName, info: per-call medians.
# libvirtd itself is not started here (it needs a private mount and network namespace and a
# tuned qemu.conf); for a comparison, run the same virsh rows against one set up that way.
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("VMMD_BUILD_ROOT", os.environ.get("VMMD_BUILD_DIR", os.path.join(ROOT, "build")))
os.environ.setdefault("VMMD_TEST_GUEST_DIR", os.path.join(os.environ["VMMD_BUILD_ROOT"], "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from interop_env import Env  # noqa: E402

DOMAINS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
REPEAT = int(sys.argv[2]) if len(sys.argv) > 2 else 5
VMMCTL = os.path.join(os.environ["VMMD_BUILD_ROOT"], "tools", "vmmctl", "vmmctl")


def timed(argv, env):
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


def row(what, a, b):
    ma, mb = statistics.median(a), statistics.median(b)
    print("%-30s %10.2f %10.2f %10.2f" % (what, ma, mb, ma - mb))


def main():
    with Env(need_guest=True) as env:
        virsh = ["virsh", "-c", env.uri]
        vmmctl = [VMMCTL, "-c", "dbus:" + env.address]
        for i in range(DOMAINS):
            xml = "<domain type='qemu'><name>b%d</name><memory unit='MiB'>64</memory>" \
                  "<os><type arch='x86_64'>hvm</type></os></domain>" % i
            path = env.write("b%d.xml" % i, xml)
            subprocess.run(vmmctl + ["define", path], env=env.env, check=True, stdout=subprocess.DEVNULL)
        print("%-30s %10s %10s %10s" % ("median ms", "virsh", "vmmctl", "added"))
        row("list --all (%d domains)" % DOMAINS,
            [timed(virsh + ["list", "--all"], env.env) for _ in range(REPEAT)],
            [timed(vmmctl + ["list", "--all"], env.env) for _ in range(REPEAT)])
        a, b = [], []
        for i in range(REPEAT):
            for tool, out, name in ((virsh, a, "dv%d" % i), (vmmctl, b, "dm%d" % i)):
                path = env.write(name + ".xml", env.guest_xml(name))
                out.append(timed(tool + ["define", path], env.env))
        row("define", a, b)
        sa, sb, da, db = [], [], [], []
        for i in range(REPEAT):
            sa.append(timed(virsh + ["start", "dv%d" % i], env.env))
            sb.append(timed(vmmctl + ["start", "dm%d" % i], env.env))
            da.append(timed(virsh + ["destroy", "dv%d" % i], env.env))
            db.append(timed(vmmctl + ["destroy", "dm%d" % i], env.env))
        row("start (tiny guest, TCG)", sa, sb)
        row("destroy", da, db)

        try:
            import libvirt
        except ImportError:
            return
        conn = libvirt.open(env.uri)
        for what, fn in (("listAllDomains (%d)" % DOMAINS, lambda: conn.listAllDomains(0)),
                         ("lookupByName", lambda: conn.lookupByName("b0")),
                         ("lookupByName + info", lambda: conn.lookupByName("b0").info())):
            times = []
            for _ in range(max(REPEAT, 20)):
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1000)
            print("%-30s %10.3f ms per call (python-libvirt, open connection)" % (what, statistics.median(times)))
        conn.close()


main()
