/* vmmctl commands about secrets (vmmd-secret, spec secrets.md §1): define, set-value, get-value, list, dumpxml, undefine. */
#include "vmmctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "vmmd/secret1.h"

static int secret_callv(Ctl *ctl, const char *path, const char *iface, const char *member,
                        sd_bus_message **ret_reply, const char *types, va_list ap) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        int r = ctl_connect(ctl);

        if (r < 0)
                return r;
        r = sd_bus_call_methodv(ctl->bus, SECRET_BUS_NAME, path, iface, member, &error, ret_reply, types, ap);
        if (r < 0)
                ctl_print_bus_error(&error, r);
        return r;
}

static int secret_call(Ctl *ctl, const char *path, const char *iface, const char *member, sd_bus_message **ret_reply,
                       const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = secret_callv(ctl, path, iface, member, ret_reply, types, ap);
        va_end(ap);
        return r;
}

/* A secret is named by its UUID, as in virsh. */
static int secret_lookup(Ctl *ctl, const char *arg, char **ret_path) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = secret_call(ctl, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE, "SecretLookupByUUID", &reply, "s", arg);
        if (r < 0)
                return r;
        return ctl_read_path(reply, ret_path);
}

static int get_string(Ctl *ctl, const char *path, const char *prop, char **ret) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        int r = sd_bus_get_property_string(ctl->bus, SECRET_BUS_NAME, path, SECRET_INTERFACE, prop, &error, ret);

        if (r < 0)
                ctl_print_bus_error(&error, r);
        return r;
}

static int cmd_secret_define(Ctl *ctl, const CtlArgs *args) {
        const char *file = ctl_args_pos(args, 0);
        g_autofree char *xml = ctl_read_file(file);
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *uuid = NULL;
        const char *path;
        int r;

        if (!xml)
                return -EIO;
        r = secret_call(ctl, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE, "SecretDefineXML", &reply, "su", xml,
                        args->flags);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = get_string(ctl, path, "UUID", &uuid);
        if (r < 0)
                return r;
        printf("Secret %s created\n\n", uuid);
        return 0;
}

/* The value never appears on the command line unless the user puts it there (--base64). */
static int cmd_secret_set_value(Ctl *ctl, const CtlArgs *args) {
        const char *file = ctl_args_get(args, "file");
        const char *b64 = ctl_args_get(args, "base64");
        g_autoptr(sd_bus_message) m = NULL, reply = NULL;
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;
        g_autofree uint8_t *value = NULL;
        gsize len = 0;
        int r;

        if (!file == !b64) {
                ctl_error("secret-set-value needs exactly one of --file FILE and --base64 BASE64");
                return -EINVAL;
        }
        if (file) {
                g_autoptr(GError) gerr = NULL;

                if (!g_file_get_contents(file, (char **) &value, &len, &gerr)) {
                        ctl_error("%s", gerr->message);
                        return -EIO;
                }
        } else {
                /* g_base64_decode accepts anything; check the alphabet so a typo is not stored */
                for (const char *p = b64; *p; p++)
                        if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=') {
                                ctl_error("--base64: not base64");
                                return -EINVAL;
                        }
                value = g_base64_decode(b64, &len);
        }
        r = secret_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r >= 0)
                r = sd_bus_message_new_method_call(ctl->bus, &m, SECRET_BUS_NAME, path, SECRET_INTERFACE, "SetValue");
        if (r >= 0)
                r = sd_bus_message_sensitive(m);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', len ? (const void *) value : "", len);
        if (r >= 0)
                r = sd_bus_message_append(m, "u", 0);
        if (value)
                explicit_bzero(value, len);
        if (r < 0) {
                if (path)
                        ctl_error("cannot build the SetValue call: %s", g_strerror(-r));
                return r;
        }
        r = sd_bus_call(ctl->bus, m, 0, &error, &reply);
        if (r < 0) {
                ctl_print_bus_error(&error, r);
                return r;
        }
        printf("Secret value set\n\n");
        return 0;
}

static int cmd_secret_get_value(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *path = NULL;
        const void *value = NULL;
        size_t len = 0;
        int r;

        r = secret_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r < 0)
                return r;
        r = secret_call(ctl, path, SECRET_INTERFACE, "GetValue", &reply, "u", 0);
        if (r < 0)
                return r;
        r = sd_bus_message_sensitive(reply);
        if (r >= 0)
                r = sd_bus_message_read_array(reply, 'y', &value, &len);
        if (r < 0)
                return r;
        if (ctl_args_has(args, "plain")) {
                if (len && fwrite(value, 1, len, stdout) != len)
                        return -EIO;
        } else {
                g_autofree char *b64 = g_base64_encode(value, len);

                printf("%s\n", b64);
                explicit_bzero(b64, strlen(b64));
        }
        return 0;
}

static char *usage_text(Ctl *ctl, const char *path) {
        static const char *const names[] = { "", "volume", "ceph", "iscsi", "tls", "vtpm" };
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autofree char *id = NULL;
        int32_t type = 0;

        if (sd_bus_get_property_trivial(ctl->bus, SECRET_BUS_NAME, path, SECRET_INTERFACE, "UsageType", &error, 'i',
                                        &type) < 0 ||
            type <= SECRET_USAGE_TYPE_NONE || type >= SECRET_USAGE_TYPE_LAST)
                return g_strdup("");
        if (get_string(ctl, path, "UsageID", &id) < 0)
                return g_strdup("");
        return g_strdup_printf("%s %s", names[type], id);
}

static int cmd_secret_list(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
        g_auto(GStrv) paths = NULL;
        int r;

        r = secret_call(ctl, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE, "ListSecrets", &reply, "u", args->flags);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(reply, &paths);
        if (r < 0)
                return r;
        g_ptr_array_add(cells, g_strdup("UUID"));
        g_ptr_array_add(cells, g_strdup("Usage"));
        for (char **p = paths; p && *p; p++) {
                char *uuid = NULL;

                /* a secret undefined since the list was made is skipped */
                if (get_string(ctl, *p, "UUID", &uuid) < 0)
                        continue;
                g_ptr_array_add(cells, uuid);
                g_ptr_array_add(cells, usage_text(ctl, *p));
        }
        ctl_print_table(cells, 2);
        return 0;
}

static int cmd_secret_dumpxml(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *path = NULL;
        int r;

        r = secret_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r < 0)
                return r;
        r = secret_call(ctl, path, SECRET_INTERFACE, "GetXMLDesc", &reply, "u", 0);
        if (r < 0)
                return r;
        return ctl_print_string_reply(reply);
}

static int cmd_secret_undefine(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *path = NULL, *uuid = NULL;
        int r;

        r = secret_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r < 0)
                return r;
        r = get_string(ctl, path, "UUID", &uuid);
        if (r < 0)
                return r;
        r = secret_call(ctl, path, SECRET_INTERFACE, "Undefine", NULL, "");
        if (r < 0)
                return r;
        printf("Secret %s deleted\n\n", uuid);
        return 0;
}

static const CtlOpt define_opts[] = {
        { "validate", NULL, SECRET_DEFINE_VALIDATE, "validate the XML against the schema" },
        { 0 }
};

static const CtlOpt set_value_opts[] = {
        { "file", "FILE", 0, "the value is the file's bytes, as they are" },
        { "base64", "BASE64", 0, "the value, base64-encoded (visible in the process list: prefer --file)" },
        { 0 }
};

static const CtlOpt get_value_opts[] = {
        { "plain", NULL, 0, "print the raw bytes rather than base64" },
        { 0 }
};

static const CtlOpt list_opts[] = {
        { "ephemeral", NULL, SECRET_LIST_EPHEMERAL, "ephemeral secrets only" },
        { "no-ephemeral", NULL, SECRET_LIST_NO_EPHEMERAL, "persistent secrets only" },
        { "private", NULL, SECRET_LIST_PRIVATE, "private secrets only" },
        { "no-private", NULL, SECRET_LIST_NO_PRIVATE, "secrets that are not private only" },
        { 0 }
};

const CtlCommand ctl_secret_commands[] = {
        { "secret-define", cmd_secret_define, "FILE [--validate]", "define or modify a secret from an XML file",
          define_opts, 1, 1 },
        { "secret-set-value", cmd_secret_set_value, "SECRET --file FILE | --base64 BASE64", "set a secret's value",
          set_value_opts, 1, 1 },
        { "secret-get-value", cmd_secret_get_value, "SECRET [--plain]", "print a secret's value (base64)",
          get_value_opts, 1, 1 },
        { "secret-list", cmd_secret_list, "[--ephemeral|--no-ephemeral] [--private|--no-private]", "list secrets",
          list_opts, 0, 0 },
        { "secret-dumpxml", cmd_secret_dumpxml, "SECRET", "print a secret's XML", NULL, 1, 1 },
        { "secret-undefine", cmd_secret_undefine, "SECRET", "undefine a secret (and forget its value)", NULL, 1, 1 },
        { 0 }
};
