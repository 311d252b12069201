/* Domain definitions: the <graphics> element (VNC, SPICE and the local kinds) and <redirdev>. */
#include "domain-conf-priv.h"
#include "error.h"

#include <string.h>

VMMD_ENUM_IMPL(domain_graphics_type, "sdl", "vnc", "rdp", "desktop", "spice", "egl-headless", "dbus")

/* The SPICE sub-elements vmmd understands, each with the one attribute that carries its
 * setting, in the order libvirt formats them. A NULL-terminated list of allowed values; an
 * empty list takes any value (a path). */
static const struct {
        const char *element, *attr;
        const char *const values[8];
} spice_options[] = {
        { "channel", "mode", { "any", "secure", "insecure", NULL } },
        { "image", "compression", { "auto_glz", "auto_lz", "quic", "glz", "lz", "off", NULL } },
        { "jpeg", "compression", { "auto", "never", "always", NULL } },
        { "zlib", "compression", { "auto", "never", "always", NULL } },
        { "playback", "compression", { "on", "off", NULL } },
        { "streaming", "mode", { "filter", "all", "off", NULL } },
        { "clipboard", "copypaste", { "yes", "no", NULL } },
        { "mouse", "mode", { "server", "client", NULL } },
        { "filetransfer", "enable", { "yes", "no", NULL } },
        { "gl", "enable", { "yes", "no", NULL } },
        { "gl", "rendernode", { NULL } },
};

static const char *const spice_channel_names[] = {
        "main", "display", "inputs", "cursor", "playback", "record", "smartcard", "usbredir", NULL,
};

static void graphics_listen_free(DomainGraphicsListen *l) {
        g_free(l->type);
        g_free(l->address);
        g_free(l->network);
        g_free(l->socket);
        g_free(l);
}

static void graphics_option_free(DomainGraphicsOption *o) {
        g_free(o->element);
        g_free(o->attr);
        g_free(o->value);
        g_free(o->name);
        g_free(o);
}

void domain_graphics_def_free(DomainGraphicsDef *g) {
        g_free(g->passwd);
        g_free(g->keymap);
        g_free(g->socket);
        g_free(g->default_mode);
        g_ptr_array_unref(g->listens);
        g_ptr_array_unref(g->options);
        g_free(g);
}

static bool parse_port(const char *s, const char *what, int *ret, GError **error) {
        char *end = NULL;
        gint64 n;

        if (!s)
                return true;
        n = g_ascii_strtoll(s, &end, 10);
        if (!*s || *end || n < -1 || n > 65535) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid graphics %s '%s'", what, s);
                return false;
        }
        *ret = (int) n;
        return true;
}

static bool add_spice_option(DomainGraphicsDef *g, xmlNodePtr c, const char *attr, const char *const *values,
                             GError **error) {
        g_autofree char *v = xml_prop(c, attr);
        DomainGraphicsOption *o;

        if (!v)
                return true;
        if (values[0] && !g_strv_contains(values, v)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown %s '%s' for spice <%s>", attr, v,
                            (const char *) c->name);
                return false;
        }
        /* an element given twice: the first one counts (one attribute can only appear once) */
        for (guint i = 0; !xml_is(c, "channel") && i < g->options->len; i++) {
                o = g_ptr_array_index(g->options, i);
                if (g_str_equal(o->element, (const char *) c->name) && g_str_equal(o->attr, attr))
                        return true;
        }
        o = g_new0(DomainGraphicsOption, 1);
        o->element = g_strdup((const char *) c->name);
        o->attr = g_strdup(attr);
        o->value = g_steal_pointer(&v);
        if (xml_is(c, "channel"))
                o->name = xml_prop(c, "name");
        g_ptr_array_add(g->options, o);
        return true;
}

static bool parse_spice_children(DomainGraphicsDef *g, xmlNodePtr node, GError **error) {
        xml_foreach_child(c, node) {
                if (xml_is(c, "channel")) {
                        g_autofree char *name = xml_prop(c, "name");
                        if (!name || !g_strv_contains(spice_channel_names, name)) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown spice channel name '%s'",
                                            name ? name : "");
                                return false;
                        }
                }
                for (size_t i = 0; i < G_N_ELEMENTS(spice_options); i++)
                        if (xml_is(c, spice_options[i].element) &&
                            !add_spice_option(g, c, spice_options[i].attr, spice_options[i].values, error))
                                return false;
        }
        return true;
}

gpointer domain_graphics_def_parse(xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) guard = g_ptr_array_new_with_free_func((GDestroyNotify) domain_graphics_def_free);
        DomainGraphicsDef *g = g_new0(DomainGraphicsDef, 1);
        g_autofree char *type = xml_prop(node, "type");
        g_autofree char *port = NULL, *tls_port = NULL, *listen = NULL;
        int v;

        g_ptr_array_add(guard, g);
        g->listens = g_ptr_array_new_with_free_func((GDestroyNotify) graphics_listen_free);
        g->options = g_ptr_array_new_with_free_func((GDestroyNotify) graphics_option_free);
        g->port = g->tls_port = -1;
        if (!type) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing graphics device type");
                return NULL;
        }
        v = domain_graphics_type_from_string(type);
        if (v < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown type '%s' for <graphics>", type);
                return NULL;
        }
        g->type = v;
        if (g->type != DOMAIN_GRAPHICS_TYPE_VNC && g->type != DOMAIN_GRAPHICS_TYPE_SPICE)
                return g_ptr_array_steal_index(guard, 0);

        port = xml_prop(node, "port");
        tls_port = xml_prop(node, "tlsPort");
        g->socket = xml_prop(node, "socket");
        g->autoport = xml_prop_tristate(node, "autoport", "yes", "no");
        if (g->autoport < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid graphics autoport value");
                return NULL;
        }
        if (!parse_port(port, "port", &g->port, error) || !parse_port(tls_port, "tlsPort", &g->tls_port, error))
                return NULL;
        /* libvirt's rule: port -1 or no port means "pick one", unless autoport says otherwise */
        if (!g->socket) {
                if (g->port == -1 && g->autoport == 0)
                        g->autoport = 1;
                else if (g->port >= 0 && g->autoport == 0)
                        g->autoport = 2;
        }
        g->passwd = xml_prop(node, "passwd");
        g->keymap = xml_prop(node, "keymap");
        if (g->type == DOMAIN_GRAPHICS_TYPE_SPICE) {
                static const char *const modes[] = { "any", "secure", "insecure", NULL };
                g->default_mode = xml_prop(node, "defaultMode");
                if (g->default_mode && !g_strv_contains(modes, g->default_mode)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown spice defaultMode '%s'",
                                    g->default_mode);
                        return NULL;
                }
                if (!parse_spice_children(g, node, error))
                        return NULL;
        }

        xml_foreach_child(c, node) {
                DomainGraphicsListen *l;
                g_autofree char *ltype = xml_prop(c, "type");

                /* a listen without a type says nothing (and would format to nothing) */
                if (!xml_is(c, "listen") || !ltype)
                        continue;
                l = g_new0(DomainGraphicsListen, 1);
                l->type = g_steal_pointer(&ltype);
                l->address = xml_prop(c, "address");
                l->network = xml_prop(c, "network");
                l->socket = xml_prop(c, "socket");
                g_ptr_array_add(g->listens, l);
        }
        listen = xml_prop(node, "listen");
        if (g->listens->len == 0 && !g->socket) {
                DomainGraphicsListen *l = g_new0(DomainGraphicsListen, 1);
                l->type = g_strdup("address");
                l->address = g_steal_pointer(&listen);
                g_ptr_array_add(g->listens, l);
        }
        return g_ptr_array_steal_index(guard, 0);
}

static void format_spice_options(XmlBuf *child, const DomainGraphicsDef *g) {
        for (guint i = 0; i < g->options->len; i++) {
                const DomainGraphicsOption *o = g_ptr_array_index(g->options, i);
                g_autoptr(GString) a = g_string_new(NULL);

                if (!o->name)
                        continue;
                xml_attr(a, "name", o->name);
                xml_attr(a, "mode", o->value);
                xml_element(child, "channel", a, NULL);
        }
        /* the others in libvirt's order; <gl> carries two attributes on one element */
        for (size_t k = 1; k < G_N_ELEMENTS(spice_options); k++) {
                g_autoptr(GString) a = g_string_new(NULL);

                if (k > 1 && g_str_equal(spice_options[k].element, spice_options[k - 1].element))
                        continue;
                for (guint i = 0; i < g->options->len; i++) {
                        const DomainGraphicsOption *o = g_ptr_array_index(g->options, i);
                        if (!o->name && g_str_equal(o->element, spice_options[k].element))
                                xml_attr(a, o->attr, o->value);
                }
                xml_element(child, spice_options[k].element, a, NULL);
        }
}

void domain_graphics_def_format(XmlBuf *buf, const DomainGraphicsDef *g, unsigned flags) {
        g_auto(XmlBuf) child = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);
        const char *listen_addr = NULL;

        xml_buf_init_child(&child, buf);
        for (guint i = 0; i < g->listens->len; i++) {
                DomainGraphicsListen *l = g_ptr_array_index(g->listens, i);
                g_autoptr(GString) a = g_string_new(NULL);

                if (!listen_addr && g_strcmp0(l->type, "address") == 0)
                        listen_addr = l->address;
                xml_attr(a, "type", l->type);
                xml_attr(a, "address", l->address);
                xml_attr(a, "network", l->network);
                xml_attr(a, "socket", l->socket);
                xml_element(&child, "listen", a, NULL);
        }
        if (g->type == DOMAIN_GRAPHICS_TYPE_SPICE)
                format_spice_options(&child, g);
        xml_attr(attrs, "type", domain_graphics_type_to_string(g->type));
        xml_attr(attrs, "socket", g->socket);
        if (!g->socket) {
                int port = g->port;
                /* an automatic port is only known while the domain runs */
                if (g->autoport == 1 && (flags & DOMAIN_DEF_FORMAT_INACTIVE))
                        port = -1;
                if (g->type == DOMAIN_GRAPHICS_TYPE_VNC || g->type == DOMAIN_GRAPHICS_TYPE_SPICE)
                        xml_attr_printf(attrs, "port", "%d", port);
                if (g->tls_port != -1)
                        xml_attr_printf(attrs, "tlsPort", "%d", g->tls_port);
                xml_attr_yesno(attrs, "autoport", g->autoport);
        }
        xml_attr(attrs, "listen", listen_addr);
        xml_attr(attrs, "keymap", g->keymap);
        xml_attr(attrs, "defaultMode", g->default_mode);
        if (flags & DOMAIN_DEF_FORMAT_SECURE)
                xml_attr(attrs, "passwd", g->passwd);
        xml_element(buf, "graphics", attrs, &child);
}

/* --- redirdev --- */

void domain_redirdev_def_free(DomainRedirdevDef *r) {
        g_free(r->bus);
        domain_chr_source_clear(&r->src);
        domain_device_info_clear(&r->info);
        g_free(r);
}

gpointer domain_redirdev_def_parse(xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) guard = g_ptr_array_new_with_free_func((GDestroyNotify) domain_redirdev_def_free);
        DomainRedirdevDef *r = g_new0(DomainRedirdevDef, 1);
        g_autofree char *type = xml_prop(node, "type");

        g_ptr_array_add(guard, r);
        r->bus = xml_prop(node, "bus");
        if (!r->bus)
                r->bus = g_strdup("usb");
        if (!g_str_equal(r->bus, "usb")) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown redirdev bus '%s'", r->bus);
                return NULL;
        }
        if (!type) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing type for <redirdev>");
                return NULL;
        }
        if (!domain_chr_source_parse(node, &r->src, error) || !domain_device_address_parse(node, &r->info, error))
                return NULL;
        return g_ptr_array_steal_index(guard, 0);
}

void domain_redirdev_def_format(XmlBuf *buf, const DomainRedirdevDef *r, unsigned flags) {
        g_auto(XmlBuf) child = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);

        xml_buf_init_child(&child, buf);
        domain_chr_source_format(&child, &r->src, flags);
        domain_device_info_format(&child, &r->info);
        xml_attr(attrs, "bus", r->bus);
        xml_attr(attrs, "type", domain_chr_type_to_string(r->src.type));
        xml_element(buf, "redirdev", attrs, &child);
}
