# test-streams.py: streams through vmmd-dispatch: a python-libvirt console to the tiny guest's shell both ways, and virsh vol-upload / vol-download of a volume's bytes.
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_env import Env, skip, wait_until  # noqa: E402

try:
    import libvirt
except ImportError:
    skip("python3-libvirt is not installed (scripts/deps.sh installs it)")


def console(env):
    conn = libvirt.open(env.uri)
    xml = env.guest_xml("c1", extra_cmdline="testguest.shell=1").replace(
        "<serial type='file'><source path='%s'/><target port='0'/></serial>" % env.serial("c1"),
        "<serial type='pty'><target port='0'/></serial><console type='pty'><target type='serial' port='0'/></console>")
    dom = conn.defineXML(xml)
    # paused first, so nothing the guest prints is lost before the console is open
    dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
    st = conn.newStream(0)
    dom.openConsole(None, st, 0)
    got = bytearray()
    lock = threading.Lock()
    done = threading.Event()

    def reader():
        try:
            while not done.is_set():
                data = st.recv(4096)
                if not data or data == -2:
                    break
                with lock:
                    got.extend(data)
        except libvirt.libvirtError:
            pass

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    dom.resume()

    def seen(marker):
        with lock:
            return marker in got

    wait_until(lambda: seen(b"TESTGUEST READY"), 120, "READY on the console stream")
    # and the other way: a command typed into the console runs in the guest's shell
    wait_until(lambda: seen(b"# ") or seen(b"$ "), 60, "the guest shell's prompt")
    st.send(b"echo hello-$((6*7))\n")
    wait_until(lambda: seen(b"hello-42"), 60, "the shell's answer on the console")
    done.set()
    dom.destroy()
    t.join(30)
    try:
        st.finish()
    except libvirt.libvirtError:
        st.abort()
    dom.undefine()
    conn.close()


def volumes(env):
    target = os.path.join(env.dir, "p1")
    env.virsh("pool-define-as", "p1", "dir", "--target", target)
    env.virsh("pool-build", "p1")
    env.virsh("pool-start", "p1")
    env.virsh("vol-create-as", "p1", "v1.raw", "4M")
    up = os.path.join(env.dir, "up.bin")
    with open(up, "wb") as f:
        f.write(os.urandom(3 * 1024 * 1024 + 12345))
    env.virsh("vol-upload", "v1.raw", up, "--pool", "p1")
    with open(os.path.join(target, "v1.raw"), "rb") as f, open(up, "rb") as g:
        data = g.read()
        assert f.read(len(data)) == data, "the volume does not hold the uploaded bytes"
    down = os.path.join(env.dir, "down.bin")
    env.virsh("vol-download", "v1.raw", down, "--pool", "p1")
    assert os.path.getsize(down) == 4 * 1024 * 1024, os.path.getsize(down)
    with open(down, "rb") as f:
        assert f.read(len(data)) == data, "the download differs from the upload"
    # an offset and a length
    env.virsh("vol-download", "v1.raw", down, "--pool", "p1", "--offset", "1000", "--length", "5000")
    with open(down, "rb") as f:
        assert f.read() == data[1000:6000]
    # not on the read-only socket (libvirt refuses downloads there too)
    p = env.virsh("vol-download", "v1.raw", down, "--pool", "p1", ro=True, check=False)
    assert p.returncode != 0 and "operation forbidden" in p.stderr, p.stderr
    # a stream error reaches the client: uploading to a volume in a pool that is gone
    env.virsh("pool-destroy", "p1")
    p = env.virsh("vol-upload", "v1.raw", up, "--pool", "p1", check=False)
    assert p.returncode != 0, p.stdout


def main():
    with Env(need_guest=True) as env:
        volumes(env)
        console(env)
        # the dispatcher still serves after all of it
        assert env.virsh("list", "--all", "--name").stdout.split() == []
    print("ok")


main()
