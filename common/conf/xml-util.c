/* Small libxml2 reading helpers and a GString XML writer shared by the conf parsers. */
#include "xml-util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *vmmd_enum_to_string(const char *const *table, size_t n, int value) {
        if (value < 0 || (size_t) value >= n)
                return NULL;
        return table[value];
}

int vmmd_enum_from_string(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -1;
        for (size_t i = 0; i < n; i++)
                if (table[i] && strcmp(table[i], s) == 0)
                        return (int) i;
        return -1;
}

char *xml_prop(xmlNodePtr node, const char *name) {
        xmlChar *v;
        char *ret;

        if (!node)
                return NULL;
        v = xmlGetNoNsProp(node, (const xmlChar *) name);
        if (!v)
                return NULL;
        ret = g_strdup((const char *) v);
        xmlFree(v);
        return ret;
}

bool xml_is(xmlNodePtr node, const char *name) {
        return node && node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, (const xmlChar *) name);
}

xmlNodePtr xml_child(xmlNodePtr node, const char *name) {
        xml_foreach_child(c, node)
                if (xml_is(c, name))
                        return c;
        return NULL;
}

char *xml_text(xmlNodePtr node) {
        GString *s;

        if (!node)
                return NULL;
        s = g_string_new(NULL);
        for (xmlNodePtr c = node->children; c; c = c->next)
                if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
                        g_string_append(s, (const char *) c->content);
        return g_string_free(s, FALSE);
}

char *xml_child_text(xmlNodePtr node, const char *name) {
        return xml_text(xml_child(node, name));
}

int xml_prop_tristate(xmlNodePtr node, const char *name, const char *yes, const char *no) {
        g_autofree char *v = xml_prop(node, name);

        if (!v)
                return 0;
        if (strcmp(v, yes) == 0)
                return 1;
        if (strcmp(v, no) == 0)
                return 2;
        return -1;
}

int xml_prop_uint(xmlNodePtr node, const char *name, unsigned max, unsigned *ret) {
        g_autofree char *v = xml_prop(node, name);
        unsigned long long n;
        char *end = NULL;

        if (!v)
                return 0;
        if (!g_ascii_isdigit(v[0]))
                return -1;
        errno = 0;
        n = g_ascii_strtoull(v, &end, 0);
        if (errno != 0 || !end || *end != '\0' || n > max)
                return -1;
        *ret = (unsigned) n;
        return 1;
}

void xml_buf_init(XmlBuf *buf, int indent) {
        buf->str = g_string_new(NULL);
        buf->indent = indent;
}

void xml_buf_init_child(XmlBuf *child, const XmlBuf *parent) {
        xml_buf_init(child, parent->indent + 1);
}

void xml_buf_clear(XmlBuf *buf) {
        if (buf->str)
                g_string_free(buf->str, TRUE);
        buf->str = NULL;
}

void xml_escape_append(GString *out, const char *s, bool attribute) {
        for (; *s; s++) {
                switch (*s) {
                case '&': g_string_append(out, "&amp;"); break;
                case '<': g_string_append(out, "&lt;"); break;
                case '>': g_string_append(out, "&gt;"); break;
                case '\'': g_string_append(out, "&apos;"); break;
                case '"': g_string_append(out, "&quot;"); break;
                case '\n':
                        g_string_append(out, attribute ? "&#10;" : "\n");
                        break;
                case '\r':
                        /* a literal CR never survives parsing, not even in text */
                        g_string_append(out, "&#13;");
                        break;
                case '\t':
                        g_string_append(out, attribute ? "&#9;" : "\t");
                        break;
                default:
                        g_string_append_c(out, *s);
                }
        }
}

void xml_attr(GString *attrs, const char *name, const char *value) {
        if (!value)
                return;
        g_string_append_printf(attrs, " %s='", name);
        xml_escape_append(attrs, value, true);
        g_string_append_c(attrs, '\'');
}

void xml_attr_printf(GString *attrs, const char *name, const char *fmt, ...) {
        g_autofree char *v = NULL;
        va_list ap;

        va_start(ap, fmt);
        v = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        xml_attr(attrs, name, v);
}

void xml_attr_uint(GString *attrs, const char *name, unsigned long long value) {
        g_string_append_printf(attrs, " %s='%llu'", name, value);
}

void xml_attr_yesno(GString *attrs, const char *name, int tristate) {
        if (tristate > 0)
                xml_attr(attrs, name, tristate == 1 ? "yes" : "no");
}

void xml_attr_onoff(GString *attrs, const char *name, int tristate) {
        if (tristate > 0)
                xml_attr(attrs, name, tristate == 1 ? "on" : "off");
}

static void xml_indent(XmlBuf *buf) {
        for (int i = 0; i < buf->indent; i++)
                g_string_append(buf->str, "  ");
}

void xml_element(XmlBuf *buf, const char *name, const GString *attrs, const XmlBuf *children) {
        bool has_attrs = attrs && attrs->len > 0;
        bool has_children = children && children->str && children->str->len > 0;

        if (!has_attrs && !has_children)
                return;
        xml_indent(buf);
        g_string_append_printf(buf->str, "<%s%s", name, has_attrs ? attrs->str : "");
        if (!has_children) {
                g_string_append(buf->str, "/>\n");
                return;
        }
        g_string_append(buf->str, ">\n");
        g_string_append(buf->str, children->str->str);
        xml_indent(buf);
        g_string_append_printf(buf->str, "</%s>\n", name);
}

void xml_element_empty(XmlBuf *buf, const char *name, const GString *attrs) {
        xml_indent(buf);
        g_string_append_printf(buf->str, "<%s%s/>\n", name, attrs ? attrs->str : "");
}

void xml_element_text(XmlBuf *buf, const char *name, const GString *attrs, const char *text) {
        if (!text)
                return;
        xml_indent(buf);
        g_string_append_printf(buf->str, "<%s%s>", name, attrs ? attrs->str : "");
        xml_escape_append(buf->str, text, false);
        g_string_append_printf(buf->str, "</%s>\n", name);
}

void xml_line(XmlBuf *buf, const char *fmt, ...) {
        va_list ap;

        xml_indent(buf);
        va_start(ap, fmt);
        g_string_append_vprintf(buf->str, fmt, ap);
        va_end(ap);
        g_string_append_c(buf->str, '\n');
}

void xml_strip_blanks(xmlNodePtr node) {
        xmlNodePtr c, next;

        for (c = node->children; c; c = next) {
                next = c->next;
                if (c->type == XML_TEXT_NODE && xmlIsBlankNode(c)) {
                        xmlUnlinkNode(c);
                        xmlFreeNode(c);
                } else if (c->type == XML_ELEMENT_NODE) {
                        xml_strip_blanks(c);
                }
        }
}

void xml_node_dump(XmlBuf *buf, xmlNodePtr node) {
        xmlBufferPtr xb = xmlBufferCreate();

        xmlNodeDump(xb, node->doc, node, buf->indent, 1);
        xml_line(buf, "%s", (const char *) xmlBufferContent(xb));
        xmlBufferFree(xb);
}
