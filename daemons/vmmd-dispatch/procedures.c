/* The procedure table's lookup and what the per-kind procedure files share: UUIDs, object paths, properties, common reply steps. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "dispatch-names.h"
#include "dispatch.h"
#include "log.h"
#include "procedures.h"

/* ---------- names, UUIDs and object paths ---------- */

void uuid_format(const void *bytes, char out[37]) {
        const uint8_t *u = bytes;

        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

bool uuid_parse(const char *s, void *bytes) {
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

char *path_under(const char *prefix, const char *element) {
        char *p = NULL;

        if (sd_bus_path_encode(prefix, element, &p) < 0)
                return NULL;
        return p;
}

char *uuid_path(const char *prefix, const void *uuid) {
        char u[37];

        uuid_format(uuid, u);
        return path_under(prefix, u);
}

/* the last element of an object path, decoded (snapshot and volume names) */
char *path_last(const char *path) {
        const char *slash = strrchr(path, '/');
        g_autofree char *prefix = slash ? g_strndup(path, slash - path) : NULL;
        char *name = NULL;

        if (!prefix || sd_bus_path_decode(path, prefix, &name) <= 0)
                return g_strdup("");
        return name;
}

/* ---------- properties ---------- */

void props_clear(Props *p) {
        g_free(p->name);
        g_free(p->uuid);
        g_free(p->key);
        g_free(p->path);
        g_free(p->pool);
        g_free(p->usage_id);
}

/* Reads an a{sv} of properties; wanted_bool names the boolean that goes to p->flag. */
int props_read(sd_bus_message *m, Props *p, const char *wanted_bool) {
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
                                     g_str_equal(key, "Pool") ? &p->pool :
                                     g_str_equal(key, "UsageID") ? &p->usage_id : NULL;

                        r = sd_bus_message_read(m, "v", contents, &v);
                        if (r >= 0 && dst) {
                                g_free(*dst);
                                *dst = g_strdup(v);
                        }
                } else if (g_str_equal(contents, "i") && g_str_equal(key, "Id")) {
                        r = sd_bus_message_read(m, "v", "i", &p->id);
                } else if (g_str_equal(contents, "i") && g_str_equal(key, "UsageType")) {
                        r = sd_bus_message_read(m, "v", "i", &p->usage_type);
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

void fail_reply(Call *c, int r) {
        call_fail(c, VR_ERR_INTERNAL_ERROR, "unexpected reply from the daemon: %s", g_strerror(r < 0 ? -r : EBADMSG));
}

/* Reads the object path a method answered with into c->path. */
bool read_path(Call *c, sd_bus_message *reply) {
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
bool read_paths(Call *c, sd_bus_message *reply) {
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

void step_void(Call *c, sd_bus_message *reply) {
        call_reply(c);
}

void step_string(Call *c, sd_bus_message *reply) {
        const char *s;
        int r = sd_bus_message_read(reply, "s", &s);

        if (r < 0) {
                fail_reply(c, r);
                return;
        }
        ((vr_string *) c->ret)->value = g_strdup(s);
        call_reply(c);
}

void step_bool_prop(Call *c, sd_bus_message *reply) {
        int v = 0;
        int r = sd_bus_message_read(reply, "v", "b", &v);

        if (r < 0) {
                fail_reply(c, r);
                return;
        }
        ((vr_int *) c->ret)->value = !!v;
        call_reply(c);
}

/* Domain, pool and volume lists: the paths, then everyone's properties from the ObjectManager. */
GHashTable *read_objects(sd_bus_message *reply, const char *want_iface, int *ret_r) {
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

void objects_free(GHashTable *found) {
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, found);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                props_clear(v);
                g_free(v);
        }
        g_hash_table_unref(found);
}

/* ---------- the object a method answers with ---------- */

static void step_object_props(Call *c, sd_bus_message *reply) {
        Props p = { 0 };
        int r = props_read(reply, &p, NULL);

        if (r < 0 || !c->kind->fill(c->ret, &p))
                fail_reply(c, r);
        else
                call_reply(c);
        props_clear(&p);
}

void get_object_props(Call *c) {
        call_bus(c, step_object_props, c->kind->bus, c->path, PROPS, "GetAll", "s", c->kind->iface);
}

void step_object_path(Call *c, sd_bus_message *reply) {
        if (read_path(c, reply))
                get_object_props(c);
}

void fill_object_list(Call *c, GHashTable *found, void *val, u_int *len, size_t elem_size) {
        guint n = g_strv_length(c->paths);
        char *items = g_malloc0(n ? n * elem_size : 1);

        *len = 0;
        for (guint i = 0; i < n; i++) {
                Props *p = g_hash_table_lookup(found, c->paths[i]);

                if (p && c->kind->fill(items + *len * elem_size, p))
                        (*len)++;
        }
        *(char **) val = items;
}

void fill_name_list(Call *c, GHashTable *found, vr_name_list *nl, int max, char *(*pick)(const Props *p)) {
        guint n = g_strv_length(c->paths);

        nl->names.names_val = g_new0(char *, n ? n : 1);
        for (guint i = 0; i < n && (int) nl->names.names_len < max; i++) {
                Props *p = g_hash_table_lookup(found, c->paths[i]);
                char *v = p ? pick(p) : NULL;

                if (v)
                        nl->names.names_val[nl->names.names_len++] = g_strdup(v);
        }
}

/* ---------- the table ---------- */

/* Each kind of object brings its own rows; a procedure number appears in exactly one. */
static const ProcedureTable *const tables[] = {
        &procedures_connect, &procedures_domain, &procedures_storage, &procedures_network, &procedures_secret,
};

const Procedure *procedure_find(int proc) {
        for (size_t t = 0; t < G_N_ELEMENTS(tables); t++)
                for (size_t i = 0; i < tables[t]->n; i++)
                        if (tables[t]->rows[i].proc == proc)
                                return &tables[t]->rows[i];
        return NULL;
}

size_t procedure_count(void) {
        size_t n = 0;

        for (size_t t = 0; t < G_N_ELEMENTS(tables); t++)
                n += tables[t]->n;
        return n;
}

const Procedure *procedure_at(size_t i) {
        for (size_t t = 0; t < G_N_ELEMENTS(tables); t++) {
                if (i < tables[t]->n)
                        return &tables[t]->rows[i];
                i -= tables[t]->n;
        }
        return NULL;
}
