/* The procedure table: for each served libvirt procedure, how its body reads and writes and which D-Bus call answers it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "dispatch-names.h"
#include "dispatch.h"
#include "log.h"
#include "stream.h"

#define PROPS "org.freedesktop.DBus.Properties"
#define OBJMGR "org.freedesktop.DBus.ObjectManager"

/* how a generic handler passes arguments */
enum { ARG_NONE, ARG_ZERO, ARG_FLAGS };

/* ---------- names, UUIDs and object paths ---------- */

static void uuid_format(const void *bytes, char out[37]) {
        const uint8_t *u = bytes;

        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static bool uuid_parse(const char *s, void *bytes) {
        uint8_t *out = bytes;
        size_t n = 0;

        for (; s && *s && n < 32; s++) {
                int v = g_ascii_xdigit_value(*s);

                if (*s == '-')
                        continue;
                if (v < 0)
                        return false;
                if (n % 2 == 0)
                        out[n / 2] = v << 4;
                else
                        out[n / 2] |= v;
                n++;
        }
        return n == 32 && (!s || !*s);
}

static char *path_under(const char *prefix, const char *element) {
        char *p = NULL;

        if (sd_bus_path_encode(prefix, element, &p) < 0)
                return NULL;
        return p;
}

static char *domain_path(const vr_domain *d) {
        char u[37];

        uuid_format(d->uuid, u);
        return path_under(DISPATCH_QEMU_DOMAIN_PREFIX, u);
}

static char *pool_path(const vr_pool *p) {
        char u[37];

        uuid_format(p->uuid, u);
        return path_under(DISPATCH_STORAGE_POOL_PREFIX, u);
}

static char *snapshot_path(const vr_snapshot *s) {
        g_autofree char *dom = domain_path(&s->dom);
        g_autofree char *prefix = g_strconcat(dom, "/snapshot", NULL);

        return path_under(prefix, s->name);
}

/* the last element of an object path, decoded (snapshot and volume names) */
static char *path_last(const char *path) {
        const char *slash = strrchr(path, '/');
        g_autofree char *prefix = slash ? g_strndup(path, slash - path) : NULL;
        char *name = NULL;

        if (!prefix || sd_bus_path_decode(path, prefix, &name) <= 0)
                return g_strdup("");
        return name;
}

static void copy_domain(vr_domain *to, const vr_domain *from) {
        to->name = g_strdup(from->name);
        memcpy(to->uuid, from->uuid, 16);
        to->id = from->id;
}

/* ---------- properties ---------- */

typedef struct Props {
        char *name;
        char *uuid;
        char *key;
        char *path;
        char *pool;
        int id;
        int flag;        /* the one boolean property a caller asked for */
} Props;

static void props_clear(Props *p) {
        g_free(p->name);
        g_free(p->uuid);
        g_free(p->key);
        g_free(p->path);
        g_free(p->pool);
}

/* Reads an a{sv} of properties; wanted_bool names the boolean that goes to p->flag. */
static int props_read(sd_bus_message *m, Props *p, const char *wanted_bool) {
        int r;

        p->id = -1;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, *contents;
                char type;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;
                if (g_str_equal(contents, "s") || g_str_equal(contents, "o")) {
                        const char *v;
                        char **dst = g_str_equal(key, "Name") ? &p->name : g_str_equal(key, "UUID") ? &p->uuid :
                                     g_str_equal(key, "Key") ? &p->key : g_str_equal(key, "Path") ? &p->path :
                                     g_str_equal(key, "Pool") ? &p->pool : NULL;

                        r = sd_bus_message_read(m, "v", contents, &v);
                        if (r >= 0 && dst) {
                                g_free(*dst);
                                *dst = g_strdup(v);
                        }
                } else if (g_str_equal(contents, "i") && g_str_equal(key, "Id")) {
                        r = sd_bus_message_read(m, "v", "i", &p->id);
                } else if (g_str_equal(contents, "b") && wanted_bool && g_str_equal(key, wanted_bool)) {
                        r = sd_bus_message_read(m, "v", "b", &p->flag);
                } else {
                        r = sd_bus_message_skip(m, "v");
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static bool fill_domain(vr_domain *d, const Props *p) {
        if (!p->name || !uuid_parse(p->uuid, d->uuid))
                return false;
        d->name = g_strdup(p->name);
        d->id = p->id;
        return true;
}

static bool fill_pool(vr_pool *d, const Props *p) {
        if (!p->name || !uuid_parse(p->uuid, d->uuid))
                return false;
        d->name = g_strdup(p->name);
        return true;
}

static void fail_reply(Call *c, int r) {
        call_fail(c, VR_ERR_INTERNAL_ERROR, "unexpected reply from the daemon: %s", g_strerror(r < 0 ? -r : EBADMSG));
}

/* Reads the object path a method answered with into c->path. */
static bool read_path(Call *c, sd_bus_message *reply) {
        const char *path;
        int r = sd_bus_message_read(reply, "o", &path);

        if (r < 0) {
                fail_reply(c, r);
                return false;
        }
        g_free(c->path);
        c->path = g_strdup(path);
        return true;
}

/* Reads an "ao" reply into c->paths. */
static bool read_paths(Call *c, sd_bus_message *reply) {
        int r;

        g_strfreev(c->paths);
        c->paths = NULL;
        r = sd_bus_message_read_strv(reply, &c->paths);
        if (r < 0) {
                fail_reply(c, r);
                return false;
        }
        if (!c->paths)
                c->paths = g_new0(char *, 1);
        return true;
}

/* ---------- connection: answered here ---------- */

static void h_local(Call *c) {
        Client *cl = c->client;

        switch (c->proc->proc) {
        case VR_PROC_CONNECT_OPEN: {
                vr_open_args *a = c->args;
                const char *name = a->name ? *a->name : NULL;

                /* only the QEMU driver lives here; "" and NULL mean the default one */
                if (name && *name && !g_str_has_prefix(name, "qemu")) {
                        call_fail(c, VR_ERR_NO_SUPPORT, "this function is not supported by the connection driver: "
                                  "no driver for %s here (only qemu:///system and qemu:///session)", name);
                        return;
                }
                g_free(cl->uri);
                cl->uri = g_strdup(name && *name ? name : cl->server->default_uri);
                break;
        }
        case VR_PROC_CONNECT_CLOSE:
        case VR_PROC_CONNECT_REGISTER_CLOSE_CALLBACK:
        case VR_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK:
                break;
        case VR_PROC_CONNECT_GET_TYPE:
                ((vr_string *) c->ret)->value = g_strdup("QEMU");
                break;
        case VR_PROC_CONNECT_GET_LIB_VERSION:
                ((vr_hyper *) c->ret)->value = VR_LIB_VERSION;
                break;
        case VR_PROC_CONNECT_GET_HOSTNAME: {
                char host[256] = "";

                gethostname(host, sizeof(host) - 1);
                ((vr_string *) c->ret)->value = g_strdup(host);
                break;
        }
        case VR_PROC_CONNECT_GET_URI:
                ((vr_string *) c->ret)->value = g_strdup(cl->uri ? cl->uri : cl->server->default_uri);
                break;
        case VR_PROC_CONNECT_IS_SECURE:
                /* a unix socket on this host */
                ((vr_int *) c->ret)->value = 1;
                break;
        case VR_PROC_CONNECT_SUPPORTS_FEATURE: {
                int f = ((vr_int *) c->args)->value;

                ((vr_int *) c->ret)->value = f == VR_FEATURE_REMOTE || f == VR_FEATURE_TYPED_PARAM_STRING ||
                                             f == VR_FEATURE_REMOTE_EVENT_CALLBACK ||
                                             f == VR_FEATURE_REMOTE_CLOSE_CALLBACK || f == VR_FEATURE_PROGRAM_KEEPALIVE;
                break;
        }
        case VR_PROC_AUTH_LIST: {
                vr_auth_list_ret *r = c->ret;

                /* peer credentials decide, so there is nothing to negotiate: REMOTE_AUTH_NONE */
                r->types.types_len = 1;
                r->types.types_val = g_new0(int, 1);
                break;
        }
        case VR_PROC_DOMAIN_GET_SCHEDULER_TYPE:
                /* vmmd sets no scheduler parameters: the host's default policy, none tunable */
                ((vr_sched_type *) c->ret)->type = g_strdup("posix");
                break;
        case VR_PROC_NODE_GET_SECURITY_MODEL: {
                vr_security_model *r = c->ret;

                /* libvirt's "none" security driver: the sizes count the terminating NUL, as libvirt's do */
                r->model.model_val = g_strdup("none");
                r->model.model_len = 5;
                r->doi.doi_val = g_strdup("0");
                r->doi.doi_len = 2;
                break;
        }
        case VR_PROC_DOMAIN_GET_SECURITY_LABEL: {
                vr_security_label *r = c->ret;

                r->label.label_val = g_strdup("");
                r->label.label_len = 1;
                r->enforcing = 0;
                break;
        }
        case VR_PROC_DOMAIN_GET_MESSAGES:
        case VR_PROC_CONNECT_LIST_ALL_NETWORKS:
        case VR_PROC_CONNECT_LIST_ALL_INTERFACES:
        case VR_PROC_CONNECT_LIST_ALL_NODE_DEVICES:
                /* zeroed: empty lists, count 0 (networks come with vmmd-network) */
                break;
        case VR_PROC_DOMAIN_SNAPSHOT_HAS_METADATA:
                /* every vmmd snapshot is an object with metadata */
                ((vr_int *) c->ret)->value = 1;
                break;
        default:
                call_fail(c, VR_ERR_INTERNAL_ERROR, "%s has no local answer", c->proc->api);
                return;
        }
        call_reply(c);
}

/* ---------- domains ---------- */

/* Every domain argument struct starts with the domain. */
#define ARG_DOMAIN(c) ((const vr_domain *) (c)->args)

static void step_domain_props(Call *c, sd_bus_message *reply) {
        Props p = { 0 };
        int r = props_read(reply, &p, NULL);

        /* every reply that carries a domain starts with it (vr_dom) */
        if (r < 0 || !fill_domain(&((vr_dom *) c->ret)->dom, &p))
                fail_reply(c, r);
        else
                call_reply(c);
        props_clear(&p);
}

static void get_domain_props(Call *c) {
        call_bus(c, step_domain_props, DISPATCH_QEMU_BUS, c->path, PROPS, "GetAll", "s", DISPATCH_QEMU_DOMAIN);
}

static void step_domain_path(Call *c, sd_bus_message *reply) {
        if (read_path(c, reply))
                get_domain_props(c);
}

/* Manager methods that answer with a domain. */
static void h_manager_domain(Call *c) {
        const char *m = c->proc->member, *q = DISPATCH_QEMU_BUS, *p = DISPATCH_QEMU_PATH, *i = DISPATCH_QEMU_MANAGER;

        switch (c->proc->proc) {
        case VR_PROC_DOMAIN_LOOKUP_BY_NAME:
                call_bus(c, step_domain_path, q, p, i, m, "s", ((vr_string *) c->args)->value);
                break;
        case VR_PROC_DOMAIN_LOOKUP_BY_UUID: {
                char u[37];

                uuid_format(((vr_uuid_args *) c->args)->uuid, u);
                call_bus(c, step_domain_path, q, p, i, m, "s", u);
                break;
        }
        case VR_PROC_DOMAIN_LOOKUP_BY_ID:
                call_bus(c, step_domain_path, q, p, i, m, "i", ((vr_int *) c->args)->value);
                break;
        case VR_PROC_DOMAIN_DEFINE_XML:
                call_bus(c, step_domain_path, q, p, i, m, "su", ((vr_string *) c->args)->value, 0);
                break;
        default: {
                vr_xml_flags *a = c->args;

                call_bus(c, step_domain_path, q, p, i, m, "su", a->xml, a->flags);
        }
        }
}

static void step_void(Call *c, sd_bus_message *reply) {
        call_reply(c);
}

static void step_string(Call *c, sd_bus_message *reply) {
        const char *s;
        int r = sd_bus_message_read(reply, "s", &s);

        if (r < 0) {
                fail_reply(c, r);
                return;
        }
        ((vr_string *) c->ret)->value = g_strdup(s);
        call_reply(c);
}

static void step_refresh_domain(Call *c, sd_bus_message *reply) {
        get_domain_props(c);
}

/* Domain methods; proc->arg says whether flags go along. */
static void h_domain(Call *c) {
        g_autofree char *path = domain_path(ARG_DOMAIN(c));
        uint32_t flags = c->proc->arg == ARG_FLAGS ? ((vr_dom_flags *) c->args)->flags : 0;
        CallStep next = c->proc->ret_proc == (xdrproc_t) xdr_vr_string ? step_string : step_void;
        const char *sig = c->proc->arg == ARG_NONE ? "" : "u";

        if (c->proc->proc == VR_PROC_DOMAIN_GET_XML_DESC && c->client->readonly && (flags & VR_DOMAIN_XML_SECURE)) {
                call_fail(c, VR_ERR_OPERATION_DENIED, "operation forbidden: virDomainGetXMLDesc with secure flag");
                return;
        }
        if (c->proc->proc == VR_PROC_DOMAIN_CREATE_WITH_FLAGS) {
                /* the reply is the domain again, now with its id */
                c->path = g_strdup(path);
                next = step_refresh_domain;
        }
        call_bus(c, next, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, c->proc->member, sig, flags);
}

static void step_bool_prop(Call *c, sd_bus_message *reply) {
        int v = 0;
        int r = sd_bus_message_read(reply, "v", "b", &v);

        if (r < 0) {
                fail_reply(c, r);
                return;
        }
        ((vr_int *) c->ret)->value = !!v;
        call_reply(c);
}

static void h_domain_prop(Call *c) {
        g_autofree char *path = domain_path(ARG_DOMAIN(c));

        call_bus(c, step_bool_prop, DISPATCH_QEMU_BUS, path, PROPS, "Get", "ss", DISPATCH_QEMU_DOMAIN, c->proc->member);
}

static void h_domain_set_autostart(Call *c) {
        vr_dom_int *a = c->args;
        g_autofree char *path = domain_path(&a->dom);

        call_bus(c, step_void, DISPATCH_QEMU_BUS, path, PROPS, "Set", "ssv", DISPATCH_QEMU_DOMAIN, "Autostart", "b",
                 a->value != 0);
}

static void step_state(Call *c, sd_bus_message *reply) {
        vr_domain_state *s = c->ret;
        int r = sd_bus_message_read(reply, "ii", &s->state, &s->reason);

        if (r < 0)
                fail_reply(c, r);
        else
                call_reply(c);
}

static void h_domain_state(Call *c) {
        vr_dom_flags *a = c->args;
        g_autofree char *path = domain_path(&a->dom);

        call_bus(c, step_state, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, "GetState", "u", a->flags);
}

static void step_info(Call *c, sd_bus_message *reply) {
        int32_t state;
        uint64_t max_kib, cur_kib, cpu_ns;
        uint32_t vcpus;
        int r = sd_bus_message_read(reply, "ittut", &state, &max_kib, &cur_kib, &vcpus, &cpu_ns);

        if (r < 0) {
                fail_reply(c, r);
                return;
        }
        if (c->proc->proc == VR_PROC_DOMAIN_GET_MAX_MEMORY) {
                ((vr_hyper *) c->ret)->value = max_kib;
        } else {
                vr_domain_info *i = c->ret;

                i->state = state;
                i->max_mem = max_kib;
                i->memory = cur_kib;
                i->nr_vcpus = vcpus;
                i->cpu_time = cpu_ns;
        }
        call_reply(c);
}

static void h_domain_info(Call *c) {
        g_autofree char *path = domain_path(ARG_DOMAIN(c));

        call_bus(c, step_info, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, "GetInfo", "u", 0);
}

static void h_domain_os_type(Call *c) {
        /* vmmd's QEMU driver runs full-virtualized guests only */
        ((vr_string *) c->ret)->value = g_strdup("hvm");
        call_reply(c);
}

static void h_domain_save(Call *c) {
        if (c->proc->proc == VR_PROC_DOMAIN_SAVE) {
                vr_save_args *a = c->args;
                g_autofree char *path = domain_path(&a->dom);

                call_bus(c, step_void, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, "Save", "ssu", a->to, "", 0);
        } else {
                vr_save_flags_args *a = c->args;
                g_autofree char *path = domain_path(&a->dom);

                call_bus(c, step_void, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, "Save", "ssu", a->to,
                         a->dxml ? *a->dxml : "", a->flags);
        }
}

static void h_restore(Call *c) {
        if (c->proc->proc == VR_PROC_DOMAIN_RESTORE)
                call_bus(c, step_void, DISPATCH_QEMU_BUS, DISPATCH_QEMU_PATH, DISPATCH_QEMU_MANAGER, "DomainRestore",
                         "ssu", ((vr_string *) c->args)->value, "", 0);
        else {
                vr_restore_flags_args *a = c->args;

                call_bus(c, step_void, DISPATCH_QEMU_BUS, DISPATCH_QEMU_PATH, DISPATCH_QEMU_MANAGER, "DomainRestore",
                         "ssu", a->from, a->dxml ? *a->dxml : "", a->flags);
        }
}

static void h_save_image(Call *c) {
        if (c->proc->proc == VR_PROC_DOMAIN_SAVE_IMAGE_GET_XML_DESC) {
                vr_save_image_xml_args *a = c->args;

                call_bus(c, step_string, DISPATCH_QEMU_BUS, DISPATCH_QEMU_PATH, DISPATCH_QEMU_MANAGER,
                         "DomainSaveImageGetXMLDesc", "su", a->file, a->flags);
        } else {
                vr_save_image_define_args *a = c->args;

                call_bus(c, step_void, DISPATCH_QEMU_BUS, DISPATCH_QEMU_PATH, DISPATCH_QEMU_MANAGER,
                         "DomainSaveImageDefineXML", "ssu", a->file, a->dxml, a->flags);
        }
}

/* Domain, pool and volume lists: the paths, then everyone's properties from the ObjectManager. */
static GHashTable *read_objects(sd_bus_message *reply, const char *want_iface, int *ret_r) {
        GHashTable *found = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) NULL);
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                const char *path;

                r = sd_bus_message_read(reply, "o", &path);
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        const char *iface;

                        r = sd_bus_message_read(reply, "s", &iface);
                        if (r >= 0 && g_str_equal(iface, want_iface)) {
                                Props *p = g_new0(Props, 1);

                                r = props_read(reply, p, NULL);
                                g_hash_table_replace(found, g_strdup(path), p);
                        } else if (r >= 0)
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        *ret_r = r;
        return found;
}

static void objects_free(GHashTable *found) {
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, found);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                props_clear(v);
                g_free(v);
        }
        g_hash_table_unref(found);
}

/* CONNECT_LIST_ALL_DOMAINS: the filtered paths, then everyone's properties in one call */
static void step_domains_objects(Call *c, sd_bus_message *reply) {
        vr_domain_list *l = c->ret;
        int r;
        GHashTable *found = read_objects(reply, DISPATCH_QEMU_DOMAIN, &r);
        guint n = g_strv_length(c->paths);

        if (r < 0) {
                objects_free(found);
                fail_reply(c, r);
                return;
        }
        if (c->proc->proc == VR_PROC_LIST_DOMAINS || c->proc->proc == VR_PROC_LIST_DEFINED_DOMAINS) {
                /* the old calls: at most as many as the caller has room for */
                int max = MIN(((vr_int *) c->args)->value, (int) VR_DOMAIN_LIST_MAX);
                bool ids = c->proc->proc == VR_PROC_LIST_DOMAINS;
                vr_id_list *il = c->ret;
                vr_name_list *nl = c->ret;

                if (ids)
                        il->ids.ids_val = g_new0(int, n);
                else
                        nl->names.names_val = g_new0(char *, n);
                for (guint i = 0; i < n && (int) i < max; i++) {
                        Props *p = g_hash_table_lookup(found, c->paths[i]);

                        if (!p || !p->name)
                                continue;
                        if (ids)
                                il->ids.ids_val[il->ids.ids_len++] = p->id;
                        else
                                nl->names.names_val[nl->names.names_len++] = g_strdup(p->name);
                }
        } else {
                l->domains.domains_val = g_new0(vr_domain, n);
                for (guint i = 0; i < n; i++) {
                        Props *p = g_hash_table_lookup(found, c->paths[i]);

                        /* a domain gone between the two calls is simply not listed */
                        if (p && fill_domain(&l->domains.domains_val[l->domains.domains_len], p))
                                l->domains.domains_len++;
                }
                l->count = l->domains.domains_len;
        }
        objects_free(found);
        call_reply(c);
}

static void step_domains_paths(Call *c, sd_bus_message *reply) {
        vr_list_args *a = c->args;

        if (!read_paths(c, reply))
                return;
        if (c->proc->proc == VR_PROC_NUM_OF_DOMAINS || c->proc->proc == VR_PROC_NUM_OF_DEFINED_DOMAINS) {
                ((vr_int *) c->ret)->value = g_strv_length(c->paths);
                call_reply(c);
                return;
        }
        if (c->proc->proc == VR_PROC_CONNECT_LIST_ALL_DOMAINS && !a->need_results) {
                ((vr_domain_list *) c->ret)->count = g_strv_length(c->paths);
                call_reply(c);
                return;
        }
        call_bus(c, step_domains_objects, DISPATCH_QEMU_BUS, DISPATCH_QEMU_PATH, OBJMGR, "GetManagedObjects", NULL);
}

static void h_list_domains(Call *c) {
        uint32_t flags;

        switch (c->proc->proc) {
        case VR_PROC_CONNECT_LIST_ALL_DOMAINS:
                flags = ((vr_list_args *) c->args)->flags;
                break;
        case VR_PROC_LIST_DOMAINS:
        case VR_PROC_NUM_OF_DOMAINS:
                flags = VR_LIST_ACTIVE;
                break;
        default:
                flags = VR_LIST_INACTIVE;
        }
        call_bus(c, step_domains_paths, DISPATCH_QEMU_BUS, DISPATCH_QEMU_PATH, DISPATCH_QEMU_MANAGER, "ListDomains", "u",
                 flags);
}

static void h_rename(Call *c) {
        vr_rename_args *a = c->args;
        g_autofree char *path = domain_path(&a->dom);

        call_bus(c, step_void, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, "Rename", "su",
                 a->new_name ? *a->new_name : "", a->flags);
}

static void h_managed_save_define(Call *c) {
        vr_managed_save_define_args *a = c->args;
        g_autofree char *path = domain_path(&a->dom);

        call_bus(c, step_void, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, "ManagedSaveDefineXML", "su",
                 a->dxml ? *a->dxml : "", a->flags);
}

/* ---------- host facts (vmmd-qemu) ---------- */

static void step_node_info(Call *c, sd_bus_message *reply) {
        vr_node_info *n = c->ret;
        const char *model;
        uint64_t mem;
        int r = sd_bus_message_read(reply, "stiiiiii", &model, &mem, &n->cpus, &n->mhz, &n->nodes, &n->sockets,
                                    &n->cores, &n->threads);

        if (r < 0) {
                fail_reply(c, r);
                return;
        }
        g_strlcpy(n->model, model, sizeof(n->model));
        n->memory = mem;
        call_reply(c);
}

static void step_memory_stats(Call *c, sd_bus_message *reply) {
        vr_memory_stats_args *a = c->args;
        vr_memory_stats_ret *ret = c->ret;
        GArray *stats = g_array_new(FALSE, TRUE, sizeof(vr_memory_stat));
        const char *field;
        uint64_t value;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(st)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(st)", &field, &value)) > 0) {
                vr_memory_stat s = { .field = g_strdup(field), .value = value };

                g_array_append_val(stats, s);
        }
        if (r < 0) {
                for (guint i = 0; i < stats->len; i++)
                        g_free(g_array_index(stats, vr_memory_stat, i).field);
                g_array_unref(stats);
                fail_reply(c, r);
                return;
        }
        /* nparams == 0 asks how many there are */
        ret->nparams = stats->len;
        if (a->nparams == 0) {
                for (guint i = 0; i < stats->len; i++)
                        g_free(g_array_index(stats, vr_memory_stat, i).field);
                g_array_unref(stats);
        } else {
                ret->params.params_len = MIN(stats->len, (guint) VR_MEMORY_STATS_MAX);
                for (guint i = ret->params.params_len; i < stats->len; i++)
                        g_free(g_array_index(stats, vr_memory_stat, i).field);
                ret->params.params_val = (vr_memory_stat *) g_array_free(stats, FALSE);
        }
        call_reply(c);
}

static void step_hyper(Call *c, sd_bus_message *reply) {
        int r = sd_bus_message_read(reply, "t", &((vr_hyper *) c->ret)->value);

        if (r < 0)
                fail_reply(c, r);
        else
                call_reply(c);
}

static void h_host(Call *c) {
        const char *q = DISPATCH_QEMU_BUS, *p = DISPATCH_QEMU_PATH, *i = DISPATCH_QEMU_MANAGER;

        switch (c->proc->proc) {
        case VR_PROC_NODE_GET_INFO:
                call_bus(c, step_node_info, q, p, i, "GetNodeInfo", NULL);
                break;
        case VR_PROC_NODE_GET_MEMORY_STATS: {
                vr_memory_stats_args *a = c->args;

                call_bus(c, step_memory_stats, q, p, i, "GetNodeMemoryStats", "iu", a->cell, a->flags);
                break;
        }
        case VR_PROC_CONNECT_GET_CAPABILITIES:
                call_bus(c, step_string, q, p, i, "GetCapabilities", NULL);
                break;
        case VR_PROC_CONNECT_GET_DOMAIN_CAPABILITIES: {
                vr_domain_caps_args *a = c->args;

                call_bus(c, step_string, q, p, i, "GetDomainCapabilities", "ssssu", a->emulator ? *a->emulator : "",
                         a->arch ? *a->arch : "", a->machine ? *a->machine : "", a->virttype ? *a->virttype : "",
                         a->flags);
                break;
        }
        case VR_PROC_CONNECT_GET_VERSION:
                call_bus(c, step_hyper, q, p, i, "GetHypervisorVersion", NULL);
                break;
        }
}

/* ---------- snapshots ---------- */

/* The reply's snapshot: its name is the path's last element, its domain the one asked about. */
static void step_snapshot_path(Call *c, sd_bus_message *reply) {
        vr_snap *ret = c->ret;

        if (!read_path(c, reply))
                return;
        ret->snap.name = path_last(c->path);
        copy_domain(&ret->snap.dom, c->proc->arg == 1 ? &((vr_snapshot *) c->args)->dom : ARG_DOMAIN(c));
        call_reply(c);
}

static void h_snapshot_of_domain(Call *c) {
        g_autofree char *path = domain_path(ARG_DOMAIN(c));

        switch (c->proc->proc) {
        case VR_PROC_DOMAIN_SNAPSHOT_CREATE_XML: {
                vr_snap_create_args *a = c->args;

                call_bus(c, step_snapshot_path, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, "SnapshotCreateXML", "su",
                         a->xml, a->flags);
                break;
        }
        case VR_PROC_DOMAIN_SNAPSHOT_LOOKUP_BY_NAME: {
                vr_snap_lookup_args *a = c->args;

                call_bus(c, step_snapshot_path, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, "SnapshotLookupByName",
                         "su", a->name, a->flags);
                break;
        }
        case VR_PROC_DOMAIN_SNAPSHOT_CURRENT:
                call_bus(c, step_snapshot_path, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, "SnapshotCurrent", "u",
                         ((vr_dom_flags *) c->args)->flags);
                break;
        }
}

/* Snapshot lists: ListDomainSnapshots or ListChildren, names from the paths. */
static void step_snapshot_list(Call *c, sd_bus_message *reply) {
        bool children = c->proc->proc == VR_PROC_DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN;
        const vr_domain *dom = children ? &((vr_snap_list_args *) c->args)->snap.dom : ARG_DOMAIN(c);
        guint n;

        if (!read_paths(c, reply))
                return;
        n = g_strv_length(c->paths);
        if (c->proc->proc == VR_PROC_DOMAIN_SNAPSHOT_NUM) {
                ((vr_int *) c->ret)->value = n;
        } else {
                vr_snapshot_list *l = c->ret;
                int need = children ? ((vr_snap_list_args *) c->args)->need_results
                                    : ((vr_dom_list_args *) c->args)->need_results;

                l->count = n;
                if (need) {
                        l->snapshots.snapshots_val = g_new0(vr_snapshot, n);
                        l->snapshots.snapshots_len = n;
                        for (guint i = 0; i < n; i++) {
                                l->snapshots.snapshots_val[i].name = path_last(c->paths[i]);
                                copy_domain(&l->snapshots.snapshots_val[i].dom, dom);
                        }
                }
        }
        call_reply(c);
}

static void h_snapshot_list(Call *c) {
        switch (c->proc->proc) {
        case VR_PROC_DOMAIN_SNAPSHOT_NUM: {
                vr_dom_flags *a = c->args;
                g_autofree char *path = domain_path(&a->dom);

                call_bus(c, step_snapshot_list, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, "ListDomainSnapshots", "u",
                         a->flags);
                break;
        }
        case VR_PROC_DOMAIN_LIST_ALL_SNAPSHOTS: {
                vr_dom_list_args *a = c->args;
                g_autofree char *path = domain_path(&a->dom);

                call_bus(c, step_snapshot_list, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, "ListDomainSnapshots", "u",
                         a->flags);
                break;
        }
        default: {
                vr_snap_list_args *a = c->args;
                g_autofree char *path = snapshot_path(&a->snap);

                call_bus(c, step_snapshot_list, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_SNAPSHOT, "ListChildren", "u",
                         a->flags);
        }
        }
}

/* Methods of a snapshot object: GetXMLDesc, Revert, Delete, GetParent; IsCurrent is a property. */
static void h_snapshot(Call *c) {
        vr_snap_flags *a = c->args;
        g_autofree char *path = snapshot_path(&a->snap);

        switch (c->proc->proc) {
        case VR_PROC_DOMAIN_SNAPSHOT_GET_PARENT:
                call_bus(c, step_snapshot_path, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_SNAPSHOT, "GetParent", "u", a->flags);
                break;
        case VR_PROC_DOMAIN_SNAPSHOT_IS_CURRENT:
                call_bus(c, step_bool_prop, DISPATCH_QEMU_BUS, path, PROPS, "Get", "ss", DISPATCH_QEMU_SNAPSHOT,
                         "IsCurrent");
                break;
        default:
                call_bus(c, c->proc->ret_proc ? step_string : step_void, DISPATCH_QEMU_BUS, path,
                         DISPATCH_QEMU_SNAPSHOT, c->proc->member, "u", a->flags);
        }
}

/* ---------- storage pools ---------- */

#define ARG_POOL(c) ((const vr_pool *) (c)->args)

static void step_pool_props(Call *c, sd_bus_message *reply) {
        Props p = { 0 };
        int r = props_read(reply, &p, NULL);

        if (r < 0 || !fill_pool(&((vr_pool_one *) c->ret)->pool, &p))
                fail_reply(c, r);
        else
                call_reply(c);
        props_clear(&p);
}

static void step_pool_path(Call *c, sd_bus_message *reply) {
        if (read_path(c, reply))
                call_bus(c, step_pool_props, DISPATCH_STORAGE_BUS, c->path, PROPS, "GetAll", "s", DISPATCH_STORAGE_POOL);
}

static void h_manager_pool(Call *c) {
        const char *q = DISPATCH_STORAGE_BUS, *p = DISPATCH_STORAGE_PATH, *i = DISPATCH_STORAGE_MANAGER;
        const char *m = c->proc->member;

        switch (c->proc->proc) {
        case VR_PROC_STORAGE_POOL_LOOKUP_BY_NAME:
                call_bus(c, step_pool_path, q, p, i, m, "s", ((vr_string *) c->args)->value);
                break;
        case VR_PROC_STORAGE_POOL_LOOKUP_BY_UUID: {
                char u[37];

                uuid_format(((vr_uuid_args *) c->args)->uuid, u);
                call_bus(c, step_pool_path, q, p, i, m, "s", u);
                break;
        }
        default: {
                vr_xml_flags *a = c->args;

                call_bus(c, step_pool_path, q, p, i, m, "su", a->xml, a->flags);
        }
        }
}

static void h_pool(Call *c) {
        g_autofree char *path = pool_path(ARG_POOL(c));
        uint32_t flags = c->proc->arg == ARG_FLAGS ? ((vr_pool_flags *) c->args)->flags : 0;
        CallStep next = c->proc->ret_proc == (xdrproc_t) xdr_vr_string ? step_string : step_void;

        call_bus(c, next, DISPATCH_STORAGE_BUS, path, DISPATCH_STORAGE_POOL, c->proc->member,
                 c->proc->arg == ARG_NONE ? "" : "u", flags);
}

static void h_pool_prop(Call *c) {
        g_autofree char *path = pool_path(ARG_POOL(c));

        call_bus(c, step_bool_prop, DISPATCH_STORAGE_BUS, path, PROPS, "Get", "ss", DISPATCH_STORAGE_POOL, c->proc->member);
}

static void h_pool_set_autostart(Call *c) {
        vr_pool_int *a = c->args;
        g_autofree char *path = pool_path(&a->pool);

        call_bus(c, step_void, DISPATCH_STORAGE_BUS, path, PROPS, "Set", "ssv", DISPATCH_STORAGE_POOL, "Autostart", "b",
                 a->value != 0);
}

static void step_pool_info(Call *c, sd_bus_message *reply) {
        vr_pool_info *i = c->ret;
        int32_t state;
        int r = sd_bus_message_read(reply, "(ittt)", &state, &i->capacity, &i->allocation, &i->available);

        if (r < 0) {
                fail_reply(c, r);
                return;
        }
        i->state = state;
        call_reply(c);
}

static void h_pool_info(Call *c) {
        g_autofree char *path = pool_path(ARG_POOL(c));

        call_bus(c, step_pool_info, DISPATCH_STORAGE_BUS, path, DISPATCH_STORAGE_POOL, "GetInfo", NULL);
}

static void step_pools_objects(Call *c, sd_bus_message *reply) {
        vr_pool_list *l = c->ret;
        int r;
        GHashTable *found = read_objects(reply, DISPATCH_STORAGE_POOL, &r);
        guint n = g_strv_length(c->paths);

        if (r < 0) {
                objects_free(found);
                fail_reply(c, r);
                return;
        }
        l->pools.pools_val = g_new0(vr_pool, n);
        for (guint i = 0; i < n; i++) {
                Props *p = g_hash_table_lookup(found, c->paths[i]);

                if (p && fill_pool(&l->pools.pools_val[l->pools.pools_len], p))
                        l->pools.pools_len++;
        }
        l->count = l->pools.pools_len;
        objects_free(found);
        call_reply(c);
}

static void step_vols_objects(Call *c, sd_bus_message *reply) {
        vr_pool_list_args *a = c->args;
        vr_vol_list *l = c->ret;
        int r;
        GHashTable *found = read_objects(reply, DISPATCH_STORAGE_VOL, &r);
        guint n = g_strv_length(c->paths);

        if (r < 0) {
                objects_free(found);
                fail_reply(c, r);
                return;
        }
        l->vols.vols_val = g_new0(vr_vol, n);
        for (guint i = 0; i < n; i++) {
                Props *p = g_hash_table_lookup(found, c->paths[i]);
                vr_vol *v = &l->vols.vols_val[l->vols.vols_len];

                if (!p || !p->name || !p->key)
                        continue;
                v->pool = g_strdup(a->pool.name);
                v->name = g_strdup(p->name);
                v->key = g_strdup(p->key);
                l->vols.vols_len++;
        }
        l->count = l->vols.vols_len;
        objects_free(found);
        call_reply(c);
}

static void step_list_paths(Call *c, sd_bus_message *reply) {
        bool vols = c->proc->proc != VR_PROC_CONNECT_LIST_ALL_STORAGE_POOLS;
        int need = vols ? ((vr_pool_list_args *) c->args)->need_results : ((vr_list_args *) c->args)->need_results;

        if (!read_paths(c, reply))
                return;
        if (c->proc->proc == VR_PROC_STORAGE_POOL_NUM_OF_VOLUMES) {
                ((vr_int *) c->ret)->value = g_strv_length(c->paths);
                call_reply(c);
                return;
        }
        if (!need) {
                /* both list replies end with the count; only it is wanted */
                if (vols)
                        ((vr_vol_list *) c->ret)->count = g_strv_length(c->paths);
                else
                        ((vr_pool_list *) c->ret)->count = g_strv_length(c->paths);
                call_reply(c);
                return;
        }
        call_bus(c, vols ? step_vols_objects : step_pools_objects, DISPATCH_STORAGE_BUS, DISPATCH_STORAGE_PATH, OBJMGR,
                 "GetManagedObjects", NULL);
}

static void h_storage_list(Call *c) {
        switch (c->proc->proc) {
        case VR_PROC_CONNECT_LIST_ALL_STORAGE_POOLS:
                call_bus(c, step_list_paths, DISPATCH_STORAGE_BUS, DISPATCH_STORAGE_PATH, DISPATCH_STORAGE_MANAGER,
                         "ListStoragePools", "u", ((vr_list_args *) c->args)->flags);
                break;
        case VR_PROC_STORAGE_POOL_NUM_OF_VOLUMES: {
                g_autofree char *path = pool_path(ARG_POOL(c));

                call_bus(c, step_list_paths, DISPATCH_STORAGE_BUS, path, DISPATCH_STORAGE_POOL, "ListStorageVolumes", "u", 0);
                break;
        }
        default: {
                vr_pool_list_args *a = c->args;
                g_autofree char *path = pool_path(&a->pool);

                call_bus(c, step_list_paths, DISPATCH_STORAGE_BUS, path, DISPATCH_STORAGE_POOL, "ListStorageVolumes", "u",
                         a->flags);
        }
        }
}

/* ---------- storage volumes ---------- */

/* The reply's volume: name and key from its properties; the pool's name from the arguments
 * when the call named the pool, else from the pool object (c->str is then NULL). */
static void step_vol_pool_props(Call *c, sd_bus_message *reply) {
        Props p = { 0 };
        int r = props_read(reply, &p, NULL);

        if (r < 0 || !p.name) {
                fail_reply(c, r);
        } else {
                ((vr_vol_one *) c->ret)->vol.pool = g_strdup(p.name);
                call_reply(c);
        }
        props_clear(&p);
}

static void step_vol_props(Call *c, sd_bus_message *reply) {
        vr_vol *v = &((vr_vol_one *) c->ret)->vol;
        Props p = { 0 };
        int r = props_read(reply, &p, NULL);

        if (r < 0 || !p.name || !p.key || !p.pool) {
                fail_reply(c, r);
                props_clear(&p);
                return;
        }
        v->name = g_strdup(p.name);
        v->key = g_strdup(p.key);
        if (c->str) {
                v->pool = g_strdup(c->str);
                call_reply(c);
        } else {
                call_bus(c, step_vol_pool_props, DISPATCH_STORAGE_BUS, p.pool, PROPS, "GetAll", "s", DISPATCH_STORAGE_POOL);
        }
        props_clear(&p);
}

static void step_vol_path(Call *c, sd_bus_message *reply) {
        if (read_path(c, reply))
                call_bus(c, step_vol_props, DISPATCH_STORAGE_BUS, c->path, PROPS, "GetAll", "s", DISPATCH_STORAGE_VOL);
}

static void step_vol_clone_source(Call *c, sd_bus_message *reply) {
        vr_vol_create_from_args *a = c->args;
        g_autofree char *path = pool_path(&a->pool);
        g_autofree char *source = NULL;

        if (!read_path(c, reply))
                return;
        source = g_strdup(c->path);
        call_bus(c, step_vol_path, DISPATCH_STORAGE_BUS, path, DISPATCH_STORAGE_POOL, "StorageVolCreateXMLFrom", "sou",
                 a->xml, source, a->flags);
}

static void h_vol_from_pool(Call *c) {
        g_autofree char *path = pool_path(ARG_POOL(c));

        c->str = g_strdup(ARG_POOL(c)->name);
        switch (c->proc->proc) {
        case VR_PROC_STORAGE_VOL_CREATE_XML: {
                vr_vol_create_args *a = c->args;

                call_bus(c, step_vol_path, DISPATCH_STORAGE_BUS, path, DISPATCH_STORAGE_POOL, "StorageVolCreateXML", "su",
                         a->xml, a->flags);
                break;
        }
        case VR_PROC_STORAGE_VOL_CREATE_XML_FROM: {
                vr_vol_create_from_args *a = c->args;

                call_bus(c, step_vol_clone_source, DISPATCH_STORAGE_BUS, DISPATCH_STORAGE_PATH, DISPATCH_STORAGE_MANAGER,
                         "StorageVolLookupByKey", "s", a->source.key);
                break;
        }
        default: {
                vr_vol_lookup_args *a = c->args;

                call_bus(c, step_vol_path, DISPATCH_STORAGE_BUS, path, DISPATCH_STORAGE_POOL, "StorageVolLookupByName", "s",
                         a->name);
        }
        }
}

static void h_vol_lookup(Call *c) {
        call_bus(c, step_vol_path, DISPATCH_STORAGE_BUS, DISPATCH_STORAGE_PATH, DISPATCH_STORAGE_MANAGER, c->proc->member,
                 "s", ((vr_string *) c->args)->value);
}

static void step_vol_info(Call *c, sd_bus_message *reply) {
        vr_vol_info *i = c->ret;
        int32_t type;
        int r = sd_bus_message_read(reply, "(itt)", &type, &i->capacity, &i->allocation);

        if (r < 0) {
                fail_reply(c, r);
                return;
        }
        i->type = type;
        call_reply(c);
}

static void step_vol_path_prop(Call *c, sd_bus_message *reply) {
        const char *s;
        int r = sd_bus_message_read(reply, "v", "s", &s);

        if (r < 0) {
                fail_reply(c, r);
                return;
        }
        ((vr_string *) c->ret)->value = g_strdup(s);
        call_reply(c);
}

/* A volume is named by its key on the wire; the key finds its object, then the method runs. */
static void step_vol_method(Call *c, sd_bus_message *reply) {
        const vr_vol_flags *a = c->args;
        const char *q = DISPATCH_STORAGE_BUS, *i = DISPATCH_STORAGE_VOL;
        g_autofree char *path = NULL;

        if (!read_path(c, reply))
                return;
        path = g_strdup(c->path);
        switch (c->proc->proc) {
        case VR_PROC_STORAGE_VOL_GET_INFO:
                call_bus(c, step_vol_info, q, path, i, "GetInfo", "u", 0);
                break;
        case VR_PROC_STORAGE_VOL_GET_PATH:
                call_bus(c, step_vol_path_prop, q, path, PROPS, "Get", "ss", i, "Path");
                break;
        case VR_PROC_STORAGE_VOL_RESIZE: {
                const vr_vol_resize_args *r = c->args;

                call_bus(c, step_void, q, path, i, "Resize", "tu", r->capacity, r->flags);
                break;
        }
        case VR_PROC_STORAGE_VOL_GET_XML_DESC:
                call_bus(c, step_string, q, path, i, "GetXMLDesc", "u", a->flags);
                break;
        default:
                call_bus(c, step_void, q, path, i, c->proc->member, "u", a->flags);
        }
}

static void h_vol(Call *c) {
        call_bus(c, step_vol_method, DISPATCH_STORAGE_BUS, DISPATCH_STORAGE_PATH, DISPATCH_STORAGE_MANAGER,
                 "StorageVolLookupByKey", "s", ((const vr_vol *) c->args)->key);
}

/* ---------- streams: console, volume upload and download ---------- */

static void step_console_fd(Call *c, sd_bus_message *reply) {
        Stream *s;
        int fd, r = sd_bus_message_read(reply, "h", &fd);

        if (r < 0) {
                fail_reply(c, r);
                return;
        }
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
                call_fail(c, VR_ERR_INTERNAL_ERROR, "cannot keep the console descriptor: %s", g_strerror(errno));
                return;
        }
        s = stream_new(c->client, &c->header, fd, true, true);
        if (!s) {
                call_fail(c, VR_ERR_INTERNAL_ERROR, "cannot watch the console");
                return;
        }
        /* the call's reply goes out before the first byte of the stream */
        call_reply(c);
        stream_start(s);
}

static void h_open_console(Call *c) {
        vr_console_args *a = c->args;
        g_autofree char *path = domain_path(&a->dom);

        call_bus(c, step_console_fd, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, "OpenConsole", "su",
                 a->dev_name ? *a->dev_name : "", a->flags);
}

/* The volume's object is known: a pipe between the daemon and the stream, the daemon's
 * Upload/Download on one end, STREAM messages on the other. The call is answered at once so
 * the client starts sending or reading; the daemon's reply ends the stream. */
static void step_vol_transfer(Call *c, sd_bus_message *reply) {
        vr_vol_transfer_args *a = c->args;
        bool upload = c->proc->proc == VR_PROC_STORAGE_VOL_UPLOAD;
        g_autoptr(sd_bus_message) m = NULL;
        int fds[2], r;
        Stream *s;

        if (!read_path(c, reply))
                return;
        if (pipe2(fds, O_CLOEXEC) < 0) {
                call_fail(c, VR_ERR_INTERNAL_ERROR, "cannot make a pipe: %s", g_strerror(errno));
                return;
        }
        /* upload: we write fds[1], the daemon reads fds[0]; download the other way round */
        s = stream_new(c->client, &c->header, upload ? fds[1] : fds[0], !upload, upload);
        r = s ? sd_bus_message_new_method_call(c->client->server->bus, &m, DISPATCH_STORAGE_BUS, c->path,
                                               DISPATCH_STORAGE_VOL, upload ? "Upload" : "Download") : -ENOMEM;
        if (r >= 0)
                r = sd_bus_message_append(m, "httu", upload ? fds[0] : fds[1], a->offset, a->length, a->flags);
        if (r >= 0)
                r = stream_send_job(s, m);
        /* sd-bus sent its own copy of the daemon's end */
        close(upload ? fds[0] : fds[1]);
        if (r < 0) {
                if (s)
                        c->client->streams = g_list_remove(c->client->streams, s), stream_free(s);
                else
                        close(upload ? fds[1] : fds[0]);
                call_fail(c, VR_ERR_INTERNAL_ERROR, "cannot start the transfer: %s", g_strerror(-r));
                return;
        }
        call_reply(c);
        stream_start(s);
}

static void h_vol_transfer(Call *c) {
        vr_vol_transfer_args *a = c->args;

        /* holes would come as STREAM_HOLE messages, which are not carried */
        if (a->flags != 0) {
                call_fail(c, VR_ERR_NO_SUPPORT, "this function is not supported by the connection driver: "
                          "sparse streams (flags 0x%x)", a->flags);
                return;
        }
        call_bus(c, step_vol_transfer, DISPATCH_STORAGE_BUS, DISPATCH_STORAGE_PATH, DISPATCH_STORAGE_MANAGER,
                 "StorageVolLookupByKey", "s", a->vol.key);
}

/* ---------- the table ---------- */

#define X(t) (xdrproc_t) xdr_##t, sizeof(t)
#define NOBODY NULL, 0
#define RO true
#define RW false

static const Procedure procedures[] = {
        /* connection */
        { VR_PROC_CONNECT_OPEN, "virConnectOpen", RO, X(vr_open_args), NOBODY, h_local },
        { VR_PROC_CONNECT_CLOSE, "virConnectClose", RO, NOBODY, NOBODY, h_local },
        { VR_PROC_CONNECT_GET_TYPE, "virConnectGetType", RO, NOBODY, X(vr_string), h_local },
        { VR_PROC_CONNECT_GET_VERSION, "virConnectGetVersion", RO, NOBODY, X(vr_hyper), h_host, TARGET_QEMU },
        { VR_PROC_CONNECT_GET_LIB_VERSION, "virConnectGetLibVersion", RO, NOBODY, X(vr_hyper), h_local },
        { VR_PROC_CONNECT_GET_HOSTNAME, "virConnectGetHostname", RO, NOBODY, X(vr_string), h_local },
        { VR_PROC_CONNECT_GET_URI, "virConnectGetURI", RO, NOBODY, X(vr_string), h_local },
        { VR_PROC_CONNECT_IS_SECURE, "virConnectIsSecure", RO, NOBODY, X(vr_int), h_local },
        { VR_PROC_CONNECT_SUPPORTS_FEATURE, "virConnectSupportsFeature", RO, X(vr_int), X(vr_int), h_local },
        { VR_PROC_AUTH_LIST, "virConnectAuthList", RO, NOBODY, X(vr_auth_list_ret), h_local },
        { VR_PROC_CONNECT_REGISTER_CLOSE_CALLBACK, "virConnectRegisterCloseCallback", RO, NOBODY, NOBODY, h_local },
        { VR_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK, "virConnectUnregisterCloseCallback", RO, NOBODY, NOBODY, h_local },
        { VR_PROC_NODE_GET_INFO, "virNodeGetInfo", RO, NOBODY, X(vr_node_info), h_host, TARGET_QEMU },
        { VR_PROC_NODE_GET_MEMORY_STATS, "virNodeGetMemoryStats", RO, X(vr_memory_stats_args), X(vr_memory_stats_ret),
          h_host, TARGET_QEMU },
        { VR_PROC_NODE_GET_SECURITY_MODEL, "virNodeGetSecurityModel", RO, NOBODY, X(vr_security_model), h_local },
        { VR_PROC_CONNECT_GET_CAPABILITIES, "virConnectGetCapabilities", RO, NOBODY, X(vr_string), h_host, TARGET_QEMU },
        { VR_PROC_CONNECT_GET_DOMAIN_CAPABILITIES, "virConnectGetDomainCapabilities", RO, X(vr_domain_caps_args),
          X(vr_string), h_host, TARGET_QEMU },
        { VR_PROC_CONNECT_LIST_ALL_NETWORKS, "virConnectListAllNetworks", RO, X(vr_list_args), X(vr_network_list), h_local },
        { VR_PROC_CONNECT_LIST_ALL_INTERFACES, "virConnectListAllInterfaces", RO, X(vr_list_args), X(vr_interface_list),
          h_local },
        { VR_PROC_CONNECT_LIST_ALL_NODE_DEVICES, "virConnectListAllNodeDevices", RO, X(vr_list_args),
          X(vr_node_device_list), h_local },

        /* domains through the manager */
        { VR_PROC_CONNECT_LIST_ALL_DOMAINS, "virConnectListAllDomains", RO, X(vr_list_args), X(vr_domain_list),
          h_list_domains, TARGET_QEMU },
        { VR_PROC_LIST_DOMAINS, "virConnectListDomains", RO, X(vr_int), X(vr_id_list), h_list_domains, TARGET_QEMU },
        { VR_PROC_LIST_DEFINED_DOMAINS, "virConnectListDefinedDomains", RO, X(vr_int), X(vr_name_list), h_list_domains,
          TARGET_QEMU },
        { VR_PROC_NUM_OF_DOMAINS, "virConnectNumOfDomains", RO, NOBODY, X(vr_int), h_list_domains, TARGET_QEMU },
        { VR_PROC_NUM_OF_DEFINED_DOMAINS, "virConnectNumOfDefinedDomains", RO, NOBODY, X(vr_int), h_list_domains,
          TARGET_QEMU },
        { VR_PROC_DOMAIN_LOOKUP_BY_NAME, "virDomainLookupByName", RO, X(vr_string), X(vr_dom), h_manager_domain,
          TARGET_QEMU, NULL, "DomainLookupByName" },
        { VR_PROC_DOMAIN_LOOKUP_BY_UUID, "virDomainLookupByUUID", RO, X(vr_uuid_args), X(vr_dom), h_manager_domain,
          TARGET_QEMU, NULL, "DomainLookupByUUID" },
        { VR_PROC_DOMAIN_LOOKUP_BY_ID, "virDomainLookupByID", RO, X(vr_int), X(vr_dom), h_manager_domain, TARGET_QEMU,
          NULL, "DomainLookupByID" },
        { VR_PROC_DOMAIN_DEFINE_XML, "virDomainDefineXML", RW, X(vr_string), X(vr_dom), h_manager_domain, TARGET_QEMU,
          NULL, "DomainDefineXML" },
        { VR_PROC_DOMAIN_DEFINE_XML_FLAGS, "virDomainDefineXMLFlags", RW, X(vr_xml_flags), X(vr_dom), h_manager_domain,
          TARGET_QEMU, NULL, "DomainDefineXML" },
        { VR_PROC_DOMAIN_CREATE_XML, "virDomainCreateXML", RW, X(vr_xml_flags), X(vr_dom), h_manager_domain, TARGET_QEMU,
          NULL, "DomainCreateXML" },
        { VR_PROC_DOMAIN_RESTORE, "virDomainRestore", RW, X(vr_string), NOBODY, h_restore, TARGET_QEMU },
        { VR_PROC_DOMAIN_RESTORE_FLAGS, "virDomainRestoreFlags", RW, X(vr_restore_flags_args), NOBODY, h_restore,
          TARGET_QEMU },
        { VR_PROC_DOMAIN_SAVE_IMAGE_GET_XML_DESC, "virDomainSaveImageGetXMLDesc", RO, X(vr_save_image_xml_args),
          X(vr_string), h_save_image, TARGET_QEMU },
        { VR_PROC_DOMAIN_SAVE_IMAGE_DEFINE_XML, "virDomainSaveImageDefineXML", RW, X(vr_save_image_define_args), NOBODY,
          h_save_image, TARGET_QEMU },

        /* domain objects */
        { VR_PROC_DOMAIN_CREATE, "virDomainCreate", RW, X(vr_dom), NOBODY, h_domain, TARGET_QEMU, NULL, "Create", ARG_ZERO },
        { VR_PROC_DOMAIN_CREATE_WITH_FLAGS, "virDomainCreateWithFlags", RW, X(vr_dom_flags), X(vr_dom), h_domain,
          TARGET_QEMU, NULL, "Create", ARG_FLAGS },
        { VR_PROC_DOMAIN_DESTROY, "virDomainDestroy", RW, X(vr_dom), NOBODY, h_domain, TARGET_QEMU, NULL, "Destroy",
          ARG_ZERO },
        { VR_PROC_DOMAIN_DESTROY_FLAGS, "virDomainDestroyFlags", RW, X(vr_dom_flags), NOBODY, h_domain, TARGET_QEMU, NULL,
          "Destroy", ARG_FLAGS },
        { VR_PROC_DOMAIN_SHUTDOWN, "virDomainShutdown", RW, X(vr_dom), NOBODY, h_domain, TARGET_QEMU, NULL, "Shutdown",
          ARG_ZERO },
        { VR_PROC_DOMAIN_SHUTDOWN_FLAGS, "virDomainShutdownFlags", RW, X(vr_dom_flags), NOBODY, h_domain, TARGET_QEMU,
          NULL, "Shutdown", ARG_FLAGS },
        { VR_PROC_DOMAIN_REBOOT, "virDomainReboot", RW, X(vr_dom_flags), NOBODY, h_domain, TARGET_QEMU, NULL, "Reboot",
          ARG_FLAGS },
        { VR_PROC_DOMAIN_RESET, "virDomainReset", RW, X(vr_dom_flags), NOBODY, h_domain, TARGET_QEMU, NULL, "Reset",
          ARG_FLAGS },
        { VR_PROC_DOMAIN_SUSPEND, "virDomainSuspend", RW, X(vr_dom), NOBODY, h_domain, TARGET_QEMU, NULL, "Suspend",
          ARG_NONE },
        { VR_PROC_DOMAIN_RESUME, "virDomainResume", RW, X(vr_dom), NOBODY, h_domain, TARGET_QEMU, NULL, "Resume", ARG_NONE },
        { VR_PROC_DOMAIN_UNDEFINE, "virDomainUndefine", RW, X(vr_dom), NOBODY, h_domain, TARGET_QEMU, NULL, "Undefine",
          ARG_ZERO },
        { VR_PROC_DOMAIN_UNDEFINE_FLAGS, "virDomainUndefineFlags", RW, X(vr_dom_flags), NOBODY, h_domain, TARGET_QEMU,
          NULL, "Undefine", ARG_FLAGS },
        { VR_PROC_DOMAIN_GET_XML_DESC, "virDomainGetXMLDesc", RO, X(vr_dom_flags), X(vr_string), h_domain, TARGET_QEMU,
          NULL, "GetXMLDesc", ARG_FLAGS },
        { VR_PROC_DOMAIN_GET_STATE, "virDomainGetState", RO, X(vr_dom_flags), X(vr_domain_state), h_domain_state,
          TARGET_QEMU },
        { VR_PROC_DOMAIN_GET_INFO, "virDomainGetInfo", RO, X(vr_dom), X(vr_domain_info), h_domain_info, TARGET_QEMU },
        { VR_PROC_DOMAIN_GET_MAX_MEMORY, "virDomainGetMaxMemory", RO, X(vr_dom), X(vr_hyper), h_domain_info, TARGET_QEMU },
        { VR_PROC_DOMAIN_GET_OS_TYPE, "virDomainGetOSType", RO, X(vr_dom), X(vr_string), h_domain_os_type, TARGET_QEMU },
        { VR_PROC_DOMAIN_GET_AUTOSTART, "virDomainGetAutostart", RO, X(vr_dom), X(vr_int), h_domain_prop, TARGET_QEMU,
          NULL, "Autostart" },
        { VR_PROC_DOMAIN_SET_AUTOSTART, "virDomainSetAutostart", RW, X(vr_dom_int), NOBODY, h_domain_set_autostart,
          TARGET_QEMU },
        { VR_PROC_DOMAIN_IS_ACTIVE, "virDomainIsActive", RO, X(vr_dom), X(vr_int), h_domain_prop, TARGET_QEMU, NULL,
          "Active" },
        { VR_PROC_DOMAIN_IS_PERSISTENT, "virDomainIsPersistent", RO, X(vr_dom), X(vr_int), h_domain_prop, TARGET_QEMU,
          NULL, "Persistent" },
        { VR_PROC_DOMAIN_IS_UPDATED, "virDomainIsUpdated", RO, X(vr_dom), X(vr_int), h_domain_prop, TARGET_QEMU, NULL,
          "Updated" },
        { VR_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, "virDomainHasManagedSaveImage", RO, X(vr_dom_flags), X(vr_int),
          h_domain_prop, TARGET_QEMU, NULL, "HasManagedSaveImage" },
        { VR_PROC_DOMAIN_HAS_CURRENT_SNAPSHOT, "virDomainHasCurrentSnapshot", RO, X(vr_dom_flags), X(vr_int),
          h_domain_prop, TARGET_QEMU, NULL, "HasCurrentSnapshot" },
        { VR_PROC_DOMAIN_GET_SCHEDULER_TYPE, "virDomainGetSchedulerType", RO, X(vr_dom), X(vr_sched_type), h_local },
        { VR_PROC_DOMAIN_GET_SECURITY_LABEL, "virDomainGetSecurityLabel", RO, X(vr_dom), X(vr_security_label), h_local },
        { VR_PROC_DOMAIN_GET_MESSAGES, "virDomainGetMessages", RO, X(vr_dom_flags), X(vr_messages), h_local },
        { VR_PROC_DOMAIN_SAVE, "virDomainSave", RW, X(vr_save_args), NOBODY, h_domain_save, TARGET_QEMU },
        { VR_PROC_DOMAIN_SAVE_FLAGS, "virDomainSaveFlags", RW, X(vr_save_flags_args), NOBODY, h_domain_save, TARGET_QEMU },
        { VR_PROC_DOMAIN_MANAGED_SAVE, "virDomainManagedSave", RW, X(vr_dom_flags), NOBODY, h_domain, TARGET_QEMU, NULL,
          "ManagedSave", ARG_FLAGS },
        { VR_PROC_DOMAIN_MANAGED_SAVE_REMOVE, "virDomainManagedSaveRemove", RW, X(vr_dom_flags), NOBODY, h_domain,
          TARGET_QEMU, NULL, "ManagedSaveRemove", ARG_FLAGS },
        { VR_PROC_DOMAIN_MANAGED_SAVE_GET_XML_DESC, "virDomainManagedSaveGetXMLDesc", RO, X(vr_dom_flags), X(vr_string),
          h_domain, TARGET_QEMU, NULL, "ManagedSaveGetXMLDesc", ARG_FLAGS },
        { VR_PROC_DOMAIN_MANAGED_SAVE_DEFINE_XML, "virDomainManagedSaveDefineXML", RW, X(vr_managed_save_define_args),
          NOBODY, h_managed_save_define, TARGET_QEMU },
        { VR_PROC_DOMAIN_RENAME, "virDomainRename", RW, X(vr_rename_args), X(vr_int), h_rename, TARGET_QEMU },

        /* snapshots */
        { VR_PROC_DOMAIN_SNAPSHOT_CREATE_XML, "virDomainSnapshotCreateXML", RW, X(vr_snap_create_args), X(vr_snap),
          h_snapshot_of_domain, TARGET_QEMU },
        { VR_PROC_DOMAIN_SNAPSHOT_LOOKUP_BY_NAME, "virDomainSnapshotLookupByName", RO, X(vr_snap_lookup_args), X(vr_snap),
          h_snapshot_of_domain, TARGET_QEMU },
        { VR_PROC_DOMAIN_SNAPSHOT_CURRENT, "virDomainSnapshotCurrent", RO, X(vr_dom_flags), X(vr_snap),
          h_snapshot_of_domain, TARGET_QEMU },
        { VR_PROC_DOMAIN_SNAPSHOT_NUM, "virDomainSnapshotNum", RO, X(vr_dom_flags), X(vr_int), h_snapshot_list, TARGET_QEMU },
        { VR_PROC_DOMAIN_LIST_ALL_SNAPSHOTS, "virDomainListAllSnapshots", RO, X(vr_dom_list_args), X(vr_snapshot_list),
          h_snapshot_list, TARGET_QEMU },
        { VR_PROC_DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN, "virDomainSnapshotListAllChildren", RO, X(vr_snap_list_args),
          X(vr_snapshot_list), h_snapshot_list, TARGET_QEMU },
        { VR_PROC_DOMAIN_SNAPSHOT_GET_XML_DESC, "virDomainSnapshotGetXMLDesc", RO, X(vr_snap_flags), X(vr_string),
          h_snapshot, TARGET_QEMU, NULL, "GetXMLDesc" },
        { VR_PROC_DOMAIN_REVERT_TO_SNAPSHOT, "virDomainRevertToSnapshot", RW, X(vr_snap_flags), NOBODY, h_snapshot,
          TARGET_QEMU, NULL, "Revert" },
        { VR_PROC_DOMAIN_SNAPSHOT_DELETE, "virDomainSnapshotDelete", RW, X(vr_snap_flags), NOBODY, h_snapshot, TARGET_QEMU,
          NULL, "Delete" },
        { VR_PROC_DOMAIN_SNAPSHOT_GET_PARENT, "virDomainSnapshotGetParent", RO, X(vr_snap_flags), X(vr_snap), h_snapshot,
          TARGET_QEMU, NULL, NULL, 1 },
        { VR_PROC_DOMAIN_SNAPSHOT_IS_CURRENT, "virDomainSnapshotIsCurrent", RO, X(vr_snap_flags), X(vr_int), h_snapshot,
          TARGET_QEMU },
        { VR_PROC_DOMAIN_SNAPSHOT_HAS_METADATA, "virDomainSnapshotHasMetadata", RO, X(vr_snap_flags), X(vr_int), h_local },

        /* storage pools */
        { VR_PROC_CONNECT_LIST_ALL_STORAGE_POOLS, "virConnectListAllStoragePools", RO, X(vr_list_args), X(vr_pool_list),
          h_storage_list, TARGET_STORAGE },
        { VR_PROC_STORAGE_POOL_LOOKUP_BY_NAME, "virStoragePoolLookupByName", RO, X(vr_string), X(vr_pool_one),
          h_manager_pool, TARGET_STORAGE, NULL, "StoragePoolLookupByName" },
        { VR_PROC_STORAGE_POOL_LOOKUP_BY_UUID, "virStoragePoolLookupByUUID", RO, X(vr_uuid_args), X(vr_pool_one),
          h_manager_pool, TARGET_STORAGE, NULL, "StoragePoolLookupByUUID" },
        { VR_PROC_STORAGE_POOL_DEFINE_XML, "virStoragePoolDefineXML", RW, X(vr_xml_flags), X(vr_pool_one), h_manager_pool,
          TARGET_STORAGE, NULL, "StoragePoolDefineXML" },
        { VR_PROC_STORAGE_POOL_CREATE_XML, "virStoragePoolCreateXML", RW, X(vr_xml_flags), X(vr_pool_one), h_manager_pool,
          TARGET_STORAGE, NULL, "StoragePoolCreateXML" },
        { VR_PROC_STORAGE_POOL_CREATE, "virStoragePoolCreate", RW, X(vr_pool_flags), NOBODY, h_pool, TARGET_STORAGE, NULL,
          "Create", ARG_FLAGS },
        { VR_PROC_STORAGE_POOL_BUILD, "virStoragePoolBuild", RW, X(vr_pool_flags), NOBODY, h_pool, TARGET_STORAGE, NULL,
          "Build", ARG_FLAGS },
        { VR_PROC_STORAGE_POOL_DESTROY, "virStoragePoolDestroy", RW, X(vr_pool_one), NOBODY, h_pool, TARGET_STORAGE, NULL,
          "Destroy", ARG_NONE },
        { VR_PROC_STORAGE_POOL_DELETE, "virStoragePoolDelete", RW, X(vr_pool_flags), NOBODY, h_pool, TARGET_STORAGE, NULL,
          "Delete", ARG_FLAGS },
        { VR_PROC_STORAGE_POOL_UNDEFINE, "virStoragePoolUndefine", RW, X(vr_pool_one), NOBODY, h_pool, TARGET_STORAGE,
          NULL, "Undefine", ARG_NONE },
        { VR_PROC_STORAGE_POOL_REFRESH, "virStoragePoolRefresh", RW, X(vr_pool_flags), NOBODY, h_pool, TARGET_STORAGE,
          NULL, "Refresh", ARG_FLAGS },
        { VR_PROC_STORAGE_POOL_GET_XML_DESC, "virStoragePoolGetXMLDesc", RO, X(vr_pool_flags), X(vr_string), h_pool,
          TARGET_STORAGE, NULL, "GetXMLDesc", ARG_FLAGS },
        { VR_PROC_STORAGE_POOL_GET_INFO, "virStoragePoolGetInfo", RO, X(vr_pool_one), X(vr_pool_info), h_pool_info,
          TARGET_STORAGE },
        { VR_PROC_STORAGE_POOL_GET_AUTOSTART, "virStoragePoolGetAutostart", RO, X(vr_pool_one), X(vr_int), h_pool_prop,
          TARGET_STORAGE, NULL, "Autostart" },
        { VR_PROC_STORAGE_POOL_SET_AUTOSTART, "virStoragePoolSetAutostart", RW, X(vr_pool_int), NOBODY,
          h_pool_set_autostart, TARGET_STORAGE },
        { VR_PROC_STORAGE_POOL_IS_ACTIVE, "virStoragePoolIsActive", RO, X(vr_pool_one), X(vr_int), h_pool_prop,
          TARGET_STORAGE, NULL, "Active" },
        { VR_PROC_STORAGE_POOL_IS_PERSISTENT, "virStoragePoolIsPersistent", RO, X(vr_pool_one), X(vr_int), h_pool_prop,
          TARGET_STORAGE, NULL, "Persistent" },
        { VR_PROC_STORAGE_POOL_NUM_OF_VOLUMES, "virStoragePoolNumOfVolumes", RO, X(vr_pool_one), X(vr_int),
          h_storage_list, TARGET_STORAGE },
        { VR_PROC_STORAGE_POOL_LIST_ALL_VOLUMES, "virStoragePoolListAllVolumes", RO, X(vr_pool_list_args),
          X(vr_vol_list), h_storage_list, TARGET_STORAGE },

        /* storage volumes */
        { VR_PROC_STORAGE_VOL_CREATE_XML, "virStorageVolCreateXML", RW, X(vr_vol_create_args), X(vr_vol_one),
          h_vol_from_pool, TARGET_STORAGE },
        { VR_PROC_STORAGE_VOL_CREATE_XML_FROM, "virStorageVolCreateXMLFrom", RW, X(vr_vol_create_from_args),
          X(vr_vol_one), h_vol_from_pool, TARGET_STORAGE },
        { VR_PROC_STORAGE_VOL_LOOKUP_BY_NAME, "virStorageVolLookupByName", RO, X(vr_vol_lookup_args), X(vr_vol_one),
          h_vol_from_pool, TARGET_STORAGE },
        { VR_PROC_STORAGE_VOL_LOOKUP_BY_KEY, "virStorageVolLookupByKey", RO, X(vr_string), X(vr_vol_one), h_vol_lookup,
          TARGET_STORAGE, NULL, "StorageVolLookupByKey" },
        { VR_PROC_STORAGE_VOL_LOOKUP_BY_PATH, "virStorageVolLookupByPath", RO, X(vr_string), X(vr_vol_one), h_vol_lookup,
          TARGET_STORAGE, NULL, "StorageVolLookupByPath" },
        { VR_PROC_STORAGE_VOL_DELETE, "virStorageVolDelete", RW, X(vr_vol_flags), NOBODY, h_vol, TARGET_STORAGE, NULL,
          "Delete" },
        { VR_PROC_STORAGE_VOL_WIPE, "virStorageVolWipe", RW, X(vr_vol_flags), NOBODY, h_vol, TARGET_STORAGE, NULL, "Wipe" },
        { VR_PROC_STORAGE_VOL_RESIZE, "virStorageVolResize", RW, X(vr_vol_resize_args), NOBODY, h_vol, TARGET_STORAGE },
        { VR_PROC_STORAGE_VOL_GET_INFO, "virStorageVolGetInfo", RO, X(vr_vol_one), X(vr_vol_info), h_vol, TARGET_STORAGE },
        { VR_PROC_STORAGE_VOL_GET_XML_DESC, "virStorageVolGetXMLDesc", RO, X(vr_vol_flags), X(vr_string), h_vol,
          TARGET_STORAGE },
        { VR_PROC_STORAGE_VOL_GET_PATH, "virStorageVolGetPath", RO, X(vr_vol_one), X(vr_string), h_vol, TARGET_STORAGE },

        /* streams */
        { VR_PROC_DOMAIN_OPEN_CONSOLE, "virDomainOpenConsole", RW, X(vr_console_args), NOBODY, h_open_console,
          TARGET_QEMU },
        { VR_PROC_STORAGE_VOL_UPLOAD, "virStorageVolUpload", RW, X(vr_vol_transfer_args), NOBODY, h_vol_transfer,
          TARGET_STORAGE },
        { VR_PROC_STORAGE_VOL_DOWNLOAD, "virStorageVolDownload", RW, X(vr_vol_transfer_args), NOBODY, h_vol_transfer,
          TARGET_STORAGE },

        /* events: registering is reading */
        { VR_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, "virConnectDomainEventRegisterAny", RO,
          X(vr_domain_event_register_args), X(vr_int), events_register, TARGET_QEMU },
        { VR_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, "virConnectDomainEventDeregisterAny", RO, X(vr_int),
          NOBODY, events_deregister },
        { VR_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY, "virConnectNetworkEventRegisterAny", RO,
          X(vr_network_event_register_args), X(vr_int), events_register },
        { VR_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY, "virConnectNetworkEventDeregisterAny", RO, X(vr_int), NOBODY,
          events_deregister },
        { VR_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY, "virConnectStoragePoolEventRegisterAny", RO,
          X(vr_pool_event_register_args), X(vr_int), events_register },
        { VR_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY, "virConnectStoragePoolEventDeregisterAny", RO, X(vr_int),
          NOBODY, events_deregister },
        { VR_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY, "virConnectNodeDeviceEventRegisterAny", RO,
          X(vr_node_device_event_register_args), X(vr_int), events_register },
        { VR_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY, "virConnectNodeDeviceEventDeregisterAny", RO, X(vr_int),
          NOBODY, events_deregister },
        { VR_PROC_CONNECT_SECRET_EVENT_REGISTER_ANY, "virConnectSecretEventRegisterAny", RO,
          X(vr_secret_event_register_args), X(vr_int), events_register },
        { VR_PROC_CONNECT_SECRET_EVENT_DEREGISTER_ANY, "virConnectSecretEventDeregisterAny", RO, X(vr_int), NOBODY,
          events_deregister },
};

const Procedure *procedure_find(int proc) {
        for (size_t i = 0; i < G_N_ELEMENTS(procedures); i++)
                if (procedures[i].proc == proc)
                        return &procedures[i];
        return NULL;
}

size_t procedure_count(void) {
        return G_N_ELEMENTS(procedures);
}

const Procedure *procedure_at(size_t i) {
        return i < G_N_ELEMENTS(procedures) ? &procedures[i] : NULL;
}
