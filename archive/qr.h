/*
 * qr.h: QR codes of verification URLs (libqrencode) written as SVG or PNG,
 * and the per-record verification keys that the URLs carry.
 *
 * The paper copy of a result carries a QR code of
 *   BASE/verify/r/{result_code}?k={key}
 * (docs/verify-page.md). The key is what stops anyone from reading records
 * by guessing result codes, which are predictable (agency, date, daily
 * sequence). A key is 128 random bits written as base64url without padding
 * (22 characters). The archive keeps two things per record:
 *   - SHA-256 of the key text: enough to check a presented key, and useless
 *     to someone who copies the catalog (there is nothing to brute-force in
 *     128 random bits, so a fast hash is enough, as for bearer tokens);
 *   - the key wrapped (AES-256 key wrap, RFC 3394) under a key-encryption key
 *     derived from the archive's master key, so that an officer can print
 *     the same QR code again years later without the archive ever storing
 *     the key in clear.
 * Re-issuing a key (a stolen paper copy) is qr_key_new again: the old code
 * stops working.
 */
#ifndef KHO_QR_H
#define KHO_QR_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

#define QR_KEY_BYTES 16                 /* 128 random bits */
#define QR_KEY_TEXT_LEN 22              /* base64url of 16 bytes, no padding */
#define QR_KEY_HASH_LEN 32              /* SHA-256 of the key text */
#define QR_KEY_WRAPPED_LEN 24           /* RFC 3394 wrap of 16 bytes */
#define QR_MASTER_LEN 32                /* the archive master key (store.h STORE_KEY_LEN) */
#define QR_TEXT_MAX 1024                /* longest text we encode (a URL) */
#define QR_SCALE_MAX 40                 /* pixels per module, upper bound */
#define QR_QUIET_ZONE 4                 /* modules of white border (ISO/IEC 18004 7.3.7) */

/*
 * qr_svg / qr_png: the QR code of text (at most QR_TEXT_MAX bytes, 8-bit
 * mode, error correction level M so that a creased paper copy still scans)
 * with a quiet zone of QR_QUIET_ZONE modules, scale pixels (PNG) or user
 * units (SVG) per module (1..QR_SCALE_MAX), appended to out. The PNG is a
 * 1-bit greyscale image written with zlib (IHDR, IDAT, IEND; CRCs with
 * zlib's crc32). KHO_EINVAL for an empty or too long text or a bad scale,
 * KHO_ENOMEM, KHO_ETOOBIG past out's cap.
 */
int qr_svg(kho_buf *out, const char *text, unsigned scale, kho_err *err);
int qr_png(kho_buf *out, const char *text, unsigned scale, kho_err *err);

/*
 * qr_key_new: a new random key: its text into key_out (QR_KEY_TEXT_LEN + 1
 * bytes, NUL-terminated) and the hash to store into hash_out. KHO_ECRYPTO
 * if the random generator fails.
 */
int qr_key_new(char key_out[QR_KEY_TEXT_LEN + 1], unsigned char hash_out[QR_KEY_HASH_LEN]);

/*
 * qr_key_hash: the stored form of a key text (SHA-256 of its bytes, at
 * most the first 256 bytes of a presented value are hashed).
 */
int qr_key_hash(const char *key_text, unsigned char hash_out[QR_KEY_HASH_LEN]);

/*
 * qr_key_check: 0 if key_text is the key whose hash is stored_hash, else
 * KHO_EAUTH. Always hashes and compares with CRYPTO_memcmp, also for a
 * malformed or empty key (NULL counts as ""), so that the time taken does
 * not tell which case it was. To answer an unknown result code in the same
 * time as a wrong key, call it with a dummy stored hash (qr_key_dummy_hash).
 */
int qr_key_check(const char *key_text, const unsigned char stored_hash[QR_KEY_HASH_LEN]);

/* qr_key_dummy_hash: a fixed hash that no key text has (all bits set). */
const unsigned char *qr_key_dummy_hash(void);

/* qr_key_is_wellformed: 1 if s is 22 base64url characters. */
int qr_key_is_wellformed(const char *s);

/*
 * qr_key_wrap / qr_key_unwrap: the key wrapped for storage, under
 * KEK = HMAC-SHA256(master, "kho verification key wrap v1") (so the master
 * key is never used directly for a second purpose) with AES-256 key wrap
 * (RFC 3394, EVP_aes_256_wrap: the unwrap checks integrity). unwrap gives
 * KHO_ECRYPTO if the wrapped bytes were altered or the master key differs.
 */
int qr_key_wrap(unsigned char out[QR_KEY_WRAPPED_LEN], const unsigned char master[QR_MASTER_LEN],
                const char *key_text, kho_err *err);
int qr_key_unwrap(char key_out[QR_KEY_TEXT_LEN + 1], const unsigned char master[QR_MASTER_LEN],
                  const unsigned char wrapped[QR_KEY_WRAPPED_LEN], kho_err *err);

#endif
