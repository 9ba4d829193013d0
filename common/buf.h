/*
 * buf.h: growable byte buffers with a hard cap (after curl's dynbuf).
 *
 * Every buffer that grows from input names its cap when it is initialised;
 * growing past the cap fails with KHO_ETOOBIG and leaves the buffer as it was.
 * The data is always followed by one NUL byte (not counted in len), so text
 * can be used as a C string.
 */
#ifndef KHO_BUF_H
#define KHO_BUF_H

#include <stddef.h>

typedef struct kho_buf {
	unsigned char *data; /* owned; NULL until the first append */
	size_t len;          /* bytes in use */
	size_t cap;          /* bytes allocated (excluding the NUL) */
	size_t max;          /* hard cap on len */
} kho_buf;

/* kho_buf_init: an empty buffer that may grow to max bytes. */
void kho_buf_init(kho_buf *b, size_t max);

/* kho_buf_append: add n bytes. 0, KHO_ETOOBIG past max, KHO_ENOMEM. */
int kho_buf_append(kho_buf *b, const void *p, size_t n);

/*
 * kho_buf_reserve: make room for n more bytes without changing len, so a
 * buffer whose final size is known (a ZIP entry's declared size, say) is
 * allocated once instead of growing by doubling. Same returns as
 * kho_buf_append; past max it fails and the caller may still append less.
 */
int kho_buf_reserve(kho_buf *b, size_t n);

/* kho_buf_appendf: add printf-style text. Same returns as kho_buf_append. */
int kho_buf_appendf(kho_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* kho_buf_reset: len = 0, keeps the allocation. */
void kho_buf_reset(kho_buf *b);

/*
 * kho_buf_steal: hand the data to the caller (who frees it with free()) and
 * leave b empty. *len_out (if not NULL) gets the length. Never NULL: an empty
 * buffer yields an allocated empty string, or NULL on allocation failure.
 */
unsigned char *kho_buf_steal(kho_buf *b, size_t *len_out);

/* kho_buf_free: wipe and release the data; b stays usable as an empty buffer. */
void kho_buf_free(kho_buf *b);

/*
 * kho_buf_release: release the data WITHOUT wiping it; b stays usable as an
 * empty buffer. Only for public bytes (packages, ZIP entries, manifests,
 * signatures, tokens): wiping them protects nothing and costs a pass over
 * every byte. Anything that may hold a key or other secret uses kho_buf_free.
 */
void kho_buf_release(kho_buf *b);

#endif
