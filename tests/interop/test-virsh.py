# test-virsh.py: Debian's virsh drives vmmd through vmmd-dispatch: define, start (the guest really boots), suspend/resume, save/restore --xml, managedsave, snapshots, shutdown, destroy, undefine, pools and volumes, event --loop.
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_env import Env, wait_until  # noqa: E402


def state(env, name):
    return env.virsh("domstate", name, "--reason").stdout.strip()


def main():
    with Env(need_guest=True) as env:
        out = env.virsh("list", "--all").stdout
        assert "tr" not in out, out

        disk = os.path.join(env.dir, "tr.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "16M"], check=True)
        xml = env.write("tr.xml", env.guest_xml("tr", disk=disk))
        out = env.virsh("define", xml).stdout
        assert "Domain 'tr' defined" in out, out
        out = env.virsh("list", "--all").stdout
        assert re.search(r"^\s*-\s+tr\s+shut off\s*$", out, re.M), out

        info = env.virsh("dominfo", "tr").stdout
        for want in (r"Name:\s+tr$", r"State:\s+shut off$", r"Persistent:\s+yes$", r"Max memory:\s+131072 KiB$",
                     r"CPU\(s\):\s+1$", r"Security model:\s+none$", r"OS Type:\s+hvm$"):
            assert re.search(want, info, re.M), (want, info)

        # events from here on, as virsh event --loop prints them
        events = env.spawn(["virsh", "-c", env.uri, "event", "--loop", "--event", "lifecycle", "--timeout", "600"],
                           stdout=subprocess.PIPE, text=True)
        # the watcher registers before anything happens: wait until the dispatcher saw its connection
        wait_until(lambda: open(env.dispatch_log).read().count("client fd") >= 5, 20, "virsh event's connection")

        out = env.virsh("start", "tr").stdout
        assert "Domain 'tr' started" in out, out
        env.wait_serial("tr", "TESTGUEST READY")
        assert state(env, "tr") == "running (booted)", state(env, "tr")
        info = env.virsh("dominfo", "tr").stdout
        assert re.search(r"^Id:\s+[1-9][0-9]*$", info, re.M), info
        assert re.search(r"^CPU time:\s+[0-9.]+s$", info, re.M), info
        dump = env.virsh("dumpxml", "tr").stdout
        assert "<name>tr</name>" in dump and re.search(r"<domain type='qemu' id='[1-9]", dump), dump

        env.virsh("suspend", "tr")
        assert state(env, "tr") == "paused (user)", state(env, "tr")
        env.virsh("resume", "tr")
        assert state(env, "tr") == "running (unpaused)", state(env, "tr")

        # save, then restore with an edited definition (--xml): the restored domain carries it
        image = os.path.join(env.dir, "tr.save")
        out = env.virsh("save", "tr", image).stdout
        assert "saved to" in out and os.path.getsize(image) > 0, out
        assert state(env, "tr").startswith("shut off"), state(env, "tr")
        dxml = env.virsh("save-image-dumpxml", image).stdout
        assert "<name>tr</name>" in dxml, dxml
        dxml = dxml.replace("</name>", "</name>\n  <description>restored by virsh</description>", 1)
        out = env.virsh("restore", image, "--xml", env.write("dxml.xml", dxml)).stdout
        assert "Domain restored" in out, out
        assert state(env, "tr").startswith("running"), state(env, "tr")
        assert "restored by virsh" in env.virsh("dumpxml", "tr").stdout

        # managed save: the next start resumes the same guest
        serial_ready = env.serial_count("tr", "TESTGUEST READY")
        env.virsh("managedsave", "tr")
        assert re.search(r"Managed save:\s+yes", env.virsh("dominfo", "tr").stdout)
        env.virsh("start", "tr")
        assert state(env, "tr").startswith("running"), state(env, "tr")
        assert env.serial_count("tr", "TESTGUEST READY") == serial_ready, "a managed-save start must not reboot"
        assert re.search(r"Managed save:\s+no", env.virsh("dominfo", "tr").stdout)

        # snapshots
        env.virsh("snapshot-create-as", "tr", "s1")
        out = env.virsh("snapshot-list", "tr").stdout
        assert re.search(r"^\s*s1\s", out, re.M), out
        assert env.virsh("snapshot-current", "tr", "--name").stdout.strip() == "s1"
        env.virsh("snapshot-revert", "tr", "s1")
        assert state(env, "tr").startswith("running"), state(env, "tr")

        # shutdown: the guest honours the power button
        env.virsh("shutdown", "tr")
        wait_until(lambda: state(env, "tr").startswith("shut off"), 120, "the guest to power off")

        env.virsh("start", "tr")
        env.virsh("destroy", "tr")
        assert state(env, "tr") == "shut off (destroyed)", state(env, "tr")

        env.virsh("start", "tr")
        env.virsh("managedsave", "tr")
        out = env.virsh("undefine", "tr", "--managed-save", "--snapshots-metadata").stdout
        assert "has been undefined" in out, out
        assert "tr" not in env.virsh("list", "--all", "--name").stdout

        events.send_signal(signal.SIGINT)
        ev, _ = events.communicate(timeout=30)
        seen = [m.group(1) for m in re.finditer(r"event 'lifecycle' for domain '?tr'?: (.*)$", ev, re.M)]
        want = ["Started Booted", "Suspended Paused", "Resumed Unpaused", "Stopped Saved", "Started Restored",
                "Stopped Saved", "Started Restored"]
        it = iter(seen)
        assert all(w in it for w in want), (want, seen)
        assert seen[-1] == "Undefined Removed", seen
        print("events seen:", seen)

        # storage: a directory pool and a qcow2 volume
        target = os.path.join(env.dir, "p1")
        env.virsh("pool-define-as", "p1", "dir", "--target", target)
        env.virsh("pool-build", "p1")
        env.virsh("pool-start", "p1")
        assert re.search(r"^\s*p1\s+active", env.virsh("pool-list", "--all").stdout, re.M)
        env.virsh("vol-create-as", "p1", "v1.qcow2", "16M", "--format", "qcow2")
        out = env.virsh("vol-list", "p1").stdout
        assert re.search(r"^\s*v1.qcow2\s+" + re.escape(os.path.join(target, "v1.qcow2")), out, re.M), out
        img = subprocess.run(["qemu-img", "info", os.path.join(target, "v1.qcow2")], capture_output=True, text=True)
        assert "file format: qcow2" in img.stdout and "16 MiB" in img.stdout, img.stdout
        info = env.virsh("vol-info", "v1.qcow2", "--pool", "p1").stdout
        assert re.search(r"Capacity:\s+16.00 MiB", info), info
        env.virsh("vol-delete", "v1.qcow2", "--pool", "p1")
        assert not os.path.exists(os.path.join(target, "v1.qcow2"))
        env.virsh("pool-destroy", "p1")
        env.virsh("pool-undefine", "p1")
        assert "p1" not in env.virsh("pool-list", "--all", "--name").stdout
    print("ok")


main()
