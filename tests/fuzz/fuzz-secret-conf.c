/* libFuzzer target for the secret XML parser: parse, format and check the round trip. */
#include "secret-conf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever parses must format to XML that parses back, schema-valid, to the same bytes: the
 * daemon stores definitions in this form and reloads them at start. */
static void check_round_trip(const SecretDef *def) {
        g_autofree char *xml = secret_def_format(def);
        g_autoptr(GError) error = NULL;
        g_autoptr(SecretDef) reparsed = secret_def_parse_string(xml, SECRET_DEF_PARSE_VALIDATE, &error);
        g_autoptr(SecretDef) copy = secret_def_copy(def);
        g_autofree char *copied = secret_def_format(copy);
        g_autofree char *again = NULL;

        if (!reparsed) {
                fprintf(stderr, "formatted secret XML does not parse: %s\n%s", error->message, xml);
                abort();
        }
        again = secret_def_format(reparsed);
        if (strcmp(xml, again) != 0 || strcmp(xml, copied) != 0) {
                fprintf(stderr, "secret round trip or copy changed the XML:\n%s---\n%s---\n%s", xml, again, copied);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autofree char *xml = g_strndup((const char *) data, size);
        g_autoptr(GError) error = NULL;
        g_autoptr(SecretDef) def = NULL;

        /* the schema path is slower, so VALIDATE only on a share of the inputs */
        if (size > 0 && data[size - 1] == '\n') {
                secret_def_free(secret_def_parse_string(xml, SECRET_DEF_PARSE_VALIDATE, &error));
                g_clear_error(&error);
        }
        def = secret_def_parse_string(xml, 0, &error);
        if (def)
                check_round_trip(def);
        return 0;
}
