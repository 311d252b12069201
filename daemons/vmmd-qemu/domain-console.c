/* Handing a guest's serial console to a client as a file descriptor. */
#include "domain-console.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "domain-def.h"
#include "error.h"
#include "qemu-monitor.h"

typedef struct ConsoleRequest {
        Domain *domain;
        char *label;          /* QEMU chardev id */
        DomainConsoleFunc done;
        void *userdata;
} ConsoleRequest;

static int connect_unix(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static void on_query_chardev(Qmp *q, const GPtrArray *chardevs, const char *error, void *userdata) {
        ConsoleRequest *req = userdata;
        g_autoptr(GError) gerr = NULL;
        const char *pty = NULL;
        int fd = -1;

        for (guint i = 0; chardevs && i < chardevs->len; i++) {
                const QemuMonitorChardev *c = g_ptr_array_index(chardevs, i);
                if (g_strcmp0(c->label, req->label) == 0 && c->filename && g_str_has_prefix(c->filename, "pty:"))
                        pty = c->filename + strlen("pty:");
        }
        if (!pty)
                gerr = g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "cannot find the pty of console '%s': %s",
                                   req->label, error ? error : "QEMU did not report it");
        else {
                fd = open(pty, O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (fd < 0)
                        vmmd_error_set_errno(&gerr, -errno, "cannot open console pty '%s'", pty);
        }
        req->done(req->domain, fd, gerr, req->userdata);
        g_free(req->label);
        g_free(req);
}

/* The chardev behind a device name, with its QEMU id (as qemu-command.c names them). */
static const DomainChrDef *find_chardev(const DomainDef *def, const char *device, char **ret_label) {
        if (!*device || g_str_equal(device, "serial0") || g_str_equal(device, "console0")) {
                if (domain_list_len(def->serials) > 0 && g_strcmp0(device, "console0") != 0) {
                        *ret_label = g_strdup("charserial0");
                        return domain_list_at(def->serials, 0);
                }
                if (domain_list_len(def->consoles) > 0) {
                        *ret_label = g_strdup(domain_list_len(def->serials) > 0 ? "charserial0" : "charconsole0");
                        return domain_list_len(def->serials) > 0 ? domain_list_at(def->serials, 0)
                                                     : domain_list_at(def->consoles, 0);
                }
                return NULL;
        }
        if (g_str_has_prefix(device, "serial")) {
                guint64 n;
                if (g_ascii_string_to_unsigned(device + strlen("serial"), 10, 0, G_MAXUINT, &n, NULL) &&
                    n < domain_list_len(def->serials)) {
                        *ret_label = g_strdup_printf("charserial%u", (unsigned) n);
                        return domain_list_at(def->serials, n);
                }
        }
        return NULL;
}

bool domain_open_console(Domain *d, const char *device, DomainConsoleFunc done, void *userdata, GError **error) {
        g_autofree char *label = NULL;
        const DomainChrDef *chr;
        int fd;

        if (!domain_is_active(d) || !d->run.qmp) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is not running",
                            domain_name(d));
                return false;
        }
        chr = find_chardev(d->def, device, &label);
        if (!chr) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "domain '%s' has no console '%s'",
                            domain_name(d), *device ? device : "(default)");
                return false;
        }
        switch (chr->src.type) {
        case DOMAIN_CHR_TYPE_PTY: {
                ConsoleRequest *req = g_new0(ConsoleRequest, 1);
                req->domain = d;
                req->label = g_steal_pointer(&label);
                req->done = done;
                req->userdata = userdata;
                if (qemu_monitor_query_chardev(d->run.qmp, on_query_chardev, req) < 0) {
                        g_free(req->label);
                        g_free(req);
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "monitor of domain '%s' is closed",
                                    domain_name(d));
                        return false;
                }
                return true;
        }
        case DOMAIN_CHR_TYPE_UNIX:
                if (chr->src.mode && g_str_equal(chr->src.mode, "connect"))
                        break;
                fd = connect_unix(chr->src.path);
                if (fd < 0) {
                        vmmd_error_set_errno(error, fd, "cannot connect to console socket '%s'", chr->src.path);
                        return false;
                }
                done(d, fd, NULL, userdata);
                return true;
        case DOMAIN_CHR_TYPE_FILE:
                /* the log of what the guest wrote; there is no input side */
                fd = open(chr->src.path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        vmmd_error_set_errno(error, -errno, "cannot open console file '%s'", chr->src.path);
                        return false;
                }
                done(d, fd, NULL, userdata);
                return true;
        default:
                break;
        }
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_UNSUPPORTED,
                    "console '%s' of domain '%s' is of type '%s', which cannot be handed out",
                    *device ? device : "(default)", domain_name(d), domain_chr_type_to_string(chr->src.type));
        return false;
}
