/* Domain definitions: parse, format, copy and compare the non-device parts of <domain>. */
#include "domain-conf-priv.h"
#include "name-rule.h"
#include "error.h"
#include "cleanup.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

VMMD_ENUM_DECL(lifecycle_action);
VMMD_ENUM_IMPL(lifecycle_action,
               "destroy", "restart", "rename-restart", "preserve",
               "coredump-destroy", "coredump-restart")

const char *domain_lifecycle_action_to_string(DomainLifecycleAction a) {
        return lifecycle_action_to_string(a);
}

int domain_lifecycle_action_from_string(const char *s) {
        return lifecycle_action_from_string(s);
}

VMMD_ENUM_IMPL(domain_seclabel_type, "dynamic", "static", "none")

/* libvirt's virt types; the daemon decides which ones it can run. */
typedef enum {
        DOMAIN_VIRT_QEMU = 0,
        DOMAIN_VIRT_KVM,
        DOMAIN_VIRT_XEN,
        DOMAIN_VIRT_LXC,
        DOMAIN_VIRT_TEST,
        _DOMAIN_VIRT_MAX,
} DomainVirtType;
VMMD_ENUM_DECL(domain_virt_type);
VMMD_ENUM_IMPL(domain_virt_type, "qemu", "kvm", "xen", "lxc", "test")

/* Features kept (others are dropped); those listed in features_with_children keep
 * their sub-elements verbatim because their vocabulary is large and hypervisor-specific. */
typedef enum {
        DOMAIN_FEATURE_ACPI = 0, DOMAIN_FEATURE_APIC, DOMAIN_FEATURE_PAE, DOMAIN_FEATURE_HAP,
        DOMAIN_FEATURE_VIRIDIAN, DOMAIN_FEATURE_PRIVNET, DOMAIN_FEATURE_HYPERV,
        DOMAIN_FEATURE_KVM, DOMAIN_FEATURE_PVSPINLOCK, DOMAIN_FEATURE_CAPABILITIES,
        DOMAIN_FEATURE_PMU, DOMAIN_FEATURE_VMPORT, DOMAIN_FEATURE_GIC, DOMAIN_FEATURE_SMM,
        DOMAIN_FEATURE_IOAPIC, DOMAIN_FEATURE_HPT, DOMAIN_FEATURE_HTM, DOMAIN_FEATURE_VMCOREINFO,
        DOMAIN_FEATURE_XEN, DOMAIN_FEATURE_TCG, DOMAIN_FEATURE_ASYNC_TEARDOWN, DOMAIN_FEATURE_PS2,
        _DOMAIN_FEATURE_MAX,
} DomainFeature;
VMMD_ENUM_DECL(domain_feature);
VMMD_ENUM_IMPL(domain_feature,
               "acpi", "apic", "pae", "hap", "viridian", "privnet", "hyperv", "kvm",
               "pvspinlock", "capabilities", "pmu", "vmport", "gic", "smm", "ioapic",
               "hpt", "htm", "vmcoreinfo", "xen", "tcg", "async-teardown", "ps2")

static const DomainFeature features_with_children[] = {
        DOMAIN_FEATURE_HYPERV, DOMAIN_FEATURE_KVM, DOMAIN_FEATURE_CAPABILITIES,
        DOMAIN_FEATURE_SMM, DOMAIN_FEATURE_HPT, DOMAIN_FEATURE_XEN, DOMAIN_FEATURE_TCG,
};

/* Memory units as libvirt accepts them: powers of 1024 unless the name says decimal. */
typedef struct {
        const char *name;
        unsigned long long bytes;
} MemoryUnit;

static const MemoryUnit memory_units[] = {
        { "b", 1ULL }, { "bytes", 1ULL },
        { "KB", 1000ULL }, { "k", 1ULL << 10 }, { "KiB", 1ULL << 10 },
        { "MB", 1000000ULL }, { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
        { "GB", 1000000000ULL }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
        { "TB", 1000000000000ULL }, { "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
        { "PB", 1000000000000000ULL }, { "P", 1ULL << 50 }, { "PiB", 1ULL << 50 },
        { "EB", 1000000000000000000ULL }, { "E", 1ULL << 60 }, { "EiB", 1ULL << 60 },
};

/* --- allocation --- */

static void domain_seclabel_def_free(DomainSeclabelDef *s) {
        if (!s)
                return;
        g_free(s->model);
        g_free(s->label);
        g_free(s->imagelabel);
        g_free(s->baselabel);
        g_free(s);
}

static void xml_node_free(gpointer p) {
        xmlFreeNode(p);
}

static void domain_feature_def_free(DomainFeatureDef *f) {
        if (!f)
                return;
        g_free(f->name);
        g_free(f->state);
        g_free(f->eoi);
        g_free(f->version);
        g_free(f->driver);
        g_free(f->policy);
        g_free(f->mode);
        if (f->children)
                g_ptr_array_unref(f->children);
        g_free(f);
}

static void domain_timer_def_free(DomainTimerDef *t) {
        if (!t)
                return;
        g_free(t->name);
        g_free(t->present);
        g_free(t->tickpolicy);
        g_free(t->track);
        g_free(t->frequency);
        g_free(t->mode);
        g_free(t);
}

static void domain_cpu_feature_def_free(DomainCpuFeatureDef *f) {
        if (!f)
                return;
        g_free(f->policy);
        g_free(f->name);
        g_free(f);
}

/* --- lists --- */

void domain_list_add(DomainList *l, gpointer item) {
        if (!l->items_)
                l->items_ = g_ptr_array_new();
        g_ptr_array_add(l->items_, item);
}

void domain_list_insert(DomainList *l, guint index, gpointer item) {
        g_assert(index <= domain_list_len(*l));
        if (!l->items_)
                l->items_ = g_ptr_array_new();
        g_ptr_array_insert(l->items_, (gint) index, item);
}

gpointer domain_list_steal(DomainList *l, guint index) {
        g_assert(index < domain_list_len(*l));
        return g_ptr_array_steal_index(l->items_, index);
}

void domain_list_clear(DomainList *l, GDestroyNotify free_item) {
        if (!l->items_)
                return;
        for (guint i = 0; i < l->items_->len; i++)
                free_item(l->items_->pdata[i]);
        g_clear_pointer(&l->items_, g_ptr_array_unref);
}

static DomainDef *domain_def_new(void) {
        DomainDef *def = g_new0(DomainDef, 1);

        def->id = -1;
        def->on_poweroff = DOMAIN_LIFECYCLE_DESTROY;
        def->on_reboot = DOMAIN_LIFECYCLE_RESTART;
        def->on_crash = DOMAIN_LIFECYCLE_DESTROY;
        return def;
}

void domain_def_free(DomainDef *def) {
        if (!def)
                return;
        vmmd_shared_str_unref(def->virt_type);
        g_free(def->name);
        g_free(def->genid);
        g_free(def->title);
        g_free(def->description);
        if (def->metadata)
                xmlFreeDoc(def->metadata);
        g_free(def->max_memory_slots);
        vmmd_shared_str_unref(def->vcpu_placement);
        g_free(def->vcpu_cpuset);
        vmmd_shared_str_unref(def->os_type);
        vmmd_shared_str_unref(def->os_arch);
        vmmd_shared_str_unref(def->os_machine);
        g_free(def->os_firmware);
        g_free(def->os_loader);
        g_free(def->os_loader_readonly);
        g_free(def->os_loader_type);
        g_free(def->os_loader_secure);
        g_free(def->os_nvram);
        g_free(def->os_nvram_template);
        g_free(def->os_kernel);
        g_free(def->os_initrd);
        g_free(def->os_cmdline);
        g_free(def->os_dtb);
        domain_sysinfo_clear(def);
        domain_numa_clear(def);
        domain_list_clear(&def->os_boot, g_free);
        g_free(def->os_bootmenu_timeout);
        domain_list_clear(&def->features, (GDestroyNotify) domain_feature_def_free);
        g_free(def->cpu_mode);
        g_free(def->cpu_match);
        g_free(def->cpu_check);
        g_free(def->cpu_migratable);
        g_free(def->cpu_model);
        g_free(def->cpu_model_fallback);
        g_free(def->cpu_vendor);
        g_free(def->cpu_sockets);
        g_free(def->cpu_dies);
        g_free(def->cpu_cores);
        g_free(def->cpu_threads);
        domain_list_clear(&def->cpu_features, (GDestroyNotify) domain_cpu_feature_def_free);
        vmmd_shared_str_unref(def->clock_offset);
        g_free(def->clock_adjustment);
        g_free(def->clock_basis);
        g_free(def->clock_timezone);
        domain_list_clear(&def->timers, (GDestroyNotify) domain_timer_def_free);
        vmmd_shared_str_unref(def->emulator);
        domain_def_devices_free(def);
        domain_list_clear(&def->seclabels, (GDestroyNotify) domain_seclabel_def_free);
        g_strfreev(def->seclabel_models);
        domain_tuning_clear(def);
        g_free(def);
}

/* --- parsing helpers --- */

/* Empty elements count as absent, as in libvirt. */
static char *child_text_nonempty(xmlNodePtr node, const char *name) {
        char *s = xml_child_text(node, name);

        if (s && !*s)
                g_clear_pointer(&s, g_free);
        return s;
}

/* Parses a size N in unit U (default KiB) into KiB, rounding up like libvirt; what names
 * it in errors. */
bool domain_parse_scaled_kib(const char *value, const char *unit, const char *what, unsigned long long *ret_kib,
                             GError **error) {
        g_autofree char *stripped = g_strstrip(g_strdup(value ? value : ""));
        unsigned long long n, mult = 1024, bytes;
        char *end = NULL;
        bool found = false;

        if (unit) {
                for (size_t i = 0; i < G_N_ELEMENTS(memory_units); i++)
                        if (strcmp(memory_units[i].name, unit) == 0) {
                                mult = memory_units[i].bytes;
                                found = true;
                        }
                if (!found) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown memory unit '%s' in %s", unit,
                                    what);
                        return false;
                }
        }
        errno = 0;
        if (!g_ascii_isdigit(stripped[0]) ||
            (n = g_ascii_strtoull(stripped, &end, 10), errno != 0) || *end != '\0') {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid value '%s' for %s", value ? value : "",
                            what);
                return false;
        }
        if (n > ULLONG_MAX / mult) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "value of %s is too large: %s %s", what, stripped,
                            unit ? unit : "KiB");
                return false;
        }
        bytes = n * mult;
        *ret_kib = bytes / 1024 + (bytes % 1024 ? 1 : 0);
        /* the formatted KiB value must parse again */
        if (*ret_kib > ULLONG_MAX / 1024) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "value of %s is too large: %s %s", what, stripped,
                            unit ? unit : "KiB");
                return false;
        }
        return true;
}

/* Parses <NAME unit='U'>N</NAME> into KiB, rounding up like libvirt. Returns 0 when
 * absent, 1 when parsed, -1 on error (set). */
static int parse_memory(xmlNodePtr parent, const char *name, unsigned long long *ret_kib, GError **error) {
        xmlNodePtr node = xml_child(parent, name);
        g_autofree char *text = NULL, *unit = NULL, *what = NULL;

        if (!node)
                return 0;
        text = xml_text(node);
        unit = xml_prop(node, "unit");
        what = g_strdup_printf("<%s>", name);
        return domain_parse_scaled_kib(text, unit, what, ret_kib, error) ? 1 : -1;
}

static bool parse_lifecycle(xmlNodePtr root, const char *name, DomainLifecycleAction *ret, GError **error) {
        g_autofree char *s = child_text_nonempty(root, name);
        int a;

        if (!s)
                return true;
        g_strstrip(s);
        a = domain_lifecycle_action_from_string(s);
        if (a < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid %s value '%s'", name, s);
                return false;
        }
        *ret = a;
        return true;
}

/* E24: combinations QEMU cannot honour are refused up front. */
static bool check_lifecycle(const DomainDef *def, GError **error) {
        const struct {
                const char *event;
                DomainLifecycleAction action;
        } events[] = {
                { "on_poweroff", def->on_poweroff },
                { "on_reboot", def->on_reboot },
                { "on_crash", def->on_crash },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(events); i++) {
                DomainLifecycleAction a = events[i].action;
                bool guest_request = i < 2;

                if (a == DOMAIN_LIFECYCLE_RENAME_RESTART ||
                    (guest_request && (a == DOMAIN_LIFECYCLE_PRESERVE ||
                                       a == DOMAIN_LIFECYCLE_COREDUMP_DESTROY ||
                                       a == DOMAIN_LIFECYCLE_COREDUMP_RESTART))) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                    "action '%s' is not supported for event '%s'",
                                    domain_lifecycle_action_to_string(a), events[i].event);
                        return false;
                }
        }
        if (def->on_poweroff == DOMAIN_LIFECYCLE_RESTART && def->on_reboot == DOMAIN_LIFECYCLE_DESTROY) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "setting on_poweroff='restart' together with on_reboot='destroy' is not supported");
                return false;
        }
        return true;
}

static bool parse_name(DomainDef *def, xmlNodePtr root, GError **error) {
        g_autofree char *name = vmmd_name_element_text(root);

        if (!name || !*name) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_NAME, "missing domain name");
                return false;
        }
        /* A5: a newline is XMLDetail, every other broken rule what '/' gives */
        if (!vmmd_name_check("domain", name, VMMD_ERROR_XML_ERROR, VMMD_ERROR_XML_DETAIL, error))
                return false;
        def->name = g_steal_pointer(&name);
        return true;
}

static bool parse_uuid(DomainDef *def, xmlNodePtr root, GError **error) {
        xmlNodePtr node = xml_child(root, "uuid");
        g_autofree char *s = NULL;

        if (!node) {
                vmmd_uuid_generate(def->uuid);
                return true;
        }
        s = xml_text(node);
        if (!vmmd_uuid_parse(s, def->uuid)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR, "malformed uuid element '%s'", s);
                return false;
        }
        return true;
}

/* <genid>: an empty element asks for a fresh ID, which is then kept like any other */
static bool parse_genid(DomainDef *def, xmlNodePtr root, GError **error) {
        xmlNodePtr node = xml_child(root, "genid");
        g_autofree char *s = NULL;
        char id[37];

        if (!node)
                return true;
        s = g_strstrip(xml_text(node));
        if (!*s)
                vmmd_uuid_generate(id);
        else if (!vmmd_uuid_parse(s, id)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR, "malformed genid element '%s'", s);
                return false;
        }
        def->genid = g_strdup(id);
        return true;
}

/* <pm>: whether the guest may suspend to RAM / to disk (ACPI S3 / S4) */
static bool parse_pm(DomainDef *def, xmlNodePtr root, GError **error) {
        xmlNodePtr pm = xml_child(root, "pm");

        def->pm_suspend_to_mem = xml_prop_tristate(xml_child(pm, "suspend-to-mem"), "enabled", "yes", "no");
        def->pm_suspend_to_disk = xml_prop_tristate(xml_child(pm, "suspend-to-disk"), "enabled", "yes", "no");
        if (def->pm_suspend_to_mem < 0 || def->pm_suspend_to_disk < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid enabled value in <pm>");
                return false;
        }
        return true;
}

static void format_pm(const DomainDef *def, XmlBuf *buf) {
        g_auto(XmlBuf) child = { 0 };
        g_autoptr(GString) a = g_string_new(NULL);

        xml_buf_init_child(&child, buf);
        xml_attr_yesno(a, "enabled", def->pm_suspend_to_mem);
        xml_element(&child, "suspend-to-mem", a, NULL);
        g_string_truncate(a, 0);
        xml_attr_yesno(a, "enabled", def->pm_suspend_to_disk);
        xml_element(&child, "suspend-to-disk", a, NULL);
        xml_element(buf, "pm", NULL, &child);
}

/* The metadata subtree is kept verbatim in a document of its own. Each child is copied
 * on its own so that a namespace declared on an ancestor (<domain xmlns:app=…>) is
 * re-declared on that child, which then stands alone as libvirt expects. */
static void parse_metadata(DomainDef *def, xmlNodePtr root) {
        xmlNodePtr node = xml_child(root, "metadata");
        xmlNodePtr copy;

        if (!node)
                return;
        def->metadata = xmlNewDoc((const xmlChar *) "1.0");
        copy = xmlNewDocNode(def->metadata, NULL, (const xmlChar *) "metadata", NULL);
        xmlDocSetRootElement(def->metadata, copy);
        xml_foreach_child(c, node) {
                xmlNodePtr child = xmlDocCopyNode(c, def->metadata, 1);

                xml_strip_blanks(child);
                xmlAddChild(copy, child);
        }
}

static bool parse_memory_all(DomainDef *def, xmlNodePtr root, GError **error) {
        int r;

        r = parse_memory(root, "memory", &def->memory_kib, error);
        if (r < 0)
                return false;
        /* without <memory> the NUMA cells say how much the guest has, together */
        if (r == 0 && domain_list_len(def->numa_cells) > 0) {
                def->memory_kib = 0;
                for (guint i = 0; i < domain_list_len(def->numa_cells); i++)
                        def->memory_kib += ((DomainNumaCell *) domain_list_at(def->numa_cells, i))->memory_kib;
                r = 1;
        }
        if (r == 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "memory size must be specified via <memory> or NUMA cells");
                return false;
        }
        r = parse_memory(root, "currentMemory", &def->current_memory_kib, error);
        if (r < 0)
                return false;
        /* libvirt clamps the balloon target to the maximum rather than refusing */
        if (r == 0 || def->current_memory_kib > def->memory_kib)
                def->current_memory_kib = def->memory_kib;
        r = parse_memory(root, "maxMemory", &def->max_memory_kib, error);
        if (r < 0)
                return false;
        if (r > 0)
                def->max_memory_slots = xml_prop(xml_child(root, "maxMemory"), "slots");
        return true;
}

static bool parse_vcpu(DomainDef *def, xmlNodePtr root, GError **error) {
        xmlNodePtr node = xml_child(root, "vcpu");
        g_autofree char *text = NULL, *placement = NULL;
        unsigned current = 0;
        char *end = NULL;
        guint64 n;

        def->vcpus = 1;
        def->vcpu_placement = vmmd_shared_str("static");
        if (!node)
                return true;
        text = g_strstrip(xml_text(node));
        if (!g_ascii_isdigit(text[0]) || (n = g_ascii_strtoull(text, &end, 10), *end) || n == 0 || n > 16384) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid vcpu count '%s'", text);
                return false;
        }
        def->vcpus = n;
        if (xml_prop_uint(node, "current", 16384, &current) < 0 || current > def->vcpus) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "current vcpu count must be a number not above the maximum (%u)", def->vcpus);
                return false;
        }
        def->vcpu_current = current == def->vcpus ? 0 : current;
        placement = xml_prop(node, "placement");
        if (placement)
                vmmd_shared_str_set(&def->vcpu_placement, placement);
        def->vcpu_cpuset = xml_prop(node, "cpuset");
        return true;
}

static void parse_os(DomainDef *def, xmlNodePtr root) {
        xmlNodePtr os = xml_child(root, "os");
        xmlNodePtr type = xml_child(os, "type");
        xmlNodePtr loader = xml_child(os, "loader");
        xmlNodePtr nvram = xml_child(os, "nvram");
        xmlNodePtr bootmenu = xml_child(os, "bootmenu");

        def->os_type = vmmd_shared_str_take(g_strstrip(xml_child_text(os, "type") ?: g_strdup("")));
        if (!*def->os_type)
                vmmd_shared_str_set(&def->os_type, "hvm");
        def->os_arch = vmmd_shared_str_take(xml_prop(type, "arch"));
        def->os_machine = vmmd_shared_str_take(xml_prop(type, "machine"));
        def->os_firmware = xml_prop(os, "firmware");
        if (loader) {
                def->os_loader = child_text_nonempty(os, "loader");
                def->os_loader_readonly = xml_prop(loader, "readonly");
                def->os_loader_secure = xml_prop(loader, "secure");
                def->os_loader_type = xml_prop(loader, "type");
        }
        if (nvram) {
                def->os_nvram = child_text_nonempty(os, "nvram");
                def->os_nvram_template = xml_prop(nvram, "template");
        }
        def->os_kernel = child_text_nonempty(os, "kernel");
        def->os_initrd = child_text_nonempty(os, "initrd");
        def->os_cmdline = child_text_nonempty(os, "cmdline");
        def->os_dtb = child_text_nonempty(os, "dtb");
        xml_foreach_child(c, os) {
                char *dev;

                if (!xml_is(c, "boot"))
                        continue;
                dev = xml_prop(c, "dev");
                if (dev)
                        domain_list_add(&def->os_boot, dev);
        }
        if (bootmenu) {
                def->os_bootmenu = xml_prop_tristate(bootmenu, "enable", "yes", "no");
                if (def->os_bootmenu < 0)
                        def->os_bootmenu = 0;
                def->os_bootmenu_timeout = xml_prop(bootmenu, "timeout");
        }
}

static void parse_features(DomainDef *def, xmlNodePtr root) {
        xml_foreach_child(c, xml_child(root, "features")) {
                int f = domain_feature_from_string((const char *) c->name);
                DomainFeatureDef *feat;

                if (f < 0 || c->ns)
                        continue;
                feat = g_new0(DomainFeatureDef, 1);
                feat->name = g_strdup((const char *) c->name);
                feat->state = xml_prop(c, "state");
                feat->eoi = xml_prop(c, "eoi");
                feat->version = xml_prop(c, "version");
                feat->driver = xml_prop(c, "driver");
                feat->policy = xml_prop(c, "policy");
                feat->mode = xml_prop(c, "mode");
                for (size_t i = 0; i < G_N_ELEMENTS(features_with_children); i++) {
                        if ((int) features_with_children[i] != f)
                                continue;
                        feat->children = g_ptr_array_new_with_free_func(xml_node_free);
                        xml_foreach_child(sub, c) {
                                xmlNodePtr copy = xmlCopyNode(sub, 1);
                                xml_strip_blanks(copy);
                                g_ptr_array_add(feat->children, copy);
                        }
                }
                domain_list_add(&def->features, feat);
        }
}

static void parse_cpu(DomainDef *def, xmlNodePtr root) {
        xmlNodePtr cpu = xml_child(root, "cpu");
        xmlNodePtr model = xml_child(cpu, "model");
        xmlNodePtr topology = xml_child(cpu, "topology");

        if (!cpu)
                return;
        def->cpu_mode = xml_prop(cpu, "mode");
        def->cpu_match = xml_prop(cpu, "match");
        def->cpu_check = xml_prop(cpu, "check");
        def->cpu_migratable = xml_prop(cpu, "migratable");
        def->cpu_model = child_text_nonempty(cpu, "model");
        def->cpu_model_fallback = xml_prop(model, "fallback");
        def->cpu_vendor = child_text_nonempty(cpu, "vendor");
        def->cpu_sockets = xml_prop(topology, "sockets");
        def->cpu_dies = xml_prop(topology, "dies");
        def->cpu_cores = xml_prop(topology, "cores");
        def->cpu_threads = xml_prop(topology, "threads");
        xml_foreach_child(c, cpu) {
                DomainCpuFeatureDef *f;

                if (!xml_is(c, "feature"))
                        continue;
                f = g_new0(DomainCpuFeatureDef, 1);
                f->policy = xml_prop(c, "policy");
                f->name = xml_prop(c, "name");
                domain_list_add(&def->cpu_features, f);
        }
        /* a model without a mode is libvirt's custom mode with exact matching */
        if (!def->cpu_mode && def->cpu_model)
                def->cpu_mode = g_strdup("custom");
        if (!def->cpu_match && g_strcmp0(def->cpu_mode, "custom") == 0 && def->cpu_model)
                def->cpu_match = g_strdup("exact");
}

static void parse_clock(DomainDef *def, xmlNodePtr root) {
        xmlNodePtr clock = xml_child(root, "clock");

        def->clock_offset = vmmd_shared_str_take(xml_prop(clock, "offset"));
        if (!def->clock_offset)
                def->clock_offset = vmmd_shared_str("utc");
        def->clock_adjustment = xml_prop(clock, "adjustment");
        def->clock_basis = xml_prop(clock, "basis");
        def->clock_timezone = xml_prop(clock, "timezone");
        xml_foreach_child(c, clock) {
                DomainTimerDef *t;

                if (!xml_is(c, "timer"))
                        continue;
                t = g_new0(DomainTimerDef, 1);
                t->name = xml_prop(c, "name");
                t->present = xml_prop(c, "present");
                t->tickpolicy = xml_prop(c, "tickpolicy");
                t->track = xml_prop(c, "track");
                t->frequency = xml_prop(c, "frequency");
                t->mode = xml_prop(c, "mode");
                domain_list_add(&def->timers, t);
        }
}

static void domain_def_update_seclabel_models(DomainDef *def) {
        g_autoptr(GPtrArray) models = g_ptr_array_new();

        for (guint i = 0; i < domain_list_len(def->seclabels); i++) {
                DomainSeclabelDef *s = domain_list_at(def->seclabels, i);
                if (s->model && !g_ptr_array_find_with_equal_func(models, s->model, g_str_equal, NULL))
                        g_ptr_array_add(models, g_strdup(s->model));
        }
        g_ptr_array_add(models, NULL);
        g_strfreev(def->seclabel_models);
        def->seclabel_models = (char **) g_ptr_array_steal(models, NULL);
}

static bool parse_seclabels(DomainDef *def, xmlNodePtr root, GError **error) {
        xml_foreach_child(c, root) {
                g_autofree char *type = NULL;
                DomainSeclabelDef *s;
                int t = DOMAIN_SECLABEL_DYNAMIC;

                if (!xml_is(c, "seclabel"))
                        continue;
                type = xml_prop(c, "type");
                if (type && (t = domain_seclabel_type_from_string(type)) < 0) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid security type '%s'", type);
                        return false;
                }
                s = g_new0(DomainSeclabelDef, 1);
                domain_list_add(&def->seclabels, s);
                s->type = t;
                s->model = xml_prop(c, "model");
                s->relabel = xml_prop_tristate(c, "relabel", "yes", "no");
                if (s->relabel < 0) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "invalid security relabel value (expected 'yes' or 'no')");
                        return false;
                }
                s->label = child_text_nonempty(c, "label");
                s->imagelabel = child_text_nonempty(c, "imagelabel");
                s->baselabel = child_text_nonempty(c, "baselabel");
                switch (s->type) {
                case DOMAIN_SECLABEL_DYNAMIC:
                        if (s->relabel == 2) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                            "dynamic label type must use resource relabeling");
                                return false;
                        }
                        s->relabel = 1;
                        break;
                case DOMAIN_SECLABEL_STATIC:
                        if (!s->label) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                            "security label is missing for static seclabel%s%s",
                                            s->model ? " of model " : "", s->model ? s->model : "");
                                return false;
                        }
                        if (s->relabel == 0)
                                s->relabel = 2;
                        break;
                default:
                        /* type='none' confines nothing, so relabel has no meaning */
                        s->relabel = 0;
                        break;
                }
        }
        domain_def_update_seclabel_models(def);
        return true;
}

/* --- parse --- */

static DomainDef *domain_def_parse_node(xmlNodePtr root, GError **error) {
        g_autoptr(DomainDef) def = domain_def_new();
        g_autofree char *type = xml_prop(root, "type");
        g_autofree char *id = xml_prop(root, "id");

        if (!type || domain_virt_type_from_string(type) < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            type ? "invalid domain type '%s'" : "missing domain type attribute%s", type ? type : "");
                return NULL;
        }
        def->virt_type = vmmd_shared_str(type);
        if (id) {
                char *end = NULL;
                gint64 n = g_ascii_strtoll(id, &end, 10);
                /* the status XML of a running domain carries its id; -1 is "none" */
                if (!*id || *end || n < -1 || n > INT_MAX) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid domain id '%s'", id);
                        return NULL;
                }
                def->id = (int) n;
        }
        if (!parse_name(def, root, error) || !parse_uuid(def, root, error) || !parse_genid(def, root, error))
                return NULL;
        def->title = child_text_nonempty(root, "title");
        if (def->title && strchr(def->title, '\n')) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "domain title can't contain newlines");
                return NULL;
        }
        def->description = child_text_nonempty(root, "description");
        parse_metadata(def, root);
        if (!domain_numa_parse(def, xml_child(root, "cpu"), error))
                return NULL;
        if (!parse_memory_all(def, root, error) || !parse_vcpu(def, root, error))
                return NULL;
        if (!domain_tuning_parse(def, root, error))
                return NULL;
        parse_os(def, root);
        if (!domain_sysinfo_parse(def, root, error))
                return NULL;
        parse_features(def, root);
        parse_cpu(def, root);
        parse_clock(def, root);
        if (!parse_lifecycle(root, "on_poweroff", &def->on_poweroff, error) ||
            !parse_lifecycle(root, "on_reboot", &def->on_reboot, error) ||
            !parse_lifecycle(root, "on_crash", &def->on_crash, error) ||
            !check_lifecycle(def, error))
                return NULL;
        if (!parse_pm(def, root, error))
                return NULL;
        if (!domain_def_parse_devices(def, xml_child(root, "devices"), error))
                return NULL;
        if (!parse_seclabels(def, root, error))
                return NULL;
        if (!domain_tuning_check_devices(def, error))
                return NULL;
        if (!domain_def_check_pci_addresses(def, error))
                return NULL;
        return g_steal_pointer(&def);
}

DomainDef *domain_def_parse_string(const char *xml, unsigned flags, GError **error) {
        g_autoptr(xmlDoc) doc = NULL;

        if (flags & ~(unsigned) DOMAIN_DEF_PARSE_VALIDATE) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "unsupported parse flags 0x%x",
                            flags & ~(unsigned) DOMAIN_DEF_PARSE_VALIDATE);
                return NULL;
        }
        /* no network fetches, no entity substitution, no declared entities (they would
         * survive as references in the verbatim subtrees and not parse again) */
        doc = xml_doc_read(xml, "domain", VMMD_ERROR_XML_DETAIL, error);
        if (!doc)
                return NULL;
        if ((flags & DOMAIN_DEF_PARSE_VALIDATE) && !xml_doc_validate(doc, "domain.rng", error))
                return NULL;
        return domain_def_parse_node(xmlDocGetRootElement(doc), error);
}

/* --- format --- */

static void format_memory(XmlBuf *buf, const char *name, unsigned long long kib, const char *slots) {
        g_autoptr(GString) attrs = g_string_new(NULL);
        g_autofree char *text = g_strdup_printf("%llu", kib);

        xml_attr(attrs, "slots", slots);
        xml_attr(attrs, "unit", "KiB");
        xml_element_text(buf, name, attrs, text);
}

static void format_os(const DomainDef *def, XmlBuf *buf) {
        g_auto(XmlBuf) child = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);
        g_autoptr(GString) a = g_string_new(NULL);

        xml_buf_init_child(&child, buf);
        xml_attr(a, "arch", def->os_arch);
        xml_attr(a, "machine", def->os_machine);
        xml_element_text(&child, "type", a, def->os_type);

        g_string_truncate(a, 0);
        xml_attr(a, "readonly", def->os_loader_readonly);
        xml_attr(a, "secure", def->os_loader_secure);
        xml_attr(a, "type", def->os_loader_type);
        if (def->os_loader)
                xml_element_text(&child, "loader", a, def->os_loader);
        else
                xml_element(&child, "loader", a, NULL);

        g_string_truncate(a, 0);
        xml_attr(a, "template", def->os_nvram_template);
        if (def->os_nvram)
                xml_element_text(&child, "nvram", a, def->os_nvram);
        else
                xml_element(&child, "nvram", a, NULL);

        xml_element_text(&child, "kernel", NULL, def->os_kernel);
        xml_element_text(&child, "initrd", NULL, def->os_initrd);
        xml_element_text(&child, "cmdline", NULL, def->os_cmdline);
        xml_element_text(&child, "dtb", NULL, def->os_dtb);
        for (guint i = 0; i < domain_list_len(def->os_boot); i++) {
                g_string_truncate(a, 0);
                xml_attr(a, "dev", domain_list_at(def->os_boot, i));
                xml_element(&child, "boot", a, NULL);
        }
        g_string_truncate(a, 0);
        xml_attr_yesno(a, "enable", def->os_bootmenu);
        xml_attr(a, "timeout", def->os_bootmenu_timeout);
        xml_element(&child, "bootmenu", a, NULL);
        domain_sysinfo_format_os(def, &child);

        xml_attr(attrs, "firmware", def->os_firmware);
        xml_element(buf, "os", attrs, &child);
}

static void format_features(const DomainDef *def, XmlBuf *buf) {
        g_auto(XmlBuf) child = { 0 };

        xml_buf_init_child(&child, buf);
        for (guint i = 0; i < domain_list_len(def->features); i++) {
                DomainFeatureDef *f = domain_list_at(def->features, i);
                g_autoptr(GString) a = g_string_new(NULL);
                g_auto(XmlBuf) sub = { 0 };

                xml_attr(a, "state", f->state);
                xml_attr(a, "eoi", f->eoi);
                xml_attr(a, "version", f->version);
                xml_attr(a, "driver", f->driver);
                xml_attr(a, "policy", f->policy);
                xml_attr(a, "mode", f->mode);
                xml_buf_init_child(&sub, &child);
                for (guint j = 0; f->children && j < f->children->len; j++)
                        xml_node_dump(&sub, g_ptr_array_index(f->children, j));
                if (a->len == 0 && sub.str->len == 0)
                        xml_element_empty(&child, f->name, NULL);
                else
                        xml_element(&child, f->name, a, &sub);
        }
        xml_element(buf, "features", NULL, &child);
}

static void format_cpu(const DomainDef *def, XmlBuf *buf) {
        g_auto(XmlBuf) child = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);
        g_autoptr(GString) a = g_string_new(NULL);

        xml_buf_init_child(&child, buf);
        xml_attr(a, "fallback", def->cpu_model_fallback);
        xml_element_text(&child, "model", a, def->cpu_model);
        xml_element_text(&child, "vendor", NULL, def->cpu_vendor);
        g_string_truncate(a, 0);
        xml_attr(a, "sockets", def->cpu_sockets);
        xml_attr(a, "dies", def->cpu_dies);
        xml_attr(a, "cores", def->cpu_cores);
        xml_attr(a, "threads", def->cpu_threads);
        xml_element(&child, "topology", a, NULL);
        for (guint i = 0; i < domain_list_len(def->cpu_features); i++) {
                DomainCpuFeatureDef *f = domain_list_at(def->cpu_features, i);
                g_string_truncate(a, 0);
                xml_attr(a, "policy", f->policy);
                xml_attr(a, "name", f->name);
                xml_element(&child, "feature", a, NULL);
        }
        domain_numa_format(def, &child);
        xml_attr(attrs, "mode", def->cpu_mode);
        xml_attr(attrs, "match", def->cpu_match);
        xml_attr(attrs, "check", def->cpu_check);
        xml_attr(attrs, "migratable", def->cpu_migratable);
        xml_element(buf, "cpu", attrs, &child);
}

static void format_clock(const DomainDef *def, XmlBuf *buf) {
        g_auto(XmlBuf) child = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);

        xml_buf_init_child(&child, buf);
        for (guint i = 0; i < domain_list_len(def->timers); i++) {
                DomainTimerDef *t = domain_list_at(def->timers, i);
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "name", t->name);
                xml_attr(a, "present", t->present);
                xml_attr(a, "tickpolicy", t->tickpolicy);
                xml_attr(a, "track", t->track);
                xml_attr(a, "frequency", t->frequency);
                xml_attr(a, "mode", t->mode);
                xml_element(&child, "timer", a, NULL);
        }
        xml_attr(attrs, "offset", def->clock_offset);
        xml_attr(attrs, "timezone", def->clock_timezone);
        xml_attr(attrs, "adjustment", def->clock_adjustment);
        xml_attr(attrs, "basis", def->clock_basis);
        xml_element(buf, "clock", attrs, &child);
}

static void format_seclabels(const DomainDef *def, XmlBuf *buf, unsigned flags) {
        for (guint i = 0; i < domain_list_len(def->seclabels); i++) {
                DomainSeclabelDef *s = domain_list_at(def->seclabels, i);
                g_autoptr(GString) a = g_string_new(NULL);
                g_auto(XmlBuf) child = { 0 };
                /* a dynamic label is picked at start; an inactive definition has none */
                bool live_label = !(s->type == DOMAIN_SECLABEL_DYNAMIC && (flags & DOMAIN_DEF_FORMAT_INACTIVE));

                xml_buf_init_child(&child, buf);
                xml_attr(a, "type", domain_seclabel_type_to_string(s->type));
                xml_attr(a, "model", s->model);
                xml_attr_yesno(a, "relabel", s->relabel);
                if (live_label) {
                        xml_element_text(&child, "label", NULL, s->label);
                        xml_element_text(&child, "imagelabel", NULL, s->imagelabel);
                }
                xml_element_text(&child, "baselabel", NULL, s->baselabel);
                xml_element(buf, "seclabel", a, &child);
        }
}

char *domain_def_format(const DomainDef *def, unsigned flags) {
        g_auto(XmlBuf) buf = { 0 };
        g_auto(XmlBuf) body = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);
        g_autoptr(GString) a = g_string_new(NULL);

        g_return_val_if_fail(def, NULL);
        xml_buf_init(&buf, 0);
        xml_buf_init_child(&body, &buf);

        xml_attr(attrs, "type", def->virt_type);
        if (def->id >= 0 && !(flags & DOMAIN_DEF_FORMAT_INACTIVE))
                xml_attr_printf(attrs, "id", "%d", def->id);

        xml_element_text(&body, "name", NULL, def->name);
        xml_element_text(&body, "uuid", NULL, def->uuid);
        xml_element_text(&body, "genid", NULL, def->genid);
        xml_element_text(&body, "title", NULL, def->title);
        xml_element_text(&body, "description", NULL, def->description);
        if (def->metadata)
                xml_node_dump(&body, xmlDocGetRootElement(def->metadata));
        if (def->max_memory_kib)
                format_memory(&body, "maxMemory", def->max_memory_kib, def->max_memory_slots);
        format_memory(&body, "memory", def->memory_kib, NULL);
        format_memory(&body, "currentMemory", def->current_memory_kib, NULL);
        {
                g_autofree char *n = g_strdup_printf("%u", def->vcpus);
                xml_attr(a, "placement", def->vcpu_placement);
                xml_attr(a, "cpuset", def->vcpu_cpuset);
                if (def->vcpu_current)
                        xml_attr_uint(a, "current", def->vcpu_current);
                domain_tuning_format(def, &body, DOMAIN_TUNING_AT_MEMORY);
                xml_element_text(&body, "vcpu", a, n);
        }
        domain_tuning_format(def, &body, DOMAIN_TUNING_AT_VCPU);
        domain_sysinfo_format(def, &body);
        format_os(def, &body);
        domain_tuning_format(def, &body, DOMAIN_TUNING_AT_OS);
        format_features(def, &body);
        format_cpu(def, &body);
        format_clock(def, &body);
        xml_element_text(&body, "on_poweroff", NULL, domain_lifecycle_action_to_string(def->on_poweroff));
        xml_element_text(&body, "on_reboot", NULL, domain_lifecycle_action_to_string(def->on_reboot));
        xml_element_text(&body, "on_crash", NULL, domain_lifecycle_action_to_string(def->on_crash));
        format_pm(def, &body);
        domain_def_format_devices(def, &body, flags);
        format_seclabels(def, &body, flags);
        domain_tuning_format(def, &body, DOMAIN_TUNING_AT_END);

        xml_element(&buf, "domain", attrs, &body);
        return g_string_free(g_steal_pointer(&buf.str), FALSE);
}

/* --- copy, compare --- */

DomainDef *domain_def_copy(const DomainDef *def) {
        g_autofree char *xml = NULL;
        g_autoptr(GError) error = NULL;
        DomainDef *copy;

        g_return_val_if_fail(def, NULL);
        /* The formatted XML is the complete definition, so a round trip is an exact copy
         * and keeps this function from going stale whenever the struct grows. */
        xml = domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE);
        copy = domain_def_parse_string(xml, 0, &error);
        if (!copy)
                g_critical("domain_def_copy: definition of '%s' does not re-parse: %s", def->name, error->message);
        return copy;
}

bool domain_def_equal(const DomainDef *a, const DomainDef *b) {
        g_autofree char *xa = NULL, *xb = NULL;

        if (!a || !b)
                return a == b;
        xa = domain_def_format(a, DOMAIN_DEF_FORMAT_SECURE | DOMAIN_DEF_FORMAT_INACTIVE);
        xb = domain_def_format(b, DOMAIN_DEF_FORMAT_SECURE | DOMAIN_DEF_FORMAT_INACTIVE);
        return strcmp(xa, xb) == 0;
}

/* --- accessors --- */

const char *domain_def_get_name(const DomainDef *def) { return def->name; }
const char *domain_def_get_uuid(const DomainDef *def) { return def->uuid; }
const char *domain_def_get_virt_type(const DomainDef *def) { return def->virt_type; }
const char *domain_def_get_arch(const DomainDef *def) { return def->os_arch; }
const char *domain_def_get_machine(const DomainDef *def) { return def->os_machine; }
const char *domain_def_get_emulator(const DomainDef *def) { return def->emulator; }
unsigned long long domain_def_get_memory_kib(const DomainDef *def) { return def->memory_kib; }
unsigned long long domain_def_get_current_memory_kib(const DomainDef *def) { return def->current_memory_kib; }
unsigned domain_def_get_vcpus(const DomainDef *def) { return def->vcpu_current ? def->vcpu_current : def->vcpus; }

const char *domain_def_get_vnc_password(const DomainDef *def) {
        for (guint i = 0; i < domain_list_len(def->graphics); i++) {
                const DomainGraphicsDef *g = domain_list_at(def->graphics, i);
                if (g->type == DOMAIN_GRAPHICS_TYPE_VNC && g->passwd)
                        return g->passwd;
        }
        return NULL;
}
int domain_def_get_id(const DomainDef *def) { return def->id; }
DomainLifecycleAction domain_def_get_on_poweroff(const DomainDef *def) { return def->on_poweroff; }
DomainLifecycleAction domain_def_get_on_reboot(const DomainDef *def) { return def->on_reboot; }
DomainLifecycleAction domain_def_get_on_crash(const DomainDef *def) { return def->on_crash; }

const char *const *domain_def_get_seclabel_models(const DomainDef *def) {
        return (const char *const *) def->seclabel_models;
}

static void replace_string(char **field, const char *value) {
        char *old = *field;

        *field = g_strdup(value);
        g_free(old);
}

void domain_def_set_name(DomainDef *def, const char *name) { replace_string(&def->name, name); }
void domain_def_set_arch(DomainDef *def, const char *arch) { vmmd_shared_str_set(&def->os_arch, arch); }
void domain_def_set_machine(DomainDef *def, const char *machine) { vmmd_shared_str_set(&def->os_machine, machine); }
void domain_def_set_emulator(DomainDef *def, const char *path) { vmmd_shared_str_set(&def->emulator, path); }
void domain_def_set_id(DomainDef *def, int id) { def->id = id < 0 ? -1 : id; }
