/* qemu-img: probing images (the header probe, else info --output=json) and running short commands with a bounded wait. */
#include "qemu-img.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "image-probe.h"
#include "log.h"
#include "process.h"

void qemu_img_info_free(QemuImgInfo *info) {
        if (!info)
                return;
        g_free(info->format);
        g_free(info->backing_file);
        g_free(info->backing_format);
        g_free(info->compat);
        g_free(info->encrypt_format);
        g_free(info);
}

char *qemu_img_find(GError **error) {
        char *path = g_find_program_in_path("qemu-img");

        if (!path)
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "qemu-img is not installed (not found on PATH)");
        return path;
}

static const char *member_string(JsonObject *o, const char *name) {
        JsonNode *n = json_object_get_member(o, name);
        return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ?
               json_node_get_string(n) : NULL;
}

static uint64_t member_uint(JsonObject *o, const char *name) {
        JsonNode *n = json_object_get_member(o, name);
        return n && JSON_NODE_HOLDS_VALUE(n) ? (uint64_t) json_node_get_int(n) : 0;
}

static bool member_bool(JsonObject *o, const char *name) {
        JsonNode *n = json_object_get_member(o, name);
        return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
               json_node_get_boolean(n);
}

QemuImgInfo *qemu_img_info_parse(const char *json, const char *dir, GError **error) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(QemuImgInfo) info = g_new0(QemuImgInfo, 1);
        g_autoptr(GError) local = NULL;
        JsonNode *root;
        JsonObject *o, *spec;
        const char *full, *backing, *format;

        if (!json_parser_load_from_data(parser, json, -1, &local)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "cannot parse qemu-img output: %s",
                            local->message);
                return NULL;
        }
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "qemu-img output is not an object");
                return NULL;
        }
        o = json_node_get_object(root);
        format = member_string(o, "format");
        if (!format) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "qemu-img output names no format");
                return NULL;
        }
        info->format = g_strdup(format);
        info->virtual_size = member_uint(o, "virtual-size");
        info->cluster_size = member_uint(o, "cluster-size");
        full = member_string(o, "full-backing-filename");
        backing = member_string(o, "backing-filename");
        if (full)
                info->backing_file = g_strdup(full);
        else if (backing)
                info->backing_file = g_path_is_absolute(backing) ? g_strdup(backing) :
                                     g_build_filename(dir, backing, NULL);
        info->backing_format = g_strdup(member_string(o, "backing-filename-format"));
        info->encrypted = info->encrypted || member_bool(o, "encrypted");
        if (json_object_has_member(o, "format-specific")) {
                JsonNode *fs = json_object_get_member(o, "format-specific");
                JsonNode *data;
                if (JSON_NODE_HOLDS_OBJECT(fs) &&
                    (data = json_object_get_member(json_node_get_object(fs), "data")) &&
                    JSON_NODE_HOLDS_OBJECT(data)) {
                        spec = json_node_get_object(data);
                        if (g_str_equal(info->format, "qcow2")) {
                                info->compat = g_strdup(member_string(spec, "compat"));
                                info->lazy_refcounts = member_bool(spec, "lazy-refcounts");
                                info->extended_l2 = member_bool(spec, "extended-l2");
                                info->encrypted = json_object_has_member(spec, "encrypt");
                                if (json_object_has_member(spec, "encrypt")) {
                                        JsonNode *enc = json_object_get_member(spec, "encrypt");
                                        if (JSON_NODE_HOLDS_OBJECT(enc))
                                                info->encrypt_format = g_strdup(
                                                        member_string(json_node_get_object(enc), "format"));
                                }
                        }
                }
        }
        return g_steal_pointer(&info);
}

static bool run(const char *const *args, unsigned timeout_ms, char **ret_out, GError **error) {
        g_autofree char *prog = qemu_img_find(error);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autofree char *err = NULL;
        int r;

        if (!prog)
                return false;
        g_ptr_array_add(argv, prog);
        for (const char *const *a = args; *a; a++)
                g_ptr_array_add(argv, (gpointer) *a);
        g_ptr_array_add(argv, NULL);
        r = vmmd_process_run_sync((const char *const *) argv->pdata, timeout_ms, ret_out, &err);
        if (r == -ETIMEDOUT) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "qemu-img %s did not finish within %u s",
                            args[0], timeout_ms / 1000);
                return false;
        }
        if (r < 0 && r != -1) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "cannot run qemu-img: %s", g_strerror(-r));
                return false;
        }
        if (r != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "qemu-img %s failed: %s", args[0],
                            err && *err ? err : "killed by a signal");
                return false;
        }
        return true;
}

QemuImgInfo *qemu_img_info(const char *path, GError **error) {
        const char *const args[] = { "info", "--output=json", "-U", path, NULL };
        g_autofree char *out = NULL;
        g_autofree char *dir = g_path_get_dirname(path);

        if (!run(args, QEMU_IMG_INFO_TIMEOUT_MS, &out, error))
                return NULL;
        return qemu_img_info_parse(out, dir, error);
}

static bool has_iso_signature(int fd) {
        char buf[5];

        return pread(fd, buf, sizeof(buf), 32769) == (ssize_t) sizeof(buf) && memcmp(buf, "CD001", 5) == 0;
}

static QemuImgInfo *from_probe(const VmmdImageInfo *p, const char *dir) {
        QemuImgInfo *info = g_new0(QemuImgInfo, 1);

        info->format = g_strdup(vmmd_image_format_name(p->format));
        info->virtual_size = p->virtual_size;
        info->cluster_size = p->cluster_size;
        if (p->backing_file)
                info->backing_file = g_path_is_absolute(p->backing_file) ? g_strdup(p->backing_file) :
                                     g_build_filename(dir, p->backing_file, NULL);
        info->backing_format = g_strdup(p->backing_format);
        info->compat = g_strdup(p->compat);
        info->lazy_refcounts = p->lazy_refcounts;
        info->extended_l2 = p->extended_l2;
        info->encrypted = p->encryption != VMMD_IMAGE_ENCRYPTION_NONE;
        /* the names qemu-img info gives (encrypt.format), which the volume XML shows */
        if (p->encryption == VMMD_IMAGE_ENCRYPTION_LUKS)
                info->encrypt_format = g_strdup("luks");
        else if (p->encryption == VMMD_IMAGE_ENCRYPTION_AES)
                info->encrypt_format = g_strdup("aes");
        info->iso9660 = p->iso9660;
        return info;
}

QemuImgInfo *qemu_img_probe(const char *path, int fd, const struct stat *st, GError **error) {
        g_autofree char *dir = g_path_get_dirname(path);
        g_autoptr(VmmdImageInfo) probed = NULL;
        g_autoptr(GError) local = NULL;
        QemuImgInfo *info;
        int own = -1;

        if (fd < 0) {
                own = fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                if (fd < 0) {
                        vmmd_error_set_errno(error, -errno, "cannot open '%s'", path);
                        return NULL;
                }
        }
        probed = st ? vmmd_image_probe_fd_sized(fd, (uint64_t) st->st_size, path, &local) :
                     vmmd_image_probe_fd(fd, path, &local);
        if (probed && probed->format != VMMD_IMAGE_OTHER) {
                if (own >= 0)
                        close(own);
                return from_probe(probed, dir);
        }
        if (!probed)
                log_debug("header probe refused '%s', asking qemu-img: %s", path, local->message);
        info = qemu_img_info(path, error);
        if (info && g_str_equal(info->format, "raw"))
                info->iso9660 = has_iso_signature(fd);
        if (own >= 0)
                close(own);
        return info;
}
