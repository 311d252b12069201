/* The capabilities document (GetCapabilities): what the host and its emulators offer, as plain data and its XML. */
#include "capabilities-conf.h"

#include "xml-util.h"

static void machine_free(CapsMachine *m) {
        g_free(m->name);
        g_free(m->alias);
        g_free(m);
}

static void guest_free(CapsGuest *g) {
        g_free(g->arch);
        g_free(g->emulator);
        g_ptr_array_unref(g->machines);
        g_free(g);
}

CapsDef *caps_def_new(const char *host_arch) {
        CapsDef *def = g_new0(CapsDef, 1);

        def->host_arch = g_strdup(host_arch);
        def->guests = g_ptr_array_new_with_free_func((GDestroyNotify) guest_free);
        return def;
}

void caps_def_free(CapsDef *def) {
        if (!def)
                return;
        g_free(def->host_arch);
        g_ptr_array_unref(def->guests);
        g_free(def);
}

CapsGuest *caps_def_add_guest(CapsDef *def, const char *arch, const char *emulator, bool kvm) {
        CapsGuest *g = g_new0(CapsGuest, 1);

        g->arch = g_strdup(arch);
        g->emulator = g_strdup(emulator);
        g->kvm = kvm;
        g->machines = g_ptr_array_new_with_free_func((GDestroyNotify) machine_free);
        g_ptr_array_add(def->guests, g);
        return g;
}

void caps_guest_add_machine(CapsGuest *guest, const char *name, const char *alias) {
        CapsMachine *m = g_new0(CapsMachine, 1);

        m->name = g_strdup(name);
        m->alias = g_strdup(alias);
        g_ptr_array_add(guest->machines, m);
}

static void format_guest(XmlBuf *buf, const CapsGuest *g) {
        g_auto(XmlBuf) guest = { 0 };
        g_auto(XmlBuf) arch = { 0 };
        g_autoptr(GString) arch_attrs = g_string_new(NULL);
        g_autoptr(GString) qemu = g_string_new(NULL);

        xml_buf_init_child(&guest, buf);
        xml_buf_init_child(&arch, &guest);
        xml_element_text(&guest, "os_type", NULL, "hvm");
        xml_attr(arch_attrs, "name", g->arch);
        xml_element_text(&arch, "emulator", NULL, g->emulator);
        /* the aliases first, each naming the type it stands for, then every type */
        for (guint i = 0; i < g->machines->len; i++) {
                const CapsMachine *m = g_ptr_array_index(g->machines, i);
                g_autoptr(GString) attrs = g_string_new(NULL);
                if (!m->alias)
                        continue;
                xml_attr(attrs, "canonical", m->name);
                xml_element_text(&arch, "machine", attrs, m->alias);
        }
        for (guint i = 0; i < g->machines->len; i++) {
                const CapsMachine *m = g_ptr_array_index(g->machines, i);
                xml_element_text(&arch, "machine", NULL, m->name);
        }
        xml_attr(qemu, "type", "qemu");
        xml_element_empty(&arch, "domain", qemu);
        if (g->kvm) {
                g_autoptr(GString) kvm = g_string_new(NULL);
                xml_attr(kvm, "type", "kvm");
                xml_element_empty(&arch, "domain", kvm);
        }
        xml_element(&guest, "arch", arch_attrs, &arch);
        xml_element(buf, "guest", NULL, &guest);
}

char *caps_def_format(const CapsDef *def) {
        g_auto(XmlBuf) root = { 0 };
        g_auto(XmlBuf) caps = { 0 };
        g_auto(XmlBuf) host = { 0 };
        g_auto(XmlBuf) cpu = { 0 };

        xml_buf_init(&root, 0);
        xml_buf_init_child(&caps, &root);
        xml_buf_init_child(&host, &caps);
        xml_buf_init_child(&cpu, &host);
        xml_element_text(&cpu, "arch", NULL, def->host_arch);
        xml_element(&host, "cpu", NULL, &cpu);
        xml_element(&caps, "host", NULL, &host);
        for (guint i = 0; i < def->guests->len; i++)
                format_guest(&caps, g_ptr_array_index(def->guests, i));
        xml_element(&root, "capabilities", NULL, &caps);
        return g_string_free(g_steal_pointer(&root.str), FALSE);
}
