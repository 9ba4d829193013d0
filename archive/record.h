/*
 * record.h: the record metadata of a result, `record.xml`, a data object of
 * every kho package (schema archive/record.xsd, documented in
 * docs/record.md). Parsed with libxml2 hardened as for manifests, validated
 * against the XSD compiled into the binary, then each code is checked
 * against the formats of the Vietnamese identifiers (domain.md):
 *   agency code      ddd.dd.dd.Ldd              000.00.20.H30
 *   dossier code     <agency>-YYMMDD-NNNN       000.00.20.H30-250314-0007
 *   result code      <dossier>-KQ<n>            000.00.20.H30-250314-0007-KQ1
 *   national proc.   d.dddddd                   2.000815
 *   provincial proc. <national>.<agency>        2.000815.000.00.00.H55
 *   personal number  12 digits; enterprise code 10 digits, optional -ddd
 * and for consistency (the result code extends the dossier code, which
 * starts with an agency code; dates are real dates; valid_until is not
 * before valid_from).
 */
#ifndef KHO_RECORD_H
#define KHO_RECORD_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

#define RECORD_NS "urn:kho:record:1"
#define RECORD_ENTRY "record.xml"
#define RECORD_MAX_SIZE (256u * 1024)
/* subject elements in one record: a marriage registration names both
 * spouses; a few procedures name a handful of people or businesses */
#define RECORD_MAX_SUBJECTS 8

/* One further subject of a result (record.xsd's second to eighth subject). */
typedef struct record_subject {
	char *kind;                  /* "citizen" or "enterprise" */
	char *id;                    /* 12-digit personal number or enterprise code */
	char *name;
} record_subject;

/* All strings are owned by the record, NUL-terminated UTF-8; optional ones may be NULL. */
typedef struct record {
	char *result_code;
	char *dossier_code;
	char *procedure_national;    /* mã TTHC, d.dddddd */
	char *procedure_provincial;  /* optional */
	char *agency_code;           /* issuing agency, as at issue */
	char *result_type;           /* e.g. "birth-registration", "certified-copy" */
	char *number_symbol;         /* số, ký hiệu */
	char *subject_kind;          /* the first subject: "citizen" or "enterprise" */
	char *subject_id;            /* 12-digit personal number or enterprise code */
	char *subject_name;
	record_subject others[RECORD_MAX_SUBJECTS - 1]; /* the further subjects, in order */
	size_t nothers;              /* e.g. 1 for the other spouse of a marriage */
	char *title;
	char *issue_date;            /* YYYY-MM-DD */
	char *digitized_on;          /* optional: the day a result issued on paper was
	                                digitized; its issue_date may then precede the
	                                dossier, which is the digitization's */
	char *signer;
	char *valid_from;            /* YYYY-MM-DD */
	char *valid_until;           /* optional: absent means no expiry */
	char *language;              /* BCP 47, e.g. "vi" */
	char *supersedes;            /* optional: result code this result replaces */
} record;

/* record_parse: parse, schema-validate and check codes. KHO_EFORMAT with the
 * first problem (and its line) in err. *out is owned by the caller. */
int record_parse(record **out, const void *xml, size_t len, kho_err *err);

/*
 * record_date_after: which of the record's own dates, if any, is after day
 * (YYYY-MM-DD): its issueDate, its digitizedOn or its dossier's receipt date
 * (the YYMMDD of dossierCode), checked in that order. A result cannot have
 * been issued, digitized or received after the day it was sealed, nor after
 * a proof that its package existed (docs/record.md, "Dates and the
 * clock"). NULL if none is, else buf (n bytes) saying which and what date.
 * Not part of record_parse: the record stays valid, for verification, in a
 * package whatever the clock says.
 */
const char *record_date_after(const record *r, const char *day, char *buf, size_t n);

/* record_write: serialise r as record.xml bytes into out (validated first). */
int record_write(kho_buf *out, const record *r, kho_err *err);

/* Code format checks, each 1 if s has the format, else 0. */
int record_is_agency_code(const char *s);
int record_is_dossier_code(const char *s);
int record_is_result_code(const char *s);
int record_is_procedure_code(const char *s);
int record_is_provincial_procedure_code(const char *s);
int record_is_personal_number(const char *s);
int record_is_enterprise_code(const char *s);
int record_is_result_type(const char *s);   /* record.xsd's ResultType */

void record_free(record *r);

#endif
