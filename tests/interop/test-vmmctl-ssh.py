# test-vmmctl-ssh.py: vmmctl -c ssh://user@host reaches the remote host's system bus through sd-bus's ssh transport; a stand-in ssh on PATH runs systemd-stdio-bridge to the test bus as that host's system bus.
import os
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_env import BUILD, Env  # noqa: E402

VMMCTL = os.path.join(BUILD, "tools", "vmmctl", "vmmctl")


def main():
    with Env(need=("systemd-stdio-bridge",), listen=False) as env:
        bindir = os.path.join(env.dir, "bin")
        os.makedirs(bindir)
        ssh = os.path.join(bindir, "ssh")
        # what a real ssh would do on the far side: run the command it was given, whose bus is the
        # remote system bus (here the test bus)
        with open(ssh, "w") as f:
            f.write('#!/bin/sh\necho "$@" > "%s/ssh-args"\nexec systemd-stdio-bridge --bus-path="%s"\n'
                    % (env.dir, env.address))
        os.chmod(ssh, stat.S_IRWXU)
        run_env = dict(env.env)
        run_env["PATH"] = bindir + ":" + run_env["PATH"]
        run_env.pop("VMMD_BUS_ADDRESS")

        xml = env.write("s1.xml", env.guest_xml("s1"))
        p = subprocess.run([VMMCTL, "-c", "ssh://admin@far.example", "define", xml], env=run_env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        p = subprocess.run([VMMCTL, "-c", "ssh://admin@far.example", "list", "--all"], env=run_env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and "s1" in p.stdout, (p.stdout, p.stderr)
        args = open(os.path.join(env.dir, "ssh-args")).read().split()
        assert "admin@far.example" in args and args[-1] == "systemd-stdio-bridge", args
        # and it really is the test bus the domain went to
        p = subprocess.run([VMMCTL, "-c", "dbus:" + env.address, "list", "--all", "--name"], env=env.env,
                           capture_output=True, text=True, timeout=60)
        assert p.stdout.split() == ["s1"], p.stdout
        p = subprocess.run([VMMCTL, "-c", "ssh://far.example/session", "list"], env=run_env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode != 0 and "unsupported connection URI" in p.stderr, p.stderr
    print("ok")


main()
