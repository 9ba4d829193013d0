/*
 * store.c: encrypted content-addressed package files (see store.h).
 *
 * Everything streams through a 64 KiB buffer, so memory does not grow with a
 * package. Encryption is AES-256-GCM (NIST SP 800-38D) with a fresh random
 * key per package; a fresh random nonce per file is safe because each key
 * encrypts exactly one file. Key wrapping is RFC 3394 (EVP_aes_256_wrap).
 */
#include "archive/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/util.h"

#define MAGIC "KHOENC01"
#define MAGIC_LEN 8
#define NONCE_LEN 12
#define TAG_LEN 16
#define CHUNK (64 * 1024)

struct store {
	char dir[PATH_MAX];
	char objdir[PATH_MAX];
	char tmpdir[PATH_MAX];
	unsigned char master[STORE_KEY_LEN];
	atomic_int cancel;           /* store_cancel_throttle: throttled reads stop sleeping */
};

static int read_full(int fd, void *buf, size_t n)
{
	unsigned char *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (int)(got == n ? 0 : 1);
}

static int write_full(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* key_file: store_key_file (create 1) and store_key_file_read (create 0). */
static int key_file(unsigned char key[STORE_KEY_LEN], const char *path, int create, kho_err *err)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !create)
		return kho_err_set(err, KHO_ENOTFOUND, "%s: no such key file (it is created only by"
		                   " the daemon's first start; restore it if it was lost)", path);
	if (fd < 0 && errno == ENOENT) {
		/* First start: a new random key, 0600, durable before use. */
		unsigned char k[STORE_KEY_LEN];
		if (kho_random(k, sizeof k) != 0)
			return kho_err_ssl(err, KHO_ECRYPTO, "no randomness for %s", path);
		rc = kho_write_file_durable(path, k, sizeof k, 0600, err);
		OPENSSL_cleanse(k, sizeof k);
		if (rc != 0)
			return rc;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return kho_err_set(err, errno == ELOOP ? KHO_EUNSAFE : KHO_EIO, "%s: %s", path,
		                   strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return kho_err_set(err, KHO_EIO, "%s: not a regular file", path);
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return kho_err_set(err, KHO_EUNSAFE, "%s: key file readable by others (mode %03o; want 0600)",
		                   path, (unsigned)(st.st_mode & 0777));
	}
	if (st.st_size != STORE_KEY_LEN || read_full(fd, key, STORE_KEY_LEN) != 0) {
		close(fd);
		OPENSSL_cleanse(key, STORE_KEY_LEN);
		return kho_err_set(err, KHO_EUNSAFE, "%s: not a %d-byte key file", path, STORE_KEY_LEN);
	}
	close(fd);
	return 0;
}

int store_key_file(unsigned char key[STORE_KEY_LEN], const char *path, kho_err *err)
{
	return key_file(key, path, 1, err);
}

int store_key_file_read(unsigned char key[STORE_KEY_LEN], const char *path, kho_err *err)
{
	return key_file(key, path, 0, err);
}

/* need_dir: path must already be a directory (the non-creating opens). */
static int need_dir(const char *path, kho_err *err)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return kho_err_set(err, errno == ENOENT ? KHO_ENOTFOUND : KHO_EIO, "%s: %s", path,
		                   strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return kho_err_set(err, KHO_EIO, "%s: not a directory", path);
	return 0;
}

/* open_store: store_open (create 1: the directories; the master key file
 * too if new_key) and store_open_existing (create 0). */
static int open_store(store **out, const char *dir, const char *master_key_file, int create,
                      int new_key, kho_err *err)
{
	store *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	if ((size_t)snprintf(s->dir, sizeof s->dir, "%s", dir) >= sizeof s->dir ||
	    (size_t)snprintf(s->objdir, sizeof s->objdir, "%s/store", dir) >= sizeof s->objdir ||
	    (size_t)snprintf(s->tmpdir, sizeof s->tmpdir, "%s/tmp", dir) >= sizeof s->tmpdir) {
		rc = kho_err_set(err, KHO_EINVAL, "%s: path too long", dir);
		goto out;
	}
	if (!create) {
		/* tmp/ is scratch (decrypted copies being checked), not archive
		 * content, and no backup holds it: made again if missing (found by
		 * review: fsck of a restored directory stopped on it). */
		if ((rc = need_dir(s->objdir, err)) != 0 || (rc = kho_mkdir_p(s->tmpdir, 0700, err)) != 0)
			goto out;
	} else if ((rc = kho_mkdir_p(s->objdir, 0700, err)) != 0 ||
	           (rc = kho_mkdir_fanout(s->objdir, err)) != 0 ||
	           (rc = kho_mkdir_p(s->tmpdir, 0700, err)) != 0) {
		goto out;
	}
	rc = key_file(s->master, master_key_file, create && new_key, err);
out:
	if (rc != 0)
		store_free(s);
	else
		*out = s;
	return rc;
}

int store_open(store **out, const char *dir, const char *master_key_file, int new_key,
               kho_err *err)
{
	return open_store(out, dir, master_key_file, 1, new_key, err);
}

int store_open_existing(store **out, const char *dir, const char *master_key_file, kho_err *err)
{
	return open_store(out, dir, master_key_file, 0, 0, err);
}

int store_is_id(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < STORE_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[STORE_ID_LEN] == '\0';
}

char *store_path(const store *s, const char *id, char *buf, size_t n)
{
	if ((size_t)snprintf(buf, n, "%s/%.2s/%s.enc", s->objdir, id, id) >= n && n > 0)
		buf[0] = '\0';
	return buf;
}

int store_exists(const store *s, const char *id)
{
	char p[PATH_MAX];
	struct stat st;

	if (!store_is_id(id))
		return 0;
	return lstat(store_path(s, id, p, sizeof p), &st) == 0 && S_ISREG(st.st_mode);
}

const char *store_dir(const store *s)
{
	return s->dir;
}

int store_tmp_create(store *s, char *path, size_t n, int *fd, kho_err *err)
{
	unsigned char rnd[12];
	char hex[25];

	if (kho_random(rnd, sizeof rnd) != 0)
		return kho_err_ssl(err, KHO_ECRYPTO, "no randomness");
	if ((size_t)snprintf(path, n, "%s/%s", s->tmpdir, kho_hex(hex, rnd, sizeof rnd)) >= n)
		return kho_err_set(err, KHO_EINVAL, "temporary path too long");
	*fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0)
		return kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
	return 0;
}

/* wrap / unwrap a package key with the master key (RFC 3394). */
static int wrap_key(const store *s, const unsigned char *key, unsigned char *out, int unwrap,
                    kho_err *err)
{
	return kho_key_wrap(s->master, key, unwrap ? STORE_WRAPPED_LEN : STORE_KEY_LEN, out, unwrap,
	                    "the package key", err);
}

int store_sha256_file(const char *path, unsigned char out[32], uint64_t *size_out, kho_err *err)
{
	unsigned char *buf = NULL;
	EVP_MD_CTX *md = NULL;
	uint64_t total = 0;
	unsigned int mdlen = 32;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return kho_err_set(err, errno == ENOENT ? KHO_ENOTFOUND : errno == ELOOP ? KHO_EUNSAFE
		                                                                          : KHO_EIO,
		                   "%s: %s", path, strerror(errno));
	buf = malloc(CHUNK);
	md = EVP_MD_CTX_new();
	if (buf == NULL || md == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "sha256");
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf, CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)r);
		total += (uint64_t)r;
	}
	if (EVP_DigestFinal_ex(md, out, &mdlen) != 1)
		rc = kho_err_ssl(err, KHO_ECRYPTO, "sha256");
	if (size_out != NULL)
		*size_out = total;
out:
	EVP_MD_CTX_free(md);
	free(buf);
	close(fd);
	return rc;
}

/*
 * put_key: encrypt the plaintext (the file plain_path, or when plain_path
 * is NULL the len bytes at data) under a fresh key into the store file of
 * id, durably. One body for both sources so that the durable order below
 * is written once.
 */
static int put_key(store *s, const char *id, const char *plain_path, const unsigned char *data,
                   size_t dlen, int sync, const unsigned char *key_in,
                   unsigned char key_out[STORE_KEY_LEN], kho_err *err)
{
	unsigned char key[STORE_KEY_LEN], nonce[NONCE_LEN], tag[TAG_LEN];
	unsigned char *in = NULL, *ct = NULL;
	char final[PATH_MAX], sub[PATH_MAX], tmp[PATH_MAX + 32];
	EVP_CIPHER_CTX *ctx = NULL;
	int infd = -1, outfd = -1, rc = 0, len;
	unsigned char rnd[8];
	char hex[17];

	if (!store_is_id(id))
		return kho_err_set(err, KHO_EINVAL, "not a package id");
	store_path(s, id, final, sizeof final);
	if ((size_t)snprintf(sub, sizeof sub, "%s/%.2s", s->objdir, id) >= sizeof sub)
		return kho_err_set(err, KHO_EINVAL, "store path too long");
	if ((rc = kho_mkdir_p(sub, 0700, err)) != 0)
		return rc;
	/* A fresh key, or the one the key store already holds for this id
	 * (key_in): a fresh random nonce either way. */
	if (key_in != NULL)
		memcpy(key, key_in, sizeof key);
	if ((key_in == NULL && kho_random(key, sizeof key) != 0) ||
	    kho_random(nonce, sizeof nonce) != 0 || kho_random(rnd, sizeof rnd) != 0)
		return kho_err_ssl(err, KHO_ECRYPTO, "no randomness for a package key");
	snprintf(tmp, sizeof tmp, "%s.tmp-%s", final, kho_hex(hex, rnd, sizeof rnd));

	in = malloc(CHUNK);
	ct = malloc(CHUNK + 32);
	ctx = EVP_CIPHER_CTX_new();
	if (in == NULL || ct == NULL || ctx == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	if (plain_path != NULL &&
	    (infd = open(plain_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = kho_err_set(err, KHO_EIO, "%s: %s", plain_path, strerror(errno));
		goto out;
	}
	outfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (outfd < 0) {
		rc = kho_err_set(err, KHO_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	/* The id is the AAD: the file authenticates its own name. */
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)id, STORE_ID_LEN) != 1) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "AES-256-GCM init");
		goto out;
	}
	if (write_full(outfd, MAGIC, MAGIC_LEN) != 0 || write_full(outfd, nonce, NONCE_LEN) != 0) {
		rc = kho_err_set(err, KHO_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	for (;;) {
		const unsigned char *src = in;
		ssize_t r;
		if (plain_path == NULL) {
			/* From memory: CHUNK at a time, as from the file. */
			r = (ssize_t)(dlen < CHUNK ? dlen : CHUNK);
			src = data;
			data += r;
			dlen -= (size_t)r;
		} else {
			r = read(infd, in, CHUNK);
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = kho_err_set(err, KHO_EIO, "%s: %s", plain_path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (EVP_EncryptUpdate(ctx, ct, &len, src, (int)r) != 1) {
			rc = kho_err_ssl(err, KHO_ECRYPTO, "AES-256-GCM");
			goto out;
		}
		if (write_full(outfd, ct, (size_t)len) != 0) {
			rc = kho_err_set(err, KHO_EIO, "%s: %s", tmp, strerror(errno));
			goto out;
		}
	}
	if (EVP_EncryptFinal_ex(ctx, ct, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "AES-256-GCM final");
		goto out;
	}
	if ((len > 0 && write_full(outfd, ct, (size_t)len) != 0) ||
	    write_full(outfd, tag, TAG_LEN) != 0) {
		rc = kho_err_set(err, KHO_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	/* Durable order of the ingest contract: write, fsync, rename, fsync dir
	 * (sync 0: the data is written out here, so that a write error of this
	 * file is reported to this ingest, and the caller syncs the file system
	 * before its commit). */
	if ((sync ? fsync(outfd) : kho_write_out(outfd)) != 0) {
		rc = kho_err_set(err, KHO_EIO, "%s %s: %s", sync ? "fsync" : "write-out", tmp,
		                 strerror(errno));
		goto out;
	}
	if (close(outfd) != 0) {
		outfd = -1;
		rc = kho_err_set(err, KHO_EIO, "close %s: %s", tmp, strerror(errno));
		goto out;
	}
	outfd = -1;
	if (rename(tmp, final) != 0) {
		rc = kho_err_set(err, KHO_EIO, "rename %s: %s", final, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if (sync && (rc = kho_fsync_dir(final, err)) != 0)
		goto out;
	memcpy(key_out, key, STORE_KEY_LEN);
out:
	OPENSSL_cleanse(key, sizeof key);
	EVP_CIPHER_CTX_free(ctx);
	if (infd >= 0)
		close(infd);
	if (outfd >= 0)
		close(outfd);
	if (rc != 0 && tmp[0] != '\0')
		unlink(tmp);
	free(in);
	free(ct);
	return rc;
}

int store_put_file_key(store *s, const char *id, const char *plain_path,
                       unsigned char key_out[STORE_KEY_LEN], kho_err *err)
{
	return put_key(s, id, plain_path, NULL, 0, 1, NULL, key_out, err);
}

int store_put_key_nosync(store *s, const char *id, const char *plain_path, const void *data,
                         size_t len, unsigned char key_out[STORE_KEY_LEN], kho_err *err)
{
	if (plain_path == NULL && data == NULL && len > 0)
		return kho_err_set(err, KHO_EINVAL, "no data");
	return put_key(s, id, plain_path, data, len, 0, NULL, key_out, err);
}

int store_put_with_key_nosync(store *s, const char *id, const char *plain_path, const void *data,
                              size_t len, const unsigned char key[STORE_KEY_LEN], kho_err *err)
{
	unsigned char k2[STORE_KEY_LEN];
	int rc;

	if (plain_path == NULL && data == NULL && len > 0)
		return kho_err_set(err, KHO_EINVAL, "no data");
	rc = put_key(s, id, plain_path, data, len, 0, key, k2, err);
	OPENSSL_cleanse(k2, sizeof k2);
	return rc;
}

/* The legacy form: the package key wrapped by the master key (RFC 3394). */
int store_put_file(store *s, const char *id, const char *plain_path,
                   unsigned char wrapped_out[STORE_WRAPPED_LEN], kho_err *err)
{
	unsigned char key[STORE_KEY_LEN];
	int rc;

	if ((rc = store_put_file_key(s, id, plain_path, key, err)) == 0)
		rc = wrap_key(s, key, wrapped_out, 0, err);
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

int store_unwrap_key(store *s, const unsigned char wrapped[STORE_WRAPPED_LEN],
                     unsigned char key_out[STORE_KEY_LEN], kho_err *err)
{
	return wrap_key(s, wrapped, key_out, 1, err);
}

void store_cancel_throttle(store *s)
{
	atomic_store(&s->cancel, 1);
}

/* Sleep so that `done` bytes take at least done/bps seconds since start,
 * in slices of at most 50 ms, and not at all once the store is cancelled
 * (a SIGTERM waited for a whole rate-limited fixity run). */
static void throttle(store *s, const struct timespec *start, uint64_t done, uint64_t bps)
{
	struct timespec now, d;
	double want, spent, left;

	if (bps == 0)
		return;
	want = (double)done / (double)bps;
	while (!atomic_load(&s->cancel)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		spent = (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
		if (want <= spent)
			return;
		left = want - spent < 0.05 ? want - spent : 0.05;
		d.tv_sec = 0;
		d.tv_nsec = (long)(left * 1e9);
		nanosleep(&d, NULL);
	}
}

int store_get_fd_key(store *s, const char *id, const unsigned char raw_key[STORE_KEY_LEN],
                     int out_fd, uint64_t *size_out, uint64_t bps, kho_err *err)
{
	unsigned char key[STORE_KEY_LEN], hdr[MAGIC_LEN + NONCE_LEN], tag[TAG_LEN];
	unsigned char digest[32], want[32];
	unsigned char *ct = NULL, *pt = NULL;
	char path[PATH_MAX];
	EVP_CIPHER_CTX *ctx = NULL;
	EVP_MD_CTX *md = NULL;
	struct timespec start;
	struct stat st;
	uint64_t left, done = 0;
	unsigned int mdlen = 32;
	int fd = -1, rc = 0, len, i;

	if (!store_is_id(id))
		return kho_err_set(err, KHO_EINVAL, "not a package id");
	for (i = 0; i < 32; i++) {
		unsigned hi, lo;
		hi = (unsigned)(id[2 * i] <= '9' ? id[2 * i] - '0' : id[2 * i] - 'a' + 10);
		lo = (unsigned)(id[2 * i + 1] <= '9' ? id[2 * i + 1] - '0' : id[2 * i + 1] - 'a' + 10);
		want[i] = (unsigned char)(hi << 4 | lo);
	}
	store_path(s, id, path, sizeof path);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)   /* a link where the file was: hostile, not a fault (ELOOP) */
		return kho_err_set(err, errno == ENOENT ? KHO_ENOTFOUND : errno == ELOOP ? KHO_EUNSAFE
		                                                                          : KHO_EIO,
		                   "stored file of %.16s...: %s", id, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < MAGIC_LEN + NONCE_LEN + TAG_LEN) {
		rc = kho_err_set(err, KHO_EFORMAT, "stored file of %.16s... is truncated", id);
		goto out;
	}
	if (read_full(fd, hdr, sizeof hdr) != 0 || memcmp(hdr, MAGIC, MAGIC_LEN) != 0) {
		rc = kho_err_set(err, KHO_EFORMAT, "stored file of %.16s... has no kho header", id);
		goto out;
	}
	memcpy(key, raw_key, STORE_KEY_LEN);
	ct = malloc(CHUNK);
	pt = malloc(CHUNK + 32);
	ctx = EVP_CIPHER_CTX_new();
	md = EVP_MD_CTX_new();
	if (ct == NULL || pt == NULL || ctx == NULL || md == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, hdr + MAGIC_LEN) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)id, STORE_ID_LEN) != 1 ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "AES-256-GCM init");
		goto out;
	}
	left = (uint64_t)st.st_size - MAGIC_LEN - NONCE_LEN - TAG_LEN;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (left > 0) {
		size_t want_n = left < CHUNK ? (size_t)left : CHUNK;
		if (read_full(fd, ct, want_n) != 0) {
			rc = kho_err_set(err, KHO_EIO, "%s: short read", path);
			goto out;
		}
		if (EVP_DecryptUpdate(ctx, pt, &len, ct, (int)want_n) != 1) {
			rc = kho_err_ssl(err, KHO_ECRYPTO, "AES-256-GCM");
			goto out;
		}
		EVP_DigestUpdate(md, pt, (size_t)len);
		if (out_fd >= 0 && write_full(out_fd, pt, (size_t)len) != 0) {
			rc = kho_err_set(err, KHO_EIO, "write: %s", strerror(errno));
			goto out;
		}
		left -= want_n;
		done += want_n;
		throttle(s, &start, done, bps);
	}
	if (read_full(fd, tag, TAG_LEN) != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1) {
		rc = kho_err_set(err, KHO_EIO, "%s: short read", path);
		goto out;
	}
	/* SP 800-38D: the tag check is what proves integrity and authenticity. */
	if (EVP_DecryptFinal_ex(ctx, pt, &len) != 1) {
		ERR_clear_error();
		rc = kho_err_set(err, KHO_ECRYPTO,
		                 "stored file of %.16s... fails its authentication tag: altered or wrong key", id);
		goto out;
	}
	if (EVP_DigestFinal_ex(md, digest, &mdlen) != 1 || CRYPTO_memcmp(digest, want, 32) != 0) {
		rc = kho_err_set(err, KHO_ECRYPTO, "stored file of %.16s... does not hash to its id", id);
		goto out;
	}
	if (size_out != NULL)
		*size_out = done;
out:
	OPENSSL_cleanse(key, sizeof key);
	EVP_CIPHER_CTX_free(ctx);
	EVP_MD_CTX_free(md);
	free(ct);
	free(pt);
	if (fd >= 0)
		close(fd);
	return rc;
}

int store_get_fd(store *s, const char *id, const unsigned char wrapped[STORE_WRAPPED_LEN],
                 int out_fd, uint64_t *size_out, uint64_t bps, kho_err *err)
{
	unsigned char key[STORE_KEY_LEN];
	int rc;

	/* A missing file is KHO_ENOTFOUND whatever the wrapped key. */
	if (store_is_id(id) && !store_exists(s, id))
		return kho_err_set(err, KHO_ENOTFOUND, "stored file of %.16s... is missing", id);
	if ((rc = wrap_key(s, wrapped, key, 1, err)) == 0)
		rc = store_get_fd_key(s, id, key, out_fd, size_out, bps, err);
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

int store_get_tmp_key(store *s, const char *id, const unsigned char key[STORE_KEY_LEN],
                      char *path, size_t n, uint64_t *size_out, kho_err *err)
{
	int fd, rc;

	if ((rc = store_tmp_create(s, path, n, &fd, err)) != 0)
		return rc;
	rc = store_get_fd_key(s, id, key, fd, size_out, 0, err);
	if (close(fd) != 0 && rc == 0)
		rc = kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
	if (rc != 0)
		unlink(path);
	return rc;
}

int store_get_tmp(store *s, const char *id, const unsigned char wrapped[STORE_WRAPPED_LEN],
                  char *path, size_t n, uint64_t *size_out, kho_err *err)
{
	int fd, rc;

	if ((rc = store_tmp_create(s, path, n, &fd, err)) != 0)
		return rc;
	rc = store_get_fd(s, id, wrapped, fd, size_out, 0, err);
	if (close(fd) != 0 && rc == 0)
		rc = kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
	if (rc != 0)
		unlink(path);
	return rc;
}

int store_remove(store *s, const char *id, kho_err *err)
{
	char p[PATH_MAX];

	if (!store_is_id(id))
		return kho_err_set(err, KHO_EINVAL, "not a package id");
	if (unlink(store_path(s, id, p, sizeof p)) != 0)
		return kho_err_set(err, errno == ENOENT ? KHO_ENOTFOUND : KHO_EIO, "%s: %s", p,
		                   strerror(errno));
	return kho_fsync_dir(p, err);
}

int store_list(store *s, int (*fn)(const char *id, int is_stray, void *arg), void *arg,
               kho_err *err)
{
	DIR *top, *d;
	struct dirent *de, *fe;
	char sub[PATH_MAX];
	int rc = 0;

	top = opendir(s->objdir);
	if (top == NULL)
		return kho_err_set(err, KHO_EIO, "%s: %s", s->objdir, strerror(errno));
	while (rc == 0 && (de = readdir(top)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof sub, "%s/%s", s->objdir, de->d_name) >= sizeof sub)
			continue;
		d = opendir(sub);
		if (d == NULL) {
			rc = fn(de->d_name, 1, arg);
			continue;
		}
		while (rc == 0 && (fe = readdir(d)) != NULL) {
			char id[STORE_ID_LEN + 1];
			size_t l = strlen(fe->d_name);
			if (fe->d_name[0] == '.')
				continue;
			if (l == STORE_ID_LEN + 4 && strcmp(fe->d_name + STORE_ID_LEN, ".enc") == 0 &&
			    strncmp(fe->d_name, de->d_name, 2) == 0) {
				memcpy(id, fe->d_name, STORE_ID_LEN);
				id[STORE_ID_LEN] = '\0';
				if (store_is_id(id)) {
					rc = fn(id, 0, arg);
					continue;
				}
			}
			rc = fn(fe->d_name, 1, arg);
		}
		closedir(d);
	}
	closedir(top);
	return rc;
}

/* Remove "<id>.enc.tmp-*" files a crash left in one store subdirectory. */
static void clean_store_sub(const char *sub)
{
	DIR *d = opendir(sub);
	struct dirent *de;
	char p[PATH_MAX];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".enc.tmp-") != NULL &&
		    (size_t)snprintf(p, sizeof p, "%s/%s", sub, de->d_name) < sizeof p)
			unlink(p);
	closedir(d);
}

int store_clean_tmp(store *s, kho_err *err)
{
	DIR *d;
	struct dirent *de;
	char p[PATH_MAX];

	d = opendir(s->objdir);
	if (d != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' &&
			    (size_t)snprintf(p, sizeof p, "%s/%s", s->objdir, de->d_name) < sizeof p)
				clean_store_sub(p);
		closedir(d);
	}

	d = opendir(s->tmpdir);
	if (d == NULL)
		return kho_err_set(err, KHO_EIO, "%s: %s", s->tmpdir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(p, sizeof p, "%s/%s", s->tmpdir, de->d_name) < sizeof p)
			unlink(p);
	}
	closedir(d);
	return 0;
}

void store_free(store *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s->master, sizeof s->master);
	free(s);
}
