/* ABI stability: do two definitions look the same to the guest? (spec domains.md C.7) */
#include <string.h>

#include "domain-conf-priv.h"
#include "error.h"

typedef struct Abi {
        GError **error;
        bool failed;
} Abi;

static bool differ(Abi *a, const char *what, const char *old, const char *new) {
        if (a->failed || g_strcmp0(old, new) == 0)
                return false;
        g_set_error(a->error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                    "target domain %s '%s' does not match source '%s'", what, new ? new : "(none)",
                    old ? old : "(none)");
        a->failed = true;
        return true;
}

static void same_str(Abi *a, const char *what, const char *old, const char *new) {
        (void) differ(a, what, old, new);
}

static void same_uint(Abi *a, const char *what, unsigned long long old, unsigned long long new) {
        g_autofree char *o = g_strdup_printf("%llu", old), *n = g_strdup_printf("%llu", new);
        same_str(a, what, o, n);
}

static void same_bool(Abi *a, const char *what, bool old, bool new) {
        same_str(a, what, old ? "yes" : "no", new ? "yes" : "no");
}

static void same_count(Abi *a, const char *what, DomainList old, DomainList new) {
        g_autofree char *w = g_strdup_printf("%s count", what);
        same_uint(a, w, domain_list_len(old), domain_list_len(new));
}

static void same_info(Abi *a, const char *dev, const DomainDeviceInfo *old, const DomainDeviceInfo *new) {
        g_autofree char *w = g_strdup_printf("%s address", dev);
        g_autofree char *o = NULL, *n = NULL;

        if (old->addr.type != new->addr.type)
                return same_str(a, w, domain_address_type_to_string(old->addr.type),
                                domain_address_type_to_string(new->addr.type));
        if (old->addr.type != DOMAIN_ADDRESS_PCI)
                return;
        o = g_strdup_printf("%04x:%02x:%02x.%x", old->addr.domain, old->addr.bus, old->addr.slot, old->addr.function);
        n = g_strdup_printf("%04x:%02x:%02x.%x", new->addr.domain, new->addr.bus, new->addr.slot, new->addr.function);
        same_str(a, w, o, n);
}

static void check_disks(Abi *a, const DomainDef *src, const DomainDef *dst) {
        same_count(a, "disk", src->disks, dst->disks);
        for (guint i = 0; !a->failed && i < domain_list_len(src->disks); i++) {
                const DomainDiskDef *o = domain_list_at(src->disks, i), *n = domain_list_at(dst->disks, i);
                g_autofree char *dev = g_strdup_printf("disk %s", o->target_dev ? o->target_dev : "");
                g_autofree char *w = NULL;

                same_str(a, "disk target", o->target_dev, n->target_dev);
                w = g_strdup_printf("%s bus", dev);
                same_str(a, w, domain_disk_bus_to_string(o->bus), domain_disk_bus_to_string(n->bus));
                g_free(w);
                w = g_strdup_printf("%s device", dev);
                same_str(a, w, domain_disk_device_to_string(o->device), domain_disk_device_to_string(n->device));
                g_free(w);
                w = g_strdup_printf("%s read-only", dev);
                same_bool(a, w, o->readonly, n->readonly);
                g_free(w);
                w = g_strdup_printf("%s serial", dev);
                same_str(a, w, o->serial, n->serial);
                same_info(a, dev, &o->info, &n->info);
        }
}

static void check_nets(Abi *a, const DomainDef *src, const DomainDef *dst) {
        same_count(a, "interface", src->nets, dst->nets);
        for (guint i = 0; !a->failed && i < domain_list_len(src->nets); i++) {
                const DomainNetDef *o = domain_list_at(src->nets, i), *n = domain_list_at(dst->nets, i);
                same_str(a, "interface MAC", o->mac, n->mac);
                same_str(a, "interface model", o->model, n->model);
                same_info(a, "interface", &o->info, &n->info);
        }
}

static void check_controllers(Abi *a, const DomainDef *src, const DomainDef *dst) {
        same_count(a, "controller", src->controllers, dst->controllers);
        for (guint i = 0; !a->failed && i < domain_list_len(src->controllers); i++) {
                const DomainControllerDef *o = domain_list_at(src->controllers, i),
                                          *n = domain_list_at(dst->controllers, i);
                same_str(a, "controller type", domain_controller_type_to_string(o->type),
                         domain_controller_type_to_string(n->type));
                same_uint(a, "controller index", (unsigned) o->index, (unsigned) n->index);
                same_str(a, "controller model", o->model, n->model);
                /* what QEMU device a PCI controller is and the numbers the guest sees on it */
                same_str(a, "controller model name", o->model_name, n->model_name);
                same_str(a, "controller target chassis", o->target_chassis, n->target_chassis);
                same_str(a, "controller target port", o->target_port, n->target_port);
                same_str(a, "controller target chassisNr", o->target_chassis_nr, n->target_chassis_nr);
                same_info(a, "controller", &o->info, &n->info);
        }
}

static void check_chrs(Abi *a, const char *what, DomainList src, DomainList dst) {
        same_count(a, what, src, dst);
        for (guint i = 0; !a->failed && i < domain_list_len(src); i++) {
                const DomainChrDef *o = domain_list_at(src, i), *n = domain_list_at(dst, i);
                g_autofree char *w = g_strdup_printf("%s target", what);
                same_str(a, w, o->target_type, n->target_type);
                same_str(a, w, o->target_port, n->target_port);
                same_str(a, w, o->target_name, n->target_name);
        }
}

static void check_misc(Abi *a, const DomainDef *src, const DomainDef *dst) {
        same_count(a, "input", src->inputs, dst->inputs);
        for (guint i = 0; !a->failed && i < domain_list_len(src->inputs); i++) {
                const DomainInputDef *o = domain_list_at(src->inputs, i), *n = domain_list_at(dst->inputs, i);
                same_str(a, "input type", o->type, n->type);
                same_str(a, "input bus", o->bus, n->bus);
        }
        same_count(a, "video", src->videos, dst->videos);
        for (guint i = 0; !a->failed && i < domain_list_len(src->videos); i++) {
                const DomainVideoDef *o = domain_list_at(src->videos, i), *n = domain_list_at(dst->videos, i);
                same_str(a, "video model", o->model, n->model);
                same_str(a, "video vram", o->vram, n->vram);
                same_str(a, "video heads", o->heads, n->heads);
                same_info(a, "video", &o->info, &n->info);
        }
        same_count(a, "sound", src->sounds, dst->sounds);
        same_count(a, "watchdog", src->watchdogs, dst->watchdogs);
        for (guint i = 0; !a->failed && i < domain_list_len(src->watchdogs); i++) {
                const DomainWatchdogDef *o = domain_list_at(src->watchdogs, i), *n = domain_list_at(dst->watchdogs, i);
                same_str(a, "watchdog model", o->model, n->model);
        }
        same_count(a, "rng", src->rngs, dst->rngs);
        same_count(a, "panic", src->panics, dst->panics);
        for (guint i = 0; !a->failed && i < domain_list_len(src->panics); i++) {
                const DomainPanicDef *o = domain_list_at(src->panics, i), *n = domain_list_at(dst->panics, i);
                same_str(a, "panic model", o->model, n->model);
        }
        same_str(a, "memballoon model", src->memballoon ? src->memballoon->model : NULL,
                 dst->memballoon ? dst->memballoon->model : NULL);
        if (!a->failed && src->memballoon && dst->memballoon)
                same_info(a, "memballoon", &src->memballoon->info, &dst->memballoon->info);
        check_chrs(a, "serial", src->serials, dst->serials);
        check_chrs(a, "console", src->consoles, dst->consoles);
        check_chrs(a, "channel", src->channels, dst->channels);
        check_chrs(a, "parallel", src->parallels, dst->parallels);
}

static void check_features(Abi *a, const DomainDef *src, const DomainDef *dst) {
        g_autoptr(GString) o = g_string_new(NULL), n = g_string_new(NULL);

        for (guint i = 0; i < domain_list_len(src->features); i++) {
                const DomainFeatureDef *f = domain_list_at(src->features, i);
                g_string_append_printf(o, "%s%s%s", o->len ? "," : "", f->name, f->state ? f->state : "");
        }
        for (guint i = 0; i < domain_list_len(dst->features); i++) {
                const DomainFeatureDef *f = domain_list_at(dst->features, i);
                g_string_append_printf(n, "%s%s%s", n->len ? "," : "", f->name, f->state ? f->state : "");
        }
        same_str(a, "features", o->str, n->str);
}

static int compare_strings(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The sorted "name=value" list of a set whose order the guest does not see */
static char *sorted_list(GPtrArray *items) {
        g_ptr_array_sort(items, compare_strings);
        g_ptr_array_add(items, NULL);
        return g_strjoinv(",", (char **) items->pdata);
}

static char *cpu_feature_list(const DomainDef *def) {
        g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);

        for (guint i = 0; i < domain_list_len(def->cpu_features); i++) {
                const DomainCpuFeatureDef *f = domain_list_at(def->cpu_features, i);
                /* libvirt's default policy is require */
                g_ptr_array_add(items, g_strdup_printf("%s=%s", f->name ? f->name : "",
                                                       f->policy ? f->policy : "require"));
        }
        return sorted_list(items);
}

/* every guest-visible property of each timer, keyed by its name */
static char *timer_list(const DomainDef *def) {
        g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);

        for (guint i = 0; i < domain_list_len(def->timers); i++) {
                const DomainTimerDef *t = domain_list_at(def->timers, i);
                g_ptr_array_add(items, g_strdup_printf("%s(present=%s tickpolicy=%s track=%s frequency=%s mode=%s)",
                                                       t->name ? t->name : "", t->present ? t->present : "-",
                                                       t->tickpolicy ? t->tickpolicy : "-", t->track ? t->track : "-",
                                                       t->frequency ? t->frequency : "-", t->mode ? t->mode : "-"));
        }
        return sorted_list(items);
}

/* <tpm>s are kept verbatim among the other devices: model and backend version, in order */
static char *tpm_list(const DomainDef *def) {
        g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);

        for (guint i = 0; i < domain_list_len(def->other_devices); i++) {
                xmlNodePtr node = domain_list_at(def->other_devices, i);
                g_autofree char *model = NULL, *version = NULL;

                if (!xml_is(node, "tpm"))
                        continue;
                model = xml_prop(node, "model");
                version = xml_prop(xml_child(node, "backend"), "version");
                g_ptr_array_add(items, g_strdup_printf("%s/%s", model ? model : "tpm-tis", version ? version : "default"));
        }
        g_ptr_array_add(items, NULL);
        return g_strjoinv(",", (char **) items->pdata);
}

static void check_cpu_timers_tpm(Abi *a, const DomainDef *src, const DomainDef *dst) {
        g_autofree char *of = cpu_feature_list(src), *nf = cpu_feature_list(dst);
        g_autofree char *ot = timer_list(src), *nt = timer_list(dst);
        g_autofree char *op = tpm_list(src), *np = tpm_list(dst);

        same_str(a, "cpu vendor", src->cpu_vendor, dst->cpu_vendor);
        same_str(a, "cpu topology sockets", src->cpu_sockets, dst->cpu_sockets);
        same_str(a, "cpu topology dies", src->cpu_dies, dst->cpu_dies);
        same_str(a, "cpu topology cores", src->cpu_cores, dst->cpu_cores);
        same_str(a, "cpu topology threads", src->cpu_threads, dst->cpu_threads);
        same_str(a, "cpu features", of, nf);
        same_str(a, "timers", ot, nt);
        same_str(a, "TPM model/version", op, np);
}

/* NUMA, SMBIOS strings, power management and USB redirection: guest-visible too */
static void check_platform(Abi *a, const DomainDef *src, const DomainDef *dst) {
        same_count(a, "NUMA cell", src->numa_cells, dst->numa_cells);
        for (guint i = 0; !a->failed && i < domain_list_len(src->numa_cells); i++) {
                const DomainNumaCell *o = domain_list_at(src->numa_cells, i), *n = domain_list_at(dst->numa_cells, i);
                same_str(a, "NUMA cell cpus", o->cpus, n->cpus);
                same_uint(a, "NUMA cell memory", o->memory_kib, n->memory_kib);
                /* the distances reach the guest as its ACPI SLIT */
                same_uint(a, "NUMA cell distance count", o->distances ? o->distances->len : 0,
                          n->distances ? n->distances->len : 0);
                for (guint j = 0; !a->failed && o->distances && j < o->distances->len; j++) {
                        const DomainNumaDistance *od = &g_array_index(o->distances, DomainNumaDistance, j);
                        const DomainNumaDistance *nd = &g_array_index(n->distances, DomainNumaDistance, j);
                        g_autofree char *os = g_strdup_printf("%u:%u", od->id, od->value);
                        g_autofree char *ns = g_strdup_printf("%u:%u", nd->id, nd->value);
                        same_str(a, "NUMA cell distance", os, ns);
                }
        }
        same_str(a, "smbios mode", src->os_smbios_mode, dst->os_smbios_mode);
        same_count(a, "sysinfo entry", src->sysinfo, dst->sysinfo);
        for (guint i = 0; !a->failed && i < domain_list_len(src->sysinfo); i++) {
                const DomainSysinfoEntry *o = domain_list_at(src->sysinfo, i), *n = domain_list_at(dst->sysinfo, i);
                g_autofree char *w = g_strdup_printf("sysinfo %s %s", o->block, o->name ? o->name : "string");
                same_str(a, w, o->value, n->value);
        }
        same_uint(a, "pm suspend-to-mem", (unsigned) src->pm_suspend_to_mem, (unsigned) dst->pm_suspend_to_mem);
        same_uint(a, "pm suspend-to-disk", (unsigned) src->pm_suspend_to_disk, (unsigned) dst->pm_suspend_to_disk);
        same_count(a, "redirdev", src->redirdevs, dst->redirdevs);
        same_count(a, "other device", src->other_devices, dst->other_devices);
}

bool domain_def_check_abi_stability(const DomainDef *src, const DomainDef *dst, GError **error) {
        Abi a = { .error = error };

        same_str(&a, "virt type", src->virt_type, dst->virt_type);
        same_str(&a, "uuid", src->uuid, dst->uuid);
        same_str(&a, "genid", src->genid, dst->genid);
        same_str(&a, "name", src->name, dst->name);
        same_uint(&a, "memory", src->memory_kib, dst->memory_kib);
        same_uint(&a, "max memory", src->max_memory_kib, dst->max_memory_kib);
        same_str(&a, "memory slots", src->max_memory_slots, dst->max_memory_slots);
        same_uint(&a, "vcpus", src->vcpus, dst->vcpus);
        same_str(&a, "os type", src->os_type, dst->os_type);
        same_str(&a, "arch", src->os_arch, dst->os_arch);
        same_str(&a, "machine", src->os_machine, dst->os_machine);
        check_features(&a, src, dst);
        same_str(&a, "cpu mode", src->cpu_mode, dst->cpu_mode);
        same_str(&a, "cpu model", src->cpu_model, dst->cpu_model);
        same_str(&a, "clock offset", src->clock_offset, dst->clock_offset);
        same_count(&a, "timer", src->timers, dst->timers);
        if (!a.failed)
                check_cpu_timers_tpm(&a, src, dst);
        if (!a.failed)
                check_disks(&a, src, dst);
        if (!a.failed)
                check_controllers(&a, src, dst);
        if (!a.failed)
                check_nets(&a, src, dst);
        if (!a.failed)
                check_misc(&a, src, dst);
        if (!a.failed)
                check_platform(&a, src, dst);
        return !a.failed;
}

/* A copy with what post-parse fills in today, or NULL when it does not post-parse. */
static DomainDef *filled_copy(const DomainDef *def) {
        g_autoptr(DomainDef) copy = domain_def_copy(def);

        if (!copy || !domain_def_post_parse(copy, NULL))
                return NULL;
        return g_steal_pointer(&copy);
}

bool domain_def_check_abi_stability_filled(const DomainDef *src, const DomainDef *dst, GError **error) {
        g_autoptr(DomainDef) s = filled_copy(src);
        g_autoptr(DomainDef) d = filled_copy(dst);

        return domain_def_check_abi_stability(s ? s : src, d ? d : dst, error);
}
