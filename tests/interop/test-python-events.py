# test-python-events.py: a python3-libvirt script lists, defines, starts the tiny guest, and sees its lifecycle events (Started, Suspended, Resumed, Stopped) in order through a registered callback; storage pool lifecycle and refresh events likewise.
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_env import Env, skip, wait_until  # noqa: E402

try:
    import libvirt
except ImportError:
    skip("python3-libvirt is not installed (scripts/deps.sh installs it)")


def main():
    with Env(need_guest=True, need=()) as env:
        libvirt.virEventRegisterDefaultImpl()
        conn = libvirt.open(env.uri)
        stop = threading.Event()

        def loop():
            while not stop.is_set():
                libvirt.virEventRunDefaultImpl()

        seen = []
        lock = threading.Lock()

        def on_lifecycle(c, dom, event, detail, opaque):
            with lock:
                seen.append((dom.name(), event, detail))

        t = threading.Thread(target=loop, daemon=True)
        t.start()
        try:
            cb = conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_lifecycle, None)
            assert conn.listAllDomains(0) == []
            dom = conn.defineXML(env.guest_xml("py1"))
            assert dom.name() == "py1" and dom.isPersistent() == 1 and dom.isActive() == 0
            assert [d.name() for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_INACTIVE)] == ["py1"]
            # the old list calls
            assert conn.numOfDefinedDomains() == 1 and conn.listDefinedDomains() == ["py1"]
            assert conn.numOfDomains() == 0 and conn.listDomainsID() == []
            dom.create()
            env.wait_serial("py1", "TESTGUEST READY")
            assert dom.isActive() == 1 and dom.ID() > 0
            assert conn.listDomainsID() == [dom.ID()] and conn.numOfDomains() == 1
            assert conn.numOfDefinedDomains() == 0 and conn.listDefinedDomains() == []
            assert conn.lookupByID(dom.ID()).name() == "py1"
            state, reason = dom.state()
            assert (state, reason) == (libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_RUNNING_BOOTED), (state, reason)
            info = dom.info()
            assert info[0] == libvirt.VIR_DOMAIN_RUNNING and info[1] == 131072 and info[3] == 1, info
            dom.suspend()
            dom.resume()
            # a reboot: the guest comes up again and a reboot event says so
            rebooted = []

            def on_reboot(c, d, opaque):
                with lock:
                    rebooted.append(d.name())

            rcb_dom = conn.domainEventRegisterAny(dom, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, on_reboot, None)
            dom.reboot(0)
            env.wait_serial("py1", "TESTGUEST READY", count=2)
            wait_until(lambda: rebooted == ["py1"], 30, "the reboot event")
            conn.domainEventDeregisterAny(rcb_dom)
            dom.destroy()
            assert dom.info()[0] == libvirt.VIR_DOMAIN_SHUTOFF

            want = [(libvirt.VIR_DOMAIN_EVENT_DEFINED, libvirt.VIR_DOMAIN_EVENT_DEFINED_ADDED),
                    (libvirt.VIR_DOMAIN_EVENT_STARTED, libvirt.VIR_DOMAIN_EVENT_STARTED_BOOTED),
                    (libvirt.VIR_DOMAIN_EVENT_SUSPENDED, libvirt.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED),
                    (libvirt.VIR_DOMAIN_EVENT_RESUMED, libvirt.VIR_DOMAIN_EVENT_RESUMED_UNPAUSED),
                    (libvirt.VIR_DOMAIN_EVENT_STOPPED, libvirt.VIR_DOMAIN_EVENT_STOPPED_DESTROYED)]

            def got_all():
                with lock:
                    it = iter([(e, d) for n, e, d in seen if n == "py1"])
                    return all(w in it for w in want)

            wait_until(got_all, 30, "the lifecycle events in order")
            with lock:
                assert all(n == "py1" for n, _, _ in seen), seen
            conn.domainEventDeregisterAny(cb)
            dom.undefine()
            assert conn.listAllDomains(0) == []

            # storage pool lifecycle and refresh events, from vmmd-storage
            pool_seen = []

            def on_pool(c, pool, event, detail, opaque):
                with lock:
                    pool_seen.append((pool.name(), event))

            def on_refresh(c, pool, opaque):
                with lock:
                    pool_seen.append((pool.name(), "refresh"))

            pcb = conn.storagePoolEventRegisterAny(None, libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, on_pool, None)
            rcb = conn.storagePoolEventRegisterAny(None, libvirt.VIR_STORAGE_POOL_EVENT_ID_REFRESH, on_refresh, None)
            target = os.path.join(env.dir, "pool1")
            pool = conn.storagePoolDefineXML("<pool type='dir'><name>pool1</name><target><path>%s</path></target></pool>"
                                             % target)
            pool.build(0)
            pool.create(0)
            pool.refresh(0)
            pool.destroy()
            pool.undefine()
            want_pool = [("pool1", libvirt.VIR_STORAGE_POOL_EVENT_DEFINED), ("pool1", libvirt.VIR_STORAGE_POOL_EVENT_STARTED),
                         ("pool1", "refresh"), ("pool1", libvirt.VIR_STORAGE_POOL_EVENT_STOPPED),
                         ("pool1", libvirt.VIR_STORAGE_POOL_EVENT_UNDEFINED)]

            def got_pool():
                with lock:
                    it = iter(pool_seen)
                    return all(w in it for w in want_pool)

            try:
                wait_until(got_pool, 10, "the pool events in order")
            except AssertionError:
                print("pool events seen:", pool_seen)
                raise
            conn.storagePoolEventDeregisterAny(pcb)
            conn.storagePoolEventDeregisterAny(rcb)
        finally:
            stop.set()
            # wake the loop with a timer so the thread sees stop
            libvirt.virEventAddTimeout(0, lambda *a: None, None)
            t.join(5)
            conn.close()
    print("ok")


main()
