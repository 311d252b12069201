/* The vmmd-network model: every known network, its definitions on disk, define/undefine/start/stop and autostart. No sd-bus here. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "network-conf.h"
#include "paths.h"
#include "process.h"

typedef struct NetManager NetManager;
typedef struct NetrtHelper NetrtHelper;

typedef struct Network {
        NetManager *manager;
        NetworkDef *def;         /* the running definition when active, else the stored one */
        NetworkDef *next_def;    /* a definition that waits for the next start (N5), or NULL */
        bool active;
        bool persistent;
        bool autostart;
        struct VmmdPidWatch *dnsmasq;   /* the running dnsmasq, watched with a pidfd */
        NetrtHelper *helper;            /* the nft or dnsmasq run in flight, or NULL */
        bool busy;                      /* a start, stop or update is under way */
        sd_event_source *dnsmasq_retry; /* a restart of a dnsmasq that died, waiting for its time */
        unsigned dnsmasq_restarts;      /* restarts since dnsmasq_restarts_since */
        uint64_t dnsmasq_restarts_since;
        GHashTable *ports;       /* port uuid → NetworkPortDef* (owned); a running network's only */
} Network;

/* What of a network changed (the glue maps each bit to its property) */
typedef enum {
        NETWORK_CHANGED_ACTIVE = 1u << 0,
        NETWORK_CHANGED_PERSISTENT = 1u << 1,
        NETWORK_CHANGED_AUTOSTART = 1u << 2,
        NETWORK_CHANGED_BRIDGE = 1u << 3,
} NetworkChange;

/* Called synchronously after the state on disk is written and before the method replies. */
typedef struct NetworkListener {
        void (*added)(void *userdata, Network *n);
        void (*removed)(void *userdata, Network *n);
        void (*event)(void *userdata, Network *n, int event);     /* NETWORK_EVENT_* */
        void (*changed)(void *userdata, Network *n, unsigned changes);
        void (*port_added)(void *userdata, Network *n, NetworkPortDef *port);
        void (*port_removed)(void *userdata, Network *n, NetworkPortDef *port);
} NetworkListener;

struct NetManager {
        sd_event *event;
        VmmdPaths *paths;
        GHashTable *networks;    /* uuid → Network* (owned) */
        const NetworkListener *listener;
        void *listener_data;
        bool sync_helpers;       /* at daemon start (load, autostart): helper programs run to the end at once */
};

NetManager *net_manager_new(VmmdPaths *paths);   /* takes paths */
void net_manager_free(NetManager *m);
void net_manager_set_listener(NetManager *m, const NetworkListener *listener, void *userdata);

/* Reads definitions and status files (spec §4); a status whose bridge is gone is dropped (N18). */
void net_manager_load(NetManager *m);
/* Autostarts networks once per boot (N17). */
void net_manager_autostart(NetManager *m);

Network *net_manager_find_by_uuid(NetManager *m, const char *uuid);
Network *net_manager_find_by_name(NetManager *m, const char *name);
/* The networks passing the NETWORK_LIST_* filters, sorted by name. */
GPtrArray *net_manager_list(NetManager *m, unsigned flags);

/* NetworkDefineXML (N1–N5) and NetworkCreateXML (N12). */
Network *net_manager_define_xml(NetManager *m, const char *xml, unsigned flags, GError **error);
/* Called once when a start, stop, update or transient create is over; n is NULL when the network is gone (a
 * failed transient create, a transient network that stopped). */
typedef void (*NetworkDoneFunc)(Network *n, const GError *error, void *userdata);

/* N12 (CreateXML): a transient network, on the bus only once it runs. */
void net_manager_create_xml(NetManager *m, const char *xml, unsigned flags, NetworkDoneFunc done, void *userdata);

bool network_undefine(Network *n, GError **error);   /* N6–N8; may free n */
/* N9, N10, N13; OperationInvalid when active or while another start, stop or update runs. */
void network_start(Network *n, NetworkDoneFunc done, void *userdata);
/* N16; frees n when it is transient. */
void network_destroy(Network *n, NetworkDoneFunc done, void *userdata);
bool network_set_autostart(Network *n, bool on, GError **error);   /* N17 */
/* GetXMLDesc: NETWORK_XML_INACTIVE gives the waiting or stored definition. */
char *network_get_xml(Network *n, unsigned flags);
/* Network.Update (spec §6): command, section and parent_index as network_def_update; flags
 * NETWORK_UPDATE_AFFECT_* (checked by the caller). LIVE rewrites the status file and tells dnsmasq (SIGHUP or a
 * restart); CONFIG rewrites the definition (a running network takes it at its next start). All or nothing
 * (a dnsmasq that cannot start again after a live range change is the one error after the change). */
void network_update(Network *n, unsigned command, unsigned section, int parent_index, const char *xml,
                    unsigned flags, NetworkDoneFunc done, void *userdata);
const char *network_name(const Network *n);

/* --- ports (spec §1.3): kept in <run_dir>/NAME/ports/<uuid>.xml while the network runs --- */

/* CreatePort: the network must be active; the port's plug is filled in from the network.
 * flags: NETWORK_PORT_CREATE_VALIDATE (RECLAIM is refused: there is nothing to reclaim). */
NetworkPortDef *network_create_port(Network *n, const char *xml, unsigned flags, GError **error);
/* Port.Delete: removes the file, then the port (freed). */
bool network_delete_port(Network *n, NetworkPortDef *port, GError **error);
NetworkPortDef *network_find_port(Network *n, const char *uuid);
/* The ports sorted by uuid. */
GPtrArray *network_list_ports(Network *n);
/* The bridge of an active network, else "" */
const char *network_bridge(const Network *n);
