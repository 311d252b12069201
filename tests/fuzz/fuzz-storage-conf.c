/* libFuzzer target for the storage pool and volume XML parsers: parse, format and check the round trip. */
#include "storage-conf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever parses must format to XML that parses again to the same bytes: the daemon
 * stores pool definitions and state files and reads them back. */
static void check_pool(const StoragePoolDef *def, unsigned format_flags) {
        g_autofree char *xml = storage_pool_def_format(def, format_flags);
        g_autofree char *again = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(StoragePoolDef) reparsed = storage_pool_def_parse_string(xml, 0, &error);
        g_autoptr(StoragePoolDef) copy = storage_pool_def_copy(def);
        g_autofree char *copied = storage_pool_def_format(copy, format_flags);

        if (!reparsed) {
                fprintf(stderr, "formatted pool XML does not parse: %s\n%s", error->message, xml);
                abort();
        }
        again = storage_pool_def_format(reparsed, format_flags);
        if (strcmp(xml, again) != 0 || strcmp(xml, copied) != 0) {
                fprintf(stderr, "pool round trip or copy changed the XML:\n%s---\n%s---\n%s", xml, again, copied);
                abort();
        }
}

static void check_vol(const StorageVolDef *def) {
        g_autofree char *xml = storage_vol_def_format(def);
        g_autofree char *again = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(StorageVolDef) reparsed = storage_vol_def_parse_string(xml, def->pool_type, 0, &error);
        g_autoptr(StorageVolDef) copy = storage_vol_def_copy(def);
        g_autofree char *copied = storage_vol_def_format(copy);

        if (!reparsed) {
                fprintf(stderr, "formatted volume XML does not parse: %s\n%s", error->message, xml);
                abort();
        }
        again = storage_vol_def_format(reparsed);
        if (strcmp(xml, again) != 0 || strcmp(xml, copied) != 0) {
                fprintf(stderr, "volume round trip or copy changed the XML:\n%s---\n%s---\n%s", xml, again, copied);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autofree char *xml = g_strndup((const char *) data, size);
        g_autoptr(GError) error = NULL;
        g_autoptr(StoragePoolDef) pool = NULL;
        g_autoptr(StoragePoolDef) validated = NULL;
        /* the first byte picks the pool type a volume is parsed for, so each corpus file
         * still reaches the file, partition and format-less rules */
        StoragePoolType pool_type = size > 0 ? (StoragePoolType) (data[0] % _STORAGE_POOL_TYPE_MAX) : STORAGE_POOL_DIR;

        /* the schema path is slower; exercise it on a share of the inputs only */
        if (size > 0 && data[size - 1] == '\n') {
                validated = storage_pool_def_parse_string(xml, STORAGE_POOL_DEF_PARSE_VALIDATE, &error);
                g_clear_error(&error);
        }
        pool = storage_pool_def_parse_string(xml, 0, &error);
        g_clear_error(&error);
        if (pool) {
                check_pool(pool, 0);
                check_pool(pool, STORAGE_POOL_DEF_FORMAT_INACTIVE);
        }
        for (int i = 0; i < 2; i++) {
                g_autoptr(StorageVolDef) vol = NULL;

                vol = storage_vol_def_parse_string(xml, i == 0 ? STORAGE_POOL_DIR : pool_type,
                                                   i == 0 && size > 0 && data[size - 1] == '\n'
                                                           ? STORAGE_VOL_DEF_PARSE_VALIDATE : 0,
                                                   &error);
                g_clear_error(&error);
                if (vol)
                        check_vol(vol);
        }
        return 0;
}
