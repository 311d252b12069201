/* Small libxml2 reading helpers and a GString XML writer shared by the conf parsers. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <libxml/tree.h>

/* --- enum <-> string tables --- */

/* Declares name_to_string()/name_from_string() for an enum whose values index a table. */
#define VMMD_ENUM_DECL(name)                                    \
        const char *name##_to_string(int value);                \
        int name##_from_string(const char *s)

#define VMMD_ENUM_IMPL(name, ...)                                                       \
        static const char *const name##_table[] = { __VA_ARGS__ };                      \
        const char *name##_to_string(int value) {                                       \
                return vmmd_enum_to_string(name##_table, G_N_ELEMENTS(name##_table), value); \
        }                                                                               \
        int name##_from_string(const char *s) {                                         \
                return vmmd_enum_from_string(name##_table, G_N_ELEMENTS(name##_table), s); \
        }

const char *vmmd_enum_to_string(const char *const *table, size_t n, int value);
int vmmd_enum_from_string(const char *const *table, size_t n, const char *s);

/* --- reading --- */

/* The attribute's value as a GLib string (NULL when absent). */
char *xml_prop(xmlNodePtr node, const char *name);
/* First element child called name, or NULL. */
xmlNodePtr xml_child(xmlNodePtr node, const char *name);
/* Text and CDATA directly under node; entity references are not expanded on purpose. */
char *xml_text(xmlNodePtr node);
/* xml_text() of the first child called name, or NULL when there is no such child. */
char *xml_child_text(xmlNodePtr node, const char *name);
bool xml_is(xmlNodePtr node, const char *name);

/* Iterates over the element children of parent. */
#define xml_foreach_child(child, parent)                                        \
        for (xmlNodePtr child = (parent) ? (parent)->children : NULL; child; child = child->next) \
                if (child->type == XML_ELEMENT_NODE)

/* "yes"/"no" and "on"/"off" attributes as a tristate: 0 absent, 1 yes/on, 2 no/off, -1 invalid. */
int xml_prop_tristate(xmlNodePtr node, const char *name, const char *yes, const char *no);

/* Unsigned attribute in C notation (0x.. hex, 0.. octal, decimal). Returns 0 when absent,
 * 1 when parsed, -1 when malformed or above max. */
int xml_prop_uint(xmlNodePtr node, const char *name, unsigned max, unsigned *ret);

/* --- writing --- */

/* An output buffer that knows its indentation, so nested formatters need no depth argument. */
typedef struct {
        GString *str;
        int indent;
} XmlBuf;

void xml_buf_init(XmlBuf *buf, int indent);
void xml_buf_clear(XmlBuf *buf);
/* A child buffer one level deeper than parent. */
void xml_buf_init_child(XmlBuf *child, const XmlBuf *parent);

/* Appends ` name='value'` with escaping; nothing when value is NULL. */
void xml_attr(GString *attrs, const char *name, const char *value);
void xml_attr_printf(GString *attrs, const char *name, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void xml_attr_uint(GString *attrs, const char *name, unsigned long long value);
void xml_attr_yesno(GString *attrs, const char *name, int tristate);
void xml_attr_onoff(GString *attrs, const char *name, int tristate);

/* Writes <name attrs/> or <name attrs>children</name>; nothing when both are empty. */
void xml_element(XmlBuf *buf, const char *name, const GString *attrs, const XmlBuf *children);
/* Writes <name attrs/> even when empty (flags such as <readonly/>). */
void xml_element_empty(XmlBuf *buf, const char *name, const GString *attrs);
/* Writes <name attrs>text</name>; nothing when text is NULL. */
void xml_element_text(XmlBuf *buf, const char *name, const GString *attrs, const char *text);
/* Appends a line of raw text at buf's indentation. */
void xml_line(XmlBuf *buf, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The one escaping routine: & < > ' " always, and in attributes also the whitespace
 * that attribute-value normalisation would otherwise turn into spaces. */
void xml_escape_append(GString *out, const char *s, bool attribute);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(XmlBuf, xml_buf_clear)

/* Removes whitespace-only text nodes below node, so a verbatim copy re-indents stably. */
void xml_strip_blanks(xmlNodePtr node);
/* Writes a copied subtree (metadata, hypervisor features) at buf's indentation. */
void xml_node_dump(XmlBuf *buf, xmlNodePtr node);

/* --- whole documents --- */

/* Reads a document with no network access and no entity substitution (XXE), and checks
 * the root element. Not well formed gives malformed_code (each kind's spec picks it) with
 * the line; declared entities, a missing or a wrong root give VMMD_ERROR_XML_ERROR naming
 * the expected root. */
xmlDocPtr xml_doc_read(const char *xml, const char *root_name, int malformed_code, GError **error);
/* Between these two, xml_doc_read() in the calling thread reuses one parser context (and its
 * dictionary of names) for every document instead of making one per document: for a batch of
 * trusted files, the definitions a daemon loads at start. Not for input from clients: the
 * dictionary keeps every distinct name it saw until xml_parse_batch_end(). */
void xml_parse_batch_begin(void);
void xml_parse_batch_end(void);

/* RelaxNG-validates doc against an embedded schema (file name inside the schemas
 * GResource, e.g. "storagepool.rng"); each schema is compiled once.
 * VMMD_ERROR_XML_INVALID_SCHEMA with libxml2's first messages on failure. */
bool xml_doc_validate(xmlDocPtr doc, const char *schema_name, GError **error);
