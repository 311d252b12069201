/* Secret definitions: parsing and formatting libvirt's <secret> XML (spec secrets.md §3, X2). */
#include "secret-conf.h"
#include "xml-util.h"
#include "uuid.h"
#include "error.h"
#include "cleanup.h"

#include <string.h>

/* index = SecretUsageType; "none" never appears in XML, so its slot is NULL */
static const char *const usage_names[] = { NULL, "volume", "ceph", "iscsi", "tls", "vtpm" };
static const char *const usage_id_elements[] = { NULL, "volume", "name", "target", "name", "name" };
G_STATIC_ASSERT(G_N_ELEMENTS(usage_names) == _SECRET_USAGE_MAX);
G_STATIC_ASSERT(G_N_ELEMENTS(usage_id_elements) == _SECRET_USAGE_MAX);

const char *secret_usage_type_to_string(int value) {
        if (value <= SECRET_USAGE_NONE || value >= _SECRET_USAGE_MAX)
                return NULL;
        return usage_names[value];
}

int secret_usage_type_from_string(const char *s) {
        if (!s)
                return -1;
        for (int i = SECRET_USAGE_NONE + 1; i < _SECRET_USAGE_MAX; i++)
                if (strcmp(usage_names[i], s) == 0)
                        return i;
        return -1;
}

const char *secret_usage_id_element(SecretUsageType type) {
        if ((int) type <= SECRET_USAGE_NONE || type >= _SECRET_USAGE_MAX)
                return NULL;
        return usage_id_elements[type];
}

SecretDef *secret_def_new(void) {
        return g_new0(SecretDef, 1);
}

void secret_def_free(SecretDef *def) {
        if (!def)
                return;
        g_free(def->description);
        g_free(def->usage_id);
        g_free(def);
}

SecretDef *secret_def_copy(const SecretDef *def) {
        SecretDef *d = g_memdup2(def, sizeof(*def));

        d->description = g_strdup(def->description);
        d->usage_id = g_strdup(def->usage_id);
        return d;
}

/* --- parse --- */

static bool parse_yesno(xmlNodePtr root, const char *attr, bool *ret, GError **error) {
        int t = xml_prop_tristate(root, attr, "yes", "no");

        if (t < 0) {
                g_autofree char *v = xml_prop(root, attr);

                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "invalid value '%s' of secret attribute %s (expected yes or no)", v, attr);
                return false;
        }
        *ret = t == 1;
        return true;
}

static bool parse_uuid(SecretDef *def, xmlNodePtr root, GError **error) {
        g_autofree char *raw = xml_child_text(root, "uuid");
        g_autofree char *s = raw ? g_strstrip(g_strdup(raw)) : NULL;

        if (!s || !*s) {
                vmmd_uuid_generate(def->uuid);
                return true;
        }
        if (!vmmd_uuid_parse(s, def->uuid)) {
                /* X2 makes this XMLError (libvirt says internal error) */
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "malformed uuid element '%s'", s);
                return false;
        }
        return true;
}

static bool parse_usage(SecretDef *def, xmlNodePtr root, GError **error) {
        xmlNodePtr usage = xml_child(root, "usage");
        g_autofree char *type = NULL;
        g_autofree char *id = NULL;
        const char *element;
        int t;

        if (!usage) {
                def->usage_type = SECRET_USAGE_NONE;
                return true;
        }
        type = xml_prop(usage, "type");
        if (!type) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "secret usage without a type attribute");
                return false;
        }
        t = secret_usage_type_from_string(type);
        if (t < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown secret usage type '%s'", type);
                return false;
        }
        element = secret_usage_id_element(t);
        id = xml_child_text(usage, element);
        if (id)
                g_strstrip(id);
        if (!id || !*id) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "%s usage specified, but %s is missing",
                            type, element);
                return false;
        }
        def->usage_type = t;
        def->usage_id = g_steal_pointer(&id);
        return true;
}

static SecretDef *secret_parse_node(xmlNodePtr root, GError **error) {
        g_autoptr(SecretDef) def = secret_def_new();
        g_autofree char *description = NULL;

        if (!parse_yesno(root, "ephemeral", &def->ephemeral, error) ||
            !parse_yesno(root, "private", &def->is_private, error) ||
            !parse_uuid(def, root, error) ||
            !parse_usage(def, root, error))
                return NULL;
        description = xml_child_text(root, "description");
        if (description && *description)
                def->description = g_steal_pointer(&description);
        return g_steal_pointer(&def);
}

SecretDef *secret_def_parse_string(const char *xml, unsigned flags, GError **error) {
        g_autoptr(xmlDoc) doc = NULL;

        if (flags & ~(unsigned) SECRET_DEF_PARSE_VALIDATE) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "unsupported flags (0x%x)",
                            flags & ~(unsigned) SECRET_DEF_PARSE_VALIDATE);
                return NULL;
        }
        /* X2: every parse error of a secret is XMLError */
        doc = xml_doc_read(xml, "secret", VMMD_ERROR_XML_ERROR, error);
        if (!doc)
                return NULL;
        if ((flags & SECRET_DEF_PARSE_VALIDATE) && !xml_doc_validate(doc, "secret.rng", error))
                return NULL;
        return secret_parse_node(xmlDocGetRootElement(doc), error);
}

/* --- format --- */

char *secret_def_format(const SecretDef *def) {
        g_auto(XmlBuf) top = { 0 };
        g_auto(XmlBuf) body = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);

        xml_buf_init(&top, 0);
        xml_buf_init_child(&body, &top);
        xml_attr(attrs, "ephemeral", def->ephemeral ? "yes" : "no");
        xml_attr(attrs, "private", def->is_private ? "yes" : "no");
        xml_element_text(&body, "uuid", NULL, def->uuid);
        xml_element_text(&body, "description", NULL, def->description);
        if (def->usage_type != SECRET_USAGE_NONE) {
                g_auto(XmlBuf) usage = { 0 };
                g_autoptr(GString) a = g_string_new(NULL);

                xml_buf_init_child(&usage, &body);
                xml_attr(a, "type", secret_usage_type_to_string(def->usage_type));
                xml_element_text(&usage, secret_usage_id_element(def->usage_type), NULL, def->usage_id);
                xml_element(&body, "usage", a, &usage);
        }
        xml_element(&top, "secret", attrs, &body);
        return g_string_free(g_steal_pointer(&top.str), FALSE);
}
