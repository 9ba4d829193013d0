/*
 * fuzz_record.c: libFuzzer harness for record.xml (record_parse). Whatever
 * parses must write back (record_write), and what is written must parse to
 * the same record: the canonical form is a fixed point.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	record *r = NULL, *r2 = NULL;
	kho_buf out;
	kho_err err;
	int rc;

	memset(&err, 0, sizeof err);
	rc = record_parse(&r, data, size, &err);
	if (rc != 0) {
		if (r != NULL || err.msg[0] == '\0')
			abort();
		return 0;
	}
	kho_buf_init(&out, RECORD_MAX_SIZE);
	if (record_write(&out, r, &err) != 0)
		abort();
	if (record_parse(&r2, out.data, out.len, &err) != 0)
		abort();
	if (!same(r->result_code, r2->result_code) || !same(r->subject_name, r2->subject_name) ||
	    !same(r->title, r2->title) || !same(r->valid_until, r2->valid_until) ||
	    !same(r->supersedes, r2->supersedes) || !same(r->signer, r2->signer) ||
	    !same(r->issue_date, r2->issue_date) || !same(r->digitized_on, r2->digitized_on) ||
	    r->nothers != r2->nothers)
		abort();
	for (size_t k = 0; k < r->nothers; k++)
		if (!same(r->others[k].kind, r2->others[k].kind) ||
		    !same(r->others[k].id, r2->others[k].id) ||
		    !same(r->others[k].name, r2->others[k].name))
			abort();
	record_free(r2);
	record_free(r);
	kho_buf_free(&out);
	return 0;
}
