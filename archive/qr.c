/*
 * qr.c: QR codes (libqrencode) as SVG and PNG, and verification keys (see
 * qr.h). The PNG writer is the smallest conformant one (PNG specification,
 * ISO/IEC 15948): signature, IHDR (1-bit greyscale), one IDAT holding the
 * zlib stream of the filtered rows (filter type 0 on every row), IEND; each
 * chunk's CRC is zlib's crc32 over type and data.
 */
#include "archive/qr.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <qrencode.h>
#include <zlib.h>

#include "common/util.h"

#define QR_KEY_PRESENTED_MAX 256
#define QR_PNG_RAW_MAX (32u << 20)    /* uncompressed image bytes, hard cap */

/* ---- encoding ---------------------------------------------------------- */

static int encode(QRcode **out, const char *text, unsigned scale, kho_err *err)
{
	size_t n = text != NULL ? strlen(text) : 0;

	*out = NULL;
	if (n == 0 || n > QR_TEXT_MAX)
		return kho_err_set(err, KHO_EINVAL, "QR text must be 1..%u bytes", QR_TEXT_MAX);
	if (scale < 1 || scale > QR_SCALE_MAX)
		return kho_err_set(err, KHO_EINVAL, "QR scale must be 1..%u", QR_SCALE_MAX);
	/* 8-bit mode: the key is case-sensitive base64url, so no alphanumeric mode;
	 * level M restores about 15% of damaged modules (ISO/IEC 18004 Table 13). */
	*out = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (*out == NULL)
		return kho_err_set(err, errno == ENOMEM ? KHO_ENOMEM : KHO_EINVAL,
		                   "libqrencode cannot encode the text");
	return 0;
}

static int dark(const QRcode *q, int x, int y)
{
	x -= QR_QUIET_ZONE;
	y -= QR_QUIET_ZONE;
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[(size_t)y * (size_t)q->width + (size_t)x] & 1;
}

int qr_svg(kho_buf *out, const char *text, unsigned scale, kho_err *err)
{
	QRcode *q = NULL;
	int rc, x, y, w;

	if ((rc = encode(&q, text, scale, err)) != 0)
		return rc;
	w = q->width + 2 * QR_QUIET_ZONE;
	/* One path of unit squares in module coordinates; crispEdges keeps the
	 * modules sharp at any size; the white rectangle is the quiet zone. */
	rc = kho_buf_appendf(out,
	                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                     "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
	                     "width=\"%u\" height=\"%u\" viewBox=\"0 0 %d %d\" "
	                     "shape-rendering=\"crispEdges\">\n"
	                     "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
	                     (unsigned)w * scale, (unsigned)w * scale, w, w, w, w);
	for (y = 0; rc == 0 && y < w; y++)
		for (x = 0; rc == 0 && x < w; x++)
			if (dark(q, x, y))
				rc = kho_buf_appendf(out, "M%d %dh1v1h-1z", x, y);
	if (rc == 0)
		rc = kho_buf_appendf(out, "\"/>\n</svg>\n");
	QRcode_free(q);
	if (rc != 0)
		return kho_err_set(err, rc, "cannot write the SVG: %s", kho_strerror(rc));
	return 0;
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* PNG 5.3: length, type, data, CRC over type and data. */
static int chunk(kho_buf *out, const char *type, const unsigned char *data, size_t n)
{
	unsigned char hdr[8], crc[4];
	uLong c;
	int rc;

	if (n > 0x7fffffffu)
		return KHO_ETOOBIG;
	be32(hdr, (uint32_t)n);
	memcpy(hdr + 4, type, 4);
	c = crc32(0L, Z_NULL, 0);
	c = crc32(c, (const Bytef *)type, 4);
	if (n > 0)
		c = crc32(c, data, (uInt)n);
	be32(crc, (uint32_t)c);
	if ((rc = kho_buf_append(out, hdr, sizeof hdr)) != 0 ||
	    (n > 0 && (rc = kho_buf_append(out, data, n)) != 0) ||
	    (rc = kho_buf_append(out, crc, sizeof crc)) != 0)
		return rc;
	return 0;
}

int qr_png(kho_buf *out, const char *text, unsigned scale, kho_err *err)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char ihdr[13];
	unsigned char *raw = NULL, *z = NULL;
	QRcode *q = NULL;
	size_t px, rowlen, rawlen, x, y;
	uLongf zlen;
	int rc;

	if ((rc = encode(&q, text, scale, err)) != 0)
		return rc;
	px = (size_t)(q->width + 2 * QR_QUIET_ZONE) * scale;   /* <= 185 * 40 */
	rowlen = 1 + (px + 7) / 8;                               /* filter byte + 1-bit pixels */
	if (px > 0 && rowlen > QR_PNG_RAW_MAX / px) {
		rc = kho_err_set(err, KHO_ETOOBIG, "QR image too large");
		goto out;
	}
	rawlen = rowlen * px;
	raw = malloc(rawlen);
	if (raw == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	/* 1-bit greyscale: 1 = white, 0 = black; filter type 0 (None) per row. */
	for (y = 0; y < px; y++) {
		unsigned char *row = raw + y * rowlen;
		memset(row, 0xff, rowlen);
		row[0] = 0;
		for (x = 0; x < px; x++)
			if (dark(q, (int)(x / scale), (int)(y / scale)))
				row[1 + x / 8] &= (unsigned char)~(0x80u >> (x % 8));
	}
	zlen = compressBound((uLong)rawlen);
	z = malloc(zlen);
	if (z == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	if (compress2(z, &zlen, raw, (uLong)rawlen, 9) != Z_OK) {
		rc = kho_err_set(err, KHO_EINTERNAL, "zlib cannot compress the image");
		goto out;
	}
	be32(ihdr, (uint32_t)px);
	be32(ihdr + 4, (uint32_t)px);
	ihdr[8] = 1;     /* bit depth */
	ihdr[9] = 0;     /* colour type: greyscale */
	ihdr[10] = 0;    /* compression: deflate */
	ihdr[11] = 0;    /* filter method 0 */
	ihdr[12] = 0;    /* no interlace */
	if ((rc = kho_buf_append(out, sig, sizeof sig)) != 0 ||
	    (rc = chunk(out, "IHDR", ihdr, sizeof ihdr)) != 0 ||
	    (rc = chunk(out, "IDAT", z, zlen)) != 0 ||
	    (rc = chunk(out, "IEND", NULL, 0)) != 0)
		rc = kho_err_set(err, rc, "cannot write the PNG: %s", kho_strerror(rc));
out:
	free(raw);
	free(z);
	QRcode_free(q);
	return rc;
}

/* ---- keys ----------------------------------------------------------------- */

static void b64url(char out[QR_KEY_TEXT_LEN + 1], const unsigned char key[QR_KEY_BYTES])
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;
	uint32_t v;

	/* RFC 4648 section 5, no padding: 5 groups of 3 bytes, then 1 byte left. */
	for (i = 0; i + 3 <= QR_KEY_BYTES; i += 3) {
		v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8 | key[i + 2];
		out[o++] = a[(v >> 18) & 63];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
		out[o++] = a[v & 63];
	}
	v = (uint32_t)key[i] << 16;
	out[o++] = a[(v >> 18) & 63];
	out[o++] = a[(v >> 12) & 63];
	out[o] = '\0';
}

static int b64url_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int qr_key_is_wellformed(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != QR_KEY_TEXT_LEN)
		return 0;
	for (i = 0; i < QR_KEY_TEXT_LEN; i++)
		if (b64url_val((unsigned char)s[i]) < 0)
			return 0;
	/* The last character carries 2 bits: its low 4 bits must be zero (canonical). */
	return (b64url_val((unsigned char)s[QR_KEY_TEXT_LEN - 1]) & 15) == 0;
}

static int b64url_decode(unsigned char key[QR_KEY_BYTES], const char *s)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	if (!qr_key_is_wellformed(s))
		return KHO_EFORMAT;
	for (i = 0; i < QR_KEY_TEXT_LEN; i++) {
		acc = (acc << 6) | (uint32_t)b64url_val((unsigned char)s[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o < QR_KEY_BYTES)
				key[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o == QR_KEY_BYTES ? 0 : KHO_EFORMAT;
}

int qr_key_hash(const char *key_text, unsigned char hash_out[QR_KEY_HASH_LEN])
{
	size_t n = key_text != NULL ? strnlen(key_text, QR_KEY_PRESENTED_MAX) : 0;

	return kho_sha256(hash_out, key_text != NULL ? key_text : "", n);
}

int qr_key_new(char key_out[QR_KEY_TEXT_LEN + 1], unsigned char hash_out[QR_KEY_HASH_LEN])
{
	unsigned char k[QR_KEY_BYTES];
	int rc;

	if ((rc = kho_random(k, sizeof k)) != 0)
		return rc;
	b64url(key_out, k);
	OPENSSL_cleanse(k, sizeof k);
	return qr_key_hash(key_out, hash_out);
}

const unsigned char *qr_key_dummy_hash(void)
{
	/* No SHA-256 output is known to be all ones: no presented key matches it. */
	static const unsigned char d[QR_KEY_HASH_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff,
	};
	return d;
}

int qr_key_check(const char *key_text, const unsigned char stored_hash[QR_KEY_HASH_LEN])
{
	unsigned char h[QR_KEY_HASH_LEN];
	int wellformed = qr_key_is_wellformed(key_text);
	int same;

	/* Hash first, whatever the input, so that every path does the same work. */
	if (qr_key_hash(key_text, h) != 0)
		return KHO_EAUTH;
	same = CRYPTO_memcmp(h, stored_hash, sizeof h) == 0;
	OPENSSL_cleanse(h, sizeof h);
	return same && wellformed ? 0 : KHO_EAUTH;
}

/* KEK = HMAC-SHA256(master, label): one derived key per purpose. */
static int kek(unsigned char out[32], const unsigned char master[QR_MASTER_LEN], kho_err *err)
{
	static const char label[] = "kho verification key wrap v1";
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), master, QR_MASTER_LEN, (const unsigned char *)label,
	         sizeof label - 1, out, &n) == NULL || n != 32)
		return kho_err_ssl(err, KHO_ECRYPTO, "cannot derive the key-wrapping key");
	return 0;
}

static int wrap(unsigned char *out, const unsigned char *in, int inlen,
                const unsigned char master[QR_MASTER_LEN], int enc, kho_err *err)
{
	unsigned char k[32];
	int rc;

	if ((rc = kek(k, master, err)) == 0)
		rc = kho_key_wrap(k, in, (size_t)inlen, out, !enc, "the verification key", err);
	OPENSSL_cleanse(k, sizeof k);
	return rc;
}

int qr_key_wrap(unsigned char out[QR_KEY_WRAPPED_LEN], const unsigned char master[QR_MASTER_LEN],
                const char *key_text, kho_err *err)
{
	unsigned char k[QR_KEY_BYTES];
	int rc;

	if (b64url_decode(k, key_text) != 0)
		return kho_err_set(err, KHO_EINVAL, "not a verification key");
	rc = wrap(out, k, QR_KEY_BYTES, master, 1, err);
	OPENSSL_cleanse(k, sizeof k);
	return rc;
}

int qr_key_unwrap(char key_out[QR_KEY_TEXT_LEN + 1], const unsigned char master[QR_MASTER_LEN],
                  const unsigned char wrapped[QR_KEY_WRAPPED_LEN], kho_err *err)
{
	unsigned char k[QR_KEY_BYTES];
	int rc;

	rc = wrap(k, wrapped, QR_KEY_WRAPPED_LEN, master, 0, err);
	if (rc == 0)
		b64url(key_out, k);
	OPENSSL_cleanse(k, sizeof k);
	return rc;
}
