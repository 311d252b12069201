/* The domain model: state, definition files, undefine, rename, autostart. */
#include "domain.h"
#include "name-rule.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-status.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "definition-file.h"
#include "domain-lifecycle.h"
#include "manager.h"
#include "snapshot.h"

Domain *domain_new(Manager *m, DomainDef *def) {
        Domain *d = g_new0(Domain, 1);

        d->manager = m;
        d->def = def;
        g_strlcpy(d->uuid, domain_def_get_uuid(def), sizeof(d->uuid));
        d->id = -1;
        d->state = DOMAIN_SHUTOFF;
        d->reason = DOMAIN_SHUTOFF_UNKNOWN;
        return d;
}

void domain_free(Domain *d) {
        if (!d)
                return;
        domain_detach(d);
        snapshot_img_run_cancel(d->run.img_run);
        domain_snapshots_clear(d);
        domain_status_job_free(d->run.recorded_job);
        g_free(d->run.autodestroy_owner);
        domain_def_free(d->def);
        domain_def_free(d->new_def);
        g_free(d);
}

const char *domain_name(const Domain *d) {
        return domain_def_get_name(d->def);
}

bool domain_check_images_idle(const Domain *d, GError **error) {
        if (domain_is_active(d) || d->run.job != DOMAIN_JOB_SNAPSHOT)
                return true;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                    "domain '%s' is busy with a snapshot of its disk images", domain_name(d));
        return false;
}

bool domain_is_active(const Domain *d) {
        return d->id > 0;
}

const DomainDef *domain_persistent_def(const Domain *d) {
        return d->new_def ? d->new_def : d->def;
}

bool domain_is_updated(const Domain *d) {
        return domain_is_active(d) && d->persistent && d->new_def && !domain_def_equal(d->def, d->new_def);
}

char *domain_config_file(const Manager *m, const char *name) {
        g_autofree char *file = g_strconcat(name, ".xml", NULL);
        return g_build_filename(m->paths->config_dir, file, NULL);
}

char *domain_autostart_link(const Manager *m, const char *name) {
        g_autofree char *file = g_strconcat(name, ".xml", NULL);
        return g_build_filename(m->paths->autostart_dir, file, NULL);
}

char *domain_managed_save_file(const Manager *m, const char *name) {
        g_autofree char *file = g_strconcat(name, ".save", NULL);
        return g_build_filename(m->save_dir, file, NULL);
}

char *domain_snapshot_dir(const Manager *m, const char *name) {
        return g_build_filename(m->snapshot_dir, name, NULL);
}

bool domain_has_managed_save(const Domain *d) {
        g_autofree char *file = domain_managed_save_file(d->manager, domain_name(d));
        return access(file, F_OK) == 0;
}

unsigned domain_snapshot_count(const Domain *d) {
        g_autofree char *dir = domain_snapshot_dir(d->manager, domain_name(d));
        g_autoptr(GDir) gd = g_dir_open(dir, 0, NULL);
        const char *e;
        unsigned n = 0;

        if (!gd)
                return 0;
        while ((e = g_dir_read_name(gd)))
                if (g_str_has_suffix(e, ".xml"))
                        n++;
        return n;
}

char *domain_get_xml(const Domain *d, unsigned flags) {
        unsigned fmt = 0;
        const DomainDef *def = d->def;

        if (flags & DOMAIN_XML_INACTIVE) {
                def = domain_persistent_def(d);
                fmt |= DOMAIN_DEF_FORMAT_INACTIVE;
        } else if (!domain_is_active(d))
                fmt |= DOMAIN_DEF_FORMAT_INACTIVE;
        if (flags & DOMAIN_XML_SECURE)
                fmt |= DOMAIN_DEF_FORMAT_SECURE;
        if (flags & DOMAIN_XML_MIGRATABLE)
                fmt |= DOMAIN_DEF_FORMAT_MIGRATABLE;
        return domain_def_format(def, fmt);
}

bool domain_save_config(const Manager *m, const DomainDef *def, GError **error) {
        g_autofree char *xml = domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE | DOMAIN_DEF_FORMAT_INACTIVE);

        return vmmd_definition_write(m->paths->config_dir, domain_def_get_name(def), domain_def_get_uuid(def), xml,
                                     "vmmd-qemu", "edit", QEMU_BUS_NAME, "domain definition", error);
}

bool domain_set_autostart(Domain *d, bool autostart, GError **error) {
        Manager *m = d->manager;
        g_autofree char *target = domain_config_file(m, domain_name(d));

        if (!d->persistent) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "cannot set autostart for transient domain '%s'", domain_name(d));
                return false;
        }
        if (autostart == d->autostart)
                return true;
        if (!vmmd_autostart_link_set(m->paths->autostart_dir, domain_name(d), target, autostart, error))
                return false;
        d->autostart = autostart;
        manager_notify_domain_changed(m, d, DOMAIN_CHANGED_AUTOSTART);
        return true;
}

/* spec B: every check first, then the deletions; nothing is lost if a check fails. */
bool domain_undefine(Domain *d, unsigned flags, GError **error) {
        Manager *m = d->manager;
        const char *name = domain_name(d);
        g_autofree char *config = domain_config_file(m, name);
        g_autofree char *link = domain_autostart_link(m, name);
        g_autofree char *save = domain_managed_save_file(m, name);
        g_autofree char *snapdir = domain_snapshot_dir(m, name);
        g_autofree char *aside = NULL;
        unsigned nsnap;
        int r;

        if (!d->persistent) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "cannot undefine transient domain '%s'", name);
                return false;
        }
        if (d->run.job == DOMAIN_JOB_START && !domain_is_active(d)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "domain '%s' is being started", name);
                return false;
        }
        if (!domain_check_images_idle(d, error))
                return false;
        nsnap = domain_snapshot_count(d);
        if (!domain_is_active(d) && nsnap > 0 && !(flags & DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "cannot undefine domain '%s' with %u snapshots; use SNAPSHOTS_METADATA to remove their metadata",
                            name, nsnap);
                return false;
        }
        if (access(save, F_OK) == 0 && !(flags & DOMAIN_UNDEFINE_MANAGED_SAVE)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "refusing to undefine domain '%s' with a managed save image '%s'; "
                            "remove it first or use MANAGED_SAVE", name, save);
                return false;
        }

        /* The managed save image is only moved aside (same directory, a hidden name) and
         * removed once everything else succeeded: a failing step puts back what went
         * before it, and never is an image lost while the domain stays defined. */
        if ((flags & DOMAIN_UNDEFINE_MANAGED_SAVE) && access(save, F_OK) == 0) {
                g_autofree char *base = g_strconcat(".", name, ".save.undefine", NULL);

                aside = g_build_filename(m->save_dir, base, NULL);
                if (rename(save, aside) < 0) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR,
                                    "failed to remove managed save image '%s': %s", save, g_strerror(errno));
                        return false;
                }
        }
        if (unlink(config) < 0 && errno != ENOENT) {
                vmmd_error_set_errno(error, -errno, "cannot remove domain definition '%s'", config);
                goto undo_save;
        }
        if (!domain_is_active(d) && nsnap > 0) {
                r = vmmd_rm_rf(snapdir);
                if (r < 0) {
                        g_autoptr(GError) local = NULL;

                        vmmd_error_set_errno(error, r, "cannot remove snapshot metadata '%s'", snapdir);
                        if (!domain_save_config(m, domain_persistent_def(d), &local))
                                log_error("cannot write back the definition of '%s': %s", name, local->message);
                        goto undo_save;
                }
        }
        if (unlink(link) < 0 && errno != ENOENT)
                log_warning("cannot remove autostart link '%s': %s", link, g_strerror(errno));
        if (aside && unlink(aside) < 0)
                /* the domain is gone already; the image stays for the user to remove */
                log_warning("cannot remove managed save image '%s': %s", aside, g_strerror(errno));

        if (domain_is_active(d)) {
                /* B13: it keeps running as a transient domain */
                d->persistent = false;
                d->autostart = false;
                g_clear_pointer(&d->new_def, domain_def_free);
                /* F1: PropertiesChanged, then the event */
                manager_notify_domain_changed(m, d, DOMAIN_CHANGED_PERSISTENT | DOMAIN_CHANGED_AUTOSTART | DOMAIN_CHANGED_UPDATED);
                manager_notify_domain_event(m, d, DOMAIN_EVENT_UNDEFINED, DOMAIN_EVENT_UNDEFINED_REMOVED);
                return true;
        }
        manager_notify_domain_event(m, d, DOMAIN_EVENT_UNDEFINED, DOMAIN_EVENT_UNDEFINED_REMOVED);
        manager_notify_domain_removed(m, d);
        domain_snapshots_drop(d);   /* spec 0.1: their objects go with the domain */
        manager_remove_domain(m, d);
        return true;

undo_save:
        if (aside && rename(aside, save) < 0)
                log_error("cannot put back managed save image '%s' (it is '%s' now): %s", save, aside,
                          g_strerror(errno));
        return false;
}

bool domain_rename(Domain *d, const char *new_name, GError **error) {
        Manager *m = d->manager;
        g_autofree char *old_name = g_strdup(domain_name(d));
        g_autofree char *old_config = domain_config_file(m, old_name);
        g_autofree char *new_config = domain_config_file(m, new_name);
        g_autofree char *old_link = domain_autostart_link(m, old_name);
        g_autofree char *new_link = domain_autostart_link(m, new_name);
        g_autofree char *old_snap = domain_snapshot_dir(m, old_name);
        g_autofree char *new_snap = domain_snapshot_dir(m, new_name);
        g_autoptr(DomainDef) def = NULL;
        bool moved_snap = false;

        if (!*new_name) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "new domain name must not be empty");
                return false;
        }
        /* A30: '/' is XMLError, a newline XMLDetail; the other rules as for '/' */
        if (!vmmd_name_check("domain", new_name, VMMD_ERROR_XML_ERROR, VMMD_ERROR_XML_DETAIL, error))
                return false;
        if (g_str_equal(new_name, old_name)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "domain '%s' already has that name", old_name);
                return false;
        }
        if (manager_find_by_name(m, new_name) || manager_is_defining(m, new_name, NULL)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "domain with name '%s' already exists", new_name);
                return false;
        }
        if (domain_is_active(d) || d->run.job != DOMAIN_JOB_NONE) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "cannot rename active domain '%s'", old_name);
                return false;
        }
        if (!d->persistent) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "cannot rename transient domain '%s'", old_name);
                return false;
        }
        if (domain_has_managed_save(d)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "cannot rename domain '%s' with a managed save image", old_name);
                return false;
        }

        /* Leftovers of an earlier domain called new_name are never adopted: data (a
         * definition, a managed save image, snapshot metadata) is refused by name and
         * left alone; a stale autostart link is only metadata and goes (below). */
        {
                g_autofree char *new_save = domain_managed_save_file(m, new_name);
                const char *const leftovers[] = { new_config, new_save, new_snap };

                for (size_t i = 0; i < G_N_ELEMENTS(leftovers); i++) {
                        struct stat st;

                        if (lstat(leftovers[i], &st) < 0 && errno == ENOENT)
                                continue;
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                                    "cannot rename domain '%s' to '%s': '%s' of an earlier domain with that name "
                                    "exists; remove it first", old_name, new_name, leftovers[i]);
                        return false;
                }
        }

        def = domain_def_copy(d->def);
        domain_def_set_name(def, new_name);
        if (access(old_snap, F_OK) == 0) {
                if (rename(old_snap, new_snap) < 0) {
                        vmmd_error_set_errno(error, -errno, "cannot move snapshot metadata to '%s'", new_snap);
                        return false;
                }
                moved_snap = true;
        }
        if (!domain_save_config(m, def, error))
                goto undo;
        if (d->autostart) {
                (void) unlink(new_link);
                if (symlink(new_config, new_link) < 0) {
                        vmmd_error_set_errno(error, -errno, "cannot create autostart link '%s'", new_link);
                        (void) unlink(new_config);
                        goto undo;
                }
                (void) unlink(old_link);
        } else if (unlink(new_link) < 0 && errno != ENOENT) {
                /* a stale link would make the renamed domain autostart after a restart */
                vmmd_error_set_errno(error, -errno, "cannot remove stale autostart link '%s'", new_link);
                (void) unlink(new_config);
                goto undo;
        }
        if (unlink(old_config) < 0 && errno != ENOENT)
                log_warning("cannot remove old definition '%s': %s", old_config, g_strerror(errno));

        domain_def_free(d->def);
        d->def = g_steal_pointer(&def);
        manager_rename_domain(m, d, old_name);
        domain_snapshots_save_all(d);
        /* F1: PropertiesChanged, then the events */
        manager_notify_domain_changed(m, d, DOMAIN_CHANGED_NAME);
        manager_notify_domain_event(m, d, DOMAIN_EVENT_UNDEFINED, DOMAIN_EVENT_UNDEFINED_RENAMED);
        manager_notify_domain_event(m, d, DOMAIN_EVENT_DEFINED, DOMAIN_EVENT_DEFINED_RENAMED);
        return true;

undo:
        if (moved_snap)
                (void) rename(new_snap, old_snap);
        return false;
}
