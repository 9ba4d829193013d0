/*
 * test_subject_mac.c: ingest_subject_mac (a keyed HMAC context copied per
 * call, ingest.c) gives HMAC-SHA256 of the subject key, as HMAC() did
 * before: the subject_mac of every result already in a catalog depends on
 * it. A known answer (key file 0x01..0x20, computed with `openssl dgst
 * -sha256 -mac HMAC -macopt hexkey:...`), OpenSSL's one-shot HMAC() on a
 * random key, repeated calls, and concurrent threads.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "archive/config.h"
#include "archive/ingest.h"
#include "common/util.h"
#include "tests/unit/test.h"

static char dir[256];

static void wipe(void)
{
	char cmd[1024];

	snprintf(dir, sizeof dir, "/tmp/kho-test-smac-%d", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -rf %s %s.keys %s-keys", dir, dir, dir);
	if (system(cmd) != 0)
		abort();
}

static void one_shot(const ingest_ctx *c, const char *id, unsigned char out[32])
{
	unsigned int len = 32;

	if (HMAC(EVP_sha256(), c->subject_key, sizeof c->subject_key, (const unsigned char *)id,
	         strlen(id), out, &len) == NULL)
		memset(out, 0, 32);
}

static void hex(const unsigned char *b, char out[65])
{
	kho_hex(out, b, 32);
}

static void t_known_answer(void)
{
	ingest_ctx *c = NULL;
	config cfg;
	unsigned char key[32], m[32];
	char path[300], h[65];
	size_t i;
	int fd;

	wipe();
	snprintf(path, sizeof path, "%s/keys", dir);
	REQUIRE(mkdir(dir, 0700) == 0 && mkdir(path, 0700) == 0);
	for (i = 0; i < 32; i++)
		key[i] = (unsigned char)(i + 1);
	snprintf(path, sizeof path, "%s/keys/subject.key", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, key, sizeof key) == (ssize_t)sizeof key);
	close(fd);
	config_defaults(&cfg);
	REQUIRE(ingest_open(&c, &cfg, dir, 0, NULL) == 0);
	CHECK_EQ_INT(ingest_subject_mac(c, "001234567890", m), 0);
	hex(m, h);
	CHECK_STR(h, "a61e1385fafbc05c8c83df85fd272d8d002b5bb73649658551fcd28fe9f605e8");
	CHECK_EQ_INT(ingest_subject_mac(c, "", m), 0);
	hex(m, h);
	CHECK_STR(h, "462476a897ddfdbd40d1420e08a5bcfeeb25c3e2ade6a0a9083b327b9ef9fca1");
	CHECK(ingest_subject_mac(c, NULL, m) == KHO_EINVAL);
	ingest_close(c);
	config_free(&cfg);
	wipe();
}

struct worker {
	const ingest_ctx *c;
	int bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char a[32], b[32];
	char id[32];
	int i;

	for (i = 0; i < 2000; i++) {
		snprintf(id, sizeof id, "%03d%09d", i % 7, i * 7919);
		if (ingest_subject_mac(w->c, id, a) != 0)
			w->bad++;
		one_shot(w->c, id, b);
		if (memcmp(a, b, 32) != 0)
			w->bad++;
	}
	return NULL;
}

/* A random key (the data directory's first start): the same bytes as
 * HMAC(), call after call and from four threads at once. */
static void t_matches_hmac_concurrently(void)
{
	ingest_ctx *c = NULL;
	config cfg;
	pthread_t th[4];
	struct worker w[4];
	int i;

	wipe();
	config_defaults(&cfg);
	REQUIRE(ingest_open(&c, &cfg, dir, 0, NULL) == 0);
	for (i = 0; i < 4; i++) {
		w[i].c = c;
		w[i].bad = 0;
		REQUIRE(pthread_create(&th[i], NULL, work, &w[i]) == 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_INT(w[i].bad, 0);
	}
	ingest_close(c);
	config_free(&cfg);
	wipe();
}

TESTS(T(t_known_answer), T(t_matches_hmac_concurrently))
