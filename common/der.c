/*
 * der.c: DER TLV reading and writing (see der.h). Both sides are
 * deliberately narrow: single-byte tags and definite lengths of at most four
 * octets are all that CMS as written by i2d (and by every signer kho meets)
 * uses; anything else makes the caller fall back to OpenSSL's full decoder.
 */
#include "common/der.h"

#include "common/err.h"

int der_next(der_tlv *t, const unsigned char *p, size_t left)
{
	size_t hl = 2, n = 0, i, nb;

	if (left < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	t->tag = p[0];
	if (p[1] < 0x80) {
		n = p[1];
	} else {
		nb = p[1] & 0x7f;
		if (nb == 0 || nb > sizeof(size_t) || nb > 4 || left - 2 < nb)
			return -1;
		for (i = 0; i < nb; i++)
			n = (n << 8) | p[2 + i];
		hl += nb;
	}
	if (left - hl < n)
		return -1;
	t->val = p + hl;
	t->len = n;
	t->total = hl + n;
	return 0;
}

size_t der_header_len(size_t n)
{
	if (n < 0x80)
		return 2;
	if (n <= 0xff)
		return 3;
	if (n <= 0xffff)
		return 4;
	if (n <= 0xffffff)
		return 5;
	return 6;
}

int der_put_header(kho_buf *b, unsigned char tag, size_t n)
{
	unsigned char h[6];
	size_t hl = 0;

	if (n > 0xffffffffu)
		return KHO_ETOOBIG;
	h[hl++] = tag;
	if (n < 0x80) {
		h[hl++] = (unsigned char)n;
	} else if (n <= 0xff) {
		h[hl++] = 0x81;
		h[hl++] = (unsigned char)n;
	} else if (n <= 0xffff) {
		h[hl++] = 0x82;
		h[hl++] = (unsigned char)(n >> 8);
		h[hl++] = (unsigned char)n;
	} else if (n <= 0xffffff) {
		h[hl++] = 0x83;
		h[hl++] = (unsigned char)(n >> 16);
		h[hl++] = (unsigned char)(n >> 8);
		h[hl++] = (unsigned char)n;
	} else {
		h[hl++] = 0x84;
		h[hl++] = (unsigned char)(n >> 24);
		h[hl++] = (unsigned char)(n >> 16);
		h[hl++] = (unsigned char)(n >> 8);
		h[hl++] = (unsigned char)n;
	}
	return kho_buf_append(b, h, hl);
}
