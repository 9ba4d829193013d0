/* utf8.c: well-formed UTF-8 (see utf8.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "common/buf.h"
#include "common/err.h"

#include "common/utf8.h"

/* The length of the well-formed character at s (avail bytes there), or 0. */
static size_t char_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (avail < n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;   /* overlong */
	else if (c == 0xed)
		hi = 0x9f;   /* surrogates */
	else if (c == 0xf0)
		lo = 0x90;   /* overlong */
	else if (c == 0xf4)
		hi = 0x8f;   /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

int kho_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if ((k = char_len(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

void kho_utf8_cut(char *s, size_t n)
{
	size_t i = n, need;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;   /* continuation bytes of the last character */
	if (i > 0 && ((unsigned char)s[i - 1] & 0x80)) {
		unsigned char lead = (unsigned char)s[i - 1];
		need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
		if (n - (i - 1) < need)
			n = i - 1;   /* the last character is incomplete: drop it */
	}
	s[n] = '\0';
}

void kho_utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t left = strlen(s), k;

	while (left > 0) {
		if ((k = char_len(p, left)) == 0) {
			*p = '?';
			k = 1;
		}
		p += k;
		left -= k;
	}
}

/* The code point of the well-formed character of n bytes at s. */
static unsigned long code_point(const unsigned char *s, size_t n)
{
	unsigned long cp = n == 1 ? s[0] : n == 2 ? s[0] & 0x1f : n == 3 ? s[0] & 0x0f : s[0] & 0x07;
	size_t i;

	for (i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

static int unfit(unsigned long cp, int keep_nl)
{
	if (cp < 0x20)
		return cp != '\t' && !(keep_nl && cp == '\n');
	return (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfffe ||
	       cp == 0xffff;
}

char *kho_text_clean(const char *s, int keep_nl)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k = 0, len;
	char *o = malloc(n + 1);

	if (o == NULL)
		return NULL;
	while (i < n) {
		len = char_len(p + i, n - i);
		if (len == 0 || unfit(code_point(p + i, len), keep_nl)) {
			o[k++] = '?';
			i += len == 0 ? 1 : len;
			continue;
		}
		memcpy(o + k, p + i, len);
		k += len;
		i += len;
	}
	o[k] = '\0';
	return o;
}

static int ascii_alnum(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

size_t kho_digit_at(const unsigned char *p, size_t left, char *value)
{
	size_t n = 0;
	char v = 0;

	if (left >= 1 && p[0] >= '0' && p[0] <= '9') {
		v = (char)p[0];
		n = 1;
	} else if (left >= 3 && p[0] == 0xef && p[1] == 0xbc && p[2] >= 0x90 && p[2] <= 0x99) {
		v = (char)('0' + (p[2] - 0x90));
		n = 3;
	} else if (left >= 2 && ((p[0] == 0xd9 && p[1] >= 0xa0 && p[1] <= 0xa9) ||
	                         (p[0] == 0xdb && p[1] >= 0xb0 && p[1] <= 0xb9))) {
		v = (char)('0' + (p[1] - (p[0] == 0xd9 ? 0xa0 : 0xb0)));   /* Arabic-Indic */
		n = 2;
	} else if (left >= 3 && p[0] == 0xe0 && (p[1] == 0xa5 || p[1] == 0xa7) && p[2] >= 0xa6 &&
	           p[2] <= 0xaf) {
		v = (char)('0' + (p[2] - 0xa6));   /* Devanagari, Bengali */
		n = 3;
	}
	if (n != 0 && value != NULL)
		*value = v;
	return n;
}

/* A digit in the NUL-terminated text at p (never read past its NUL: a
 * fullwidth digit's bytes are all non-zero). */
static size_t redact_digit(const unsigned char *p)
{
	return kho_digit_at(p, SIZE_MAX, NULL);
}

/* A word of exactly 64 lower-case hex characters (a package id) at p. */
static int hex_id_at(const char *s, const char *p)
{
	const char *b = p, *e = p;

	while (b > s && ascii_alnum(b[-1]))
		b--;
	while (ascii_alnum(*e))
		e++;
	if (e - b != 64)
		return 0;
	for (; b < e; b++)
		if (!((*b >= '0' && *b <= '9') || (*b >= 'a' && *b <= 'f')))
			return 0;
	return 1;
}

/* One or two separators people write inside a number (the public page's
 * set: space, dot, hyphen, underscore, comma, slash, no-break space,
 * fullwidth hyphen, ideographic space) at p: their byte length, else 0. */
static size_t redact_sep_n(const unsigned char *u, size_t most)
{
	size_t n = 0, k;

	for (k = 0; k < most; k++) {
		if (u[n] == ' ' || u[n] == '.' || u[n] == '-' || u[n] == '_' || u[n] == ',' ||
		    u[n] == '/' || u[n] == '+' || u[n] == '\'')
			n += 1;
		else if (u[n] == 0xc2 && (u[n + 1] == 0xa0 || u[n + 1] == 0xb7))   /* NBSP, middle dot */
			n += 2;
		else if ((u[n] == 0xef && u[n + 1] == 0xbc && u[n + 2] == 0x8d) ||
		         (u[n] == 0xe3 && u[n + 1] == 0x80 && u[n + 2] == 0x80) ||
		         (u[n] == 0xe2 && u[n + 1] == 0x80 &&   /* dashes, thin spaces */
		          (u[n + 2] == 0x89 || u[n + 2] == 0x90 || u[n + 2] == 0x91 || u[n + 2] == 0x93 ||
		           u[n + 2] == 0x94 || u[n + 2] == 0xaf)))
			n += 3;
		else
			break;
	}
	return n;
}

static size_t redact_sep(const unsigned char *u)
{
	return redact_sep_n(u, 2);
}

/* continues: p follows a digit and a separator (the tail of a longer
 * grouped sequence, which was not a number to redact). */
static int continues(const char *s, const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t k;

	for (k = 1; k <= 3 && p - k > s; k++)
		if (redact_sep_n(u - k, 1) == k && p[-(long)k - 1] >= '0' && p[-(long)k - 1] <= '9')
			return 1;
	return 0;
}

/*
 * Exactly 12 digits (a personal number) in groups of any length, joined by
 * up to 3 separators each ("051087 012345", "0510-870-12345",
 * "051 - 087 - 012 - 345"), the first not right after a letter (a result
 * code's "H55-250314-0101" is 12 digits after the agency's letter): its
 * byte length, else 0. Found by review: those forms stayed in the log.
 */
static size_t redact_twelve(const char *s, const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = 0, digits = 0, d, sep, end = 0;

	if (p > s && ((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z'))
		return 0;
	for (;;) {
		if ((d = redact_digit(u + n)) != 0) {
			n += d;
			end = n;
			if (++digits > 12)
				return 0;
			continue;
		}
		if (digits > 0 && (sep = redact_sep_n(u + n, 3)) != 0 && redact_digit(u + n + sep)) {
			n += sep;
			continue;
		}
		break;
	}
	return digits == 12 ? end : 0;
}

/*
 * The number starting at p, if it is one to redact: a run of 9 or more
 * digits (ASCII, fullwidth or Arabic-Indic; letters around it do not
 * matter: "CCCD0010..."), or groups all of 3 or all of 4 digits joined by
 * separators (redact_sep), 9 digits or more in all ("001.099.001.234",
 * "051,087,012,345", "0510 8701 2345"; a result code's "250314-0101" or a
 * date are not such groups; found by review: the log kept the separated
 * forms the public page masks). Its byte length, else 0.
 */
static size_t redact_span(const char *s, const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = 0, digits = 0, group = 0, groups = 0, glen = 0, end = 0, d, sep;
	int grouped = 1;

	while (1) {
		if ((d = redact_digit(u + n)) != 0) {
			n += d;
			digits++;
			group++;
			end = n;
			continue;
		}
		if (group > 0 && (sep = redact_sep(u + n)) != 0 && redact_digit(u + n + sep)) {
			if (groups == 0)
				glen = group;
			grouped &= group == glen && (glen == 3 || glen == 4);
			groups++;
			group = 0;
			n += sep;
			continue;
		}
		break;
	}
	if (groups > 0) {
		/* groups of 4: a personal number's 12 digits only ("2025/0001/
		 * 0002/0003" is no number of a person); and groups that continue
		 * a longer sequence before p ("2025/" + "0001/...") are its tail,
		 * not a number of their own */
		grouped &= group == glen && (glen == 3 || digits == 12) && !continues(s, p);
		if (!grouped) {
			/* Not 3-digit groups: only its first run counts. */
			for (n = 0, digits = 0; (d = redact_digit(u + n)) != 0; n += d)
				digits++;
			end = n;
		}
	}
	if (digits < 9)
		return continues(s, p) ? 0 : redact_twelve(s, p);
	if (groups == 0 || !grouped) {
		if (hex_id_at(s, p))
			return 0;
	}
	return end;
}

void kho_redact_numbers(char *s)
{
	static const char mark[] = "[number]";
	char *w = s;
	const char *r = s;
	int prev_digit = 0;
	size_t n, d;

	while (*r != '\0') {
		/* At the start of a run of digits only; the mark is never longer
		 * than the number (9 bytes at least): in place. */
		if (!prev_digit && (n = redact_span(s, r)) != 0) {
			memcpy(w, mark, sizeof mark - 1);
			w += sizeof mark - 1;
			r += n;
			prev_digit = 0;
			continue;
		}
		d = redact_digit((const unsigned char *)r);
		prev_digit = d != 0;
		for (d = d ? d : 1; d > 0; d--)
			*w++ = *r++;
	}
	*w = '\0';
}

int kho_utf8_nfc(kho_buf *b)
{
	UErrorCode e = U_ZERO_ERROR;
	const UNormalizer2 *nfc = unorm2_getNFCInstance(&e);
	UChar *u = NULL, *n = NULL;
	int32_t ulen = 0, nlen = 0, olen = 0;
	size_t i, len = b->len;
	kho_buf out;
	int rc = 0;

	if (U_FAILURE(e))
		return KHO_EFORMAT;
	for (i = 0; i < b->len && b->data[i] < 0x80; i++)
		;
	if (i == b->len || b->len > INT32_MAX / 4)   /* ASCII: already NFC */
		return b->len > INT32_MAX / 4 ? KHO_ETOOBIG : 0;
	u = malloc(((size_t)b->len + 1) * sizeof *u);
	n = malloc(((size_t)b->len * 3 + 1) * sizeof *n);   /* NFC grows by 3x at most */
	if (u == NULL || n == NULL) {
		rc = KHO_ENOMEM;
		goto out;
	}
	u_strFromUTF8WithSub(u, (int32_t)b->len + 1, &ulen, (const char *)b->data, (int32_t)b->len,
	                     0xfffd, NULL, &e);
	if (!U_FAILURE(e))
		nlen = unorm2_normalize(nfc, u, ulen, n, (int32_t)b->len * 3 + 1, &e);
	if (!U_FAILURE(e)) {
		e = U_ZERO_ERROR;
		u_strToUTF8(NULL, 0, &olen, n, nlen, &e);   /* the length only */
		e = e == U_BUFFER_OVERFLOW_ERROR ? U_ZERO_ERROR : e;
	}
	if (U_FAILURE(e)) {
		rc = KHO_EFORMAT;
		goto out;
	}
	kho_buf_init(&out, b->max);
	if ((rc = kho_buf_reserve(&out, (size_t)olen)) == 0) {
		u_strToUTF8((char *)out.data, olen + 1, &olen, n, nlen, &e);
		out.len = (size_t)olen;
		kho_buf_free(b);
		*b = out;
	} else {
		kho_buf_free(&out);
	}
out:
	if (u != NULL)
		OPENSSL_cleanse(u, (len + 1) * sizeof *u);
	if (n != NULL)
		OPENSSL_cleanse(n, (size_t)nlen * sizeof *n);
	free(u);
	free(n);
	return rc;
}

/* name_key: s trimmed, in NFC, case folded, as UTF-16 into out[cap];
 * its length, or -1. */
static int32_t name_key(const char *s, UChar *out, int32_t cap)
{
	UErrorCode e = U_ZERO_ERROR;
	const UNormalizer2 *nfc = unorm2_getNFCInstance(&e);
	UChar u[512], f[1536];   /* case folding grows a text by 3x at most */
	int32_t ulen = 0, flen, n;
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (U_FAILURE(e) || len > 400)
		return -1;
	u_strFromUTF8WithSub(u, 512, &ulen, s, (int32_t)len, 0xfffd, NULL, &e);
	flen = U_SUCCESS(e) ? u_strFoldCase(f, 1536, u, ulen, U_FOLD_CASE_DEFAULT, &e) : 0;
	n = U_SUCCESS(e) ? unorm2_normalize(nfc, f, flen, out, cap, &e) : 0;
	return U_SUCCESS(e) ? n : -1;
}

int kho_utf8_same_name(const char *a, const char *b)
{
	UChar ka[4608], kb[4608];
	int32_t na, nb;

	if (a == NULL || b == NULL)
		return 0;
	na = name_key(a, ka, 4608);
	nb = name_key(b, kb, 4608);
	/* A name that cannot be keyed (over 400 bytes): compared as it is. */
	if (na < 0 || nb < 0)
		return strcmp(a, b) == 0;
	return na == nb && memcmp(ka, kb, (size_t)na * sizeof *ka) == 0;
}
