/* A small element tree of the XML documents vmmd sends back (domain, snapshot and volume XML),
 * read with GLib's GMarkup. vmmctl needs a few values out of them and one edit (vol-clone), not a
 * full XML library: linking libxml2, and the ICU and libstdc++ it brings, cost every vmmctl run
 * about a millisecond of start-up. */
#include "vmmctl.h"

#include <string.h>

struct CtlXml {
        char *name;             /* NULL: a text node */
        char **attr_names, **attr_values;
        GString *text;          /* a text node's characters, entities resolved */
        GPtrArray *children;    /* CtlXml, in document order */
        CtlXml *parent;
};

void ctl_xml_free(CtlXml *n) {
        if (!n)
                return;
        g_free(n->name);
        g_strfreev(n->attr_names);
        g_strfreev(n->attr_values);
        if (n->text)
                g_string_free(n->text, TRUE);
        if (n->children)
                g_ptr_array_unref(n->children);
        g_free(n);
}

static CtlXml *node_add(CtlXml *parent, CtlXml *n) {
        n->parent = parent;
        if (parent) {
                if (!parent->children)
                        parent->children = g_ptr_array_new_with_free_func((GDestroyNotify) ctl_xml_free);
                g_ptr_array_add(parent->children, n);
        }
        return n;
}

typedef struct {
        CtlXml *root, *current;
} ParseState;

static void on_start(GMarkupParseContext *ctx, const char *name, const char **attr_names, const char **attr_values,
                     gpointer data, GError **error) {
        ParseState *st = data;
        CtlXml *n = g_new0(CtlXml, 1);

        (void) ctx;
        if (!st->current && st->root) {
                ctl_xml_free(n);
                g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "more than one root element");
                return;
        }
        n->name = g_strdup(name);
        n->attr_names = g_strdupv((char **) attr_names);
        n->attr_values = g_strdupv((char **) attr_values);
        node_add(st->current, n);
        if (!st->root)
                st->root = n;
        st->current = n;
}

static void on_end(GMarkupParseContext *ctx, const char *name, gpointer data, GError **error) {
        ParseState *st = data;

        (void) ctx, (void) name, (void) error;
        st->current = st->current->parent;
}

static void on_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data, GError **error) {
        ParseState *st = data;
        CtlXml *last;

        (void) ctx, (void) error;
        if (!st->current)
                return;         /* blanks around the root element */
        last = st->current->children && st->current->children->len ?
                       g_ptr_array_index(st->current->children, st->current->children->len - 1) : NULL;
        if (!last || last->name) {
                last = node_add(st->current, g_new0(CtlXml, 1));
                last->text = g_string_new(NULL);
        }
        g_string_append_len(last->text, text, (gssize) len);
}

CtlXml *ctl_xml_parse(const char *xml, GError **error) {
        static const GMarkupParser parser = { .start_element = on_start, .end_element = on_end, .text = on_text };
        ParseState st = { 0 };
        GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, G_MARKUP_TREAT_CDATA_AS_TEXT, &st, NULL);
        bool ok = g_markup_parse_context_parse(ctx, xml, -1, error) && g_markup_parse_context_end_parse(ctx, error);

        g_markup_parse_context_free(ctx);
        if (ok && !st.root) {
                ok = false;
                g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_EMPTY, "no root element");
        }
        if (!ok) {
                ctl_xml_free(st.root);
                return NULL;
        }
        return st.root;
}

const char *ctl_xml_name(const CtlXml *n) {
        return n->name;
}

CtlXml *ctl_xml_next_child(const CtlXml *n, const char *name, guint *i) {
        for (; n->children && *i < n->children->len; (*i)++) {
                CtlXml *c = g_ptr_array_index(n->children, *i);

                if (c->name && (!name || g_str_equal(c->name, name))) {
                        (*i)++;
                        return c;
                }
        }
        return NULL;
}

CtlXml *ctl_xml_child(const CtlXml *n, const char *name) {
        guint i = 0;

        return n ? ctl_xml_next_child(n, name, &i) : NULL;
}

const char *ctl_xml_attr(const CtlXml *n, const char *attr) {
        for (guint i = 0; n && n->attr_names && n->attr_names[i]; i++)
                if (g_str_equal(n->attr_names[i], attr))
                        return n->attr_values[i];
        return NULL;
}

static void text_append(const CtlXml *n, GString *out) {
        if (!n->name) {
                g_string_append_len(out, n->text->str, (gssize) n->text->len);
                return;
        }
        for (guint i = 0; n->children && i < n->children->len; i++)
                text_append(g_ptr_array_index(n->children, i), out);
}

char *ctl_xml_text(const CtlXml *n) {
        GString *out = g_string_new(NULL);

        if (n)
                text_append(n, out);
        return g_string_free(out, FALSE);
}

void ctl_xml_set_text(CtlXml *n, const char *text) {
        CtlXml *t = g_new0(CtlXml, 1);

        if (n->children)
                g_ptr_array_set_size(n->children, 0);
        t->text = g_string_new(text);
        node_add(n, t);
}

void ctl_xml_remove(CtlXml *n) {
        if (n->parent)
                g_ptr_array_remove(n->parent->children, n);     /* frees n */
        else
                ctl_xml_free(n);
}

static void format_append(const CtlXml *n, GString *out) {
        g_autofree char *text = NULL;

        if (!n->name) {
                text = g_markup_escape_text(n->text->str, (gssize) n->text->len);
                g_string_append(out, text);
                return;
        }
        g_string_append_printf(out, "<%s", n->name);
        for (guint i = 0; n->attr_names && n->attr_names[i]; i++) {
                g_autofree char *v = g_markup_escape_text(n->attr_values[i], -1);

                g_string_append_printf(out, " %s='%s'", n->attr_names[i], v);
        }
        if (!n->children || !n->children->len) {
                g_string_append(out, "/>");
                return;
        }
        g_string_append_c(out, '>');
        for (guint i = 0; i < n->children->len; i++)
                format_append(g_ptr_array_index(n->children, i), out);
        g_string_append_printf(out, "</%s>", n->name);
}

char *ctl_xml_format(const CtlXml *n) {
        GString *out = g_string_new(NULL);

        format_append(n, out);
        g_string_append_c(out, '\n');
        return g_string_free(out, FALSE);
}
