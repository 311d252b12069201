/* Unit tests for vmmd-secret's sealed value format and master key rules (spec secrets.md §6). */
#include "seal.h"
#include "error.h"
#include "fileio.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UUID1 "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
#define UUID2 "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

typedef struct {
        char *dir;
        char *key_file;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data) {
        f->dir = g_dir_make_tmp("vmmd-seal-XXXXXX", NULL);
        g_assert_nonnull(f->dir);
        f->key_file = g_build_filename(f->dir, "keys", "master.key", NULL);
        g_unsetenv("CREDENTIALS_DIRECTORY");
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        g_assert_cmpint(vmmd_rm_rf(f->dir), ==, 0);
        g_free(f->dir);
        g_free(f->key_file);
}

static MasterKey *new_key(Fixture *f) {
        g_autoptr(GError) error = NULL;
        MasterKey *k = master_key_load(f->key_file);

        g_assert_cmpint(k->state, ==, MASTER_KEY_ABSENT);
        g_assert_true(master_key_ensure(k, true, &error));
        g_assert_no_error(error);
        return k;
}

static void test_round_trip(Fixture *f, gconstpointer data) {
        g_autoptr(MasterKey) k = new_key(f);
        static const uint8_t value[] = { 's', 0, 'e', 0xff, 'c' };
        g_autoptr(GError) error = NULL;
        g_autofree uint8_t *sealed = NULL, *again = NULL;
        uint8_t *plain;
        size_t len, plain_len;
        struct stat st;

        g_assert_cmpint(stat(f->key_file, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        g_assert_cmpint(st.st_size, ==, SEAL_KEY_SIZE);
        sealed = seal_value(k, UUID1, value, sizeof(value), &len);
        g_assert_cmpuint(len, ==, 46 + sizeof(value));
        g_assert_cmpmem(sealed, 10, "VMMDSEAL\x01\x01", 10);
        g_assert_cmpmem(sealed + 10, 8, k->id, 8);
        plain = unseal_value(k, UUID1, sealed, len, &plain_len, &error);
        g_assert_no_error(error);
        g_assert_cmpmem(plain, plain_len, value, sizeof(value));
        secret_buffer_free(plain, plain_len);
        /* a fresh nonce each time: the same value seals differently */
        again = seal_value(k, UUID1, value, sizeof(value), &len);
        g_assert_true(memcmp(sealed + 18, again + 18, 12) != 0);
}

static void test_empty_value(Fixture *f, gconstpointer data) {
        g_autoptr(MasterKey) k = new_key(f);
        g_autoptr(GError) error = NULL;
        g_autofree uint8_t *sealed = NULL;
        uint8_t *plain;
        size_t len, plain_len = 99;

        sealed = seal_value(k, UUID1, NULL, 0, &len);
        g_assert_cmpuint(len, ==, 46);
        plain = unseal_value(k, UUID1, sealed, len, &plain_len, &error);
        g_assert_no_error(error);
        g_assert_nonnull(plain);
        g_assert_cmpuint(plain_len, ==, 0);
        secret_buffer_free(plain, 0);
}

/* every byte of the file is covered: header (magic, version, algorithm, key id, nonce), data, tag */
static void test_tamper(Fixture *f, gconstpointer data) {
        g_autoptr(MasterKey) k = new_key(f);
        g_autofree uint8_t *sealed = NULL;
        size_t len;

        sealed = seal_value(k, UUID1, (const uint8_t *) "value", 5, &len);
        for (size_t i = 0; i < len; i++) {
                g_autoptr(GError) error = NULL;
                size_t plain_len;

                sealed[i] ^= 0x40;
                g_assert_null(unseal_value(k, UUID1, sealed, len, &plain_len, &error));
                g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED);
                sealed[i] ^= 0x40;
        }
        /* truncated */
        for (size_t cut = 0; cut < len; cut += 7) {
                g_autoptr(GError) error = NULL;
                size_t plain_len;

                g_assert_null(unseal_value(k, UUID1, sealed, cut, &plain_len, &error));
                g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED);
        }
}

/* a file moved to another secret's name does not open */
static void test_other_uuid(Fixture *f, gconstpointer data) {
        g_autoptr(MasterKey) k = new_key(f);
        g_autoptr(GError) error = NULL;
        g_autofree uint8_t *sealed = NULL;
        size_t len, plain_len;

        sealed = seal_value(k, UUID1, (const uint8_t *) "value", 5, &len);
        g_assert_null(unseal_value(k, UUID2, sealed, len, &plain_len, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED);
        g_assert_false(seal_needs_other_key(k, sealed, len));
}

/* another key: refused before decryption, and recognised as such (never overwritten) */
static void test_other_key(Fixture *f, gconstpointer data) {
        g_autoptr(MasterKey) k = new_key(f);
        g_autoptr(MasterKey) k2 = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree uint8_t *sealed = NULL;
        size_t len, plain_len;

        sealed = seal_value(k, UUID1, (const uint8_t *) "value", 5, &len);
        g_assert_cmpint(unlink(f->key_file), ==, 0);
        k2 = new_key(f);
        g_assert_true(memcmp(k->id, k2->id, SEAL_KEY_ID_SIZE) != 0);
        g_assert_null(unseal_value(k2, UUID1, sealed, len, &plain_len, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED);
        g_assert_nonnull(strstr(error->message, "another master key"));
        g_assert_true(seal_needs_other_key(k2, sealed, len));
}

static void test_key_rules(Fixture *f, gconstpointer data) {
        g_autoptr(MasterKey) k = new_key(f);
        g_autoptr(GError) error = NULL;
        g_autofree char *before = NULL;
        size_t n;

        /* group-readable: refused, and ensure names the path */
        g_assert_cmpint(chmod(f->key_file, 0640), ==, 0);
        {
                g_autoptr(MasterKey) bad = master_key_load(f->key_file);

                g_assert_cmpint(bad->state, ==, MASTER_KEY_BROKEN);
                g_assert_nonnull(strstr(bad->problem, "0640"));
                g_assert_false(master_key_ensure(bad, true, &error));
                g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED);
                g_assert_nonnull(strstr(error->message, f->key_file));
                g_clear_error(&error);
        }
        g_assert_cmpint(chmod(f->key_file, 0600), ==, 0);
        /* wrong length */
        g_assert_cmpint(vmmd_read_file(f->key_file, &before, &n), ==, 0);
        g_assert_cmpint(vmmd_write_file_atomic(f->key_file, before, 16, 0600), ==, 0);
        {
                g_autoptr(MasterKey) bad = master_key_load(f->key_file);
                g_assert_cmpint(bad->state, ==, MASTER_KEY_BROKEN);
        }
        g_assert_cmpint(vmmd_write_file_atomic(f->key_file, before, n, 0600), ==, 0);
        /* absent, but sealed values exist: never created */
        g_assert_cmpint(unlink(f->key_file), ==, 0);
        {
                g_autoptr(MasterKey) absent = master_key_load(f->key_file);

                g_assert_cmpint(absent->state, ==, MASTER_KEY_ABSENT);
                g_assert_false(master_key_ensure(absent, false, &error));
                g_assert_nonnull(strstr(error->message, f->key_file));
                g_assert_false(g_file_test(f->key_file, G_FILE_TEST_EXISTS));
                g_clear_error(&error);
        }
        /* a credential wins over the file and is never written */
        {
                g_autofree char *creds = g_build_filename(f->dir, "creds", NULL);
                g_autofree char *cred = g_build_filename(creds, SEAL_CREDENTIAL_NAME, NULL);
                g_autoptr(MasterKey) ck = NULL;

                g_assert_cmpint(vmmd_mkdir_p(creds, 0700), ==, 0);
                g_assert_cmpint(vmmd_write_file_atomic(cred, before, n, 0400), ==, 0);
                g_setenv("CREDENTIALS_DIRECTORY", creds, TRUE);
                ck = master_key_load(f->key_file);
                g_unsetenv("CREDENTIALS_DIRECTORY");
                g_assert_cmpint(ck->state, ==, MASTER_KEY_LOADED);
                g_assert_true(ck->from_credential);
                g_assert_cmpstr(ck->path, ==, cred);
                g_assert_cmpmem(ck->id, SEAL_KEY_ID_SIZE, k->id, SEAL_KEY_ID_SIZE);
                g_assert_false(g_file_test(f->key_file, G_FILE_TEST_EXISTS));
        }
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("/secret-seal/round-trip", test_round_trip);
        ADD("/secret-seal/empty-value", test_empty_value);
        ADD("/secret-seal/tamper", test_tamper);
        ADD("/secret-seal/other-uuid", test_other_uuid);
        ADD("/secret-seal/other-key", test_other_key);
        ADD("/secret-seal/key-rules", test_key_rules);
        return g_test_run();
}
