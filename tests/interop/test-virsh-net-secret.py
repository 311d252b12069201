# test-virsh-net-secret.py: Debian's virsh and python3-libvirt drive vmmd-network and vmmd-secret through vmmd-dispatch: net-define/create/start/list/info/dumpxml/autostart/dhcp-leases/update/event/destroy/undefine, net-port-*, secret-define/set-value/get-value/list/dumpxml/undefine, and the error texts virsh prints. Runs in a network namespace of its own.
import base64
import os
import re
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_env import Env, skip, wait_until  # noqa: E402

NETNS_ENV = "VMMD_INTEROP_NETNS"
BR = "vmmdvt0"
NET_XML = """<network>
  <name>vn1</name>
  <bridge name='%s' stp='off'/>
  <ip address='10.83.0.1' prefix='24'>
    <dhcp><range start='10.83.0.10' end='10.83.0.20'/></dhcp>
  </ip>
</network>
""" % BR
SECRET_UUID = "8f3e1d2c-4b5a-4c6d-8e7f-901a2b3c4d5e"
PRIVATE_UUID = "1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5"
PORT_UUID = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e"


def netns_pids(ns):
    """Processes in our own network namespace (dnsmasq and the daemons we started), never others."""
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit() and int(p) != os.getpid():
            try:
                if os.readlink("/proc/%s/ns/net" % p) == ns:
                    pids.append(int(p))
            except OSError:
                pass
    return pids


def run_in_namespace():
    if not shutil_which("unshare"):
        skip("unshare is not installed")
    env = dict(os.environ)
    env[NETNS_ENV] = "1"
    p = subprocess.run(["unshare", "--net", "--", sys.executable] + sys.argv, env=env)
    return p.returncode


def shutil_which(name):
    import shutil
    return shutil.which(name)


def virsh_fails(env, *args, ro=False):
    p = env.virsh(*args, ro=ro, check=False)
    assert p.returncode != 0, (args, p.stdout)
    return p.stderr


def networks(env):
    with open(os.path.join(env.dir, "py-nets.py"), "w") as f:
        f.write("""import libvirt, sys
c = libvirt.open(sys.argv[1])
print(sorted((n.name(), n.isActive(), n.UUIDString()) for n in c.listAllNetworks(0)))
n = c.networkLookupByName("vn1")
print(n.name(), n.bridgeName(), n.autostart(), n.isPersistent())
try:
    c.lookupByName("nope")
except libvirt.libvirtError as e:
    print("ERR", e.get_error_code(), e.get_error_domain(), e)
try:
    c.networkLookupByName("nope")
except libvirt.libvirtError as e:
    print("ERR", e.get_error_code(), e.get_error_domain(), e)
try:
    n.portLookupByUUIDString(sys.argv[4])
except libvirt.libvirtError as e:
    print("ERR", e.get_error_code(), e.get_error_domain(), e)
s = c.secretLookupByUUIDString(sys.argv[2])
print("SECRET", s.usageType(), s.usageID(), bytes(s.value()).decode())
try:
    c.secretLookupByUUIDString(sys.argv[3]).value()
except libvirt.libvirtError as e:
    print("ERR", e.get_error_code(), e.get_error_domain(), e)
""")
    p = subprocess.run(["/usr/bin/python3", os.path.join(env.dir, "py-nets.py"), env.uri, SECRET_UUID, PRIVATE_UUID,
                        PORT_UUID],
                       env=env.env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test(env):
    uri = env.uri
    # ---- networks ----
    out = env.virsh("net-list", "--all").stdout
    assert "vn1" not in out, out
    # libvirt's words in front of the daemons' messages, as virsh prints them against libvirtd
    err = virsh_fails(env, "net-info", "nope")
    assert "error: failed to get network 'nope'" in err and \
        "error: Network not found: no network with matching name 'nope'" in err, err

    events = env.spawn(["virsh", "-c", uri, "net-event", "--loop", "--event", "lifecycle", "--timeout", "300"],
                       stdout=subprocess.PIPE)
    # the watcher registers before anything happens
    wait_until(lambda: "event callback for procedure 313" in open(env.dispatch_log).read(), 20,
               "virsh net-event's registration")

    out = env.virsh("net-define", env.write("vn1.xml", NET_XML)).stdout
    assert "Network vn1 defined" in out, out
    out = env.virsh("net-list", "--all").stdout
    assert re.search(r"^\s*vn1\s+inactive\s+no\s+yes\s*$", out, re.M), out
    out = env.virsh("net-start", "vn1").stdout
    assert "Network vn1 started" in out, out
    assert subprocess.run(["ip", "link", "show", BR], capture_output=True).returncode == 0, "no bridge"
    out = env.virsh("net-list").stdout
    assert re.search(r"^\s*vn1\s+active\s+no\s+yes\s*$", out, re.M), out
    info = env.virsh("net-info", "vn1").stdout
    print(info, end="")
    for want in (r"^Name:\s+vn1$", r"^Active:\s+yes$", r"^Persistent:\s+yes$", r"^Autostart:\s+no$",
                 r"^Bridge:\s+%s$" % BR, r"^UUID:\s+[0-9a-f-]{36}$"):
        assert re.search(want, info, re.M), (want, info)
    dump = env.virsh("net-dumpxml", "vn1").stdout
    assert "<name>vn1</name>" in dump and "name='%s'" % BR in dump and "10.83.0.1" in dump, dump
    env.virsh("net-autostart", "vn1")
    assert re.search(r"^Autostart:\s+yes$", env.virsh("net-info", "vn1").stdout, re.M)
    env.virsh("net-autostart", "vn1", "--disable")
    assert re.search(r"^Autostart:\s+no$", env.virsh("net-info", "vn1").stdout, re.M)
    # the flags variants (--validate) and a transient network: gone once destroyed
    tmp = env.write("vn2.xml", "<network><name>vn2</name><bridge name='vmmdvt1' stp='off'/></network>")
    out = env.virsh("net-create", "--validate", tmp).stdout
    assert "Network vn2 created" in out, out
    assert re.search(r"^\s*vn2\s+active\s+no\s+no\s*$", env.virsh("net-list", "--all").stdout, re.M)
    env.virsh("net-destroy", "vn2")
    assert "vn2" not in env.virsh("net-list", "--all").stdout
    bad = env.write("bad.xml", "<network><name>vn3</name><bogus/></network>")
    err = virsh_fails(env, "net-define", "--validate", bad)
    assert "error: XML document failed to validate against schema" in err, err
    assert "vn3" not in env.virsh("net-list", "--all").stdout
    # virNetworkUpdate reaches vmmd-network with command and section in virsh's meaning (the
    # dispatcher says it keeps libvirt's corrected argument order, so virsh does not swap them)
    out = env.virsh("net-update", "vn1", "add", "ip-dhcp-host",
                    "<host mac='52:54:00:00:00:09' ip='10.83.0.9'/>", "--config").stdout
    assert "Updated network vn1 persistent config" in out, out
    assert "<host mac='52:54:00:00:00:09' ip='10.83.0.9'/>" in env.virsh("net-dumpxml", "--inactive", "vn1").stdout
    err = virsh_fails(env, "net-update", "vn1", "modify", "bridge", "<bridge name='x'/>", "--config")
    assert "error: Operation not supported: " in err and "bridge" in err, err

    # ports of the running network: create, list, dump, delete
    port = env.write("port.xml", "<networkport><uuid>%s</uuid><owner><name>g1</name><uuid>%s</uuid></owner>"
                     "<mac address='52:54:00:aa:00:01'/></networkport>" % (PORT_UUID, SECRET_UUID))
    out = env.virsh("net-port-create", "vn1", port).stdout
    assert "Network port %s created" % PORT_UUID in out, out
    assert env.virsh("net-port-list", "vn1", "--uuid").stdout.split() == [PORT_UUID]
    dump = env.virsh("net-port-dumpxml", "vn1", PORT_UUID).stdout
    assert "<uuid>%s</uuid>" % PORT_UUID in dump and "52:54:00:aa:00:01" in dump and BR in dump, dump
    out = env.virsh("net-port-delete", "vn1", PORT_UUID).stdout
    assert "Network port %s deleted" % PORT_UUID in out, out
    assert env.virsh("net-port-list", "vn1", "--uuid").stdout.split() == []
    # (virsh 9.0 says so but exits 0 here; python-libvirt below sees the error itself)
    err = env.virsh("net-port-dumpxml", "vn1", PORT_UUID, check=False).stderr
    assert "error: failed to get network port '%s'" % PORT_UUID in err, err

    # read-only socket: reading works, changing is refused before anything is forwarded
    assert "vn1" in env.virsh("net-list", "--all", ro=True).stdout
    err = virsh_fails(env, "net-destroy", "vn1", ro=True)
    assert "operation forbidden: read only access prevents virNetworkDestroy" in err, err

    # a lease as dnsmasq's dhcp-script writes it, then virsh net-dhcp-leases
    assert "10.83.0." not in env.virsh("net-dhcp-leases", "vn1").stdout
    helper = os.path.join(os.environ["VMMD_BUILD_ROOT"], "daemons", "vmmd-network", "vmmd-leases-helper")
    lenv = dict(env.env, DNSMASQ_INTERFACE=BR, DNSMASQ_LEASE_EXPIRES="4102444800")
    subprocess.run([helper, "add", "52:54:00:aa:bb:cc", "10.83.0.15", "g1"], env=lenv, check=True)
    out = env.virsh("net-dhcp-leases", "vn1").stdout
    print(out, end="")
    assert re.search(r"52:54:00:aa:bb:cc\s+ipv4\s+10\.83\.0\.15/24\s+g1\s+-", out), out
    out = env.virsh("net-dhcp-leases", "vn1", "--mac", "52:54:00:00:00:01").stdout
    assert "10.83.0.15" not in out, out

    # ---- secrets ----
    secret_events = env.spawn(["virsh", "-c", uri, "secret-event", "--loop", "--event", "lifecycle", "--timeout",
                               "300"], stdout=subprocess.PIPE)
    value_events = env.spawn(["virsh", "-c", uri, "secret-event", "--loop", "--event", "value-changed", "--timeout",
                              "300"], stdout=subprocess.PIPE)
    wait_until(lambda: open(env.dispatch_log).read().count("event callback for procedure 380") >= 2, 20,
               "virsh secret-event's registrations")
    out = env.virsh("secret-list").stdout
    assert SECRET_UUID not in out, out
    sxml = env.write("s1.xml", "<secret ephemeral='no' private='no'><uuid>%s</uuid><description>disk key</description>"
                     "<usage type='volume'><volume>/var/lib/x.img</volume></usage></secret>" % SECRET_UUID)
    out = env.virsh("secret-define", sxml).stdout
    assert "Secret %s created" % SECRET_UUID in out, out
    pxml = env.write("s2.xml", "<secret ephemeral='no' private='yes'><uuid>%s</uuid>"
                     "<usage type='ceph'><name>client.admin</name></usage></secret>" % PRIVATE_UUID)
    env.virsh("secret-define", pxml)
    out = env.virsh("secret-list").stdout
    print(out, end="")
    assert re.search(r"^\s*%s\s+volume /var/lib/x\.img\s*$" % SECRET_UUID, out, re.M), out
    assert re.search(r"^\s*%s\s+ceph client\.admin\s*$" % PRIVATE_UUID, out, re.M), out
    dump = env.virsh("secret-dumpxml", SECRET_UUID).stdout
    assert "<uuid>%s</uuid>" % SECRET_UUID in dump and "<volume>/var/lib/x.img</volume>" in dump, dump
    err = virsh_fails(env, "secret-get-value", SECRET_UUID)
    assert "Secret not found: secret '%s' does not have a value" % SECRET_UUID in err, err
    value = b"s3cret\x00bytes"
    env.virsh("secret-set-value", SECRET_UUID, "--base64", base64.b64encode(value).decode())
    out = env.virsh("secret-get-value", SECRET_UUID).stdout.strip()
    assert base64.b64decode(out) == value, out
    env.virsh("secret-set-value", PRIVATE_UUID, "--base64", base64.b64encode(b"p").decode())
    err = virsh_fails(env, "secret-get-value", PRIVATE_UUID)
    assert "error: Invalid secret: secret is private" in err, err
    # the value never goes to the read-only socket
    err = virsh_fails(env, "secret-get-value", SECRET_UUID, ro=True)
    assert "operation forbidden: read only access prevents virSecretGetValue" in err, err
    err = virsh_fails(env, "secret-dumpxml", "00000000-0000-4000-8000-000000000000")
    assert "Secret not found: no secret with matching uuid" in err, err

    # python-libvirt: listAllNetworks, networkLookupByName, secrets, error codes
    out = networks(env)
    print(out, end="")
    assert "[('vn1', 1, " in out, out
    assert "vn1 %s 0 1" % BR in out, out
    assert "ERR 42 10 Domain not found: no domain with matching name 'nope'" in out, out      # VIR_ERR_NO_DOMAIN
    assert "ERR 43 19 Network not found: no network with matching name 'nope'" in out, out     # VIR_ERR_NO_NETWORK
    assert "ERR 99 19 network port not found: no network port with matching uuid '%s'" % PORT_UUID in out, out
    assert "SECRET 1 /var/lib/x.img s3cret" in out, out
    assert "ERR 65 30 Invalid secret: secret is private" in out, out                            # VIR_ERR_INVALID_SECRET

    env.virsh("secret-undefine", SECRET_UUID)
    env.virsh("secret-undefine", PRIVATE_UUID)
    assert SECRET_UUID not in env.virsh("secret-list").stdout

    # ---- networks: stop and forget ----
    out = env.virsh("net-destroy", "vn1").stdout
    assert "Network vn1 destroyed" in out, out
    assert subprocess.run(["ip", "link", "show", BR], capture_output=True).returncode != 0, "bridge left behind"
    assert re.search(r"^\s*vn1\s+inactive", env.virsh("net-list", "--all").stdout, re.M)
    out = env.virsh("net-undefine", "vn1").stdout
    assert "Network vn1 has been undefined" in out, out
    assert "vn1" not in env.virsh("net-list", "--all").stdout
    err = virsh_fails(env, "net-undefine", "vn1")
    assert "Network not found: no network with matching name 'vn1'" in err, err

    # the lifecycle events virsh net-event printed, in order, with the network's name
    # (vn2 was never listed before its event: the dispatcher asks its name before passing it on)
    got, buf = read_events(events, r"event 'lifecycle' for network (\w+): (\w+)", 6)
    assert got == [("vn1", "Defined"), ("vn1", "Started"), ("vn2", "Started"), ("vn2", "Stopped"),
                   ("vn1", "Stopped"), ("vn1", "Undefined")], buf
    print(buf, end="")
    got, buf = read_events(secret_events, r"event 'lifecycle' for secret ([0-9a-f-]+): (\w+)", 4)
    assert got == [(SECRET_UUID, "Defined"), (PRIVATE_UUID, "Defined"), (SECRET_UUID, "Undefined"),
                   (PRIVATE_UUID, "Undefined")], buf
    print(buf, end="")
    got, buf = read_events(value_events, r"event 'value-changed' for secret ([0-9a-f-]+)", 2)
    assert got == [SECRET_UUID, PRIVATE_UUID], buf
    print(buf, end="")


def read_events(proc, pattern, count, timeout=30):
    """What a virsh *-event --loop printed: the matches of pattern, waiting (bounded) for count of them."""
    got, buf = [], ""
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        if not select.select([proc.stdout], [], [], max(0, deadline - time.monotonic()))[0]:
            break
        chunk = os.read(proc.stdout.fileno(), 4096).decode()
        if not chunk:
            break
        buf += chunk
        got = re.findall(pattern, buf)
    proc.send_signal(signal.SIGINT)
    return got, buf


def main():
    if os.geteuid() != 0:
        skip("needs root (a network namespace with bridges)")
    if not os.environ.get(NETNS_ENV):
        return run_in_namespace()
    ns = os.readlink("/proc/self/ns/net")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    try:
        with Env(need=("virsh", "dnsmasq", "ip")) as env:
            test(env)
    finally:
        for pid in netns_pids(ns):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
