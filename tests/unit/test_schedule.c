/*
 * test_schedule.c: loading retention schedules (retention/schedule.h): the
 * provincial test schedule and its second version load with every field;
 * every file of testdata/schedules/invalid/ is refused with the line and
 * text its second line announces; hostile and oversized inputs; the hash
 * agrees with sha256sum; schedule_diff reports a shortened and a
 * lengthened period and nothing for an identical version.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "retention/schedule.h"
#include "tests/unit/test.h"

static const char *root(void)
{
	const char *r = getenv("ROOT");
	return r && *r ? r : ".";
}

static void path_of(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s/%s", root(), rel);
}

static schedule *load(const char *rel)
{
	char p[4096];
	schedule *s = NULL;
	kho_err e = { 0 };

	path_of(p, sizeof p, rel);
	if (schedule_load(&s, p, &e) != 0)
		fprintf(stderr, "  %s\n", e.msg);
	return s;
}

static void t_province_loads(void)
{
	schedule *s = load("testdata/schedules/province-2025.xml");
	const schedule_class *c;
	char d[11];

	REQUIRE(s != NULL);
	CHECK_STR(s->identifier, "H55-SNV-TTHC-LUUTRU");
	CHECK_STR(s->version, "2025.1");
	CHECK_STR(s->agency_code, "000.00.08.H55");
	CHECK_STR(s->agency_name, "Sở Nội vụ tỉnh Thái Nguyên");
	CHECK_STR(s->decision, "125/QĐ-SNV");
	CHECK_STR(due_format(d, s->decision_date), "2025-01-20");
	CHECK_STR(due_format(d, s->effective), "2025-02-01");
	CHECK_EQ_INT(s->cutoff, DUE_CUTOFF_CALENDAR_YEAR);
	CHECK_EQ_INT(s->due, DUE_RULE_END_OF_YEAR);
	CHECK_EQ_INT(s->feb29, DUE_FEB29_MAR1);
	CHECK_EQ_INT(s->nclasses, 9);
	REQUIRE(s->fallback != NULL);
	CHECK_STR(s->fallback->code, "GEN.99");

	/* every class of domain.md is there */
	static const char *const codes[] = { "HT.01", "HT.02", "HT.03", "CT.01", "LLTP.01",
	                                     "HKD.01", "XD.01", "GEN.01" };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		CHECK(schedule_class_find(s, codes[i]) != NULL);
	CHECK(schedule_class_find(s, "XX.01") == NULL);

	c = schedule_class_find(s, "HT.01");
	REQUIRE(c != NULL);
	CHECK_STR(c->title, "Đăng ký khai sinh");
	CHECK(c->permanent);
	CHECK_EQ_INT(c->transfer_after, 5);
	CHECK_EQ_INT(c->action, SCHED_ACTION_TRANSFER);
	CHECK_EQ_INT(c->nlegal_basis, 2);
	CHECK(strstr(c->legal_basis[0], "04/2020/TT-BTP") != NULL);

	c = schedule_class_find(s, "CT.01");
	REQUIRE(c != NULL);
	CHECK(!c->permanent);
	CHECK_EQ_INT(c->years, 5);
	REQUIRE(c->nprocedures == 1);
	CHECK_STR(c->procedures[0], "2.000815");
	REQUIRE(c->nresult_types == 1);
	CHECK_STR(c->result_types[0], "certified-copy");
	CHECK_EQ_INT(c->ntriggers, 1);
	CHECK_EQ_INT(c->triggers[0].kind, SCHED_TRIGGER_DOSSIER_CLOSED);
	CHECK_EQ_INT(c->cutoff, DUE_CUTOFF_CALENDAR_YEAR); /* the schedule default */
	CHECK_EQ_INT(c->action, SCHED_ACTION_DESTROY);

	c = schedule_class_find(s, "HKD.01");
	REQUIRE(c != NULL);
	CHECK_EQ_INT(c->years, 20);
	CHECK_EQ_INT(c->ntriggers, 2);
	CHECK_EQ_INT(c->triggers[1].kind, SCHED_TRIGGER_REVOKED);
	CHECK_EQ_INT(c->cutoff, DUE_CUTOFF_NONE);         /* overridden by the class */
	CHECK_EQ_INT(c->due, DUE_RULE_ANNIVERSARY);
	CHECK_EQ_INT(c->action, SCHED_ACTION_REVIEW);

	c = schedule_class_find(s, "GEN.01");
	REQUIRE(c != NULL);
	CHECK_EQ_INT(c->nprocedures, 0);
	CHECK_EQ_INT(c->nresult_types, 3);
	CHECK(!c->fallback);
	schedule_free(s);
	schedule_free(NULL);
}

/* The hash is of the exact file bytes: compare with an independent tool. */
static void t_hash_matches_sha256sum(void)
{
	schedule *s = load("testdata/schedules/province-2025.xml");
	char cmd[4200], p[4096], line[200] = "";
	FILE *f;

	REQUIRE(s != NULL);
	path_of(p, sizeof p, "testdata/schedules/province-2025.xml");
	snprintf(cmd, sizeof cmd, "sha256sum '%s'", p);
	f = popen(cmd, "r");
	REQUIRE(f != NULL);
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	pclose(f);
	REQUIRE(strlen(line) > 64);
	line[64] = '\0';
	CHECK_STR(s->sha256_hex, line);
	schedule_free(s);
}

/* Each invalid file announces "<!-- expect-line: N expect-text: TEXT -->". */
static void t_invalid_files_refused_with_line(void)
{
	char dir[4096];
	struct dirent *de;
	DIR *d;
	int n = 0;

	path_of(dir, sizeof dir, "testdata/schedules/invalid");
	d = opendir(dir);
	REQUIRE(d != NULL);
	while ((de = readdir(d)) != NULL) {
		char p[8192], want_line[40], want_text[300];
		const char *a, *b, *m;
		size_t nl = strlen(de->d_name);
		kho_buf buf;
		schedule *s = (schedule *)1;
		kho_err e = { 0 };
		long line;
		int rc;

		if (nl < 5 || strcmp(de->d_name + nl - 4, ".xml") != 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		kho_buf_init(&buf, SCHEDULE_MAX_SIZE);
		REQUIRE(kho_read_file(&buf, p, NULL) == 0);
		a = strstr((const char *)buf.data, "expect-line: ");
		b = a ? strstr(a, " expect-text: ") : NULL;
		m = b ? strstr(b, " -->") : NULL;
		if (a == NULL || b == NULL || m == NULL) {
			fprintf(stderr, "  %s: no expectation comment\n", de->d_name);
			CHECK(0);
			kho_buf_free(&buf);
			continue;
		}
		line = strtol(a + 13, NULL, 10);
		b += 14;
		snprintf(want_text, sizeof want_text, "%.*s", (int)(m - b), b);
		snprintf(want_line, sizeof want_line, "line %ld: ", line);
		rc = schedule_parse(&s, buf.data, buf.len, &e);
		if (rc != KHO_EFORMAT || strncmp(e.msg, want_line, strlen(want_line)) != 0 ||
		    strstr(e.msg, want_text) == NULL)
			fprintf(stderr, "  %s: rc %d, \"%s\"; wanted %s... %s\n", de->d_name, rc, e.msg,
			        want_line, want_text);
		CHECK_EQ_INT(rc, KHO_EFORMAT);
		CHECK(s == NULL);
		CHECK(strncmp(e.msg, want_line, strlen(want_line)) == 0);
		CHECK(strstr(e.msg, want_text) != NULL);
		/* nothing of the entity target may leak into the message */
		CHECK(strstr(e.msg, "root:") == NULL);
		kho_buf_free(&buf);
		n++;
	}
	closedir(d);
	CHECK(n >= 6);
}

/* schedule_load prefixes the path; a missing file is KHO_ENOTFOUND. */
static void t_load_errors(void)
{
	char p[4096];
	schedule *s = NULL;
	kho_err e = { 0 };

	path_of(p, sizeof p, "testdata/schedules/invalid/duplicate-code.xml");
	CHECK_EQ_INT(schedule_load(&s, p, &e), KHO_EFORMAT);
	CHECK(strstr(e.msg, "duplicate-code.xml: line 112: duplicate class code") != NULL);
	CHECK_EQ_INT(schedule_load(&s, "/nonexistent/schedule.xml", &e), KHO_ENOTFOUND);
	CHECK(s == NULL);
	/* a NULL err is allowed */
	CHECK_EQ_INT(schedule_load(&s, p, NULL), KHO_EFORMAT);
}

static void t_hostile_and_oversized(void)
{
	static const char small_ok_head[] = "<?xml version=\"1.0\"?>\n<schedule xmlns=\"urn:kho:schedule:1\">";
	schedule *s = NULL;
	kho_err e = { 0 };
	char *big;

	CHECK_EQ_INT(schedule_parse(&s, "", 0, &e), KHO_EFORMAT);
	CHECK(strstr(e.msg, "empty") != NULL);
	CHECK_EQ_INT(schedule_parse(&s, "not xml at all", 14, &e), KHO_EFORMAT);
	CHECK(strstr(e.msg, "line 1: malformed XML") != NULL);
	CHECK_EQ_INT(schedule_parse(&s, small_ok_head, sizeof small_ok_head - 1, &e), KHO_EFORMAT);
	CHECK(strncmp(e.msg, "line 2: malformed XML", 21) == 0);

	big = malloc(SCHEDULE_MAX_SIZE + 1);
	REQUIRE(big != NULL);
	memset(big, ' ', SCHEDULE_MAX_SIZE + 1);
	CHECK_EQ_INT(schedule_parse(&s, big, SCHEDULE_MAX_SIZE + 1, &e), KHO_ETOOBIG);
	free(big);

	/* an external DTD reference, even without an internal subset */
	{
		static const char x[] = "<?xml version=\"1.0\"?>\n"
			"<!DOCTYPE schedule SYSTEM \"http://127.0.0.1:1/x.dtd\">\n"
			"<schedule xmlns=\"urn:kho:schedule:1\"/>\n";
		CHECK_EQ_INT(schedule_parse(&s, x, sizeof x - 1, &e), KHO_EFORMAT);
		CHECK(strstr(e.msg, "line 2: DOCTYPE not allowed") != NULL);
	}
	/* the DOCTYPE check after parsing, for encodings the byte scan cannot see */
	{
		static const char u16[] = "\xff\xfe<\0!\0D\0O\0C\0T\0Y\0P\0E\0 \0s\0>\0<\0s\0/\0>\0";
		CHECK_EQ_INT(schedule_parse(&s, u16, sizeof u16 - 1, &e), KHO_EFORMAT);
		CHECK(strstr(e.msg, "DOCTYPE") != NULL);
	}
	CHECK(s == NULL);
}

/* Whitespace around tokens is collapsed like xs:token does. */
static void t_whitespace_in_tokens(void)
{
	static const char x[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<schedule xmlns=\"urn:kho:schedule:1\">\n"
		"  <identifier>  T  </identifier><version>\n 1 \n</version>\n"
		"  <issuingAgency code=\" 000.00.08.H55 \">  Sở   Nội vụ </issuingAgency>\n"
		"  <authority><decision>1/QĐ</decision><date> 2025-01-01 </date></authority>\n"
		"  <effective>2025-01-01</effective>\n"
		"  <counting><cutoff> none </cutoff><due>anniversary</due><feb29>feb28</feb29></counting>\n"
		"  <classes><class code=\"A.1\" fallback=\"1\"><title>t</title><covers/>\n"
		"    <period><years> 3 </years></period><trigger> ingest </trigger>\n"
		"    <action> destroy </action><legalBasis>x</legalBasis></class></classes>\n"
		"</schedule>\n";
	schedule *s = NULL;
	kho_err e = { 0 };
	int rc = schedule_parse(&s, x, sizeof x - 1, &e);

	if (rc != 0)
		fprintf(stderr, "  %s\n", e.msg);
	REQUIRE(rc == 0);
	CHECK_STR(s->identifier, "T");
	CHECK_STR(s->version, "1");
	CHECK_STR(s->agency_code, "000.00.08.H55");
	CHECK_STR(s->agency_name, "Sở Nội vụ");
	CHECK_EQ_INT(s->feb29, DUE_FEB29_FEB28);
	CHECK_EQ_INT(s->classes[0].years, 3);
	CHECK_EQ_INT(s->classes[0].triggers[0].kind, SCHED_TRIGGER_INGEST);
	CHECK_EQ_INT(s->classes[0].cutoff, DUE_CUTOFF_NONE);
	CHECK(s->classes[0].fallback);
	schedule_free(s);
}

/* Same procedure in two classes is fine when their result types differ. */
static void t_disjoint_result_types_not_ambiguous(void)
{
	static const char head[] =
		"<?xml version=\"1.0\"?>\n<schedule xmlns=\"urn:kho:schedule:1\">\n"
		"<identifier>T</identifier><version>1</version>\n"
		"<issuingAgency code=\"000.00.08.H55\">A</issuingAgency>\n"
		"<authority><decision>1</decision><date>2025-01-01</date></authority>\n"
		"<effective>2025-01-01</effective>\n"
		"<counting><cutoff>calendar-year</cutoff><due>end-of-year</due><feb29>mar1</feb29></counting>\n"
		"<classes>\n";
	static const char tail[] =
		"<class code=\"Z.1\" fallback=\"true\"><title>z</title><covers/><period><permanent/></period>"
		"<action>retain</action><legalBasis>x</legalBasis></class>\n</classes></schedule>\n";
	static const char two[] =
		"<class code=\"A.1\"><title>a</title><covers><procedure>2.000815</procedure>"
		"<resultType>certified-copy</resultType></covers><period><years>5</years></period>"
		"<trigger>dossier-closed</trigger><action>destroy</action><legalBasis>x</legalBasis></class>\n"
		"<class code=\"B.1\"><title>b</title><covers><procedure>2.000815</procedure>"
		"<resultType>refusal</resultType></covers><period><years>5</years></period>"
		"<trigger>dossier-closed</trigger><action>destroy</action><legalBasis>x</legalBasis></class>\n";
	static const char rt_clash[] =
		"<class code=\"A.1\"><title>a</title><covers><resultType>refusal</resultType></covers>"
		"<period><years>5</years></period>"
		"<trigger>dossier-closed</trigger><action>destroy</action><legalBasis>x</legalBasis></class>\n"
		"<class code=\"B.1\"><title>b</title><covers><resultType>withdrawal</resultType>"
		"<resultType>refusal</resultType></covers><period><years>5</years></period>"
		"<trigger>dossier-closed</trigger><action>destroy</action><legalBasis>x</legalBasis></class>\n";
	kho_buf b;
	schedule *s = NULL;
	kho_err e = { 0 };
	int rc;

	kho_buf_init(&b, 1 << 16);
	REQUIRE(kho_buf_appendf(&b, "%s%s%s", head, two, tail) == 0);
	rc = schedule_parse(&s, b.data, b.len, &e);
	if (rc != 0)
		fprintf(stderr, "  %s\n", e.msg);
	CHECK_EQ_INT(rc, 0);
	schedule_free(s);
	s = NULL;
	kho_buf_reset(&b);
	REQUIRE(kho_buf_appendf(&b, "%s%s%s", head, rt_clash, tail) == 0);
	CHECK_EQ_INT(schedule_parse(&s, b.data, b.len, &e), KHO_EFORMAT);
	CHECK(strstr(e.msg, "line 10: ambiguous match: result type refusal is covered by class A.1 "
	                    "(line 9) and class B.1 (line 10)") != NULL);
	kho_buf_free(&b);
}

/* A new version that shortens a period is detected (deliverable 2 and 11). */
static void t_diff_reports_changed_periods(void)
{
	schedule *v1 = load("testdata/schedules/province-2025.xml");
	schedule *v2 = load("testdata/schedules/province-2025-v2.xml");
	schedule_change *ch = NULL;
	size_t n = 99, i;
	int saw_short = 0, saw_long = 0;

	REQUIRE(v1 != NULL && v2 != NULL);
	CHECK(strcmp(v1->sha256_hex, v2->sha256_hex) != 0);
	REQUIRE(schedule_diff(&ch, &n, v1, v2, NULL) == 0);
	CHECK_EQ_INT(n, 2);
	for (i = 0; i < n; i++) {
		if (strcmp(ch[i].code, "LLTP.01") == 0) {
			saw_short = 1;
			CHECK_EQ_INT(ch[i].flags, SCHED_DIFF_SHORTER);
			CHECK_EQ_INT(ch[i].old_years, 10);
			CHECK_EQ_INT(ch[i].new_years, 5);
		} else if (strcmp(ch[i].code, "CT.01") == 0) {
			saw_long = 1;
			CHECK_EQ_INT(ch[i].flags, SCHED_DIFF_LONGER);
		}
	}
	CHECK(saw_short && saw_long);
	free(ch);

	/* the reverse direction swaps them */
	REQUIRE(schedule_diff(&ch, &n, v2, v1, NULL) == 0);
	CHECK_EQ_INT(n, 2);
	for (i = 0; i < n; i++)
		if (strcmp(ch[i].code, "CT.01") == 0)
			CHECK_EQ_INT(ch[i].flags, SCHED_DIFF_SHORTER);
	free(ch);

	/* identical versions: nothing to report */
	REQUIRE(schedule_diff(&ch, &n, v1, v1, NULL) == 0);
	CHECK_EQ_INT(n, 0);
	CHECK(ch == NULL);

	/* permanent to years is a shortening, and coverage changes are reported */
	v2->classes[0].permanent = 0;
	v2->classes[0].years = 70;
	free(v2->classes[0].result_types[0]);
	v2->classes[0].result_types[0] = strdup("birth-extract");
	free(v2->classes[1].code);
	v2->classes[1].code = strdup("HT.09");
	REQUIRE(schedule_diff(&ch, &n, v1, v2, NULL) == 0);
	{
		int f_ht01 = 0, f_ht02 = 0, f_ht09 = 0;
		for (i = 0; i < n; i++) {
			if (strcmp(ch[i].code, "HT.01") == 0) f_ht01 = (int)ch[i].flags;
			if (strcmp(ch[i].code, "HT.02") == 0) f_ht02 = (int)ch[i].flags;
			if (strcmp(ch[i].code, "HT.09") == 0) f_ht09 = (int)ch[i].flags;
		}
		CHECK(f_ht01 & SCHED_DIFF_SHORTER);
		CHECK(f_ht01 & SCHED_DIFF_COVERAGE);
		CHECK_EQ_INT(f_ht02, SCHED_DIFF_REMOVED);
		CHECK_EQ_INT(f_ht09, SCHED_DIFF_ADDED);
	}
	free(ch);
	schedule_free(v1);
	schedule_free(v2);
}

static void t_names(void)
{
	enum sched_trigger t;
	enum sched_action a;

	CHECK_EQ_INT(schedule_trigger_from_name(&t, "subject-ceased"), 0);
	CHECK_EQ_INT(t, SCHED_TRIGGER_SUBJECT_CEASED);
	CHECK_STR(schedule_trigger_name(SCHED_TRIGGER_EXTERNAL_EVENT), "external-event");
	CHECK_EQ_INT(schedule_trigger_from_name(&t, "closed"), KHO_EFORMAT);
	CHECK_EQ_INT(schedule_action_from_name(&a, "transfer"), 0);
	CHECK_EQ_INT(a, SCHED_ACTION_TRANSFER);
	CHECK_EQ_INT(schedule_action_from_name(&a, "shred"), KHO_EFORMAT);
	CHECK_STR(schedule_action_name(SCHED_ACTION_RETAIN), "retain");
}

TESTS(T(t_province_loads), T(t_hash_matches_sha256sum), T(t_invalid_files_refused_with_line),
      T(t_load_errors), T(t_hostile_and_oversized), T(t_whitespace_in_tokens),
      T(t_disjoint_result_types_not_ambiguous), T(t_diff_reports_changed_periods), T(t_names))
