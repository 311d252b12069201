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
