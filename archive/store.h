/*
 * store.h: the encrypted, content-addressed store of package files.
 *
 * A package is named by the SHA-256 of its plaintext bytes (64 hex digits,
 * its id) and kept as DIR/store/<first two hex>/<id>.enc, encrypted with its
 * own random 256-bit key (AES-256-GCM, random 96-bit nonce, the id as
 * additional authenticated data, so a file cannot be passed off under
 * another name). The package key is returned wrapped by the master key
 * (AES key wrap, RFC 3394, EVP_aes_256_wrap) for the caller to keep in the
 * catalog: deleting that wrapped key makes every copy of the file, backups
 * included, unreadable ("crypto-shredding").
 *
 * File layout:  "KHOENC01" | nonce (12) | ciphertext | GCM tag (16)
 *
 * Writes are durable before they return, in the order the ingest contract
 * needs: write a temporary file, fsync, rename, fsync the directory. The
 * caller commits the catalog only afterwards. Reads stream and check both
 * the GCM tag and the SHA-256 of the plaintext against the id, so any
 * alteration of the stored file is caught. Memory never grows with the size
 * of a package.
 */
#ifndef KHO_STORE_H
#define KHO_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define STORE_ID_LEN 64             /* hex characters of an id */
#define STORE_WRAPPED_LEN 40        /* RFC 3394 wrap of a 32-byte key */
#define STORE_KEY_LEN 32

typedef struct store store;

/*
 * store_key_file: read the 32-byte secret in path, or create it (random,
 * mode 0600, durable) if it does not exist. A file of another size, or one
 * readable by group or others, is refused (KHO_EUNSAFE). Used for the master
 * key and for the server secret that keys the HMAC of personal numbers.
 */
int store_key_file(unsigned char key[STORE_KEY_LEN], const char *path, kho_err *err);
/* store_key_file_read: the same, never creating the file: KHO_ENOTFOUND
 * naming path if it does not exist (the tools: a mistyped path or a lost key
 * must not be replaced by a new one). */
int store_key_file_read(unsigned char key[STORE_KEY_LEN], const char *path, kho_err *err);

/*
 * store_open: the store under dir (creates dir/store and dir/tmp, 0700),
 * with the master key from master_key_file, created if absent only when
 * new_key (the daemon's first start: no check value recorded of it).
 * *out is owned by the caller (store_free).
 */
int store_open(store **out, const char *dir, const char *master_key_file, int new_key,
               kho_err *err);
/* store_open_existing: store_open creating nothing but the scratch
 * directory dir/tmp (the tools): dir/store must be a directory and the
 * master key file must exist, else KHO_ENOTFOUND naming the missing path. */
int store_open_existing(store **out, const char *dir, const char *master_key_file, kho_err *err);

/* store_is_id: 1 if s is 64 lower-case hex digits. */
int store_is_id(const char *s);

/*
 * store_tmp_create: a new empty file in dir/tmp (0600, O_EXCL); its path into
 * path (at least 4096 bytes) and its descriptor into *fd. The caller unlinks it.
 */
int store_tmp_create(store *s, char *path, size_t n, int *fd, kho_err *err);

/* store_cancel_throttle: rate-limited reads (bps > 0) stop sleeping from now
 * on (daemon shutdown); reads themselves go on. */
void store_cancel_throttle(store *s);

/*
 * store_put_file: encrypt the plaintext file at plain_path into the store
 * under id (which the caller computed as its SHA-256; it is checked again
 * while reading). wrapped_out receives the wrapped package key. An existing
 * file under that id is replaced atomically. Durable on return.
 */
int store_put_file(store *s, const char *id, const char *plain_path,
                   unsigned char wrapped_out[STORE_WRAPPED_LEN], kho_err *err);

/*
 * store_get_fd: decrypt the package id into the open descriptor out_fd
 * (written from its current offset) and check it. KHO_ENOTFOUND if the file
 * is missing; KHO_ECRYPTO if it was altered (tag or digest mismatch, wrong
 * key); KHO_EFORMAT for a damaged header. On failure the bytes already
 * written to out_fd must not be used. *size_out (may be NULL) gets the
 * plaintext size. bytes_per_second > 0 throttles the read (fixity checks).
 */
int store_get_fd(store *s, const char *id, const unsigned char wrapped[STORE_WRAPPED_LEN],
                 int out_fd, uint64_t *size_out, uint64_t bytes_per_second, kho_err *err);

/*
 * store_get_tmp: decrypt the package into a new file in dir/tmp and check it;
 * its path into path (>= 4096 bytes). The caller unlinks it.
 */
int store_get_tmp(store *s, const char *id, const unsigned char wrapped[STORE_WRAPPED_LEN],
                  char *path, size_t n, uint64_t *size_out, kho_err *err);

/*
 * The raw-key forms (what the daemon uses since the key store, keystore.h):
 * store_put_file_key returns the fresh random package key in key_out (the
 * caller keeps it in the key store, outside the data directory, and wipes
 * it); store_get_fd_key / store_get_tmp_key take that raw key. The wrapped
 * forms above remain for legacy data directories; store_unwrap_key turns a
 * legacy wrapped key into the raw key once, for the migration.
 */
int store_put_file_key(store *s, const char *id, const char *plain_path,
                       unsigned char key_out[STORE_KEY_LEN], kho_err *err);
/*
 * store_put_key_nosync: store_put_file_key (plain_path), or for plaintext
 * already in memory (plain_path NULL: the len bytes at data; the daemon
 * keeps small uploads in memory), without the fsyncs of the file
 * and its directory: written and renamed into place, durable only once the
 * caller has synced the store's file system (the ingest's group commit
 * does, before the catalog commit; a crash before leaves a file no catalog
 * row names, which ingest_recover removes).
 */
/* store_put_with_key_nosync: the same with the key the key store already
 * holds for id (an ingest of bytes another copy of the catalog holds, or a
 * leftover of an uncommitted ingest), never replacing it. */
int store_put_with_key_nosync(store *s, const char *id, const char *plain_path, const void *data,
                              size_t len, const unsigned char key[STORE_KEY_LEN], kho_err *err);
int store_put_key_nosync(store *s, const char *id, const char *plain_path, const void *data,
                         size_t len, unsigned char key_out[STORE_KEY_LEN], kho_err *err);
int store_get_fd_key(store *s, const char *id, const unsigned char key[STORE_KEY_LEN],
                     int out_fd, uint64_t *size_out, uint64_t bytes_per_second, kho_err *err);
int store_get_tmp_key(store *s, const char *id, const unsigned char key[STORE_KEY_LEN],
                      char *path, size_t n, uint64_t *size_out, kho_err *err);
int store_unwrap_key(store *s, const unsigned char wrapped[STORE_WRAPPED_LEN],
                     unsigned char key_out[STORE_KEY_LEN], kho_err *err);

/* store_path: the stored file's path for id into buf. Returns buf. */
char *store_path(const store *s, const char *id, char *buf, size_t n);

/* store_exists: 1 if a stored file exists for id. */
int store_exists(const store *s, const char *id);

/* store_remove: delete the stored file of id (durable). KHO_ENOTFOUND. */
int store_remove(store *s, const char *id, kho_err *err);

/*
 * store_list: call fn(id, arg) for every file in the store, in no particular
 * order; stray names (not <id>.enc) are reported with id = the file name and
 * is_stray = 1. A non-zero return of fn stops the walk and is returned.
 */
int store_list(store *s, int (*fn)(const char *id, int is_stray, void *arg), void *arg,
               kho_err *err);

/* store_clean_tmp: remove every file of dir/tmp and every "<id>.enc.tmp-*"
 * of the store (at startup: leftovers of a crash). */
int store_clean_tmp(store *s, kho_err *err);

/* store_sha256_file: SHA-256 and size of a plaintext file (streaming). */
int store_sha256_file(const char *path, unsigned char out[32], uint64_t *size_out,
                      kho_err *err);

const char *store_dir(const store *s);

/* store_free: wipes the master key. NULL is a no-op. */
void store_free(store *s);

#endif
