/*
 * keystore.c: package keys outside the data directory, one file per key,
 * destroyed by overwrite + fsync + unlink + directory fsync (keystore.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "archive/keystore.h"
#include "common/util.h"

struct keystore {
	char dir[PATH_MAX];
	unsigned char master[KEYSTORE_KEY_LEN];
	/* keystore_track_pending: this process writes every pending key a
	 * committed package can have; `pending` counts the commits whose key
	 * may still be pending (keystore_pending_begin/end). */
	int track;
	atomic_long pending;
};

/* RFC 3394 AES key wrap of a 32-byte key under the master key (or the reverse). */
static int wrap(const keystore *ks, const unsigned char *in, unsigned char *out, int unwrap,
                kho_err *err)
{
	return kho_key_wrap(ks->master, in, unwrap ? KEYSTORE_WRAPPED_LEN : KEYSTORE_KEY_LEN, out,
	                    unwrap, "the package key", err);
}

static void keystore_wipe_free(keystore *ks)
{
	OPENSSL_cleanse(ks->master, sizeof ks->master);
	free(ks);
}

static int is_id(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

int keystore_default_dir(char *buf, size_t n, const char *data_dir, kho_err *err)
{
	size_t len;

	if (data_dir == NULL || data_dir[0] == '\0')
		return kho_err_set(err, KHO_EINVAL, "no data directory");
	len = strlen(data_dir);
	while (len > 1 && data_dir[len - 1] == '/')
		len--;
	if (len > INT_MAX || (size_t)snprintf(buf, n, "%.*s.keys", (int)len, data_dir) >= n)
		return kho_err_set(err, KHO_EINVAL, "key store path too long");
	return 0;
}

static int read_key(const keystore *ks, const char *path, unsigned char key[KEYSTORE_KEY_LEN],
                    int *legacy, kho_err *err);
static int put_wrapped(const keystore *ks, const char *path,
                       const unsigned char key[KEYSTORE_KEY_LEN], kho_err *err);

#define FORMAT_NAME "FORMAT"
static const char format_text[] = "kho key store: 40-byte RFC 3394 wraps under the master key\n";

/*
 * each_file: fn(ks, sub, name, arg, err) for every entry of every fan-out
 * directory KEYS/<2 hex>/ (sub is that directory's path), until fn returns
 * non-zero, which is returned.
 */
typedef int (*file_fn)(keystore *ks, const char *sub, const char *name, void *arg,
                       kho_err *err);

static int each_file(keystore *ks, file_fn fn, void *arg, kho_err *err)
{
	char sub[PATH_MAX];
	DIR *d, *e;
	struct dirent *de, *fe;
	int rc = 0;

	if ((d = opendir(ks->dir)) == NULL)
		return kho_err_set(err, KHO_EIO, "%s: %s", ks->dir, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 2 || !isxdigit((unsigned char)de->d_name[0]) ||
		    !isxdigit((unsigned char)de->d_name[1]))
			continue;
		if ((size_t)snprintf(sub, sizeof sub, "%s/%s", ks->dir, de->d_name) >= sizeof sub ||
		    (e = opendir(sub)) == NULL)
			continue;
		while (rc == 0 && (fe = readdir(e)) != NULL)
			rc = fn(ks, sub, fe->d_name, arg, err);
		closedir(e);
	}
	closedir(d);
	return rc;
}

/* migrate's step: rewrap one legacy raw key file; *arg counts them. */
static int migrate_one(keystore *ks, const char *sub, const char *name, void *arg, kho_err *err)
{
	char path[PATH_MAX];
	unsigned char key[KEYSTORE_KEY_LEN];
	struct stat st;
	int legacy = 0, rc;

	if (strlen(name) != 68 || strcmp(name + 64, ".key") != 0 ||
	    (size_t)snprintf(path, sizeof path, "%s/%s", sub, name) >= sizeof path ||
	    lstat(path, &st) != 0 || st.st_size != KEYSTORE_KEY_LEN)
		return 0;
	if ((rc = read_key(ks, path, key, &legacy, err)) == 0 && legacy &&
	    (rc = put_wrapped(ks, path, key, err)) == 0)
		(*(size_t *)arg)++;
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

/*
 * migrate: once per key store, wrap every legacy 32-byte raw key file in
 * place (read, wrap, durable rename over it), then write FORMAT. A key
 * store without FORMAT is either new (empty: nothing to walk) or from
 * before wrapping. Idempotent: a crash midway leaves wrapped and raw files,
 * both readable, and the next open goes on.
 */
static int migrate(keystore *ks, size_t *rewrapped, kho_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	size_t n = 0;
	int rc;

	if (rewrapped != NULL)
		*rewrapped = 0;
	if ((size_t)snprintf(path, sizeof path, "%s/" FORMAT_NAME, ks->dir) >= sizeof path)
		return kho_err_set(err, KHO_EINVAL, "key store path too long");
	if (lstat(path, &st) == 0)
		return 0;
	rc = each_file(ks, migrate_one, &n, err);
	if (rc == 0)
		rc = kho_write_file_durable(path, format_text, sizeof format_text - 1, 0600, err);
	if (rewrapped != NULL)
		*rewrapped = n;
	return rc;
}

/* open_ks: keystore_open (create 1) and keystore_open_existing (create 0). */
static int open_ks(keystore **out, const char *dir, const unsigned char master[KEYSTORE_KEY_LEN],
                   size_t *rewrapped, int create, kho_err *err)
{
	keystore *ks;
	struct stat st;
	int rc;

	*out = NULL;
	if (dir == NULL || dir[0] == '\0')
		return kho_err_set(err, KHO_EINVAL, "no key store directory");
	ks = calloc(1, sizeof *ks);
	if (ks == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	memcpy(ks->master, master, sizeof ks->master);
	if ((size_t)snprintf(ks->dir, sizeof ks->dir, "%s", dir) >= sizeof ks->dir) {
		keystore_wipe_free(ks);
		return kho_err_set(err, KHO_EINVAL, "key store path too long");
	}
	if (create && (rc = kho_mkdir_p(dir, 0700, err)) != 0) {
		keystore_wipe_free(ks);
		return rc;
	}
	/* The key store must be a real directory, not a link somewhere else. */
	if (lstat(dir, &st) != 0 && errno == ENOENT) {
		keystore_wipe_free(ks);
		return kho_err_set(err, KHO_ENOTFOUND, "%s: no such key store directory (give --keys"
		                   " DIR; it is created only by the daemon's first start)", dir);
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		keystore_wipe_free(ks);
		return kho_err_set(err, KHO_EUNSAFE, "%s: key store is not a directory", dir);
	}
	if ((st.st_mode & 077) != 0) {
		keystore_wipe_free(ks);
		return kho_err_set(err, KHO_EUNSAFE,
		                   "%s: key store is accessible to group or others (chmod 700)", dir);
	}
	/* Read-only opens leave the layout and any legacy raw keys as they are
	 * (keystore_get reads both forms); the daemon's next start migrates. */
	if (create &&
	    ((rc = kho_mkdir_fanout(dir, err)) != 0 || (rc = migrate(ks, rewrapped, err)) != 0)) {
		keystore_wipe_free(ks);
		return rc;
	}
	if (!create && rewrapped != NULL)
		*rewrapped = 0;
	*out = ks;
	return 0;
}

int keystore_open(keystore **out, const char *dir, const unsigned char master[KEYSTORE_KEY_LEN],
                  size_t *rewrapped, kho_err *err)
{
	return open_ks(out, dir, master, rewrapped, 1, err);
}

int keystore_open_existing(keystore **out, const char *dir,
                           const unsigned char master[KEYSTORE_KEY_LEN], kho_err *err)
{
	return open_ks(out, dir, master, NULL, 0, err);
}

#define PENDING_SUFFIX ".key.pending"

/* key_path_as: the final name KEYS/ab/<id>.key (pending 0) or the pending
 * name KEYS/ab/<id>.key.pending (pending 1) of id's key file, and sub its
 * fan-out directory. */
static int key_path_as(const keystore *ks, const char *id, int pending, char *sub, size_t nsub,
                       char *path, size_t npath, kho_err *err)
{
	if (!is_id(id))
		return kho_err_set(err, KHO_EINVAL, "not a package id");
	if ((size_t)snprintf(sub, nsub, "%s/%.2s", ks->dir, id) >= nsub ||
	    (size_t)snprintf(path, npath, "%s/%s%s", sub, id, pending ? PENDING_SUFFIX : ".key") >=
	        npath)
		return kho_err_set(err, KHO_EINVAL, "key path too long");
	return 0;
}

static int key_path(const keystore *ks, const char *id, char *sub, size_t nsub, char *path,
                    size_t npath, kho_err *err)
{
	return key_path_as(ks, id, 0, sub, nsub, path, npath, err);
}

/*
 * read_key: the key in a private regular file: 40 bytes wrapped (unwrapped
 * here) or, from before wrapping, 32 raw bytes (*legacy set).
 */
static int read_key(const keystore *ks, const char *path, unsigned char key[KEYSTORE_KEY_LEN],
                    int *legacy, kho_err *err)
{
	unsigned char raw[KEYSTORE_WRAPPED_LEN];
	struct stat st;
	ssize_t r;
	size_t got = 0, want;
	int fd, rc = 0;

	if (legacy != NULL)
		*legacy = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return kho_err_set(err, KHO_ENOTFOUND, "no key (destroyed or never stored)");
		if (errno == ELOOP)
			return kho_err_set(err, KHO_EUNSAFE, "%s: is a symbolic link", path);
		return kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_size != KEYSTORE_WRAPPED_LEN && st.st_size != KEYSTORE_KEY_LEN) ||
	    (st.st_mode & 077) != 0) {
		rc = kho_err_set(err, KHO_EUNSAFE, "%s: not a private %d-byte key file", path,
		                 KEYSTORE_WRAPPED_LEN);
		goto out;
	}
	want = (size_t)st.st_size;
	while (got < want) {
		r = read(fd, raw + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = kho_err_set(err, KHO_EIO, "%s: short read", path);
			goto out;
		}
		got += (size_t)r;
	}
	if (want == KEYSTORE_KEY_LEN) {
		memcpy(key, raw, KEYSTORE_KEY_LEN);
		if (legacy != NULL)
			*legacy = 1;
	} else {
		rc = wrap(ks, raw, key, 1, err);
	}
out:
	close(fd);
	OPENSSL_cleanse(raw, sizeof raw);
	if (rc != 0)
		OPENSSL_cleanse(key, KEYSTORE_KEY_LEN);
	return rc;
}

/* Durable: temporary file, fsync, rename, fsync of the directory (sync 0:
 * temporary file and rename only, the caller syncs). */
static int put_wrapped_sync(const keystore *ks, const char *path,
                            const unsigned char key[KEYSTORE_KEY_LEN], int sync, kho_err *err)
{
	unsigned char w[KEYSTORE_WRAPPED_LEN];
	int rc;

	if ((rc = wrap(ks, key, w, 0, err)) != 0)
		return rc;
	return sync ? kho_write_file_durable(path, w, sizeof w, 0600, err)
	            : kho_write_file_renamed(path, w, sizeof w, 0600, err);
}

static int put_wrapped(const keystore *ks, const char *path, const unsigned char key[KEYSTORE_KEY_LEN],
                       kho_err *err)
{
	return put_wrapped_sync(ks, path, key, 1, err);
}

/* put: keystore_put (pending 0) and keystore_put_pending_nosync (pending 1):
 * a key already under either name is compared, never replaced. */
static int put(keystore *ks, const char *id, const unsigned char key[KEYSTORE_KEY_LEN], int sync,
               int pending, kho_err *err)
{
	char sub[PATH_MAX], path[PATH_MAX];
	unsigned char old[KEYSTORE_KEY_LEN];
	int rc;

	if ((rc = key_path(ks, id, sub, sizeof sub, path, sizeof path, err)) != 0)
		return rc;
	rc = keystore_get(ks, id, old, err);
	if (rc == 0) {
		rc = CRYPTO_memcmp(old, key, KEYSTORE_KEY_LEN) == 0
		         ? 0
		         : kho_err_set(err, KHO_ECONFLICT, "another key is already stored for %.16s...",
		                       id);
		OPENSSL_cleanse(old, sizeof old);
		return rc;
	}
	if (rc != KHO_ENOTFOUND)
		return rc;
	if ((rc = kho_mkdir_p(sub, 0700, err)) != 0)
		return rc;
	if (pending && (rc = key_path_as(ks, id, 1, sub, sizeof sub, path, sizeof path, err)) != 0)
		return rc;
	return put_wrapped_sync(ks, path, key, sync, err);
}

int keystore_put(keystore *ks, const char *id, const unsigned char key[KEYSTORE_KEY_LEN],
                 kho_err *err)
{
	return put(ks, id, key, 1, 0, err);
}

int keystore_put_nosync(keystore *ks, const char *id, const unsigned char key[KEYSTORE_KEY_LEN],
                        kho_err *err)
{
	return put(ks, id, key, 0, 0, err);
}

int keystore_put_pending_nosync(keystore *ks, const char *id,
                                const unsigned char key[KEYSTORE_KEY_LEN], kho_err *err)
{
	return put(ks, id, key, 0, 1, err);
}

void keystore_track_pending(keystore *ks)
{
	ks->track = 1;
}

void keystore_pending_begin(keystore *ks)
{
	atomic_fetch_add(&ks->pending, 1);
}

void keystore_pending_end(keystore *ks)
{
	atomic_fetch_sub(&ks->pending, 1);
}

int keystore_commit(keystore *ks, const char *id, kho_err *err)
{
	char sub[PATH_MAX], pend[PATH_MAX], path[PATH_MAX];
	int rc;

	if ((rc = key_path_as(ks, id, 1, sub, sizeof sub, pend, sizeof pend, err)) != 0 ||
	    (rc = key_path(ks, id, sub, sizeof sub, path, sizeof path, err)) != 0)
		return rc;
	if (rename(pend, path) == 0)
		return 0;
	if (errno == ENOENT)
		return kho_err_set(err, KHO_ENOTFOUND, "no pending key for %.16s...", id);
	return kho_err_set(err, KHO_EIO, "%s: %s", pend, strerror(errno));
}

/*
 * The final name is looked at first (every committed key but the few
 * between their commit and keystore_commit), then the pending one, then
 * the final one again: a key only ever moves from the pending name to the
 * final one, so a rename between the first two looks is found by the third.
 */
int keystore_get(keystore *ks, const char *id, unsigned char key[KEYSTORE_KEY_LEN], kho_err *err)
{
	char sub[PATH_MAX], path[PATH_MAX], pend[PATH_MAX];
	int rc;

	if ((rc = key_path(ks, id, sub, sizeof sub, path, sizeof path, err)) != 0)
		return rc;
	if ((rc = read_key(ks, path, key, NULL, err)) != KHO_ENOTFOUND)
		return rc;
	if ((rc = key_path_as(ks, id, 1, sub, sizeof sub, pend, sizeof pend, err)) != 0)
		return rc;
	if ((rc = read_key(ks, pend, key, NULL, err)) != KHO_ENOTFOUND)
		return rc;
	return read_key(ks, path, key, NULL, err);
}

int keystore_has(keystore *ks, const char *id)
{
	char sub[PATH_MAX], path[PATH_MAX], pend[PATH_MAX];
	struct stat st;

	long may_pend = atomic_load(&ks->pending);

	if (key_path(ks, id, sub, sizeof sub, path, sizeof path, NULL) != 0 ||
	    key_path_as(ks, id, 1, sub, sizeof sub, pend, sizeof pend, NULL) != 0)
		return 0;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		return 1;
	/* No key of a committed package was pending when the count was read
	 * (each is counted before it is written and until after its rename):
	 * the final name was the only place (found by the lookup benchmark: a
	 * package without a key cost three lstat, 9 us more per lookup). */
	if (ks->track && may_pend == 0)
		return 0;
	return (lstat(pend, &st) == 0 && S_ISREG(st.st_mode)) ||
	       (lstat(path, &st) == 0 && S_ISREG(st.st_mode));
}

/*
 * shred: overwrite the key file at path (in directory sub) with zeros in
 * place, fsync it, unlink it, fsync sub: so that the blocks the file
 * occupied hold zeros rather than the key (on file systems that overwrite
 * in place; see keystore.h for the limits). KHO_ENOTFOUND if it is gone;
 * KHO_EUNSAFE if it is not a regular file of at most 40 bytes.
 */
static int shred(const char *path, const char *sub, kho_err *err)
{
	static const unsigned char zero[KEYSTORE_WRAPPED_LEN];
	struct stat st;
	ssize_t w;
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return kho_err_set(err, errno == ENOENT ? KHO_ENOTFOUND : KHO_EIO, "%s: %s", path,
		                   strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)sizeof zero) {
		close(fd);
		return kho_err_set(err, KHO_EUNSAFE, "%s: not a key file", path);
	}
	w = pwrite(fd, zero, (size_t)st.st_size, 0);
	if (w != (ssize_t)st.st_size || fsync(fd) != 0) {
		close(fd);
		return kho_err_set(err, KHO_EIO, "%s: overwrite failed: %s", path, strerror(errno));
	}
	if (close(fd) != 0)
		return kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
	/* Gone since it was opened: renamed from its pending name to its final
	 * one meanwhile (keystore_commit), whose caller shreds that name next
	 * (found by review: the destruction failed after zeroing the key). */
	if (unlink(path) != 0)
		return kho_err_set(err, errno == ENOENT ? KHO_ENOTFOUND : KHO_EIO, "%s: unlink: %s",
		                   path, strerror(errno));
	return kho_fsync_dir(sub, err);
}

/*
 * Both names: the pending one first, then the final one (a key only moves
 * from the first to the second, so a keystore_commit meanwhile cannot hide
 * it). KHO_ENOTFOUND only if neither was there.
 */
int keystore_destroy(keystore *ks, const char *id, kho_err *err)
{
	char sub[PATH_MAX], path[PATH_MAX], pend[PATH_MAX];
	int rc, rc2;

	if ((rc = key_path_as(ks, id, 1, sub, sizeof sub, pend, sizeof pend, err)) != 0 ||
	    (rc = key_path(ks, id, sub, sizeof sub, path, sizeof path, err)) != 0)
		return rc;
	rc = shred(pend, sub, err);
	if (rc != 0 && rc != KHO_ENOTFOUND)
		return rc;
	rc2 = shred(path, sub, err);
	if (rc2 == KHO_ENOTFOUND && rc == 0)
		return 0;
	if (rc2 == KHO_ENOTFOUND)
		return kho_err_set(err, KHO_ENOTFOUND, "no key for %.16s... (already destroyed?)", id);
	return rc2;
}

int keystore_destroy_pending(keystore *ks, const char *id, kho_err *err)
{
	char sub[PATH_MAX], pend[PATH_MAX];
	int rc;

	if ((rc = key_path_as(ks, id, 1, sub, sizeof sub, pend, sizeof pend, err)) != 0)
		return rc;
	return shred(pend, sub, err);
}

/* keystore_each_pending's step: fn(id) for a file named "<id>.key.pending". */
struct pending_walk {
	int (*fn)(const char *id, void *arg);
	void *arg;
};

static int pending_one(keystore *ks, const char *sub, const char *name, void *arg, kho_err *err)
{
	struct pending_walk *w = arg;
	char id[65];

	(void)ks;
	(void)sub;
	(void)err;
	if (strlen(name) != 64 + sizeof PENDING_SUFFIX - 1 || strcmp(name + 64, PENDING_SUFFIX) != 0)
		return 0;
	memcpy(id, name, 64);
	id[64] = '\0';
	return is_id(id) ? w->fn(id, w->arg) : 0;
}

int keystore_each_pending(keystore *ks, int (*fn)(const char *id, void *arg), void *arg,
                          kho_err *err)
{
	struct pending_walk w = { fn, arg };

	return each_file(ks, pending_one, &w, err);
}

/*
 * A temporary key file: "<id>.key.tmp-<16 hex>" or "<id>.key.pending.tmp-<16
 * hex>" (kho_write_file_*): 1; the same claimed by keystore_clean_tmp
 * ("....gone"): 2; anything else 0.
 */
static int tmp_key_kind(const char *name)
{
	size_t len = strlen(name), i, at = 64 + 4;

	if (len > 64 && strncmp(name + 64, PENDING_SUFFIX, sizeof PENDING_SUFFIX - 1) == 0)
		at = 64 + sizeof PENDING_SUFFIX - 1;
	if (len != at + 21 && !(len == at + 26 && strcmp(name + at + 21, ".gone") == 0))
		return 0;
	if (strncmp(name + 64, ".key", 4) != 0 || strncmp(name + at, ".tmp-", 5) != 0)
		return 0;
	for (i = at + 5; i < at + 21; i++)
		if (!isxdigit((unsigned char)name[i]))
			return 0;
	return len == at + 21 ? 1 : 2;
}

/* keystore_clean_tmp's step: shred one temporary key file; *arg counts them. */
static int clean_one(keystore *ks, const char *sub, const char *name, void *arg, kho_err *err)
{
	char path[PATH_MAX];
	int kind = tmp_key_kind(name), rc;

	(void)ks;
	if (kind == 0 ||
	    (size_t)snprintf(path, sizeof path, "%s/%s%s", sub, name, kind == 1 ? ".gone" : "") >=
	        sizeof path)
		return 0;
	/* Claim it first: a writer still on its way to rename this temporary
	 * file then fails (ENOENT) instead of putting a shredded key in place.
	 * Gone meanwhile: renamed by its writer. */
	if (kind == 1) {
		char tmp[PATH_MAX];
		if ((size_t)snprintf(tmp, sizeof tmp, "%s/%s", sub, name) >= sizeof tmp)
			return 0;
		if (rename(tmp, path) != 0)
			return errno == ENOENT ? 0
			                       : kho_err_set(err, KHO_EIO, "%s: %s", tmp, strerror(errno));
	}
	rc = shred(path, sub, err);
	if (rc == 0)
		(*(size_t *)arg)++;
	return rc == KHO_ENOTFOUND ? 0 : rc;
}

int keystore_clean_tmp(keystore *ks, size_t *removed, kho_err *err)
{
	*removed = 0;
	return each_file(ks, clean_one, removed, err);
}

const char *keystore_dir(const keystore *ks)
{
	return ks->dir;
}

void keystore_free(keystore *ks)
{
	if (ks != NULL)
		keystore_wipe_free(ks);
}
