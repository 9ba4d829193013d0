/*
 * certcache.h: a process-wide, thread-safe, bounded cache of decoded X.509
 * certificates (and CRLs), keyed by their exact DER (a copy, compared in full).
 *
 * Why: decoding one RSA-2048 certificate costs OpenSSL 3.0 about as much as
 * seven RSA-2048 signature verifications (provider-based key decoding in
 * d2i_X509), and every package of one agency carries the same signer, CA
 * and TSA certificates. Verification decoded five of them per package;
 * with the cache it decodes each distinct certificate once per process.
 *
 * Safety: the key is the bytes actually received, so a cached
 * object is only ever returned for the identical encoding (a certificate
 * that differs in any byte, including its signature, is another key and is
 * decoded afresh). The cached X509 is shared and must be treated as
 * read-only by callers, like the certificates of an X509_STORE.
 */
#ifndef KHO_CERTCACHE_H
#define KHO_CERTCACHE_H

#include <stddef.h>

#include <openssl/x509.h>

/* Entries kept; the least recently used one is dropped beyond this. */
#define CERTCACHE_SLOTS 64
/* Certificates (CRLs) larger than this are decoded but not cached. */
#define CERTCACHE_MAX_DER (64u * 1024)

/*
 * certcache_get: the certificate whose DER is exactly der[0..len), decoded
 * (from the cache, or with d2i_X509 on a miss). Returns a new reference
 * (X509_free it), or NULL if the bytes are not exactly one certificate
 * (with OpenSSL's error queue as d2i_X509 left it).
 */
X509 *certcache_get(const unsigned char *der, size_t len);

/*
 * certcache_get_crl: the same for a CRL (d2i_X509_CRL), in its own
 * CERTCACHE_CRL_SLOTS entries. Only the decoding is shared: the cached
 * X509_CRL carries no verdict, so the signature of a CRL is still verified
 * (X509_CRL_verify) every time it is used as evidence. A new reference
 * (X509_CRL_free it), or NULL.
 */
#define CERTCACHE_CRL_SLOTS 16
X509_CRL *certcache_get_crl(const unsigned char *der, size_t len);

/* certcache_stats: hits and misses so far (for tests and benchmarks). */
void certcache_stats(unsigned long *hits, unsigned long *misses);

#endif
