# test-libvirt-dbus.py: Debian's stock libvirt-dbus, in a private mount namespace whose /run/libvirt/libvirt-sock is vmmd-dispatch's socket, serves vmmd's domains, networks and secrets as org.libvirt on a private bus: ListDomains lists them, Domain.Create boots one, ListNetworks and ListSecrets list what virsh defined.
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_env import Env, skip, wait_until  # noqa: E402

LIBVIRT_DBUS = "/usr/sbin/libvirt-dbus"


def busctl(env, *args, check=True):
    p = subprocess.run(["busctl", "--address=" + env.address] + list(args), capture_output=True, text=True,
                       timeout=120)
    if check and p.returncode != 0:
        raise AssertionError("busctl %s: %s%s" % (" ".join(args), p.stdout, p.stderr))
    return p


def main():
    if not os.path.exists(LIBVIRT_DBUS):
        skip("libvirt-dbus is not installed (scripts/deps.sh installs it)")
    if not shutil.which("unshare"):
        skip("unshare is missing")
    if os.geteuid() != 0:
        skip("needs root for a private mount namespace")
    with Env(need_guest=True, need=("virsh", "busctl")) as env:
        env.virsh("define", env.write("ld1.xml", env.guest_xml("ld1")))
        uuid = env.virsh("domuuid", "ld1").stdout.strip()

        # /run in the namespace is a fresh tmpfs; only libvirt's socket name points at the dispatcher
        script = ('mount -t tmpfs tmpfs /run && mkdir -p /run/libvirt && ln -s "$1" /run/libvirt/libvirt-sock && '
                  'exec "$2" --system')
        lenv = dict(env.env)
        lenv["DBUS_SYSTEM_BUS_ADDRESS"] = env.address
        env.spawn(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", env.sock, LIBVIRT_DBUS],
                  env=lenv, stderr=open(os.path.join(env.dir, "libvirt-dbus.log"), "w"))

        def has_name():
            p = busctl(env, "status", "org.libvirt", check=False)
            return p.returncode == 0
        wait_until(has_name, 60, "libvirt-dbus to own org.libvirt")

        out = busctl(env, "call", "org.libvirt", "/org/libvirt/QEMU", "org.libvirt.Connect", "ListDomains", "u",
                     "0").stdout
        m = re.match(r'ao 1 "([^"]+)"', out.strip())
        assert m, out
        path = m.group(1)
        name = busctl(env, "get-property", "org.libvirt", path, "org.libvirt.Domain", "Name").stdout.strip()
        assert name == 's "ld1"', name
        got_uuid = busctl(env, "get-property", "org.libvirt", path, "org.libvirt.Domain", "UUID").stdout.strip()
        assert got_uuid == 's "%s"' % uuid, (got_uuid, uuid)
        active = busctl(env, "get-property", "org.libvirt", path, "org.libvirt.Domain", "Active").stdout.strip()
        assert active == "b false", active

        busctl(env, "call", "org.libvirt", path, "org.libvirt.Domain", "Create", "u", "0")
        env.wait_serial("ld1", "TESTGUEST READY")
        assert env.virsh("domstate", "ld1").stdout.strip() == "running"
        active = busctl(env, "get-property", "org.libvirt", path, "org.libvirt.Domain", "Active").stdout.strip()
        assert active == "b true", active

        busctl(env, "call", "org.libvirt", path, "org.libvirt.Domain", "Destroy", "u", "0")
        assert env.virsh("domstate", "ld1").stdout.strip() == "shut off"

        # networks and secrets (cockpit-machines lists networks): defined only, nothing on the host changes
        env.virsh("net-define", env.write("ldn.xml", "<network><name>ldn</name><bridge name='vmmdld0'/></network>"))
        out = busctl(env, "call", "org.libvirt", "/org/libvirt/QEMU", "org.libvirt.Connect", "ListNetworks", "u",
                     "0").stdout
        m = re.match(r'ao 1 "([^"]+)"', out.strip())
        assert m, out
        for prop, want in (("Name", 's "ldn"'), ("Active", "b false"), ("Persistent", "b true"),
                           ("Autostart", "b false")):
            got = busctl(env, "get-property", "org.libvirt", m.group(1), "org.libvirt.Network", prop).stdout.strip()
            assert got == want, (prop, got)
        env.virsh("net-undefine", "ldn")
        secret = "2b3c4d5e-6f70-4a81-9b2c-3d4e5f607182"
        env.virsh("secret-define", env.write("lds.xml", "<secret><uuid>%s</uuid><usage type='tls'><name>ld</name>"
                                             "</usage></secret>" % secret))
        out = busctl(env, "call", "org.libvirt", "/org/libvirt/QEMU", "org.libvirt.Connect", "ListSecrets", "u",
                     "0").stdout
        m = re.match(r'ao 1 "([^"]+)"', out.strip())
        assert m, out
        got = busctl(env, "get-property", "org.libvirt", m.group(1), "org.libvirt.Secret", "UUID").stdout.strip()
        assert got == 's "%s"' % secret, got
        got = busctl(env, "get-property", "org.libvirt", m.group(1), "org.libvirt.Secret", "UsageID").stdout.strip()
        assert got == 's "ld"', got
        env.virsh("secret-undefine", secret)
    print("ok")


main()
