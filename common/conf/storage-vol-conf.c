/* Storage volume definitions: parse, format and validate libvirt's <volume> XML. */
#include "storage-conf-priv.h"
#include "name-rule.h"
#include "uuid.h"
#include "error.h"
#include "cleanup.h"

#include <errno.h>
#include <string.h>

VMMD_ENUM_IMPL(storage_vol_type, "file", "block", "dir", "network", "netdir", "ploop")
VMMD_ENUM_IMPL(storage_file_format, "none", "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi",
               "fat", "vhd", "ploop", "cow", "qcow", "qcow2", "qed", "vmdk")
VMMD_ENUM_IMPL(storage_encryption_format, "default", "qcow", "luks", "luks2", "luks-any")

/* Volumes in disk pools are partitions, typed by libvirt's virStorageVolFormatDisk. */
VMMD_ENUM_DECL(storage_part_format);
VMMD_ENUM_IMPL(storage_part_format, "none", "linux", "fat16", "fat32", "linux-swap", "linux-lvm",
               "linux-raid", "extended")

typedef enum {
        VOL_FORMATS_NONE,   /* the pool type has no volume formats: target/format is ignored */
        VOL_FORMATS_FILE,
        VOL_FORMATS_PARTITION,
} VolFormatKind;

static VolFormatKind vol_format_kind(StoragePoolType pool_type) {
        switch (pool_type) {
        case STORAGE_POOL_DIR:
        case STORAGE_POOL_FS:
        case STORAGE_POOL_NETFS:
        case STORAGE_POOL_GLUSTER:
        case STORAGE_POOL_VSTORAGE:
                return VOL_FORMATS_FILE;
        case STORAGE_POOL_DISK:
                return VOL_FORMATS_PARTITION;
        default:
                return VOL_FORMATS_NONE;
        }
}

static const char *vol_format_to_string(StoragePoolType pool_type, int format) {
        switch (vol_format_kind(pool_type)) {
        case VOL_FORMATS_FILE: return storage_file_format_to_string(format);
        case VOL_FORMATS_PARTITION: return storage_part_format_to_string(format);
        default: return NULL;
        }
}

/* --- free / copy --- */

static void encryption_free(StorageEncryption *enc) {
        if (!enc)
                return;
        g_free(enc->secret_type);
        g_free(enc->secret_uuid);
        g_free(enc->secret_usage);
        g_free(enc);
}

StorageVolDef *storage_vol_def_new(StoragePoolType pool_type) {
        StorageVolDef *def = g_new0(StorageVolDef, 1);

        def->pool_type = pool_type;
        storage_perms_init(&def->target.perms);
        storage_perms_init(&def->backing_store.perms);
        return def;
}

void storage_vol_def_free(StorageVolDef *def) {
        if (!def)
                return;
        g_free(def->name);
        g_free(def->key);
        for (size_t i = 0; i < def->nsource_devices; i++) {
                g_free(def->source_devices[i].path);
                g_free(def->source_devices[i].extents);
        }
        g_free(def->source_devices);
        g_free(def->target.path);
        storage_perms_clear(&def->target.perms);
        g_free(def->target.compat);
        encryption_free(def->target.encryption);
        g_free(def->backing_store.path);
        storage_perms_clear(&def->backing_store.perms);
        g_free(def);
}

StorageVolDef *storage_vol_def_copy(const StorageVolDef *def) {
        StorageVolDef *c;

        if (!def)
                return NULL;
        c = g_new0(StorageVolDef, 1);
        *c = *def;
        c->name = g_strdup(def->name);
        c->key = g_strdup(def->key);
        c->source_devices = g_new0(StorageVolSourceDevice, def->nsource_devices);
        for (size_t i = 0; i < def->nsource_devices; i++) {
                const StorageVolSourceDevice *d = &def->source_devices[i];

                c->source_devices[i].path = g_strdup(d->path);
                c->source_devices[i].nextents = d->nextents;
                c->source_devices[i].extents = g_memdup2(d->extents, d->nextents * sizeof(StorageVolExtent));
        }
        c->target.path = g_strdup(def->target.path);
        storage_perms_copy(&c->target.perms, &def->target.perms);
        c->target.compat = g_strdup(def->target.compat);
        if (def->target.encryption) {
                const StorageEncryption *e = def->target.encryption;

                c->target.encryption = g_new0(StorageEncryption, 1);
                c->target.encryption->format = e->format;
                c->target.encryption->secret_type = g_strdup(e->secret_type);
                c->target.encryption->secret_uuid = g_strdup(e->secret_uuid);
                c->target.encryption->secret_usage = g_strdup(e->secret_usage);
        }
        c->backing_store.path = g_strdup(def->backing_store.path);
        storage_perms_copy(&c->backing_store.perms, &def->backing_store.perms);
        return c;
}

/* --- parse --- */

static bool parse_u64_prop(xmlNodePtr node, const char *name, uint64_t *ret, GError **error) {
        g_autofree char *v = xml_prop(node, name);
        char *end = NULL;

        if (!v) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing extent %s attribute", name);
                return false;
        }
        errno = 0;
        *ret = g_ascii_strtoull(v, &end, 10);
        if (!g_ascii_isdigit(v[0]) || *end || errno) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "malformed extent %s '%s'", name, v);
                return false;
        }
        return true;
}

/* Output only (logical and disk pools' extents), read back so the XML round-trips. */
static bool parse_vol_source(StorageVolDef *def, xmlNodePtr source, GError **error) {
        xml_foreach_child(dev, source) {
                StorageVolSourceDevice *d;

                if (!xml_is(dev, "device"))
                        continue;
                def->source_devices = g_renew(StorageVolSourceDevice, def->source_devices, def->nsource_devices + 1);
                d = &def->source_devices[def->nsource_devices++];
                memset(d, 0, sizeof(*d));
                d->path = xml_prop(dev, "path");
                if (!d->path) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing volume source device path");
                        return false;
                }
                xml_foreach_child(ext, dev) {
                        StorageVolExtent e;

                        if (!xml_is(ext, "extent"))
                                continue;
                        if (!parse_u64_prop(ext, "start", &e.start, error) ||
                            !parse_u64_prop(ext, "end", &e.end, error))
                                return false;
                        d->extents = g_renew(StorageVolExtent, d->extents, d->nextents + 1);
                        d->extents[d->nextents++] = e;
                }
        }
        return true;
}

/* format/@type under node: the file, partition or no table depending on the pool. */
static bool parse_format(StorageVolDef *def, xmlNodePtr node, bool backing, int *ret, GError **error) {
        g_autofree char *type = xml_prop(xml_child(node, "format"), "type");
        VolFormatKind kind = backing ? VOL_FORMATS_FILE : vol_format_kind(def->pool_type);
        int f = -1;

        if (!type) {
                /* S43 (vmmd): an unnamed backing format is probed, not assumed raw */
                *ret = (kind == VOL_FORMATS_FILE && !backing) ? STORAGE_FILE_FORMAT_RAW : 0;
                return true;
        }
        if (kind == VOL_FORMATS_FILE)
                f = storage_file_format_from_string(type);
        else if (kind == VOL_FORMATS_PARTITION)
                f = storage_part_format_from_string(type);
        else
                f = 0;   /* libvirt ignores formats where the pool has none */
        if (f < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown %svolume format type '%s'",
                            backing ? "backing store " : "", type);
                return false;
        }
        *ret = f;
        return true;
}

static bool parse_encryption(StorageVolDef *def, xmlNodePtr node, GError **error) {
        g_autofree char *format = xml_prop(node, "format");
        xmlNodePtr secret = xml_child(node, "secret");
        StorageEncryption *enc;
        g_autofree char *uuid = NULL;
        int f = storage_encryption_format_from_string(format);

        if (f < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown volume encryption format type '%s'",
                            format ? format : "");
                return false;
        }
        enc = def->target.encryption = g_new0(StorageEncryption, 1);
        enc->format = f;
        if (!secret)
                return true;
        enc->secret_type = xml_prop(secret, "type");
        if (!enc->secret_type || strcmp(enc->secret_type, "passphrase") != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown volume encryption secret type '%s'",
                            enc->secret_type ? enc->secret_type : "");
                return false;
        }
        uuid = xml_prop(secret, "uuid");
        enc->secret_usage = xml_prop(secret, "usage");
        if (uuid) {
                char u[37];

                if (!vmmd_uuid_parse(uuid, u)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "malformed volume encryption secret uuid '%s'", uuid);
                        return false;
                }
                enc->secret_uuid = g_strdup(u);
        }
        if (!enc->secret_uuid && !enc->secret_usage) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "volume encryption secret needs a uuid or a usage");
                return false;
        }
        return true;
}

/* compat "N.M", clusterSize, nocow, features: qcow2 only (S42). */
static bool parse_qcow2_options(StorageVolDef *def, xmlNodePtr target, GError **error) {
        xmlNodePtr features = xml_child(target, "features");
        g_autofree char *compat = xml_child_text(target, "compat");
        bool qcow2 = vol_format_kind(def->pool_type) == VOL_FORMATS_FILE &&
                     def->target.format == STORAGE_FILE_FORMAT_QCOW2;
        const char *offending = NULL;
        int r;

        if (compat) {
                g_autoptr(GRegex) re = g_regex_new("^[0-9]+\\.[0-9]+$", 0, 0, NULL);

                g_strstrip(compat);
                if (!g_regex_match(re, compat, 0, NULL)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "malformed compat element '%s': expected N.M", compat);
                        return false;
                }
                def->target.compat = g_steal_pointer(&compat);
        }
        r = storage_size_parse_node(target, "clusterSize", &def->target.cluster_size, error);
        if (r < 0)
                return false;
        if (r > 0 && def->target.cluster_size == 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "clusterSize must not be 0");
                return false;
        }
        if (xml_child(target, "nocow"))
                def->target.nocow = 1;
        xml_foreach_child(f, features) {
                if (xml_is(f, "lazy_refcounts")) {
                        def->target.lazy_refcounts = true;
                } else if (xml_is(f, "extended_l2")) {
                        def->target.extended_l2 = true;
                } else {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                    "unsupported volume feature '%s'", (const char *) f->name);
                        return false;
                }
        }
        if (def->target.compat)
                offending = "compat";
        else if (r > 0)
                offending = "clusterSize";
        else if (features)
                offending = "features";
        if (offending && !qcow2) {
                const char *fmt = vol_format_to_string(def->pool_type, def->target.format);

                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "'%s' is only supported for qcow2 volumes, not format '%s'", offending,
                            fmt ? fmt : "none");
                return false;
        }
        if (def->target.lazy_refcounts || def->target.extended_l2) {
                if (!def->target.compat)
                        def->target.compat = g_strdup("1.1");
                if (strcmp(def->target.compat, "0.10") == 0) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                    "'%s' is not supported with compat level 0.10",
                                    def->target.lazy_refcounts ? "lazy_refcounts" : "extended_l2");
                        return false;
                }
        }
        return true;
}

static bool parse_target(StorageVolDef *def, xmlNodePtr target, GError **error) {
        g_autofree char *path = xml_child_text(target, "path");
        xmlNodePtr enc;

        if (path && *g_strstrip(path))
                def->target.path = storage_path_sanitize(path);
        if (!parse_format(def, target, false, &def->target.format, error))
                return false;
        if (!storage_perms_parse(target, &def->target.perms, "volume target", error))
                return false;
        if ((enc = xml_child(target, "encryption")) && !parse_encryption(def, enc, error))
                return false;
        return parse_qcow2_options(def, target, error);
}

static bool parse_backing_store(StorageVolDef *def, xmlNodePtr node, GError **error) {
        g_autofree char *path = xml_child_text(node, "path");

        if (!path || !*g_strstrip(path)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing backing store path element");
                return false;
        }
        /* relative paths stay relative: the daemon resolves them against the pool (S43) */
        def->backing_store.path = storage_path_sanitize(path);
        if (!parse_format(def, node, true, &def->backing_store.format, error))
                return false;
        return storage_perms_parse(node, &def->backing_store.perms, "backing store", error);
}

static StorageVolDef *vol_parse_node(xmlNodePtr root, StoragePoolType pool_type, unsigned flags, GError **error) {
        g_autoptr(StorageVolDef) def = storage_vol_def_new(pool_type);
        g_autofree char *type = xml_prop(root, "type");
        xmlNodePtr node;
        int r;

        if (type) {
                int t = storage_vol_type_from_string(type);

                if (t < 0) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown volume type '%s'", type);
                        return NULL;
                }
                def->type = t;
        }
        def->name = vmmd_name_element_text(root);
        if (!def->name || !*def->name) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing volume name element");
                return NULL;
        }
        def->key = xml_child_text(root, "key");
        if (def->key && !*def->key)
                g_clear_pointer(&def->key, g_free);
        if ((node = xml_child(root, "source")) && !parse_vol_source(def, node, error))
                return NULL;
        if ((node = xml_child(root, "backingStore")) && !parse_backing_store(def, node, error))
                return NULL;
        if ((r = storage_size_parse_node(root, "capacity", &def->capacity, error)) < 0)
                return NULL;
        def->capacity_set = r > 0;
        if (!def->capacity_set && !def->backing_store.path && !(flags & STORAGE_VOL_DEF_PARSE_NO_CAPACITY)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing capacity element");
                return NULL;
        }
        if ((r = storage_size_parse_node(root, "allocation", &def->allocation, error)) < 0)
                return NULL;
        def->allocation_set = r > 0;
        /* an absent allocation means fully allocated (spec §3.2) */
        if (!def->allocation_set)
                def->allocation = def->capacity;
        if ((r = storage_size_parse_node(root, "physical", &def->physical, error)) < 0)
                return NULL;
        def->physical_set = r > 0;
        if (!parse_target(def, xml_child(root, "target"), error))
                return NULL;
        return g_steal_pointer(&def);
}

StorageVolDef *storage_vol_def_parse_string(const char *xml, StoragePoolType pool_type,
                                            unsigned flags, GError **error) {
        g_autoptr(xmlDoc) doc = NULL;

        const unsigned known = STORAGE_VOL_DEF_PARSE_VALIDATE | STORAGE_VOL_DEF_PARSE_NO_CAPACITY;

        if (flags & ~known) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "unsupported flags (0x%x)", flags & ~known);
                return NULL;
        }
        if ((int) pool_type < 0 || pool_type >= _STORAGE_POOL_TYPE_MAX) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "invalid pool type %d", (int) pool_type);
                return NULL;
        }
        /* like pools (S2): malformed XML is XMLError */
        doc = xml_doc_read(xml, "volume", VMMD_ERROR_XML_ERROR, error);
        if (!doc)
                return NULL;
        if ((flags & STORAGE_VOL_DEF_PARSE_VALIDATE) && !xml_doc_validate(doc, "storagevol.rng", error))
                return NULL;
        return vol_parse_node(xmlDocGetRootElement(doc), pool_type, flags, error);
}

/* --- format --- */

static void format_timestamp(XmlBuf *buf, const char *name, const StorageTimestamp *ts) {
        g_autofree char *text = NULL;

        if (!ts->set)
                return;
        if (ts->nsec != 0)
                text = g_strdup_printf("%" G_GINT64_FORMAT ".%09ld", ts->sec, ts->nsec);
        else
                text = g_strdup_printf("%" G_GINT64_FORMAT, ts->sec);
        xml_element_text(buf, name, NULL, text);
}

static void format_format(XmlBuf *buf, const char *type) {
        g_autoptr(GString) a = g_string_new(NULL);

        if (!type)
                return;
        xml_attr(a, "type", type);
        xml_element_empty(buf, "format", a);
}

static void format_encryption(XmlBuf *buf, const StorageEncryption *enc) {
        g_auto(XmlBuf) body = { 0 };
        g_autoptr(GString) a = g_string_new(NULL);

        if (!enc)
                return;
        xml_buf_init_child(&body, buf);
        xml_attr(a, "format", storage_encryption_format_to_string(enc->format));
        if (enc->secret_type) {
                g_autoptr(GString) sa = g_string_new(NULL);

                xml_attr(sa, "type", enc->secret_type);
                xml_attr(sa, "uuid", enc->secret_uuid);
                xml_attr(sa, "usage", enc->secret_usage);
                xml_element_empty(&body, "secret", sa);
        }
        xml_element(buf, "encryption", a, &body);
}

static void format_target(XmlBuf *buf, const StorageVolDef *def) {
        g_auto(XmlBuf) t = { 0 };
        g_auto(XmlBuf) times = { 0 };
        g_auto(XmlBuf) features = { 0 };

        xml_buf_init_child(&t, buf);
        xml_element_text(&t, "path", NULL, def->target.path);
        if (vol_format_kind(def->pool_type) != VOL_FORMATS_NONE)
                format_format(&t, vol_format_to_string(def->pool_type, def->target.format));
        storage_perms_format(&t, &def->target.perms);
        xml_buf_init_child(&times, &t);
        format_timestamp(&times, "atime", &def->target.atime);
        format_timestamp(&times, "mtime", &def->target.mtime);
        format_timestamp(&times, "ctime", &def->target.ctime);
        format_timestamp(&times, "btime", &def->target.btime);
        xml_element(&t, "timestamps", NULL, &times);
        format_encryption(&t, def->target.encryption);
        xml_element_text(&t, "compat", NULL, def->target.compat);
        if (def->target.cluster_size) {
                g_autoptr(GString) a = g_string_new(NULL);
                g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, def->target.cluster_size);

                xml_attr(a, "unit", "B");
                xml_element_text(&t, "clusterSize", a, text);
        }
        if (def->target.nocow)
                xml_element_empty(&t, "nocow", NULL);
        xml_buf_init_child(&features, &t);
        if (def->target.lazy_refcounts)
                xml_element_empty(&features, "lazy_refcounts", NULL);
        if (def->target.extended_l2)
                xml_element_empty(&features, "extended_l2", NULL);
        xml_element(&t, "features", NULL, &features);
        xml_element(buf, "target", NULL, &t);
}

char *storage_vol_def_format(const StorageVolDef *def) {
        g_auto(XmlBuf) top = { 0 };
        g_auto(XmlBuf) body = { 0 };
        g_auto(XmlBuf) source = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);

        xml_buf_init(&top, 0);
        xml_buf_init_child(&body, &top);
        xml_attr(attrs, "type", storage_vol_type_to_string(def->type));
        xml_element_text(&body, "name", NULL, def->name);
        xml_element_text(&body, "key", NULL, def->key);
        xml_buf_init_child(&source, &body);
        for (size_t i = 0; i < def->nsource_devices; i++) {
                const StorageVolSourceDevice *d = &def->source_devices[i];
                g_auto(XmlBuf) dev = { 0 };
                g_autoptr(GString) a = g_string_new(NULL);

                xml_buf_init_child(&dev, &source);
                xml_attr(a, "path", d->path);
                for (size_t j = 0; j < d->nextents; j++) {
                        g_autoptr(GString) ea = g_string_new(NULL);

                        xml_attr_uint(ea, "start", d->extents[j].start);
                        xml_attr_uint(ea, "end", d->extents[j].end);
                        xml_element_empty(&dev, "extent", ea);
                }
                xml_element(&source, "device", a, &dev);
        }
        xml_element(&body, "source", NULL, &source);
        storage_size_format(&body, "capacity", def->capacity);
        storage_size_format(&body, "allocation", def->allocation);
        if (def->physical_set)
                storage_size_format(&body, "physical", def->physical);
        format_target(&body, def);
        if (def->backing_store.path) {
                g_auto(XmlBuf) bs = { 0 };

                xml_buf_init_child(&bs, &body);
                xml_element_text(&bs, "path", NULL, def->backing_store.path);
                if (def->backing_store.format != STORAGE_FILE_FORMAT_NONE)
                        format_format(&bs, storage_file_format_to_string(def->backing_store.format));
                storage_perms_format(&bs, &def->backing_store.perms);
                xml_element(&body, "backingStore", NULL, &bs);
        }
        xml_element(&top, "volume", attrs, &body);
        return g_string_free(g_steal_pointer(&top.str), FALSE);
}
