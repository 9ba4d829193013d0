/*
 * err.c: error records (see err.h).
 */
#include "common/err.h"
#include "common/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

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
	case KHO_EBUSY: return "busy";
	default: return "unknown error";
	}
}
