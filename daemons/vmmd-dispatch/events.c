/* Event registrations: each client's callbacks, and the lifecycle signals of vmmd-qemu (domains) and vmmd-storage (pools) turned into libvirt event messages in the order they came. */
#include <string.h>

#include "dispatch-names.h"
#include "dispatch.h"
#include "log.h"
#include "rpc-message.h"

static void name_free(DomainName *d) {
        g_free(d->name);
        g_free(d);
}

static bool uuid_from_path(const EventSource *src, const char *path, uint8_t out[16]) {
        g_autofree char *u = NULL;
        size_t n = 0;

        if (sd_bus_path_decode(path, src->prefix, &u) <= 0)
                return false;
        for (const char *s = u; *s && n < 32; s++) {
                int v = g_ascii_xdigit_value(*s);

                if (*s == '-')
                        continue;
                if (v < 0)
                        return false;
                out[n / 2] = n % 2 ? out[n / 2] | v : v << 4;
                n++;
        }
        return n == 32;
}

static DomainName *cache_get(EventSource *src, const char *path) {
        DomainName *d = g_hash_table_lookup(src->names, path);

        if (!d) {
                d = g_new0(DomainName, 1);
                d->id = -1;
                if (!uuid_from_path(src, path, d->uuid)) {
                        g_free(d);
                        return NULL;
                }
                g_hash_table_insert(src->names, g_strdup(path), d);
        }
        return d;
}

/* Name and Id out of an a{sv} of properties. */
static int cache_read_props(DomainName *d, sd_bus_message *m) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");

        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key;

                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0 && d && g_str_equal(key, "Name")) {
                        const char *v;

                        r = sd_bus_message_read(m, "v", "s", &v);
                        if (r >= 0) {
                                g_free(d->name);
                                d->name = g_strdup(v);
                        }
                } else if (r >= 0 && d && g_str_equal(key, "Id")) {
                        r = sd_bus_message_read(m, "v", "i", &d->id);
                } else if (r >= 0) {
                        r = sd_bus_message_skip(m, "v");
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

/* a{sa{sv}}: the watched interface's properties go to the cache */
static int cache_read_interfaces(EventSource *src, const char *path, sd_bus_message *m) {
        int r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");

        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                const char *iface;

                r = sd_bus_message_read(m, "s", &iface);
                if (r >= 0 && g_str_equal(iface, src->object_iface))
                        r = cache_read_props(cache_get(src, path), m);
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "a{sv}");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

static EventSource *source_of(Server *s, sd_bus_message *m) {
        const char *path = sd_bus_message_get_path(m);

        if (path && (g_str_equal(path, DISPATCH_STORAGE_PATH) || g_str_has_prefix(path, DISPATCH_STORAGE_PATH "/")))
                return &s->pool_events;
        return &s->domain_events;
}

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        EventSource *src = source_of(userdata, m);
        const char *path;

        if (sd_bus_message_read(m, "o", &path) >= 0 && g_str_has_prefix(path, src->prefix))
                cache_read_interfaces(src, path, m);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        EventSource *src = source_of(userdata, m);
        const char *iface;
        const char *path = sd_bus_message_get_path(m);

        if (!path || !g_str_has_prefix(path, src->prefix))
                return 0;
        if (sd_bus_message_read(m, "s", &iface) < 0 || !g_str_equal(iface, src->object_iface))
                return 0;
        cache_read_props(cache_get(src, path), m);
        return 0;
}

static bool callback_matches(const EventCallback *cb, int register_proc, int event_id, const DomainName *d) {
        return cb->proc == register_proc && cb->event_id == event_id &&
               (!cb->has_domain || memcmp(cb->uuid, d->uuid, 16) == 0);
}

/* DomainEvent(o, i, i): one MESSAGE to every callback that wants it, in the order signals came */
static int on_domain_event(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        Server *s = userdata;
        const char *path;
        int event, detail;
        DomainName *d;

        if (sd_bus_message_read(m, "oii", &path, &event, &detail) < 0)
                return 0;
        d = cache_get(&s->domain_events, path);
        if (!d)
                return 0;
        for (GList *l = s->clients; l; l = l->next) {
                Client *c = l->data;

                for (guint i = 0; i < c->callbacks->len; i++) {
                        EventCallback *cb = &g_array_index(c->callbacks, EventCallback, i);
                        vr_header h = { .prog = VR_PROGRAM, .vers = VR_PROGRAM_VERSION,
                                        .proc = VR_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE, .type = VR_MESSAGE,
                                        .status = VR_OK };
                        vr_domain_lifecycle_msg msg = { 0 };

                        if (!callback_matches(cb, VR_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
                                              VR_DOMAIN_EVENT_ID_LIFECYCLE, d))
                                continue;
                        msg.callback_id = cb->id;
                        msg.dom.name = d->name ? d->name : (char *) "";
                        memcpy(msg.dom.uuid, d->uuid, 16);
                        msg.dom.id = d->id;
                        msg.event = event;
                        msg.detail = detail;
                        client_send(c, vr_message_encode(&h, (xdrproc_t) xdr_vr_domain_lifecycle_msg, &msg));
                }
        }
        return 0;
}

/* a domain's Reboot(): the guest reset itself (or was rebooted) and goes on running */
static int on_domain_reboot(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        Server *s = userdata;
        const char *path = sd_bus_message_get_path(m);
        DomainName *d = path ? cache_get(&s->domain_events, path) : NULL;

        if (!d)
                return 0;
        for (GList *l = s->clients; l; l = l->next) {
                Client *c = l->data;

                for (guint i = 0; i < c->callbacks->len; i++) {
                        EventCallback *cb = &g_array_index(c->callbacks, EventCallback, i);
                        vr_header h = { .prog = VR_PROGRAM, .vers = VR_PROGRAM_VERSION,
                                        .proc = VR_PROC_DOMAIN_EVENT_CALLBACK_REBOOT, .type = VR_MESSAGE, .status = VR_OK };
                        vr_domain_reboot_msg msg = { .callback_id = cb->id };

                        if (!callback_matches(cb, VR_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
                                              VR_DOMAIN_EVENT_ID_REBOOT, d))
                                continue;
                        msg.dom.name = d->name ? d->name : (char *) "";
                        memcpy(msg.dom.uuid, d->uuid, 16);
                        msg.dom.id = d->id;
                        client_send(c, vr_message_encode(&h, (xdrproc_t) xdr_vr_domain_reboot_msg, &msg));
                }
        }
        return 0;
}

/* StoragePoolEvent(o, i, i) and a pool's Refresh(): libvirt's pool lifecycle and refresh events */
static void pool_event(Server *s, const char *path, int event_id, int event, int detail) {
        DomainName *d = cache_get(&s->pool_events, path);

        if (!d)
                return;
        for (GList *l = s->clients; l; l = l->next) {
                Client *c = l->data;

                for (guint i = 0; i < c->callbacks->len; i++) {
                        EventCallback *cb = &g_array_index(c->callbacks, EventCallback, i);
                        vr_header h = { .prog = VR_PROGRAM, .vers = VR_PROGRAM_VERSION, .type = VR_MESSAGE,
                                        .status = VR_OK };
                        vr_pool pool = { .name = d->name ? d->name : (char *) "" };

                        if (!callback_matches(cb, VR_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY, event_id, d))
                                continue;
                        memcpy(pool.uuid, d->uuid, 16);
                        if (event_id == VR_POOL_EVENT_ID_LIFECYCLE) {
                                vr_pool_lifecycle_msg msg = { .callback_id = cb->id, .pool = pool, .event = event,
                                                              .detail = detail };

                                h.proc = VR_PROC_STORAGE_POOL_EVENT_LIFECYCLE;
                                client_send(c, vr_message_encode(&h, (xdrproc_t) xdr_vr_pool_lifecycle_msg, &msg));
                        } else {
                                vr_pool_refresh_msg msg = { .callback_id = cb->id, .pool = pool };

                                h.proc = VR_PROC_STORAGE_POOL_EVENT_REFRESH;
                                client_send(c, vr_message_encode(&h, (xdrproc_t) xdr_vr_pool_refresh_msg, &msg));
                        }
                }
        }
}

static int on_pool_event(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        const char *path;
        int event, detail;

        if (sd_bus_message_read(m, "oii", &path, &event, &detail) >= 0)
                pool_event(userdata, path, VR_POOL_EVENT_ID_LIFECYCLE, event, detail);
        return 0;
}

static int on_pool_refresh(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        const char *path = sd_bus_message_get_path(m);

        if (path)
                pool_event(userdata, path, VR_POOL_EVENT_ID_REFRESH, 0, 0);
        return 0;
}

static void answer_register(Call *c) {
        Client *cl = c->client;
        EventCallback cb = { .id = cl->next_callback_id++, .proc = c->proc->proc };

        switch (c->proc->proc) {
        case VR_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: {
                vr_domain_event_register_args *a = c->args;

                cb.event_id = a->event_id;
                if (a->dom) {
                        cb.has_domain = true;
                        memcpy(cb.uuid, a->dom->uuid, 16);
                }
                break;
        }
        case VR_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY: {
                vr_pool_event_register_args *a = c->args;

                cb.event_id = a->event_id;
                if (a->pool) {
                        cb.has_domain = true;
                        memcpy(cb.uuid, a->pool->uuid, 16);
                }
                break;
        }
        default:
                /* other kinds are accepted and never fire until their daemons exist: refusing one
                 * stops libvirt-dbus from serving at all */
                cb.event_id = *(int *) c->args;
                break;
        }
        g_array_append_val(cl->callbacks, cb);
        ((vr_int *) c->ret)->value = cb.id;
        call_reply(c);
}

static int on_objects(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        EventSource *src = userdata;
        g_autoptr(GPtrArray) waiting = g_steal_pointer(&src->waiting);
        int r;

        src->pending = false;
        src->ready = true;
        src->waiting = g_ptr_array_new();
        if (sd_bus_message_is_method_error(m, NULL)) {
                /* the daemon could not be reached: events will still come once it runs */
                log_debug("GetManagedObjects of %s: %s", src->bus, sd_bus_message_get_error(m)->message);
        } else {
                r = sd_bus_message_enter_container(m, 'a', "{oa{sa{sv}}}");
                while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "oa{sa{sv}}")) > 0) {
                        const char *path;

                        r = sd_bus_message_read(m, "o", &path);
                        if (r >= 0)
                                r = cache_read_interfaces(src, path, m);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                }
        }
        for (guint i = 0; i < waiting->len; i++) {
                Call *c = waiting->pdata[i];

                if (c->client->closed)
                        call_free(c);
                else
                        answer_register(c);
        }
        return 0;
}

/* Watching starts with the first registration: the signal matches are sent first, so every
 * signal after the object snapshot is seen. */
static int events_setup(Server *s, EventSource *src) {
        bool pools = src == &s->pool_events;
        int r;

        r = sd_bus_match_signal_async(s->bus, &src->slots[0], src->bus, src->path, src->manager, src->signal,
                                      pools ? on_pool_event : on_domain_event, NULL, s);
        if (r >= 0)
                r = sd_bus_match_signal_async(s->bus, &src->slots[1], src->bus, src->path,
                                              "org.freedesktop.DBus.ObjectManager", "InterfacesAdded",
                                              on_interfaces_added, NULL, s);
        if (r >= 0)
                r = sd_bus_match_signal_async(s->bus, &src->slots[2], src->bus, NULL,
                                              "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                              on_properties_changed, NULL, s);
        if (r >= 0)
                r = sd_bus_match_signal_async(s->bus, &src->slots[3], src->bus, NULL, src->object_iface,
                                              pools ? "Refresh" : "Reboot", pools ? on_pool_refresh : on_domain_reboot,
                                              NULL, s);
        if (r >= 0)
                r = sd_bus_call_method_async(s->bus, NULL, src->bus, src->path, "org.freedesktop.DBus.ObjectManager",
                                             "GetManagedObjects", on_objects, src, NULL);
        if (r < 0)
                return r;
        src->pending = true;
        return 0;
}

void events_init(Server *s) {
        s->domain_events = (EventSource) {
                .bus = DISPATCH_QEMU_BUS, .path = DISPATCH_QEMU_PATH, .manager = DISPATCH_QEMU_MANAGER,
                .signal = "DomainEvent", .object_iface = DISPATCH_QEMU_DOMAIN, .prefix = DISPATCH_QEMU_DOMAIN_PREFIX,
        };
        s->pool_events = (EventSource) {
                .bus = DISPATCH_STORAGE_BUS, .path = DISPATCH_STORAGE_PATH, .manager = DISPATCH_STORAGE_MANAGER,
                .signal = "StoragePoolEvent", .object_iface = DISPATCH_STORAGE_POOL,
                .prefix = DISPATCH_STORAGE_POOL_PREFIX,
        };
        for (EventSource *src = &s->domain_events; src; src = src == &s->domain_events ? &s->pool_events : NULL) {
                src->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) name_free);
                src->waiting = g_ptr_array_new();
        }
}

void events_register(Call *c) {
        Server *s = c->client->server;
        EventSource *src;

        switch (c->proc->proc) {
        case VR_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY:
                src = &s->domain_events;
                break;
        case VR_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY:
                src = &s->pool_events;
                break;
        default:
                answer_register(c);
                return;
        }
        if (!src->ready && !src->pending) {
                int r = events_setup(s, src);

                if (r < 0) {
                        call_fail(c, VR_ERR_INTERNAL_ERROR, "cannot watch %s's events: %s", src->bus, g_strerror(-r));
                        return;
                }
        }
        if (src->pending)
                g_ptr_array_add(src->waiting, c);
        else
                answer_register(c);
}

void events_deregister(Call *c) {
        Client *cl = c->client;
        int id = ((vr_int *) c->args)->value;

        for (guint i = 0; i < cl->callbacks->len; i++)
                if (g_array_index(cl->callbacks, EventCallback, i).id == id) {
                        g_array_remove_index(cl->callbacks, i);
                        call_reply(c);
                        return;
                }
        call_fail(c, VR_ERR_INVALID_ARG, "no event callback with id %d", id);
}

void events_free(Server *s) {
        for (EventSource *src = &s->domain_events; src; src = src == &s->domain_events ? &s->pool_events : NULL) {
                for (size_t i = 0; i < G_N_ELEMENTS(src->slots); i++)
                        src->slots[i] = sd_bus_slot_unref(src->slots[i]);
                g_clear_pointer(&src->names, g_hash_table_unref);
                if (src->waiting)
                        g_ptr_array_free(src->waiting, TRUE);
                src->waiting = NULL;
        }
}
