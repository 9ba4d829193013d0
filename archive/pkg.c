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
 * U+1EC7, or as e + U+0323 + U+0302, or e + U+0302 + U+0323) are the same
 * name to a user and to most file systems on extraction, so a container
 * holding both is ambiguous: which one did the manifest mean? The reader
 * compares names by their canonical decomposition (NFD): NFC(a) == NFC(b)
 * exactly when NFD(a) == NFD(b), and NFD needs only a decomposition table
 * and the canonical combining classes, no composition table.
 *
 * Coverage: the table below holds the full canonical decompositions of
 * U+00C0..U+024F and U+1E00..U+1EFF (Latin-1 Supplement, Latin Extended-A/B,
 * Latin Extended Additional: every precomposed Vietnamese letter), and the
 * combining classes of U+0300..U+036F. It was generated from Python's
 * unicodedata (Unicode 14.0) with:
 *   for cp in [*range(0xC0,0x250), *range(0x1E00,0x1F00)]:
 *     d = unicodedata.normalize('NFD', chr(cp))  # kept if != chr(cp),
 *     # len(d) <= 3 and only Latin bases and U+03xx marks
 * Code points outside these ranges (Greek, Cyrillic, Hangul...) are compared
 * as they are; for Vietnamese and Latin-script names the comparison is exact.
 */
struct nfd_row {
	unsigned short cp;
	unsigned short d[3];
};
static const struct nfd_row nfd_table[] = {
	{0x00C0,{0x041,0x300,0x000}}, {0x00C1,{0x041,0x301,0x000}}, {0x00C2,{0x041,0x302,0x000}},
	{0x00C3,{0x041,0x303,0x000}}, {0x00C4,{0x041,0x308,0x000}}, {0x00C5,{0x041,0x30A,0x000}},
	{0x00C7,{0x043,0x327,0x000}}, {0x00C8,{0x045,0x300,0x000}}, {0x00C9,{0x045,0x301,0x000}},
	{0x00CA,{0x045,0x302,0x000}}, {0x00CB,{0x045,0x308,0x000}}, {0x00CC,{0x049,0x300,0x000}},
	{0x00CD,{0x049,0x301,0x000}}, {0x00CE,{0x049,0x302,0x000}}, {0x00CF,{0x049,0x308,0x000}},
	{0x00D1,{0x04E,0x303,0x000}}, {0x00D2,{0x04F,0x300,0x000}}, {0x00D3,{0x04F,0x301,0x000}},
	{0x00D4,{0x04F,0x302,0x000}}, {0x00D5,{0x04F,0x303,0x000}}, {0x00D6,{0x04F,0x308,0x000}},
	{0x00D9,{0x055,0x300,0x000}}, {0x00DA,{0x055,0x301,0x000}}, {0x00DB,{0x055,0x302,0x000}},
	{0x00DC,{0x055,0x308,0x000}}, {0x00DD,{0x059,0x301,0x000}}, {0x00E0,{0x061,0x300,0x000}},
	{0x00E1,{0x061,0x301,0x000}}, {0x00E2,{0x061,0x302,0x000}}, {0x00E3,{0x061,0x303,0x000}},
	{0x00E4,{0x061,0x308,0x000}}, {0x00E5,{0x061,0x30A,0x000}}, {0x00E7,{0x063,0x327,0x000}},
	{0x00E8,{0x065,0x300,0x000}}, {0x00E9,{0x065,0x301,0x000}}, {0x00EA,{0x065,0x302,0x000}},
	{0x00EB,{0x065,0x308,0x000}}, {0x00EC,{0x069,0x300,0x000}}, {0x00ED,{0x069,0x301,0x000}},
	{0x00EE,{0x069,0x302,0x000}}, {0x00EF,{0x069,0x308,0x000}}, {0x00F1,{0x06E,0x303,0x000}},
	{0x00F2,{0x06F,0x300,0x000}}, {0x00F3,{0x06F,0x301,0x000}}, {0x00F4,{0x06F,0x302,0x000}},
	{0x00F5,{0x06F,0x303,0x000}}, {0x00F6,{0x06F,0x308,0x000}}, {0x00F9,{0x075,0x300,0x000}},
	{0x00FA,{0x075,0x301,0x000}}, {0x00FB,{0x075,0x302,0x000}}, {0x00FC,{0x075,0x308,0x000}},
	{0x00FD,{0x079,0x301,0x000}}, {0x00FF,{0x079,0x308,0x000}}, {0x0100,{0x041,0x304,0x000}},
	{0x0101,{0x061,0x304,0x000}}, {0x0102,{0x041,0x306,0x000}}, {0x0103,{0x061,0x306,0x000}},
	{0x0104,{0x041,0x328,0x000}}, {0x0105,{0x061,0x328,0x000}}, {0x0106,{0x043,0x301,0x000}},
	{0x0107,{0x063,0x301,0x000}}, {0x0108,{0x043,0x302,0x000}}, {0x0109,{0x063,0x302,0x000}},
	{0x010A,{0x043,0x307,0x000}}, {0x010B,{0x063,0x307,0x000}}, {0x010C,{0x043,0x30C,0x000}},
	{0x010D,{0x063,0x30C,0x000}}, {0x010E,{0x044,0x30C,0x000}}, {0x010F,{0x064,0x30C,0x000}},
	{0x0112,{0x045,0x304,0x000}}, {0x0113,{0x065,0x304,0x000}}, {0x0114,{0x045,0x306,0x000}},
	{0x0115,{0x065,0x306,0x000}}, {0x0116,{0x045,0x307,0x000}}, {0x0117,{0x065,0x307,0x000}},
	{0x0118,{0x045,0x328,0x000}}, {0x0119,{0x065,0x328,0x000}}, {0x011A,{0x045,0x30C,0x000}},
	{0x011B,{0x065,0x30C,0x000}}, {0x011C,{0x047,0x302,0x000}}, {0x011D,{0x067,0x302,0x000}},
	{0x011E,{0x047,0x306,0x000}}, {0x011F,{0x067,0x306,0x000}}, {0x0120,{0x047,0x307,0x000}},
	{0x0121,{0x067,0x307,0x000}}, {0x0122,{0x047,0x327,0x000}}, {0x0123,{0x067,0x327,0x000}},
	{0x0124,{0x048,0x302,0x000}}, {0x0125,{0x068,0x302,0x000}}, {0x0128,{0x049,0x303,0x000}},
	{0x0129,{0x069,0x303,0x000}}, {0x012A,{0x049,0x304,0x000}}, {0x012B,{0x069,0x304,0x000}},
	{0x012C,{0x049,0x306,0x000}}, {0x012D,{0x069,0x306,0x000}}, {0x012E,{0x049,0x328,0x000}},
	{0x012F,{0x069,0x328,0x000}}, {0x0130,{0x049,0x307,0x000}}, {0x0134,{0x04A,0x302,0x000}},
	{0x0135,{0x06A,0x302,0x000}}, {0x0136,{0x04B,0x327,0x000}}, {0x0137,{0x06B,0x327,0x000}},
	{0x0139,{0x04C,0x301,0x000}}, {0x013A,{0x06C,0x301,0x000}}, {0x013B,{0x04C,0x327,0x000}},
	{0x013C,{0x06C,0x327,0x000}}, {0x013D,{0x04C,0x30C,0x000}}, {0x013E,{0x06C,0x30C,0x000}},
	{0x0143,{0x04E,0x301,0x000}}, {0x0144,{0x06E,0x301,0x000}}, {0x0145,{0x04E,0x327,0x000}},
	{0x0146,{0x06E,0x327,0x000}}, {0x0147,{0x04E,0x30C,0x000}}, {0x0148,{0x06E,0x30C,0x000}},
	{0x014C,{0x04F,0x304,0x000}}, {0x014D,{0x06F,0x304,0x000}}, {0x014E,{0x04F,0x306,0x000}},
	{0x014F,{0x06F,0x306,0x000}}, {0x0150,{0x04F,0x30B,0x000}}, {0x0151,{0x06F,0x30B,0x000}},
	{0x0154,{0x052,0x301,0x000}}, {0x0155,{0x072,0x301,0x000}}, {0x0156,{0x052,0x327,0x000}},
	{0x0157,{0x072,0x327,0x000}}, {0x0158,{0x052,0x30C,0x000}}, {0x0159,{0x072,0x30C,0x000}},
	{0x015A,{0x053,0x301,0x000}}, {0x015B,{0x073,0x301,0x000}}, {0x015C,{0x053,0x302,0x000}},
	{0x015D,{0x073,0x302,0x000}}, {0x015E,{0x053,0x327,0x000}}, {0x015F,{0x073,0x327,0x000}},
	{0x0160,{0x053,0x30C,0x000}}, {0x0161,{0x073,0x30C,0x000}}, {0x0162,{0x054,0x327,0x000}},
	{0x0163,{0x074,0x327,0x000}}, {0x0164,{0x054,0x30C,0x000}}, {0x0165,{0x074,0x30C,0x000}},
	{0x0168,{0x055,0x303,0x000}}, {0x0169,{0x075,0x303,0x000}}, {0x016A,{0x055,0x304,0x000}},
	{0x016B,{0x075,0x304,0x000}}, {0x016C,{0x055,0x306,0x000}}, {0x016D,{0x075,0x306,0x000}},
	{0x016E,{0x055,0x30A,0x000}}, {0x016F,{0x075,0x30A,0x000}}, {0x0170,{0x055,0x30B,0x000}},
	{0x0171,{0x075,0x30B,0x000}}, {0x0172,{0x055,0x328,0x000}}, {0x0173,{0x075,0x328,0x000}},
	{0x0174,{0x057,0x302,0x000}}, {0x0175,{0x077,0x302,0x000}}, {0x0176,{0x059,0x302,0x000}},
	{0x0177,{0x079,0x302,0x000}}, {0x0178,{0x059,0x308,0x000}}, {0x0179,{0x05A,0x301,0x000}},
	{0x017A,{0x07A,0x301,0x000}}, {0x017B,{0x05A,0x307,0x000}}, {0x017C,{0x07A,0x307,0x000}},
	{0x017D,{0x05A,0x30C,0x000}}, {0x017E,{0x07A,0x30C,0x000}}, {0x01A0,{0x04F,0x31B,0x000}},
	{0x01A1,{0x06F,0x31B,0x000}}, {0x01AF,{0x055,0x31B,0x000}}, {0x01B0,{0x075,0x31B,0x000}},
	{0x01CD,{0x041,0x30C,0x000}}, {0x01CE,{0x061,0x30C,0x000}}, {0x01CF,{0x049,0x30C,0x000}},
	{0x01D0,{0x069,0x30C,0x000}}, {0x01D1,{0x04F,0x30C,0x000}}, {0x01D2,{0x06F,0x30C,0x000}},
	{0x01D3,{0x055,0x30C,0x000}}, {0x01D4,{0x075,0x30C,0x000}}, {0x01D5,{0x055,0x308,0x304}},
	{0x01D6,{0x075,0x308,0x304}}, {0x01D7,{0x055,0x308,0x301}}, {0x01D8,{0x075,0x308,0x301}},
	{0x01D9,{0x055,0x308,0x30C}}, {0x01DA,{0x075,0x308,0x30C}}, {0x01DB,{0x055,0x308,0x300}},
	{0x01DC,{0x075,0x308,0x300}}, {0x01DE,{0x041,0x308,0x304}}, {0x01DF,{0x061,0x308,0x304}},
	{0x01E0,{0x041,0x307,0x304}}, {0x01E1,{0x061,0x307,0x304}}, {0x01E2,{0x0C6,0x304,0x000}},
	{0x01E3,{0x0E6,0x304,0x000}}, {0x01E6,{0x047,0x30C,0x000}}, {0x01E7,{0x067,0x30C,0x000}},
	{0x01E8,{0x04B,0x30C,0x000}}, {0x01E9,{0x06B,0x30C,0x000}}, {0x01EA,{0x04F,0x328,0x000}},
	{0x01EB,{0x06F,0x328,0x000}}, {0x01EC,{0x04F,0x328,0x304}}, {0x01ED,{0x06F,0x328,0x304}},
	{0x01EE,{0x1B7,0x30C,0x000}}, {0x01F0,{0x06A,0x30C,0x000}}, {0x01F4,{0x047,0x301,0x000}},
	{0x01F5,{0x067,0x301,0x000}}, {0x01F8,{0x04E,0x300,0x000}}, {0x01F9,{0x06E,0x300,0x000}},
	{0x01FA,{0x041,0x30A,0x301}}, {0x01FB,{0x061,0x30A,0x301}}, {0x01FC,{0x0C6,0x301,0x000}},
	{0x01FD,{0x0E6,0x301,0x000}}, {0x01FE,{0x0D8,0x301,0x000}}, {0x01FF,{0x0F8,0x301,0x000}},
	{0x0200,{0x041,0x30F,0x000}}, {0x0201,{0x061,0x30F,0x000}}, {0x0202,{0x041,0x311,0x000}},
	{0x0203,{0x061,0x311,0x000}}, {0x0204,{0x045,0x30F,0x000}}, {0x0205,{0x065,0x30F,0x000}},
	{0x0206,{0x045,0x311,0x000}}, {0x0207,{0x065,0x311,0x000}}, {0x0208,{0x049,0x30F,0x000}},
	{0x0209,{0x069,0x30F,0x000}}, {0x020A,{0x049,0x311,0x000}}, {0x020B,{0x069,0x311,0x000}},
	{0x020C,{0x04F,0x30F,0x000}}, {0x020D,{0x06F,0x30F,0x000}}, {0x020E,{0x04F,0x311,0x000}},
	{0x020F,{0x06F,0x311,0x000}}, {0x0210,{0x052,0x30F,0x000}}, {0x0211,{0x072,0x30F,0x000}},
	{0x0212,{0x052,0x311,0x000}}, {0x0213,{0x072,0x311,0x000}}, {0x0214,{0x055,0x30F,0x000}},
	{0x0215,{0x075,0x30F,0x000}}, {0x0216,{0x055,0x311,0x000}}, {0x0217,{0x075,0x311,0x000}},
	{0x0218,{0x053,0x326,0x000}}, {0x0219,{0x073,0x326,0x000}}, {0x021A,{0x054,0x326,0x000}},
	{0x021B,{0x074,0x326,0x000}}, {0x021E,{0x048,0x30C,0x000}}, {0x021F,{0x068,0x30C,0x000}},
	{0x0226,{0x041,0x307,0x000}}, {0x0227,{0x061,0x307,0x000}}, {0x0228,{0x045,0x327,0x000}},
	{0x0229,{0x065,0x327,0x000}}, {0x022A,{0x04F,0x308,0x304}}, {0x022B,{0x06F,0x308,0x304}},
	{0x022C,{0x04F,0x303,0x304}}, {0x022D,{0x06F,0x303,0x304}}, {0x022E,{0x04F,0x307,0x000}},
	{0x022F,{0x06F,0x307,0x000}}, {0x0230,{0x04F,0x307,0x304}}, {0x0231,{0x06F,0x307,0x304}},
	{0x0232,{0x059,0x304,0x000}}, {0x0233,{0x079,0x304,0x000}}, {0x1E00,{0x041,0x325,0x000}},
	{0x1E01,{0x061,0x325,0x000}}, {0x1E02,{0x042,0x307,0x000}}, {0x1E03,{0x062,0x307,0x000}},
	{0x1E04,{0x042,0x323,0x000}}, {0x1E05,{0x062,0x323,0x000}}, {0x1E06,{0x042,0x331,0x000}},
	{0x1E07,{0x062,0x331,0x000}}, {0x1E08,{0x043,0x327,0x301}}, {0x1E09,{0x063,0x327,0x301}},
	{0x1E0A,{0x044,0x307,0x000}}, {0x1E0B,{0x064,0x307,0x000}}, {0x1E0C,{0x044,0x323,0x000}},
	{0x1E0D,{0x064,0x323,0x000}}, {0x1E0E,{0x044,0x331,0x000}}, {0x1E0F,{0x064,0x331,0x000}},
	{0x1E10,{0x044,0x327,0x000}}, {0x1E11,{0x064,0x327,0x000}}, {0x1E12,{0x044,0x32D,0x000}},
	{0x1E13,{0x064,0x32D,0x000}}, {0x1E14,{0x045,0x304,0x300}}, {0x1E15,{0x065,0x304,0x300}},
	{0x1E16,{0x045,0x304,0x301}}, {0x1E17,{0x065,0x304,0x301}}, {0x1E18,{0x045,0x32D,0x000}},
	{0x1E19,{0x065,0x32D,0x000}}, {0x1E1A,{0x045,0x330,0x000}}, {0x1E1B,{0x065,0x330,0x000}},
	{0x1E1C,{0x045,0x327,0x306}}, {0x1E1D,{0x065,0x327,0x306}}, {0x1E1E,{0x046,0x307,0x000}},
	{0x1E1F,{0x066,0x307,0x000}}, {0x1E20,{0x047,0x304,0x000}}, {0x1E21,{0x067,0x304,0x000}},
	{0x1E22,{0x048,0x307,0x000}}, {0x1E23,{0x068,0x307,0x000}}, {0x1E24,{0x048,0x323,0x000}},
	{0x1E25,{0x068,0x323,0x000}}, {0x1E26,{0x048,0x308,0x000}}, {0x1E27,{0x068,0x308,0x000}},
	{0x1E28,{0x048,0x327,0x000}}, {0x1E29,{0x068,0x327,0x000}}, {0x1E2A,{0x048,0x32E,0x000}},
	{0x1E2B,{0x068,0x32E,0x000}}, {0x1E2C,{0x049,0x330,0x000}}, {0x1E2D,{0x069,0x330,0x000}},
	{0x1E2E,{0x049,0x308,0x301}}, {0x1E2F,{0x069,0x308,0x301}}, {0x1E30,{0x04B,0x301,0x000}},
	{0x1E31,{0x06B,0x301,0x000}}, {0x1E32,{0x04B,0x323,0x000}}, {0x1E33,{0x06B,0x323,0x000}},
	{0x1E34,{0x04B,0x331,0x000}}, {0x1E35,{0x06B,0x331,0x000}}, {0x1E36,{0x04C,0x323,0x000}},
	{0x1E37,{0x06C,0x323,0x000}}, {0x1E38,{0x04C,0x323,0x304}}, {0x1E39,{0x06C,0x323,0x304}},
	{0x1E3A,{0x04C,0x331,0x000}}, {0x1E3B,{0x06C,0x331,0x000}}, {0x1E3C,{0x04C,0x32D,0x000}},
	{0x1E3D,{0x06C,0x32D,0x000}}, {0x1E3E,{0x04D,0x301,0x000}}, {0x1E3F,{0x06D,0x301,0x000}},
	{0x1E40,{0x04D,0x307,0x000}}, {0x1E41,{0x06D,0x307,0x000}}, {0x1E42,{0x04D,0x323,0x000}},
	{0x1E43,{0x06D,0x323,0x000}}, {0x1E44,{0x04E,0x307,0x000}}, {0x1E45,{0x06E,0x307,0x000}},
	{0x1E46,{0x04E,0x323,0x000}}, {0x1E47,{0x06E,0x323,0x000}}, {0x1E48,{0x04E,0x331,0x000}},
	{0x1E49,{0x06E,0x331,0x000}}, {0x1E4A,{0x04E,0x32D,0x000}}, {0x1E4B,{0x06E,0x32D,0x000}},
	{0x1E4C,{0x04F,0x303,0x301}}, {0x1E4D,{0x06F,0x303,0x301}}, {0x1E4E,{0x04F,0x303,0x308}},
	{0x1E4F,{0x06F,0x303,0x308}}, {0x1E50,{0x04F,0x304,0x300}}, {0x1E51,{0x06F,0x304,0x300}},
	{0x1E52,{0x04F,0x304,0x301}}, {0x1E53,{0x06F,0x304,0x301}}, {0x1E54,{0x050,0x301,0x000}},
	{0x1E55,{0x070,0x301,0x000}}, {0x1E56,{0x050,0x307,0x000}}, {0x1E57,{0x070,0x307,0x000}},
	{0x1E58,{0x052,0x307,0x000}}, {0x1E59,{0x072,0x307,0x000}}, {0x1E5A,{0x052,0x323,0x000}},
	{0x1E5B,{0x072,0x323,0x000}}, {0x1E5C,{0x052,0x323,0x304}}, {0x1E5D,{0x072,0x323,0x304}},
	{0x1E5E,{0x052,0x331,0x000}}, {0x1E5F,{0x072,0x331,0x000}}, {0x1E60,{0x053,0x307,0x000}},
	{0x1E61,{0x073,0x307,0x000}}, {0x1E62,{0x053,0x323,0x000}}, {0x1E63,{0x073,0x323,0x000}},
	{0x1E64,{0x053,0x301,0x307}}, {0x1E65,{0x073,0x301,0x307}}, {0x1E66,{0x053,0x30C,0x307}},
	{0x1E67,{0x073,0x30C,0x307}}, {0x1E68,{0x053,0x323,0x307}}, {0x1E69,{0x073,0x323,0x307}},
	{0x1E6A,{0x054,0x307,0x000}}, {0x1E6B,{0x074,0x307,0x000}}, {0x1E6C,{0x054,0x323,0x000}},
	{0x1E6D,{0x074,0x323,0x000}}, {0x1E6E,{0x054,0x331,0x000}}, {0x1E6F,{0x074,0x331,0x000}},
	{0x1E70,{0x054,0x32D,0x000}}, {0x1E71,{0x074,0x32D,0x000}}, {0x1E72,{0x055,0x324,0x000}},
	{0x1E73,{0x075,0x324,0x000}}, {0x1E74,{0x055,0x330,0x000}}, {0x1E75,{0x075,0x330,0x000}},
	{0x1E76,{0x055,0x32D,0x000}}, {0x1E77,{0x075,0x32D,0x000}}, {0x1E78,{0x055,0x303,0x301}},
	{0x1E79,{0x075,0x303,0x301}}, {0x1E7A,{0x055,0x304,0x308}}, {0x1E7B,{0x075,0x304,0x308}},
	{0x1E7C,{0x056,0x303,0x000}}, {0x1E7D,{0x076,0x303,0x000}}, {0x1E7E,{0x056,0x323,0x000}},
	{0x1E7F,{0x076,0x323,0x000}}, {0x1E80,{0x057,0x300,0x000}}, {0x1E81,{0x077,0x300,0x000}},
	{0x1E82,{0x057,0x301,0x000}}, {0x1E83,{0x077,0x301,0x000}}, {0x1E84,{0x057,0x308,0x000}},
	{0x1E85,{0x077,0x308,0x000}}, {0x1E86,{0x057,0x307,0x000}}, {0x1E87,{0x077,0x307,0x000}},
	{0x1E88,{0x057,0x323,0x000}}, {0x1E89,{0x077,0x323,0x000}}, {0x1E8A,{0x058,0x307,0x000}},
	{0x1E8B,{0x078,0x307,0x000}}, {0x1E8C,{0x058,0x308,0x000}}, {0x1E8D,{0x078,0x308,0x000}},
	{0x1E8E,{0x059,0x307,0x000}}, {0x1E8F,{0x079,0x307,0x000}}, {0x1E90,{0x05A,0x302,0x000}},
	{0x1E91,{0x07A,0x302,0x000}}, {0x1E92,{0x05A,0x323,0x000}}, {0x1E93,{0x07A,0x323,0x000}},
	{0x1E94,{0x05A,0x331,0x000}}, {0x1E95,{0x07A,0x331,0x000}}, {0x1E96,{0x068,0x331,0x000}},
	{0x1E97,{0x074,0x308,0x000}}, {0x1E98,{0x077,0x30A,0x000}}, {0x1E99,{0x079,0x30A,0x000}},
	{0x1E9B,{0x17F,0x307,0x000}}, {0x1EA0,{0x041,0x323,0x000}}, {0x1EA1,{0x061,0x323,0x000}},
	{0x1EA2,{0x041,0x309,0x000}}, {0x1EA3,{0x061,0x309,0x000}}, {0x1EA4,{0x041,0x302,0x301}},
	{0x1EA5,{0x061,0x302,0x301}}, {0x1EA6,{0x041,0x302,0x300}}, {0x1EA7,{0x061,0x302,0x300}},
	{0x1EA8,{0x041,0x302,0x309}}, {0x1EA9,{0x061,0x302,0x309}}, {0x1EAA,{0x041,0x302,0x303}},
	{0x1EAB,{0x061,0x302,0x303}}, {0x1EAC,{0x041,0x323,0x302}}, {0x1EAD,{0x061,0x323,0x302}},
	{0x1EAE,{0x041,0x306,0x301}}, {0x1EAF,{0x061,0x306,0x301}}, {0x1EB0,{0x041,0x306,0x300}},
	{0x1EB1,{0x061,0x306,0x300}}, {0x1EB2,{0x041,0x306,0x309}}, {0x1EB3,{0x061,0x306,0x309}},
	{0x1EB4,{0x041,0x306,0x303}}, {0x1EB5,{0x061,0x306,0x303}}, {0x1EB6,{0x041,0x323,0x306}},
	{0x1EB7,{0x061,0x323,0x306}}, {0x1EB8,{0x045,0x323,0x000}}, {0x1EB9,{0x065,0x323,0x000}},
	{0x1EBA,{0x045,0x309,0x000}}, {0x1EBB,{0x065,0x309,0x000}}, {0x1EBC,{0x045,0x303,0x000}},
	{0x1EBD,{0x065,0x303,0x000}}, {0x1EBE,{0x045,0x302,0x301}}, {0x1EBF,{0x065,0x302,0x301}},
	{0x1EC0,{0x045,0x302,0x300}}, {0x1EC1,{0x065,0x302,0x300}}, {0x1EC2,{0x045,0x302,0x309}},
	{0x1EC3,{0x065,0x302,0x309}}, {0x1EC4,{0x045,0x302,0x303}}, {0x1EC5,{0x065,0x302,0x303}},
	{0x1EC6,{0x045,0x323,0x302}}, {0x1EC7,{0x065,0x323,0x302}}, {0x1EC8,{0x049,0x309,0x000}},
	{0x1EC9,{0x069,0x309,0x000}}, {0x1ECA,{0x049,0x323,0x000}}, {0x1ECB,{0x069,0x323,0x000}},
	{0x1ECC,{0x04F,0x323,0x000}}, {0x1ECD,{0x06F,0x323,0x000}}, {0x1ECE,{0x04F,0x309,0x000}},
	{0x1ECF,{0x06F,0x309,0x000}}, {0x1ED0,{0x04F,0x302,0x301}}, {0x1ED1,{0x06F,0x302,0x301}},
	{0x1ED2,{0x04F,0x302,0x300}}, {0x1ED3,{0x06F,0x302,0x300}}, {0x1ED4,{0x04F,0x302,0x309}},
	{0x1ED5,{0x06F,0x302,0x309}}, {0x1ED6,{0x04F,0x302,0x303}}, {0x1ED7,{0x06F,0x302,0x303}},
	{0x1ED8,{0x04F,0x323,0x302}}, {0x1ED9,{0x06F,0x323,0x302}}, {0x1EDA,{0x04F,0x31B,0x301}},
	{0x1EDB,{0x06F,0x31B,0x301}}, {0x1EDC,{0x04F,0x31B,0x300}}, {0x1EDD,{0x06F,0x31B,0x300}},
	{0x1EDE,{0x04F,0x31B,0x309}}, {0x1EDF,{0x06F,0x31B,0x309}}, {0x1EE0,{0x04F,0x31B,0x303}},
	{0x1EE1,{0x06F,0x31B,0x303}}, {0x1EE2,{0x04F,0x31B,0x323}}, {0x1EE3,{0x06F,0x31B,0x323}},
	{0x1EE4,{0x055,0x323,0x000}}, {0x1EE5,{0x075,0x323,0x000}}, {0x1EE6,{0x055,0x309,0x000}},
	{0x1EE7,{0x075,0x309,0x000}}, {0x1EE8,{0x055,0x31B,0x301}}, {0x1EE9,{0x075,0x31B,0x301}},
	{0x1EEA,{0x055,0x31B,0x300}}, {0x1EEB,{0x075,0x31B,0x300}}, {0x1EEC,{0x055,0x31B,0x309}},
	{0x1EED,{0x075,0x31B,0x309}}, {0x1EEE,{0x055,0x31B,0x303}}, {0x1EEF,{0x075,0x31B,0x303}},
	{0x1EF0,{0x055,0x31B,0x323}}, {0x1EF1,{0x075,0x31B,0x323}}, {0x1EF2,{0x059,0x300,0x000}},
	{0x1EF3,{0x079,0x300,0x000}}, {0x1EF4,{0x059,0x323,0x000}}, {0x1EF5,{0x079,0x323,0x000}},
	{0x1EF6,{0x059,0x309,0x000}}, {0x1EF7,{0x079,0x309,0x000}}, {0x1EF8,{0x059,0x303,0x000}},
	{0x1EF9,{0x079,0x303,0x000}},
};
static const unsigned char ccc_0300[112] = {
	230, 230, 230, 230, 230, 230, 230, 230, 230, 230, 230, 230, 230, 230, 230, 230,
	230, 230, 230, 230, 230, 232, 220, 220, 220, 220, 232, 216, 220, 220, 220, 220,
	220, 202, 202, 220, 220, 220, 220, 202, 202, 220, 220, 220, 220, 220, 220, 220,
	220, 220, 220, 220, 1, 1, 1, 1, 1, 220, 220, 220, 220, 230, 230, 230,
	230, 230, 230, 230, 230, 240, 230, 220, 220, 220, 230, 230, 230, 220, 220, 0,
	230, 230, 230, 220, 220, 220, 220, 230, 232, 220, 220, 230, 233, 234, 234, 233,
	234, 234, 233, 230, 230, 230, 230, 230, 230, 230, 230, 230, 230, 230, 230, 230,
};

static const struct nfd_row *nfd_lookup(uint32_t cp)
{
	size_t lo = 0, hi = sizeof nfd_table / sizeof nfd_table[0];

	if (cp < 0xC0 || cp > 0x1EFF)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (nfd_table[mid].cp == cp)
			return &nfd_table[mid];
		if (nfd_table[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static unsigned ccc(uint32_t cp)
{
	return cp >= 0x300 && cp < 0x370 ? ccc_0300[cp - 0x300] : 0;
}

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
 * *out, length *outn). Canonical ordering (UAX #15, D108): within each run
 * of combining marks, a stable sort by combining class.
 */
static int name_key(uint32_t **out, size_t *outn, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), i = 0, k = 0;
	uint32_t *key;

	/* at most 3 code points per input byte */
	key = malloc((n * 3 + 1) * sizeof *key);
	if (key == NULL)
		return KHO_ENOMEM;
	while (i < n) {
		uint32_t cp;
		const struct nfd_row *row;

		i += utf8_next(s + i, n - i, &cp);
		row = nfd_lookup(cp);
		if (row == NULL) {
			key[k++] = cp;
		} else {
			for (int j = 0; j < 3 && row->d[j] != 0; j++)
				key[k++] = row->d[j];
		}
	}
	for (size_t a = 1; a < k; a++) {
		uint32_t c = key[a];
		size_t b = a;
		unsigned cc = ccc(c);
		if (cc == 0)
			continue;
		while (b > 0 && ccc(key[b - 1]) > cc) {
			key[b] = key[b - 1];
			b--;
		}
		key[b] = c;
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

	if (name_key(&rec.key, &rec.keylen, name) != 0)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
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
