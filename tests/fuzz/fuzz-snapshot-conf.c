/* libFuzzer target for the domain snapshot XML parser: parse, format and check the round trip. */
#include "snapshot-conf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever parses must format to XML that REDEFINE reads back to the same bytes: the daemon
 * stores snapshot metadata and reloads it at start (spec D24, D25). */
static void check_round_trip(const SnapshotDef *def, unsigned format_flags) {
        g_autofree char *xml = snapshot_def_format(def, format_flags);
        g_autofree char *again = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(SnapshotDef) reparsed = NULL;
        g_autoptr(SnapshotDef) copy = snapshot_def_copy(def);
        g_autofree char *copied = snapshot_def_format(copy, format_flags);

        /* a new snapshot has no state yet; REDEFINE needs one */
        if (!def->state)
                return;
        reparsed = snapshot_def_parse_string(xml, SNAPSHOT_PARSE_REDEFINE | SNAPSHOT_PARSE_METADATA, &error);
        if (!reparsed) {
                fprintf(stderr, "formatted snapshot XML does not parse: %s\n%s", error->message, xml);
                abort();
        }
        again = snapshot_def_format(reparsed, format_flags);
        if (strcmp(xml, again) != 0 || strcmp(xml, copied) != 0) {
                fprintf(stderr, "snapshot round trip or copy changed the XML:\n%s---\n%s---\n%s", xml, again, copied);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autofree char *xml = g_strndup((const char *) data, size);
        /* the first byte picks the parse flags, so each corpus file reaches every mode; the
         * schema path is slower, so VALIDATE only on a share of the inputs */
        unsigned flags = size > 0 ? data[0] & (SNAPSHOT_PARSE_REDEFINE | SNAPSHOT_PARSE_METADATA) : 0;
        g_autoptr(GError) error = NULL;
        g_autoptr(SnapshotDef) def = NULL;

        if (size > 0 && data[size - 1] == '\n') {
                snapshot_def_free(snapshot_def_parse_string(xml, flags | SNAPSHOT_PARSE_VALIDATE, &error));
                g_clear_error(&error);
        }
        def = snapshot_def_parse_string(xml, flags, &error);
        if (!def)
                return 0;
        check_round_trip(def, SNAPSHOT_FORMAT_SECURE | SNAPSHOT_FORMAT_METADATA);
        /* every input also as REDEFINE, the path that reads the inner domains and the cookie */
        if (!(flags & SNAPSHOT_PARSE_REDEFINE)) {
                g_autoptr(SnapshotDef) redefined =
                        snapshot_def_parse_string(xml, SNAPSHOT_PARSE_REDEFINE | SNAPSHOT_PARSE_METADATA, NULL);

                if (redefined)
                        check_round_trip(redefined, SNAPSHOT_FORMAT_SECURE | SNAPSHOT_FORMAT_METADATA);
        }
        return 0;
}
