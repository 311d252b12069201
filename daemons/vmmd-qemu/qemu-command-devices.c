/* The command line's devices: controllers, graphics, video, sound and the other devices
 * (split from qemu-command.c, which builds the machine, CPU, memory, disks and NICs). */
#include "qemu-command-priv.h"

/* One USB bus per index: controller "usb" (index 0) gives bus usb.0, where USB devices go;
 * "usbN" gives usbN.0. Companions (ich9-uhciN with <master>) hang their ports on their
 * EHCI master's bus. */
static void build_usb_controller(Cmd *c, const DomainControllerDef *ctl, const char *addr) {
        static const char *const uhci[] = { "ich9-uhci1", "ich9-uhci2", "ich9-uhci3", "ich9-uhci4", "ich9-uhci5",
                                            "ich9-uhci6", NULL };
        const char *model = ctl->model ? ctl->model : "piix3-uhci";
        g_autofree char *id = ctl->index == 0 ? g_strdup("usb") : g_strdup_printf("usb%d", ctl->index);
        g_autofree char *ports = NULL;

        /* xhci: ports= in the XML is the number of USB2 and of USB3 ports */
        if (ctl->ports)
                ports = g_strdup_printf(",p2=%s,p3=%s", ctl->ports, ctl->ports);
        if (ctl->ports && !g_str_equal(model, "qemu-xhci") && !g_str_equal(model, "nec-xhci"))
                return (void) unsupported(c, "USB controller model '%s' does not take a ports count", model);
        if (g_strv_contains(uhci, model)) {
                g_autofree char *dev = g_strdup_printf("ich9-usb-uhci%c", model[strlen(model) - 1]);
                arg(c, "-device");
                if (ctl->master_startport)
                        argf(c, "%s,masterbus=%s.0,firstport=%s%s", dev, id, ctl->master_startport, addr);
                else
                        argf(c, "%s,id=%s%s", dev, id, addr);
                return;
        }
        if (ctl->master_startport)
                return (void) unsupported(c, "USB controller model '%s' cannot be a companion (<master>)", model);
        arg(c, "-device");
        if (g_str_equal(model, "qemu-xhci") || g_str_equal(model, "nec-xhci"))
                argf(c, "%s,id=%s%s%s", g_str_equal(model, "nec-xhci") ? "nec-usb-xhci" : "qemu-xhci", id,
                     ports ? ports : "", addr);
        else if (g_str_equal(model, "piix3-uhci"))
                argf(c, "piix3-usb-uhci,id=%s%s", id, addr);
        else if (g_str_equal(model, "piix4-uhci"))
                argf(c, "piix4-usb-uhci,id=%s%s", id, addr);
        else if (g_str_equal(model, "ich9-ehci1"))
                argf(c, "ich9-usb-ehci1,id=%s%s", id, addr);
        else if (g_str_equal(model, "usb-ehci"))
                argf(c, "usb-ehci,id=%s%s", id, addr);
        else {
                g_ptr_array_remove_index(c->argv, c->argv->len - 1);
                unsupported(c, "USB controller model '%s' is not supported", model);
        }
}

/* A <target> number of a root port: decimal or 0x hex, one byte as QEMU takes it */
static bool root_port_number(const char *s, unsigned fallback, guint64 *out) {
        char *end = NULL;

        if (!s) {
                *out = fallback;
                return true;
        }
        errno = 0;
        *out = g_ascii_strtoull(s, &end, 0);
        return errno == 0 && end != s && *end == '\0' && *out <= 255;
}

/* A PCIe port, root port or switch downstream port, with the chassis and port the XML names
 * (post-parse fills in libvirt's numbering: a root port's number is its slot and function,
 * a downstream port's its slot; a definition built by hand without them gets the same) */
static void build_pcie_port(Cmd *c, const DomainControllerDef *ctl, const char *addr) {
        bool root = g_str_equal(ctl->model, "pcie-root-port");
        const char *dev = ctl->model_name ? ctl->model_name : root ? "pcie-root-port" : "xio3130-downstream";
        const DomainDeviceAddress *a = &ctl->info.addr;
        unsigned own = a->type != DOMAIN_ADDRESS_PCI ? 0 : root ? a->slot << 3 | a->function : a->slot;
        guint64 chassis, port;

        if (root ? !g_str_equal(dev, "pcie-root-port") && !g_str_equal(dev, "ioh3420")
                 : !g_str_equal(dev, "xio3130-downstream"))
                return (void) unsupported(c, "%s <model name='%s'/> is not supported", ctl->model, dev);
        if (!root_port_number(ctl->target_chassis, (unsigned) ctl->index, &chassis))
                return (void) unsupported(c, "%s index %d: <target chassis='%s'/> is not 0 to 255", ctl->model,
                                          ctl->index, ctl->target_chassis);
        if (!root_port_number(ctl->target_port, own, &port))
                return (void) unsupported(c, "%s index %d: <target port='%s'/> is not 0 to 255", ctl->model,
                                          ctl->index, ctl->target_port);
        arg(c, "-device");
        argf(c, "%s,port=0x%x,chassis=%u,id=pci.%d%s", dev, (unsigned) port, (unsigned) chassis, ctl->index, addr);
}

/* PCI controllers that are one QEMU device with no numbers of their own, by the name
 * libvirt gives it in <model name=…/> */
static const char *plain_pci_controller(const char *model) {
        static const char *const devs[][2] = {
                { "pcie-to-pci-bridge", "pcie-pci-bridge" },
                { "pcie-switch-upstream-port", "x3130-upstream" },
                { "dmi-to-pci-bridge", "i82801b11-bridge" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(devs); i++)
                if (g_str_equal(model, devs[i][0]))
                        return devs[i][1];
        return NULL;
}

/* The QEMU device of a SCSI controller model; a model-less one is virtio-scsi, as vmmd
 * places it (a PCIe endpoint); 'auto' is what libvirt makes of it on x86, LSI */
static const char *scsi_controller_device(const char *model) {
        static const char *const devs[][2] = {
                { "virtio-scsi", "virtio-scsi-pci" },
                { "virtio-transitional", "virtio-scsi-pci-transitional" },
                { "virtio-non-transitional", "virtio-scsi-pci-non-transitional" },
                { "lsilogic", "lsi" },
                { "auto", "lsi" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(devs); i++)
                if (g_strcmp0(model ? model : "virtio-scsi", devs[i][0]) == 0)
                        return devs[i][1];
        return NULL;
}

static int compare_controllers(gconstpointer a, gconstpointer b) {
        const DomainControllerDef *x = *(DomainControllerDef *const *) a, *y = *(DomainControllerDef *const *) b;
        bool px = x->type == DOMAIN_CONTROLLER_TYPE_PCI, py = y->type == DOMAIN_CONTROLLER_TYPE_PCI;

        if (px != py)
                return px ? -1 : 1;
        return px ? x->index - y->index : 0;
}

void build_controllers(Cmd *c) {
        const DomainDef *def = c->def;
        g_autoptr(GPtrArray) order = g_ptr_array_new();

        /* buses before what sits on them: PCI controllers first, by index (a bridge's parent
         * has a lower index), the others in the definition's order (the sort is stable) */
        for (guint i = 0; i < domain_list_len(def->controllers); i++)
                g_ptr_array_add(order, domain_list_at(def->controllers, i));
        g_ptr_array_sort(order, compare_controllers);
        for (guint i = 0; i < order->len; i++) {
                DomainControllerDef *ctl = g_ptr_array_index(order, i);
                g_autofree char *addr = device_addr(def, &ctl->info);
                guint64 nr;

                switch (ctl->type) {
                case DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL:
                        arg(c, "-device");
                        argf(c, "virtio-serial-pci,id=virtio-serial%d%s", ctl->index, addr);
                        break;
                case DOMAIN_CONTROLLER_TYPE_USB:
                        if (g_strcmp0(ctl->model, "none") == 0)
                                break;
                        build_usb_controller(c, ctl, addr);
                        break;
                case DOMAIN_CONTROLLER_TYPE_PCI:
                        if (!ctl->model || g_str_equal(ctl->model, "pci-root") || g_str_equal(ctl->model, "pcie-root"))
                                break;
                        if (g_str_equal(ctl->model, "pcie-root-port") ||
                            g_str_equal(ctl->model, "pcie-switch-downstream-port")) {
                                build_pcie_port(c, ctl, addr);
                                break;
                        }
                        if (plain_pci_controller(ctl->model) && ctl->model_name &&
                            !g_str_equal(ctl->model_name, plain_pci_controller(ctl->model))) {
                                unsupported(c, "%s <model name='%s'/> is not supported", ctl->model, ctl->model_name);
                                break;
                        }
                        arg(c, "-device");
                        if (g_str_equal(ctl->model, "pci-bridge") &&
                            (!root_port_number(ctl->target_chassis_nr, (unsigned) ctl->index, &nr) || nr == 0))
                                unsupported(c, "pci-bridge index %d: <target chassisNr='%s'/> is not 1 to 255",
                                            ctl->index, ctl->target_chassis_nr);
                        else if (g_str_equal(ctl->model, "pci-bridge"))
                                argf(c, "pci-bridge,chassis_nr=%u,id=pci.%d%s", (unsigned) nr, ctl->index, addr);
                        else if (plain_pci_controller(ctl->model))
                                argf(c, "%s,id=pci.%d%s", plain_pci_controller(ctl->model), ctl->index, addr);
                        else {
                                g_ptr_array_remove_index(c->argv, c->argv->len - 1);
                                unsupported(c, "PCI controller model '%s' is not supported", ctl->model);
                        }
                        break;
                case DOMAIN_CONTROLLER_TYPE_SCSI:
                        if (!scsi_controller_device(ctl->model)) {
                                unsupported(c, "SCSI controller model '%s' is not supported", ctl->model);
                                break;
                        }
                        arg(c, "-device");
                        argf(c, "%s,id=scsi%d%s", scsi_controller_device(ctl->model), ctl->index, addr);
                        break;
                default:
                        /* ide, sata (q35 ahci), fdc: built into the machine */
                        break;
                }
        }
}

/* The address a VNC or SPICE server listens on: the first <listen type='address'>, else
 * loopback as libvirt's default (the daemon writes what it picked into the live XML). */
static const char *graphics_listen(const DomainGraphicsDef *g) {
        for (guint j = 0; g->listens && j < g->listens->len; j++) {
                DomainGraphicsListen *l = g_ptr_array_index(g->listens, j);
                if (l->address)
                        return l->address;
        }
        return "127.0.0.1";
}

static bool graphics_check_listens(Cmd *c, const DomainGraphicsDef *g) {
        for (guint j = 0; g->listens && j < g->listens->len; j++) {
                DomainGraphicsListen *l = g_ptr_array_index(g->listens, j);
                if (g_strcmp0(l->type, "network") == 0)
                        return unsupported(c, "graphics <listen type='network'> needs vmmd-network; use type='address'");
                if (g_strcmp0(l->type, "socket") == 0 && g->type == DOMAIN_GRAPHICS_TYPE_SPICE)
                        return unsupported(c, "spice <listen type='socket'> is not supported yet; use type='address'");
                if (g_strcmp0(l->type, "none") == 0 && g->type == DOMAIN_GRAPHICS_TYPE_VNC)
                        return unsupported(c, "vnc <listen type='none'> is not supported yet");
        }
        return true;
}

static void build_vnc(Cmd *c, const DomainGraphicsDef *g) {
        const char *listen = graphics_listen(g);
        bool v6 = strchr(listen, ':') != NULL;

        arg(c, "-vnc");
        if (g->socket) {
                g_autofree char *sock = opt_escape(g->socket);
                argf(c, "unix:%s%s", sock, g->passwd ? ",password=on" : "");
        } else if (g->port >= 5900) {
                argf(c, "%s%s%s:%d%s", v6 ? "[" : "", listen, v6 ? "]" : "", g->port - 5900,
                     g->passwd ? ",password=on" : "");
        } else {  /* autoport not picked by the daemon: QEMU takes the first free display up to 100 */
                argf(c, "%s%s%s:0,to=100%s", v6 ? "[" : "", listen, v6 ? "]" : "", g->passwd ? ",password=on" : "");
        }
}

static const DomainGraphicsOption *spice_option(const DomainGraphicsDef *g, const char *element, const char *attr) {
        for (guint i = 0; i < g->options->len; i++) {
                const DomainGraphicsOption *o = g_ptr_array_index(g->options, i);
                if (!o->name && g_str_equal(o->element, element) && g_str_equal(o->attr, attr))
                        return o;
        }
        return NULL;
}

/* "-spice port=N,addr=A,…": the port is the one in the definition (the daemon picks an
 * automatic one before this runs); a password is set over QMP once QEMU is up. */
static void build_spice(Cmd *c, const DomainGraphicsDef *g) {
        g_autoptr(GString) o = g_string_new(NULL);
        const DomainGraphicsOption *opt;
        const char *listen = graphics_listen(g);

        if (g->port < 0 && !g->socket)
                return (void) unsupported(c, "spice graphics has no port; give port='N' or autoport='yes'");
        if (g->socket)
                return (void) unsupported(c, "spice graphics on a unix socket is not supported yet");
        if (g->tls_port > 0 || g_strcmp0(g->default_mode, "secure") == 0)
                return (void) unsupported(c, "spice TLS (tlsPort, secure channels) needs certificates that vmmd "
                                          "does not configure; remove tlsPort and secure modes");
        if ((opt = spice_option(g, "gl", "enable")) && g_str_equal(opt->value, "yes"))
                return (void) unsupported(c, "spice <gl enable='yes'> needs a render node and EGL, which vmmd "
                                          "does not set up");
        g_string_append_printf(o, "port=%d,addr=%s", g->port, listen);
        if (!g->passwd)
                g_string_append(o, ",disable-ticketing=on");
        for (guint i = 0; i < g->options->len; i++) {
                const DomainGraphicsOption *ch = g_ptr_array_index(g->options, i);
                if (!ch->name)
                        continue;
                if (g_str_equal(ch->value, "secure"))
                        return (void) unsupported(c, "spice channel '%s' in secure mode needs TLS certificates "
                                                  "that vmmd does not configure", ch->name);
                if (g_str_equal(ch->value, "insecure"))
                        g_string_append_printf(o, ",plaintext-channel=%s", ch->name);
        }
        if ((opt = spice_option(g, "image", "compression")))
                g_string_append_printf(o, ",image-compression=%s", opt->value);
        if ((opt = spice_option(g, "jpeg", "compression")))
                g_string_append_printf(o, ",jpeg-wan-compression=%s", opt->value);
        if ((opt = spice_option(g, "zlib", "compression")))
                g_string_append_printf(o, ",zlib-glz-wan-compression=%s", opt->value);
        if ((opt = spice_option(g, "playback", "compression")))
                g_string_append_printf(o, ",playback-compression=%s", opt->value);
        if ((opt = spice_option(g, "streaming", "mode")))
                g_string_append_printf(o, ",streaming-video=%s", opt->value);
        if ((opt = spice_option(g, "mouse", "mode")))
                g_string_append_printf(o, ",agent-mouse=%s", g_str_equal(opt->value, "client") ? "on" : "off");
        if ((opt = spice_option(g, "clipboard", "copypaste")) && g_str_equal(opt->value, "no"))
                g_string_append(o, ",disable-copy-paste=on");
        if ((opt = spice_option(g, "filetransfer", "enable")) && g_str_equal(opt->value, "no"))
                g_string_append(o, ",disable-agent-file-xfer=on");
        g_string_append(o, ",seamless-migration=on");
        arg(c, "-spice");
        arg(c, o->str);
}

bool have_spice(const DomainDef *def) {
        for (guint i = 0; i < domain_list_len(def->graphics); i++)
                if (((DomainGraphicsDef *) domain_list_at(def->graphics, i))->type == DOMAIN_GRAPHICS_TYPE_SPICE)
                        return true;
        return false;
}

void build_graphics(Cmd *c) {
        const DomainDef *def = c->def;
        unsigned nvnc = 0, nspice = 0;

        if (domain_list_len(def->graphics) == 0) {
                arg(c, "-display");
                arg(c, "none");
                return;
        }
        for (guint i = 0; i < domain_list_len(def->graphics); i++) {
                DomainGraphicsDef *g = domain_list_at(def->graphics, i);

                if (g->type != DOMAIN_GRAPHICS_TYPE_VNC && g->type != DOMAIN_GRAPHICS_TYPE_SPICE)
                        return (void) unsupported(c, "graphics type '%s' is not supported yet",
                                                  domain_graphics_type_to_string(g->type));
                if ((g->type == DOMAIN_GRAPHICS_TYPE_VNC ? ++nvnc : ++nspice) > 1)
                        return (void) unsupported(c, "only one %s graphics device is supported",
                                                  domain_graphics_type_to_string(g->type));
                if (!graphics_check_listens(c, g))
                        return;
                if (g->type == DOMAIN_GRAPHICS_TYPE_VNC)
                        build_vnc(c, g);
                else
                        build_spice(c, g);
                if (c->failed)
                        return;
        }
}

/* QXL's memory bars from the XML's KiB: ram and vram in bytes, vgamem in MiB */
static char *qxl_sizes(const DomainVideoDef *v) {
        GString *o = g_string_new(NULL);

        if (v->ram)
                g_string_append_printf(o, ",ram_size=%" G_GUINT64_FORMAT, g_ascii_strtoull(v->ram, NULL, 10) * 1024);
        if (v->vram)
                g_string_append_printf(o, ",vram_size=%" G_GUINT64_FORMAT, g_ascii_strtoull(v->vram, NULL, 10) * 1024);
        if (v->vgamem)
                g_string_append_printf(o, ",vgamem_mb=%" G_GUINT64_FORMAT, g_ascii_strtoull(v->vgamem, NULL, 10) / 1024);
        g_string_append_printf(o, ",max_outputs=%s", v->heads ? v->heads : "1");
        return g_string_free(o, FALSE);
}

void build_videos(Cmd *c) {
        const DomainDef *def = c->def;

        for (guint i = 0; i < domain_list_len(def->videos); i++) {
                DomainVideoDef *v = domain_list_at(def->videos, i);
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
                if (g_str_equal(model, "qxl")) {
                        g_autofree char *sizes = qxl_sizes(v);
                        argf(c, "%s,id=video%u%s", dev, i, sizes);
                } else if (g_str_equal(model, "virtio") && v->heads && !g_str_equal(v->heads, "1"))
                        argf(c, "%s,id=video%u,max_outputs=%s", dev, i, v->heads);
                else
                        argf(c, "%s,id=video%u", dev, i);
                if (!g_str_equal(model, "ramfb")) {
                        char *last = g_ptr_array_index(c->argv, c->argv->len - 1);
                        c->argv->pdata[c->argv->len - 1] = g_strconcat(last, addr, NULL);
                        g_free(last);
                }
        }
}

static bool have_usb_controller(const DomainDef *def) {
        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                const DomainControllerDef *ctl = domain_list_at(def->controllers, i);
                if (ctl->type == DOMAIN_CONTROLLER_TYPE_USB && g_strcmp0(ctl->model, "none") != 0)
                        return true;
        }
        return false;
}

static const char *audio_driver(Cmd *c);

void build_misc_devices(Cmd *c) {
        const DomainDef *def = c->def;

        for (guint i = 0; i < domain_list_len(def->inputs); i++) {
                DomainInputDef *in = domain_list_at(def->inputs, i);
                /* host input devices handed to the guest: vmmd does not give QEMU host devices */
                if (g_str_equal(in->type, "passthrough") || g_str_equal(in->type, "evdev"))
                        return (void) unsupported(c, "<input type='%s'> (a host input device) is not supported",
                                                  in->type);
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
        if (domain_list_len(def->sounds) > 0) {
                const char *driver = audio_driver(c);
                if (!driver)
                        return;
                arg(c, "-audiodev");
                argf(c, "{\"id\":\"audio1\",\"driver\":\"%s\"}", driver);
        }
        for (guint i = 0; i < domain_list_len(def->sounds); i++) {
                DomainSoundDef *s = domain_list_at(def->sounds, i);
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
        for (guint i = 0; i < domain_list_len(def->rngs); i++) {
                DomainRNGDef *r = domain_list_at(def->rngs, i);
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
        for (guint i = 0; i < domain_list_len(def->watchdogs); i++) {
                DomainWatchdogDef *w = domain_list_at(def->watchdogs, i);
                g_autofree char *addr = device_addr(def, &w->info);
                if (g_strcmp0(w->model, "i6300esb") == 0) {
                        arg(c, "-device");
                        argf(c, "i6300esb,id=watchdog%u%s", i, addr);
                } else if (g_strcmp0(w->model, "ib700") == 0) {
                        arg(c, "-device");
                        argf(c, "ib700,id=watchdog%u", i);
                } else if (g_strcmp0(w->model, "itco") == 0) {
                        /* the TCO timer of q35's ICH9 LPC bridge, there on every q35 machine (libvirt
                         * lists it on each); it acts only once allowed to reboot */
                        if (!domain_def_is_q35(def))
                                return (void) unsupported(c, "watchdog model 'itco' is part of q35's ICH9; this "
                                                             "machine has none: use 'i6300esb'");
                        arg(c, "-global");
                        arg(c, "ICH9-LPC.noreboot=off");
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
        for (guint i = 0; i < domain_list_len(def->panics); i++) {
                DomainPanicDef *p = domain_list_at(def->panics, i);
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
        /* <genid>: the guest reads it through ACPI and learns it was cloned or restored */
        if (def->genid) {
                arg(c, "-device");
                argf(c, "vmgenid,guid=%s,id=vmgenid0", def->genid);
        }
}

/* The <audio> backend the sound devices play into: none, or the SPICE client */
static const char *audio_driver(Cmd *c) {
        const DomainDef *def = c->def;
        const char *driver = "none";

        for (guint i = 0; i < domain_list_len(def->other_devices); i++) {
                xmlNodePtr n = domain_list_at(def->other_devices, i);
                g_autofree char *type = NULL;

                if (!xml_is(n, "audio"))
                        continue;
                type = xml_prop(n, "type");
                if (g_strcmp0(type, "spice") == 0 && have_spice(def))
                        driver = "spice";
                else if (g_strcmp0(type, "none") != 0) {
                        unsupported(c, "<audio type='%s'> is not supported; use 'none' or 'spice'", type ? type : "");
                        return NULL;
                }
        }
        return driver;
}

/* A number attribute of a host device's <source> (hex with 0x, as libvirt writes them) */
static bool hostdev_number(Cmd *c, xmlNodePtr node, const char *attr, guint64 max, bool required, guint64 *ret) {
        g_autofree char *v = xml_prop(node, attr);
        const char *digits = v;
        guint base = 10;

        *ret = 0;
        if (!v)
                return required ? unsupported(c, "<hostdev> source needs '%s'", attr) : true;
        if (g_str_has_prefix(v, "0x") || g_str_has_prefix(v, "0X"))
                digits = v + 2, base = 16;
        if (!g_ascii_string_to_unsigned(digits, base, 0, max, ret, NULL))
                return unsupported(c, "<hostdev> source has an invalid %s '%s'", attr, v);
        return true;
}

/* vfio-pci must own the device before QEMU can: vmmd does not detach it from its host
 * driver (libvirt's managed='yes') */
static bool hostdev_pci_check_host(Cmd *c, const char *host) {
        g_autofree char *dev = NULL, *driver = NULL, *target = NULL;

        if (!c->opts->host_pci_dir)
                return true;
        dev = g_build_filename(c->opts->host_pci_dir, host, NULL);
        if (!g_file_test(dev, G_FILE_TEST_EXISTS))
                return unsupported(c, "<hostdev type='pci'>: there is no PCI device %s on this host", host);
        driver = g_build_filename(dev, "driver", NULL);
        target = g_file_read_link(driver, NULL);
        if (!target || !g_str_has_suffix(target, "/vfio-pci"))
                return unsupported(c, "<hostdev type='pci'>: host device %s is not bound to vfio-pci; vmmd does not "
                                      "detach devices from their host driver (managed='yes') yet: bind it first",
                                   host);
        return true;
}

/* <hostdev mode='subsystem'>: a host PCI device through vfio-pci, a host USB device through
 * usb-host; the guest-side <address> and <boot order> as for any device */
static void build_hostdev(Cmd *c, xmlNodePtr n, unsigned idx) {
        g_autofree char *mode = xml_prop(n, "mode"), *type = xml_prop(n, "type");
        xmlNodePtr source = xml_child(n, "source");
        DomainDeviceInfo info = { 0 };
        g_autoptr(GString) dev = g_string_new(NULL);
        g_autoptr(GError) local = NULL;
        g_autofree char *addr = NULL, *boot = NULL;

        if (mode && !g_str_equal(mode, "subsystem"))
                return (void) unsupported(c, "<hostdev mode='%s'> is not supported; only mode='subsystem'", mode);
        if (!domain_device_address_parse(n, &info, &local))
                return (void) unsupported(c, "<hostdev>: %s", local->message);
        if (g_strcmp0(type, "pci") == 0) {
                xmlNodePtr a = xml_child(source, "address");
                xmlNodePtr rom = xml_child(n, "rom");
                xmlNodePtr driver = xml_child(n, "driver");
                g_autofree char *driver_name = driver ? xml_prop(driver, "name") : NULL;
                g_autofree char *host = NULL;
                guint64 dom, bus, slot, fn;

                if (!a)
                        goto out_unsupported_source;
                if (driver_name && !g_str_equal(driver_name, "vfio"))
                        return (void) unsupported(c, "<hostdev type='pci'> driver '%s' is not supported; use 'vfio'",
                                                  driver_name);
                if (!hostdev_number(c, a, "domain", 0xffff, false, &dom) ||
                    !hostdev_number(c, a, "bus", 0xff, true, &bus) || !hostdev_number(c, a, "slot", 0x1f, true, &slot) ||
                    !hostdev_number(c, a, "function", 7, true, &fn))
                        goto out;
                host = g_strdup_printf("%04x:%02x:%02x.%x", (unsigned) dom, (unsigned) bus, (unsigned) slot,
                                       (unsigned) fn);
                if (!hostdev_pci_check_host(c, host))
                        goto out;
                if (info.addr.type != DOMAIN_ADDRESS_NONE && info.addr.type != DOMAIN_ADDRESS_PCI) {
                        unsupported(c, "<hostdev type='pci'> needs a PCI address in the guest");
                        goto out;
                }
                addr = device_addr(c->def, &info);
                g_string_printf(dev, "vfio-pci,host=%s,id=hostdev%u%s", host, idx, addr);
                if (rom) {
                        g_autofree char *bar = xml_prop(rom, "bar"), *file = xml_prop(rom, "file");
                        if (g_strcmp0(bar, "off") == 0)
                                g_string_append(dev, ",rombar=0");
                        if (file) {
                                g_autofree char *esc = opt_escape(file);
                                g_string_append_printf(dev, ",romfile=%s", esc);
                        }
                }
        } else if (g_strcmp0(type, "usb") == 0) {
                xmlNodePtr vendor = xml_child(source, "vendor"), product = xml_child(source, "product");
                xmlNodePtr a = xml_child(source, "address");
                guint64 v, p;

                if (!have_usb_controller(c->def)) {
                        unsupported(c, "<hostdev type='usb'> needs a USB controller");
                        goto out;
                }
                if (info.addr.type != DOMAIN_ADDRESS_NONE && info.addr.type != DOMAIN_ADDRESS_USB) {
                        unsupported(c, "<hostdev type='usb'> needs a USB address in the guest");
                        goto out;
                }
                g_string_printf(dev, "usb-host");
                if (vendor && product) {
                        if (!hostdev_number(c, vendor, "id", 0xffff, true, &v) ||
                            !hostdev_number(c, product, "id", 0xffff, true, &p))
                                goto out;
                        g_string_append_printf(dev, ",vendorid=0x%04x,productid=0x%04x", (unsigned) v, (unsigned) p);
                }
                if (a) {
                        if (!hostdev_number(c, a, "bus", 0xff, true, &v) || !hostdev_number(c, a, "device", 0xff, true, &p))
                                goto out;
                        g_string_append_printf(dev, ",hostbus=%u,hostaddr=%u", (unsigned) v, (unsigned) p);
                }
                if (!(vendor && product) && !a)
                        goto out_unsupported_source;
                g_string_append_printf(dev, ",id=hostdev%u,bus=usb.0", idx);
                if (info.addr.type == DOMAIN_ADDRESS_USB && info.addr.usb_port)
                        g_string_append_printf(dev, ",port=%s", info.addr.usb_port);
        } else {
                unsupported(c, "<hostdev type='%s'> devices are not supported yet", type ? type : "");
                goto out;
        }
        boot = bootindex(&info);
        g_string_append(dev, boot);
        arg(c, "-device");
        arg(c, dev->str);
        goto out;
out_unsupported_source:
        unsupported(c, "<hostdev type='%s'> needs a <source> that names the host device", type);
out:
        domain_device_info_clear(&info);
}

/* Device elements without a parser (kept as written): a USB hub and host devices run, the rest is named */
void build_other_devices(Cmd *c) {
        const DomainDef *def = c->def;
        unsigned nhub = 0, nhostdev = 0;

        for (guint i = 0; i < domain_list_len(def->other_devices); i++) {
                xmlNodePtr n = domain_list_at(def->other_devices, i);
                g_autofree char *type = xml_prop(n, "type");

                if (xml_is(n, "audio"))
                        continue;       /* build_misc_devices used it */
                if (xml_is(n, "hub") && g_strcmp0(type, "usb") == 0 && !xml_child(n, "address")) {
                        if (!have_usb_controller(def))
                                return (void) unsupported(c, "<hub type='usb'> needs a USB controller");
                        arg(c, "-device");
                        argf(c, "usb-hub,id=hub%u,bus=usb.0", nhub++);
                        continue;
                }
                if (xml_is(n, "hostdev")) {
                        build_hostdev(c, n, nhostdev++);
                        if (c->failed)
                                return;
                        continue;
                }
                return (void) unsupported(c, "<%s%s%s%s> devices are not supported yet", (const char *) n->name,
                                          type ? " type='" : "", type ? type : "", type ? "'" : "");
        }
}

/* USB redirection: a spicevmc (or socket) chardev carrying usbredir, on the USB bus */
void build_redirdevs(Cmd *c) {
        const DomainDef *def = c->def;

        for (guint i = 0; i < domain_list_len(def->redirdevs); i++) {
                DomainRedirdevDef *r = domain_list_at(def->redirdevs, i);
                g_autofree char *id = g_strdup_printf("charredir%u", i);

                if (!have_usb_controller(def))
                        return (void) unsupported(c, "<redirdev> needs a USB controller; add "
                                                  "<controller type='usb' model='qemu-xhci'/>");
                if (r->src.type != DOMAIN_CHR_TYPE_SPICEVMC && r->src.type != DOMAIN_CHR_TYPE_TCP)
                        return (void) unsupported(c, "<redirdev> of type '%s' is not supported; use 'spicevmc' or 'tcp'",
                                                  domain_chr_type_to_string(r->src.type));
                if (r->info.addr.type == DOMAIN_ADDRESS_USB)
                        return (void) unsupported(c, "<redirdev> with a USB address is not supported yet");
                if (!build_chardev_spice(c, &r->src, id, "usbredir"))
                        return;
                arg(c, "-device");
                argf(c, "usb-redir,chardev=%s,id=redir%u,bus=usb.0", id, i);
        }
}
