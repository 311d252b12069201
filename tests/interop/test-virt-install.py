# test-virt-install.py: Debian's virt-install --import defines and starts the tiny guest through vmmd-dispatch; the guest boots.
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_env import GUEST_DIR, Env  # noqa: E402


def main():
    with Env(need_guest=True, need=("virsh", "virt-install")) as env:
        serial = env.serial("vi1")
        p = env.spawn(["virt-install", "--connect", env.uri, "--name", "vi1", "--memory", "128", "--vcpus", "1",
                       "--virt-type", "qemu", "--import",
                       "--boot", "kernel=%s/vmlinux,initrd=%s/initrd.img,kernel_args=console=ttyS0 quiet panic=-1"
                       % (GUEST_DIR, GUEST_DIR),
                       "--disk", "none", "--network", "none", "--graphics", "none",
                       "--serial", "file,path=" + serial, "--noautoconsole",
                       "--osinfo", "detect=on,require=off"],
                      stdout=open(os.path.join(env.dir, "virt-install.log"), "w"), stderr=open(
                          os.path.join(env.dir, "virt-install.err"), "w"))
        rc = p.wait(600)
        if rc != 0:
            raise AssertionError("virt-install failed: " + open(os.path.join(env.dir, "virt-install.err")).read())
        env.wait_serial("vi1", "TESTGUEST READY")
        out = env.virsh("list").stdout
        assert re.search(r"^\s*[1-9][0-9]*\s+vi1\s+running", out, re.M), out
        info = env.virsh("dominfo", "vi1").stdout
        assert re.search(r"Persistent:\s+yes", info), info
        xml = env.virsh("dumpxml", "vi1").stdout
        assert "<kernel>%s/vmlinux</kernel>" % GUEST_DIR in xml, xml
        env.virsh("destroy", "vi1")
        env.virsh("undefine", "vi1")
    print("ok")


main()
