/* Domain definitions: <sysinfo type='smbios'> (the SMBIOS strings a guest reads) and <os><smbios mode>. */
#include "domain-conf-priv.h"
#include "error.h"

#include <string.h>

/* The SMBIOS tables libvirt fills from <sysinfo>, in its order: block → table type */
static const struct {
        const char *block;
        int table;
} sysinfo_blocks[] = {
        { "bios", 0 }, { "system", 1 }, { "baseBoard", 2 }, { "chassis", 3 }, { "oemStrings", 11 },
};

static void entry_free(DomainSysinfoEntry *e) {
        g_free(e->block);
        g_free(e->name);
        g_free(e->value);
        g_free(e);
}

void domain_sysinfo_clear(DomainDef *def) {
        domain_list_clear(&def->sysinfo, (GDestroyNotify) entry_free);
        g_clear_pointer(&def->sysinfo_type, g_free);
        g_clear_pointer(&def->os_smbios_mode, g_free);
}

int domain_sysinfo_table(const char *block) {
        for (size_t i = 0; i < G_N_ELEMENTS(sysinfo_blocks); i++)
                if (g_str_equal(sysinfo_blocks[i].block, block))
                        return sysinfo_blocks[i].table;
        return -1;
}

bool domain_sysinfo_parse(DomainDef *def, xmlNodePtr root, GError **error) {
        xmlNodePtr os = xml_child(root, "os");
        xmlNodePtr sysinfo = xml_child(root, "sysinfo");
        static const char *const modes[] = { "emulate", "host", "sysinfo", NULL };

        def->os_smbios_mode = xml_prop(xml_child(os, "smbios"), "mode");
        if (xml_child(os, "smbios") && (!def->os_smbios_mode || !g_strv_contains(modes, def->os_smbios_mode))) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid smbios mode '%s'",
                            def->os_smbios_mode ? def->os_smbios_mode : "");
                return false;
        }
        if (!sysinfo)
                return true;
        def->sysinfo_type = xml_prop(sysinfo, "type");
        if (g_strcmp0(def->sysinfo_type, "smbios") != 0) {
                /* fwcfg sysinfo is for other firmware interfaces; keep the refusal explicit */
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED, "sysinfo type '%s' is not supported",
                            def->sysinfo_type ? def->sysinfo_type : "");
                return false;
        }
        xml_foreach_child(block, sysinfo) {
                if (block->type != XML_ELEMENT_NODE || domain_sysinfo_table((const char *) block->name) < 0)
                        continue;
                xml_foreach_child(e, block) {
                        DomainSysinfoEntry *entry;

                        if (!xml_is(e, "entry") && !xml_is(e, "string"))
                                continue;
                        entry = g_new0(DomainSysinfoEntry, 1);
                        entry->block = g_strdup((const char *) block->name);
                        entry->name = xml_prop(e, "name");
                        entry->value = xml_text(e);
                        domain_list_add(&def->sysinfo, entry);
                        if (!entry->name && !g_str_equal(entry->block, "oemStrings")) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                            "sysinfo <%s> entry without a name", entry->block);
                                return false;
                        }
                }
        }
        return true;
}

void domain_sysinfo_format_os(const DomainDef *def, XmlBuf *buf) {
        g_autoptr(GString) a = g_string_new(NULL);

        xml_attr(a, "mode", def->os_smbios_mode);
        xml_element(buf, "smbios", a, NULL);
}

void domain_sysinfo_format(const DomainDef *def, XmlBuf *buf) {
        g_auto(XmlBuf) child = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);

        if (!def->sysinfo_type)
                return;
        xml_buf_init_child(&child, buf);
        for (size_t b = 0; b < G_N_ELEMENTS(sysinfo_blocks); b++) {
                g_auto(XmlBuf) entries = { 0 };
                bool oem = g_str_equal(sysinfo_blocks[b].block, "oemStrings");

                xml_buf_init_child(&entries, &child);
                for (guint i = 0; i < domain_list_len(def->sysinfo); i++) {
                        const DomainSysinfoEntry *e = domain_list_at(def->sysinfo, i);
                        g_autoptr(GString) a = g_string_new(NULL);

                        if (!g_str_equal(e->block, sysinfo_blocks[b].block))
                                continue;
                        xml_attr(a, "name", e->name);
                        xml_element_text(&entries, oem ? "string" : "entry", a, e->value ? e->value : "");
                }
                xml_element(&child, sysinfo_blocks[b].block, NULL, &entries);
        }
        xml_attr(attrs, "type", def->sysinfo_type);
        xml_element(buf, "sysinfo", attrs, &child);
}
