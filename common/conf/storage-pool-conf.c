/* Storage pool definitions: parse, format and validate libvirt's <pool> XML, plus the pieces both storage parsers share. */
#include "storage-conf-priv.h"
#include "name-rule.h"
#include "uuid.h"
#include "error.h"
#include "cleanup.h"

#include <errno.h>
#include <string.h>

VMMD_ENUM_IMPL(storage_pool_type, "dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct",
               "scsi", "mpath", "rbd", "sheepdog", "gluster", "zfs", "vstorage")
VMMD_ENUM_IMPL(storage_pool_refresh_alloc, "default", "capacity")

/* source/format/@type per pool type (libvirt's virStoragePool*Format tables); a type with
 * no list has no source format and ignores the element, as libvirt does. */
static const char *const fs_formats[] = {
        "auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2", "vfat", "hfs+",
        "xfs", "ocfs2", "vmfs", NULL,
};
static const char *const netfs_formats[] = { "auto", "nfs", "glusterfs", "cifs", NULL };
static const char *const disk_formats[] = {
        "unknown", "dos", "dvh", "gpt", "mac", "bsd", "pc98", "sun", "lvm2", NULL,
};
static const char *const logical_formats[] = { "unknown", "lvm2", NULL };

static const char *const *source_formats(StoragePoolType type) {
        switch (type) {
        case STORAGE_POOL_FS: return fs_formats;
        case STORAGE_POOL_NETFS: return netfs_formats;
        case STORAGE_POOL_DISK: return disk_formats;
        case STORAGE_POOL_LOGICAL: return logical_formats;
        default: return NULL;
        }
}

/* --- shared with storage-vol-conf.c --- */

char *storage_path_sanitize(const char *path) {
        GString *out;

        if (!path)
                return NULL;
        out = g_string_sized_new(strlen(path));
        for (const char *p = path; *p; p++) {
                if (*p == '/' && out->len > 0 && out->str[out->len - 1] == '/')
                        continue;
                g_string_append_c(out, *p);
        }
        if (out->len > 1 && out->str[out->len - 1] == '/')
                g_string_truncate(out, out->len - 1);
        return g_string_free(out, FALSE);
}

/* libvirt's virScaleInteger: one letter is 1024^n, "xB" 1000^n, "xiB" 1024^n, any case.
 * Returns 0 for an unknown unit. */
static uint64_t unit_scale(const char *unit) {
        static const char powers[] = "kmgtpe";
        size_t len = unit ? strlen(unit) : 0;
        const char *p;
        uint64_t base = 1024, scale = 1;

        if (len == 0 || g_ascii_strcasecmp(unit, "b") == 0 || g_ascii_strcasecmp(unit, "byte") == 0 ||
            g_ascii_strcasecmp(unit, "bytes") == 0)
                return 1;
        p = strchr(powers, g_ascii_tolower(unit[0]));
        if (!p)
                return 0;
        if (len == 2) {
                if (g_ascii_tolower(unit[1]) != 'b')
                        return 0;
                base = 1000;
        } else if (len == 3) {
                if (g_ascii_tolower(unit[1]) != 'i' || g_ascii_tolower(unit[2]) != 'b')
                        return 0;
        } else if (len != 1) {
                return 0;
        }
        for (const char *q = powers; q <= p; q++)
                scale *= base;
        return scale;
}

bool storage_size_parse(const char *value, const char *unit, uint64_t *ret, GError **error) {
        g_autofree char *v = g_strstrip(g_strdup(value ? value : ""));
        uint64_t n, scale = unit_scale(unit);
        char *end = NULL;
        bool range;

        if (!g_ascii_isdigit(v[0])) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "malformed size '%s'", v);
                return false;
        }
        errno = 0;
        n = g_ascii_strtoull(v, &end, 10);
        range = errno == ERANGE;
        if (*end != '\0') {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "malformed size '%s'", v);
                return false;
        }
        if (scale == 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "unknown size unit '%s'", unit);
                return false;
        }
        /* spec §3.2 names Overflow; error.h has no such code, so InvalidArg stands in */
        if (range || n > (uint64_t) G_MAXINT64 / scale) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "value too large: %s%s%s (limit 9223372036854775807 bytes)", v,
                            unit ? " " : "", unit ? unit : "");
                return false;
        }
        *ret = n * scale;
        return true;
}

int storage_size_parse_node(xmlNodePtr parent, const char *name, uint64_t *ret, GError **error) {
        xmlNodePtr node = xml_child(parent, name);
        g_autofree char *text = NULL;
        g_autofree char *unit = NULL;
        g_autoptr(GError) local = NULL;

        if (!node)
                return 0;
        text = xml_text(node);
        unit = xml_prop(node, "unit");
        if (!storage_size_parse(text, unit, ret, &local)) {
                g_set_error(error, VMMD_ERROR, local->code, "malformed %s element: %s", name, local->message);
                return -1;
        }
        return 1;
}

void storage_size_format(XmlBuf *buf, const char *name, uint64_t value) {
        g_autoptr(GString) attrs = g_string_new(NULL);
        g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, value);

        xml_attr(attrs, "unit", "bytes");
        xml_element_text(buf, name, attrs, text);
}

void storage_perms_init(StoragePerms *perms) {
        perms->mode = -1;
        perms->owner = -1;
        perms->group = -1;
        perms->label = NULL;
}

void storage_perms_clear(StoragePerms *perms) {
        g_clear_pointer(&perms->label, g_free);
}

void storage_perms_copy(StoragePerms *dst, const StoragePerms *src) {
        *dst = *src;
        dst->label = g_strdup(src->label);
}

/* A uid or gid: decimal, or -1 for "leave as is" as libvirt accepts. */
static bool parse_id(xmlNodePtr perms, const char *name, int64_t *ret, const char *what, GError **error) {
        g_autofree char *raw = xml_child_text(perms, name);
        g_autofree char *v = raw ? g_strstrip(g_strdup(raw)) : NULL;
        char *end = NULL;
        guint64 n;

        if (!v)
                return true;
        if (strcmp(v, "-1") == 0) {
                *ret = -1;
                return true;
        }
        errno = 0;
        n = g_ascii_strtoull(v, &end, 10);
        if (!g_ascii_isdigit(v[0]) || *end || errno || n >= G_MAXUINT32) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "malformed %s element in %s permissions: '%s'",
                            name, what, v);
                return false;
        }
        *ret = (int64_t) n;
        return true;
}

bool storage_perms_parse(xmlNodePtr parent, StoragePerms *perms, const char *what, GError **error) {
        xmlNodePtr node = xml_child(parent, "permissions");
        g_autofree char *mode = NULL;
        g_autofree char *label = NULL;

        if (!node)
                return true;
        mode = xml_child_text(node, "mode");
        if (mode) {
                char *end = NULL;
                guint64 m;

                g_strstrip(mode);
                errno = 0;
                m = g_ascii_strtoull(mode, &end, 8);
                if (!g_ascii_isdigit(mode[0]) || *end || errno || m > 0777) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "malformed octal mode '%s' in %s permissions", mode, what);
                        return false;
                }
                perms->mode = (int) m;
        }
        if (!parse_id(node, "owner", &perms->owner, what, error) ||
            !parse_id(node, "group", &perms->group, what, error))
                return false;
        label = xml_child_text(node, "label");
        if (label && *label) {
                g_free(perms->label);
                perms->label = g_steal_pointer(&label);
        }
        return true;
}

void storage_perms_format(XmlBuf *buf, const StoragePerms *perms) {
        g_auto(XmlBuf) child = { 0 };
        g_autofree char *mode = NULL, *owner = NULL, *group = NULL;

        xml_buf_init_child(&child, buf);
        if (perms->mode >= 0)
                mode = g_strdup_printf("%04o", (unsigned) perms->mode);
        if (perms->owner >= 0)
                owner = g_strdup_printf("%" G_GINT64_FORMAT, perms->owner);
        if (perms->group >= 0)
                group = g_strdup_printf("%" G_GINT64_FORMAT, perms->group);
        xml_element_text(&child, "mode", NULL, mode);
        xml_element_text(&child, "owner", NULL, owner);
        xml_element_text(&child, "group", NULL, group);
        xml_element_text(&child, "label", NULL, perms->label);
        xml_element(buf, "permissions", NULL, &child);
}

/* --- pool definitions --- */

StoragePoolDef *storage_pool_def_new(void) {
        StoragePoolDef *def = g_new0(StoragePoolDef, 1);

        storage_perms_init(&def->target_perms);
        return def;
}

static void pool_source_clear(StoragePoolSource *s) {
        for (size_t i = 0; i < s->ndevices; i++)
                g_free(s->devices[i].path);
        g_free(s->devices);
        for (size_t i = 0; i < s->nhosts; i++)
                g_free(s->hosts[i].name);
        g_free(s->hosts);
        g_free(s->dir);
        g_free(s->name);
        g_free(s->format);
        g_free(s->protocol_ver);
        g_free(s->vendor);
        g_free(s->product);
        g_free(s->initiator_iqn);
        g_free(s->adapter_type);
        g_free(s->adapter_name);
        g_free(s->adapter_parent);
        g_free(s->adapter_wwnn);
        g_free(s->adapter_wwpn);
        g_free(s->auth_type);
        g_free(s->auth_username);
        g_free(s->auth_secret_uuid);
        g_free(s->auth_secret_usage);
        memset(s, 0, sizeof(*s));
}

void storage_pool_def_free(StoragePoolDef *def) {
        if (!def)
                return;
        g_free(def->name);
        pool_source_clear(&def->source);
        g_free(def->target_path);
        storage_perms_clear(&def->target_perms);
        g_free(def);
}

StoragePoolDef *storage_pool_def_copy(const StoragePoolDef *def) {
        StoragePoolDef *c;
        const StoragePoolSource *s = &def->source;
        StoragePoolSource *d;

        if (!def)
                return NULL;
        c = g_new0(StoragePoolDef, 1);
        *c = *def;
        c->name = g_strdup(def->name);
        c->target_path = g_strdup(def->target_path);
        storage_perms_copy(&c->target_perms, &def->target_perms);
        d = &c->source;
        d->devices = g_new0(StoragePoolSourceDevice, s->ndevices);
        for (size_t i = 0; i < s->ndevices; i++) {
                d->devices[i] = s->devices[i];
                d->devices[i].path = g_strdup(s->devices[i].path);
        }
        d->hosts = g_new0(StoragePoolSourceHost, s->nhosts);
        for (size_t i = 0; i < s->nhosts; i++) {
                d->hosts[i] = s->hosts[i];
                d->hosts[i].name = g_strdup(s->hosts[i].name);
        }
        d->dir = g_strdup(s->dir);
        d->name = g_strdup(s->name);
        d->format = g_strdup(s->format);
        d->protocol_ver = g_strdup(s->protocol_ver);
        d->vendor = g_strdup(s->vendor);
        d->product = g_strdup(s->product);
        d->initiator_iqn = g_strdup(s->initiator_iqn);
        d->adapter_type = g_strdup(s->adapter_type);
        d->adapter_name = g_strdup(s->adapter_name);
        d->adapter_parent = g_strdup(s->adapter_parent);
        d->adapter_wwnn = g_strdup(s->adapter_wwnn);
        d->adapter_wwpn = g_strdup(s->adapter_wwpn);
        d->auth_type = g_strdup(s->auth_type);
        d->auth_username = g_strdup(s->auth_username);
        d->auth_secret_uuid = g_strdup(s->auth_secret_uuid);
        d->auth_secret_usage = g_strdup(s->auth_secret_usage);
        return c;
}

/* --- parse --- */

static bool parse_pool_name(StoragePoolDef *def, xmlNodePtr root, GError **error) {
        g_autofree char *name = vmmd_name_element_text(root);

        if (!name || !*name) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing pool name element");
                return false;
        }
        /* S2: a newline is XMLDetail, every other broken rule what '/' gives */
        if (!vmmd_name_check("pool", name, VMMD_ERROR_XML_ERROR, VMMD_ERROR_XML_DETAIL, error))
                return false;
        def->name = g_steal_pointer(&name);
        return true;
}

static bool parse_pool_uuid(StoragePoolDef *def, xmlNodePtr root, GError **error) {
        g_autofree char *raw = xml_child_text(root, "uuid");
        g_autofree char *s = raw ? g_strstrip(g_strdup(raw)) : NULL;

        if (!s || !*s) {
                vmmd_uuid_generate(def->uuid);
                return true;
        }
        if (!vmmd_uuid_parse(s, def->uuid)) {
                /* S2 makes this XMLError (libvirt says internal error) */
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "malformed uuid element '%s'", s);
                return false;
        }
        return true;
}

/* An attribute that must be present on an element the caller found. */
static char *required_prop(xmlNodePtr node, const char *attr, const char *what, GError **error) {
        char *v = xml_prop(node, attr);

        if (!v || !*v) {
                g_free(v);
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing %s", what);
                return NULL;
        }
        return v;
}

static bool parse_source_host(StoragePoolSource *s, xmlNodePtr node, GError **error) {
        g_autofree char *name = required_prop(node, "name", "storage pool host name", error);
        g_autofree char *port = NULL;
        StoragePoolSourceHost *h;
        unsigned p = 0;

        if (!name)
                return false;
        port = xml_prop(node, "port");
        if (port && (xml_prop_uint(node, "port", 65535, &p) < 0 || p == 0)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid storage pool host port '%s'", port);
                return false;
        }
        s->hosts = g_renew(StoragePoolSourceHost, s->hosts, s->nhosts + 1);
        h = &s->hosts[s->nhosts++];
        h->name = g_steal_pointer(&name);
        h->port = (int) p;
        return true;
}

static bool parse_source_device(StoragePoolSource *s, xmlNodePtr node, GError **error) {
        g_autofree char *path = required_prop(node, "path", "storage pool source device path", error);
        int sep;

        if (!path)
                return false;
        sep = xml_prop_tristate(node, "part_separator", "yes", "no");
        if (sep < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "invalid part_separator setting on device '%s'", path);
                return false;
        }
        s->devices = g_renew(StoragePoolSourceDevice, s->devices, s->ndevices + 1);
        s->devices[s->ndevices].path = g_steal_pointer(&path);
        s->devices[s->ndevices].part_separator = sep;
        s->ndevices++;
        return true;
}

static bool parse_source_auth(StoragePoolSource *s, xmlNodePtr node, GError **error) {
        xmlNodePtr secret = xml_child(node, "secret");
        g_autofree char *uuid = NULL;

        s->auth_type = xml_prop(node, "type");
        if (!s->auth_type || (strcmp(s->auth_type, "chap") != 0 && strcmp(s->auth_type, "ceph") != 0)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown auth type '%s'",
                            s->auth_type ? s->auth_type : "");
                return false;
        }
        s->auth_username = xml_prop(node, "username");
        if (!s->auth_username) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing auth username attribute");
                return false;
        }
        uuid = xml_prop(secret, "uuid");
        s->auth_secret_usage = xml_prop(secret, "usage");
        if (uuid) {
                char u[37];

                if (!vmmd_uuid_parse(uuid, u)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "malformed auth secret uuid '%s'", uuid);
                        return false;
                }
                s->auth_secret_uuid = g_strdup(u);
        }
        if (!s->auth_secret_uuid && !s->auth_secret_usage) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing auth secret uuid or usage attribute");
                return false;
        }
        return true;
}

static bool parse_source(StoragePoolDef *def, xmlNodePtr node, GError **error) {
        StoragePoolSource *s = &def->source;
        const char *const *formats = source_formats(def->type);
        xmlNodePtr n;

        xml_foreach_child(c, node) {
                if (xml_is(c, "host") && !parse_source_host(s, c, error))
                        return false;
                if (xml_is(c, "device") && !parse_source_device(s, c, error))
                        return false;
        }
        if ((n = xml_child(node, "dir")) && !(s->dir = required_prop(n, "path", "storage pool source dir path", error)))
                return false;
        s->name = xml_child_text(node, "name");
        if (s->name && !*s->name)
                g_clear_pointer(&s->name, g_free);
        if ((n = xml_child(node, "format")) && formats) {
                s->format = xml_prop(n, "type");
                if (!s->format || !g_strv_contains(formats, s->format)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown pool format type '%s' for a %s pool",
                                    s->format ? s->format : "", storage_pool_type_to_string(def->type));
                        return false;
                }
        }
        s->protocol_ver = xml_prop(xml_child(node, "protocol"), "ver");
        if (s->protocol_ver && !g_ascii_isdigit(s->protocol_ver[0])) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "storage pool protocol ver '%s' is malformed",
                            s->protocol_ver);
                return false;
        }
        s->vendor = xml_prop(xml_child(node, "vendor"), "name");
        s->product = xml_prop(xml_child(node, "product"), "name");
        s->initiator_iqn = xml_prop(xml_child(xml_child(node, "initiator"), "iqn"), "name");
        if ((n = xml_child(node, "adapter"))) {
                s->adapter_type = xml_prop(n, "type");
                if (s->adapter_type && strcmp(s->adapter_type, "scsi_host") != 0 &&
                    strcmp(s->adapter_type, "fc_host") != 0) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown pool adapter type '%s'",
                                    s->adapter_type);
                        return false;
                }
                s->adapter_name = xml_prop(n, "name");
                s->adapter_parent = xml_prop(n, "parent");
                s->adapter_wwnn = xml_prop(n, "wwnn");
                s->adapter_wwpn = xml_prop(n, "wwpn");
        }
        if ((n = xml_child(node, "auth")) && !parse_source_auth(s, n, error))
                return false;
        return true;
}

/* What each pool type cannot do without (libvirt's poolOptions flags). */
static bool check_required(StoragePoolDef *def, GError **error) {
        const StoragePoolSource *s = &def->source;
        const char *missing = NULL;

        switch (def->type) {
        case STORAGE_POOL_FS:
        case STORAGE_POOL_DISK:
                if (s->ndevices == 0)
                        missing = "storage pool source device path";
                break;
        case STORAGE_POOL_NETFS:
                if (s->nhosts == 0)
                        missing = "storage pool source host name";
                else if (!s->dir)
                        missing = "storage pool source dir path";
                break;
        case STORAGE_POOL_ISCSI:
                if (s->nhosts == 0)
                        missing = "storage pool source host name";
                else if (s->ndevices == 0)
                        missing = "storage pool source device path";
                break;
        default:
                break;
        }
        if (!missing) {
                switch (def->type) {
                case STORAGE_POOL_DIR:
                case STORAGE_POOL_FS:
                case STORAGE_POOL_NETFS:
                case STORAGE_POOL_DISK:
                case STORAGE_POOL_ISCSI:
                        if (!def->target_path)
                                missing = "storage pool target path";
                        break;
                default:
                        break;
                }
        }
        if (missing) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing %s for a %s pool",
                            missing, storage_pool_type_to_string(def->type));
                return false;
        }
        return true;
}

static bool parse_features_refresh(StoragePoolDef *def, xmlNodePtr root, GError **error) {
        xmlNodePtr cow = xml_child(xml_child(root, "features"), "cow");
        xmlNodePtr vol = xml_child(xml_child(root, "refresh"), "volume");

        if (cow) {
                def->cow = xml_prop_tristate(cow, "state", "yes", "no");
                if (def->cow <= 0) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid pool feature cow state");
                        return false;
                }
                if (def->type != STORAGE_POOL_DIR && def->type != STORAGE_POOL_FS) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "the cow feature is only for dir and fs pools, not %s",
                                    storage_pool_type_to_string(def->type));
                        return false;
                }
        }
        if (vol) {
                g_autofree char *a = xml_prop(vol, "allocation");
                int v = storage_pool_refresh_alloc_from_string(a);

                if (v < 0) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "unknown storage pool volume refresh allocation type '%s'", a ? a : "");
                        return false;
                }
                def->refresh_alloc = v;
        }
        return true;
}

static StoragePoolDef *pool_parse_node(xmlNodePtr root, GError **error) {
        g_autoptr(StoragePoolDef) def = storage_pool_def_new();
        g_autofree char *type = xml_prop(root, "type");
        xmlNodePtr target = xml_child(root, "target");
        xmlNodePtr source = xml_child(root, "source");
        g_autofree char *path = NULL;
        int t = storage_pool_type_from_string(type);

        if (t < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            type ? "unknown storage pool type '%s'" : "missing storage pool type attribute%s",
                            type ? type : "");
                return NULL;
        }
        def->type = t;
        if (!parse_pool_name(def, root, error) || !parse_pool_uuid(def, root, error))
                return NULL;
        /* output-only figures, read back from state files */
        if (storage_size_parse_node(root, "capacity", &def->capacity, error) < 0 ||
            storage_size_parse_node(root, "allocation", &def->allocation, error) < 0 ||
            storage_size_parse_node(root, "available", &def->available, error) < 0)
                return NULL;
        if (!parse_features_refresh(def, root, error))
                return NULL;
        if (source && !parse_source(def, source, error))
                return NULL;
        if (def->type == STORAGE_POOL_LOGICAL && !def->source.name)
                def->source.name = g_strdup(def->name);
        path = xml_child_text(target, "path");
        if (path && *path)
                def->target_path = storage_path_sanitize(g_strstrip(path));
        if (!def->target_path && def->type == STORAGE_POOL_LOGICAL)
                def->target_path = g_strconcat("/dev/", def->source.name, NULL);
        if (!check_required(def, error))
                return NULL;
        if (!storage_perms_parse(target, &def->target_perms, "pool target", error))
                return NULL;
        return g_steal_pointer(&def);
}

StoragePoolDef *storage_pool_def_parse_string(const char *xml, unsigned flags, GError **error) {
        g_autoptr(xmlDoc) doc = NULL;

        if (flags & ~(unsigned) STORAGE_POOL_DEF_PARSE_VALIDATE) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "unsupported flags (0x%x)",
                            flags & ~(unsigned) STORAGE_POOL_DEF_PARSE_VALIDATE);
                return NULL;
        }
        /* S2: malformed pool XML is XMLError, not the domain parser's XMLDetail */
        doc = xml_doc_read(xml, "pool", VMMD_ERROR_XML_ERROR, error);
        if (!doc)
                return NULL;
        if ((flags & STORAGE_POOL_DEF_PARSE_VALIDATE) && !xml_doc_validate(doc, "storagepool.rng", error))
                return NULL;
        return pool_parse_node(xmlDocGetRootElement(doc), error);
}

/* --- format --- */

static void format_source(XmlBuf *buf, const StoragePoolDef *def) {
        const StoragePoolSource *s = &def->source;
        g_auto(XmlBuf) body = { 0 };

        xml_buf_init_child(&body, buf);
        for (size_t i = 0; i < s->nhosts; i++) {
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "name", s->hosts[i].name);
                if (s->hosts[i].port > 0)
                        xml_attr_uint(a, "port", (unsigned) s->hosts[i].port);
                xml_element_empty(&body, "host", a);
        }
        for (size_t i = 0; i < s->ndevices; i++) {
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "path", s->devices[i].path);
                xml_attr_yesno(a, "part_separator", s->devices[i].part_separator);
                xml_element_empty(&body, "device", a);
        }
        if (s->dir) {
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "path", s->dir);
                xml_element_empty(&body, "dir", a);
        }
        if (s->adapter_type || s->adapter_name || s->adapter_parent || s->adapter_wwnn || s->adapter_wwpn) {
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "type", s->adapter_type);
                xml_attr(a, "name", s->adapter_name);
                xml_attr(a, "parent", s->adapter_parent);
                xml_attr(a, "wwnn", s->adapter_wwnn);
                xml_attr(a, "wwpn", s->adapter_wwpn);
                xml_element_empty(&body, "adapter", a);
        }
        xml_element_text(&body, "name", NULL, s->name);
        if (s->initiator_iqn) {
                g_auto(XmlBuf) ini = { 0 };
                g_autoptr(GString) a = g_string_new(NULL);

                xml_buf_init_child(&ini, &body);
                xml_attr(a, "name", s->initiator_iqn);
                xml_element_empty(&ini, "iqn", a);
                xml_element(&body, "initiator", NULL, &ini);
        }
        if (s->format) {
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "type", s->format);
                xml_element_empty(&body, "format", a);
        }
        if (s->auth_type) {
                g_auto(XmlBuf) auth = { 0 };
                g_autoptr(GString) a = g_string_new(NULL);
                g_autoptr(GString) sa = g_string_new(NULL);

                xml_buf_init_child(&auth, &body);
                xml_attr(a, "type", s->auth_type);
                xml_attr(a, "username", s->auth_username);
                xml_attr(sa, "uuid", s->auth_secret_uuid);
                xml_attr(sa, "usage", s->auth_secret_usage);
                xml_element_empty(&auth, "secret", sa);
                xml_element(&body, "auth", a, &auth);
        }
        if (s->protocol_ver) {
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "ver", s->protocol_ver);
                xml_element_empty(&body, "protocol", a);
        }
        if (s->vendor) {
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "name", s->vendor);
                xml_element_empty(&body, "vendor", a);
        }
        if (s->product) {
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "name", s->product);
                xml_element_empty(&body, "product", a);
        }
        xml_element(buf, "source", NULL, &body);
}

char *storage_pool_def_format(const StoragePoolDef *def, unsigned flags) {
        g_auto(XmlBuf) top = { 0 };
        g_auto(XmlBuf) body = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);

        xml_buf_init(&top, 0);
        xml_buf_init_child(&body, &top);
        xml_attr(attrs, "type", storage_pool_type_to_string(def->type));
        xml_element_text(&body, "name", NULL, def->name);
        xml_element_text(&body, "uuid", NULL, def->uuid);
        /* the figures describe a running pool; a stored definition carries none */
        if (!(flags & STORAGE_POOL_DEF_FORMAT_INACTIVE)) {
                storage_size_format(&body, "capacity", def->capacity);
                storage_size_format(&body, "allocation", def->allocation);
                storage_size_format(&body, "available", def->available);
        }
        if (def->cow > 0) {
                g_auto(XmlBuf) features = { 0 };
                g_autoptr(GString) a = g_string_new(NULL);

                xml_buf_init_child(&features, &body);
                xml_attr_yesno(a, "state", def->cow);
                xml_element_empty(&features, "cow", a);
                xml_element(&body, "features", NULL, &features);
        }
        format_source(&body, def);
        {
                g_auto(XmlBuf) target = { 0 };

                xml_buf_init_child(&target, &body);
                xml_element_text(&target, "path", NULL, def->target_path);
                storage_perms_format(&target, &def->target_perms);
                xml_element(&body, "target", NULL, &target);
        }
        if (def->refresh_alloc != STORAGE_POOL_REFRESH_ALLOC_DEFAULT) {
                g_auto(XmlBuf) refresh = { 0 };
                g_autoptr(GString) a = g_string_new(NULL);

                xml_buf_init_child(&refresh, &body);
                xml_attr(a, "allocation", storage_pool_refresh_alloc_to_string(def->refresh_alloc));
                xml_element_empty(&refresh, "volume", a);
                xml_element(&body, "refresh", NULL, &refresh);
        }
        xml_element(&top, "pool", attrs, &body);
        return g_string_free(g_steal_pointer(&top.str), FALSE);
}
