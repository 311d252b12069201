/* The vmmd-secret model: every secret with its value in memory, definitions and sealed values on disk. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "paths.h"
#include "secret-conf.h"
#include "seal.h"
#include "secret-events.h"

struct Secret {
        SecretDef *def;
        uint8_t *value;        /* NULL when there is none; cleared before it is freed */
        size_t value_len;
        bool has_value;
        /* the stored value exists but cannot be opened (X16): why, without any content */
        char *unreadable;
        /* the stored value was sealed under another key: it is kept, never overwritten */
        bool other_key;
};

typedef struct Manager {
        VmmdPaths *paths;
        GHashTable *secrets;      /* uuid → Secret* (owned) */
        MasterKey *key;
        /* X8: the bus names whose owners may call the Internal interface (config file
         * vmmd-secret.conf, [secret] internal_clients; default vmmd-qemu's and vmmd-storage's) */
        char **internal_clients;
        const SecretListener *listener;
        void *listener_data;
} Manager;

Manager *manager_new(VmmdPaths *paths);   /* takes paths; looks up the master key, reads the config file */
void manager_free(Manager *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Manager, manager_free)
void manager_set_listener(Manager *m, const SecretListener *listener, void *userdata);

/* Reads every <uuid>.xml and unseals its <uuid>.sealed (X16). */
void manager_load(Manager *m);

Secret *manager_find_by_uuid(Manager *m, const char *uuid);
/* NULL for type NONE (X10) */
Secret *manager_find_by_usage(Manager *m, int usage_type, const char *usage_id);

/* SecretDefineXML (X1–X5). */
Secret *manager_define_xml(Manager *m, const char *xml, unsigned flags, GError **error);
/* ListSecrets (X11): sorted by uuid. */
GPtrArray *manager_list(Manager *m, unsigned flags);
/* Undefine (X13): s is freed on success. */
bool manager_undefine(Manager *m, Secret *s, GError **error);

/* SetValue (X6): value is copied. */
bool manager_set_value(Manager *m, Secret *s, const uint8_t *value, size_t len, GError **error);
/* GetValue (X7) and Internal.GetValue (X8, internal: private secrets too): the value, borrowed
 * from s; NULL with NoSecret, InvalidSecret or OperationFailed. */
const uint8_t *manager_get_value(Manager *m, Secret *s, bool internal, size_t *ret_len, GError **error);

/* True while an ephemeral secret exists: it would be lost on an idle exit (X15). */
bool manager_is_busy(Manager *m);

const char *secret_uuid(const Secret *s);

/* The daemon's config file: vmmd-secret.conf next to the definitions directory
 * (/etc/vmmd/vmmd-secret.conf, $XDG_CONFIG_HOME/vmmd/vmmd-secret.conf). */
char *manager_config_file(const VmmdPaths *paths);
/* Its internal_clients list: the defaults when the file or the key is absent or the file
 * cannot be read; names that are not valid well-known bus names are left out. */
char **manager_read_internal_clients(const char *config_file);
