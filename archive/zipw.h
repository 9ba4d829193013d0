/*
 * zipw.h: the strict ZIP writer for ASiC-E containers (ETSI EN 319 162-1).
 *
 * libarchive cannot write a conformant `mimetype` entry (it always adds
 * extra fields and a data descriptor), so kho writes ZIP itself on top of
 * zlib: local headers with sizes and CRC known up front, no extra fields, no
 * data descriptors, no ZIP64 (each entry and the whole archive under 4 GiB).
 * The first entry added with ZIPW_STORED named "mimetype" therefore sits at
 * byte 30 with its content at byte 38. Reading is NOT done here: see pkg.h.
 */
#ifndef KHO_ZIPW_H
#define KHO_ZIPW_H

#include <stddef.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"

typedef struct zipw zipw;

enum zipw_method {
	ZIPW_STORED = 0,   /* method 0 */
	ZIPW_DEFLATED = 8, /* method 8, raw deflate */
	/*
	 * Not a ZIP method number: deflate the entry unless it does not
	 * compress, then store it (method 0). The choice is made from the byte
	 * histogram of a leading sample (zipw.c, auto_method, says how), so
	 * already-compressed data (PDF, JPEG, PNG, ZIP, random bytes) costs no
	 * compression work.
	 * ETSI EN 319 162-1 A.1 constrains only the mimetype entry's method.
	 */
	ZIPW_AUTO = 1,
};

/*
 * zipw_new: start an archive written into out (the caller's buffer, whose
 * cap applies). mtime is the modification time stamped on every entry.
 * The writer does not own out.
 */
int zipw_new(zipw **out_w, kho_buf *out, time_t mtime, kho_err *err);

/*
 * zipw_add: append one entry. The name is stored as given (UTF-8, flag bit
 * 11 set); it must be relative, without "..", NUL or backslash, and unique.
 */
int zipw_add(zipw *w, const char *name, const void *data, size_t len,
             enum zipw_method method, kho_err *err);

/* zipw_finish: write the central directory and end record. */
int zipw_finish(zipw *w, kho_err *err);

/* zipw_free: release the writer (not the output buffer). NULL is a no-op. */
void zipw_free(zipw *w);

#endif
