#!/usr/bin/env python3
# test-interfaces.py: the installed interface XML (busconfig/interfaces) must describe exactly what the running daemons introspect.
#
# Usage: test-interfaces.py BUILD_DIR SOURCE_DIR
# A private dbus-daemon activates the build's daemons under a temporary root; one object of
# every kind is made (domain, snapshot, pool, volume, secret, running network and its port, filter and binding; the
# test re-runs itself in a network namespace of its own so the bridge never reaches the host)
# and every org.vmmd.* interface found
# on the bus is compared with its file: the same methods, signals and properties, with the
# same argument names, types and directions, property types and access. The documentation
# annotations are the file's own and are not compared, but every member must have one.
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

BUILD, SOURCE = sys.argv[1], sys.argv[2]
if os.environ.get("VMMD_TEST_NETNS") != "1":
    os.execvpe("unshare", ["unshare", "--net", sys.executable] + sys.argv,
               dict(os.environ, VMMD_TEST_NETNS="1"))
IFACE_DIR = os.path.join(SOURCE, "busconfig", "interfaces")
VMMCTL = os.path.join(BUILD, "tools", "vmmctl", "vmmctl")
DOC = "org.gtk.GDBus.DocString"
n = 0
failures = 0


def check(what, ok, detail=""):
    global n, failures
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} - {what}")
    if not ok:
        failures += 1
        for line in detail.splitlines():
            print("#   " + line)


def shape(iface):
    """What a client relies on: members with their argument names/types/directions."""
    members = {}
    for m in iface:
        if m.tag == "property":
            members[("property", m.get("name"))] = (m.get("type"), m.get("access"))
        elif m.tag in ("method", "signal"):
            args = tuple((a.get("name"), a.get("type"), a.get("direction", "in" if m.tag == "method" else "out"))
                         for a in m.findall("arg"))
            members[(m.tag, m.get("name"))] = args
    return members


def undocumented(iface):
    missing = [] if iface.find(f"annotation[@name='{DOC}']") is not None else ["the interface itself"]
    for m in iface:
        if m.tag in ("property", "method", "signal") and m.find(f"annotation[@name='{DOC}']") is None:
            missing.append(f"{m.tag} {m.get('name')}")
    return missing


with tempfile.TemporaryDirectory(prefix="vmmd-test-interfaces.") as tmp:
    conf = os.path.join(tmp, "bus.conf")
    with open(conf, "w") as f:
        f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={tmp}/bus</listen>
  <servicedir>{BUILD}/busconfig/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""")
    env = dict(os.environ, VMMD_ROOT=os.path.join(tmp, "root"), VMMD_BUS_ADDRESS=f"unix:path={tmp}/bus")
    bus = subprocess.Popen(["dbus-daemon", "--config-file", conf, "--nofork", "--nopidfile"], env=env)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(f"{tmp}/bus"):
            if time.monotonic() > deadline or bus.poll() is not None:
                sys.exit("dbus-daemon did not start")
            time.sleep(0.05)

        def run(*args):
            r = subprocess.run(args, env=env, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"{' '.join(args)} failed: {r.stderr}")
            return r.stdout

        # one object of every kind
        dom = f"{tmp}/d.xml"
        with open(dom, "w") as f:
            f.write("<domain type='qemu'><name>i1</name><memory unit='MiB'>64</memory>"
                    "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>")
        run(VMMCTL, "define", dom)
        uuid = run(VMMCTL, "uuid", "i1").strip()
        snap = f"{tmp}/s.xml"
        with open(snap, "w") as f:
            f.write(f"<domainsnapshot><name>s1</name><state>shutoff</state><creationTime>1</creationTime>"
                    f"<domain type='qemu'><name>i1</name><uuid>{uuid}</uuid><memory unit='MiB'>64</memory>"
                    f"<os><type arch='x86_64' machine='pc'>hvm</type></os></domain></domainsnapshot>")
        run(VMMCTL, "snapshot-create", "i1", snap, "--redefine")
        os.mkdir(f"{tmp}/p1")
        run(VMMCTL, "pool-define-as", "p1", "dir", "--target", f"{tmp}/p1")
        run(VMMCTL, "pool-start", "p1")
        run(VMMCTL, "vol-create-as", "p1", "v1", "1M", "--format", "raw")
        # a running network (a bare bridge, in this test's own network namespace) with a port
        net = f"{tmp}/n.xml"
        with open(net, "w") as f:
            f.write("<network><name>n1</name><bridge name='vmmdif0'/></network>")
        run(VMMCTL, "net-define", net)
        run(VMMCTL, "net-start", "n1")
        addr = f"--address={env['VMMD_BUS_ADDRESS']}"
        net_path = run("busctl", addr, "call", "org.vmmd.network1", "/org/vmmd/network1",
                       "org.vmmd.network1.Manager", "NetworkLookupByName", "s", "n1").split()[1].strip('"')
        run("busctl", addr, "call", "org.vmmd.network1", net_path, "org.vmmd.network1.Network", "CreatePort",
            "su", "<networkport><owner><name>i1</name><uuid>" + uuid + "</uuid></owner>"
            "<mac address='52:54:00:aa:00:01'/></networkport>", "0")
        sec = f"{tmp}/secret.xml"
        with open(sec, "w") as f:
            f.write("<secret><usage type='tls'><name>t1</name></usage></secret>")
        run(VMMCTL, "secret-define", sec)
        # a filter and a binding (its port does not exist: no rules, State no-device)
        run("busctl", addr, "call", "org.vmmd.nwfilter1", "/org/vmmd/nwfilter1", "org.vmmd.nwfilter1.Manager",
            "NWFilterDefineXML", "su", "<filter name='f1'><rule action='drop' direction='out'/></filter>", "0")
        run("busctl", addr, "call", "org.vmmd.nwfilter1", "/org/vmmd/nwfilter1", "org.vmmd.nwfilter1.Manager",
            "NWFilterBindingCreateXML", "su", "<filterbinding><owner><name>i1</name><uuid>" + uuid + "</uuid>"
            "</owner><portdev name='vmmdnone0'/><mac address='52:54:00:aa:00:01'/><filterref filter='f1'/>"
            "</filterbinding>", "0")

        served = {}   # interface name -> (object path, element)
        # every daemon the build can activate
        services = sorted(f[:-len(".service")] for f in os.listdir(f"{BUILD}/busconfig/services")
                          if f.endswith(".service"))
        check("the build activates daemons", bool(services))
        for service in services:
            addr = f"--address={env['VMMD_BUS_ADDRESS']}"
            for path in run("busctl", addr, "tree", "--list", service).split():
                xml = run("busctl", addr, "introspect", "--xml-interface", service, path)
                for iface in ET.fromstring(xml).findall("interface"):
                    name = iface.get("name")
                    if name.startswith("org.vmmd.") and name not in served:
                        served[name] = (path, iface)
    finally:
        bus.terminate()
        bus.wait()

files = sorted(f[:-4] for f in os.listdir(IFACE_DIR) if f.endswith(".xml"))
check("every interface the daemons serve has a file", set(served) <= set(files),
      "no file for: " + ", ".join(sorted(set(served) - set(files))))
check("every file describes an interface a daemon serves", set(files) <= set(served),
      "not served: " + ", ".join(sorted(set(files) - set(served))))
for name in files:
    root = ET.parse(os.path.join(IFACE_DIR, name + ".xml")).getroot()
    ifaces = root.findall("interface")
    check(f"{name}.xml holds exactly that interface", [i.get("name") for i in ifaces] == [name])
    if not ifaces or name not in served:
        continue
    mine, theirs = shape(ifaces[0]), shape(served[name][1])
    diff = []
    for k in sorted(set(mine) | set(theirs)):
        if mine.get(k) != theirs.get(k):
            diff.append(f"{k[0]} {k[1]}: file {mine.get(k)} / daemon {theirs.get(k)}")
    check(f"{name} matches what {served[name][0]} introspects", not diff, "\n".join(diff))
    missing = undocumented(ifaces[0])
    check(f"{name}: every member documented", not missing, "no doc annotation: " + ", ".join(missing))

print(f"1..{n}")
sys.exit(1 if failures else 0)
