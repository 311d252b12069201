/* libFuzzer target for the nwfilter filter and binding XML parsers: parse, format and check the round trip. */
#include "nwfilter-conf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever parses must format to XML that parses back to the same bytes: the daemon stores
 * filters and bindings this way and rebuilds every port's rules from them at each start. */
static void check_filter(const NWFilterDef *def) {
        g_autofree char *xml = nwfilter_def_format(def);
        g_autofree char *again = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(NWFilterDef) reparsed = nwfilter_def_parse_string(xml, 0, &error);

        if (!reparsed) {
                fprintf(stderr, "formatted filter XML does not parse: %s\n%s", error->message, xml);
                abort();
        }
        again = nwfilter_def_format(reparsed);
        if (strcmp(xml, again) != 0) {
                fprintf(stderr, "filter round trip changed the XML:\n%s---\n%s", xml, again);
                abort();
        }
}

static void check_binding(const NWFilterBindingDef *def) {
        g_autofree char *xml = nwfilter_binding_def_format(def);
        g_autofree char *again = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(NWFilterBindingDef) reparsed = nwfilter_binding_def_parse_string(xml, 0, &error);

        if (!reparsed) {
                fprintf(stderr, "formatted binding XML does not parse: %s\n%s", error->message, xml);
                abort();
        }
        again = nwfilter_binding_def_format(reparsed);
        if (strcmp(xml, again) != 0) {
                fprintf(stderr, "binding round trip changed the XML:\n%s---\n%s", xml, again);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autofree char *xml = g_strndup((const char *) data, size);
        g_autoptr(NWFilterDef) filter = NULL;
        g_autoptr(NWFilterBindingDef) binding = NULL;

        /* the schema path is slower, so VALIDATE only on a share of the inputs */
        if (size > 0 && data[size - 1] == '\n') {
                nwfilter_def_free(nwfilter_def_parse_string(xml, NWFILTER_DEF_PARSE_VALIDATE, NULL));
                nwfilter_binding_def_free(nwfilter_binding_def_parse_string(xml, NWFILTER_BINDING_PARSE_VALIDATE, NULL));
        }
        filter = nwfilter_def_parse_string(xml, 0, NULL);
        if (filter) {
                g_autoptr(NWFilterDef) copy = nwfilter_def_copy(filter);

                check_filter(filter);
                check_filter(copy);
        }
        binding = nwfilter_binding_def_parse_string(xml, 0, NULL);
        if (binding) {
                g_autoptr(NWFilterBindingDef) copy = nwfilter_binding_def_copy(binding);

                check_binding(binding);
                check_binding(copy);
        }
        return 0;
}
