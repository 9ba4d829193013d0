/*
 * kho.c: the one binary, bin/kho, and its subcommand table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/util.h"
#include "common/xml.h"
#include "tools/cmds.h"
#include "sign/tsa.h"
#include "tools/pem.h"
#include "verify/verify.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "pki",     cmd_pki,     "create a test PKI (CAs, signers, TSA, CRLs) for demos and tests" },
	{ "seal",    cmd_seal,    "seal files and record metadata into a signed, timestamped ASiC-E package" },
	{ "renew",   cmd_renew,   "add an archive timestamp so a package outlives its TSA certificate" },
	{ "verify",  cmd_verify,  "validate a package at a given time (exit 0 passed, 1 failed, 2 indeterminate)" },
	{ "inspect", cmd_inspect, "list a package's entries, manifest and record without checking trust" },
	{ "serve",   cmd_serve,   "run the archive daemon (ingest, re-verified retrieval, lookup API)" },
	{ "token",   cmd_token,   "add, list or revoke the daemon's bearer tokens" },
	{ "audit",   cmd_audit,   "verify the hash chain of the audit trail, or list events" },
	{ "fsck",    cmd_fsck,    "check the archive: catalog against store, re-hash, re-verify" },
	{ "retention", cmd_retention, "retention schedules, holds, sweeps, reports and disposition batches" },
	{ "qr",      cmd_qr,      "print the QR code of an archived result's verification URL" },
};

int cmd_exit_status(int rc)
{
	switch (rc) {
	case KHO_EIO: case KHO_ENOTFOUND: case KHO_EUNSAFE:
		return EXIT_IO;
	case KHO_EINVAL:
		return EXIT_USAGE;
	default:
		return EXIT_FAIL;
	}
}

int cmd_open_tsa(struct tsa **t, STACK_OF(X509) **certs, const char *key_path, const char *cert_path,
                 const char *url, int timeout, kho_err *err)
{
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	*t = NULL;
	*certs = NULL;
	if (key_path == NULL)
		return tsa_new_remote(t, url, timeout, err);
	if ((rc = pem_load_key(&key, key_path, err)) != 0 ||
	    (rc = pem_load_certs(certs, cert_path, err)) != 0)
		goto out;
	if ((chain = sk_X509_dup(*certs)) == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	(void)sk_X509_shift(chain);
	rc = tsa_new_local(t, key, sk_X509_value(*certs, 0), chain, NULL, err);
	if (rc == KHO_EINVAL)   /* no timeStamping EKU: not a usage error */
		rc = KHO_ECRYPTO;
out:
	sk_X509_free(chain);
	EVP_PKEY_free(key);
	return rc;
}

static void err_prefix(kho_err *err, const char *prefix)
{
	char m[sizeof err->msg];

	snprintf(m, sizeof m, "%s%s", prefix, err->msg);
	snprintf(err->msg, sizeof err->msg, "%s", m);
}

int cmd_load_trust(STACK_OF(X509) **anchors, STACK_OF(X509_CRL) **crls,
                   const char *const *trust, size_t ntrust, const char *const *crl, size_t ncrl,
                   kho_err *err)
{
	size_t i;
	int rc = 0;

	*anchors = sk_X509_new_null();
	*crls = sk_X509_CRL_new_null();
	if (*anchors == NULL || *crls == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	for (i = 0; rc == 0 && i < ntrust; i++) {
		STACK_OF(X509) *sk = NULL;
		if ((rc = verify_load_certs(&sk, trust[i], err)) != 0) {
			err_prefix(err, "--trust: ");
			break;
		}
		while (sk_X509_num(sk) > 0)
			sk_X509_push(*anchors, sk_X509_shift(sk));
		sk_X509_free(sk);
	}
	for (i = 0; rc == 0 && i < ncrl; i++) {
		STACK_OF(X509_CRL) *sk = NULL;
		if ((rc = verify_load_crls(&sk, crl[i], err)) != 0) {
			err_prefix(err, "--crl: ");
			break;
		}
		while (sk_X509_CRL_num(sk) > 0)
			sk_X509_CRL_push(*crls, sk_X509_CRL_shift(sk));
		sk_X509_CRL_free(sk);
	}
	return rc;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
	        "Usage: kho COMMAND [OPTIONS] [ARGS]\n"
	        "\n"
	        "kho is an electronic records archive for the signed results of administrative\n"
	        "procedures: it seals results as ASiC-E/CAdES packages, verifies them at any\n"
	        "date, and keeps them.\n"
	        "\n"
	        "Commands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
	        "\n"
	        "Run 'kho COMMAND --help' for a command's options and exit statuses. Every\n"
	        "command exits 4 if its output could not be written to standard output.\n"
	        "Environment: KHO_NOW=RFC3339-TIME replaces the clock (tests and demos); a\n"
	        "value that is not an RFC 3339 time is refused (exit 3).\n");
}

/*
 * stdout_status: the exit status once the command has returned: output that
 * did not reach standard output (a full disk, a closed pipe) is EXIT_IO,
 * whatever the command said: a report or a list nobody received is no
 * success. A command that already said so returned EXIT_IO itself.
 */
static int stdout_status(int ret)
{
	int flushed = fflush(stdout), e = errno;

	if (flushed == 0 && !ferror(stdout))
		return ret;
	if (ret != EXIT_IO)
		fprintf(stderr, "kho: cannot write to standard output: %s\n",
		        flushed != 0 ? strerror(e) : "a write failed");
	return EXIT_IO;
}

int main(int argc, char **argv)
{
	const char *now;
	size_t i;
	time_t t;

	kho_xml_init();   /* libxml2 silent, before any thread (common/xml.h) */
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return stdout_status(0);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("kho 0.1 (%s)\n", OpenSSL_version(OPENSSL_VERSION));
		return stdout_status(0);
	}
	/* Every command reads the clock through kho_now, which ignored a
	 * KHO_NOW it could not parse and used the real time unseen. */
	now = getenv("KHO_NOW");
	if (now != NULL && now[0] != '\0' && kho_time_parse(&t, now) != 0) {
		fprintf(stderr, "kho: KHO_NOW=%s is not an RFC 3339 time (e.g. 2025-03-14T08:30:00Z)\n",
		        now);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return stdout_status(commands[i].run(argc - 1, argv + 1));
	fprintf(stderr, "kho: unknown command '%s' (see 'kho --help')\n", argv[1]);
	return EXIT_USAGE;
}
