/* Guest NICs on vmmd-network's networks: ports asked for and given back over the bus. vmmd-qemu never reads network state itself. */
#include "network-client.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain-def.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "network-conf.h"
#include "uuid.h"
#include "vmmd/network1.h"

/* ports whose delete is under way: a reclaim leaves them to it */
static GHashTable *releasing;

bool network_def_has_networks(const DomainDef *def) {
        for (guint i = 0; i < domain_list_len(def->nets); i++)
                if (((DomainNetDef *) domain_list_at(def->nets, i))->type == DOMAIN_NET_TYPE_NETWORK)
                        return true;
        return false;
}

bool network_def_uses_port(const DomainDef *def, const char *port_uuid) {
        for (guint i = 0; i < domain_list_len(def->nets); i++)
                if (g_strcmp0(((DomainNetDef *) domain_list_at(def->nets, i))->src_portid, port_uuid) == 0)
                        return true;
        return false;
}

static char *record_file(const char *ports_dir, const char *uuid) {
        return g_build_filename(ports_dir, uuid, NULL);
}

/* --- deleting ports --- */

typedef struct {
        unsigned pending;
        void (*done)(void *userdata);
        void *userdata;
} ReleaseGroup;

typedef enum { REL_NETWORK, REL_PORT, REL_DELETE } ReleaseStep;

typedef struct {
        sd_bus *bus;
        char *ports_dir, *network, *portid, *path;
        ReleaseStep step;
        ReleaseGroup *group;
} Release;

static void release_finish(Release *r, const sd_bus_error *e) {
        ReleaseGroup *g = r->group;

        /* spec N28.5: a network or port that is gone (or a network that was stopped, which took its
         * ports) leaves nothing to delete */
        if (!e || sd_bus_error_has_names(e, VMMD_DBUS_ERROR_NO_NETWORK, VMMD_DBUS_ERROR_NO_NETWORK_PORT,
                                         VMMD_DBUS_ERROR_OPERATION_INVALID, SD_BUS_ERROR_UNKNOWN_OBJECT)) {
                g_autofree char *file = record_file(r->ports_dir, r->portid);

                (void) unlink(file);
                log_debug("port %s of network '%s' released", r->portid, r->network);
        } else
                log_warning("cannot delete port %s of network '%s' (kept for a later reclaim): %s", r->portid,
                            r->network, e->message);
        g_hash_table_remove(releasing, r->portid);
        g_free(r->ports_dir);
        g_free(r->network);
        g_free(r->portid);
        g_free(r->path);
        sd_bus_unref(r->bus);
        g_free(r);
        if (g && --g->pending == 0) {
                if (g->done)
                        g->done(g->userdata);
                g_free(g);
        }
}

/* The first two steps of every call chain about an existing port: the network's object (net_path NULL), then the
 * port's in it. */
static int lookup_call(sd_bus *bus, const char *network, const char *net_path, const char *portid,
                       sd_bus_message_handler_t callback, void *userdata) {
        if (!net_path)
                return sd_bus_call_method_async(bus, NULL, NETWORK_BUS_NAME, NETWORK_MANAGER_PATH,
                                                NETWORK_MANAGER_INTERFACE, "NetworkLookupByName", callback, userdata,
                                                "s", network);
        return sd_bus_call_method_async(bus, NULL, NETWORK_BUS_NAME, net_path, NETWORK_INTERFACE, "LookupPortByUUID",
                                        callback, userdata, "s", portid);
}

static int on_release_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static void release_call(Release *r) {
        int rc;

        if (r->step != REL_DELETE)
                rc = lookup_call(r->bus, r->network, r->step == REL_NETWORK ? NULL : r->path, r->portid,
                                 on_release_reply, r);
        else
                rc = sd_bus_call_method_async(r->bus, NULL, NETWORK_BUS_NAME, r->path, NETWORK_PORT_INTERFACE,
                                              "Delete", on_release_reply, r, "u", 0);
        if (rc < 0) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

                sd_bus_error_set_errno(&e, rc);
                release_finish(r, &e);
        }
}

static int on_release_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Release *r = userdata;
        const char *path;

        if (sd_bus_message_is_method_error(m, NULL)) {
                release_finish(r, sd_bus_message_get_error(m));
                return 0;
        }
        if (r->step == REL_DELETE) {
                release_finish(r, NULL);
                return 0;
        }
        if (sd_bus_message_read(m, "o", &path) < 0) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

                sd_bus_error_set_const(&e, SD_BUS_ERROR_INCONSISTENT_MESSAGE, "bad reply from vmmd-network");
                release_finish(r, &e);
                return 0;
        }
        g_free(r->path);
        r->path = g_strdup(path);
        r->step++;
        release_call(r);
        return 0;
}

static void release_one(sd_bus *bus, const char *ports_dir, const char *network, const char *portid,
                        ReleaseGroup *group) {
        Release *r = g_new0(Release, 1);

        if (!releasing)
                releasing = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_add(releasing, g_strdup(portid));
        r->bus = sd_bus_ref(bus);
        r->ports_dir = g_strdup(ports_dir);
        r->network = g_strdup(network);
        r->portid = g_strdup(portid);
        r->group = group;
        if (group)
                group->pending++;
        release_call(r);
}

void network_ports_release_async(sd_bus *bus, const char *ports_dir, DomainDef *def, void (*done)(void *userdata),
                                 void *userdata) {
        ReleaseGroup *g = g_new0(ReleaseGroup, 1);

        g->done = done;
        g->userdata = userdata;
        g->pending = 1;   /* held until every delete is on its way */
        for (guint i = 0; bus && i < domain_list_len(def->nets); i++) {
                DomainNetDef *net = domain_list_at(def->nets, i);

                if (net->type != DOMAIN_NET_TYPE_NETWORK || !net->src_portid)
                        continue;
                release_one(bus, ports_dir, net->src_network, net->src_portid, g);
                g_clear_pointer(&net->src_portid, g_free);
        }
        if (--g->pending == 0) {
                if (done)
                        done(userdata);
                g_free(g);
        }
}

void network_ports_reclaim(sd_bus *bus, const char *ports_dir, bool (*in_use)(const char *port_uuid, void *userdata),
                           void *userdata) {
        g_autoptr(GDir) dir = g_dir_open(ports_dir, 0, NULL);
        const char *e;

        if (!dir || !bus)
                return;
        (void) vmmd_remove_stale_temp_files(ports_dir);
        while ((e = g_dir_read_name(dir))) {
                g_autofree char *file = record_file(ports_dir, e), *data = NULL;
                char uuid[37];

                if (!vmmd_uuid_parse(e, uuid) || !g_str_equal(uuid, e) || in_use(uuid, userdata) ||
                    (releasing && g_hash_table_contains(releasing, uuid)))
                        continue;
                if (vmmd_read_file(file, &data, NULL) < 0 || !*g_strchomp(data)) {
                        (void) unlink(file);
                        continue;
                }
                log_info("deleting port %s of network '%s': its guest is gone", uuid, data);
                release_one(bus, ports_dir, data, uuid, NULL);
        }
}

/* --- making ports --- */

typedef enum { ALLOC_NETWORK, ALLOC_CREATE, ALLOC_PLUG } AllocStep;

typedef struct {
        sd_bus *bus;
        char *ports_dir;
        DomainDef *def;
        guint nic;            /* index into def->nets */
        AllocStep step;
        char *net_path, *port_path;
        char port_uuid[37];
        NetworkPortsFunc done;
        void *userdata;
} Alloc;

typedef struct {
        NetworkPortsFunc done;
        void *userdata;
        GError *error;
} AllocFailure;

static void on_failure_released(void *userdata) {
        AllocFailure *f = userdata;

        f->done(f->error, f->userdata);
        g_error_free(f->error);
        g_free(f);
}

/* error: the ports made so far go away again before the caller hears of it */
static void alloc_finish(Alloc *a, GError *error) {
        if (error) {
                AllocFailure *f = g_new0(AllocFailure, 1);

                f->done = a->done;
                f->userdata = a->userdata;
                f->error = g_error_copy(error);
                network_ports_release_async(a->bus, a->ports_dir, a->def, on_failure_released, f);
        } else
                a->done(NULL, a->userdata);
        g_free(a->net_path);
        g_free(a->port_path);
        g_free(a->ports_dir);
        sd_bus_unref(a->bus);
        g_free(a);
}

static void alloc_fail_errno(Alloc *a, int rc, const char *what) {
        DomainNetDef *net = domain_list_at(a->def->nets, a->nic);
        g_autoptr(GError) e = NULL;

        vmmd_error_set_errno(&e, rc, "interface %s: %s for network '%s'", net->mac, what, net->src_network);
        alloc_finish(a, e);
}

/* The port XML vmmd-qemu sends: owner, MAC, and for a reclaim the bridge the tap is plugged into. */
static char *format_port(const char *uuid, const DomainDef *def, const DomainNetDef *net, const char *plug_bridge) {
        g_autoptr(NetworkPortDef) port = network_port_def_new();

        g_strlcpy(port->uuid, uuid, sizeof(port->uuid));
        port->owner_name = g_strdup(domain_def_get_name(def));
        g_strlcpy(port->owner_uuid, domain_def_get_uuid(def), sizeof(port->owner_uuid));
        port->mac = g_strdup(net->mac);
        if (plug_bridge) {
                port->plug_type = g_strdup("network");
                port->plug_bridge = g_strdup(plug_bridge);
        }
        return network_port_def_format(port);
}

static int on_alloc_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static void alloc_call(Alloc *a) {
        DomainNetDef *net = domain_list_at(a->def->nets, a->nic);
        int rc;

        switch (a->step) {
        case ALLOC_NETWORK:
                rc = sd_bus_call_method_async(a->bus, NULL, NETWORK_BUS_NAME, NETWORK_MANAGER_PATH,
                                              NETWORK_MANAGER_INTERFACE, "NetworkLookupByName", on_alloc_reply, a, "s",
                                              net->src_network);
                break;
        case ALLOC_CREATE: {
                g_autofree char *xml = format_port(a->port_uuid, a->def, net, NULL);
                g_autofree char *file = record_file(a->ports_dir, a->port_uuid);
                g_autofree char *data = g_strdup_printf("%s\n", net->src_network);

                /* written down first: a daemon that dies before the status file names the port
                 * still finds it at its next start */
                rc = vmmd_mkdir_p(a->ports_dir, 0700);
                if (rc >= 0)
                        rc = vmmd_write_file_atomic(file, data, strlen(data), 0600);
                if (rc < 0) {
                        alloc_fail_errno(a, rc, "cannot record the port");
                        return;
                }
                rc = sd_bus_call_method_async(a->bus, NULL, NETWORK_BUS_NAME, a->net_path, NETWORK_INTERFACE,
                                              "CreatePort", on_alloc_reply, a, "su", xml, 0);
                if (rc < 0)
                        (void) unlink(file);
                break;
        }
        default:
                rc = sd_bus_call_method_async(a->bus, NULL, NETWORK_BUS_NAME, a->port_path, NETWORK_PORT_INTERFACE,
                                              "GetXMLDesc", on_alloc_reply, a, "u", 0);
        }
        if (rc < 0)
                alloc_fail_errno(a, rc, "cannot ask vmmd-network");
}

static void alloc_next(Alloc *a);

/* A call that got no answer (a timeout, or vmmd-network gone in the middle) may still have been carried out. */
static bool outcome_unknown(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT, SD_BUS_ERROR_DISCONNECTED);
}

static int on_alloc_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Alloc *a = userdata;
        DomainNetDef *net = domain_list_at(a->def->nets, a->nic);
        g_autoptr(GError) e = NULL;
        const char *s = NULL;

        if (sd_bus_message_is_method_error(m, NULL)) {
                const sd_bus_error *be = sd_bus_message_get_error(m);

                if (a->step == ALLOC_CREATE && outcome_unknown(be)) {
                        /* vmmd-network may have made the port, or make it yet: the uuid is ours, so the port is
                         * the guest's and alloc_finish deletes it with the others (vmmd-network answers one
                         * caller's calls in order, so that delete comes after the create); the record stays
                         * until the delete is done, for the next daemon's reclaim should it fail */
                        net->src_portid = g_strdup(a->port_uuid);
                        e = g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_TIMEOUT,
                                        "interface %s: vmmd-network did not answer CreatePort for network '%s': %s",
                                        net->mac, net->src_network, be->message ? be->message : be->name);
                        alloc_finish(a, e);
                        return 0;
                }
                if (a->step == ALLOC_CREATE) {
                        g_autofree char *file = record_file(a->ports_dir, a->port_uuid);
                        (void) unlink(file);
                }
                /* vmmd-network's own errors (NoNetwork, OperationInvalid) pass through unchanged */
                vmmd_error_from_bus(be, &e);
                alloc_finish(a, e);
                return 0;
        }
        if (sd_bus_message_read(m, a->step == ALLOC_PLUG ? "s" : "o", &s) < 0) {
                alloc_fail_errno(a, -EBADMSG, "bad reply from vmmd-network");
                return 0;
        }
        switch (a->step) {
        case ALLOC_NETWORK:
                a->net_path = g_strdup(s);
                break;
        case ALLOC_CREATE:
                a->port_path = g_strdup(s);
                /* from here on the port is the guest's: a failure deletes it */
                net->src_portid = g_strdup(a->port_uuid);
                break;
        default: {
                g_autoptr(NetworkPortDef) port = network_port_def_parse_string(s, 0, &e);

                if (port && !port->plug_bridge)
                        e = g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                        "interface %s: port %s of network '%s' has no bridge", net->mac, a->port_uuid,
                                        net->src_network);
                if (e) {
                        alloc_finish(a, e);
                        return 0;
                }
                g_free(net->src_bridge);
                net->src_bridge = g_strdup(port->plug_bridge);
                a->nic++;
                a->step = ALLOC_NETWORK;
                g_clear_pointer(&a->net_path, g_free);
                g_clear_pointer(&a->port_path, g_free);
                alloc_next(a);
                return 0;
        }
        }
        a->step++;
        alloc_call(a);
        return 0;
}

/* the next network NIC, or done */
static void alloc_next(Alloc *a) {
        for (; a->nic < domain_list_len(a->def->nets); a->nic++) {
                DomainNetDef *net = domain_list_at(a->def->nets, a->nic);

                if (net->type != DOMAIN_NET_TYPE_NETWORK)
                        continue;
                /* a definition's stale values never name another guest's port */
                g_clear_pointer(&net->src_portid, g_free);
                g_clear_pointer(&net->src_bridge, g_free);
                vmmd_uuid_generate(a->port_uuid);
                alloc_call(a);
                return;
        }
        alloc_finish(a, NULL);
}

void network_ports_allocate_async(sd_bus *bus, const char *ports_dir, DomainDef *def, NetworkPortsFunc done,
                                  void *userdata) {
        Alloc *a;

        if (!bus) {
                g_autoptr(GError) e = g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                                  "network interfaces need vmmd-network, but there is no bus");
                done(e, userdata);
                return;
        }
        a = g_new0(Alloc, 1);
        a->bus = sd_bus_ref(bus);
        a->ports_dir = g_strdup(ports_dir);
        a->def = def;
        a->done = done;
        a->userdata = userdata;
        alloc_next(a);
}

/* --- re-registering the ports of re-attached guests (N28.6) --- */

typedef enum { RECHECK_NETWORK, RECHECK_PORT, RECHECK_RECLAIM } RecheckStep;

typedef struct {
        sd_bus *bus;
        char *network, *portid, *xml, *net_path;
        RecheckStep step;
} Recheck;

static void recheck_free(Recheck *c) {
        sd_bus_unref(c->bus);
        g_free(c->network);
        g_free(c->portid);
        g_free(c->xml);
        g_free(c->net_path);
        g_free(c);
}

static int on_recheck_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static void recheck_call(Recheck *c) {
        int rc;

        if (c->step != RECHECK_RECLAIM)
                rc = lookup_call(c->bus, c->network, c->net_path, c->portid, on_recheck_reply, c);
        else
                rc = sd_bus_call_method_async(c->bus, NULL, NETWORK_BUS_NAME, c->net_path, NETWORK_INTERFACE,
                                              "CreatePort", on_recheck_reply, c, "su", c->xml,
                                              NETWORK_PORT_CREATE_RECLAIM);
        if (rc < 0) {
                log_warning("cannot check port %s of network '%s': %s", c->portid, c->network, g_strerror(-rc));
                recheck_free(c);
        }
}

static int on_recheck_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Recheck *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *path;

        if (c->step == RECHECK_PORT && e && sd_bus_error_has_name(e, VMMD_DBUS_ERROR_NO_NETWORK_PORT)) {
                log_info("network '%s' lost port %s of a running guest: reclaiming it", c->network, c->portid);
                c->step = RECHECK_RECLAIM;
                recheck_call(c);
                return 0;
        }
        if (e)
                log_warning("cannot keep port %s of network '%s' for its running guest: %s", c->portid, c->network,
                            e->message);
        else if (c->step == RECHECK_NETWORK && sd_bus_message_read(m, "o", &path) > 0) {
                c->net_path = g_strdup(path);
                c->step = RECHECK_PORT;
                recheck_call(c);
                return 0;
        }
        recheck_free(c);
        return 0;
}

void network_ports_recheck_async(sd_bus *bus, const DomainDef *def) {
        for (guint i = 0; bus && i < domain_list_len(def->nets); i++) {
                DomainNetDef *net = domain_list_at(def->nets, i);
                Recheck *c;

                if (net->type != DOMAIN_NET_TYPE_NETWORK || !net->src_portid || !net->src_bridge)
                        continue;
                c = g_new0(Recheck, 1);
                c->bus = sd_bus_ref(bus);
                c->network = g_strdup(net->src_network);
                c->portid = g_strdup(net->src_portid);
                c->xml = format_port(net->src_portid, def, net, net->src_bridge);
                recheck_call(c);
        }
}
