/*
 * test_store.c: the encrypted content-addressed store: round trip, the
 * 0600 master key created on first start, tamper detection (tag and digest),
 * a wrong or destroyed key, the durable layout and temp cleanup.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/store.h"
#include "common/util.h"
#include "tests/unit/test.h"

static char dir[256];

static void fresh_dir(void)
{
	char cmd[300];

	snprintf(dir, sizeof dir, "/tmp/kho-test-store-%d", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		abort();
	mkdir(dir, 0700);
}

/* Write n bytes of a pattern to path; its id into id. */
static void plain_file(const char *path, size_t n, char id[65])
{
	unsigned char *b = malloc(n ? n : 1), d[32];
	size_t i;
	FILE *f;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 7 + (i >> 10));
	f = fopen(path, "wb");
	fwrite(b, 1, n, f);
	fclose(f);
	kho_sha256(d, b, n);
	kho_hex(id, d, 32);
	free(b);
}

static store *open_store(void)
{
	char kp[300];
	store *s = NULL;

	snprintf(kp, sizeof kp, "%s/master.key", dir);
	if (store_open(&s, dir, kp, 1, NULL) != 0)
		return NULL;
	return s;
}

static void t_roundtrip_large(void)
{
	unsigned char wrapped[STORE_WRAPPED_LEN], d[32];
	char plain[300], id[65], out[4096], hex[65], kp[300];
	uint64_t size = 0;
	struct stat st;
	store *s;

	fresh_dir();
	s = open_store();
	REQUIRE(s != NULL);
	snprintf(kp, sizeof kp, "%s/master.key", dir);
	CHECK(stat(kp, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 32);
	snprintf(plain, sizeof plain, "%s/plain", dir);
	plain_file(plain, 300000, id);  /* several chunks and a partial one */
	CHECK_EQ_INT(store_put_file(s, id, plain, wrapped, NULL), 0);
	CHECK(store_exists(s, id));
	CHECK_EQ_INT(store_get_tmp(s, id, wrapped, out, sizeof out, &size, NULL), 0);
	CHECK_EQ_INT(size, 300000);
	CHECK_EQ_INT(store_sha256_file(out, d, NULL, NULL), 0);
	CHECK_STR(kho_hex(hex, d, 32), id);
	unlink(out);
	/* The stored file is not the plaintext. */
	{
		char sp[4096];
		unsigned char sd[32];
		store_path(s, id, sp, sizeof sp);
		CHECK_EQ_INT(store_sha256_file(sp, sd, &size, NULL), 0);
		CHECK(memcmp(sd, d, 32) != 0);
		CHECK_EQ_INT(size, 300000 + 8 + 12 + 16);
	}
	store_free(s);
}

static void t_tamper_detected(void)
{
	unsigned char wrapped[STORE_WRAPPED_LEN];
	char plain[300], id[65], out[4096], sp[4096];
	kho_err err;
	store *s;
	int fd;

	fresh_dir();
	s = open_store();
	REQUIRE(s != NULL);
	snprintf(plain, sizeof plain, "%s/plain", dir);
	plain_file(plain, 5000, id);
	REQUIRE(store_put_file(s, id, plain, wrapped, NULL) == 0);
	/* Flip one ciphertext byte. */
	store_path(s, id, sp, sizeof sp);
	fd = open(sp, O_RDWR);
	REQUIRE(fd >= 0);
	{
		unsigned char b;
		REQUIRE(pread(fd, &b, 1, 100) == 1);
		b ^= 1;
		REQUIRE(pwrite(fd, &b, 1, 100) == 1);
	}
	close(fd);
	CHECK_EQ_INT(store_get_tmp(s, id, wrapped, out, sizeof out, NULL, &err), KHO_ECRYPTO);
	CHECK(strstr(err.msg, "authentication tag") != NULL);
	/* No decrypted leftovers in tmp after a failed read. */
	CHECK(access(out, F_OK) != 0);
	store_free(s);
}

static void t_wrong_key_and_missing(void)
{
	unsigned char wrapped[STORE_WRAPPED_LEN];
	char plain[300], id[65], other[65], out[4096];
	store *s;

	fresh_dir();
	s = open_store();
	REQUIRE(s != NULL);
	snprintf(plain, sizeof plain, "%s/plain", dir);
	plain_file(plain, 100, id);
	REQUIRE(store_put_file(s, id, plain, wrapped, NULL) == 0);
	wrapped[5] ^= 0x40;  /* a damaged wrapped key fails the RFC 3394 check */
	CHECK_EQ_INT(store_get_tmp(s, id, wrapped, out, sizeof out, NULL, NULL), KHO_ECRYPTO);
	wrapped[5] ^= 0x40;
	/* A file renamed to another id fails (the id is the AAD and the digest). */
	memcpy(other, id, 65);
	other[0] = other[0] == 'a' ? 'b' : 'a';
	CHECK_EQ_INT(store_get_tmp(s, other, wrapped, out, sizeof out, NULL, NULL), KHO_ENOTFOUND);
	{
		char a[4096], b[4096], sub[4096];
		store_path(s, id, a, sizeof a);
		store_path(s, other, b, sizeof b);
		snprintf(sub, sizeof sub, "%s/store/%.2s", dir, other);
		mkdir(sub, 0700);
		REQUIRE(rename(a, b) == 0);
		CHECK_EQ_INT(store_get_tmp(s, other, wrapped, out, sizeof out, NULL, NULL), KHO_ECRYPTO);
	}
	CHECK_EQ_INT(store_get_tmp(s, "nothex", wrapped, out, sizeof out, NULL, NULL), KHO_EINVAL);
	store_free(s);
}

static void t_master_key_rules(void)
{
	unsigned char k1[32], k2[32];
	char kp[300];
	kho_err err;

	fresh_dir();
	snprintf(kp, sizeof kp, "%s/k", dir);
	CHECK_EQ_INT(store_key_file(k1, kp, NULL), 0);
	CHECK_EQ_INT(store_key_file(k2, kp, NULL), 0);
	CHECK(memcmp(k1, k2, 32) == 0);      /* created once, then read */
	chmod(kp, 0644);
	CHECK_EQ_INT(store_key_file(k2, kp, &err), KHO_EUNSAFE);
	CHECK(strstr(err.msg, "0600") != NULL);
	chmod(kp, 0600);
	truncate(kp, 16);
	CHECK_EQ_INT(store_key_file(k2, kp, NULL), KHO_EUNSAFE);
}

/* The tools' non-creating opens: a missing key file, store directory or
 * catalog is KHO_ENOTFOUND naming it, and nothing is created. */
static void t_open_existing_creates_nothing(void)
{
	unsigned char k[32];
	char kp[300], sub[300];
	store *s = NULL;
	struct stat st;
	kho_err err;

	fresh_dir();
	snprintf(kp, sizeof kp, "%s/master.key", dir);
	CHECK_EQ_INT(store_key_file_read(k, kp, &err), KHO_ENOTFOUND);
	CHECK(strstr(err.msg, kp) != NULL);
	CHECK(stat(kp, &st) != 0);
	CHECK_EQ_INT(store_open_existing(&s, dir, kp, &err), KHO_ENOTFOUND);
	CHECK(s == NULL);
	snprintf(sub, sizeof sub, "%s/store", dir);
	CHECK(stat(sub, &st) != 0);              /* no store/ made */
	REQUIRE(store_open(&s, dir, kp, 1, NULL) == 0);   /* the daemon's first start */
	store_free(s);
	s = NULL;
	CHECK_EQ_INT(store_key_file_read(k, kp, NULL), 0);
	CHECK_EQ_INT(store_open_existing(&s, dir, kp, NULL), 0);
	store_free(s);
	s = NULL;
	unlink(kp);
	CHECK_EQ_INT(store_open_existing(&s, dir, kp, &err), KHO_ENOTFOUND);
	CHECK(stat(kp, &st) != 0);              /* a lost key is not replaced */
}

static int count_cb(const char *id, int stray, void *arg)
{
	int *n = arg;

	n[stray ? 1 : 0]++;
	(void)id;
	return 0;
}

static void t_list_and_clean(void)
{
	unsigned char wrapped[STORE_WRAPPED_LEN];
	char plain[300], id[65], tmp[4096], junk[4096];
	int n[2] = { 0, 0 }, fd;
	store *s;

	fresh_dir();
	s = open_store();
	REQUIRE(s != NULL);
	snprintf(plain, sizeof plain, "%s/plain", dir);
	plain_file(plain, 10, id);
	REQUIRE(store_put_file(s, id, plain, wrapped, NULL) == 0);
	snprintf(junk, sizeof junk, "%s/store/%.2s/stray-file", dir, id);
	fd = open(junk, O_CREAT | O_WRONLY, 0600);
	close(fd);
	CHECK_EQ_INT(store_list(s, count_cb, n, NULL), 0);
	CHECK_EQ_INT(n[0], 1);
	CHECK_EQ_INT(n[1], 1);
	CHECK_EQ_INT(store_tmp_create(s, tmp, sizeof tmp, &fd, NULL), 0);
	close(fd);
	CHECK_EQ_INT(access(tmp, F_OK), 0);
	CHECK_EQ_INT(store_clean_tmp(s, NULL), 0);
	CHECK(access(tmp, F_OK) != 0);
	CHECK_EQ_INT(store_remove(s, id, NULL), 0);
	CHECK(!store_exists(s, id));
	CHECK_EQ_INT(store_remove(s, id, NULL), KHO_ENOTFOUND);
	store_free(s);
	store_free(NULL);
}

TESTS(T(t_roundtrip_large), T(t_tamper_detected), T(t_wrong_key_and_missing),
      T(t_master_key_rules), T(t_open_existing_creates_nothing), T(t_list_and_clean))
