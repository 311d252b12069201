/* Domain snapshot definitions: parse, format and validate libvirt's <domainsnapshot> XML. */
#include "snapshot-conf.h"
#include "name-rule.h"
#include "storage-conf.h"
#include "xml-util.h"
#include "error.h"
#include "cleanup.h"

#include <errno.h>
#include <string.h>
#include <libxml/parser.h>

VMMD_ENUM_IMPL(snapshot_location, "default", "no", "internal", "external", "manual")

/* libvirt's virDomainSnapshotState names; "nostate" is its zero value and never parses. */
static const char *const snapshot_states[] = {
        "nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended",
        "disk-snapshot",
};

/* libvirt's virStorageType names beyond "file": valid in the XML, not something vmmd snapshots. */
static const char *const other_storage_types[] = {
        "block", "dir", "network", "volume", "nvme", "vhostuser", "vhostvdpa",
};

#define SNAPSHOT_PARSE_ALL (SNAPSHOT_PARSE_REDEFINE | SNAPSHOT_PARSE_VALIDATE | SNAPSHOT_PARSE_METADATA)

bool snapshot_state_is_valid(const char *state) {
        for (size_t i = 0; state && i < G_N_ELEMENTS(snapshot_states); i++)
                if (strcmp(state, snapshot_states[i]) == 0)
                        return true;
        return false;
}

/* --- lifetime --- */

SnapshotDiskDef *snapshot_disk_def_new(void) {
        return g_new0(SnapshotDiskDef, 1);
}

void snapshot_disk_def_free(SnapshotDiskDef *d) {
        if (!d)
                return;
        g_free(d->name);
        g_free(d->source_type);
        g_free(d->driver_type);
        g_free(d->source_file);
        g_free(d);
}

static SnapshotDiskDef *snapshot_disk_def_copy(const SnapshotDiskDef *d) {
        SnapshotDiskDef *copy = snapshot_disk_def_new();

        copy->name = g_strdup(d->name);
        copy->snapshot = d->snapshot;
        copy->source_type = g_strdup(d->source_type);
        copy->driver_type = g_strdup(d->driver_type);
        copy->source_file = g_strdup(d->source_file);
        return copy;
}

SnapshotDef *snapshot_def_new(void) {
        SnapshotDef *def = g_new0(SnapshotDef, 1);

        def->disks = g_ptr_array_new_with_free_func((GDestroyNotify) snapshot_disk_def_free);
        def->revert_disks = g_ptr_array_new_with_free_func((GDestroyNotify) snapshot_disk_def_free);
        def->active = -1;
        return def;
}

void snapshot_def_free(SnapshotDef *def) {
        if (!def)
                return;
        g_free(def->name);
        g_free(def->description);
        g_free(def->state);
        g_free(def->parent);
        g_free(def->memory_file);
        if (def->disks)
                g_ptr_array_unref(def->disks);
        if (def->revert_disks)
                g_ptr_array_unref(def->revert_disks);
        domain_def_free(def->domain);
        g_free(def->domain_uuid);
        domain_def_free(def->inactive_domain);
        g_free(def->cookie);
        g_free(def);
}

static void copy_disks(GPtrArray *to, const GPtrArray *from) {
        for (guint i = 0; from && i < from->len; i++)
                g_ptr_array_add(to, snapshot_disk_def_copy(g_ptr_array_index(from, i)));
}

SnapshotDef *snapshot_def_copy(const SnapshotDef *def) {
        SnapshotDef *copy;

        g_return_val_if_fail(def, NULL);
        copy = snapshot_def_new();
        copy->name = g_strdup(def->name);
        copy->description = g_strdup(def->description);
        copy->state = g_strdup(def->state);
        copy->parent = g_strdup(def->parent);
        copy->creation_time = def->creation_time;
        copy->has_creation_time = def->has_creation_time;
        copy->memory = def->memory;
        copy->memory_file = g_strdup(def->memory_file);
        copy_disks(copy->disks, def->disks);
        copy_disks(copy->revert_disks, def->revert_disks);
        copy->domain = def->domain ? domain_def_copy(def->domain) : NULL;
        copy->domain_uuid = g_strdup(def->domain_uuid);
        copy->inactive_domain = def->inactive_domain ? domain_def_copy(def->inactive_domain) : NULL;
        copy->cookie = g_strdup(def->cookie);
        copy->active = def->active;
        return copy;
}

/* --- parse --- */

/* libvirt reads these with XPath string(), which makes an empty element the same as none. */
static char *child_text_nonempty(xmlNodePtr node, const char *name) {
        char *s = xml_child_text(node, name);

        if (s && !*s)
                g_clear_pointer(&s, g_free);
        return s;
}

/* A subtree as a document of its own, named root_name; xmlDocCopyNode carries the namespace
 * declarations it uses from the ancestors. */
static char *node_to_document(xmlNodePtr node, const char *root_name) {
        g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *) "1.0");
        xmlNodePtr copy = xmlDocCopyNode(node, doc, 1);
        xmlChar *mem = NULL;
        int size = 0;
        char *ret;

        if (!copy)
                g_error("out of memory");
        xmlNodeSetName(copy, (const xmlChar *) root_name);
        xmlDocSetRootElement(doc, copy);
        xmlDocDumpMemory(doc, &mem, &size);
        if (!mem)
                g_error("out of memory");
        ret = g_strndup((const char *) mem, (gsize) size);
        xmlFree(mem);
        return ret;
}

/* An older snapshot's <domain> holds only <uuid> (spec D33). */
static bool domain_is_uuid_only(xmlNodePtr node) {
        unsigned n = 0;

        xml_foreach_child(c, node) {
                if (!xml_is(c, "uuid"))
                        return false;
                n++;
        }
        return n == 1 && !node->properties;
}

static bool parse_domains(SnapshotDef *def, xmlNodePtr root, unsigned flags, GError **error) {
        unsigned dflags = (flags & SNAPSHOT_PARSE_VALIDATE) ? DOMAIN_DEF_PARSE_VALIDATE : 0;
        xmlNodePtr node = xml_child(root, "domain");

        if (node && domain_is_uuid_only(node)) {
                g_autofree char *uuid = xml_child_text(node, "uuid");
                char canonical[37];

                if (!vmmd_uuid_parse(g_strstrip(uuid), canonical)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR,
                                    "malformed uuid element '%s' in snapshot <domain>", uuid);
                        return false;
                }
                def->domain_uuid = g_strdup(canonical);
        } else if (node) {
                g_autofree char *xml = node_to_document(node, "domain");

                def->domain = domain_def_parse_string(xml, dflags, error);
                if (!def->domain) {
                        g_prefix_error(error, "<domain>: ");
                        return false;
                }
        }

        node = xml_child(root, "inactiveDomain");
        if (node) {
                g_autofree char *xml = node_to_document(node, "domain");

                def->inactive_domain = domain_def_parse_string(xml, dflags, error);
                if (!def->inactive_domain) {
                        g_prefix_error(error, "<inactiveDomain>: ");
                        return false;
                }
        }
        return true;
}

/* The children of <cookie>, blank text dropped, written without added whitespace: a canonical
 * string that the formatter re-indents. NULL for an empty cookie. */
static char *parse_cookie(xmlNodePtr node) {
        g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *) "1.0");
        xmlNodePtr copy = xmlDocCopyNode(node, doc, 1);
        xmlBufferPtr xb;
        char *ret;

        if (!copy)
                g_error("out of memory");
        xmlDocSetRootElement(doc, copy);
        xml_strip_blanks(copy);
        if (!copy->children)
                return NULL;
        xb = xmlBufferCreate();
        for (xmlNodePtr c = copy->children; c; c = c->next)
                xmlNodeDump(xb, doc, c, 0, 0);
        ret = g_strdup((const char *) xmlBufferContent(xb));
        xmlBufferFree(xb);
        return ret;
}

static bool parse_location(xmlNodePtr node, const char *what, SnapshotLocation *ret, GError **error) {
        g_autofree char *s = xml_prop(node, "snapshot");
        int loc;

        *ret = SNAPSHOT_LOCATION_DEFAULT;
        if (!s)
                return true;
        /* "default" is the absence of the attribute, never a value (libvirt's NONZERO) */
        loc = snapshot_location_from_string(s);
        if (loc <= 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown %s snapshot setting '%s'", what, s);
                return false;
        }
        *ret = (SnapshotLocation) loc;
        return true;
}

static SnapshotDiskDef *parse_disk(xmlNodePtr node, GError **error) {
        g_autoptr(SnapshotDiskDef) disk = snapshot_disk_def_new();
        g_autofree char *type = NULL;

        disk->name = xml_prop(node, "name");
        if (!disk->name) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR, "missing name from disk snapshot element");
                return NULL;
        }
        if (!parse_location(node, "disk", &disk->snapshot, error))
                return NULL;

        type = xml_prop(node, "type");
        if (type && strcmp(type, "file") != 0) {
                for (size_t i = 0; i < G_N_ELEMENTS(other_storage_types); i++) {
                        if (strcmp(type, other_storage_types[i]) == 0) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                            "disk snapshot type '%s' of disk '%s' is not supported, only 'file'",
                                            type, disk->name);
                                return NULL;
                        }
                }
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown disk snapshot type '%s'", type);
                return NULL;
        }

        disk->driver_type = xml_prop(xml_child(node, "driver"), "type");
        if (disk->driver_type && *disk->driver_type == '\0')
                g_clear_pointer(&disk->driver_type, g_free);
        if (disk->driver_type && storage_file_format_from_string(disk->driver_type) <= 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "unknown disk snapshot driver '%s'", disk->driver_type);
                return NULL;
        }
        disk->source_file = xml_prop(xml_child(node, "source"), "file");
        if (disk->source_file && *disk->source_file == '\0')
                g_clear_pointer(&disk->source_file, g_free);
        if (disk->source_file && !g_path_is_absolute(disk->source_file)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "disk snapshot image path '%s' must be absolute", disk->source_file);
                return NULL;
        }

        /* as libvirt: a file or a format implies an external snapshot of a file */
        if (disk->source_file || disk->driver_type) {
                disk->source_type = g_strdup("file");
                if (disk->snapshot == SNAPSHOT_LOCATION_DEFAULT)
                        disk->snapshot = SNAPSHOT_LOCATION_EXTERNAL;
        } else if (type) {
                disk->source_type = g_steal_pointer(&type);
        }
        return g_steal_pointer(&disk);
}

static bool parse_disks(xmlNodePtr node, GPtrArray *disks, GError **error) {
        /* libvirt reads every element child of <disks>, whatever it is called */
        xml_foreach_child(c, node) {
                SnapshotDiskDef *disk = parse_disk(c, error);

                if (!disk)
                        return false;
                g_ptr_array_add(disks, disk);
        }
        return true;
}

static bool parse_creation_time(SnapshotDef *def, xmlNodePtr root, GError **error) {
        g_autofree char *s = xml_child_text(root, "creationTime");
        char *end = NULL;
        long long v;

        if (s) {
                errno = 0;
                v = g_ascii_strtoll(s, &end, 10);
                if (errno == 0 && end != s && *end == '\0') {
                        def->creation_time = v;
                        def->has_creation_time = true;
                        return true;
                }
        }
        /* libvirt says the same for a malformed value */
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR, "missing creationTime from existing snapshot");
        return false;
}

/* The output elements, read only for REDEFINE (D27). */
static bool parse_redefine(SnapshotDef *def, xmlNodePtr root, unsigned flags, GError **error) {
        xmlNodePtr node;

        if (!def->name) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "a redefined snapshot must have a name");
                return false;
        }
        if (!parse_creation_time(def, root, error))
                return false;
        def->parent = child_text_nonempty(xml_child(root, "parent"), "name");
        def->state = child_text_nonempty(root, "state");
        if (!def->state) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing state from existing snapshot");
                return false;
        }
        if (!snapshot_state_is_valid(def->state) || strcmp(def->state, "nostate") == 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "Invalid state '%s' in domain snapshot XML", def->state);
                return false;
        }
        if (!parse_domains(def, root, flags, error))
                return false;
        node = xml_child(root, "revertDisks");
        if (node && !parse_disks(node, def->revert_disks, error))
                return false;
        node = xml_child(root, "cookie");
        if (node)
                def->cookie = parse_cookie(node);
        return true;
}

/* D5, the part that needs no domain; offline is only known for REDEFINE. */
static bool parse_memory(SnapshotDef *def, xmlNodePtr root, unsigned flags, GError **error) {
        xmlNodePtr node = xml_child(root, "memory");
        bool offline = def->state && (strcmp(def->state, "shutoff") == 0 || strcmp(def->state, "disk-snapshot") == 0);

        if (node) {
                def->memory_file = xml_prop(node, "file");
                if (!parse_location(node, "memory", &def->memory, error))
                        return false;
                if (def->memory == SNAPSHOT_LOCATION_MANUAL) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "'manual' memory snapshot mode not supported");
                        return false;
                }
        }
        /* as libvirt: a file alone means external; a redefined snapshot has a memory state */
        if (def->memory == SNAPSHOT_LOCATION_DEFAULT) {
                if (def->memory_file)
                        def->memory = SNAPSHOT_LOCATION_EXTERNAL;
                else if (flags & SNAPSHOT_PARSE_REDEFINE)
                        def->memory = offline ? SNAPSHOT_LOCATION_NO : SNAPSHOT_LOCATION_INTERNAL;
        }
        if (def->memory_file && def->memory != SNAPSHOT_LOCATION_EXTERNAL) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "memory filename '%s' requires external snapshot", def->memory_file);
                return false;
        }
        if (!def->memory_file && def->memory == SNAPSHOT_LOCATION_EXTERNAL) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "external memory snapshots require a filename");
                return false;
        }
        if (offline && def->memory != SNAPSHOT_LOCATION_DEFAULT && def->memory != SNAPSHOT_LOCATION_NO) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "memory state cannot be saved with offline or disk-only snapshot");
                return false;
        }
        if (def->memory_file && !g_path_is_absolute(def->memory_file)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "memory snapshot file path (%s) must be absolute", def->memory_file);
                return false;
        }
        return true;
}

static bool parse_active(SnapshotDef *def, xmlNodePtr root, GError **error) {
        g_autofree char *s = xml_child_text(root, "active");

        if (!s)
                return true;
        g_strstrip(s);
        if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "malformed <active> '%s': expecting 0 or 1", s);
                return false;
        }
        def->active = s[0] == '1';
        return true;
}

SnapshotDef *snapshot_def_parse_string(const char *xml, unsigned flags, GError **error) {
        g_autoptr(xmlDoc) doc = NULL;
        g_autoptr(SnapshotDef) def = NULL;
        xmlNodePtr root, node;

        if (flags & ~(unsigned) SNAPSHOT_PARSE_ALL) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "unsupported snapshot parse flags 0x%x",
                            flags & ~(unsigned) SNAPSHOT_PARSE_ALL);
                return NULL;
        }
        doc = xml_doc_read(xml, "domainsnapshot", VMMD_ERROR_XML_DETAIL, error);
        if (!doc)
                return NULL;
        if ((flags & SNAPSHOT_PARSE_VALIDATE) && !xml_doc_validate(doc, "domainsnapshot.rng", error))
                return NULL;
        root = xmlDocGetRootElement(doc);

        def = snapshot_def_new();
        def->name = vmmd_name_element_text(root);
        if (def->name && !*def->name)
                g_clear_pointer(&def->name, g_free);
        def->description = child_text_nonempty(root, "description");
        if (flags & SNAPSHOT_PARSE_REDEFINE) {
                if (!parse_redefine(def, root, flags, error))
                        return NULL;
        } else {
                /* D3: a new snapshot is made now; what the caller says about its past is ignored */
                def->creation_time = g_get_real_time() / G_USEC_PER_SEC;
                def->has_creation_time = true;
                if (!def->name)
                        def->name = g_strdup_printf("%lld", def->creation_time);
        }
        /* D4: XMLDetail for every broken rule */
        if (!vmmd_name_check("snapshot", def->name, VMMD_ERROR_XML_DETAIL, VMMD_ERROR_XML_DETAIL, error))
                return NULL;
        if (!parse_memory(def, root, flags, error))
                return NULL;
        node = xml_child(root, "disks");
        if (node && !parse_disks(node, def->disks, error))
                return NULL;
        if ((flags & SNAPSHOT_PARSE_METADATA) && !parse_active(def, root, error))
                return NULL;
        return g_steal_pointer(&def);
}

/* --- format --- */

/* Appends a formatted document with buf's indentation added to every line. Only line breaks
 * that sit in whitespace between tags gain indentation; text (even blank text of a leaf
 * element), CDATA, comments and attribute values keep their bytes, so a round trip is exact. */
static void append_indented(XmlBuf *buf, const char *xml) {
        g_autofree char *pad = g_strnfill((gsize) buf->indent * 2, ' ');
        const char *p = xml;
        bool after_start_tag = false;

        g_string_append(buf->str, pad);
        while (*p) {
                const char *end;
                size_t n;
                bool blank = true;

                if (*p == '<') {
                        const char *close = NULL;

                        if (g_str_has_prefix(p, "<!--"))
                                close = strstr(p + 4, "-->");
                        else if (g_str_has_prefix(p, "<![CDATA["))
                                close = strstr(p + 9, "]]>");
                        else if (g_str_has_prefix(p, "<?"))
                                close = strstr(p + 2, "?>");
                        if (close || p[1] == '!' || p[1] == '?') {
                                end = close ? strchr(close, '>') + 1 : p + strlen(p);
                                after_start_tag = false;
                        } else {
                                char quote = 0;

                                for (end = p + 1; *end && (quote || *end != '>'); end++)
                                        if (quote ? *end == quote : (*end == '\'' || *end == '"'))
                                                quote = quote ? 0 : *end;
                                if (*end)
                                        end++;
                                after_start_tag = p[1] != '/' && end[-1] == '>' && end[-2] != '/';
                        }
                        g_string_append_len(buf->str, p, end - p);
                        p = end;
                        continue;
                }
                n = strcspn(p, "<");
                for (size_t i = 0; i < n && blank; i++)
                        blank = g_ascii_isspace(p[i]);
                if (!blank || (after_start_tag && p[n] == '<' && p[n + 1] == '/')) {
                        g_string_append_len(buf->str, p, (gssize) n);
                } else {
                        for (size_t i = 0; i < n; i++) {
                                g_string_append_c(buf->str, p[i]);
                                if (p[i] == '\n' && p[n] != '\0')
                                        g_string_append(buf->str, pad);
                        }
                }
                p += n;
        }
}

static void format_domain(XmlBuf *buf, const DomainDef *dom, const char *root_name, unsigned flags) {
        unsigned dflags = DOMAIN_DEF_FORMAT_INACTIVE;
        g_autofree char *xml = NULL;
        const char *body;
        size_t len;

        if (flags & SNAPSHOT_FORMAT_SECURE)
                dflags |= DOMAIN_DEF_FORMAT_SECURE;
        xml = domain_def_format(dom, dflags);
        if (strcmp(root_name, "domain") == 0 || !g_str_has_prefix(xml, "<domain")) {
                append_indented(buf, xml);
                return;
        }
        /* the same definition under another root name (libvirt's SetRootName) */
        body = xml + strlen("<domain");
        len = strlen(body);
        if (g_str_has_suffix(body, "</domain>\n"))
                len -= strlen("</domain>\n");
        {
                g_autoptr(GString) renamed = g_string_new(NULL);

                g_string_append_printf(renamed, "<%s", root_name);
                g_string_append_len(renamed, body, (gssize) len);
                if (len < strlen(body))
                        g_string_append_printf(renamed, "</%s>\n", root_name);
                append_indented(buf, renamed->str);
        }
}

static void format_disks(XmlBuf *buf, const char *name, const GPtrArray *disks) {
        g_auto(XmlBuf) list = { 0 };

        if (!disks || disks->len == 0)
                return;
        xml_buf_init_child(&list, buf);
        for (guint i = 0; i < disks->len; i++) {
                const SnapshotDiskDef *d = g_ptr_array_index(disks, i);
                g_autoptr(GString) attrs = g_string_new(NULL);
                g_autoptr(GString) a = g_string_new(NULL);
                g_auto(XmlBuf) children = { 0 };

                if (!d->name)
                        continue;
                xml_buf_init_child(&children, &list);
                xml_attr(attrs, "name", d->name);
                if (d->snapshot > SNAPSHOT_LOCATION_DEFAULT)
                        xml_attr(attrs, "snapshot", snapshot_location_to_string(d->snapshot));
                xml_attr(attrs, "type", d->source_type);
                xml_attr(a, "type", d->driver_type);
                xml_element(&children, "driver", a, NULL);
                g_string_truncate(a, 0);
                xml_attr(a, "file", d->source_file);
                xml_element(&children, "source", a, NULL);
                xml_element(&list, "disk", attrs, &children);
        }
        xml_element(buf, name, NULL, &list);
}

static void format_cookie(XmlBuf *buf, const char *cookie) {
        g_autofree char *wrapped = g_strconcat("<cookie>", cookie, "</cookie>", NULL);
        g_autoptr(xmlDoc) doc = xmlReadMemory(wrapped, (int) strlen(wrapped), "cookie.xml", NULL,
                                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

        if (!root) {
                /* a daemon-made cookie that is no XML: keep its bytes rather than lose it */
                g_autoptr(GString) text = g_string_new(NULL);

                xml_escape_append(text, cookie, false);
                xml_line(buf, "<cookie>%s</cookie>", text->str);
                return;
        }
        xml_strip_blanks(root);
        xml_node_dump(buf, root);
}

char *snapshot_def_format(const SnapshotDef *def, unsigned flags) {
        g_auto(XmlBuf) buf = { 0 };
        g_auto(XmlBuf) body = { 0 };

        g_return_val_if_fail(def, NULL);
        xml_buf_init(&buf, 0);
        xml_buf_init_child(&body, &buf);

        xml_element_text(&body, "name", NULL, def->name);
        xml_element_text(&body, "description", NULL, def->description);
        xml_element_text(&body, "state", NULL, def->state);
        if (def->parent) {
                g_auto(XmlBuf) parent = { 0 };

                xml_buf_init_child(&parent, &body);
                xml_element_text(&parent, "name", NULL, def->parent);
                xml_element(&body, "parent", NULL, &parent);
        }
        if (def->has_creation_time)
                xml_line(&body, "<creationTime>%lld</creationTime>", def->creation_time);
        if (def->memory != SNAPSHOT_LOCATION_DEFAULT || def->memory_file) {
                g_autoptr(GString) attrs = g_string_new(NULL);

                xml_attr(attrs, "snapshot", snapshot_location_to_string(def->memory));
                xml_attr(attrs, "file", def->memory_file);
                xml_element_empty(&body, "memory", attrs);
        }
        format_disks(&body, "disks", def->disks);
        format_disks(&body, "revertDisks", def->revert_disks);
        if (def->domain) {
                format_domain(&body, def->domain, "domain", flags);
        } else if (def->domain_uuid) {
                g_auto(XmlBuf) dom = { 0 };

                xml_buf_init_child(&dom, &body);
                xml_element_text(&dom, "uuid", NULL, def->domain_uuid);
                xml_element(&body, "domain", NULL, &dom);
        }
        if (def->inactive_domain)
                format_domain(&body, def->inactive_domain, "inactiveDomain", flags);
        if (def->cookie && *def->cookie)
                format_cookie(&body, def->cookie);
        if (flags & SNAPSHOT_FORMAT_METADATA)
                xml_line(&body, "<active>%d</active>", def->active > 0);

        xml_line(&buf, "<domainsnapshot>");
        g_string_append(buf.str, body.str->str);
        xml_line(&buf, "</domainsnapshot>");
        return g_string_free(g_steal_pointer(&buf.str), FALSE);
}
