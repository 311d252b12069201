/* The vmmd-network model: the set of networks, their files, define/undefine, start/stop and autostart (spec network §5). */
#include "network.h"
#include "network-runtime.h"
#include "netlink.h"
#include "definition-file.h"
#include "daemon.h"
#include "error.h"
#include "fileio.h"
#include "list-filter.h"
#include "listener.h"
#include "log.h"
#include "vmmd/network1.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The highest N tried for virbr<N> (N1). */
#define BRIDGE_INDEX_MAX 256

/* --- files --- */

static char *file_in(const char *dir, const char *name) {
        g_autofree char *base = g_strconcat(name, ".xml", NULL);
        return g_build_filename(dir, base, NULL);
}

static char *config_file(NetManager *m, const char *name) {
        return file_in(m->paths->config_dir, name);
}

static char *autostart_link(NetManager *m, const char *name) {
        return file_in(m->paths->autostart_dir, name);
}

static char *status_file(NetManager *m, const char *name) {
        return file_in(m->paths->run_dir, name);
}

static bool write_config(NetManager *m, const NetworkDef *def, GError **error) {
        g_autofree char *xml = network_def_format(def, NETWORK_DEF_FORMAT_INACTIVE);

        return vmmd_definition_write(m->paths->config_dir, def->name, def->uuid, xml, "vmmd-network", "net-edit",
                                     NETWORK_BUS_NAME, "network definition", error);
}

static bool write_status(Network *n, GError **error) {
        NetManager *m = n->manager;
        g_autofree char *file = status_file(m, n->def->name);
        g_autofree char *xml = network_def_format(n->def, 0);
        int r;

        r = vmmd_mkdir_p(m->paths->run_dir, 0755);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot create directory '%s'", m->paths->run_dir);
                return false;
        }
        r = vmmd_write_file_atomic(file, xml, strlen(xml), 0600);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot write network status file '%s'", file);
                return false;
        }
        return true;
}

static void remove_status(Network *n) {
        g_autofree char *file = status_file(n->manager, n->def->name);

        if (unlink(file) < 0 && errno != ENOENT)
                log_warning("cannot remove %s: %m", file);
}

/* --- the table --- */

static void network_free(Network *n) {
        if (!n)
                return;
        network_def_free(n->def);
        network_def_free(n->next_def);
        netrt_forget(n);
        g_hash_table_unref(n->ports);
        g_free(n);
}

static Network *network_new(NetManager *m, NetworkDef *def) {
        Network *n = g_new0(Network, 1);

        n->manager = m;
        n->def = def;
        n->ports = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) network_port_def_free);
        return n;
}

NetManager *net_manager_new(VmmdPaths *paths) {
        NetManager *m = g_new0(NetManager, 1);

        m->paths = paths;
        m->networks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) network_free);
        return m;
}

void net_manager_free(NetManager *m) {
        if (!m)
                return;
        g_hash_table_unref(m->networks);
        vmmd_paths_free(m->paths);
        g_free(m);
}

void net_manager_set_listener(NetManager *m, const NetworkListener *listener, void *userdata) {
        m->listener = listener;
        m->listener_data = userdata;
}

/* The key is a copy: a redefinition replaces n->def but not the uuid. */
static void add_network(NetManager *m, Network *n) {
        g_hash_table_insert(m->networks, g_strdup(n->def->uuid), n);
}

/* Tells the listener, then frees n. */
static void remove_network(NetManager *m, Network *n) {
        VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, removed, n);
        g_hash_table_remove(m->networks, n->def->uuid);
}

const char *network_name(const Network *n) {
        return n->def->name;
}

const char *network_bridge(const Network *n) {
        return n->active && n->def->bridge ? n->def->bridge : "";
}

Network *net_manager_find_by_uuid(NetManager *m, const char *uuid) {
        return g_hash_table_lookup(m->networks, uuid);
}

Network *net_manager_find_by_name(NetManager *m, const char *name) {
        GHashTableIter it;
        Network *n;

        g_hash_table_iter_init(&it, m->networks);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &n))
                if (g_str_equal(n->def->name, name))
                        return n;
        return NULL;
}

static bool network_matches(const void *obj, unsigned flags) {
        const Network *n = obj;

        return VMMD_FILTER_PAIR(flags, NETWORK_LIST_ACTIVE, NETWORK_LIST_INACTIVE, n->active) &&
               VMMD_FILTER_PAIR(flags, NETWORK_LIST_PERSISTENT, NETWORK_LIST_TRANSIENT, n->persistent) &&
               VMMD_FILTER_PAIR(flags, NETWORK_LIST_AUTOSTART, NETWORK_LIST_NO_AUTOSTART, n->autostart);
}

static int network_name_cmp(gconstpointer a, gconstpointer b) {
        return strcmp((*(Network *const *) a)->def->name, (*(Network *const *) b)->def->name);
}

GPtrArray *net_manager_list(NetManager *m, unsigned flags) {
        return vmmd_filter_table(m->networks, network_matches, flags, network_name_cmp);
}

/* --- define-time choices (N1) --- */

/* Through netlink, not /sys: sysfs shows the namespace of whoever mounted it, not ours. */
static bool host_interface_exists(const char *name) {
        return vmmd_netlink_link_exists(name) > 0;
}

/* Whether another network's definition (stored, running or waiting) uses bridge. */
static bool bridge_used_by_other(NetManager *m, const char *bridge, const char *uuid) {
        GHashTableIter it;
        Network *n;

        g_hash_table_iter_init(&it, m->networks);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &n)) {
                if (g_str_equal(n->def->uuid, uuid))
                        continue;
                if (g_strcmp0(n->def->bridge, bridge) == 0 || (n->next_def && g_strcmp0(n->next_def->bridge, bridge) == 0))
                        return true;
        }
        return false;
}

static bool mode_has_own_bridge(const NetworkDef *def) {
        return def->forward != NETWORK_FORWARD_BRIDGE;
}

/* Fills in the bridge name and MAC a none/nat/route/open network needs, so they stay the
 * same for the life of the definition. */
static bool choose_bridge_and_mac(NetManager *m, NetworkDef *def, const Network *same, GError **error) {
        if (!mode_has_own_bridge(def))
                return true;
        /* a redefinition keeps what the first definition chose */
        if (same && !def->bridge && same->def->bridge && !strchr(same->def->bridge, '%'))
                def->bridge = g_strdup(same->def->bridge);
        if (same && !def->mac && same->def->mac)
                def->mac = g_strdup(same->def->mac);
        if (!def->bridge || strchr(def->bridge, '%')) {
                const char *template = def->bridge ? def->bridge : "virbr%d";
                char *chosen = NULL;

                for (int i = 0; i <= BRIDGE_INDEX_MAX && !chosen; i++) {
                        g_autofree char *name = NULL;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
                        name = g_strdup_printf(template, i);
#pragma GCC diagnostic pop
                        if (!bridge_used_by_other(m, name, def->uuid) && !host_interface_exists(name))
                                chosen = g_steal_pointer(&name);
                }
                if (!chosen) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                    "no free bridge name for template '%s'", template);
                        return false;
                }
                g_free(def->bridge);
                def->bridge = chosen;
        } else if (bridge_used_by_other(m, def->bridge, def->uuid)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "bridge name '%s' already in use.",
                            def->bridge);
                return false;
        }
        if (!def->mac) {
                guint32 r = g_random_int();

                /* libvirt's and QEMU's locally administered prefix */
                def->mac = g_strdup_printf("52:54:00:%02x:%02x:%02x", (r >> 16) & 0xff, (r >> 8) & 0xff, r & 0xff);
        }
        return true;
}

/* N4: the same name must have the same UUID and the other way round. *ret_same: the network
 * both name. */
static bool check_duplicates(NetManager *m, const NetworkDef *def, Network **ret_same, GError **error) {
        Network *by_uuid = net_manager_find_by_uuid(m, def->uuid);
        Network *by_name = net_manager_find_by_name(m, def->name);

        if (by_name && by_name != by_uuid) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "network '%s' already exists with uuid %s",
                            def->name, by_name->def->uuid);
                return false;
        }
        if (by_uuid && !g_str_equal(by_uuid->def->name, def->name)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "network '%s' is already defined with uuid %s", by_uuid->def->name, def->uuid);
                return false;
        }
        *ret_same = by_uuid;
        return true;
}

static NetworkDef *parse_for_bus(const char *xml, unsigned flags, GError **error) {
        return network_def_parse_string(xml, flags & NETWORK_DEFINE_VALIDATE ? NETWORK_DEF_PARSE_VALIDATE : 0, error);
}

Network *net_manager_define_xml(NetManager *m, const char *xml, unsigned flags, GError **error) {
        g_autoptr(NetworkDef) def = parse_for_bus(xml, flags, error);
        Network *n = NULL;
        bool was_persistent;

        if (!def || !check_duplicates(m, def, &n, error) || !choose_bridge_and_mac(m, def, n, error))
                return NULL;
        if (!write_config(m, def, error))
                return NULL;
        if (!n) {
                n = network_new(m, g_steal_pointer(&def));
                n->persistent = true;
                add_network(m, n);
                VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, added, n);
                VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, event, n, NETWORK_EVENT_DEFINED);
                return n;
        }
        /* N5: a running network keeps its definition until the next start */
        was_persistent = n->persistent;
        if (n->active) {
                network_def_free(n->next_def);
                n->next_def = g_steal_pointer(&def);
        } else {
                network_def_free(n->def);
                n->def = g_steal_pointer(&def);
        }
        n->persistent = true;
        VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, event, n, NETWORK_EVENT_DEFINED);
        if (!was_persistent)
                VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, changed, n, NETWORK_CHANGED_PERSISTENT);
        return n;
}

/* --- start and stop --- */

static void drop_ports(Network *n);

/* N13: a bridge-mode network uses a host bridge it neither creates nor deletes. */
static bool start_host_bridge(Network *n, GError **error) {
        const char *br = n->def->bridge;

        if (!br) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT,
                            "bridge-mode network '%s' over a forward dev is not supported yet", n->def->name);
                return false;
        }
        if (vmmd_netlink_link_is_bridge(br) <= 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "host bridge '%s' of network '%s' does not exist or is not a bridge", br, n->def->name);
                return false;
        }
        return true;
}

static bool check_idle(Network *n, GError **error) {
        if (n->busy) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "network '%s' is being started, stopped or updated", n->def->name);
                return false;
        }
        return true;
}

typedef struct {
        Network *network;
        bool quiet;              /* a new transient network: the caller announces it */
        GError *error;
        NetworkDoneFunc done;
        void *userdata;
} Op;

static Op *op_new(Network *n, NetworkDoneFunc done, void *userdata) {
        Op *op = g_new0(Op, 1);

        op->network = n;
        op->done = done;
        op->userdata = userdata;
        return op;
}

/* n NULL: the network is gone (a transient one that stopped) */
static void op_finish(Op *op, Network *n, const GError *error) {
        if (n)
                n->busy = false;
        op->done(n, error, op->userdata);
        g_clear_error(&op->error);
        g_free(op);
}

static void on_start_undone(Network *n, const GError *unused, void *userdata) {
        Op *op = userdata;

        n->active = false;
        op_finish(op, n, op->error);
}

static void on_started(Network *n, const GError *error, void *userdata) {
        Op *op = userdata;
        NetManager *m = n->manager;
        g_autoptr(GError) e = NULL;

        if (error) {
                op_finish(op, n, error);
                return;
        }
        drop_ports(n);   /* N26: a start begins with no ports */
        n->active = true;
        if (!write_status(n, &e)) {
                op->error = g_steal_pointer(&e);
                if (mode_has_own_bridge(n->def))
                        netrt_stop(n, on_start_undone, op);
                else
                        on_start_undone(n, NULL, op);
                return;
        }
        if (!op->quiet) {
                VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, event, n, NETWORK_EVENT_STARTED);
                VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, changed, n,
                                     NETWORK_CHANGED_ACTIVE | NETWORK_CHANGED_BRIDGE);
        }
        op_finish(op, n, NULL);
}

/* A start or stop of n, which must be (in)active as want_active and idle: the op, n busy; or NULL once done heard
 * why not. */
static Op *begin_op(Network *n, bool want_active, NetworkDoneFunc done, void *userdata) {
        g_autoptr(GError) e = NULL;

        if (n->active != want_active)
                g_set_error(&e, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, n->active ? "network is already active" :
                            "network '%s' is not active", n->def->name);
        else
                (void) check_idle(n, &e);
        if (e) {
                done(n, e, userdata);
                return NULL;
        }
        n->busy = true;
        return op_new(n, done, userdata);
}

static void start_async(Network *n, bool quiet, NetworkDoneFunc done, void *userdata) {
        g_autoptr(GError) e = NULL;
        Op *op = begin_op(n, false, done, userdata);

        if (!op)
                return;
        op->quiet = quiet;
        if (mode_has_own_bridge(n->def))
                netrt_start(n, on_started, op);
        else {
                (void) start_host_bridge(n, &e);
                on_started(n, e, op);
        }
}

void network_start(Network *n, NetworkDoneFunc done, void *userdata) {
        start_async(n, false, done, userdata);
}

static void on_stopped(Network *n, const GError *unused, void *userdata) {
        Op *op = userdata;
        NetManager *m = n->manager;

        drop_ports(n);
        remove_status(n);
        n->active = false;
        n->busy = false;
        VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, event, n, NETWORK_EVENT_STOPPED);
        if (!n->persistent) {
                remove_network(m, n);
                op_finish(op, NULL, NULL);
                return;
        }
        if (n->next_def) {
                network_def_free(n->def);
                n->def = g_steal_pointer(&n->next_def);
        }
        VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, changed, n,
                             NETWORK_CHANGED_ACTIVE | NETWORK_CHANGED_BRIDGE);
        op_finish(op, n, NULL);
}

void network_destroy(Network *n, NetworkDoneFunc done, void *userdata) {
        Op *op = begin_op(n, true, done, userdata);

        if (!op)
                return;
        if (mode_has_own_bridge(n->def))
                netrt_stop(n, on_stopped, op);
        else
                on_stopped(n, NULL, op);
}

/* --- a transient network (CreateXML) --- */

typedef struct {
        NetworkDef *stored;      /* N12: the defined network's own definition, back after a failed start */
        NetworkDoneFunc done;
        void *userdata;
} CreateOp;

static void on_created_same(Network *n, const GError *error, void *userdata) {
        CreateOp *c = userdata;

        if (error) {
                network_def_free(n->def);
                n->def = c->stored;
        } else
                n->next_def = c->stored;
        c->done(n, error, c->userdata);
        g_free(c);
}

static void on_created_new(Network *n, const GError *error, void *userdata) {
        CreateOp *c = userdata;
        NetManager *m = n->manager;

        if (error) {
                c->done(NULL, error, c->userdata);
                network_free(n);
        } else {
                /* on the bus only now that it runs: a failed start leaves nothing */
                add_network(m, n);
                VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, added, n);
                VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, event, n, NETWORK_EVENT_STARTED);
                c->done(n, NULL, c->userdata);
        }
        g_free(c);
}

void net_manager_create_xml(NetManager *m, const char *xml, unsigned flags, NetworkDoneFunc done, void *userdata) {
        g_autoptr(GError) e = NULL;
        g_autoptr(NetworkDef) def = parse_for_bus(xml, flags, &e);
        Network *same = NULL;
        CreateOp *c;

        if (!def || !check_duplicates(m, def, &same, &e)) {
                done(NULL, e, userdata);
                return;
        }
        if (same && (same->active || same->busy)) {
                g_set_error(&e, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "network is already active as '%s'",
                            same->def->name);
                done(NULL, e, userdata);
                return;
        }
        if (!choose_bridge_and_mac(m, def, same, &e)) {
                done(NULL, e, userdata);
                return;
        }
        c = g_new0(CreateOp, 1);
        c->done = done;
        c->userdata = userdata;
        if (same) {
                /* N12: a defined inactive network starts with this XML as its live definition */
                c->stored = same->def;
                same->def = g_steal_pointer(&def);
                start_async(same, false, on_created_same, c);
                return;
        }
        start_async(network_new(m, g_steal_pointer(&def)), true, on_created_new, c);
}

/* --- update (spec §6) --- */

/* The changed definition must format and parse again (U7). */
static bool reparses(const NetworkDef *def, GError **error) {
        g_autofree char *xml = network_def_format(def, 0);
        g_autoptr(NetworkDef) again = network_def_parse_string(xml, 0, error);

        return again != NULL;
}

static void on_updated(Network *n, const GError *error, void *userdata) {
        op_finish(userdata, n, error);
}

void network_update(Network *n, unsigned command, unsigned section, int parent_index, const char *xml,
                    unsigned flags, NetworkDoneFunc done, void *userdata) {
        NetManager *m = n->manager;
        g_autoptr(NetworkDef) live = NULL, config = NULL;
        g_autoptr(GError) e = NULL;
        NetworkUpdateEffect effect = NETWORK_UPDATE_EFFECT_NONE, unused;
        /* the stored definition: a running network's waits in next_def when it differs */
        NetworkDef *stored = n->active ? (n->next_def ? n->next_def : n->def) : n->def;
        NetworkDef *old;

        if (!check_idle(n, &e))
                goto fail;
        if (flags == NETWORK_UPDATE_AFFECT_CURRENT)
                flags = n->active ? NETWORK_UPDATE_AFFECT_LIVE : NETWORK_UPDATE_AFFECT_CONFIG;
        if ((flags & NETWORK_UPDATE_AFFECT_LIVE) && !n->active) {
                g_set_error(&e, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "network is not running");
                goto fail;
        }
        if ((flags & NETWORK_UPDATE_AFFECT_CONFIG) && !n->persistent) {
                g_set_error(&e, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "cannot change persistent config of a transient network");
                goto fail;
        }
        /* U7: both copies are changed and checked before anything is written */
        if (flags & NETWORK_UPDATE_AFFECT_LIVE) {
                live = network_def_copy(n->def);
                if (!network_def_update(live, command, section, parent_index, xml, &effect, &e) ||
                    !reparses(live, &e))
                        goto fail;
        }
        if (flags & NETWORK_UPDATE_AFFECT_CONFIG) {
                config = network_def_copy(stored);
                if (!network_def_update(config, command, section, parent_index, xml, &unused, &e) ||
                    !reparses(config, &e) || !write_config(m, config, &e))
                        goto fail;
                if (!n->active) {
                        network_def_free(n->def);
                        n->def = g_steal_pointer(&config);
                } else {
                        network_def_free(n->next_def);
                        n->next_def = g_steal_pointer(&config);
                }
        }
        if (!live) {
                done(n, NULL, userdata);
                return;
        }
        old = n->def;
        n->def = g_steal_pointer(&live);
        if (!write_status(n, &e)) {
                live = n->def;
                n->def = old;
                goto fail;
        }
        network_def_free(old);
        if (!mode_has_own_bridge(n->def)) {
                done(n, NULL, userdata);
                return;
        }
        n->busy = true;
        netrt_update_dnsmasq(n, effect, on_updated, op_new(n, done, userdata));
        return;
fail:
        done(n, e, userdata);
}

/* --- undefine and autostart --- */

bool network_undefine(Network *n, GError **error) {
        NetManager *m = n->manager;
        g_autofree char *config = NULL, *link = NULL;

        if (!n->persistent) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "can't undefine transient network");
                return false;
        }
        if (!check_idle(n, error))
                return false;
        config = config_file(m, n->def->name);
        link = autostart_link(m, n->def->name);
        if (unlink(config) < 0 && errno != ENOENT) {
                vmmd_error_set_errno(error, -errno, "cannot remove network definition '%s'", config);
                return false;
        }
        if (unlink(link) < 0 && errno != ENOENT)
                log_warning("cannot remove %s: %m", link);
        VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, event, n, NETWORK_EVENT_UNDEFINED);
        if (!n->active) {
                remove_network(m, n);
                return true;
        }
        /* N7: it keeps running as a transient network */
        n->persistent = false;
        n->autostart = false;
        network_def_free(g_steal_pointer(&n->next_def));
        VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, changed, n,
                             NETWORK_CHANGED_PERSISTENT | NETWORK_CHANGED_AUTOSTART);
        return true;
}

bool network_set_autostart(Network *n, bool on, GError **error) {
        NetManager *m = n->manager;
        g_autofree char *target = NULL;

        if (!n->persistent) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "cannot set autostart for transient network");
                return false;
        }
        if (n->autostart == on)
                return true;
        target = config_file(m, n->def->name);
        if (!vmmd_autostart_link_set(m->paths->autostart_dir, n->def->name, target, on, error))
                return false;
        n->autostart = on;
        VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, changed, n, NETWORK_CHANGED_AUTOSTART);
        return true;
}

char *network_get_xml(Network *n, unsigned flags) {
        const NetworkDef *def = (flags & NETWORK_XML_INACTIVE) && n->next_def ? n->next_def : n->def;

        return network_def_format(def, flags & NETWORK_XML_INACTIVE ? NETWORK_DEF_FORMAT_INACTIVE : 0);
}

/* --- ports --- */

static char *ports_dir(const Network *n) {
        return g_build_filename(n->manager->paths->run_dir, n->def->name, "ports", NULL);
}

static char *port_file(const Network *n, const char *uuid) {
        g_autofree char *dir = ports_dir(n);
        g_autofree char *base = g_strconcat(uuid, ".xml", NULL);
        return g_build_filename(dir, base, NULL);
}

/* connections= of the live XML follows the ports (it is what the status file says). */
static void update_connections(Network *n) {
        g_autoptr(GError) error = NULL;

        n->def->connections = g_hash_table_size(n->ports);
        if (!write_status(n, &error))
                log_warning("%s", error->message);
}

NetworkPortDef *network_find_port(Network *n, const char *uuid) {
        return g_hash_table_lookup(n->ports, uuid);
}

static int port_uuid_cmp(gconstpointer a, gconstpointer b) {
        return strcmp((*(NetworkPortDef *const *) a)->uuid, (*(NetworkPortDef *const *) b)->uuid);
}

GPtrArray *network_list_ports(Network *n) {
        return vmmd_filter_table(n->ports, NULL, 0, port_uuid_cmp);
}

NetworkPortDef *network_create_port(Network *n, const char *xml, unsigned flags, GError **error) {
        NetManager *m = n->manager;
        g_autoptr(NetworkPortDef) port = NULL;
        g_autofree char *dir = NULL, *file = NULL, *out = NULL;
        NetworkPortDef *ret;
        int r;

        if (!n->active) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "network '%s' is not active",
                            n->def->name);
                return NULL;
        }
        port = network_port_def_parse_string(xml, flags & NETWORK_PORT_CREATE_VALIDATE ?
                                             NETWORK_PORT_DEF_PARSE_VALIDATE : 0, error);
        if (!port)
                return NULL;
        /* N24: a plug is what an existing port already has, so only a reclaim may name one, and must */
        if (!(flags & NETWORK_PORT_CREATE_RECLAIM) && port->plug_type) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "Port reclaim not requested but plug type is not none");
                return NULL;
        }
        if ((flags & NETWORK_PORT_CREATE_RECLAIM) && !port->plug_type) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "Port reclaim requested but plug type is none");
                return NULL;
        }
        if (network_find_port(n, port->uuid)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "network port %s already exists",
                            port->uuid);
                return NULL;
        }
        /* N27: a reclaimed port keeps its plug; one on another bridge than the network's is not this
         * network's any more */
        if ((flags & NETWORK_PORT_CREATE_RECLAIM) && g_strcmp0(port->plug_bridge, n->def->bridge) != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "port %s is plugged into bridge '%s', but network '%s' uses bridge '%s'", port->uuid,
                            port->plug_bridge, n->def->name, n->def->bridge ? n->def->bridge : "");
                return NULL;
        }
        /* where the guest's tap goes: the network's own bridge, or the host bridge it names (for a reclaim
         * the same bridge, checked above; the plug's type follows from the network's forward mode) */
        g_free(port->plug_type);
        g_free(port->plug_bridge);
        port->plug_type = g_strdup(n->def->forward == NETWORK_FORWARD_BRIDGE ? "bridge" : "network");
        port->plug_bridge = g_strdup(n->def->bridge);
        g_free(port->plug_mac_table_manager);
        port->plug_mac_table_manager = n->def->forward == NETWORK_FORWARD_BRIDGE ? NULL : g_strdup("kernel");
        dir = ports_dir(n);
        file = port_file(n, port->uuid);
        out = network_port_def_format(port);
        r = vmmd_mkdir_p(dir, 0755);
        if (r >= 0)
                r = vmmd_write_file_atomic(file, out, strlen(out), 0600);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot write network port file '%s'", file);
                return NULL;
        }
        ret = g_steal_pointer(&port);
        g_hash_table_insert(n->ports, ret->uuid, ret);
        update_connections(n);
        VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, port_added, n, ret);
        return ret;
}

bool network_delete_port(Network *n, NetworkPortDef *port, GError **error) {
        NetManager *m = n->manager;
        g_autofree char *file = port_file(n, port->uuid);

        if (unlink(file) < 0 && errno != ENOENT) {
                vmmd_error_set_errno(error, -errno, "cannot remove network port file '%s'", file);
                return false;
        }
        VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, port_removed, n, port);
        g_hash_table_remove(n->ports, port->uuid);
        update_connections(n);
        return true;
}

/* N16 step 5: all ports cease to exist with the network. */
static void drop_ports(Network *n) {
        NetManager *m = n->manager;
        g_autofree char *dir = g_build_filename(m->paths->run_dir, n->def->name, NULL);
        g_autoptr(GPtrArray) list = network_list_ports(n);
        int r;

        for (guint i = 0; i < list->len; i++)
                VMMD_LISTENER_NOTIFY(m->listener, m->listener_data, port_removed, n, list->pdata[i]);
        g_hash_table_remove_all(n->ports);
        n->def->connections = 0;
        r = vmmd_rm_rf(dir);
        if (r < 0 && r != -ENOENT)
                log_warning("cannot remove %s: %s", dir, g_strerror(-r));
}

static void load_ports(Network *n) {
        g_autofree char *dir = ports_dir(n);
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *e;

        while (d && (e = g_dir_read_name(d))) {
                g_autofree char *file = NULL, *data = NULL;
                g_autoptr(GError) error = NULL;
                NetworkPortDef *port;

                if (!g_str_has_suffix(e, ".xml") || e[0] == '.')
                        continue;
                file = g_build_filename(dir, e, NULL);
                data = vmmd_definition_read(file, &error);
                port = data ? network_port_def_parse_string(data, 0, &error) : NULL;
                if (!port) {
                        log_warning("skipping network port file %s: %s", file, error->message);
                        continue;
                }
                g_hash_table_replace(n->ports, port->uuid, port);
        }
        n->def->connections = g_hash_table_size(n->ports);
}

/* --- loading --- */

typedef void (*LoadFunc)(NetManager *m, NetworkDef *def, const char *stem);

static void load_dir(NetManager *m, const char *dir, LoadFunc fn) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *e;

        if (!d)
                return;
        while ((e = g_dir_read_name(d))) {
                g_autofree char *file = NULL, *stem = NULL, *data = NULL;
                g_autoptr(GError) error = NULL;
                NetworkDef *def;

                if (!g_str_has_suffix(e, ".xml") || e[0] == '.')
                        continue;
                file = g_build_filename(dir, e, NULL);
                data = vmmd_definition_read(file, &error);
                def = data ? network_def_parse_string(data, 0, &error) : NULL;
                if (!def) {
                        log_warning("skipping network file %s: %s", file, error->message);
                        continue;
                }
                stem = g_strndup(e, strlen(e) - strlen(".xml"));
                if (!g_str_equal(stem, def->name)) {
                        log_warning("skipping %s: it defines network '%s', not '%s'", file, def->name, stem);
                        network_def_free(def);
                        continue;
                }
                fn(m, def, stem);
        }
}

/* N18: a status file whose bridge is gone describes a network that is no longer up. */
static void on_reattached(Network *n, const GError *unused, void *userdata) {
        n->busy = false;
}

static void load_status(NetManager *m, NetworkDef *def, const char *stem) {
        g_autofree char *file = status_file(m, stem);
        Network *n;

        if (!def->bridge || !host_interface_exists(def->bridge)) {
                g_autofree char *ports = g_build_filename(m->paths->run_dir, stem, NULL);

                log_info("network '%s' is no longer up (bridge '%s' is gone)", def->name,
                         def->bridge ? def->bridge : "");
                (void) vmmd_rm_rf(ports);
                if (unlink(file) < 0 && errno != ENOENT)
                        log_warning("cannot remove %s: %m", file);
                network_def_free(def);
                return;
        }
        n = network_new(m, def);
        n->active = true;
        add_network(m, n);
        load_ports(n);
        if (mode_has_own_bridge(def)) {
                n->busy = true;
                netrt_reattach(n, on_reattached, NULL);
        }
}

static void load_config(NetManager *m, NetworkDef *def, const char *stem) {
        g_autofree char *link = autostart_link(m, stem);
        Network *n = net_manager_find_by_uuid(m, def->uuid);
        Network *by_name = net_manager_find_by_name(m, def->name);

        if ((n && !g_str_equal(n->def->name, def->name)) || (by_name && by_name != n)) {
                log_warning("skipping definition of network '%s' (%s): it conflicts with a running network",
                            def->name, def->uuid);
                network_def_free(def);
                return;
        }
        if (n)
                n->next_def = def;
        else {
                n = network_new(m, def);
                add_network(m, n);
        }
        n->persistent = true;
        n->autostart = access(link, F_OK) == 0;
}

void net_manager_load(NetManager *m) {
        m->sync_helpers = true;
        load_dir(m, m->paths->run_dir, load_status);
        load_dir(m, m->paths->config_dir, load_config);
        m->sync_helpers = false;
        log_debug("loaded %u networks", g_hash_table_size(m->networks));
}

static void on_autostarted(Network *n, const GError *error, void *userdata) {
        if (error)
                log_warning("cannot autostart network '%s': %s", network_name(n), error->message);
}

void net_manager_autostart(NetManager *m) {
        g_autoptr(GPtrArray) list = NULL;

        if (!vmmd_autostart_claim(m->paths->run_dir))
                return;
        list = net_manager_list(m, NETWORK_LIST_AUTOSTART | NETWORK_LIST_INACTIVE);
        m->sync_helpers = true;
        for (guint i = 0; i < list->len; i++)
                network_start(list->pdata[i], on_autostarted, NULL);
        m->sync_helpers = false;
}
