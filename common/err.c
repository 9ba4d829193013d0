/*
 * err.c: error records (see err.h).
 */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

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

/* The length of the valid UTF-8 character at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
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

void kho_utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);
		if (n == 0) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

static void vset(kho_err *err, int code, const char *fmt, va_list ap)
{
	int n;

	err->code = code;
	n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	if (n >= (int)sizeof err->msg)   /* cut: end on a whole character */
		kho_utf8_cut(err->msg, sizeof err->msg - 1);
}

int kho_err_set(kho_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int kho_err_ssl(kho_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	unsigned long e = ERR_peek_error();
	char reason[256];

	if (err != NULL) {
		va_start(ap, fmt);
		vset(err, code, fmt, ap);
		va_end(ap);
		if (e != 0) {
			size_t used = strlen(err->msg);
			ERR_error_string_n(e, reason, sizeof reason);
			if (used < sizeof err->msg - 3)
				snprintf(err->msg + used, sizeof err->msg - used, ": %s", reason);
		}
	}
	ERR_clear_error();
	return code;
}

const char *kho_strerror(int code)
{
	switch (code) {
	case KHO_OK: return "success";
	case KHO_ENOMEM: return "out of memory";
	case KHO_EIO: return "I/O error";
	case KHO_EINVAL: return "invalid argument";
	case KHO_EFORMAT: return "format error";
	case KHO_ETOOBIG: return "too large";
	case KHO_ECRYPTO: return "cryptographic failure";
	case KHO_ENOTFOUND: return "not found";
	case KHO_EUNSAFE: return "unsafe input";
	case KHO_EEXIST: return "already exists";
	case KHO_ENET: return "network failure";
	case KHO_ECONFLICT: return "conflict";
	case KHO_EAUTH: return "authentication required";
	case KHO_EPERM: return "permission denied";
	case KHO_EINTERNAL: return "internal error";
	default: return "unknown error";
	}
}
