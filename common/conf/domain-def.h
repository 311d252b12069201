/* The DomainDef structure and its parts as plain data: what the daemons read (the QEMU command line, disks,
 * consoles, host resources); parsed, checked, changed and formatted only by common/conf. */
#pragma once

#include "domain-conf.h"
#include "shared-string.h"
#include "xml-util.h"

#include <libxml/tree.h>

/* --- lists --- */

/* A repeated element of a definition (the devices of one kind, boot devices, features…). Most
 * definitions have none of most kinds, and an empty GPtrArray costs 48 bytes: thousands of
 * definitions are held at once, so the array is made with the first item. The struct around the
 * pointer keeps code from reaching it directly, where it may be NULL: read a list only with
 * domain_list_len() and domain_list_at(), change it only with the functions below. The items
 * are freed by the owner (domain_def_free) with their kind's free function. */
typedef struct {
        GPtrArray *items_;
} DomainList;

static inline guint domain_list_len(DomainList l) {
        return l.items_ ? l.items_->len : 0;
}

static inline gpointer domain_list_at(DomainList l, guint i) {
        g_assert(i < domain_list_len(l));
        return l.items_->pdata[i];
}

void domain_list_add(DomainList *l, gpointer item);
void domain_list_insert(DomainList *l, guint index, gpointer item);
gpointer domain_list_steal(DomainList *l, guint index);
/* frees each item with free_item, then the list; the list is empty afterwards */
void domain_list_clear(DomainList *l, GDestroyNotify free_item);

/* --- device addresses --- */

typedef enum {
        DOMAIN_ADDRESS_NONE = 0,
        DOMAIN_ADDRESS_PCI,
        DOMAIN_ADDRESS_DRIVE,
        DOMAIN_ADDRESS_VIRTIO_SERIAL,
        DOMAIN_ADDRESS_USB,
        DOMAIN_ADDRESS_ISA,
        _DOMAIN_ADDRESS_MAX,
} DomainAddressType;
VMMD_ENUM_DECL(domain_address_type);

typedef struct {
        DomainAddressType type;
        /* pci */
        unsigned domain, bus, slot, function;
        int multifunction;              /* tristate on/off */
        /* drive: controller bus target unit; virtio-serial: controller bus port; usb: bus port */
        unsigned controller, target, unit, port;
        char *usb_port;                 /* "1.2": a path, not a number */
        char *iobase, *irq;             /* isa, kept as written */
} DomainDeviceAddress;

typedef struct {
        DomainDeviceAddress addr;
        unsigned boot_order;            /* 0: none */
        bool user_pci_address;          /* given in the XML rather than assigned by post-parse */
} DomainDeviceInfo;

/* --- devices --- */

typedef enum {
        DOMAIN_DISK_TYPE_FILE = 0,
        DOMAIN_DISK_TYPE_BLOCK,
        DOMAIN_DISK_TYPE_DIR,
        DOMAIN_DISK_TYPE_NETWORK,
        DOMAIN_DISK_TYPE_VOLUME,
        DOMAIN_DISK_TYPE_NVME,
        DOMAIN_DISK_TYPE_VHOSTUSER,
        DOMAIN_DISK_TYPE_VHOSTVDPA,
        _DOMAIN_DISK_TYPE_MAX,
} DomainDiskType;
VMMD_ENUM_DECL(domain_disk_type);

typedef enum {
        DOMAIN_DISK_DEVICE_DISK = 0,
        DOMAIN_DISK_DEVICE_CDROM,
        DOMAIN_DISK_DEVICE_FLOPPY,
        DOMAIN_DISK_DEVICE_LUN,
        _DOMAIN_DISK_DEVICE_MAX,
} DomainDiskDevice;
VMMD_ENUM_DECL(domain_disk_device);

typedef enum {
        DOMAIN_DISK_BUS_IDE = 0,
        DOMAIN_DISK_BUS_FDC,
        DOMAIN_DISK_BUS_SCSI,
        DOMAIN_DISK_BUS_VIRTIO,
        DOMAIN_DISK_BUS_XEN,
        DOMAIN_DISK_BUS_USB,
        DOMAIN_DISK_BUS_UML,
        DOMAIN_DISK_BUS_SATA,
        DOMAIN_DISK_BUS_SD,
        _DOMAIN_DISK_BUS_MAX,
} DomainDiskBus;
VMMD_ENUM_DECL(domain_disk_bus);

typedef struct {
        char *name, *port, *transport, *socket;
} DomainDiskHost;

typedef struct {
        DomainDiskType type;
        DomainDiskDevice device;
        char *driver_name, *driver_type, *driver_cache, *driver_io, *driver_discard;
        unsigned driver_iothread;       /* <driver iothread>: 0 none */
        char *error_policy, *rerror_policy;   /* <driver error_policy= rerror_policy=>, checked */
        char *src_path;                 /* file=, dev= or dir= depending on type */
        char *src_pool, *src_volume, *src_mode;
        char *src_protocol, *src_name;
        GPtrArray *hosts;               /* DomainDiskHost */
        xmlNodePtr source_verbatim;     /* nvme, vhostuser, vhostvdpa: <source> kept as written */
        char *target_dev;
        DomainDiskBus bus;
        char *tray;
        bool readonly, shareable, transient;
        char *serial;
        /* <encryption format=…><secret type='passphrase' uuid=… | usage=…/>, in <disk> or in its
         * <source> (kept where it was written); the value is vmmd-secret's, never here */
        char *enc_format;
        char *enc_secret_uuid, *enc_secret_usage;
        bool enc_in_source;
        DomainDeviceInfo info;
} DomainDiskDef;

typedef enum {
        DOMAIN_CONTROLLER_TYPE_IDE = 0,
        DOMAIN_CONTROLLER_TYPE_FDC,
        DOMAIN_CONTROLLER_TYPE_SCSI,
        DOMAIN_CONTROLLER_TYPE_SATA,
        DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL,
        DOMAIN_CONTROLLER_TYPE_CCID,
        DOMAIN_CONTROLLER_TYPE_USB,
        DOMAIN_CONTROLLER_TYPE_PCI,
        DOMAIN_CONTROLLER_TYPE_XENBUS,
        DOMAIN_CONTROLLER_TYPE_ISA,
        _DOMAIN_CONTROLLER_TYPE_MAX,
} DomainControllerType;
VMMD_ENUM_DECL(domain_controller_type);

typedef struct {
        DomainControllerType type;
        int index;                      /* -1 until assigned */
        const char *model;              /* shared string */
        char *ports, *vectors;          /* virtio-serial */
        char *model_name;               /* <model name=…/>: the QEMU device of a PCI controller */
        char *target_chassis, *target_port;
        char *target_chassis_nr;        /* <target chassisNr=…/> of a pci-bridge */
        char *master_startport;         /* USB2 companion (ich9-uhciN): first port on its EHCI master */
        DomainDeviceInfo info;
} DomainControllerDef;

typedef enum {
        DOMAIN_NET_TYPE_USER = 0,
        DOMAIN_NET_TYPE_ETHERNET,
        DOMAIN_NET_TYPE_NETWORK,
        DOMAIN_NET_TYPE_BRIDGE,
        DOMAIN_NET_TYPE_DIRECT,
        DOMAIN_NET_TYPE_HOSTDEV,
        DOMAIN_NET_TYPE_VHOSTUSER,
        DOMAIN_NET_TYPE_VDPA,
        DOMAIN_NET_TYPE_UDP,
        DOMAIN_NET_TYPE_MCAST,
        DOMAIN_NET_TYPE_SERVER,
        DOMAIN_NET_TYPE_CLIENT,
        _DOMAIN_NET_TYPE_MAX,
} DomainNetType;
VMMD_ENUM_DECL(domain_net_type);

typedef struct {
        char *name, *value;
} DomainFilterParam;

typedef struct {
        DomainNetType type;
        char mac[18];
        char *src_network, *src_bridge, *src_dev, *src_mode, *src_portgroup;
        char *src_portid;               /* network: the vmmd-network port of a running guest (live XML) */
        xmlNodePtr source_verbatim;     /* the types vmmd cannot run: <source> kept as written */
        int managed;                    /* hostdev: tristate yes/no */
        char *model;
        char *target_dev;
        char *driver_name, *driver_queues;
        unsigned mtu;                   /* <mtu size=>, 0: none (the tap takes its bridge's) */
        char *link_state;
        char *filter;
        GPtrArray *filter_params;       /* DomainFilterParam */
        DomainDeviceInfo info;
} DomainNetDef;

typedef enum {
        DOMAIN_CHR_TYPE_NULL = 0,
        DOMAIN_CHR_TYPE_VC,
        DOMAIN_CHR_TYPE_PTY,
        DOMAIN_CHR_TYPE_DEV,
        DOMAIN_CHR_TYPE_FILE,
        DOMAIN_CHR_TYPE_PIPE,
        DOMAIN_CHR_TYPE_STDIO,
        DOMAIN_CHR_TYPE_UDP,
        DOMAIN_CHR_TYPE_TCP,
        DOMAIN_CHR_TYPE_UNIX,
        DOMAIN_CHR_TYPE_SPICEVMC,
        DOMAIN_CHR_TYPE_SPICEPORT,
        DOMAIN_CHR_TYPE_QEMU_VDAGENT,
        DOMAIN_CHR_TYPE_DBUS,
        _DOMAIN_CHR_TYPE_MAX,
} DomainChrType;
VMMD_ENUM_DECL(domain_chr_type);

typedef enum {
        DOMAIN_CHR_SERIAL = 0,
        DOMAIN_CHR_PARALLEL,
        DOMAIN_CHR_CONSOLE,
        DOMAIN_CHR_CHANNEL,
        _DOMAIN_CHR_MAX,
} DomainChrKind;

typedef struct {
        DomainChrType type;
        char *path;                     /* pty: live only; unix without one: picked at start */
        char *mode, *host, *service;
        char *channel;                  /* spiceport, dbus */
        char *protocol;
} DomainChrSource;

typedef struct {
        DomainChrKind kind;
        DomainChrSource src;
        char *target_type, *target_port, *target_name, *target_address, *target_state;
        DomainDeviceInfo info;
} DomainChrDef;

typedef enum {
        DOMAIN_GRAPHICS_TYPE_SDL = 0,
        DOMAIN_GRAPHICS_TYPE_VNC,
        DOMAIN_GRAPHICS_TYPE_RDP,
        DOMAIN_GRAPHICS_TYPE_DESKTOP,
        DOMAIN_GRAPHICS_TYPE_SPICE,
        DOMAIN_GRAPHICS_TYPE_EGL_HEADLESS,
        DOMAIN_GRAPHICS_TYPE_DBUS,
        _DOMAIN_GRAPHICS_TYPE_MAX,
} DomainGraphicsType;
VMMD_ENUM_DECL(domain_graphics_type);

typedef struct {
        char *type, *address, *network, *socket;
} DomainGraphicsListen;

/* A SPICE sub-element setting, <image compression='off'/> → { "image", "compression", "off" };
 * <channel name='main' mode='secure'/> keeps its name in 'name'. */
typedef struct {
        char *element, *attr, *value;
        char *name;                     /* <channel name=…> only */
} DomainGraphicsOption;

typedef struct {
        DomainGraphicsType type;
        int port, tls_port;             /* -1: automatic or unset */
        int autoport;                   /* tristate yes/no */
        char *passwd, *keymap, *socket;
        char *default_mode;             /* spice defaultMode */
        GPtrArray *listens;             /* DomainGraphicsListen */
        GPtrArray *options;             /* DomainGraphicsOption, spice only, in document order */
} DomainGraphicsDef;

/* <redirdev bus='usb' type='spicevmc'/>: a USB device forwarded from a SPICE client. */
typedef struct {
        char *bus;
        DomainChrSource src;
        DomainDeviceInfo info;
} DomainRedirdevDef;

typedef struct {
        char *model;
        char *vram, *ram, *vgamem, *heads;
        int primary;                    /* tristate yes/no */
        DomainDeviceInfo info;
} DomainVideoDef;

typedef struct {
        char *type, *bus;
        xmlNodePtr source_verbatim;     /* passthrough, evdev: <source> kept as written */
        DomainDeviceInfo info;
} DomainInputDef;

typedef struct {
        char *model;
        DomainDeviceInfo info;
} DomainSoundDef;

typedef struct {
        char *model;
        char *backend_model;
        char *backend_path;             /* random */
        DomainChrSource *backend_chr;   /* egd */
        char *rate_bytes, *rate_period;
        DomainDeviceInfo info;
} DomainRNGDef;

typedef struct {
        const char *model;              /* shared string */
        int autodeflate, free_page_reporting;
        char *stats_period;
        DomainDeviceInfo info;
} DomainMemballoonDef;

typedef struct {
        char *model, *action;
        DomainDeviceInfo info;
} DomainWatchdogDef;

typedef struct {
        char *model;
        DomainDeviceInfo info;
} DomainPanicDef;

/* --- the rest of the definition --- */

typedef struct {
        unsigned id, value;
} DomainNumaDistance;

/* A guest NUMA node: its vCPUs, its memory and its distances to the others */
typedef struct {
        unsigned id;
        char *cpus;                     /* "0-3,8" */
        unsigned long long memory_kib;
        char *mem_access, *discard;
        GArray *distances;              /* DomainNumaDistance */
} DomainNumaCell;

/* One <sysinfo type='smbios'> string: <system><entry name='serial'>…</entry> gives
 * { "system", "serial", … }; oemStrings' <string> has no name. */
typedef struct {
        char *block, *name, *value;
} DomainSysinfoEntry;

typedef enum {
        DOMAIN_SECLABEL_DYNAMIC = 0,
        DOMAIN_SECLABEL_STATIC,
        DOMAIN_SECLABEL_NONE,
        _DOMAIN_SECLABEL_MAX,
} DomainSeclabelType;
VMMD_ENUM_DECL(domain_seclabel_type);

typedef struct {
        DomainSeclabelType type;
        char *model;
        int relabel;                    /* tristate yes/no */
        char *label, *imagelabel, *baselabel;
} DomainSeclabelDef;

typedef struct {
        char *name;
        char *state, *eoi, *version, *driver, *policy, *mode;
        GPtrArray *children;            /* xmlNodePtr copies kept verbatim (hyperv, kvm …) */
} DomainFeatureDef;

typedef struct {
        char *name, *present, *tickpolicy, *track, *frequency, *mode;
} DomainTimerDef;

typedef struct {
        char *policy, *name;
} DomainCpuFeatureDef;

/* the top-level tuning elements, in the order libvirt writes them (domain-conf-tuning.c) */
typedef enum {
        DOMAIN_TUNING_BLKIOTUNE,
        DOMAIN_TUNING_MEMTUNE,
        DOMAIN_TUNING_MEMORY_BACKING,
        DOMAIN_TUNING_IOTHREADS,
        DOMAIN_TUNING_IOTHREADIDS,
        DOMAIN_TUNING_CPUTUNE,
        DOMAIN_TUNING_NUMATUNE,
        DOMAIN_TUNING_RESOURCE,
        DOMAIN_TUNING_IDMAP,
        DOMAIN_TUNING_KEYWRAP,
        DOMAIN_TUNING_LAST
} DomainTuning;

typedef enum {
        DOMAIN_TUNING_AT_MEMORY,        /* after <currentMemory> */
        DOMAIN_TUNING_AT_VCPU,          /* after <vcpu> */
        DOMAIN_TUNING_AT_OS,            /* after <os> */
        DOMAIN_TUNING_AT_END,           /* after <seclabel> */
} DomainTuningPlace;

/* <memoryBacking>, as the command line needs it */
typedef struct {
        bool hugepages;
        unsigned long long hugepage_kib;        /* the <page> without nodeset; 0: the host's default size */
        bool per_node_pages;                    /* a <page nodeset=…> */
        bool nosharepages, locked, discard;
        char *source_type;                      /* file, anonymous, memfd */
        char *access_mode;                      /* shared, private */
        char *allocation_mode;                  /* immediate, ondemand */
        unsigned allocation_threads;
} DomainMemoryBackingDef;

struct DomainDef {
        const char *virt_type;          /* the common values below are shared strings (shared-string.h) */
        int id;
        char *name;
        char uuid[37];
        char *genid;                    /* <genid>: the VM generation ID the guest sees; NULL: none */
        char *title, *description;
        xmlDocPtr metadata;             /* a private document whose root is <metadata> */

        unsigned long long memory_kib, current_memory_kib, max_memory_kib;
        char *max_memory_slots;
        unsigned vcpus;
        const char *vcpu_placement;
        char *vcpu_cpuset;
        unsigned vcpu_current;          /* 0: same as vcpus */

        const char *os_type, *os_arch, *os_machine;
        char *os_firmware;
        char *os_loader, *os_loader_readonly, *os_loader_type, *os_loader_secure;
        char *os_nvram, *os_nvram_template;
        char *os_kernel, *os_initrd, *os_cmdline, *os_dtb;
        DomainList os_boot;             /* char *: hd, cdrom, network, fd */
        char *os_smbios_mode;           /* <smbios mode=…>: emulate, host, sysinfo */
        char *sysinfo_type;             /* <sysinfo type=…>; NULL when there is none */
        DomainList sysinfo;             /* DomainSysinfoEntry, in document order */
        int os_bootmenu;                /* tristate yes/no */
        char *os_bootmenu_timeout;

        DomainList features;            /* DomainFeatureDef */

        char *cpu_mode, *cpu_match, *cpu_check, *cpu_migratable;
        char *cpu_model, *cpu_model_fallback, *cpu_vendor;
        char *cpu_sockets, *cpu_dies, *cpu_cores, *cpu_threads;
        DomainList cpu_features;        /* DomainCpuFeatureDef */
        DomainList numa_cells;          /* DomainNumaCell, ids 0..n-1 in order */

        const char *clock_offset;
        char *clock_adjustment, *clock_basis, *clock_timezone;
        DomainList timers;              /* DomainTimerDef */

        DomainLifecycleAction on_poweroff, on_reboot, on_crash;
        int pm_suspend_to_mem, pm_suspend_to_disk;     /* <pm>: tristate yes/no */

        const char *emulator;
        DomainList disks, controllers, nets, serials, parallels, consoles, channels;
        DomainList inputs, graphics, sounds, videos, watchdogs, rngs, panics, redirdevs;
        DomainList other_devices;       /* xmlNodePtr: device elements without a parser, kept as written
                                         * (<audio>, <hub>, <hostdev>, <tpm>, …); Create names them */
        DomainMemballoonDef *memballoon;

        /* the tuning elements as written (blanks stripped), formatted back where libvirt puts them */
        xmlNodePtr tuning[DOMAIN_TUNING_LAST];
        DomainMemoryBackingDef mem_backing;
        unsigned iothreads;             /* <iothreads> */
        GArray *iothread_ids;           /* unsigned, <iothreadids>; NULL without */
        DomainList seclabels;           /* DomainSeclabelDef */
        char **seclabel_models;         /* cache for domain_def_get_seclabel_models() */
};

/* Read-only questions about a definition that the parse files answer too. */
bool domain_def_is_q35(const DomainDef *def);
int domain_sysinfo_table(const char *block);     /* SMBIOS table type of a <sysinfo> block, -1 if none */
GArray *domain_iothread_ids(const DomainDef *def);       /* unsigned, the ids the guest's iothreads get */
const char *domain_tuning_name(DomainTuning t);
/* The <address> (and <boot>) of a device element; the command line reads them from devices kept
 * as written (<hostdev>). */
bool domain_device_address_parse(xmlNodePtr node, DomainDeviceInfo *info, GError **error);
void domain_device_info_clear(DomainDeviceInfo *info);
