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

static void t_roundtrip_and_destroy(void)
{
	char *d = tmpdir(), dir[256], path[512];
	unsigned char k[32], k2[32], got[32];
	keystore *ks = NULL;
	struct stat st;
	kho_err err;

	REQUIRE(d != NULL);
	snprintf(dir, sizeof dir, "%s/data.keys", d);
	REQUIRE(keystore_open(&ks, dir, &err) == 0);
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
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 32);
	CHECK_EQ_INT(keystore_put(ks, "not-an-id", k, &err), KHO_EINVAL);

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
	REQUIRE(keystore_open(&ks, dir, &err) == 0);
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
	CHECK_EQ_INT(keystore_open(&ks, dir, &err), KHO_EUNSAFE);
}

TESTS(T(t_default_dir), T(t_roundtrip_and_destroy), T(t_refuses_unsafe))
