/* Event registrations: each client's callbacks, and the domain lifecycle signals of vmmd-qemu turned into libvirt event messages in the order they came. */
#include <string.h>

#include "dispatch-names.h"
#include "dispatch.h"
#include "log.h"
#include "rpc-message.h"

static void domain_name_free(DomainName *d) {
        g_free(d->name);
        g_free(d);
}

static bool uuid_from_path(const char *path, uint8_t out[16]) {
        g_autofree char *u = NULL;
        size_t n = 0;

        if (sd_bus_path_decode(path, DISPATCH_QEMU_DOMAIN_PREFIX, &u) <= 0)
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

static DomainName *cache_get(Server *s, const char *path) {
        DomainName *d = g_hash_table_lookup(s->domains, path);

        if (!d) {
                d = g_new0(DomainName, 1);
                d->id = -1;
                if (!uuid_from_path(path, d->uuid)) {
                        g_free(d);
                        return NULL;
                }
                g_hash_table_insert(s->domains, g_strdup(path), d);
        }
        return d;
}

/* Name and Id out of an a{sv} of domain properties. */
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

/* a{sa{sv}}: the domain interface's properties go to the cache */
static int cache_read_interfaces(Server *s, const char *path, sd_bus_message *m) {
        int r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");

        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                const char *iface;

                r = sd_bus_message_read(m, "s", &iface);
                if (r >= 0 && g_str_equal(iface, DISPATCH_QEMU_DOMAIN))
                        r = cache_read_props(cache_get(s, path), m);
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "a{sv}");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        Server *s = userdata;
        const char *path;

        if (sd_bus_message_read(m, "o", &path) >= 0)
                cache_read_interfaces(s, path, m);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        Server *s = userdata;
        const char *iface;
        const char *path = sd_bus_message_get_path(m);

        if (!path || !g_str_has_prefix(path, DISPATCH_QEMU_DOMAIN_PREFIX "/"))
                return 0;
        if (sd_bus_message_read(m, "s", &iface) < 0 || !g_str_equal(iface, DISPATCH_QEMU_DOMAIN))
                return 0;
        cache_read_props(cache_get(s, path), m);
        return 0;
}

/* DomainEvent(o, i, i): one MESSAGE to every callback that wants it, in the order signals came */
static int on_domain_event(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        Server *s = userdata;
        const char *path;
        int event, detail;
        DomainName *d;

        if (sd_bus_message_read(m, "oii", &path, &event, &detail) < 0)
                return 0;
        d = cache_get(s, path);
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

                        if (cb->proc != VR_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY ||
                            cb->event_id != VR_DOMAIN_EVENT_ID_LIFECYCLE ||
                            (cb->has_domain && memcmp(cb->uuid, d->uuid, 16) != 0))
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
        Server *s = userdata;
        g_autoptr(GPtrArray) waiting = g_steal_pointer(&s->events_waiting);
        int r;

        s->events_pending = false;
        s->events_ready = true;
        s->events_waiting = g_ptr_array_new();
        if (sd_bus_message_is_method_error(m, NULL)) {
                /* the qemu daemon could not be reached: events will still come once it runs */
                log_debug("GetManagedObjects: %s", sd_bus_message_get_error(m)->message);
        } else {
                r = sd_bus_message_enter_container(m, 'a', "{oa{sa{sv}}}");
                while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "oa{sa{sv}}")) > 0) {
                        const char *path;

                        r = sd_bus_message_read(m, "o", &path);
                        if (r >= 0)
                                r = cache_read_interfaces(s, path, m);
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
static int events_setup(Server *s) {
        int r;

        s->domains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) domain_name_free);
        s->events_waiting = g_ptr_array_new();
        r = sd_bus_match_signal_async(s->bus, &s->event_slots[0], DISPATCH_QEMU_BUS, DISPATCH_QEMU_PATH,
                                      DISPATCH_QEMU_MANAGER, "DomainEvent", on_domain_event, NULL, s);
        if (r >= 0)
                r = sd_bus_match_signal_async(s->bus, &s->event_slots[1], DISPATCH_QEMU_BUS, DISPATCH_QEMU_PATH,
                                              "org.freedesktop.DBus.ObjectManager", "InterfacesAdded",
                                              on_interfaces_added, NULL, s);
        if (r >= 0)
                r = sd_bus_match_signal_async(s->bus, &s->event_slots[2], DISPATCH_QEMU_BUS, NULL,
                                              "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                              on_properties_changed, NULL, s);
        if (r >= 0)
                r = sd_bus_call_method_async(s->bus, NULL, DISPATCH_QEMU_BUS, DISPATCH_QEMU_PATH,
                                             "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", on_objects, s,
                                             NULL);
        if (r < 0)
                return r;
        s->events_pending = true;
        return 0;
}

void events_register(Call *c) {
        Server *s = c->client->server;

        if (c->proc->proc != VR_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY) {
                answer_register(c);
                return;
        }
        if (!s->events_ready && !s->events_pending) {
                int r = events_setup(s);

                if (r < 0) {
                        call_fail(c, VR_ERR_INTERNAL_ERROR, "cannot watch domain events: %s", g_strerror(-r));
                        return;
                }
        }
        if (s->events_pending)
                g_ptr_array_add(s->events_waiting, c);
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
        for (size_t i = 0; i < G_N_ELEMENTS(s->event_slots); i++)
                s->event_slots[i] = sd_bus_slot_unref(s->event_slots[i]);
        g_clear_pointer(&s->domains, g_hash_table_unref);
        if (s->events_waiting)
                g_ptr_array_free(s->events_waiting, TRUE);
        s->events_waiting = NULL;
}
