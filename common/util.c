/*
 * util.c: files, times, encodings (see util.h).
 */
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* read_file: kho_read_file and kho_read_user_file; nofollow is O_NOFOLLOW or 0. */
static int read_file(kho_buf *out, const char *path, int nofollow, kho_err *err)
{
	unsigned char chunk[65536];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | nofollow | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return kho_err_set(err, KHO_ENOTFOUND, "%s: no such file", path);
		if (errno == ELOOP)
			return kho_err_set(err, KHO_EUNSAFE, "%s: is a symbolic link", path);
		return kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return kho_err_set(err, KHO_EIO, "%s: not a regular file", path);
	}
	if ((unsigned long long)st.st_size > out->max) {
		close(fd);
		return kho_err_set(err, KHO_ETOOBIG, "%s: %lld bytes, more than the limit of %zu",
		                   path, (long long)st.st_size, out->max);
	}
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		rc = kho_buf_append(out, chunk, (size_t)n);
		if (rc != 0) {
			kho_err_set(err, rc, "%s: larger than the limit of %zu bytes", path, out->max);
			break;
		}
	}
	close(fd);
	return rc;
}

int kho_read_file(kho_buf *out, const char *path, kho_err *err)
{
	return read_file(out, path, O_NOFOLLOW, err);
}

int kho_read_user_file(kho_buf *out, const char *path, kho_err *err)
{
	return read_file(out, path, 0, err);
}

int kho_parse_uint(uint64_t *out, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v = 0;
	const char *p;

	if (s == NULL || *s == '\0')
		return KHO_EINVAL;
	for (p = s; *p != '\0'; p++) {
		unsigned d;
		if (*p < '0' || *p > '9')
			return KHO_EINVAL;
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)   /* v * 10 + d would wrap */
			return KHO_EINVAL;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return KHO_EINVAL;
	*out = v;
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* parent_of: cut path (a buffer of n bytes) to its directory: "." for a
 * bare name, "/" for a name at the root. */
static void parent_of(char *path, size_t n)
{
	char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(path, n, ".");
	else if (slash == path)
		path[1] = '\0';
	else
		*slash = '\0';
}

int kho_fsync_dir(const char *path, kho_err *err)
{
	char dir[PATH_MAX];
	struct stat st;
	int fd;

	snprintf(dir, sizeof dir, "%s", path);
	if (!(stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
		parent_of(dir, sizeof dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kho_err_set(err, KHO_EIO, "%s: %s", dir, strerror(errno));
	if (fsync(fd) != 0) {
		close(fd);
		return kho_err_set(err, KHO_EIO, "fsync %s: %s", dir, strerror(errno));
	}
	close(fd);
	return 0;
}

static int write_file(const char *path, const void *data, size_t len, int mode, int sync,
                      kho_err *err)
{
	char tmp[PATH_MAX];
	unsigned char rnd[8];
	char hex[17];
	int fd;

	if (kho_random(rnd, sizeof rnd) != 0)
		return kho_err_set(err, KHO_ECRYPTO, "no randomness for a temporary name");
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%s", path, kho_hex(hex, rnd, sizeof rnd))
	    >= sizeof tmp)
		return kho_err_set(err, KHO_EINVAL, "%s: path too long", path);
	/* Errors name the file asked for, not its temporary name (a user
	 * reading "x.asice.tmp-cff6...: No such file or directory" looked for
	 * that file). */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return kho_err_set(err, KHO_EIO, "cannot create %s: %s", path, strerror(errno));
	if (write_all(fd, data, len) != 0 || (sync ? fsync(fd) : kho_write_out(fd)) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return kho_err_set(err, KHO_EIO, "cannot write %s: %s", path, strerror(e));
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(e));
	}
	return sync ? kho_fsync_dir(path, err) : 0;
}

int kho_write_out(int fd)
{
	int rc;

	do
		rc = sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
		                                   SYNC_FILE_RANGE_WAIT_AFTER);
	while (rc != 0 && errno == EINTR);
	return rc;
}

int kho_write_file_durable(const char *path, const void *data, size_t len,
                           int mode, kho_err *err)
{
	return write_file(path, data, len, mode, 1, err);
}

int kho_write_file_renamed(const char *path, const void *data, size_t len,
                           int mode, kho_err *err)
{
	return write_file(path, data, len, mode, 0, err);
}

/* fsync the parent directory of path (a path without '/' is in "."). */
static int fsync_parent(const char *path, kho_err *err)
{
	char parent[PATH_MAX];

	snprintf(parent, sizeof parent, "%s", path);
	parent_of(parent, sizeof parent);
	return kho_fsync_dir(parent, err);
}

int kho_mkdir_p(const char *dir, int mode, kho_err *err)
{
	char p[PATH_MAX];
	size_t i, n = strlen(dir);
	struct stat st;

	if (n == 0 || n >= sizeof p)
		return kho_err_set(err, KHO_EINVAL, "bad directory name");
	/* Already there (every store and key-store put): one stat, not a
	 * mkdir per path component. */
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	memcpy(p, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, (mode_t)mode) == 0) {
			/* A new directory's entry lives in its parent: without this
			 * fsync a crash could take the directory, and every durable
			 * file later written into it, away. */
			int rc = fsync_parent(p, err);
			if (rc != 0)
				return rc;
		} else if (errno != EEXIST) {
			return kho_err_set(err, KHO_EIO, "mkdir %s: %s", p, strerror(errno));
		}
		p[i] = c;
	}
	return 0;
}

int kho_mkdir_fanout(const char *dir, kho_err *err)
{
	char sub[PATH_MAX];
	int i, created = 0;

	for (i = 0; i < 256; i++) {
		if ((size_t)snprintf(sub, sizeof sub, "%s/%02x", dir, i) >= sizeof sub)
			return kho_err_set(err, KHO_EINVAL, "directory name too long");
		if (mkdir(sub, 0700) == 0)
			created = 1;
		else if (errno != EEXIST)
			return kho_err_set(err, KHO_EIO, "mkdir %s: %s", sub, strerror(errno));
	}
	/* One fsync of dir persists all the new entries at once. */
	return created ? kho_fsync_dir(dir, err) : 0;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int kho_time_parse(time_t *out, const char *s)
{
	struct tm tm;
	int Y, M, D, h = 0, m = 0, sec = 0, oh, om;
	long off = 0;
	const char *p;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (s == NULL || strlen(s) < 10 || digits(s, 4, &Y) || s[4] != '-' ||
	    digits(s + 5, 2, &M) || s[7] != '-' || digits(s + 8, 2, &D))
		return KHO_EFORMAT;
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1])
		return KHO_EFORMAT;
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		return KHO_EFORMAT;
	p = s + 10;
	if (*p != '\0') {
		if ((*p != 'T' && *p != 't' && *p != ' ') || strlen(p) < 9 ||
		    digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &m) ||
		    p[6] != ':' || digits(p + 7, 2, &sec))
			return KHO_EFORMAT;
		if (h > 23 || m > 59 || sec > 60)
			return KHO_EFORMAT;
		p += 9;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return KHO_EFORMAT;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			if (strlen(p) != 6 || digits(p + 1, 2, &oh) || p[3] != ':' ||
			    digits(p + 4, 2, &om) || oh > 23 || om > 59)
				return KHO_EFORMAT;
			off = (oh * 3600L + om * 60L) * (*p == '+' ? 1 : -1);
			p += 6;
		} else {
			return KHO_EFORMAT;
		}
		if (*p != '\0')
			return KHO_EFORMAT;
	}
	memset(&tm, 0, sizeof tm);
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	*out = timegm(&tm) - off;
	return 0;
}

int32_t kho_local_day(time_t t)
{
	t += KHO_LOCAL_UTC_OFFSET;
	return (int32_t)(t >= 0 ? t / 86400 : -((-t + 86399) / 86400));
}

time_t kho_local_day_start(int32_t day)
{
	return (time_t)day * 86400 - KHO_LOCAL_UTC_OFFSET;
}

char *kho_local_date(char out[11], time_t t)
{
	time_t d = (time_t)kho_local_day(t) * 86400;
	struct tm tm;

	gmtime_r(&d, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
	return out;
}

char *kho_time_format(char *buf, size_t n, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

time_t kho_now(void)
{
	const char *env = getenv("KHO_NOW");
	time_t t;

	if (env != NULL && kho_time_parse(&t, env) == 0)
		return t;
	return time(NULL);
}

char *kho_base64_encode(const void *p, size_t n)
{
	size_t outlen;
	char *out;

	if (n > (size_t)INT_MAX / 2)
		return NULL;
	outlen = 4 * ((n + 2) / 3);
	out = malloc(outlen + 1);
	if (out == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	out[outlen] = '\0';
	return out;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int kho_base64_decode(kho_buf *out, const char *s, size_t n)
{
	unsigned int acc = 0;
	int bits = 0, pad = 0, rc, v;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isspace(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = b64val(c);
		if (pad || v < 0)
			return KHO_EFORMAT;
		acc = ((acc << 6) | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			unsigned char byte;
			bits -= 8;
			byte = (unsigned char)(acc >> bits);
			rc = kho_buf_append(out, &byte, 1);
			if (rc != 0)
				return rc;
		}
	}
	if (pad > 2 || bits >= 6 || (acc & ((1u << bits) - 1)) != 0)
		return KHO_EFORMAT;
	return 0;
}

char *kho_hex(char *out, const void *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

int kho_key_wrap(const unsigned char kek[32], const unsigned char *in, size_t inlen,
                 unsigned char *out, int unwrap, const char *what, kho_err *err)
{
	/* EVP's unwrap may write up to inlen bytes (the check block too), so
	 * both directions go through tmp and only the result is copied out. */
	unsigned char tmp[1024 + 8];
	EVP_CIPHER_CTX *ctx;
	size_t want = unwrap ? inlen - 8 : inlen + 8;
	int len = 0, fin = 0, rc = 0;

	if (inlen < 16 || inlen > 1024 || inlen % 8 != 0)
		return kho_err_set(err, KHO_ECRYPTO, "%s: not a wrappable key length", what);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return kho_err_ssl(err, KHO_ECRYPTO, "cipher context");
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_wrap(), NULL, kek, NULL, unwrap ? 0 : 1) != 1 ||
	    EVP_CipherUpdate(ctx, tmp, &len, in, (int)inlen) != 1 ||
	    EVP_CipherFinal_ex(ctx, tmp + len, &fin) != 1 || (size_t)(len + fin) != want)
		rc = kho_err_ssl(err, KHO_ECRYPTO, unwrap ? "%s does not unwrap with the master key "
		                                            "(altered, or another master key)"
		                                          : "cannot wrap %s", what);
	else
		memcpy(out, tmp, want);
	OPENSSL_cleanse(tmp, sizeof tmp);
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/*
 * SHA-256 fetched once: EVP_sha256() makes every EVP_Digest fetch the
 * implementation again (a name lookup under the provider store's lock),
 * half the cost of hashing a short text such as a token (lookup profile).
 * Kept for the life of the process.
 */
static EVP_MD *sha256_md;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int kho_sha256(unsigned char out[32], const void *p, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	unsigned int len = 32;

	pthread_once(&once, sha256_fetch);
	return EVP_Digest(p, n, out, &len, sha256_md != NULL ? sha256_md : EVP_sha256(), NULL) == 1
	           ? 0 : KHO_ECRYPTO;
}

int kho_random(void *out, size_t n)
{
	if (n > INT_MAX)
		return KHO_EINVAL;
	return RAND_bytes(out, (int)n) == 1 ? 0 : KHO_ECRYPTO;
}
