#!/usr/bin/env python3
# test-installed.py: the installed vmmd on a private system bus — everyone may read, only root and the admin group may change.
#
# Usage (as root, after the package is installed): test-installed.py [PREFIX]   (default /usr)
# A private dbus-daemon of type system listens on its own socket; its configuration is a
# system-bus-like default policy plus the installed share/dbus-1/system.d/org.vmmd.*.conf,
# and it activates the daemons from the installed share/dbus-1/system-services files (the
# bus runs as root, so no setuid launch helper: it starts them itself). Root makes one
# object of every kind; then every method and writable property found by introspection is
# called as the user nobody (setpriv --reuid=nobody). Methods that
# everyone may call (marked org.vmmd.ReadOnly in the installed interface XML) must be
# answered; every other one must be refused by the bus
# (org.freedesktop.DBus.Error.AccessDenied) or by the daemon (org.vmmd.Error.OperationDenied).
# Calls go through gdbus, which types arguments from introspection and prints error names.
import glob
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

PREFIX = sys.argv[1] if len(sys.argv) > 1 else "/usr"
SHARE = os.path.join(PREFIX, "share", "dbus-1")
DENIED = ("org.freedesktop.DBus.Error.AccessDenied", "org.vmmd.Error.OperationDenied")
n = failures = 0


def check(what, ok, detail=""):
    global n, failures
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} - {what}")
    if not ok:
        failures += 1
        for line in detail.splitlines():
            print("#   " + line)


if os.geteuid() != 0:
    print("1..0 # SKIP needs root (a system bus, setpriv)")
    sys.exit(77)

policies = sorted(glob.glob(os.path.join(SHARE, "system.d", "org.vmmd.*.conf")))
services = sorted(glob.glob(os.path.join(SHARE, "system-services", "org.vmmd.*.service")))
check("installed policy files", bool(policies), SHARE)
check("installed system activation files", bool(services), SHARE)
bus_names = []
for s in services:
    text = open(s).read()
    name = re.search(r"^Name=(.*)$", text, re.M).group(1)
    exe = re.search(r"^Exec=(\S+)", text, re.M).group(1)
    check(f"{os.path.basename(s)}: Exec= {exe} is installed", os.access(exe, os.X_OK))
    bus_names.append(name)

# Which methods are read-only comes from the installed interface XML (annotation
# org.vmmd.ReadOnly), not from the policy under test.
def readonly_methods(iname):
    f = os.path.join(SHARE, "interfaces", iname + ".xml")
    if not os.path.exists(f):
        return None
    ro = set()
    for m in ET.parse(f).getroot().iter("method"):
        if any(a.get("name") == "org.vmmd.ReadOnly" and a.get("value") == "true" for a in m.findall("annotation")):
            ro.add(m.get("name"))
    return ro


with tempfile.TemporaryDirectory(prefix="vmmd-test-installed.") as tmp:
    os.chmod(tmp, 0o755)   # nobody must reach the socket
    sock = os.path.join(tmp, "system_bus_socket")
    address = f"unix:path={sock}"
    includes = "\n".join(f"  <include>{p}</include>" for p in policies)
    conf = os.path.join(tmp, "system.conf")
    with open(conf, "w") as f:
        f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{SHARE}/system-services</servicedir>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
{includes}
</busconfig>
""")
    root = os.path.join(tmp, "root")
    # activated daemons inherit this environment: --system finds our bus through
    # DBUS_SYSTEM_BUS_ADDRESS and VMMD_ROOT keeps their files in tmp
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address, VMMD_ROOT=root, VMMD_BUS_ADDRESS=address)
    bus = subprocess.Popen(["dbus-daemon", "--config-file", conf, "--nofork", "--nopidfile"], env=env,
                           stderr=open(os.path.join(tmp, "bus.log"), "w"))
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            if time.monotonic() > deadline or bus.poll() is not None:
                print("Bail out! dbus-daemon did not start: " + open(os.path.join(tmp, "bus.log")).read())
                sys.exit(1)
            time.sleep(0.05)
        os.chmod(sock, 0o777)

        def run(args, as_nobody=False):
            if as_nobody:
                args = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + args
            return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)

        def must(args):
            r = run(args)
            if r.returncode != 0:
                print(f"Bail out! {' '.join(args)}: {r.stderr.strip()}")
                sys.exit(1)
            return r.stdout

        # root makes one object of every kind, through the installed vmmctl
        vmmctl = os.path.join(PREFIX, "bin", "vmmctl")
        with open(f"{tmp}/d.xml", "w") as f:
            f.write("<domain type='qemu'><name>i1</name><memory unit='MiB'>64</memory>"
                    "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>")
        must([vmmctl, "define", f"{tmp}/d.xml"])
        if not os.path.exists(f"{root}/etc/vmmd/qemu/i1.xml"):
            print(f"Bail out! the activated vmmd-qemu did not keep its files under VMMD_ROOT={root}")
            sys.exit(1)
        uuid = must([vmmctl, "uuid", "i1"]).strip()
        with open(f"{tmp}/s.xml", "w") as f:
            f.write(f"<domainsnapshot><name>s1</name><state>shutoff</state><creationTime>1</creationTime>"
                    f"<domain type='qemu'><name>i1</name><uuid>{uuid}</uuid><memory unit='MiB'>64</memory>"
                    f"<os><type arch='x86_64' machine='pc'>hvm</type></os></domain></domainsnapshot>")
        must([vmmctl, "snapshot-create", "i1", f"{tmp}/s.xml", "--redefine"])
        os.mkdir(f"{tmp}/p1")
        must([vmmctl, "pool-define-as", "p1", "dir", "--target", f"{tmp}/p1"])
        must([vmmctl, "pool-start", "p1"])
        must([vmmctl, "vol-create-as", "p1", "v1", "1M", "--format", "raw"])
        # the daemons no call above needed (network, secret) are activated by a ping
        for name in bus_names:
            must(["busctl", f"--address={address}", "call", name, "/", "org.freedesktop.DBus.Peer", "Ping"])
        check("the daemons were activated from the installed files and serve the private system bus",
              all(name in must(["busctl", f"--address={address}", "list", "--acquired"]) for name in bus_names))

        seen = 0
        for name in bus_names:
            for path in must(["busctl", f"--address={address}", "tree", "--list", name]).split():
                node = ET.fromstring(must(["busctl", f"--address={address}", "introspect", "--xml-interface", name, path]))
                for iface in node.findall("interface"):
                    iname = iface.get("name")
                    if not iname.startswith("org.vmmd."):
                        continue
                    ro = readonly_methods(iname)
                    check(f"{iname}: installed interface XML", ro is not None)
                    ro = ro or set()
                    calls = []
                    for m in iface.findall("method"):
                        sig = "".join(a.get("type") for a in m.findall("arg") if a.get("direction", "in") == "in")
                        calls.append((iname, m.get("name"), sig, m.get("name") in ro))
                    for p in iface.findall("property"):
                        if p.get("access") in ("write", "readwrite"):
                            calls.append(("org.freedesktop.DBus.Properties", "Set",
                                          f"ss{iname}|{p.get('name')}|{p.get('type')}", False))
                        # reading is always allowed
                        calls.append(("org.freedesktop.DBus.Properties", "Get", f"ss{iname}|{p.get('name')}", True))
                    for (ci, member, sig, ro) in calls:
                        seen += 1
                        # gdbus types the arguments from introspection and prints error
                        # names; harmless values: empty strings, zeros, the object's own
                        # path, false
                        if ci == "org.freedesktop.DBus.Properties":
                            parts = sig[2:].split("|")
                            args = [f"'{parts[0]}'", f"'{parts[1]}'"]
                            if member == "Set":
                                args.append({"b": "<false>", "s": "<'x'>"}.get(parts[2], "<0>"))
                        else:
                            args = [{"s": "''", "o": f"'{path}'", "b": "false"}.get(t, "0")
                                    for t in re.findall(r"a?[^a]", sig)]
                        r = run(["gdbus", "call", "--address", address, "--timeout", "30", "--dest", name,
                                 "--object-path", path, "--method", f"{ci}.{member}"] + args, as_nobody=True)
                        err = r.stderr.strip()
                        m = re.search(r"GDBus\.Error:([\w.]+)", err)
                        ename = m.group(1) if m else ("" if r.returncode == 0 else "no error name")
                        what = f"nobody calls {name} {path.replace(uuid.replace('-', '_2d'), '<uuid>')} {ci}.{member}"
                        if ro:
                            # it may fail on the dummy arguments, but only as vmmd itself says
                            good = ename == "" or (ename.startswith("org.vmmd.Error.") and ename not in DENIED)
                            check(what + ": read-only, answered", good, err)
                        else:
                            check(what + ": mutating, refused", ename in DENIED, err or "it succeeded")
        check("methods were found by introspection", seen > 20, f"only {seen}")
        # nothing a refused call could have done: the objects are all still there
        check("the domain, snapshot, pool and volume survived",
              "i1" in must([vmmctl, "list", "--all", "--name"]) and
              "s1" in must([vmmctl, "snapshot-list", "i1", "--name"]) and
              "v1" in must([vmmctl, "vol-list", "p1"]))
    finally:
        bus.terminate()
        bus.wait()

print(f"1..{n}")
sys.exit(1 if failures else 0)
