/*
 * cmd_renew.c: `kho renew`, one more archive timestamp on a sealed package
 * (sign/lta.h), so that it stays verifiable after the certificate of the
 * TSA that stamped it expires. The package must verify now (TOTAL-PASSED)
 * before it is renewed, and the renewed one must verify too before it is
 * written (durably: temporary file, fsync, rename).
 */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "sign/lta.h"
#include "sign/tsa.h"
#include "tools/cmds.h"
#include "tools/pem.h"
#include "verify/verify.h"

#define RENEW_MAX_FILES 64
#define RENEW_MAX_PKG (2047u * 1024 * 1024)

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kho renew --trust PEM [--crl FILE]...\n"
"                 (--tsa-key KEY --tsa-cert CERT | --tsa-url URL [--tsa-timeout SEC])\n"
"                 -o OUT.asice PACKAGE.asice\n"
"\n"
"Add an archive timestamp to a sealed ASiC-E package (B-LTA, ETSI EN 319 162-1\n"
"4.4.3), so that it stays verifiable after the certificate of the TSA that\n"
"stamped it expires. Renew BEFORE that certificate expires: the new timestamp\n"
"proves that the earlier ones existed while their TSA certificates were good,\n"
"and kho verify then checks them at the new timestamp's time. A package can be\n"
"renewed again later, with each renewal stamped by a TSA valid at that time.\n"
"\n"
"What is added (every file already in the package is kept byte for byte):\n"
"  META-INF/ASiCArchiveManifest.xml  SHA-256 of every file in the package\n"
"                                    (an earlier one is renamed\n"
"                                    META-INF/ASiCArchiveManifestNNN.xml and listed)\n"
"  META-INF/timestampNNN.tst         RFC 3161 token over that manifest\n"
"\n"
"Options:\n"
"  --trust PEM        trust anchors, as for kho verify (repeatable). The package\n"
"                     must verify now (TOTAL-PASSED) or nothing is written: a\n"
"                     renewal of a package that no longer verifies proves nothing\n"
"  --crl FILE         CRLs for that verification (repeatable)\n"
"  --tsa-key KEY --tsa-cert CERT   the built-in TSA (PEM; certificate first, then\n"
"                     its chain; critical extendedKeyUsage timeStamping)\n"
"  --tsa-url URL      an RFC 3161 TSA over HTTP (http:// only)\n"
"  --tsa-timeout SEC  how long to wait for it (default 30)\n"
"  -o, --output OUT   the renewed package (must not be PACKAGE itself; written\n"
"                     durably, only once it verifies)\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 renewed; 1 the package (or the renewed package) does not verify\n"
"now, or the new archive timestamp does not stand as a proof of existence now\n"
"(an untrusted TSA, a token outside its TSA certificate's validity) or would not\n"
"extend the package's evidence (a TSA certificate ending sooner; a signature's\n"
"first timestamp is written all the same), with the reason on stderr, and\n"
"nothing is written; 3 usage; 4 I/O; 5 other\n"
"failure (not an ASiC-E container, the TSA refused or failed, a certificate\n"
"without the timeStamping purpose, out of memory).\n"
"\n"
"Example:\n"
"  kho renew --trust pki/trust.pem --tsa-key tsa2.key --tsa-cert tsa2.pem \\\n"
"      -o result-renewed.asice result.asice\n");
}

/* The package verifies now: 0 (its report in *out), or 1 with the verdict
 * on stderr, or <0. */
static int verifies(verify_report **out, const kho_buf *b, const verify_opts *vo,
                    const char *what, kho_err *err)
{
	verify_report *r = NULL;
	int rc = verify_package_mem(&r, b->data, b->len, vo, err);

	*out = NULL;
	if (rc != 0)
		return rc;
	if (r->indication != VR_TOTAL_PASSED) {
		const char *why = r->nsigs > 0 && r->sigs[0].nreasons > 0 ? r->sigs[0].reasons[0]
		                : r->nreasons > 0 ? r->reasons[0] : "";
		fprintf(stderr, "kho renew: %s does not verify now: %s%s%s%s%s\n", what,
		        vr_indication_name(r->indication), r->sub != VR_SUB_NONE ? "/" : "",
		        r->sub != VR_SUB_NONE ? vr_sub_name(r->sub) : "", why[0] ? ": " : "", why);
		verify_report_free(r);
		return 1;
	}
	*out = r;
	return 0;
}

/* 1 if every signature of r has an accepted token covering it (its own
 * timestamp, or a container timestamp). */
static int all_covered(const verify_report *r)
{
	size_t i, j;
	int container = 0;

	for (j = 0; j < r->ntimestamps; j++)
		container |= r->timestamps[j].accepted;
	for (i = 0; i < r->nsigs; i++) {
		int own = 0;
		for (j = 0; j < r->sigs[i].ntimestamps; j++)
			own |= r->sigs[i].timestamps[j].accepted;
		if (!own && !container)
			return 0;
	}
	return 1;
}

/*
 * The renewal proves something (as the daemon's ingest of a renewal asks):
 * its new archive timestamp (the container token the package did not have)
 * stands as a proof of existence now, and the evidence lasts longer than
 * before (found by review: a token from an untrusted TSA, one outside its
 * TSA certificate's validity, or one whose TSA ends before the package's
 * evidence gave exit 0 and a "renewal" that lapsed as if never made).
 * 0, or 1 with the reason on stderr.
 */
static int renewal_stands(const verify_report *old, const verify_report *now)
{
	const vr_timestamp *t = NULL;
	char a[32], b[32];
	size_t i, j;

	for (i = 0; i < now->ntimestamps && t == NULL; i++) {
		for (j = 0; j < old->ntimestamps; j++)
			if (strcmp(now->timestamps[i].where, old->timestamps[j].where) == 0)
				break;
		if (j == old->ntimestamps)
			t = &now->timestamps[i];
	}
	if (t == NULL || !t->accepted) {
		/* The verifier's reason, not a guess (found by review: a revoked
		 * TSA was called untrusted or out of its validity). */
		const char *why = t != NULL ? verify_timestamp_why(now, t->where) : NULL;
		fprintf(stderr, "kho renew: the new archive timestamp%s%s does not stand as a proof of"
		        " existence now: %s: nothing written\n", t ? " " : "", t ? t->where : "",
		        why != NULL ? why : t == NULL ? "the renewal holds no new container token" :
		        "the report gives no reason (see kho verify)");
		return 1;
	}
	/* The first token of a signature that had none protects it from a
	 * later revocation of its signer even when the signer's certificate
	 * outlasts the TSA's (found by the second review: refused as "would
	 * not extend"). */
	if (verify_evidence_until(now) <= verify_evidence_until(old) &&
	    !(all_covered(now) && !all_covered(old))) {
		fprintf(stderr, "kho renew: the renewal would not extend the package's evidence (until"
		        " %s, the new TSA until %s, the earliest end of its certificate chain): use a"
		        " TSA valid longer; nothing written\n", kho_time_format(a, sizeof a, verify_evidence_until(old)),
		        kho_time_format(b, sizeof b, t->tsa_not_after));
		return 1;
	}
	return 0;
}

int cmd_renew(int argc, char **argv)
{
	enum { O_TRUST = 256, O_CRL, O_TSA_URL, O_TSA_KEY, O_TSA_CERT, O_TSA_TIMEOUT };
	static const struct option longopts[] = {
		{ "trust", required_argument, NULL, O_TRUST },
		{ "crl", required_argument, NULL, O_CRL },
		{ "tsa-url", required_argument, NULL, O_TSA_URL },
		{ "tsa-key", required_argument, NULL, O_TSA_KEY },
		{ "tsa-cert", required_argument, NULL, O_TSA_CERT },
		{ "tsa-timeout", required_argument, NULL, O_TSA_TIMEOUT },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *trust[RENEW_MAX_FILES], *crl[RENEW_MAX_FILES];
	const char *tsa_url = NULL, *tsa_key_path = NULL, *tsa_cert_path = NULL, *out_path = NULL;
	size_t ntrust = 0, ncrl = 0;
	int c, rc = 0, status = 0;
	uint64_t tsa_timeout = 30;
	kho_err err = { 0, "" };
	STACK_OF(X509) *anchors = NULL, *tsa_certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	verify_opts vo;
	kho_buf in, out;
	verify_report *rin = NULL, *rout = NULL;
	tsa *t = NULL;

	memset(&vo, 0, sizeof vo);
	kho_buf_init(&in, RENEW_MAX_PKG);
	kho_buf_init(&out, RENEW_MAX_PKG);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_TRUST:
		case O_CRL:
			if ((c == O_TRUST ? ntrust : ncrl) == RENEW_MAX_FILES) {
				fprintf(stderr, "kho renew: more than %d --%s\n", RENEW_MAX_FILES,
				        c == O_TRUST ? "trust" : "crl");
				status = EXIT_USAGE;
				goto out;
			}
			if (c == O_TRUST)
				trust[ntrust++] = optarg;
			else
				crl[ncrl++] = optarg;
			break;
		case O_TSA_URL: tsa_url = optarg; break;
		case O_TSA_KEY: tsa_key_path = optarg; break;
		case O_TSA_CERT: tsa_cert_path = optarg; break;
		case 'o': out_path = optarg; break;
		case O_TSA_TIMEOUT:
			if (kho_parse_uint(&tsa_timeout, optarg, 1, 3600) != 0) {
				fprintf(stderr, "kho renew: --tsa-timeout must be 1..3600 seconds\n");
				status = EXIT_USAGE;
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			fprintf(stderr, "kho renew: unknown or incomplete option '%s' (see 'kho renew --help')\n",
			        argv[optind - 1]);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (argc - optind != 1 || out_path == NULL || ntrust == 0) {
		fprintf(stderr, "kho renew: --trust, -o and exactly one PACKAGE are required (see 'kho renew "
		                "--help')\n");
		status = EXIT_USAGE;
		goto out;
	}
	if ((tsa_url != NULL) == (tsa_key_path != NULL || tsa_cert_path != NULL) ||
	    (tsa_key_path != NULL) != (tsa_cert_path != NULL)) {
		fprintf(stderr, "kho renew: give either --tsa-key with --tsa-cert, or --tsa-url\n");
		status = EXIT_USAGE;
		goto out;
	}
	{
		struct stat a, b;
		if (stat(out_path, &a) == 0 && stat(argv[optind], &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			fprintf(stderr, "kho renew: -o %s is PACKAGE itself: write the renewed package "
			                "elsewhere, check it, then replace\n", out_path);
			status = EXIT_USAGE;
			goto out;
		}
	}

	if ((rc = cmd_load_trust(&anchors, &crls, trust, ntrust, crl, ncrl, &err)) != 0)
		goto fail;
	vo.anchors = anchors;
	vo.crls = crls;
	if ((rc = kho_read_user_file(&in, argv[optind], &err)) != 0)
		goto fail;
	if ((rc = verifies(&rin, &in, &vo, argv[optind], &err)) != 0) {
		if (rc < 0)
			goto fail;
		status = 1;
		goto out;
	}

	if ((rc = cmd_open_tsa(&t, &tsa_certs, tsa_key_path, tsa_cert_path, tsa_url,
	                       (int)tsa_timeout, &err)) != 0)
		goto fail;

	if ((rc = lta_add(&out, in.data, in.len, t, &err)) != 0)
		goto fail;
	if ((rc = verifies(&rout, &out, &vo, "the renewed package", &err)) != 0) {
		if (rc < 0)
			goto fail;
		status = 1;
		goto out;
	}
	if (renewal_stands(rin, rout) != 0) {
		status = 1;
		goto out;
	}
	if ((rc = kho_write_file_durable(out_path, out.data, out.len, 0644, &err)) != 0)
		goto fail;
	goto out;
fail:
	fprintf(stderr, "kho renew: %s\n", err.msg[0] != '\0' ? err.msg : kho_strerror(rc));
	status = cmd_exit_status(rc);
out:
	verify_report_free(rin);
	verify_report_free(rout);
	tsa_free(t);
	sk_X509_pop_free(tsa_certs, X509_free);
	sk_X509_pop_free(anchors, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	kho_buf_free(&in);
	kho_buf_free(&out);
	return status;
}
