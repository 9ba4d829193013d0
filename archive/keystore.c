/*
 * keystore.c: package keys outside the data directory, one file per key,
 * destroyed by overwrite + fsync + unlink + directory fsync (keystore.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
};

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

int keystore_open(keystore **out, const char *dir, kho_err *err)
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
	if ((size_t)snprintf(ks->dir, sizeof ks->dir, "%s", dir) >= sizeof ks->dir) {
		free(ks);
		return kho_err_set(err, KHO_EINVAL, "key store path too long");
	}
	if ((rc = kho_mkdir_p(dir, 0700, err)) != 0) {
		free(ks);
		return rc;
	}
	/* The key store must be a real directory, not a link somewhere else. */
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		free(ks);
		return kho_err_set(err, KHO_EUNSAFE, "%s: key store is not a directory", dir);
	}
	if ((st.st_mode & 077) != 0) {
		free(ks);
		return kho_err_set(err, KHO_EUNSAFE,
		                   "%s: key store is accessible to group or others (chmod 700)", dir);
	}
	*out = ks;
	return 0;
}

static int key_path(const keystore *ks, const char *id, char *sub, size_t nsub, char *path,
                    size_t npath, kho_err *err)
{
	if (!is_id(id))
		return kho_err_set(err, KHO_EINVAL, "not a package id");
	if ((size_t)snprintf(sub, nsub, "%s/%.2s", ks->dir, id) >= nsub ||
	    (size_t)snprintf(path, npath, "%s/%s.key", sub, id) >= npath)
		return kho_err_set(err, KHO_EINVAL, "key path too long");
	return 0;
}

/* read_key: exactly 32 bytes from a private regular file. */
static int read_key(const char *path, unsigned char key[KEYSTORE_KEY_LEN], kho_err *err)
{
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return kho_err_set(err, KHO_ENOTFOUND, "no key (destroyed or never stored)");
		if (errno == ELOOP)
			return kho_err_set(err, KHO_EUNSAFE, "%s: is a symbolic link", path);
		return kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != KEYSTORE_KEY_LEN ||
	    (st.st_mode & 077) != 0) {
		rc = kho_err_set(err, KHO_EUNSAFE, "%s: not a private %d-byte key file", path,
		                 KEYSTORE_KEY_LEN);
		goto out;
	}
	while (got < KEYSTORE_KEY_LEN) {
		r = read(fd, key + got, KEYSTORE_KEY_LEN - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = kho_err_set(err, KHO_EIO, "%s: short read", path);
			goto out;
		}
		got += (size_t)r;
	}
out:
	close(fd);
	if (rc != 0)
		OPENSSL_cleanse(key, KEYSTORE_KEY_LEN);
	return rc;
}

int keystore_put(keystore *ks, const char *id, const unsigned char key[KEYSTORE_KEY_LEN],
                 kho_err *err)
{
	char sub[PATH_MAX], path[PATH_MAX];
	unsigned char old[KEYSTORE_KEY_LEN];
	int rc;

	if ((rc = key_path(ks, id, sub, sizeof sub, path, sizeof path, err)) != 0)
		return rc;
	rc = read_key(path, old, err);
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
	/* Durable: temporary file, fsync, rename, fsync of the directory. */
	return kho_write_file_durable(path, key, KEYSTORE_KEY_LEN, 0600, err);
}

int keystore_get(keystore *ks, const char *id, unsigned char key[KEYSTORE_KEY_LEN], kho_err *err)
{
	char sub[PATH_MAX], path[PATH_MAX];
	int rc;

	if ((rc = key_path(ks, id, sub, sizeof sub, path, sizeof path, err)) != 0)
		return rc;
	return read_key(path, key, err);
}

int keystore_has(keystore *ks, const char *id)
{
	char sub[PATH_MAX], path[PATH_MAX];
	struct stat st;

	if (key_path(ks, id, sub, sizeof sub, path, sizeof path, NULL) != 0)
		return 0;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int keystore_destroy(keystore *ks, const char *id, kho_err *err)
{
	static const unsigned char zero[KEYSTORE_KEY_LEN];
	char sub[PATH_MAX], path[PATH_MAX];
	struct stat st;
	ssize_t w;
	int fd, rc;

	if ((rc = key_path(ks, id, sub, sizeof sub, path, sizeof path, err)) != 0)
		return rc;
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return kho_err_set(err, KHO_ENOTFOUND, "no key for %.16s... (already destroyed?)",
			                   id);
		return kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return kho_err_set(err, KHO_EUNSAFE, "%s: not a regular file", path);
	}
	/* Overwrite in place before unlinking, so that the blocks the file
	 * occupied hold zeros rather than the key (on file systems that
	 * overwrite in place; see keystore.h for the limits). */
	w = pwrite(fd, zero, sizeof zero, 0);
	if (w != (ssize_t)sizeof zero || fsync(fd) != 0) {
		close(fd);
		return kho_err_set(err, KHO_EIO, "%s: overwrite failed: %s", path, strerror(errno));
	}
	if (close(fd) != 0)
		return kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
	if (unlink(path) != 0)
		return kho_err_set(err, KHO_EIO, "%s: unlink: %s", path, strerror(errno));
	return kho_fsync_dir(sub, err);
}

const char *keystore_dir(const keystore *ks)
{
	return ks->dir;
}

void keystore_free(keystore *ks)
{
	free(ks);
}
