# test-activation.py: vmmd-dispatch started by socket activation tells its RW and RO sockets apart by name, and exits by itself once no client is left.
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_env import DISPATCH, Env, pidfd_wait, wait_until  # noqa: E402


def main():
    with Env(need=("virsh", "systemd-socket-activate"), listen=False) as env:
        os.makedirs(os.path.dirname(env.sock), exist_ok=True)
        # the RO socket comes first: the names, not the order, must decide
        act = env.spawn(["systemd-socket-activate", "-l", env.sock_ro, "-l", env.sock,
                         "--fdname=libvirt-sock-ro:libvirt-sock",
                         DISPATCH, "--address", env.address, "--timeout", "2", "-v"],
                        stderr=open(env.dispatch_log, "w"))
        wait_until(lambda: os.path.exists(env.sock) and os.path.exists(env.sock_ro), 10, "the activation sockets")

        xml = env.write("a1.xml", env.guest_xml("a1"))
        p = env.virsh("define", xml, ro=True, check=False)
        assert p.returncode != 0 and "operation forbidden: read only access prevents virDomainDefineXML" in p.stderr, \
            p.stderr
        env.virsh("define", xml)
        assert env.virsh("list", "--all", "--name", ro=True).stdout.split() == ["a1"]
        log = open(env.dispatch_log).read()
        assert "(read-only)" in log, log

        # with no client left it exits by itself (idle timeout 2 s)
        assert pidfd_wait(act.pid, 60), "vmmd-dispatch did not exit when idle"
        assert act.wait() == 0
    print("ok")


main()
