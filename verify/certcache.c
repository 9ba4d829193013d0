/*
 * certcache.c: the decoded-certificate cache (see certcache.h).
 *
 * A small array searched linearly under one mutex: with at most
 * CERTCACHE_SLOTS entries a hash compare per slot costs far less than one
 * d2i_X509, and the lock is held only for the search, never for a decode.
 * Two threads missing on the same certificate at once both decode it; the
 * second to insert finds the first's entry and uses that (no duplicates).
 */
#include "verify/certcache.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/util.h"

struct slot {
	unsigned char key[32];
	X509 *x;               /* one reference held by the cache; NULL = free */
	unsigned long used;    /* tick of the last hit, for LRU */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[CERTCACHE_SLOTS];
static unsigned long tick, hits, misses;

/* Under lock: the slot holding key, or NULL. */
static struct slot *find(const unsigned char key[32])
{
	for (size_t i = 0; i < CERTCACHE_SLOTS; i++)
		if (slots[i].x != NULL && memcmp(slots[i].key, key, 32) == 0)
			return &slots[i];
	return NULL;
}

/* Under lock: a free slot, or the least recently used one (emptied). */
static struct slot *victim(void)
{
	struct slot *v = &slots[0];

	for (size_t i = 0; i < CERTCACHE_SLOTS; i++) {
		if (slots[i].x == NULL)
			return &slots[i];
		if (slots[i].used < v->used)
			v = &slots[i];
	}
	X509_free(v->x);
	v->x = NULL;
	return v;
}

static X509 *decode(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (len == 0 || len > LONG_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != der + len) {
		X509_free(x); /* trailing bytes: not exactly one certificate */
		x = NULL;
	}
	return x;
}

X509 *certcache_get(const unsigned char *der, size_t len)
{
	unsigned char key[32];
	struct slot *s;
	X509 *x, *ret = NULL;

	if (der == NULL || len > CERTCACHE_MAX_DER || kho_sha256(key, der, len) != 0)
		return decode(der, len);
	pthread_mutex_lock(&lock);
	s = find(key);
	if (s != NULL && X509_up_ref(s->x)) {
		s->used = ++tick;
		hits++;
		ret = s->x;
	}
	pthread_mutex_unlock(&lock);
	if (ret != NULL)
		return ret;

	x = decode(der, len);
	if (x == NULL)
		return NULL;
	pthread_mutex_lock(&lock);
	misses++;
	s = find(key);
	if (s == NULL) {
		s = victim();
		if (X509_up_ref(x)) {
			memcpy(s->key, key, 32);
			s->x = x;
			s->used = ++tick;
		}
	} else if (X509_up_ref(s->x)) {
		/* Another thread cached the same bytes meanwhile: share its object. */
		X509_free(x);
		x = s->x;
		s->used = ++tick;
	}
	pthread_mutex_unlock(&lock);
	return x;
}

void certcache_stats(unsigned long *h, unsigned long *m)
{
	pthread_mutex_lock(&lock);
	if (h != NULL)
		*h = hits;
	if (m != NULL)
		*m = misses;
	pthread_mutex_unlock(&lock);
}
