/* Turns a live domain definition into a QEMU command line (the subset vmmd can run today). */
#include "qemu-command.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "domain-conf-priv.h"
#include "error.h"

typedef struct Cmd {
        GPtrArray *argv;
        const DomainDef *def;
        GError **error;
        bool failed;
} Cmd;

static void arg(Cmd *c, const char *a) {
        g_ptr_array_add(c->argv, g_strdup(a));
}

static void G_GNUC_PRINTF(2, 3) argf(Cmd *c, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        g_ptr_array_add(c->argv, g_strdup_vprintf(fmt, ap));
        va_end(ap);
}

static bool G_GNUC_PRINTF(2, 3) unsupported(Cmd *c, const char *fmt, ...) {
        va_list ap;

        if (!c->failed) {
                va_start(ap, fmt);
                g_autofree char *msg = g_strdup_vprintf(fmt, ap);
                va_end(ap);
                g_set_error(c->error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED, "%s", msg);
                c->failed = true;
        }
        return false;
}

/* QEMU's option values escape ',' by doubling it */
static char *opt_escape(const char *s) {
        g_autoptr(GString) out = g_string_new(NULL);

        for (const char *p = s; *p; p++) {
                if (*p == ',')
                        g_string_append_c(out, ',');
                g_string_append_c(out, *p);
        }
        return g_string_free(g_steal_pointer(&out), FALSE);
}

/* ",bus=pci.0,addr=0x3" for a PCI address; "" otherwise */
static char *pci_addr(const DomainDeviceInfo *info) {
        const DomainDeviceAddress *a = &info->addr;

        if (a->type != DOMAIN_ADDRESS_PCI)
                return g_strdup("");
        if (a->function)
                return g_strdup_printf(",bus=pci.%u,addr=0x%x.0x%x", a->bus, a->slot, a->function);
        return g_strdup_printf(",bus=pci.%u,addr=0x%x", a->bus, a->slot);
}

static const char *pci_bus_name(const DomainDef *def) {
        return domain_def_is_q35(def) ? "pcie.0" : "pci.0";
}

/* pci.0 for bus 0 of the root; q35 calls its root bus pcie.0 */
static char *device_addr(const DomainDef *def, const DomainDeviceInfo *info) {
        g_autofree char *a = pci_addr(info);

        if (info->addr.type == DOMAIN_ADDRESS_PCI && info->addr.bus == 0) {
                g_autofree char *tail = g_strdup(strstr(a, ",addr="));
                return g_strdup_printf(",bus=%s%s", pci_bus_name(def), tail);
        }
        return g_steal_pointer(&a);
}

static char *bootindex(const DomainDeviceInfo *info) {
        return info->boot_order ? g_strdup_printf(",bootindex=%u", info->boot_order) : g_strdup("");
}

static const DomainTimerDef *find_timer(const DomainDef *def, const char *name) {
        for (guint i = 0; def->timers && i < def->timers->len; i++) {
                const DomainTimerDef *t = g_ptr_array_index(def->timers, i);
                if (g_strcmp0(t->name, name) == 0)
                        return t;
        }
        return NULL;
}

static void build_machine(Cmd *c) {
        const DomainDef *def = c->def;
        const DomainTimerDef *hpet = find_timer(def, "hpet");
        bool acpi = false;

        for (guint i = 0; def->features && i < def->features->len; i++) {
                DomainFeatureDef *f = g_ptr_array_index(def->features, i);
                if (g_str_equal(f->name, "acpi") && g_strcmp0(f->state, "off") != 0)
                        acpi = true;
        }
        arg(c, "-machine");
        argf(c, "%s,usb=off,dump-guest-core=off%s%s", def->os_machine, acpi ? "" : ",acpi=off",
             hpet && g_strcmp0(hpet->present, "no") == 0 ? ",hpet=off" : "");
}

static void build_cpu(Cmd *c, bool kvm) {
        const DomainDef *def = c->def;
        g_autoptr(GString) cpu = g_string_new(NULL);

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
                g_string_assign(cpu, def->cpu_model);
        } else {
                return;
        }
        /* libvirt's spelling: require/force/optional turn a feature on, disable/forbid off */
        for (guint i = 0; def->cpu_features && i < def->cpu_features->len; i++) {
                const DomainCpuFeatureDef *f = g_ptr_array_index(def->cpu_features, i);
                bool off = g_strcmp0(f->policy, "disable") == 0 || g_strcmp0(f->policy, "forbid") == 0;
                g_string_append_printf(cpu, ",%s=%s", f->name, off ? "off" : "on");
        }
        arg(c, "-cpu");
        arg(c, cpu->str);
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

        for (guint i = 0; def->os_boot && i < def->os_boot->len; i++) {
                const char *dev = g_ptr_array_index(def->os_boot, i);
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

/* -m is <memory>, as libvirt does: the guest sees all of it and the balloon brings it down
 * to <currentMemory> once QEMU runs, so that it can grow back later */
static void build_memory(Cmd *c) {
        const DomainDef *def = c->def;

        arg(c, "-m");
        if (def->max_memory_kib && def->max_memory_slots)
                argf(c, "size=%lluk,slots=%s,maxmem=%lluk", def->memory_kib, def->max_memory_slots, def->max_memory_kib);
        else
                argf(c, "size=%lluk", def->memory_kib);
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

static char *builder_to_string(JsonBuilder *b) {
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
        g_autofree char *js = NULL, *jf = NULL;
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
        if (cache && !g_strv_contains(cache_modes, cache))
                return (void) unsupported(c, "disk '%s': cache mode '%s' is not supported", disk->target_dev, cache);
        if (cache)
                write_cache = g_str_equal(cache, "writethrough") || g_str_equal(cache, "directsync") ?
                              ",write-cache=off" : ",write-cache=on";
        esc_serial = disk->serial ? opt_escape(disk->serial) : NULL;
        serial = esc_serial ? g_strdup_printf(",serial=%s", esc_serial) : g_strdup("");

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
                json_builder_end_object(format);
                jf = builder_to_string(format);
                arg(c, "-blockdev");
                arg(c, jf);
        }

        switch (disk->bus) {
        case DOMAIN_DISK_BUS_VIRTIO:
                if (cdrom)
                        return (void) unsupported(c, "disk '%s': a cdrom cannot be on the virtio bus", disk->target_dev);
                arg(c, "-device");
                argf(c, "virtio-blk-pci%s,drive=%s,id=virtio-disk%u%s%s%s", addr, format_node, n - 1, boot, serial,
                     write_cache);
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
                        argf(c, "%s,bus=ide.%u%s%s%s,id=sata0-0-%u%s%s", cdrom ? "ide-cd" : "ide-hd", bus,
                             empty ? "" : ",drive=", empty ? "" : format_node, boot, bus, serial, write_cache);
                else
                        argf(c, "%s,bus=ide.%u,unit=%u%s%s,id=ide0-%u-%u%s%s%s", cdrom ? "ide-cd" : "ide-hd", bus, unit,
                             empty ? "" : ",drive=", empty ? "" : format_node, bus, unit, boot, serial, write_cache);
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

        if (net->type != DOMAIN_NET_TYPE_USER)
                return (void) unsupported(c, "interface type '%s' needs vmmd-network; only type='user' runs today",
                                          domain_net_type_to_string(net->type));
        dev = g_str_equal(model, "virtio") ? "virtio-net-pci" : g_str_equal(model, "e1000") ? "e1000" :
              g_str_equal(model, "e1000e") ? "e1000e" : g_str_equal(model, "rtl8139") ? "rtl8139" : NULL;
        if (!dev)
                return (void) unsupported(c, "interface model '%s' is not supported", model);
        arg(c, "-netdev");
        argf(c, "user,id=hostnet%u", n);
        arg(c, "-device");
        argf(c, "%s,netdev=hostnet%u,id=net%u,mac=%s%s%s", dev, n, n, net->mac, addr, boot);
}

/* "-chardev …,id=ID" for a character device source */
static bool build_chardev(Cmd *c, const DomainChrSource *src, const char *id) {
        g_autofree char *path = src->path ? opt_escape(src->path) : NULL;

        arg(c, "-chardev");
        switch (src->type) {
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

static void build_serials(Cmd *c) {
        const DomainDef *def = c->def;

        for (guint i = 0; i < def->serials->len; i++) {
                DomainChrDef *chr = g_ptr_array_index(def->serials, i);
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
        for (guint i = 0; i < def->consoles->len; i++) {
                DomainChrDef *chr = g_ptr_array_index(def->consoles, i);
                g_autofree char *id = g_strdup_printf("charconsole%u", i);
                if (chr->target_type && g_str_equal(chr->target_type, "virtio"))
                        return (void) unsupported(c, "virtio consoles are not supported yet");
                if (def->serials->len > 0)
                        continue;
                if (!build_chardev(c, &chr->src, id))
                        return;
                arg(c, "-device");
                argf(c, "isa-serial,chardev=%s,id=serial0,index=0", id);
        }
        for (guint i = 0; i < def->parallels->len; i++) {
                DomainChrDef *chr = g_ptr_array_index(def->parallels, i);
                g_autofree char *id = g_strdup_printf("charparallel%u", i);
                if (!build_chardev(c, &chr->src, id))
                        return;
                arg(c, "-device");
                argf(c, "isa-parallel,chardev=%s,id=parallel%u,index=%u", id, i, i);
        }
}

static void build_channels(Cmd *c) {
        const DomainDef *def = c->def;
        bool have_vserial = false;

        for (guint i = 0; i < def->controllers->len; i++) {
                DomainControllerDef *ctl = g_ptr_array_index(def->controllers, i);
                if (ctl->type == DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL)
                        have_vserial = true;
        }
        for (guint i = 0; i < def->channels->len; i++) {
                DomainChrDef *chr = g_ptr_array_index(def->channels, i);
                g_autofree char *id = g_strdup_printf("charchannel%u", i);
                g_autofree char *name = NULL;
                if (g_strcmp0(chr->target_type, "virtio") != 0)
                        return (void) unsupported(c, "channel target type '%s' is not supported",
                                                  chr->target_type ? chr->target_type : "(none)");
                if (!have_vserial)
                        return (void) unsupported(c, "virtio channel needs a virtio-serial controller");
                if (!build_chardev(c, &chr->src, id))
                        return;
                name = chr->target_name ? opt_escape(chr->target_name) : NULL;
                arg(c, "-device");
                argf(c, "virtserialport,bus=virtio-serial0.0,nr=%u,chardev=%s,id=channel%u%s%s", i + 1, id, i,
                     name ? ",name=" : "", name ? name : "");
        }
}

static void build_controllers(Cmd *c) {
        const DomainDef *def = c->def;

        for (guint i = 0; i < def->controllers->len; i++) {
                DomainControllerDef *ctl = g_ptr_array_index(def->controllers, i);
                g_autofree char *addr = device_addr(def, &ctl->info);

                switch (ctl->type) {
                case DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL:
                        arg(c, "-device");
                        argf(c, "virtio-serial-pci,id=virtio-serial%d%s", ctl->index, addr);
                        break;
                case DOMAIN_CONTROLLER_TYPE_USB: {
                        /* index 0 is "usb" (its bus usb.0, where USB devices go); others get their index */
                        g_autofree char *id = ctl->index == 0 ? g_strdup("usb") : g_strdup_printf("usb%d", ctl->index);

                        if (g_strcmp0(ctl->model, "none") == 0)
                                break;
                        arg(c, "-device");
                        if (g_strcmp0(ctl->model, "qemu-xhci") == 0 || g_strcmp0(ctl->model, "nec-xhci") == 0)
                                argf(c, "%s,id=%s%s", ctl->model, id, addr);
                        else if (!ctl->model || g_str_equal(ctl->model, "piix3-uhci"))
                                argf(c, "piix3-usb-uhci,id=%s%s", id, addr);
                        else if (g_str_equal(ctl->model, "ich9-ehci1"))
                                argf(c, "ich9-usb-ehci1,id=%s%s", id, addr);
                        else if (g_str_equal(ctl->model, "ich9-uhci1") || g_str_equal(ctl->model, "ich9-uhci2") ||
                                 g_str_equal(ctl->model, "ich9-uhci3"))
                                /* the USB 1 controllers virt-install adds beside ich9-ehci1, each on its own
                                 * bus (vmmd does not pair them with the EHCI as companions) */
                                argf(c, "ich9-usb-uhci%c,id=%s%s", ctl->model[9], id, addr);
                        else {
                                g_ptr_array_remove_index(c->argv, c->argv->len - 1);
                                unsupported(c, "USB controller model '%s' is not supported", ctl->model);
                        }
                        break;
                }
                case DOMAIN_CONTROLLER_TYPE_PCI:
                        if (!ctl->model || g_str_equal(ctl->model, "pci-root") || g_str_equal(ctl->model, "pcie-root"))
                                break;
                        arg(c, "-device");
                        if (g_str_equal(ctl->model, "pcie-root-port"))
                                argf(c, "pcie-root-port,port=0x%x,chassis=%d,id=pci.%d%s", 0x10 + ctl->index - 1,
                                     ctl->index, ctl->index, addr);
                        else if (g_str_equal(ctl->model, "pci-bridge"))
                                argf(c, "pci-bridge,chassis_nr=%d,id=pci.%d%s", ctl->index, ctl->index, addr);
                        else {
                                g_ptr_array_remove_index(c->argv, c->argv->len - 1);
                                unsupported(c, "PCI controller model '%s' is not supported", ctl->model);
                        }
                        break;
                case DOMAIN_CONTROLLER_TYPE_SCSI:
                        arg(c, "-device");
                        argf(c, "virtio-scsi-pci,id=scsi%d%s", ctl->index, addr);
                        break;
                default:
                        /* ide, sata (q35 ahci), fdc: built into the machine */
                        break;
                }
        }
}

static void build_graphics(Cmd *c) {
        const DomainDef *def = c->def;

        if (def->graphics->len == 0) {
                arg(c, "-display");
                arg(c, "none");
                return;
        }
        for (guint i = 0; i < def->graphics->len; i++) {
                DomainGraphicsDef *g = g_ptr_array_index(def->graphics, i);
                const char *listen = "127.0.0.1";

                if (g->type != DOMAIN_GRAPHICS_TYPE_VNC)
                        return (void) unsupported(c, "graphics type '%s' is not supported yet",
                                                  domain_graphics_type_to_string(g->type));
                for (guint j = 0; g->listens && j < g->listens->len; j++) {
                        DomainGraphicsListen *l = g_ptr_array_index(g->listens, j);
                        if (l->address)
                                listen = l->address;
                }
                arg(c, "-vnc");
                if (g->socket) {
                        g_autofree char *sock = opt_escape(g->socket);
                        argf(c, "unix:%s%s", sock, g->passwd ? ",password=on" : "");
                } else if (g->port >= 5900 && g->autoport != 1) {       /* autoport is a tristate: 1 yes */
                        argf(c, "%s%s%s:%d%s", strchr(listen, ':') ? "[" : "", listen, strchr(listen, ':') ? "]" : "",
                             g->port - 5900, g->passwd ? ",password=on" : "");
                } else {  /* autoport: QEMU takes the first free display from 0 up to 100 */
                        argf(c, "%s%s%s:0,to=100%s", strchr(listen, ':') ? "[" : "", listen,
                             strchr(listen, ':') ? "]" : "", g->passwd ? ",password=on" : "");
                }
        }
}

static void build_videos(Cmd *c) {
        const DomainDef *def = c->def;

        for (guint i = 0; i < def->videos->len; i++) {
                DomainVideoDef *v = g_ptr_array_index(def->videos, i);
                g_autofree char *addr = device_addr(def, &v->info);
                const char *model = v->model ? v->model : "vga";
                const char *dev = g_str_equal(model, "vga") ? "VGA" : g_str_equal(model, "cirrus") ? "cirrus-vga" :
                                  g_str_equal(model, "virtio") ? (i == 0 ? "virtio-vga" : "virtio-gpu-pci") :
                                  g_str_equal(model, "qxl") ? (i == 0 ? "qxl-vga" : "qxl") :
                                  g_str_equal(model, "bochs") ? "bochs-display" :
                                  g_str_equal(model, "ramfb") ? "ramfb" : NULL;
                if (g_str_equal(model, "none"))
                        continue;
                if (!dev)
                        return (void) unsupported(c, "video model '%s' is not supported", model);
                arg(c, "-device");
                argf(c, "%s,id=video%u%s", dev, i, g_str_equal(model, "ramfb") ? "" : addr);
        }
}

static bool have_usb_controller(const DomainDef *def) {
        for (guint i = 0; i < def->controllers->len; i++) {
                const DomainControllerDef *ctl = g_ptr_array_index(def->controllers, i);
                if (ctl->type == DOMAIN_CONTROLLER_TYPE_USB && g_strcmp0(ctl->model, "none") != 0)
                        return true;
        }
        return false;
}

static void build_misc_devices(Cmd *c) {
        const DomainDef *def = c->def;

        for (guint i = 0; i < def->inputs->len; i++) {
                DomainInputDef *in = g_ptr_array_index(def->inputs, i);
                if (g_strcmp0(in->bus, "usb") == 0) {
                        const char *dev = g_str_equal(in->type, "tablet") ? "usb-tablet" :
                                          g_str_equal(in->type, "mouse") ? "usb-mouse" : "usb-kbd";
                        /* -machine usb=off: the only USB bus is a controller from the definition */
                        if (!have_usb_controller(def))
                                return (void) unsupported(c, "USB %s needs a USB controller; add "
                                                          "<controller type='usb' model='qemu-xhci'/>", in->type);
                        arg(c, "-device");
                        argf(c, "%s,id=input%u,bus=usb.0", dev, i);
                } else if (g_strcmp0(in->bus, "virtio") == 0) {
                        g_autofree char *addr = device_addr(def, &in->info);
                        const char *dev = g_str_equal(in->type, "tablet") ? "virtio-tablet-pci" :
                                          g_str_equal(in->type, "mouse") ? "virtio-mouse-pci" : "virtio-keyboard-pci";
                        arg(c, "-device");
                        argf(c, "%s,id=input%u%s", dev, i, addr);
                }
                /* ps2 mouse and keyboard come with the machine */
        }
        /* no host audio: without an audiodev QEMU 7.2 probes PulseAudio, ALSA, … and complains */
        if (def->sounds->len > 0) {
                arg(c, "-audiodev");
                arg(c, "{\"id\":\"audio1\",\"driver\":\"none\"}");
        }
        for (guint i = 0; i < def->sounds->len; i++) {
                DomainSoundDef *s = g_ptr_array_index(def->sounds, i);
                g_autofree char *addr = device_addr(def, &s->info);
                if (g_strcmp0(s->model, "ich6") == 0 || g_strcmp0(s->model, "ich9") == 0) {
                        arg(c, "-device");
                        argf(c, "%s,id=sound%u%s", g_str_equal(s->model, "ich6") ? "intel-hda" : "ich9-intel-hda", i, addr);
                        arg(c, "-device");
                        argf(c, "hda-duplex,id=sound%u-codec0,bus=sound%u.0,cad=0,audiodev=audio1", i, i);
                } else if (g_strcmp0(s->model, "ac97") == 0) {
                        arg(c, "-device");
                        argf(c, "AC97,id=sound%u%s,audiodev=audio1", i, addr);
                } else
                        return (void) unsupported(c, "sound model '%s' is not supported", s->model ? s->model : "(none)");
        }
        for (guint i = 0; i < def->rngs->len; i++) {
                DomainRNGDef *r = g_ptr_array_index(def->rngs, i);
                g_autofree char *addr = device_addr(def, &r->info);
                if (g_strcmp0(r->backend_model, "random") != 0)
                        return (void) unsupported(c, "rng backend '%s' is not supported",
                                                  r->backend_model ? r->backend_model : "(none)");
                {
                        g_autoptr(JsonBuilder) b = json_builder_new();
                        g_autofree char *id = g_strdup_printf("objrng%u", i);
                        g_autofree char *json = NULL;

                        json_builder_begin_object(b);
                        json_builder_set_member_name(b, "qom-type");
                        json_builder_add_string_value(b, "rng-random");
                        json_builder_set_member_name(b, "id");
                        json_builder_add_string_value(b, id);
                        json_builder_set_member_name(b, "filename");
                        json_builder_add_string_value(b, r->backend_path ? r->backend_path : "/dev/urandom");
                        json_builder_end_object(b);
                        json = builder_to_string(b);
                        arg(c, "-object");
                        arg(c, json);
                }
                arg(c, "-device");
                argf(c, "virtio-rng-pci,rng=objrng%u,id=rng%u%s", i, i, addr);
        }
        if (def->memballoon && g_strcmp0(def->memballoon->model, "virtio") == 0) {
                g_autofree char *addr = device_addr(def, &def->memballoon->info);
                const DomainMemballoonDef *m = def->memballoon;
                arg(c, "-device");
                argf(c, "virtio-balloon-pci,id=balloon0%s%s%s", addr,
                     m->autodeflate > 0 ? (m->autodeflate == 1 ? ",deflate-on-oom=on" : ",deflate-on-oom=off") : "",
                     m->free_page_reporting > 0 ?
                     (m->free_page_reporting == 1 ? ",free-page-reporting=on" : ",free-page-reporting=off") : "");
        }
        for (guint i = 0; i < def->watchdogs->len; i++) {
                DomainWatchdogDef *w = g_ptr_array_index(def->watchdogs, i);
                g_autofree char *addr = device_addr(def, &w->info);
                if (g_strcmp0(w->model, "i6300esb") == 0) {
                        arg(c, "-device");
                        argf(c, "i6300esb,id=watchdog%u%s", i, addr);
                } else if (g_strcmp0(w->model, "ib700") == 0) {
                        arg(c, "-device");
                        argf(c, "ib700,id=watchdog%u", i);
                } else
                        return (void) unsupported(c, "watchdog model '%s' is not supported", w->model ? w->model : "(none)");
                /* QEMU's default is reset; 'dump' would need a dump directory vmmd does not keep */
                if (w->action && g_str_equal(w->action, "dump"))
                        return (void) unsupported(c, "watchdog action 'dump' is not supported");
                if (w->action && !g_str_equal(w->action, "reset")) {
                        arg(c, "-action");
                        argf(c, "watchdog=%s", w->action);
                }
        }
        for (guint i = 0; i < def->panics->len; i++) {
                DomainPanicDef *p = g_ptr_array_index(def->panics, i);
                if (!p->model || g_str_equal(p->model, "isa")) {
                        arg(c, "-device");
                        argf(c, "pvpanic,id=panic%u", i);
                } else if (g_str_equal(p->model, "pvpanic")) {
                        g_autofree char *addr = device_addr(def, &p->info);
                        arg(c, "-device");
                        argf(c, "pvpanic-pci,id=panic%u%s", i, addr);
                } else
                        return (void) unsupported(c, "panic model '%s' is not supported", p->model);
        }
}

GPtrArray *qemu_command_build(const DomainDef *def, const QemuCommandOptions *opts, GError **error) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        Cmd c = { .argv = argv, .def = def, .error = error };
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
        build_machine(&c);
        arg(&c, "-accel");
        arg(&c, opts->kvm ? "kvm" : "tcg");
        build_cpu(&c, opts->kvm);
        build_memory(&c);
        build_smp(&c);
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
        for (guint i = 0; !c.failed && i < def->disks->len; i++)
                build_disk(&c, g_ptr_array_index(def->disks, i), ++ndisk);
        for (guint i = 0; !c.failed && i < def->nets->len; i++)
                build_net(&c, g_ptr_array_index(def->nets, i), i);
        if (!c.failed)
                build_serials(&c);
        if (!c.failed)
                build_channels(&c);
        if (!c.failed)
                build_videos(&c);
        if (!c.failed)
                build_misc_devices(&c);
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
