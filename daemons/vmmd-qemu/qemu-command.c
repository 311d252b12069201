/* Turns a live domain definition into a QEMU command line (the subset vmmd can run today). */
#include "qemu-command-priv.h"

static const DomainTimerDef *find_timer(const DomainDef *def, const char *name) {
        for (guint i = 0; i < domain_list_len(def->timers); i++) {
                const DomainTimerDef *t = domain_list_at(def->timers, i);
                if (g_strcmp0(t->name, name) == 0)
                        return t;
        }
        return NULL;
}


/* UEFI: the loader is a read-only pflash image, the variable store a writable one */
static bool firmware_pflash(const DomainDef *def) {
        return def->os_loader && g_strcmp0(def->os_loader_type, "pflash") == 0;
}

static void add_pflash(Cmd *c, unsigned n, const char *path, bool ro) {
        g_autoptr(JsonBuilder) storage = json_builder_new();
        g_autoptr(JsonBuilder) format = json_builder_new();
        g_autofree char *sn = g_strdup_printf("libvirt-pflash%u-storage", n);
        g_autofree char *fn = g_strdup_printf("libvirt-pflash%u-format", n);
        g_autofree char *js = NULL, *jf = NULL;

        json_builder_begin_object(storage);
        json_builder_set_member_name(storage, "driver");
        json_builder_add_string_value(storage, "file");
        json_builder_set_member_name(storage, "filename");
        json_builder_add_string_value(storage, path);
        json_builder_set_member_name(storage, "node-name");
        json_builder_add_string_value(storage, sn);
        json_builder_set_member_name(storage, "auto-read-only");
        json_builder_add_boolean_value(storage, TRUE);
        json_builder_set_member_name(storage, "discard");
        json_builder_add_string_value(storage, "unmap");
        json_builder_end_object(storage);
        js = builder_to_string(storage);
        arg(c, "-blockdev");
        arg(c, js);
        json_builder_begin_object(format);
        json_builder_set_member_name(format, "node-name");
        json_builder_add_string_value(format, fn);
        json_builder_set_member_name(format, "read-only");
        json_builder_add_boolean_value(format, ro);
        json_builder_set_member_name(format, "driver");
        json_builder_add_string_value(format, "raw");
        json_builder_set_member_name(format, "file");
        json_builder_add_string_value(format, sn);
        json_builder_end_object(format);
        jf = builder_to_string(format);
        arg(c, "-blockdev");
        arg(c, jf);
}

/* <loader>/<nvram>: pflash pair for UEFI, -bios for a ROM; firmware='efi' must have been
 * resolved into a loader by the daemon (domain-resources.c) */
static void build_firmware(Cmd *c) {
        const DomainDef *def = c->def;

        if (g_strcmp0(def->os_firmware, "efi") == 0 && !def->os_loader)
                return (void) unsupported(c, "UEFI firmware (firmware='efi') was not resolved to a loader");
        if (def->os_firmware && !g_str_equal(def->os_firmware, "efi") && !g_str_equal(def->os_firmware, "bios"))
                return (void) unsupported(c, "firmware '%s' is not supported", def->os_firmware);
        if (!def->os_loader)
                return;
        if (firmware_pflash(def)) {
                if (!def->os_nvram)
                        return (void) unsupported(c, "a pflash loader needs an <nvram> variable store");
                if (g_strcmp0(def->os_loader_secure, "yes") == 0 && !domain_def_is_q35(def))
                        return (void) unsupported(c, "secure boot (<loader secure='yes'>) needs a q35 machine");
                add_pflash(c, 0, def->os_loader, g_strcmp0(def->os_loader_readonly, "no") != 0);
                add_pflash(c, 1, def->os_nvram, false);
                if (g_strcmp0(def->os_loader_secure, "yes") == 0) {
                        arg(c, "-global");
                        arg(c, "driver=cfi.pflash01,property=secure,value=on");
                }
                return;
        }
        if (def->os_loader_type && !g_str_equal(def->os_loader_type, "rom"))
                return (void) unsupported(c, "loader type '%s' is not supported", def->os_loader_type);
        arg(c, "-bios");
        arg(c, def->os_loader);
}

static const DomainFeatureDef *find_feature(const DomainDef *def, const char *name) {
        for (guint i = 0; i < domain_list_len(def->features); i++) {
                const DomainFeatureDef *f = domain_list_at(def->features, i);
                if (g_str_equal(f->name, name))
                        return f;
        }
        return NULL;
}

/* <os><smbios mode='sysinfo'/>: the <sysinfo> strings as SMBIOS tables, one -smbios per
 * table; 'emulate' is QEMU's default, 'host' would copy the host's tables */
static void build_smbios(Cmd *c) {
        static const char *const blocks[] = { "bios", "system", "baseBoard", "chassis", "oemStrings" };
        static const char *const keys[][8] = {
                { "vendor", "version", "date", "release", NULL },
                { "manufacturer", "product", "version", "serial", "uuid", "sku", "family", NULL },
                { "manufacturer", "product", "version", "serial", "asset", "location", NULL },
                { "manufacturer", "version", "serial", "asset", "sku", NULL },
                { NULL },
        };
        const DomainDef *def = c->def;

        if (!def->os_smbios_mode || g_str_equal(def->os_smbios_mode, "emulate"))
                return;
        if (!g_str_equal(def->os_smbios_mode, "sysinfo"))
                return (void) unsupported(c, "smbios mode '%s' is not supported; use 'sysinfo' or 'emulate'",
                                          def->os_smbios_mode);
        if (!def->sysinfo_type)
                return (void) unsupported(c, "<smbios mode='sysinfo'/> needs a <sysinfo type='smbios'> element");
        for (size_t b = 0; b < G_N_ELEMENTS(blocks); b++) {
                g_autoptr(GString) o = g_string_new(NULL);
                int table = domain_sysinfo_table(blocks[b]);

                for (guint i = 0; i < domain_list_len(def->sysinfo); i++) {
                        const DomainSysinfoEntry *e = domain_list_at(def->sysinfo, i);
                        g_autofree char *v = NULL;

                        if (!g_str_equal(e->block, blocks[b]))
                                continue;
                        v = opt_escape(e->value ? e->value : "");
                        if (table == 11) {
                                g_string_append_printf(o, ",value=%s", v);
                                continue;
                        }
                        /* libvirt's entry names are QEMU's keys for these tables */
                        if (!g_strv_contains(keys[b], e->name))
                                return (void) unsupported(c, "sysinfo <%s> entry '%s' is not supported", blocks[b],
                                                          e->name);
                        g_string_append_printf(o, ",%s=%s", e->name, v);
                }
                if (o->len == 0)
                        continue;
                arg(c, "-smbios");
                argf(c, "type=%d%s", table, o->str);
        }
}

/* <pm>: ACPI S3/S4 are switched by the chipset's power management device */
static void build_pm(Cmd *c) {
        const DomainDef *def = c->def;
        const char *dev = domain_def_is_q35(def) ? "ICH9-LPC" : "PIIX4_PM";

        if (def->pm_suspend_to_mem) {
                arg(c, "-global");
                argf(c, "%s.disable_s3=%d", dev, def->pm_suspend_to_mem == 2);
        }
        if (def->pm_suspend_to_disk) {
                arg(c, "-global");
                argf(c, "%s.disable_s4=%d", dev, def->pm_suspend_to_disk == 2);
        }
}

/* Whether <memoryBacking> asks for more than QEMU's default anonymous RAM: then the RAM
 * (without NUMA cells) is a backend object the machine names */
static bool memory_backing_needs_object(const DomainDef *def) {
        const DomainMemoryBackingDef *mb = &def->mem_backing;

        return mb->hugepages || g_strcmp0(mb->source_type, "file") == 0 || g_strcmp0(mb->source_type, "memfd") == 0 ||
               g_strcmp0(mb->access_mode, "shared") == 0 || g_strcmp0(mb->allocation_mode, "immediate") == 0 ||
               mb->discard;
}

static void build_machine(Cmd *c) {
        const DomainDef *def = c->def;
        const DomainTimerDef *hpet = find_timer(def, "hpet");
        bool acpi = false;

        for (guint i = 0; i < domain_list_len(def->features); i++) {
                DomainFeatureDef *f = domain_list_at(def->features, i);
                if (g_str_equal(f->name, "acpi") && g_strcmp0(f->state, "off") != 0)
                        acpi = true;
        }
        const DomainFeatureDef *vmport = find_feature(def, "vmport");

        g_autoptr(GString) memory = g_string_new(NULL);

        if (def->mem_backing.nosharepages)
                g_string_append(memory, ",mem-merge=off");
        if (domain_list_len(def->numa_cells) == 0 && memory_backing_needs_object(def))
                g_string_append(memory, ",memory-backend=pc.ram");
        arg(c, "-machine");
        argf(c, "%s,usb=off,%s%sdump-guest-core=off%s%s%s%s", def->os_machine,
             vmport && g_strcmp0(vmport->state, "off") == 0 ? "vmport=off," : "",
             firmware_pflash(def) && g_strcmp0(def->os_loader_secure, "yes") == 0 ? "smm=on," : "",
             firmware_pflash(def) ? ",pflash0=libvirt-pflash0-format" : "",
             firmware_pflash(def) ? ",pflash1=libvirt-pflash1-format" : "",
             acpi ? (hpet && g_strcmp0(hpet->present, "no") == 0 ? ",hpet=off" : "") :
             (hpet && g_strcmp0(hpet->present, "no") == 0 ? ",acpi=off,hpet=off" : ",acpi=off"),
             memory->str);
}

/* Hyper-V enlightenments of <features><hyperv> (and the hypervclock timer) as -cpu flags */
static bool hyperv_flags(Cmd *c, GString *out) {
        static const struct {
                const char *element, *flag;
        } map[] = {
                { "relaxed", "hv-relaxed" }, { "vapic", "hv-vapic" }, { "vpindex", "hv-vpindex" },
                { "runtime", "hv-runtime" }, { "synic", "hv-synic" }, { "stimer", "hv-stimer" },
                { "reset", "hv-reset" }, { "frequencies", "hv-frequencies" },
                { "reenlightenment", "hv-reenlightenment" }, { "tlbflush", "hv-tlbflush" }, { "ipi", "hv-ipi" },
        };
        const DomainFeatureDef *hv = find_feature(c->def, "hyperv");
        const DomainTimerDef *clock = find_timer(c->def, "hypervclock");

        for (guint i = 0; hv && hv->children && i < hv->children->len; i++) {
                xmlNodePtr n = g_ptr_array_index(hv->children, i);
                g_autofree char *state = NULL;
                const char *name = (const char *) n->name;
                bool known = false;

                if (n->type != XML_ELEMENT_NODE)
                        continue;
                state = xml_prop(n, "state");
                if (g_strcmp0(state, "on") != 0)
                        continue;
                for (size_t k = 0; k < G_N_ELEMENTS(map); k++)
                        if (g_str_equal(name, map[k].element)) {
                                g_string_append_printf(out, ",%s=on", map[k].flag);
                                known = true;
                        }
                if (g_str_equal(name, "spinlocks")) {
                        g_autofree char *retries = xml_prop(n, "retries");
                        guint64 r = retries ? g_ascii_strtoull(retries, NULL, 10) : 8191;
                        g_string_append_printf(out, ",hv-spinlocks=0x%" G_GINT64_MODIFIER "x", r);
                        known = true;
                } else if (g_str_equal(name, "vendor_id")) {
                        g_autofree char *value = xml_prop(n, "value");
                        g_autofree char *esc = value ? opt_escape(value) : NULL;
                        if (esc)
                                g_string_append_printf(out, ",hv-vendor-id=%s", esc);
                        known = true;
                }
                if (!known)
                        return unsupported(c, "Hyper-V enlightenment <%s> is not supported", name);
        }
        if (clock && g_strcmp0(clock->present, "yes") == 0)
                g_string_append(out, ",hv-time=on");
        return true;
}

static void build_cpu(Cmd *c, bool kvm) {
        const DomainDef *def = c->def;
        g_autoptr(GString) cpu = g_string_new(NULL);
        g_autoptr(GString) hv = g_string_new(NULL);

        if (c->opts && c->opts->cpu_arg) {
                arg(c, "-cpu");
                arg(c, c->opts->cpu_arg);
                return;
        }
        if (!hyperv_flags(c, hv))
                return;

        if (g_strcmp0(def->cpu_mode, "host-passthrough") == 0 || g_strcmp0(def->cpu_mode, "host-model") == 0) {
                if (!kvm) {
                        unsupported(c, "CPU mode '%s' needs KVM; use <domain type='kvm'> or a named model",
                                    def->cpu_mode);
                        return;
                }
                g_string_assign(cpu, "host");
        } else if (g_strcmp0(def->cpu_mode, "maximum") == 0) {
                g_string_assign(cpu, "max");
        } else if (def->cpu_model) {
                if (c->opts->caps && !qemu_caps_knows_cpu_model(c->opts->caps, def->cpu_model)) {
                        unsupported(c, "CPU model '%s' is not known to QEMU %s (%s)", def->cpu_model,
                                    c->opts->caps->version ? c->opts->caps->version : "", def->emulator);
                        return;
                }
                g_string_assign(cpu, def->cpu_model);
        } else if (hv->len > 0) {
                g_string_assign(cpu, "qemu64");         /* QEMU's default model, with the flags */
        } else {
                return;
        }
        /* libvirt's spelling: require/force/optional turn a feature on, disable/forbid off */
        for (guint i = 0; i < domain_list_len(def->cpu_features); i++) {
                const DomainCpuFeatureDef *f = domain_list_at(def->cpu_features, i);
                bool off = g_strcmp0(f->policy, "disable") == 0 || g_strcmp0(f->policy, "forbid") == 0;

                if (c->opts->caps && !qemu_caps_knows_cpu_feature(c->opts->caps, f->name)) {
                        /* a flag this QEMU cannot give a guest is off already, and an optional one
                         * may be missing: libvirt leaves both out of -cpu too (osxsave, ospke) */
                        if (off || g_strcmp0(f->policy, "optional") == 0)
                                continue;
                        unsupported(c, "CPU feature '%s' is not known to QEMU %s (%s); remove it or make it "
                                    "policy='optional'", f->name,
                                    c->opts->caps->version ? c->opts->caps->version : "", def->emulator);
                        return;
                }
                g_string_append_printf(cpu, ",%s=%s", f->name, off ? "off" : "on");
        }
        g_string_append(cpu, hv->str);
        arg(c, "-cpu");
        arg(c, cpu->str);
}

char *qemu_command_cpu_arg(const DomainDef *def, bool kvm) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        QemuCommandOptions opts = { .kvm = kvm };
        Cmd c = { .argv = argv, .def = def, .opts = &opts };
        const char *arch = def->os_arch ? def->os_arch : "x86_64";

        build_cpu(&c, kvm);
        if (c.failed)
                return NULL;
        if (argv->len == 2)
                return g_strdup(g_ptr_array_index(argv, 1));
        if (g_str_equal(arch, "x86_64"))
                return g_strdup("qemu64");
        if (g_str_equal(arch, "i686"))
                return g_strdup("qemu32");
        return NULL;
}

/* "-smp N[,maxcpus=M][,sockets=S,dies=D,cores=C,threads=T]" */
static void build_smp(Cmd *c) {
        const DomainDef *def = c->def;
        unsigned max = def->vcpus ? def->vcpus : 1;
        g_autoptr(GString) smp = g_string_new(NULL);

        if (def->vcpu_current && def->vcpu_current < max)
                g_string_printf(smp, "%u,maxcpus=%u", def->vcpu_current, max);
        else
                g_string_printf(smp, "%u", max);
        if (def->cpu_sockets || def->cpu_cores || def->cpu_threads)
                g_string_append_printf(smp, ",sockets=%s,dies=%s,cores=%s,threads=%s",
                                       def->cpu_sockets ? def->cpu_sockets : "1", def->cpu_dies ? def->cpu_dies : "1",
                                       def->cpu_cores ? def->cpu_cores : "1", def->cpu_threads ? def->cpu_threads : "1");
        arg(c, "-smp");
        arg(c, smp->str);
}

static void build_boot(Cmd *c) {
        const DomainDef *def = c->def;
        g_autoptr(GString) order = g_string_new(NULL);

        for (guint i = 0; i < domain_list_len(def->os_boot); i++) {
                const char *dev = domain_list_at(def->os_boot, i);
                char ch = g_str_equal(dev, "hd") ? 'c' : g_str_equal(dev, "cdrom") ? 'd' :
                          g_str_equal(dev, "network") ? 'n' : g_str_equal(dev, "fd") ? 'a' : 0;
                if (ch)
                        g_string_append_c(order, ch);
        }
        if (order->len > 0 || def->os_bootmenu > 0) {
                g_autoptr(GString) b = g_string_new(NULL);
                if (order->len > 0)
                        g_string_append_printf(b, "order=%s", order->str);
                /* os_bootmenu is a tristate: 1 yes, 2 no */
                if (def->os_bootmenu > 0)
                        g_string_append_printf(b, "%smenu=%s", b->len ? "," : "", def->os_bootmenu == 1 ? "on" : "off");
                if (def->os_bootmenu == 1 && def->os_bootmenu_timeout)
                        g_string_append_printf(b, ",splash-time=%s", def->os_bootmenu_timeout);
                arg(c, "-boot");
                arg(c, b->str);
        }
}

/* A cell's RAM as QEMU gets it: rounded up to 1 MiB, as libvirt aligns it, so that the
 * nodes add up to -m exactly (QEMU aligns RAM itself and would not match otherwise) */
static unsigned long long numa_cell_kib(const DomainNumaCell *cell) {
        return (cell->memory_kib + 1023) / 1024 * 1024;
}

/* "2M", "1G", "512K" (hugetlbfs's pagesize= option) in KiB; 0 if it is none of those */
static unsigned long long mount_page_kib(const char *s) {
        char *end = NULL;
        unsigned long long n = g_ascii_strtoull(s, &end, 10);

        if (end == s)
                return 0;
        switch (*end) {
        case 'K': return n;
        case 'M': return n * 1024;
        case 'G': return n * 1024 * 1024;
        default: return 0;
        }
}

/* The mount point of a hugetlbfs with pages of page_kib (0: any); NULL if none is mounted */
static char *hugetlbfs_dir(const char *mounts_file, unsigned long long page_kib) {
        g_autofree char *table = NULL;
        g_auto(GStrv) lines = NULL;

        if (!g_file_get_contents(mounts_file ? mounts_file : "/proc/mounts", &table, NULL, NULL))
                return NULL;
        lines = g_strsplit(table, "\n", -1);
        for (char **l = lines; *l; l++) {
                g_auto(GStrv) f = g_strsplit(*l, " ", -1);
                const char *size;

                if (g_strv_length(f) < 4 || !g_str_equal(f[2], "hugetlbfs"))
                        continue;
                size = strstr(f[3], "pagesize=");
                if (page_kib == 0 || (size && mount_page_kib(size + strlen("pagesize=")) == page_kib))
                        return g_strdup(f[1]);  /* /proc/mounts escapes blanks as \040: none in such paths */
        }
        return NULL;
}

/* The properties of the RAM backend object id of kib KiB, as <memoryBacking> and a NUMA
 * cell's memAccess (access, may be NULL) ask: libvirt's choice of backend type */
static bool memory_backend(Cmd *c, JsonBuilder *b, const char *id, unsigned long long kib, const char *access) {
        const DomainMemoryBackingDef *mb = &c->def->mem_backing;
        const char *source = mb->source_type ? mb->source_type : "";
        bool shared = g_strcmp0(access ? access : mb->access_mode, "shared") == 0;
        g_autofree char *path = NULL;
        const char *type;
        bool prealloc = g_strcmp0(mb->allocation_mode, "immediate") == 0;

        if (mb->hugepages) {
                if (mb->per_node_pages)
                        return unsupported(c, "<memoryBacking><hugepages><page nodeset=…> (page sizes per NUMA node) "
                                              "is not supported; give one <page> for all of memory");
                if (g_str_equal(source, "memfd")) {
                        type = "memory-backend-memfd";
                } else {
                        path = hugetlbfs_dir(c->opts->mounts_file, mb->hugepage_kib);
                        if (!path) {
                                if (mb->hugepage_kib)
                                        return unsupported(c, "<memoryBacking><hugepages> needs a hugetlbfs mount with "
                                                              "%llu KiB pages on this host, and there is none",
                                                           mb->hugepage_kib);
                                return unsupported(c, "<memoryBacking><hugepages> needs a hugetlbfs mount on this host, "
                                                      "and there is none");
                        }
                        type = "memory-backend-file";
                }
                /* huge pages are reserved up front, as libvirt asks */
                prealloc = true;
        } else if (g_str_equal(source, "file")) {
                if (!c->opts->memory_dir)
                        return unsupported(c, "<memoryBacking><source type='file'> needs a memory directory");
                path = g_strdup(c->opts->memory_dir);
                type = "memory-backend-file";
        } else if (g_str_equal(source, "memfd") || shared) {
                /* shared memory without a source: a memfd, which vhost-user back ends can map */
                type = "memory-backend-memfd";
        } else {
                type = "memory-backend-ram";
        }
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "qom-type");
        json_builder_add_string_value(b, type);
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, id);
        if (path) {
                json_builder_set_member_name(b, "mem-path");
                json_builder_add_string_value(b, path);
                if (mb->discard) {
                        json_builder_set_member_name(b, "discard-data");
                        json_builder_add_boolean_value(b, TRUE);
                }
        }
        if (mb->hugepages && g_str_equal(type, "memory-backend-memfd")) {
                json_builder_set_member_name(b, "hugetlb");
                json_builder_add_boolean_value(b, TRUE);
                if (mb->hugepage_kib) {
                        json_builder_set_member_name(b, "hugetlbsize");
                        json_builder_add_int_value(b, (gint64) mb->hugepage_kib * 1024);
                }
        }
        if (shared) {
                json_builder_set_member_name(b, "share");
                json_builder_add_boolean_value(b, TRUE);
        }
        if (prealloc) {
                json_builder_set_member_name(b, "prealloc");
                json_builder_add_boolean_value(b, TRUE);
                if (mb->allocation_threads) {
                        json_builder_set_member_name(b, "prealloc-threads");
                        json_builder_add_int_value(b, mb->allocation_threads);
                }
        }
        json_builder_set_member_name(b, "size");
        json_builder_add_int_value(b, (gint64) kib * 1024);
        json_builder_end_object(b);
        return true;
}

/* -m is <memory>, as libvirt does: the guest sees all of it and the balloon brings it down
 * to <currentMemory> once QEMU runs, so that it can grow back later */
static void build_memory(Cmd *c) {
        const DomainDef *def = c->def;
        unsigned long long kib = def->memory_kib;

        /* QEMU wants the NUMA nodes to add up to -m: with cells, their sum is the boot memory,
         * whatever <memory> says, as libvirt takes it */
        if (domain_list_len(def->numa_cells) > 0) {
                kib = 0;
                for (guint i = 0; i < domain_list_len(def->numa_cells); i++)
                        kib += numa_cell_kib(domain_list_at(def->numa_cells, i));
        }
        arg(c, "-m");
        if (def->max_memory_kib && def->max_memory_slots)
                argf(c, "size=%lluk,slots=%s,maxmem=%lluk", kib, def->max_memory_slots, def->max_memory_kib);
        else
                argf(c, "size=%lluk", kib);
        if (def->mem_backing.locked) {
                arg(c, "-overcommit");
                arg(c, "mem-lock=on");
        }
        if (domain_list_len(def->numa_cells) == 0 && memory_backing_needs_object(def)) {
                g_autoptr(JsonBuilder) b = json_builder_new();
                g_autofree char *json = NULL;

                if (!memory_backend(c, b, "pc.ram", kib, NULL))
                        return;
                json = builder_to_string(b);
                arg(c, "-object");
                arg(c, json);
        }
}

/* <iothreads> and <iothreadids>: one iothread object each, as libvirt numbers them */
static void build_iothreads(Cmd *c) {
        g_autoptr(GArray) ids = domain_iothread_ids(c->def);

        for (guint i = 0; i < ids->len; i++) {
                arg(c, "-object");
                argf(c, "{\"qom-type\":\"iothread\",\"id\":\"iothread%u\"}", g_array_index(ids, unsigned, i));
        }
}

/* The tuning elements the command line cannot express are refused by name, never dropped */
static void check_tuning(Cmd *c) {
        const DomainDef *def = c->def;
        static const DomainTuning cgroup_tuning[] = { DOMAIN_TUNING_CPUTUNE, DOMAIN_TUNING_BLKIOTUNE,
                                                      DOMAIN_TUNING_MEMTUNE, DOMAIN_TUNING_NUMATUNE };
        xmlNodePtr resource = def->tuning[DOMAIN_TUNING_RESOURCE];

        for (guint i = 0; i < G_N_ELEMENTS(cgroup_tuning); i++)
                if (def->tuning[cgroup_tuning[i]])
                        return (void) unsupported(c, "<%s> is not supported: vmmd-qemu does not put guests in cgroups "
                                                     "or pin their threads; remove it",
                                                  domain_tuning_name(cgroup_tuning[i]));
        /* <resource><partition>/machine</partition> is libvirt's default placement, which every
         * libvirt dumpxml shows: nothing to do without cgroups; anything else is a real request */
        if (resource) {
                xmlNodePtr partition = xml_child(resource, "partition");
                g_autofree char *text = partition ? xml_text(partition) : NULL;
                guint n = 0;

                xml_foreach_child(child, resource)
                        n++;
                if (n != 1 || g_strcmp0(text, "/machine") != 0)
                        return (void) unsupported(c, "<resource> is not supported: vmmd-qemu does not put guests in "
                                                     "cgroups; remove it");
        }
        if (def->tuning[DOMAIN_TUNING_KEYWRAP])
                return (void) unsupported(c, "<keywrap> is only for s390 guests");
        /* <idmap> maps container user ids: libvirt's QEMU driver ignores it, and so does vmmd */
}

/* Guest NUMA nodes: one RAM backend per cell (memfd, shared, for memAccess='shared' as
 * vhost-user needs), its vCPUs, and the distances between cells */
static void build_numa(Cmd *c) {
        const DomainDef *def = c->def;

        for (guint i = 0; i < domain_list_len(def->numa_cells); i++) {
                const DomainNumaCell *cell = domain_list_at(def->numa_cells, i);
                g_autoptr(JsonBuilder) b = json_builder_new();
                g_autofree char *id = g_strdup_printf("ram-node%u", cell->id);
                g_autofree char *json = NULL;
                g_autoptr(GString) node = g_string_new(NULL);

                if (cell->discard)
                        return (void) unsupported(c, "NUMA cell %u: discard is not supported", cell->id);
                if (!memory_backend(c, b, id, numa_cell_kib(cell), cell->mem_access))
                        return;
                json = builder_to_string(b);
                arg(c, "-object");
                arg(c, json);
                g_string_printf(node, "node,nodeid=%u", cell->id);
                if (cell->cpus) {
                        g_auto(GStrv) parts = g_strsplit(cell->cpus, ",", -1);
                        for (char **p = parts; *p; p++)
                                g_string_append_printf(node, ",cpus=%s", *p);
                }
                g_string_append_printf(node, ",memdev=%s", id);
                arg(c, "-numa");
                arg(c, node->str);
        }
        for (guint i = 0; i < domain_list_len(def->numa_cells); i++) {
                const DomainNumaCell *cell = domain_list_at(def->numa_cells, i);
                for (guint j = 0; j < cell->distances->len; j++) {
                        const DomainNumaDistance *d = &g_array_index(cell->distances, DomainNumaDistance, j);
                        arg(c, "-numa");
                        argf(c, "dist,src=%u,dst=%u,val=%u", cell->id, d->id, d->value);
                }
        }
}

static void build_clock(Cmd *c) {
        const DomainDef *def = c->def;
        const DomainTimerDef *rtc = find_timer(def, "rtc");
        const char *offset = def->clock_offset ? def->clock_offset : "utc";
        const char *base;

        /* a variable clock without an adjustment is its basis; with one, or a named timezone,
         * QEMU would need a start time or TZ that vmmd does not track across reboots */
        if (g_str_equal(offset, "variable") &&
            (!def->clock_adjustment || g_str_equal(def->clock_adjustment, "0")))
                offset = g_strcmp0(def->clock_basis, "localtime") == 0 ? "localtime" : "utc";
        if (g_str_equal(offset, "utc"))
                base = "utc";
        else if (g_str_equal(offset, "localtime"))
                base = "localtime";
        else
                return (void) unsupported(c, "clock offset '%s' is not supported; use 'utc' or 'localtime'", offset);
        arg(c, "-rtc");
        argf(c, "base=%s%s", base, rtc && g_strcmp0(rtc->tickpolicy, "catchup") == 0 ? ",driftfix=slew" : "");
}

char *builder_to_string(JsonBuilder *b) {
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = json_builder_get_root(b);

        json_generator_set_root(gen, root);
        return json_generator_to_data(gen, NULL);
}

/* The cache="…" member libvirt puts on both nodes of a disk: writeback, none and unsafe keep
 * the guest's write cache on; writethrough and directsync turn it off on the device (the
 * returned write_cache), so that every write is flushed. */
static void add_cache(JsonBuilder *b, const char *mode) {
        bool direct = g_str_equal(mode, "none") || g_str_equal(mode, "directsync");

        json_builder_set_member_name(b, "cache");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "direct");
        json_builder_add_boolean_value(b, direct);
        json_builder_set_member_name(b, "no-flush");
        json_builder_add_boolean_value(b, g_str_equal(mode, "unsafe"));
        json_builder_end_object(b);
}

static const char *const cache_modes[] = { "none", "writeback", "writethrough", "directsync", "unsafe", NULL };

static void build_disk(Cmd *c, DomainDiskDef *disk, unsigned n) {
        const DomainDef *def = c->def;
        g_autoptr(JsonBuilder) storage = json_builder_new();
        g_autoptr(JsonBuilder) format = json_builder_new();
        g_autofree char *storage_node = g_strdup_printf("libvirt-%u-storage", n);
        g_autofree char *format_node = g_strdup_printf("libvirt-%u-format", n);
        g_autofree char *addr = device_addr(def, &disk->info);
        g_autofree char *boot = bootindex(&disk->info);
        g_autofree char *serial = NULL, *esc_serial = NULL;
        g_autofree char *js = NULL, *jf = NULL, *policy = NULL, *iothread = NULL, *secret = NULL;
        const char *fmt = disk->driver_type ? disk->driver_type : "raw";
        const char *cache = disk->driver_cache && !g_str_equal(disk->driver_cache, "default") ? disk->driver_cache : NULL;
        const char *write_cache = "";
        bool cdrom = disk->device == DOMAIN_DISK_DEVICE_CDROM;
        bool ro = disk->readonly || cdrom;
        bool empty = !disk->src_path;

        /* a volume disk's path and format come from vmmd-storage (storage-client.c) before this */
        if (disk->type == DOMAIN_DISK_TYPE_VOLUME && !disk->src_path)
                return (void) unsupported(c, "disk '%s' uses storage volume '%s' of pool '%s', which was not resolved",
                                          disk->target_dev, disk->src_volume, disk->src_pool);
        if (disk->type != DOMAIN_DISK_TYPE_FILE && disk->type != DOMAIN_DISK_TYPE_BLOCK &&
            disk->type != DOMAIN_DISK_TYPE_VOLUME)
                return (void) unsupported(c, "disk '%s': source type '%s' is not supported yet", disk->target_dev,
                                          domain_disk_type_to_string(disk->type));
        if (!g_str_equal(fmt, "raw") && !g_str_equal(fmt, "qcow2"))
                return (void) unsupported(c, "disk '%s': format '%s' is not supported", disk->target_dev, fmt);
        if (empty && !cdrom)
                return (void) unsupported(c, "disk '%s' has no source", disk->target_dev);
        if (disk->enc_format) {
                int fd = c->opts && n - 1 < c->opts->n_disk_secret_fds ? c->opts->disk_secret_fds[n - 1] : -1;

                if (!g_str_equal(disk->enc_format, "luks"))
                        return (void) unsupported(c, "disk '%s': encryption format '%s' is not supported (only 'luks')",
                                                  disk->target_dev, disk->enc_format);
                if (!g_str_equal(fmt, "qcow2"))
                        return (void) unsupported(c, "disk '%s': LUKS encryption is only supported for qcow2 images",
                                                  disk->target_dev);
                if (!disk->enc_secret_uuid && !disk->enc_secret_usage)
                        return (void) unsupported(c, "disk '%s': its encryption names no secret", disk->target_dev);
                if (fd < 0)
                        return (void) unsupported(c, "disk '%s': the passphrase of its encryption is missing",
                                                  disk->target_dev);
                /* never the value: QEMU reads it from a pipe that holds it and nothing else */
                secret = g_strdup_printf("%s-encryption-secret0", format_node);
                arg(c, "-object");
                argf(c, "secret,id=%s,file=/dev/fd/%d", secret, fd);
        }
        if (cache && !g_strv_contains(cache_modes, cache))
                return (void) unsupported(c, "disk '%s': cache mode '%s' is not supported", disk->target_dev, cache);
        if (cache)
                write_cache = g_str_equal(cache, "writethrough") || g_str_equal(cache, "directsync") ?
                              ",write-cache=off" : ",write-cache=on";
        esc_serial = disk->serial ? opt_escape(disk->serial) : NULL;
        serial = esc_serial ? g_strdup_printf(",serial=%s", esc_serial) : g_strdup("");
        if (disk->error_policy || disk->rerror_policy) {
                /* a write policy also covers reads unless it is enospace (writes only) or
                 * rerror_policy says otherwise; QEMU spells enospace "enospc" */
                const char *w = disk->error_policy;
                const char *r = disk->rerror_policy ? disk->rerror_policy
                                : w && !g_str_equal(w, "enospace") ? w : NULL;

                if (cdrom)
                        return (void) unsupported(c, "disk '%s': a cdrom has no error policy", disk->target_dev);
                policy = g_strdup_printf("%s%s%s%s", w ? ",werror=" : "", w ? (g_str_equal(w, "enospace") ? "enospc" : w) : "",
                                         r ? ",rerror=" : "", r ? r : "");
        }

        if (!empty) {
                json_builder_begin_object(storage);
                json_builder_set_member_name(storage, "driver");
                json_builder_add_string_value(storage, disk->type == DOMAIN_DISK_TYPE_BLOCK ? "host_device" : "file");
                json_builder_set_member_name(storage, "filename");
                json_builder_add_string_value(storage, disk->src_path);
                json_builder_set_member_name(storage, "node-name");
                json_builder_add_string_value(storage, storage_node);
                json_builder_set_member_name(storage, "auto-read-only");
                json_builder_add_boolean_value(storage, TRUE);
                json_builder_set_member_name(storage, "discard");
                json_builder_add_string_value(storage, "unmap");
                if (cache)
                        add_cache(storage, cache);
                json_builder_end_object(storage);
                js = builder_to_string(storage);
                arg(c, "-blockdev");
                arg(c, js);

                json_builder_begin_object(format);
                json_builder_set_member_name(format, "node-name");
                json_builder_add_string_value(format, format_node);
                json_builder_set_member_name(format, "read-only");
                json_builder_add_boolean_value(format, ro);
                if (cache)
                        add_cache(format, cache);
                json_builder_set_member_name(format, "driver");
                json_builder_add_string_value(format, fmt);
                json_builder_set_member_name(format, "file");
                json_builder_add_string_value(format, storage_node);
                if (secret) {
                        json_builder_set_member_name(format, "encrypt");
                        json_builder_begin_object(format);
                        json_builder_set_member_name(format, "format");
                        json_builder_add_string_value(format, "luks");
                        json_builder_set_member_name(format, "key-secret");
                        json_builder_add_string_value(format, secret);
                        json_builder_end_object(format);
                }
                json_builder_end_object(format);
                jf = builder_to_string(format);
                arg(c, "-blockdev");
                arg(c, jf);
        }

        if (disk->driver_iothread && disk->bus != DOMAIN_DISK_BUS_VIRTIO)
                return (void) unsupported(c, "disk '%s': an iothread is only for virtio disks", disk->target_dev);
        iothread = disk->driver_iothread ? g_strdup_printf(",iothread=iothread%u", disk->driver_iothread) : g_strdup("");
        switch (disk->bus) {
        case DOMAIN_DISK_BUS_VIRTIO:
                if (cdrom)
                        return (void) unsupported(c, "disk '%s': a cdrom cannot be on the virtio bus", disk->target_dev);
                arg(c, "-device");
                argf(c, "virtio-blk-pci%s%s,drive=%s,id=virtio-disk%u%s%s%s%s", iothread, addr, format_node, n - 1, boot,
                     serial, write_cache, policy ? policy : "");
                break;
        case DOMAIN_DISK_BUS_IDE:
        case DOMAIN_DISK_BUS_SATA: {
                /* i440fx: PIIX IDE, hda..hdd → bus 0/1, unit 0/1. q35: the ICH9 AHCI, one unit on
                 * each of its six buses ide.0..ide.5. An explicit drive address wins. */
                const DomainDeviceAddress *a = &disk->info.addr;
                unsigned idx = disk->target_dev && strlen(disk->target_dev) >= 3 ? (unsigned) (disk->target_dev[2] - 'a') : 0;
                bool q35 = domain_def_is_q35(def);
                unsigned bus = q35 ? idx : idx / 2, unit = q35 ? 0 : idx % 2;

                if (a->type == DOMAIN_ADDRESS_DRIVE) {
                        bus = q35 ? a->unit : a->bus;
                        unit = q35 ? 0 : a->unit;
                }
                if (disk->bus == DOMAIN_DISK_BUS_SATA && !q35)
                        return (void) unsupported(c, "disk '%s': SATA needs a q35 machine; use bus='ide' on '%s'",
                                                  disk->target_dev, def->os_machine);
                if (disk->readonly && !cdrom)
                        return (void) unsupported(c, "disk '%s': IDE and SATA disks cannot be read-only; "
                                                  "use a cdrom or bus='virtio'", disk->target_dev);
                if (bus > (q35 ? 5u : 1u) || unit > 1)
                        return (void) unsupported(c, "disk '%s': no IDE/SATA slot for it on '%s'", disk->target_dev,
                                                  def->os_machine);
                arg(c, "-device");
                if (q35)
                        argf(c, "%s,bus=ide.%u%s%s%s,id=sata0-0-%u%s%s%s", cdrom ? "ide-cd" : "ide-hd", bus,
                             empty ? "" : ",drive=", empty ? "" : format_node, boot, bus, serial, write_cache,
                             policy ? policy : "");
                else
                        argf(c, "%s,bus=ide.%u,unit=%u%s%s,id=ide0-%u-%u%s%s%s%s", cdrom ? "ide-cd" : "ide-hd", bus, unit,
                             empty ? "" : ",drive=", empty ? "" : format_node, bus, unit, boot, serial, write_cache,
                             policy ? policy : "");
                break;
        }
        case DOMAIN_DISK_BUS_SCSI: {
                /* on SCSI controller 0 at the unit its name implies (sda 0, sdb 1), as libvirt
                 * numbers virtio-scsi; an explicit drive address wins */
                const DomainDeviceAddress *a = &disk->info.addr;
                unsigned ctl = 0, bus = 0, target = 0, unit = disk->target_dev && strlen(disk->target_dev) >= 3
                                                                      ? (unsigned) (disk->target_dev[2] - 'a') : 0;

                if (a->type == DOMAIN_ADDRESS_DRIVE)
                        ctl = a->controller, bus = a->bus, target = a->target, unit = a->unit;
                if (bus != 0)
                        return (void) unsupported(c, "disk '%s': SCSI bus %u is not supported; use bus='0'",
                                                  disk->target_dev, bus);
                arg(c, "-device");
                argf(c, "%s,bus=scsi%u.0,channel=0,scsi-id=%u,lun=%u%s%s,id=scsi%u-0-%u-%u%s%s%s%s",
                     cdrom ? "scsi-cd" : "scsi-hd", ctl, target, unit, empty ? "" : ",drive=", empty ? "" : format_node,
                     ctl, target, unit, boot, serial, write_cache, policy ? policy : "");
                break;
        }
        default:
                unsupported(c, "disk '%s': bus '%s' is not supported yet", disk->target_dev,
                            domain_disk_bus_to_string(disk->bus));
        }
}

static void build_net(Cmd *c, DomainNetDef *net, unsigned n) {
        const DomainDef *def = c->def;
        g_autofree char *addr = device_addr(def, &net->info);
        g_autofree char *boot = bootindex(&net->info);
        const char *model = net->model ? net->model : "virtio";
        const char *dev;

        int tap_fd = c->opts && n < c->opts->n_net_fds ? c->opts->net_fds[n] : -1;

        bool tap = net->type == DOMAIN_NET_TYPE_BRIDGE || net->type == DOMAIN_NET_TYPE_NETWORK;

        if (tap && tap_fd < 0)
                return (void) unsupported(c, "interface type '%s' needs its tap opened first",
                                          domain_net_type_to_string(net->type));
        if (net->type == DOMAIN_NET_TYPE_DIRECT || net->type == DOMAIN_NET_TYPE_ETHERNET)
                return (void) unsupported(c, "interface type '%s' is not supported yet; types 'user', 'network' and "
                                          "'bridge' run today", domain_net_type_to_string(net->type));
        if (net->type != DOMAIN_NET_TYPE_USER && !tap)
                return (void) unsupported(c, "interface type '%s' is not supported; only types 'user', 'network' "
                                          "and 'bridge' run today", domain_net_type_to_string(net->type));
        dev = g_str_equal(model, "virtio") ? "virtio-net-pci" : g_str_equal(model, "e1000") ? "e1000" :
              g_str_equal(model, "e1000e") ? "e1000e" : g_str_equal(model, "rtl8139") ? "rtl8139" : NULL;
        if (!dev)
                return (void) unsupported(c, "interface model '%s' is not supported", model);
        arg(c, "-netdev");
        if (tap)
                /* this kernel has no vhost_net; QEMU's own virtio backend serves the tap */
                argf(c, "tap,id=hostnet%u,fd=%d,vhost=off", n, tap_fd);
        else
                argf(c, "user,id=hostnet%u", n);
        arg(c, "-device");
        argf(c, "%s,netdev=hostnet%u,id=net%u,mac=%s%s%s", dev, n, n, net->mac, addr, boot);
}


/* "-chardev …,id=ID" for a character device source; spicevmc names the SPICE channel it
 * carries (vdagent, usbredir) */
bool build_chardev_spice(Cmd *c, const DomainChrSource *src, const char *id, const char *spicevmc) {
        g_autofree char *path = src->path ? opt_escape(src->path) : NULL;

        if ((src->type == DOMAIN_CHR_TYPE_SPICEVMC || src->type == DOMAIN_CHR_TYPE_SPICEPORT) && !have_spice(c->def))
                return unsupported(c, "character device '%s' of type '%s' needs <graphics type='spice'>", id,
                                   domain_chr_type_to_string(src->type));
        arg(c, "-chardev");
        switch (src->type) {
        case DOMAIN_CHR_TYPE_SPICEVMC:
                if (!spicevmc) {
                        g_ptr_array_remove_index(c->argv, c->argv->len - 1);
                        return unsupported(c, "spicevmc character device '%s' is only supported as the SPICE agent "
                                           "channel or a USB redirection", id);
                }
                argf(c, "spicevmc,id=%s,name=%s", id, spicevmc);
                return true;
        case DOMAIN_CHR_TYPE_SPICEPORT: {
                g_autofree char *ch = src->channel ? opt_escape(src->channel) : NULL;
                if (!ch) {
                        g_ptr_array_remove_index(c->argv, c->argv->len - 1);
                        return unsupported(c, "spiceport character device '%s' has no <source channel=…>", id);
                }
                argf(c, "spiceport,id=%s,name=%s", id, ch);
                return true;
        }
        case DOMAIN_CHR_TYPE_NULL:
                argf(c, "null,id=%s", id);
                return true;
        case DOMAIN_CHR_TYPE_PTY:
                argf(c, "pty,id=%s", id);
                return true;
        case DOMAIN_CHR_TYPE_FILE:
                if (!path)
                        return unsupported(c, "file character device '%s' has no path", id);
                argf(c, "file,id=%s,path=%s,append=on", id, path);
                return true;
        case DOMAIN_CHR_TYPE_UNIX: {
                bool bind = !src->mode || g_str_equal(src->mode, "bind");
                if (!path)
                        return unsupported(c, "unix character device '%s' has no path", id);
                argf(c, "socket,id=%s,path=%s%s", id, path, bind ? ",server=on,wait=off" : "");
                return true;
        }
        case DOMAIN_CHR_TYPE_TCP: {
                bool bind = !src->mode || g_str_equal(src->mode, "bind");
                bool telnet = g_strcmp0(src->protocol, "telnet") == 0;
                if (!src->host || !src->service)
                        return unsupported(c, "tcp character device '%s' needs a host and a service", id);
                argf(c, "socket,id=%s,host=%s,port=%s%s%s", id, src->host, src->service, telnet ? ",telnet=on" : "",
                     bind ? ",server=on,wait=off" : "");
                return true;
        }
        default:
                g_ptr_array_remove_index(c->argv, c->argv->len - 1);
                return unsupported(c, "character device type '%s' is not supported yet",
                                   domain_chr_type_to_string(src->type));
        }
}

static bool build_chardev(Cmd *c, const DomainChrSource *src, const char *id) {
        return build_chardev_spice(c, src, id, NULL);
}

static void build_serials(Cmd *c) {
        const DomainDef *def = c->def;

        for (guint i = 0; i < domain_list_len(def->serials); i++) {
                DomainChrDef *chr = domain_list_at(def->serials, i);
                g_autofree char *id = g_strdup_printf("charserial%u", i);
                guint64 port = i;

                /* the guest's COMn is the target port, as in libvirt; the ids stay in list order */
                if (chr->target_port && !g_ascii_string_to_unsigned(chr->target_port, 10, 0, 3, &port, NULL))
                        return (void) unsupported(c, "serial port '%s' is not 0 to 3", chr->target_port);
                if (!build_chardev(c, &chr->src, id))
                        return;
                arg(c, "-device");
                argf(c, "isa-serial,chardev=%s,id=serial%u,index=%u", id, i, (unsigned) port);
        }
        /* a console of target type serial is the first serial port (libvirt adds that
         * serial itself); one that stands alone becomes serial 0 */
        for (guint i = 0; i < domain_list_len(def->consoles); i++) {
                DomainChrDef *chr = domain_list_at(def->consoles, i);
                g_autofree char *id = g_strdup_printf("charconsole%u", i);
                if (chr->target_type && g_str_equal(chr->target_type, "virtio"))
                        return (void) unsupported(c, "virtio consoles are not supported yet");
                if (domain_list_len(def->serials) > 0)
                        continue;
                if (!build_chardev(c, &chr->src, id))
                        return;
                arg(c, "-device");
                argf(c, "isa-serial,chardev=%s,id=serial0,index=0", id);
        }
        for (guint i = 0; i < domain_list_len(def->parallels); i++) {
                DomainChrDef *chr = domain_list_at(def->parallels, i);
                g_autofree char *id = g_strdup_printf("charparallel%u", i);
                if (!build_chardev(c, &chr->src, id))
                        return;
                arg(c, "-device");
                argf(c, "isa-parallel,chardev=%s,id=parallel%u,index=%u", id, i, i);
        }
}

/* Whether the definition has virtio-serial controller index. */
static bool has_virtio_serial(const DomainDef *def, unsigned index) {
        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                const DomainControllerDef *ctl = domain_list_at(def->controllers, i);

                if (ctl->type == DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL && ctl->index == (int) index)
                        return true;
        }
        return false;
}

static void build_channels(Cmd *c) {
        const DomainDef *def = c->def;

        for (guint i = 0; i < domain_list_len(def->channels); i++) {
                DomainChrDef *chr = domain_list_at(def->channels, i);
                g_autofree char *id = g_strdup_printf("charchannel%u", i);
                g_autofree char *name = NULL;
                /* the port the definition (or post-parse) gave it, as the live XML shows it */
                bool addressed = chr->info.addr.type == DOMAIN_ADDRESS_VIRTIO_SERIAL;
                unsigned controller = addressed ? chr->info.addr.controller : 0;
                unsigned bus = addressed ? chr->info.addr.bus : 0;
                unsigned port = addressed ? chr->info.addr.port : i + 1;

                if (g_strcmp0(chr->target_type, "virtio") != 0)
                        return (void) unsupported(c, "channel target type '%s' is not supported",
                                                  chr->target_type ? chr->target_type : "(none)");
                if (!has_virtio_serial(def, controller))
                        return (void) unsupported(c, "virtio channel %u needs virtio-serial controller %u, which the "
                                                  "definition does not have", i, controller);
                if (!build_chardev_spice(c, &chr->src, id,
                                         g_strcmp0(chr->target_name, "com.redhat.spice.0") == 0 ? "vdagent" : NULL))
                        return;
                name = chr->target_name ? opt_escape(chr->target_name) : NULL;
                arg(c, "-device");
                argf(c, "virtserialport,bus=virtio-serial%u.%u,nr=%u,chardev=%s,id=channel%u%s%s", controller, bus,
                     port, id, i, name ? ",name=" : "", name ? name : "");
        }
}

GPtrArray *qemu_command_build(const DomainDef *def, const QemuCommandOptions *opts, GError **error) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        Cmd c = { .argv = argv, .def = def, .opts = opts, .error = error };
        g_autofree char *name = opt_escape(def->name);
        unsigned ndisk = 0;

        if (!def->emulator || !def->os_machine)
                return unsupported(&c, "domain '%s' has no emulator or machine type", def->name), NULL;
        if (g_strcmp0(def->os_type, "hvm") != 0)
                return unsupported(&c, "os type '%s' is not supported", def->os_type ? def->os_type : "(none)"), NULL;

        arg(&c, def->emulator);
        arg(&c, "-name");
        argf(&c, "guest=%s,debug-threads=on", name);
        arg(&c, "-S");
        arg(&c, "-no-user-config");
        arg(&c, "-nodefaults");
        arg(&c, "-no-shutdown");
        build_firmware(&c);
        build_machine(&c);
        build_pm(&c);
        build_smbios(&c);
        arg(&c, "-accel");
        arg(&c, opts->kvm ? "kvm" : "tcg");
        build_cpu(&c, opts->kvm);
        check_tuning(&c);
        build_memory(&c);
        build_smp(&c);
        build_numa(&c);
        build_iothreads(&c);
        arg(&c, "-uuid");
        arg(&c, def->uuid);
        if (def->os_kernel) {
                arg(&c, "-kernel");
                arg(&c, def->os_kernel);
        }
        if (def->os_initrd) {
                arg(&c, "-initrd");
                arg(&c, def->os_initrd);
        }
        if (def->os_cmdline) {
                arg(&c, "-append");
                arg(&c, def->os_cmdline);
        }
        build_boot(&c);
        build_clock(&c);
        arg(&c, "-chardev");
        argf(&c, "socket,id=charmonitor,fd=%d,server=on,wait=off", opts->monitor_fd);
        arg(&c, "-mon");
        arg(&c, "chardev=charmonitor,id=monitor,mode=control");
        build_graphics(&c);
        build_controllers(&c);
        for (guint i = 0; !c.failed && i < domain_list_len(def->disks); i++)
                build_disk(&c, domain_list_at(def->disks, i), ++ndisk);
        for (guint i = 0; !c.failed && i < domain_list_len(def->nets); i++)
                build_net(&c, domain_list_at(def->nets, i), i);
        if (!c.failed)
                build_serials(&c);
        if (!c.failed)
                build_channels(&c);
        if (!c.failed)
                build_videos(&c);
        if (!c.failed)
                build_misc_devices(&c);
        if (!c.failed)
                build_other_devices(&c);
        if (!c.failed)
                build_redirdevs(&c);
        arg(&c, "-msg");
        arg(&c, "timestamp=on");
        if (c.failed)
                return NULL;
        return g_steal_pointer(&argv);
}

char *qemu_command_to_string(const GPtrArray *argv) {
        g_autoptr(GString) s = g_string_new(NULL);

        for (guint i = 0; i < argv->len; i++) {
                const char *a = g_ptr_array_index(argv, i);
                g_autofree char *q = NULL;
                bool plain = *a != 0;

                for (const char *p = a; *p; p++)
                        if (!g_ascii_isalnum(*p) && !strchr("-_=,./:+@%", *p))
                                plain = false;
                q = plain ? g_strdup(a) : g_shell_quote(a);
                if (i)
                        g_string_append_c(s, ' ');
                g_string_append(s, q);
        }
        return g_string_free(g_steal_pointer(&s), FALSE);
}
