/* Host resources a start picks for the live definition: graphics ports, listen addresses, channel socket paths. */
#include "domain-resources.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "domain-def.h"
#include "error.h"
#include "fileio.h"
#include "manager.h"

/* libvirt's remote_display_port_min/max: VNC and SPICE share one range */
#define DISPLAY_PORT_MIN 5900
#define DISPLAY_PORT_MAX 65535

/* Where QEMU will listen when the XML names no address: loopback, as libvirt's default */
#define DEFAULT_LISTEN "127.0.0.1"

static void collect_ports(const DomainDef *def, GHashTable *used) {
        for (guint i = 0; def && i < domain_list_len(def->graphics); i++) {
                const DomainGraphicsDef *g = domain_list_at(def->graphics, i);
                if (g->port > 0)
                        g_hash_table_add(used, GINT_TO_POINTER(g->port));
                if (g->tls_port > 0)
                        g_hash_table_add(used, GINT_TO_POINTER(g->tls_port));
        }
}

/* A port is free when nothing of ours uses it and a socket can be bound to it on the listen
 * address (another program's server, or another daemon's QEMU, holds it otherwise). */
static bool port_bindable(const char *listen, int port) {
        struct sockaddr_storage ss = { 0 };
        socklen_t len;
        int fd, one = 1;
        bool ok;

        if (strchr(listen, ':')) {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) &ss;
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(port);
                if (inet_pton(AF_INET6, listen, &s6->sin6_addr) != 1)
                        s6->sin6_addr = in6addr_any;
                len = sizeof(*s6);
        } else {
                struct sockaddr_in *s4 = (struct sockaddr_in *) &ss;
                s4->sin_family = AF_INET;
                s4->sin_port = htons(port);
                if (inet_pton(AF_INET, listen, &s4->sin_addr) != 1)
                        s4->sin_addr.s_addr = htonl(INADDR_ANY);
                len = sizeof(*s4);
        }
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        /* QEMU sets SO_REUSEADDR too: a port in TIME_WAIT is usable */
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        ok = bind(fd, (struct sockaddr *) &ss, len) == 0;
        close(fd);
        return ok;
}

static const char *listen_address(DomainGraphicsDef *g) {
        for (guint i = 0; i < g->listens->len; i++) {
                DomainGraphicsListen *l = g_ptr_array_index(g->listens, i);
                if (g_strcmp0(l->type, "address") == 0) {
                        if (!l->address)
                                l->address = g_strdup(DEFAULT_LISTEN);
                        return l->address;
                }
        }
        return DEFAULT_LISTEN;
}

static bool pick_graphics_ports(Manager *m, DomainDef *live, GError **error) {
        g_autoptr(GHashTable) used = g_hash_table_new(g_direct_hash, g_direct_equal);
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, m->domains);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Domain *other = value;
                if (domain_is_active(other))
                        collect_ports(other->def, used);
        }
        for (guint i = 0; i < domain_list_len(live->graphics); i++) {
                DomainGraphicsDef *g = domain_list_at(live->graphics, i);
                const char *listen;
                int port;

                if (g->type != DOMAIN_GRAPHICS_TYPE_VNC && g->type != DOMAIN_GRAPHICS_TYPE_SPICE)
                        continue;
                if (g->socket)
                        continue;
                listen = listen_address(g);
                if (g->autoport != 1 && g->port >= 0)
                        continue;
                for (port = DISPLAY_PORT_MIN; port <= DISPLAY_PORT_MAX; port++)
                        if (!g_hash_table_contains(used, GINT_TO_POINTER(port)) && port_bindable(listen, port))
                                break;
                if (port > DISPLAY_PORT_MAX) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                    "no free port for %s graphics on %s between %d and %d",
                                    domain_graphics_type_to_string(g->type), listen, DISPLAY_PORT_MIN, DISPLAY_PORT_MAX);
                        return false;
                }
                g->port = port;
                g_hash_table_add(used, GINT_TO_POINTER(port));
        }
        return true;
}

/* The directory of a domain's channel sockets: named by the first 8 digits of its UUID,
 * because a socket path must fit in 108 bytes; by the whole UUID in the unlikely case that
 * another running domain's UUID starts the same. */
static char *channel_dir(Manager *m, const DomainDef *live) {
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, m->domains);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Domain *other = value;
                if (domain_is_active(other) && strcmp(other->uuid, live->uuid) != 0 &&
                    strncmp(other->uuid, live->uuid, 8) == 0)
                        return g_strdup_printf("%s/channel/%s", m->paths->run_dir, live->uuid);
        }
        return g_strdup_printf("%s/channel/%.8s", m->paths->run_dir, live->uuid);
}

/* A unix channel without a path gets <run dir>/channel/<uuid prefix>/<target name>, as
 * libvirt picks one under its own run directory; the live XML shows it. */
static bool pick_channel_paths(Manager *m, DomainDef *live, GError **error) {
        const DomainList lists[] = { live->serials, live->parallels, live->consoles, live->channels };
        static const char *const kinds[] = { "serial", "parallel", "console", "channel" };
        g_autofree char *dir = channel_dir(m, live);
        bool made = false;

        for (size_t k = 0; k < G_N_ELEMENTS(lists); k++) {
                for (guint i = 0; i < domain_list_len(lists[k]); i++) {
                        DomainChrDef *chr = domain_list_at(lists[k], i);
                        g_autofree char *base = NULL, *path = NULL;
                        int r;

                        if (chr->src.type != DOMAIN_CHR_TYPE_UNIX || chr->src.path)
                                continue;
                        if (chr->src.mode && !g_str_equal(chr->src.mode, "bind")) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                            "unix %s %u connects (mode='connect') but names no path", kinds[k], i);
                                return false;
                        }
                        base = chr->target_name && !strchr(chr->target_name, '/') ?
                               g_strdup(chr->target_name) : g_strdup_printf("%s%u", kinds[k], i);
                        path = g_strdup_printf("%s/%s", dir, base);
                        if (strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path)) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                            "the socket path '%s' for unix %s %u is too long; give <source path='...'> "
                                            "a shorter one", path, kinds[k], i);
                                return false;
                        }
                        if (!made) {
                                r = vmmd_mkdir_p(dir, 0750);
                                if (r < 0) {
                                        vmmd_error_set_errno(error, r, "cannot create channel directory '%s'", dir);
                                        return false;
                                }
                                made = true;
                        }
                        chr->src.path = g_steal_pointer(&path);
                        if (!chr->src.mode)
                                chr->src.mode = g_strdup("bind");
                }
        }
        return true;
}

/* Debian's ovmf package; VMMD_FIRMWARE_DIR points elsewhere (tests use it to see the
 * refusal when the package is missing) */
static const char *firmware_dir(void) {
        const char *d = g_getenv("VMMD_FIRMWARE_DIR");
        return d && *d ? d : "/usr/share/OVMF";
}

/* <os firmware='efi'> (or a pflash loader without a path) gets OVMF's code and a vars
 * template; a pflash loader without <nvram> gets <state dir>/nvram/<name>_VARS.fd, created
 * from the template when missing, as libvirt keeps one per domain. */
static bool pick_firmware(Manager *m, DomainDef *live, GError **error) {
        bool efi = g_strcmp0(live->os_firmware, "efi") == 0;
        bool pflash = g_strcmp0(live->os_loader_type, "pflash") == 0;
        bool secure = g_strcmp0(live->os_loader_secure, "yes") == 0;
        int r;

        /* BIOS, or a ROM loader: nothing to pick */
        if (!efi && !pflash)
                return true;
        if (!live->os_loader) {
                g_autofree char *code = g_build_filename(firmware_dir(), secure ? "OVMF_CODE_4M.secboot.fd" :
                                                         "OVMF_CODE_4M.fd", NULL);
                g_autofree char *vars = g_build_filename(firmware_dir(), secure ? "OVMF_VARS_4M.ms.fd" :
                                                         "OVMF_VARS_4M.fd", NULL);

                if (!g_file_test(code, G_FILE_TEST_EXISTS) || !g_file_test(vars, G_FILE_TEST_EXISTS)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                    "UEFI firmware%s needs the 'ovmf' package: '%s' is missing; install ovmf "
                                    "or remove firmware='efi'", secure ? " with secure boot" : "",
                                    g_file_test(code, G_FILE_TEST_EXISTS) ? vars : code);
                        return false;
                }
                live->os_loader = g_steal_pointer(&code);
                g_free(live->os_loader_readonly);
                live->os_loader_readonly = g_strdup("yes");
                g_free(live->os_loader_type);
                live->os_loader_type = g_strdup("pflash");
                if (!live->os_nvram_template)
                        live->os_nvram_template = g_steal_pointer(&vars);
        }
        if (g_strcmp0(live->os_loader_type, "pflash") != 0)
                return true;
        if (!live->os_nvram) {
                g_autofree char *dir = g_build_filename(m->paths->state_dir, "nvram", NULL);
                live->os_nvram = g_strdup_printf("%s/%s_VARS.fd", dir, live->name);
        }
        /* the store is a file this daemon may create: only an absolute path names one (an
         * <nvram> whose text is blank, e.g. one holding a <source> element, would otherwise be
         * created relative to wherever the daemon runs) */
        if (!g_path_is_absolute(g_strstrip(live->os_nvram))) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "<nvram> must give the UEFI variable store as an absolute file path, not '%s' "
                            "(<nvram> with a <source> or type='network' is not supported)", live->os_nvram);
                return false;
        }
        if (!g_file_test(live->os_nvram, G_FILE_TEST_EXISTS)) {
                g_autofree char *data = NULL, *dir = g_path_get_dirname(live->os_nvram);
                size_t len = 0;

                if (!live->os_nvram_template) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                    "the UEFI variable store '%s' does not exist and <nvram> names no template",
                                    live->os_nvram);
                        return false;
                }
                r = vmmd_read_file(live->os_nvram_template, &data, &len);
                if (r < 0) {
                        vmmd_error_set_errno(error, r, "cannot read the UEFI variable template '%s'",
                                             live->os_nvram_template);
                        return false;
                }
                r = vmmd_mkdir_p(dir, 0755);
                if (r >= 0)
                        r = vmmd_write_file_atomic(live->os_nvram, data, len, 0600);
                if (r < 0) {
                        vmmd_error_set_errno(error, r, "cannot create the UEFI variable store '%s'", live->os_nvram);
                        return false;
                }
        }
        return true;
}

bool domain_pick_host_resources(Manager *m, DomainDef *live, GError **error) {
        return pick_firmware(m, live, error) && pick_graphics_ports(m, live, error) &&
               pick_channel_paths(m, live, error);
}

void domain_release_host_resources(Manager *m, const DomainDef *live) {
        DomainList lists[4];

        if (!live)
                return;
        lists[0] = live->serials;
        lists[1] = live->parallels;
        lists[2] = live->consoles;
        lists[3] = live->channels;
        /* the sockets the start put under the run dir, then their directory (ours) */
        for (size_t k = 0; k < G_N_ELEMENTS(lists); k++)
                for (guint i = 0; i < domain_list_len(lists[k]); i++) {
                        const DomainChrDef *chr = domain_list_at(lists[k], i);
                        g_autofree char *prefix = g_strdup_printf("%s/channel/", m->paths->run_dir);
                        g_autofree char *dir = NULL;

                        if (chr->src.type != DOMAIN_CHR_TYPE_UNIX || !chr->src.path ||
                            !g_str_has_prefix(chr->src.path, prefix))
                                continue;
                        (void) unlink(chr->src.path);
                        dir = g_path_get_dirname(chr->src.path);
                        (void) rmdir(dir);
                }
}

const char *domain_graphics_password(const DomainDef *def, const char **protocol, guint *index) {
        for (guint i = *index; i < domain_list_len(def->graphics); i++) {
                const DomainGraphicsDef *g = domain_list_at(def->graphics, i);
                if ((g->type == DOMAIN_GRAPHICS_TYPE_VNC || g->type == DOMAIN_GRAPHICS_TYPE_SPICE) && g->passwd) {
                        *protocol = domain_graphics_type_to_string(g->type);
                        *index = i + 1;
                        return g->passwd;
                }
        }
        return NULL;
}
