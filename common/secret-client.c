/* Asking vmmd-secret's Internal interface for a value (secrets.md X18), and handing a value on through a pipe. */
#include "secret-client.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "vmmd/secret1.h"

/* includes activating vmmd-secret */
#define CALL_USEC (30 * G_USEC_PER_SEC)

typedef struct Fetch {
        char *what;
        VmmdSecretValueFunc done;
        void *userdata;
} Fetch;

static void fetch_free(Fetch *f) {
        g_free(f->what);
        g_free(f);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Fetch *f = userdata;
        g_autoptr(GError) error = NULL;
        const void *value = NULL;
        size_t len = 0;
        int r;

        /* the bytes are cleared when the message is freed */
        (void) sd_bus_message_sensitive(m);
        if (sd_bus_message_is_method_error(m, NULL)) {
                g_autoptr(GError) e = NULL;
                vmmd_error_from_bus(sd_bus_message_get_error(m), &e);
                g_set_error(&error, VMMD_ERROR, e->code, "cannot get the secret of %s: %s", f->what, e->message);
        } else if ((r = sd_bus_message_read_array(m, 'y', &value, &len)) < 0)
                vmmd_error_set_errno(&error, r, "bad reply from vmmd-secret for %s", f->what);
        f->done(error, error ? NULL : value ? value : (const uint8_t *) "", error ? 0 : len, f->userdata);
        fetch_free(f);
        return 0;
}

bool vmmd_secret_get_value_async(sd_bus *bus, const char *uuid, int usage_type, const char *usage_id,
                                 const char *what, VmmdSecretValueFunc done, void *userdata, GError **error) {
        g_autoptr(sd_bus_message) call = NULL;
        Fetch *f;
        int r;

        if (!bus) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "%s needs a secret from vmmd-secret, but there is no bus", what);
                return false;
        }
        r = sd_bus_message_new_method_call(bus, &call, SECRET_BUS_NAME, SECRET_MANAGER_PATH,
                                           SECRET_INTERNAL_INTERFACE, uuid ? "GetValue" : "GetValueByUsage");
        if (r >= 0)
                r = uuid ? sd_bus_message_append(call, "s", uuid) :
                           sd_bus_message_append(call, "is", (int32_t) usage_type, usage_id ? usage_id : "");
        f = g_new0(Fetch, 1);
        f->what = g_strdup(what);
        f->done = done;
        f->userdata = userdata;
        if (r >= 0)
                r = sd_bus_call_async(bus, NULL, call, on_reply, f, CALL_USEC);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot ask vmmd-secret for the secret of %s", what);
                fetch_free(f);
                return false;
        }
        return true;
}

int vmmd_secret_pipe(const uint8_t *value, size_t len) {
        int p[2], r;
        size_t off = 0;

        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        /* a pipe holds 64 KiB by default; make room for the largest value and a little more */
        if (len > 0)
                (void) fcntl(p[1], F_SETPIPE_SZ, (int) MAX(len, (size_t) 65536));
        while (off < len) {
                ssize_t n = write(p[1], value + off, len - off);
                if (n < 0) {
                        r = errno == EAGAIN ? -ENOSPC : -errno;
                        close(p[0]);
                        close(p[1]);
                        return r;
                }
                off += (size_t) n;
        }
        close(p[1]);
        /* the reader is a blocking program: it must not see EAGAIN */
        (void) fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) & ~O_NONBLOCK);
        return p[0];
}
