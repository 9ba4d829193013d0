/*
 * err.h: the one table of error codes and the caller-provided error record.
 *
 * Every kho function that can fail returns int: 0 on success or one negative
 * KHO_E* code. Details go into a kho_err the caller passes in (may be NULL);
 * there is no hidden global error state, so the daemon's threads never share
 * one. Library code never prints or exits: only tools/ does.
 */
#ifndef KHO_ERR_H
#define KHO_ERR_H

#include <stddef.h>

enum kho_code {
	KHO_OK        = 0,
	KHO_ENOMEM    = -1,  /* allocation failed */
	KHO_EIO       = -2,  /* read, write, fsync or rename failed */
	KHO_EINVAL    = -3,  /* bad argument or usage */
	KHO_EFORMAT   = -4,  /* input does not follow its format (ZIP, XML, DER, codes) */
	KHO_ETOOBIG   = -5,  /* input exceeds a hard cap */
	KHO_ECRYPTO   = -6,  /* a cryptographic operation failed */
	KHO_ENOTFOUND = -7,  /* a named thing does not exist */
	KHO_EUNSAFE   = -8,  /* hostile input: path traversal, links, bombs */
	KHO_EEXIST    = -9,  /* already exists */
	KHO_ENET      = -10, /* network exchange failed (external TSA) */
	KHO_ECONFLICT = -11, /* conflicting state (same code, other bytes) */
	KHO_EAUTH     = -12, /* missing or wrong credentials */
	KHO_EPERM     = -13, /* authenticated but not allowed */
	KHO_EINTERNAL = -14, /* a bug: an invariant did not hold */
	KHO_EBUSY     = -15, /* something else holds the resource: try again later */
};

/* kho_err: where a failing function explains itself in words. */
typedef struct kho_err {
	int code;       /* the KHO_E* code returned */
	char msg[768];  /* one line, no trailing newline */
} kho_err;

/*
 * kho_err_set: record code and a printf-style message in err (if not NULL).
 * A message longer than msg is cut after a whole UTF-8 character, so that it
 * stays valid UTF-8 for a JSON answer. Returns code, so that callers can
 * write `return kho_err_set(err, ...)`.
 */
int kho_err_set(kho_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * kho_err_ssl: like kho_err_set, then appends the first OpenSSL error-queue
 * reason (if any) and clears the queue of this thread. Use it where an OpenSSL
 * call fails, to convert the library's error where it happens.
 */
int kho_err_ssl(kho_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* kho_strerror: a short constant name for a code ("format error"). */
const char *kho_strerror(int code);

#endif
