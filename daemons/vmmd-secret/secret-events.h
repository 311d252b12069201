/* What the vmmd-secret model tells its listener (the bus glue, or a test): objects, lifecycle events, changes. */
#pragma once

typedef struct Secret Secret;

/* the properties a change touches, for PropertiesChanged */
enum {
        SECRET_CHANGED_USAGE = 1 << 0,        /* UsageType, UsageID */
        SECRET_CHANGED_DESCRIPTION = 1 << 1,
        SECRET_CHANGED_EPHEMERAL = 1 << 2,
        SECRET_CHANGED_PRIVATE = 1 << 3,
        SECRET_CHANGED_HAS_VALUE = 1 << 4,
};

typedef struct SecretListener {
        void (*secret_added)(void *userdata, Secret *s);
        void (*secret_removed)(void *userdata, Secret *s);
        void (*secret_event)(void *userdata, Secret *s, int event);
        void (*secret_changed)(void *userdata, Secret *s, unsigned changes);
        void (*value_changed)(void *userdata, Secret *s);
} SecretListener;
