/* Device addresses: parse/format, duplicate PCI checks, implicit devices and PCI slot assignment. */
#include "domain-conf-priv.h"
#include "error.h"

#include <stddef.h>
#include <string.h>

VMMD_ENUM_IMPL(domain_address_type, "none", "pci", "drive", "virtio-serial", "usb", "isa")

#define PCI_MAX_SLOT 0x1f

bool domain_device_address_parse(xmlNodePtr dev, DomainDeviceInfo *info, GError **error) {
        xmlNodePtr node = xml_child(dev, "address");
        xmlNodePtr boot = xml_child(dev, "boot");
        DomainDeviceAddress *a = &info->addr;
        g_autofree char *type = NULL;
        int t, r = 0;

        if (boot && xml_prop_uint(boot, "order", G_MAXINT, &info->boot_order) <= 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid or missing boot order in <%s>",
                            (const char *) dev->name);
                return false;
        }
        if (!node)
                return true;
        type = xml_prop(node, "type");
        t = domain_address_type_from_string(type);
        if (t <= DOMAIN_ADDRESS_NONE) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown address type '%s' in <%s>",
                            type ? type : "", (const char *) dev->name);
                return false;
        }
        a->type = t;
        switch (a->type) {
        case DOMAIN_ADDRESS_PCI:
                /* <address type='pci'/> alone asks for an automatic address, as in libvirt */
                if (!xmlHasProp(node, (const xmlChar *) "domain") && !xmlHasProp(node, (const xmlChar *) "bus") &&
                    !xmlHasProp(node, (const xmlChar *) "slot") && !xmlHasProp(node, (const xmlChar *) "function")) {
                        a->type = DOMAIN_ADDRESS_NONE;
                        break;
                }
                if (xml_prop_uint(node, "domain", 0xffff, &a->domain) < 0 ||
                    xml_prop_uint(node, "bus", 0xff, &a->bus) < 0 ||
                    xml_prop_uint(node, "slot", PCI_MAX_SLOT, &a->slot) < 0 ||
                    xml_prop_uint(node, "function", 7, &a->function) < 0)
                        r = -1;
                a->multifunction = xml_prop_tristate(node, "multifunction", "on", "off");
                if (a->multifunction < 0)
                        r = -1;
                info->user_pci_address = true;
                break;
        case DOMAIN_ADDRESS_DRIVE:
                if (xml_prop_uint(node, "controller", G_MAXUINT, &a->controller) < 0 ||
                    xml_prop_uint(node, "bus", G_MAXUINT, &a->bus) < 0 ||
                    xml_prop_uint(node, "target", G_MAXUINT, &a->target) < 0 ||
                    xml_prop_uint(node, "unit", G_MAXUINT, &a->unit) < 0)
                        r = -1;
                break;
        case DOMAIN_ADDRESS_VIRTIO_SERIAL:
                if (xml_prop_uint(node, "controller", G_MAXUINT, &a->controller) < 0 ||
                    xml_prop_uint(node, "bus", G_MAXUINT, &a->bus) < 0 ||
                    xml_prop_uint(node, "port", G_MAXUINT, &a->port) < 0)
                        r = -1;
                break;
        case DOMAIN_ADDRESS_USB:
                if (xml_prop_uint(node, "bus", G_MAXUINT, &a->bus) < 0)
                        r = -1;
                a->usb_port = xml_prop(node, "port");
                break;
        case DOMAIN_ADDRESS_ISA:
                a->iobase = xml_prop(node, "iobase");
                a->irq = xml_prop(node, "irq");
                break;
        default:
                break;
        }
        if (r < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid %s address in <%s>",
                            type, (const char *) dev->name);
                return false;
        }
        return true;
}

void domain_device_info_format(XmlBuf *buf, const DomainDeviceInfo *info) {
        const DomainDeviceAddress *a = &info->addr;
        g_autoptr(GString) attrs = g_string_new(NULL);

        if (info->boot_order) {
                xml_attr_uint(attrs, "order", info->boot_order);
                xml_element(buf, "boot", attrs, NULL);
                g_string_truncate(attrs, 0);
        }
        if (a->type == DOMAIN_ADDRESS_NONE)
                return;
        xml_attr(attrs, "type", domain_address_type_to_string(a->type));
        switch (a->type) {
        case DOMAIN_ADDRESS_PCI:
                xml_attr_printf(attrs, "domain", "0x%04x", a->domain);
                xml_attr_printf(attrs, "bus", "0x%02x", a->bus);
                xml_attr_printf(attrs, "slot", "0x%02x", a->slot);
                xml_attr_printf(attrs, "function", "0x%x", a->function);
                xml_attr_onoff(attrs, "multifunction", a->multifunction);
                break;
        case DOMAIN_ADDRESS_DRIVE:
                xml_attr_uint(attrs, "controller", a->controller);
                xml_attr_uint(attrs, "bus", a->bus);
                xml_attr_uint(attrs, "target", a->target);
                xml_attr_uint(attrs, "unit", a->unit);
                break;
        case DOMAIN_ADDRESS_VIRTIO_SERIAL:
                xml_attr_uint(attrs, "controller", a->controller);
                xml_attr_uint(attrs, "bus", a->bus);
                xml_attr_uint(attrs, "port", a->port);
                break;
        case DOMAIN_ADDRESS_USB:
                xml_attr_uint(attrs, "bus", a->bus);
                xml_attr(attrs, "port", a->usb_port);
                break;
        case DOMAIN_ADDRESS_ISA:
                xml_attr(attrs, "iobase", a->iobase);
                xml_attr(attrs, "irq", a->irq);
                break;
        default:
                break;
        }
        xml_element(buf, "address", attrs, NULL);
}

void domain_device_info_clear(DomainDeviceInfo *info) {
        g_clear_pointer(&info->addr.usb_port, g_free);
        g_clear_pointer(&info->addr.iobase, g_free);
        g_clear_pointer(&info->addr.irq, g_free);
}

/* --- which devices sit on PCI --- */

typedef bool (*WantsPci)(const DomainDef *def, const void *dev);

static bool disk_wants_pci(const DomainDef *def, const void *dev) {
        return ((const DomainDiskDef *) dev)->bus == DOMAIN_DISK_BUS_VIRTIO;
}

static bool is_root_model(const char *model) {
        return g_strcmp0(model, "pci-root") == 0 || g_strcmp0(model, "pcie-root") == 0;
}

static bool controller_wants_pci(const DomainDef *def, const void *dev) {
        const DomainControllerDef *c = dev;

        switch (c->type) {
        case DOMAIN_CONTROLLER_TYPE_PCI:
                return !is_root_model(c->model);
        case DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL:
        case DOMAIN_CONTROLLER_TYPE_SCSI:
        case DOMAIN_CONTROLLER_TYPE_SATA:
                return true;
        case DOMAIN_CONTROLLER_TYPE_USB:
                return g_strcmp0(c->model, "none") != 0;
        default:
                return false;
        }
}

static bool always_pci(const DomainDef *def, const void *dev) {
        return true;
}

static bool video_wants_pci(const DomainDef *def, const void *dev) {
        const char *m = ((const DomainVideoDef *) dev)->model;
        return g_strcmp0(m, "none") != 0 && g_strcmp0(m, "ramfb") != 0;
}

static bool sound_wants_pci(const DomainDef *def, const void *dev) {
        static const char *const not_pci[] = { "pcspk", "sb16", "usb", NULL };
        return !g_strv_contains(not_pci, ((const DomainSoundDef *) dev)->model);
}

static bool rng_wants_pci(const DomainDef *def, const void *dev) {
        return g_str_has_prefix(((const DomainRNGDef *) dev)->model, "virtio");
}

static bool watchdog_wants_pci(const DomainDef *def, const void *dev) {
        return g_strcmp0(((const DomainWatchdogDef *) dev)->model, "i6300esb") == 0;
}

static bool input_wants_pci(const DomainDef *def, const void *dev) {
        return g_strcmp0(((const DomainInputDef *) dev)->bus, "virtio") == 0;
}

static bool memballoon_wants_pci(const DomainDef *def, const void *dev) {
        return g_strcmp0(((const DomainMemballoonDef *) dev)->model, "none") != 0;
}

static bool never_pci(const DomainDef *def, const void *dev) {
        return false;
}

/* Every device list with the offset of its DomainDeviceInfo and whether its devices want a
 * PCI slot (the order slots are given in is assign_pci's, libvirt's) */
typedef struct {
        const DomainList *devs;
        size_t info_offset;
        WantsPci wants_pci;
} DeviceFamily;

static size_t device_families(const DomainDef *def, DeviceFamily out[16]) {
        size_t n = 0;

#define FAMILY(arr, type, pred) \
        out[n++] = (DeviceFamily) { &def->arr, offsetof(type, info), pred }
        FAMILY(controllers, DomainControllerDef, controller_wants_pci);
        FAMILY(nets, DomainNetDef, always_pci);
        FAMILY(sounds, DomainSoundDef, sound_wants_pci);
        FAMILY(rngs, DomainRNGDef, rng_wants_pci);
        FAMILY(watchdogs, DomainWatchdogDef, watchdog_wants_pci);
        FAMILY(videos, DomainVideoDef, video_wants_pci);
        FAMILY(disks, DomainDiskDef, disk_wants_pci);
        FAMILY(inputs, DomainInputDef, input_wants_pci);
        FAMILY(serials, DomainChrDef, never_pci);
        FAMILY(parallels, DomainChrDef, never_pci);
        FAMILY(consoles, DomainChrDef, never_pci);
        FAMILY(channels, DomainChrDef, never_pci);
        FAMILY(panics, DomainPanicDef, never_pci);
        FAMILY(redirdevs, DomainRedirdevDef, never_pci);
#undef FAMILY
        return n;
}

static DomainDeviceInfo *device_info(const DeviceFamily *f, guint i) {
        return (DomainDeviceInfo *) ((char *) domain_list_at(*f->devs, i) + f->info_offset);
}

static void pci_address_string(const DomainDeviceAddress *a, char out[16]) {
        g_snprintf(out, 16, "%04x:%02x:%02x.%x", a->domain, a->bus, a->slot, a->function);
}

/* Every device's info, memballoon included. */
static GPtrArray *device_infos(const DomainDef *def) {
        GPtrArray *infos = g_ptr_array_new();
        DeviceFamily fam[16];
        size_t nfam = device_families(def, fam);

        for (size_t f = 0; f < nfam; f++)
                for (guint i = 0; i < domain_list_len(*fam[f].devs); i++)
                        g_ptr_array_add(infos, device_info(&fam[f], i));
        if (def->memballoon)
                g_ptr_array_add(infos, &def->memballoon->info);
        return infos;
}

/* All PCI addresses in use, keyed "dddd:bb:ss.f"; NULL (and error) if one is used twice. */
static GHashTable *pci_addresses_collect(const DomainDef *def, GError **error) {
        g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GPtrArray) infos = device_infos(def);

        for (guint i = 0; i < infos->len; i++) {
                DomainDeviceInfo *info = g_ptr_array_index(infos, i);
                char key[16];

                if (info->addr.type != DOMAIN_ADDRESS_PCI)
                        continue;
                pci_address_string(&info->addr, key);
                if (g_hash_table_contains(used, key)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "PCI address %s is used by more than one device", key);
                        return NULL;
                }
                g_hash_table_add(used, g_strdup(key));
        }
        return g_steal_pointer(&used);
}

bool domain_def_check_pci_addresses(const DomainDef *def, GError **error) {
        g_autoptr(GHashTable) used = pci_addresses_collect(def, error);

        return used != NULL;
}

bool domain_def_is_q35(const DomainDef *def) {
        const char *m = def->os_machine;

        /* aarch64/riscv 'virt' machines are PCIe too */
        return m && (strstr(m, "q35") || g_str_has_prefix(m, "virt"));
}

/* --- implicit devices --- */

static DomainControllerDef *find_controller(const DomainDef *def, DomainControllerType type, int index) {
        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                DomainControllerDef *c = domain_list_at(def->controllers, i);
                if (c->type == type && (index < 0 || c->index == index))
                        return c;
        }
        return NULL;
}

static void add_controller(DomainDef *def, DomainControllerType type, int index, const char *model) {
        DomainControllerDef *c = g_new0(DomainControllerDef, 1);

        c->type = type;
        c->index = index;
        c->model = vmmd_shared_str(model);
        domain_list_add(&def->controllers, c);
}

/* The x86 PC machines (i440fx "pc*", q35) get libvirt's default USB controller; other
 * machines and architectures have no default here. A missing machine is i440fx. */
static bool machine_has_default_usb(const DomainDef *def, bool q35) {
        const char *arch = def->os_arch, *m = def->os_machine;

        if (arch && !g_str_equal(arch, "x86_64") && !g_str_equal(arch, "i686"))
                return false;
        return q35 || !m || g_str_has_prefix(m, "pc");
}

/* A definition without any <controller type='usb'> gets the controller libvirt adds: i440fx's
 * PIIX3 UHCI, function 2 of the PIIX3 slot 1; q35's qemu-xhci with 15 ports (a root port of
 * its own, like any PCIe endpoint). <controller type='usb' model='none'/> keeps it out. */
static void add_default_usb(DomainDef *def, bool q35) {
        DomainControllerDef *c;

        if (!machine_has_default_usb(def, q35) || find_controller(def, DOMAIN_CONTROLLER_TYPE_USB, -1))
                return;
        add_controller(def, DOMAIN_CONTROLLER_TYPE_USB, 0, q35 ? "qemu-xhci" : "piix3-uhci");
        c = domain_list_at(def->controllers, domain_list_len(def->controllers) - 1);
        if (q35) {
                c->ports = g_strdup("15");
                return;
        }
}

static bool root_function_used(const DomainDef *def, unsigned slot, unsigned function) {
        g_autoptr(GPtrArray) infos = device_infos(def);

        for (guint i = 0; i < infos->len; i++) {
                const DomainDeviceAddress *a = &((DomainDeviceInfo *) g_ptr_array_index(infos, i))->addr;
                if (a->type == DOMAIN_ADDRESS_PCI && a->domain == 0 && a->bus == 0 && a->slot == slot &&
                    a->function == function)
                        return true;
        }
        return false;
}

/* A model-less USB controller on an x86 PC machine is PIIX3's UHCI, as libvirt reads it. On
 * i440fx the PIIX3 functions of slot 1 are listed where the chip has them, as libvirt does:
 * IDE controller 0 at 00:01.1, UHCI index 0 at 00:01.2; a definition that put something
 * else there keeps it (the UHCI then gets a free slot). */
static void pc_piix3_functions(DomainDef *def, bool q35) {
        if (!machine_has_default_usb(def, q35))
                return;
        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                DomainControllerDef *c = domain_list_at(def->controllers, i);
                unsigned fn;

                if (c->type == DOMAIN_CONTROLLER_TYPE_USB && !c->model && !c->master_startport)
                        c->model = vmmd_shared_str("piix3-uhci");
                if (q35 || c->index != 0 || c->info.addr.type != DOMAIN_ADDRESS_NONE)
                        continue;
                if (c->type == DOMAIN_CONTROLLER_TYPE_IDE)
                        fn = 1;
                else if (c->type == DOMAIN_CONTROLLER_TYPE_USB && g_strcmp0(c->model, "piix3-uhci") == 0)
                        fn = 2;
                else
                        continue;
                if (!root_function_used(def, 1, fn))
                        c->info.addr = (DomainDeviceAddress) { .type = DOMAIN_ADDRESS_PCI, .slot = 1, .function = fn };
        }
}

/* With USB switched off (model='none'), a USB device has no bus: an XML error naming it, as
 * libvirt refuses it, rather than a command line QEMU rejects. */
static bool check_usb_disabled(const DomainDef *def, GError **error) {
        const char *what = NULL;
        bool any = false, none = false;

        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                const DomainControllerDef *c = domain_list_at(def->controllers, i);
                if (c->type == DOMAIN_CONTROLLER_TYPE_USB) {
                        any = true;
                        none |= g_strcmp0(c->model, "none") == 0;
                }
        }
        if (!any || !none)
                return true;
        for (guint i = 0; i < domain_list_len(def->inputs) && !what; i++) {
                const DomainInputDef *in = domain_list_at(def->inputs, i);
                if (g_strcmp0(in->bus, "usb") == 0)
                        what = in->type;
        }
        if (!what && domain_list_len(def->redirdevs) > 0)
                what = "redirdev";
        for (guint i = 0; i < domain_list_len(def->disks) && !what; i++)
                if (((const DomainDiskDef *) domain_list_at(def->disks, i))->bus == DOMAIN_DISK_BUS_USB)
                        what = "disk";
        for (guint i = 0; i < domain_list_len(def->sounds) && !what; i++)
                if (g_strcmp0(((const DomainSoundDef *) domain_list_at(def->sounds, i))->model, "usb") == 0)
                        what = "sound";
        for (guint i = 0; i < domain_list_len(def->other_devices) && !what; i++) {
                xmlNodePtr n = domain_list_at(def->other_devices, i);
                g_autofree char *type = xml_prop(n, "type");

                if ((xml_is(n, "hostdev") || xml_is(n, "hub")) && g_strcmp0(type, "usb") == 0)
                        what = xml_is(n, "hub") ? "hub" : "hostdev";
        }
        if (!what)
                return true;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                    "USB device '%s' needs a USB bus, but <controller type='usb' model='none'/> disables USB", what);
        return false;
}

static void add_implicit_devices(DomainDef *def) {
        bool q35 = domain_def_is_q35(def);
        DomainControllerDef *root = find_controller(def, DOMAIN_CONTROLLER_TYPE_PCI, 0);
        bool has_virtio_channel = false;

        if (!root)
                add_controller(def, DOMAIN_CONTROLLER_TYPE_PCI, 0, q35 ? "pcie-root" : "pci-root");
        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                DomainControllerDef *c = domain_list_at(def->controllers, i);

                if (c->type != DOMAIN_CONTROLLER_TYPE_PCI || c->model)
                        continue;
                if (c->index == 0)
                        c->model = vmmd_shared_str(q35 ? "pcie-root" : "pci-root");
                else
                        c->model = vmmd_shared_str(q35 ? "pcie-root-port" : "pci-bridge");
        }

        /* PCI controller indexes have no gaps, and a bus a device names exists: libvirt adds a
         * bridge (root port on q35) for every index below the highest one given and for
         * every bus an address refers to */
        {
                g_autoptr(GPtrArray) infos = device_infos(def);
                int max = 0;

                for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                        DomainControllerDef *c = domain_list_at(def->controllers, i);
                        if (c->type == DOMAIN_CONTROLLER_TYPE_PCI && c->index - 1 > max)
                                max = c->index - 1;
                }
                for (guint i = 0; i < infos->len; i++) {
                        const DomainDeviceAddress *a = &((DomainDeviceInfo *) g_ptr_array_index(infos, i))->addr;
                        if (a->type == DOMAIN_ADDRESS_PCI && (int) a->bus > max)
                                max = (int) a->bus;
                }
                for (int idx = 1; idx <= max; idx++)
                        if (!find_controller(def, DOMAIN_CONTROLLER_TYPE_PCI, idx))
                                add_controller(def, DOMAIN_CONTROLLER_TYPE_PCI, idx, q35 ? "pcie-root-port" : "pci-bridge");
        }

        add_default_usb(def, q35);
        pc_piix3_functions(def, q35);

        /* a SCSI disk needs the controller its drive address names (0 without one), as libvirt
         * adds it */
        for (guint i = 0; i < domain_list_len(def->disks); i++) {
                const DomainDiskDef *d = domain_list_at(def->disks, i);
                int idx = d->info.addr.type == DOMAIN_ADDRESS_DRIVE ? (int) d->info.addr.controller : 0;

                if (d->bus == DOMAIN_DISK_BUS_SCSI && idx >= 0 && !find_controller(def, DOMAIN_CONTROLLER_TYPE_SCSI, idx))
                        add_controller(def, DOMAIN_CONTROLLER_TYPE_SCSI, idx, NULL);
        }

        /* virtio channels need a virtio-serial bus to sit on */
        for (guint i = 0; i < domain_list_len(def->channels); i++) {
                DomainChrDef *ch = domain_list_at(def->channels, i);
                if (g_strcmp0(ch->target_type, "virtio") == 0)
                        has_virtio_channel = true;
        }
        if (has_virtio_channel && !find_controller(def, DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL, -1))
                add_controller(def, DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL, 0, NULL);

        /* q35's ICH9 AHCI is part of the machine: libvirt lists it as SATA controller 0 */
        if (q35 && !find_controller(def, DOMAIN_CONTROLLER_TYPE_SATA, 0))
                add_controller(def, DOMAIN_CONTROLLER_TYPE_SATA, 0, NULL);

        if (!def->memballoon) {
                def->memballoon = g_new0(DomainMemballoonDef, 1);
                def->memballoon->model = vmmd_shared_str("virtio");
        }
}

/* --- address assignment --- */

/* One PCI bus devices can be put on: the root (index 0) or one a controller provides. */
typedef struct {
        unsigned index;                 /* the bus number: the controller's index */
        const char *model;
        unsigned first, last;           /* the slots endpoints may take */
        bool used[PCI_MAX_SLOT + 1];
        bool reserved[PCI_MAX_SLOT + 1];
} PciBus;

/* Which controllers give a bus, and its slot range (libvirt's rules: a PCI bridge keeps slot
 * 0 for itself, a PCIe port has one slot; the DMI bridge and a switch's upstream port use
 * all 32, the upstream port for downstream ports only). */
static bool bus_slots(const char *model, unsigned *first, unsigned *last) {
        static const char *const bridges[] = { "pci-bridge", "pcie-to-pci-bridge", NULL };
        static const char *const ports[] = { "pcie-root-port", "pcie-switch-downstream-port", NULL };

        if (g_strv_contains(bridges, model ? model : "")) {
                *first = 1, *last = PCI_MAX_SLOT;
                return true;
        }
        if (g_strcmp0(model, "pci-expander-bus") == 0 || g_strcmp0(model, "dmi-to-pci-bridge") == 0 ||
            g_strcmp0(model, "pcie-switch-upstream-port") == 0) {
                *first = 0, *last = PCI_MAX_SLOT;
                return true;
        }
        if (g_strv_contains(ports, model ? model : "")) {
                *first = *last = 0;
                return true;
        }
        return false;
}

/* Buses libvirt never picks for an endpoint by itself: a switch's upstream port takes only
 * downstream ports, and the DMI bridge's slots cannot hotplug (endpoints go there only at
 * addresses the definition gives). */
static bool bus_takes_endpoints(const PciBus *b) {
        return g_strcmp0(b->model, "pcie-switch-upstream-port") != 0 && g_strcmp0(b->model, "dmi-to-pci-bridge") != 0;
}

static unsigned bus_free_slots(const PciBus *b) {
        unsigned n = 0;

        if (!bus_takes_endpoints(b))
                return 0;

        for (unsigned s = b->first; s <= b->last; s++)
                if (!b->used[s] && !b->reserved[s])
                        n++;
        return n;
}

typedef struct {
        GPtrArray *buses;               /* PciBus*, bus 0 first, then by controller order */
        bool q35;
} PciSpace;

static PciBus *space_bus(PciSpace *sp, unsigned index) {
        for (guint i = 0; i < sp->buses->len; i++) {
                PciBus *b = g_ptr_array_index(sp->buses, i);
                if (b->index == index)
                        return b;
        }
        return NULL;
}

/* A slot for a device: the preferred slot of bus 0 if free, else the first free slot of
 * bus 0, else of the other buses in order. A PCI controller goes on bus 0, except a
 * pci-bridge, which may sit on a bus of lower index. */
static bool pci_take_slot(PciSpace *sp, unsigned preferred, const DomainControllerDef *ctl, DomainDeviceInfo *info,
                          GError **error) {
        for (guint i = 0; i < sp->buses->len; i++) {
                PciBus *b = g_ptr_array_index(sp->buses, i);
                unsigned slot = G_MAXUINT;

                if (ctl && b->index != 0 &&
                    (g_strcmp0(ctl->model, "pci-bridge") != 0 || (int) b->index >= ctl->index ||
                     g_strcmp0(b->model, "pci-bridge") != 0))
                        continue;
                if (!ctl && !bus_takes_endpoints(b))
                        continue;
                if (b->index == 0 && preferred && !b->used[preferred])
                        slot = preferred;
                for (unsigned s = b->first; slot == G_MAXUINT && s <= b->last; s++)
                        if (!b->used[s] && !b->reserved[s])
                                slot = s;
                if (slot == G_MAXUINT)
                        continue;
                b->used[slot] = true;
                info->addr = (DomainDeviceAddress) {
                        .type = DOMAIN_ADDRESS_PCI,
                        .bus = b->index,
                        .slot = slot,
                };
                return true;
        }
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                    "no free PCI slot left for a device: %s, or give the devices explicit addresses on "
                    "buses that have room",
                    sp->q35 ? "add <controller type='pci' model='pcie-root-port'/> controllers"
                            : "add a <controller type='pci' model='pci-bridge'/>");
        return false;
}

static void space_free(PciSpace *sp) {
        g_ptr_array_unref(sp->buses);
}

static PciBus *space_add_bus(PciSpace *sp, const DomainControllerDef *c) {
        PciBus *b = g_new0(PciBus, 1);

        b->index = (unsigned) c->index;
        b->model = c->model;
        if (!bus_slots(c->model, &b->first, &b->last)) {
                g_free(b);
                return NULL;
        }
        g_ptr_array_add(sp->buses, b);
        return b;
}

static int compare_bus_index(gconstpointer a, gconstpointer b) {
        const PciBus *x = *(PciBus *const *) a, *y = *(PciBus *const *) b;

        return (int) x->index - (int) y->index;
}

/* Bus 0 with its reserved slots, every bus a controller provides, and the slots the
 * definition already uses on them. */
static void space_init(PciSpace *sp, const DomainDef *def) {
        g_autoptr(GPtrArray) infos = device_infos(def);
        PciBus *root = g_new0(PciBus, 1);

        sp->q35 = domain_def_is_q35(def);
        sp->buses = g_ptr_array_new_with_free_func(g_free);
        root->first = 0;
        root->last = PCI_MAX_SLOT;
        /* slot 0 is the host bridge; i440fx keeps slot 1 for PIIX3 (ISA, IDE, USB, ACPI),
         * q35 keeps 0x1f for ICH9 (LPC, SATA, SMBus); the primary video takes slot 1 of
         * q35 before anything else (see assign_pci), else root ports may */
        root->reserved[0] = root->used[0] = true;
        if (sp->q35)
                root->reserved[0x1f] = true;
        else
                root->reserved[1] = true;
        g_ptr_array_add(sp->buses, root);
        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                const DomainControllerDef *c = domain_list_at(def->controllers, i);
                if (c->type == DOMAIN_CONTROLLER_TYPE_PCI && c->index > 0)
                        (void) space_add_bus(sp, c);
        }
        /* libvirt looks for a free slot bus by bus in index order */
        g_ptr_array_sort(sp->buses, compare_bus_index);
        for (guint i = 0; i < infos->len; i++) {
                const DomainDeviceAddress *a = &((DomainDeviceInfo *) g_ptr_array_index(infos, i))->addr;
                PciBus *b;

                if (a->type == DOMAIN_ADDRESS_PCI && a->domain == 0 && (b = space_bus(sp, a->bus)))
                        b->used[a->slot] = true;
        }
        /* device elements kept as written (<hostdev> …) keep the PCI slot they name */
        for (guint i = 0; i < domain_list_len(def->other_devices); i++) {
                DomainDeviceInfo info = { 0 };
                PciBus *b;

                if (domain_device_address_parse(domain_list_at(def->other_devices, i), &info, NULL) &&
                    info.addr.type == DOMAIN_ADDRESS_PCI && info.addr.domain == 0 && (b = space_bus(sp, info.addr.bus)))
                        b->used[info.addr.slot] = true;
                domain_device_info_clear(&info);
        }
}

/* USB2 companions (ich9-uhciN with <master>) go on their EHCI master's slot as libvirt places
 * them: the master at function 7, uhci1..3 at functions 0..2, function 0 multifunction. */
static unsigned companion_function(const DomainControllerDef *c) {
        const char *m = c->model ? c->model : "";
        size_t n = strlen(m);

        if (n > 0 && g_str_has_prefix(m, "ich9-uhci") && m[n - 1] >= '1' && m[n - 1] <= '6')
                return (unsigned) (m[n - 1] - '1') % 3;
        return 0;
}

static void place_usb_companions(DomainDef *def, const DomainControllerDef *master) {
        g_autoptr(GPtrArray) infos = device_infos(def);
        bool used[8] = { false };

        /* functions of the master's slot that something already has */
        for (guint i = 0; i < infos->len; i++) {
                const DomainDeviceAddress *a = &((DomainDeviceInfo *) g_ptr_array_index(infos, i))->addr;
                if (a->type == DOMAIN_ADDRESS_PCI && a->domain == master->info.addr.domain &&
                    a->bus == master->info.addr.bus && a->slot == master->info.addr.slot)
                        used[a->function] = true;
        }
        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                DomainControllerDef *c = domain_list_at(def->controllers, i);
                unsigned fn;

                if (c->type != DOMAIN_CONTROLLER_TYPE_USB || !c->master_startport || c->index != master->index ||
                    c->info.addr.type != DOMAIN_ADDRESS_NONE)
                        continue;
                /* the function its model implies, else the first free one; none left: it gets
                 * a slot of its own like any device */
                fn = companion_function(c);
                for (unsigned f = 0; used[fn] && f < 7; f++)
                        fn = f;
                if (used[fn])
                        continue;
                used[fn] = true;
                c->info.addr = (DomainDeviceAddress) {
                        .type = DOMAIN_ADDRESS_PCI,
                        .domain = master->info.addr.domain,
                        .bus = master->info.addr.bus,
                        .slot = master->info.addr.slot,
                        .function = fn,
                        .multifunction = fn == 0 ? 1 : 0,
                };
        }
}

static bool is_usb_master_with_companions(const DomainDef *def, const DomainControllerDef *c) {
        if (c->type != DOMAIN_CONTROLLER_TYPE_USB || c->master_startport)
                return false;
        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                const DomainControllerDef *o = domain_list_at(def->controllers, i);
                if (o->type == DOMAIN_CONTROLLER_TYPE_USB && o->master_startport && o->index == c->index)
                        return true;
        }
        return false;
}

/* How many slots automatic assignment will take (a USB2 master and its companions share one). */
static unsigned count_wanted(const DomainDef *def) {
        DeviceFamily fam[16];
        size_t nfam = device_families(def, fam);
        unsigned n = 0;

        for (size_t f = 0; f < nfam; f++)
                for (guint i = 0; i < domain_list_len(*fam[f].devs); i++) {
                        gpointer dev = domain_list_at(*fam[f].devs, i);
                        if (device_info(&fam[f], i)->addr.type != DOMAIN_ADDRESS_NONE)
                                continue;
                        if (fam[f].devs == &def->controllers && ((DomainControllerDef *) dev)->master_startport)
                                continue;
                        if (fam[f].wants_pci(def, dev) ||
                            (fam[f].devs == &def->controllers && is_usb_master_with_companions(def, dev)))
                                n++;
                }
        if (def->memballoon && def->memballoon->info.addr.type == DOMAIN_ADDRESS_NONE &&
            memballoon_wants_pci(def, def->memballoon))
                n++;
        return n;
}

static int next_pci_index(const DomainDef *def) {
        int idx = 1;

        while (find_controller(def, DOMAIN_CONTROLLER_TYPE_PCI, idx))
                idx++;
        return idx;
}

/* When the buses the definition has cannot hold every device, add what libvirt adds:
 * pci-bridges (31 slots each) on i440fx; on q35, pcie-root-ports (one slot each), packed
 * eight to a slot of pcie.0 as functions of one multifunction device. */
static void add_pci_buses(DomainDef *def, PciSpace *sp) {
        unsigned want = count_wanted(def), have = 0;

        for (guint i = 0; i < sp->buses->len; i++)
                have += bus_free_slots(g_ptr_array_index(sp->buses, i));
        if (want <= have)
                return;
        if (!sp->q35) {
                while (want > have) {
                        int idx = next_pci_index(def);
                        DomainControllerDef *c;

                        add_controller(def, DOMAIN_CONTROLLER_TYPE_PCI, idx, "pci-bridge");
                        c = domain_list_at(def->controllers, domain_list_len(def->controllers) - 1);
                        (void) space_add_bus(sp, c);
                        want++;                 /* the bridge takes a slot itself */
                        have += PCI_MAX_SLOT;
                }
                return;
        }
        while (want > have) {
                PciBus *root = g_ptr_array_index(sp->buses, 0);
                unsigned slot = G_MAXUINT;

                for (unsigned s = root->first; s <= root->last && slot == G_MAXUINT; s++)
                        if (!root->used[s] && !root->reserved[s])
                                slot = s;
                if (slot == G_MAXUINT)
                        return;                 /* pci_take_slot says what to do */
                root->used[slot] = true;
                have--;
                for (unsigned fn = 0; fn < 8 && want > have; fn++) {
                        int idx = next_pci_index(def);
                        DomainControllerDef *c;

                        add_controller(def, DOMAIN_CONTROLLER_TYPE_PCI, idx, "pcie-root-port");
                        c = domain_list_at(def->controllers, domain_list_len(def->controllers) - 1);
                        c->info.addr = (DomainDeviceAddress) { .type = DOMAIN_ADDRESS_PCI, .slot = slot, .function = fn };
                        (void) space_add_bus(sp, c);
                        have++;
                }
        }
}

static bool model_is(const char *model, const char *what) {
        return g_strcmp0(model, what) == 0;
}

/* The PCIe port bus (root port or switch downstream port) of lowest index whose one slot is
 * free, or NULL */
static PciBus *free_pcie_port(PciSpace *sp) {
        for (guint i = 1; i < sp->buses->len; i++) {
                PciBus *b = g_ptr_array_index(sp->buses, i);

                if ((model_is(b->model, "pcie-root-port") || model_is(b->model, "pcie-switch-downstream-port")) &&
                    !b->used[0])
                        return b;
        }
        return NULL;
}

/* The first free slot of the first bus of one of these models with an index below 'below' */
static bool free_slot_on(PciSpace *sp, const char *const *models, int below, PciBus **bus, unsigned *slot) {
        for (guint i = 1; i < sp->buses->len; i++) {
                PciBus *b = g_ptr_array_index(sp->buses, i);

                if (!g_strv_contains(models, b->model ? b->model : "") || (int) b->index >= below)
                        continue;
                for (unsigned s = b->first; s <= b->last; s++)
                        if (!b->used[s] && !b->reserved[s]) {
                                *bus = b, *slot = s;
                                return true;
                        }
        }
        return false;
}

static int compare_controller_index(gconstpointer a, gconstpointer b) {
        const DomainControllerDef *x = *(DomainControllerDef *const *) a, *y = *(DomainControllerDef *const *) b;

        return x->index - y->index;
}

/* q35, as libvirt lays it out, PCI controllers first and in index order: root ports eight
 * to a slot of pcie.0 (functions of one slot), the DMI-to-PCI bridge at 00:1e.0 where real
 * boards have it, a switch's upstream port and a pcie-to-pci-bridge in a free PCIe port, a
 * switch's downstream ports on an upstream port's bus, a pci-bridge on a PCI bus. What has
 * no place here is left to the general assignment. */
static bool q35_place_pci_controllers(DomainDef *def, PciSpace *sp, GError **error) {
        static const char *const upstream[] = { "pcie-switch-upstream-port", NULL };
        static const char *const pci_buses[] = { "dmi-to-pci-bridge", "pci-bridge", "pcie-to-pci-bridge", NULL };
        PciBus *root = g_ptr_array_index(sp->buses, 0);
        g_autoptr(GPtrArray) order = g_ptr_array_new();
        unsigned port_slot = 0, port_fn = 8;

        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                DomainControllerDef *c = domain_list_at(def->controllers, i);
                if (c->type == DOMAIN_CONTROLLER_TYPE_PCI && c->index > 0 && c->info.addr.type == DOMAIN_ADDRESS_NONE)
                        g_ptr_array_add(order, c);
        }
        g_ptr_array_sort(order, compare_controller_index);
        for (guint i = 0; i < order->len; i++) {
                DomainControllerDef *c = g_ptr_array_index(order, i);
                PciBus *bus = NULL;
                unsigned slot = 0, fn = 0;

                if (model_is(c->model, "pcie-root-port")) {
                        if (port_fn == 8) {
                                port_slot = 0;
                                for (unsigned s = 1; s <= PCI_MAX_SLOT && !port_slot; s++)
                                        if (!root->used[s] && !root->reserved[s])
                                                port_slot = s;
                                if (!port_slot)
                                        return pci_take_slot(sp, 0, c, &c->info, error);
                                root->used[port_slot] = true;
                                port_fn = 0;
                        }
                        bus = root, slot = port_slot, fn = port_fn++;
                } else if (model_is(c->model, "dmi-to-pci-bridge")) {
                        if (!root->used[0x1e])
                                bus = root, slot = 0x1e;
                        for (unsigned s = 1; s <= PCI_MAX_SLOT && !bus; s++)
                                if (!root->used[s] && !root->reserved[s])
                                        bus = root, slot = s;
                } else if (model_is(c->model, "pcie-switch-upstream-port") || model_is(c->model, "pcie-to-pci-bridge")) {
                        bus = free_pcie_port(sp);
                } else if (model_is(c->model, "pcie-switch-downstream-port")) {
                        (void) free_slot_on(sp, upstream, G_MAXINT, &bus, &slot);
                } else if (model_is(c->model, "pci-bridge")) {
                        (void) free_slot_on(sp, pci_buses, c->index, &bus, &slot);
                }
                if (!bus)
                        continue;
                bus->used[slot] = true;
                c->info.addr = (DomainDeviceAddress) {
                        .type = DOMAIN_ADDRESS_PCI, .bus = bus->index, .slot = slot, .function = fn,
                };
        }
        return true;
}

/* virtio-transitional is the plain PCI flavour of a virtio device, for old guests */
static bool is_transitional(const char *model) {
        return g_strcmp0(model, "virtio-transitional") == 0;
}

/* The balloon when it still needs an address: as a PCIe endpoint (pcie) or plain PCI */
static bool balloon_wants(const DomainDef *def, bool pcie) {
        const DomainMemballoonDef *m = def->memballoon;

        return m && m->info.addr.type == DOMAIN_ADDRESS_NONE && memballoon_wants_pci(def, m) &&
               is_transitional(m->model) != pcie;
}

/* PCIe endpoints, which libvirt puts behind a root port on q35 rather than on pcie.0; a
 * switch's upstream port and a pcie-to-pci-bridge need a port as well */
static bool is_pcie_endpoint(const DomainDef *def, const DomainList *devs, gconstpointer dev) {
        if (devs == &def->nets) {
                const char *m = ((const DomainNetDef *) dev)->model;
                return !m || (g_str_has_prefix(m, "virtio") && !is_transitional(m)) || g_str_equal(m, "e1000e");
        }
        if (devs == &def->controllers) {
                const DomainControllerDef *c = dev;
                if (c->type == DOMAIN_CONTROLLER_TYPE_PCI)
                        return g_strcmp0(c->model, "pcie-to-pci-bridge") == 0 ||
                               g_strcmp0(c->model, "pcie-switch-upstream-port") == 0;
                if (is_transitional(c->model))
                        return false;
                return (c->type == DOMAIN_CONTROLLER_TYPE_USB &&
                        (g_strcmp0(c->model, "qemu-xhci") == 0 || g_strcmp0(c->model, "nec-xhci") == 0)) ||
                       c->type == DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL ||
                       (c->type == DOMAIN_CONTROLLER_TYPE_SCSI && (!c->model || g_str_has_prefix(c->model, "virtio")));
        }
        if (devs == &def->disks)
                return ((const DomainDiskDef *) dev)->bus == DOMAIN_DISK_BUS_VIRTIO;
        if (devs == &def->rngs)
                return rng_wants_pci(def, dev) && !is_transitional(((const DomainRNGDef *) dev)->model);
        if (devs == &def->inputs)
                return input_wants_pci(def, dev);
        return false;
}

/* Takes the first free PCIe port (root or switch downstream) for info; false when there is
 * none (pcie.0 then). */
static bool take_root_port(PciSpace *sp, DomainDeviceInfo *info) {
        PciBus *b = free_pcie_port(sp);

        if (!b)
                return false;
        b->used[0] = true;
        info->addr = (DomainDeviceAddress) { .type = DOMAIN_ADDRESS_PCI, .bus = b->index };
        return true;
}

/* Plain PCI endpoints, which libvirt puts on a pcie-to-pci-bridge on q35 (pcie.0 takes
 * them only at addresses the definition gives). A USB controller without a model, a
 * USB2 set and the video stay where they were. */
static bool is_conventional_endpoint(const DomainDef *def, const DomainList *devs, gconstpointer dev) {
        if (devs == &def->nets)
                return !is_pcie_endpoint(def, devs, dev);
        if (devs == &def->sounds)
                return sound_wants_pci(def, dev) && g_strcmp0(((const DomainSoundDef *) dev)->model, "ich9") != 0;
        if (devs == &def->watchdogs)
                return watchdog_wants_pci(def, dev);
        if (devs == &def->rngs)
                return rng_wants_pci(def, dev) && !is_pcie_endpoint(def, devs, dev);
        if (devs == &def->controllers) {
                const DomainControllerDef *c = dev;
                if (c->type == DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL || c->type == DOMAIN_CONTROLLER_TYPE_SCSI)
                        return !is_pcie_endpoint(def, devs, dev);
                return c->type == DOMAIN_CONTROLLER_TYPE_USB && c->model && controller_wants_pci(def, c) &&
                       !is_pcie_endpoint(def, devs, dev) && !c->master_startport;
        }
        return false;
}

static bool is_bridge_bus(const PciBus *b) {
        return g_strcmp0(b->model, "pcie-to-pci-bridge") == 0 || g_strcmp0(b->model, "pci-bridge") == 0;
}

/* The ICH9 functions at the slots real Q35 boards have them, as libvirt puts them: SATA
 * controller 0 at 0x1f.2, the first ich9 sound card at 0x1b, the USB2 set of controller
 * index 0 at 0x1d and of index 1 at 0x1a (EHCI master at function 7) */
static bool q35_place_fixed(DomainDef *def, PciSpace *sp, GHashTable *used, GError **error) {
        PciBus *root = g_ptr_array_index(sp->buses, 0);

        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                DomainControllerDef *c = domain_list_at(def->controllers, i);
                unsigned slot = 0, fn = 0;

                if (c->info.addr.type != DOMAIN_ADDRESS_NONE)
                        continue;
                if (c->type == DOMAIN_CONTROLLER_TYPE_SATA && c->index == 0)
                        slot = 0x1f, fn = 2;
                else if (is_usb_master_with_companions(def, c) && g_strcmp0(c->model, "ich9-ehci1") == 0 &&
                         (c->index == 0 || c->index == 1))
                        slot = c->index == 0 ? 0x1d : 0x1a, fn = 7;
                if (!slot || (slot != 0x1f && root->used[slot]))
                        continue;
                /* like libvirt, refuse rather than move SATA 0 away from where the board has it */
                if (slot == 0x1f && g_hash_table_contains(used, "0000:00:1f.2")) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "PCI address 0000:00:1f.2 is used by more than one device: "
                                    "q35 keeps it for SATA controller 0");
                        return false;
                }
                root->used[slot] = true;
                c->info.addr = (DomainDeviceAddress) { .type = DOMAIN_ADDRESS_PCI, .slot = slot, .function = fn };
        }
        for (guint i = 0; i < domain_list_len(def->sounds); i++) {
                DomainSoundDef *snd = domain_list_at(def->sounds, i);

                if (g_strcmp0(snd->model, "ich9") != 0)
                        continue;
                if (snd->info.addr.type == DOMAIN_ADDRESS_NONE && !root->used[0x1b]) {
                        root->used[0x1b] = true;
                        snd->info.addr = (DomainDeviceAddress) { .type = DOMAIN_ADDRESS_PCI, .slot = 0x1b };
                }
                break;
        }
        return true;
}

static void q35_add_bus(DomainDef *def, PciSpace *sp, const char *model) {
        add_controller(def, DOMAIN_CONTROLLER_TYPE_PCI, next_pci_index(def), model);
        (void) space_add_bus(sp, domain_list_at(def->controllers, domain_list_len(def->controllers) - 1));
}

/* The devices still without an address in the order libvirt assigns them (PCI controllers,
 * network, sound, other controllers, disks, balloon, rng, watchdog, input): 'E' for one that
 * needs a PCIe port, 'C' for a plain PCI one */
static GString *q35_needs(const DomainDef *def) {
        const DomainList *order[] = { &def->controllers, &def->nets, &def->sounds, &def->controllers,
                                      &def->disks, NULL, &def->rngs, &def->watchdogs, &def->inputs };
        GString *needs = g_string_new(NULL);
        DeviceFamily fam[16];
        size_t nfam = device_families(def, fam);

        for (size_t k = 0; k < G_N_ELEMENTS(order); k++) {
                if (!order[k]) {
                        if (balloon_wants(def, true) || balloon_wants(def, false))
                                g_string_append_c(needs, balloon_wants(def, true) ? 'E' : 'C');
                        continue;
                }
                for (size_t f = 0; f < nfam; f++) {
                        if (fam[f].devs != order[k])
                                continue;
                        for (guint i = 0; i < domain_list_len(*fam[f].devs); i++) {
                                const DomainControllerDef *c = domain_list_at(*fam[f].devs, i);

                                if (device_info(&fam[f], i)->addr.type != DOMAIN_ADDRESS_NONE)
                                        continue;
                                /* PCI controllers come first, the other ones later */
                                if (order[k] == &def->controllers &&
                                    (c->type == DOMAIN_CONTROLLER_TYPE_PCI) != (k == 0))
                                        continue;
                                if (is_pcie_endpoint(def, fam[f].devs, c))
                                        g_string_append_c(needs, 'E');
                                else if (is_conventional_endpoint(def, fam[f].devs, c))
                                        g_string_append_c(needs, 'C');
                        }
                }
        }
        return needs;
}

/* q35 as libvirt builds it: every PCIe endpoint without an address gets a pcie-root-port
 * of its own, plain PCI endpoints a pcie-to-pci-bridge (in a root port added just before
 * it), each added when the first device that needs it comes; when the definition named no
 * PCI controllers and some were added, one more empty root port is left for hotplug. The
 * ports get their addresses in q35_place_pci_controllers. */
static void q35_add_buses(DomainDef *def, PciSpace *sp, bool managed) {
        g_autoptr(GString) needs = q35_needs(def);
        unsigned free_ports = 0, bridge_room = 0, added = 0;

        for (guint i = 1; i < sp->buses->len; i++) {
                const PciBus *b = g_ptr_array_index(sp->buses, i);
                if ((model_is(b->model, "pcie-root-port") || model_is(b->model, "pcie-switch-downstream-port")) &&
                    !b->used[0])
                        free_ports++;
                else if (is_bridge_bus(b))
                        bridge_room += bus_free_slots(b);
        }
        for (const char *n = needs->str; *n; n++) {
                if (*n == 'E' && free_ports > 0) {
                        free_ports--;
                } else if (*n == 'E') {
                        q35_add_bus(def, sp, "pcie-root-port");
                        added++;
                } else if (bridge_room > 0) {
                        bridge_room--;
                } else {
                        /* QEMU needs a bus before what sits on it: the port gets the lower index */
                        if (free_ports > 0) {
                                free_ports--;
                        } else {
                                q35_add_bus(def, sp, "pcie-root-port");
                                added++;
                        }
                        q35_add_bus(def, sp, "pcie-to-pci-bridge");
                        added++;
                        bridge_room = PCI_MAX_SLOT - 1;
                }
        }
        if (managed && added)
                q35_add_bus(def, sp, "pcie-root-port");
}

/* A slot on a bridge for a plain PCI endpoint on q35; false when no bridge has room */
static bool take_bridge_slot(PciSpace *sp, DomainDeviceInfo *info) {
        for (guint i = 1; i < sp->buses->len; i++) {
                PciBus *b = g_ptr_array_index(sp->buses, i);

                if (!is_bridge_bus(b))
                        continue;
                for (unsigned s = b->first; s <= b->last; s++)
                        if (!b->used[s] && !b->reserved[s]) {
                                b->used[s] = true;
                                info->addr = (DomainDeviceAddress) { .type = DOMAIN_ADDRESS_PCI, .bus = b->index,
                                                                     .slot = s };
                                return true;
                        }
        }
        return false;
}

/* libvirt's order (network, sound, controllers, disks, balloon, rng, watchdog, input) over
 * the root ports (pcie) or the bridge slots (!pcie) the definition has; what does not find
 * one goes on pcie.0 with everything else. A USB2 set takes its slot as one device. */
static void fill_q35_buses(DomainDef *def, PciSpace *sp, bool pcie) {
        const DomainList *order[] = { &def->nets, &def->sounds, &def->controllers, &def->disks, NULL,
                                      &def->rngs, &def->watchdogs, &def->inputs };
        DeviceFamily fam[16];
        size_t nfam = device_families(def, fam);

        for (size_t k = 0; k < G_N_ELEMENTS(order); k++) {
                if (!order[k]) {
                        if (balloon_wants(def, pcie) &&
                            !(pcie ? take_root_port : take_bridge_slot)(sp, &def->memballoon->info))
                                return;
                        continue;
                }
                for (size_t f = 0; f < nfam; f++) {
                        if (fam[f].devs != order[k])
                                continue;
                        for (guint i = 0; i < domain_list_len(*fam[f].devs); i++) {
                                gpointer dev = domain_list_at(*fam[f].devs, i);
                                DomainDeviceInfo *info = device_info(&fam[f], i);

                                if (info->addr.type != DOMAIN_ADDRESS_NONE ||
                                    !(pcie ? is_pcie_endpoint : is_conventional_endpoint)(def, fam[f].devs, dev))
                                        continue;
                                if (!(pcie ? take_root_port : take_bridge_slot)(sp, info))
                                        return;
                                if (fam[f].devs == &def->controllers && is_usb_master_with_companions(def, dev)) {
                                        info->addr.function = 7;
                                        place_usb_companions(def, dev);
                                }
                        }
                }
        }
}

static bool assign_pci(DomainDef *def, GError **error) {
        DeviceFamily fam[16];
        size_t nfam;
        PciSpace sp = { 0 };
        g_autoptr(GHashTable) used = pci_addresses_collect(def, error);
        const DomainList *order[] = { &def->controllers, &def->nets, &def->sounds, &def->controllers,
                                      &def->disks, NULL, &def->rngs, &def->watchdogs, &def->videos, &def->inputs };
        bool ok = false, managed;

        if (!used)
                return false;
        /* libvirt manages the layout when the definition names no PCI controller but the root */
        managed = next_pci_index(def) == 1;
        space_init(&sp, def);
        if (sp.q35) {
                if (!q35_place_fixed(def, &sp, used, error))
                        goto out;
                q35_add_buses(def, &sp, managed);
        }
        add_pci_buses(def, &sp);
        nfam = device_families(def, fam);

        if (domain_list_len(def->videos) > 0) {
                DomainVideoDef *v = domain_list_at(def->videos, 0);
                if (v->info.addr.type == DOMAIN_ADDRESS_NONE && video_wants_pci(def, v) &&
                    !pci_take_slot(&sp, sp.q35 ? 1 : 2, NULL, &v->info, error))
                        goto out;
        }
        if (sp.q35) {
                if (!q35_place_pci_controllers(def, &sp, error))
                        goto out;
                fill_q35_buses(def, &sp, true);
                fill_q35_buses(def, &sp, false);
        }
        /* libvirt's order: PCI controllers, network, sound, the other controllers, disks,
         * balloon, rng, watchdog, video, input (then what else wants a slot) */
        for (size_t k = 0; k < G_N_ELEMENTS(order); k++) {
                if (!order[k]) {
                        if (def->memballoon && def->memballoon->info.addr.type == DOMAIN_ADDRESS_NONE &&
                            memballoon_wants_pci(def, def->memballoon) &&
                            !pci_take_slot(&sp, 0, NULL, &def->memballoon->info, error))
                                goto out;
                        continue;
                }
                for (size_t f = 0; f < nfam; f++) {
                        if (fam[f].devs != order[k])
                                continue;
                        for (guint i = 0; i < domain_list_len(*fam[f].devs); i++) {
                                DomainDeviceInfo *info = device_info(&fam[f], i);
                                gpointer dev = domain_list_at(*fam[f].devs, i);
                                bool is_ctl = fam[f].devs == &def->controllers;
                                const DomainControllerDef *ctl = is_ctl &&
                                        ((DomainControllerDef *) dev)->type == DOMAIN_CONTROLLER_TYPE_PCI ? dev : NULL;

                                /* controllers come twice: PCI ones first, the others after sound */
                                if (is_ctl && (ctl != NULL) != (k == 0))
                                        continue;
                                if (is_ctl && is_usb_master_with_companions(def, dev)) {
                                        DomainControllerDef *c = dev;
                                        if (c->info.addr.type == DOMAIN_ADDRESS_NONE) {
                                                if (!pci_take_slot(&sp, 0, NULL, info, error))
                                                        goto out;
                                                info->addr.function = 7;
                                        }
                                        place_usb_companions(def, c);
                                        continue;
                                }
                                if (info->addr.type != DOMAIN_ADDRESS_NONE || !fam[f].wants_pci(def, dev))
                                        continue;
                                if (!pci_take_slot(&sp, 0, ctl, info, error))
                                        goto out;
                        }
                }
        }
        ok = true;
out:
        space_free(&sp);
        return ok;
}

/* virtio channels get consecutive ports on virtio-serial controller 0 (port 0 is the console's). */
static void assign_virtio_serial(DomainDef *def) {
        g_autoptr(GHashTable) used = g_hash_table_new(g_direct_hash, g_direct_equal);
        unsigned next = 1;

        for (guint i = 0; i < domain_list_len(def->channels); i++) {
                DomainChrDef *ch = domain_list_at(def->channels, i);
                if (ch->info.addr.type == DOMAIN_ADDRESS_VIRTIO_SERIAL && ch->info.addr.controller == 0 &&
                    ch->info.addr.bus == 0)
                        g_hash_table_add(used, GUINT_TO_POINTER(ch->info.addr.port));
        }
        for (guint i = 0; i < domain_list_len(def->channels); i++) {
                DomainChrDef *ch = domain_list_at(def->channels, i);

                if (g_strcmp0(ch->target_type, "virtio") != 0 || ch->info.addr.type != DOMAIN_ADDRESS_NONE)
                        continue;
                while (g_hash_table_contains(used, GUINT_TO_POINTER(next)))
                        next++;
                ch->info.addr.type = DOMAIN_ADDRESS_VIRTIO_SERIAL;
                ch->info.addr.port = next++;
        }
}

/* As libvirt does once every address is known: function 0 of a slot whose other functions
 * are in use says multifunction='on', unless the definition said otherwise. */
static void set_multifunction(DomainDef *def) {
        g_autoptr(GPtrArray) infos = device_infos(def);

        for (guint i = 0; i < infos->len; i++) {
                DomainDeviceAddress *a = &((DomainDeviceInfo *) g_ptr_array_index(infos, i))->addr;

                if (a->type != DOMAIN_ADDRESS_PCI || a->function != 0 || a->multifunction != 0)
                        continue;
                for (guint j = 0; j < infos->len; j++) {
                        const DomainDeviceAddress *o = &((DomainDeviceInfo *) g_ptr_array_index(infos, j))->addr;
                        if (o->type == DOMAIN_ADDRESS_PCI && o->domain == a->domain && o->bus == a->bus &&
                            o->slot == a->slot && o->function != 0) {
                                a->multifunction = 1;
                                break;
                        }
                }
        }
}

/* The QEMU device libvirt names in <model name=…/> for each PCI controller model */
static const char *pci_controller_model_name(const char *model) {
        static const char *const names[][2] = {
                { "pcie-root-port", "pcie-root-port" },
                { "pci-bridge", "pci-bridge" },
                { "dmi-to-pci-bridge", "i82801b11-bridge" },
                { "pcie-switch-upstream-port", "x3130-upstream" },
                { "pcie-switch-downstream-port", "xio3130-downstream" },
                { "pcie-to-pci-bridge", "pcie-pci-bridge" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
                if (g_strcmp0(model, names[i][0]) == 0)
                        return names[i][1];
        return NULL;
}

/* What libvirt fills in for a PCI controller once it has an address: the QEMU device as
 * <model name=…/>; for a PCIe port the chassis as its index and the port as the slot and
 * function it takes on its parent bus (slot << 3 | function: 0x10 at 00:02.0); for a
 * pci-bridge chassisNr as its index. Values the definition gives stay. */
static void set_pci_controller_targets(DomainDef *def) {
        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                DomainControllerDef *c = domain_list_at(def->controllers, i);
                const char *name = c->type == DOMAIN_CONTROLLER_TYPE_PCI ? pci_controller_model_name(c->model) : NULL;
                bool port = model_is(c->model, "pcie-root-port") || model_is(c->model, "pcie-switch-downstream-port");

                if (!name)
                        continue;
                if (!c->model_name)
                        c->model_name = g_strdup(name);
                if (port && !c->target_chassis)
                        c->target_chassis = g_strdup_printf("%d", c->index);
                /* a downstream port's number is its slot on the switch */
                if (port && !c->target_port && c->info.addr.type == DOMAIN_ADDRESS_PCI)
                        c->target_port = g_strdup_printf("0x%x", model_is(c->model, "pcie-root-port")
                                                                         ? c->info.addr.slot << 3 | c->info.addr.function
                                                                         : c->info.addr.slot);
                if (model_is(c->model, "pci-bridge") && !c->target_chassis_nr)
                        c->target_chassis_nr = g_strdup_printf("%d", c->index);
        }
}

bool domain_def_assign_addresses(DomainDef *def, GError **error) {
        if (!assign_pci(def, error))
                return false;
        set_multifunction(def);
        set_pci_controller_targets(def);
        assign_virtio_serial(def);
        return true;
}

bool domain_def_post_parse(DomainDef *def, GError **error) {
        g_return_val_if_fail(def, false);
        if (!check_usb_disabled(def, error))
                return false;
        add_implicit_devices(def);
        return domain_def_assign_addresses(def, error);
}
