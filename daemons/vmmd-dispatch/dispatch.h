/* vmmd-dispatch's core types: the server (sockets, bus, event cache), a client connection, a forwarded call, the procedure table. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "libvirt-remote.h"

typedef struct Server Server;
typedef struct Client Client;
typedef struct Call Call;
typedef struct ObjectKind ObjectKind;

/* What one object is called on the wire, kept from its daemon's properties so that an event
 * about an object that is already gone still names it. */
typedef struct ObjectName {
        char *name;
        uint8_t uuid[16];
        int id;                    /* domains */
        int usage_type;            /* secrets */
        char *usage_id;
        bool known;                /* the properties were read */
        bool fetching;             /* a GetAll for them is on its way */
        bool fetch_failed;         /* the object was gone when asked */
} ObjectName;

typedef enum { EVENTS_DOMAIN, EVENTS_POOL, EVENTS_NETWORK, EVENTS_SECRET, EVENTS_N } EventKind;

/* The objects of one daemon whose events are watched (events.c). */
typedef struct EventSource {
        EventKind kind;
        int register_proc;         /* the REGISTER_ANY procedure whose callbacks it feeds */
        const char *bus;           /* org.vmmd.qemu1 */
        const char *path;          /* its manager object */
        const char *manager;       /* the manager interface, which emits the lifecycle signal */
        const char *signal;        /* DomainEvent / StoragePoolEvent / NetworkEvent / SecretEvent */
        const char *object_iface;  /* the objects' interface */
        const char *prefix;        /* the objects' path prefix */
        const char *second;        /* the other event: an object's Reboot/Refresh, the manager's SecretValueChanged */
        bool second_on_manager;
        bool ready;
        bool pending;              /* the GetManagedObjects that fills the cache is on its way */
        GPtrArray *waiting;        /* Call * registrations answered once the cache is filled */
        GHashTable *names;         /* object path → ObjectName */
        sd_bus_slot *slots[4];
} EventSource;

struct Server {
        sd_event *event;
        sd_bus *bus;
        GPtrArray *listeners;      /* sd_event_source *, one per listening socket */
        GList *clients;            /* Client * */
        char *default_uri;         /* qemu:///system or qemu:///session */
        gid_t admin_gid;           /* (gid_t) -1 when the group does not exist */
        /* events: each source is set up on its first registration */
        EventSource sources[EVENTS_N];
        GQueue event_queue;        /* signals turned into events, in order, until their objects are named */
};

typedef struct EventCallback {
        int id;
        int proc;                  /* the register procedure it came from */
        int event_id;
        bool has_domain;
        uint8_t uuid[16];
} EventCallback;

struct Client {
        int refs;
        Server *server;
        int fd;
        sd_event_source *io;
        bool readonly;             /* came in on the -ro socket */
        bool denied;               /* peer may not use this (RW) socket: every call is refused */
        bool closed;
        char *uri;
        uid_t uid;
        /* the message being read */
        uint8_t len_buf[4];
        size_t len_fill;
        uint8_t *msg;
        size_t msg_len;
        size_t msg_fill;
        /* replies and events waiting to be written, in order */
        GQueue out;                /* GBytes * */
        size_t out_offset;
        GArray *callbacks;         /* EventCallback */
        GList *streams;            /* Stream * (stream.c) */
        int next_callback_id;
};

typedef void (*CallStep)(Call *c, sd_bus_message *reply);

typedef enum { TARGET_NONE, TARGET_QEMU, TARGET_STORAGE, TARGET_NETWORK, TARGET_SECRET } Target;

/* One row of the table: how a procedure's body is read and written, whether the read-only
 * socket may call it, and the handler that answers or forwards it. */
typedef struct Procedure {
        int proc;
        const char *api;           /* libvirt's API name, as libvirt's own errors name it */
        bool readonly;             /* allowed on the read-only socket */
        xdrproc_t args_proc;       /* NULL: no body */
        size_t args_size;
        xdrproc_t ret_proc;        /* NULL: empty reply */
        size_t ret_size;
        void (*handler)(Call *c);
        Target target;             /* whose errors these are (error domain) */
        const char *iface;         /* for the generic handlers */
        const char *member;
        int arg;                   /* handler-specific argument mapping */
} Procedure;

struct Call {
        Client *client;
        const Procedure *proc;
        vr_header header;
        void *args;
        void *ret;
        CallStep next;
        sd_bus_slot *slot;
        /* scratch the multi-step handlers carry between steps */
        const ObjectKind *kind;    /* the object the reply carries (procedures.h) */
        char *path;
        char **paths;
        char *str;
};

/* procedures.c (the table, made of procedures-*.c) */
const Procedure *procedure_find(int proc);
size_t procedure_count(void);
const Procedure *procedure_at(size_t i);
void call_start(Client *client, const vr_header *header, const uint8_t *body, size_t len);
void call_reply(Call *c);
void call_fail(Call *c, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void call_free(Call *c);
/* A daemon's error message as libvirt words it for this error number (exported for the tests). */
char *call_error_message(int code, const char *detail);
/* Sends the call to the bus; next() gets the reply, errors answer the client. */
int call_bus(Call *c, CallStep next, const char *dest, const char *path, const char *iface,
             const char *member, const char *types, ...);
/* The same for a method call already built (arguments call_bus cannot append, such as "ay"). */
int call_bus_message(Call *c, CallStep next, sd_bus_message *m);

/* client.c */
Client *client_new(Server *s, int fd, bool readonly);
Client *client_ref(Client *c);
void client_unref(Client *c);
void client_send(Client *c, GBytes *msg);
void client_close(Client *c);

/* server.c */
void server_client_gone(Server *s, Client *c);
/* events.c */
void events_init(Server *s);
void events_register(Call *c);
void events_deregister(Call *c);
void events_free(Server *s);
