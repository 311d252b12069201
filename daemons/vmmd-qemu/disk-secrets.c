/* The passphrases of encrypted disks: asked from vmmd-secret at start, handed to QEMU in pipes (issue 14). */
#include "disk-secrets.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "domain-conf-priv.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "secret-client.h"
#include "vmmd/secret1.h"

typedef struct Fetch {
        sd_bus *bus;
        const DomainDef *def;
        guint disk;              /* the disk whose value is being asked */
        GArray *fds;
        DiskSecretsFunc done;
        void *userdata;
} Fetch;

static DomainDiskDef *disk_at(const DomainDef *def, guint i) {
        return domain_list_at(def->disks, i);
}

bool disk_secrets_needed(const DomainDef *def) {
        for (guint i = 0; i < domain_list_len(def->disks); i++)
                if (disk_at(def, i)->enc_format)
                        return true;
        return false;
}

void disk_secrets_close(GArray *fds) {
        vmmd_close_fd_array(fds);
}

static void fetch_finish(Fetch *f, const GError *error) {
        if (error) {
                /* X20: OperationDenied here means vmmd-secret's config or the bus policy is wrong */
                log_warning("%s", error->message);
                disk_secrets_close(g_steal_pointer(&f->fds));
                f->done(error, NULL, f->userdata);
        } else
                f->done(NULL, g_steal_pointer(&f->fds), f->userdata);
        sd_bus_unref(f->bus);
        g_free(f);
}

static void fetch_next(Fetch *f);

static void on_value(const GError *error, const uint8_t *value, size_t len, void *userdata) {
        Fetch *f = userdata;
        g_autoptr(GError) local = NULL;
        int fd;

        if (error)
                return fetch_finish(f, error);
        fd = vmmd_secret_pipe(value, len);
        if (fd < 0) {
                vmmd_error_set_errno(&local, fd, "cannot pass the passphrase of disk '%s' to QEMU",
                                     disk_at(f->def, f->disk)->target_dev);
                return fetch_finish(f, local);
        }
        g_array_index(f->fds, int, f->disk) = fd;
        f->disk++;
        fetch_next(f);
}

/* the next encrypted disk that names a secret (one that names none is refused by the command
 * line builder), or done */
static void fetch_next(Fetch *f) {
        for (; f->disk < domain_list_len(f->def->disks); f->disk++) {
                DomainDiskDef *d = disk_at(f->def, f->disk);
                g_autofree char *what = NULL;
                g_autoptr(GError) error = NULL;

                if (!d->enc_format || (!d->enc_secret_uuid && !d->enc_secret_usage))
                        continue;
                what = g_strdup_printf("disk '%s'", d->target_dev);
                if (!vmmd_secret_get_value_async(f->bus, d->enc_secret_uuid, SECRET_USAGE_TYPE_VOLUME,
                                                 d->enc_secret_usage, what, on_value, f, &error))
                        fetch_finish(f, error);
                return;
        }
        fetch_finish(f, NULL);
}

void disk_secrets_fetch_async(sd_bus *bus, const DomainDef *def, DiskSecretsFunc done, void *userdata) {
        Fetch *f = g_new0(Fetch, 1);
        int none = -1;

        f->bus = bus ? sd_bus_ref(bus) : NULL;
        f->def = def;
        f->done = done;
        f->userdata = userdata;
        f->fds = g_array_new(FALSE, FALSE, sizeof(int));
        for (guint i = 0; i < domain_list_len(def->disks); i++)
                g_array_append_val(f->fds, none);
        fetch_next(f);
}

GError *disk_secrets_explain_failure(const DomainDef *def, const char *domain_name, const char *tail) {
        const char *bad = tail ? strstr(tail, "Invalid password") : NULL;
        const char *line, *node;
        unsigned n = 0;
        DomainDiskDef *d = NULL;

        if (!bad)
                return NULL;
        /* QEMU names the -blockdev it could not open; its node name carries the disk's index */
        for (line = bad; line > tail && line[-1] != '\n'; line--)
                ;
        node = g_strstr_len(line, bad - line, "\"node-name\": \"libvirt-");
        if (!node)
                node = g_strstr_len(line, bad - line, "\"node-name\":\"libvirt-");
        if (node && sscanf(strstr(node, "libvirt-"), "libvirt-%u-format", &n) == 1 && n >= 1 && n <= domain_list_len(def->disks))
                d = disk_at(def, n - 1);
        if (!d) {
                /* one encrypted disk: it is that one */
                for (guint i = 0; i < domain_list_len(def->disks); i++)
                        if (disk_at(def, i)->enc_format) {
                                if (d) {
                                        d = NULL;
                                        break;
                                }
                                d = disk_at(def, i);
                        }
        }
        if (!d)
                return g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                   "domain '%s': the passphrase of an encrypted disk does not unlock it "
                                   "(QEMU: Invalid password)", domain_name);
        return g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                           "domain '%s': the passphrase in secret '%s' does not unlock the LUKS encryption of "
                           "disk '%s' (QEMU: Invalid password)", domain_name,
                           d->enc_secret_uuid ? d->enc_secret_uuid : d->enc_secret_usage, d->target_dev);
}
