/*
 * der.h: the few DER (X.690) primitives kho needs to walk and rebuild CMS
 * structures without a full OpenSSL decode: read one TLV with a single-byte
 * tag and a definite length, and write a tag and length. Used by the CAdES
 * writer (sign/cades.c, which edits SignedData.crls) and by the verifier
 * (verify/cms.c, which takes SignedData.certificates out before decoding).
 * Nothing here allocates except der_put_header through its kho_buf.
 */
#ifndef KHO_DER_H
#define KHO_DER_H

#include <stddef.h>

#include "common/buf.h"

typedef struct der_tlv {
	unsigned char tag;        /* the identifier octet (class, constructed bit, number < 31) */
	const unsigned char *val; /* the contents */
	size_t len;               /* contents length */
	size_t total;             /* header + contents */
} der_tlv;

/*
 * der_next: read one TLV at p, with left bytes available. 0, or -1 for a
 * multi-byte tag, an indefinite length (BER, not DER), a length of more than
 * 4 octets, or contents running past left.
 */
int der_next(der_tlv *t, const unsigned char *p, size_t left);

/*
 * der_put_header: append tag and the DER length of n (X.690 8.1.3, shortest
 * form). The n content bytes are appended by the caller. 0, KHO_ETOOBIG
 * (n over 2^32 - 1 or past the buffer's cap), KHO_ENOMEM.
 */
int der_put_header(kho_buf *b, unsigned char tag, size_t n);

/* der_header_len: the size of the header der_put_header writes for n bytes. */
size_t der_header_len(size_t n);

#endif
