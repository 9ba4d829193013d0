/*
 * revocation.c: certificate status at a past time from CRLs and OCSP
 * responses (policy in revocation.h). OpenSSL is used for parsing and
 * signature checks only; every decision about time is made here.
 */
#include "verify/revocation.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "common/util.h"
#include "verify/cms.h"

const char *revocation_reason_name(int code)
{
	/* RFC 5280 5.3.1 CRLReason */
	static const char *const names[] = {
		"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
		"superseded", "cessationOfOperation", "certificateHold", "(7)",
		"removeFromCRL", "privilegeWithdrawn", "aACompromise",
	};
	if (code < 0 || (size_t)code >= sizeof names / sizeof names[0])
		return "unspecified";
	return names[code];
}

/* What the evidence seen so far says; folded into the result at the end. */
struct tally {
	int revoked;               /* listed revoked at or before the POE */
	time_t revoked_at;
	int reason;
	const char *rsource;
	int revoked_later;         /* listed revoked only after the POE */
	time_t later_at;
	int later_reason;
	const char *lsource;
	int good;                  /* not listed by evidence that covers the POE */
	time_t good_issued;
	const char *gsource;
	int stale;                 /* not listed, but the evidence ends before the POE */
	time_t stale_issued;
};

static void saw_revoked(struct tally *t, time_t when, int reason, time_t poe, const char *src)
{
	if (when <= poe) {
		if (!t->revoked || when < t->revoked_at) {
			t->revoked_at = when;
			t->reason = reason;
			t->rsource = src;
		}
		t->revoked = 1;
	} else if (!t->revoked_later || when < t->later_at) {
		t->revoked_later = 1;
		t->later_at = when;
		t->later_reason = reason;
		t->lsource = src;
	}
}

/*
 * Not listed: the evidence covers the POE if it was issued at or after it
 * (EN 319 102-1 5.2.5: issued after the time of interest), or if the POE
 * lies in its announced validity [thisUpdate, nextUpdate].
 */
static void saw_good(struct tally *t, time_t this_upd, int have_next, time_t next_upd,
                     time_t poe, const char *src)
{
	if (this_upd >= poe || (this_upd <= poe && have_next && poe <= next_upd)) {
		if (!t->good || this_upd > t->good_issued) {
			t->good_issued = this_upd;
			t->gsource = src;
		}
		t->good = 1;
	} else if (!t->stale || this_upd > t->stale_issued) {
		t->stale = 1;
		t->stale_issued = this_upd;
	}
}

static void note_ignored(revocation_result *out, const char *why)
{
	out->nignored++;
	if (out->note[0] == '\0')
		snprintf(out->note, sizeof out->note, "%s", why);
}

/* X509_CRL_verify(crl, key) == 1, remembered in memo (may be NULL). */
static int crl_signed_by(X509_CRL *crl, EVP_PKEY *key, revocation_memo *memo)
{
	size_t i;

	for (i = 0; memo != NULL && i < memo->n; i++)
		if (memo->crl[i] == crl && memo->key[i] == key)
			return 1;
	if (X509_CRL_verify(crl, key) != 1)
		return 0;
	if (memo != NULL && memo->n < REVOCATION_MEMO_MAX) {
		memo->crl[memo->n] = crl;
		memo->key[memo->n++] = key;
	}
	return 1;
}

static void check_crl(revocation_result *out, struct tally *t, X509_CRL *crl,
                      X509 *cert, X509 *issuer, time_t poe, revocation_memo *memo)
{
	X509_REVOKED *rev = NULL;
	EVP_PKEY *ikey = X509_get0_pubkey(issuer);
	time_t this_upd, next_upd = 0;
	int have_next = 0, r;
	ASN1_ENUMERATED *re;

	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0 ||
	    X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0)
		return; /* another issuer's CRL: not evidence about cert */
	/* RFC 5280 6.3.3 (f): the CRL must be signed by the issuer's key ... */
	if (ikey == NULL || !crl_signed_by(crl, ikey, memo)) {
		ERR_clear_error();
		note_ignored(out, "a CRL naming the issuer is not signed by the issuer's key: ignored");
		return;
	}
	/* ... which, when key usage is present, has cRLSign (4.2.1.3). */
	if ((X509_get_extension_flags(issuer) & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(issuer) & KU_CRL_SIGN) == 0) {
		note_ignored(out, "the issuer lacks the cRLSign key usage: its CRL is ignored");
		return;
	}
	/* A delta CRL alone says nothing about what the base CRL lists. */
	if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0) {
		note_ignored(out, "delta CRLs are not supported: ignored");
		return;
	}
	if (vcms_asn1_time(&this_upd, X509_CRL_get0_lastUpdate(crl)) != 0) {
		note_ignored(out, "a CRL with an unreadable thisUpdate: ignored");
		return;
	}
	if (X509_CRL_get0_nextUpdate(crl) != NULL &&
	    vcms_asn1_time(&next_upd, X509_CRL_get0_nextUpdate(crl)) == 0)
		have_next = 1;
	out->nused++;
	r = X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(cert));
	if (r == 1 && rev != NULL) {
		time_t when;
		int reason = -1;

		if (vcms_asn1_time(&when, X509_REVOKED_get0_revocationDate(rev)) != 0) {
			note_ignored(out, "a CRL entry with an unreadable revocation date");
			return;
		}
		re = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
		if (re != NULL) {
			reason = (int)ASN1_ENUMERATED_get(re);
			ASN1_ENUMERATED_free(re);
		}
		ERR_clear_error();
		saw_revoked(t, when, reason, poe, "CRL");
		return;
	}
	/* r == 2: removeFromCRL (RFC 5280 5.3.1), i.e. not revoked */
	saw_good(t, this_upd, have_next, next_upd, poe, "CRL");
}

/* The responder must be the issuer itself or a certificate the issuer
 * issued with extendedKeyUsage id-kp-OCSPSigning (RFC 6960 4.2.2.2). */
static int responder_ok(X509 *signer, X509 *issuer)
{
	EVP_PKEY *ikey = X509_get0_pubkey(issuer);

	if (X509_cmp(signer, issuer) == 0)
		return 1;
	if (ikey == NULL || X509_NAME_cmp(X509_get_issuer_name(signer),
	                                  X509_get_subject_name(issuer)) != 0)
		return 0;
	if (X509_verify(signer, ikey) != 1) {
		ERR_clear_error();
		return 0;
	}
	return (X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) != 0 &&
	       (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN) != 0;
}

static void check_ocsp(revocation_result *out, struct tally *t, const kho_buf *der,
                       X509 *cert, X509 *issuer, time_t poe)
{
	const unsigned char *p = der->data;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	STACK_OF(X509) *extra = NULL;
	X509_STORE *st = NULL;
	X509 *signer = NULL;
	int i, n;

	if (der->len == 0 || der->len > LONG_MAX)
		return;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)der->len);
	if (resp == NULL || OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL)
		goto out; /* not about anyone */
	extra = sk_X509_new_null();
	st = X509_STORE_new();
	if (extra == NULL || st == NULL || !sk_X509_push(extra, issuer))
		goto out;
	/* Find the response about cert first; a response about others is not
	 * evidence for cert and is not counted. */
	n = OCSP_resp_count(bs);
	for (i = 0; i < n; i++) {
		OCSP_SINGLERESP *single = OCSP_resp_get0(bs, i);
		const OCSP_CERTID *sid = OCSP_SINGLERESP_get0_id(single);
		ASN1_OBJECT *mdobj = NULL;
		OCSP_CERTID *mine;
		const EVP_MD *md;
		ASN1_GENERALIZEDTIME *rev = NULL, *thisu = NULL, *nextu = NULL;
		int status, reason = -1, match;
		time_t tu, nu = 0, rt;

		if (OCSP_id_get0_info(NULL, &mdobj, NULL, NULL, (OCSP_CERTID *)sid) != 1)
			continue;
		md = EVP_get_digestbyobj(mdobj);
		if (md == NULL)
			continue;
		mine = OCSP_cert_to_id(md, cert, issuer);
		match = mine != NULL && OCSP_id_cmp(mine, sid) == 0;
		OCSP_CERTID_free(mine);
		if (!match)
			continue;
		/* The signature, with the responder found in the response or the
		 * issuer; chain and time checks are ours (OCSP_NOVERIFY). */
		if (signer == NULL) {
			ERR_clear_error();
			if (OCSP_basic_verify(bs, extra, st, OCSP_NOVERIFY) != 1 ||
			    OCSP_resp_get0_signer(bs, &signer, extra) != 1 || signer == NULL) {
				ERR_clear_error();
				note_ignored(out, "an OCSP response about the certificate does not verify: ignored");
				goto out;
			}
			if (!responder_ok(signer, issuer)) {
				note_ignored(out, "an OCSP response is signed by a responder the issuer did not authorise: ignored");
				goto out;
			}
		}
		status = OCSP_single_get0_status(single, &reason, &rev, &thisu, &nextu);
		if (vcms_asn1_time(&tu, thisu) != 0)
			continue;
		out->nused++;
		if (status == V_OCSP_CERTSTATUS_REVOKED && vcms_asn1_time(&rt, rev) == 0) {
			saw_revoked(t, rt, reason, poe, "OCSP");
		} else if (status == V_OCSP_CERTSTATUS_GOOD) {
			int have_next = nextu != NULL && vcms_asn1_time(&nu, nextu) == 0;
			saw_good(t, tu, have_next, nu, poe, "OCSP");
		}
	}
out:
	ERR_clear_error();
	X509_STORE_free(st);
	sk_X509_free(extra);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
}

int revocation_check(revocation_result *out, X509 *cert, X509 *issuer,
                     STACK_OF(X509_CRL) *crls, const kho_buf *ocsp, size_t nocsp,
                     time_t poe, kho_err *err)
{
	return revocation_check_memo(out, cert, issuer, crls, ocsp, nocsp, poe, NULL, err);
}

int revocation_check_memo(revocation_result *out, X509 *cert, X509 *issuer,
                          STACK_OF(X509_CRL) *crls, const kho_buf *ocsp, size_t nocsp,
                          time_t poe, revocation_memo *memo, kho_err *err)
{
	struct tally t;
	char a[32], b[32];
	int i;
	size_t k;

	memset(out, 0, sizeof *out);
	memset(&t, 0, sizeof t);
	out->reason_code = -1;
	if (cert == NULL || issuer == NULL)
		return kho_err_set(err, KHO_EINVAL, "revocation_check: no certificate");
	for (i = 0; crls != NULL && i < sk_X509_CRL_num(crls); i++)
		check_crl(out, &t, sk_X509_CRL_value(crls, i), cert, issuer, poe, memo);
	for (k = 0; ocsp != NULL && k < nocsp; k++)
		check_ocsp(out, &t, &ocsp[k], cert, issuer, poe);

	kho_time_format(b, sizeof b, poe);
	if (t.revoked) {
		out->status = REVOCATION_REVOKED;
		out->revoked_at = t.revoked_at;
		out->reason_code = t.reason;
		out->source = t.rsource;
		snprintf(out->note, sizeof out->note, "revoked on %s (%s, per %s), at or before the best signature time %s",
		         kho_time_format(a, sizeof a, t.revoked_at), revocation_reason_name(t.reason),
		         t.rsource, b);
	} else if (t.revoked_later) {
		out->status = REVOCATION_GOOD;
		out->revoked_after_poe = 1;
		out->revoked_at = t.later_at;
		out->reason_code = t.later_reason;
		out->source = t.lsource;
		snprintf(out->note, sizeof out->note,
		         "revoked on %s (%s, per %s), after the proof of existence %s: it was good at that time",
		         kho_time_format(a, sizeof a, t.later_at), revocation_reason_name(t.later_reason),
		         t.lsource, b);
	} else if (t.good) {
		out->status = REVOCATION_GOOD;
		out->source = t.gsource;
		snprintf(out->note, sizeof out->note, "not revoked at %s per %s issued %s", b,
		         t.gsource, kho_time_format(a, sizeof a, t.good_issued));
	} else {
		out->status = REVOCATION_UNKNOWN;
		if (t.stale)
			snprintf(out->note, sizeof out->note,
			         "the newest revocation data (issued %s, expired) does not cover the time %s",
			         kho_time_format(a, sizeof a, t.stale_issued), b);
		else if (out->note[0] == '\0')
			snprintf(out->note, sizeof out->note, "no revocation data from the issuer");
	}
	return 0;
}
