/* Domain definitions: the guest NUMA topology, <cpu><numa><cell …/></numa></cpu>. */
#include "domain-conf-priv.h"
#include "error.h"

#include <string.h>

static void cell_free(DomainNumaCell *c) {
        g_free(c->cpus);
        g_free(c->mem_access);
        g_free(c->discard);
        g_array_unref(c->distances);
        g_free(c);
}

/* "0-3,8,10-11": numbers and ranges, as libvirt writes CPU lists */
static bool cpu_list_valid(const char *s) {
        g_auto(GStrv) parts = g_strsplit(s, ",", -1);

        if (!*s)
                return false;
        for (char **p = parts; *p; p++) {
                g_auto(GStrv) range = g_strsplit(*p, "-", 2);
                guint64 lo, hi;

                if (!g_ascii_string_to_unsigned(range[0], 10, 0, 16383, &lo, NULL))
                        return false;
                if (range[1] && (!g_ascii_string_to_unsigned(range[1], 10, lo, 16383, &hi, NULL)))
                        return false;
        }
        return true;
}

void domain_numa_clear(DomainDef *def) {
        domain_list_clear(&def->numa_cells, (GDestroyNotify) cell_free);
}

bool domain_numa_parse(DomainDef *def, xmlNodePtr cpu, GError **error) {
        xmlNodePtr numa = xml_child(cpu, "numa");

        domain_numa_clear(def);
        xml_foreach_child(c, numa) {
                DomainNumaCell *cell;
                g_autofree char *memory = NULL, *unit = NULL;
                int r;

                if (!xml_is(c, "cell"))
                        continue;
                cell = g_new0(DomainNumaCell, 1);
                cell->distances = g_array_new(FALSE, TRUE, sizeof(DomainNumaDistance));
                domain_list_add(&def->numa_cells, cell);
                r = xml_prop_uint(c, "id", 255, &cell->id);
                if (r == 0)
                        cell->id = domain_list_len(def->numa_cells) - 1;      /* libvirt numbers cells in order */
                cell->cpus = xml_prop(c, "cpus");
                memory = xml_prop(c, "memory");
                unit = xml_prop(c, "unit");
                cell->mem_access = xml_prop(c, "memAccess");
                cell->discard = xml_prop(c, "discard");
                if (r < 0 || cell->id != domain_list_len(def->numa_cells) - 1) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "NUMA cell ids must be 0, 1, … in document order");
                        return false;
                }
                if (cell->cpus && !cpu_list_valid(cell->cpus)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid cpus '%s' in NUMA cell %u",
                                    cell->cpus, cell->id);
                        return false;
                }
                if (!memory) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "NUMA cell %u has no memory", cell->id);
                        return false;
                }
                if (!domain_parse_scaled_kib(memory, unit, "a NUMA cell's memory", &cell->memory_kib, error))
                        return false;
                xml_foreach_child(sib, xml_child(c, "distances")) {
                        DomainNumaDistance d = { 0 };

                        if (!xml_is(sib, "sibling"))
                                continue;
                        if (xml_prop_uint(sib, "id", 255, &d.id) <= 0 || xml_prop_uint(sib, "value", 255, &d.value) <= 0 ||
                            d.value < 10) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                            "invalid NUMA distance in cell %u (id and value 10..255 needed)", cell->id);
                                return false;
                        }
                        g_array_append_val(cell->distances, d);
                }
        }
        for (guint i = 0; i < domain_list_len(def->numa_cells); i++) {
                DomainNumaCell *cell = domain_list_at(def->numa_cells, i);
                for (guint j = 0; j < cell->distances->len; j++)
                        if (g_array_index(cell->distances, DomainNumaDistance, j).id >= domain_list_len(def->numa_cells)) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                            "NUMA cell %u has a distance to cell %u, which does not exist", cell->id,
                                            g_array_index(cell->distances, DomainNumaDistance, j).id);
                                return false;
                        }
        }
        return true;
}

void domain_numa_format(const DomainDef *def, XmlBuf *buf) {
        g_auto(XmlBuf) child = { 0 };

        xml_buf_init_child(&child, buf);
        for (guint i = 0; i < domain_list_len(def->numa_cells); i++) {
                const DomainNumaCell *cell = domain_list_at(def->numa_cells, i);
                g_autoptr(GString) a = g_string_new(NULL);
                g_auto(XmlBuf) dist = { 0 };
                g_auto(XmlBuf) sibs = { 0 };

                xml_buf_init_child(&dist, &child);
                xml_buf_init_child(&sibs, &dist);
                for (guint j = 0; j < cell->distances->len; j++) {
                        const DomainNumaDistance *d = &g_array_index(cell->distances, DomainNumaDistance, j);
                        g_autoptr(GString) sa = g_string_new(NULL);

                        xml_attr_uint(sa, "id", d->id);
                        xml_attr_uint(sa, "value", d->value);
                        xml_element(&sibs, "sibling", sa, NULL);
                }
                xml_element(&dist, "distances", NULL, &sibs);
                xml_attr_uint(a, "id", cell->id);
                xml_attr(a, "cpus", cell->cpus);
                xml_attr_uint(a, "memory", cell->memory_kib);
                xml_attr(a, "unit", "KiB");
                xml_attr(a, "memAccess", cell->mem_access);
                xml_attr(a, "discard", cell->discard);
                xml_element(&child, "cell", a, &dist);
        }
        xml_element(buf, "numa", NULL, &child);
}
