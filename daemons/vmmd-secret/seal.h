/* Encryption at rest of secret values (spec secrets.md §6): the master key and the sealed file format. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_SIZE 32
#define SEAL_KEY_ID_SIZE 8
#define SEAL_HEADER_SIZE 30           /* magic 8, version 1, algorithm 1, key id 8, nonce 12 */
#define SEAL_TAG_SIZE 16
#define SEAL_OVERHEAD (SEAL_HEADER_SIZE + SEAL_TAG_SIZE)
#define SEAL_CREDENTIAL_NAME "vmmd-secret-master-key"

typedef enum {
        MASTER_KEY_LOADED,   /* usable */
        MASTER_KEY_ABSENT,   /* no key file yet: created on the first persistent value */
        MASTER_KEY_BROKEN,   /* a key exists but cannot be used (problem says why) */
} MasterKeyState;

typedef struct MasterKey {
        uint8_t key[SEAL_KEY_SIZE];        /* mlock'ed, cleared at free */
        uint8_t id[SEAL_KEY_ID_SIZE];      /* first 8 bytes of SHA-256(key) */
        MasterKeyState state;
        bool from_credential;
        char *path;        /* the credential or the key file: every message names it */
        char *problem;     /* MASTER_KEY_BROKEN: the reason, without any key material */
} MasterKey;

/* Finds the key (spec §6.2): $CREDENTIALS_DIRECTORY/vmmd-secret-master-key when it exists,
 * else key_file. Never fails: a key that cannot be used is MASTER_KEY_BROKEN. */
MasterKey *master_key_load(const char *key_file);
void master_key_free(MasterKey *k);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MasterKey, master_key_free)

/* A usable key for sealing: the loaded one, or a new one written atomically (0600, directory
 * 0700) when there is none and may_create (the caller knows no sealed value exists: a new key
 * must never stand in for one that sealed existing values). OPERATION_FAILED naming the key
 * path otherwise. */
bool master_key_ensure(MasterKey *k, bool may_create, GError **error);

/* The sealed bytes of value for the secret uuid (36 lowercase chars): SEAL_OVERHEAD + len
 * bytes. k must be loaded. */
uint8_t *seal_value(const MasterKey *k, const char *uuid, const uint8_t *value, size_t len, size_t *ret_len);

/* Whether data's header names another key than k (or k is not loaded): such a file is
 * readable with another key and must not be overwritten. False for a damaged header. */
bool seal_needs_other_key(const MasterKey *k, const uint8_t *data, size_t len);

/* The value of sealed data, or NULL with OPERATION_FAILED saying why (bad header, other
 * key, damaged). The returned buffer is g_malloc'ed; clear it with secret_buffer_free. */
uint8_t *unseal_value(const MasterKey *k, const char *uuid, const uint8_t *data, size_t len, size_t *ret_len,
                      GError **error);

/* explicit_bzero then g_free; NULL is fine. */
void secret_buffer_free(uint8_t *buf, size_t len);
