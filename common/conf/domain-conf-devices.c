/* Domain definitions: parse and format the <devices> element, one family at a time. */
#include "domain-conf-priv.h"
#include "error.h"
#include "uuid.h"

#include <stddef.h>
#include <string.h>

VMMD_ENUM_IMPL(domain_disk_type, "file", "block", "dir", "network", "volume", "nvme", "vhostuser", "vhostvdpa")
VMMD_ENUM_IMPL(domain_disk_device, "disk", "cdrom", "floppy", "lun")
VMMD_ENUM_IMPL(domain_disk_bus, "ide", "fdc", "scsi", "virtio", "xen", "usb", "uml", "sata", "sd")
VMMD_ENUM_IMPL(domain_controller_type,
               "ide", "fdc", "scsi", "sata", "virtio-serial", "ccid", "usb", "pci", "xenbus", "isa")
VMMD_ENUM_IMPL(domain_net_type, "user", "ethernet", "network", "bridge", "direct", "hostdev", "vhostuser", "vdpa",
               "udp", "mcast", "server", "client")
VMMD_ENUM_IMPL(domain_chr_type,
               "null", "vc", "pty", "dev", "file", "pipe", "stdio", "udp", "tcp", "unix", "spicevmc",
               "spiceport", "qemu-vdagent", "dbus")

static const char *const chr_kind_names[] = { "serial", "parallel", "console", "channel" };
static const char *const input_types[] = { "mouse", "tablet", "keyboard", "passthrough", "evdev", NULL };
static const char *const input_buses[] = { "ps2", "usb", "xen", "virtio", "none", NULL };

/* Default video RAM in KiB per model, as libvirt fills it in. */
static const struct {
        const char *model;
        const char *vram;
} video_vram_defaults[] = {
        { "vga", "16384" }, { "cirrus", "16384" }, { "vmvga", "16384" }, { "qxl", "65536" },
};

/* --- free --- */

/* A <source> element of a device type vmmd parses but cannot run, kept as written so that
 * the definition round-trips; NULL when there is none. */
static xmlNodePtr source_copy(xmlNodePtr node) {
        xmlNodePtr src = xml_child(node, "source");
        xmlNodePtr copy;

        if (!src)
                return NULL;
        copy = xmlCopyNode(src, 1);
        xml_strip_blanks(copy);
        return copy;
}

static void source_free(xmlNodePtr node) {
        if (node)
                xmlFreeNode(node);
}

static void disk_host_free(DomainDiskHost *h) {
        g_free(h->name);
        g_free(h->port);
        g_free(h->transport);
        g_free(h->socket);
        g_free(h);
}

static void domain_disk_def_free(DomainDiskDef *d) {
        g_free(d->driver_name);
        g_free(d->driver_type);
        g_free(d->driver_cache);
        g_free(d->driver_io);
        g_free(d->driver_discard);
        g_free(d->error_policy);
        g_free(d->rerror_policy);
        g_free(d->src_path);
        g_free(d->src_pool);
        g_free(d->src_volume);
        g_free(d->src_mode);
        g_free(d->src_protocol);
        g_free(d->src_name);
        g_free(d->enc_format);
        g_free(d->enc_secret_uuid);
        g_free(d->enc_secret_usage);
        g_ptr_array_unref(d->hosts);
        source_free(d->source_verbatim);
        g_free(d->target_dev);
        g_free(d->tray);
        g_free(d->serial);
        domain_device_info_clear(&d->info);
        g_free(d);
}

void domain_controller_def_free(DomainControllerDef *c) {
        vmmd_shared_str_unref(c->model);
        g_free(c->ports);
        g_free(c->vectors);
        g_free(c->model_name);
        g_free(c->target_chassis);
        g_free(c->target_port);
        g_free(c->target_chassis_nr);
        g_free(c->master_startport);
        domain_device_info_clear(&c->info);
        g_free(c);
}

static void filter_param_free(DomainFilterParam *p) {
        g_free(p->name);
        g_free(p->value);
        g_free(p);
}

static void domain_net_def_free(DomainNetDef *n) {
        g_free(n->src_network);
        g_free(n->src_portid);
        g_free(n->src_bridge);
        g_free(n->src_dev);
        g_free(n->src_mode);
        g_free(n->src_portgroup);
        source_free(n->source_verbatim);
        g_free(n->model);
        g_free(n->target_dev);
        g_free(n->driver_name);
        g_free(n->driver_queues);
        g_free(n->link_state);
        g_free(n->filter);
        g_ptr_array_unref(n->filter_params);
        domain_device_info_clear(&n->info);
        g_free(n);
}

void domain_chr_source_clear(DomainChrSource *s) {
        g_free(s->path);
        g_free(s->mode);
        g_free(s->host);
        g_free(s->service);
        g_free(s->protocol);
        g_free(s->channel);
}

static void domain_chr_def_free(DomainChrDef *c) {
        domain_chr_source_clear(&c->src);
        g_free(c->target_type);
        g_free(c->target_port);
        g_free(c->target_name);
        g_free(c->target_address);
        g_free(c->target_state);
        domain_device_info_clear(&c->info);
        g_free(c);
}

static void domain_video_def_free(DomainVideoDef *v) {
        g_free(v->model);
        g_free(v->vram);
        g_free(v->ram);
        g_free(v->vgamem);
        g_free(v->heads);
        domain_device_info_clear(&v->info);
        g_free(v);
}

static void domain_input_def_free(DomainInputDef *i) {
        g_free(i->type);
        g_free(i->bus);
        source_free(i->source_verbatim);
        domain_device_info_clear(&i->info);
        g_free(i);
}

static void domain_sound_def_free(DomainSoundDef *s) {
        g_free(s->model);
        domain_device_info_clear(&s->info);
        g_free(s);
}

static void domain_rng_def_free(DomainRNGDef *r) {
        g_free(r->model);
        g_free(r->backend_model);
        g_free(r->backend_path);
        if (r->backend_chr) {
                domain_chr_source_clear(r->backend_chr);
                g_free(r->backend_chr);
        }
        g_free(r->rate_bytes);
        g_free(r->rate_period);
        domain_device_info_clear(&r->info);
        g_free(r);
}

void domain_memballoon_def_free(DomainMemballoonDef *m) {
        if (!m)
                return;
        vmmd_shared_str_unref(m->model);
        g_free(m->stats_period);
        domain_device_info_clear(&m->info);
        g_free(m);
}

static void domain_watchdog_def_free(DomainWatchdogDef *w) {
        g_free(w->model);
        g_free(w->action);
        domain_device_info_clear(&w->info);
        g_free(w);
}

static void domain_panic_def_free(DomainPanicDef *p) {
        g_free(p->model);
        domain_device_info_clear(&p->info);
        g_free(p);
}

#define DEVICE_ARRAY(free_fn) g_ptr_array_new_with_free_func((GDestroyNotify) (free_fn))

void domain_def_devices_free(DomainDef *def) {
        domain_list_clear(&def->disks, (GDestroyNotify) domain_disk_def_free);
        domain_list_clear(&def->controllers, (GDestroyNotify) domain_controller_def_free);
        domain_list_clear(&def->nets, (GDestroyNotify) domain_net_def_free);
        domain_list_clear(&def->serials, (GDestroyNotify) domain_chr_def_free);
        domain_list_clear(&def->parallels, (GDestroyNotify) domain_chr_def_free);
        domain_list_clear(&def->consoles, (GDestroyNotify) domain_chr_def_free);
        domain_list_clear(&def->channels, (GDestroyNotify) domain_chr_def_free);
        domain_list_clear(&def->inputs, (GDestroyNotify) domain_input_def_free);
        domain_list_clear(&def->graphics, (GDestroyNotify) domain_graphics_def_free);
        domain_list_clear(&def->sounds, (GDestroyNotify) domain_sound_def_free);
        domain_list_clear(&def->videos, (GDestroyNotify) domain_video_def_free);
        domain_list_clear(&def->watchdogs, (GDestroyNotify) domain_watchdog_def_free);
        domain_list_clear(&def->rngs, (GDestroyNotify) domain_rng_def_free);
        domain_list_clear(&def->panics, (GDestroyNotify) domain_panic_def_free);
        domain_list_clear(&def->redirdevs, (GDestroyNotify) domain_redirdev_def_free);
        domain_list_clear(&def->other_devices, (GDestroyNotify) xmlFreeNode);
        domain_memballoon_def_free(def->memballoon);
}

/* --- parse helpers --- */

/* Parses an enum attribute; absent gives def_value, unknown sets XML_ERROR. */
static bool parse_enum_prop(xmlNodePtr node, const char *name, int (*from_string)(const char *),
                            int def_value, int *ret, GError **error) {
        g_autofree char *v = xml_prop(node, name);

        if (!v) {
                *ret = def_value;
                return true;
        }
        *ret = from_string(v);
        if (*ret < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown %s '%s' for <%s>",
                            name, v, (const char *) node->name);
                return false;
        }
        return true;
}

static bool parse_string_choice(xmlNodePtr node, const char *name, const char *const *allowed,
                                char **ret, GError **error) {
        g_autofree char *v = xml_prop(node, name);

        if (v && !g_strv_contains(allowed, v)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown %s '%s' for <%s>",
                            name, v, (const char *) node->name);
                return false;
        }
        *ret = g_steal_pointer(&v);
        return true;
}

/* --- disks --- */

static DomainDiskBus disk_bus_from_target(const char *dev, DomainDiskDevice device) {
        if (device == DOMAIN_DISK_DEVICE_FLOPPY)
                return DOMAIN_DISK_BUS_FDC;
        if (g_str_has_prefix(dev, "vd"))
                return DOMAIN_DISK_BUS_VIRTIO;
        if (g_str_has_prefix(dev, "sd"))
                return DOMAIN_DISK_BUS_SCSI;
        if (g_str_has_prefix(dev, "xvd"))
                return DOMAIN_DISK_BUS_XEN;
        if (g_str_has_prefix(dev, "ubd"))
                return DOMAIN_DISK_BUS_UML;
        if (g_str_has_prefix(dev, "fd"))
                return DOMAIN_DISK_BUS_FDC;
        return DOMAIN_DISK_BUS_IDE;
}

/* What a disk does on an I/O error (spec F3): stop pauses the guest with reason IOERROR;
 * enospace stops only on ENOSPC and is for writes only. */
static const char *const disk_error_policies[] = { "stop", "report", "ignore", "enospace", NULL };

/* libvirt's disk encryption formats; which of them a start can use is QEMU's business */
static const char *const disk_encryption_formats[] = { "default", "qcow", "luks", "luks2", "luks-any", NULL };

/* <encryption> of a disk (issue 14): the format and the secret holding the passphrase */
static bool parse_disk_encryption(DomainDiskDef *d, xmlNodePtr enc, GError **error) {
        xmlNodePtr secret = xml_child(enc, "secret");
        g_autofree char *type = NULL, *uuid = NULL;
        char u[37];

        d->enc_format = xml_prop(enc, "format");
        if (!d->enc_format || !g_strv_contains(disk_encryption_formats, d->enc_format)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "disk '%s': unknown encryption format '%s'",
                            d->target_dev ? d->target_dev : "", d->enc_format ? d->enc_format : "");
                return false;
        }
        if (!secret)
                return true;
        type = xml_prop(secret, "type");
        if (g_strcmp0(type, "passphrase") != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "disk '%s': unknown encryption secret type '%s'",
                            d->target_dev ? d->target_dev : "", type ? type : "");
                return false;
        }
        uuid = xml_prop(secret, "uuid");
        d->enc_secret_usage = xml_prop(secret, "usage");
        if (uuid) {
                if (!vmmd_uuid_parse(uuid, u)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "disk '%s': malformed encryption secret uuid '%s'", d->target_dev ? d->target_dev : "",
                                    uuid);
                        return false;
                }
                d->enc_secret_uuid = g_strdup(u);
        }
        if (!d->enc_secret_uuid == !d->enc_secret_usage) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "disk '%s': the encryption secret needs either a uuid or a usage",
                            d->target_dev ? d->target_dev : "");
                return false;
        }
        return true;
}

static DomainDiskDef *parse_disk(xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) guard = DEVICE_ARRAY(domain_disk_def_free);
        DomainDiskDef *d = g_new0(DomainDiskDef, 1);
        xmlNodePtr driver = xml_child(node, "driver");
        xmlNodePtr source = xml_child(node, "source");
        xmlNodePtr target = xml_child(node, "target");
        int v;

        g_ptr_array_add(guard, d);
        d->hosts = DEVICE_ARRAY(disk_host_free);
        if (!parse_enum_prop(node, "type", domain_disk_type_from_string, DOMAIN_DISK_TYPE_FILE, &v, error))
                return NULL;
        d->type = v;
        if (!parse_enum_prop(node, "device", domain_disk_device_from_string, DOMAIN_DISK_DEVICE_DISK, &v, error))
                return NULL;
        d->device = v;
        d->driver_name = xml_prop(driver, "name");
        d->driver_type = xml_prop(driver, "type");
        d->driver_cache = xml_prop(driver, "cache");
        d->driver_io = xml_prop(driver, "io");
        d->driver_discard = xml_prop(driver, "discard");
        if (xml_prop_uint(driver, "iothread", G_MAXINT, &d->driver_iothread) < 0 ||
            (xmlHasProp(driver, (const xmlChar *) "iothread") && d->driver_iothread == 0)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid iothread in the <driver> of a disk");
                return NULL;
        }
        d->error_policy = xml_prop(driver, "error_policy");
        d->rerror_policy = xml_prop(driver, "rerror_policy");
        /* checked here, not at start: a policy QEMU would not know must not be stored */
        if (d->error_policy && !g_strv_contains(disk_error_policies, d->error_policy)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown disk error_policy '%s'", d->error_policy);
                return NULL;
        }
        if (d->rerror_policy &&
            (!g_strv_contains(disk_error_policies, d->rerror_policy) || g_str_equal(d->rerror_policy, "enospace"))) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unknown disk rerror_policy '%s'", d->rerror_policy);
                return NULL;
        }
        switch (d->type) {
        case DOMAIN_DISK_TYPE_FILE:
                d->src_path = xml_prop(source, "file");
                break;
        case DOMAIN_DISK_TYPE_BLOCK:
                d->src_path = xml_prop(source, "dev");
                break;
        case DOMAIN_DISK_TYPE_DIR:
                d->src_path = xml_prop(source, "dir");
                break;
        case DOMAIN_DISK_TYPE_VOLUME:
                d->src_pool = xml_prop(source, "pool");
                d->src_volume = xml_prop(source, "volume");
                d->src_mode = xml_prop(source, "mode");
                break;
        case DOMAIN_DISK_TYPE_NVME:
        case DOMAIN_DISK_TYPE_VHOSTUSER:
        case DOMAIN_DISK_TYPE_VHOSTVDPA:
                d->source_verbatim = source_copy(node);
                break;
        case DOMAIN_DISK_TYPE_NETWORK:
                d->src_protocol = xml_prop(source, "protocol");
                d->src_name = xml_prop(source, "name");
                xml_foreach_child(h, source) {
                        DomainDiskHost *host;

                        if (!xml_is(h, "host"))
                                continue;
                        host = g_new0(DomainDiskHost, 1);
                        host->name = xml_prop(h, "name");
                        host->port = xml_prop(h, "port");
                        host->transport = xml_prop(h, "transport");
                        host->socket = xml_prop(h, "socket");
                        g_ptr_array_add(d->hosts, host);
                }
                if (source && !d->src_protocol) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing network source protocol type");
                        return NULL;
                }
                break;
        default:
                break;
        }
        if (d->type == DOMAIN_DISK_TYPE_VOLUME && source && (!d->src_pool || !d->src_volume)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "'pool' and 'volume' must be specified together for a volume disk source");
                return NULL;
        }
        d->target_dev = xml_prop(target, "dev");
        if (!d->target_dev || !*d->target_dev) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing target dev for disk");
                return NULL;
        }
        if (!parse_enum_prop(target, "bus", domain_disk_bus_from_string,
                             disk_bus_from_target(d->target_dev, d->device), &v, error))
                return NULL;
        d->bus = v;
        d->tray = xml_prop(target, "tray");
        d->readonly = xml_child(node, "readonly") != NULL;
        d->shareable = xml_child(node, "shareable") != NULL;
        d->transient = xml_child(node, "transient") != NULL;
        d->serial = xml_child_text(node, "serial");
        {
                xmlNodePtr enc = source ? xml_child(source, "encryption") : NULL;

                d->enc_in_source = enc != NULL;
                if (!enc)
                        enc = xml_child(node, "encryption");
                if (enc && !parse_disk_encryption(d, enc, error))
                        return NULL;
        }
        if (!domain_device_address_parse(node, &d->info, error))
                return NULL;
        return g_ptr_array_steal_index(guard, 0);
}

static void format_disk_encryption(XmlBuf *buf, const DomainDiskDef *d) {
        g_auto(XmlBuf) body = { 0 };
        g_autoptr(GString) a = g_string_new(NULL);
        g_autoptr(GString) sa = g_string_new(NULL);

        xml_buf_init_child(&body, buf);
        if (d->enc_secret_uuid || d->enc_secret_usage) {
                xml_attr(sa, "type", "passphrase");
                xml_attr(sa, "uuid", d->enc_secret_uuid);
                xml_attr(sa, "usage", d->enc_secret_usage);
                xml_element_empty(&body, "secret", sa);
        }
        xml_attr(a, "format", d->enc_format);
        xml_element(buf, "encryption", a, &body);
}

static void format_disk(XmlBuf *buf, const DomainDiskDef *d) {
        g_auto(XmlBuf) child = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);
        g_autoptr(GString) a = g_string_new(NULL);

        xml_buf_init_child(&child, buf);
        xml_attr(a, "name", d->driver_name);
        xml_attr(a, "type", d->driver_type);
        xml_attr(a, "cache", d->driver_cache);
        xml_attr(a, "error_policy", d->error_policy);
        xml_attr(a, "rerror_policy", d->rerror_policy);
        xml_attr(a, "io", d->driver_io);
        xml_attr(a, "discard", d->driver_discard);
        if (d->driver_iothread)
                xml_attr_uint(a, "iothread", d->driver_iothread);
        xml_element(&child, "driver", a, NULL);

        g_string_truncate(a, 0);
        switch (d->type) {
        case DOMAIN_DISK_TYPE_FILE:
                xml_attr(a, "file", d->src_path);
                break;
        case DOMAIN_DISK_TYPE_BLOCK:
                xml_attr(a, "dev", d->src_path);
                break;
        case DOMAIN_DISK_TYPE_DIR:
                xml_attr(a, "dir", d->src_path);
                break;
        case DOMAIN_DISK_TYPE_VOLUME:
                xml_attr(a, "pool", d->src_pool);
                xml_attr(a, "volume", d->src_volume);
                xml_attr(a, "mode", d->src_mode);
                break;
        case DOMAIN_DISK_TYPE_NETWORK: {
                g_auto(XmlBuf) hosts = { 0 };

                xml_attr(a, "protocol", d->src_protocol);
                xml_attr(a, "name", d->src_name);
                xml_buf_init_child(&hosts, &child);
                for (guint i = 0; i < d->hosts->len; i++) {
                        DomainDiskHost *h = g_ptr_array_index(d->hosts, i);
                        g_autoptr(GString) ha = g_string_new(NULL);

                        xml_attr(ha, "name", h->name);
                        xml_attr(ha, "port", h->port);
                        xml_attr(ha, "transport", h->transport);
                        xml_attr(ha, "socket", h->socket);
                        xml_element(&hosts, "host", ha, NULL);
                }
                /* a network source is written whole here: its <encryption> goes inside it, after the hosts */
                if (d->enc_format && d->enc_in_source)
                        format_disk_encryption(&hosts, d);
                xml_element(&child, "source", a, &hosts);
                g_string_truncate(a, 0);
                break;
        }
        default:
                break;
        }
        if (d->source_verbatim)
                xml_node_dump(&child, d->source_verbatim);
        if (d->enc_format && d->enc_in_source && d->type != DOMAIN_DISK_TYPE_NETWORK) {
                g_auto(XmlBuf) enc = { 0 };

                xml_buf_init_child(&enc, &child);
                format_disk_encryption(&enc, d);
                xml_element(&child, "source", a, &enc);
        } else
                xml_element(&child, "source", a, NULL);

        g_string_truncate(a, 0);
        xml_attr(a, "dev", d->target_dev);
        xml_attr(a, "bus", domain_disk_bus_to_string(d->bus));
        xml_attr(a, "tray", d->tray);
        xml_element(&child, "target", a, NULL);
        if (d->readonly)
                xml_element_empty(&child, "readonly", NULL);
        if (d->shareable)
                xml_element_empty(&child, "shareable", NULL);
        if (d->transient)
                xml_element_empty(&child, "transient", NULL);
        xml_element_text(&child, "serial", NULL, d->serial);
        if (d->enc_format && !d->enc_in_source)
                format_disk_encryption(&child, d);
        domain_device_info_format(&child, &d->info);

        xml_attr(attrs, "type", domain_disk_type_to_string(d->type));
        xml_attr(attrs, "device", domain_disk_device_to_string(d->device));
        xml_element(buf, "disk", attrs, &child);
}

/* --- controllers --- */

static DomainControllerDef *parse_controller(xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) guard = DEVICE_ARRAY(domain_controller_def_free);
        DomainControllerDef *c = g_new0(DomainControllerDef, 1);
        xmlNodePtr target = xml_child(node, "target");
        g_autofree char *type = xml_prop(node, "type");
        unsigned index;
        int v, r;

        g_ptr_array_add(guard, c);
        if (!type) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing controller type");
                return NULL;
        }
        if (!parse_enum_prop(node, "type", domain_controller_type_from_string, 0, &v, error))
                return NULL;
        c->type = v;
        r = xml_prop_uint(node, "index", G_MAXINT, &index);
        if (r < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid controller index");
                return NULL;
        }
        c->index = r > 0 ? (int) index : -1;
        c->model = vmmd_shared_str_take(xml_prop(node, "model"));
        c->ports = xml_prop(node, "ports");
        c->vectors = xml_prop(node, "vectors");
        c->model_name = xml_prop(xml_child(node, "model"), "name");
        c->target_chassis = xml_prop(target, "chassis");
        c->target_port = xml_prop(target, "port");
        c->target_chassis_nr = xml_prop(target, "chassisNr");
        c->master_startport = xml_prop(xml_child(node, "master"), "startport");
        if (c->master_startport && c->type != DOMAIN_CONTROLLER_TYPE_USB) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "<master> is only for USB companion controllers");
                return NULL;
        }
        if (c->master_startport && xml_prop_uint(xml_child(node, "master"), "startport", 255, &index) < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid USB master startport '%s'",
                            c->master_startport);
                return NULL;
        }
        if (!domain_device_address_parse(node, &c->info, error))
                return NULL;
        return g_ptr_array_steal_index(guard, 0);
}

static bool controller_index_used(DomainList ctrls, DomainControllerType type, int index) {
        for (guint i = 0; i < domain_list_len(ctrls); i++) {
                DomainControllerDef *c = domain_list_at(ctrls, i);
                if (c->type == type && c->index == index)
                        return true;
        }
        return false;
}

/* Missing indexes get the lowest free one of their type (index 0 of 'pci' is the root). A
 * USB companion (<master startport=…/>) is one logical controller with its EHCI master, so
 * it shares the index of the USB controller before it. */
static bool controllers_finish(DomainDef *def, GError **error) {
        DomainControllerDef *last_usb_master = NULL;

        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                DomainControllerDef *c = domain_list_at(def->controllers, i);
                int idx;

                if (c->type == DOMAIN_CONTROLLER_TYPE_USB && c->master_startport && c->index < 0 && last_usb_master)
                        c->index = last_usb_master->index;
                if (c->type == DOMAIN_CONTROLLER_TYPE_USB && !c->master_startport)
                        last_usb_master = c;
                if (c->index >= 0)
                        continue;
                idx = (c->type == DOMAIN_CONTROLLER_TYPE_PCI && g_strcmp0(c->model, "pci-root") != 0 &&
                       g_strcmp0(c->model, "pcie-root") != 0) ? 1 : 0;
                while (controller_index_used(def->controllers, c->type, idx))
                        idx++;
                c->index = idx;
        }
        /* an ich9-uhciN sharing the index of an EHCI controller is its companion even without
         * <master>: libvirt gives it the start port its number implies (0, 2, 4) */
        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                DomainControllerDef *c = domain_list_at(def->controllers, i);
                const char *m = c->model ? c->model : "";
                size_t n = strlen(m);

                if (c->type != DOMAIN_CONTROLLER_TYPE_USB || c->master_startport || !g_str_has_prefix(m, "ich9-uhci") ||
                    n == 0 || m[n - 1] < '1' || m[n - 1] > '6')
                        continue;
                for (guint j = 0; j < domain_list_len(def->controllers); j++) {
                        DomainControllerDef *o = domain_list_at(def->controllers, j);
                        if (o->type == DOMAIN_CONTROLLER_TYPE_USB && o->index == c->index &&
                            g_str_has_prefix(o->model ? o->model : "", "ich9-ehci")) {
                                c->master_startport = g_strdup_printf("%d", ((m[n - 1] - '1') % 3) * 2);
                                break;
                        }
                }
        }
        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                DomainControllerDef *c = domain_list_at(def->controllers, i);

                for (guint j = i + 1; j < domain_list_len(def->controllers); j++) {
                        DomainControllerDef *o = domain_list_at(def->controllers, j);
                        /* companions share the index of their master; only two masters clash */
                        if (c->type == DOMAIN_CONTROLLER_TYPE_USB && (c->master_startport || o->master_startport))
                                continue;
                        if (o->type == c->type && o->index == c->index) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                            "multiple '%s' controllers with index '%d'",
                                            domain_controller_type_to_string(c->type), c->index);
                                return false;
                        }
                }
        }
        return true;
}

static void format_controller(XmlBuf *buf, const DomainControllerDef *c) {
        g_auto(XmlBuf) child = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);
        g_autoptr(GString) a = g_string_new(NULL);

        xml_buf_init_child(&child, buf);
        xml_attr(a, "name", c->model_name);
        xml_element(&child, "model", a, NULL);
        g_string_truncate(a, 0);
        xml_attr(a, "chassisNr", c->target_chassis_nr);
        xml_attr(a, "chassis", c->target_chassis);
        xml_attr(a, "port", c->target_port);
        xml_element(&child, "target", a, NULL);
        g_string_truncate(a, 0);
        xml_attr(a, "startport", c->master_startport);
        xml_element(&child, "master", a, NULL);
        domain_device_info_format(&child, &c->info);

        xml_attr(attrs, "type", domain_controller_type_to_string(c->type));
        xml_attr_printf(attrs, "index", "%d", c->index);
        xml_attr(attrs, "model", c->model);
        xml_attr(attrs, "ports", c->ports);
        xml_attr(attrs, "vectors", c->vectors);
        xml_element(buf, "controller", attrs, &child);
}

/* --- interfaces --- */

/* Strict "xx:xx:xx:xx:xx:xx" (any case), normalised to lowercase. */
static bool mac_parse(const char *s, char out[18]) {
        if (strlen(s) != 17)
                return false;
        for (int i = 0; i < 17; i++) {
                if (i % 3 == 2 ? s[i] != ':' : !g_ascii_isxdigit(s[i]))
                        return false;
                out[i] = g_ascii_tolower(s[i]);
        }
        out[17] = '\0';
        return true;
}

static DomainNetDef *parse_net(xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) guard = DEVICE_ARRAY(domain_net_def_free);
        DomainNetDef *n = g_new0(DomainNetDef, 1);
        xmlNodePtr source = xml_child(node, "source");
        xmlNodePtr filterref = xml_child(node, "filterref");
        xmlNodePtr driver = xml_child(node, "driver");
        g_autofree char *type = xml_prop(node, "type");
        g_autofree char *mac = xml_prop(xml_child(node, "mac"), "address");
        int v;

        g_ptr_array_add(guard, n);
        n->filter_params = DEVICE_ARRAY(filter_param_free);
        if (!type) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing interface type");
                return NULL;
        }
        if (!parse_enum_prop(node, "type", domain_net_type_from_string, 0, &v, error))
                return NULL;
        n->type = v;
        if (mac) {
                if (!mac_parse(mac, n->mac)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "unable to parse mac address '%s'", mac);
                        return NULL;
                }
                if (g_ascii_xdigit_value(n->mac[1]) & 1) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "expected unicast mac address, found multicast '%s'", mac);
                        return NULL;
                }
        } else {
                /* QEMU's locally administered prefix, as libvirt generates */
                g_snprintf(n->mac, sizeof(n->mac), "52:54:00:%02x:%02x:%02x",
                           g_random_int_range(0, 256), g_random_int_range(0, 256), g_random_int_range(0, 256));
        }
        switch (n->type) {
        case DOMAIN_NET_TYPE_NETWORK:
                n->src_network = xml_prop(source, "network");
                n->src_portgroup = xml_prop(source, "portgroup");
                /* a running guest's: the port vmmd-network gave it and the bridge of that port */
                n->src_portid = xml_prop(source, "portid");
                n->src_bridge = xml_prop(source, "bridge");
                if (n->src_portid && !vmmd_uuid_parse(n->src_portid, (char[37]) { 0 })) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "malformed interface portid '%s'",
                                    n->src_portid);
                        return NULL;
                }
                if (!n->src_network) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "no <source> 'network' attribute specified with <interface type='network'/>");
                        return NULL;
                }
                break;
        case DOMAIN_NET_TYPE_BRIDGE:
                n->src_bridge = xml_prop(source, "bridge");
                if (!n->src_bridge) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "no <source> 'bridge' attribute specified with <interface type='bridge'/>");
                        return NULL;
                }
                break;
        case DOMAIN_NET_TYPE_DIRECT:
                n->src_dev = xml_prop(source, "dev");
                n->src_mode = xml_prop(source, "mode");
                if (!n->src_dev) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "no <source> 'dev' attribute specified with <interface type='direct'/>");
                        return NULL;
                }
                break;
        case DOMAIN_NET_TYPE_HOSTDEV:
        case DOMAIN_NET_TYPE_VHOSTUSER:
        case DOMAIN_NET_TYPE_VDPA:
        case DOMAIN_NET_TYPE_UDP:
        case DOMAIN_NET_TYPE_MCAST:
        case DOMAIN_NET_TYPE_SERVER:
        case DOMAIN_NET_TYPE_CLIENT:
                n->source_verbatim = source_copy(node);
                break;
        default:
                break;
        }
        n->managed = xml_prop_tristate(node, "managed", "yes", "no");
        if (n->managed < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "invalid managed value for <interface>");
                return NULL;
        }
        n->model = xml_prop(xml_child(node, "model"), "type");
        n->target_dev = xml_prop(xml_child(node, "target"), "dev");
        n->driver_name = xml_prop(driver, "name");
        n->driver_queues = xml_prop(driver, "queues");
        n->link_state = xml_prop(xml_child(node, "link"), "state");
        /* a size the kernel could take for a link: 68 (IPv4's least) to 65535 */
        if (xml_prop_uint(xml_child(node, "mtu"), "size", 65535, &n->mtu) < 0 ||
            (xml_child(node, "mtu") && n->mtu < 68)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "interface %s: malformed mtu size (a number from 68 to 65535)", n->mac);
                return NULL;
        }
        n->filter = xml_prop(filterref, "filter");
        if (filterref && !n->filter) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "<filterref> without a filter name");
                return NULL;
        }
        xml_foreach_child(p, filterref) {
                DomainFilterParam *param;

                if (!xml_is(p, "parameter"))
                        continue;
                param = g_new0(DomainFilterParam, 1);
                param->name = xml_prop(p, "name");
                param->value = xml_prop(p, "value");
                g_ptr_array_add(n->filter_params, param);
                if (!param->name || !param->value) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "filterref parameter needs a name and a value");
                        return NULL;
                }
        }
        if (!domain_device_address_parse(node, &n->info, error))
                return NULL;
        return g_ptr_array_steal_index(guard, 0);
}

static void format_net(XmlBuf *buf, const DomainNetDef *n) {
        g_auto(XmlBuf) child = { 0 };
        g_auto(XmlBuf) params = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);
        g_autoptr(GString) a = g_string_new(NULL);

        xml_buf_init_child(&child, buf);
        xml_buf_init_child(&params, &child);
        xml_attr(a, "address", n->mac);
        xml_element(&child, "mac", a, NULL);
        g_string_truncate(a, 0);
        xml_attr(a, "network", n->src_network);
        xml_attr(a, "portgroup", n->src_portgroup);
        xml_attr(a, "portid", n->src_portid);
        xml_attr(a, "bridge", n->src_bridge);
        xml_attr(a, "dev", n->src_dev);
        xml_attr(a, "mode", n->src_mode);
        if (n->source_verbatim)
                xml_node_dump(&child, n->source_verbatim);
        xml_element(&child, "source", a, NULL);
        g_string_truncate(a, 0);
        xml_attr(a, "dev", n->target_dev);
        xml_element(&child, "target", a, NULL);
        g_string_truncate(a, 0);
        xml_attr(a, "type", n->model);
        xml_element(&child, "model", a, NULL);
        g_string_truncate(a, 0);
        xml_attr(a, "name", n->driver_name);
        xml_attr(a, "queues", n->driver_queues);
        xml_element(&child, "driver", a, NULL);
        g_string_truncate(a, 0);
        if (n->mtu) {
                g_string_append_printf(a, " size='%u'", n->mtu);
                xml_element_empty(&child, "mtu", a);
                g_string_truncate(a, 0);
        }
        for (guint i = 0; i < n->filter_params->len; i++) {
                DomainFilterParam *p = g_ptr_array_index(n->filter_params, i);
                g_autoptr(GString) pa = g_string_new(NULL);

                xml_attr(pa, "name", p->name);
                xml_attr(pa, "value", p->value);
                xml_element(&params, "parameter", pa, NULL);
        }
        xml_attr(a, "filter", n->filter);
        xml_element(&child, "filterref", a, &params);
        g_string_truncate(a, 0);
        xml_attr(a, "state", n->link_state);
        xml_element(&child, "link", a, NULL);
        domain_device_info_format(&child, &n->info);

        xml_attr(attrs, "type", domain_net_type_to_string(n->type));
        xml_attr_yesno(attrs, "managed", n->managed);
        xml_element(buf, "interface", attrs, &child);
}

/* --- character devices --- */

bool domain_chr_source_parse(xmlNodePtr node, DomainChrSource *src, GError **error) {
        xmlNodePtr source = xml_child(node, "source");
        int v;

        if (!parse_enum_prop(node, "type", domain_chr_type_from_string, DOMAIN_CHR_TYPE_PTY, &v, error))
                return false;
        src->type = v;
        src->path = xml_prop(source, "path");
        src->mode = xml_prop(source, "mode");
        src->host = xml_prop(source, "host");
        src->service = xml_prop(source, "service");
        src->channel = xml_prop(source, "channel");
        src->protocol = xml_prop(xml_child(node, "protocol"), "type");
        switch (src->type) {
        case DOMAIN_CHR_TYPE_FILE:
        case DOMAIN_CHR_TYPE_DEV:
        case DOMAIN_CHR_TYPE_PIPE:
                /* a unix socket may omit its path: the daemon picks one under its run dir */
                if (!src->path) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "missing source path attribute for char device of type '%s'",
                                    domain_chr_type_to_string(src->type));
                        return false;
                }
                break;
        case DOMAIN_CHR_TYPE_TCP:
        case DOMAIN_CHR_TYPE_UDP:
                if (!src->service) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "missing source service attribute for char device of type '%s'",
                                    domain_chr_type_to_string(src->type));
                        return false;
                }
                break;
        default:
                break;
        }
        return true;
}

void domain_chr_source_format(XmlBuf *child, const DomainChrSource *src, unsigned flags) {
        g_autoptr(GString) a = g_string_new(NULL);
        /* a pty's path is allocated when QEMU starts */
        bool show_path = src->type != DOMAIN_CHR_TYPE_PTY || !(flags & DOMAIN_DEF_FORMAT_INACTIVE);

        xml_attr(a, "mode", src->mode);
        if (show_path)
                xml_attr(a, "path", src->path);
        xml_attr(a, "host", src->host);
        xml_attr(a, "service", src->service);
        xml_attr(a, "channel", src->channel);
        xml_element(child, "source", a, NULL);
        g_string_truncate(a, 0);
        xml_attr(a, "type", src->protocol);
        xml_element(child, "protocol", a, NULL);
}

static DomainChrDef *parse_chr(xmlNodePtr node, DomainChrKind kind, GError **error) {
        g_autoptr(GPtrArray) guard = DEVICE_ARRAY(domain_chr_def_free);
        DomainChrDef *c = g_new0(DomainChrDef, 1);
        xmlNodePtr target = xml_child(node, "target");

        g_ptr_array_add(guard, c);
        c->kind = kind;
        if (!domain_chr_source_parse(node, &c->src, error))
                return NULL;
        c->target_type = xml_prop(target, "type");
        c->target_port = xml_prop(target, "port");
        c->target_name = xml_prop(target, "name");
        c->target_address = xml_prop(target, "address");
        c->target_state = xml_prop(target, "state");
        if (kind == DOMAIN_CHR_CHANNEL && !c->target_type) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing target type for channel");
                return NULL;
        }
        /* the SPICE agent channel: libvirt names it when the XML does not */
        if (kind == DOMAIN_CHR_CHANNEL && c->src.type == DOMAIN_CHR_TYPE_SPICEVMC &&
            g_str_equal(c->target_type, "virtio") && !c->target_name)
                c->target_name = g_strdup("com.redhat.spice.0");
        if (!domain_device_address_parse(node, &c->info, error))
                return NULL;
        return g_ptr_array_steal_index(guard, 0);
}

static void format_chr(XmlBuf *buf, const DomainChrDef *c, unsigned flags) {
        g_auto(XmlBuf) child = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);
        g_autoptr(GString) a = g_string_new(NULL);

        xml_buf_init_child(&child, buf);
        domain_chr_source_format(&child, &c->src, flags);
        xml_attr(a, "type", c->target_type);
        xml_attr(a, "name", c->target_name);
        xml_attr(a, "address", c->target_address);
        xml_attr(a, "port", c->target_port);
        if (!(flags & DOMAIN_DEF_FORMAT_INACTIVE))
                xml_attr(a, "state", c->target_state);
        xml_element(&child, "target", a, NULL);
        domain_device_info_format(&child, &c->info);

        xml_attr(attrs, "type", domain_chr_type_to_string(c->src.type));
        xml_element(buf, chr_kind_names[c->kind], attrs, &child);
}

/* --- video, input, sound, rng, memballoon, watchdog, panic --- */

static DomainVideoDef *parse_video(xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) guard = DEVICE_ARRAY(domain_video_def_free);
        DomainVideoDef *v = g_new0(DomainVideoDef, 1);
        xmlNodePtr model = xml_child(node, "model");

        g_ptr_array_add(guard, v);
        v->model = xml_prop(model, "type");
        if (!v->model)
                v->model = g_strdup("vga");
        v->vram = xml_prop(model, "vram");
        v->ram = xml_prop(model, "ram");
        v->vgamem = xml_prop(model, "vgamem");
        v->heads = xml_prop(model, "heads");
        v->primary = xml_prop_tristate(model, "primary", "yes", "no");
        for (size_t i = 0; !v->vram && i < G_N_ELEMENTS(video_vram_defaults); i++)
                if (strcmp(video_vram_defaults[i].model, v->model) == 0)
                        v->vram = g_strdup(video_vram_defaults[i].vram);
        if (!v->heads && strcmp(v->model, "none") != 0)
                v->heads = g_strdup("1");
        if (!domain_device_address_parse(node, &v->info, error))
                return NULL;
        return g_ptr_array_steal_index(guard, 0);
}

/* The primary card comes first, and only it says so. */
static void videos_finish(DomainDef *def) {
        for (guint i = 1; i < domain_list_len(def->videos); i++) {
                DomainVideoDef *v = domain_list_at(def->videos, i);
                if (v->primary == 1) {
                        domain_list_steal(&def->videos, i);
                        domain_list_insert(&def->videos, 0, v);
                        break;
                }
        }
        for (guint i = 0; i < domain_list_len(def->videos); i++) {
                DomainVideoDef *v = domain_list_at(def->videos, i);
                v->primary = i == 0 && strcmp(v->model, "none") != 0 ? 1 : 0;
        }
}

static void format_video(XmlBuf *buf, const DomainVideoDef *v) {
        g_auto(XmlBuf) child = { 0 };
        g_autoptr(GString) a = g_string_new(NULL);

        xml_buf_init_child(&child, buf);
        xml_attr(a, "type", v->model);
        xml_attr(a, "ram", v->ram);
        xml_attr(a, "vram", v->vram);
        xml_attr(a, "vgamem", v->vgamem);
        xml_attr(a, "heads", v->heads);
        if (v->primary == 1)
                xml_attr(a, "primary", "yes");
        xml_element(&child, "model", a, NULL);
        domain_device_info_format(&child, &v->info);
        xml_element(buf, "video", NULL, &child);
}

static DomainInputDef *parse_input(xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) guard = DEVICE_ARRAY(domain_input_def_free);
        DomainInputDef *in = g_new0(DomainInputDef, 1);

        g_ptr_array_add(guard, in);
        if (!parse_string_choice(node, "type", input_types, &in->type, error) ||
            !parse_string_choice(node, "bus", input_buses, &in->bus, error))
                return NULL;
        if (!in->type) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing input device type");
                return NULL;
        }
        if (!in->bus && strcmp(in->type, "passthrough") == 0)
                in->bus = g_strdup("virtio");
        if (!in->bus && strcmp(in->type, "evdev") != 0)
                in->bus = g_strdup(strcmp(in->type, "tablet") == 0 ? "usb" : "ps2");
        in->source_verbatim = source_copy(node);
        if (!domain_device_address_parse(node, &in->info, error))
                return NULL;
        return g_ptr_array_steal_index(guard, 0);
}

static DomainSoundDef *parse_sound(xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) guard = DEVICE_ARRAY(domain_sound_def_free);
        DomainSoundDef *s = g_new0(DomainSoundDef, 1);

        g_ptr_array_add(guard, s);
        s->model = xml_prop(node, "model");
        if (!s->model) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing sound model");
                return NULL;
        }
        if (!domain_device_address_parse(node, &s->info, error))
                return NULL;
        return g_ptr_array_steal_index(guard, 0);
}

static DomainRNGDef *parse_rng(xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) guard = DEVICE_ARRAY(domain_rng_def_free);
        DomainRNGDef *r = g_new0(DomainRNGDef, 1);
        xmlNodePtr backend = xml_child(node, "backend");
        xmlNodePtr rate = xml_child(node, "rate");

        g_ptr_array_add(guard, r);
        r->model = xml_prop(node, "model");
        r->backend_model = xml_prop(backend, "model");
        if (!r->model || !r->backend_model) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "rng device needs a model and a backend model");
                return NULL;
        }
        if (strcmp(r->backend_model, "random") == 0) {
                r->backend_path = g_strstrip(xml_text(backend));
                /* libvirt's default source, written out so the definition says what it uses */
                if (!*r->backend_path) {
                        g_free(r->backend_path);
                        r->backend_path = g_strdup("/dev/urandom");
                }
        } else if (strcmp(r->backend_model, "egd") == 0) {
                r->backend_chr = g_new0(DomainChrSource, 1);
                if (!domain_chr_source_parse(backend, r->backend_chr, error))
                        return NULL;
        }
        r->rate_bytes = xml_prop(rate, "bytes");
        r->rate_period = xml_prop(rate, "period");
        if (!domain_device_address_parse(node, &r->info, error))
                return NULL;
        return g_ptr_array_steal_index(guard, 0);
}

static void format_rng(XmlBuf *buf, const DomainRNGDef *r, unsigned flags) {
        g_auto(XmlBuf) child = { 0 };
        g_auto(XmlBuf) backend = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);
        g_autoptr(GString) a = g_string_new(NULL);

        xml_buf_init_child(&child, buf);
        xml_buf_init_child(&backend, &child);
        xml_attr(a, "bytes", r->rate_bytes);
        xml_attr(a, "period", r->rate_period);
        xml_element(&child, "rate", a, NULL);
        g_string_truncate(a, 0);
        xml_attr(a, "model", r->backend_model);
        if (r->backend_chr) {
                xml_attr(a, "type", domain_chr_type_to_string(r->backend_chr->type));
                domain_chr_source_format(&backend, r->backend_chr, flags);
                xml_element(&child, "backend", a, &backend);
        } else if (r->backend_path) {
                xml_element_text(&child, "backend", a, r->backend_path);
        } else {
                xml_element(&child, "backend", a, NULL);
        }
        domain_device_info_format(&child, &r->info);
        xml_attr(attrs, "model", r->model);
        xml_element(buf, "rng", attrs, &child);
}

static DomainMemballoonDef *parse_memballoon(xmlNodePtr node, GError **error) {
        DomainMemballoonDef *m = g_new0(DomainMemballoonDef, 1);

        m->model = vmmd_shared_str_take(xml_prop(node, "model"));
        m->autodeflate = xml_prop_tristate(node, "autodeflate", "on", "off");
        m->free_page_reporting = xml_prop_tristate(node, "freePageReporting", "on", "off");
        m->stats_period = xml_prop(xml_child(node, "stats"), "period");
        if (!m->model || m->autodeflate < 0 || m->free_page_reporting < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "memballoon needs a model and on/off options");
                domain_memballoon_def_free(m);
                return NULL;
        }
        if (!domain_device_address_parse(node, &m->info, error)) {
                domain_memballoon_def_free(m);
                return NULL;
        }
        return m;
}

static DomainWatchdogDef *parse_watchdog(xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) guard = DEVICE_ARRAY(domain_watchdog_def_free);
        DomainWatchdogDef *w = g_new0(DomainWatchdogDef, 1);

        g_ptr_array_add(guard, w);
        w->model = xml_prop(node, "model");
        w->action = xml_prop(node, "action");
        if (!w->model) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "missing watchdog model");
                return NULL;
        }
        if (!w->action)
                w->action = g_strdup("reset");
        if (!domain_device_address_parse(node, &w->info, error))
                return NULL;
        return g_ptr_array_steal_index(guard, 0);
}

static DomainPanicDef *parse_panic(xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) guard = DEVICE_ARRAY(domain_panic_def_free);
        DomainPanicDef *p = g_new0(DomainPanicDef, 1);

        g_ptr_array_add(guard, p);
        p->model = xml_prop(node, "model");
        if (!domain_device_address_parse(node, &p->info, error))
                return NULL;
        return g_ptr_array_steal_index(guard, 0);
}

/* Devices with one model attribute and an address: <NAME ATTR='model'>address</NAME>. */
static void format_simple(XmlBuf *buf, const char *name, GString *attrs, const DomainDeviceInfo *info,
                          const XmlBuf *extra) {
        g_auto(XmlBuf) child = { 0 };

        xml_buf_init_child(&child, buf);
        if (extra)
                g_string_append(child.str, extra->str->str);
        domain_device_info_format(&child, info);
        xml_element(buf, name, attrs, &child);
}

/* --- the <devices> element --- */

static bool disks_finish(DomainDef *def, GError **error) {
        for (guint i = 0; i < domain_list_len(def->disks); i++) {
                DomainDiskDef *d = domain_list_at(def->disks, i);
                for (guint j = i + 1; j < domain_list_len(def->disks); j++) {
                        DomainDiskDef *o = domain_list_at(def->disks, j);
                        if (strcmp(d->target_dev, o->target_dev) == 0) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                            "target '%s' duplicated for disk sources", d->target_dev);
                                return false;
                        }
                }
        }
        return true;
}

static gpointer parse_serial(xmlNodePtr node, GError **error) {
        return parse_chr(node, DOMAIN_CHR_SERIAL, error);
}

static gpointer parse_parallel(xmlNodePtr node, GError **error) {
        return parse_chr(node, DOMAIN_CHR_PARALLEL, error);
}

static gpointer parse_console(xmlNodePtr node, GError **error) {
        return parse_chr(node, DOMAIN_CHR_CONSOLE, error);
}

static gpointer parse_channel(xmlNodePtr node, GError **error) {
        return parse_chr(node, DOMAIN_CHR_CHANNEL, error);
}

typedef gpointer (*DeviceParseFunc)(xmlNodePtr node, GError **error);

/* Untyped adapters, so the table below calls each parser through its real type. */
#define DEVICE_PARSER(fn) \
        static gpointer fn##_any(xmlNodePtr node, GError **error) { return fn(node, error); }
DEVICE_PARSER(parse_disk)
DEVICE_PARSER(parse_controller)
DEVICE_PARSER(parse_net)
DEVICE_PARSER(parse_input)
DEVICE_PARSER(parse_sound)
DEVICE_PARSER(parse_video)
DEVICE_PARSER(parse_watchdog)
DEVICE_PARSER(parse_rng)
DEVICE_PARSER(parse_panic)
#undef DEVICE_PARSER

/* Element name → list in DomainDef and parser; elements not listed are dropped. */
static const struct {
        const char *element;
        size_t list_offset;
        DeviceParseFunc parse;
} device_parsers[] = {
        { "disk", offsetof(DomainDef, disks), parse_disk_any },
        { "controller", offsetof(DomainDef, controllers), parse_controller_any },
        { "interface", offsetof(DomainDef, nets), parse_net_any },
        { "serial", offsetof(DomainDef, serials), parse_serial },
        { "parallel", offsetof(DomainDef, parallels), parse_parallel },
        { "console", offsetof(DomainDef, consoles), parse_console },
        { "channel", offsetof(DomainDef, channels), parse_channel },
        { "input", offsetof(DomainDef, inputs), parse_input_any },
        { "graphics", offsetof(DomainDef, graphics), domain_graphics_def_parse },
        { "redirdev", offsetof(DomainDef, redirdevs), domain_redirdev_def_parse },
        { "sound", offsetof(DomainDef, sounds), parse_sound_any },
        { "video", offsetof(DomainDef, videos), parse_video_any },
        { "watchdog", offsetof(DomainDef, watchdogs), parse_watchdog_any },
        { "rng", offsetof(DomainDef, rngs), parse_rng_any },
        { "panic", offsetof(DomainDef, panics), parse_panic_any },
};

/* The two singletons: one emulator, one balloon. */
static bool parse_singleton(DomainDef *def, xmlNodePtr c, GError **error) {
        if (xml_is(c, "emulator")) {
                g_autofree char *path = g_strstrip(xml_text(c));

                vmmd_shared_str_set(&def->emulator, *path ? path : NULL);
                return true;
        }
        if (def->memballoon) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "only one memballoon device is supported");
                return false;
        }
        def->memballoon = parse_memballoon(c, error);
        return def->memballoon != NULL;
}

bool domain_def_parse_devices(DomainDef *def, xmlNodePtr devices, GError **error) {
        xml_foreach_child(c, devices) {
                if (c->ns)
                        continue;
                if (xml_is(c, "emulator") || xml_is(c, "memballoon")) {
                        if (!parse_singleton(def, c, error))
                                return false;
                        continue;
                }
                bool parsed = false;

                for (size_t i = 0; i < G_N_ELEMENTS(device_parsers) && !parsed; i++) {
                        DomainList *list;
                        gpointer dev;

                        if (!xml_is(c, device_parsers[i].element))
                                continue;
                        dev = device_parsers[i].parse(c, error);
                        if (!dev)
                                return false;
                        list = (DomainList *) ((char *) def + device_parsers[i].list_offset);
                        domain_list_add(list, dev);
                        parsed = true;
                }
                /* a device vmmd has no parser for is kept as written rather than dropped:
                 * the definition round-trips, and starting it names the element */
                if (!parsed && c->type == XML_ELEMENT_NODE) {
                        xmlNodePtr copy = xmlCopyNode(c, 1);
                        xml_strip_blanks(copy);
                        domain_list_add(&def->other_devices, copy);
                }
        }
        if (!disks_finish(def, error) || !controllers_finish(def, error))
                return false;
        videos_finish(def);
        return true;
}

void domain_def_format_devices(const DomainDef *def, XmlBuf *buf, unsigned flags) {
        g_auto(XmlBuf) child = { 0 };
        const DomainList chrs[] = { def->serials, def->parallels, def->consoles, def->channels };

        xml_buf_init_child(&child, buf);
        xml_element_text(&child, "emulator", NULL, def->emulator);
        for (guint i = 0; i < domain_list_len(def->disks); i++)
                format_disk(&child, domain_list_at(def->disks, i));
        for (guint i = 0; i < domain_list_len(def->controllers); i++) {
                DomainControllerDef *c = domain_list_at(def->controllers, i);
                /* older libvirt on the other side does not know an explicit pci-root */
                if ((flags & DOMAIN_DEF_FORMAT_MIGRATABLE) && c->type == DOMAIN_CONTROLLER_TYPE_PCI &&
                    c->index == 0 && g_strcmp0(c->model, "pci-root") == 0)
                        continue;
                format_controller(&child, c);
        }
        for (guint i = 0; i < domain_list_len(def->nets); i++)
                format_net(&child, domain_list_at(def->nets, i));
        for (size_t k = 0; k < G_N_ELEMENTS(chrs); k++)
                for (guint i = 0; i < domain_list_len(chrs[k]); i++)
                        format_chr(&child, domain_list_at(chrs[k], i), flags);
        for (guint i = 0; i < domain_list_len(def->inputs); i++) {
                DomainInputDef *in = domain_list_at(def->inputs, i);
                g_autoptr(GString) a = g_string_new(NULL);

                g_auto(XmlBuf) extra = { 0 };

                xml_buf_init_child(&extra, &child);
                if (in->source_verbatim)
                        xml_node_dump(&extra, in->source_verbatim);
                xml_attr(a, "type", in->type);
                xml_attr(a, "bus", in->bus);
                format_simple(&child, "input", a, &in->info, &extra);
        }
        for (guint i = 0; i < domain_list_len(def->graphics); i++)
                domain_graphics_def_format(&child, domain_list_at(def->graphics, i), flags);
        for (guint i = 0; i < domain_list_len(def->sounds); i++) {
                DomainSoundDef *s = domain_list_at(def->sounds, i);
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "model", s->model);
                format_simple(&child, "sound", a, &s->info, NULL);
        }
        for (guint i = 0; i < domain_list_len(def->videos); i++)
                format_video(&child, domain_list_at(def->videos, i));
        for (guint i = 0; i < domain_list_len(def->redirdevs); i++)
                domain_redirdev_def_format(&child, domain_list_at(def->redirdevs, i), flags);
        for (guint i = 0; i < domain_list_len(def->watchdogs); i++) {
                DomainWatchdogDef *w = domain_list_at(def->watchdogs, i);
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "model", w->model);
                xml_attr(a, "action", w->action);
                format_simple(&child, "watchdog", a, &w->info, NULL);
        }
        if (def->memballoon) {
                const DomainMemballoonDef *m = def->memballoon;
                g_autoptr(GString) a = g_string_new(NULL);
                g_autoptr(GString) sa = g_string_new(NULL);
                g_auto(XmlBuf) extra = { 0 };

                xml_buf_init_child(&extra, &child);
                xml_attr(sa, "period", m->stats_period);
                xml_element(&extra, "stats", sa, NULL);
                xml_attr(a, "model", m->model);
                xml_attr_onoff(a, "autodeflate", m->autodeflate);
                xml_attr_onoff(a, "freePageReporting", m->free_page_reporting);
                format_simple(&child, "memballoon", a, &m->info, &extra);
        }
        for (guint i = 0; i < domain_list_len(def->rngs); i++)
                format_rng(&child, domain_list_at(def->rngs, i), flags);
        for (guint i = 0; i < domain_list_len(def->other_devices); i++)
                xml_node_dump(&child, domain_list_at(def->other_devices, i));
        for (guint i = 0; i < domain_list_len(def->panics); i++) {
                DomainPanicDef *p = domain_list_at(def->panics, i);
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "model", p->model);
                if (a->len == 0 && p->info.addr.type == DOMAIN_ADDRESS_NONE)
                        xml_element_empty(&child, "panic", NULL);
                else
                        format_simple(&child, "panic", a, &p->info, NULL);
        }
        xml_element(buf, "devices", NULL, &child);
}
