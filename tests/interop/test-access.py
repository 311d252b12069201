# test-access.py: vmmd-dispatch's own access check on the RW socket (SO_PEERCRED): a peer that is neither root nor in the admin group is refused every call; a member of the admin group and anyone on the RO socket are served.
import grp
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_env import Env, skip  # noqa: E402

NOBODY = 65534


def main():
    if os.geteuid() != 0:
        skip("needs root to run clients as another user")
    try:
        group = grp.getgrnam("users")
    except KeyError:
        skip("no 'users' group to stand in for the admin group")
    os.environ["VMMD_ADMIN_GROUP"] = "users"
    with Env(need=("virsh", "setpriv")) as env:
        env.virsh("define", env.write("ac1.xml", env.guest_xml("ac1")))
        # the socket file's mode is the first gate; open it so the dispatcher's own check is what is tested
        os.chmod(env.sock, 0o666)
        home = os.path.join(env.dir, "home")
        os.makedirs(home)
        os.chmod(home, 0o777)
        os.chmod(env.dir, 0o755)
        cenv = dict(env.env, HOME=home)
        cenv.pop("XDG_RUNTIME_DIR", None)

        def as_nobody(groups, uri, *args):
            g = ["--groups", ",".join(str(x) for x in groups)] if groups else ["--clear-groups"]
            return subprocess.run(["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY)] + g +
                                  ["virsh", "-c", uri] + list(args), env=cenv, capture_output=True, text=True,
                                  timeout=60)

        p = as_nobody([], env.uri, "list", "--all")
        assert p.returncode != 0 and "operation forbidden: access denied" in p.stderr, (p.stdout, p.stderr)
        p = as_nobody([], env.uri, "undefine", "ac1")
        assert p.returncode != 0 and "access denied" in p.stderr, p.stderr
        assert env.virsh("list", "--all", "--name").stdout.split() == ["ac1"]

        p = as_nobody([], env.uri_ro, "list", "--all", "--name")
        assert p.returncode == 0 and p.stdout.split() == ["ac1"], (p.stdout, p.stderr)

        p = as_nobody([group.gr_gid], env.uri, "list", "--all", "--name")
        assert p.returncode == 0 and p.stdout.split() == ["ac1"], (p.stdout, p.stderr)
        p = as_nobody([group.gr_gid], env.uri, "undefine", "ac1")
        assert p.returncode == 0, p.stderr
        assert env.virsh("list", "--all", "--name").stdout.split() == []
    print("ok")


main()
