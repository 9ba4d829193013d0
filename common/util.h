/*
 * util.h: small shared primitives: files (read with a cap, durable write),
 * RFC 3339 times, base64, hex and digests.
 */
#ifndef KHO_UTIL_H
#define KHO_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"

/*
 * kho_read_file: read a whole regular file into out (initialised by the
 * caller, whose cap applies; KHO_ETOOBIG past it). Opened with O_NOFOLLOW so
 * a symlink as the final component is refused. KHO_ENOTFOUND, KHO_EIO.
 */
int kho_read_file(kho_buf *out, const char *path, kho_err *err);

/*
 * kho_read_user_file: kho_read_file for a file the user named on the command
 * line or in a config file (a key, certificate, CRL, record, data file):
 * symbolic links are followed, as every other program does (Debian's
 * /etc/ssl/certs holds links). O_NOFOLLOW stays for the files of the
 * daemon's own data directory, where a link planted there must not redirect
 * a read; it protects nothing for a path the user typed.
 */
int kho_read_user_file(kho_buf *out, const char *path, kho_err *err);

/*
 * kho_parse_uint: the whole of s as a decimal number in min..max into *out:
 * digits only (no sign, space, suffix or empty string; "-1" is not 2^64-1),
 * checked for overflow. 0, or KHO_EINVAL with *out untouched. For numeric
 * command-line options, where atoi and strtoul take garbage for 0.
 */
int kho_parse_uint(uint64_t *out, const char *s, uint64_t min, uint64_t max);

/*
 * kho_write_file_durable: write data to path so that after return it survives
 * a crash: write to a temporary file in the same directory, fsync it, rename
 * over path, fsync the directory. mode is the new file's permission bits.
 */
int kho_write_file_durable(const char *path, const void *data, size_t len,
                           int mode, kho_err *err);
/* kho_write_file_renamed: the same without the two fsyncs: the data is
 * written out to the device (kho_write_out) before the rename, but the file
 * is durable only after the caller's own step (e.g. syncfs, which commits the
 * metadata and flushes the device's cache). */
int kho_write_file_renamed(const char *path, const void *data, size_t len,
                           int mode, kho_err *err);
/*
 * kho_write_out: write fd's dirty pages to the device and wait for them
 * (sync_file_range), without a cache flush or a metadata commit; 0 or -1
 * with errno. It reports a write error of this file's own data, which a
 * later syncfs may not: since Linux 5.8 syncfs reports writeback errors once
 * per superblock, to whichever caller sees them first.
 */
int kho_write_out(int fd);

/* kho_fsync_dir: fsync the directory that contains path (or path itself if it is a directory). */
int kho_fsync_dir(const char *dir, kho_err *err);

/* kho_mkdir_p: create dir and its parents with mode (existing ones are fine); the
 * parent of each directory it creates is fsynced, so the new entry survives a crash. */
int kho_mkdir_p(const char *dir, int mode, kho_err *err);

/*
 * kho_mkdir_fanout: the 256 subdirectories dir/00 .. dir/ff (0700) of a
 * content-addressed layout, created up front with one fsync of dir, so that
 * no durable write later has to create (and fsync) its directory.
 */
int kho_mkdir_fanout(const char *dir, kho_err *err);

/*
 * kho_time_parse: parse an RFC 3339 time ("2025-03-14T08:30:00Z",
 * "2025-03-14T15:30:00+07:00", fractional seconds ignored) or a plain date
 * ("2025-03-14", taken as 00:00:00Z) into seconds since the epoch, UTC.
 * KHO_EFORMAT on anything else.
 */
int kho_time_parse(time_t *out, const char *s);

/*
 * Civil dates are Vietnam's (UTC+7, no daylight saving): a result revoked at
 * 03:00 on 1 January in Hà Nội is revoked in the new year, though it is still
 * 31 December in UTC. kho_local_day: the day number (days since 1970-01-01)
 * of t there; kho_local_date: that day as "YYYY-MM-DD" (out: 11 bytes);
 * kho_local_day_start: the instant that day begins there (its inverse).
 */
#define KHO_LOCAL_UTC_OFFSET (7 * 3600)
int32_t kho_local_day(time_t t);
time_t kho_local_day_start(int32_t day);
char *kho_local_date(char out[11], time_t t);

/* kho_time_format: "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). Returns buf. */
char *kho_time_format(char *buf, size_t n, time_t t);

/* kho_now: the current time; honours KHO_NOW (RFC 3339) in the environment
 * so that tests can inject a clock. */
time_t kho_now(void);

/* kho_base64_encode: standard base64 with padding, NUL-terminated, malloc'd. */
char *kho_base64_encode(const void *p, size_t n);

/*
 * kho_base64_decode: decode standard base64 (whitespace ignored) into out
 * (caller-initialised buffer; its cap applies). KHO_EFORMAT on bad input.
 */
int kho_base64_decode(kho_buf *out, const char *s, size_t n);

/* kho_hex: lower-case hex of p into out (2n+1 bytes). Returns out. */
char *kho_hex(char *out, const void *p, size_t n);

/*
 * kho_key_wrap: AES-256 key wrap (RFC 3394, EVP_aes_256_wrap) of the inlen
 * bytes at in under kek into out (inlen + 8 bytes), or with unwrap the
 * reverse (out gets inlen - 8 bytes; the integrity check of RFC 3394 2.2.3
 * fails on an altered input or another kek). what names the key in the
 * error ("the package key"). 0, or KHO_ECRYPTO with out untouched.
 */
int kho_key_wrap(const unsigned char kek[32], const unsigned char *in, size_t inlen,
                 unsigned char *out, int unwrap, const char *what, kho_err *err);

/* kho_sha256: SHA-256 of p into out[32]. 0 or KHO_ECRYPTO. */
int kho_sha256(unsigned char out[32], const void *p, size_t n);

/* kho_random: n cryptographically random bytes. 0 or KHO_ECRYPTO. */
int kho_random(void *out, size_t n);

#endif
