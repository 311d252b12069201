/* vmmctl's shared pieces: the command table types, the connection and the helpers every command uses. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "vmmd/qemu1.h"
#include "vmmd/storage1.h"


/* Exit codes: virsh's, so scripts written for it keep working. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1

typedef struct Ctl {
        char *uri;              /* what -c or $VMMD_BUS_ADDRESS asked for; NULL = default bus */
        sd_bus *bus;            /* connected lazily: `vmmctl help` must work without a bus */
} Ctl;

/* A command option. A boolean option with a nonzero `flag` contributes that bit to the
 * method's flags, so most commands never look at their options one by one. */
typedef struct CtlOpt {
        const char *name;       /* without the leading "--" */
        const char *value_name; /* non-NULL: takes a value, shown in help as --name VALUE */
        uint32_t flag;
        const char *help;
} CtlOpt;

typedef struct CtlArgs {
        GHashTable *opts;       /* option name → value ("" for booleans) */
        GPtrArray *pos;         /* positional arguments */
        GPtrArray *seq;         /* every value option as given, name and value in turn, so a
                                 * repeatable one (--diskspec) keeps all of its values */
        uint32_t flags;         /* OR of the `flag` of every boolean option given */
} CtlArgs;

typedef struct CtlCommand {
        const char *name;
        int (*run)(Ctl *ctl, const CtlArgs *args);
        const char *synopsis;   /* the arguments part, e.g. "DOMAIN [--inactive]" */
        const char *help;
        const CtlOpt *opts;     /* NULL-name terminated, may be NULL */
        unsigned min_args;
        unsigned max_args;
} CtlCommand;

/* Per-file command tables, NULL-name terminated. */
extern const CtlCommand ctl_domain_commands[];
extern const CtlCommand ctl_lifecycle_commands[];
extern const CtlCommand ctl_save_commands[];
extern const CtlCommand ctl_event_commands[];
extern const CtlCommand ctl_console_commands[];
extern const CtlCommand ctl_snapshot_commands[];

/* Domain properties as a client shows them (one GetAll). */
typedef struct CtlDomainInfo {
        char *path;
        char *name;
        char *uuid;
        int32_t id;
        int32_t state;
        int32_t reason;
        bool active;
        bool persistent;
        bool autostart;
        bool updated;
        bool has_managed_save;
        bool has_current_snapshot;
} CtlDomainInfo;

void ctl_domain_info_free(CtlDomainInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CtlDomainInfo, ctl_domain_info_free)

/* vmmctl-console.c: dom is a name, UUID, Id or object path; device NULL or "" is the first
 * serial port; flags are OpenConsole's. */
int ctl_console_attach(Ctl *ctl, const char *dom, const char *device, uint32_t flags);

/* vmmctl-util.c */
int ctl_connect(Ctl *ctl);
void ctl_print_bus_error(const sd_bus_error *error, int r);
void ctl_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Calls a method on the daemon; on failure prints the error and returns negative. */
int ctl_call(Ctl *ctl, const char *path, const char *iface, const char *member,
             sd_bus_message **ret_reply, const char *types, ...);
int ctl_call_manager(Ctl *ctl, const char *member, sd_bus_message **ret_reply, const char *types, ...);

/* How a daemon's manager finds its objects: Lookup methods by name and by UUID (each taking "s", answering
 * "o"), and the error the by-name one answers for an unknown name. */
typedef struct CtlLookup {
        const char *bus_name, *manager_path, *manager_iface;
        const char *by_name, *by_uuid;
        const char *not_found;
} CtlLookup;

/* arg as a name, then (when that is not_found and arg looks like one) as a UUID, the order of
 * ctl_domain_lookup; prints the by-name error and returns negative when neither finds it. */
/* The object path a lookup reply carries, copied. */
int ctl_read_path(sd_bus_message *reply, char **ret_path);
int ctl_lookup_name_or_uuid(Ctl *ctl, const CtlLookup *l, const char *arg, char **ret_path);
/* NAME, then UUID, then numeric Id. Prints the error and returns negative when not found. */
int ctl_domain_lookup(Ctl *ctl, const char *arg, char **ret_path);
int ctl_domain_info_get(Ctl *ctl, const char *path, CtlDomainInfo **ret_info);
/* quiet: a domain that vanished since it was listed is not worth an error line. */
int ctl_domain_info_get_full(Ctl *ctl, const char *path, bool quiet, CtlDomainInfo **ret_info);
/* Calls a method on the domain named by arg. */
int ctl_call_domain(Ctl *ctl, const char *arg, const char *member, sd_bus_message **ret_reply,
                    const char *types, ...);
/* Reads a string reply (GetXMLDesc, GetCapabilities, …) and prints it with one trailing newline. */
int ctl_print_string_reply(sd_bus_message *reply);

bool ctl_is_uuid(const char *s);
char *ctl_absolute_path(const char *path);
/* Runs $VISUAL, else $EDITOR, else vi on file (through the shell); prints the error itself. */
int ctl_run_editor(const char *file);
/* Reads a file named on the command line; prints the error itself. */
char *ctl_read_file(const char *path);
/* Reads the optional --xml FILE; *ret_xml is "" when absent (D-Bus has no NULL, spec 0.11). */
int ctl_read_opt_xml(const CtlArgs *args, const char *opt, char **ret_xml);

const char *ctl_state_to_string(int state);
const char *ctl_state_reason_to_string(int state, int reason);

bool ctl_args_has(const CtlArgs *args, const char *opt);
const char *ctl_args_get(const CtlArgs *args, const char *opt);
const char *ctl_args_pos(const CtlArgs *args, unsigned i);
/* Every value of a repeatable option, in command-line order (NULL-terminated, strings borrowed). */
const char **ctl_args_get_all(const CtlArgs *args, const char *opt);

/* vmmctl-pool.c, vmmctl-vol.c: storage pools and volumes, served by vmmd-storage on its own bus name. */

extern const CtlCommand ctl_pool_commands[];
extern const CtlCommand ctl_vol_commands[];
/* vmmctl-net.c: virtual networks, served by vmmd-network on its own bus name. */
extern const CtlCommand ctl_net_commands[];

/* ctl_call for org.vmmd.storage1: prints the error and returns negative on failure. */
int ctl_storage_call(Ctl *ctl, const char *path, const char *iface, const char *member,
                     sd_bus_message **ret_reply, const char *types, ...);
/* NAME, then UUID. Prints the error and returns negative when not found. */
int ctl_pool_lookup(Ctl *ctl, const char *arg, char **ret_path);
/* A string property of a pool or volume object; prints the error itself. */
int ctl_storage_get_string(Ctl *ctl, const char *path, const char *iface, const char *prop, char **ret);
/* virsh's sizes: a number with an optional suffix (b, k/KiB, KB, M/MiB, MB, … E/EiB, EB). */
int ctl_parse_size(const char *s, uint64_t *ret);
/* virsh's human units: "1.50 GiB", "512.00 B". */
char *ctl_pretty_capacity(uint64_t bytes);
/* "Capacity:       1.00 GiB" (or "… 1073741824 bytes"), as virsh's pool-info and vol-info print it. */
void ctl_print_size_row(const char *label, uint64_t bytes, bool in_bytes);
/* virsh's vshTable: a header, a rule, rows left-aligned in columns three spaces apart, a blank line.
 * cells holds ncols strings per row, the header row first. */
void ctl_print_table(GPtrArray *cells, guint ncols);

/* vmmctl-xml.c: an element tree of the XML vmmd sends back (GMarkup, no libxml2). */
typedef struct CtlXml CtlXml;
CtlXml *ctl_xml_parse(const char *xml, GError **error);
void ctl_xml_free(CtlXml *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CtlXml, ctl_xml_free)
const char *ctl_xml_name(const CtlXml *n);
CtlXml *ctl_xml_child(const CtlXml *n, const char *name);       /* the first element so named; n may be NULL */
CtlXml *ctl_xml_next_child(const CtlXml *n, const char *name, guint *i);  /* NULL name: any element */
const char *ctl_xml_attr(const CtlXml *n, const char *attr);
char *ctl_xml_text(const CtlXml *n);                    /* all text inside, as XPath's string(); n may be NULL */
void ctl_xml_set_text(CtlXml *n, const char *text);     /* replaces the content */
void ctl_xml_remove(CtlXml *n);                         /* takes it out of its parent and frees it */
char *ctl_xml_format(const CtlXml *n);

/* The --json output of the lists: an array of flat objects, printed pretty (two-space indent,
 * "name" : value) with one trailing newline. Written here rather than with json-glib: linking
 * json-glib (and the GIO it pulls in) cost every vmmctl run a millisecond of start-up. */
typedef struct {
        GString *text;
        guint objects, members;
} CtlJsonList;

void ctl_json_list_begin(CtlJsonList *j);
void ctl_json_list_object(CtlJsonList *j);                          /* starts the next object */
void ctl_json_list_string(CtlJsonList *j, const char *name, const char *value);  /* NULL: null */
void ctl_json_list_int(CtlJsonList *j, const char *name, gint64 value);
void ctl_json_list_bool(CtlJsonList *j, const char *name, bool value);
void ctl_json_list_print(CtlJsonList *j);                           /* prints and frees */

/* vmmctl-secret.c: secrets, served by vmmd-secret on its own bus name. */
extern const CtlCommand ctl_secret_commands[];

/* vmmctl-nwfilter.c: network filters and bindings, served by vmmd-nwfilter on its own bus name. */
extern const CtlCommand ctl_nwfilter_commands[];
