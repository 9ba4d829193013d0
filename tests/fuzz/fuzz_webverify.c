/*
 * fuzz_webverify.c: libFuzzer harness for the public verification module
 * (archive/webverify.h): any upload (package or single file, page or JSON)
 * and any QR path code and key must give a complete answer with a status,
 * and no answer may be a 5xx for want of a bug. The first byte picks the
 * kind and the language; for the QR path the rest is "code\nkey".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive/webverify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fz_key_hash(void *arg, const char *code, unsigned char hash[32], kho_err *err)
{
	(void)arg;
	(void)code;
	memset(hash, 0x42, 32);
	return 0;
}

static webverify *wv;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum webverify_kind kinds[] = { WV_FORM, WV_UPLOAD, WV_QR, WV_API };
	webverify_request rq;
	webverify_response res;
	webverify_archive ar;
	kho_err err;
	char buf[256];
	size_t n;
	const char *nl;

	if (wv == NULL) {
		memset(&ar, 0, sizeof ar);
		ar.key_hash = fz_key_hash;
		if (webverify_new(&wv, NULL, &ar, &err) != 0)
			abort();
	}
	if (size == 0)
		return 0;
	memset(&rq, 0, sizeof rq);
	rq.kind = kinds[data[0] & 3];
	rq.lang = (data[0] & 4) ? WV_LANG_EN : WV_LANG_VI;
	data++;
	size--;
	if (rq.kind == WV_QR) {
		n = size < sizeof buf - 1 ? size : sizeof buf - 1;
		memcpy(buf, data, n);
		buf[n] = '\0';
		nl = strchr(buf, '\n');
		if (nl != NULL) {
			buf[nl - buf] = '\0';
			rq.key = nl + 1;
		}
		n = strlen(buf) < sizeof rq.code - 1 ? strlen(buf) : sizeof rq.code - 1;
		memcpy(rq.code, buf, n);
		rq.code[n] = '\0';
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
