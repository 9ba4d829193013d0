/*
 * verify.c: validation of an ASiC-E/CAdES package at a chosen time, in the
 * vocabulary of ETSI EN 319 102-1. This file orchestrates: the container
 * comes from pkg.c, manifests from manifest.c, the record from record.c,
 * CMS facts and timestamp checks from cms.c, revocation from revocation.c.
 *
 * Every check of a signature runs and leaves a finding (a sub-indication and
 * a sentence); the signature's indication is then the finding that comes
 * first in the precedence below, which is the order the lead's brief and
 * docs/verification.md fix. Running all checks (rather than stopping at the
 * first) lets the report explain everything that is wrong.
 *
 *   FORMAT_FAILURE > SIGNED_DATA_NOT_FOUND > HASH_FAILURE > SIG_CRYPTO_FAILURE
 *   > NO_SIGNING_CERTIFICATE_FOUND > CRYPTO_CONSTRAINTS_FAILURE
 *   > NO_CERTIFICATE_CHAIN_FOUND > CHAIN_CONSTRAINTS_FAILURE
 *   > NOT_YET_VALID > OUT_OF_BOUNDS_NO_POE > REVOKED > REVOKED_NO_POE
 *   > TIMESTAMP_ORDER_FAILURE
 */
#include "verify/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "archive/manifest.h"
#include "common/util.h"
#include "verify/cms.h"
#include "verify/revocation.h"

#define VR_MAX_NOTES      64      /* reasons or warnings kept per list */
#define VR_MAX_SIGS       64      /* signatures validated per package */
#define VR_MAX_PEM_ITEMS  1000    /* certificates or CRLs in one PEM file */
#define VR_MAX_PEM_SIZE   (16u * 1024 * 1024)

/* ---- names ------------------------------------------------------------ */

const char *vr_indication_name(enum vr_indication i)
{
	switch (i) {
	case VR_TOTAL_PASSED: return "TOTAL-PASSED";
	case VR_TOTAL_FAILED: return "TOTAL-FAILED";
	case VR_INDETERMINATE: return "INDETERMINATE";
	}
	return "INDETERMINATE";
}

const char *vr_sub_name(enum vr_sub s)
{
	switch (s) {
	case VR_SUB_NONE: return "";
	case VR_FORMAT_FAILURE: return "FORMAT_FAILURE";
	case VR_HASH_FAILURE: return "HASH_FAILURE";
	case VR_SIG_CRYPTO_FAILURE: return "SIG_CRYPTO_FAILURE";
	case VR_REVOKED: return "REVOKED";
	case VR_NOT_YET_VALID: return "NOT_YET_VALID";
	case VR_NO_CERTIFICATE_CHAIN_FOUND: return "NO_CERTIFICATE_CHAIN_FOUND";
	case VR_NO_SIGNING_CERTIFICATE_FOUND: return "NO_SIGNING_CERTIFICATE_FOUND";
	case VR_SIGNED_DATA_NOT_FOUND: return "SIGNED_DATA_NOT_FOUND";
	case VR_OUT_OF_BOUNDS_NO_POE: return "OUT_OF_BOUNDS_NO_POE";
	case VR_REVOKED_NO_POE: return "REVOKED_NO_POE";
	case VR_TIMESTAMP_ORDER_FAILURE: return "TIMESTAMP_ORDER_FAILURE";
	case VR_CRYPTO_CONSTRAINTS_FAILURE: return "CRYPTO_CONSTRAINTS_FAILURE";
	case VR_EXPIRED: return "EXPIRED";
	case VR_TRY_LATER: return "TRY_LATER";
	case VR_CHAIN_CONSTRAINTS_FAILURE: return "CHAIN_CONSTRAINTS_FAILURE";
	case VR_SIG_CONSTRAINTS_FAILURE: return "SIG_CONSTRAINTS_FAILURE";
	}
	return "";
}

/* EN 319 102-1 5.1.3 table: which sub-indications belong to TOTAL-FAILED. */
static enum vr_indication indication_of(enum vr_sub s)
{
	switch (s) {
	case VR_SUB_NONE:
		return VR_TOTAL_PASSED;
	case VR_FORMAT_FAILURE: case VR_HASH_FAILURE: case VR_SIG_CRYPTO_FAILURE:
	case VR_REVOKED: case VR_NOT_YET_VALID:
		return VR_TOTAL_FAILED;
	default:
		return VR_INDETERMINATE;
	}
}

/* Rank in the precedence of the file comment; lower wins. */
static int rank_of(enum vr_sub s)
{
	static const enum vr_sub order[] = {
		VR_FORMAT_FAILURE, VR_SIGNED_DATA_NOT_FOUND, VR_HASH_FAILURE,
		VR_SIG_CRYPTO_FAILURE, VR_NO_SIGNING_CERTIFICATE_FOUND,
		VR_CRYPTO_CONSTRAINTS_FAILURE, VR_NO_CERTIFICATE_CHAIN_FOUND,
		VR_CHAIN_CONSTRAINTS_FAILURE, VR_SIG_CONSTRAINTS_FAILURE,
		VR_NOT_YET_VALID, VR_OUT_OF_BOUNDS_NO_POE, VR_EXPIRED, VR_REVOKED,
		VR_REVOKED_NO_POE, VR_TRY_LATER, VR_TIMESTAMP_ORDER_FAILURE,
	};
	size_t i;

	for (i = 0; i < sizeof order / sizeof order[0]; i++)
		if (order[i] == s)
			return (int)i;
	return 100; /* VR_SUB_NONE: a note */
}

/* ---- freeing ---------------------------------------------------------- */

static void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void objects_free(vr_object *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(o[i].name);
		free(o[i].digest_alg);
	}
	free(o);
}

static void timestamps_free(vr_timestamp *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].where);
		free(t[i].tsa_subject);
		free(t[i].serial);
		free(t[i].policy);
		free(t[i].reason);
	}
	free(t);
}

static void sig_free(vr_signature *s)
{
	free(s->id);
	free(s->manifest);
	free(s->level);
	free(s->signer_subject);
	free(s->signer_issuer);
	free(s->signer_serial);
	free(s->digest_alg);
	free(s->sig_alg);
	timestamps_free(s->timestamps, s->ntimestamps);
	objects_free(s->objects, s->nobjects);
	strv_free(s->reasons, s->nreasons);
	strv_free(s->warnings, s->nwarnings);
}

static void evidence_of(const vr_timestamp *t, size_t n, time_t *until)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].accepted && t[i].tsa_not_after > *until)
			*until = t[i].tsa_not_after;
}

time_t verify_evidence_until(const verify_report *r)
{
	time_t container = 0, until = 0;

	/* Container (archive) timestamps cover every signature; a signature's
	 * own tokens only it. A signature with an accepted token keeps its
	 * proof of existence only while that token's TSA certificate and
	 * every certificate above it up to the anchor are valid
	 * (tsa_not_after, the earliest of their ends): past it, a revocation
	 * of the signer's certificate (for any reason, an officer changing
	 * post) makes it INDETERMINATE for good, so its evidence ends there
	 * even when the signer's certificate lasts longer (found by review: a TSA certificate ending before the
	 * signer's was not renewed in time). Only a signature without one
	 * (CAdES-B-B: the daemon never renewed it, and it lapsed with its
	 * signer's certificate) has its signer's certificate's end. The
	 * package lapses with its first signature to lapse: the minimum over
	 * signatures of each one's latest. */
	evidence_of(r->timestamps, r->ntimestamps, &container);
	for (size_t i = 0; i < r->nsigs; i++) {
		time_t one = container;
		evidence_of(r->sigs[i].timestamps, r->sigs[i].ntimestamps, &one);
		if (one == 0)
			one = r->sigs[i].signer_not_after;
		if (one != 0 && (until == 0 || one < until))
			until = one;
	}
	return r->nsigs == 0 ? container : until;
}

void verify_report_free(verify_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->container_type);
	strv_free(r->deviations, r->ndeviations);
	strv_free(r->reasons, r->nreasons);
	strv_free(r->warnings, r->nwarnings);
	for (i = 0; i < r->nsigs; i++)
		sig_free(&r->sigs[i]);
	free(r->sigs);
	timestamps_free(r->timestamps, r->ntimestamps);
	objects_free(r->unsigned_objects, r->nunsigned);
	record_free(r->record);
	free(r);
}

/* ---- small builders --------------------------------------------------- */

/* Append a formatted line to a capped list of strings. */
static int strv_addv(char ***v, size_t *n, const char *fmt, va_list ap)
{
	char buf[1024], **nv;

	if (*n >= VR_MAX_NOTES)
		return 0; /* enough said */
	vsnprintf(buf, sizeof buf, fmt, ap);
	nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (nv == NULL)
		return KHO_ENOMEM;
	*v = nv;
	nv[*n] = strdup(buf);
	if (nv[*n] == NULL)
		return KHO_ENOMEM;
	(*n)++;
	return 0;
}

static int strv_add(char ***v, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int strv_add(char ***v, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = strv_addv(v, n, fmt, ap);
	va_end(ap);
	return rc;
}

/* Put a sentence first in a list (the verdict line shows the first). */
static int strv_insert0(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	char *c;

	if (nv == NULL)
		return KHO_ENOMEM;
	*v = nv;
	c = strdup(s);
	if (c == NULL)
		return KHO_ENOMEM;
	memmove(nv + 1, nv, *n * sizeof *nv);
	nv[0] = c;
	(*n)++;
	return 0;
}

static char *xstrdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Findings of one signature: sub-indication and sentence, sorted at the end. */
struct finding {
	enum vr_sub sub;
	char *text;
};

struct sigctx {
	vr_signature *s;
	struct finding f[VR_MAX_NOTES];
	size_t nf;
	int oom;
	unsigned poe_accuracy;     /* seconds, of the signature timestamp giving the POE */
	time_t ts_last;            /* the latest accepted signature timestamp's genTime */
	unsigned ts_last_accuracy; /* its accuracy, seconds */
};

static void find(struct sigctx *c, enum vr_sub sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void find(struct sigctx *c, enum vr_sub sub, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (c->nf >= VR_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	c->f[c->nf].sub = sub;
	c->f[c->nf].text = strdup(buf);
	if (c->f[c->nf].text == NULL) {
		c->oom = 1;
		return;
	}
	c->nf++;
}

static void warn(struct sigctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warn(struct sigctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (strv_addv(&c->s->warnings, &c->s->nwarnings, fmt, ap) != 0)
		c->oom = 1;
	va_end(ap);
}

/* Decide the indication and move the sentences into s->reasons. */
static void conclude(struct sigctx *c)
{
	size_t i;
	struct finding tmp[VR_MAX_NOTES];

	/* stable order: rank, then order of discovery */
	for (i = 0; i < c->nf; i++)
		tmp[i] = c->f[i];
	for (i = 1; i < c->nf; i++) {
		struct finding k = tmp[i];
		size_t j = i;
		while (j > 0 && rank_of(tmp[j - 1].sub) > rank_of(k.sub)) {
			tmp[j] = tmp[j - 1];
			j--;
		}
		tmp[j] = k;
	}
	c->s->sub = c->nf > 0 ? tmp[0].sub : VR_SUB_NONE;
	c->s->indication = indication_of(c->s->sub);
	for (i = 0; i < c->nf; i++) {
		if (strv_add(&c->s->reasons, &c->s->nreasons, "%s", tmp[i].text) != 0)
			c->oom = 1;
		free(tmp[i].text);
	}
	c->nf = 0;
}

static int timestamp_copy(vr_timestamp *dst, const char *where, const vcms_tst *t)
{
	memset(dst, 0, sizeof *dst);
	dst->where = strdup(where);
	dst->gen_time = t->have_gen_time ? t->gen_time : 0;
	dst->tsa_subject = xstrdup(t->tsa_subject);
	dst->imprint_ok = t->imprint_ok;
	dst->signature_ok = t->signature_ok;
	dst->chain_ok = t->chain_ok && t->eku_ok;
	/* The earliest end in the TSA's chain, the anchor included: the chain
	 * is checked at the validation time, so past the end of its CA the
	 * token proves nothing even if the TSA's own certificate lasts longer
	 * (found by review: a renewal was due by the TSA's 2050 while its CA
	 * ended in 2041, and the package lapsed unrenewed). */
	for (int i = 0; t->tsa_chain != NULL && i < sk_X509_num(t->tsa_chain); i++) {
		time_t na;
		if (vcms_asn1_time(&na, X509_get0_notAfter(sk_X509_value(t->tsa_chain, i))) != 0) {
			dst->tsa_not_after = 0;
			break;
		}
		if (dst->tsa_not_after == 0 || na < dst->tsa_not_after)
			dst->tsa_not_after = na;
	}
	dst->serial = xstrdup(t->serial);
	dst->policy = xstrdup(t->policy);
	if (dst->where == NULL || (t->tsa_subject && !dst->tsa_subject) ||
	    (t->serial && !dst->serial) || (t->policy && !dst->policy))
		return KHO_ENOMEM;
	return 0;
}

/* Why dst is not accepted (vr_timestamp.reason), unless already said. 0 or
 * KHO_ENOMEM. */
static int timestamp_reason(vr_timestamp *dst, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int timestamp_reason(vr_timestamp *dst, const char *fmt, ...)
{
	char buf[1300];
	va_list ap;

	if (dst->reason != NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	dst->reason = strdup(buf);
	return dst->reason != NULL ? 0 : KHO_ENOMEM;
}

/* ---- the package's manifests ---------------------------------------- */

struct mf {
	const pkg_entry *e;
	manifest *m;             /* NULL if unparsable */
	char error[512];
	/* Its exact bytes are authenticated: a signature's CMS verified over
	 * them, or (ASiCArchiveManifest) its timestamp token validated. Only
	 * such a manifest makes the objects it lists signed (covered_by). */
	int authenticated;
};

static int is_manifest_name(const char *n)
{
	const char *b = n + strlen("META-INF/");

	if (strncmp(n, "META-INF/", 9) != 0 || strchr(b, '/') != NULL)
		return 0;
	if (strncmp(b, "ASiCManifest", 12) != 0 && strncmp(b, "ASiCArchiveManifest", 19) != 0)
		return 0;
	return strlen(b) > 4 && strcmp(b + strlen(b) - 4, ".xml") == 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static int is_signature_name(const char *n)
{
	return strncmp(n, "META-INF/", 9) == 0 && strchr(n + 9, '/') == NULL &&
	       has_suffix(n, ".p7s");
}

/*
 * Digest of an entry against a manifest reference: VR_OBJ_*. o not NULL:
 * when the entry is found under exactly ref->uri and digested with SHA-256,
 * the digest goes into o->sha256 (have_sha256 set only for VR_OBJ_OK).
 */
static enum vr_object_state check_ref_obj(const pkg *p, const manifest_ref *ref, vr_object *o,
                                          kho_err *err)
{
	const pkg_entry *e = pkg_find(p, ref->uri);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (e == NULL)
		return VR_OBJ_MISSING;
	if (ref->md == NULL)
		return VR_OBJ_UNSUPPORTED;
	if (pkg_entry_digest(e, ref->md, md, &mdlen, err) != 0)
		return VR_OBJ_UNSUPPORTED;
	if (mdlen != ref->digest_len || CRYPTO_memcmp(md, ref->digest, mdlen) != 0)
		return VR_OBJ_HASH_FAILURE;
	if (o != NULL && mdlen == sizeof o->sha256 && EVP_MD_get_type(ref->md) == NID_sha256 &&
	    strcmp(e->name, ref->uri) == 0) {
		memcpy(o->sha256, md, sizeof o->sha256);
		o->have_sha256 = 1;
	}
	return VR_OBJ_OK;
}

static enum vr_object_state check_ref(const pkg *p, const manifest_ref *ref, kho_err *err)
{
	return check_ref_obj(p, ref, NULL, err);
}

static int md_uri_is_weak(const manifest_ref *ref)
{
	return ref->md != NULL && (EVP_MD_is_a(ref->md, "SHA1") || EVP_MD_is_a(ref->md, "MD5"));
}

/* ---- one signature --------------------------------------------------- */

/* How far a token's time may be ahead of a validation "now" (not a time
 * asked for): a TSA's clock a little ahead of ours, or a token just made
 * with a fraction of a second (found by review, 2026-12-08: an external
 * TSA one second ahead made every renewal "after the validation time"). */
#define VR_CLOCK_SKEW 300

struct pkgctx {
	const pkg *p;
	const verify_opts *o;
	time_t at;
	time_t latest;                    /* the latest token time usable at `at` */
	struct mf *mfs;
	size_t nmf;
	STACK_OF(X509_CRL) *extra_crls;   /* opts->crls, may be NULL */
	/* container timestamps that cover a signature file (archive POE) */
	struct { const char *sig; time_t gen; unsigned acc; const char *tst; } apoe[VR_MAX_NOTES];
	size_t napoe;
	/* container timestamps earlier than a container timestamp they list
	 * (early covers late; EN 319 102-1 time-stamp coherence order) */
	struct { const char *early, *late; time_t egen, lgen; } order[VR_MAX_NOTES];
	size_t norder;
	int asics;                        /* the container is ASiC-S (container_kind) */
	const pkg_entry *asics_object;    /* its one root-level data object, or NULL */
	size_t nroot;                     /* data objects at the root (not META-INF/, not mimetype) */
	size_t nsigs;                     /* signature entries (META-INF/NAME.p7s) */
	size_t nsigmf;                    /* parsed ASiCManifests (not archive manifests) */
	revocation_memo *memo;            /* CRL signatures verified in this validation */
	revocation_memo memo_store;
};

/*
 * container_kind: ASiC-S or ASiC-E (EN 319 162-1 4.3 and 4.4). ASiC-S is a
 * container with no ASiCManifest whose `mimetype` says ASiC-S, or, when the
 * `mimetype` says neither, that holds exactly one data object at its root:
 * the order in which the EU reference validator (DSS, ASiCUtils.
 * getContainerType) decides, except that DSS first trusts the file name's
 * extension, which a library reading bytes does not have.
 */
static void container_kind(struct pkgctx *pc)
{
	const pkg *p = pc->p;
	size_t i;

	for (i = 0; i < p->nentries; i++) {
		const char *n = p->entries[i].name;

		if (strncmp(n, "META-INF/", 9) == 0 || strcmp(n, "mimetype") == 0 ||
		    has_suffix(n, "/") || strchr(n, '/') != NULL)
			continue;
		pc->nroot++;
		pc->asics_object = &p->entries[i];
	}
	if (pc->nroot != 1)
		pc->asics_object = NULL;
	for (i = 0; i < pc->nmf; i++)
		if (pc->mfs[i].m != NULL && !pc->mfs[i].m->is_archive &&
		    strncmp(pc->mfs[i].e->name, "META-INF/ASiCManifest", 21) == 0)
			pc->nsigmf++;
	for (i = 0; i < p->nentries; i++)
		if (is_signature_name(p->entries[i].name))
			pc->nsigs++;
	if (pc->nmf > 0 && pc->nsigmf > 0)
		return;
	pc->asics = p->is_asics ||
	            (!p->is_asice && pc->nroot == 1 && pc->nmf == 0);
}

/*
 * ASiC-S (EN 319 162-1 4.3.2): META-INF/signature.p7s is a detached CAdES
 * signature over the container's one root-level data object. The object's
 * digest is compared with the signed messageDigest attribute first, so that
 * a changed object is HASH_FAILURE (as DSS reports it: the reference data is
 * not intact) and only a broken signature value is SIG_CRYPTO_FAILURE.
 */
static void check_asics_object(struct sigctx *c, const struct pkgctx *pc, vcms *v)
{
	const pkg_entry *e = pc->asics_object;
	vr_signature *s = c->s;
	vr_object *o;
	ASN1_OCTET_STRING *md_attr;
	X509_ALGOR *dalg = NULL;
	const EVP_MD *md;
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dglen = 0;
	kho_err e2 = { 0, "" };

	if (e == NULL) {
		find(c, VR_FORMAT_FAILURE,
		     "an ASiC-S container holds exactly one data object at its root (EN 319 162-1 4.3.1); this one holds %zu",
		     pc->nroot);
		return;
	}
	s->objects = calloc(1, sizeof *s->objects);
	if (s->objects == NULL) {
		c->oom = 1;
		return;
	}
	o = &s->objects[s->nobjects++];
	o->name = xstrdup(e->name);
	if (o->name == NULL) {
		c->oom = 1;
		return;
	}
	CMS_SignerInfo_get0_algs(v->si, NULL, NULL, &dalg, NULL);
	md = dalg != NULL ? EVP_get_digestbyobj(dalg->algorithm) : NULL;
	md_attr = CMS_signed_get0_data_by_OBJ(v->si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
	                                      V_ASN1_OCTET_STRING);
	ERR_clear_error();
	if (md == NULL || md_attr == NULL) {
		o->state = VR_OBJ_UNSUPPORTED;
		find(c, VR_FORMAT_FAILURE, "%s: the signature has no usable message-digest attribute or digest algorithm",
		     e->name);
		return;
	}
	if (pkg_entry_digest(e, md, dg, &dglen, &e2) != 0) {
		o->state = VR_OBJ_UNSUPPORTED;
		find(c, VR_FORMAT_FAILURE, "%s: %s", e->name, e2.msg);
		return;
	}
	if ((int)dglen != ASN1_STRING_length(md_attr) ||
	    CRYPTO_memcmp(dg, ASN1_STRING_get0_data(md_attr), dglen) != 0) {
		o->state = VR_OBJ_HASH_FAILURE;
		find(c, VR_HASH_FAILURE, "%s does not match the signature's message-digest", e->name);
		return;
	}
	o->state = VR_OBJ_OK;
	if (e->data == NULL && e->size > 0)
		find(c, VR_FORMAT_FAILURE, "%s is too large to check its signature in memory", e->name);
	else if (vcms_verify_signature(v, e->data ? (const void *)e->data : "", (size_t)e->size,
	                               &e2) != 0)
		find(c, VR_SIG_CRYPTO_FAILURE, "%s", e2.msg);
}

static const char *cert_label(X509 *x, X509 *signer, char *buf, size_t n)
{
	char *s;

	if (x == signer || X509_cmp(x, signer) == 0) {
		snprintf(buf, n, "the signer certificate");
		return buf;
	}
	s = vcms_name(X509_get_subject_name(x));
	snprintf(buf, n, "the CA certificate %s", s != NULL ? s : "?");
	free(s);
	return buf;
}

static void fill_signer(struct sigctx *c, X509 *x)
{
	vr_signature *s = c->s;

	s->signer_subject = vcms_name(X509_get_subject_name(x));
	s->signer_issuer = vcms_name(X509_get_issuer_name(x));
	s->signer_serial = vcms_serial_hex(X509_get0_serialNumber(x));
	if (s->signer_subject == NULL || s->signer_issuer == NULL || s->signer_serial == NULL)
		c->oom = 1;
	vcms_asn1_time(&s->signer_not_before, X509_get0_notBefore(x));
	vcms_asn1_time(&s->signer_not_after, X509_get0_notAfter(x));
}

/* Step 2: the data objects the manifest lists. */
static void check_objects(struct sigctx *c, const struct pkgctx *pc, const manifest *m)
{
	vr_signature *s = c->s;
	size_t i;

	s->objects = calloc(m->nrefs ? m->nrefs : 1, sizeof *s->objects);
	if (s->objects == NULL) {
		c->oom = 1;
		return;
	}
	for (i = 0; i < m->nrefs; i++) {
		const manifest_ref *ref = &m->refs[i];
		vr_object *o = &s->objects[s->nobjects++];
		kho_err e = { 0, "" };

		o->name = xstrdup(ref->uri);
		o->digest_alg = xstrdup(ref->digest_alg);
		if (o->name == NULL) {
			c->oom = 1;
			return;
		}
		o->state = check_ref_obj(pc->p, ref, o, &e);
		switch (o->state) {
		case VR_OBJ_OK:
			break;
		case VR_OBJ_MISSING:
			find(c, VR_SIGNED_DATA_NOT_FOUND,
			     "%s is listed in the signed manifest but absent from the container", ref->uri);
			break;
		case VR_OBJ_HASH_FAILURE:
			find(c, VR_HASH_FAILURE, "%s does not match its digest", ref->uri);
			break;
		case VR_OBJ_UNSUPPORTED:
			find(c, VR_FORMAT_FAILURE, "%s: unsupported digest algorithm %s%s%s", ref->uri,
			     ref->digest_alg ? ref->digest_alg : "(none)", e.msg[0] ? ": " : "", e.msg);
			break;
		case VR_OBJ_UNSIGNED:
			break;
		}
		if (md_uri_is_weak(ref))
			find(c, VR_CRYPTO_CONSTRAINTS_FAILURE,
			     "%s is digested with a broken algorithm (%s) in the manifest", ref->uri,
			     ref->digest_alg);
	}
}

static STACK_OF(X509_CRL) *all_crls(vcms *v, STACK_OF(X509_CRL) *extra);

/*
 * The certificates of a TSA's chain that no usable revocation data covered
 * at the time checked (REVOCATION_UNKNOWN): the caller warns for each, as
 * check_chain does for the signer's chain (verification.md section 4: a
 * warning, not TRY_LATER), naming the token (found by review, 2026-12-08:
 * a TSA chain whose only CRL had expired was taken as good in silence).
 */
#define TSA_NODATA_MAX 4
struct tsa_nodata {
	size_t n;
	struct {
		char label[256];     /* "the TSA certificate CN=..." */
		char note[384];      /* revocation_result.note */
	} c[TSA_NODATA_MAX];
};

/*
 * What the token's CMS check does not see: its genTime must lie in the TSA
 * certificate's validity, and the TSA's chain is checked for revocation at
 * time at (the validation time, or the time an archive timestamp proves the
 * token existed: archive_poe_time) with RFC 3161's rule (section 4): a TSA certificate
 * revoked with reason unspecified, affiliationChanged, superseded or
 * cessationOfOperation keeps the tokens made before its revocation; revoked
 * with no reason or for a key compromise, it keeps none (whoever holds a
 * compromised key can date a token as they like). 0 if the token may stand
 * as a proof of existence, 1 with why, KHO_ENOMEM. nd (may be NULL): the
 * chain's certificates without usable revocation data at at.
 */
static int tsa_acceptable(const vcms_tst *t, const struct pkgctx *pc, STACK_OF(X509_CRL) *crls,
                          const kho_buf *ocsp, size_t nocsp, time_t at, char *why, size_t n,
                          struct tsa_nodata *nd)
{
	char a[32], b[32], d[32];
	time_t nb, na;
	X509 *tsa;
	int i, k;

	if (t->tsa_chain == NULL || (k = sk_X509_num(t->tsa_chain)) < 1)
		return 0;   /* no chain: the token is refused for that already */
	tsa = sk_X509_value(t->tsa_chain, 0);
	if (vcms_asn1_time(&nb, X509_get0_notBefore(tsa)) != 0 ||
	    vcms_asn1_time(&na, X509_get0_notAfter(tsa)) != 0) {
		snprintf(why, n, "the TSA certificate has unreadable validity dates");
		return 1;
	}
	if (t->gen_time < nb || t->gen_time > na) {
		snprintf(why, n, "its time %s is outside the TSA certificate's validity, %s to %s",
		         kho_time_format(a, sizeof a, t->gen_time), kho_time_format(b, sizeof b, nb),
		         kho_time_format(d, sizeof d, na));
		return 1;
	}
	for (i = 0; i + 1 < k; i++) {
		X509 *x = sk_X509_value(t->tsa_chain, i), *iss = sk_X509_value(t->tsa_chain, i + 1);
		revocation_result rr;
		kho_err e = { 0, "" };
		char *name;
		int rc = revocation_check_memo(&rr, x, iss, crls, ocsp, nocsp, at, pc->memo, &e);
		int keeps_earlier;

		if (rc != 0)
			return rc == KHO_ENOMEM ? KHO_ENOMEM : 0;
		if (rr.status == REVOCATION_UNKNOWN && nd != NULL && nd->n < TSA_NODATA_MAX) {
			name = vcms_name(X509_get_subject_name(x));
			snprintf(nd->c[nd->n].label, sizeof nd->c[nd->n].label, "%s %s",
			         i == 0 ? "the TSA certificate" : "the CA certificate",
			         name ? name : "?");
			snprintf(nd->c[nd->n].note, sizeof nd->c[nd->n].note, "%s", rr.note);
			nd->n++;
			free(name);
		}
		if (rr.status != REVOCATION_REVOKED)
			continue;
		keeps_earlier = rr.reason_code == 0 || rr.reason_code == 3 || rr.reason_code == 4 ||
		                rr.reason_code == 5;
		if (keeps_earlier && t->gen_time < rr.revoked_at)
			continue;
		name = vcms_name(X509_get_subject_name(x));
		snprintf(why, n, "%s certificate %s was revoked on %s (%s), which voids %s tokens "
		         "(RFC 3161 section 4)", i == 0 ? "the TSA" : "a TSA chain", name ? name : "?",
		         kho_time_format(a, sizeof a, rr.revoked_at),
		         rr.reason_code < 0 ? "no reason given" : revocation_reason_name(rr.reason_code),
		         keeps_earlier ? "its later" : "all its");   /* certificateHold too (review) */
		free(name);
		return 1;
	}
	return 0;
}

/*
 * One timestamp token checked at time at: the CMS check (chain at at) and
 * tsa_acceptable (revocation at at). *bad: the token itself fails (chain,
 * imprint, signature, purpose: t->reason); *unacc: its TSA may not vouch for
 * it (why); *nd: its TSA's chain without revocation data at at. 0, or
 * KHO_ENOMEM (t cleared).
 */
static int tst_at(vcms_tst *t, const struct pkgctx *pc, const void *der, size_t len,
                  const void *covered, size_t clen, STACK_OF(X509) *anchors, STACK_OF(X509) *extra,
                  STACK_OF(X509_CRL) *crls, const kho_buf *ocsp, size_t nocsp, time_t at,
                  int *bad, int *unacc, char *why, size_t n, struct tsa_nodata *nd)
{
	kho_err e = { 0, "" };
	int rc = vcms_timestamp_check(t, der, len, covered, clen, anchors, extra, at, &e);

	*unacc = 0;
	nd->n = 0;
	if (rc == KHO_ENOMEM) {
		vcms_tst_clear(t);
		return rc;
	}
	*bad = !(t->have_gen_time && t->imprint_ok && t->signature_ok && t->chain_ok && t->eku_ok);
	if (!*bad && (rc = tsa_acceptable(t, pc, crls, ocsp, nocsp, at, why, n, nd)) < 0) {
		vcms_tst_clear(t);
		return rc;
	}
	*unacc = !*bad && rc == 1;
	return 0;
}

/*
 * A token that is intact (its imprint and signature hold) but whose TSA
 * certificate does not validate now, typically because it has expired, is
 * checked again at the time an archive timestamp proves it existed (EN 319
 * 102-1 5.6, past signature validation): the genTime of a validated
 * container timestamp over the file that holds it. Tries each such time in
 * turn (*k: the next entry of pc->apoe); 1 with *at and *by set, 0 when
 * none is left.
 */
static int archive_poe_next(const struct pkgctx *pc, const char *file, size_t *k, time_t *at,
                            const char **by)
{
	for (; *k < pc->napoe; (*k)++)
		if (strcmp(pc->apoe[*k].sig, file) == 0 && pc->apoe[*k].gen < pc->at) {
			*at = pc->apoe[*k].gen;
			*by = pc->apoe[*k].tst;
			(*k)++;
			return 1;
		}
	return 0;
}

/* 1 if the container timestamp tst gives a POE of the entry file (lists it). */
static int apoe_has(const struct pkgctx *pc, const char *file, const char *tst)
{
	size_t k;

	for (k = 0; k < pc->napoe; k++)
		if (strcmp(pc->apoe[k].sig, file) == 0 && strcmp(pc->apoe[k].tst, tst) == 0)
			return 1;
	return 0;
}

/* Step 4: signature timestamps; returns the earliest acceptable genTime. */
static int check_timestamps(struct sigctx *c, const struct pkgctx *pc, vcms *v,
                            STACK_OF(X509) *anchors, const char *signame, time_t *poe, int *have)
{
	kho_buf tok[VCMS_MAX_TOKENS];
	STACK_OF(X509_CRL) *crls = NULL;
	const unsigned char *sv;
	size_t n = 0, i, svlen;
	kho_err e = { 0, "" };
	char t1[32], t2[32], why[512], why2[512];
	int rc;

	*have = 0;
	rc = vcms_timestamp_tokens(v, tok, VCMS_MAX_TOKENS, &n, &e);
	if (rc == KHO_ENOMEM)
		goto out;
	if (rc != 0)
		find(c, VR_FORMAT_FAILURE, "signature timestamps: %s", e.msg);
	rc = 0;
	vcms_signature_value(v, &sv, &svlen);
	if (n > 0 && (crls = all_crls(v, pc->extra_crls)) == NULL) {
		rc = KHO_ENOMEM;
		goto out;
	}
	if (n > 0) {
		c->s->timestamps = calloc(n, sizeof *c->s->timestamps);
		if (c->s->timestamps == NULL) {
			rc = KHO_ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		vcms_tst t, t_then;
		const char *by = NULL;
		time_t then = pc->at;
		size_t k = 0;
		int bad, unacc, bad2, unacc2;
		char then_why[700] = "";
		struct tsa_nodata nd, nd2;

		if ((rc = tst_at(&t, pc, tok[i].data, tok[i].len, sv, svlen, anchors, v->certs, crls,
		                 v->ocsp, v->nocsp, pc->at, &bad, &unacc, why, sizeof why, &nd)) != 0)
			goto out;
		/* Not valid now, but intact: valid when an archive timestamp
		 * proves it existed? The first such time that works replaces
		 * the answer at the validation time. */
		while ((bad || unacc) && t.have_gen_time && t.imprint_ok && t.signature_ok &&
		       archive_poe_next(pc, signame, &k, &then, &by)) {
			if ((rc = tst_at(&t_then, pc, tok[i].data, tok[i].len, sv, svlen, anchors, v->certs,
			                 crls, v->ocsp, v->nocsp, then, &bad2, &unacc2, why2,
			                 sizeof why2, &nd2)) != 0) {
				vcms_tst_clear(&t);
				goto out;
			}
			if (!bad2 && !unacc2 && t_then.gen_time <= then) {
				find(c, VR_SUB_NONE, "the signature timestamp's TSA certificate is not valid at the "
				     "validation time (%s); it was at %s, when the archive timestamp %s proves "
				     "the signature existed", t.reason[0] ? t.reason : why,
				     kho_time_format(t1, sizeof t1, then), by);
				vcms_tst_clear(&t);
				t = t_then;
				nd = nd2;
				bad = unacc = 0;
				break;
			}
			/* Why not then either: the real cause may be there (a TSA
			 * key compromised before the renewal), not the expiry seen
			 * now (found by review, 2026-12-08: it was dropped). */
			if (!bad2 && !unacc2)   /* only its time: after the one proved */
				snprintf(then_why, sizeof then_why, "the signature timestamp's time (%s) is"
				         " after the time (%s) the archive timestamp %s proves the signature"
				         " existed", kho_time_format(t2, sizeof t2, t_then.gen_time),
				         kho_time_format(t1, sizeof t1, then), by);
			else
				snprintf(then_why, sizeof then_why, "at %s, when the archive timestamp %s proves"
				         " the signature existed, the signature timestamp was not accepted"
				         " either: %s", kho_time_format(t1, sizeof t1, then), by,
				         unacc2 ? why2 : t_then.reason[0] ? t_then.reason : "incomplete");
			vcms_tst_clear(&t_then);
		}
		rc = timestamp_copy(&c->s->timestamps[c->s->ntimestamps++], "signature-timestamp", &t);
		if (rc != 0) {
			vcms_tst_clear(&t);
			goto out;
		}
		/* The token's own reason too (found by review: only the
		 * signature's reasons had it). */
		if ((unacc || bad) &&
		    timestamp_reason(&c->s->timestamps[c->s->ntimestamps - 1], "%s%s%s",
		                     unacc ? why : t.reason[0] ? t.reason : "incomplete",
		                     then_why[0] ? "; " : "", then_why) != 0)
			c->oom = 1;
		if (unacc) {
			find(c, VR_SUB_NONE, "the signature timestamp is not accepted: %s; it gives no proof of existence",
			     why);
			if (then_why[0] != '\0')
				find(c, VR_SUB_NONE, "%s", then_why);
		} else if (bad) {
			find(c, VR_SUB_NONE, "the signature timestamp is not accepted (%s): it gives no proof of existence",
			     t.reason[0] ? t.reason : "incomplete");
			if (then_why[0] != '\0')
				find(c, VR_SUB_NONE, "%s", then_why);
		} else if (t.gen_time > pc->latest) {
			find(c, VR_SUB_NONE, "the signature timestamp (%s) is after the validation time: not used",
			     kho_time_format(t2, sizeof t2, t.gen_time));
			if (timestamp_reason(&c->s->timestamps[c->s->ntimestamps - 1], "its time (%s) is"
			                     " after the validation time: not used", t2) != 0)
				c->oom = 1;
		} else {
			size_t k2;

			if (t.weak) {
				find(c, VR_CRYPTO_CONSTRAINTS_FAILURE,
				     "the signature timestamp uses a broken algorithm: %s", t.weak_why);
				if (timestamp_reason(&c->s->timestamps[c->s->ntimestamps - 1],
				                     "a broken algorithm: %s", t.weak_why) != 0)
					c->oom = 1;
			} else
				c->s->timestamps[c->s->ntimestamps - 1].accepted = 1;
			for (k2 = 0; !t.weak && k2 < nd.n; k2++)
				warn(c, "no usable revocation data for the signature timestamp's TSA chain: %s"
				     " (%s); kho accepts this with a warning", nd.c[k2].label, nd.c[k2].note);
			/* A token a little ahead of a validation "now"
			 * (VR_CLOCK_SKEW) proves existence at the validation
			 * time, no later (found by the third review: the
			 * certificates were checked at the token's future time). */
			time_t g = t.gen_time > pc->at ? pc->at : t.gen_time;
			if (!*have || g < *poe) {
				*poe = g;
				c->poe_accuracy = t.accuracy;
			}
			if (!*have || t.gen_time > c->ts_last) {
				c->ts_last = t.gen_time;
				c->ts_last_accuracy = t.accuracy;
			}
			*have = 1;
		}
		vcms_tst_clear(&t);
	}
out:
	sk_X509_CRL_free(crls);
	for (i = 0; i < n; i++)
		kho_buf_free(&tok[i]);
	return rc;
}

/* 1 if a and b have the same DER encoding. */
static int crl_same(X509_CRL *a, X509_CRL *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la, lb, same;

	if (X509_CRL_match(a, b) != 0)
		return 0;
	la = i2d_X509_CRL(a, &da);
	lb = i2d_X509_CRL(b, &db);
	same = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

static STACK_OF(X509_CRL) *all_crls(vcms *v, STACK_OF(X509_CRL) *extra)
{
	STACK_OF(X509_CRL) *all = sk_X509_CRL_new_null();
	int i;

	if (all == NULL)
		return NULL;
	for (i = 0; i < sk_X509_CRL_num(v->crls); i++)
		if (!sk_X509_CRL_push(all, sk_X509_CRL_value(v->crls, i)))
			goto fail;
	/*
	 * A CRL supplied in opts->crls that is byte for byte one already
	 * embedded is the same evidence: checking it twice verified its
	 * signature twice and told nothing new. X509_CRL_match compares the
	 * cached hashes of the encodings; the bytes are then compared, so only
	 * an identical encoding is ever skipped.
	 */
	for (i = 0; extra != NULL && i < sk_X509_CRL_num(extra); i++) {
		X509_CRL *x = sk_X509_CRL_value(extra, i);
		int j, dup = 0;

		for (j = 0; !dup && j < sk_X509_CRL_num(v->crls); j++)
			dup = crl_same(x, sk_X509_CRL_value(v->crls, j));
		if (!dup && !sk_X509_CRL_push(all, x))
			goto fail;
	}
	return all;
fail:
	sk_X509_CRL_free(all);
	return NULL;
}

/*
 * The sub-indication of a chain that X509_verify_cert refused (EN 319 102-1
 * 5.2.6). NO_CERTIFICATE_CHAIN_FOUND only when no path to a trust anchor
 * could be built: an issuer missing, or a self-signed certificate that is
 * not an anchor. A path that was built but fails an RFC 5280 check (a CA
 * certificate without CA:TRUE, an unknown critical extension, a path
 * length, a certificate signature that does not verify, ...) is
 * CHAIN_CONSTRAINTS_FAILURE. A key or digest OpenSSL
 * finds too weak is kho's CRYPTO_CONSTRAINTS_FAILURE (the checks of
 * vcms_cert_weak, which a refused path never reaches). Validity dates and
 * revocation never come from here: the chain is built with
 * X509_V_FLAG_NO_CHECK_TIME and without CRL flags, and steps 6 and 7 judge
 * them at the POE.
 */
static enum vr_sub chain_error_sub(int verr)
{
	switch (verr) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return VR_NO_CERTIFICATE_CHAIN_FOUND;
	case X509_V_ERR_CA_KEY_TOO_SMALL:
	case X509_V_ERR_CA_MD_TOO_WEAK:
	case X509_V_ERR_EE_KEY_TOO_SMALL:
		return VR_CRYPTO_CONSTRAINTS_FAILURE;
	default:
		return VR_CHAIN_CONSTRAINTS_FAILURE;
	}
}

/*
 * Steps 5 to 8: chain at the POE, key usage, validity, revocation, order.
 * has_poe: poe is a timestamp's genTime; poe_tst names the container
 * timestamp it comes from, NULL for the signature timestamp.
 */
static int check_chain(struct sigctx *c, const struct pkgctx *pc, vcms *v, time_t poe,
                       int has_poe, const char *poe_tst)
{
	vr_signature *s = c->s;
	STACK_OF(X509) *chain = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	kho_err e = { 0, "" };
	char t1[32], t2[32], lbl[600];
	/* Labels are made only for a finding: X509_NAME_print_ex per chain
	 * certificate and per loop cost a few percent of a verification. */
#define LABEL cert_label(x, v->signer, lbl, sizeof lbl)
	int i, n, last, verr = X509_V_OK, rc = 0;

	if (vcms_build_chain(&chain, v->signer, v->certs, pc->o->anchors, poe,
	                     X509_PURPOSE_ANY, 0, &verr, &e) != 0) {
		enum vr_sub sub;

		if (e.code == KHO_ENOMEM)
			return KHO_ENOMEM;
		sub = chain_error_sub(verr);
		if (sub == VR_NO_CERTIFICATE_CHAIN_FOUND)
			find(c, sub, "no chain from the signer certificate to a trust anchor: %s", e.msg);
		else
			find(c, sub, "the chain from the signer certificate to a trust anchor fails a "
			     "certificate check: %s", e.msg);
		return 0;
	}
	/* EN 319 102-1 5.2.6 / RFC 5280 4.2.1.3: a signer's key must be for
	 * signatures. DSS reports this as a chain constraint. */
	if ((X509_get_extension_flags(v->signer) & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(v->signer) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
		find(c, VR_CHAIN_CONSTRAINTS_FAILURE,
		     "the signer certificate's key usage allows neither digitalSignature nor nonRepudiation");
	/* RFC 5280 4.2.1.12: an extendedKeyUsage limits the key to the
	 * purposes it lists. A certificate only for timestamping or OCSP
	 * responses (a TSA's, a responder's) does not sign documents. Other
	 * lists are accepted: signers' certificates in the wild carry
	 * emailProtection, clientAuth, documentSigning and vendor purposes. */
	if ((X509_get_extension_flags(v->signer) & EXFLAG_XKUSAGE) != 0) {
		uint32_t xku = X509_get_extended_key_usage(v->signer);
		STACK_OF(ASN1_OBJECT) *eku = X509_get_ext_d2i(v->signer, NID_ext_key_usage, NULL, NULL);
		int other = 0, k;

		for (k = 0; eku != NULL && k < sk_ASN1_OBJECT_num(eku); k++) {
			int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, k));
			if (nid != NID_time_stamp && nid != NID_OCSP_sign)
				other = 1;
		}
		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
		if (!other && (xku & (XKU_TIMESTAMP | XKU_OCSP_SIGN)) != 0)
			find(c, VR_CHAIN_CONSTRAINTS_FAILURE,
			     "the signer certificate's extendedKeyUsage allows only %s: it does not sign documents",
			     (xku & XKU_TIMESTAMP) != 0 ? "timestamping" : "OCSP responses");
	}

	n = sk_X509_num(chain);
	/* The anchor (last) is trusted as configured; all others are checked. */
	last = n > 1 ? n - 1 : 1;
	for (i = 0; i < last; i++) {
		X509 *x = sk_X509_value(chain, i);
		time_t nb = 0, na = 0;
		char why[96];

		/* Algorithm constraints on the chain too: each certificate's
		 * signature, and the keys of the CAs (the signer's is step 3's). */
		if (vcms_cert_weak(x, i > 0, why, sizeof why))
			find(c, VR_CRYPTO_CONSTRAINTS_FAILURE, "%s: %s", LABEL, why);

		if (vcms_asn1_time(&nb, X509_get0_notBefore(x)) != 0 ||
		    vcms_asn1_time(&na, X509_get0_notAfter(x)) != 0) {
			find(c, VR_FORMAT_FAILURE, "%s has unreadable validity dates", LABEL);
			continue;
		}
		if (poe < nb)
			find(c, VR_NOT_YET_VALID, "%s is valid only from %s, after the %s %s", LABEL,
			     kho_time_format(t1, sizeof t1, nb),
			     has_poe ? "proof of existence" : "validation time",
			     kho_time_format(t2, sizeof t2, poe));
		else if (poe > na)
			find(c, VR_OUT_OF_BOUNDS_NO_POE,
			     "%s expired on %s and there is no proof of existence before that (best signature time %s)",
			     LABEL, kho_time_format(t1, sizeof t1, na), kho_time_format(t2, sizeof t2, poe));
	}

	crls = all_crls(v, pc->extra_crls);
	if (crls == NULL) {
		rc = KHO_ENOMEM;
		goto out;
	}
	for (i = 0; i + 1 < n; i++) {
		X509 *x = sk_X509_value(chain, i), *iss = sk_X509_value(chain, i + 1);
		revocation_result rr;

		rc = revocation_check_memo(&rr, x, iss, crls, v->ocsp, v->nocsp, poe, pc->memo, &e);
		if (rc != 0)
			goto out;
		if (rr.status == REVOCATION_REVOKED) {
			/* A timestamp proves the signature existed only after the
			 * revocation: TOTAL-FAILED. Without one, the signature may
			 * be older than the revocation: INDETERMINATE (5.2.6). */
			find(c, has_poe ? VR_REVOKED : VR_REVOKED_NO_POE, "%s was %s", LABEL, rr.note);
		} else if (rr.status == REVOCATION_GOOD && rr.revoked_after_poe) {
			find(c, VR_SUB_NONE, "%s was %s", LABEL, rr.note);
		} else if (rr.status == REVOCATION_UNKNOWN) {
			warn(c, "no usable revocation data for %s (%s); kho accepts this with a warning", LABEL,
			     rr.note);
		}
		if (rr.nignored > 0 && rr.status != REVOCATION_UNKNOWN)
			warn(c, "%zu piece(s) of revocation data for %s were ignored (wrong signer or unsupported)",
			     rr.nignored, LABEL);
	}

	/* EN 319 102-1 5.6.2.? : the claimed signing time cannot be after
	 * the timestamp that proves the signature existed: the earliest one,
	 * a signature timestamp or a container timestamp over the signature
	 * file (B-LTA), which cannot have covered a signature not yet made. */
	/* A signature timestamp's genTime is known within its accuracy
	 * (RFC 3161 2.4.2), and the claimed signing time is a whole second of
	 * the signer's clock: within that accuracy, no order failure (found
	 * by review: a foreign signer one second ahead was INDETERMINATE). */
	if (has_poe && s->has_signing_time &&
	    s->signing_time > poe + (time_t)(poe_tst == NULL ? c->poe_accuracy : 0)) {
		if (poe_tst == NULL)
			find(c, VR_TIMESTAMP_ORDER_FAILURE,
			     "the claimed signing time %s is after the signature timestamp %s",
			     kho_time_format(t1, sizeof t1, s->signing_time),
			     kho_time_format(t2, sizeof t2, poe));
		else
			find(c, VR_TIMESTAMP_ORDER_FAILURE,
			     "the claimed signing time %s is after the container timestamp %s, which "
			     "proves the signature existed at %s",
			     kho_time_format(t1, sizeof t1, s->signing_time), poe_tst,
			     kho_time_format(t2, sizeof t2, poe));
	}
out:
	sk_X509_CRL_free(crls);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}
#undef LABEL

/*
 * Content timestamps (signed id-aa-ets-contentTimestamp over the signed
 * content) against the signature timestamp (EN 319 102-1, timestamp
 * coherence): the content existed before it was signed, so a content
 * timestamp that stands and is later than the earliest signature timestamp
 * (tpoe) beyond the two tokens' accuracy is TIMESTAMP_ORDER_FAILURE (found
 * by review: such a package passed, its content timestamp unread). One
 * that does not stand is only noted: it proves nothing either way.
 */
static int content_order(struct sigctx *c, const struct pkgctx *pc, vcms *v, const void *content,
                         size_t len, time_t tpoe)
{
	kho_buf tok[VCMS_MAX_TOKENS];
	STACK_OF(X509_CRL) *crls = NULL;
	size_t n = 0, i;
	kho_err e = { 0, "" };
	char t1[32], t2[32], why[512];
	int rc;

	rc = vcms_content_timestamp_tokens(v, tok, VCMS_MAX_TOKENS, &n, &e);
	if (rc == KHO_ENOMEM)
		goto out;
	if (rc != 0)
		find(c, VR_SUB_NONE, "content timestamps: %s", e.msg);
	rc = 0;
	if (n > 0 && (crls = all_crls(v, pc->extra_crls)) == NULL) {
		rc = KHO_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		vcms_tst t;
		struct tsa_nodata nd;
		size_t k;
		int bad, unacc;

		if ((rc = tst_at(&t, pc, tok[i].data, tok[i].len, content, len, pc->o->anchors, v->certs,
		                 crls, v->ocsp, v->nocsp, pc->at, &bad, &unacc, why, sizeof why,
		                 &nd)) != 0)
			goto out;
		for (k = 0; !bad && !unacc && k < nd.n; k++)
			warn(c, "no usable revocation data for a content timestamp's TSA chain: %s (%s);"
			     " kho accepts this with a warning", nd.c[k].label, nd.c[k].note);
		if (bad || unacc)
			find(c, VR_SUB_NONE, "a content timestamp is not accepted (%s): it proves nothing",
			     bad ? (t.reason[0] ? t.reason : "incomplete") : why);
		else if (t.gen_time > tpoe + (time_t)t.accuracy + (time_t)c->poe_accuracy)
			find(c, VR_TIMESTAMP_ORDER_FAILURE, "the content timestamp %s is after the signature"
			     " timestamp %s: the content cannot have been timestamped after it was signed",
			     kho_time_format(t1, sizeof t1, t.gen_time), kho_time_format(t2, sizeof t2, tpoe));
		vcms_tst_clear(&t);
	}
out:
	for (i = 0; i < n; i++)
		kho_buf_free(&tok[i]);
	sk_X509_CRL_free(crls);
	return rc;
}

static int check_signature(vr_signature *s, struct pkgctx *pc, const pkg_entry *sigent)
{
	struct sigctx c;
	struct mf *mf = NULL;
	const struct mf *broken = NULL, *twin = NULL;
	vcms *v = NULL;
	kho_err e = { 0, "" };
	time_t poe = 0, tpoe = 0;
	const char *poe_tst = NULL;   /* the container timestamp that gave the POE */
	int have_tpoe = 0, has_poe = 0, weak, bits, essv = 0, rc = 0;
	size_t i;

	memset(&c, 0, sizeof c);
	c.s = s;
	s->id = strdup(sigent->name);
	if (s->id == NULL)
		return KHO_ENOMEM;

	/* Step 1: the CMS itself. */
	if (sigent->data == NULL && sigent->size > 0)
		find(&c, VR_FORMAT_FAILURE, "the signature is too large to check");
	else if (vcms_parse(&v, sigent->data, (size_t)sigent->size, &e) != 0) {
		if (e.code == KHO_ENOMEM)
			return KHO_ENOMEM;
		find(&c, VR_FORMAT_FAILURE, "the signature is not a usable CAdES signature: %s", e.msg);
	}

	/* The manifest whose SigReference names this signature. */
	for (i = 0; i < pc->nmf; i++) {
		if (pc->mfs[i].m == NULL) {
			if (broken == NULL)
				broken = &pc->mfs[i];
		} else if (strcmp(pc->mfs[i].m->sig_uri, sigent->name) == 0) {
			if (mf == NULL)
				mf = &pc->mfs[i];
			else if (twin == NULL)
				twin = &pc->mfs[i];
		}
	}
	/* A signature signs one manifest (EN 319 162-1 4.4.3): a second one
	 * naming it could only be unsigned, and which one it signs would be
	 * the container's choice, not the signer's. */
	if (twin != NULL)
		find(&c, VR_FORMAT_FAILURE, "%s and %s both name %s as their signature", mf->e->name,
		     twin->e->name, sigent->name);
	/*
	 * DSS (ASiCWithCAdESUtils.getSignedDocument): an ASiC-E container with
	 * one signature and one ASiCManifest is read as that manifest's
	 * signature even when its SigReference names another file.
	 */
	if (mf == NULL && broken == NULL && !pc->asics && pc->nsigs == 1 && pc->nsigmf == 1)
		for (i = 0; i < pc->nmf; i++)
			if (pc->mfs[i].m != NULL && !pc->mfs[i].m->is_archive &&
			    strncmp(pc->mfs[i].e->name, "META-INF/ASiCManifest", 21) == 0) {
				mf = &pc->mfs[i];
				warn(&c, "%s is the only ASiCManifest but its SigReference names %s, not %s",
				     mf->e->name, mf->m->sig_uri, sigent->name);
			}
	if (mf == NULL && pc->asics) {
		/* ASiC-S: the signature covers the root-level object (below). */
	} else if (mf == NULL) {
		if (broken != NULL)
			find(&c, VR_FORMAT_FAILURE, "no usable manifest references %s (%s is unparsable: %s)",
			     sigent->name, broken->e->name, broken->error);
		else if (pc->nsigmf == 0)
			/* EN 319 162-1 4.4.2; DSS ManifestFilePresent (FAIL). */
			find(&c, VR_FORMAT_FAILURE,
			     "an ASiC-E container needs an ASiCManifest for %s; there is none", sigent->name);
		else
			/* The container has manifests, none for this signature:
			 * what it signed cannot be found (EN 319 102-1 5.2.7,
			 * as DSS answers when no manifest is linked). */
			find(&c, VR_SIGNED_DATA_NOT_FOUND,
			     "no ASiCManifest references %s: the data it signs is not found", sigent->name);
	} else {
		s->manifest = strdup(mf->e->name);
		if (s->manifest == NULL)
			c.oom = 1;
		check_objects(&c, pc, mf->m);
	}

	if (v == NULL)
		goto conclude;
	/* kho validates one signer per signature file (ASiC-E keeps each
	 * signature in a file of its own); the others are not validated, so
	 * the file cannot pass (found by review: a revoked co-signer passed
	 * unseen, and which SignerInfo came first was the DER set order's). */
	if (v->nsigners > 1)
		find(&c, VR_SIG_CONSTRAINTS_FAILURE, "the signature file holds %zu SignerInfos: kho"
		     " validates one signer per signature file (each signer in a signature file of its"
		     " own), so the others are not validated", v->nsigners);
	s->digest_alg = xstrdup(vcms_digest_name(v, &weak));
	s->sig_alg = xstrdup(vcms_sig_name(v));
	if (weak)
		find(&c, VR_CRYPTO_CONSTRAINTS_FAILURE,
		     "the signature uses the broken digest algorithm %s", s->digest_alg);
	if (vcms_signing_time(v, &s->signing_time) == 0)
		s->has_signing_time = 1;

	/* Step 3: the signature over the manifest's exact bytes. */
	if (v->signer == NULL) {
		find(&c, VR_NO_SIGNING_CERTIFICATE_FOUND,
		     "the signer certificate is not in the signature");
		goto conclude;
	}
	fill_signer(&c, v->signer);
	if (mf == NULL && pc->asics)
		check_asics_object(&c, pc, v);
	if (mf != NULL) {
		if (mf->e->data == NULL && mf->e->size > 0)
			find(&c, VR_FORMAT_FAILURE, "the manifest is too large to check");
		else if (vcms_verify_signature(v, mf->e->data ? (const void *)mf->e->data : "",
		                               (size_t)mf->e->size, &e) != 0)
			find(&c, VR_SIG_CRYPTO_FAILURE, "%s", e.msg);
		else
			mf->authenticated = 1;
	}
	/* The signing-certificate reference: v2, or v1 when v2 is absent. A
	 * v1 that does not match fails as a v2 does (NO_SIGNING_CERTIFICATE_FOUND,
	 * which precedes the constraint failure below). */
	rc = vcms_check_signing_cert(&essv, v, pc->o->anchors, &e);
	if (rc != 0) {
		find(&c, VR_NO_SIGNING_CERTIFICATE_FOUND, "%s", e.msg);
		rc = 0;
	}
	/* EN 319 102-1 5.2.8: the digest of the signing-certificate reference
	 * is under the algorithm constraints like the signature's own. */
	{
		const char *alg;
		int first;

		if (vcms_signing_cert_v2_weak(&alg, &first, v))
			find(&c, VR_CRYPTO_CONSTRAINTS_FAILURE,
			     "the signing-certificate-v2 attribute identifies %s with the broken digest "
			     "algorithm %s", first ? "the signer certificate" : "a certificate", alg);
	}
	/* The v1 attribute's certHash is SHA-1 by definition (RFC 2634 5.4.1),
	 * and kho's constraints admit no SHA-1 anywhere in a signature, so a
	 * signature whose only reference is v1 is
	 * INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE, exactly as an ESSCertIDv2
	 * with SHA-1 (decision; docs/verification.md section 2). EN 319 102-1
	 * leaves the list of acceptable algorithms to the validation policy
	 * (5.2.8); DSS's default policy only warns here
	 * (SignedAttributes/SigningCertificateDigestAlgorithm WARN), and kho is
	 * deliberately stricter, as for the signature's own digest: accepting
	 * v1 would leave one place where SHA-1 passes. The finding is an
	 * indeterminate one, not a failure: the binding itself held. */
	if (essv == 1)
		find(&c, VR_CRYPTO_CONSTRAINTS_FAILURE,
		     "the signing-certificate attribute (v1, ESSCertID) identifies the signer "
		     "certificate with the broken digest algorithm SHA1 (no signing-certificate-v2)");
	if (vcms_weak_key(X509_get0_pubkey(v->signer), &bits))
		find(&c, VR_CRYPTO_CONSTRAINTS_FAILURE,
		     "the signer key is too weak (%d bits; kho requires RSA >= 2048, EC >= 256)", bits);

	/* Step 4: signature timestamps, then archive timestamps (B-LTA). */
	rc = check_timestamps(&c, pc, v, pc->o->anchors, sigent->name, &tpoe, &have_tpoe);
	if (rc != 0)
		goto out;
	poe = pc->at;
	if (have_tpoe) {
		poe = tpoe;
		has_poe = 1;
	}
	/* EN 319 102-1 time-stamp coherence order: a container timestamp over
	 * the signature file covers its signature timestamps, and a renewal
	 * the container timestamps before it, so none can be earlier than
	 * what it covers beyond the two tokens' accuracy (as content_order
	 * allows). Which token is wrong cannot be told: the signature is
	 * TIMESTAMP_ORDER_FAILURE, and the earlier time, claimed for something
	 * not yet made, is no proof of existence (found by review: such
	 * packages passed, that time as their best signature time). */
	for (i = 0; i < pc->norder; i++)
		if (apoe_has(pc, sigent->name, pc->order[i].early) ||
		    apoe_has(pc, sigent->name, pc->order[i].late)) {
			char t1[32], t2[32];
			find(&c, VR_TIMESTAMP_ORDER_FAILURE, "the container timestamp %s (%s) is earlier than"
			     " the container timestamp %s (%s) it covers: a timestamp cannot cover one not"
			     " yet made; its time is not used as a proof of existence", pc->order[i].early,
			     kho_time_format(t1, sizeof t1, pc->order[i].egen), pc->order[i].late,
			     kho_time_format(t2, sizeof t2, pc->order[i].lgen));
		}
	for (i = 0; i < pc->napoe; i++) {
		char t1[32], t2[32];
		int early = 0;
		size_t k;

		if (strcmp(pc->apoe[i].sig, sigent->name) != 0)
			continue;
		if (have_tpoe &&
		    pc->apoe[i].gen + (time_t)pc->apoe[i].acc + (time_t)c.ts_last_accuracy < c.ts_last) {
			find(&c, VR_TIMESTAMP_ORDER_FAILURE, "the container timestamp %s (%s) is earlier than"
			     " the signature timestamp (%s) in the signature file it covers: a timestamp"
			     " cannot cover one not yet made; its time is not used as a proof of existence",
			     pc->apoe[i].tst, kho_time_format(t1, sizeof t1, pc->apoe[i].gen),
			     kho_time_format(t2, sizeof t2, c.ts_last));
			continue;
		}
		for (k = 0; k < pc->norder; k++)
			early |= strcmp(pc->order[k].early, pc->apoe[i].tst) == 0;
		if (early || pc->apoe[i].gen >= poe || pc->apoe[i].gen > pc->at)
			continue;
		poe = pc->apoe[i].gen;
		poe_tst = pc->apoe[i].tst;
		has_poe = 1;
		find(&c, VR_SUB_NONE, "proof of existence at %s from the container timestamp %s",
		     kho_time_format(t1, sizeof t1, poe), pc->apoe[i].tst);
	}
	s->has_poe = has_poe;
	s->best_signature_time = poe;
	if (mf != NULL && mf->e->data != NULL && have_tpoe &&
	    (rc = content_order(&c, pc, v, mf->e->data, (size_t)mf->e->size, tpoe)) != 0)
		goto out;

	/* Steps 5 to 8. */
	rc = check_chain(&c, pc, v, poe, has_poe, poe_tst);
	if (rc != 0)
		goto out;

conclude:
	if (s->level == NULL) {
		const char *lvl = "CAdES-BASELINE-B";
		size_t k;
		if (s->ntimestamps > 0) {
			lvl = "CAdES-BASELINE-T";
			if (v != NULL && (sk_X509_CRL_num(v->crls) > 0 || v->nocsp > 0))
				lvl = "CAdES-BASELINE-LT";
		}
		for (k = 0; k < pc->napoe; k++)
			if (strcmp(pc->apoe[k].sig, sigent->name) == 0)
				lvl = "CAdES-BASELINE-LTA";
		s->level = strdup(lvl);
	}
	if (!s->has_poe)
		s->best_signature_time = pc->at;
	conclude(&c);
out:
	for (i = 0; i < c.nf; i++)
		free(c.f[i].text);
	vcms_free(v);
	if (rc == 0 && c.oom)
		rc = KHO_ENOMEM;
	return rc;
}

/* ---- container timestamps (ASiCArchiveManifest + .tst) ---------------- */

/* What the first pass learnt of one container timestamp. */
struct ctst {
	struct mf *mf;
	const pkg_entry *tok;
	size_t slot;             /* its entry in r->timestamps */
	int ok;                  /* validated (now, or through a later archive timestamp) */
	int intact;              /* imprint and token signature hold, not weak: time could mend it */
	int digests_ok;          /* every object its manifest lists is intact */
	time_t gen;
	unsigned acc;            /* its accuracy, seconds */
	char why[512];           /* why it is not accepted, "" if it is */
	char then_why[600];      /* why not either at the latest time a later token proves */
	struct tsa_nodata nd;    /* its TSA's chain without revocation data, when checked */
};

/* A container timestamp found valid: its manifest's bytes are authentic,
 * and an intact signature file it lists existed at its genTime (B-LTA). */
static void ctst_accept(struct pkgctx *pc, struct ctst *x)
{
	size_t j;

	x->ok = 1;
	x->why[0] = '\0';
	x->mf->authenticated = 1;
	for (j = 0; x->digests_ok && j < x->mf->m->nrefs; j++)
		if (pc->napoe < VR_MAX_NOTES &&
		    (is_signature_name(x->mf->m->refs[j].uri) || has_suffix(x->mf->m->refs[j].uri, ".tst"))) {
			pc->apoe[pc->napoe].sig = x->mf->m->refs[j].uri;
			pc->apoe[pc->napoe].gen = x->gen;
			pc->apoe[pc->napoe].acc = x->acc;
			pc->apoe[pc->napoe].tst = x->tok->name;
			pc->napoe++;
		}
}

/* 1 if the manifest has a reference to exactly name. */
static int lists_entry(const manifest *m, const char *name)
{
	size_t j;

	for (j = 0; j < m->nrefs; j++)
		if (strcmp(m->refs[j].uri, name) == 0)
			return 1;
	return 0;
}

/* One container timestamp at time at: 1 valid, 0 not (why, t.reason), <0. */
static int ctst_check(struct pkgctx *pc, struct ctst *x, time_t at, vcms_tst *t)
{
	int bad, unacc, rc;

	rc = tst_at(t, pc, x->tok->data, (size_t)x->tok->size,
	            x->mf->e->data ? (const void *)x->mf->e->data : "", (size_t)x->mf->e->size,
	            pc->o->anchors, NULL, pc->extra_crls, NULL, 0, at, &bad, &unacc, x->why,
	            sizeof x->why, &x->nd);
	if (rc != 0)
		return rc;
	x->intact = t->have_gen_time && t->imprint_ok && t->signature_ok && !t->weak;
	if (t->have_gen_time)
		x->gen = t->gen_time;
	x->acc = t->accuracy;
	if (t->weak)
		snprintf(x->why, sizeof x->why, "a broken algorithm: %s", t->weak_why);
	else if (bad && t->reason[0] != '\0')
		snprintf(x->why, sizeof x->why, "%s", t->reason);
	else if (bad)
		snprintf(x->why, sizeof x->why, "incomplete");
	/* As for a signature timestamp: a token from after the validation
	 * time proves nothing at that time (found by review: a 2035 archive
	 * timestamp gave LTA and a POE for a validation in 2033). */
	if (!bad && !unacc && !t->weak && x->gen > pc->latest) {
		char t1[32];
		snprintf(x->why, sizeof x->why, "its time (%s) is after the validation time: not used",
		         kho_time_format(t1, sizeof t1, x->gen));
		return 0;
	}
	return !bad && !unacc && !t->weak;
}

/*
 * Container timestamps (ASiCArchiveManifest + .tst, or a timestamp over an
 * ASiCManifest). Each is validated at the validation time; one that is
 * intact but whose TSA certificate is no longer valid (an archive
 * timestamp renewed since) is validated at the genTime of a later valid
 * archive timestamp that lists its token: that one proves it existed then
 * (EN 319 102-1 5.6). Repeated until nothing changes, so a chain of
 * renewals is followed back to the first.
 */
static int check_container_timestamps(verify_report *r, struct pkgctx *pc)
{
	struct ctst *x;
	size_t i, j, n = 0, q;
	int rc = 0, changed;
	char t1[32];

	for (i = 0; i < pc->nmf; i++)
		if (pc->mfs[i].m != NULL && has_suffix(pc->mfs[i].m->sig_uri, ".tst"))
			n++;
	if (n == 0)
		return 0;
	r->timestamps = calloc(n, sizeof *r->timestamps);
	x = calloc(n, sizeof *x);
	if (r->timestamps == NULL || x == NULL) {
		free(x);
		return KHO_ENOMEM;
	}
	for (i = 0, q = 0; i < pc->nmf; i++) {
		struct mf *mf = &pc->mfs[i];
		vcms_tst t;

		if (mf->m == NULL || !has_suffix(mf->m->sig_uri, ".tst"))
			continue;
		x[q].mf = mf;
		x[q].tok = pkg_find(pc->p, mf->m->sig_uri);
		x[q].digests_ok = 1;
		/* Each digest the (archive) manifest lists. */
		for (j = 0; j < mf->m->nrefs; j++) {
			kho_err e2 = { 0, "" };
			enum vr_object_state st = check_ref(pc->p, &mf->m->refs[j], &e2);
			const char *what = st == VR_OBJ_MISSING ? "is missing" :
			                   st == VR_OBJ_HASH_FAILURE ? "does not match its digest" :
			                   st == VR_OBJ_UNSUPPORTED ? "has an unsupported digest" : NULL;
			if (what == NULL)
				continue;
			x[q].digests_ok = 0;
			if (strv_add(&r->reasons, &r->nreasons, "%s (covered by %s): %s %s", mf->e->name,
			             mf->m->sig_uri, mf->m->refs[j].uri, what) != 0)
				goto oom;
		}
		if (x[q].tok == NULL || x[q].tok->data == NULL) {
			if (strv_add(&r->reasons, &r->nreasons, "%s: its timestamp token %s is missing",
			             mf->e->name, mf->m->sig_uri) != 0)
				goto oom;
			q++;
			continue;
		}
		if ((rc = ctst_check(pc, &x[q], pc->at, &t)) < 0)
			goto out;
		x[q].slot = r->ntimestamps;
		if (timestamp_copy(&r->timestamps[r->ntimestamps++], x[q].tok->name, &t) != 0) {
			vcms_tst_clear(&t);
			goto oom;
		}
		vcms_tst_clear(&t);
		if (rc == 1) {
			ctst_accept(pc, &x[q]);
			r->timestamps[x[q].slot].accepted = x[q].digests_ok;
		}
		q++;
	}
	/* Through later archive timestamps that list a token. */
	do {
		changed = 0;
		for (i = 0; i < q; i++) {
			size_t k = 0;
			time_t then;
			const char *by;
			if (x[i].ok || !x[i].intact || x[i].tok == NULL)
				continue;
			while (!x[i].ok && archive_poe_next(pc, x[i].tok->name, &k, &then, &by)) {
				vcms_tst t;
				struct ctst y = x[i];
				if ((rc = ctst_check(pc, &y, then, &t)) < 0)
					goto out;
				if (rc != 1)
					snprintf(x[i].then_why, sizeof x[i].then_why, "at %s, when %s proves it"
					         " existed, not accepted either: %.400s",
					         kho_time_format(t1, sizeof t1, then), by,
					         y.why[0] ? y.why : "incomplete");
				else if (y.gen > then)
					snprintf(x[i].then_why, sizeof x[i].then_why, "its time is after the time"
					         " (%s) %s proves it existed", kho_time_format(t1, sizeof t1, then),
					         by);
				if (rc == 1 && y.gen <= then) {
					vr_timestamp *slot = &r->timestamps[x[i].slot];
					free(slot->where);
					free(slot->tsa_subject);
					free(slot->serial);
					free(slot->policy);
					if (timestamp_copy(slot, x[i].tok->name, &t) != 0) {
						vcms_tst_clear(&t);
						goto oom;
					}
					x[i] = y;
					ctst_accept(pc, &x[i]);
					slot->accepted = x[i].digests_ok;
					changed = 1;
					if (strv_add(&r->reasons, &r->nreasons, "%s: its TSA certificate is not valid "
					             "at the validation time; it was at %s, when %s proves the token "
					             "existed", x[i].tok->name, kho_time_format(t1, sizeof t1, then),
					             by) != 0) {
						vcms_tst_clear(&t);
						goto oom;
					}
				}
				vcms_tst_clear(&t);
			}
		}
	} while (changed);
	/* A container timestamp earlier than one its manifest lists, beyond
	 * the two tokens' accuracy: out of order (check_signature). */
	for (i = 0; i < q; i++)
		for (j = 0; x[i].ok && x[i].digests_ok && j < q; j++)
			if (j != i && x[j].ok && pc->norder < VR_MAX_NOTES &&
			    lists_entry(x[i].mf->m, x[j].tok->name) &&
			    x[i].gen + (time_t)x[i].acc + (time_t)x[j].acc < x[j].gen) {
				pc->order[pc->norder].early = x[i].tok->name;
				pc->order[pc->norder].egen = x[i].gen;
				pc->order[pc->norder].late = x[j].tok->name;
				pc->order[pc->norder].lgen = x[j].gen;
				pc->norder++;
			}
	rc = 0;
	for (i = 0; i < q; i++)
		for (j = 0; x[i].ok && x[i].digests_ok && j < x[i].nd.n; j++)
			if (strv_add(&r->warnings, &r->nwarnings, "no usable revocation data for the TSA chain of"
			             " the container timestamp %s: %s (%s); kho accepts this with a warning",
			             x[i].tok->name, x[i].nd.c[j].label, x[i].nd.c[j].note) != 0)
				goto oom;
	for (i = 0; i < q; i++)
		if (!x[i].ok && x[i].tok != NULL && x[i].why[0] != '\0' &&
		    (strv_add(&r->reasons, &r->nreasons, "%s over %s: not accepted: %s%s%s", x[i].tok->name,
		              x[i].mf->e->name, x[i].why, x[i].then_why[0] ? "; " : "",
		              x[i].then_why) != 0 ||
		     timestamp_reason(&r->timestamps[x[i].slot], "%s%s%s", x[i].why,
		                      x[i].then_why[0] ? "; " : "", x[i].then_why) != 0))
			goto oom;
		else if (x[i].ok && !x[i].digests_ok &&
		         timestamp_reason(&r->timestamps[x[i].slot], "an object %s lists is missing or "
		                          "does not match its digest", x[i].mf->e->name) != 0)
			goto oom;
	goto out;
oom:
	rc = KHO_ENOMEM;
out:
	free(x);
	return rc < 0 || rc == KHO_ENOMEM ? rc : 0;
}

/* ---- the package ----------------------------------------------------- */

/*
 * Whether the object name is listed by a manifest whose bytes a signature
 * (or, unless signatures_only, a container timestamp) was verified over.
 * A manifest that merely names a signature proves nothing: anyone can add
 * one listing a forged record.xml (found by review, 2026-12-07).
 */
static int covered_by(const struct pkgctx *pc, const char *name, int signatures_only)
{
	size_t i, j;
	int ascii = 1;

	for (j = 0; name[j] != '\0'; j++)
		if ((unsigned char)name[j] >= 0x80)
			ascii = 0;

	for (i = 0; i < pc->nmf; i++) {
		const manifest *m = pc->mfs[i].m;
		const char *target;

		if (m == NULL || !pc->mfs[i].authenticated)
			continue;
		target = m->sig_uri;
		/* An ASiCArchiveManifest proves that what it lists existed, not
		 * that anyone signed it: a renewal lists every file, so an
		 * unsigned extra stays reported (found by review). */
		if (signatures_only ? !is_signature_name(target)
		                    : !(is_signature_name(target) ||
		                        (has_suffix(target, ".tst") && !m->is_archive)))
			continue;
		for (j = 0; j < m->nrefs; j++)
			if (strcmp(m->refs[j].uri, name) == 0)
				return 1;
		/* A URI in another Unicode form (NFD) names the same entry, as
		 * pkg_find reads it: only non-ASCII names can differ so. */
		for (j = 0; !ascii && j < m->nrefs; j++)
			if (pkg_names_equiv(m->refs[j].uri, name))
				return 1;
	}
	return 0;
}

static void set_total(verify_report *r, enum vr_indication ind, enum vr_sub sub)
{
	r->indication = ind;
	r->sub = sub;
}

static int verify_pkg(verify_report *r, const pkg *p, const verify_opts *o, time_t at)
{
	struct pkgctx *pc;
	size_t i, nsig = 0;
	int rc = 0, record_bad = 0;

	pc = calloc(1, sizeof *pc);
	if (pc == NULL)
		return KHO_ENOMEM;
	pc->p = p;
	pc->o = o;
	pc->at = at;
	pc->latest = o->at == 0 && !o->at_set ? at + VR_CLOCK_SKEW : at;
	pc->memo = &pc->memo_store;
	pc->extra_crls = o->crls;

	r->container_type = strdup(p->is_asice ? "ASiC-E" : "ZIP");
	if (r->container_type == NULL) {
		rc = KHO_ENOMEM;
		goto out;
	}
	for (i = 0; i < p->ndeviations; i++)
		if (strv_add(&r->deviations, &r->ndeviations, "%s", p->deviations[i]) != 0) {
			rc = KHO_ENOMEM;
			goto out;
		}

	/* All manifests, parsed once. */
	pc->mfs = calloc(p->nentries ? p->nentries : 1, sizeof *pc->mfs);
	if (pc->mfs == NULL) {
		rc = KHO_ENOMEM;
		goto out;
	}
	for (i = 0; i < p->nentries; i++) {
		const pkg_entry *e = &p->entries[i];
		struct mf *mf;
		kho_err err = { 0, "" };

		if (!is_manifest_name(e->name))
			continue;
		mf = &pc->mfs[pc->nmf++];
		mf->e = e;
		if (e->data == NULL && e->size > 0)
			snprintf(mf->error, sizeof mf->error, "too large");
		else if (manifest_parse(&mf->m, e->data ? (const void *)e->data : "", (size_t)e->size,
		                        &err) != 0) {
			if (err.code == KHO_ENOMEM) {
				rc = KHO_ENOMEM;
				goto out;
			}
			mf->m = NULL;
			snprintf(mf->error, sizeof mf->error, "%s", err.msg);
		}
	}

	container_kind(pc);
	if (pc->asics) {
		free(r->container_type);
		r->container_type = strdup("ASiC-S");
		if (r->container_type == NULL) {
			rc = KHO_ENOMEM;
			goto out;
		}
	} else if (p->is_asics &&
	           strv_add(&r->deviations, &r->ndeviations,
	                    "mimetype does not hold exactly \"%s\": it says ASiC-S, but the "
	                    "container is ASiC-E (it has an ASiCManifest)", PKG_MIMETYPE) != 0) {
		rc = KHO_ENOMEM;
		goto out;
	}

	rc = check_container_timestamps(r, pc);
	if (rc != 0)
		goto out;

	for (i = 0; i < p->nentries; i++)
		if (is_signature_name(p->entries[i].name))
			nsig++;
	if (nsig > VR_MAX_SIGS) {
		set_total(r, VR_TOTAL_FAILED, VR_FORMAT_FAILURE);
		rc = strv_add(&r->reasons, &r->nreasons, "%zu signatures: more than the limit of %d",
		              nsig, VR_MAX_SIGS);
		goto out;
	}
	if (nsig > 0) {
		r->sigs = calloc(nsig, sizeof *r->sigs);
		if (r->sigs == NULL) {
			rc = KHO_ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < p->nentries; i++) {
		if (!is_signature_name(p->entries[i].name))
			continue;
		rc = check_signature(&r->sigs[r->nsigs++], pc, &p->entries[i]);
		if (rc != 0)
			goto out;
	}

	/* Decision (docs/verification.md): a package without any signature
	 * is not a signed ASiC-E container: TOTAL-FAILED/FORMAT_FAILURE. The
	 * reason goes first: it is the one the verdict line shows. */
	if (r->nsigs == 0) {
		const char *xades = NULL;

		/* EN 319 162-1 4.3.3/4.4.3: XAdES signatures live in
		 * META-INF/NAMEsignaturesNAME.xml. kho validates CAdES only; EN 319
		 * 102-1 5.2.2 gives FORMAT_FAILURE to a signature the validator
		 * cannot process, and says so rather than "no signature". */
		for (i = 0; i < p->nentries && xades == NULL; i++) {
			const char *n = p->entries[i].name;
			if (strncmp(n, "META-INF/", 9) == 0 && strchr(n + 9, '/') == NULL &&
			    strstr(n + 9, "signatures") != NULL && has_suffix(n, ".xml"))
				xades = n;
		}
		if (xades != NULL)
			rc = strv_insert0(&r->reasons, &r->nreasons,
			                  "XAdES signatures are not supported (kho validates CAdES only)");
		else
			rc = strv_insert0(&r->reasons, &r->nreasons,
			                  "no signature (META-INF/*.p7s) in the container");
		if (rc == 0 && xades != NULL)
			rc = strv_add(&r->reasons, &r->nreasons,
			              "%s is an XAdES signature (ETSI EN 319 132); validate it with a XAdES validator",
			              xades);
		if (rc != 0)
			goto out;
	}

	/* Unsigned extras: data objects no signed (or stamped) manifest covers. */
	for (i = 0; i < p->nentries; i++) {
		const char *n = p->entries[i].name;
		vr_object *no;

		if (strncmp(n, "META-INF/", 9) == 0 || strcmp(n, "mimetype") == 0 ||
		    has_suffix(n, "/") || covered_by(pc, n, 0))
			continue;
		if (pc->asics && r->nsigs > 0 && &p->entries[i] == pc->asics_object)
			continue;
		no = realloc(r->unsigned_objects, (r->nunsigned + 1) * sizeof *no);
		if (no == NULL) {
			rc = KHO_ENOMEM;
			goto out;
		}
		r->unsigned_objects = no;
		memset(&no[r->nunsigned], 0, sizeof *no);
		no[r->nunsigned].state = VR_OBJ_UNSIGNED;
		no[r->nunsigned].name = strdup(n);
		if (no[r->nunsigned++].name == NULL) {
			rc = KHO_ENOMEM;
			goto out;
		}
	}

	/* record.xml: only a signed record is believed. */
	{
		const pkg_entry *re = pkg_find(p, RECORD_ENTRY);
		kho_err err = { 0, "" };

		if (re != NULL) {
			if (!covered_by(pc, RECORD_ENTRY, 1)) {
				record_bad = 1;
				rc = strv_add(&r->reasons, &r->nreasons,
				              "record.xml is not covered by a signed manifest");
			} else if (re->data == NULL && re->size > 0) {
				record_bad = 1;
				rc = strv_add(&r->reasons, &r->nreasons, "record.xml: too large");
			} else if (record_parse(&r->record, re->data ? (const void *)re->data : "",
			                        (size_t)re->size, &err) != 0) {
				if (err.code == KHO_ENOMEM) {
					rc = KHO_ENOMEM;
					goto out;
				}
				r->record = NULL;
				record_bad = 1;
				rc = strv_add(&r->reasons, &r->nreasons, "record.xml: %s", err.msg);
			}
			if (rc != 0)
				goto out;
		}
	}

	/* The package: worst over signatures (FAILED > INDETERMINATE > PASSED). */
	set_total(r, VR_TOTAL_PASSED, VR_SUB_NONE);
	for (i = 0; i < r->nsigs; i++) {
		enum vr_indication ind = r->sigs[i].indication;
		int worse = (ind == VR_TOTAL_FAILED && r->indication != VR_TOTAL_FAILED) ||
		            (ind == VR_INDETERMINATE && r->indication == VR_TOTAL_PASSED);
		if (worse)
			set_total(r, ind, r->sigs[i].sub);
	}
	if (r->nsigs == 0)
		set_total(r, VR_TOTAL_FAILED, VR_FORMAT_FAILURE);
	if (record_bad && r->indication != VR_TOTAL_FAILED)
		set_total(r, VR_TOTAL_FAILED, VR_FORMAT_FAILURE);
out:
	if (pc->mfs != NULL)
		for (i = 0; i < pc->nmf; i++)
			manifest_free(pc->mfs[i].m);
	free(pc->mfs);
	free(pc);
	return rc;
}

static int report_new(verify_report **out, const verify_opts *o)
{
	verify_report *r = calloc(1, sizeof *r);

	if (r == NULL)
		return KHO_ENOMEM;
	r->validation_time = o != NULL && (o->at_set || o->at != 0) ? o->at : kho_now();
	r->indication = VR_INDETERMINATE;
	*out = r;
	return 0;
}

/* A container pkg.c refused: TOTAL-FAILED/FORMAT_FAILURE with its reason. */
static int refused(verify_report *r, const kho_err *e)
{
	set_total(r, VR_TOTAL_FAILED, VR_FORMAT_FAILURE);
	r->over_limits = e->code == KHO_ETOOBIG;
	if (r->container_type == NULL && (r->container_type = strdup("ZIP")) == NULL)
		return KHO_ENOMEM;
	return strv_add(&r->reasons, &r->nreasons, "the container is refused: %s",
	                e->msg[0] ? e->msg : kho_strerror(e->code));
}

static int run(verify_report **out, pkg *p, int prc, const kho_err *perr,
               verify_report *r, const verify_opts *o, kho_err *err)
{
	int rc;

	if (prc == KHO_ENOMEM) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto fail;
	}
	if (prc != 0)
		rc = refused(r, perr);
	else
		rc = verify_pkg(r, p, o, r->validation_time);
	if (rc != 0) {
		rc = kho_err_set(err, rc, "out of memory while validating");
		goto fail;
	}
	if (o->keep_pkg != NULL && prc == 0) {
		*o->keep_pkg = p;
		p = NULL;
	}
	pkg_free(p);
	*out = r;
	return 0;
fail:
	pkg_free(p);
	verify_report_free(r);
	return rc;
}

int verify_package_mem(verify_report **out, const void *data, size_t len,
                       const verify_opts *opts, kho_err *err)
{
	verify_report *r = NULL;
	pkg_limits lim;
	pkg *p = NULL;
	kho_err perr = { 0, "" };
	int prc;

	*out = NULL;
	if (opts == NULL)
		return kho_err_set(err, KHO_EINVAL, "verify: no options");
	if (report_new(&r, opts) != 0)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	if (opts->package_sha256 != NULL) {
		memcpy(r->package_sha256, opts->package_sha256, sizeof r->package_sha256);
		r->have_package_sha256 = 1;
	} else if (kho_sha256(r->package_sha256, data, len) == 0) {
		r->have_package_sha256 = 1;
	}
	if (opts->limits == NULL)
		pkg_limits_default(&lim);
	/* The package outlives p (freed in run): STORED data objects are
	 * verified in place, without a copy (pkg.h, PKG_READ_BORROW). */
	prc = pkg_read_mem_ex(&p, data, len, opts->limits ? opts->limits : &lim, PKG_READ_BORROW,
	                      &perr);
	return run(out, p, prc, &perr, r, opts, err);
}

/* SHA-256 of the file as stored, streamed (a package may be large). */
static int file_sha256(unsigned char out[32], const char *path, kho_err *err)
{
	unsigned char buf[65536];
	EVP_MD_CTX *ctx = NULL;
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return kho_err_set(err, KHO_ENOTFOUND, "%s: no such file", path);
		if (errno == ELOOP)
			return kho_err_set(err, KHO_EIO, "%s: is a symbolic link (refused)", path);
		return kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = kho_err_set(err, KHO_EIO, "%s: not a regular file", path);
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		rc = kho_err_ssl(err, KHO_ENOMEM, "sha256");
		goto out;
	}
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = kho_err_set(err, KHO_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	}
	if (!EVP_DigestFinal_ex(ctx, out, NULL))
		rc = kho_err_ssl(err, KHO_ECRYPTO, "sha256");
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return rc;
}

int verify_package_file(verify_report **out, const char *path,
                        const verify_opts *opts, kho_err *err)
{
	verify_report *r = NULL;
	pkg_limits lim;
	pkg *p = NULL;
	kho_err perr = { 0, "" };
	int prc, rc = 0;

	*out = NULL;
	if (opts == NULL)
		return kho_err_set(err, KHO_EINVAL, "verify: no options");
	if (report_new(&r, opts) != 0)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	if (opts->package_sha256 != NULL)
		memcpy(r->package_sha256, opts->package_sha256, sizeof r->package_sha256);
	else
		rc = file_sha256(r->package_sha256, path, err);
	if (rc != 0) {
		verify_report_free(r);
		return rc;
	}
	r->have_package_sha256 = 1;
	if (opts->limits == NULL)
		pkg_limits_default(&lim);
	prc = pkg_read_file(&p, path, opts->limits ? opts->limits : &lim, &perr);
	if (prc == KHO_ENOTFOUND || prc == KHO_EIO) {
		verify_report_free(r);
		pkg_free(p);
		return kho_err_set(err, prc, "%s", perr.msg);
	}
	return run(out, p, prc, &perr, r, opts, err);
}

/* ---- PEM loading ----------------------------------------------------- */

static int read_pem(kho_buf *b, const char *path, kho_err *err)
{
	kho_buf_init(b, VR_MAX_PEM_SIZE);
	/* Trust anchors and CRLs are files the user names (--trust, the
	 * config's "trust"), often links (/etc/ssl/certs): follow them. */
	return kho_read_user_file(b, path, err);
}

int verify_load_certs(STACK_OF(X509) **out, const char *path, kho_err *err)
{
	STACK_OF(X509) *sk = NULL;
	kho_buf b;
	BIO *bio = NULL;
	X509 *x;
	int rc;

	*out = NULL;
	rc = read_pem(&b, path, err);
	if (rc != 0)
		goto out;
	sk = sk_X509_new_null();
	bio = BIO_new_mem_buf(b.data ? (const void *)b.data : "", (int)b.len);
	if (sk == NULL || bio == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(sk) >= VR_MAX_PEM_ITEMS || !sk_X509_push(sk, x)) {
			X509_free(x);
			rc = kho_err_set(err, KHO_ETOOBIG, "%s: too many certificates", path);
			goto out;
		}
	}
	ERR_clear_error();
	if (sk_X509_num(sk) == 0)
		rc = kho_err_set(err, KHO_EFORMAT, "%s: no PEM certificate", path);
out:
	BIO_free(bio);
	kho_buf_free(&b);
	if (rc != 0)
		sk_X509_pop_free(sk, X509_free);
	else
		*out = sk;
	return rc;
}

int verify_load_crls(STACK_OF(X509_CRL) **out, const char *path, kho_err *err)
{
	STACK_OF(X509_CRL) *sk = NULL;
	kho_buf b;
	BIO *bio = NULL;
	X509_CRL *x;
	int rc;

	*out = NULL;
	rc = read_pem(&b, path, err);
	if (rc != 0)
		goto out;
	sk = sk_X509_CRL_new_null();
	bio = BIO_new_mem_buf(b.data ? (const void *)b.data : "", (int)b.len);
	if (sk == NULL || bio == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_CRL_num(sk) >= VR_MAX_PEM_ITEMS || !sk_X509_CRL_push(sk, x)) {
			X509_CRL_free(x);
			rc = kho_err_set(err, KHO_ETOOBIG, "%s: too many CRLs", path);
			goto out;
		}
	}
	ERR_clear_error();
	if (sk_X509_CRL_num(sk) == 0) {
		/* a DER CRL is accepted too */
		const unsigned char *p = b.data;
		x = b.len > 0 ? d2i_X509_CRL(NULL, &p, (long)b.len) : NULL;
		if (x == NULL || !sk_X509_CRL_push(sk, x)) {
			X509_CRL_free(x);
			ERR_clear_error();
			rc = kho_err_set(err, KHO_EFORMAT, "%s: no PEM or DER CRL", path);
		}
	}
out:
	BIO_free(bio);
	kho_buf_free(&b);
	if (rc != 0)
		sk_X509_CRL_pop_free(sk, X509_CRL_free);
	else
		*out = sk;
	return rc;
}
