/*
 * test_keystore.c: package keys outside the data directory (keystore.h):
 * put/get round trip, no silent replacement, destruction removes the file
 * and its bytes, a copy of the data directory holds nothing of the key.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/keystore.h"
#include "common/util.h"
#include "tests/unit/test.h"

static const char *ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static char *tmpdir(void)
{
	static char t[64];
	snprintf(t, sizeof t, "/tmp/kho-ks-XXXXXX");
	return mkdtemp(t);
}

static void t_default_dir(void)
{
	char b[256];
	CHECK_EQ_INT(keystore_default_dir(b, sizeof b, "/srv/kho/data/", NULL), 0);
	CHECK_STR(b, "/srv/kho/data.keys");
	CHECK_EQ_INT(keystore_default_dir(b, 8, "/srv/kho/data", NULL), KHO_EINVAL);
}

static const unsigned char MASTER[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                           17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                                           30, 31, 32 };

/* 1 if the n bytes of needle occur in the file at path. */
static int file_contains(const char *path, const unsigned char *needle, size_t n)
{
	unsigned char buf[256];
	size_t len, i;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return 0;
	len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	for (i = 0; i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return 1;
	return 0;
}

static void t_roundtrip_and_destroy(void)
{
	char *d = tmpdir(), dir[256], path[512];
	unsigned char k[32], k2[32], got[32];
	keystore *ks = NULL;
	struct stat st;
	kho_err err;

	REQUIRE(d != NULL);
	snprintf(dir, sizeof dir, "%s/data.keys", d);
	REQUIRE(keystore_open(&ks, dir, MASTER, NULL, &err) == 0);
	memset(k, 0x41, sizeof k);
	memset(k2, 0x42, sizeof k2);
	CHECK_EQ_INT(keystore_get(ks, ID, got, &err), KHO_ENOTFOUND);
	CHECK_EQ_INT(keystore_put(ks, ID, k, &err), 0);
	CHECK_EQ_INT(keystore_has(ks, ID), 1);
	CHECK_EQ_INT(keystore_put(ks, ID, k, &err), 0);          /* same key: no-op */
	CHECK_EQ_INT(keystore_put(ks, ID, k2, &err), KHO_ECONFLICT); /* never replaced */
	CHECK_EQ_INT(keystore_get(ks, ID, got, &err), 0);
	CHECK(memcmp(got, k, 32) == 0);
	snprintf(path, sizeof path, "%s/01/%s.key", dir, ID);
	/* 40 bytes: the key wrapped under the master key, never the raw key. */
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 40);
	CHECK(!file_contains(path, k, sizeof k));
	CHECK_EQ_INT(keystore_put(ks, "not-an-id", k, &err), KHO_EINVAL);
	{
		/* The same store under another master key reads nothing. */
		keystore *other = NULL;
		unsigned char m2[32];
		memset(m2, 0x99, sizeof m2);
		REQUIRE(keystore_open(&other, dir, m2, NULL, &err) == 0);
		CHECK_EQ_INT(keystore_get(other, ID, got, &err), KHO_ECRYPTO);
		CHECK(strstr(err.msg, "master key") != NULL);
		keystore_free(other);
	}

	CHECK_EQ_INT(keystore_destroy(ks, ID, &err), 0);
	CHECK(stat(path, &st) != 0);
	CHECK_EQ_INT(keystore_has(ks, ID), 0);
	CHECK_EQ_INT(keystore_get(ks, ID, got, &err), KHO_ENOTFOUND);
	CHECK_EQ_INT(keystore_destroy(ks, ID, &err), KHO_ENOTFOUND);
	keystore_free(ks);
	keystore_free(NULL);
}

static void t_refuses_unsafe(void)
{
	char *d = tmpdir(), dir[256], sub[300], path[512];
	unsigned char got[32];
	keystore *ks = NULL;
	kho_err err;
	FILE *f;

	REQUIRE(d != NULL);
	snprintf(dir, sizeof dir, "%s/k", d);
	REQUIRE(keystore_open(&ks, dir, MASTER, NULL, &err) == 0);
	snprintf(sub, sizeof sub, "%s/01", dir);
	mkdir(sub, 0700);
	snprintf(path, sizeof path, "%s/%s.key", sub, ID);
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs("short", f);
	fclose(f);
	chmod(path, 0600);
	CHECK_EQ_INT(keystore_get(ks, ID, got, &err), KHO_EUNSAFE);
	unlink(path);
	CHECK(symlink("/etc/hostname", path) == 0);
	CHECK_EQ_INT(keystore_get(ks, ID, got, &err), KHO_EUNSAFE);
	keystore_free(ks);
	chmod(dir, 0755);
	CHECK_EQ_INT(keystore_open(&ks, dir, MASTER, NULL, &err), KHO_EUNSAFE);
}

/* A key store written before wrapping (32-byte raw files, no FORMAT) is
 * wrapped in place by the first open, and its keys still read. */
static void t_legacy_rewrapped(void)
{
	char *d = tmpdir(), dir[256], sub[300], path[512], fmt[300];
	unsigned char k[32], got[32];
	keystore *ks = NULL;
	struct stat st;
	size_t n = 99;
	kho_err err;
	FILE *f;

	REQUIRE(d != NULL);
	snprintf(dir, sizeof dir, "%s/old.keys", d);
	snprintf(sub, sizeof sub, "%s/01", dir);
	REQUIRE(mkdir(dir, 0700) == 0 && mkdir(sub, 0700) == 0);
	snprintf(path, sizeof path, "%s/%s.key", sub, ID);
	memset(k, 0x5a, sizeof k);
	f = fopen(path, "wb");
	REQUIRE(f != NULL);
	fwrite(k, 1, sizeof k, f);
	fclose(f);
	chmod(path, 0600);
	REQUIRE(keystore_open(&ks, dir, MASTER, &n, &err) == 0);
	CHECK_EQ_INT((int)n, 1);
	CHECK(stat(path, &st) == 0 && st.st_size == 40 && (st.st_mode & 0777) == 0600);
	CHECK(!file_contains(path, k, sizeof k));
	CHECK_EQ_INT(keystore_get(ks, ID, got, &err), 0);
	CHECK(memcmp(got, k, 32) == 0);
	snprintf(fmt, sizeof fmt, "%s/FORMAT", dir);
	CHECK(stat(fmt, &st) == 0);
	keystore_free(ks);
	/* Once FORMAT is there, the next open does not walk again. */
	REQUIRE(keystore_open(&ks, dir, MASTER, &n, &err) == 0);
	CHECK_EQ_INT((int)n, 0);
	keystore_free(ks);
}

/* each_pending's callback: counts, and checks the id. */
static int count_pending(const char *id, void *arg)
{
	CHECK_STR(id, ID);
	(*(int *)arg)++;
	return 0;
}

/*
 * The ingest's pending name (keystore.h): found by get and has, compared by
 * put, renamed by commit, shredded by destroy (both names) and by
 * destroy_pending (that name only); its temporary files are shredded by
 * clean_tmp like the final name's.
 */
static void t_pending(void)
{
	char *d = tmpdir(), dir[256], path[512], pend[512], tmp[600];
	unsigned char k[32], k2[32], got[32];
	keystore *ks = NULL;
	struct stat st;
	size_t n = 0;
	kho_err err;
	FILE *f;
	int count = 0;

	REQUIRE(d != NULL);
	snprintf(dir, sizeof dir, "%s/data.keys", d);
	REQUIRE(keystore_open(&ks, dir, MASTER, NULL, &err) == 0);
	snprintf(path, sizeof path, "%s/01/%s.key", dir, ID);
	snprintf(pend, sizeof pend, "%s/01/%s.key.pending", dir, ID);
	memset(k, 0x41, sizeof k);
	memset(k2, 0x42, sizeof k2);
	CHECK_EQ_INT(keystore_commit(ks, ID, &err), KHO_ENOTFOUND);
	CHECK_EQ_INT(keystore_put_pending_nosync(ks, ID, k, &err), 0);
	CHECK(stat(pend, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 40);
	CHECK(stat(path, &st) != 0);
	CHECK_EQ_INT(keystore_has(ks, ID), 1);
	CHECK_EQ_INT(keystore_get(ks, ID, got, &err), 0);
	CHECK(memcmp(got, k, 32) == 0);
	CHECK_EQ_INT(keystore_put_pending_nosync(ks, ID, k2, &err), KHO_ECONFLICT);
	CHECK_EQ_INT(keystore_put(ks, ID, k2, &err), KHO_ECONFLICT);
	CHECK_EQ_INT(keystore_each_pending(ks, count_pending, &count, &err), 0);
	CHECK_EQ_INT(count, 1);
	CHECK_EQ_INT(keystore_commit(ks, ID, &err), 0);
	CHECK(stat(pend, &st) != 0 && stat(path, &st) == 0);
	CHECK_EQ_INT(keystore_get(ks, ID, got, &err), 0);
	CHECK(memcmp(got, k, 32) == 0);
	CHECK_EQ_INT(keystore_put_pending_nosync(ks, ID, k, &err), 0);  /* final there: no-op */
	CHECK(stat(pend, &st) != 0);
	CHECK_EQ_INT(keystore_destroy_pending(ks, ID, &err), KHO_ENOTFOUND);
	CHECK_EQ_INT(keystore_commit(ks, ID, &err), KHO_ENOTFOUND);

	/* Destroy: a pending key alone, then both names at once. */
	CHECK_EQ_INT(keystore_destroy(ks, ID, &err), 0);
	CHECK_EQ_INT(keystore_put_pending_nosync(ks, ID, k, &err), 0);
	CHECK_EQ_INT(keystore_destroy(ks, ID, &err), 0);
	CHECK(stat(pend, &st) != 0);
	CHECK_EQ_INT(keystore_has(ks, ID), 0);
	CHECK_EQ_INT(keystore_put_pending_nosync(ks, ID, k, &err), 0);
	REQUIRE(link(pend, path) == 0);
	CHECK_EQ_INT(keystore_destroy(ks, ID, &err), 0);
	CHECK(stat(pend, &st) != 0 && stat(path, &st) != 0);
	CHECK_EQ_INT(keystore_get(ks, ID, got, &err), KHO_ENOTFOUND);
	CHECK_EQ_INT(keystore_destroy(ks, ID, &err), KHO_ENOTFOUND);

	/* destroy_pending leaves the final name. */
	CHECK_EQ_INT(keystore_put(ks, ID, k, &err), 0);
	REQUIRE(link(path, pend) == 0);
	CHECK_EQ_INT(keystore_destroy_pending(ks, ID, &err), 0);
	CHECK(stat(pend, &st) != 0 && stat(path, &st) == 0);

	/* Tracked (the daemon): the pending name is looked at only while a
	 * commit's key may be there; untracked (the tools), always. */
	CHECK_EQ_INT(keystore_destroy(ks, ID, &err), 0);
	CHECK_EQ_INT(keystore_put_pending_nosync(ks, ID, k, &err), 0);
	CHECK_EQ_INT(keystore_has(ks, ID), 1);          /* untracked */
	keystore_track_pending(ks);
	keystore_pending_begin(ks);
	CHECK_EQ_INT(keystore_has(ks, ID), 1);          /* a commit in flight */
	keystore_pending_end(ks);
	CHECK_EQ_INT(keystore_has(ks, ID), 0);          /* none: only the final name */
	CHECK_EQ_INT(keystore_commit(ks, ID, &err), 0);
	CHECK_EQ_INT(keystore_has(ks, ID), 1);
	CHECK_EQ_INT(keystore_destroy(ks, ID, &err), 0);
	CHECK_EQ_INT(keystore_put(ks, ID, k, &err), 0);

	/* A temporary file of the pending name is shredded at start. */
	snprintf(tmp, sizeof tmp, "%s.tmp-0123456789abcdef", pend);
	f = fopen(tmp, "wb");
	REQUIRE(f != NULL);
	fwrite(k, 1, sizeof k, f);
	fclose(f);
	CHECK_EQ_INT(keystore_clean_tmp(ks, &n, &err), 0);
	CHECK_EQ_INT((int)n, 1);
	CHECK(stat(tmp, &st) != 0);
	CHECK(stat(path, &st) == 0);
	keystore_free(ks);
}

TESTS(T(t_default_dir), T(t_roundtrip_and_destroy), T(t_refuses_unsafe), T(t_legacy_rewrapped),
      T(t_pending))
