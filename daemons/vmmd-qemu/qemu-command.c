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

static void build_machine(Cmd *c) {
        const DomainDef *def = c->def;
        bool acpi = false;

        for (guint i = 0; def->features && i < def->features->len; i++) {
                DomainFeatureDef *f = g_ptr_array_index(def->features, i);
                if (g_str_equal(f->name, "acpi") && g_strcmp0(f->state, "off") != 0)
                        acpi = true;
        }
        arg(c, "-machine");
        argf(c, "%s,usb=off,dump-guest-core=off%s", def->os_machine, acpi ? "" : ",acpi=off");
}

static void build_cpu(Cmd *c, bool kvm) {
        const DomainDef *def = c->def;

        if (g_strcmp0(def->cpu_mode, "host-passthrough") == 0 || g_strcmp0(def->cpu_mode, "host-model") == 0) {
                if (!kvm) {
                        unsupported(c, "CPU mode '%s' needs KVM; use <domain type='kvm'> or a named model",
                                    def->cpu_mode);
                        return;
                }
                arg(c, "-cpu");
                arg(c, "host");
        } else if (def->cpu_model) {
                arg(c, "-cpu");
                arg(c, def->cpu_model);
        }
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
                if (def->os_bootmenu > 0)
                        g_string_append_printf(b, "%smenu=on", b->len ? "," : "");
                arg(c, "-boot");
                arg(c, b->str);
        }
}

static char *builder_to_string(JsonBuilder *b) {
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = json_builder_get_root(b);

        json_generator_set_root(gen, root);
        return json_generator_to_data(gen, NULL);
}

static void build_disk(Cmd *c, DomainDiskDef *disk, unsigned n) {
        const DomainDef *def = c->def;
        g_autoptr(JsonBuilder) storage = json_builder_new();
        g_autoptr(JsonBuilder) format = json_builder_new();
        g_autofree char *storage_node = g_strdup_printf("libvirt-%u-storage", n);
        g_autofree char *format_node = g_strdup_printf("libvirt-%u-format", n);
        g_autofree char *addr = device_addr(def, &disk->info);
        g_autofree char *boot = bootindex(&disk->info);
        g_autofree char *serial = NULL;
        g_autofree char *js = NULL, *jf = NULL;
        const char *fmt = disk->driver_type ? disk->driver_type : "raw";
        bool cdrom = disk->device == DOMAIN_DISK_DEVICE_CDROM;
        bool ro = disk->readonly || cdrom;
        bool empty = !disk->src_path;

        if (disk->type == DOMAIN_DISK_TYPE_VOLUME)
                return (void) unsupported(c, "disk '%s' uses a storage volume; volume disks need vmmd-storage",
                                          disk->target_dev);
        if (disk->type != DOMAIN_DISK_TYPE_FILE && disk->type != DOMAIN_DISK_TYPE_BLOCK)
                return (void) unsupported(c, "disk '%s': source type '%s' is not supported yet", disk->target_dev,
                                          domain_disk_type_to_string(disk->type));
        if (!g_str_equal(fmt, "raw") && !g_str_equal(fmt, "qcow2"))
                return (void) unsupported(c, "disk '%s': format '%s' is not supported", disk->target_dev, fmt);
        if (empty && !cdrom)
                return (void) unsupported(c, "disk '%s' has no source", disk->target_dev);
        serial = disk->serial ? g_strdup_printf(",serial=%s", disk->serial) : g_strdup("");

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
                if (disk->driver_cache && !g_str_equal(disk->driver_cache, "default")) {
                        bool direct = g_str_equal(disk->driver_cache, "none") || g_str_equal(disk->driver_cache, "directsync");
                        bool no_flush = g_str_equal(disk->driver_cache, "unsafe");
                        json_builder_set_member_name(storage, "cache");
                        json_builder_begin_object(storage);
                        json_builder_set_member_name(storage, "direct");
                        json_builder_add_boolean_value(storage, direct);
                        json_builder_set_member_name(storage, "no-flush");
                        json_builder_add_boolean_value(storage, no_flush);
                        json_builder_end_object(storage);
                }
                json_builder_end_object(storage);
                js = builder_to_string(storage);
                arg(c, "-blockdev");
                arg(c, js);

                json_builder_begin_object(format);
                json_builder_set_member_name(format, "node-name");
                json_builder_add_string_value(format, format_node);
                json_builder_set_member_name(format, "read-only");
                json_builder_add_boolean_value(format, ro);
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
                     ro ? ",write-cache=on" : "");
                break;
        case DOMAIN_DISK_BUS_IDE:
        case DOMAIN_DISK_BUS_SATA: {
                /* hda..hdd → ide bus 0/1, unit 0/1 (i440fx); sdX on q35's ahci */
                unsigned idx = disk->target_dev && strlen(disk->target_dev) >= 3 ? (unsigned) (disk->target_dev[2] - 'a') : 0;
                bool q35 = domain_def_is_q35(def);
                unsigned bus = q35 ? idx : idx / 2, unit = q35 ? 0 : idx % 2;
                arg(c, "-device");
                if (q35)
                        argf(c, "%s,bus=ide.%u%s%s%s,id=sata0-0-%u%s", cdrom ? "ide-cd" : "ide-hd", bus,
                             empty ? "" : ",drive=", empty ? "" : format_node, boot, idx, serial);
                else
                        argf(c, "%s,bus=ide.%u,unit=%u%s%s,id=ide0-%u-%u%s%s", cdrom ? "ide-cd" : "ide-hd", bus, unit,
                             empty ? "" : ",drive=", empty ? "" : format_node, bus, unit, boot, serial);
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
                if (!build_chardev(c, &chr->src, id))
                        return;
                arg(c, "-device");
                argf(c, "isa-serial,chardev=%s,id=serial%u,index=%u", id, i, i);
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
                if (g_strcmp0(chr->target_type, "virtio") != 0)
                        return (void) unsupported(c, "channel target type '%s' is not supported",
                                                  chr->target_type ? chr->target_type : "(none)");
                if (!have_vserial)
                        return (void) unsupported(c, "virtio channel needs a virtio-serial controller");
                if (!build_chardev(c, &chr->src, id))
                        return;
                arg(c, "-device");
                argf(c, "virtserialport,bus=virtio-serial0.0,nr=%u,chardev=%s,id=channel%u%s%s", i + 1, id, i,
                     chr->target_name ? ",name=" : "", chr->target_name ? chr->target_name : "");
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
                case DOMAIN_CONTROLLER_TYPE_USB:
                        if (g_strcmp0(ctl->model, "none") == 0)
                                break;
                        arg(c, "-device");
                        if (g_strcmp0(ctl->model, "qemu-xhci") == 0 || g_strcmp0(ctl->model, "nec-xhci") == 0)
                                argf(c, "%s,id=usb%s", ctl->model, addr);
                        else if (!ctl->model || g_str_equal(ctl->model, "piix3-uhci"))
                                argf(c, "piix3-usb-uhci,id=usb%s", addr);
                        else if (g_str_equal(ctl->model, "ich9-ehci1"))
                                argf(c, "ich9-usb-ehci1,id=usb%s", addr);
                        else {
                                g_ptr_array_remove_index(c->argv, c->argv->len - 1);
                                unsupported(c, "USB controller model '%s' is not supported", ctl->model);
                        }
                        break;
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
                if (g->socket)
                        argf(c, "unix:%s%s", g->socket, g->passwd ? ",password=on" : "");
                else if (g->port >= 5900 && g->autoport <= 0)
                        argf(c, "%s%s%s:%d%s", strchr(listen, ':') ? "[" : "", listen, strchr(listen, ':') ? "]" : "",
                             g->port - 5900, g->passwd ? ",password=on" : "");
                else    /* autoport: QEMU takes the first free display from 0 up to 100 */
                        argf(c, "%s%s%s:0,to=100%s", strchr(listen, ':') ? "[" : "", listen,
                             strchr(listen, ':') ? "]" : "", g->passwd ? ",password=on" : "");
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

static void build_misc_devices(Cmd *c) {
        const DomainDef *def = c->def;

        for (guint i = 0; i < def->inputs->len; i++) {
                DomainInputDef *in = g_ptr_array_index(def->inputs, i);
                if (g_strcmp0(in->bus, "usb") == 0) {
                        const char *dev = g_str_equal(in->type, "tablet") ? "usb-tablet" :
                                          g_str_equal(in->type, "mouse") ? "usb-mouse" : "usb-kbd";
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
        for (guint i = 0; i < def->sounds->len; i++) {
                DomainSoundDef *s = g_ptr_array_index(def->sounds, i);
                g_autofree char *addr = device_addr(def, &s->info);
                if (g_strcmp0(s->model, "ich6") == 0 || g_strcmp0(s->model, "ich9") == 0) {
                        arg(c, "-device");
                        argf(c, "%s,id=sound%u%s", g_str_equal(s->model, "ich6") ? "intel-hda" : "ich9-intel-hda", i, addr);
                        arg(c, "-device");
                        argf(c, "hda-duplex,id=sound%u-codec0,bus=sound%u.0,cad=0", i, i);
                } else if (g_strcmp0(s->model, "ac97") == 0) {
                        arg(c, "-device");
                        argf(c, "AC97,id=sound%u%s", i, addr);
                } else
                        return (void) unsupported(c, "sound model '%s' is not supported", s->model ? s->model : "(none)");
        }
        for (guint i = 0; i < def->rngs->len; i++) {
                DomainRNGDef *r = g_ptr_array_index(def->rngs, i);
                g_autofree char *addr = device_addr(def, &r->info);
                if (g_strcmp0(r->backend_model, "random") != 0)
                        return (void) unsupported(c, "rng backend '%s' is not supported",
                                                  r->backend_model ? r->backend_model : "(none)");
                arg(c, "-object");
                argf(c, "{\"qom-type\":\"rng-random\",\"id\":\"objrng%u\",\"filename\":\"%s\"}", i,
                     r->backend_path ? r->backend_path : "/dev/urandom");
                arg(c, "-device");
                argf(c, "virtio-rng-pci,rng=objrng%u,id=rng%u%s", i, i, addr);
        }
        if (def->memballoon && g_strcmp0(def->memballoon->model, "virtio") == 0) {
                g_autofree char *addr = device_addr(def, &def->memballoon->info);
                arg(c, "-device");
                argf(c, "virtio-balloon-pci,id=balloon0%s", addr);
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
        unsigned long long mem = def->current_memory_kib ? def->current_memory_kib : def->memory_kib;
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
        arg(&c, "-m");
        argf(&c, "size=%lluk", mem);
        arg(&c, "-smp");
        if (def->vcpu_current && def->vcpu_current < def->vcpus)
                argf(&c, "%u,maxcpus=%u", def->vcpu_current, def->vcpus);
        else
                argf(&c, "%u", def->vcpus ? def->vcpus : 1);
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
        if (g_strcmp0(def->clock_offset, "localtime") == 0) {
                arg(&c, "-rtc");
                arg(&c, "base=localtime");
        } else {
                arg(&c, "-rtc");
                arg(&c, "base=utc");
        }
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
