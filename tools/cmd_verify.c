/*
 * cmd_verify.c: `kho verify`, the validation of a package at a chosen time
 * (verify/verify.h), printed as text, JSON or an ETSI TS 119 102-2 XML
 * report on stdout, with a one-line verdict on stderr and the verdict as
 * the exit status (0 passed, 1 failed, 2 indeterminate, 3 usage, 4 I/O).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/utf8.h"
#include "common/util.h"
#include "tools/cmds.h"
#include "verify/verify.h"

#define VERIFY_MAX_FILES 64        /* --trust or --crl options */
#define VERIFY_REPORT_MAX (64u * 1024 * 1024)

static void help(FILE *f)
{
	fputs(
"NAME\n"
"    kho verify - validate a sealed package (ASiC-E with CAdES) at a given time\n"
"\n"
"SYNOPSIS\n"
"    kho verify --trust PEM [--trust PEM]... [--crl FILE]... [--at TIME]\n"
"               [--format text|json|xml] PACKAGE\n"
"\n"
"DESCRIPTION\n"
"    Checks every signature of PACKAGE the way ETSI EN 319 102-1 describes:\n"
"    container format, presence and digest of every signed data object, the\n"
"    CMS signature over the manifest, the signing-certificate-v2 binding,\n"
"    algorithm constraints (no SHA-1, RSA at least 2048 bits), the signature\n"
"    timestamp (whose time is the proof of existence), the certificate chain\n"
"    to a trust anchor as of that time, the validity of each certificate, its\n"
"    revocation status at that time (from the CRLs and OCSP responses inside\n"
"    the signature and those given with --crl), and the order of the claimed\n"
"    signing time and the timestamp. record.xml, when present, must be signed\n"
"    and valid. Objects that no signature covers are reported as unsigned.\n"
"    See docs/verification.md for the order of the checks.\n"
"\n"
"    The report goes to standard output; one line with the verdict and its\n"
"    main reason goes to standard error, e.g.\n"
"        kho verify: TOTAL-FAILED/HASH_FAILURE: ketqua.pdf does not match its digest\n"
"\n"
"OPTIONS\n"
"    --trust PEM    trust anchors: certificates in PEM (a root, or an\n"
"                   intermediate CA, which is then trusted as it is).\n"
"                   Required; may be repeated.\n"
"    --crl FILE     more revocation data: CRLs in PEM or one DER CRL. Only a\n"
"                   CRL signed by the certificate's issuer counts. Repeatable.\n"
"    --at TIME      validate as of TIME (RFC 3339, e.g. 2025-03-14T08:30:00Z,\n"
"                   or a date 2025-03-14). Default: now (or KHO_NOW).\n"
"    --format F     text (default, for people), json (stable field names,\n"
"                   for programs) or xml (ETSI TS 119 102-2 report).\n"
"    -h, --help     this text.\n"
"\n"
"EXIT STATUS\n"
"    0  TOTAL-PASSED: every signature passed\n"
"    1  TOTAL-FAILED: a signature (or the container, or record.xml) failed\n"
"    2  INDETERMINATE: a signature cannot be confirmed (no chain to a trust\n"
"       anchor, expired without proof of existence, weak algorithm...)\n"
"    3  usage error\n"
"    4  a file (package, --trust, --crl) is missing or unreadable, or the\n"
"       report could not be written to standard output (the verdict is then\n"
"       still said on stderr)\n"
"    5  other failure (out of memory)\n"
"\n"
"ENVIRONMENT\n"
"    KHO_NOW        replaces the clock (tests and demos).\n"
"\n"
"EXAMPLES\n"
"    kho verify --trust pki/trust.pem ketqua.asice\n"
"    kho verify --trust pki/trust.pem --crl pki/crls.pem --at 2025-03-14 \\\n"
"               --format json ketqua.asice\n", f);
}

/* The verdict line: the package indication and its most telling reason. */
static void verdict(const verify_report *r)
{
	const char *why = NULL;
	char buf[600];
	size_t i;

	for (i = 0; i < r->nsigs && why == NULL; i++)
		if (r->sigs[i].indication == r->indication && r->sigs[i].sub == r->sub &&
		    r->indication != VR_TOTAL_PASSED && r->sigs[i].nreasons > 0)
			why = r->sigs[i].reasons[0];
	if (why == NULL && r->indication != VR_TOTAL_PASSED && r->nreasons > 0)
		why = r->reasons[0];
	if (r->indication == VR_TOTAL_PASSED) {
		snprintf(buf, sizeof buf, "%zu signature(s) passed%s%s", r->nsigs,
		         r->nsigs > 0 && r->sigs[0].signer_subject ? ", signed by " : "",
		         r->nsigs > 0 && r->sigs[0].signer_subject ? r->sigs[0].signer_subject : "");
		why = buf;
	}
	/* one line: no control characters from the package */
	fprintf(stderr, "kho verify: %s%s%s", vr_indication_name(r->indication),
	        r->sub != VR_SUB_NONE ? "/" : "", vr_sub_name(r->sub));
	if (why != NULL) {
		char *c = kho_text_clean(why, 0);
		fputs(": ", stderr);
		fputs(c != NULL ? c : "?", stderr);
		free(c);
	}
	fputc('\n', stderr);
}

static int io_status(int code)
{
	if (code == KHO_ENOMEM)
		return EXIT_FAIL;
	return EXIT_IO;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, 't' },
		{ "crl", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *trust[VERIFY_MAX_FILES], *crl[VERIFY_MAX_FILES], *format = "text";
	size_t ntrust = 0, ncrl = 0;
	verify_opts vo;
	verify_report *r = NULL;
	STACK_OF(X509) *anchors = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	kho_err err = { 0, "" };
	kho_buf out;
	int c, rc, status = EXIT_FAIL;

	memset(&vo, 0, sizeof vo);
	kho_buf_init(&out, VERIFY_REPORT_MAX);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (ntrust >= VERIFY_MAX_FILES) {
				fprintf(stderr, "kho verify: too many --trust options\n");
				return EXIT_USAGE;
			}
			trust[ntrust++] = optarg;
			break;
		case 'c':
			if (ncrl >= VERIFY_MAX_FILES) {
				fprintf(stderr, "kho verify: too many --crl options\n");
				return EXIT_USAGE;
			}
			crl[ncrl++] = optarg;
			break;
		case 'a':
			vo.at_set = 1;   /* --at 1970-01-01T00:00:00Z is time 0, not "now" */
			if (kho_time_parse(&vo.at, optarg) != 0) {
				fprintf(stderr, "kho verify: --at: not an RFC 3339 time or date: %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			format = optarg;
			if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
			    strcmp(format, "xml") != 0) {
				fprintf(stderr, "kho verify: --format must be text, json or xml\n");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			help(stdout);
			return 0;
		default:
			fprintf(stderr, "kho verify: unknown or incomplete option '%s' (see 'kho verify --help')\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "kho verify: exactly one PACKAGE expected (see 'kho verify --help')\n");
		return EXIT_USAGE;
	}
	if (ntrust == 0) {
		fprintf(stderr, "kho verify: --trust PEM is required (see 'kho verify --help')\n");
		return EXIT_USAGE;
	}

	if ((rc = cmd_load_trust(&anchors, &crls, trust, ntrust, crl, ncrl, &err)) != 0) {
		fprintf(stderr, "kho verify: %s\n", err.msg);
		status = io_status(rc);
		goto out;
	}
	vo.anchors = anchors;
	vo.crls = crls;

	{
		/* The package reader refuses a symbolic link as its last path
		 * component (it is the daemon's reader too); a link the user
		 * names on the command line is followed here, as for --trust. */
		char real[PATH_MAX];
		rc = verify_package_file(&r, realpath(argv[optind], real) != NULL ? real : argv[optind],
		                         &vo, &err);
	}
	if (rc != 0) {
		fprintf(stderr, "kho verify: %s\n", err.msg);
		status = io_status(rc);
		goto out;
	}
	if (strcmp(format, "json") == 0)
		rc = verify_report_json(&out, r);
	else if (strcmp(format, "xml") == 0)
		rc = verify_report_xml(&out, r);
	else
		rc = verify_report_text(&out, r);
	if (rc != 0) {
		fprintf(stderr, "kho verify: cannot write the report: %s\n", kho_strerror(rc));
		goto out;
	}
	if (out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len) {
		fprintf(stderr, "kho verify: cannot write the report to standard output\n");
		status = EXIT_IO;
		goto out;
	}
	verdict(r);
	status = r->indication == VR_TOTAL_PASSED ? 0 : r->indication == VR_TOTAL_FAILED ? 1 : 2;
	/* The report is the result: one that did not reach standard output
	 * (a full disk) is an I/O error, whatever the verdict. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "kho verify: cannot write the report to standard output: %s\n",
		        strerror(errno));
		status = EXIT_IO;
	}
out:
	verify_report_free(r);
	sk_X509_pop_free(anchors, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	kho_buf_free(&out);
	return status;
}
