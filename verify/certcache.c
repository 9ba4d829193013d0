/*
 * certcache.c: the decoded-certificate cache (see certcache.h).
 *
 * Two small arrays (certificates, CRLs) searched linearly under one mutex.
 * The key is a copy of the exact DER, compared in full: a length compare and
 * a memcmp that stops at the first differing byte cost far less than one
 * d2i_X509, and less than hashing the input to look it up (a SHA-256 per
 * certificate and CRL of every package was a percent of a verification).
 * The lock is held only for the search, never for a decode.
 * Two threads missing on the same certificate at once both decode it; the
 * second to insert finds the first's entry and uses that (no duplicates).
 */
#include "verify/certcache.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* One cached object: an X509 or an X509_CRL, per cache. */
struct slot {
	unsigned char *der;    /* the key: a copy of the exact DER */
	size_t len;
	void *obj;             /* one reference held by the cache; NULL = free */
	unsigned long used;    /* tick of the last hit, for LRU */
};

/* What differs between the certificate and the CRL cache. */
struct kind {
	void *(*decode)(const unsigned char **pp, long len);
	int (*up_ref)(void *obj);
	void (*release)(void *obj);
	struct slot *slots;
	size_t nslots;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot cert_slots[CERTCACHE_SLOTS], crl_slots[CERTCACHE_CRL_SLOTS];
static unsigned long tick, hits, misses;

static void *x509_decode(const unsigned char **pp, long len) { return d2i_X509(NULL, pp, len); }
static int x509_up_ref(void *o) { return X509_up_ref(o); }
static void x509_release(void *o) { X509_free(o); }
static void *crl_decode(const unsigned char **pp, long len) { return d2i_X509_CRL(NULL, pp, len); }
static int crl_up_ref(void *o) { return X509_CRL_up_ref(o); }
static void crl_release(void *o) { X509_CRL_free(o); }

static const struct kind certs = {
	x509_decode, x509_up_ref, x509_release, cert_slots, CERTCACHE_SLOTS
};
static const struct kind crls = {
	crl_decode, crl_up_ref, crl_release, crl_slots, CERTCACHE_CRL_SLOTS
};

/* Under lock: the slot holding exactly these bytes, or NULL. */
static struct slot *find(const struct kind *k, const unsigned char *der, size_t len)
{
	for (size_t i = 0; i < k->nslots; i++)
		if (k->slots[i].obj != NULL && k->slots[i].len == len &&
		    memcmp(k->slots[i].der, der, len) == 0)
			return &k->slots[i];
	return NULL;
}

/* Under lock: a free slot, or the least recently used one (emptied). */
static struct slot *victim(const struct kind *k)
{
	struct slot *v = &k->slots[0];

	for (size_t i = 0; i < k->nslots; i++) {
		if (k->slots[i].obj == NULL)
			return &k->slots[i];
		if (k->slots[i].used < v->used)
			v = &k->slots[i];
	}
	k->release(v->obj);
	free(v->der);
	v->obj = NULL;
	v->der = NULL;
	v->len = 0;
	return v;
}

static void *decode(const struct kind *k, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	void *o;

	if (len == 0 || len > LONG_MAX)
		return NULL;
	o = k->decode(&p, (long)len);
	if (o != NULL && p != der + len) {
		k->release(o); /* trailing bytes: not exactly one object */
		o = NULL;
	}
	return o;
}

static void *get(const struct kind *k, const unsigned char *der, size_t len)
{
	struct slot *s;
	void *o, *ret = NULL;
	unsigned char *copy;

	if (der == NULL || len == 0 || len > CERTCACHE_MAX_DER)
		return decode(k, der, len);
	pthread_mutex_lock(&lock);
	s = find(k, der, len);
	if (s != NULL && k->up_ref(s->obj)) {
		s->used = ++tick;
		hits++;
		ret = s->obj;
	}
	pthread_mutex_unlock(&lock);
	if (ret != NULL)
		return ret;
	o = decode(k, der, len);
	if (o == NULL)
		return NULL;
	copy = malloc(len);
	pthread_mutex_lock(&lock);
	misses++;
	s = find(k, der, len);
	if (s == NULL && copy != NULL) {
		s = victim(k);
		if (k->up_ref(o)) {
			memcpy(copy, der, len);
			s->der = copy;
			s->len = len;
			s->obj = o;
			s->used = ++tick;
			copy = NULL;
		}
	} else if (s != NULL && k->up_ref(s->obj)) {
		/* Another thread cached the same bytes meanwhile: share its object. */
		k->release(o);
		o = s->obj;
		s->used = ++tick;
	}
	pthread_mutex_unlock(&lock);
	free(copy);
	return o;
}

X509 *certcache_get(const unsigned char *der, size_t len)
{
	return get(&certs, der, len);
}

X509_CRL *certcache_get_crl(const unsigned char *der, size_t len)
{
	return get(&crls, der, len);
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
