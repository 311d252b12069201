/* libFuzzer target for the domain XML parser: parse, post-parse, format and check the round trip. */
#include "domain-conf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever parses must format to XML that parses again to the same bytes: this is the
 * property the daemons rely on when they store a definition and read it back. */
static void check_round_trip(DomainDef *def) {
        g_autofree char *xml = domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE);
        g_autofree char *again = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) reparsed = domain_def_parse_string(xml, 0, &error);

        if (!reparsed) {
                fprintf(stderr, "formatted XML does not parse: %s\n%s", error->message, xml);
                abort();
        }
        again = domain_def_format(reparsed, DOMAIN_DEF_FORMAT_SECURE);
        if (strcmp(xml, again) != 0) {
                fprintf(stderr, "round trip changed the XML:\n%s---\n%s", xml, again);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autofree char *xml = g_strndup((const char *) data, size);
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) def = NULL;
        g_autoptr(DomainDef) validated = NULL;

        /* the schema path is slower; exercise it on a share of the inputs only */
        if (size > 0 && data[size - 1] == '\n') {
                validated = domain_def_parse_string(xml, DOMAIN_DEF_PARSE_VALIDATE, &error);
                g_clear_error(&error);
        }
        def = domain_def_parse_string(xml, 0, &error);
        if (!def)
                return 0;
        check_round_trip(def);
        if (domain_def_post_parse(def, &error))
                check_round_trip(def);
        return 0;
}
