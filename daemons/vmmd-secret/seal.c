/* Encryption at rest of secret values: AES-256-GCM through GnuTLS, the master key's lookup and creation. */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "error.h"
#include "fileio.h"
#include "log.h"

static const char seal_magic[8] = { 'V', 'M', 'M', 'D', 'S', 'E', 'A', 'L' };
#define SEAL_VERSION 1
#define SEAL_ALG_AES_256_GCM 1
#define SEAL_NONCE_SIZE 12
#define UUID_LEN 36

void secret_buffer_free(uint8_t *buf, size_t len) {
        if (!buf)
                return;
        explicit_bzero(buf, len);
        g_free(buf);
}

static void key_set(MasterKey *k, const uint8_t *key) {
        uint8_t digest[32];

        memcpy(k->key, key, SEAL_KEY_SIZE);
        gnutls_hash_fast(GNUTLS_DIG_SHA256, k->key, SEAL_KEY_SIZE, digest);
        memcpy(k->id, digest, SEAL_KEY_ID_SIZE);
        k->state = MASTER_KEY_LOADED;
}

static void key_broken(MasterKey *k, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void key_broken(MasterKey *k, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        g_free(k->problem);
        k->problem = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        k->state = MASTER_KEY_BROKEN;
        log_error("master key %s cannot be used: %s", k->path, k->problem);
}

/* Reads exactly SEAL_KEY_SIZE bytes from an opened key; the file's other checks are the caller's. */
static void key_read_fd(MasterKey *k, int fd, const struct stat *st) {
        uint8_t buf[SEAL_KEY_SIZE + 1];
        ssize_t n;

        if (st->st_size != SEAL_KEY_SIZE) {
                key_broken(k, "it holds %lld bytes, not %d", (long long) st->st_size, SEAL_KEY_SIZE);
                return;
        }
        n = read(fd, buf, sizeof(buf));
        if (n != SEAL_KEY_SIZE) {
                key_broken(k, "cannot read %d bytes: %s", SEAL_KEY_SIZE, n < 0 ? g_strerror(errno) : "short read");
                explicit_bzero(buf, sizeof(buf));
                return;
        }
        key_set(k, buf);
        explicit_bzero(buf, sizeof(buf));
}

static void key_load_credential(MasterKey *k, int fd) {
        struct stat st;

        k->from_credential = true;
        if (fstat(fd, &st) < 0)
                key_broken(k, "cannot stat: %s", g_strerror(errno));
        else if (!S_ISREG(st.st_mode))
                key_broken(k, "not a regular file");
        else
                key_read_fd(k, fd, &st);
}

static void key_load_file(MasterKey *k) {
        struct stat st;
        int fd = open(k->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

        if (fd < 0) {
                if (errno == ENOENT)
                        k->state = MASTER_KEY_ABSENT;
                else
                        key_broken(k, "cannot open: %s", g_strerror(errno));
                return;
        }
        if (fstat(fd, &st) < 0)
                key_broken(k, "cannot stat: %s", g_strerror(errno));
        else if (!S_ISREG(st.st_mode))
                key_broken(k, "not a regular file");
        else if (st.st_uid != geteuid())
                key_broken(k, "owned by uid %u, not by the daemon's uid %u", (unsigned) st.st_uid,
                           (unsigned) geteuid());
        else if (st.st_mode & 077)
                key_broken(k, "mode %04o gives access to group or others (0600 is needed)",
                           (unsigned) (st.st_mode & 07777));
        else
                key_read_fd(k, fd, &st);
        close(fd);
}

MasterKey *master_key_load(const char *key_file) {
        MasterKey *k = g_new0(MasterKey, 1);
        const char *creds = g_getenv("CREDENTIALS_DIRECTORY");

        /* the key must not reach swap or a core dump */
        (void) mlock(k->key, sizeof(k->key));
        if (creds && *creds) {
                g_autofree char *path = g_build_filename(creds, SEAL_CREDENTIAL_NAME, NULL);
                int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

                if (fd >= 0) {
                        k->path = g_steal_pointer(&path);
                        key_load_credential(k, fd);
                        close(fd);
                        return k;
                }
        }
        k->path = g_strdup(key_file);
        key_load_file(k);
        return k;
}

void master_key_free(MasterKey *k) {
        if (!k)
                return;
        explicit_bzero(k->key, sizeof(k->key));
        (void) munlock(k->key, sizeof(k->key));
        g_free(k->path);
        g_free(k->problem);
        g_free(k);
}

bool master_key_ensure(MasterKey *k, bool may_create, GError **error) {
        g_autofree char *dir = NULL;
        uint8_t key[SEAL_KEY_SIZE];
        struct stat st;
        int r;

        if (k->state == MASTER_KEY_LOADED)
                return true;
        if (k->state == MASTER_KEY_BROKEN) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "master key %s cannot be used: %s",
                            k->path, k->problem);
                return false;
        }
        if (!may_create) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "master key %s is missing but sealed values exist: a new key would make them "
                            "unreadable, so none is created (restore the key)", k->path);
                return false;
        }
        /* the file may have appeared since the daemon started: never replace a key */
        if (lstat(k->path, &st) == 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "master key %s appeared while the daemon runs; restart the daemon to use it", k->path);
                return false;
        }
        dir = g_path_get_dirname(k->path);
        r = vmmd_mkdir_p(dir, 0700);
        if (r >= 0 && chmod(dir, 0700) < 0)
                r = -errno;
        if (r < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "cannot create key directory %s: %s", dir,
                            g_strerror(-r));
                return false;
        }
        if (getrandom(key, sizeof(key), 0) != (ssize_t) sizeof(key)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "cannot get random bytes for the master key");
                explicit_bzero(key, sizeof(key));
                return false;
        }
        r = vmmd_write_file_atomic(k->path, (const char *) key, sizeof(key), 0600);
        if (r < 0) {
                explicit_bzero(key, sizeof(key));
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "cannot write master key %s: %s", k->path,
                            g_strerror(-r));
                return false;
        }
        key_set(k, key);
        explicit_bzero(key, sizeof(key));
        log_info("created master key %s", k->path);
        return true;
}

/* --- the sealed format (spec §6.3) --- */

static int aead_init(const MasterKey *k, gnutls_aead_cipher_hd_t *ret) {
        gnutls_datum_t key = { .data = (unsigned char *) k->key, .size = SEAL_KEY_SIZE };

        return gnutls_aead_cipher_init(ret, GNUTLS_CIPHER_AES_256_GCM, &key);
}

/* header bytes 0–29 followed by the uuid: a file copied to another secret's name fails */
static void make_aad(uint8_t aad[SEAL_HEADER_SIZE + UUID_LEN], const uint8_t *header, const char *uuid) {
        memcpy(aad, header, SEAL_HEADER_SIZE);
        memcpy(aad + SEAL_HEADER_SIZE, uuid, UUID_LEN);
}

uint8_t *seal_value(const MasterKey *k, const char *uuid, const uint8_t *value, size_t len, size_t *ret_len) {
        g_autofree uint8_t *out = g_malloc(SEAL_OVERHEAD + len);
        uint8_t aad[SEAL_HEADER_SIZE + UUID_LEN];
        gnutls_aead_cipher_hd_t h;
        size_t ct_len = len + SEAL_TAG_SIZE;
        int r;

        g_assert(k->state == MASTER_KEY_LOADED && strlen(uuid) == UUID_LEN);
        memcpy(out, seal_magic, sizeof(seal_magic));
        out[8] = SEAL_VERSION;
        out[9] = SEAL_ALG_AES_256_GCM;
        memcpy(out + 10, k->id, SEAL_KEY_ID_SIZE);
        if (gnutls_rnd(GNUTLS_RND_NONCE, out + 18, SEAL_NONCE_SIZE) < 0)
                g_error("gnutls_rnd failed");
        make_aad(aad, out, uuid);
        r = aead_init(k, &h);
        if (r < 0)
                g_error("gnutls_aead_cipher_init: %s", gnutls_strerror(r));
        /* GnuTLS writes the ciphertext followed by the tag: exactly the file's layout */
        r = gnutls_aead_cipher_encrypt(h, out + 18, SEAL_NONCE_SIZE, aad, sizeof(aad), SEAL_TAG_SIZE, value, len,
                                       out + SEAL_HEADER_SIZE, &ct_len);
        gnutls_aead_cipher_deinit(h);
        if (r < 0 || ct_len != len + SEAL_TAG_SIZE)
                g_error("gnutls_aead_cipher_encrypt: %s", gnutls_strerror(r));
        *ret_len = SEAL_OVERHEAD + len;
        return g_steal_pointer(&out);
}

static bool header_ok(const uint8_t *data, size_t len, GError **error) {
        if (len < SEAL_OVERHEAD || memcmp(data, seal_magic, sizeof(seal_magic)) != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "not a sealed value file");
                return false;
        }
        if (data[8] != SEAL_VERSION || data[9] != SEAL_ALG_AES_256_GCM) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "unsupported sealed format (version %u, algorithm %u)", data[8], data[9]);
                return false;
        }
        return true;
}

bool seal_needs_other_key(const MasterKey *k, const uint8_t *data, size_t len) {
        if (!header_ok(data, len, NULL))
                return false;
        return k->state != MASTER_KEY_LOADED || memcmp(data + 10, k->id, SEAL_KEY_ID_SIZE) != 0;
}

uint8_t *unseal_value(const MasterKey *k, const char *uuid, const uint8_t *data, size_t len, size_t *ret_len,
                      GError **error) {
        uint8_t aad[SEAL_HEADER_SIZE + UUID_LEN];
        gnutls_aead_cipher_hd_t h;
        uint8_t *out;
        size_t out_len;
        int r;

        if (!header_ok(data, len, error))
                return NULL;
        if (k->state != MASTER_KEY_LOADED) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "master key %s is %s", k->path,
                            k->state == MASTER_KEY_ABSENT ? "missing" : "unusable");
                return NULL;
        }
        if (memcmp(data + 10, k->id, SEAL_KEY_ID_SIZE) != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "sealed with another master key than %s", k->path);
                return NULL;
        }
        make_aad(aad, data, uuid);
        r = aead_init(k, &h);
        if (r < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "cannot set up AES-256-GCM: %s",
                            gnutls_strerror(r));
                return NULL;
        }
        out_len = len - SEAL_OVERHEAD;
        /* one spare byte: GnuTLS refuses a NULL output for an empty value */
        out = g_malloc0(out_len + 1);
        r = gnutls_aead_cipher_decrypt(h, data + 18, SEAL_NONCE_SIZE, aad, sizeof(aad), SEAL_TAG_SIZE,
                                       data + SEAL_HEADER_SIZE, len - SEAL_HEADER_SIZE, out, &out_len);
        gnutls_aead_cipher_deinit(h);
        if (r < 0 || out_len != len - SEAL_OVERHEAD) {
                secret_buffer_free(out, len - SEAL_OVERHEAD + 1);
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "authentication failed (the file is damaged or belongs to another secret)");
                return NULL;
        }
        *ret_len = out_len;
        return out;
}
