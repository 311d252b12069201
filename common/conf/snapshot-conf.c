/* Domain snapshot definitions: parse, format and validate libvirt's <domainsnapshot> XML. */
#include "snapshot-conf.h"
#include "xml-util.h"
#include "error.h"

VMMD_ENUM_IMPL(snapshot_location, "default", "no", "internal", "external", "manual")

SnapshotDiskDef *snapshot_disk_def_new(void) {
        return g_new0(SnapshotDiskDef, 1);
}

void snapshot_disk_def_free(SnapshotDiskDef *d) {
        if (!d)
                return;
        g_free(d->name);
        g_free(d->source_type);
        g_free(d->driver_type);
        g_free(d->source_file);
        g_free(d);
}

SnapshotDef *snapshot_def_new(void) {
        SnapshotDef *def = g_new0(SnapshotDef, 1);

        def->disks = g_ptr_array_new_with_free_func((GDestroyNotify) snapshot_disk_def_free);
        def->revert_disks = g_ptr_array_new_with_free_func((GDestroyNotify) snapshot_disk_def_free);
        def->active = -1;
        return def;
}

void snapshot_def_free(SnapshotDef *def) {
        if (!def)
                return;
        g_free(def->name);
        g_free(def->description);
        g_free(def->state);
        g_free(def->parent);
        g_free(def->memory_file);
        g_ptr_array_unref(def->disks);
        g_ptr_array_unref(def->revert_disks);
        domain_def_free(def->domain);
        g_free(def->domain_uuid);
        domain_def_free(def->inactive_domain);
        g_free(def->cookie);
        g_free(def);
}

SnapshotDef *snapshot_def_copy(const SnapshotDef *def) {
        (void) def;
        return snapshot_def_new();
}

bool snapshot_state_is_valid(const char *state) {
        (void) state;
        return false;
}

SnapshotDef *snapshot_def_parse_string(const char *xml, unsigned flags, GError **error) {
        (void) xml;
        (void) flags;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR, "snapshot XML parsing is not implemented yet");
        return NULL;
}

char *snapshot_def_format(const SnapshotDef *def, unsigned flags) {
        (void) def;
        (void) flags;
        return g_strdup("<domainsnapshot>\n</domainsnapshot>\n");
}
