/*
 * webverify.c: the public verification page and the open JSON API (see
 * webverify.h and docs/verify-page.md).
 *
 * Every answer is built from a verify_report (the same validation as
 * `kho verify`) that is first redacted: the subject's personal number is
 * removed and the subject's name masked, and as a second line of defence
 * every output (page, JSON, the downloadable reports) is scrubbed of the
 * personal number's digits wherever they might still appear (a file name,
 * say). Pages are written with one sticky-error writer; every string that
 * comes from a package, a certificate or the request is HTML-escaped.
 *
 * Enumeration resistance (issue 5, "the key is what prevents enumerating
 * results by guessing codes"): the QR path asks the archive for the key
 * hash of the code, compares with CRYPTO_memcmp against it or, for an
 * unknown code, against a dummy hash, and answers both failures with one
 * constant page that echoes nothing of the request. Nothing else about the
 * code is looked up before the key matched. An uploaded package's archive
 * status is shown only when its bytes are the archived package itself, or
 * when its seal verifies and its files are the archived result's
 * (upload_in_force), so a forged package naming someone else's result code
 * learns nothing either.
 */
#include "archive/webverify.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "archive/pkg.h"
#include "archive/qr.h"
#include "archive/record.h"
#include "common/utf8.h"
#include "common/util.h"

#define VN_UTC_OFFSET KHO_LOCAL_UTC_OFFSET   /* Vietnam: UTC+7, no daylight saving */
#define MAX_SHOWN_FILES 200         /* covered files listed on a page */

struct slot {
	uint64_t h;        /* keyed hash of the client address, 0 = free */
	double tokens;
	double last;       /* monotonic seconds */
};

struct webverify {
	webverify_config cfg;
	pkg_limits limits;  /* the reader's, for anonymous uploads (webverify_new) */
	char *base_url;
	webverify_archive arch;
	pthread_mutex_t mu;
	uint64_t salt;     /* keys the address hash, so collisions cannot be planned */
	struct slot slots[WEBVERIFY_RATE_SLOTS];
};

/* ---- output with a sticky error ----------------------------------------- */

struct out {
	kho_buf *b;
	int rc;
};

static void put(struct out *o, const char *s)
{
	if (o->rc == 0 && s != NULL)
		o->rc = kho_buf_append(o->b, s, strlen(s));
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	if (o->rc != 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		o->rc = KHO_EINTERNAL;   /* only short, fixed formats go through putf */
		return;
	}
	o->rc = kho_buf_append(o->b, tmp, (size_t)n);
}

/* esc: HTML-escape text content and attribute values (HTML 13.1.2.6). */
static void esc(struct out *o, const char *s)
{
	const char *p, *start;
	char *clean;

	if (s == NULL)
		return;
	/* Untrusted text (file names, names, reasons): no control, no bidi
	 * override ("ketqua<RLO>fdp.exe"), only valid UTF-8 (kho_text_clean;
	 * a newline stays), then HTML-escaped. */
	if ((clean = kho_text_clean(s, 1)) == NULL) {
		o->rc = KHO_ENOMEM;
		return;
	}
	s = clean;
	for (start = p = s; *p != '\0' && o->rc == 0; p++) {
		const char *r = NULL;
		switch (*p) {
		case '&': r = "&amp;"; break;
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '"': r = "&quot;"; break;
		case '\'': r = "&#39;"; break;
		default: break;   /* controls are already '?' (kho_text_clean) */
		}
		if (r != NULL) {
			o->rc = kho_buf_append(o->b, start, (size_t)(p - start));
			put(o, r);
			start = p + 1;
		}
	}
	if (o->rc == 0)
		o->rc = kho_buf_append(o->b, start, (size_t)(p - start));
	free(clean);
}

static const char *tr(enum webverify_lang l, const char *vi, const char *en)
{
	return l == WV_LANG_EN ? en : vi;
}

/* ---- small helpers ---------------------------------------------------------- */

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* A time as a person in Vietnam reads it. */
static char *vn_time(char *buf, size_t n, time_t t, enum webverify_lang l)
{
	struct tm tm;
	time_t lt = t + VN_UTC_OFFSET;

	if (gmtime_r(&lt, &tm) == NULL) {
		snprintf(buf, n, "?");
		return buf;
	}
	if (l == WV_LANG_EN)
		snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d (Vietnam time, UTC+7)",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, n, "%02d/%02d/%04d lúc %02d:%02d:%02d (giờ Việt Nam, UTC+7)", tm.tm_mday,
		         tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

/* "2025-03-14" -> "14/03/2025" in Vietnamese, unchanged in English. */
static char *vn_date(char *buf, size_t n, const char *d, enum webverify_lang l)
{
	int y, m, day;

	if (d != NULL && l == WV_LANG_VI && sscanf(d, "%4d-%2d-%2d", &y, &m, &day) == 3)
		snprintf(buf, n, "%02d/%02d/%04d", day, m, y);
	else
		snprintf(buf, n, "%s", d != NULL ? d : "");
	return buf;
}

/*
 * rdn: the value of attribute attr ("CN", "O") in an RFC 2253 name as
 * printed by OpenSSL ("CN=UBND xã Tân Phong,O=...", commas inside values
 * escaped as "\,"). Empty if absent.
 */
static void rdn(char *out, size_t n, const char *name, const char *attr)
{
	size_t al = strlen(attr), o = 0;
	const char *p = name;

	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		if (strncmp(p, attr, al) == 0 && p[al] == '=') {
			p += al + 1;
			while (*p != '\0' && *p != ',' && o + 1 < n) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				out[o++] = *p++;
			}
			out[o] = '\0';
			return;
		}
		/* skip to the next unescaped comma */
		while (*p != '\0' && *p != ',') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			p++;
		}
		if (*p == ',')
			p++;
	}
}

/* Length in bytes of the UTF-8 sequence that starts with c (1 for bad bytes). */
static size_t u8len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

void webverify_mask_name(char *out, size_t n, const char *name)
{
	size_t o = 0, i = 0, len, k;
	int word = 0, first_of_word = 1;

	if (n == 0)
		return;
	out[0] = '\0';
	if (name == NULL)
		return;
	len = strlen(name);
	while (i < len && o + 1 < n) {
		unsigned char c = (unsigned char)name[i];
		size_t cl = u8len(c);
		if (i > len - cl)   /* subtraction form: a truncated sequence at the end */
			cl = len - i;
		if (c == ' ' || c == '\t') {
			if (!first_of_word)
				word++;
			first_of_word = 1;
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';
			i++;
			continue;
		}
		if (word == 0 || first_of_word) {
			/* the family name whole; the first letter of other words */
			if (n - 1 - o < cl)
				break;
			for (k = 0; k < cl; k++)
				out[o++] = name[i + k];
		} else {
			out[o++] = '*';
		}
		first_of_word = 0;
		i += cl;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* What must never leave the module in clear, and what replaces it. */
struct redaction {
	size_t n;                /* subjects: the record's first, then its others */
	struct {
		char pid[64];        /* the personal number (or enterprise code) */
		char name[256];      /* the subject's full name as in record.xml */
		char masked[256];    /* webverify_mask_name of it */
	} s[RECORD_MAX_SUBJECTS];
};

/* replace_all: every occurrence of from in b becomes to (a new buffer). */
static int replace_all(kho_buf *b, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), i = 0, start = 0;
	kho_buf n;
	int rc = 0, hit = 0;

	if (fl == 0 || b->data == NULL || b->len < fl)
		return 0;
	kho_buf_init(&n, b->max);
	while (rc == 0 && i <= b->len - fl) {
		if (memcmp(b->data + i, from, fl) == 0) {
			hit = 1;
			if ((rc = kho_buf_append(&n, b->data + start, i - start)) == 0)
				rc = kho_buf_append(&n, to, tl);
			i += fl;
			start = i;
		} else {
			i++;
		}
	}
	if (rc == 0 && hit)
		rc = kho_buf_append(&n, b->data + start, b->len - start);
	if (rc == 0 && hit) {
		kho_buf_free(b);
		*b = n;
	} else {
		kho_buf_free(&n);
	}
	return rc;
}

/*
 * scrub: the second line of defence over every output: the personal number
 * becomes asterisks wherever it still appears (a file name, say), and the
 * full name its masked form (a title such as "Trích lục khai sinh của
 * Trần Thị Bảo Ngọc" carries it).
 */
/* by_length: the subjects' indexes, longest name first: a name inside a
 * longer one ("Nguyễn Văn An", "Nguyễn Văn Anh") replaced first would break
 * the longer one's match and leave its tail in clear. */
static void by_length(const struct redaction *rd, size_t order[RECORD_MAX_SUBJECTS])
{
	size_t i, j;

	for (i = 0; i < rd->n; i++) {
		size_t len = strlen(rd->s[i].name);
		for (j = i; j > 0 && strlen(rd->s[order[j - 1]].name) < len; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
}

/* The separators people write inside a number ("055 225 001 234",
 * "055.225.001.234", "055_225", a no-break or fullwidth space, a fullwidth
 * hyphen), at most three in a row: their byte length, else 0. */
static size_t separators_at(const unsigned char *p, size_t left)
{
	size_t n = 0, k;

	for (k = 0; k < 3; k++) {
		if (left - n >= 1 && (p[n] == ' ' || p[n] == '.' || p[n] == '-' || p[n] == '_' ||
		                      p[n] == ',' || p[n] == '/'))
			n += 1;
		else if (left - n >= 2 && p[n] == 0xc2 && p[n + 1] == 0xa0)
			n += 2;
		else if (left - n >= 3 && ((p[n] == 0xef && p[n + 1] == 0xbc && p[n + 2] == 0x8d) ||
		                           (p[n] == 0xe3 && p[n + 1] == 0x80 && p[n + 2] == 0x80)))
			n += 3;
		else
			break;
	}
	return n;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* mask_number: every digit of each occurrence of pid in b becomes '*':
 * its digits ASCII or fullwidth, separators allowed between two digits
 * (found by review: a spaced-out or fullwidth personal number was shown as
 * is); a character of pid that is no digit (the '-' of a branch's
 * enterprise code) must be there as it is. */
static void mask_number(kho_buf *b, const char *pid)
{
	size_t sl = strlen(pid), i, j, k, at[64], len[64];

	if (sl < 6 || sl > 64 || b->data == NULL)
		return;
	for (i = 0; i < b->len; i++) {
		for (j = i, k = 0; k < sl; k++) {
			char d;
			size_t dl = is_digit(pid[k]) ? kho_digit_at(b->data + j, b->len - j, &d)
			            : j < b->len && b->data[j] == (unsigned char)pid[k] ? (d = pid[k], 1) : 0;
			if (dl == 0 || d != pid[k])
				break;
			at[k] = j;
			len[k] = dl;
			j += dl;
			if (k + 1 < sl && is_digit(pid[k]) && is_digit(pid[k + 1]))
				j += separators_at(b->data + j, b->len - j);
		}
		if (k < sl)
			continue;
		for (k = 0; k < sl; k++)
			memset(b->data + at[k], '*', len[k]);
		i = at[sl - 1] + len[sl - 1] - 1;
	}
}

static int scrub(kho_buf *b, const struct redaction *rd)
{
	size_t k, order[RECORD_MAX_SUBJECTS];
	int rc = 0;

	if (rd == NULL)
		return 0;
	/* Composed form first: a name written with combining marks looks the
	 * same and would not match byte for byte (found by review: a signer
	 * field spelling the subject's name so showed it in clear). The names
	 * looked for are composed too (redact). */
	if (b->data != NULL && (rc = kho_utf8_nfc(b)) != 0)
		return rc;
	by_length(rd, order);
	for (size_t o = 0; o < rd->n && rc == 0; o++) {
		k = order[o];
		mask_number(b, rd->s[k].pid);
		if (rd->s[k].name[0] != '\0' && strcmp(rd->s[k].name, rd->s[k].masked) != 0)
			rc = replace_all(b, rd->s[k].name, rd->s[k].masked);
	}
	return rc;
}

/* redact_str: a subject's name -> masked inside one string of the record. */
static int redact_str(char **s, const char *name, const char *masked)
{
	kho_buf b;
	unsigned char *d;
	int rc;

	if (*s == NULL || name[0] == '\0' || strstr(*s, name) == NULL)
		return 0;
	kho_buf_init(&b, RECORD_MAX_SIZE);
	if ((rc = kho_buf_append(&b, *s, strlen(*s))) == 0 && (rc = replace_all(&b, name, masked)) == 0) {
		d = kho_buf_steal(&b, NULL);
		if (d == NULL)
			rc = KHO_ENOMEM;
		else {
			free(*s);
			*s = (char *)d;
		}
	}
	kho_buf_free(&b);
	return rc;
}

/* nfc_str: s (capacity n) in normalization form C, cut after a whole
 * character if it grew past n; left as it was if that fails. */
static void nfc_str(char *s, size_t n)
{
	kho_buf b;

	kho_buf_init(&b, 4 * n);
	if (kho_buf_append(&b, s, strlen(s)) == 0 && kho_utf8_nfc(&b) == 0 && b.data != NULL) {
		snprintf(s, n, "%s", (const char *)b.data);
		kho_utf8_cut(s, strlen(s));
	}
	kho_buf_free(&b);
}

static void strv_redact(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] != NULL)
			kho_redact_numbers(v[i]);
}

/*
 * The numbers of file names masked (kho_redact_numbers); names that masking
 * made equal ("scan_20250314101530.pdf", "scan_20250314101545.pdf") get
 * their position, " #N", so that "ALTERED" still names one file (found by
 * review, 2026-12-08).
 */
static int redact_names(vr_object *o, size_t n)
{
	size_t i, j;

	unsigned char *same = calloc(n ? n : 1, 1);

	if (same == NULL)
		return KHO_ENOMEM;
	for (i = 0; i < n; i++)
		if (o[i].name != NULL)
			kho_redact_numbers(o[i].name);
	for (i = 0; i < n; i++)
		for (j = 0; j < n && !same[i]; j++)
			same[i] = j != i && o[i].name != NULL && o[j].name != NULL &&
			          strcmp(o[i].name, o[j].name) == 0 && strstr(o[i].name, "[number]") != NULL;
	for (i = 0; i < n; i++) {
		if (same[i]) {
			size_t l = strlen(o[i].name);
			char *m = realloc(o[i].name, l + 24);
			if (m == NULL) {
				free(same);
				return KHO_ENOMEM;
			}
			snprintf(m + l, 24, " #%zu", i + 1);
			o[i].name = m;
		}
	}
	free(same);
	return 0;
}

/*
 * redact: take the personal number out of the report and mask the
 * subject's name (also where another field repeats it), before anything is
 * written; rd keeps what scrub must still look for.
 */
static int redact(verify_report *r, struct redaction *rd)
{
	record *rec;
	char *m;
	size_t k, order[RECORD_MAX_SUBJECTS];
	int rc;

	memset(rd, 0, sizeof *rd);
	if (r == NULL)
		return 0;
	/* File names may carry anyone's number (a parent's identity card
	 * scan, "CCCD cha ... 079060111222.pdf"), which the subjects' masks do
	 * not find: every number that could be a personal number or an
	 * enterprise code is masked in them (found by review, 2026-12-08). */
	for (k = 0; k < r->nsigs; k++) {
		if ((rc = redact_names(r->sigs[k].objects, r->sigs[k].nobjects)) != 0)
			return rc;
		/* the reasons quote the names ("X does not match its digest") */
		strv_redact(r->sigs[k].reasons, r->sigs[k].nreasons);
		strv_redact(r->sigs[k].warnings, r->sigs[k].nwarnings);
	}
	if ((rc = redact_names(r->unsigned_objects, r->nunsigned)) != 0)
		return rc;
	strv_redact(r->reasons, r->nreasons);
	strv_redact(r->warnings, r->nwarnings);
	if (r->record == NULL)
		return 0;
	rec = r->record;
	/* The title is free text that often names other people than the
	 * subjects (a business registration names its owner), whom no mask
	 * can find: a public answer leaves it out; the result type and code
	 * say what the result is. */
	free(rec->title);
	rec->title = NULL;
	/* Every subject: the first and the others (both spouses of a
	 * marriage registration). */
	rd->n = 1 + rec->nothers;
	for (k = 0; k < rd->n; k++) {
		char **id = k == 0 ? &rec->subject_id : &rec->others[k - 1].id;
		char **name = k == 0 ? &rec->subject_name : &rec->others[k - 1].name;
		if (*id != NULL) {
			snprintf(rd->s[k].pid, sizeof rd->s[k].pid, "%s", *id);
			OPENSSL_cleanse(*id, strlen(*id));
			free(*id);
			*id = NULL;
		}
		if (*name == NULL)
			continue;
		snprintf(rd->s[k].name, sizeof rd->s[k].name, "%s", *name);
		nfc_str(rd->s[k].name, sizeof rd->s[k].name);   /* as scrub compares */
		webverify_mask_name(rd->s[k].masked, sizeof rd->s[k].masked, rd->s[k].name);
		if ((m = xstrdup(rd->s[k].masked)) == NULL)
			return KHO_ENOMEM;
		free(*name);
		*name = m;
	}
	by_length(rd, order);
	for (k = 0; k < rd->n; k++)
		if ((rc = redact_str(&rec->signer, rd->s[order[k]].name, rd->s[order[k]].masked)) != 0 ||
		    (rc = redact_str(&rec->number_symbol, rd->s[order[k]].name,
		                     rd->s[order[k]].masked)) != 0)
			return rc;
	return 0;
}

static void redaction_wipe(struct redaction *rd)
{
	OPENSSL_cleanse(rd, sizeof *rd);
}

/* ---- words ---------------------------------------------------------------- */

/* ANS_DESTROYED: the QR path of a record destroyed at the end of its
 * retention period (issue 4 item 9): nothing is left to verify, only the
 * tombstone statement. */
enum answer { ANS_VALID, ANS_INVALID, ANS_INDETERMINATE, ANS_NOT_ARCHIVED, ANS_DESTROYED };

static enum answer answer_of(const verify_report *r)
{
	if (r == NULL || r->over_limits)
		return ANS_INDETERMINATE;
	switch (r->indication) {
	case VR_TOTAL_PASSED: return ANS_VALID;
	case VR_TOTAL_FAILED: return ANS_INVALID;
	default: return ANS_INDETERMINATE;
	}
}

static const char *answer_word(enum answer a, enum webverify_lang l)
{
	switch (a) {
	case ANS_VALID: return tr(l, "Hợp lệ", "Valid");
	case ANS_INVALID: return tr(l, "Không hợp lệ", "Not valid");
	case ANS_NOT_ARCHIVED: return tr(l, "Không có trong kho lưu trữ", "Not archived");
	case ANS_DESTROYED: return tr(l, "Đã tiêu hủy", "Destroyed");
	default: return tr(l, "Chưa xác định", "Cannot be confirmed");
	}
}

static const char *answer_code(enum answer a)
{
	switch (a) {
	case ANS_VALID: return "valid";
	case ANS_INVALID: return "invalid";
	case ANS_NOT_ARCHIVED: return "not-archived";
	case ANS_DESTROYED: return "destroyed";
	default: return "indeterminate";
	}
}

/* The reason in plain words, per ETSI EN 319 102-1 sub-indication. */
static const char *reason_words(enum vr_sub s, enum webverify_lang l)
{
	switch (s) {
	case VR_SUB_NONE:
		return tr(l, "Chữ ký số hợp lệ và nội dung không bị thay đổi kể từ khi ký.",
		          "The digital seal is valid and the content has not changed since it was signed.");
	case VR_FORMAT_FAILURE:
		return tr(l, "Tệp không phải là gói niêm phong (ASiC-E) đúng định dạng, hoặc đã bị hỏng.",
		          "The file is not a well-formed sealed package (ASiC-E), or it is damaged.");
	case VR_HASH_FAILURE:
		return tr(l, "Nội dung của ít nhất một tệp đã bị thay đổi sau khi ký.",
		          "The content of at least one file was changed after it was signed.");
	case VR_SIG_CRYPTO_FAILURE:
		return tr(l, "Chữ ký số không khớp với nội dung: chữ ký bị hỏng hoặc bị giả mạo.",
		          "The digital signature does not match the content: it is damaged or forged.");
	case VR_REVOKED:
		return tr(l, "Chứng thư số của người ký đã bị thu hồi trước thời điểm ký.",
		          "The signer's certificate had been revoked before the signature was made.");
	case VR_NOT_YET_VALID:
		return tr(l, "Chứng thư số của người ký chưa có hiệu lực tại thời điểm ký.",
		          "The signer's certificate was not yet valid when the signature was made.");
	case VR_NO_CERTIFICATE_CHAIN_FOUND:
		return tr(l, "Không xác định được người ký: chứng thư số không do tổ chức cung cấp dịch vụ "
		             "chứng thực được tin cậy cấp.",
		          "The signer cannot be traced to a trusted certification authority.");
	case VR_NO_SIGNING_CERTIFICATE_FOUND:
		return tr(l, "Không tìm thấy chứng thư số của người ký trong gói.",
		          "The signer's certificate is not in the package.");
	case VR_SIGNED_DATA_NOT_FOUND:
		return tr(l, "Thiếu một tệp đã được ký trong gói.",
		          "A file that was signed is missing from the package.");
	case VR_OUT_OF_BOUNDS_NO_POE:
		return tr(l, "Chứng thư số đã hết hạn và không có dấu thời gian chứng minh chữ ký có trước "
		             "khi hết hạn.",
		          "The certificate has expired and no timestamp proves the signature existed before.");
	case VR_REVOKED_NO_POE:
		return tr(l, "Chứng thư số đã bị thu hồi và không có bằng chứng chữ ký có trước khi thu hồi.",
		          "The certificate was revoked and nothing proves the signature existed before.");
	case VR_TIMESTAMP_ORDER_FAILURE:
		return tr(l, "Thời điểm ký ghi trong chữ ký muộn hơn dấu thời gian.",
		          "The signing time claimed in the signature is later than its timestamp.");
	case VR_CRYPTO_CONSTRAINTS_FAILURE:
		return tr(l, "Chữ ký dùng thuật toán hoặc độ dài khóa không còn được chấp nhận.",
		          "The signature uses an algorithm or key size that is no longer accepted.");
	case VR_EXPIRED:
		return tr(l, "Chứng thư số đã hết hạn.", "The certificate has expired.");
	case VR_TRY_LATER:
		return tr(l, "Chưa có đủ thông tin về tình trạng thu hồi chứng thư; hãy thử lại sau.",
		          "Revocation information is not available yet; try again later.");
	case VR_CHAIN_CONSTRAINTS_FAILURE:
		return tr(l, "Chuỗi chứng thư số không đáp ứng chính sách kiểm tra.",
		          "The certificate chain does not meet the validation policy.");
	case VR_SIG_CONSTRAINTS_FAILURE:
		return tr(l, "Chữ ký không đáp ứng chính sách kiểm tra.",
		          "The signature does not meet the validation policy.");
	}
	return tr(l, "Không rõ lý do.", "Unknown reason.");
}

/* The reason in words of a report: its sub-indication's, or, for a package
 * larger than the public unpacking budget, that it cannot be checked here
 * (found by review: such a genuine package was called invalid). */
static const char *reason_of(const verify_report *r, enum webverify_lang l)
{
	if (r->over_limits)
		return tr(l, "Gói này quá lớn để kiểm tra trên trang này (vượt giới hạn giải nén); hãy"
		             " kiểm tra bằng công cụ kho verify hoặc liên hệ kho lưu trữ.",
		          "This package is too large to be checked on this page (it unpacks past the"
		          " page's limit); check it with kho verify or ask the archive.");
	return reason_words(r->sub, l);
}

/* A code and its words in each language (result types, statuses). */
struct words {
	const char *k, *vi, *en;
};

/* words_of: the words of code k in table w (n entries), NULL if none. */
static const char *words_of(const struct words *w, size_t n, const char *k,
                            enum webverify_lang l)
{
	size_t i;

	for (i = 0; k != NULL && i < n; i++)
		if (strcmp(k, w[i].k) == 0)
			return tr(l, w[i].vi, w[i].en);
	return NULL;
}

/* The result types of the procedures kho knows (testdata/records/,
 * docs/record.md) by name; another type is shown as written. */
static const char *result_type_words(const char *t, enum webverify_lang l)
{
	static const struct words w[] = {
		{ "birth-registration", "Đăng ký khai sinh", "Birth registration" },
		{ "marriage-registration", "Đăng ký kết hôn", "Marriage registration" },
		{ "marital-status-certificate", "Giấy xác nhận tình trạng hôn nhân",
		  "Certificate of marital status" },
		{ "certified-copy", "Bản sao chứng thực", "Certified copy" },
		{ "building-permit", "Giấy phép xây dựng", "Building permit" },
		{ "household-business-registration", "Giấy chứng nhận đăng ký hộ kinh doanh",
		  "Household business registration" },
		{ "judicial-record-certificate", "Phiếu lý lịch tư pháp", "Judicial record certificate" },
		{ "refusal-notice", "Văn bản từ chối giải quyết hồ sơ", "Refusal notice" },
	};
	const char *r = words_of(w, sizeof w / sizeof w[0], t, l);

	return r != NULL ? r : t;
}

static const char *status_words(const char *s, enum webverify_lang l)
{
	static const struct words w[] = {
		{ "valid", "Còn hiệu lực", "Valid today" },
		{ "expired", "Đã hết hiệu lực", "Expired" },
		{ "superseded", "Đã được thay thế (cấp đổi, cấp lại)", "Superseded by a newer result" },
		{ "revoked", "Đã bị thu hồi", "Revoked" },
		{ "annulled", "Đã bị hủy bỏ", "Annulled" },
		{ "suspended", "Đang bị tạm đình chỉ", "Suspended" },
		{ "not-yet-valid", "Chưa có hiệu lực", "Not yet in force" },
		{ "destroyed", "Đã hết thời hạn lưu trữ và đã được tiêu hủy",
		  "Destroyed at the end of its retention period" },
	};

	return words_of(w, sizeof w / sizeof w[0], s, l);
}

static const char *object_state_words(enum vr_object_state s, enum webverify_lang l)
{
	switch (s) {
	case VR_OBJ_OK: return tr(l, "nguyên vẹn", "intact");
	case VR_OBJ_HASH_FAILURE: return tr(l, "ĐÃ BỊ THAY ĐỔI", "ALTERED");
	case VR_OBJ_MISSING: return tr(l, "BỊ THIẾU", "MISSING");
	case VR_OBJ_UNSIGNED: return tr(l, "không được ký", "not signed");
	default: return tr(l, "không kiểm tra được", "cannot be checked");
	}
}

/* ---- the archive's view of an answer ------------------------------------- */

struct arch_info {
	int known;                         /* the archive holds this result (and showed it) */
	char code[WEBVERIFY_CODE_MAX];
	char status[WEBVERIFY_STATUS_MAX];
	int same_package;                  /* the uploaded package is the archived one */
	int uploaded_other;                /* an upload that is not the archived package */
	int destroyed;                     /* the record was destroyed: tomb says how */
	int renewed_copy;                  /* the upload is an earlier package of the result,
	                                      renewed since (the archive's holds all its bytes) */
	/* Whether the result is in force today: 1, 0, or -1 when nothing
	 * establishes it (a valid seal says nothing of today: a revoked
	 * result's package, unzipped and zipped again, still verifies). */
	int in_force;
	int same_files;                    /* other bytes, but exactly the archived package's
	                                      files: the archived result's status is its own */
	int by_file;                       /* other bytes; a file of it is archived as this
	                                      result, which is not in force today (status) */
	int paper;                         /* the QR path: the page asks to compare it with
	                                      the paper copy in hand */
	int by_dates;                      /* not archived; not in force by the validity dates
	                                      of its own sealed record (status: "expired" or
	                                      "not-yet-valid") */
	webverify_tombstone tomb;
};

/*
 * The tombstone statement in words: "destroyed on D under decision N".
 * The code and decision come from the archive; the caller escapes.
 */
static void destroyed_words(char *out, size_t n, const webverify_tombstone *t,
                            enum webverify_lang l)
{
	char d1[32], d2[32];

	if (l == WV_LANG_VI)
		snprintf(out, n, "Kết quả %s đã được tiêu hủy ngày %s theo quyết định %s ngày %s"
		         " (đợt hủy số %lld), khi hết thời hạn lưu trữ. Kho không còn giữ nội dung"
		         " của kết quả này.", t->code, vn_date(d1, sizeof d1, t->destroyed_on, l),
		         t->decision, vn_date(d2, sizeof d2, t->decision_date, l), t->batch);
	else
		snprintf(out, n, "Result %s was destroyed on %s under decision %s of %s (disposition"
		         " batch %lld), at the end of its retention period. The archive no longer"
		         " holds its content.", t->code, t->destroyed_on, t->decision,
		         t->decision_date, t->batch);
}

static json_t *jstr(const char *s);

/* The tombstone as the "archive" member of a JSON answer. */
static json_t *jtomb(const webverify_tombstone *t, enum webverify_lang l)
{
	char w[800];

	destroyed_words(w, sizeof w, t, l);
	/* The decision number is stored as a records manager typed it, maybe
	 * not in UTF-8 (Windows-1258's Đ is 0xD0): json_pack would refuse it. */
	return json_pack("{s:o,s:o,s:o,s:o,s:I,s:o}", "result_code", jstr(t->code), "destroyed_on",
	                 jstr(t->destroyed_on), "decision", jstr(t->decision), "decision_date",
	                 jstr(t->decision_date), "batch", (json_int_t)t->batch, "statement", jstr(w));
}

/* ---- page shell ------------------------------------------------------------ */

static const char css[] =
	"*{box-sizing:border-box}"
	"body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\","
	"Arial,sans-serif;font-size:1.05rem;line-height:1.5;color:#1a1a1a;background:#f4f5f7}"
	"header{background:#8b1a1a;color:#fff;padding:.75rem 1rem}"
	"header .in{max-width:46rem;margin:0 auto;display:flex;justify-content:space-between;"
	"align-items:center;gap:1rem;flex-wrap:wrap}"
	"header a{color:#fff}"
	".brand{font-weight:700;font-size:1.1rem}"
	"main{max-width:46rem;margin:0 auto;padding:1rem}"
	"h1{font-size:1.5rem;margin:.5rem 0 1rem}"
	"h2{font-size:1.2rem;margin:1.5rem 0 .5rem}"
	".card{background:#fff;border:1px solid #d0d4da;border-radius:.5rem;padding:1rem;"
	"margin:0 0 1rem}"
	".card>p:first-child{margin-top:0}"
	"label{display:block;font-weight:600;margin:0 0 .5rem}"
	"input[type=file]{display:block;width:100%;padding:.75rem;border:2px dashed #5f6b7a;"
	"border-radius:.5rem;background:#fafbfc;font-size:1rem}"
	"button{margin-top:1rem;font-size:1.1rem;font-weight:600;padding:.75rem 1.5rem;"
	"border:0;border-radius:.5rem;background:#0b57d0;color:#fff;cursor:pointer;"
	"min-height:48px;width:100%}"
	"button:hover{background:#0842a0}"
	/* Focus outlines at least 3:1 against what surrounds them (WCAG 2.1
	 * 1.4.11; found by review: #f2a900 was 2.0:1 on white): #b35c00 is
	 * 4.7:1 on the cards' white and 4.3:1 on the page's #f4f5f7; on the
	 * dark red header, white (9.5:1). */
	"a:focus,button:focus,input:focus,summary:focus{outline:3px solid #b35c00;"
	"outline-offset:2px}"
	"header a:focus{outline-color:#fff}"
	".hint{color:#444;font-size:.95rem}"
	".verdict{border-radius:.5rem;padding:1rem;margin:0 0 1rem;border:2px solid}"
	".verdict .word{font-size:1.8rem;font-weight:800;display:block}"
	".verdict p{margin:.25rem 0 0}"
	".valid{background:#e6f4ea;color:#0b5d28;border-color:#0b5d28}"
	".invalid{background:#fce8e6;color:#a50e0e;border-color:#a50e0e}"
	".indeterminate{background:#fff4d6;color:#6b4100;border-color:#8a5a00}"
	".not-archived,.destroyed{background:#eef0f3;color:#2b2f36;border-color:#5f6b7a}"
	".not-in-force{background:#fff4d6;color:#6b4100;border-color:#8a5a00}"
	".force-unknown{background:#eef0f3;color:#2b2f36;border-color:#5f6b7a}"
	"dl{margin:0;display:grid;grid-template-columns:minmax(8rem,34%) 1fr;gap:.4rem 1rem}"
	"dt{font-weight:600;color:#333}"
	"dd{margin:0;overflow-wrap:anywhere}"
	"ul.files{margin:.25rem 0 0;padding-left:1.2rem}"
	".bad{color:#a50e0e;font-weight:700}"
	".compare{background:#e8f0fe;border-left:4px solid #0b57d0;padding:.5em .75em;margin:0 0 .75em}"
	".claims{background:#fff4e5;border-left:4px solid #b06000;padding:.5em .75em;margin:0 0 .75em}"
	".status-ok{color:#0b5d28;font-weight:700}"
	".status-no{color:#a50e0e;font-weight:700}"
	"details{background:#fff;border:1px solid #d0d4da;border-radius:.5rem;padding:.5rem 1rem;"
	"margin:0 0 1rem}"
	"summary{cursor:pointer;font-weight:600;padding:.25rem 0}"
	"code,.mono{font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;font-size:.9rem;"
	"overflow-wrap:anywhere}"
	".links a{display:inline-block;margin:.25rem 1rem .25rem 0}"
	"footer{max-width:46rem;margin:0 auto;padding:1rem;color:#444;font-size:.9rem}"
	"@media (max-width:30rem){dl{grid-template-columns:1fr}dt{margin-top:.5rem}"
	"h1{font-size:1.3rem}.verdict .word{font-size:1.5rem}}";

/* page_begin: switch_href is the same page in the other language. */
static void page_begin(struct out *o, enum webverify_lang l, const char *title,
                       const char *switch_href, int noindex)
{
	put(o, "<!DOCTYPE html>\n<html lang=\"");
	put(o, tr(l, "vi", "en"));
	put(o, "\">\n<head>\n<meta charset=\"utf-8\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	       "<meta name=\"referrer\" content=\"no-referrer\">\n");
	if (noindex)
		put(o, "<meta name=\"robots\" content=\"noindex, nofollow\">\n");
	put(o, "<title>");
	esc(o, title);
	put(o, " – kho</title>\n<style>");
	put(o, css);
	put(o, "</style>\n</head>\n<body>\n<header><div class=\"in\"><span class=\"brand\">");
	put(o, tr(l, "Kho lưu trữ kết quả điện tử", "Electronic results archive"));
	put(o, "</span><a href=\"");
	esc(o, switch_href);
	put(o, l == WV_LANG_EN ? "\" lang=\"vi\" hreflang=\"vi\">Tiếng Việt</a>"
	                       : "\" lang=\"en\" hreflang=\"en\">English</a>");
	put(o, "</div></header>\n<main>\n<h1>");
	esc(o, title);
	put(o, "</h1>\n");
}

static void page_end(struct out *o, enum webverify_lang l, int again)
{
	if (again) {
		put(o, "<p class=\"links\"><a href=\"/verify");
		put(o, l == WV_LANG_EN ? "?lang=en" : "");
		put(o, "\">");
		put(o, tr(l, "Kiểm tra tệp khác", "Check another file"));
		put(o, "</a></p>\n");
	}
	put(o, "</main>\n<footer><p>");
	put(o, tr(l, "Trang này không lưu tệp bạn tải lên và không hiển thị số định danh cá nhân. "
	             "Kết quả kiểm tra giống với công cụ kiểm tra ngoại tuyến <code>kho verify</code>.",
	          "This page does not keep the file you upload and never shows a personal "
	          "identification number. It gives the same answer as the offline verifier "
	          "<code>kho verify</code>."));
	put(o, "</p></footer>\n</body>\n</html>\n");
}

static void form_card(struct out *o, enum webverify_lang l, size_t max_upload)
{
	put(o, "<form class=\"card\" method=\"post\" action=\"/verify");
	put(o, l == WV_LANG_EN ? "?lang=en" : "");
	put(o, "\" enctype=\"multipart/form-data\">\n<label for=\"file\">");
	put(o, tr(l, "Chọn gói niêm phong (.asice) hoặc tệp kết quả (ví dụ PDF đã ký)",
	          "Choose a sealed package (.asice) or a result file (such as a signed PDF)"));
	put(o, "</label>\n<input type=\"file\" id=\"file\" name=\"file\" required "
	       "aria-describedby=\"file-hint\">\n<p class=\"hint\" id=\"file-hint\">");
	if (l == WV_LANG_EN)
		putf(o, "At most %zu MB. The file is only checked, never kept.", max_upload >> 20);
	else
		putf(o, "Tối đa %zu MB. Tệp chỉ được dùng để kiểm tra, không được lưu lại.",
		     max_upload >> 20);
	put(o, "</p>\n<button type=\"submit\">");
	put(o, tr(l, "Kiểm tra", "Verify"));
	put(o, "</button>\n</form>\n");
}

static int render_form(webverify *wv, enum webverify_lang l, kho_buf *b)
{
	struct out o = { b, 0 };

	page_begin(&o, l, tr(l, "Kiểm tra kết quả giải quyết thủ tục hành chính",
	                     "Check a result of an administrative procedure"),
	           l == WV_LANG_EN ? "/verify" : "/verify?lang=en", 0);
	put(&o, "<p>");
	put(&o, tr(l, "Trang này cho biết một kết quả điện tử có phải do cơ quan có thẩm quyền cấp, "
	              "có bị thay đổi hay không, ai ký, ký khi nào và hôm nay còn hiệu lực không.",
	           "This page tells whether an electronic result was issued by the competent agency, "
	           "whether it was altered, who signed it and when, and whether it is still valid "
	           "today."));
	put(&o, "</p>\n");
	form_card(&o, l, wv->cfg.max_upload);
	put(&o, "<h2>");
	put(&o, tr(l, "Bản giấy có mã QR?", "A paper copy with a QR code?"));
	put(&o, "</h2>\n<p>");
	put(&o, tr(l, "Quét mã QR in trên bản giấy bằng camera điện thoại: trang kiểm tra của kết quả "
	              "sẽ mở ra.",
	           "Scan the QR code printed on the paper copy with a phone camera: the result's "
	           "verification page opens."));
	put(&o, "</p>\n");
	page_end(&o, l, 0);
	return o.rc;
}

/* ---- the statement about a package ------------------------------------------ */

static const vr_signature *first_sig(const verify_report *r)
{
	return r != NULL && r->nsigs > 0 ? &r->sigs[0] : NULL;
}

static int has_ts(const vr_signature *s, time_t *t)
{
	size_t i;

	for (i = 0; s != NULL && i < s->ntimestamps; i++)
		if (s->timestamps[i].imprint_ok && s->timestamps[i].signature_ok) {
			*t = s->timestamps[i].gen_time;
			return 1;
		}
	return 0;
}

static void dl_row(struct out *o, const char *k, const char *v)
{
	if (v == NULL || *v == '\0')
		return;
	put(o, "<dt>");
	put(o, k);
	put(o, "</dt><dd>");
	esc(o, v);
	put(o, "</dd>\n");
}

/* data: URL download link of a report (no external resource, no script). */
static void download_link(struct out *o, const kho_buf *doc, const char *mime, const char *name,
                          const char *label)
{
	char *b64;

	if (o->rc != 0 || doc->data == NULL)
		return;
	b64 = kho_base64_encode(doc->data, doc->len);
	if (b64 == NULL) {
		o->rc = KHO_ENOMEM;
		return;
	}
	put(o, "<a download=\"");
	put(o, name);
	put(o, "\" href=\"data:");
	put(o, mime);
	put(o, ";base64,");
	put(o, b64);
	put(o, "\">");
	put(o, label);
	put(o, "</a>");
	free(b64);
}

static void verdict_box(struct out *o, enum answer a, const char *why, enum webverify_lang l)
{
	putf(o, "<section class=\"verdict %s\" role=\"status\" data-answer=\"%s\">"
	        "<span class=\"word\">", answer_code(a), answer_code(a));
	put(o, a == ANS_VALID ? "✓ " : a == ANS_INVALID ? "✗ " : "? ");
	put(o, answer_word(a, l));
	put(o, "</span><p>");
	esc(o, why);
	put(o, "</p></section>\n");
}

/*
 * The headline of a valid seal on a result that is not in force today, or
 * whose being in force is not established (ai->in_force 0 or -1): no green
 * box for either (found by review: a revoked result's package, zipped
 * again, read "Hợp lệ").
 */
static const char *force_word(const struct arch_info *ai, enum webverify_lang l)
{
	if (ai->in_force == 0)
		return strcmp(ai->status, "not-yet-valid") == 0
		       ? tr(l, "Chưa có hiệu lực", "Not yet in force")
		       : tr(l, "Không còn hiệu lực", "No longer in force");
	return tr(l, "Chữ ký hợp lệ — chưa xác định được hiệu lực hôm nay",
	          "Seal valid — not established as in force today");
}

/* Its sentence (out: n bytes; the caller escapes). */
static void force_why(char *out, size_t n, const struct arch_info *ai, enum webverify_lang l)
{
	const char *w = status_words(ai->status, l);

	if (w == NULL)
		w = ai->status;
	if (ai->in_force == 0 && ai->by_dates)
		snprintf(out, n, "%s%s.",
		         tr(l, "Chữ ký là thật và văn bản không bị thay đổi, nhưng theo thời hạn hiệu lực"
		               " ghi trong chính văn bản, hôm nay kết quả này: ",
		            "The seal is genuine and the document unaltered, but by the validity dates"
		            " the document itself gives, today this result is: "), w);
	else if (ai->in_force == 0)
		snprintf(out, n, "%s%s.",
		         tr(l, "Chữ ký là thật và văn bản không bị thay đổi, nhưng hôm nay kết quả này có"
		               " trạng thái: ",
		            "The seal is genuine and the document unaltered, but today this result's"
		            " status is: "), w);
	else if (ai->uploaded_other)
		snprintf(out, n, "%s",
		         tr(l, "Chữ ký là thật và văn bản không bị thay đổi kể từ khi ký, nhưng gói này"
		               " không phải bản đang lưu trong kho này, nên kho không xác nhận được hôm"
		               " nay kết quả còn hiệu lực hay không (có thể đã bị thu hồi, thay thế hoặc"
		               " hết hiệu lực). Hãy quét mã QR trên bản giấy, hoặc hỏi cơ quan đã cấp.",
		            "The seal is genuine and the document unaltered since it was signed, but this"
		            " package is not the copy held by this archive, so the archive cannot"
		            " confirm that the result is in force today (it may have been revoked,"
		            " superseded or have expired). Scan the QR code on the paper copy, or ask the"
		            " issuing agency."));
	else
		snprintf(out, n, "%s",
		         tr(l, "Chữ ký là thật và văn bản không bị thay đổi kể từ khi ký, nhưng kho không"
		               " tra được hôm nay kết quả còn hiệu lực hay không. Hãy hỏi cơ quan đã cấp.",
		            "The seal is genuine and the document unaltered since it was signed, but the"
		            " archive cannot tell whether the result is in force today. Ask the issuing"
		            " agency."));
}

static void status_row(struct out *o, const struct arch_info *ai, enum webverify_lang l)
{
	const char *w;

	put(o, "<dt>");
	put(o, tr(l, "Hiệu lực hôm nay", "Validity today"));
	put(o, "</dt><dd>");
	if (ai->known) {
		w = status_words(ai->status, l);
		putf(o, "<span class=\"%s\" data-status=\"",
		     strcmp(ai->status, "valid") == 0 ? "status-ok" : "status-no");
		esc(o, ai->status);
		put(o, "\">");
		esc(o, w != NULL ? w : ai->status);
		put(o, "</span>");
		if (ai->destroyed) {
			char t[800];
			destroyed_words(t, sizeof t, &ai->tomb, l);
			put(o, "<br><span data-destroyed=\"1\">");
			esc(o, t);
			put(o, "</span>");
		}
		if (ai->same_files) {
			put(o, "<br><span data-same-files=\"1\">");
			put(o, tr(l, "Gói này không phải bản đang lưu trong kho này (có thể đã được giải nén"
			             " rồi nén lại), nhưng chứa đúng các tệp của kết quả đã lưu trữ, nên đây"
			             " là hiệu lực của kết quả đó.",
			          "This exact package is not the copy held by this archive (it may have been"
			          " unzipped and zipped again), but it holds exactly the files of the archived"
			          " result, so this is that result's validity."));
			put(o, "</span>");
		} else if (ai->by_file) {
			put(o, "<br><span data-by-file=\"1\">");
			put(o, tr(l, "Gói này không phải bản đang lưu trong kho này, nhưng tệp trong gói là"
			             " tệp của kết quả này đã lưu trữ tại kho, và hôm nay kết quả đó không"
			             " còn hiệu lực.",
			          "This exact package is not the copy held by this archive, but a file in it"
			          " is a file of this result as archived here, and that result is not in"
			          " force today."));
			put(o, "</span>");
		}
	} else if (ai->by_dates) {
		w = status_words(ai->status, l);
		put(o, "<span class=\"status-no\" data-status=\"");
		esc(o, ai->status);
		put(o, "\" data-by-dates=\"1\">");
		esc(o, w != NULL ? w : ai->status);
		put(o, "</span><br>");
		put(o, tr(l, "Theo thời hạn hiệu lực ghi trong văn bản (được niêm phong). Gói này không"
		             " phải bản đang lưu trong kho này.",
		          "By the validity dates in the document (under the seal). This exact package is"
		          " not the copy held by this archive."));
	} else if (ai->uploaded_other) {
		put(o, tr(l, "Gói này không phải bản đang lưu trong kho này (có thể là bản sao từ nơi "
		             "khác hoặc phiên bản cũ), nên không tra được hiệu lực.",
		          "This exact package is not the copy held by this archive (it may come from "
		          "elsewhere or be an older version), so its validity cannot be looked up."));
	} else {
		put(o, tr(l, "Không rõ", "Unknown"));
	}
	put(o, "</dd>\n");
}

/* The technical details that fold open. */
static void technical(struct out *o, const verify_report *r, enum webverify_lang l)
{
	const vr_signature *s;
	char t[80], hex[65];
	size_t i, j;

	put(o, "<details><summary>");
	put(o, tr(l, "Chi tiết kỹ thuật", "Technical details"));
	put(o, "</summary>\n<dl>\n");
	dl_row(o, tr(l, "Kết luận (ETSI EN 319 102-1)", "Indication (ETSI EN 319 102-1)"),
	       vr_indication_name(r->indication));
	if (r->sub != VR_SUB_NONE)
		dl_row(o, tr(l, "Chỉ dẫn phụ", "Sub-indication"), vr_sub_name(r->sub));
	dl_row(o, tr(l, "Thời điểm kiểm tra (UTC)", "Validation time (UTC)"),
	       kho_time_format(t, sizeof t, r->validation_time));
	dl_row(o, tr(l, "Loại gói", "Container"), r->container_type);
	if (r->have_package_sha256)
		dl_row(o, tr(l, "SHA-256 của gói", "Package SHA-256"),
		       kho_hex(hex, r->package_sha256, 32));
	for (i = 0; i < r->nreasons; i++)
		dl_row(o, tr(l, "Lý do (của bộ kiểm tra, tiếng Anh)", "Reason"), r->reasons[i]);
	for (i = 0; i < r->nwarnings; i++)
		dl_row(o, tr(l, "Cảnh báo (của bộ kiểm tra, tiếng Anh)", "Warning"), r->warnings[i]);
	for (i = 0; i < r->ndeviations; i++)
		dl_row(o, tr(l, "Sai lệch định dạng", "Format deviation"), r->deviations[i]);
	for (i = 0; i < r->nsigs; i++) {
		s = &r->sigs[i];
		dl_row(o, tr(l, "Chữ ký", "Signature"), s->id);
		dl_row(o, tr(l, "Kết luận của chữ ký", "Signature indication"),
		       vr_indication_name(s->indication));
		if (s->sub != VR_SUB_NONE)
			dl_row(o, tr(l, "Chỉ dẫn phụ", "Sub-indication"), vr_sub_name(s->sub));
		dl_row(o, tr(l, "Mức chữ ký", "Level"), s->level);
		dl_row(o, tr(l, "Thuật toán", "Algorithms"), s->sig_alg);
		dl_row(o, tr(l, "Hàm băm", "Digest"), s->digest_alg);
		dl_row(o, tr(l, "Chủ thể chứng thư", "Certificate subject"), s->signer_subject);
		dl_row(o, tr(l, "Tổ chức cấp chứng thư", "Certificate issuer"), s->signer_issuer);
		dl_row(o, tr(l, "Số hiệu chứng thư", "Certificate serial"), s->signer_serial);
		if (s->signer_not_after != 0) {
			dl_row(o, tr(l, "Chứng thư có hiệu lực từ", "Certificate valid from"),
			       vn_time(t, sizeof t, s->signer_not_before, l));
			dl_row(o, tr(l, "Chứng thư có hiệu lực đến", "Certificate valid until"),
			       vn_time(t, sizeof t, s->signer_not_after, l));
		}
		for (j = 0; j < s->ntimestamps; j++) {
			const vr_timestamp *ts = &s->timestamps[j];
			char what[160];
			/* The verifier's identifier ("signature-timestamp") in words
			 * (found by review: shown as is on the Vietnamese page). */
			if (ts->where != NULL && strcmp(ts->where, "signature-timestamp") == 0)
				snprintf(what, sizeof what, "%s%s",
				         tr(l, "dấu thời gian của chữ ký, ngày ", "signature timestamp, "),
				         vn_time(t, sizeof t, ts->gen_time, l));
			else
				snprintf(what, sizeof what, "%s", ts->where != NULL ? ts->where : "");
			dl_row(o, tr(l, "Dấu thời gian", "Timestamp"), what);
			dl_row(o, tr(l, "Đơn vị cấp dấu thời gian", "Timestamp authority"), ts->tsa_subject);
			dl_row(o, tr(l, "Dấu thời gian hợp lệ", "Timestamp intact"),
			       ts->imprint_ok && ts->signature_ok ? tr(l, "có", "yes") : tr(l, "không", "no"));
		}
		for (j = 0; j < s->nreasons; j++)
			dl_row(o, tr(l, "Lý do (của bộ kiểm tra, tiếng Anh)", "Reason"), s->reasons[j]);
		for (j = 0; j < s->nwarnings; j++)
			dl_row(o, tr(l, "Cảnh báo (của bộ kiểm tra, tiếng Anh)", "Warning"), s->warnings[j]);
	}
	for (i = 0; i < r->ntimestamps; i++) {
		dl_row(o, tr(l, "Dấu thời gian lưu trữ", "Archive timestamp"), r->timestamps[i].where);
		dl_row(o, tr(l, "Thời điểm", "Time"), vn_time(t, sizeof t, r->timestamps[i].gen_time, l));
	}
	put(o, "</dl>\n</details>\n");
}

/*
 * Whether record.xml is altered or not covered by the seal: its fields are
 * then nobody's statement, and neither the page nor its JSON shows them
 * (found by review: a validUntil moved by ten years was shown as a plain
 * row above "record.xml – altered").
 */
static int record_unsealed(const verify_report *r)
{
	const vr_signature *s = first_sig(r);
	size_t i;

	for (i = 0; s != NULL && i < s->nobjects; i++)
		if (strcmp(s->objects[i].name, "record.xml") == 0)
			return s->objects[i].state != VR_OBJ_OK;
	for (i = 0; i < r->nunsigned; i++)
		if (strcmp(r->unsigned_objects[i].name, "record.xml") == 0)
			return 1;
	return s == NULL;
}

/* The report as the downloads and the JSON carry it: without the record
 * when record.xml is altered or unsealed (found by the second review: the
 * page withheld its fields, the report beside it still gave them). A
 * shallow copy in *tmp, valid while r is. */
static const verify_report *report_shown(const verify_report *r, verify_report *tmp)
{
	if (r->record == NULL || !record_unsealed(r))
		return r;
	*tmp = *r;
	tmp->record = NULL;
	return tmp;
}

/*
 * statement: what a person needs to know about a package (verdict, who,
 * when, what, which files, validity today), then the technical details and
 * the report downloads. r is already redacted; pid is scrubbed from the
 * downloadable reports.
 */
static void statement(struct out *o, const verify_report *r, const struct arch_info *ai,
                      enum webverify_lang l, const struct redaction *pid)
{
	const vr_signature *s = first_sig(r);
	const record *rec = r->record;
	enum answer a = answer_of(r);
	char t[96], d[32], cn[256], org[256];
	time_t tst;
	kho_buf xml, json;
	verify_report shown;
	size_t i;

	if (a == ANS_VALID && ai->in_force != 1) {
		/* A genuine seal on a result not in force today (revoked,
		 * superseded, expired...): the headline says so, not a green
		 * "Valid" with the status in a line below, which a hurried reader
		 * (or a bank clerk) took for a usable result (found by review);
		 * nor green when nothing establishes that it is in force (another
		 * copy of a revoked result's package, found by review). */
		char why[800];
		force_why(why, sizeof why, ai, l);
		putf(o, "<section class=\"verdict %s\" role=\"status\" data-answer=\"valid\""
		        " data-in-force=\"%s\"><span class=\"word\">%s",
		     ai->in_force == 0 ? "not-in-force" : "force-unknown",
		     ai->in_force == 0 ? "no" : "unknown", ai->in_force == 0 ? "⚠ " : "? ");
		put(o, force_word(ai, l));
		put(o, "</span><p>");
		esc(o, why);
		put(o, "</p></section>\n");
	} else {
		verdict_box(o, a, reason_of(r, l), l);
	}
	put(o, "<section class=\"card\">");
	if (a != ANS_VALID) {
		/* A seal that does not verify confirms nothing the package says
		 * (found by review: a self-made certificate's name was shown as
		 * the signer, under the heading of an official table). */
		put(o, "<p class=\"claims\" data-confirmed=\"no\">");
		put(o, tr(l, "Các thông tin dưới đây là do gói tự khai, chưa được xác nhận: không dựa vào"
		             " chúng.",
		          "What follows is what the package claims; it is not confirmed: do not rely on"
		          " it."));
		put(o, "</p>");
	}
	if (rec != NULL && record_unsealed(r)) {
		put(o, "<p class=\"claims\" data-record=\"withheld\">");
		put(o, tr(l, "Thông tin của kết quả (record.xml) đã bị thay đổi hoặc không được niêm phong"
		             " nên không được hiển thị.",
		          "The result's details (record.xml) were altered or are not covered by the"
		          " seal, so they are not shown."));
		put(o, "</p>");
		rec = NULL;
	}
	if (ai->paper && rec != NULL) {
		/* A QR code can be copied onto another paper (found by review):
		 * only what the paper says against what the archive holds tells. */
		put(o, "<p class=\"compare\" data-compare-paper=\"1\">");
		put(o, tr(l, "Hãy đối chiếu số, ký hiệu, ngày cấp và tên người được cấp (đã che một phần)"
		             " dưới đây với bản giấy bạn đang cầm. Nếu có điểm khác nhau, bản giấy đó không"
		             " phải là kết quả này: đừng dựa vào nó.",
		          "Compare the number and symbol, the issue date and the name of the person it"
		          " was issued to (partly hidden) below with the paper in your hands. If anything"
		          " differs, that paper is not this result: do not rely on it."));
		put(o, "</p>");
	}
	put(o, "<dl>\n");
	if (rec != NULL) {
		dl_row(o, tr(l, "Kết quả", "Result"), rec->title);
		dl_row(o, tr(l, "Loại kết quả", "Result type"), result_type_words(rec->result_type, l));
		dl_row(o, tr(l, "Mã kết quả", "Result code"), rec->result_code);
		dl_row(o, tr(l, "Số, ký hiệu", "Number and symbol"), rec->number_symbol);
		dl_row(o, tr(l, "Mã thủ tục hành chính", "Procedure code"), rec->procedure_national);
		dl_row(o, tr(l, "Cơ quan cấp (mã định danh)", "Issuing agency (code)"), rec->agency_code);
	}
	if (s != NULL && s->signer_subject != NULL) {
		rdn(cn, sizeof cn, s->signer_subject, "CN");
		rdn(org, sizeof org, s->signer_subject, "O");
		dl_row(o, a == ANS_VALID ? tr(l, "Cơ quan, người ký (chứng thư số)", "Signed by (certificate)")
		                         : tr(l, "Tên trong chứng thư (chưa xác nhận)",
		                              "Name in the certificate (not confirmed)"), cn);
		if (org[0] != '\0' && strcmp(org, cn) != 0)
			dl_row(o, a == ANS_VALID ? tr(l, "Tổ chức", "Organisation")
			                         : tr(l, "Tổ chức (chưa xác nhận)",
			                              "Organisation (not confirmed)"), org);
	}
	if (rec != NULL) {
		dl_row(o, tr(l, "Người ký văn bản", "Signatory"), rec->signer);
		dl_row(o, tr(l, "Người được cấp", "Issued to"), rec->subject_name);
		for (i = 0; i < rec->nothers; i++)
			dl_row(o, tr(l, "Người được cấp", "Issued to"), rec->others[i].name);
		dl_row(o, tr(l, "Ngày cấp", "Issue date"), vn_date(d, sizeof d, rec->issue_date, l));
		if (rec->digitized_on != NULL)   /* a paper result digitized later */
			dl_row(o, tr(l, "Số hóa từ bản giấy ngày", "Digitized from paper on"),
			       vn_date(d, sizeof d, rec->digitized_on, l));
		dl_row(o, tr(l, "Có hiệu lực từ", "Valid from"), vn_date(d, sizeof d, rec->valid_from, l));
		dl_row(o, tr(l, "Có hiệu lực đến", "Valid until"),
		       rec->valid_until != NULL ? vn_date(d, sizeof d, rec->valid_until, l)
		                                : tr(l, "không thời hạn", "no expiry"));
	}
	if (s != NULL && s->has_signing_time)
		dl_row(o, tr(l, "Thời điểm ký", "Signing time"), vn_time(t, sizeof t, s->signing_time, l));
	if (s != NULL && has_ts(s, &tst))
		dl_row(o, tr(l, "Dấu thời gian", "Timestamp time"), vn_time(t, sizeof t, tst, l));
	else if (s != NULL)
		dl_row(o, tr(l, "Dấu thời gian", "Timestamp time"),
		       tr(l, "không có dấu thời gian hợp lệ", "no valid timestamp"));
	if (s != NULL && s->nobjects > 0) {
		put(o, "<dt>");
		put(o, tr(l, "Các tệp được niêm phong", "Files covered by the seal"));
		put(o, "</dt><dd><ul class=\"files\">");
		for (i = 0; i < s->nobjects && i < MAX_SHOWN_FILES; i++) {
			put(o, "<li>");
			esc(o, s->objects[i].name);
			put(o, s->objects[i].state == VR_OBJ_OK ? " – " : " – <span class=\"bad\">");
			put(o, object_state_words(s->objects[i].state, l));
			put(o, s->objects[i].state == VR_OBJ_OK ? "</li>" : "</span></li>");
		}
		put(o, "</ul></dd>\n");
	}
	if (r->nunsigned > 0) {
		put(o, "<dt>");
		put(o, tr(l, "Tệp không được niêm phong", "Files not covered by the seal"));
		put(o, "</dt><dd><ul class=\"files\">");
		for (i = 0; i < r->nunsigned && i < MAX_SHOWN_FILES; i++) {
			put(o, "<li class=\"bad\">");
			esc(o, r->unsigned_objects[i].name);
			put(o, "</li>");
		}
		put(o, "</ul></dd>\n");
	}
	status_row(o, ai, l);
	put(o, "</dl></section>\n");
	technical(o, r, l);

	/* The full report, redacted, as XML (ETSI TS 119 102-2) and JSON. */
	kho_buf_init(&xml, WEBVERIFY_BODY_MAX / 4);
	kho_buf_init(&json, WEBVERIFY_BODY_MAX / 4);
	if (o->rc == 0 && verify_report_xml(&xml, report_shown(r, &shown)) == 0 &&
	    verify_report_json(&json, report_shown(r, &shown)) == 0) {
		if (scrub(&xml, pid) != 0 || scrub(&json, pid) != 0)
			o->rc = KHO_ENOMEM;
		put(o, "<p class=\"links\">");
		put(o, tr(l, "Tải báo cáo kiểm tra: ", "Download the validation report: "));
		download_link(o, &xml, "application/xml", "bao-cao-kiem-tra.xml", "XML");
		download_link(o, &json, "application/json", "bao-cao-kiem-tra.json", "JSON");
		put(o, "</p>\n");
	}
	kho_buf_free(&xml);
	kho_buf_free(&json);
}

/* ---- JSON ----------------------------------------------------------------- */

/* A JSON string of untrusted text: bytes that are not UTF-8 become '?'
 * (json_string refuses them, and the member, or a file, went missing). */
static json_t *jstr(const char *s)
{
	json_t *j;
	char *c;

	if (s == NULL)
		return json_null();
	if (kho_utf8_valid(s, strlen(s)))
		return json_string(s);
	if ((c = strdup(s)) == NULL)
		return NULL;
	kho_utf8_scrub(c);
	j = json_string(c);
	free(c);
	return j;
}

static json_t *jtime(time_t t)
{
	char b[32];

	return json_string(kho_time_format(b, sizeof b, t));
}

static json_t *jstatement(const verify_report *r, const struct arch_info *ai,
                          enum webverify_lang l, const struct redaction *pid)
{
	const vr_signature *s = first_sig(r);
	const record *rec = r->record;
	enum answer a = answer_of(r);
	json_t *o = json_object(), *files = json_array(), *rep = NULL, *arch;
	verify_report shown;
	char cn[256], hex[65];
	time_t tst;
	kho_buf jb;
	size_t i;

	if (o == NULL || files == NULL) {
		json_decref(o);
		json_decref(files);
		return NULL;
	}
	json_object_set_new(o, "answer", json_string(answer_code(a)));
	/* The page's headline: "valid" under a result not (established as) in
	 * force today is not "Hợp lệ" there, nor here. */
	json_object_set_new(o, "answer_text", json_string(a == ANS_VALID && ai->in_force != 1
	                                                  ? force_word(ai, l) : answer_word(a, l)));
	/* "answer" is the seal's; whether the result is in force today is
	 * the archive's status, or the validity dates of the record itself
	 * (null: not established). */
	json_object_set_new(o, "in_force", ai->in_force < 0 ? json_null() : json_boolean(ai->in_force));
	json_object_set_new(o, "in_force_basis",
	                    ai->in_force < 0 ? json_null()
	                    : json_string(ai->by_dates ? "record-dates"
	                                  : ai->by_file ? "archived-file"
	                                  : ai->same_files ? "archived-files" : "archived-package"));
	json_object_set_new(o, "reason", json_string(reason_of(r, l)));
	json_object_set_new(o, "indication", json_string(vr_indication_name(r->indication)));
	json_object_set_new(o, "sub_indication",
	                    r->sub == VR_SUB_NONE ? json_null() : json_string(vr_sub_name(r->sub)));
	json_object_set_new(o, "validation_time", jtime(r->validation_time));
	/* Whether "result" and "signature" are confirmed by a valid seal, or
	 * only what the package claims. */
	json_object_set_new(o, "confirmed", json_boolean(a == ANS_VALID));
	json_object_set_new(o, "package_sha256",
	                    r->have_package_sha256 ? json_string(kho_hex(hex, r->package_sha256, 32))
	                                           : json_null());
	if (rec != NULL && record_unsealed(r))
		rec = NULL;   /* altered or unsealed: withheld, as on the page */
	if (rec != NULL) {
		json_t *others = json_array();
		for (size_t k = 0; others != NULL && k < rec->nothers; k++)
			json_array_append_new(others, jstr(rec->others[k].name));
		json_object_set_new(o, "result", json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		        "code", jstr(rec->result_code), "type", jstr(rec->result_type),
		        "title", jstr(rec->title), "number_symbol", jstr(rec->number_symbol),
		        "procedure", jstr(rec->procedure_national), "agency", jstr(rec->agency_code),
		        "signatory", jstr(rec->signer), "subject_name_masked", jstr(rec->subject_name),
		        "issue_date", jstr(rec->issue_date), "digitized_on", jstr(rec->digitized_on),
		        "valid_from", jstr(rec->valid_from), "valid_until", jstr(rec->valid_until),
		        "other_subject_names_masked", others != NULL ? others : json_null()));
	} else {
		json_object_set_new(o, "result", json_null());
	}
	if (s != NULL) {
		cn[0] = '\0';
		if (s->signer_subject != NULL)
			rdn(cn, sizeof cn, s->signer_subject, "CN");
		json_object_set_new(o, "signature", json_pack("{s:o,s:o,s:o,s:o,s:o}",
		        "signed_by", cn[0] ? json_string(cn) : json_null(),
		        "certificate_subject", jstr(s->signer_subject),
		        "signing_time", s->has_signing_time ? jtime(s->signing_time) : json_null(),
		        "timestamp_time", has_ts(s, &tst) ? jtime(tst) : json_null(),
		        "level", jstr(s->level)));
		for (i = 0; i < s->nobjects; i++)
			json_array_append_new(files, json_pack("{s:o,s:s}", "name", jstr(s->objects[i].name),
			        "state", s->objects[i].state == VR_OBJ_OK ? "intact"
			                 : s->objects[i].state == VR_OBJ_HASH_FAILURE ? "altered"
			                 : s->objects[i].state == VR_OBJ_MISSING ? "missing"
			                 : s->objects[i].state == VR_OBJ_UNSIGNED ? "unsigned" : "unsupported"));
	} else {
		json_object_set_new(o, "signature", json_null());
	}
	/* Files in the package that no seal covers: listed too, as the page
	 * lists them, so that no client shows a valid seal over them. */
	for (i = 0; i < r->nunsigned; i++)
		json_array_append_new(files, json_pack("{s:o,s:s}", "name",
		                                       jstr(r->unsigned_objects[i].name), "state", "unsigned"));
	json_object_set_new(o, "files", files);
	arch = json_pack("{s:b,s:o,s:b,s:b}", "archived", ai->known,
	                 "status", ai->known ? json_string(ai->status) : json_null(),
	                 "same_package", ai->same_package, "same_files", ai->same_files);
	if (arch != NULL && ai->destroyed)
		json_object_set_new(arch, "tombstone", jtomb(&ai->tomb, l));
	json_object_set_new(o, "archive", arch);
	/* "valid" speaks of the seal: said next to it when the result itself
	 * is revoked, suspended, superseded or expired today, or not
	 * established as in force, as the page says. */
	if (a == ANS_VALID && ai->in_force != 1) {
		const char *w = status_words(ai->status, l);
		char note[800];
		if (ai->in_force == 0 && ai->by_dates)
			snprintf(note, sizeof note, "%s%s.",
			         tr(l, "Lưu ý: chữ ký là thật, nhưng theo thời hạn hiệu lực ghi trong văn bản,"
			               " hôm nay kết quả này: ",
			            "Note: the seal is genuine, but by the validity dates in the document,"
			            " today this result is: "), w != NULL ? w : ai->status);
		else if (ai->in_force == 0)
			snprintf(note, sizeof note, "%s%s.",
			         tr(l, "Lưu ý: chữ ký là thật, nhưng hôm nay kết quả này có trạng thái: ",
			            "Note: the seal is genuine, but today this result's status is: "),
			         w != NULL ? w : ai->status);
		else
			force_why(note, sizeof note, ai, l);
		json_object_set_new(o, "note", jstr(note));
	}
	kho_buf_init(&jb, WEBVERIFY_BODY_MAX / 4);
	if (verify_report_json(&jb, report_shown(r, &shown)) == 0 && jb.data != NULL &&
	    scrub(&jb, pid) == 0) {
		rep = json_loadb((const char *)jb.data, jb.len, 0, NULL);
	}
	kho_buf_free(&jb);
	json_object_set_new(o, "report", rep != NULL ? rep : json_null());
	return o;
}

static int json_body(webverify_response *out, int status, json_t *j,
                     const struct redaction *pid)
{
	char *text;
	int rc;

	if (j == NULL)
		return KHO_ENOMEM;
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL)
		return KHO_ENOMEM;
	out->status = status;
	out->content_type = "application/json";
	rc = kho_buf_append(&out->body, text, strlen(text));
	free(text);
	if (rc == 0)
		rc = scrub(&out->body, pid);
	return rc;
}

/* ---- lifecycle and small exported pieces --------------------------------------- */

int webverify_new(webverify **out, const webverify_config *cfg, const webverify_archive *arch,
                  kho_err *err)
{
	webverify *wv;

	*out = NULL;
	wv = calloc(1, sizeof *wv);
	if (wv == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	if (cfg != NULL)
		wv->cfg = *cfg;
	if (arch != NULL)
		wv->arch = *arch;
	if (wv->cfg.max_upload == 0)
		wv->cfg.max_upload = WEBVERIFY_UPLOAD_DEFAULT;
	/* Anonymous uploads get a smaller unpacking budget than an officer's
	 * ingest: at most 8 times the upload cap (256 MiB at least) in all
	 * (found by review: a 27 MB upload of entries compressing 40:1 made the
	 * reader inflate 1 GiB, and seven of them held the daemon for 30 s).
	 * The ratio stays the ingest's: a lower one (20 was tried) called
	 * genuine archived packages with a compressible file "invalid" (found
	 * by the second review). */
	if (wv->cfg.vopts.limits == NULL) {
		uint64_t total = 8 * (uint64_t)wv->cfg.max_upload;
		pkg_limits_default(&wv->limits);
		if (total < (256u << 20))
			total = 256u << 20;
		if (total < wv->limits.max_total_size)
			wv->limits.max_total_size = total;
		if (wv->limits.max_entry_size > wv->limits.max_total_size)
			wv->limits.max_entry_size = wv->limits.max_total_size;
		wv->cfg.vopts.limits = &wv->limits;
	}
	if (wv->cfg.rate_burst == 0)
		wv->cfg.rate_burst = wv->cfg.rate_per_minute / 4 > 5 ? wv->cfg.rate_per_minute / 4 : 5;
	if (cfg != NULL && cfg->base_url != NULL) {
		wv->base_url = xstrdup(cfg->base_url);
		if (wv->base_url == NULL) {
			free(wv);
			return kho_err_set(err, KHO_ENOMEM, "out of memory");
		}
	}
	wv->cfg.base_url = wv->base_url;
	if (kho_random(&wv->salt, sizeof wv->salt) != 0) {
		free(wv->base_url);
		free(wv);
		return kho_err_set(err, KHO_ECRYPTO, "no random bytes for the rate-limit table");
	}
	pthread_mutex_init(&wv->mu, NULL);
	*out = wv;
	return 0;
}

void webverify_free(webverify *wv)
{
	if (wv == NULL)
		return;
	pthread_mutex_destroy(&wv->mu);
	free(wv->base_url);
	free(wv);
}

size_t webverify_max_upload(const webverify *wv)
{
	return wv->cfg.max_upload;
}

enum webverify_kind webverify_route(const char *method, const char *path,
                                    char code[WEBVERIFY_CODE_MAX])
{
	static const char qr[] = "/verify/r/";
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int post = strcmp(method, "POST") == 0;
	size_t n;

	code[0] = '\0';
	if (strcmp(path, "/verify") == 0 || strcmp(path, "/verify/") == 0)
		return get ? WV_FORM : post ? WV_UPLOAD : WV_BAD_METHOD;
	if (strcmp(path, "/v1/verify") == 0)
		return post ? WV_API : WV_API_BAD_METHOD;
	if (strncmp(path, qr, sizeof qr - 1) == 0) {
		path += sizeof qr - 1;
		n = strlen(path);
		if (n > 0 && n < WEBVERIFY_CODE_MAX && strchr(path, '/') == NULL)
			memcpy(code, path, n + 1);
		return get ? WV_QR : WV_BAD_METHOD;
	}
	return WV_NONE;
}

const char *webverify_allow(const char *path)
{
	if (strcmp(path, "/v1/verify") == 0)
		return "POST";
	if (strncmp(path, "/verify/r/", 10) == 0)
		return "GET, HEAD";
	return "GET, HEAD, POST";
}

enum webverify_lang webverify_lang_pick(const char *lang_param)
{
	/* Vietnamese unless asked otherwise: the page is the province's, and a
	 * phone or browser set to English (Accept-Language) is common among
	 * Vietnamese readers too, so only the visible switch changes it. */
	return lang_param != NULL && strcasecmp(lang_param, "en") == 0 ? WV_LANG_EN : WV_LANG_VI;
}

char *webverify_client(const webverify *wv, const char *peer, const char *xff, char *out,
                       size_t n)
{
	char last[64];
	unsigned char a[16];
	const char *p, *start, *rest;
	size_t i, len;
	int trusted = 0;

	snprintf(out, n, "%s", peer != NULL ? peer : "-");
	if (xff == NULL || peer == NULL)
		return out;
	for (i = 0; i < wv->cfg.ntrusted_proxies && !trusted; i++)
		trusted = strcmp(wv->cfg.trusted_proxies[i], peer) == 0;
	if (!trusted)
		return out;
	/* The last comma-separated element, without the spaces around it. */
	p = strrchr(xff, ',');
	start = p != NULL ? p + 1 : xff;
	start += strspn(start, " \t");
	len = strcspn(start, " \t");
	rest = start + len;
	rest += strspn(rest, " \t");
	if (len == 0 || len >= sizeof last || *rest != '\0')
		return out;
	memcpy(last, start, len);
	last[len] = '\0';
	if (inet_pton(AF_INET, last, a) == 1 || inet_pton(AF_INET6, last, a) == 1)
		snprintf(out, n, "%s", last);
	return out;
}

uint64_t webverify_client_key(uint64_t salt, const char *client)
{
	/* FNV-1a over salt and address: the salt makes planned collisions
	 * useless. An IPv6 client counts by its /64, the block one subscriber
	 * is given: keyed by the full address, each of its 2^64 addresses had
	 * a bucket of its own (found by review, 2026-12-07). */
	uint64_t h = 1469598103934665603ull ^ salt;
	const unsigned char *p;
	unsigned char a6[16];
	size_t i;

	if (client != NULL && strchr(client, ':') != NULL && inet_pton(AF_INET6, client, a6) == 1) {
		h = (h ^ '6') * 1099511628211ull;
		for (i = 0; i < 8; i++)
			h = (h ^ a6[i]) * 1099511628211ull;
	} else {
		for (p = (const unsigned char *)(client != NULL ? client : "-"); *p != '\0'; p++)
			h = (h ^ *p) * 1099511628211ull;
	}
	return h != 0 ? h : 1;
}

int webverify_rate_take(webverify *wv, const char *client, unsigned *retry_after)
{
	double rate, burst, t;
	uint64_t h;
	struct slot *s;
	int ok;

	if (retry_after != NULL)
		*retry_after = 0;
	if (wv->cfg.rate_per_minute == 0)
		return 1;
	h = webverify_client_key(wv->salt, client);
	rate = wv->cfg.rate_per_minute / 60.0;
	burst = wv->cfg.rate_burst;
	t = mono();
	pthread_mutex_lock(&wv->mu);
	s = &wv->slots[h % WEBVERIFY_RATE_SLOTS];
	if (s->h != h) {   /* a new address (or it evicts a colliding one) */
		s->h = h;
		s->tokens = burst;
		s->last = t;
	}
	s->tokens += (t - s->last) * rate;
	if (s->tokens > burst)
		s->tokens = burst;
	s->last = t;
	ok = s->tokens >= 1.0;
	if (ok)
		s->tokens -= 1.0;
	else if (retry_after != NULL)
		*retry_after = (unsigned)((1.0 - s->tokens) / rate) + 1;
	pthread_mutex_unlock(&wv->mu);
	return ok;
}

int webverify_qr_url(char *out, size_t n, const char *base, const char *result_code,
                     const char *key)
{
	size_t bl;
	int w;

	if (base == NULL || (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0) ||
	    strpbrk(base, "?#\"<> ") != NULL)
		return KHO_EINVAL;
	if (result_code == NULL || !record_is_result_code(result_code) || !qr_key_is_wellformed(key))
		return KHO_EINVAL;
	bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	/* Result codes are [0-9A-Z.-] and keys base64url: nothing needs percent-encoding. */
	w = snprintf(out, n, "%.*s/verify/r/%s?k=%s", (int)bl, base, result_code, key);
	if (w < 0 || (size_t)w >= n)
		return KHO_ETOOBIG;
	return 0;
}

void webverify_response_free(webverify_response *r)
{
	if (r != NULL)
		kho_buf_free(&r->body);
}

static void response_init(webverify_response *out)
{
	memset(out, 0, sizeof *out);
	kho_buf_init(&out->body, WEBVERIFY_BODY_MAX);
	out->status = 500;
	out->content_type = "text/html; charset=utf-8";
}

int webverify_error_page(webverify *wv, enum webverify_kind kind, enum webverify_lang l,
                         int status, unsigned retry_after, webverify_response *out)
{
	struct out o;
	const char *title, *msg;
	char m[256];

	response_init(out);
	out->status = status == WV_ERR_MANY_FILES || status == WV_ERR_BAD_FORM ||
	              status == WV_ERR_EMPTY_FILE ? 400 : status;
	out->retry_after = status == 429 || status == 503 ? retry_after : 0;
	switch (status) {
	case 400:
		title = tr(l, "Chưa có tệp", "No file");
		msg = tr(l, "Hãy chọn một tệp để kiểm tra.", "Choose a file to check.");
		break;
	case WV_ERR_EMPTY_FILE:
		/* The citizen did choose a file (found by review: "no file" then
		 * read as if the form had lost it). */
		title = tr(l, "Tệp rỗng", "Empty file");
		msg = tr(l, "Tệp bạn chọn không có nội dung (0 byte), nên không có gì để kiểm tra. Hãy"
		            " kiểm tra lại tệp rồi chọn lại.",
		         "The file you chose is empty (0 bytes): there is nothing to check. Check the"
		         " file and choose it again.");
		break;
	case WV_ERR_MANY_FILES:
		title = tr(l, "Nhiều tệp", "Several files");
		msg = tr(l, "Hãy gửi từng tệp một để kiểm tra.", "Send one file at a time.");
		break;
	case WV_ERR_BAD_FORM:
		title = tr(l, "Dữ liệu gửi lên không đúng", "Malformed upload");
		msg = tr(l, "Dữ liệu gửi lên không đúng định dạng multipart/form-data.",
		         "The upload is not a well-formed multipart/form-data body.");
		break;
	case 405:
		title = tr(l, "Phương thức không được hỗ trợ", "Method not allowed");
		msg = tr(l, "Hãy dùng biểu mẫu trên trang kiểm tra.", "Use the form on the verification page.");
		break;
	case 413:
		{
			/* In KB below 1 MB (a limit of 3,000 bytes read "0 MB"). */
			size_t cap = wv->cfg.max_upload;
			int kb = cap < ((size_t)1 << 20);
			size_t n = kb ? (cap + 1023) >> 10 : cap >> 20;
			if (l == WV_LANG_EN)
				snprintf(m, sizeof m, "The file is larger than the %zu %s limit.", n,
				         kb ? "KB" : "MB");
			else
				snprintf(m, sizeof m, "Tệp lớn hơn giới hạn %zu %s.", n, kb ? "KB" : "MB");
		}
		title = tr(l, "Tệp quá lớn", "File too large");
		msg = m;
		break;
	case 429:
		if (l == WV_LANG_EN)
			snprintf(m, sizeof m, "Too many requests from your address. Try again in %u seconds.",
			         retry_after);
		else
			snprintf(m, sizeof m, "Bạn đã gửi quá nhiều yêu cầu. Hãy thử lại sau %u giây.",
			         retry_after);
		title = tr(l, "Quá nhiều yêu cầu", "Too many requests");
		msg = m;
		break;
	case 503:
		if (l == WV_LANG_EN)
			snprintf(m, sizeof m, "The service is busy. Try again in %u seconds.", retry_after);
		else
			snprintf(m, sizeof m, "Hệ thống đang bận. Hãy thử lại sau %u giây.", retry_after);
		title = tr(l, "Hệ thống đang bận", "Service busy");
		msg = m;
		break;
	default:
		title = tr(l, "Lỗi", "Error");
		msg = tr(l, "Không thể kiểm tra lúc này. Hãy thử lại sau.",
		         "The check cannot be done now. Try again later.");
		break;
	}
	if (kind == WV_API || kind == WV_API_BAD_METHOD) {
		json_t *j = json_pack("{s:s,s:i}", "error", msg, "status", out->status);
		if (j != NULL && retry_after > 0 && (status == 429 || status == 503))
			json_object_set_new(j, "retry_after", json_integer(retry_after));
		return json_body(out, out->status, j, NULL);
	}
	o.b = &out->body;
	o.rc = 0;
	page_begin(&o, l, title, l == WV_LANG_EN ? "/verify" : "/verify?lang=en", 1);
	putf(&o, "<section class=\"verdict indeterminate\" role=\"alert\"><p>");
	esc(&o, msg);
	put(&o, "</p></section>\n");
	page_end(&o, l, 1);
	return o.rc;
}

/* ---- the requests -------------------------------------------------------------- */

static void audit(webverify *wv, const char *object, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void audit(webverify *wv, const char *object, int status, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	if (wv->arch.audit == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	wv->arch.audit(wv->arch.arg, "public-verify", object, status, detail);
}

/*
 * Is this upload a sealed package (then verify it) or a single file (look it
 * up)? Decided on its bytes, without unpacking it (found by review: a first
 * full unpacking here doubled what a hostile upload cost): a ZIP named
 * *.asice, or one whose headers name an ASiC manifest or a signature (ZIP
 * keeps names uncompressed), or whose first bytes give the ASiC-E media
 * type (an unreadable one: then the verifier answers FORMAT_FAILURE with
 * the reason). The verifier reads it properly.
 */
static int looks_like_package(const unsigned char *d, size_t n, const char *filename)
{
	static const char mt[] = PKG_MIMETYPE;
	size_t i;

	if (n < 4 || memcmp(d, "PK\x03\x04", 4) != 0)
		return 0;
	if (filename != NULL && strlen(filename) > 6 &&
	    strcasecmp(filename + strlen(filename) - 6, ".asice") == 0)
		return 1;
	if (memmem(d, n, "META-INF/ASiCManifest", 21) != NULL ||
	    memmem(d, n, "META-INF/signature", 18) != NULL)
		return 1;
	for (i = 0; n >= sizeof mt - 1 && i <= 128 && i <= n - (sizeof mt - 1); i++)
		if (memcmp(d + i, mt, sizeof mt - 1) == 0)
			return 1;
	return 0;
}

#define MAX_OBJECT_LOOKUPS 32   /* code_by_object lookups for one uploaded package */

/*
 * The data objects of a parsed package (not META-INF/, not mimetype), with
 * the SHA-256 of each: the one the verifier computed against a signed
 * manifest (before redaction, the report's names are the package's), else
 * computed here. *out (names borrowed from p) is the caller's to free.
 */
static int data_objects(const pkg *p, const verify_report *r, webverify_object **out, size_t *n)
{
	webverify_object *o;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	size_t i, j, k, m = 0;

	*out = NULL;
	*n = 0;
	if (p->nentries == 0 || p->nentries > WEBVERIFY_OBJECTS_MAX)
		return KHO_ETOOBIG;
	if ((o = calloc(p->nentries, sizeof *o)) == NULL)
		return KHO_ENOMEM;
	for (i = 0; i < p->nentries; i++) {
		const pkg_entry *e = &p->entries[i];
		const unsigned char *known = NULL;
		if (strncmp(e->name, "META-INF/", 9) == 0 || strcmp(e->name, "mimetype") == 0)
			continue;
		for (j = 0; known == NULL && j < r->nsigs; j++)
			for (k = 0; known == NULL && k < r->sigs[j].nobjects; k++) {
				const vr_object *v = &r->sigs[j].objects[k];
				if (v->have_sha256 && v->state == VR_OBJ_OK && v->name != NULL &&
				    strcmp(v->name, e->name) == 0)
					known = v->sha256;
			}
		if (known != NULL) {
			memcpy(o[m].sha256, known, 32);
		} else if (pkg_entry_digest(e, EVP_sha256(), md, &mdlen, NULL) != 0 || mdlen != 32) {
			free(o);
			return KHO_EINTERNAL;
		} else {
			memcpy(o[m].sha256, md, 32);
		}
		o[m++].name = e->name;
	}
	*out = o;
	*n = m;
	return 0;
}

/*
 * Whether a package whose seal is valid, but whose bytes are not the
 * archived package, is in force today (found by review: a revoked result's
 * package unzipped and zipped again read a green "Hợp lệ"). What the
 * archive can honestly say about other bytes:
 *  - they hold exactly the files of the result's current package (record.xml
 *    included): it is that result, and its status is the result's;
 *  - a file of it is archived as this very result code, and that result is
 *    not in force today (revoked, superseded...): neither is any copy of it
 *    (but "valid" would not carry over: the upload may be an earlier
 *    version of the result, superseded under the same code);
 *  - its own record, under the seal, gives validity dates that today is
 *    outside of.
 * Anything else leaves it not established (in_force -1): no green box.
 * A file must match before the archive's status is read, as for a single
 * file uploaded alone, so a seal naming another result's code learns nothing.
 */
static void upload_in_force(webverify *wv, const verify_report *r, const pkg *p,
                            struct arch_info *ai)
{
	const record *rec = r->record;
	const vr_signature *s = first_sig(r);
	char today[11], found[WEBVERIFY_CODE_MAX], st[WEBVERIFY_STATUS_MAX];
	unsigned char cur[32];
	webverify_object *objs = NULL;
	size_t n = 0, i, asked = 0;
	kho_err e;

	if (p != NULL && wv->arch.same_files != NULL && wv->arch.status_of != NULL &&
	    data_objects(p, r, &objs, &n) == 0 &&
	    wv->arch.same_files(wv->arch.arg, rec->result_code, objs, n) == 1 &&
	    wv->arch.status_of(wv->arch.arg, rec->result_code, st, cur, &e) == 0) {
		ai->known = 1;
		ai->same_files = 1;
		ai->uploaded_other = 0;
		snprintf(ai->status, sizeof ai->status, "%s", st);
		snprintf(ai->code, sizeof ai->code, "%s", rec->result_code);
		ai->in_force = strcmp(st, "valid") == 0;
		free(objs);
		return;
	}
	free(objs);
	for (i = 0; s != NULL && wv->arch.code_by_object != NULL && wv->arch.status_of != NULL &&
	            i < s->nobjects && asked < MAX_OBJECT_LOOKUPS; i++) {
		const vr_object *o = &s->objects[i];
		if (!o->have_sha256 || o->state != VR_OBJ_OK || o->name == NULL ||
		    strcmp(o->name, "record.xml") == 0)
			continue;
		asked++;
		found[0] = '\0';
		if (wv->arch.code_by_object(wv->arch.arg, o->sha256, found, &e) != 0 ||
		    strcmp(found, rec->result_code) != 0)
			continue;
		if (wv->arch.status_of(wv->arch.arg, rec->result_code, st, cur, &e) == 0 &&
		    strcmp(st, "valid") != 0) {
			ai->known = 1;
			ai->by_file = 1;
			snprintf(ai->status, sizeof ai->status, "%s", st);
			snprintf(ai->code, sizeof ai->code, "%s", rec->result_code);
			ai->in_force = 0;
			return;
		}
		break;   /* the result is archived; which version this is, is not known */
	}
	kho_local_date(today, kho_now());
	if (rec->valid_from != NULL && strcmp(today, rec->valid_from) < 0)
		snprintf(ai->status, sizeof ai->status, "not-yet-valid");
	else if (rec->valid_until != NULL && strcmp(today, rec->valid_until) > 0)
		snprintf(ai->status, sizeof ai->status, "expired");
	else
		return;
	ai->by_dates = 1;
	ai->in_force = 0;
}

/*
 * Archive status of an uploaded package: the archive's only if it is the
 * archived package itself (or an earlier one, renewed since, or a destroyed
 * one); for other bytes under a valid seal, upload_in_force. p is the
 * parsed package (may be NULL). Called before redact: the report's names
 * are the package's.
 */
static void upload_arch_info(webverify *wv, const verify_report *r, const pkg *p,
                             struct arch_info *ai)
{
	unsigned char cur[32];
	kho_err e;

	memset(ai, 0, sizeof *ai);
	ai->in_force = -1;
	if (r->record == NULL || r->record->result_code == NULL || !r->have_package_sha256)
		return;
	ai->uploaded_other = 1;
	if (wv->arch.status_of != NULL &&
	    wv->arch.status_of(wv->arch.arg, r->record->result_code, ai->status, cur, &e) == 0 &&
	    (CRYPTO_memcmp(cur, r->package_sha256, 32) == 0 ||
	     (wv->arch.renewed_package != NULL &&
	      wv->arch.renewed_package(wv->arch.arg, r->record->result_code, r->package_sha256)))) {
		ai->known = 1;
		ai->same_package = 1;
		ai->uploaded_other = 0;
		ai->renewed_copy = CRYPTO_memcmp(cur, r->package_sha256, 32) != 0;
		ai->in_force = strcmp(ai->status, "valid") == 0;
		snprintf(ai->code, sizeof ai->code, "%s", r->record->result_code);
		return;
	}
	ai->status[0] = '\0';
	/* The exact bytes of a destroyed package (issue 4 item 9): archived as
	 * this result, destroyed on D under decision N. Asked by the package's
	 * SHA-256, so only someone holding those very bytes learns it. */
	if (wv->arch.tombstone != NULL &&
	    wv->arch.tombstone(wv->arch.arg, NULL, r->package_sha256, &ai->tomb, &e) == 0 &&
	    strcmp(ai->tomb.code, r->record->result_code) == 0) {
		ai->known = 1;
		ai->same_package = 1;
		ai->uploaded_other = 0;
		ai->destroyed = 1;
		ai->in_force = 0;
		snprintf(ai->status, sizeof ai->status, "destroyed");
		snprintf(ai->code, sizeof ai->code, "%s", r->record->result_code);
		return;
	}
	if (answer_of(r) == ANS_VALID && !record_unsealed(r))
		upload_in_force(wv, r, p, ai);
}

static int archived_statement(webverify *wv, struct out *o, json_t **jout, const char *code,
                              int paper, enum webverify_lang l, enum answer *shown,
                              struct redaction *keep, kho_err *err);

/* "File checked: NAME", the uploaded file's name with its numbers masked. */
static void file_checked(struct out *o, const webverify_request *rq)
{
	char name[512];

	if (rq->filename == NULL || *rq->filename == '\0')
		return;
	snprintf(name, sizeof name, "%s", rq->filename);
	kho_redact_numbers(name);
	put(o, "<p class=\"hint\">");
	put(o, tr(rq->lang, "Tệp đã kiểm tra: ", "File checked: "));
	put(o, "<span class=\"mono\">");
	esc(o, name);
	put(o, "</span></p>\n");
}

/* The head of the page answering an uploaded package, with its file name. */
static void package_page_begin(struct out *o, const webverify_request *rq)
{
	page_begin(o, rq->lang, tr(rq->lang, "Kết quả kiểm tra gói niêm phong",
	                           "Verification of a sealed package"),
	           rq->lang == WV_LANG_EN ? "/verify" : "/verify?lang=en", 1);
	file_checked(o, rq);
}

static int do_package(webverify *wv, const webverify_request *rq, webverify_response *out,
                      kho_err *err)
{
	verify_report *r = NULL;
	struct arch_info ai;
	struct redaction pid;
	struct out o = { &out->body, 0 };
	verify_opts vo = wv->cfg.vopts;
	pkg *pk = NULL;
	int rc;

	memset(&pid, 0, sizeof pid);
	vo.keep_pkg = &pk;   /* its files, for the archive's lookups (upload_arch_info) */
	rc = verify_package_mem(&r, rq->data, rq->len, &vo, err);
	if (rc != 0) {
		pkg_free(pk);
		audit(wv, "-", 500, "kind=%s verification could not run",
		      rq->kind == WV_API ? "api-package" : "upload-package");
		return webverify_error_page(wv, rq->kind, rq->lang, 500, 0, out);
	}
	upload_arch_info(wv, r, pk, &ai);
	pkg_free(pk);
	if ((rc = redact(r, &pid)) != 0)
		goto out;
	audit(wv, r->record != NULL && r->record->result_code != NULL ? r->record->result_code : "-",
	      200, "kind=%s answer=%s indication=%s%s%s archived=%d in-force=%s",
	      rq->kind == WV_API ? "api-package" : "upload-package", answer_code(answer_of(r)),
	      vr_indication_name(r->indication), r->sub != VR_SUB_NONE ? "/" : "",
	      r->sub != VR_SUB_NONE ? vr_sub_name(r->sub) : "", ai.known,
	      ai.in_force > 0 ? "yes" : ai.in_force == 0 ? "no" : "unknown");
	/* An earlier package of the result, renewed since, that no longer
	 * verifies on its own (its timestamps' certificates expired): the
	 * archive's renewal holds every byte of it, so its verdict is the
	 * answer (found by review, 2026-12-08: a genuine original read
	 * "cannot be confirmed" beside "archived, valid today"). */
	if (ai.renewed_copy && answer_of(r) != ANS_VALID) {
		const char *note = tr(rq->lang, "Tệp bạn gửi là bản trước của gói này; kho đã gia hạn dấu"
		                      " thời gian cho nó (cùng các tệp, thêm dấu thời gian lưu trữ)."
		                      " Dưới đây là kết quả kiểm tra bản kho đang lưu.",
		                      "The file you sent is an earlier copy of this result's package;"
		                      " the archive has renewed its timestamps since (the same files,"
		                      " with archive timestamps added). Below is the verification of"
		                      " the copy the archive holds now.");
		enum answer shown = ANS_INDETERMINATE;
		struct redaction keep;
		memset(&keep, 0, sizeof keep);
		if (rq->kind == WV_API) {
			json_t *j = NULL;
			if ((rc = archived_statement(wv, NULL, &j, ai.code, 0, rq->lang, &shown, &keep,
			                             err)) != 0)
				goto out;
			if (j != NULL) {
				json_object_set_new(j, "kind", json_string("package"));
				json_object_set_new(j, "uploaded_earlier_copy", json_true());
				json_object_set_new(j, "note", json_string(note));
			}
			rc = json_body(out, 200, j, &keep);
			redaction_wipe(&keep);
			goto out;
		}
		out->status = 200;
		package_page_begin(&o, rq);
		put(&o, "<p class=\"claims\" data-earlier-copy=\"yes\">");
		put(&o, note);
		put(&o, "</p>\n");
		rc = archived_statement(wv, &o, NULL, ai.code, 0, rq->lang, &shown, NULL, err);
		page_end(&o, rq->lang, 1);
		if (rc == 0)
			rc = o.rc != 0 ? o.rc : scrub(&out->body, &pid);
		goto out;
	}
	if (rq->kind == WV_API) {
		json_t *j = jstatement(r, &ai, rq->lang, &pid);
		if (j != NULL)
			json_object_set_new(j, "kind", json_string("package"));
		rc = json_body(out, 200, j, &pid);
		goto out;
	}
	out->status = 200;
	package_page_begin(&o, rq);
	statement(&o, r, &ai, rq->lang, &pid);
	page_end(&o, rq->lang, 1);
	rc = o.rc != 0 ? o.rc : scrub(&out->body, &pid);
out:
	verify_report_free(r);
	redaction_wipe(&pid);
	return rc;
}

/*
 * archived_statement: the statement of the archived record code (QR path,
 * or a single file found among data objects). paper: the QR path, reached
 * from a paper copy, which the page asks to compare with what it shows.
 * Returns the answer shown.
 */
static int archived_statement(webverify *wv, struct out *o, json_t **jout, const char *code,
                              int paper, enum webverify_lang l, enum answer *shown,
                              struct redaction *keep, kho_err *err)
{
	verify_report *r = NULL;
	struct arch_info ai;
	unsigned char pkgid[32], cur[32];
	struct redaction pid;
	int rc = 0, have_status;

	memset(&ai, 0, sizeof ai);
	memset(&pid, 0, sizeof pid);
	snprintf(ai.code, sizeof ai.code, "%s", code);
	have_status = wv->arch.status_of != NULL &&
	              wv->arch.status_of(wv->arch.arg, code, ai.status, cur, err) == 0;
	ai.known = have_status;
	ai.in_force = have_status ? strcmp(ai.status, "valid") == 0 : -1;
	if (wv->arch.report_by_code != NULL)
		rc = wv->arch.report_by_code(wv->arch.arg, code, &r, pkgid, err);
	else
		rc = KHO_ENOTFOUND;
	if (rc != 0 && rc != KHO_ENOTFOUND)
		return rc;
	if (r == NULL && !have_status && wv->arch.tombstone != NULL &&
	    wv->arch.tombstone(wv->arch.arg, code, NULL, &ai.tomb, NULL) == 0) {
		/* Destroyed at the end of its retention period (issue 4 item 9):
		 * the tombstone statement, never content. */
		char t[800];
		ai.known = 1;
		ai.destroyed = 1;
		ai.in_force = 0;
		snprintf(ai.status, sizeof ai.status, "destroyed");
		destroyed_words(t, sizeof t, &ai.tomb, l);
		*shown = ANS_DESTROYED;
		if (jout != NULL) {
			*jout = json_pack("{s:s,s:s,s:o,s:{s:b,s:s,s:b,s:o}}", "answer", "destroyed",
			                  "answer_text", answer_word(ANS_DESTROYED, l), "reason", jstr(t),
			                  "archive", "archived", 1, "status", "destroyed",
			                  "same_package", 0, "tombstone", jtomb(&ai.tomb, l));
			return *jout != NULL ? 0 : KHO_ENOMEM;
		}
		verdict_box(o, ANS_DESTROYED, t, l);
		put(o, "<section class=\"card\"><dl>\n");
		dl_row(o, tr(l, "Mã kết quả", "Result code"), code);
		dl_row(o, tr(l, "Ngày tiêu hủy", "Destroyed on"),
		       vn_date(t, sizeof t, ai.tomb.destroyed_on, l));
		dl_row(o, tr(l, "Quyết định hủy", "Destruction decision"), ai.tomb.decision);
		dl_row(o, tr(l, "Ngày quyết định", "Decision date"),
		       vn_date(t, sizeof t, ai.tomb.decision_date, l));
		ai.destroyed = 0; /* the sentence is in the verdict already */
		status_row(o, &ai, l);
		put(o, "</dl></section>\n");
		return o->rc;
	}
	if (r == NULL) {
		/* Known code, but the package is no longer held (destroyed). */
		*shown = ANS_INDETERMINATE;
		if (jout != NULL) {
			*jout = json_pack("{s:s,s:s,s:s,s:{s:b,s:o,s:b}}", "answer", "indeterminate",
			                  "answer_text", answer_word(ANS_INDETERMINATE, l),
			                  "reason", tr(l, "Kho không còn giữ gói của kết quả này.",
			                                  "The archive no longer holds this result's package."),
			                  "archive", "archived", ai.known,
			                  "status", ai.known ? json_string(ai.status) : json_null(),
			                  "same_package", 0);
			return *jout != NULL ? 0 : KHO_ENOMEM;
		}
		verdict_box(o, ANS_INDETERMINATE, tr(l, "Kho không còn giữ gói của kết quả này.",
		                                     "The archive no longer holds this result's package."), l);
		put(o, "<section class=\"card\"><dl>\n");
		dl_row(o, tr(l, "Mã kết quả", "Result code"), code);
		status_row(o, &ai, l);
		put(o, "</dl></section>\n");
		return o->rc;
	}
	if ((rc = redact(r, &pid)) == 0) {
		ai.same_package = 1;
		ai.paper = paper;
		*shown = answer_of(r);
		if (jout != NULL)
			*jout = jstatement(r, &ai, l, &pid);
		else
			statement(o, r, &ai, l, &pid);
		if (o != NULL && o->rc == 0)
			o->rc = scrub(o->b, &pid);
		/* For the caller's scrub of what it writes around *jout. */
		if (keep != NULL)
			*keep = pid;
	}
	verify_report_free(r);
	redaction_wipe(&pid);
	if (jout != NULL && *jout == NULL)
		return KHO_ENOMEM;
	return rc != 0 ? rc : (o != NULL ? o->rc : 0);
}

static int do_file(webverify *wv, const webverify_request *rq, webverify_response *out,
                   kho_err *err)
{
	unsigned char h[32];
	char hex[65], code[WEBVERIFY_CODE_MAX];
	struct out o = { &out->body, 0 };
	enum answer shown = ANS_NOT_ARCHIVED;
	enum webverify_lang l = rq->lang;
	struct redaction pid;
	json_t *j = NULL;
	int found, shared = 0, rc;
	/* A file several results hold: archived, but which result it belongs
	 * to is not said (found by review, 2026-12-08: the newest one was
	 * shown, an unrelated record, to whoever held a shared file). */
	const char *shared_why = tr(l, "Tệp này có trong nhiều kết quả đã lưu trữ tại kho này (một tệp"
	                               " dùng chung), nên kho không cho biết đó là kết quả nào. Để xem"
	                               " kết quả của bạn, hãy quét mã QR trên bản giấy hoặc tải lên gói"
	                               " niêm phong (.asice).",
	                            "This file is held by several archived results (a shared file), so"
	                            " the archive does not say which. To see your result, scan the QR"
	                            " code on the paper copy or upload the sealed package (.asice).");

	memset(&pid, 0, sizeof pid);
	if (kho_sha256(h, rq->data, rq->len) != 0)
		return webverify_error_page(wv, rq->kind, l, 500, 0, out);
	kho_hex(hex, h, 32);
	code[0] = '\0';
	rc = wv->arch.code_by_object != NULL ? wv->arch.code_by_object(wv->arch.arg, h, code, err)
	                                     : KHO_ENOTFOUND;
	found = rc == 0 && code[0] != '\0';
	shared = rc == KHO_ECONFLICT;
	out->status = 200;
	if (rq->kind == WV_API) {
		if (shared) {
			shown = ANS_INDETERMINATE;
			j = json_pack("{s:s,s:s,s:s,s:b,s:{s:b,s:n,s:b}}", "answer", "indeterminate",
			              "answer_text", answer_word(ANS_INDETERMINATE, l), "reason", shared_why,
			              "shared", 1, "archive", "archived", 1, "status", "same_package", 0);
		} else if (found) {
			if ((rc = archived_statement(wv, NULL, &j, code, 0, l, &shown, &pid, err)) != 0) {
				redaction_wipe(&pid);
				webverify_response_free(out);
				return webverify_error_page(wv, rq->kind, l, 500, 0, out);
			}
		} else {
			j = json_pack("{s:s,s:s,s:s,s:{s:b,s:n,s:b}}", "answer", "not-archived",
			              "answer_text", answer_word(ANS_NOT_ARCHIVED, l),
			              "reason", tr(l, "Không có tệp nào có mã SHA-256 này trong kho lưu trữ.",
			                           "No archived file has this SHA-256."),
			              "archive", "archived", 0, "status", "same_package", 0);
		}
		if (j != NULL) {
			json_object_set_new(j, "kind", json_string("file"));
			json_object_set_new(j, "file_sha256", json_string(hex));
			json_object_set_new(j, "file_archived", json_boolean(found || shared));
		}
		audit(wv, found ? code : "-", 200, "kind=api-file answer=%s file-archived=%s",
		      answer_code(shown), shared ? "shared" : found ? "1" : "0");
		/* Scrubbed as every other answer: the file names, the signer
		 * and the signatory of the statement may carry the subject's
		 * number or name (a "055225001234-cccd.pdf" did, in clear). */
		rc = json_body(out, 200, j, &pid);
		redaction_wipe(&pid);
		return rc;
	}
	page_begin(&o, l, tr(l, "Kết quả tra cứu tệp", "File lookup"),
	           l == WV_LANG_EN ? "/verify" : "/verify?lang=en", 1);
	file_checked(&o, rq);
	if (shared) {
		shown = ANS_INDETERMINATE;
		put(&o, "<p class=\"status-ok\" data-file-archived=\"shared\">");
		esc(&o, shared_why);
		put(&o, "</p>\n");
	} else if (!found) {
		verdict_box(&o, ANS_NOT_ARCHIVED,
		            tr(l, "Tệp này không có trong kho lưu trữ: không có tệp nào đã lưu trữ trùng "
		                  "khớp từng byte với tệp này.",
		               "This file is not archived: no archived file matches it byte for byte."), l);
		put(&o, "<section class=\"card\"><p>");
		put(&o, tr(l, "Tệp có thể đã bị chỉnh sửa (chỉ cần khác một byte), là một bản sao được lưu lại "
		              "hoặc in lại, hoặc chưa được lưu trữ tại kho này. Nếu bạn có gói niêm phong "
		              "(.asice), hãy tải gói đó lên để kiểm tra chữ ký.",
		           "The file may have been altered (one byte is enough), saved again or re-printed, "
		           "or it is not kept in this archive. If you have the sealed package (.asice), "
		           "upload it to check its seal."));
		put(&o, "</p><dl>\n");
		dl_row(&o, tr(l, "SHA-256 của tệp", "File SHA-256"), hex);
		put(&o, "</dl></section>\n");
	} else {
		put(&o, "<p class=\"status-ok\" data-file-archived=\"1\">");
		put(&o, tr(l, "Tệp này đã được lưu trữ tại kho này, là một phần của kết quả dưới đây.",
		           "This exact file was archived here, as part of the result below."));
		put(&o, "</p>\n");
		if ((rc = archived_statement(wv, &o, NULL, code, 0, l, &shown, NULL, err)) != 0) {
			webverify_response_free(out);
			return webverify_error_page(wv, rq->kind, l, 500, 0, out);
		}
	}
	page_end(&o, l, 1);
	audit(wv, found ? code : "-", 200, "kind=upload-file answer=%s file-archived=%s",
	      answer_code(shown), shared ? "shared" : found ? "1" : "0");
	return o.rc;
}

/* The one answer for an unknown code and a wrong key: it echoes nothing. */
static int qr_not_found(webverify *wv, enum webverify_lang l, webverify_response *out)
{
	struct out o = { &out->body, 0 };

	(void)wv;
	out->status = 404;
	page_begin(&o, l, tr(l, "Không tìm thấy kết quả", "Result not found"),
	           l == WV_LANG_EN ? "/verify" : "/verify?lang=en", 1);
	verdict_box(&o, ANS_INDETERMINATE,
	            tr(l, "Mã kết quả hoặc khóa kiểm tra không đúng. Hãy quét lại mã QR trên bản giấy, "
	                  "hoặc tải tệp kết quả lên để kiểm tra. Nếu mã QR của bản giấy vẫn dẫn đến "
	                  "trang này, đừng dựa vào bản giấy đó: hãy hỏi cơ quan đã cấp.",
	               "The result code or the verification key is wrong. Scan the QR code on the "
	               "paper copy again, or upload the result file to check it. If the paper's QR "
	               "code still leads to this page, do not rely on that paper: ask the issuing "
	               "agency."), l);
	page_end(&o, l, 1);
	return o.rc;
}

static int do_qr(webverify *wv, const webverify_request *rq, webverify_response *out,
                 kho_err *err)
{
	unsigned char stored[32];
	const unsigned char *against = qr_key_dummy_hash();
	enum webverify_lang l = rq->lang;
	enum answer shown = ANS_INDETERMINATE;
	char sw[2 * WEBVERIFY_CODE_MAX + 64];
	struct out o = { &out->body, 0 };
	int known, rc;

	/* The same work for every failure: one lookup, one hash, one constant-time
	 * compare (against the dummy hash when the code is unknown or malformed). */
	known = rq->code[0] != '\0' && wv->arch.key_hash != NULL &&
	        wv->arch.key_hash(wv->arch.arg, rq->code, stored, err) == 0;
	if (known)
		against = stored;
	rc = qr_key_check(rq->key, against);
	if (rc != 0 || !known || !record_is_result_code(rq->code)) {
		audit(wv, "-", 404, "kind=qr answer=not-found");
		return qr_not_found(wv, l, out);
	}
	out->status = 200;
	snprintf(sw, sizeof sw, "/verify/r/%s?k=%s%s", rq->code, rq->key,
	         l == WV_LANG_EN ? "" : "&lang=en");
	page_begin(&o, l, tr(l, "Kiểm tra kết quả đã lưu trữ", "Archived result"), sw, 1);
	if ((rc = archived_statement(wv, &o, NULL, rq->code, 1, l, &shown, NULL, err)) != 0) {
		webverify_response_free(out);
		audit(wv, rq->code, 500, "kind=qr answer=error");
		return webverify_error_page(wv, rq->kind, l, 500, 0, out);
	}
	page_end(&o, l, 1);
	audit(wv, rq->code, 200, "kind=qr answer=%s", answer_code(shown));
	return o.rc;
}

int webverify_handle(webverify *wv, const webverify_request *rq, webverify_response *out,
                     kho_err *err)
{
	int rc;

	response_init(out);
	switch (rq->kind) {
	case WV_FORM:
		out->status = 200;
		rc = render_form(wv, rq->lang, &out->body);
		break;
	case WV_UPLOAD:
	case WV_API:
		if (!rq->have_file) {
			webverify_response_free(out);
			return webverify_error_page(wv, rq->kind, rq->lang, 400, 0, out);
		}
		if (rq->len == 0 || rq->data == NULL) {
			webverify_response_free(out);
			return webverify_error_page(wv, rq->kind, rq->lang, WV_ERR_EMPTY_FILE, 0, out);
		}
		if (rq->len > wv->cfg.max_upload) {
			webverify_response_free(out);
			return webverify_error_page(wv, rq->kind, rq->lang, 413, 0, out);
		}
		if (looks_like_package(rq->data, rq->len, rq->filename))
			rc = do_package(wv, rq, out, err);
		else
			rc = do_file(wv, rq, out, err);
		break;
	case WV_QR:
		rc = do_qr(wv, rq, out, err);
		break;
	case WV_BAD_METHOD:
	case WV_API_BAD_METHOD:
		webverify_response_free(out);
		return webverify_error_page(wv, rq->kind, rq->lang, 405, 0, out);
	default:
		webverify_response_free(out);
		return webverify_error_page(wv, rq->kind, rq->lang, 404, 0, out);
	}
	if (rc != 0) {
		/* Never send half a page: replace it by the error page. */
		webverify_response_free(out);
		if (webverify_error_page(wv, rq->kind, rq->lang, 500, 0, out) != 0)
			return kho_err_set(err, rc, "cannot write the answer: %s", kho_strerror(rc));
	}
	return 0;
}
