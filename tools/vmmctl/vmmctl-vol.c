/* vmmctl commands about storage volumes (vmmd-storage, spec storage.md §1–§2): create, clone, delete, wipe,
 * resize, upload, download, list, info, dumpxml, path, key, name, pool. */
#include "vmmctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

/* How often a transfer looks at the local file to redraw its progress bar. */
#define PROGRESS_POLL_USEC (200 * 1000)

/* --- finding a volume --- */

static int lookup_vol_by(Ctl *ctl, const char *path, const char *iface, const char *member, const char *arg,
                         sd_bus_error *error, char **ret_path) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o = NULL;
        int r;

        r = sd_bus_call_method(ctl->bus, STORAGE_BUS_NAME, path, iface, member, error, &reply, "s", arg);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &o);
        if (r < 0)
                return r;
        *ret_path = g_strdup(o);
        return 0;
}

/* virsh's order: by name in --pool, then by key, then by path (made absolute: the daemon cannot see
 * our working directory). A volume found by key or path must be in --pool when one is given. */
static int vol_lookup(Ctl *ctl, const CtlArgs *args, const char *arg, char **ret_path) {
        g_auto(sd_bus_error) name_error = SD_BUS_ERROR_NULL;
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autofree char *pool_path = NULL;
        g_autofree char *found = NULL;
        g_autofree char *abs = NULL;
        const char *pool = ctl_args_get(args, "pool");
        int r;

        if ((r = ctl_connect(ctl)) < 0)
                return r;
        if (pool) {
                r = ctl_pool_lookup(ctl, pool, &pool_path);
                if (r < 0)
                        return r;
                r = lookup_vol_by(ctl, pool_path, STORAGE_POOL_INTERFACE, "StorageVolLookupByName", arg, &name_error,
                                  ret_path);
                if (r >= 0)
                        return 0;
                if (!sd_bus_error_has_name(&name_error, VMMD_DBUS_ERROR_NO_STORAGE_VOL)) {
                        ctl_print_bus_error(&name_error, r);
                        return r;
                }
        }
        r = lookup_vol_by(ctl, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE, "StorageVolLookupByKey", arg,
                          &error, &found);
        if (r < 0 && sd_bus_error_has_name(&error, VMMD_DBUS_ERROR_NO_STORAGE_VOL)) {
                sd_bus_error_free(&error);
                abs = ctl_absolute_path(arg);
                r = lookup_vol_by(ctl, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE, "StorageVolLookupByPath",
                                  abs, &error, &found);
        }
        if (r >= 0 && pool_path) {
                g_autofree char *owner = NULL;

                r = ctl_storage_get_string(ctl, found, STORAGE_VOL_INTERFACE, "Pool", &owner);
                if (r < 0)
                        return r;
                if (!g_str_equal(owner, pool_path)) {
                        ctl_error("Requested volume '%s' is not in pool '%s'", arg, pool);
                        return -ENOENT;
                }
        }
        if (r >= 0) {
                *ret_path = g_steal_pointer(&found);
                return 0;
        }
        if (pool)
                ctl_print_bus_error(&name_error, r);
        else {
                ctl_print_bus_error(&error, r);
                if (sd_bus_error_has_name(&error, VMMD_DBUS_ERROR_NO_STORAGE_VOL))
                        ctl_error("failed to get vol '%s', specifying --pool might help", arg);
        }
        return r;
}

static int vol_get_string(Ctl *ctl, const char *vol, const char *prop, char **ret) {
        return ctl_storage_get_string(ctl, vol, STORAGE_VOL_INTERFACE, prop, ret);
}

/* Calls a method on the volume named by arg (and --pool). */
static int call_vol(Ctl *ctl, const CtlArgs *args, const char *arg, const char *member, sd_bus_message **ret_reply,
                    const char *types, ...) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;
        va_list ap;
        int r;

        r = vol_lookup(ctl, args, arg, &path);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = sd_bus_call_methodv(ctl->bus, STORAGE_BUS_NAME, path, STORAGE_VOL_INTERFACE, member, &error, ret_reply,
                                types, ap);
        va_end(ap);
        if (r < 0)
                ctl_print_bus_error(&error, r);
        return r;
}

static int vol_get_info(Ctl *ctl, const char *vol, uint32_t flags, int32_t *type, uint64_t *capacity,
                        uint64_t *allocation) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = ctl_storage_call(ctl, vol, STORAGE_VOL_INTERFACE, "GetInfo", &reply, "u", flags);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "(itt)", type, capacity, allocation);
        if (r < 0)
                ctl_error("unexpected reply to GetInfo: %s", g_strerror(-r));
        return r;
}

static const char *vol_type_to_string(int type) {
        static const char *const names[] = { "file", "block", "dir", "network", "netdir", "ploop" };

        return type >= 0 && (size_t) type < G_N_ELEMENTS(names) ? names[type] : "unknown";
}

/* --- create, clone, delete, wipe, resize --- */

/* StorageVolCreateXML or …From on pool_path; prints "Vol NAME <what>" with the new volume's name. */
static int create_in_pool(Ctl *ctl, const char *pool_path, const char *xml, const char *source, uint32_t flags,
                          const char *what) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *name = NULL;
        const char *path = NULL;
        int r;

        if (source)
                r = ctl_storage_call(ctl, pool_path, STORAGE_POOL_INTERFACE, "StorageVolCreateXMLFrom", &reply, "sou", xml,
                                     source, flags);
        else
                r = ctl_storage_call(ctl, pool_path, STORAGE_POOL_INTERFACE, "StorageVolCreateXML", &reply, "su", xml, flags);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = vol_get_string(ctl, path, "Name", &name);
        if (r < 0)
                return r;
        printf("Vol %s %s\n", name, what);
        return 0;
}

static int cmd_vol_create(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *pool_path = NULL;
        g_autofree char *what = NULL;
        g_autofree char *xml = NULL;
        const char *file = ctl_args_pos(args, 1);
        int r;

        xml = ctl_read_file(file);
        if (!xml)
                return -EIO;
        r = ctl_pool_lookup(ctl, ctl_args_pos(args, 0), &pool_path);
        if (r < 0)
                return r;
        what = g_strdup_printf("created from %s", file);
        return create_in_pool(ctl, pool_path, xml, NULL, args->flags, what);
}

/* --backing-vol: like virsh, a volume of the same pool by name, else any volume by key or path. */
static int backing_vol_path(Ctl *ctl, const char *pool_path, const char *arg, char **ret) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autofree char *vol = NULL;
        g_autofree char *abs = NULL;
        int r;

        r = lookup_vol_by(ctl, pool_path, STORAGE_POOL_INTERFACE, "StorageVolLookupByName", arg, &error, &vol);
        if (r < 0) {
                sd_bus_error_free(&error);
                r = lookup_vol_by(ctl, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE, "StorageVolLookupByKey",
                                  arg, &error, &vol);
        }
        if (r < 0) {
                sd_bus_error_free(&error);
                abs = ctl_absolute_path(arg);
                r = lookup_vol_by(ctl, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE, "StorageVolLookupByPath",
                                  abs, &error, &vol);
        }
        if (r < 0) {
                ctl_print_bus_error(&error, r);
                ctl_error("failed to get vol '%s'", arg);
                return r;
        }
        return vol_get_string(ctl, vol, "Path", ret);
}

static int cmd_vol_create_as(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(GString) xml = g_string_new(NULL);
        g_autofree char *pool_path = NULL;
        g_autofree char *name = g_markup_escape_text(ctl_args_pos(args, 1), -1);
        const char *format = ctl_args_get(args, "format");
        const char *backing = ctl_args_get(args, "backing-vol");
        const char *backing_format = ctl_args_get(args, "backing-vol-format");
        uint64_t capacity, allocation;
        int r;

        if (ctl_parse_size(ctl_args_pos(args, 2), &capacity) < 0)
                return -EINVAL;
        g_string_append_printf(xml, "<volume>\n  <name>%s</name>\n  <capacity>%" G_GUINT64_FORMAT "</capacity>\n",
                               name, capacity);
        if (ctl_args_has(args, "allocation")) {
                if (ctl_parse_size(ctl_args_get(args, "allocation"), &allocation) < 0)
                        return -EINVAL;
                g_string_append_printf(xml, "  <allocation>%" G_GUINT64_FORMAT "</allocation>\n", allocation);
        }
        if (format) {
                g_autofree char *e = g_markup_escape_text(format, -1);
                g_string_append_printf(xml, "  <target>\n    <format type='%s'/>\n  </target>\n", e);
        }
        if (backing || !ctl_args_has(args, "print-xml")) {
                r = ctl_pool_lookup(ctl, ctl_args_pos(args, 0), &pool_path);
                if (r < 0)
                        return r;
        }
        if (backing) {
                g_autofree char *path = NULL;
                g_autofree char *e = NULL;

                r = backing_vol_path(ctl, pool_path, backing, &path);
                if (r < 0)
                        return r;
                e = g_markup_escape_text(path, -1);
                g_string_append_printf(xml, "  <backingStore>\n    <path>%s</path>\n", e);
                if (backing_format) {
                        g_autofree char *f = g_markup_escape_text(backing_format, -1);
                        g_string_append_printf(xml, "    <format type='%s'/>\n", f);
                }
                g_string_append(xml, "  </backingStore>\n");
        }
        g_string_append(xml, "</volume>\n");
        if (ctl_args_has(args, "print-xml")) {
                fputs(xml->str, stdout);
                return 0;
        }
        return create_in_pool(ctl, pool_path, xml->str, NULL, args->flags, "created");
}

/* virsh's virshMakeCloneXML: the original's XML with the new name and without its key. */
static char *clone_xml(const char *xml, const char *new_name) {
        g_autoptr(CtlXml) root = ctl_xml_parse(xml, NULL);
        CtlXml *n;
        guint i = 0;

        if (!root)
                return NULL;
        while ((n = ctl_xml_next_child(root, NULL, &i))) {
                if (g_str_equal(ctl_xml_name(n), "name"))
                        ctl_xml_set_text(n, new_name);
                else if (g_str_equal(ctl_xml_name(n), "key")) {
                        ctl_xml_remove(n);
                        i--;    /* the next child moved into its place */
                }
        }
        return ctl_xml_format(root);
}

static int cmd_vol_clone(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *vol = NULL;
        g_autofree char *pool_path = NULL;
        g_autofree char *orig_name = NULL;
        g_autofree char *xml = NULL;
        g_autofree char *what = NULL;
        const char *orig = NULL;
        int r;

        r = vol_lookup(ctl, args, ctl_args_pos(args, 0), &vol);
        if (r < 0)
                return r;
        r = ctl_storage_call(ctl, vol, STORAGE_VOL_INTERFACE, "GetXMLDesc", &reply, "u", 0u);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "s", &orig);
        if (r < 0)
                return r;
        xml = clone_xml(orig, ctl_args_pos(args, 1));
        if (!xml) {
                ctl_error("cannot parse the XML of volume '%s'", ctl_args_pos(args, 0));
                return -EINVAL;
        }
        if (ctl_args_has(args, "print-xml")) {
                fputs(xml, stdout);
                return 0;
        }
        if (ctl_args_has(args, "newpool"))
                r = ctl_pool_lookup(ctl, ctl_args_get(args, "newpool"), &pool_path);
        else
                r = vol_get_string(ctl, vol, "Pool", &pool_path);
        if (r < 0)
                return r;
        r = vol_get_string(ctl, vol, "Name", &orig_name);
        if (r < 0)
                return r;
        what = g_strdup_printf("cloned from %s", orig_name);
        return create_in_pool(ctl, pool_path, xml, vol, args->flags, what);
}

static int cmd_vol_delete(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *vol = NULL;
        const char *arg = ctl_args_pos(args, 0);
        int r;

        r = vol_lookup(ctl, args, arg, &vol);
        if (r < 0)
                return r;
        /* virsh's --wipe-storage: a zero wipe, then the delete */
        if (ctl_args_has(args, "wipe-storage")) {
                r = ctl_storage_call(ctl, vol, STORAGE_VOL_INTERFACE, "Wipe", NULL, "u", 0u);
                if (r < 0)
                        return r;
        }
        r = ctl_storage_call(ctl, vol, STORAGE_VOL_INTERFACE, "Delete", NULL, "u", args->flags);
        if (r < 0)
                return r;
        printf("Vol %s deleted\n", arg);
        return 0;
}

static const char *const wipe_algorithms[] = {
        "zero", "nnsa", "dod", "bsi", "gutmann", "schneier", "pfitzner7", "pfitzner33", "random", "trim",
};

static int cmd_vol_wipe(Ctl *ctl, const CtlArgs *args) {
        const char *arg = ctl_args_pos(args, 0);
        const char *alg = ctl_args_get(args, "algorithm");
        uint32_t algorithm = 0;
        int r;

        if (alg) {
                while (algorithm < G_N_ELEMENTS(wipe_algorithms) && !g_str_equal(alg, wipe_algorithms[algorithm]))
                        algorithm++;
                if (algorithm == G_N_ELEMENTS(wipe_algorithms)) {
                        ctl_error("Unsupported algorithm '%s'", alg);
                        return -EINVAL;
                }
        }
        /* like virsh: Wipe for zero, WipePattern for the others */
        if (algorithm == 0)
                r = call_vol(ctl, args, arg, "Wipe", NULL, "u", 0u);
        else
                r = call_vol(ctl, args, arg, "WipePattern", NULL, "uu", algorithm, 0u);
        if (r < 0)
                return r;
        printf("Vol %s wiped\n", arg);
        return 0;
}

static int cmd_vol_resize(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *vol = NULL;
        g_autofree char *name = NULL;
        const char *size = ctl_args_pos(args, 1);
        uint64_t capacity;
        int r;

        /* The API wants a positive size; virsh allows "-1G" for convenience with --shrink. */
        if (*size == '-') {
                if (!ctl_args_has(args, "shrink")) {
                        ctl_error("negative size requires --shrink");
                        return -EINVAL;
                }
                size++;
        }
        if (ctl_parse_size(size, &capacity) < 0)
                return -EINVAL;
        r = vol_lookup(ctl, args, ctl_args_pos(args, 0), &vol);
        if (r < 0)
                return r;
        r = ctl_storage_call(ctl, vol, STORAGE_VOL_INTERFACE, "Resize", NULL, "tu", capacity, args->flags);
        if (r < 0)
                return r;
        r = vol_get_string(ctl, vol, "Name", &name);
        if (r < 0)
                return r;
        printf(ctl_args_has(args, "delta") ? "Size of volume '%s' successfully changed by %s\n" :
                                             "Size of volume '%s' successfully changed to %s\n",
               name, ctl_args_pos(args, 1));
        return 0;
}

/* --- upload and download, with a progress bar drawn from the local file --- */

typedef enum WatchKind {
        WATCH_NONE,     /* nothing to watch (a pipe, or a sparse upload's preads): a spinner */
        WATCH_OFFSET,   /* the daemon reads or writes our file at its offset: the offset is the progress */
        WATCH_SIZE,     /* a sparse download pwrites extent by extent: the file's size is the progress */
} WatchKind;

typedef struct Transfer {
        const char *label;
        int fd;
        WatchKind watch;
        uint64_t start;         /* the file's offset (WATCH_OFFSET) or size (WATCH_SIZE) at the start */
        uint64_t total;         /* 0: unknown */
        bool show;              /* on a terminal, or asked for with --verbose */
        bool tty;               /* update one line in place; otherwise one line per whole percent */
        bool shown;
        int last_percent;
        unsigned spin;

        bool done;
        sd_bus_error error;
} Transfer;

static double mib(uint64_t bytes) {
        return (double) bytes / (1024.0 * 1024.0);
}

static void progress_bar(Transfer *t, uint64_t processed) {
        int percent = t->total ? (int) MIN(processed * 100 / t->total, 100) : 100;

        if (!t->tty && t->shown && percent == t->last_percent)
                return;
        /* fixed widths, so a shorter update never leaves a longer one's tail behind */
        printf("%s%s: [%3d %%] %7.1f MiB/%.1f MiB%s", t->tty ? "\r" : "", t->label, percent,
               mib(MIN(processed, t->total)), mib(t->total), t->tty ? "" : "\n");
        fflush(stdout);
        t->shown = true;
        t->last_percent = percent;
}

static void progress_tick(Transfer *t) {
        static const char wheel[] = "|/-\\";
        struct stat st;
        off_t pos;

        if (t->watch == WATCH_NONE || !t->total) {
                if (!t->tty)
                        return;
                printf("\r%s: [%c]", t->label, wheel[t->spin++ % 4]);
                fflush(stdout);
                t->shown = true;
                return;
        }
        if (t->watch == WATCH_OFFSET)
                pos = lseek(t->fd, 0, SEEK_CUR);
        else
                pos = fstat(t->fd, &st) == 0 ? st.st_size : -1;
        if (pos >= 0 && (uint64_t) pos >= t->start)
                progress_bar(t, (uint64_t) pos - t->start);
}

static void progress_end(Transfer *t, bool ok) {
        if (!t->show)
                return;
        if (ok && t->total)
                progress_bar(t, t->total);
        else if (t->shown && t->watch == WATCH_NONE && t->tty) {
                printf("\r%*s\r", (int) strlen(t->label) + 5, "");
                fflush(stdout);
                return;
        }
        if (t->shown && t->tty)
                putchar('\n');
        fflush(stdout);
}

static int on_transfer_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Transfer *t = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        t->done = true;
        if (e)
                (void) sd_bus_error_copy(&t->error, e);
        return 0;
}

/* Upload or Download with our file as the fd, asynchronously and without a timeout (spec S60: the
 * daemon answers when all is copied), redrawing the progress bar every PROGRESS_POLL_USEC. */
static int transfer_run(Ctl *ctl, Transfer *t, const char *vol, const char *member, uint64_t offset,
                        uint64_t length, uint32_t flags) {
        g_autoptr(sd_bus_message) m = NULL;
        g_autoptr(sd_bus_slot) slot = NULL;
        uint64_t next_tick;
        int r;

        r = sd_bus_message_new_method_call(ctl->bus, &m, STORAGE_BUS_NAME, vol, STORAGE_VOL_INTERFACE, member);
        if (r >= 0)
                r = sd_bus_message_append(m, "httu", t->fd, offset, length, flags);
        if (r >= 0)
                r = sd_bus_call_async(ctl->bus, &slot, m, on_transfer_reply, t, UINT64_MAX);
        if (r < 0) {
                ctl_error("cannot call %s: %s", member, g_strerror(-r));
                return r;
        }
        next_tick = g_get_monotonic_time() + PROGRESS_POLL_USEC;
        while (!t->done) {
                uint64_t now;

                r = sd_bus_process(ctl->bus, NULL);
                if (r < 0)
                        break;
                if (r > 0)
                        continue;
                now = g_get_monotonic_time();
                if (now >= next_tick) {
                        if (t->show)
                                progress_tick(t);
                        next_tick = now + PROGRESS_POLL_USEC;
                        continue;
                }
                r = sd_bus_wait(ctl->bus, next_tick - now);
                if (r < 0 && r != -EINTR)
                        break;
        }
        if (!t->done) {
                progress_end(t, false);
                ctl_error("lost the bus while waiting for %s: %s", member, g_strerror(-r));
                return r;
        }
        if (sd_bus_error_is_set(&t->error)) {
                progress_end(t, false);
                ctl_print_bus_error(&t->error, -EIO);
                sd_bus_error_free(&t->error);
                return -EIO;
        }
        progress_end(t, true);
        return 0;
}

static int opt_size(const CtlArgs *args, const char *opt, uint64_t *ret) {
        *ret = 0;
        return ctl_args_has(args, opt) ? ctl_parse_size(ctl_args_get(args, opt), ret) : 0;
}

static void transfer_init(Transfer *t, const CtlArgs *args, const char *label, int fd) {
        *t = (Transfer) {
                .label = label,
                .fd = fd,
                .tty = isatty(STDOUT_FILENO),
                .last_percent = -1,
                .error = SD_BUS_ERROR_NULL,
        };
        t->show = t->tty || ctl_args_has(args, "verbose");
}

static int cmd_vol_upload(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *vol = NULL;
        const char *file = ctl_args_pos(args, 1);
        bool sparse = ctl_args_has(args, "sparse");
        uint64_t offset, length;
        struct stat st;
        Transfer t;
        int fd, r;

        if (opt_size(args, "offset", &offset) < 0 || opt_size(args, "length", &length) < 0)
                return -EINVAL;
        r = vol_lookup(ctl, args, ctl_args_pos(args, 0), &vol);
        if (r < 0)
                return r;
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                ctl_error("cannot read %s: %s", file, g_strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -EIO;
        }
        transfer_init(&t, args, "Upload", fd);
        if (S_ISREG(st.st_mode)) {
                t.total = length ? MIN(length, (uint64_t) st.st_size) : (uint64_t) st.st_size;
                /* a sparse upload preads, which leaves our offset alone until the end */
                t.watch = sparse ? WATCH_NONE : WATCH_OFFSET;
        }
        r = transfer_run(ctl, &t, vol, "Upload", offset, length, sparse ? VOL_TRANSFER_SPARSE : 0);
        close(fd);
        return r;
}

static int cmd_vol_download(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *vol = NULL;
        const char *file = ctl_args_pos(args, 1);
        bool sparse = ctl_args_has(args, "sparse");
        bool created = false;
        uint64_t offset, length, capacity = 0, physical = 0;
        int32_t type = 0;
        struct stat st;
        Transfer t;
        int fd, r;

        if (opt_size(args, "offset", &offset) < 0 || opt_size(args, "length", &length) < 0)
                return -EINVAL;
        r = vol_lookup(ctl, args, ctl_args_pos(args, 0), &vol);
        if (r < 0)
                return r;
        /* like virsh: a file we create is removed again if the download fails */
        fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0)
                created = true;
        else if (errno == EEXIST)
                fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                ctl_error("cannot create %s: %s", file, g_strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -EIO;
        }
        transfer_init(&t, args, "Download", fd);
        /* GET_PHYSICAL: the file's size, which is what Download copies */
        if (S_ISREG(st.st_mode) && vol_get_info(ctl, vol, VOL_GET_PHYSICAL, &type, &capacity, &physical) >= 0) {
                t.total = physical > offset ? physical - offset : 0;
                if (length)
                        t.total = MIN(t.total, length);
                t.watch = sparse ? WATCH_SIZE : WATCH_OFFSET;
        }
        r = transfer_run(ctl, &t, vol, "Download", offset, length, sparse ? VOL_TRANSFER_SPARSE : 0);
        close(fd);
        if (r < 0 && created)
                unlink(file);
        return r;
}

/* --- list, info, XML, names --- */

typedef struct VolRow {
        char *name;
        char *path;
        int32_t type;
        uint64_t capacity;
        uint64_t allocation;
} VolRow;

static void vol_row_free(VolRow *v) {
        if (!v)
                return;
        g_free(v->name);
        g_free(v->path);
        g_free(v);
}

static gint vol_row_compare(gconstpointer a, gconstpointer b) {
        return g_strcmp0((*(VolRow *const *) a)->name, (*(VolRow *const *) b)->name);
}

static int cmd_vol_list(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify) vol_row_free);
        g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *pool_path = NULL;
        bool details = ctl_args_has(args, "details");
        const char *path = NULL;
        int r;

        r = ctl_pool_lookup(ctl, ctl_args_pos(args, 0), &pool_path);
        if (r < 0)
                return r;
        r = ctl_storage_call(ctl, pool_path, STORAGE_POOL_INTERFACE, "ListStorageVolumes", &reply, "u", 0u);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "o");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "o", &path)) > 0) {
                g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
                g_autoptr(sd_bus_message) info = NULL;
                VolRow *v = g_new0(VolRow, 1);
                char *s = NULL;

                /* a volume deleted since the listing is skipped, as virsh does */
                if (sd_bus_get_property_string(ctl->bus, STORAGE_BUS_NAME, path, STORAGE_VOL_INTERFACE, "Name", &error,
                                               &s) < 0) {
                        vol_row_free(v);
                        continue;
                }
                v->name = g_strdup(s);
                free(s);
                s = NULL;
                if (sd_bus_get_property_string(ctl->bus, STORAGE_BUS_NAME, path, STORAGE_VOL_INTERFACE, "Path", &error,
                                               &s) >= 0)
                        v->path = g_strdup(s);
                free(s);
                if (!v->path)
                        v->path = g_strdup("");
                if (details &&
                    sd_bus_call_method(ctl->bus, STORAGE_BUS_NAME, path, STORAGE_VOL_INTERFACE, "GetInfo", &error, &info,
                                       "u", 0u) >= 0)
                        (void) sd_bus_message_read(info, "(itt)", &v->type, &v->capacity, &v->allocation);
                g_ptr_array_add(rows, v);
        }
        if (r < 0)
                return r;
        g_ptr_array_sort(rows, vol_row_compare);

        g_ptr_array_add(cells, g_strdup("Name"));
        g_ptr_array_add(cells, g_strdup("Path"));
        if (details) {
                g_ptr_array_add(cells, g_strdup("Type"));
                g_ptr_array_add(cells, g_strdup("Capacity"));
                g_ptr_array_add(cells, g_strdup("Allocation"));
        }
        for (guint i = 0; i < rows->len; i++) {
                const VolRow *v = g_ptr_array_index(rows, i);

                g_ptr_array_add(cells, g_strdup(v->name));
                g_ptr_array_add(cells, g_strdup(v->path));
                if (details) {
                        g_ptr_array_add(cells, g_strdup(vol_type_to_string(v->type)));
                        g_ptr_array_add(cells, ctl_pretty_capacity(v->capacity));
                        g_ptr_array_add(cells, ctl_pretty_capacity(v->allocation));
                }
        }
        ctl_print_table(cells, details ? 5 : 2);
        return 0;
}

static int cmd_vol_info(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *vol = NULL;
        g_autofree char *name = NULL;
        bool physical = ctl_args_has(args, "physical");
        bool in_bytes = ctl_args_has(args, "bytes");
        uint64_t capacity = 0, allocation = 0;
        int32_t type = 0;
        int r;

        r = vol_lookup(ctl, args, ctl_args_pos(args, 0), &vol);
        if (r < 0)
                return r;
        r = vol_get_string(ctl, vol, "Name", &name);
        if (r < 0)
                return r;
        r = vol_get_info(ctl, vol, physical ? VOL_GET_PHYSICAL : 0, &type, &capacity, &allocation);
        if (r < 0)
                return r;
        printf("%-15s %s\n", "Name:", name);
        printf("%-15s %s\n", "Type:", vol_type_to_string(type));
        ctl_print_size_row("Capacity", capacity, in_bytes);
        ctl_print_size_row(physical ? "Physical" : "Allocation", allocation, in_bytes);
        return 0;
}

static int cmd_vol_dumpxml(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = call_vol(ctl, args, ctl_args_pos(args, 0), "GetXMLDesc", &reply, "u", 0u);
        if (r < 0)
                return r;
        return ctl_print_string_reply(reply);
}

static int print_vol_string(Ctl *ctl, const CtlArgs *args, const char *prop) {
        g_autofree char *vol = NULL;
        g_autofree char *value = NULL;
        int r;

        r = vol_lookup(ctl, args, ctl_args_pos(args, 0), &vol);
        if (r < 0)
                return r;
        r = vol_get_string(ctl, vol, prop, &value);
        if (r < 0)
                return r;
        printf("%s\n", value);
        return 0;
}

static int cmd_vol_path(Ctl *ctl, const CtlArgs *args) {
        return print_vol_string(ctl, args, "Path");
}

static int cmd_vol_key(Ctl *ctl, const CtlArgs *args) {
        return print_vol_string(ctl, args, "Key");
}

static int cmd_vol_name(Ctl *ctl, const CtlArgs *args) {
        return print_vol_string(ctl, args, "Name");
}

static int cmd_vol_pool(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *vol = NULL;
        g_autofree char *pool = NULL;
        g_autofree char *value = NULL;
        int r;

        r = vol_lookup(ctl, args, ctl_args_pos(args, 0), &vol);
        if (r < 0)
                return r;
        r = vol_get_string(ctl, vol, "Pool", &pool);
        if (r < 0)
                return r;
        r = ctl_storage_get_string(ctl, pool, STORAGE_POOL_INTERFACE, ctl_args_has(args, "uuid") ? "UUID" : "Name", &value);
        if (r < 0)
                return r;
        printf("%s\n", value);
        return 0;
}

#define POOL_OPT { "pool", "POOL", 0, "the volume's pool (else VOL is a key or a path)" }

static const CtlOpt create_opts[] = {
        { "prealloc-metadata", NULL, VOL_CREATE_PREALLOC_METADATA, "preallocate qcow2 metadata" },
        { "validate", NULL, VOL_CREATE_VALIDATE, "validate the XML against the schema" },
        { 0 }
};

static const CtlOpt create_as_opts[] = {
        { "allocation", "SIZE", 0, "initial allocation (default: all of it; 0: sparse)" },
        { "format", "FORMAT", 0, "raw, qcow2, …" },
        { "backing-vol", "VOL", 0, "the backing volume (name in POOL, key or path)" },
        { "backing-vol-format", "FORMAT", 0, "the backing volume's format" },
        { "prealloc-metadata", NULL, VOL_CREATE_PREALLOC_METADATA, "preallocate qcow2 metadata" },
        { "print-xml", NULL, 0, "print the XML instead of creating the volume" },
        { 0 }
};

static const CtlOpt clone_opts[] = {
        POOL_OPT,
        { "newpool", "POOL", 0, "clone into this pool (default: the volume's own)" },
        { "prealloc-metadata", NULL, VOL_CREATE_PREALLOC_METADATA, "preallocate qcow2 metadata" },
        { "reflink", NULL, VOL_CREATE_REFLINK, "use a copy-on-write clone (reflink)" },
        { "print-xml", NULL, 0, "print the XML instead of cloning" },
        { 0 }
};

static const CtlOpt delete_opts[] = {
        POOL_OPT,
        { "wipe-storage", NULL, 0, "wipe the data (zeros) before deleting" },
        { "delete-snapshots", NULL, VOL_DELETE_WITH_SNAPSHOTS, "delete the volume's snapshots too" },
        { 0 }
};

static const CtlOpt wipe_opts[] = {
        POOL_OPT,
        { "algorithm", "ALG", 0, "zero (default), nnsa, dod, bsi, gutmann, schneier, pfitzner7, pfitzner33, "
                                 "random, trim" },
        { 0 }
};

static const CtlOpt resize_opts[] = {
        POOL_OPT,
        { "allocate", NULL, VOL_RESIZE_ALLOCATE, "allocate the new space" },
        { "delta", NULL, VOL_RESIZE_DELTA, "SIZE is a change, not the new capacity" },
        { "shrink", NULL, VOL_RESIZE_SHRINK, "allow shrinking (SIZE may then start with -)" },
        { 0 }
};

static const CtlOpt transfer_opts[] = {
        POOL_OPT,
        { "offset", "BYTES", 0, "start this far into the volume" },
        { "length", "BYTES", 0, "copy at most this much (default: all)" },
        { "sparse", NULL, 0, "keep holes as holes" },
        { "verbose", NULL, 0, "show progress also when stdout is not a terminal" },
        { 0 }
};

static const CtlOpt pool_opts[] = {
        POOL_OPT,
        { 0 }
};

static const CtlOpt list_opts[] = {
        { "details", NULL, 0, "add type, capacity and allocation" },
        { 0 }
};

static const CtlOpt info_opts[] = {
        POOL_OPT,
        { "bytes", NULL, 0, "sizes in bytes rather than human units" },
        { "physical", NULL, 0, "the file's physical size instead of its allocation" },
        { 0 }
};

static const CtlOpt vol_pool_opts[] = {
        POOL_OPT,
        { "uuid", NULL, 0, "print the pool's UUID rather than its name" },
        { 0 }
};

const CtlCommand ctl_vol_commands[] = {
        { "vol-create", cmd_vol_create, "POOL FILE [--prealloc-metadata] [--validate]",
          "create a volume from an XML file", create_opts, 2, 2 },
        { "vol-create-as", cmd_vol_create_as,
          "POOL NAME SIZE [--allocation SIZE] [--format FORMAT] [--backing-vol VOL] [--backing-vol-format FORMAT] "
          "[--prealloc-metadata] [--print-xml]",
          "create a volume from a name and a size (16M, 1G, 500MB, bytes)", create_as_opts, 3, 3 },
        { "vol-clone", cmd_vol_clone, "VOL NEWNAME [--pool POOL] [--newpool POOL] [--prealloc-metadata] [--reflink]",
          "copy a volume to a new one", clone_opts, 2, 2 },
        { "vol-delete", cmd_vol_delete, "VOL [--pool POOL] [--wipe-storage] [--delete-snapshots]",
          "delete a volume", delete_opts, 1, 1 },
        { "vol-wipe", cmd_vol_wipe, "VOL [--pool POOL] [--algorithm ALG]", "overwrite a volume's data", wipe_opts,
          1, 1 },
        { "vol-resize", cmd_vol_resize, "VOL SIZE [--pool POOL] [--allocate] [--delta] [--shrink]",
          "change a volume's capacity", resize_opts, 2, 2 },
        { "vol-upload", cmd_vol_upload, "VOL FILE [--pool POOL] [--offset BYTES] [--length BYTES] [--sparse]",
          "copy a local file into a volume", transfer_opts, 2, 2 },
        { "vol-download", cmd_vol_download, "VOL FILE [--pool POOL] [--offset BYTES] [--length BYTES] [--sparse]",
          "copy a volume into a local file", transfer_opts, 2, 2 },
        { "vol-list", cmd_vol_list, "POOL [--details]", "list the volumes of an active pool", list_opts, 1, 1 },
        { "vol-info", cmd_vol_info, "VOL [--pool POOL] [--bytes] [--physical]",
          "print basic information about a volume", info_opts, 1, 1 },
        { "vol-dumpxml", cmd_vol_dumpxml, "VOL [--pool POOL]", "print a volume's XML", pool_opts, 1, 1 },
        { "vol-path", cmd_vol_path, "VOL [--pool POOL]", "print a volume's path", pool_opts, 1, 1 },
        { "vol-key", cmd_vol_key, "VOL [--pool POOL]", "print a volume's key", pool_opts, 1, 1 },
        { "vol-name", cmd_vol_name, "KEY|PATH", "print a volume's name", pool_opts, 1, 1 },
        { "vol-pool", cmd_vol_pool, "KEY|PATH [--uuid]", "print the name (or UUID) of a volume's pool",
          vol_pool_opts, 1, 1 },
        { 0 }
};
