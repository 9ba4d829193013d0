/*
 * pkg.h: the lenient, safe reader of ASiC-E containers (and of any ZIP).
 *
 * Reading goes through libarchive (seekable ZIP support, which trusts the
 * central directory). The reader is lenient where integrity is not at stake
 * (a misplaced or compressed `mimetype` is reported as a deviation) and
 * strict where it is: it refuses absolute names, "..", backslashes, NUL,
 * duplicate names (compared in Unicode NFC), links, devices, directories
 * with content, encrypted entries, entries larger than their cap, and
 * compression ratios that look like bombs. A refusal is KHO_EUNSAFE or
 * KHO_EFORMAT with the reason in err; nothing is ever written to disk.
 *
 * Entries up to keep_max bytes are kept in memory. Larger entries are not
 * kept: their SHA-256, SHA-384 and SHA-512 digests are computed while
 * streaming, so a large scan never needs its size in memory.
 */
#ifndef KHO_PKG_H
#define KHO_PKG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "common/buf.h"
#include "common/err.h"

#define PKG_MIMETYPE "application/vnd.etsi.asic-e+zip"
#define PKG_MIMETYPE_ASICS "application/vnd.etsi.asic-s+zip"

/* Hard caps applied while reading; pkg_limits_default() gives sane ones. */
typedef struct pkg_limits {
	size_t max_entries;      /* default 1000 */
	uint64_t max_entry_size; /* uncompressed, default 256 MiB */
	uint64_t max_total_size; /* uncompressed sum, default 1 GiB */
	size_t max_meta_size;    /* any META-INF/ entry, default 4 MiB */
	size_t keep_max;         /* entries up to this size stay in memory, default 16 MiB */
	unsigned max_ratio;      /* max uncompressed/compressed ratio ... default 50 */
	uint64_t ratio_floor;    /* ... checked once an entry is past this size, default 1 MiB */
} pkg_limits;

typedef struct pkg_entry {
	char *name;            /* as stored (UTF-8) */
	uint64_t size;         /* uncompressed size actually read */
	int compressed;        /* 1 if not STORED */
	unsigned char *data;   /* the bytes if size <= keep_max, else NULL */
	/* digests computed while streaming, for entries not kept in memory */
	unsigned char sha256[32], sha384[48], sha512[64];
	int have_stream_digests;
	int borrowed;          /* 1: data points into the caller's input
	                          (PKG_READ_BORROW); read-only, not freed */
} pkg_entry;

typedef struct pkg {
	pkg_entry *entries;    /* in archive order */
	size_t nentries;
	char **deviations;     /* human-readable notes on non-conformance that
	                          do not break integrity, e.g. "mimetype is not
	                          the first entry" */
	size_t ndeviations;
	int is_asice;          /* a mimetype entry says PKG_MIMETYPE */
	int is_asics;          /* a mimetype entry says PKG_MIMETYPE_ASICS (no deviation
	                          here: the verifier decides whether the layout agrees) */
} pkg;

void pkg_limits_default(pkg_limits *lim);

/* pkg_read_mem: read a container from memory. *out is owned by the caller. */
int pkg_read_mem(pkg **out, const void *data, size_t len,
                 const pkg_limits *lim, kho_err *err);

/*
 * pkg_read_mem_ex: pkg_read_mem with flags. PKG_READ_BORROW lets STORED
 * entries point into data instead of being copied (pkg_entry.borrowed):
 * data must then stay unchanged and alive until pkg_free(*out), and no
 * entry's bytes may be written through. Deflated entries are always copies.
 * Every check and cap is the same as without the flag.
 */
#define PKG_READ_BORROW 0x1u
int pkg_read_mem_ex(pkg **out, const void *data, size_t len,
                    const pkg_limits *lim, unsigned flags, kho_err *err);

/* pkg_read_file: read a container from a file (opened O_NOFOLLOW). */
int pkg_read_file(pkg **out, const char *path, const pkg_limits *lim, kho_err *err);

/* pkg_find: the entry with this exact name, else the one whose name is
 * equal in Unicode NFC, or NULL. Borrowed from p. */
const pkg_entry *pkg_find(const pkg *p, const char *name);

/* pkg_names_equiv: 1 if a and b are the same name in Unicode NFC (the
 * comparison the reader applies to refuse duplicates), else 0. */
int pkg_names_equiv(const char *a, const char *b);

/*
 * pkg_entry_digest: digest of an entry's bytes with md into out (at least
 * EVP_MAX_MD_SIZE bytes), length in *outlen. For entries not kept in memory
 * only SHA-256/384/512 are available (KHO_EINVAL otherwise).
 */
int pkg_entry_digest(const pkg_entry *e, const EVP_MD *md,
                     unsigned char *out, unsigned int *outlen, kho_err *err);

void pkg_free(pkg *p);

#endif
