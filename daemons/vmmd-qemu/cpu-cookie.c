/* The guest CPU in save images and running snapshots (spec C3, D16): a cookie recording the CPU QEMU gave the guest, and the -cpu that gives it again. */
#include "cpu-cookie.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "error.h"

/* Names QEMU takes as -cpu property names; anything else could smuggle in another option. */
static bool is_prop_name(const char *s) {
        if (!s || !*s)
                return false;
        for (; *s; s++)
                if (!g_ascii_isalnum(*s) && *s != '-' && *s != '_' && *s != '.')
                        return false;
        return true;
}

char *cpu_cookie_format(const QemuMonitorCpuModel *model) {
        g_autoptr(GString) out = g_string_new("<cpu mode='custom' match='exact' check='none'>");
        g_autofree char *name = g_markup_escape_text(model->name, -1);

        g_string_append_printf(out, "<model fallback='forbid'>%s</model>", name);
        for (guint i = 0; i < model->props->len; i++) {
                const QemuMonitorCpuProp *p = g_ptr_array_index(model->props, i);
                g_autofree char *n = g_markup_escape_text(p->name, -1);

                if (p->enabled < 0) {
                        g_autofree char *v = g_markup_escape_text(p->value, -1);
                        g_string_append_printf(out, "<property name='%s' value='%s'/>", n, v);
                }
        }
        for (guint i = 0; i < model->props->len; i++) {
                const QemuMonitorCpuProp *p = g_ptr_array_index(model->props, i);
                g_autofree char *n = g_markup_escape_text(p->name, -1);

                if (p->enabled >= 0)
                        g_string_append_printf(out, "<feature policy='%s' name='%s'/>",
                                               p->enabled ? "require" : "disable", n);
        }
        g_string_append(out, "</cpu>");
        return g_string_free(g_steal_pointer(&out), FALSE);
}

static xmlNodePtr find_cpu(xmlNodePtr n) {
        for (; n; n = n->next) {
                xmlNodePtr found;

                if (n->type != XML_ELEMENT_NODE)
                        continue;
                if (xmlStrEqual(n->name, BAD_CAST "cpu"))
                        return n;
                if ((found = find_cpu(n->children)))
                        return found;
        }
        return NULL;
}

/* QEMU's option syntax: a comma in a value is written twice */
static void append_value(GString *out, const char *v) {
        for (; *v; v++) {
                if (*v == ',')
                        g_string_append_c(out, ',');
                g_string_append_c(out, *v);
        }
}

static bool G_GNUC_PRINTF(2, 3) bad(GError **error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        g_autofree char *msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "the CPU cookie %s", msg);
        return false;
}

bool cpu_cookie_to_qemu_arg(const char *xml, char **ret_arg, GError **error) {
        g_autoptr(GString) out = g_string_new(NULL);
        xmlDocPtr doc;
        xmlNodePtr cpu;
        bool ok = true;

        *ret_arg = NULL;
        if (!xml || !*xml)
                return true;
        doc = xmlReadMemory(xml, (int) strlen(xml), "cookie.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                                         XML_PARSE_NOWARNING);
        if (!doc)
                return bad(error, "is not well-formed XML");
        cpu = find_cpu(xmlDocGetRootElement(doc));
        if (!cpu) {
                xmlFreeDoc(doc);
                return true;
        }
        for (xmlNodePtr n = cpu->children; n && ok; n = n->next) {
                g_autofree char *name = NULL, *value = NULL, *policy = NULL;

                if (n->type != XML_ELEMENT_NODE)
                        continue;
                if (xmlStrEqual(n->name, BAD_CAST "model")) {
                        g_autofree char *model = (char *) xmlNodeGetContent(n);
                        if (out->len > 0 || !is_prop_name(model))
                                ok = bad(error, "names a bad or second model '%s'", model ? model : "");
                        else
                                g_string_prepend(out, model);
                        continue;
                }
                name = (char *) xmlGetProp(n, BAD_CAST "name");
                if (!is_prop_name(name)) {
                        ok = bad(error, "has a bad property name '%s'", name ? name : "");
                        continue;
                }
                if (xmlStrEqual(n->name, BAD_CAST "property")) {
                        value = (char *) xmlGetProp(n, BAD_CAST "value");
                        if (!value) {
                                ok = bad(error, "property '%s' has no value", name);
                                continue;
                        }
                        g_string_append_printf(out, ",%s=", name);
                        append_value(out, value);
                } else if (xmlStrEqual(n->name, BAD_CAST "feature")) {
                        policy = (char *) xmlGetProp(n, BAD_CAST "policy");
                        bool off = g_strcmp0(policy, "disable") == 0 || g_strcmp0(policy, "forbid") == 0;
                        g_string_append_printf(out, ",%s=%s", name, off ? "off" : "on");
                }
        }
        xmlFreeDoc(doc);
        if (!ok)
                return false;
        if (out->len == 0 || out->str[0] == ',')
                return bad(error, "names no model");
        *ret_arg = g_string_free(g_steal_pointer(&out), FALSE);
        return true;
}

bool cpu_cookie_split_arg(const char *arg, char **ret_model, GPtrArray *on, GPtrArray *off) {
        g_auto(GStrv) parts = NULL;

        if (!arg || strstr(arg, ",,"))
                return false;
        parts = g_strsplit(arg, ",", -1);
        if (!is_prop_name(parts[0]))
                return false;
        for (guint i = 1; parts[i]; i++) {
                char *eq = strchr(parts[i], '=');

                if (!eq)
                        return false;
                *eq = '\0';
                if (g_str_equal(eq + 1, "on"))
                        g_ptr_array_add(on, g_strdup(parts[i]));
                else if (g_str_equal(eq + 1, "off"))
                        g_ptr_array_add(off, g_strdup(parts[i]));
                else
                        return false;   /* a value (hv-vendor-id=…): the expansion would miss it */
        }
        *ret_model = g_strdup(parts[0]);
        return true;
}
