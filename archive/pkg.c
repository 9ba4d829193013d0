/*
 * pkg.c: the lenient, safe reader of ASiC-E containers (see pkg.h).
 *
 * ZIP parsing is libarchive's (seekable ZIP support: the central directory
 * is the authority, as in APPNOTE 4.3.6, and local headers are only followed
 * from it). This file adds what libarchive leaves to its caller:
 *
 *   - a name policy: no empty, absolute ("/x", "C:x") or backslash names, no
 *     "." or ".." segments, no control characters, and no two names that
 *     are equal after Unicode normalisation (see name_key below);
 *   - a type policy: regular files only; directories are skipped (refused if
 *     they carry data); links, devices, FIFOs, sockets and encrypted entries
 *     are refused;
 *   - hard caps on the number of entries, each entry, META-INF/ entries and
 *     the total, counted on the bytes actually inflated (sizes written in the
 *     archive may lie);
 *   - a compression-bomb test: once an entry has produced more than
 *     ratio_floor bytes, its output may not exceed max_ratio times the
 *     compressed bytes libarchive has consumed for it (archive_filter_bytes
 *     gives the position in the raw input); independently, the whole output
 *     may not exceed max_ratio times the input length once past ratio_floor
 *     (which also catches overlapping entries that reuse the same bytes);
 *   - the ASiC checks of ETSI EN 319 162-1 A.1 on `mimetype`, reported as
 *     deviations rather than failures (DSS's own samples break them).
 *
 * Nothing is extracted: entries are read into memory (up to keep_max) or
 * streamed through SHA-256/384/512 and dropped.
 */
#include "archive/pkg.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

/* Bytes read from libarchive at a time. */
#define PKG_CHUNK 65536
/* Largest buffer pre-allocated from an entry's declared size (read_entry_data). */
#define PKG_PRESIZE_MAX ((size_t)16 * 1024 * 1024)
/* The longest entry name accepted (the ZIP field is 16 bits). */
#define PKG_MAX_NAME 65535
/* Cap on the deviation notes kept per package. */
#define PKG_MAX_DEVIATIONS 64

void pkg_limits_default(pkg_limits *lim)
{
	if (lim == NULL)
		return;
	lim->max_entries = 1000;
	lim->max_entry_size = 256ull << 20;
	lim->max_total_size = 1ull << 30;
	lim->max_meta_size = 4u << 20;
	lim->keep_max = 16u << 20;
	lim->max_ratio = 50;
	lim->ratio_floor = 1u << 20;
}

/* ---- Unicode normalisation of names ----------------------------------- */

/*
 * Two names that differ only in Unicode normalisation (Vietnamese "ệ" as
 * U+1EC7, or as e + U+0323 + U+0302, or e + U+0302 + U+0323; "á" as U+00E1,
 * a + U+0301 or a + U+0341, the Vietnamese acute tone mark's other code
 * point) are the same name to a user and to most file systems on
 * extraction, so a container holding both is ambiguous: which one did the
 * manifest mean? The reader compares names by their canonical
 * decomposition (NFD, from ICU, the whole of Unicode): NFC(a) == NFC(b)
 * exactly when NFD(a) == NFD(b). (A hand-made table of the Latin letters
 * missed the singleton decompositions U+0340, U+0341, U+0343, U+0344 and
 * U+212A: found by review, 2026-12-08, a forged "a\u0341.pdf" beside a
 * signed "\u00e1.pdf" passed.)
 */

/* Decode one UTF-8 sequence at s[0..n); invalid bytes decode as themselves
 * plus 0x110000 (outside Unicode, so they never equal a real character). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	size_t k;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		k = 1;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		k = 2;
		v = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		k = 3;
		v = c & 0x07;
	} else {
		goto bad;
	}
	if (n - 1 < k)
		goto bad;
	for (size_t j = 1; j <= k; j++) {
		if ((s[j] & 0xC0) != 0x80)
			goto bad;
		v = (v << 6) | (s[j] & 0x3F);
	}
	if ((k == 2 && v < 0x800) || (k == 3 && v < 0x10000) || v > 0x10FFFF ||
	    (v >= 0xD800 && v <= 0xDFFF))
		goto bad;
	*cp = v;
	return k + 1;
bad:
	*cp = 0x110000u + c;
	return 1;
}

/*
 * name_key: the NFD form of name as an array of code points (malloc'd, in
 * *out, length *outn). Bytes that are not UTF-8 stay distinct (0x110000 plus
 * the byte: never equal to a character, nor to another invalid byte), each
 * ending the run of valid text before it.
 */
static int name_key(uint32_t **out, size_t *outn, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), i = 0, k = 0;
	UErrorCode e = U_ZERO_ERROR;
	const UNormalizer2 *nfd = unorm2_getNFDInstance(&e);
	UChar *u = NULL, *d = NULL;
	uint32_t *key = NULL;
	int rc = 0;

	if (U_FAILURE(e))
		return KHO_EFORMAT;
	if (n > PKG_MAX_NAME)
		return KHO_ETOOBIG;
	/* UTF-16 units <= bytes; NFD at most 4 units (and code points) a unit. */
	u = malloc((n + 1) * sizeof *u);
	d = malloc((4 * n + 1) * sizeof *d);
	key = malloc((4 * n + 1) * sizeof *key);
	if (u == NULL || d == NULL || key == NULL) {
		rc = KHO_ENOMEM;
		goto out;
	}
	while (i < n) {
		size_t j = i;
		int32_t ulen = 0, dlen, p = 0;
		uint32_t cp;

		while (j < n) {
			size_t l = utf8_next(s + j, n - j, &cp);
			if (cp >= 0x110000u)
				break;
			j += l;
		}
		if (j > i) {
			e = U_ZERO_ERROR;
			u_strFromUTF8(u, (int32_t)n + 1, &ulen, (const char *)s + i, (int32_t)(j - i), &e);
			dlen = U_FAILURE(e) ? 0 : unorm2_normalize(nfd, u, ulen, d, (int32_t)(4 * n + 1), &e);
			if (U_FAILURE(e)) {
				rc = KHO_EFORMAT;
				goto out;
			}
			while (p < dlen) {
				UChar32 c;
				U16_NEXT(d, p, dlen, c);
				key[k++] = (uint32_t)c;
			}
		}
		if (j < n)
			key[k++] = 0x110000u + s[j++];
		i = j;
	}
out:
	free(u);
	free(d);
	if (rc != 0) {
		free(key);
		return rc;
	}
	*out = key;
	*outn = k;
	return 0;
}

/* ---- the reader --------------------------------------------------------- */

struct name_rec {
	uint32_t *key;
	size_t keylen;
	const char *name; /* borrowed from the pkg entry, or the directory copy */
	char *owned;      /* directory names, not in p->entries */
};

struct rd {
	struct archive *a;
	const pkg_limits *lim;
	uint64_t input_len;
	const unsigned char *head; /* the first bytes of the input */
	size_t headlen;
	pkg *p;
	size_t cap_entries;
	struct name_rec *names;
	size_t nnames, cap_names;
	size_t raw_index;      /* entries seen, directories included */
	size_t mimetype_index; /* raw index of `mimetype`, or SIZE_MAX */
	int mimetype_compressed;
	uint64_t total;
	int borrow;                /* PKG_READ_BORROW: STORED entries may point into mem */
	const unsigned char *mem;  /* the input of pkg_read_mem*, else NULL */
	size_t memlen;
};

static int add_deviation(pkg *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_deviation(pkg *p, const char *fmt, ...)
{
	char line[512];
	char **nd, *copy;
	va_list ap;

	if (p->ndeviations >= PKG_MAX_DEVIATIONS)
		return 0;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	copy = strdup(line);
	if (copy == NULL)
		return KHO_ENOMEM;
	nd = realloc(p->deviations, (p->ndeviations + 1) * sizeof *nd);
	if (nd == NULL) {
		free(copy);
		return KHO_ENOMEM;
	}
	p->deviations = nd;
	p->deviations[p->ndeviations++] = copy;
	return 0;
}

/*
 * check_name: the path rules. A directory's trailing "/" has been removed by
 * the caller. The name is quoted in messages; control characters are refused
 * before they could be printed.
 */
static int check_name(const char *name, kho_err *err)
{
	size_t n = strlen(name);
	const char *seg;

	if (n == 0)
		return kho_err_set(err, KHO_EUNSAFE, "zip entry with an empty name");
	if (n > PKG_MAX_NAME)
		return kho_err_set(err, KHO_EUNSAFE, "zip entry name longer than %d bytes", PKG_MAX_NAME);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f)
			return kho_err_set(err, KHO_EUNSAFE,
			                   "zip entry name contains control character 0x%02x", c);
	}
	if (name[0] == '/')
		return kho_err_set(err, KHO_EUNSAFE, "zip entry \"%.200s\" has an absolute name", name);
	if (((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')) &&
	    name[1] == ':')
		return kho_err_set(err, KHO_EUNSAFE,
		                   "zip entry \"%.200s\" has an absolute name (drive letter)", name);
	if (strchr(name, '\\') != NULL)
		return kho_err_set(err, KHO_EUNSAFE,
		                   "zip entry \"%.200s\" contains a backslash", name);
	seg = name;
	for (;;) {
		const char *slash = strchr(seg, '/');
		size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
		if (len == 2 && seg[0] == '.' && seg[1] == '.')
			return kho_err_set(err, KHO_EUNSAFE,
			                   "zip entry \"%.200s\" contains a \"..\" segment", name);
		if (len == 1 && seg[0] == '.')
			return kho_err_set(err, KHO_EUNSAFE,
			                   "zip entry \"%.200s\" contains a \".\" segment", name);
		if (len == 0)
			return kho_err_set(err, KHO_EUNSAFE,
			                   "zip entry \"%.200s\" contains an empty path segment", name);
		if (slash == NULL)
			break;
		seg = slash + 1;
	}
	return 0;
}

/* remember_name: refuse a duplicate (byte-equal or equal in NFC), else keep its key. */
static int remember_name(struct rd *r, const char *name, int is_dir, kho_err *err)
{
	struct name_rec rec = { 0 };
	int rc;

	if ((rc = name_key(&rec.key, &rec.keylen, name)) != 0)
		return kho_err_set(err, rc, rc == KHO_ENOMEM ? "out of memory"
		                   : "zip entry name \"%.200s\" cannot be compared in Unicode NFD (ICU)",
		                   name);
	/* Quadratic, but nnames is capped by max_entries (1000 by default). */
	for (size_t i = 0; i < r->nnames; i++) {
		const struct name_rec *o = &r->names[i];
		if (o->keylen != rec.keylen ||
		    memcmp(o->key, rec.key, rec.keylen * sizeof *rec.key) != 0)
			continue;
		if (strcmp(o->name, name) == 0)
			rc = kho_err_set(err, KHO_EUNSAFE,
			                 "duplicate zip entry name \"%.200s\" (names are compared in "
			                 "Unicode NFC)", name);
		else
			rc = kho_err_set(err, KHO_EUNSAFE,
			                 "zip entries \"%.200s\" and \"%.200s\" have the same name in "
			                 "Unicode NFC (two normalisations of one name)", o->name, name);
		free(rec.key);
		return rc;
	}
	if (r->nnames == r->cap_names) {
		size_t ncap = r->cap_names ? r->cap_names * 2 : 16;
		struct name_rec *nn = realloc(r->names, ncap * sizeof *nn);
		if (nn == NULL) {
			free(rec.key);
			return kho_err_set(err, KHO_ENOMEM, "out of memory");
		}
		r->names = nn;
		r->cap_names = ncap;
	}
	if (is_dir) {
		rec.owned = strdup(name);
		if (rec.owned == NULL) {
			free(rec.key);
			return kho_err_set(err, KHO_ENOMEM, "out of memory");
		}
		rec.name = rec.owned;
	} else {
		rec.name = name;
	}
	r->names[r->nnames++] = rec;
	return 0;
}

static const char *filetype_name(unsigned ft)
{
	switch (ft) {
	case AE_IFLNK: return "a symbolic link";
	case AE_IFCHR: return "a character device";
	case AE_IFBLK: return "a block device";
	case AE_IFIFO: return "a FIFO";
	case AE_IFSOCK: return "a socket";
	case AE_IFDIR: return "a directory";
	default: return "not a regular file";
	}
}

static int is_meta(const char *name)
{
	return strncmp(name, "META-INF/", 9) == 0;
}

/* Streaming digests for an entry larger than keep_max. */
struct stream_md {
	EVP_MD_CTX *c256, *c384, *c512;
};

static void stream_md_free(struct stream_md *s)
{
	EVP_MD_CTX_free(s->c256);
	EVP_MD_CTX_free(s->c384);
	EVP_MD_CTX_free(s->c512);
	memset(s, 0, sizeof *s);
}

static int stream_md_init(struct stream_md *s, kho_err *err)
{
	s->c256 = EVP_MD_CTX_new();
	s->c384 = EVP_MD_CTX_new();
	s->c512 = EVP_MD_CTX_new();
	if (s->c256 == NULL || s->c384 == NULL || s->c512 == NULL ||
	    EVP_DigestInit_ex(s->c256, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(s->c384, EVP_sha384(), NULL) != 1 ||
	    EVP_DigestInit_ex(s->c512, EVP_sha512(), NULL) != 1)
		return kho_err_ssl(err, KHO_ECRYPTO, "cannot start SHA-2 digests");
	return 0;
}

static int stream_md_update(struct stream_md *s, const void *p, size_t n, kho_err *err)
{
	if (n == 0)
		return 0;
	if (EVP_DigestUpdate(s->c256, p, n) != 1 || EVP_DigestUpdate(s->c384, p, n) != 1 ||
	    EVP_DigestUpdate(s->c512, p, n) != 1)
		return kho_err_ssl(err, KHO_ECRYPTO, "SHA-2 digest failed");
	return 0;
}

static int stream_md_final(struct stream_md *s, pkg_entry *e, kho_err *err)
{
	if (EVP_DigestFinal_ex(s->c256, e->sha256, NULL) != 1 ||
	    EVP_DigestFinal_ex(s->c384, e->sha384, NULL) != 1 ||
	    EVP_DigestFinal_ex(s->c512, e->sha512, NULL) != 1)
		return kho_err_ssl(err, KHO_ECRYPTO, "SHA-2 digest failed");
	e->have_stream_digests = 1;
	return 0;
}

/*
 * account_bytes: n more bytes of entry e have arrived (*size so far, pos0 =
 * the input position when the entry started). Enforces, on the bytes
 * actually produced, the caps on the entry, on META-INF/ entries and on the
 * total, and both compression-ratio tests. Shared by the copying and the
 * borrowing reads, so both apply exactly the same limits.
 */
static int account_bytes(struct rd *r, const pkg_entry *e, size_t n, uint64_t *sizep,
                         int64_t pos0, int meta, kho_err *err)
{
	const pkg_limits *lim = r->lim;
	uint64_t size = *sizep, consumed;
	int64_t pos;

	if ((uint64_t)n > lim->max_entry_size - size) {
		return kho_err_set(err, KHO_ETOOBIG,
		                   "zip entry \"%.200s\" is larger than the limit of %llu bytes",
		                   e->name, (unsigned long long)lim->max_entry_size);
	}
	size += (uint64_t)n;
	if (meta && size > lim->max_meta_size) {
		return kho_err_set(err, KHO_ETOOBIG,
		                   "zip entry \"%.200s\" is larger than the META-INF/ limit of %zu bytes",
		                   e->name, lim->max_meta_size);
	}
	if ((uint64_t)n > lim->max_total_size - r->total) {
		return kho_err_set(err, KHO_ETOOBIG,
		                   "zip entries total more than the limit of %llu bytes (at \"%.200s\")",
		                   (unsigned long long)lim->max_total_size, e->name);
	}
	r->total += (uint64_t)n;
	/* Ratio of this entry: output vs. compressed bytes consumed for it.
	 * Not for a STORED entry: nothing is inflated, its bytes are its input
	 * (bounded by the archive test below), and libarchive's memory reader
	 * does not advance the filter count for it, so a scan over 1 MiB read
	 * from memory looked like a bomb ("2097152 bytes from 1 compressed"). */
	pos = archive_filter_bytes(r->a, 0);
	consumed = pos > pos0 ? (uint64_t)(pos - pos0) : 1;
	if (e->compressed && size > lim->ratio_floor && lim->max_ratio > 0 &&
	    size / lim->max_ratio > consumed) {
		return kho_err_set(err, KHO_EUNSAFE,
		                   "zip entry \"%.200s\" looks like a compression bomb: %llu bytes "
		                   "from %llu compressed (ratio over %u)", e->name,
		                   (unsigned long long)size, (unsigned long long)consumed,
		                   lim->max_ratio);
	}
	/* Ratio of the whole archive: output vs. input length. */
	if (r->total > lim->ratio_floor && lim->max_ratio > 0 &&
	    r->total / lim->max_ratio > r->input_len) {
		return kho_err_set(err, KHO_EUNSAFE,
		                   "zip archive looks like a compression bomb: %llu bytes from a "
		                   "%llu-byte file (ratio over %u, at \"%.200s\")",
		                   (unsigned long long)r->total, (unsigned long long)r->input_len,
		                   lim->max_ratio, e->name);
	}
	*sizep = size;
	return 0;
}

/*
 * read_entry_borrowed: a STORED entry of a package read from memory with
 * PKG_READ_BORROW. libarchive's block API hands out, for a STORED entry of
 * an archive opened with archive_read_open_memory, pointers into the
 * caller's own bytes (nothing is inflated, and the memory reader returns its
 * whole block at once). When every block is the next slice of the caller's
 * memory, the entry simply points there: no allocation, no copy, and the
 * entry's digest is then the only pass over its bytes. libarchive still
 * checks the entry's CRC-32 and sizes (a bad CRC ends the entry with
 * ARCHIVE_WARN, refused here as by archive_read_data), and every cap of
 * account_bytes applies to each block. A block anywhere else (libarchive
 * is free to copy) turns the entry into an ordinary owned copy.
 * *handled is 0 when the entry is not eligible (nothing was read).
 */
static int read_entry_borrowed(struct rd *r, pkg_entry *e, int64_t declared, int *handled,
                               kho_err *err)
{
	const unsigned char *start = NULL;
	const uintptr_t lo = (uintptr_t)r->mem, hi = lo + r->memlen;
	int64_t pos0;
	uint64_t size = 0;
	int meta = is_meta(e->name), rc = 0;
	kho_buf copy;

	*handled = 0;
	if (!r->borrow || e->compressed || declared <= 0 ||
	    (uint64_t)declared > r->lim->keep_max)
		return 0;
	*handled = 1;
	pos0 = archive_filter_bytes(r->a, 0);
	kho_buf_init(&copy, r->lim->keep_max);
	for (;;) {
		const void *blk = NULL;
		size_t n = 0;
		la_int64_t off = 0;
		uintptr_t b;
		int ar = archive_read_data_block(r->a, &blk, &n, &off);

		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK) {
			const char *why = archive_error_string(r->a);
			rc = kho_err_set(err, KHO_EFORMAT, "zip entry \"%.200s\" cannot be read: %s",
			                 e->name, why ? why : "damaged or truncated data");
			goto out;
		}
		if (n == 0)
			continue;
		if (blk == NULL || off < 0 || (uint64_t)off != size) {
			/* ZIP has no sparse entries: bytes arrive in order. */
			rc = kho_err_set(err, KHO_EFORMAT,
			                 "zip entry \"%.200s\" cannot be read: data out of order", e->name);
			goto out;
		}
		rc = account_bytes(r, e, n, &size, pos0, meta, err);
		if (rc == 0 && size > r->lim->keep_max)
			rc = kho_err_set(err, KHO_EFORMAT,
			                 "zip entry \"%.200s\" declares %lld bytes but holds more",
			                 e->name, (long long)declared);
		if (rc != 0)
			goto out;
		b = (uintptr_t)blk;
		if (copy.data == NULL && b >= lo && b <= hi && n <= hi - b &&
		    (start == NULL || b == (uintptr_t)start + (size - n))) {
			if (start == NULL)
				start = blk;
			continue;
		}
		/* Not the next slice of the caller's memory: copy from here on. */
		if (copy.data == NULL && start != NULL &&
		    (rc = kho_buf_append(&copy, start, (size_t)(size - n))) != 0)
			goto nomem;
		if ((rc = kho_buf_append(&copy, blk, n)) != 0)
			goto nomem;
	}
	if ((uint64_t)declared != size) {
		rc = kho_err_set(err, KHO_EFORMAT,
		                 "zip entry \"%.200s\" declares %lld bytes but holds %llu", e->name,
		                 (long long)declared, (unsigned long long)size);
		goto out;
	}
	e->size = size;
	if (copy.data != NULL) {
		e->data = kho_buf_steal(&copy, NULL);
		if (e->data == NULL)
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
	} else {
		/* Borrowed, never written through (pkg.h): the cast only drops
		 * const to fit pkg_entry.data; pkg_free leaves it alone. */
		e->data = (unsigned char *)(uintptr_t)start;
		e->borrowed = 1;
	}
	goto out;
nomem:
	rc = kho_err_set(err, rc, "out of memory reading \"%.200s\"", e->name);
out:
	kho_buf_release(&copy); /* package bytes are public: no wipe */
	return rc;
}

/*
 * read_entry_data: inflate the current entry through libarchive, enforcing
 * the size caps and the ratio test as bytes arrive, keeping them (up to
 * keep_max) or streaming them through the digests.
 */
static int read_entry_data(struct rd *r, pkg_entry *e, int64_t declared, kho_err *err)
{
	const pkg_limits *lim = r->lim;
	unsigned char *chunk = NULL;
	struct stream_md smd = { 0 };
	int streaming = 0, rc = 0, meta = is_meta(e->name);
	int64_t pos0 = archive_filter_bytes(r->a, 0);
	uint64_t size = 0;
	kho_buf keep;

	kho_buf_init(&keep, lim->keep_max);
	/*
	 * Allocate a kept entry once from its declared size instead of growing
	 * it by doubling (each step a copy and fresh pages: a quarter of the
	 * verification time was page faults). The declared size is only a
	 * hint from the input, so it is capped: a lie costs at most
	 * PKG_PRESIZE_MAX of untouched memory, and the caps above still apply
	 * to what is actually read.
	 */
	if (declared > 0 && (uint64_t)declared <= lim->keep_max &&
	    kho_buf_reserve(&keep, (uint64_t)declared < PKG_PRESIZE_MAX ?
	                           (size_t)declared : PKG_PRESIZE_MAX) != 0)
		kho_buf_init(&keep, lim->keep_max); /* not fatal: grow as before */
	if (declared >= 0 && (uint64_t)declared > lim->keep_max) {
		rc = stream_md_init(&smd, err);
		if (rc != 0)
			goto out;
		streaming = 1;
	}
	for (;;) {
		unsigned char *dst = NULL, probe[4096];
		size_t want = PKG_CHUNK;
		int direct = 0, full;
		la_ssize_t n;

		/*
		 * A kept entry is read straight into its buffer (no bounce copy
		 * through chunk); chunk is only for streamed entries and for the
		 * bytes that overflow keep_max.
		 */
		/*
		 * Once the declared size has arrived, only the end of the entry
		 * is expected: probe for it in a small stack buffer instead of
		 * growing the buffer by PKG_CHUNK (or allocating chunk) for
		 * nothing, a 64 KiB realloc per entry. An entry that lied goes on
		 * through the probe and the appends below, under the same caps.
		 */
		full = !streaming && declared >= 0 && keep.len >= (uint64_t)declared;
		if (!streaming && !full && keep.len < keep.max) {
			if (keep.data == NULL || keep.cap == keep.len) {
				size_t grow = keep.len > PKG_CHUNK ? keep.len : PKG_CHUNK;

				if (grow > keep.max - keep.len)
					grow = keep.max - keep.len;
				(void)kho_buf_reserve(&keep, grow); /* on failure, chunk */
			}
			if (keep.data != NULL && keep.cap > keep.len) {
				dst = keep.data + keep.len;
				if (keep.cap - keep.len < want)
					want = keep.cap - keep.len;
				direct = 1;
			}
		}
		if (!direct && full) {
			dst = probe;
			want = sizeof probe;
		} else if (!direct) {
			if (chunk == NULL && (chunk = malloc(PKG_CHUNK)) == NULL) {
				rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
				goto out;
			}
			dst = chunk;
		}
		n = archive_read_data(r->a, dst, want);

		if (n == 0)
			break;
		if (n < 0) {
			const char *why = archive_error_string(r->a);
			rc = kho_err_set(err, KHO_EFORMAT, "zip entry \"%.200s\" cannot be read: %s",
			                 e->name, why ? why : "damaged or truncated data");
			goto out;
		}
		rc = account_bytes(r, e, (size_t)n, &size, pos0, meta, err);
		if (rc != 0)
			goto out;
		if (!streaming && size > lim->keep_max) {
			/* Too big to keep after all (the declared size lied or was absent). */
			rc = stream_md_init(&smd, err);
			if (rc == 0)
				rc = stream_md_update(&smd, keep.data, keep.len, err);
			if (rc != 0)
				goto out;
			kho_buf_release(&keep);
			streaming = 1;
		}
		if (streaming) {
			rc = stream_md_update(&smd, dst, (size_t)n, err);
		} else if (direct) {
			keep.len += (size_t)n;
			keep.data[keep.len] = '\0';
		} else {
			rc = kho_buf_append(&keep, dst, (size_t)n);
			if (rc != 0)
				kho_err_set(err, rc, "out of memory reading \"%.200s\"", e->name);
		}
		if (rc != 0)
			goto out;
	}
	if (declared >= 0 && (uint64_t)declared != size) {
		rc = kho_err_set(err, KHO_EFORMAT,
		                 "zip entry \"%.200s\" declares %lld bytes but holds %llu", e->name,
		                 (long long)declared, (unsigned long long)size);
		goto out;
	}
	e->size = size;
	if (streaming) {
		rc = stream_md_final(&smd, e, err);
	} else {
		size_t len;
		/* kho_buf_steal never returns NULL for success: an empty entry
		 * gets an allocated empty string, so data != NULL means "kept". */
		e->data = kho_buf_steal(&keep, &len);
		if (e->data == NULL)
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
	}
out:
	stream_md_free(&smd);
	kho_buf_release(&keep); /* package bytes are public: no wipe */
	free(chunk);
	return rc;
}

static int add_entry(struct rd *r, pkg_entry **out)
{
	pkg *p = r->p;

	if (p->nentries == r->cap_entries) {
		size_t ncap = r->cap_entries ? r->cap_entries * 2 : 8;
		pkg_entry *ne = realloc(p->entries, ncap * sizeof *ne);
		if (ne == NULL)
			return KHO_ENOMEM;
		p->entries = ne;
		r->cap_entries = ncap;
	}
	*out = &p->entries[p->nentries];
	memset(*out, 0, sizeof **out);
	return 0;
}

static int read_one(struct rd *r, struct archive_entry *ae, kho_err *err)
{
	const pkg_limits *lim = r->lim;
	const char *raw, *fmt;
	char *name = NULL;
	size_t n;
	unsigned ft;
	int64_t declared = -1;
	int is_dir, rc, borrowed = 0;
	pkg_entry *e;

	raw = archive_entry_pathname_utf8(ae);
	if (raw == NULL)
		raw = archive_entry_pathname(ae);
	if (raw == NULL)
		return kho_err_set(err, KHO_EFORMAT, "zip entry %zu has no readable name", r->raw_index + 1);
	n = strlen(raw);
	if (n > PKG_MAX_NAME)
		return kho_err_set(err, KHO_EUNSAFE, "zip entry name longer than %d bytes", PKG_MAX_NAME);
	name = strdup(raw);
	if (name == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	ft = archive_entry_filetype(ae);
	is_dir = ft == AE_IFDIR || (n > 0 && name[n - 1] == '/');
	if (is_dir && n > 0 && name[n - 1] == '/')
		name[--n] = '\0';
	rc = check_name(name, err);
	if (rc != 0)
		goto out;
	if (archive_entry_hardlink(ae) != NULL) {
		rc = kho_err_set(err, KHO_EUNSAFE, "zip entry \"%.200s\" is a hard link", name);
		goto out;
	}
	if (!is_dir && ft != AE_IFREG) {
		rc = kho_err_set(err, KHO_EUNSAFE, "zip entry \"%.200s\" is %s", name, filetype_name(ft));
		goto out;
	}
	if (archive_entry_is_encrypted(ae)) {
		rc = kho_err_set(err, KHO_EUNSAFE, "zip entry \"%.200s\" is encrypted", name);
		goto out;
	}
	if (archive_entry_size_is_set(ae))
		declared = archive_entry_size(ae);
	if (is_dir) {
		if (declared > 0) {
			rc = kho_err_set(err, KHO_EUNSAFE,
			                 "zip directory entry \"%.200s\" carries data", name);
			goto out;
		}
		rc = remember_name(r, name, 1, err);
		goto out; /* skipped: nothing to keep */
	}
	if (declared >= 0 && (uint64_t)declared > lim->max_entry_size) {
		rc = kho_err_set(err, KHO_ETOOBIG,
		                 "zip entry \"%.200s\" declares %lld bytes, more than the limit of %llu",
		                 name, (long long)declared, (unsigned long long)lim->max_entry_size);
		goto out;
	}
	if (declared >= 0 && is_meta(name) && (uint64_t)declared > lim->max_meta_size) {
		rc = kho_err_set(err, KHO_ETOOBIG,
		                 "zip entry \"%.200s\" declares %lld bytes, more than the META-INF/ "
		                 "limit of %zu", name, (long long)declared, lim->max_meta_size);
		goto out;
	}
	if (add_entry(r, &e) != 0) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	e->name = name;
	name = NULL;
	/* Becomes part of the package before reading, so pkg_free releases it. */
	r->p->nentries++;
	rc = remember_name(r, e->name, 0, err);
	if (rc != 0)
		goto out;
	/*
	 * libarchive names the format per entry: "ZIP 1.0 (uncompressed)" for
	 * method 0, "ZIP 2.0 (deflation)" etc. otherwise. It exposes no other
	 * view of the method.
	 */
	fmt = archive_format_name(r->a);
	e->compressed = fmt == NULL || strstr(fmt, "uncompressed") == NULL;
	if (strcmp(e->name, "mimetype") == 0) {
		r->mimetype_index = r->raw_index;
		r->mimetype_compressed = e->compressed;
	}
	rc = read_entry_borrowed(r, e, declared, &borrowed, err);
	if (rc == 0 && !borrowed)
		rc = read_entry_data(r, e, declared, err);
out:
	free(name);
	return rc;
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

/*
 * mimetype_checks: ETSI EN 319 162-1 A.1 wants `mimetype` first, STORED,
 * without extra field, holding exactly PKG_MIMETYPE. Each departure is a
 * deviation, not a failure.
 */
static int mimetype_checks(struct rd *r)
{
	pkg *p = r->p;
	const pkg_entry *mt = pkg_find(p, "mimetype");
	int rc = 0;

	if (mt == NULL) {
		/* A plain ZIP is no deviation; a container with ASiC manifests is. */
		for (size_t i = 0; i < p->nentries; i++)
			if (strncmp(p->entries[i].name, "META-INF/ASiC", 13) == 0)
				return add_deviation(p, "no mimetype entry");
		return 0;
	}
	if (mt->data != NULL && mt->size == strlen(PKG_MIMETYPE) &&
	    memcmp(mt->data, PKG_MIMETYPE, mt->size) == 0)
		p->is_asice = 1;
	else if (mt->data != NULL && mt->size == strlen(PKG_MIMETYPE_ASICS) &&
	         memcmp(mt->data, PKG_MIMETYPE_ASICS, mt->size) == 0)
		p->is_asics = 1;
	else
		rc = add_deviation(p, "mimetype does not hold exactly \"%s\" or \"%s\"", PKG_MIMETYPE,
		                   PKG_MIMETYPE_ASICS);
	if (rc == 0 && r->mimetype_index != 0)
		rc = add_deviation(p, "mimetype is not the first entry (it is entry %zu)",
		                   r->mimetype_index + 1);
	if (rc == 0 && r->mimetype_compressed)
		rc = add_deviation(p, "mimetype is compressed (it should be STORED)");
	/* Local header of the first entry, APPNOTE 4.3.7: flags at 6, extra length at 28. */
	if (rc == 0 && r->mimetype_index == 0 && r->headlen >= 38 &&
	    memcmp(r->head, "PK\003\004", 4) == 0 && memcmp(r->head + 30, "mimetype", 8) == 0) {
		if (get16(r->head + 28) != 0)
			rc = add_deviation(p, "mimetype has an extra field (its content is not at byte 38)");
		if (rc == 0 && (get16(r->head + 6) & 0x0008u) != 0)
			rc = add_deviation(p, "mimetype uses a data descriptor");
	} else if (rc == 0 && r->mimetype_index == 0 &&
	           (r->headlen < 38 || memcmp(r->head + 30, "mimetype", 8) != 0)) {
		rc = add_deviation(p, "mimetype is not at byte 30 of the file");
	}
	return rc;
}

/* The common part of pkg_read_mem and pkg_read_file, once a is open. */
static int read_archive(pkg **out, struct archive *a, uint64_t input_len,
                        const unsigned char *head, size_t headlen,
                        const pkg_limits *lim, int borrow, kho_err *err)
{
	struct rd r;
	struct archive_entry *ae;
	int rc = 0;

	memset(&r, 0, sizeof r);
	r.a = a;
	r.lim = lim;
	r.input_len = input_len;
	r.head = head;
	r.headlen = headlen;
	r.mimetype_index = SIZE_MAX;
	/* Only pkg_read_mem_ex passes its input as head, whole. */
	r.borrow = borrow;
	r.mem = borrow ? head : NULL;
	r.memlen = borrow ? headlen : 0;
	r.p = calloc(1, sizeof *r.p);
	if (r.p == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	for (;;) {
		int ar = archive_read_next_header(a, &ae);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			const char *why = archive_error_string(a);
			if (r.raw_index == 0)
				rc = kho_err_set(err, KHO_EFORMAT, "not a readable ZIP archive: %s",
				                 why ? why : "unrecognised data");
			else
				rc = kho_err_set(err, KHO_EFORMAT,
				                 "ZIP archive damaged or truncated after entry %zu: %s",
				                 r.raw_index, why ? why : "unreadable header");
			goto out;
		}
		if (r.raw_index >= lim->max_entries) {
			rc = kho_err_set(err, KHO_ETOOBIG, "ZIP archive has more than %zu entries",
			                 lim->max_entries);
			goto out;
		}
		if (ar == ARCHIVE_WARN) {
			const char *why = archive_error_string(a);
			rc = add_deviation(r.p, "entry %zu: %s", r.raw_index + 1, why ? why : "warning");
			if (rc != 0) {
				kho_err_set(err, rc, "out of memory");
				goto out;
			}
		}
		rc = read_one(&r, ae, err);
		if (rc != 0)
			goto out;
		r.raw_index++;
	}
	if (r.raw_index == 0) {
		rc = kho_err_set(err, KHO_EFORMAT, "ZIP archive has no entries");
		goto out;
	}
	rc = mimetype_checks(&r);
	if (rc != 0) {
		kho_err_set(err, rc, "out of memory");
		goto out;
	}
	*out = r.p;
	r.p = NULL;
out:
	for (size_t i = 0; i < r.nnames; i++) {
		free(r.names[i].key);
		free(r.names[i].owned);
	}
	free(r.names);
	pkg_free(r.p);
	return rc;
}

/*
 * libarchive converts entry names from the archive's charset (UTF-8 when
 * flag bit 11 is set) to the current locale's, and in the "C" locale of a
 * daemon every non-ASCII name fails to convert (ARCHIVE_WARN, NULL name).
 * So reading runs under a UTF-8 LC_CTYPE, set for this thread only with
 * uselocale(3); the process locale and other threads are untouched. Two
 * things libarchive 3.6.2 then does to names before we see them: it
 * normalises UTF-8 names to NFC (archive_string.c, SCONV_NORMALIZATION_C),
 * and it rewrites "\" as "/".
 */
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;
static locale_t utf8_loc = (locale_t)0;

/*
 * Also done once, on the first read: libarchive converts every entry's DOS
 * time with mktime(3), and with TZ unset glibc's tzset re-stats
 * /etc/localtime on every call (10 newfstatat per package, a measurable
 * share of verification). TZ=":/etc/localtime" names the very file glibc
 * uses when TZ is unset (TZDEFAULT), so times convert exactly as before,
 * but glibc then sees an unchanged TZ and skips the re-read. The one
 * difference: a change of /etc/localtime while the process runs is not
 * noticed. A TZ already set is left alone, so a program that sets TZ at
 * start-up (as the daemon should) makes this a no-op. setenv is not safe
 * against a concurrent getenv in another thread; this runs once, inside
 * pthread_once, normally before a daemon's workers start reading.
 */
static void utf8_init(void)
{
	if (getenv("TZ") == NULL && setenv("TZ", ":/etc/localtime", 0) == 0)
		tzset();
	utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8_loc == (locale_t)0)
		utf8_loc = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
}

static locale_t enter_utf8(void)
{
	pthread_once(&utf8_once, utf8_init);
	return utf8_loc != (locale_t)0 ? uselocale(utf8_loc) : (locale_t)0;
}

static void leave_utf8(locale_t old)
{
	if (old != (locale_t)0)
		uselocale(old);
}

static const pkg_limits *limits_or_default(const pkg_limits *lim, pkg_limits *tmp)
{
	if (lim != NULL)
		return lim;
	pkg_limits_default(tmp);
	return tmp;
}

int pkg_read_mem(pkg **out, const void *data, size_t len,
                 const pkg_limits *lim, kho_err *err)
{
	return pkg_read_mem_ex(out, data, len, lim, 0, err);
}

int pkg_read_mem_ex(pkg **out, const void *data, size_t len,
                    const pkg_limits *lim, unsigned flags, kho_err *err)
{
	pkg_limits deflim;
	struct archive *a;
	locale_t old;
	int rc;

	if (out == NULL || (data == NULL && len > 0))
		return kho_err_set(err, KHO_EINVAL, "pkg_read_mem: NULL argument");
	*out = NULL;
	lim = limits_or_default(lim, &deflim);
	if (len == 0)
		return kho_err_set(err, KHO_EFORMAT, "not a ZIP archive: the input is empty");
	old = enter_utf8();
	a = archive_read_new();
	if (a == NULL) {
		leave_utf8(old);
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	}
	if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK) {
		rc = kho_err_set(err, KHO_EINTERNAL, "libarchive has no seekable ZIP support");
		goto out;
	}
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		const char *why = archive_error_string(a);
		rc = kho_err_set(err, KHO_EFORMAT, "not a readable ZIP archive: %s",
		                 why ? why : "unrecognised data");
		goto out;
	}
	rc = read_archive(out, a, len, data, len, lim, (flags & PKG_READ_BORROW) != 0, err);
out:
	archive_read_free(a);
	leave_utf8(old);
	return rc;
}

int pkg_read_file(pkg **out, const char *path, const pkg_limits *lim, kho_err *err)
{
	pkg_limits deflim;
	unsigned char head[64];
	struct archive *a = NULL;
	locale_t old = (locale_t)0;
	struct stat st;
	ssize_t hn;
	int fd, rc;

	if (out == NULL || path == NULL)
		return kho_err_set(err, KHO_EINVAL, "pkg_read_file: NULL argument");
	*out = NULL;
	lim = limits_or_default(lim, &deflim);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return kho_err_set(err, KHO_ENOTFOUND, "%s: no such file", path);
		if (errno == ELOOP)
			return kho_err_set(err, KHO_EUNSAFE, "%s: is a symbolic link", path);
		return kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = kho_err_set(err, KHO_EIO, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size == 0) {
		rc = kho_err_set(err, KHO_EFORMAT, "%s: not a ZIP archive: the file is empty", path);
		goto out;
	}
	do {
		hn = pread(fd, head, sizeof head, 0);
	} while (hn < 0 && errno == EINTR);
	if (hn < 0) {
		rc = kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	old = enter_utf8();
	a = archive_read_new();
	if (a == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK) {
		rc = kho_err_set(err, KHO_EINTERNAL, "libarchive has no seekable ZIP support");
		goto out;
	}
	/* archive_read_open_fd seeks on regular files and never closes fd. */
	if (archive_read_open_fd(a, fd, PKG_CHUNK) != ARCHIVE_OK) {
		const char *why = archive_error_string(a);
		rc = kho_err_set(err, KHO_EFORMAT, "%s: not a readable ZIP archive: %s", path,
		                 why ? why : "unrecognised data");
		goto out;
	}
	rc = read_archive(out, a, (uint64_t)st.st_size, head, (size_t)hn, lim, 0, err);
	if (rc != 0 && err != NULL) {
		/* Prefix the file name, keeping the reason. */
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		kho_err_set(err, rc, "%s: %s", path, msg);
	}
out:
	archive_read_free(a);
	leave_utf8(old);
	close(fd);
	return rc;
}

/*
 * pkg_find: exact match first. Failing that, a name equal in Unicode NFC:
 * libarchive hands names over in NFC, so a manifest URI written in NFD
 * (macOS tools do) must still find its entry. The reader refused any two
 * entries equal in NFC, so the match is unique.
 */
const pkg_entry *pkg_find(const pkg *p, const char *name)
{
	if (p == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < p->nentries; i++)
		if (strcmp(p->entries[i].name, name) == 0)
			return &p->entries[i];
	for (size_t i = 0; i < p->nentries; i++)
		if (pkg_names_equiv(p->entries[i].name, name))
			return &p->entries[i];
	return NULL;
}

int pkg_names_equiv(const char *a, const char *b)
{
	uint32_t *ka = NULL, *kb = NULL;
	size_t na, nb;
	int eq = 0;

	if (a == NULL || b == NULL)
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	if (name_key(&ka, &na, a) == 0 && name_key(&kb, &nb, b) == 0)
		eq = na == nb && memcmp(ka, kb, na * sizeof *ka) == 0;
	free(ka);
	free(kb);
	return eq;
}

int pkg_entry_digest(const pkg_entry *e, const EVP_MD *md,
                     unsigned char *out, unsigned int *outlen, kho_err *err)
{
	const unsigned char *src;
	unsigned int n;

	if (e == NULL || md == NULL || out == NULL || outlen == NULL)
		return kho_err_set(err, KHO_EINVAL, "pkg_entry_digest: NULL argument");
	if (e->data != NULL) {
		if (EVP_Digest(e->data, (size_t)e->size, out, outlen, md, NULL) != 1)
			return kho_err_ssl(err, KHO_ECRYPTO, "digest of \"%.200s\" failed", e->name);
		return 0;
	}
	if (!e->have_stream_digests)
		return kho_err_set(err, KHO_EINVAL, "entry \"%.200s\" has neither data nor digests",
		                   e->name);
	switch (EVP_MD_get_type(md)) {
	case NID_sha256: src = e->sha256; n = 32; break;
	case NID_sha384: src = e->sha384; n = 48; break;
	case NID_sha512: src = e->sha512; n = 64; break;
	default:
		return kho_err_set(err, KHO_EINVAL,
		                   "entry \"%.200s\" (%llu bytes) was not kept in memory: only "
		                   "SHA-256/384/512 are available, not %s", e->name,
		                   (unsigned long long)e->size, EVP_MD_get0_name(md));
	}
	memcpy(out, src, n);
	*outlen = n;
	return 0;
}

void pkg_free(pkg *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nentries; i++) {
		free(p->entries[i].name);
		if (!p->entries[i].borrowed)
			free(p->entries[i].data);
	}
	free(p->entries);
	for (size_t i = 0; i < p->ndeviations; i++)
		free(p->deviations[i]);
	free(p->deviations);
	free(p);
}
