/*
 * test_classify.c: a record's one class (retention/classify.h) in the
 * provincial test schedule: by procedure (national or provincial code), then
 * by result type, then the fallback; "none" when the fallback is switched
 * off or nothing identifies the record; no prefix confusion between codes;
 * and every record of testdata/records/ (parsed by archive/record.h) lands
 * in the class its file name announces ("lltp01-..." -> LLTP.01).
 */
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "archive/record.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "retention/classify.h"
#include "tests/unit/test.h"

static schedule *province(void)
{
	char p[4096];
	const char *r = getenv("ROOT");
	schedule *s = NULL;
	kho_err e = { 0 };

	snprintf(p, sizeof p, "%s/testdata/schedules/province-2025.xml", r && *r ? r : ".");
	if (schedule_load(&s, p, &e) != 0)
		fprintf(stderr, "  %s\n", e.msg);
	return s;
}

struct row {
	const char *procedure, *result_type, *want_class;
	enum classify_by want_how;
};

static void t_each_domain_class(void)
{
	static const struct row rows[] = {
		{ "1.001193", "birth-registration", "HT.01", CLASSIFY_BY_PROCEDURE },
		{ "1.000894", "marriage-registration", "HT.02", CLASSIFY_BY_PROCEDURE },
		{ "1.004873", "marital-status-certificate", "HT.03", CLASSIFY_BY_PROCEDURE },
		{ "2.000815", "certified-copy", "CT.01", CLASSIFY_BY_PROCEDURE },
		{ "2.000488", "judicial-record-certificate", "LLTP.01", CLASSIFY_BY_PROCEDURE },
		{ "2.000575", "household-business-registration", "HKD.01", CLASSIFY_BY_PROCEDURE },
		{ "1.009972", "building-permit", "XD.01", CLASSIFY_BY_PROCEDURE },
		/* refused or withdrawn dossiers of any procedure: result type decides */
		{ "2.000815", "refusal", "GEN.01", CLASSIFY_BY_RESULT_TYPE },
		{ "1.001193", "withdrawal", "GEN.01", CLASSIFY_BY_RESULT_TYPE },
		{ "9.999999", "refusal", "GEN.01", CLASSIFY_BY_RESULT_TYPE },
		{ NULL, "refusal", "GEN.01", CLASSIFY_BY_RESULT_TYPE },
		/* a listed procedure with an unlisted result type, and unknown ones */
		{ "2.000815", "certified-extract", "GEN.99", CLASSIFY_BY_FALLBACK },
		{ "9.999999", "permit", "GEN.99", CLASSIFY_BY_FALLBACK },
		{ "9.999999", NULL, "GEN.99", CLASSIFY_BY_FALLBACK },
		/* provincial code: national code "." agency code */
		{ "2.000815.000.00.00.H55", "certified-copy", "CT.01", CLASSIFY_BY_PROCEDURE },
		/* a longer code that only starts like a listed one */
		{ "2.0008150", "certified-copy", "GEN.99", CLASSIFY_BY_FALLBACK },
		{ "2.00081", "certified-copy", "GEN.99", CLASSIFY_BY_FALLBACK },
	};
	schedule *s = province();
	size_t i;

	REQUIRE(s != NULL);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const schedule_class *c = NULL;
		enum classify_by how = CLASSIFY_NONE;
		int rc = classify(&c, &how, s, rows[i].procedure, rows[i].result_type, 0);
		CHECK_EQ_INT(rc, 0);
		if (c == NULL || strcmp(c->code, rows[i].want_class) != 0 || how != rows[i].want_how)
			fprintf(stderr, "  row %zu (%s, %s): got %s by %s\n", i,
			        rows[i].procedure ? rows[i].procedure : "-",
			        rows[i].result_type ? rows[i].result_type : "-",
			        c ? c->code : "none", classify_by_name(how));
		CHECK(c != NULL && strcmp(c->code, rows[i].want_class) == 0);
		CHECK_EQ_INT(how, rows[i].want_how);
	}
	schedule_free(s);
}

static void t_none(void)
{
	schedule *s = province();
	const schedule_class *c = (const schedule_class *)1;
	enum classify_by how = CLASSIFY_BY_PROCEDURE;

	REQUIRE(s != NULL);
	CHECK_EQ_INT(classify(&c, &how, s, "9.999999", "permit", CLASSIFY_NO_FALLBACK), KHO_ENOTFOUND);
	CHECK(c == NULL);
	CHECK_EQ_INT(how, CLASSIFY_NONE);
	CHECK_STR(classify_by_name(how), "none");
	/* the switch changes nothing for records a class claims */
	CHECK_EQ_INT(classify(&c, &how, s, "2.000815", "certified-copy", CLASSIFY_NO_FALLBACK), 0);
	CHECK(c != NULL && strcmp(c->code, "CT.01") == 0);
	/* nothing identifies the record */
	CHECK_EQ_INT(classify(&c, &how, s, NULL, NULL, 0), KHO_ENOTFOUND);
	CHECK_EQ_INT(classify(&c, &how, s, "", "", 0), KHO_ENOTFOUND);
	CHECK_EQ_INT(classify(&c, NULL, NULL, "2.000815", NULL, 0), KHO_EINVAL);
	schedule_free(s);
}

/* A procedure class without result types takes every result type of it,
 * refusals included: step 1 comes before step 2. */
static void t_procedure_before_result_type(void)
{
	schedule *s = province();
	schedule_class *ct;
	const schedule_class *c = NULL;
	enum classify_by how;

	REQUIRE(s != NULL);
	ct = (schedule_class *)schedule_class_find(s, "CT.01");
	REQUIRE(ct != NULL);
	ct->nresult_types = 0; /* as if CT.01 listed no result type (the string stays owned) */
	CHECK_EQ_INT(classify(&c, &how, s, "2.000815", "refusal", 0), 0);
	CHECK(c == ct);
	CHECK_EQ_INT(how, CLASSIFY_BY_PROCEDURE);
	ct->nresult_types = 1;
	CHECK_EQ_INT(classify(&c, &how, s, "2.000815", "refusal", 0), 0);
	CHECK(c != NULL && strcmp(c->code, "GEN.01") == 0);
	schedule_free(s);
}

/* The records of testdata/records/, as the daemon will see them at ingest. */
static void t_testdata_records(void)
{
	const char *r = getenv("ROOT");
	char dir[4096];
	schedule *s = province();
	struct dirent *de;
	DIR *d;
	int n = 0;

	REQUIRE(s != NULL);
	snprintf(dir, sizeof dir, "%s/testdata/records", r && *r ? r : ".");
	d = opendir(dir);
	REQUIRE(d != NULL);
	while ((de = readdir(d)) != NULL) {
		char p[8192], want[32];
		const schedule_class *c = NULL;
		size_t nl = strlen(de->d_name), i, o = 0;
		record *rec = NULL;
		kho_err e = { 0 };
		kho_buf b;

		if (nl < 5 || strcmp(de->d_name + nl - 4, ".xml") != 0 || !isalpha((unsigned char)de->d_name[0]))
			continue;
		/* "lltp01-judicial-record.xml" -> "LLTP.01" */
		for (i = 0; i < nl && isalpha((unsigned char)de->d_name[i]) && o < 20; i++)
			want[o++] = (char)toupper((unsigned char)de->d_name[i]);
		want[o++] = '.';
		for (; i < nl && isdigit((unsigned char)de->d_name[i]) && o < 30; i++)
			want[o++] = de->d_name[i];
		want[o] = '\0';
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		kho_buf_init(&b, RECORD_MAX_SIZE);
		if (kho_read_file(&b, p, &e) != 0 || record_parse(&rec, b.data, b.len, &e) != 0) {
			fprintf(stderr, "  %s: %s\n", de->d_name, e.msg);
			CHECK(0);
			kho_buf_free(&b);
			continue;
		}
		CHECK_EQ_INT(classify(&c, NULL, s, rec->procedure_national, rec->result_type,
		                      CLASSIFY_NO_FALLBACK), 0);
		if (c == NULL || strcmp(c->code, want) != 0)
			fprintf(stderr, "  %s (%s, %s): class %s, expected %s\n", de->d_name,
			        rec->procedure_national, rec->result_type, c ? c->code : "none", want);
		CHECK(c != NULL && strcmp(c->code, want) == 0);
		record_free(rec);
		kho_buf_free(&b);
		n++;
	}
	closedir(d);
	CHECK(n >= 8);
	schedule_free(s);
}

TESTS(T(t_each_domain_class), T(t_none), T(t_procedure_before_result_type), T(t_testdata_records))
