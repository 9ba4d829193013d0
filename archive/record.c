/*
 * record.c: record.xml, the metadata of one result (see record.h, the
 * schema archive/record.xsd and docs/record.md).
 *
 * Parsing is libxml2 hardened by common/xml.c (no network, no DTD, no
 * entity expansion, a DOCTYPE refused), then validation against the schema
 * compiled into the binary, then the checks XSD 1.0 cannot express:
 *   - the YYMMDD of a dossier code and every date are real calendar dates;
 *   - the result code is the dossier code plus "-KQ<n>" (Decree 45/2020
 *     art. 14(3)); the dossier code starts with an agency code, which is the
 *     receiving agency's and need not be the issuing agencyCode;
 *   - a provincial procedure code extends the national procedureCode;
 *   - each subject's id is a 12-digit personal number for kind="citizen" and
 *     an enterprise code for kind="enterprise", and no id is named twice;
 *   - the result is not issued before its dossier was received, validUntil
 *     is not before validFrom, and a result does not supersede itself.
 * Every error names the element and its line.
 *
 * The compiled schema is built once (pthread_once) and shared: libxml2
 * allows one xmlSchema to be used by several validation contexts at once.
 */
#include "archive/record.h"
#include "common/xml.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

/* Generated from archive/record.xsd by tools/embed.sh. */
extern const unsigned char archive_record_xsd[];
extern const size_t archive_record_xsd_len;

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static xmlSchemaPtr schema;

static void quiet_errors(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static void schema_init(void)
{
	xmlSchemaParserCtxtPtr pc;

	kho_xml_init();
	pc = xmlSchemaNewMemParserCtxt((const char *)archive_record_xsd, (int)archive_record_xsd_len);
	if (pc == NULL)
		return;
	xmlSchemaSetParserStructuredErrors(pc, quiet_errors, NULL);
	schema = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
}

/* ---- code formats -------------------------------------------------------- */

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int real_date(int y, int m, int d)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (y < 1 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= mdays[m - 1] + (m == 2 && is_leap(y));
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* agency code ddd.dd.dd.Ldd at s, exactly 13 bytes (QCVN 102:2016). */
static int agency_at(const char *s)
{
	return digits(s, 3) && s[3] == '.' && digits(s + 4, 2) && s[6] == '.' &&
	       digits(s + 7, 2) && s[9] == '.' && s[10] >= 'A' && s[10] <= 'Z' &&
	       digits(s + 11, 2);
}

int record_is_agency_code(const char *s)
{
	return s != NULL && strlen(s) == 13 && agency_at(s);
}

/* <agency>-YYMMDD-NNNN, 25 bytes; YYMMDD a real date in 2000..2099. */
static int dossier_at(const char *s)
{
	return agency_at(s) && s[13] == '-' && digits(s + 14, 6) && s[20] == '-' &&
	       digits(s + 21, 4) &&
	       real_date(2000 + num(s + 14, 2), num(s + 16, 2), num(s + 18, 2));
}

int record_is_dossier_code(const char *s)
{
	return s != NULL && strlen(s) == 25 && dossier_at(s);
}

int record_is_result_code(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	/* 25 + "-KQ" + 1..4 digits, no leading zero */
	return n >= 29 && n <= 32 && dossier_at(s) && strncmp(s + 25, "-KQ", 3) == 0 &&
	       s[28] >= '1' && s[28] <= '9' && digits(s + 28, n - 28);
}

int record_is_procedure_code(const char *s)
{
	return s != NULL && strlen(s) == 8 && digits(s, 1) && s[1] == '.' && digits(s + 2, 6);
}

int record_is_provincial_procedure_code(const char *s)
{
	return s != NULL && strlen(s) == 22 && digits(s, 1) && s[1] == '.' && digits(s + 2, 6) &&
	       s[8] == '.' && agency_at(s + 9);
}

int record_is_personal_number(const char *s)
{
	return s != NULL && strlen(s) == 12 && digits(s, 12);
}

int record_is_enterprise_code(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	return (n == 10 && digits(s, 10)) ||
	       (n == 14 && digits(s, 10) && s[10] == '-' && digits(s + 11, 3));
}

/* record.xsd's ResultType: [a-z][a-z0-9]*(-[a-z0-9]+)*, at most 64 bytes. */
int record_is_result_type(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 64 || !(s[0] >= 'a' && s[0] <= 'z') ||
	    s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] == '-' && s[i + 1] != '-')))
			return 0;
	return 1;
}

/* YYYY-MM-DD and a real date; *key = YYYYMMDD for ordering. */
static int parse_date(const char *s, long *key)
{
	int y, m, d;

	if (s == NULL || strlen(s) != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2))
		return 0;
	y = num(s, 4);
	m = num(s + 5, 2);
	d = num(s + 8, 2);
	if (!real_date(y, m, d))
		return 0;
	*key = (long)y * 10000 + m * 100 + d;
	return 1;
}

/* ---- hardened XML ------------------------------------------------------- */

/* The first schema error, with its line. */
struct verr {
	int seen;
	int line;
	char msg[512];
};

static void on_schema_error(void *ctx, xmlErrorPtr e)
{
	struct verr *v = ctx;
	size_t n;

	if (v->seen || e == NULL)
		return;
	v->seen = 1;
	v->line = e->line;
	if (v->line == 0 && e->node != NULL)
		v->line = (int)xmlGetLineNo((xmlNodePtr)e->node);
	snprintf(v->msg, sizeof v->msg, "%s", e->message ? e->message : "invalid");
	n = strlen(v->msg);
	while (n > 0 && (v->msg[n - 1] == '\n' || v->msg[n - 1] == ' '))
		v->msg[--n] = '\0';
}

/* ---- parsing ------------------------------------------------------------ */

/* Field table: element name, offset of the char * in struct record. */
static const struct field {
	const char *el;
	size_t off;
} fields[] = {
	{ "resultCode", offsetof(record, result_code) },
	{ "dossierCode", offsetof(record, dossier_code) },
	{ "procedureCode", offsetof(record, procedure_national) },
	{ "provincialProcedureCode", offsetof(record, procedure_provincial) },
	{ "agencyCode", offsetof(record, agency_code) },
	{ "resultType", offsetof(record, result_type) },
	{ "numberSymbol", offsetof(record, number_symbol) },
	{ "title", offsetof(record, title) },
	{ "issueDate", offsetof(record, issue_date) },
	{ "digitizedOn", offsetof(record, digitized_on) },
	{ "signer", offsetof(record, signer) },
	{ "validFrom", offsetof(record, valid_from) },
	{ "validUntil", offsetof(record, valid_until) },
	{ "language", offsetof(record, language) },
	{ "supersedes", offsetof(record, supersedes) },
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static char **field_ptr(record *r, size_t i)
{
	return (char **)(void *)((char *)r + fields[i].off);
}

static int take_text(char **dst, xmlNodePtr n)
{
	xmlChar *v = xmlNodeGetContent(n);

	if (v == NULL)
		return KHO_ENOMEM;
	*dst = strdup((const char *)v);
	xmlFree(v);
	return *dst == NULL ? KHO_ENOMEM : 0;
}

/* Lines of each field's element, for the messages of the C checks. */
struct lines {
	long f[NFIELDS];
	long subject[RECORD_MAX_SUBJECTS], subject_id[RECORD_MAX_SUBJECTS];
};

static long line_of(const struct lines *ln, const char *el)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].el, el) == 0)
			return ln->f[i];
	return 0;
}

static int fail(kho_err *err, long line, const char *el, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(kho_err *err, long line, const char *el, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return kho_err_set(err, KHO_EFORMAT, "record.xml line %ld: %s: %s", line, el, msg);
}

static int check_subject(const char *kind, const char *id, long line, long id_line,
                         kho_err *err)
{
	if (strcmp(kind, "citizen") == 0) {
		if (!record_is_personal_number(id))
			return fail(err, id_line, "subject/id",
			            "a citizen's id must be a 12-digit personal identification number");
	} else if (strcmp(kind, "enterprise") == 0) {
		if (!record_is_enterprise_code(id))
			return fail(err, id_line, "subject/id",
			            "an enterprise's id must be a 10-digit enterprise code, optionally "
			            "with -ddd");
	} else {
		return fail(err, line, "subject", "kind \"%s\" is neither citizen nor enterprise", kind);
	}
	return 0;
}

static int check_record(const record *r, const struct lines *ln, kho_err *err)
{
	long issue, from, until, received, digitized;
	size_t dl = strlen(r->dossier_code);

	if (!record_is_dossier_code(r->dossier_code))
		return fail(err, line_of(ln, "dossierCode"), "dossierCode",
		            "\"%s\" does not have a real receipt date (YYMMDD)", r->dossier_code);
	if (!record_is_result_code(r->result_code))
		return fail(err, line_of(ln, "resultCode"), "resultCode",
		            "\"%s\" is not a result code", r->result_code);
	if (strncmp(r->result_code, r->dossier_code, dl) != 0 ||
	    strncmp(r->result_code + dl, "-KQ", 3) != 0)
		return fail(err, line_of(ln, "resultCode"), "resultCode",
		            "\"%s\" does not extend the dossier code \"%s\" with -KQ<n>",
		            r->result_code, r->dossier_code);
	if (!record_is_agency_code(r->agency_code))
		return fail(err, line_of(ln, "agencyCode"), "agencyCode",
		            "\"%s\" is not an agency code", r->agency_code);
	if (!record_is_procedure_code(r->procedure_national))
		return fail(err, line_of(ln, "procedureCode"), "procedureCode",
		            "\"%s\" is not a procedure code", r->procedure_national);
	if (r->procedure_provincial != NULL &&
	    (!record_is_provincial_procedure_code(r->procedure_provincial) ||
	     strncmp(r->procedure_provincial, r->procedure_national, 8) != 0))
		return fail(err, line_of(ln, "provincialProcedureCode"), "provincialProcedureCode",
		            "\"%s\" is not procedureCode \"%s\" followed by an agency code",
		            r->procedure_provincial, r->procedure_national);
	for (size_t i = 0; i <= r->nothers; i++) {
		int rc = check_subject(i == 0 ? r->subject_kind : r->others[i - 1].kind,
		                       i == 0 ? r->subject_id : r->others[i - 1].id, ln->subject[i],
		                       ln->subject_id[i], err);
		if (rc != 0)
			return rc;
		/* One person named twice would be found twice by a lookup. */
		for (size_t j = 0; j < i; j++)
			if (strcmp(i == 0 ? r->subject_id : r->others[i - 1].id,
			           j == 0 ? r->subject_id : r->others[j - 1].id) == 0)
				return fail(err, ln->subject_id[i], "subject/id",
				            "subject %zu has the same id as subject %zu", i + 1, j + 1);
	}
	if (!parse_date(r->issue_date, &issue))
		return fail(err, line_of(ln, "issueDate"), "issueDate", "\"%s\" is not a real date",
		            r->issue_date);
	if (!parse_date(r->valid_from, &from))
		return fail(err, line_of(ln, "validFrom"), "validFrom", "\"%s\" is not a real date",
		            r->valid_from);
	if (r->valid_until != NULL) {
		if (!parse_date(r->valid_until, &until))
			return fail(err, line_of(ln, "validUntil"), "validUntil",
			            "\"%s\" is not a real date", r->valid_until);
		if (until < from)
			return fail(err, line_of(ln, "validUntil"), "validUntil",
			            "%s is before validFrom %s", r->valid_until, r->valid_from);
	}
	received = 20000000L + (long)num(r->dossier_code + 14, 2) * 10000 +
	           num(r->dossier_code + 16, 2) * 100 + num(r->dossier_code + 18, 2);
	if (r->digitized_on != NULL) {
		/* A paper result digitized later: the dossier is the
		 * digitization's, so the digitization follows its receipt, and
		 * the paper was issued before it was digitized (a birth
		 * registration of 1992 digitized in 2025). */
		if (!parse_date(r->digitized_on, &digitized))
			return fail(err, line_of(ln, "digitizedOn"), "digitizedOn",
			            "\"%s\" is not a real date", r->digitized_on);
		if (digitized < received)
			return fail(err, line_of(ln, "digitizedOn"), "digitizedOn",
			            "%s is before the dossier was received (%.6s in %s)",
			            r->digitized_on, r->dossier_code + 14, r->dossier_code);
		if (issue > digitized)
			return fail(err, line_of(ln, "issueDate"), "issueDate",
			            "%s is after digitizedOn %s: a paper result is digitized after it"
			            " is issued", r->issue_date, r->digitized_on);
	} else if (issue < received) {
		return fail(err, line_of(ln, "issueDate"), "issueDate",
		            "%s is before the dossier was received (%.6s in %s); a result issued on"
		            " paper and digitized later says so with digitizedOn", r->issue_date,
		            r->dossier_code + 14, r->dossier_code);
	}
	if (r->supersedes != NULL) {
		if (!record_is_result_code(r->supersedes))
			return fail(err, line_of(ln, "supersedes"), "supersedes",
			            "\"%s\" is not a result code", r->supersedes);
		if (strcmp(r->supersedes, r->result_code) == 0)
			return fail(err, line_of(ln, "supersedes"), "supersedes",
			            "a result cannot supersede itself");
	}
	return 0;
}

const char *record_date_after(const record *r, const char *day, char *buf, size_t n)
{
	long d, v;

	if (r == NULL || buf == NULL || n == 0 || !parse_date(day, &d))
		return NULL;
	if (r->issue_date != NULL && parse_date(r->issue_date, &v) && v > d) {
		snprintf(buf, n, "issueDate %s", r->issue_date);
		return buf;
	}
	if (r->digitized_on != NULL && parse_date(r->digitized_on, &v) && v > d) {
		snprintf(buf, n, "digitizedOn %s", r->digitized_on);
		return buf;
	}
	if (r->dossier_code != NULL && record_is_dossier_code(r->dossier_code)) {
		const char *c = r->dossier_code;
		v = 20000000L + (long)num(c + 14, 2) * 10000 + num(c + 16, 2) * 100 + num(c + 18, 2);
		if (v > d) {
			snprintf(buf, n, "the receipt date of dossier %s, 20%.2s-%.2s-%.2s", c, c + 14,
			         c + 16, c + 18);
			return buf;
		}
	}
	return NULL;
}

int record_parse(record **out, const void *xml, size_t len, kho_err *err)
{
	xmlDocPtr doc = NULL;
	xmlSchemaValidCtxtPtr vc = NULL;
	xmlNodePtr root;
	struct verr verr = { 0 };
	struct lines ln = { { 0 }, { 0 }, { 0 } };
	record *r = NULL;
	size_t nsubjects = 0;
	int rc = 0;

	if (out == NULL || (xml == NULL && len > 0))
		return kho_err_set(err, KHO_EINVAL, "record_parse: NULL argument");
	*out = NULL;
	if (len > RECORD_MAX_SIZE)
		return kho_err_set(err, KHO_ETOOBIG, "record.xml: %zu bytes, more than the limit of %u",
		                   len, RECORD_MAX_SIZE);
	if (len == 0)
		return kho_err_set(err, KHO_EFORMAT, "record.xml: empty document");
	pthread_once(&schema_once, schema_init);
	if (schema == NULL)
		return kho_err_set(err, KHO_EINTERNAL, "record.xsd: the embedded schema does not compile");
	if ((rc = kho_xml_read(&doc, xml, len, RECORD_ENTRY, err)) != 0)
		return rc;
	root = xmlDocGetRootElement(doc);
	if (root == NULL || strcmp((const char *)root->name, "record") != 0 || root->ns == NULL ||
	    strcmp((const char *)root->ns->href, RECORD_NS) != 0) {
		rc = kho_err_set(err, KHO_EFORMAT,
		                 "record.xml line %ld: the root element must be record in namespace "
		                 "%s (found %s%s%s)", root ? xmlGetLineNo(root) : 0L, RECORD_NS,
		                 root ? (const char *)root->name : "nothing",
		                 root && root->ns ? " in " : "",
		                 root && root->ns ? (const char *)root->ns->href : "");
		goto out;
	}
	vc = xmlSchemaNewValidCtxt(schema);
	if (vc == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	xmlSchemaSetValidStructuredErrors(vc, on_schema_error, &verr);
	if (xmlSchemaValidateDoc(vc, doc) != 0) {
		rc = kho_err_set(err, KHO_EFORMAT, "record.xml line %d: %s", verr.line,
		                 verr.seen ? verr.msg : "does not follow record.xsd");
		goto out;
	}
	r = calloc(1, sizeof *r);
	if (r == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	/* The schema fixed the structure: each element at most once (subject
	 * at most RECORD_MAX_SUBJECTS times), in order. */
	for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)c->name, "subject") == 0) {
			/* The schema allows RECORD_MAX_SUBJECTS: the first is the
			 * record's subject, the others follow in order. */
			size_t k = nsubjects++;
			char **kind = k == 0 ? &r->subject_kind : &r->others[k - 1].kind;
			char **id = k == 0 ? &r->subject_id : &r->others[k - 1].id;
			char **name = k == 0 ? &r->subject_name : &r->others[k - 1].name;
			xmlChar *kv;
			if (k >= RECORD_MAX_SUBJECTS ||
			    (kv = xmlGetNoNsProp(c, (const xmlChar *)"kind")) == NULL) {
				rc = KHO_EFORMAT;
				break;
			}
			if (k > 0)
				r->nothers = k;
			ln.subject[k] = xmlGetLineNo(c);
			*kind = strdup((const char *)kv);
			xmlFree(kv);
			if (*kind == NULL) {
				rc = KHO_ENOMEM;
				break;
			}
			for (xmlNodePtr s = c->children; s != NULL && rc == 0; s = s->next) {
				if (s->type != XML_ELEMENT_NODE)
					continue;
				if (strcmp((const char *)s->name, "id") == 0) {
					ln.subject_id[k] = xmlGetLineNo(s);
					rc = take_text(id, s);
				} else if (strcmp((const char *)s->name, "name") == 0) {
					rc = take_text(name, s);
				}
			}
			continue;
		}
		for (size_t i = 0; i < NFIELDS && rc == 0; i++) {
			if (strcmp((const char *)c->name, fields[i].el) == 0) {
				ln.f[i] = xmlGetLineNo(c);
				rc = take_text(field_ptr(r, i), c);
			}
		}
		if (rc != 0)
			break;
	}
	if (rc != 0) {
		kho_err_set(err, rc, rc == KHO_ENOMEM ? "out of memory" : "record.xml: bad subject");
		goto out;
	}
	rc = check_record(r, &ln, err);
	if (rc != 0)
		goto out;
	*out = r;
	r = NULL;
out:
	record_free(r);
	xmlSchemaFreeValidCtxt(vc);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- writing ------------------------------------------------------------ */

/* XML 1.0 2.4: escape character data; control characters cannot be written. */
static int put_text(kho_buf *b, const char *s)
{
	int rc = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && rc == 0; p++) {
		switch (*p) {
		case '&': rc = kho_buf_append(b, "&amp;", 5); break;
		case '<': rc = kho_buf_append(b, "&lt;", 4); break;
		case '>': rc = kho_buf_append(b, "&gt;", 4); break;
		case '"': rc = kho_buf_append(b, "&quot;", 6); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				return KHO_EINVAL;
			rc = kho_buf_append(b, p, 1);
		}
	}
	return rc;
}

static int put_el(kho_buf *b, const char *indent, const char *el, const char *v)
{
	int rc;

	if (v == NULL)
		return 0;
	rc = kho_buf_appendf(b, "%s<%s>", indent, el);
	if (rc == 0)
		rc = put_text(b, v);
	if (rc == 0)
		rc = kho_buf_appendf(b, "</%s>\n", el);
	return rc;
}

static int put_subject(kho_buf *b, const char *kind, const char *id, const char *name)
{
	int rc = kho_buf_appendf(b, "  <subject kind=\"");

	if (rc == 0)
		rc = put_text(b, kind);
	if (rc == 0)
		rc = kho_buf_appendf(b, "\">\n");
	if (rc == 0)
		rc = put_el(b, "    ", "id", id);
	if (rc == 0)
		rc = put_el(b, "    ", "name", name);
	if (rc == 0)
		rc = kho_buf_appendf(b, "  </subject>\n");
	return rc;
}

int record_write(kho_buf *out, const record *r, kho_err *err)
{
	static const char *const required[] = {
		"resultCode", "dossierCode", "procedureCode", "agencyCode", "resultType",
		"numberSymbol", "title", "issueDate", "signer", "validFrom", "language",
	};
	record *check = NULL;
	kho_buf b;
	int rc = 0;

	if (out == NULL || r == NULL)
		return kho_err_set(err, KHO_EINVAL, "record_write: NULL argument");
	for (size_t i = 0; i < NFIELDS; i++) {
		for (size_t j = 0; j < sizeof required / sizeof required[0]; j++)
			if (strcmp(fields[i].el, required[j]) == 0 &&
			    *field_ptr((record *)(uintptr_t)r, i) == NULL)
				return kho_err_set(err, KHO_EINVAL, "record_write: %s is missing", fields[i].el);
	}
	if (r->subject_kind == NULL || r->subject_id == NULL || r->subject_name == NULL)
		return kho_err_set(err, KHO_EINVAL, "record_write: subject kind, id or name is missing");
	if (r->nothers > RECORD_MAX_SUBJECTS - 1)
		return kho_err_set(err, KHO_EINVAL, "record_write: more than %d subjects",
		                   RECORD_MAX_SUBJECTS);
	for (size_t k = 0; k < r->nothers; k++)
		if (r->others[k].kind == NULL || r->others[k].id == NULL || r->others[k].name == NULL)
			return kho_err_set(err, KHO_EINVAL,
			                   "record_write: subject %zu: kind, id or name is missing", k + 2);
	kho_buf_init(&b, RECORD_MAX_SIZE);
	rc = kho_buf_appendf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                         "<record xmlns=\"%s\">\n", RECORD_NS);
	for (size_t i = 0; i < NFIELDS && rc == 0; i++) {
		const char *v = *field_ptr((record *)(uintptr_t)r, i);
		/* subject sits between numberSymbol and title (record.xsd sequence) */
		if (strcmp(fields[i].el, "title") == 0) {
			rc = put_subject(&b, r->subject_kind, r->subject_id, r->subject_name);
			for (size_t k = 0; k < r->nothers && rc == 0; k++)
				rc = put_subject(&b, r->others[k].kind, r->others[k].id, r->others[k].name);
		}
		if (rc == 0)
			rc = put_el(&b, "  ", fields[i].el, v);
	}
	if (rc == 0)
		rc = kho_buf_appendf(&b, "</record>\n");
	if (rc == KHO_EINVAL) {
		rc = kho_err_set(err, KHO_EFORMAT, "record_write: a field holds a control character");
		goto out;
	}
	if (rc != 0) {
		kho_err_set(err, rc, "record_write: the record exceeds %u bytes", RECORD_MAX_SIZE);
		goto out;
	}
	/* Validated by the reader itself, so what is written is always readable. */
	rc = record_parse(&check, b.data, b.len, err);
	if (rc != 0)
		goto out;
	rc = kho_buf_append(out, b.data, b.len);
	if (rc != 0)
		kho_err_set(err, rc, "record_write: the record does not fit in the output buffer");
out:
	record_free(check);
	kho_buf_free(&b);
	return rc;
}

void record_free(record *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < NFIELDS; i++)
		free(*field_ptr(r, i));
	free(r->subject_kind);
	free(r->subject_id);
	free(r->subject_name);
	for (size_t k = 0; k < RECORD_MAX_SUBJECTS - 1; k++) {
		free(r->others[k].kind);
		free(r->others[k].id);
		free(r->others[k].name);
	}
	free(r);
}
