/* Domain definitions: the top-level tuning elements (<memoryBacking>, <iothreads>, <cputune> …), checked and kept. */
#include "domain-conf-priv.h"
#include "error.h"

#include <string.h>

/* libvirt's names, and where libvirt writes each one in a domain */
static const struct {
        const char *name;
        DomainTuningPlace place;
} tuning[DOMAIN_TUNING_LAST] = {
        [DOMAIN_TUNING_BLKIOTUNE] = { "blkiotune", DOMAIN_TUNING_AT_MEMORY },
        [DOMAIN_TUNING_MEMTUNE] = { "memtune", DOMAIN_TUNING_AT_MEMORY },
        [DOMAIN_TUNING_MEMORY_BACKING] = { "memoryBacking", DOMAIN_TUNING_AT_MEMORY },
        [DOMAIN_TUNING_IOTHREADS] = { "iothreads", DOMAIN_TUNING_AT_VCPU },
        [DOMAIN_TUNING_IOTHREADIDS] = { "iothreadids", DOMAIN_TUNING_AT_VCPU },
        [DOMAIN_TUNING_CPUTUNE] = { "cputune", DOMAIN_TUNING_AT_VCPU },
        [DOMAIN_TUNING_NUMATUNE] = { "numatune", DOMAIN_TUNING_AT_VCPU },
        [DOMAIN_TUNING_RESOURCE] = { "resource", DOMAIN_TUNING_AT_VCPU },
        [DOMAIN_TUNING_IDMAP] = { "idmap", DOMAIN_TUNING_AT_OS },
        [DOMAIN_TUNING_KEYWRAP] = { "keywrap", DOMAIN_TUNING_AT_END },
};

const char *domain_tuning_name(DomainTuning t) {
        return tuning[t].name;
}

static bool G_GNUC_PRINTF(2, 3) xml_error(GError **error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        g_autofree char *msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "%s", msg);
        return false;
}

static bool one_of(const char *value, const char *const *allowed) {
        for (; *allowed; allowed++)
                if (g_str_equal(value, *allowed))
                        return true;
        return false;
}

/* An attribute that, when present, must be one of allowed; its value in *ret (owned) */
static bool enum_prop(xmlNodePtr node, const char *attr, const char *const *allowed, const char *what, char **ret,
                      GError **error) {
        g_autofree char *v = xml_prop(node, attr);

        if (v && !one_of(v, allowed))
                return xml_error(error, "invalid %s '%s'", what, v);
        g_free(*ret);
        *ret = g_steal_pointer(&v);
        return true;
}

static bool uint_text(xmlNodePtr node, const char *what, guint64 max, guint64 *ret, GError **error) {
        g_autofree char *text = xml_text(node);
        g_autofree char *stripped = g_strstrip(g_strdup(text ? text : ""));

        if (!g_ascii_string_to_unsigned(stripped, 10, 0, max, ret, NULL))
                return xml_error(error, "invalid value '%s' for %s", stripped, what);
        return true;
}

static bool parse_memory_backing(DomainDef *def, xmlNodePtr node, GError **error) {
        static const char *const sources[] = { "file", "anonymous", "memfd", NULL };
        static const char *const accesses[] = { "shared", "private", NULL };
        static const char *const allocations[] = { "immediate", "ondemand", NULL };
        DomainMemoryBackingDef *mb = &def->mem_backing;

        xml_foreach_child(c, node) {
                if (xml_is(c, "hugepages")) {
                        mb->hugepages = true;
                        xml_foreach_child(p, c) {
                                g_autofree char *size = NULL, *unit = NULL, *nodeset = NULL;
                                unsigned long long kib;

                                if (!xml_is(p, "page"))
                                        return xml_error(error, "unknown element <%s> in <hugepages>", p->name);
                                size = xml_prop(p, "size");
                                unit = xml_prop(p, "unit");
                                nodeset = xml_prop(p, "nodeset");
                                if (!size)
                                        return xml_error(error, "hugepage size is missing in <memoryBacking>");
                                if (!domain_parse_scaled_kib(size, unit, "hugepage size", &kib, error))
                                        return false;
                                if (kib == 0)
                                        return xml_error(error, "hugepage size can't be zero");
                                if (nodeset)
                                        mb->per_node_pages = true;
                                else if (mb->hugepage_kib)
                                        return xml_error(error, "more than one hugepage size for all of memory");
                                else
                                        mb->hugepage_kib = kib;
                        }
                } else if (xml_is(c, "nosharepages")) {
                        mb->nosharepages = true;
                } else if (xml_is(c, "locked")) {
                        mb->locked = true;
                } else if (xml_is(c, "discard")) {
                        mb->discard = true;
                } else if (xml_is(c, "source")) {
                        if (!enum_prop(c, "type", sources, "memory source type", &mb->source_type, error))
                                return false;
                } else if (xml_is(c, "access")) {
                        if (!enum_prop(c, "mode", accesses, "memory access mode", &mb->access_mode, error))
                                return false;
                } else if (xml_is(c, "allocation")) {
                        g_autofree char *threads = xml_prop(c, "threads");
                        guint64 n;

                        if (!enum_prop(c, "mode", allocations, "memory allocation mode", &mb->allocation_mode, error))
                                return false;
                        if (threads) {
                                if (!g_ascii_string_to_unsigned(threads, 10, 1, G_MAXUINT, &n, NULL))
                                        return xml_error(error, "invalid memory allocation threads '%s'", threads);
                                mb->allocation_threads = (unsigned) n;
                        }
                } else {
                        return xml_error(error, "unknown element <%s> in <memoryBacking>", c->name);
                }
        }
        /* libvirt's rule: anonymous memory is never backed by huge pages */
        if (mb->hugepages && g_strcmp0(mb->source_type, "anonymous") == 0)
                return xml_error(error, "hugepages are not allowed with anonymous memory source");
        return true;
}

static bool parse_iothreads(DomainDef *def, xmlNodePtr node, GError **error) {
        guint64 n;

        if (!uint_text(node, "<iothreads>", G_MAXINT, &n, error))
                return false;
        def->iothreads = (unsigned) n;
        return true;
}

static bool parse_iothreadids(DomainDef *def, xmlNodePtr node, GError **error) {
        def->iothread_ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
        xml_foreach_child(c, node) {
                g_autofree char *id = NULL;
                guint64 n;

                if (!xml_is(c, "iothread"))
                        return xml_error(error, "unknown element <%s> in <iothreadids>", c->name);
                id = xml_prop(c, "id");
                if (!id || !g_ascii_string_to_unsigned(id, 10, 1, G_MAXINT, &n, NULL))
                        return xml_error(error, "invalid iothread id '%s'", id ? id : "");
                for (guint i = 0; i < def->iothread_ids->len; i++)
                        if (g_array_index(def->iothread_ids, unsigned, i) == n)
                                return xml_error(error, "duplicate iothread id '%s'", id);
                g_array_append_val(def->iothread_ids, n);
        }
        return true;
}

/* the children of <cputune> whose text is a number, and the ones that pin or schedule */
static bool parse_cputune(xmlNodePtr node, GError **error) {
        static const char *const numbers[] = { "shares", "period", "quota", "global_period", "global_quota",
                                               "emulator_period", "emulator_quota", "iothread_period",
                                               "iothread_quota", NULL };
        static const char *const others[] = { "vcpupin", "emulatorpin", "iothreadpin", "vcpusched",
                                              "iothreadsched", "emulatorsched", "cachetune", "memorytune", NULL };

        xml_foreach_child(c, node) {
                const char *name = (const char *) c->name;

                if (one_of(name, numbers)) {
                        g_autofree char *text = xml_text(c);
                        g_autofree char *s = g_strstrip(g_strdup(text ? text : ""));
                        gint64 v;

                        /* quotas may be negative (-1: no limit) */
                        if (!g_ascii_string_to_signed(s, 10, G_MININT64, G_MAXINT64, &v, NULL) ||
                            (v < 0 && !strstr(name, "quota")))
                                return xml_error(error, "invalid value '%s' for <cputune><%s>", s, name);
                } else if (!one_of(name, others)) {
                        return xml_error(error, "unknown element <%s> in <cputune>", name);
                }
        }
        return true;
}

bool domain_tuning_parse(DomainDef *def, xmlNodePtr root, GError **error) {
        xml_foreach_child(c, root) {
                DomainTuning t;

                for (t = 0; t < DOMAIN_TUNING_LAST; t++)
                        if (xml_is(c, tuning[t].name))
                                break;
                if (t == DOMAIN_TUNING_LAST)
                        continue;
                /* libvirt reads only the first; a second one would be lost without a word */
                if (def->tuning[t])
                        return xml_error(error, "more than one <%s> element", tuning[t].name);
                switch (t) {
                case DOMAIN_TUNING_MEMORY_BACKING:
                        if (!parse_memory_backing(def, c, error))
                                return false;
                        break;
                case DOMAIN_TUNING_IOTHREADS:
                        if (!parse_iothreads(def, c, error))
                                return false;
                        break;
                case DOMAIN_TUNING_IOTHREADIDS:
                        if (!parse_iothreadids(def, c, error))
                                return false;
                        break;
                case DOMAIN_TUNING_CPUTUNE:
                        if (!parse_cputune(c, error))
                                return false;
                        break;
                default:
                        break;
                }
                def->tuning[t] = xmlCopyNode(c, 1);
                xml_strip_blanks(def->tuning[t]);
        }
        return true;
}

/* libvirt's numbering: the ids <iothreadids> names, then the lowest free ones up to <iothreads> */
GArray *domain_iothread_ids(const DomainDef *def) {
        GArray *ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
        unsigned want = def->iothreads;

        if (def->iothread_ids)
                g_array_append_vals(ids, def->iothread_ids->data, def->iothread_ids->len);
        if (ids->len > want)
                want = ids->len;
        for (unsigned next = 1; ids->len < want; next++) {
                bool used = false;
                for (guint i = 0; i < ids->len; i++)
                        used = used || g_array_index(ids, unsigned, i) == next;
                if (!used)
                        g_array_append_val(ids, next);
        }
        return ids;
}

/* A disk's <driver iothread> names one of the domain's iothreads (libvirt refuses it otherwise) */
bool domain_tuning_check_devices(const DomainDef *def, GError **error) {
        g_autoptr(GArray) ids = domain_iothread_ids(def);

        for (guint i = 0; i < domain_list_len(def->disks); i++) {
                const DomainDiskDef *d = domain_list_at(def->disks, i);
                bool found = false;

                if (!d->driver_iothread)
                        continue;
                for (guint j = 0; j < ids->len; j++)
                        found = found || g_array_index(ids, unsigned, j) == d->driver_iothread;
                if (!found)
                        return xml_error(error, "disk '%s' names iothread %u, which is not in <iothreads>/<iothreadids>",
                                         d->target_dev ? d->target_dev : "", d->driver_iothread);
        }
        return true;
}

void domain_tuning_format(const DomainDef *def, XmlBuf *buf, DomainTuningPlace place) {
        for (DomainTuning t = 0; t < DOMAIN_TUNING_LAST; t++)
                if (def->tuning[t] && tuning[t].place == place)
                        xml_node_dump(buf, def->tuning[t]);
}

void domain_tuning_clear(DomainDef *def) {
        for (DomainTuning t = 0; t < DOMAIN_TUNING_LAST; t++)
                g_clear_pointer(&def->tuning[t], xmlFreeNode);
        g_free(def->mem_backing.source_type);
        g_free(def->mem_backing.access_mode);
        g_free(def->mem_backing.allocation_mode);
        memset(&def->mem_backing, 0, sizeof(def->mem_backing));
        g_clear_pointer(&def->iothread_ids, g_array_unref);
        def->iothreads = 0;
}
