/*
 * test_record.c: record.xml parsing, schema validation, the code checks and
 * canonical writing (archive/record.h), against testdata/records/.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/record.h"
#include "common/buf.h"
#include "common/util.h"
#include "tests/unit/test.h"

static const char *root(void)
{
	const char *r = getenv("ROOT");
	return r != NULL ? r : ".";
}

/* read ROOT/rel into b (cap 1 MiB); 0 on success */
static int slurp(kho_buf *b, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", root(), rel);
	kho_buf_init(b, 1u << 20);
	return kho_read_file(b, path, NULL);
}

static void t_code_formats(void)
{
	CHECK(record_is_agency_code("000.00.20.H30"));
	CHECK(!record_is_agency_code("000.00.20.h30"));
	CHECK(!record_is_agency_code("00.00.20.H30"));
	CHECK(!record_is_agency_code("000.00.20.H30 "));
	CHECK(!record_is_agency_code(NULL));
	CHECK(record_is_dossier_code("000.00.20.H30-250314-0007"));
	CHECK(record_is_dossier_code("000.00.20.H30-240229-0001"));  /* 2024 is a leap year */
	CHECK(!record_is_dossier_code("000.00.20.H30-250229-0001")); /* 2025 is not */
	CHECK(!record_is_dossier_code("000.00.20.H30-251301-0001"));
	CHECK(!record_is_dossier_code("000.00.20.H30-250314-007"));
	CHECK(record_is_result_code("000.00.20.H30-250314-0007-KQ1"));
	CHECK(record_is_result_code("000.00.20.H30-250314-0007-KQ12"));
	CHECK(!record_is_result_code("000.00.20.H30-250314-0007-KQ0"));
	CHECK(!record_is_result_code("000.00.20.H30-250314-0007-KQ"));
	CHECK(!record_is_result_code("000.00.20.H30-250314-0007-KQ1x"));
	CHECK(record_is_procedure_code("2.000815"));
	CHECK(!record_is_procedure_code("2.00081"));
	CHECK(!record_is_procedure_code("2-000815"));
	CHECK(record_is_provincial_procedure_code("2.000815.000.00.00.H55"));
	CHECK(!record_is_provincial_procedure_code("2.000815.000.00.00"));
	CHECK(record_is_personal_number("001099012345"));
	CHECK(!record_is_personal_number("00109901234"));
	CHECK(!record_is_personal_number("00109901234a"));
	CHECK(record_is_enterprise_code("0101234567"));
	CHECK(record_is_enterprise_code("0101234567-001"));
	CHECK(!record_is_enterprise_code("0101234567-01"));
	CHECK(!record_is_enterprise_code("010123456"));
}

/* Every record of testdata/records/ parses, and writing it back gives the
 * same bytes (the files are in canonical form). */
static void t_testdata_records(void)
{
	char dir[4096];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof dir, "%s/testdata/records", root());
	d = opendir(dir);
	REQUIRE(d != NULL);
	while ((de = readdir(d)) != NULL) {
		char rel[600];
		kho_buf in, out;
		kho_err err = { 0 };
		record *r = NULL;
		int rc;

		if (strstr(de->d_name, ".xml") == NULL)
			continue;
		snprintf(rel, sizeof rel, "testdata/records/%s", de->d_name);
		REQUIRE(slurp(&in, rel) == 0);
		rc = record_parse(&r, in.data, in.len, &err);
		if (rc != 0)
			fprintf(stderr, "  %s: %s\n", de->d_name, err.msg);
		CHECK_EQ_INT(rc, 0);
		if (r != NULL) {
			kho_buf_init(&out, RECORD_MAX_SIZE);
			CHECK_EQ_INT(record_write(&out, r, &err), 0);
			CHECK(out.len == in.len && memcmp(out.data, in.data, in.len) == 0);
			kho_buf_free(&out);
		}
		record_free(r);
		kho_buf_free(&in);
		n++;
	}
	closedir(d);
	CHECK_EQ_INT(n, 9);
}

static void t_fields(void)
{
	kho_buf in;
	kho_err err = { 0 };
	record *r = NULL;

	REQUIRE(slurp(&in, "testdata/records/xd01-building-permit.xml") == 0);
	REQUIRE(record_parse(&r, in.data, in.len, &err) == 0);
	CHECK_STR(r->result_code, "000.20.31.H55-250702-0031-KQ2");
	CHECK_STR(r->dossier_code, "000.20.31.H55-250702-0031");
	CHECK_STR(r->procedure_national, "1.009972");
	CHECK_STR(r->procedure_provincial, "1.009972.000.00.00.H55");
	CHECK_STR(r->agency_code, "000.20.31.H55");
	CHECK_STR(r->result_type, "building-permit");
	CHECK_STR(r->number_symbol, "215/GPXD-ĐC");
	CHECK_STR(r->subject_kind, "citizen");
	CHECK_STR(r->subject_id, "051078009876");
	CHECK_STR(r->subject_name, "Lê Văn Tâm");
	/* &amp; in the file is & in the record */
	CHECK(strstr(r->title, "tờ bản đồ số 7 & phụ lục") != NULL);
	CHECK_STR(r->issue_date, "2025-07-21");
	CHECK_STR(r->valid_from, "2025-07-21");
	CHECK_STR(r->valid_until, "2026-07-20");
	CHECK_STR(r->language, "vi");
	CHECK_STR(r->supersedes, "000.20.31.H55-250702-0031-KQ1");
	record_free(r);
	kho_buf_free(&in);

	REQUIRE(slurp(&in, "testdata/records/hkd01-household-business.xml") == 0);
	REQUIRE(record_parse(&r, in.data, in.len, &err) == 0);
	CHECK_STR(r->subject_kind, "enterprise");
	CHECK(r->valid_until == NULL && r->supersedes == NULL && r->procedure_provincial == NULL &&
	      r->digitized_on == NULL);
	CHECK_EQ_INT(r->nothers, 0);
	record_free(r);
	kho_buf_free(&in);

	/* A marriage registration names both spouses: the first is the
	 * record's subject, the second its first further subject. */
	REQUIRE(slurp(&in, "testdata/records/ht02-marriage-registration.xml") == 0);
	REQUIRE(record_parse(&r, in.data, in.len, &err) == 0);
	CHECK_STR(r->subject_id, "051094007788");
	CHECK_STR(r->subject_name, "Phạm Minh Đức");
	CHECK_EQ_INT(r->nothers, 1);
	CHECK_STR(r->others[0].kind, "citizen");
	CHECK_STR(r->others[0].id, "051096004321");
	CHECK_STR(r->others[0].name, "Lê Thị Thu Hương");
	CHECK(r->others[1].id == NULL);
	record_free(r);
	kho_buf_free(&in);

	/* A birth registration issued on paper in 1992 and digitized in
	 * 2025: its issue date precedes the digitization dossier. */
	REQUIRE(slurp(&in, "testdata/records/ht01-birth-registration-digitized.xml") == 0);
	REQUIRE(record_parse(&r, in.data, in.len, &err) == 0);
	CHECK_STR(r->issue_date, "1992-06-18");
	CHECK_STR(r->digitized_on, "2025-04-02");
	CHECK_STR(r->dossier_code, "000.31.20.H55-250402-0031");
	record_free(r);
	kho_buf_free(&in);
}

/* testdata/records/invalid/: each refused with KHO_EFORMAT and a message
 * naming the element (and its line). */
static void t_invalid_records(void)
{
	static const struct {
		const char *file, *want1, *want2;
	} cases[] = {
		{ "bad-agency-code.xml", "line 7", "agencyCode" },
		{ "bad-personal-number.xml", "line 11", "id" },
		{ "valid-until-before-from.xml", "validUntil", "before validFrom" },
		{ "wrong-namespace.xml", "urn:kho:record:1", "urn:kho:record:2" },
		{ "xxe.xml", "DOCTYPE", "not allowed" },
		{ "result-not-extending-dossier.xml", "resultCode", "does not extend" },
		{ "dossier-date-not-real.xml", "dossierCode", "real receipt date" },
		{ "enterprise-id-for-citizen.xml", "subject/id", "12-digit" },
		/* the second subject is checked as the first, and named by line */
		{ "second-subject-bad-id.xml", "line 14: subject/id", "12-digit" },
		{ "subject-named-twice.xml", "line 14: subject/id",
		  "subject 2 has the same id as subject 1" },
		/* at most RECORD_MAX_SUBJECTS (8): the schema refuses the ninth */
		{ "nine-subjects.xml", "line 41", "subject" },
		/* a paper result digitized later (digitizedOn): its issue date may
		 * precede the dossier, the digitization may not; without
		 * digitizedOn the old issue date is refused, naming the remedy */
		{ "digitized-before-dossier.xml", "line 15: digitizedOn",
		  "2025-04-01 is before the dossier was received (250402" },
		{ "issued-after-digitized.xml", "line 14: issueDate",
		  "2025-04-03 is after digitizedOn 2025-04-02" },
		{ "paper-result-not-digitized.xml", "line 14: issueDate",
		  "1992-06-18 is before the dossier was received (250402 in" },
		{ "digitized-not-real.xml", "line 15: digitizedOn", "\"2025-02-30\" is not a real date" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char rel[600];
		kho_buf in;
		kho_err err = { 0 };
		record *r = NULL;

		snprintf(rel, sizeof rel, "testdata/records/invalid/%s", cases[i].file);
		REQUIRE(slurp(&in, rel) == 0);
		CHECK_EQ_INT(record_parse(&r, in.data, in.len, &err), KHO_EFORMAT);
		CHECK(r == NULL);
		if (strstr(err.msg, cases[i].want1) == NULL || strstr(err.msg, cases[i].want2) == NULL) {
			fprintf(stderr, "  %s: message \"%s\" lacks \"%s\"/\"%s\"\n", cases[i].file,
			        err.msg, cases[i].want1, cases[i].want2);
			CHECK(0);
		} else {
			CHECK(1);
		}
		kho_buf_free(&in);
	}
}

static record sample(void)
{
	record r = { 0 };
	r.result_code = "000.00.20.H30-250314-0007-KQ1";
	r.dossier_code = "000.00.20.H30-250314-0007";
	r.procedure_national = "2.000815";
	r.agency_code = "000.00.20.H30";
	r.result_type = "certified-copy";
	r.number_symbol = "15/2025/SCT";
	r.subject_kind = "citizen";
	r.subject_id = "001099012345";
	r.subject_name = "Nguyễn Thị Ánh <Hồng> & \"Vy\"";
	r.title = "Bản sao chứng thực: giấy khai sinh";
	r.issue_date = "2025-03-14";
	r.signer = "Phạm Văn Đông";
	r.valid_from = "2025-03-14";
	r.language = "vi";
	return r;
}

static void t_write_roundtrip(void)
{
	record in = sample(), *out = NULL;
	kho_buf b;
	kho_err err = { 0 };

	kho_buf_init(&b, RECORD_MAX_SIZE);
	REQUIRE(record_write(&b, &in, &err) == 0);
	CHECK(strstr((char *)b.data, "Nguyễn Thị Ánh &lt;Hồng&gt; &amp; &quot;Vy&quot;") != NULL);
	CHECK(strncmp((char *)b.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<record xmlns=\"urn:kho:record:1\">\n", 73) == 0);
	REQUIRE(record_parse(&out, b.data, b.len, &err) == 0);
	CHECK_STR(out->subject_name, in.subject_name);
	CHECK_STR(out->signer, "Phạm Văn Đông");
	CHECK(out->valid_until == NULL);
	record_free(out);
	kho_buf_free(&b);
}

/* Further subjects are written in order after the first, read back the
 * same; a missing part or a ninth subject is refused before writing. */
static void t_write_subjects(void)
{
	record in = sample(), *out = NULL;
	kho_buf b;
	kho_err err = { 0 };
	const char *p1, *p2;

	in.nothers = 2;
	in.others[0] = (record_subject){ "citizen", "001199054321", "Trần Văn Bình" };
	in.others[1] = (record_subject){ "enterprise", "0101234567-001", "Công ty TNHH An Phú" };
	kho_buf_init(&b, RECORD_MAX_SIZE);
	REQUIRE(record_write(&b, &in, &err) == 0);
	p1 = strstr((char *)b.data, "<id>001199054321</id>");
	p2 = strstr((char *)b.data, "<subject kind=\"enterprise\">");
	CHECK(p1 != NULL && p2 != NULL && p1 < p2 && p2 < strstr((char *)b.data, "<title>"));
	REQUIRE(record_parse(&out, b.data, b.len, &err) == 0);
	CHECK_EQ_INT(out->nothers, 2);
	CHECK_STR(out->subject_id, "001099012345");
	CHECK_STR(out->others[0].name, "Trần Văn Bình");
	CHECK_STR(out->others[1].kind, "enterprise");
	CHECK_STR(out->others[1].id, "0101234567-001");
	record_free(out);
	b.len = 0;
	in.others[1].name = NULL;
	CHECK_EQ_INT(record_write(&b, &in, &err), KHO_EINVAL);
	CHECK(strstr(err.msg, "subject 3") != NULL);
	in.others[1].name = "Công ty TNHH An Phú";
	in.nothers = RECORD_MAX_SUBJECTS;
	CHECK_EQ_INT(record_write(&b, &in, &err), KHO_EINVAL);
	CHECK(strstr(err.msg, "more than 8 subjects") != NULL);
	CHECK_EQ_INT(b.len, 0);
	kho_buf_free(&b);
}

static void t_write_refuses_invalid(void)
{
	record in = sample();
	kho_buf b;
	kho_err err = { 0 };

	kho_buf_init(&b, RECORD_MAX_SIZE);
	kho_buf_append(&b, "x", 1);
	in.valid_until = "2025-03-13";
	CHECK_EQ_INT(record_write(&b, &in, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "validUntil") != NULL);
	CHECK_EQ_INT(b.len, 1); /* out untouched */
	in = sample();
	in.subject_kind = "enterprise"; /* with a personal number */
	CHECK_EQ_INT(record_write(&b, &in, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "enterprise") != NULL);
	in = sample();
	in.title = NULL;
	CHECK_EQ_INT(record_write(&b, &in, &err), KHO_EINVAL);
	CHECK(strstr(err.msg, "title") != NULL);
	in = sample();
	in.title = "a\001b";
	CHECK_EQ_INT(record_write(&b, &in, &err), KHO_EFORMAT);
	in = sample();
	in.issue_date = "2025-03-13"; /* before the dossier was received on 250314 */
	CHECK_EQ_INT(record_write(&b, &in, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "issueDate") != NULL);
	in = sample();
	in.supersedes = in.result_code;
	CHECK_EQ_INT(record_write(&b, &in, &err), KHO_EFORMAT);
	in = sample();
	in.procedure_provincial = "1.000815.000.00.00.H55"; /* not extending 2.000815 */
	CHECK_EQ_INT(record_write(&b, &in, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "provincialProcedureCode") != NULL);
	in = sample();
	in.issue_date = "2025-02-30";
	CHECK_EQ_INT(record_write(&b, &in, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "issueDate") != NULL);
	CHECK_EQ_INT(b.len, 1);
	kho_buf_free(&b);
}

static void t_parse_hostile(void)
{
	static const char billion[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE record [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n<record xmlns=\"urn:kho:record:1\">&b;</record>\n";
	static const char broken[] = "<record xmlns=\"urn:kho:record:1\">\n<resultCode>";
	static const char extra[] =
		"<record xmlns=\"urn:kho:record:1\"><surprise/></record>";
	record *r = NULL;
	kho_err err = { 0 };
	kho_buf big;

	CHECK_EQ_INT(record_parse(&r, billion, sizeof billion - 1, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "DOCTYPE") != NULL);
	CHECK_EQ_INT(record_parse(&r, broken, sizeof broken - 1, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "not well-formed") != NULL && strstr(err.msg, "line 2") != NULL);
	CHECK_EQ_INT(record_parse(&r, extra, sizeof extra - 1, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "surprise") != NULL);
	CHECK_EQ_INT(record_parse(&r, "", 0, &err), KHO_EFORMAT);
	{
		/* white space is not collapsed away, in dates or the language */
		kho_buf in;
		char *t;
		REQUIRE(slurp(&in, "testdata/records/ct01-certified-copy.xml") == 0);
		t = strstr((char *)in.data, "<language>vi");
		REQUIRE(t != NULL);
		memcpy(t + 10, "\ti", 2);
		CHECK_EQ_INT(record_parse(&r, in.data, in.len, &err), KHO_EFORMAT);
		CHECK(strstr(err.msg, "language") != NULL);
		kho_buf_free(&in);
		REQUIRE(slurp(&in, "testdata/records/ct01-certified-copy.xml") == 0);
		t = strstr((char *)in.data, "<issueDate>2025");
		REQUIRE(t != NULL);
		memcpy(t + 11, " 025", 4);
		CHECK_EQ_INT(record_parse(&r, in.data, in.len, &err), KHO_EFORMAT);
		CHECK(strstr(err.msg, "issueDate") != NULL);
		kho_buf_free(&in);
	}
	{
		/* a tab inside a text field is refused by the schema (the writer
		 * could not write it back canonically) */
		kho_buf in;
		REQUIRE(slurp(&in, "testdata/records/ct01-certified-copy.xml") == 0);
		char *t = strstr((char *)in.data, "Bằng tốt");
		REQUIRE(t != NULL);
		t[-1] = '\t';
		CHECK_EQ_INT(record_parse(&r, in.data, in.len, &err), KHO_EFORMAT);
		CHECK(strstr(err.msg, "title") != NULL && strstr(err.msg, "line 14") != NULL);
		kho_buf_free(&in);
	}
	kho_buf_init(&big, RECORD_MAX_SIZE + 2);
	for (size_t i = 0; i <= RECORD_MAX_SIZE; i++)
		kho_buf_append(&big, " ", 1);
	CHECK_EQ_INT(record_parse(&r, big.data, big.len, &err), KHO_ETOOBIG);
	kho_buf_free(&big);
	CHECK(r == NULL);
}

/* record_date_after: issueDate, digitizedOn, then the dossier's receipt date. */
static void t_date_after(void)
{
	record r;
	char b[160];

	memset(&r, 0, sizeof r);
	r.dossier_code = (char *)"000.00.20.H30-250314-0007";
	r.issue_date = (char *)"2025-03-14";
	CHECK(record_date_after(&r, "2025-03-14", b, sizeof b) == NULL);
	CHECK(record_date_after(&r, "2025-03-13", b, sizeof b) == b);
	CHECK_STR(b, "issueDate 2025-03-14");
	r.issue_date = (char *)"1992-05-04";
	CHECK(record_date_after(&r, "2025-03-13", b, sizeof b) == b);
	CHECK_STR(b, "the receipt date of dossier 000.00.20.H30-250314-0007, 2025-03-14");
	r.digitized_on = (char *)"2025-03-15";
	CHECK(record_date_after(&r, "2025-03-14", b, sizeof b) == b);
	CHECK_STR(b, "digitizedOn 2025-03-15");
	CHECK(record_date_after(&r, "2025-03-15", b, sizeof b) == NULL);
	CHECK(record_date_after(&r, "not a date", b, sizeof b) == NULL);
}

TESTS(T(t_code_formats), T(t_testdata_records), T(t_fields), T(t_invalid_records),
      T(t_write_roundtrip), T(t_write_subjects), T(t_write_refuses_invalid), T(t_parse_hostile),
      T(t_date_after))
