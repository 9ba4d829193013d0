/*
 * fuzz_webverify.c: libFuzzer harness for the public verification module
 * (archive/webverify.h): any upload (package or single file, page or JSON)
 * and any QR path code and key must give a complete answer with a status,
 * and no answer may be a 5xx for want of a bug.
 *
 * The input: one byte (bits 0-1 the kind, bit 2 the language, bits 3-7 what
 * the archive answers: A_KEY..A_OBJ below), a big-endian 16-bit length L,
 * L bytes of the archive's view (its lines: status, destroyed-on, decision,
 * decision date, signer, two digits: the indication and record.xml's state
 * in the signature; then record.xml), then the request:
 * for the QR path "code\nkey", else the uploaded file. The archive's
 * callbacks are stubs that answer from that view, so that the archive-linked
 * pages (QR statement, file found, tombstone, the archived package itself)
 * run and the archive's stored text (record fields, decision, status, signer)
 * reaches the page's escaping. A_KEY makes every code known under the key
 * FZ_KEY (its real qr_key_hash): before, no key matched and the QR path
 * always took its not-found branch (found by the fuzzing review).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/qr.h"
#include "archive/record.h"
#include "archive/webverify.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_KEY "AAAAAAAAAAAAAAAAAAAAAA"   /* 22 base64url characters */

enum {
	A_KEY = 8,       /* key_hash knows every code, under FZ_KEY */
	A_STATUS = 16,   /* status_of answers the view's status */
	A_REPORT = 32,   /* report_by_code answers a report of the view's record */
	A_TOMB = 64,     /* tombstone answers the view's decision */
	A_OBJ = 128,     /* code_by_object finds the view's record's code */
};

/* The archive as this input sees it (one input at a time). */
static struct view {
	unsigned flags;
	char status[WEBVERIFY_STATUS_MAX];   /* a trailing '*': the upload is the current
	                                      * package; '+': an earlier renewed one */
	char destroyed_on[11], decision[96], decision_date[11];
	char signer[256];
	char ind[8];                         /* indication digit, object state digit */
	const uint8_t *xml;                  /* record.xml of the archived package */
	size_t xmllen;
	unsigned char upload_sha[32];
} v;

/* The next line of the view (at most n - 1 bytes of it) into out. */
static void line(char *out, size_t n, const uint8_t **p, size_t *left)
{
	size_t i = 0;

	while (*left > 0 && **p != '\n') {
		if (i + 1 < n)
			out[i++] = (char)**p;
		(*p)++;
		(*left)--;
	}
	if (*left > 0) {
		(*p)++;
		(*left)--;
	}
	out[i] = '\0';
}

static void view_read(const uint8_t *p, size_t left)
{
	line(v.status, sizeof v.status, &p, &left);
	line(v.destroyed_on, sizeof v.destroyed_on, &p, &left);
	line(v.decision, sizeof v.decision, &p, &left);
	line(v.decision_date, sizeof v.decision_date, &p, &left);
	line(v.signer, sizeof v.signer, &p, &left);
	line(v.ind, sizeof v.ind, &p, &left);
	v.xml = p;
	v.xmllen = left;
}

static int fz_key_hash(void *arg, const char *code, unsigned char hash[32], kho_err *err)
{
	(void)arg;
	(void)code;
	(void)err;
	if (!(v.flags & A_KEY))
		return KHO_ENOTFOUND;
	return qr_key_hash(FZ_KEY, hash);
}

static int fz_status_of(void *arg, const char *code, char status[WEBVERIFY_STATUS_MAX],
                        unsigned char package_sha256[32], kho_err *err)
{
	static const char *const words[] = { "valid", "expired", "superseded", "revoked", "annulled",
		                             "suspended", "not-yet-valid", "destroyed" };
#define NWORDS (sizeof words / sizeof words[0])
	size_t n = strlen(v.status), i;

	(void)arg;
	(void)code;
	(void)err;
	if (!(v.flags & A_STATUS))
		return KHO_ENOTFOUND;
	memset(package_sha256, 0, 32);
	if (n > 0 && v.status[n - 1] == '*') {
		memcpy(package_sha256, v.upload_sha, 32);
		n--;
	} else if (n > 0 && v.status[n - 1] == '+')
		n--;
	/* The status is kho's own word (catalog_result_status), never stored
	 * free text: the view's if it is one, else one picked by its first byte. */
	for (i = 0; i < NWORDS; i++)
		if (strlen(words[i]) == n && memcmp(words[i], v.status, n) == 0)
			break;
	if (i == NWORDS)
		i = (unsigned char)v.status[0] % NWORDS;
	snprintf(status, WEBVERIFY_STATUS_MAX, "%s", words[i]);
	return 0;
}

static int fz_renewed(void *arg, const char *code, const unsigned char package_sha256[32])
{
	size_t n = strlen(v.status);

	(void)arg;
	(void)code;
	(void)package_sha256;
	return n > 0 && v.status[n - 1] == '+';
}

/* A report as ingest_reverify gives it: the view's record (NULL if it does
 * not parse), one signature by the view's signer covering record.xml. */
static int fz_report_by_code(void *arg, const char *code, verify_report **out,
                             unsigned char package_sha256[32], kho_err *err)
{
	verify_report *r;
	vr_signature *s;
	kho_err e;

	(void)arg;
	(void)code;
	*out = NULL;
	if (!(v.flags & A_REPORT))
		return KHO_ENOTFOUND;
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	r->validation_time = 1700000000;
	r->indication = (enum vr_indication)((unsigned char)v.ind[0] % 3);
	r->container_type = strdup("ASiC-E");
	r->sigs = s = calloc(1, sizeof *s);
	if (r->container_type == NULL || s == NULL)
		goto oom;
	r->nsigs = 1;
	s->indication = r->indication;
	s->id = strdup("META-INF/signature001.p7s");
	s->signer_subject = strdup(v.signer);
	s->level = strdup("CAdES-BASELINE-LTA");
	s->objects = calloc(1, sizeof *s->objects);
	s->reasons = calloc(1, sizeof *s->reasons);
	if (s->id == NULL || s->signer_subject == NULL || s->level == NULL || s->objects == NULL ||
	    s->reasons == NULL)
		goto oom;
	s->nobjects = 1;
	s->objects[0].state = (enum vr_object_state)((unsigned char)v.ind[1] % 5);
	s->nreasons = 1;
	if ((s->objects[0].name = strdup("record.xml")) == NULL ||
	    (s->reasons[0] = strdup(v.decision)) == NULL)
		goto oom;
	s->has_poe = 1;
	s->best_signature_time = 1690000000;
	memset(&e, 0, sizeof e);
	if (record_parse(&r->record, v.xml, v.xmllen, &e) != 0) {
		if (e.code == KHO_ENOMEM)
			goto oom;
		r->record = NULL;
	}
	memset(package_sha256, 0x17, 32);
	memcpy(r->package_sha256, package_sha256, 32);
	r->have_package_sha256 = 1;
	*out = r;
	return 0;
oom:
	verify_report_free(r);
	return kho_err_set(err, KHO_ENOMEM, "out of memory");
}

/* The code of the view's record; a status beginning with '!' makes the
 * object shared by several results. */
static int fz_code_by_object(void *arg, const unsigned char sha256[32],
                             char code[WEBVERIFY_CODE_MAX], kho_err *err)
{
	(void)arg;
	(void)sha256;
	(void)err;
	if (!(v.flags & A_OBJ))
		return KHO_ENOTFOUND;
	if (v.status[0] == '!')
		return KHO_ECONFLICT;
	snprintf(code, WEBVERIFY_CODE_MAX, "000.31.20.H55-250310-0012-KQ1");
	return 0;
}

static int fz_tombstone(void *arg, const char *code, const unsigned char package_sha256[32],
                        webverify_tombstone *out, kho_err *err)
{
	(void)arg;
	(void)package_sha256;
	(void)err;
	if (!(v.flags & A_TOMB))
		return KHO_ENOTFOUND;
	memset(out, 0, sizeof *out);
	/* By package (code NULL): the code of the view's record, which the
	 * page must find equal to the uploaded record's before it says so. */
	snprintf(out->code, sizeof out->code, "%s",
	         code != NULL ? code : "000.31.20.H55-250310-0012-KQ1");
	snprintf(out->destroyed_on, sizeof out->destroyed_on, "%s", v.destroyed_on);
	snprintf(out->decision, sizeof out->decision, "%s", v.decision);
	snprintf(out->decision_date, sizeof out->decision_date, "%s", v.decision_date);
	out->batch = (long long)v.xmllen - 3;
	return 0;
}

static void fz_audit(void *arg, const char *action, const char *object, int status,
                     const char *detail)
{
	(void)arg;
	if (action == NULL || object == NULL || detail == NULL || status < 200 || status >= 600)
		abort();
}

static webverify *wv;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum webverify_kind kinds[] = { WV_FORM, WV_UPLOAD, WV_QR, WV_API };
	webverify_request rq;
	webverify_response res;
	webverify_archive ar;
	kho_err err;
	char key[256];
	size_t n, l;
	const uint8_t *nl;

	if (wv == NULL) {
		memset(&ar, 0, sizeof ar);
		ar.key_hash = fz_key_hash;
		ar.status_of = fz_status_of;
		ar.renewed_package = fz_renewed;
		ar.report_by_code = fz_report_by_code;
		ar.code_by_object = fz_code_by_object;
		ar.tombstone = fz_tombstone;
		ar.audit = fz_audit;
		if (webverify_new(&wv, NULL, &ar, &err) != 0)
			abort();
	}
	if (size < 3)
		return 0;
	memset(&rq, 0, sizeof rq);
	memset(&v, 0, sizeof v);
	rq.kind = kinds[data[0] & 3];
	rq.lang = (data[0] & 4) ? WV_LANG_EN : WV_LANG_VI;
	v.flags = data[0];
	l = (size_t)data[1] << 8 | data[2];
	data += 3;
	size -= 3;
	if (l > size)
		l = size;
	view_read(data, l);
	data += l;
	size -= l;
	if (kho_sha256(v.upload_sha, data, size) != 0)
		abort();
	if (rq.kind == WV_QR) {
		nl = memchr(data, '\n', size);
		n = nl != NULL ? (size_t)(nl - data) : size;
		if (n < sizeof rq.code && memchr(data, '\0', n) == NULL) {
			memcpy(rq.code, data, n);
			rq.code[n] = '\0';
		}
		if (nl != NULL) {
			size_t k = size - n - 1;
			k = k < sizeof key - 1 ? k : sizeof key - 1;
			memcpy(key, nl + 1, k);
			key[k] = '\0';
			rq.key = key;
		}
	} else {
		rq.data = data;
		rq.len = size;
		rq.have_file = 1;
		rq.filename = size > 0 && (data[0] & 1) ? "x.asice" : "x.pdf";
	}
	if (webverify_handle(wv, &rq, &res, &err) != 0)
		abort();
	if (res.status < 200 || res.status >= 500 || res.body.len == 0)
		abort();
	webverify_response_free(&res);
	return 0;
}
