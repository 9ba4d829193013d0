/*
 * report.c: a verify_report in three forms (docs/verification.md shows one
 * of each):
 *   text  for people: the package result, then one block per signature;
 *   JSON  for programs and the daemon (jansson): field names are a stable
 *         contract, documented in docs/verification.md;
 *   XML   ETSI TS 119 102-2 (namespace http://uri.etsi.org/19102/v1.4.1#),
 *         written with libxml2's xmlTextWriter.
 * All three append to the caller's buffer, whose cap applies.
 */
#include "verify/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/xmlwriter.h>

#include "common/utf8.h"
#include "common/util.h"

#define VR_NS_119102 "http://uri.etsi.org/19102/v1.4.1#"
#define VR_NS_DS     "http://www.w3.org/2000/09/xmldsig#"

static const char *obj_state_name(enum vr_object_state s)
{
	switch (s) {
	case VR_OBJ_OK: return "ok";
	case VR_OBJ_HASH_FAILURE: return "hash-failure";
	case VR_OBJ_MISSING: return "missing";
	case VR_OBJ_UNSIGNED: return "unsigned";
	case VR_OBJ_UNSUPPORTED: return "unsupported-digest";
	}
	return "unknown";
}

static const char *tf(time_t t, char *buf, size_t n)
{
	return kho_time_format(buf, n, t);
}

static const char *nz(const char *s)
{
	return s != NULL ? s : "-";
}

/*
 * Names and reasons can carry bytes from a hostile container. JSON and
 * XML need valid UTF-8 (and XML 1.0 no C0 controls nor U+FFFE/U+FFFF), a
 * terminal no control characters: kho_text_clean (common/utf8.h) makes
 * each such byte or character '?'. Returns malloc'd text or NULL.
 */
static char *clean(const char *s)
{
	return kho_text_clean(s, 0);
}

/*
 * The subject's identification number is personal data (domain.md): the
 * reports show it masked, first and last three characters only
 * ("051******345"), enough for an officer to compare with a card.
 */
static void mask_id(char *out, size_t n, const char *id)
{
	size_t l = strlen(id), i;

	if (n == 0)
		return;
	for (i = 0; i < l && i + 1 < n; i++)
		out[i] = (i < 3 || i + 3 >= l) && l > 6 ? id[i] : '*';
	out[i] = '\0';
}

/* ---- text ------------------------------------------------------------ */

static int text_record(kho_buf *o, const record *rec)
{
	const struct { const char *k; const char *v; } f[] = {
		{ "result code", rec->result_code }, { "dossier code", rec->dossier_code },
		{ "procedure", rec->procedure_national },
		{ "provincial procedure", rec->procedure_provincial },
		{ "agency code", rec->agency_code }, { "result type", rec->result_type },
		{ "number/symbol", rec->number_symbol }, { "subject kind", rec->subject_kind },
		{ "subject name", rec->subject_name }, { "title", rec->title },
		{ "issue date", rec->issue_date }, { "digitized on", rec->digitized_on },
		{ "signer", rec->signer },
		{ "valid from", rec->valid_from }, { "valid until", rec->valid_until },
		{ "language", rec->language }, { "supersedes", rec->supersedes },
	};
	size_t i;
	char masked[64];
	int rc = kho_buf_appendf(o, "Record (record.xml, signed):\n");

	for (i = 0; rc == 0 && i < sizeof f / sizeof f[0]; i++)
		if (f[i].v != NULL)
			rc = kho_buf_appendf(o, "  %-21s %s\n", f[i].k, f[i].v);
	if (rc == 0 && rec->subject_id != NULL) {
		mask_id(masked, sizeof masked, rec->subject_id);
		rc = kho_buf_appendf(o, "  %-21s %s (masked)\n", "subject id", masked);
	}
	for (i = 0; rc == 0 && i < rec->nothers; i++) {
		const record_subject *x = &rec->others[i];
		char k[32];
		if (x->id != NULL)
			mask_id(masked, sizeof masked, x->id);
		snprintf(k, sizeof k, "subject %zu", i + 2);
		rc = kho_buf_appendf(o, "  %-21s %s, %s, id %s (masked)\n", k, nz(x->kind),
		                     nz(x->name), x->id != NULL ? masked : "-");
	}
	return rc;
}

static int text_ts(kho_buf *o, const vr_timestamp *t, const char *indent)
{
	char b[32];

	return kho_buf_appendf(o, "%s%s: genTime %s, TSA %s, imprint %s, signature %s, chain %s\n",
	                       indent, t->where, tf(t->gen_time, b, sizeof b), nz(t->tsa_subject),
	                       t->imprint_ok ? "ok" : "BAD", t->signature_ok ? "ok" : "BAD",
	                       t->chain_ok ? "ok" : "BAD");
}

static int text_raw(kho_buf *o, const verify_report *r)
{
	char b1[32], b2[32], hex[65];
	size_t i, j;
	int rc = 0;

#define T(...) do { if ((rc = kho_buf_appendf(o, __VA_ARGS__)) != 0) return rc; } while (0)
	T("Validation time:  %s\n", tf(r->validation_time, b1, sizeof b1));
	T("Container:        %s", nz(r->container_type));
	if (r->have_package_sha256)
		T(", SHA-256 %s", kho_hex(hex, r->package_sha256, 32));
	T("\n");
	T("Result:           %s%s%s\n", vr_indication_name(r->indication),
	  r->sub != VR_SUB_NONE ? "/" : "", vr_sub_name(r->sub));
	for (i = 0; i < r->nreasons; i++)
		T("  reason: %s\n", r->reasons[i]);
	for (i = 0; i < r->nwarnings; i++)
		T("  warning: %s\n", r->warnings[i]);
	for (i = 0; i < r->ndeviations; i++)
		T("  deviation: %s\n", r->deviations[i]);
	for (i = 0; i < r->nunsigned; i++)
		T("  unsigned object (covered by no signature): %s\n", r->unsigned_objects[i].name);
	if (r->ntimestamps > 0) {
		T("Container timestamps:\n");
		for (i = 0; i < r->ntimestamps; i++)
			if ((rc = text_ts(o, &r->timestamps[i], "  ")) != 0)
				return rc;
	}
	if (r->record != NULL && (rc = text_record(o, r->record)) != 0)
		return rc;
	for (i = 0; i < r->nsigs; i++) {
		const vr_signature *s = &r->sigs[i];

		T("\nSignature %s\n", nz(s->id));
		T("  Indication:      %s\n", vr_indication_name(s->indication));
		if (s->sub != VR_SUB_NONE)
			T("  Sub-indication:  %s\n", vr_sub_name(s->sub));
		T("  Manifest:        %s\n", nz(s->manifest));
		T("  Level:           %s\n", nz(s->level));
		if (s->signer_subject != NULL) {
			T("  Signer:          %s\n", s->signer_subject);
			T("  Issuer:          %s\n", nz(s->signer_issuer));
			T("  Serial:          %s\n", nz(s->signer_serial));
			T("  Valid:           %s to %s\n", tf(s->signer_not_before, b1, sizeof b1),
			  tf(s->signer_not_after, b2, sizeof b2));
		}
		if (s->digest_alg != NULL)
			T("  Algorithms:      %s with %s\n", s->digest_alg, nz(s->sig_alg));
		if (s->has_signing_time)
			T("  Signing time:    %s (claimed by the signer)\n",
			  tf(s->signing_time, b1, sizeof b1));
		T("  Best signature time: %s (%s)\n", tf(s->best_signature_time, b1, sizeof b1),
		  s->has_poe ? "proof of existence from a timestamp" : "no proof of existence: validation time");
		for (j = 0; j < s->ntimestamps; j++)
			if ((rc = text_ts(o, &s->timestamps[j], "  Timestamp: ")) != 0)
				return rc;
		if (s->nobjects > 0)
			T("  Objects:\n");
		for (j = 0; j < s->nobjects; j++)
			T("    %-18s %s\n", obj_state_name(s->objects[j].state), nz(s->objects[j].name));
		for (j = 0; j < s->nreasons; j++)
			T("  Reason:  %s\n", s->reasons[j]);
		for (j = 0; j < s->nwarnings; j++)
			T("  Warning: %s\n", s->warnings[j]);
	}
#undef T
	return 0;
}

int verify_report_text(kho_buf *out, const verify_report *r)
{
	kho_buf tmp;
	char *c;
	int rc;

	kho_buf_init(&tmp, out->max);
	rc = text_raw(&tmp, r);
	if (rc == 0) {
		c = kho_text_clean(tmp.data != NULL ? (const char *)tmp.data : "", 1);
		rc = c != NULL ? kho_buf_append(out, c, strlen(c)) : KHO_ENOMEM;
		free(c);
	}
	kho_buf_free(&tmp);
	return rc;
}

/* ---- JSON ------------------------------------------------------------ */

static json_t *jstr(const char *s)
{
	char *c;
	json_t *j;

	if (s == NULL)
		return json_null();
	c = clean(s);
	if (c == NULL)
		return NULL;
	j = json_string(c);
	free(c);
	return j;
}

static json_t *jtime(time_t t)
{
	char b[32];

	return json_string(kho_time_format(b, sizeof b, t));
}

static json_t *jstrv(char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, jstr(v[i]));
	return a;
}

static json_t *jts(const vr_timestamp *t)
{
	return json_pack("{s:o, s:o, s:o, s:b, s:b, s:b, s:b, s:o, s:o, s:o, s:o}",
	                 "where", jstr(t->where), "gen_time", jtime(t->gen_time),
	                 "tsa", jstr(t->tsa_subject), "imprint_ok", t->imprint_ok,
	                 "signature_ok", t->signature_ok, "chain_ok", t->chain_ok,
	                 "accepted", t->accepted,
	                 "tsa_not_after", t->tsa_not_after > 0 ? jtime(t->tsa_not_after) : json_null(),
	                 "serial", jstr(t->serial), "policy", jstr(t->policy),
	                 "reason", jstr(t->reason));
}

static json_t *jobjects(const vr_object *o, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_pack("{s:o, s:s, s:o}", "name", jstr(o[i].name),
		                                   "state", obj_state_name(o[i].state),
		                                   "digest_algorithm", jstr(o[i].digest_alg)));
	return a;
}

static json_t *jrecord(const record *rec)
{
	json_t *o = json_object();
	const struct { const char *k; const char *v; } f[] = {
		{ "result_code", rec->result_code }, { "dossier_code", rec->dossier_code },
		{ "procedure_national", rec->procedure_national },
		{ "procedure_provincial", rec->procedure_provincial },
		{ "agency_code", rec->agency_code }, { "result_type", rec->result_type },
		{ "number_symbol", rec->number_symbol }, { "subject_kind", rec->subject_kind },
		{ "subject_name", rec->subject_name },
		{ "title", rec->title }, { "issue_date", rec->issue_date },
		{ "digitized_on", rec->digitized_on }, { "signer", rec->signer },
		{ "valid_from", rec->valid_from }, { "valid_until", rec->valid_until },
		{ "language", rec->language }, { "supersedes", rec->supersedes },
	};
	size_t i;

	char masked[64];

	for (i = 0; o != NULL && i < sizeof f / sizeof f[0]; i++)
		json_object_set_new(o, f[i].k, jstr(f[i].v));
	if (o != NULL) {
		if (rec->subject_id != NULL)
			mask_id(masked, sizeof masked, rec->subject_id);
		json_object_set_new(o, "subject_id_masked", rec->subject_id ? jstr(masked) : json_null());
		/* The further subjects (record.h), each as the first is shown. */
		json_t *a = json_array();
		for (i = 0; a != NULL && i < rec->nothers; i++) {
			const record_subject *x = &rec->others[i];
			if (x->id != NULL)
				mask_id(masked, sizeof masked, x->id);
			json_array_append_new(a, json_pack("{s:o, s:o, s:o}", "kind", jstr(x->kind),
			                                   "name", jstr(x->name), "id_masked",
			                                   x->id != NULL ? jstr(masked) : json_null()));
		}
		json_object_set_new(o, "other_subjects", a != NULL ? a : json_null());
	}
	return o;
}

static json_t *jsig(const vr_signature *s)
{
	json_t *ts = json_array(), *o;
	size_t i;

	for (i = 0; ts != NULL && i < s->ntimestamps; i++)
		json_array_append_new(ts, jts(&s->timestamps[i]));
	o = json_pack("{s:o, s:o, s:s, s:s, s:o}",
	              "id", jstr(s->id), "manifest", jstr(s->manifest),
	              "indication", vr_indication_name(s->indication),
	              "sub_indication", vr_sub_name(s->sub), "level", jstr(s->level));
	if (o == NULL) {
		json_decref(ts);
		return NULL;
	}
	if (s->signer_subject != NULL)
		json_object_set_new(o, "signer", json_pack("{s:o, s:o, s:o, s:o, s:o}",
		        "subject", jstr(s->signer_subject), "issuer", jstr(s->signer_issuer),
		        "serial", jstr(s->signer_serial), "not_before", jtime(s->signer_not_before),
		        "not_after", jtime(s->signer_not_after)));
	else
		json_object_set_new(o, "signer", json_null());
	json_object_set_new(o, "digest_algorithm", jstr(s->digest_alg));
	json_object_set_new(o, "signature_algorithm", jstr(s->sig_alg));
	json_object_set_new(o, "signing_time", s->has_signing_time ? jtime(s->signing_time) : json_null());
	json_object_set_new(o, "best_signature_time", jtime(s->best_signature_time));
	json_object_set_new(o, "best_signature_time_source",
	                    json_string(s->has_poe ? "timestamp" : "validation-time"));
	json_object_set_new(o, "timestamps", ts);
	json_object_set_new(o, "objects", jobjects(s->objects, s->nobjects));
	json_object_set_new(o, "reasons", jstrv(s->reasons, s->nreasons));
	json_object_set_new(o, "warnings", jstrv(s->warnings, s->nwarnings));
	return o;
}

int verify_report_json(kho_buf *out, const verify_report *r)
{
	json_t *root, *sigs, *ts, *uns;
	char hex[65], *text;
	size_t i;
	int rc;

	sigs = json_array();
	ts = json_array();
	uns = json_array();
	for (i = 0; sigs != NULL && i < r->nsigs; i++)
		json_array_append_new(sigs, jsig(&r->sigs[i]));
	for (i = 0; ts != NULL && i < r->ntimestamps; i++)
		json_array_append_new(ts, jts(&r->timestamps[i]));
	for (i = 0; uns != NULL && i < r->nunsigned; i++)
		json_array_append_new(uns, jstr(r->unsigned_objects[i].name));
	root = json_pack("{s:i, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	                 "version", 1,
	                 "validation_time", jtime(r->validation_time),
	                 "indication", vr_indication_name(r->indication),
	                 "sub_indication", vr_sub_name(r->sub),
	                 "container_type", jstr(r->container_type),
	                 "package_sha256", r->have_package_sha256 ?
	                         json_string(kho_hex(hex, r->package_sha256, 32)) : json_null(),
	                 "deviations", jstrv(r->deviations, r->ndeviations),
	                 "reasons", jstrv(r->reasons, r->nreasons),
	                 "warnings", jstrv(r->warnings, r->nwarnings),
	                 "signatures", sigs ? sigs : json_null(),
	                 "timestamps", ts ? ts : json_null(),
	                 "unsigned_objects", uns ? uns : json_null(),
	                 "record", r->record ? jrecord(r->record) : json_null());
	if (root == NULL)
		return KHO_ENOMEM;
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (text == NULL)
		return KHO_ENOMEM;
	rc = kho_buf_append(out, text, strlen(text));
	if (rc == 0)
		rc = kho_buf_append(out, "\n", 1);
	free(text);
	return rc;
}

/* ---- XML (ETSI TS 119 102-2) ----------------------------------------- */

#define W(call) do { if ((call) < 0) { rc = KHO_ENOMEM; goto out; } } while (0)

static int x_el(xmlTextWriterPtr w, const char *name, const char *text)
{
	char *c = clean(text != NULL ? text : "");
	int rc;

	if (c == NULL)
		return -1;
	rc = xmlTextWriterWriteElementNS(w, BAD_CAST "vr", BAD_CAST name, NULL, BAD_CAST c);
	free(c);
	return rc;
}

static int x_status(xmlTextWriterPtr w, enum vr_indication ind, enum vr_sub sub,
                    char **reasons, size_t nreasons)
{
	char uri[128];
	size_t i;
	int rc = 0;

	W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignatureValidationStatus", NULL));
	/* TS 119 102-2 5.3.1: indications as URIs. */
	snprintf(uri, sizeof uri, "urn:etsi:019102:mainindication:%s",
	         ind == VR_TOTAL_PASSED ? "total-passed" :
	         ind == VR_TOTAL_FAILED ? "total-failed" : "indeterminate");
	W(x_el(w, "MainIndication", uri));
	if (sub != VR_SUB_NONE) {
		snprintf(uri, sizeof uri, "urn:etsi:019102:subindication:%s", vr_sub_name(sub));
		W(x_el(w, "SubIndication", uri));
	}
	if (nreasons > 0) {
		W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "AssociatedValidationReportData", NULL));
		W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "AdditionalValidationReportData", NULL));
		for (i = 0; i < nreasons; i++) {
			W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "ReportData", NULL));
			W(x_el(w, "Type", "urn:kho:verify:reason"));
			W(x_el(w, "Value", reasons[i]));
			W(xmlTextWriterEndElement(w));
		}
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w));
out:
	return rc;
}

static int x_sig(xmlTextWriterPtr w, const verify_report *r, const vr_signature *s, size_t idx)
{
	char b[32], id[32];
	size_t j;
	int rc = 0;

	snprintf(id, sizeof id, "sig-%zu", idx + 1);
	W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignatureValidationReport", NULL));

	W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignatureIdentifier", NULL));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "id", BAD_CAST id));
	W(x_el(w, "HashOnly", "false"));
	W(x_el(w, "DocHashOnly", "false"));
	W(x_el(w, "DAIdentifier", s->id));
	W(xmlTextWriterEndElement(w));

	W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "ValidationTimeInfo", NULL));
	W(x_el(w, "ValidationTime", tf(r->validation_time, b, sizeof b)));
	W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "BestSignatureTime", NULL));
	W(x_el(w, "POETime", tf(s->best_signature_time, b, sizeof b)));
	/* 119 102-2: the POE was derived by the validation (from a timestamp)
	 * or is simply the validation time. */
	W(x_el(w, "TypeOfProof", "urn:etsi:019102:poetype:validation"));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterEndElement(w));

	/* One SignersDocument (the schema allows at most one): the digest of
	 * the first object whose SHA-256 matched, and a reference to every
	 * object the signature's manifest lists, each a ValidationObject
	 * (found by review: one per object, the names as text, no
	 * DigestValue). None if no object's digest held. */
	for (j = 0; j < s->nobjects && !s->objects[j].have_sha256; j++)
		;
	if (j < s->nobjects) {
		char *b64 = kho_base64_encode(s->objects[j].sha256, 32);
		kho_buf refs;
		size_t k;
		if (b64 == NULL)
			return KHO_ENOMEM;
		kho_buf_init(&refs, 1 << 20);
		for (k = 0; k < s->nobjects; k++)
			kho_buf_appendf(&refs, "%ssig-%zu-obj-%zu", k ? " " : "", idx + 1, k + 1);
		rc = xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignersDocument", NULL) < 0 ||
		     xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "DigestAlgAndValue", NULL) < 0 ||
		     xmlTextWriterStartElementNS(w, BAD_CAST "ds", BAD_CAST "DigestMethod", NULL) < 0 ||
		     xmlTextWriterWriteAttribute(w, BAD_CAST "Algorithm",
		                                 BAD_CAST "http://www.w3.org/2001/04/xmlenc#sha256") < 0 ||
		     xmlTextWriterEndElement(w) < 0 ||
		     xmlTextWriterWriteElementNS(w, BAD_CAST "ds", BAD_CAST "DigestValue", NULL,
		                                 BAD_CAST b64) < 0 ||
		     xmlTextWriterEndElement(w) < 0 ||
		     xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignersDocumentRef", NULL) < 0 ||
		     xmlTextWriterWriteAttribute(w, BAD_CAST "VOReference",
		                                 BAD_CAST (refs.data ? (char *)refs.data : "")) < 0 ||
		     xmlTextWriterEndElement(w) < 0 || xmlTextWriterEndElement(w) < 0
		         ? KHO_ENOMEM : 0;
		free(b64);
		kho_buf_free(&refs);
		if (rc != 0)
			goto out;
	}

	if (s->has_signing_time) {
		W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignatureAttributes", NULL));
		W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SigningTime", NULL));
		W(x_el(w, "Time", tf(s->signing_time, b, sizeof b)));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterEndElement(w));
	}
	if (s->signer_subject != NULL) {
		W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignerInformation", NULL));
		char cid[40];
		snprintf(cid, sizeof cid, "signer-cert-%zu", idx + 1);
		W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignerCertificate", NULL));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "VOReference", BAD_CAST cid));
		W(xmlTextWriterEndElement(w));
		W(x_el(w, "Signer", s->signer_subject));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignatureQuality", NULL));
	W(x_el(w, "SignatureQualityInformation", s->level != NULL ? s->level : "unknown"));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignatureValidationProcess", NULL));
	W(x_el(w, "SignatureValidationProcessID", "urn:etsi:019102:validationprocess:LTA"));
	W(xmlTextWriterEndElement(w));
	rc = x_status(w, s->indication, s->sub, s->reasons, s->nreasons);
	if (rc != 0)
		goto out;
	W(xmlTextWriterEndElement(w));
out:
	return rc;
}

/* One ValidationObject: what it is, which (a URI: the entry name), and
 * its POE if it gives one. */
static int x_object(xmlTextWriterPtr w, const char *id, const char *type, const char *uri,
                    int have_poe, time_t poe)
{
	char b[32];
	int rc = 0;

	W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "ValidationObject", NULL));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "id", BAD_CAST id));
	W(x_el(w, "ObjectType", type));
	W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "ValidationObjectRepresentation", NULL));
	W(x_el(w, "URI", uri));
	W(xmlTextWriterEndElement(w));
	if (have_poe) {
		W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "POE", NULL));
		W(x_el(w, "POETime", tf(poe, b, sizeof b)));
		W(x_el(w, "TypeOfProof", "urn:etsi:019102:poetype:validation"));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w));
out:
	return rc;
}

int verify_report_xml(kho_buf *out, const verify_report *r)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = NULL;
	size_t i, certs;
	int rc = 0, same;

	if (xb == NULL)
		return KHO_ENOMEM;
	w = xmlNewTextWriterMemory(xb, 0);
	if (w == NULL) {
		xmlBufferFree(xb);
		return KHO_ENOMEM;
	}
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	W(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
	W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "ValidationReport", BAD_CAST VR_NS_119102));
	W(xmlTextWriterWriteAttributeNS(w, BAD_CAST "xmlns", BAD_CAST "ds", NULL, BAD_CAST VR_NS_DS));
	for (i = 0; i < r->nsigs; i++) {
		rc = x_sig(w, r, &r->sigs[i], i);
		if (rc != 0)
			goto out;
	}
	/* The package's own verdict, when no signature's report carries it
	 * (a record.xml no signed manifest covers, an object missing): the
	 * signatures may pass while the package fails, and a reader of the
	 * standard elements alone took such a package for valid (found by
	 * review). So one more report, for the container, with its status. */
	for (i = 0, same = 0; i < r->nsigs; i++)
		same |= r->sigs[i].indication == r->indication && r->sigs[i].sub == r->sub;
	if (r->nsigs == 0 || !same) {
		/* No signature to report on: one report for the container, so
		 * that the failure and its reason are still machine-readable. */
		char b[32];
		W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignatureValidationReport", NULL));
		W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignatureIdentifier", NULL));
		W(x_el(w, "HashOnly", "false"));
		W(x_el(w, "DocHashOnly", "false"));
		W(x_el(w, "DAIdentifier", "(container)"));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "ValidationTimeInfo", NULL));
		W(x_el(w, "ValidationTime", tf(r->validation_time, b, sizeof b)));
		/* Required by the schema (found by review): no POE but the
		 * validation time itself. */
		W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "BestSignatureTime", NULL));
		W(x_el(w, "POETime", tf(r->validation_time, b, sizeof b)));
		W(x_el(w, "TypeOfProof", "urn:etsi:019102:poetype:validation"));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterEndElement(w));
		rc = x_status(w, r->indication, r->sub, r->reasons, r->nreasons);
		if (rc != 0)
			goto out;
		W(xmlTextWriterEndElement(w));
	}
	for (i = 0, certs = 0; i < r->nsigs; i++)
		certs += (r->sigs[i].signer_subject != NULL) + r->sigs[i].nobjects;
	if (certs > 0 || r->ntimestamps > 0 || r->nunsigned > 0 || (r->nsigs > 0 && r->nreasons > 0)) {
		W(xmlTextWriterStartElementNS(w, BAD_CAST "vr", BAD_CAST "SignatureValidationObjects", NULL));
		/* The signed objects of each signature (SignersDocumentRef) */
		for (i = 0; i < r->nsigs; i++) {
			size_t k;
			for (k = 0; k < r->sigs[i].nobjects; k++) {
				char id[64];
				snprintf(id, sizeof id, "sig-%zu-obj-%zu", i + 1, k + 1);
				rc = x_object(w, id, "urn:etsi:019102:validationObject:signedData",
				              r->sigs[i].objects[k].name, 0, 0);
				if (rc != 0)
					goto out;
			}
		}
		/* The signer certificates the reports refer to (found by review:
		 * a VOReference to no object), each by the signature file that
		 * holds it. */
		for (i = 0; i < r->nsigs; i++) {
			char id[40];
			if (r->sigs[i].signer_subject == NULL)
				continue;
			snprintf(id, sizeof id, "signer-cert-%zu", i + 1);
			rc = x_object(w, id, "urn:etsi:019102:validationObject:certificate",
			              r->sigs[i].id, 0, 0);
			if (rc != 0)
				goto out;
		}
		for (i = 0; i < r->ntimestamps; i++) {
			char id[32];
			snprintf(id, sizeof id, "ts-%zu", i + 1);
			/* A POE only from a timestamp that stands (found by review:
			 * a rejected SHA-1 token showed one). */
			rc = x_object(w, id, "urn:etsi:019102:validationObject:timestamp",
			              r->timestamps[i].where, r->timestamps[i].accepted,
			              r->timestamps[i].gen_time);
			if (rc != 0)
				goto out;
		}
		for (i = 0; i < r->nunsigned; i++) {
			char id[48];
			snprintf(id, sizeof id, "unsigned-%zu", i + 1);
			rc = x_object(w, id, "urn:etsi:019102:validationObject:other",
			              r->unsigned_objects[i].name, 0, 0);
			if (rc != 0)
				goto out;
		}
		for (i = 0; r->nsigs > 0 && i < r->nreasons; i++) {
			char id[48];
			snprintf(id, sizeof id, "container-note-%zu", i + 1);
			rc = x_object(w, id, "urn:kho:verify:container-note", r->reasons[i], 0, 0);
			if (rc != 0)
				goto out;
		}
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterEndDocument(w));
	xmlFreeTextWriter(w);
	w = NULL;
	rc = kho_buf_append(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
out:
	if (w != NULL)
		xmlFreeTextWriter(w);
	xmlBufferFree(xb);
	return rc;
}

const char *verify_timestamp_why(const verify_report *r, const char *where)
{
	static const char mark[] = ": not accepted: ";
	size_t n = where != NULL ? strlen(where) : 0;

	/* The token's own reason first: it is set for every refusal, those
	 * the package's reasons do not list too (a manifest whose digests
	 * fail, found by review). */
	for (size_t i = 0; n > 0 && i < r->ntimestamps; i++)
		if (r->timestamps[i].where != NULL && strcmp(r->timestamps[i].where, where) == 0 &&
		    r->timestamps[i].reason != NULL)
			return r->timestamps[i].reason;
	for (size_t i = 0; n > 0 && i < r->nreasons; i++) {
		const char *s = r->reasons[i], *p;
		if (strncmp(s, where, n) == 0 && strncmp(s + n, " over ", 6) == 0 &&
		    (p = strstr(s + n, mark)) != NULL)
			return p + strlen(mark);
	}
	return NULL;
}
