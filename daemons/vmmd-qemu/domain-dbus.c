/* The bus glue of domain objects: one fallback vtable, object lookup from the path, and the node enumerator. */
#include <errno.h>
#include <string.h>

#include "caller.h"
#include "domain-console.h"
#include "domain-lifecycle.h"
#include "domain-save.h"
#include "cleanup.h"
#include "error.h"
#include "host-info.h"
#include "log.h"
#include "qemu-dbus.h"
#include "qemu-process.h"

char *domain_bus_path(const Domain *d) {
        return vmmd_bus_path_encode(QEMU_DOMAIN_PREFIX, d->uuid);
}

/* a domain being undefined is gone for callers already */
static void *find_domain(void *userdata, const char *uuid) {
        Domain *d = manager_find_by_uuid(userdata, uuid);
        return d && !d->removing ? d : NULL;
}

static Domain *domain_from_path(Manager *m, const char *path, sd_bus_error *error) {
        return vmmd_bus_find_object(path, QEMU_DOMAIN_PREFIX, find_domain, m, VMMD_ERROR_NO_DOMAIN,
                                    "no domain with uuid '%s'", error);
}

Domain *domain_from_message(Manager *m, sd_bus_message *msg, sd_bus_error *error) {
        return domain_from_path(m, sd_bus_message_get_path(msg), error);
}

/* Any well-formed domain path is "found" so that calls on an unknown UUID answer
 * NoDomain (spec 0.3) after the privilege and flag checks (0.4), instead of the
 * bus's UnknownObject. */
static int domain_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                              void **ret_found, sd_bus_error *error) {
        g_autofree char *uuid = vmmd_bus_path_decode(path, QEMU_DOMAIN_PREFIX);

        if (!uuid)
                return 0;
        *ret_found = userdata;
        return 1;
}

static void domain_nodes(void *userdata, GPtrArray *paths) {
        Manager *m = userdata;
        GHashTableIter it;
        Domain *d;

        g_hash_table_iter_init(&it, m->domains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &d))
                if (!d->removing)
                        g_ptr_array_add(paths, domain_bus_path(d));
}

/* --- properties --- */

/* What the property appenders get: the domain and, when a reply lists every domain, the names
 * that have a managed save image, read from the directory once (an access() per domain was a
 * tenth of GetManagedObjects at 1000 domains). */
typedef struct {
        const Domain *d;
        GHashTable *saves;   /* NULL: ask the disk for this domain */
} DomainProps;

#define PROPS_DOMAIN(obj) (((const DomainProps *) (obj))->d)

/* Each property appended from the domain: the vtable's getters and GetManagedObjects share these. */
static int append_name(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append_basic(reply, 's', domain_name(PROPS_DOMAIN(obj)));
}

static int append_uuid(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append_basic(reply, 's', PROPS_DOMAIN(obj)->uuid);
}

static int append_id(sd_bus_message *reply, const void *obj) {
        int32_t id = PROPS_DOMAIN(obj)->id;
        return sd_bus_message_append_basic(reply, 'i', &id);
}

static int append_state(sd_bus_message *reply, const void *obj) {
        const Domain *d = PROPS_DOMAIN(obj);
        int32_t state = (int32_t) d->state, reason = (int32_t) d->reason;
        int r;

        /* not sd_bus_message_append(): its format parsing cost more than the two numbers */
        r = sd_bus_message_open_container(reply, 'r', "ii");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'i', &state);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'i', &reason);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int append_bool(sd_bus_message *reply, bool b) {
        int v = b;
        return sd_bus_message_append_basic(reply, 'b', &v);
}

static int append_active(sd_bus_message *reply, const void *obj) {
        return append_bool(reply, domain_is_active(PROPS_DOMAIN(obj)));
}

static int append_persistent(sd_bus_message *reply, const void *obj) {
        return append_bool(reply, PROPS_DOMAIN(obj)->persistent);
}

static int append_autostart(sd_bus_message *reply, const void *obj) {
        return append_bool(reply, PROPS_DOMAIN(obj)->autostart);
}

static int append_updated(sd_bus_message *reply, const void *obj) {
        return append_bool(reply, domain_is_updated(PROPS_DOMAIN(obj)));
}

static int append_managed_save(sd_bus_message *reply, const void *obj) {
        const DomainProps *p = obj;

        if (p->saves)
                return append_bool(reply, g_hash_table_contains(p->saves, domain_name(p->d)));
        return append_bool(reply, domain_has_managed_save(p->d));
}

static int append_current_snapshot(sd_bus_message *reply, const void *obj) {
        return append_bool(reply, PROPS_DOMAIN(obj)->current_snapshot != NULL);
}

/* in the vtable's order: GetAll and GetManagedObjects list them alike */
static const VmmdBusProperty domain_properties[] = {
        { "Name", "s", append_name },
        { "UUID", "s", append_uuid },
        { "Id", "i", append_id },
        { "State", "(ii)", append_state },
        { "Active", "b", append_active },
        { "Persistent", "b", append_persistent },
        { "Autostart", "b", append_autostart },
        { "Updated", "b", append_updated },
        { "HasManagedSaveImage", "b", append_managed_save },
        { "HasCurrentSnapshot", "b", append_current_snapshot },
};

#define DOMAIN_PROPERTY(fn, append)                                                     \
        VMMD_BUS_DEFINE_PROPERTY(fn, Domain, domain_from_path, {                        \
                DomainProps props = { .d = obj };                                       \
                return append(reply, &props);                                           \
        })

DOMAIN_PROPERTY(property_name, append_name)
DOMAIN_PROPERTY(property_uuid, append_uuid)
DOMAIN_PROPERTY(property_id, append_id)
DOMAIN_PROPERTY(property_state, append_state)
DOMAIN_PROPERTY(property_active, append_active)
DOMAIN_PROPERTY(property_persistent, append_persistent)
DOMAIN_PROPERTY(property_autostart, append_autostart)
DOMAIN_PROPERTY(property_updated, append_updated)
DOMAIN_PROPERTY(property_managed_save, append_managed_save)
DOMAIN_PROPERTY(property_current_snapshot, append_current_snapshot)

int domain_bus_append_all_managed(sd_bus_message *reply, Manager *m) {
        g_autoptr(GHashTable) saves = manager_managed_save_names(m);
        g_autoptr(GString) path = g_string_sized_new(128);
        GHashTableIter it;
        Domain *d;
        int r = 0;

        g_hash_table_iter_init(&it, m->domains);
        while (r >= 0 && g_hash_table_iter_next(&it, NULL, (gpointer *) &d)) {
                DomainProps props = { .d = d, .saves = saves };

                /* one being undefined is gone for callers already, as for the node enumerator */
                if (!d->removing) {
                        g_string_truncate(path, 0);
                        vmmd_bus_path_encode_append(path, QEMU_DOMAIN_PREFIX, d->uuid);
                        r = vmmd_bus_append_managed_object(reply, path->str, QEMU_DOMAIN_INTERFACE, domain_properties,
                                                           G_N_ELEMENTS(domain_properties), &props);
                }
                if (r >= 0)
                        r = snapshot_bus_append_managed(reply, d);
        }
        return r;
}

/* A reply that lists domains: an array of sig, one element per domain appended by append, each
 * given the domain's path escaped into one reused buffer */
typedef int (*DomainEntryFunc)(sd_bus_message *reply, const Domain *d, const char *path);

static int reply_domains(sd_bus_message *msg, const GPtrArray *domains, const char *sig, DomainEntryFunc append) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GString) path = g_string_sized_new(128);
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', sig);
        for (guint i = 0; r >= 0 && i < domains->len; i++) {
                const Domain *d = g_ptr_array_index(domains, i);

                g_string_truncate(path, 0);
                vmmd_bus_path_encode_append(path, QEMU_DOMAIN_PREFIX, d->uuid);
                r = append(reply, d, path->str);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int append_path_entry(sd_bus_message *reply, const Domain *d, const char *path) {
        return sd_bus_message_append_basic(reply, 'o', path);
}

static int append_state_entry(sd_bus_message *reply, const Domain *d, const char *path) {
        int32_t state = (int32_t) d->state, reason = (int32_t) d->reason, id = (int32_t) d->id;
        int persistent = d->persistent, autostart = d->autostart;
        int r;

        /* one call per field: sd_bus_message_append() parsed its format for every domain */
        r = sd_bus_message_open_container(reply, 'r', "ossiiibb");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'o', path);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', domain_name(d));
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', d->uuid);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'i', &state);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'i', &reason);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'i', &id);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'b', &persistent);
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'b', &autostart);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

int domain_bus_reply_paths(sd_bus_message *msg, const GPtrArray *domains) {
        return reply_domains(msg, domains, "o", append_path_entry);
}

int domain_bus_reply_states(sd_bus_message *msg, const GPtrArray *domains) {
        return reply_domains(msg, domains, "(ossiiibb)", append_state_entry);
}

static int property_set_autostart(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *value, void *userdata, sd_bus_error *error) {
        return vmmd_bus_set_bool_property(bus, path, property, value, userdata, (VmmdBusLookupFunc) domain_from_path,
                                          (VmmdBusSetBoolFunc) domain_set_autostart, error);
}

/* --- methods --- */

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *xml = NULL;
        uint32_t flags;
        Domain *d;
        int r;

        r = vmmd_bus_read_flags(msg, "GetXMLDesc", DOMAIN_XML_ALL, false, DOMAIN_XML_SECURE, &flags, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        xml = domain_get_xml(d, flags);
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_get_state(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        Domain *d;
        int r;

        r = vmmd_bus_read_flags(msg, "GetState", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        return sd_bus_reply_method_return(msg, "ii", (int32_t) d->state, (int32_t) d->reason);
}

/* virDomainGetInfo's facts in one call: state, memory (KiB), running vCPUs, QEMU's CPU time (ns). */
static int method_get_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const DomainDef *def;
        uint64_t cpu_ns = 0;
        uint32_t flags;
        Domain *d;
        int r;

        r = vmmd_bus_read_flags(msg, "GetInfo", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        def = d->def;
        if (domain_is_active(d) && d->run.process)
                cpu_ns = host_process_cpu_time_ns(qemu_process_pid(d->run.process));
        return sd_bus_reply_method_return(msg, "ittut", (int32_t) d->state, (uint64_t) domain_def_get_memory_kib(def),
                                          (uint64_t) domain_def_get_current_memory_kib(def),
                                          (uint32_t) domain_def_get_vcpus(def), cpu_ns);
}

static int method_undefine(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        g_autofree char *name = NULL;
        uint32_t flags;
        Domain *d;
        int r;

        r = vmmd_bus_read_flags(msg, "Undefine", DOMAIN_UNDEFINE_ALL, true, 0, &flags, error);
        if (r < 0)
                return r;
        /* B3, B4: checked before the lookup */
        if ((flags & DOMAIN_UNDEFINE_NVRAM) && (flags & DOMAIN_UNDEFINE_KEEP_NVRAM))
                return vmmd_bus_error_setf(error, VMMD_ERROR_OPERATION_INVALID,
                                        "cannot both keep and delete nvram (NVRAM and KEEP_NVRAM)");
        if ((flags & DOMAIN_UNDEFINE_TPM) && (flags & DOMAIN_UNDEFINE_KEEP_TPM))
                return vmmd_bus_error_setf(error, VMMD_ERROR_OPERATION_INVALID,
                                        "cannot both keep and delete TPM state (TPM and KEEP_TPM)");
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        name = g_strdup(domain_name(d));
        if (!domain_undefine(d, flags, &gerr))
                return vmmd_error_to_bus(gerr, error);
        log_info("undefined domain '%s'", name);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_rename(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        const char *name;
        uint32_t flags;
        Domain *d;
        int r;

        r = vmmd_bus_read_text_and_flags(msg, "Rename", "name", 0, &name, &flags, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        if (!domain_rename(d, name, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, NULL);
}

/* --- lifecycle: the reply waits for the job --- */

/* a DomainCall the model finishes; the reply it waits for is the toolkit's */
typedef struct BusCall {
        DomainCall base;
        VmmdPendingReply *reply;
} BusCall;

static void bus_call_done(DomainCall *c, const GError *error) {
        BusCall *b = (BusCall *) c;

        (void) vmmd_pending_reply_finish(b->reply, error);
        g_free(b);
}

DomainCall *bus_call_new(sd_bus_message *msg, const char *reply_path) {
        BusCall *b = g_new0(BusCall, 1);

        b->base.done = bus_call_done;
        b->base.wait_ports = true;
        b->reply = vmmd_pending_reply_new(msg);
        if (reply_path)
                vmmd_pending_reply_set_path(b->reply, g_strdup(reply_path));
        return &b->base;
}

void bus_call_set_reply_path(DomainCall *c, char *path) {
        vmmd_pending_reply_set_path(((BusCall *) c)->reply, path);
}

void bus_call_free(DomainCall *c) {
        BusCall *b = (BusCall *) c;

        if (!b)
                return;
        vmmd_pending_reply_free(b->reply);
        g_free(b);
}

typedef bool (*LifecycleFunc)(Domain *d, unsigned flags, DomainCall *call, GError **error);

static bool do_reset(Domain *d, unsigned flags, DomainCall *call, GError **error) {
        return domain_reset(d, call, error);
}

static bool do_suspend(Domain *d, unsigned flags, DomainCall *call, GError **error) {
        return domain_suspend(d, call, error);
}

static bool do_resume(Domain *d, unsigned flags, DomainCall *call, GError **error) {
        return domain_resume(d, call, error);
}

static bool do_create(Domain *d, unsigned flags, DomainCall *call, GError **error) {
        return domain_create(d, flags, call, error);
}

static bool do_managed_save(Domain *d, unsigned flags, DomainCall *call, GError **error) {
        return domain_save(d, NULL, NULL, flags, call, error);
}

int bus_check_save_flags(const char *method, uint32_t flags, uint32_t allowed, sd_bus_error *error) {
        int r = vmmd_bus_check_flags(method, flags, allowed, error);

        if (r < 0)
                return r;
        if ((flags & DOMAIN_SAVE_RUNNING) && (flags & DOMAIN_SAVE_PAUSED))
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG,
                                         "%s: flags SAVE_RUNNING and SAVE_PAUSED exclude each other", method);
        return 0;
}

int bus_check_file_arg(const char *method, const char *file, sd_bus_error *error) {
        if (!*file)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "%s: file must not be empty", method);
        if (file[0] != '/')
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG,
                                         "%s: file '%s' must be an absolute path", method, file);
        return 0;
}

static int method_save(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        const char *file, *dxml;
        uint32_t flags;
        DomainCall *call;
        Domain *d;
        int r;

        r = vmmd_caller_require_privileged(msg, "Save", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "ssu", &file, &dxml, &flags);
        if (r < 0)
                return r;
        r = bus_check_save_flags("Save", flags, DOMAIN_SAVE_BYPASS_CACHE | DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED, error);
        if (r < 0)
                return r;
        r = bus_check_file_arg("Save", file, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        call = bus_call_new(msg, NULL);
        if (!domain_save(d, file, dxml, flags, call, &gerr)) {
                bus_call_free(call);
                return vmmd_error_to_bus(gerr, error);
        }
        return 1;
}

static int method_managed_save_remove(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        uint32_t flags;
        Domain *d;
        int r;

        r = vmmd_bus_read_flags(msg, "ManagedSaveRemove", 0, true, 0, &flags, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        if (!domain_managed_save_remove(d, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_managed_save_get_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        g_autofree char *xml = NULL;
        uint32_t flags;
        Domain *d;
        int r;

        r = vmmd_bus_read_flags(msg, "ManagedSaveGetXMLDesc", DOMAIN_XML_SECURE, false, DOMAIN_XML_SECURE, &flags, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        xml = domain_managed_save_get_xml(d, flags & DOMAIN_XML_SECURE, &gerr);
        if (!xml)
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_managed_save_define(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        const char *dxml;
        uint32_t flags;
        Domain *d;
        int r;

        r = vmmd_caller_require_privileged(msg, "ManagedSaveDefineXML", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "su", &dxml, &flags);
        if (r < 0)
                return r;
        r = bus_check_save_flags("ManagedSaveDefineXML", flags, DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED, error);
        if (r < 0)
                return r;
        if (!*dxml)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "ManagedSaveDefineXML: dxml must not be empty");
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        if (!domain_managed_save_define_xml(d, dxml, flags, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, NULL);
}

typedef int (*FlagCheckFunc)(const char *method, uint32_t flags, uint32_t allowed, sd_bus_error *error);

/* privilege → flags → lookup → the model, which replies when its job is over */
static int run_lifecycle_checked(sd_bus_message *msg, Manager *m, const char *method, bool has_flags,
                                 uint32_t allowed, FlagCheckFunc check, LifecycleFunc fn, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        uint32_t flags;
        DomainCall *call;
        Domain *d;
        int r;

        r = vmmd_bus_begin_privileged(msg, method, has_flags, allowed, &flags, error);
        if (r >= 0 && has_flags && check)
                r = check(method, flags, allowed, error);   /* the pairs that exclude each other */
        if (r < 0)
                return r;
        d = domain_from_message(m, msg, error);
        if (!d)
                return -ENOENT;
        call = bus_call_new(msg, NULL);
        if (!fn(d, flags, call, &gerr)) {
                bus_call_free(call);
                return vmmd_error_to_bus(gerr, error);
        }
        return 1;
}

static int method_managed_save(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_lifecycle_checked(msg, userdata, "ManagedSave", true,
                                     DOMAIN_SAVE_BYPASS_CACHE | DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED,
                                     bus_check_save_flags, do_managed_save, error);
}

static int run_lifecycle(sd_bus_message *msg, Manager *m, const char *method, bool has_flags, uint32_t allowed,
                         LifecycleFunc fn, sd_bus_error *error) {
        return run_lifecycle_checked(msg, m, method, has_flags, allowed, NULL, fn, error);
}

/* Create: the lifecycle path, plus START_AUTODESTROY tied to the caller's connection as
 * DomainCreateXML does (A29) */
static int method_create(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(GError) gerr = NULL;
        uint32_t flags;
        DomainCall *call;
        Domain *d;
        int r;

        r = vmmd_bus_read_flags(msg, "Create", DOMAIN_START_PAUSED | DOMAIN_START_AUTODESTROY |
                                DOMAIN_START_BYPASS_CACHE | DOMAIN_START_FORCE_BOOT | DOMAIN_START_RESET_NVRAM,
                                true, 0, &flags, error);
        if (r < 0)
                return r;
        d = domain_from_message(m, msg, error);
        if (!d)
                return -ENOENT;
        call = bus_call_new(msg, NULL);
        if (!do_create(d, flags, call, &gerr)) {
                bus_call_free(call);
                return vmmd_error_to_bus(gerr, error);
        }
        /* the start is under way (d is active or resolving volumes): from now on the
         * caller's disconnect destroys it */
        if (flags & DOMAIN_START_AUTODESTROY)
                manager_bus_track_autodestroy(m, d, msg);
        return 1;
}

static int method_destroy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_lifecycle(msg, userdata, "Destroy", true, DOMAIN_DESTROY_GRACEFUL | DOMAIN_DESTROY_REMOVE_LOGS,
                             domain_destroy, error);
}

static int method_shutdown(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_lifecycle(msg, userdata, "Shutdown", true,
                             DOMAIN_SHUTDOWN_ACPI_POWER_BTN | DOMAIN_SHUTDOWN_GUEST_AGENT, domain_shutdown, error);
}

static int method_reboot(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_lifecycle(msg, userdata, "Reboot", true,
                             DOMAIN_REBOOT_ACPI_POWER_BTN | DOMAIN_REBOOT_GUEST_AGENT, domain_reboot, error);
}

static int method_reset(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_lifecycle(msg, userdata, "Reset", true, 0, do_reset, error);
}

static int method_suspend(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_lifecycle(msg, userdata, "Suspend", false, 0, do_suspend, error);
}

static int method_resume(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_lifecycle(msg, userdata, "Resume", false, 0, do_resume, error);
}

static void on_console_ready(Domain *d, int fd, const GError *error, void *userdata) {
        g_autoptr(sd_bus_message) msg = userdata;

        if (error) {
                (void) vmmd_bus_reply_result(msg, error, NULL);
                return;
        }
        (void) sd_bus_reply_method_return(msg, "h", fd);   /* the bus duplicates fd */
        close(fd);
}

static int method_open_console(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        const char *device;
        uint32_t flags;
        Domain *d;
        int r;

        r = vmmd_caller_require_privileged(msg, "OpenConsole", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "su", &device, &flags);
        if (r < 0)
                return r;
        r = vmmd_bus_check_flags("OpenConsole", flags, DOMAIN_CONSOLE_FORCE | DOMAIN_CONSOLE_SAFE, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        sd_bus_message_ref(msg);
        if (!domain_open_console(d, device, on_console_ready, msg, &gerr)) {
                sd_bus_message_unref(msg);
                return vmmd_error_to_bus(gerr, error);
        }
        return 1;
}

/* libvirt's virDomainGetJobInfo in brief: job type (0 none, 1 bounded), bytes done and in all */
static int method_get_job_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        Domain *d;
        int r;

        r = vmmd_bus_read_flags(msg, "GetJobInfo", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        if (d->run.job != DOMAIN_JOB_SAVE && !d->run.restore)
                return sd_bus_reply_method_return(msg, "itt", 0, (uint64_t) 0, (uint64_t) 0);
        return sd_bus_reply_method_return(msg, "itt", 1, d->run.job_processed, d->run.job_total);
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable domain_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_name, 0, EMITS),
        SD_BUS_PROPERTY("UUID", "s", property_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Id", "i", property_id, 0, EMITS),
        SD_BUS_PROPERTY("State", "(ii)", property_state, 0, EMITS),
        SD_BUS_PROPERTY("Active", "b", property_active, 0, EMITS),
        SD_BUS_PROPERTY("Persistent", "b", property_persistent, 0, EMITS),
        SD_BUS_WRITABLE_PROPERTY("Autostart", "b", property_autostart, property_set_autostart, 0, EMITS | UNPRIV),
        SD_BUS_PROPERTY("Updated", "b", property_updated, 0, EMITS),
        SD_BUS_PROPERTY("HasManagedSaveImage", "b", property_managed_save, 0, EMITS),
        SD_BUS_PROPERTY("HasCurrentSnapshot", "b", property_current_snapshot, 0, EMITS),
        SD_BUS_METHOD_WITH_ARGS("Create", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_create, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_destroy, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Shutdown", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_shutdown, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Reboot", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_reboot, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Reset", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_reset, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Suspend", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_suspend, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Resume", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_resume, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Undefine", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_undefine, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml),
                                method_get_xml_desc, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetState", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("i", state, "i", reason),
                                method_get_state, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetInfo", SD_BUS_ARGS("u", flags),
                                SD_BUS_RESULT("i", state, "t", max_memory_kib, "t", memory_kib, "u", vcpus, "t", cpu_time_ns),
                                method_get_info, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Rename", SD_BUS_ARGS("s", name, "u", flags), SD_BUS_NO_RESULT, method_rename, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Save", SD_BUS_ARGS("s", file, "s", dxml, "u", flags), SD_BUS_NO_RESULT,
                                method_save, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("ManagedSave", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_managed_save, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("ManagedSaveRemove", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT,
                                method_managed_save_remove, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("ManagedSaveGetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml),
                                method_managed_save_get_xml, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("ManagedSaveDefineXML", SD_BUS_ARGS("s", dxml, "u", flags), SD_BUS_NO_RESULT,
                                method_managed_save_define, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("SnapshotCreateXML", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_RESULT("o", snapshot),
                                method_snapshot_create, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("ListDomainSnapshots", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("ao", snapshots),
                                method_list_snapshots, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("SnapshotLookupByName", SD_BUS_ARGS("s", name, "u", flags),
                                SD_BUS_RESULT("o", snapshot), method_snapshot_lookup, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("SnapshotCurrent", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("o", snapshot),
                                method_snapshot_current, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("OpenConsole", SD_BUS_ARGS("s", device, "u", flags), SD_BUS_RESULT("h", fd),
                                method_open_console, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetJobInfo", SD_BUS_ARGS("u", flags),
                                SD_BUS_RESULT("i", type, "t", processed, "t", total), method_get_job_info, UNPRIV),
        SD_BUS_SIGNAL("Reboot", "", 0),
        SD_BUS_VTABLE_END,
};

int domain_bus_register(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_fallback_vtable(bus, NULL, QEMU_DOMAIN_PREFIX, QEMU_DOMAIN_INTERFACE, domain_vtable,
                                       domain_object_find, m);
        if (r < 0)
                return r;
        return vmmd_bus_add_node_enumerator(bus, QEMU_DOMAIN_PREFIX, domain_nodes, m);
}
