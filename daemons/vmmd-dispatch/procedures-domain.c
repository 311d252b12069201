/* Domain and snapshot procedures, and the domain console stream: forwarded to vmmd-qemu. */
#include <fcntl.h>
#include <unistd.h>

#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "dispatch-names.h"
#include "dispatch.h"
#include "log.h"
#include "procedures.h"
#include "stream.h"

static char *domain_path(const vr_domain *d) {
        return uuid_path(DISPATCH_QEMU_DOMAIN_PREFIX, d->uuid);
}

static char *snapshot_path(const vr_snapshot *s) {
        g_autofree char *dom = domain_path(&s->dom);
        g_autofree char *prefix = g_strconcat(dom, "/snapshot", NULL);

        return path_under(prefix, s->name);
}

static void copy_domain(vr_domain *to, const vr_domain *from) {
        to->name = g_strdup(from->name);
        memcpy(to->uuid, from->uuid, 16);
        to->id = from->id;
}

static bool fill_domain(void *wire, const Props *p) {
        vr_domain *d = wire;

        if (!p->name || !uuid_parse(p->uuid, d->uuid))
                return false;
        d->name = g_strdup(p->name);
        d->id = p->id;
        return true;
}

/* ---------- domains ---------- */

/* Every domain argument struct starts with the domain. */
#define ARG_DOMAIN(c) ((const vr_domain *) (c)->args)

/* What a domain procedure answers without asking vmmd-qemu. */
static void h_domain_local(Call *c) {
        switch (c->proc->proc) {
        case VR_PROC_DOMAIN_GET_SCHEDULER_TYPE:
                /* vmmd sets no scheduler parameters: the host's default policy, none tunable */
                ((vr_sched_type *) c->ret)->type = g_strdup("posix");
                break;
        case VR_PROC_DOMAIN_GET_SECURITY_LABEL: {
                vr_security_label *r = c->ret;

                r->label.label_val = g_strdup("");
                r->label.label_len = 1;
                r->enforcing = 0;
                break;
        }
        case VR_PROC_DOMAIN_GET_MESSAGES:
                /* zeroed: no messages */
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

static const ObjectKind domain_kind = { DISPATCH_QEMU_BUS, DISPATCH_QEMU_DOMAIN, fill_domain };

/* Manager methods that answer with a domain. */
static void h_manager_domain(Call *c) {
        const char *m = c->proc->member, *q = DISPATCH_QEMU_BUS, *p = DISPATCH_QEMU_PATH, *i = DISPATCH_QEMU_MANAGER;

        c->kind = &domain_kind;
        switch (c->proc->proc) {
        case VR_PROC_DOMAIN_LOOKUP_BY_NAME:
                call_bus(c, step_object_path, q, p, i, m, "s", ((vr_string *) c->args)->value);
                break;
        case VR_PROC_DOMAIN_LOOKUP_BY_UUID: {
                char u[37];

                uuid_format(((vr_uuid_args *) c->args)->uuid, u);
                call_bus(c, step_object_path, q, p, i, m, "s", u);
                break;
        }
        case VR_PROC_DOMAIN_LOOKUP_BY_ID:
                call_bus(c, step_object_path, q, p, i, m, "i", ((vr_int *) c->args)->value);
                break;
        case VR_PROC_DOMAIN_DEFINE_XML:
                call_bus(c, step_object_path, q, p, i, m, "su", ((vr_string *) c->args)->value, 0);
                break;
        default: {
                vr_xml_flags *a = c->args;

                call_bus(c, step_object_path, q, p, i, m, "su", a->xml, a->flags);
        }
        }
}

static void step_refresh_domain(Call *c, sd_bus_message *reply) {
        get_object_props(c);
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
                c->kind = &domain_kind;
                next = step_refresh_domain;
        }
        call_bus(c, next, DISPATCH_QEMU_BUS, path, DISPATCH_QEMU_DOMAIN, c->proc->member, sig, flags);
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
                fill_object_list(c, found, &l->domains.domains_val, &l->domains.domains_len, sizeof(vr_domain));
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
        c->kind = &domain_kind;
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

static const Procedure rows[] = {
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
        { VR_PROC_DOMAIN_GET_SCHEDULER_TYPE, "virDomainGetSchedulerType", RO, X(vr_dom), X(vr_sched_type), h_domain_local },
        { VR_PROC_DOMAIN_GET_SECURITY_LABEL, "virDomainGetSecurityLabel", RO, X(vr_dom), X(vr_security_label), h_domain_local },
        { VR_PROC_DOMAIN_GET_MESSAGES, "virDomainGetMessages", RO, X(vr_dom_flags), X(vr_messages), h_domain_local },
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
        { VR_PROC_DOMAIN_SNAPSHOT_HAS_METADATA, "virDomainSnapshotHasMetadata", RO, X(vr_snap_flags), X(vr_int), h_domain_local },

        /* streams */
        { VR_PROC_DOMAIN_OPEN_CONSOLE, "virDomainOpenConsole", RW, X(vr_console_args), NOBODY, h_open_console,
          TARGET_QEMU },
};

const ProcedureTable procedures_domain = { rows, G_N_ELEMENTS(rows) };
