/* Storage pool and volume procedures, and the volume upload/download streams: forwarded to vmmd-storage. */
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

static char *pool_path(const vr_pool *p) {
        return uuid_path(DISPATCH_STORAGE_POOL_PREFIX, p->uuid);
}

static bool fill_pool(void *wire, const Props *p) {
        vr_pool *d = wire;

        if (!p->name || !uuid_parse(p->uuid, d->uuid))
                return false;
        d->name = g_strdup(p->name);
        return true;
}

/* ---------- storage pools ---------- */

#define ARG_POOL(c) ((const vr_pool *) (c)->args)

static const ObjectKind pool_kind = { DISPATCH_STORAGE_BUS, DISPATCH_STORAGE_POOL, fill_pool };

static void h_manager_pool(Call *c) {
        const char *q = DISPATCH_STORAGE_BUS, *p = DISPATCH_STORAGE_PATH, *i = DISPATCH_STORAGE_MANAGER;
        const char *m = c->proc->member;

        c->kind = &pool_kind;
        switch (c->proc->proc) {
        case VR_PROC_STORAGE_POOL_LOOKUP_BY_NAME:
                call_bus(c, step_object_path, q, p, i, m, "s", ((vr_string *) c->args)->value);
                break;
        case VR_PROC_STORAGE_POOL_LOOKUP_BY_UUID: {
                char u[37];

                uuid_format(((vr_uuid_args *) c->args)->uuid, u);
                call_bus(c, step_object_path, q, p, i, m, "s", u);
                break;
        }
        default: {
                vr_xml_flags *a = c->args;

                call_bus(c, step_object_path, q, p, i, m, "su", a->xml, a->flags);
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

        if (r < 0) {
                objects_free(found);
                fail_reply(c, r);
                return;
        }
        fill_object_list(c, found, &l->pools.pools_val, &l->pools.pools_len, sizeof(vr_pool));
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
                c->kind = &pool_kind;
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

/* ---------- streams: volume upload and download ---------- */

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

static const Procedure rows[] = {
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
        { VR_PROC_STORAGE_VOL_UPLOAD, "virStorageVolUpload", RW, X(vr_vol_transfer_args), NOBODY, h_vol_transfer,
          TARGET_STORAGE },
        { VR_PROC_STORAGE_VOL_DOWNLOAD, "virStorageVolDownload", RW, X(vr_vol_transfer_args), NOBODY, h_vol_transfer,
          TARGET_STORAGE },
};

const ProcedureTable procedures_storage = { rows, G_N_ELEMENTS(rows) };
