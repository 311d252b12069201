/* storage-client: times storage pool and volume calls over D-Bus, against vmmd-storage or libvirt-dbus (bench/storage.sh runs it).
 *
 * Usage: storage-client ADDRESS vmmd|libvirt POOL_DIR REPEAT
 * POOL_DIR holds the volumes already. Prints one line per row: "ROW name median min max" (ms).
 * Both daemons speak the same shape of API (the libvirt names), so one client times both
 * with the same calls and the same bus library. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bench-rows.h"
#include <time.h>

typedef struct Api {
        const char *service, *manager_path, *manager_iface, *pool_iface, *vol_iface;
} Api;

static const Api vmmd_api = { "org.vmmd.storage1", "/org/vmmd/storage1", "org.vmmd.storage1.Manager",
                              "org.vmmd.storage1.StoragePool", "org.vmmd.storage1.StorageVol" };
static const Api libvirt_api = { "org.libvirt", "/org/libvirt/QEMU", "org.libvirt.Connect", "org.libvirt.StoragePool",
                                 "org.libvirt.StorageVol" };

static sd_bus *bus;
static const Api *api;

static void die(const char *what, const sd_bus_error *e, int r) {
        fprintf(stderr, "storage-client: %s: %s\n", what, e && e->message ? e->message : strerror(-r));
        exit(1);
}

/* a call whose reply the caller may read; the bench stops on any error */
static sd_bus_message *call(const char *path, const char *iface, const char *method, const char *sig, ...) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, api->service, path, iface, method);
        if (r >= 0 && sig && *sig) {
                va_start(ap, sig);
                r = sd_bus_message_appendv(m, sig, ap);
                va_end(ap);
        }
        if (r < 0)
                die(method, NULL, r);
        r = sd_bus_call(bus, m, 120 * 1000 * 1000ull, &e, &reply);
        sd_bus_message_unref(m);
        if (r < 0)
                die(method, &e, r);
        return reply;
}

static char *read_path(sd_bus_message *reply) {
        const char *p;
        char *copy;

        if (sd_bus_message_read(reply, "o", &p) < 0)
                die("reading an object path", NULL, -EBADMSG);
        copy = strdup(p);
        sd_bus_message_unref(reply);
        return copy;
}

/* the volumes of the running pool: their paths, and how many */
static char **list_volumes(const char *pool, int *ret_n) {
        sd_bus_message *reply = call(pool, api->pool_iface, "ListStorageVolumes", "u", 0u);
        char **paths = NULL;
        const char *p;
        int n = 0, r;

        if (sd_bus_message_enter_container(reply, 'a', "o") < 0)
                die("ListStorageVolumes reply", NULL, -EBADMSG);
        while ((r = sd_bus_message_read(reply, "o", &p)) > 0) {
                paths = realloc(paths, sizeof(char *) * (size_t) (n + 1));
                paths[n++] = strdup(p);
        }
        sd_bus_message_unref(reply);
        *ret_n = n;
        return paths;
}

int main(int argc, char **argv) {
        char xml[4096];
        char *pool, **vols;
        double *t;
        int repeat, nvols, r;

        if (argc != 5) {
                fprintf(stderr, "usage: storage-client ADDRESS vmmd|libvirt POOL_DIR REPEAT\n");
                return 2;
        }
        api = strcmp(argv[2], "libvirt") == 0 ? &libvirt_api : &vmmd_api;
        repeat = atoi(argv[4]);
        if (repeat < 1)
                repeat = 1;
        t = calloc((size_t) repeat * 20, sizeof(double));
        if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, argv[1])) < 0 ||
            (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_start(bus)) < 0)
                die("connecting to the bus", NULL, r);

        snprintf(xml, sizeof(xml), "<pool type='dir'><name>bench</name><target><path>%s</path></target></pool>",
                 argv[3]);
        pool = read_path(call(api->manager_path, api->manager_iface, "StoragePoolDefineXML", "su", xml, 0u));

        /* pool start: every volume probed. A Ping right after the reply returns once everything
         * the daemon sent before it has been routed: vmmd announces the volumes after its reply,
         * so "announced" is the start with all its InterfacesAdded delivered, and no later row
         * waits behind them. */
        for (int i = 0; i < repeat; i++) {
                double t0 = now_ms();
                sd_bus_message_unref(call(pool, api->pool_iface, "Create", "u", 0u));
                t[i] = now_ms() - t0;
                sd_bus_message_unref(call(pool, "org.freedesktop.DBus.Peer", "Ping", NULL));
                t[repeat + i] = now_ms() - t0;
                if (i + 1 < repeat)
                        sd_bus_message_unref(call(pool, api->pool_iface, "Destroy", NULL));
        }
        row("pool-start", t, repeat);
        row("pool-start-announced", t + repeat, repeat);
        for (int i = 0; i < repeat; i++) {
                double t0 = now_ms();
                sd_bus_message_unref(call(pool, api->pool_iface, "Refresh", "u", 0u));
                t[i] = now_ms() - t0;
        }
        row("pool-refresh", t, repeat);

        for (int i = 0; i < repeat; i++) {
                double t0 = now_ms();
                vols = list_volumes(pool, &nvols);
                t[i] = now_ms() - t0;
                for (int k = 0; k < nvols; k++)
                        free(vols[k]);
                free(vols);
        }
        row("volume-list", t, repeat);

        /* every object with its properties in one call (vmmd's ObjectManager; libvirt-dbus has none) */
        if (api == &vmmd_api) {
                for (int i = 0; i < repeat; i++) {
                        double t0 = now_ms();
                        sd_bus_message_unref(
                                call(api->manager_path, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL));
                        t[i] = now_ms() - t0;
                }
                row("managed-objects", t, repeat);
        }

        /* one volume's info: each daemon reads the file again for it */
        vols = list_volumes(pool, &nvols);
        if (nvols == 0)
                die("the pool has no volumes", NULL, -ENOENT);
        for (int i = 0; i < repeat * 20; i++) {
                double t0 = now_ms();
                sd_bus_message_unref(call(vols[i % nvols], api->vol_iface, "GetInfo", "u", 0u));
                t[i] = now_ms() - t0;
        }
        row("volume-info", t, repeat * 20);
        for (int k = 0; k < nvols; k++)
                free(vols[k]);
        free(vols);

        /* create: a 1 GiB qcow2 (qemu-img create in both), then its delete */
        for (int i = 0; i < repeat; i++) {
                char *vol;
                double t0;

                snprintf(xml, sizeof(xml),
                         "<volume><name>bench-new-%d.qcow2</name><capacity unit='G'>1</capacity>"
                         "<target><format type='qcow2'/></target></volume>", i);
                t0 = now_ms();
                vol = read_path(call(pool, api->pool_iface, "StorageVolCreateXML", "su", xml, 0u));
                t[i] = now_ms() - t0;
                t0 = now_ms();
                sd_bus_message_unref(call(vol, api->vol_iface, "Delete", "u", 0u));
                t[repeat + i] = now_ms() - t0;
                free(vol);
        }
        row("volume-create", t, repeat);
        row("volume-delete", t + repeat, repeat);

        sd_bus_message_unref(call(pool, api->pool_iface, "Destroy", NULL));
        sd_bus_message_unref(call(pool, api->pool_iface, "Undefine", NULL));
        free(pool);
        free(t);
        sd_bus_flush_close_unref(bus);
        return 0;
}
