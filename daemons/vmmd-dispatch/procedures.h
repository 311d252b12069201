/* What the per-kind procedure files (procedures-*.c) share: their tables, the table macros, and the helpers that turn D-Bus replies into libvirt's wire structures. */
#pragma once

#include "dispatch.h"

#define PROPS "org.freedesktop.DBus.Properties"
#define OBJMGR "org.freedesktop.DBus.ObjectManager"

/* how a generic handler passes arguments */
enum { ARG_NONE, ARG_ZERO, ARG_FLAGS };

/* the table rows: body codecs, and whether the read-only socket may call */
#define X(t) (xdrproc_t) xdr_##t, sizeof(t)
#define NOBODY NULL, 0
#define RO true
#define RW false

/* One kind of object's rows. */
typedef struct ProcedureTable {
        const Procedure *rows;
        size_t n;
} ProcedureTable;

extern const ProcedureTable procedures_connect;
extern const ProcedureTable procedures_domain;
extern const ProcedureTable procedures_storage;
extern const ProcedureTable procedures_network;
extern const ProcedureTable procedures_secret;

/* ---------- names, UUIDs and object paths ---------- */
void uuid_format(const void *bytes, char out[37]);
bool uuid_parse(const char *s, void *bytes);
char *path_under(const char *prefix, const char *element);
/* prefix/<the UUID, formatted>: where an object named by UUID lives */
char *uuid_path(const char *prefix, const void *uuid);
/* the last element of an object path, decoded (snapshot and volume names) */
char *path_last(const char *path);

/* ---------- properties ---------- */
typedef struct Props {
        char *name;
        char *uuid;
        char *key;
        char *path;
        char *pool;
        char *usage_id;  /* secrets */
        int usage_type;
        int id;
        int flag;        /* the one boolean property a caller asked for */
} Props;

void props_clear(Props *p);
/* Reads an a{sv} of properties; wanted_bool names the boolean that goes to p->flag. */
int props_read(sd_bus_message *m, Props *p, const char *wanted_bool);
/* GetManagedObjects' reply: object path → Props of want_iface */
GHashTable *read_objects(sd_bus_message *reply, const char *want_iface, int *ret_r);
void objects_free(GHashTable *found);

/* ---------- the object a method answers with ---------- */

/* What the shared steps need of one kind of object. */
struct ObjectKind {
        const char *bus;
        const char *iface;
        /* Fills the wire object (vr_domain, vr_pool, …) from the object's properties; false
         * when they lack something. */
        bool (*fill)(void *wire, const Props *p);
};

/* c->path's properties, then the wire object that starts c->ret (every such reply starts with
 * it), of the kind c->kind. */
void get_object_props(Call *c);
/* A method answered with an object path (into c->path), then get_object_props(). */
void step_object_path(Call *c, sd_bus_message *reply);

/* A LIST_ALL reply's array (an rpcgen array: *val of *len elements of elem_size) from the
 * paths in c->paths, in their order, each filled by c->kind from its properties in found
 * (read_objects); an object gone between the two calls is simply not listed. */
void fill_object_list(Call *c, GHashTable *found, void *val, u_int *len, size_t elem_size);
/* The old list calls' names (or another string property, pick): at most max of them. */
void fill_name_list(Call *c, GHashTable *found, vr_name_list *nl, int max, char *(*pick)(const Props *p));

/* ---------- replies ---------- */
void fail_reply(Call *c, int r);
/* Reads the object path a method answered with into c->path. */
bool read_path(Call *c, sd_bus_message *reply);
/* Reads an "ao" reply into c->paths. */
bool read_paths(Call *c, sd_bus_message *reply);
void step_void(Call *c, sd_bus_message *reply);
void step_string(Call *c, sd_bus_message *reply);
/* a Properties.Get of a boolean, as libvirt's int */
void step_bool_prop(Call *c, sd_bus_message *reply);
