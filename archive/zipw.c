/*
 * zipw.c: the strict ZIP writer for ASiC-E containers (see zipw.h).
 *
 * Every entry is written as a local file header (APPNOTE 6.3.x, 4.3.7) with
 * its CRC-32 and both sizes known before the header is written, so general
 * purpose flag bit 3 (data descriptor) is never set and no extra field is
 * ever added. That is what ETSI EN 319 162-1, A.1 asks of the `mimetype`
 * entry: first, STORED, no extra field, so that "mimetype" is at byte 30 and
 * the media type at byte 38. The central directory (4.3.12) and the end of
 * central directory record (4.3.16) follow in zipw_finish. No ZIP64: entries
 * and the archive stay under 4 GiB and 65535 entries, and larger input is
 * refused with KHO_ETOOBIG rather than written wrongly.
 *
 * An entry is written straight into the output, which is cut back to its
 * old length when anything fails, so a failing zipw_add leaves the output as
 * it was. ZIPW_AUTO stores entries that do not compress (see AUTO_SAMPLE).
 */
#include "archive/zipw.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "archive/pkg.h"
#include "common/utf8.h"

/* APPNOTE 4.4.4: bit 11, file name and comment are UTF-8. */
#define ZIP_FLAG_UTF8 0x0800u
/* APPNOTE 4.4.2: upper byte 3 = UNIX (so external attributes carry a mode),
 * lower byte 20 = specification 2.0. */
#define ZIP_MADE_BY 0x0314u
/* Regular file, rw-r--r--, in the upper 16 bits of external attributes. */
#define ZIP_EXT_ATTR (0100644u << 16)
#define ZIP_MAX_ENTRIES 65535u
#define ZIP_MAX_NAME 65535u
/* 0xFFFFFFFF means "see ZIP64" (APPNOTE 4.4.8), so the largest plain value is one less. */
#define ZIP_MAX_U32 0xFFFFFFFEu
/* Hard cap on the central directory kept while writing. */
#define ZIP_MAX_CDIR (64u * 1024 * 1024)

struct zipw {
	kho_buf *out;
	uint16_t dos_time, dos_date;
	kho_buf cdir;        /* central directory records so far */
	char **names;        /* for the duplicate check */
	size_t nnames, cap_names;
	int finished;
	/*
	 * One deflate stream for the whole archive, reset between entries and
	 * taken from (and given back to) a small process-wide pool: deflateInit2
	 * allocates about 270 KB of window and hash tables, and allocating and
	 * freeing that for every entry, then for every package, made glibc
	 * return the heap top to the kernel and fault it back in each time
	 * (brk, TLB flushes, page faults: a fifth of sealing, benchmarks.md).
	 */
	z_stream *zs;
	z_stream *zs_small;  /* the same for entries of at most SMALL_MAX bytes */
	kho_buf packed;      /* scratch for deflated entry data, kept between entries */
};

/*
 * ZIPW_AUTO decides from the first AUTO_SAMPLE bytes (auto_method says
 * how): when they leave less than 1/AUTO_MIN_GAIN to gain, the entry is
 * stored. Data that has no redundancy in its first 4 KiB is, in practice, a
 * compressed format (PDF streams, JPEG, PNG, ZIP) or random; deflating
 * 100 KB of it costs as much as eight RSA-2048 signatures and makes it
 * larger. Entries no larger than the sample are deflated whole and stored
 * if that did not make them smaller.
 */
#define AUTO_SAMPLE (4u * 1024)

/*
 * Idle deflate streams kept for reuse, under pool_lock, in two sizes. A
 * full stream (32 KiB window, memLevel 8) is about 270 KB of state; an
 * entry of at most SMALL_MAX bytes (the manifest, the record, the
 * signature) cannot use more window than its own length, so it gets a small
 * stream (8 KiB window, memLevel 6: about 50 KB). The output is the same
 * format (RFC 1951 allows any window up to 32 KiB) and, for such entries,
 * the same size to within a few bytes; sealing stops dragging 270 KB of
 * cold zlib state through the cache (and zeroing its 64 KB hash table on
 * every deflateReset) three times per package.
 */
#define ZS_POOL 4
#define SMALL_MAX (8u * 1024)
#define SMALL_WBITS 13
#define SMALL_MEMLEVEL 6
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static z_stream *pool[2][ZS_POOL];
static size_t npool[2];

/* A deflate stream ready for a new raw deflate, from the pool or new. */
static z_stream *stream_get(int small)
{
	z_stream *zs = NULL;

	pthread_mutex_lock(&pool_lock);
	if (npool[small] > 0)
		zs = pool[small][--npool[small]];
	pthread_mutex_unlock(&pool_lock);
	if (zs != NULL)
		return zs;
	zs = calloc(1, sizeof *zs);
	if (zs == NULL)
		return NULL;
	if (deflateInit2(zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, small ? -SMALL_WBITS : -15,
	                 small ? SMALL_MEMLEVEL : 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(zs);
		return NULL;
	}
	return zs;
}

/* Give a stream back: pooled if there is room, else freed. NULL is a no-op. */
static void stream_put(z_stream *zs, int small)
{
	if (zs == NULL)
		return;
	pthread_mutex_lock(&pool_lock);
	if (npool[small] < ZS_POOL) {
		pool[small][npool[small]++] = zs;
		zs = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	if (zs != NULL) {
		deflateEnd(zs);
		free(zs);
	}
}
#define AUTO_MIN_GAIN 32u

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)((v >> 8) & 0xff);
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)((v >> 8) & 0xff);
	p[2] = (unsigned char)((v >> 16) & 0xff);
	p[3] = (unsigned char)((v >> 24) & 0xff);
}

/*
 * MS-DOS date and time (APPNOTE 4.4.6) of mtime. UTC is used, not the local
 * zone, so that the same input gives the same bytes on every host. The DOS
 * range is 1980..2107; times outside it are clamped.
 */
static void dos_datetime(time_t t, uint16_t *dtime, uint16_t *ddate)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 80) {
		*dtime = 0;
		*ddate = (uint16_t)((0 << 9) | (1 << 5) | 1); /* 1980-01-01 */
		return;
	}
	if (tm.tm_year > 207) {
		*dtime = (uint16_t)((23 << 11) | (59 << 5) | 29);
		*ddate = (uint16_t)((127 << 9) | (12 << 5) | 31);
		return;
	}
	*dtime = (uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
	*ddate = (uint16_t)(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
}

/*
 * The writer's name rule: a relative path of non-empty segments, none "." or
 * "..", no backslash (a path separator on Windows), no control characters,
 * valid UTF-8 (bit 11 promises it), no trailing "/" (zipw writes files only).
 */
static int check_name(const char *name, kho_err *err)
{
	size_t n = strlen(name);
	const char *seg;

	if (n == 0)
		return kho_err_set(err, KHO_EUNSAFE, "zip entry name is empty");
	if (n > ZIP_MAX_NAME)
		return kho_err_set(err, KHO_ETOOBIG, "zip entry name is longer than %u bytes",
		                   ZIP_MAX_NAME);
	if (name[0] == '/')
		return kho_err_set(err, KHO_EUNSAFE, "zip entry name \"%s\" is absolute", name);
	if (((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')) &&
	    name[1] == ':')
		return kho_err_set(err, KHO_EUNSAFE,
		                   "zip entry name \"%s\" is absolute (drive letter)", name);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '\\')
			return kho_err_set(err, KHO_EUNSAFE,
			                   "zip entry name \"%s\" contains a backslash", name);
		if (c < 0x20 || c == 0x7f)
			return kho_err_set(err, KHO_EUNSAFE,
			                   "zip entry name \"%s\" contains a control character", name);
	}
	if (!kho_utf8_valid(name, n))
		return kho_err_set(err, KHO_EINVAL, "zip entry name is not valid UTF-8");
	seg = name;
	for (;;) {
		const char *slash = strchr(seg, '/');
		size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
		if (len == 0)
			return kho_err_set(err, KHO_EUNSAFE,
			                   "zip entry name \"%s\" has an empty path segment", name);
		if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return kho_err_set(err, KHO_EUNSAFE,
			                   "zip entry name \"%s\" contains a \".\" or \"..\" segment", name);
		if (slash == NULL)
			break;
		seg = slash + 1;
	}
	return 0;
}

int zipw_new(zipw **out_w, kho_buf *out, time_t mtime, kho_err *err)
{
	zipw *w;

	if (out_w == NULL || out == NULL)
		return kho_err_set(err, KHO_EINVAL, "zipw_new: NULL argument");
	*out_w = NULL;
	w = calloc(1, sizeof *w);
	if (w == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	w->out = out;
	kho_buf_init(&w->cdir, ZIP_MAX_CDIR);
	kho_buf_init(&w->packed, (size_t)ZIP_MAX_U32);
	dos_datetime(mtime, &w->dos_time, &w->dos_date);
	*out_w = w;
	return 0;
}

/*
 * Raw deflate (RFC 1951, no zlib header: window bits -15, or -13 for an
 * entry of at most SMALL_MAX bytes; APPNOTE 4.4.5 method 8) of len bytes
 * into dst, on the writer's reused stream of that size.
 */
static int deflate_raw(zipw *w, kho_buf *dst, const void *data, size_t len, kho_err *err)
{
	const unsigned char *in = data;
	size_t left = len;
	z_stream *zs, **slot = len <= SMALL_MAX ? &w->zs_small : &w->zs;
	int zr = Z_OK, flush = Z_NO_FLUSH;

	if (*slot == NULL && (*slot = stream_get(len <= SMALL_MAX)) == NULL)
		return kho_err_set(err, KHO_ENOMEM, "deflateInit2 failed");
	zs = *slot;
	/* Every use starts from a reset: a pooled stream may have been left
	 * mid-entry by a failed zipw_add. */
	if (deflateReset(zs) != Z_OK)
		return kho_err_set(err, KHO_EINTERNAL, "deflateReset failed");
	kho_buf_reset(dst);
	do {
		uInt take = left > UINT_MAX ? UINT_MAX : (uInt)left;
		uLong bound = deflateBound(zs, take);
		int rc;

		zs->next_in = (Bytef *)(uintptr_t)in;
		zs->avail_in = take;
		in += take;
		left -= take;
		flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
		/* Deflate straight into dst, reserved from zlib's own bound. */
		do {
			size_t room;

			rc = kho_buf_reserve(dst, bound > 65536 ? (size_t)bound : 65536);
			if (rc != 0)
				return kho_err_set(err, rc, "zip entry too large after compression");
			room = dst->cap - dst->len;
			zs->next_out = dst->data + dst->len;
			zs->avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
			room = zs->avail_out;
			zr = deflate(zs, flush);
			if (zr == Z_STREAM_ERROR)
				return kho_err_set(err, KHO_EINTERNAL, "deflate failed");
			dst->len += room - zs->avail_out;
			dst->data[dst->len] = '\0';
		} while (zs->avail_out == 0);
	} while (flush != Z_FINISH);
	if (zr != Z_STREAM_END)
		return kho_err_set(err, KHO_EINTERNAL, "deflate did not finish");
	return 0;
}

/*
 * sample_bits: the order-0 entropy of p[0..n) in bits per byte, from its
 * byte histogram: sum over byte values of -f log2 f. This is the size a
 * Huffman code (deflate's second stage) could reach on the sample before
 * any LZ77 match, read in a single pass and with no compression state.
 */
static double sample_bits(const unsigned char *p, size_t n)
{
	size_t hist[256] = { 0 };
	double bits = 0;

	for (size_t i = 0; i < n; i++)
		hist[p[i]]++;
	for (int b = 0; b < 256; b++)
		if (hist[b] != 0) {
			double f = (double)hist[b] / (double)n;
			bits -= f * log2(f);
		}
	return bits;
}

/*
 * auto_method: ZIPW_DEFLATED or ZIPW_STORED for a ZIPW_AUTO entry. An entry
 * no larger than AUTO_SAMPLE is deflated whole and stored if that did not
 * make it smaller; *done then says that packed holds it. A larger entry is
 * judged by the byte histogram of its first AUTO_SAMPLE bytes: when their
 * entropy leaves less than 1/AUTO_MIN_GAIN to gain (over 7.75 bits per
 * byte), it is stored. Compressed formats and random bytes sit at 7.95 or
 * more for 4 KiB, text and XML at 4 to 6. Deciding from a deflate of the
 * sample cost about 30 us per sealed data object (zlib finds no match in
 * random bytes only after trying), a twentieth of a seal; the histogram
 * costs a few microseconds. Data whose redundancy is all in long repeats
 * of a flat-histogram block would be stored when deflate could shrink it:
 * a size cost only, every method is read back the same.
 */
static int auto_method(zipw *w, const void *data, size_t len, enum zipw_method *m,
                       int *done, kho_err *err)
{
	int rc;

	*done = 0;
	*m = ZIPW_STORED;
	if (len == 0)
		return 0;
	if (len > AUTO_SAMPLE) {
		if (sample_bits(data, AUTO_SAMPLE) < 8.0 - 8.0 / AUTO_MIN_GAIN)
			*m = ZIPW_DEFLATED;
		return 0;
	}
	rc = deflate_raw(w, &w->packed, data, len, err);
	if (rc != 0)
		return rc;
	if (w->packed.len < len) {
		*m = ZIPW_DEFLATED;
		*done = 1;
	}
	return 0;
}

static uint32_t crc32_all(const void *data, size_t len)
{
	const unsigned char *p = data;
	uLong crc = crc32(0L, Z_NULL, 0);

	while (len > 0) {
		uInt take = len > UINT_MAX ? UINT_MAX : (uInt)len;
		crc = crc32(crc, p, take);
		p += take;
		len -= take;
	}
	return (uint32_t)crc;
}

int zipw_add(zipw *w, const char *name, const void *data, size_t len,
             enum zipw_method method, kho_err *err)
{
	unsigned char hdr[46];
	const void *payload;
	size_t payload_len, namelen, offset, cdir_len = 0;
	uint32_t crc;
	char *copy = NULL;
	int rc, done = 0;

	if (w == NULL || name == NULL || (data == NULL && len > 0))
		return kho_err_set(err, KHO_EINVAL, "zipw_add: NULL argument");
	if (w->finished)
		return kho_err_set(err, KHO_EINVAL, "zipw_add: archive already finished");
	if (method != ZIPW_STORED && method != ZIPW_DEFLATED && method != ZIPW_AUTO)
		return kho_err_set(err, KHO_EINVAL, "zipw_add: unknown method %d", (int)method);
	rc = check_name(name, err);
	if (rc != 0)
		return rc;
	/* The reader's duplicate rule (pkg.h): equal in Unicode NFC is equal. */
	for (size_t i = 0; i < w->nnames; i++)
		if (pkg_names_equiv(w->names[i], name))
			return kho_err_set(err, KHO_EEXIST, "zip entry \"%s\" added twice%s", name,
			                   strcmp(w->names[i], name) == 0 ? "" :
			                   " (equal in Unicode NFC to an earlier name)");
	if (w->nnames >= ZIP_MAX_ENTRIES)
		return kho_err_set(err, KHO_ETOOBIG, "more than %u zip entries", ZIP_MAX_ENTRIES);
	if (len > ZIP_MAX_U32)
		return kho_err_set(err, KHO_ETOOBIG, "zip entry \"%s\" is 4 GiB or more", name);
	namelen = strlen(name);
	offset = w->out->len;
	if (offset > ZIP_MAX_U32)
		return kho_err_set(err, KHO_ETOOBIG, "zip archive would exceed 4 GiB");

	crc = crc32_all(data, len);
	if (method == ZIPW_AUTO) {
		rc = auto_method(w, data, len, &method, &done, err);
		if (rc != 0)
			goto out;
	}
	if (method == ZIPW_DEFLATED) {
		if (!done) {
			rc = deflate_raw(w, &w->packed, data, len, err);
			if (rc != 0)
				goto out;
		}
		payload = w->packed.data ? w->packed.data : (const unsigned char *)"";
		payload_len = w->packed.len;
	} else {
		payload = data;
		payload_len = len;
	}
	if (payload_len > ZIP_MAX_U32) {
		rc = kho_err_set(err, KHO_ETOOBIG, "zip entry \"%s\" is 4 GiB or more compressed", name);
		goto out;
	}
	if (30 + namelen + payload_len > ZIP_MAX_U32 - offset) {
		rc = kho_err_set(err, KHO_ETOOBIG, "zip archive would exceed 4 GiB");
		goto out;
	}

	/* Central directory file header, APPNOTE 4.3.12. */
	put32(hdr + 0, 0x02014b50u);
	put16(hdr + 4, ZIP_MADE_BY);
	put16(hdr + 6, method == ZIPW_STORED ? 10 : 20);
	put16(hdr + 8, ZIP_FLAG_UTF8);
	put16(hdr + 10, (unsigned)method);
	put16(hdr + 12, w->dos_time);
	put16(hdr + 14, w->dos_date);
	put32(hdr + 16, crc);
	put32(hdr + 20, (uint32_t)payload_len);
	put32(hdr + 24, (uint32_t)len);
	put16(hdr + 28, (unsigned)namelen);
	put16(hdr + 30, 0); /* extra */
	put16(hdr + 32, 0); /* comment */
	put16(hdr + 34, 0); /* disk number start */
	put16(hdr + 36, 0); /* internal attributes */
	put32(hdr + 38, ZIP_EXT_ATTR);
	put32(hdr + 42, (uint32_t)offset);
	cdir_len = w->cdir.len;
	if ((rc = kho_buf_append(&w->cdir, hdr, 46)) != 0 ||
	    (rc = kho_buf_append(&w->cdir, name, namelen)) != 0) {
		kho_err_set(err, rc, "zip central directory too large");
		goto out;
	}
	if (w->nnames == w->cap_names) {
		size_t ncap = w->cap_names ? w->cap_names * 2 : 16;
		char **nn = realloc(w->names, ncap * sizeof *nn);
		if (nn == NULL) {
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
			goto out;
		}
		w->names = nn;
		w->cap_names = ncap;
	}
	copy = strdup(name);
	if (copy == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}

	/*
	 * Local file header, APPNOTE 4.3.7: 30 fixed bytes, name, no extra.
	 * Written straight into the output; on failure the output is cut back
	 * to offset, so a failing zipw_add still leaves it as it was.
	 */
	put32(hdr + 0, 0x04034b50u);
	put16(hdr + 4, method == ZIPW_STORED ? 10 : 20); /* version needed */
	put16(hdr + 6, ZIP_FLAG_UTF8);
	put16(hdr + 8, (unsigned)method);
	put16(hdr + 10, w->dos_time);
	put16(hdr + 12, w->dos_date);
	put32(hdr + 14, crc);
	put32(hdr + 18, (uint32_t)payload_len);
	put32(hdr + 22, (uint32_t)len);
	put16(hdr + 26, (unsigned)namelen);
	put16(hdr + 28, 0); /* extra field length: none, ETSI EN 319 162-1 A.1 */
	if ((rc = kho_buf_reserve(w->out, 30 + namelen + payload_len)) != 0 ||
	    (rc = kho_buf_append(w->out, hdr, 30)) != 0 ||
	    (rc = kho_buf_append(w->out, name, namelen)) != 0 ||
	    (rc = kho_buf_append(w->out, payload, payload_len)) != 0) {
		kho_err_set(err, rc, "zip entry \"%s\" does not fit in the output buffer", name);
		goto out;
	}
	w->names[w->nnames++] = copy;
	copy = NULL;
out:
	if (rc != 0) {
		w->cdir.len = cdir_len; /* forget the half-written central record */
		if (w->out->len > offset) {
			w->out->len = offset;
			w->out->data[offset] = '\0';
		}
	}
	free(copy);
	return rc;
}

int zipw_finish(zipw *w, kho_err *err)
{
	unsigned char eocd[22];
	size_t cdir_off;
	int rc;

	if (w == NULL)
		return kho_err_set(err, KHO_EINVAL, "zipw_finish: NULL writer");
	if (w->finished)
		return kho_err_set(err, KHO_EINVAL, "zipw_finish: archive already finished");
	cdir_off = w->out->len;
	if (cdir_off > ZIP_MAX_U32 || w->cdir.len > ZIP_MAX_U32 - cdir_off)
		return kho_err_set(err, KHO_ETOOBIG, "zip archive would exceed 4 GiB");
	/* End of central directory record, APPNOTE 4.3.16. */
	put32(eocd + 0, 0x06054b50u);
	put16(eocd + 4, 0);
	put16(eocd + 6, 0);
	put16(eocd + 8, (unsigned)w->nnames);
	put16(eocd + 10, (unsigned)w->nnames);
	put32(eocd + 12, (uint32_t)w->cdir.len);
	put32(eocd + 16, (uint32_t)cdir_off);
	put16(eocd + 20, 0);
	if (w->cdir.len > 0) {
		rc = kho_buf_append(w->out, w->cdir.data, w->cdir.len);
		if (rc != 0)
			return kho_err_set(err, rc, "zip central directory does not fit in the output buffer");
	}
	rc = kho_buf_append(w->out, eocd, sizeof eocd);
	if (rc != 0) {
		w->out->len = cdir_off;
		return kho_err_set(err, rc, "zip end record does not fit in the output buffer");
	}
	w->finished = 1;
	return 0;
}

void zipw_free(zipw *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->nnames; i++)
		free(w->names[i]);
	free(w->names);
	kho_buf_release(&w->cdir);
	kho_buf_release(&w->packed);
	stream_put(w->zs, 0);
	stream_put(w->zs_small, 1);
	free(w);
}
