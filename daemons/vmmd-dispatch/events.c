/* Event registrations: each client's callbacks, and the lifecycle signals of vmmd-qemu (domains), vmmd-storage (pools), vmmd-network (networks) and vmmd-secret (secrets) turned into libvirt event messages in the order they came. */
#include <string.h>

#include "dispatch-names.h"
#include "dispatch.h"
#include "log.h"
#include "rpc-message.h"

/* One signal on its way to the clients: it waits in the server's queue while its object's name
 * is being asked for, and so do the signals behind it, so events keep the daemons' order. */
typedef struct QueuedEvent {
        EventSource *src;
        char *path;
        int event_id;              /* libvirt's event id: lifecycle 0, or the kind's second event */
        int event;
        int detail;
} QueuedEvent;

static void name_free(ObjectName *d) {
        g_free(d->name);
        g_free(d->usage_id);
        g_free(d);
}

static void queued_free(QueuedEvent *q) {
        g_free(q->path);
        g_free(q);
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

static ObjectName *cache_get(EventSource *src, const char *path) {
        ObjectName *d = g_hash_table_lookup(src->names, path);

        if (!d) {
                d = g_new0(ObjectName, 1);
                d->id = -1;
                if (!uuid_from_path(src, path, d->uuid)) {
                        g_free(d);
                        return NULL;
                }
                g_hash_table_insert(src->names, g_strdup(path), d);
        }
        return d;
}

/* Name, Id and a secret's usage out of an a{sv} of properties. */
static int cache_read_props(ObjectName *d, sd_bus_message *m) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");

        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key;

                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0 && d && (g_str_equal(key, "Name") || g_str_equal(key, "UsageID"))) {
                        char **dst = g_str_equal(key, "Name") ? &d->name : &d->usage_id;
                        const char *v;

                        r = sd_bus_message_read(m, "v", "s", &v);
                        if (r >= 0) {
                                g_free(*dst);
                                *dst = g_strdup(v);
                                d->known = true;
                        }
                } else if (r >= 0 && d && g_str_equal(key, "Id")) {
                        r = sd_bus_message_read(m, "v", "i", &d->id);
                } else if (r >= 0 && d && g_str_equal(key, "UsageType")) {
                        r = sd_bus_message_read(m, "v", "i", &d->usage_type);
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

        for (int k = 0; path && k < EVENTS_N; k++) {
                EventSource *src = &s->sources[k];

                if (g_str_equal(path, src->path) || (g_str_has_prefix(path, src->path) && path[strlen(src->path)] == '/'))
                        return src;
        }
        return NULL;
}

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        EventSource *src = source_of(userdata, m);
        const char *path;

        if (src && sd_bus_message_read(m, "o", &path) >= 0 && g_str_has_prefix(path, src->prefix))
                cache_read_interfaces(src, path, m);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        EventSource *src = source_of(userdata, m);
        const char *iface;
        const char *path = sd_bus_message_get_path(m);

        if (!src || !path || !g_str_has_prefix(path, src->prefix))
                return 0;
        if (sd_bus_message_read(m, "s", &iface) < 0 || !g_str_equal(iface, src->object_iface))
                return 0;
        cache_read_props(cache_get(src, path), m);
        return 0;
}

/* ---------- delivery ---------- */

static bool callback_matches(const EventCallback *cb, const EventSource *src, int event_id, const ObjectName *d) {
        return cb->proc == src->register_proc && cb->event_id == event_id &&
               (!cb->has_domain || memcmp(cb->uuid, d->uuid, 16) == 0);
}

/* The MESSAGE of one event for one callback, in the shape of its kind. */
static GBytes *event_encode(const QueuedEvent *q, const ObjectName *d, int callback_id) {
        vr_header h = { .prog = VR_PROGRAM, .vers = VR_PROGRAM_VERSION, .type = VR_MESSAGE, .status = VR_OK };
        char *name = d->name ? d->name : (char *) "";
        bool lifecycle = q->event_id == 0;

        switch (q->src->kind) {
        case EVENTS_DOMAIN: {
                vr_domain dom = { .name = name, .id = d->id };

                memcpy(dom.uuid, d->uuid, 16);
                if (lifecycle) {
                        vr_domain_lifecycle_msg msg = { .callback_id = callback_id, .dom = dom, .event = q->event,
                                                        .detail = q->detail };

                        h.proc = VR_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE;
                        return vr_message_encode(&h, (xdrproc_t) xdr_vr_domain_lifecycle_msg, &msg);
                } else {
                        vr_domain_reboot_msg msg = { .callback_id = callback_id, .dom = dom };

                        h.proc = VR_PROC_DOMAIN_EVENT_CALLBACK_REBOOT;
                        return vr_message_encode(&h, (xdrproc_t) xdr_vr_domain_reboot_msg, &msg);
                }
        }
        case EVENTS_POOL: {
                vr_pool pool = { .name = name };

                memcpy(pool.uuid, d->uuid, 16);
                if (lifecycle) {
                        vr_pool_lifecycle_msg msg = { .callback_id = callback_id, .pool = pool, .event = q->event,
                                                      .detail = q->detail };

                        h.proc = VR_PROC_STORAGE_POOL_EVENT_LIFECYCLE;
                        return vr_message_encode(&h, (xdrproc_t) xdr_vr_pool_lifecycle_msg, &msg);
                } else {
                        vr_pool_refresh_msg msg = { .callback_id = callback_id, .pool = pool };

                        h.proc = VR_PROC_STORAGE_POOL_EVENT_REFRESH;
                        return vr_message_encode(&h, (xdrproc_t) xdr_vr_pool_refresh_msg, &msg);
                }
        }
        case EVENTS_NETWORK: {
                vr_network_lifecycle_msg msg = { .callback_id = callback_id, .net.name = name, .event = q->event,
                                                 .detail = q->detail };

                memcpy(msg.net.uuid, d->uuid, 16);
                h.proc = VR_PROC_NETWORK_EVENT_LIFECYCLE;
                return vr_message_encode(&h, (xdrproc_t) xdr_vr_network_lifecycle_msg, &msg);
        }
        case EVENTS_SECRET: {
                vr_secret secret = { .usage_type = d->usage_type, .usage_id = d->usage_id ? d->usage_id : (char *) "" };

                memcpy(secret.uuid, d->uuid, 16);
                if (lifecycle) {
                        vr_secret_lifecycle_msg msg = { .callback_id = callback_id, .secret = secret, .event = q->event,
                                                        .detail = q->detail };

                        h.proc = VR_PROC_SECRET_EVENT_LIFECYCLE;
                        return vr_message_encode(&h, (xdrproc_t) xdr_vr_secret_lifecycle_msg, &msg);
                } else {
                        vr_secret_value_changed_msg msg = { .callback_id = callback_id, .secret = secret };

                        h.proc = VR_PROC_SECRET_EVENT_VALUE_CHANGED;
                        return vr_message_encode(&h, (xdrproc_t) xdr_vr_secret_value_changed_msg, &msg);
                }
        }
        default:
                return NULL;
        }
}

static void event_deliver(Server *s, const QueuedEvent *q) {
        ObjectName *d = g_hash_table_lookup(q->src->names, q->path);

        if (!d)
                return;
        for (GList *l = s->clients; l; l = l->next) {
                Client *c = l->data;

                for (guint i = 0; i < c->callbacks->len; i++) {
                        EventCallback *cb = &g_array_index(c->callbacks, EventCallback, i);
                        GBytes *msg;

                        if (!callback_matches(cb, q->src, q->event_id, d))
                                continue;
                        msg = event_encode(q, d, cb->id);
                        if (msg)
                                client_send(c, msg);
                }
        }
}

/* Sends every queued event from the head on whose object is named (or cannot be). */
static void events_flush(Server *s) {
        QueuedEvent *q;

        while ((q = g_queue_peek_head(&s->event_queue))) {
                ObjectName *d = g_hash_table_lookup(q->src->names, q->path);

                if (d && d->fetching)
                        return;
                g_queue_pop_head(&s->event_queue);
                event_deliver(s, q);
                queued_free(q);
        }
}

typedef struct Fetch {
        Server *server;
        EventSource *src;
        char *path;
} Fetch;

static int on_fetched(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        Fetch *f = userdata;
        /* names is gone once the server shuts down with the call still out */
        ObjectName *d = f->src->names ? g_hash_table_lookup(f->src->names, f->path) : NULL;

        if (d) {
                d->fetching = false;
                /* an object already gone keeps what is known of it: its UUID */
                if (sd_bus_message_is_method_error(m, NULL) || cache_read_props(d, m) < 0)
                        d->fetch_failed = true;
        }
        if (f->src->names)
                events_flush(f->server);
        g_free(f->path);
        g_free(f);
        return 0;
}

/* Every daemon signal comes through here: queued, and its object's name asked for when the
 * cache does not have it (the daemons do not announce new objects with InterfacesAdded). */
static void event_push(Server *s, EventSource *src, const char *path, int event_id, int event, int detail) {
        ObjectName *d = cache_get(src, path);
        QueuedEvent *q;

        if (!d)
                return;
        if (!d->known && !d->fetching && !d->fetch_failed) {
                Fetch *f = g_new0(Fetch, 1);

                f->server = s;
                f->src = src;
                f->path = g_strdup(path);
                if (sd_bus_call_method_async(s->bus, NULL, src->bus, path, "org.freedesktop.DBus.Properties", "GetAll",
                                             on_fetched, f, "s", src->object_iface) >= 0) {
                        d->fetching = true;
                } else {
                        g_free(f->path);
                        g_free(f);
                }
        }
        q = g_new0(QueuedEvent, 1);
        q->src = src;
        q->path = g_strdup(path);
        q->event_id = event_id;
        q->event = event;
        q->detail = detail;
        g_queue_push_tail(&s->event_queue, q);
        events_flush(s);
}

/* DomainEvent / StoragePoolEvent / NetworkEvent / SecretEvent (o, i, i): libvirt's lifecycle events */
static int on_lifecycle(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        Server *s = userdata;
        EventSource *src = source_of(s, m);
        const char *path;
        int event, detail;

        if (src && sd_bus_message_read(m, "oii", &path, &event, &detail) >= 0)
                event_push(s, src, path, 0, event, detail);
        return 0;
}

/* The kind's second event: a domain's Reboot(), a pool's Refresh() (on the object), a secret's
 * SecretValueChanged(o) (on the manager). */
static int on_second(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        Server *s = userdata;
        EventSource *src = source_of(s, m);
        const char *path = sd_bus_message_get_path(m);

        if (!src)
                return 0;
        if (src->second_on_manager && sd_bus_message_read(m, "o", &path) < 0)
                return 0;
        if (path)
                event_push(s, src, path, 1, 0, 0);
        return 0;
}

/* ---------- registration ---------- */

static void answer_register(Call *c) {
        Client *cl = c->client;
        EventCallback cb = { .id = cl->next_callback_id++, .proc = c->proc->proc };
        const void *uuid = NULL;

        switch (c->proc->proc) {
        case VR_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: {
                vr_domain_event_register_args *a = c->args;

                cb.event_id = a->event_id;
                uuid = a->dom ? a->dom->uuid : NULL;
                break;
        }
        case VR_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY: {
                vr_pool_event_register_args *a = c->args;

                cb.event_id = a->event_id;
                uuid = a->pool ? a->pool->uuid : NULL;
                break;
        }
        case VR_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY: {
                vr_network_event_register_args *a = c->args;

                cb.event_id = a->event_id;
                uuid = a->net ? a->net->uuid : NULL;
                break;
        }
        case VR_PROC_CONNECT_SECRET_EVENT_REGISTER_ANY: {
                vr_secret_event_register_args *a = c->args;

                cb.event_id = a->event_id;
                uuid = a->secret ? a->secret->uuid : NULL;
                break;
        }
        default:
                /* node devices are accepted and never fire: refusing one stops libvirt-dbus from
                 * serving at all */
                cb.event_id = *(int *) c->args;
                break;
        }
        if (uuid) {
                cb.has_domain = true;
                memcpy(cb.uuid, uuid, 16);
        }
        g_array_append_val(cl->callbacks, cb);
        log_debug("client fd %d: event callback for procedure %d, id %d", cl->fd, cb.proc, cb.id);
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
        int r;

        r = sd_bus_match_signal_async(s->bus, &src->slots[0], src->bus, src->path, src->manager, src->signal,
                                      on_lifecycle, NULL, s);
        if (r >= 0)
                r = sd_bus_match_signal_async(s->bus, &src->slots[1], src->bus, src->path,
                                              "org.freedesktop.DBus.ObjectManager", "InterfacesAdded",
                                              on_interfaces_added, NULL, s);
        if (r >= 0)
                r = sd_bus_match_signal_async(s->bus, &src->slots[2], src->bus, NULL,
                                              "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                              on_properties_changed, NULL, s);
        if (r >= 0 && src->second)
                r = sd_bus_match_signal_async(s->bus, &src->slots[3], src->bus,
                                              src->second_on_manager ? src->path : NULL,
                                              src->second_on_manager ? src->manager : src->object_iface, src->second,
                                              on_second, NULL, s);
        if (r >= 0)
                r = sd_bus_call_method_async(s->bus, NULL, src->bus, src->path, "org.freedesktop.DBus.ObjectManager",
                                             "GetManagedObjects", on_objects, src, NULL);
        if (r < 0)
                return r;
        src->pending = true;
        return 0;
}

void events_init(Server *s) {
        s->sources[EVENTS_DOMAIN] = (EventSource) {
                .kind = EVENTS_DOMAIN, .register_proc = VR_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
                .bus = DISPATCH_QEMU_BUS, .path = DISPATCH_QEMU_PATH, .manager = DISPATCH_QEMU_MANAGER,
                .signal = "DomainEvent", .object_iface = DISPATCH_QEMU_DOMAIN, .prefix = DISPATCH_QEMU_DOMAIN_PREFIX,
                .second = "Reboot",
        };
        s->sources[EVENTS_POOL] = (EventSource) {
                .kind = EVENTS_POOL, .register_proc = VR_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY,
                .bus = DISPATCH_STORAGE_BUS, .path = DISPATCH_STORAGE_PATH, .manager = DISPATCH_STORAGE_MANAGER,
                .signal = "StoragePoolEvent", .object_iface = DISPATCH_STORAGE_POOL,
                .prefix = DISPATCH_STORAGE_POOL_PREFIX, .second = "Refresh",
        };
        s->sources[EVENTS_NETWORK] = (EventSource) {
                .kind = EVENTS_NETWORK, .register_proc = VR_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY,
                .bus = DISPATCH_NETWORK_BUS, .path = DISPATCH_NETWORK_PATH, .manager = DISPATCH_NETWORK_MANAGER,
                .signal = "NetworkEvent", .object_iface = DISPATCH_NETWORK, .prefix = DISPATCH_NETWORK_PREFIX,
        };
        s->sources[EVENTS_SECRET] = (EventSource) {
                .kind = EVENTS_SECRET, .register_proc = VR_PROC_CONNECT_SECRET_EVENT_REGISTER_ANY,
                .bus = DISPATCH_SECRET_BUS, .path = DISPATCH_SECRET_PATH, .manager = DISPATCH_SECRET_MANAGER,
                .signal = "SecretEvent", .object_iface = DISPATCH_SECRET, .prefix = DISPATCH_SECRET_PREFIX,
                .second = "SecretValueChanged", .second_on_manager = true,
        };
        for (int k = 0; k < EVENTS_N; k++) {
                s->sources[k].names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) name_free);
                s->sources[k].waiting = g_ptr_array_new();
        }
        g_queue_init(&s->event_queue);
}

void events_register(Call *c) {
        Server *s = c->client->server;
        EventSource *src = NULL;

        for (int k = 0; k < EVENTS_N; k++)
                if (s->sources[k].register_proc == c->proc->proc)
                        src = &s->sources[k];
        if (!src) {
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
        g_queue_clear_full(&s->event_queue, (GDestroyNotify) queued_free);
        for (int k = 0; k < EVENTS_N; k++) {
                EventSource *src = &s->sources[k];

                for (size_t i = 0; i < G_N_ELEMENTS(src->slots); i++)
                        src->slots[i] = sd_bus_slot_unref(src->slots[i]);
                g_clear_pointer(&src->names, g_hash_table_unref);
                if (src->waiting)
                        g_ptr_array_free(src->waiting, TRUE);
                src->waiting = NULL;
        }
}
