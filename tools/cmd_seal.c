/*
 * cmd_seal.c: `kho seal`, the command-line face of seal_package: read the
 * key, certificates, revocation data, record and files, seal them into one
 * ASiC-E package and write it durably (temporary file, fsync, rename), so a
 * failure never leaves a partial package behind.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/err.h"
#include "archive/record.h"
#include "common/util.h"
#include "sign/cades.h"
#include "sign/seal.h"
#include "sign/tsa.h"
#include "tools/cmds.h"
#include "tools/pem.h"

#define SEAL_CLI_MAX_FILE   (512u * 1024 * 1024)   /* per input file */
#define SEAL_CLI_MAX_OUT    (2047u * 1024 * 1024)  /* whole package (ZIP without ZIP64) */
#define SEAL_CLI_MAX_OCSP   64
#define SEAL_CLI_MAX_CRLS   64

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kho seal --key KEY --cert CERT\n"
"                (--tsa-key KEY --tsa-cert CERT | --tsa-url URL | --no-timestamp)\n"
"                [--crl FILE]... [--ocsp FILE]... [--pss] [--digest ALG]\n"
"                [--tsa-timeout SEC]\n"
"                [--signing-time TIME] --record RECORD.xml -o OUT.asice FILE...\n"
"\n"
"Seal FILE... (the issuer's result: signed PDF, scans) and the record metadata\n"
"RECORD.xml into one ASiC-E package (ETSI EN 319 162-1) written to OUT.asice:\n"
"\n"
"  mimetype                      stored, first: application/vnd.etsi.asic-e+zip\n"
"  FILE...                       under their base names, in the order given\n"
"  record.xml                    the record metadata, validated before signing\n"
"  META-INF/ASiCManifest001.xml  SHA-256 of every data object, record.xml included\n"
"  META-INF/signature001.p7s     CAdES (ETSI EN 319 122-1) over the manifest:\n"
"                                B-B, plus a signature timestamp (B-T) unless\n"
"                                --no-timestamp, plus the signer's and TSA's\n"
"                                certificate chains and the given CRLs and OCSP\n"
"                                responses (B-LT)\n"
"\n"
"Signer:\n"
"  --key KEY          the signer's private key, PEM, unencrypted (RSA or ECDSA P-256)\n"
"  --cert CERT        PEM: the signer's certificate first, then its chain\n"
"                     (intermediates), which are embedded in the signature\n"
"  --pss              sign with RSASSA-PSS (salt = digest length, MGF1 with the\n"
"                     same digest) instead of RSA PKCS#1 v1.5\n"
"  --digest ALG       sha256 (default), sha384, sha512, or sha1. sha1 exists ONLY to\n"
"                     produce test material that validation must reject\n"
"                     (CRYPTO_CONSTRAINTS_FAILURE); never seal real records with it\n"
"  --signing-time TIME  the claimed signing time (signed attribute), RFC 3339;\n"
"                     default now. For tests of TIMESTAMP_ORDER_FAILURE\n"
"\n"
"Timestamp (exactly one):\n"
"  --tsa-key KEY --tsa-cert CERT   the built-in TSA with this key and certificate\n"
"                     (PEM, certificate first then its chain; the certificate\n"
"                     needs a critical extendedKeyUsage timeStamping). It stamps\n"
"                     at now\n"
"  --tsa-url URL      an RFC 3161 TSA over HTTP (http:// only); its reply must carry\n"
"                     our nonce and imprint and a token whose signature verifies\n"
"                     under a certificate with the critical timeStamping purpose\n"
"                     (its chain is checked at verification, against the anchors)\n"
"  --tsa-timeout SEC  how long to wait for it (default 30; OpenSSL retries a refused\n"
"                     connection until then)\n"
"  --no-timestamp     no timestamp: CAdES-B-B only\n"
"\n"
"Revocation data (B-LT), any number of each:\n"
"  --crl FILE         CRLs, PEM (several per file) or one DER CRL\n"
"  --ocsp FILE        one DER OCSP response\n"
"\n"
"  --record FILE      the record metadata (record.xml, see docs/record.md)\n"
"  -o, --output FILE  the package to write (replaced atomically); refused (exit\n"
"                     3) if it is one of the input files\n"
"  -h, --help         this help\n"
"\n"
"Environment:\n"
"  KHO_NOW=TIME       replaces the clock: the signing time, the built-in TSA's\n"
"                     genTime and the ZIP times (to backdate test material)\n"
"\n"
"Exit status: 0 sealed, 3 usage error (-o naming an input included), 4 a file\n"
"could not be read or written, 5 other failure (bad record or file name, key\n"
"and certificate mismatch, TSA failure...). The reason is one line on stderr, starting 'kho seal: '.\n"
"\n"
"Example:\n"
"  kho pki init pki\n"
"  kho seal --key pki/signer.key --cert pki/signer.pem \\\n"
"           --tsa-key pki/tsa.key --tsa-cert pki/tsa.pem --crl pki/crls.pem \\\n"
"           --record record.xml -o result.asice ketqua.pdf\n");
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static const EVP_MD *digest_by_name(const char *s)
{
	if (strcmp(s, "sha256") == 0)
		return EVP_sha256();
	if (strcmp(s, "sha384") == 0)
		return EVP_sha384();
	if (strcmp(s, "sha512") == 0)
		return EVP_sha512();
	if (strcmp(s, "sha1") == 0)
		return EVP_sha1();
	return NULL;
}

/* split_chain: first certificate of certs, the rest as a new stack. */
static int split_chain(X509 **cert, STACK_OF(X509) **chain, STACK_OF(X509) *certs)
{
	int i;

	*cert = sk_X509_value(certs, 0);
	*chain = sk_X509_new_null();
	if (*chain == NULL)
		return -1;
	for (i = 1; i < sk_X509_num(certs); i++)
		if (!sk_X509_push(*chain, sk_X509_value(certs, i)))
			return -1;
	return 0;
}

/*
 * same_as_output: 1 (and says so) if the input path in is the existing
 * file out_st (same device and inode: a link, another spelling of the path,
 * a hard link). The package would replace it: `-o signer.key` turned the
 * private key into a ZIP and exited 0 (found by review).
 */
static int same_as_output(const struct stat *out_st, const char *out_path, const char *what,
                          const char *in)
{
	struct stat st;

	if (in == NULL || stat(in, &st) != 0 || st.st_dev != out_st->st_dev ||
	    st.st_ino != out_st->st_ino)
		return 0;
	fprintf(stderr, "kho seal: -o %s is the same file as %s %s: refusing to overwrite an input\n",
	        out_path, what, in);
	return 1;
}

int cmd_seal(int argc, char **argv)
{
	enum { O_KEY = 256, O_CERT, O_TSA_URL, O_TSA_KEY, O_TSA_CERT, O_NO_TS, O_CRL, O_OCSP,
	       O_PSS, O_DIGEST, O_SIGNING_TIME, O_RECORD, O_TSA_TIMEOUT };
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, O_KEY },
		{ "cert", required_argument, NULL, O_CERT },
		{ "tsa-url", required_argument, NULL, O_TSA_URL },
		{ "tsa-key", required_argument, NULL, O_TSA_KEY },
		{ "tsa-cert", required_argument, NULL, O_TSA_CERT },
		{ "tsa-timeout", required_argument, NULL, O_TSA_TIMEOUT },
		{ "no-timestamp", no_argument, NULL, O_NO_TS },
		{ "crl", required_argument, NULL, O_CRL },
		{ "ocsp", required_argument, NULL, O_OCSP },
		{ "pss", no_argument, NULL, O_PSS },
		{ "digest", required_argument, NULL, O_DIGEST },
		{ "signing-time", required_argument, NULL, O_SIGNING_TIME },
		{ "record", required_argument, NULL, O_RECORD },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_path = NULL, *cert_path = NULL, *tsa_url = NULL, *tsa_key_path = NULL,
	           *tsa_cert_path = NULL, *record_path = NULL, *out_path = NULL;
	const char *crl_paths[SEAL_CLI_MAX_CRLS], *ocsp_paths[SEAL_CLI_MAX_OCSP];
	size_t ncrl = 0, nocsp = 0, nfiles = 0, i;
	int c, no_ts = 0, pss = 0, rc = 0, status = 0, tsa_timeout = 30;
	const EVP_MD *md = NULL;
	time_t signing_time = 0;
	kho_err err = { 0, "" };
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *certs = NULL, *chain = NULL, *tsa_certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	kho_buf ocsp[SEAL_CLI_MAX_OCSP], recbuf, out, *data = NULL;
	seal_file *files = NULL;
	seal_opts opts;
	tsa *t = NULL;
	X509 *cert = NULL;

	memset(&opts, 0, sizeof opts);
	kho_buf_init(&recbuf, RECORD_MAX_SIZE);
	kho_buf_init(&out, SEAL_CLI_MAX_OUT);
	for (i = 0; i < SEAL_CLI_MAX_OCSP; i++)
		kho_buf_init(&ocsp[i], PEM_MAX_FILE);

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_KEY: key_path = optarg; break;
		case O_CERT: cert_path = optarg; break;
		case O_TSA_URL: tsa_url = optarg; break;
		case O_TSA_KEY: tsa_key_path = optarg; break;
		case O_TSA_CERT: tsa_cert_path = optarg; break;
		case O_NO_TS: no_ts = 1; break;
		case O_PSS: pss = 1; break;
		case O_RECORD: record_path = optarg; break;
		case 'o': out_path = optarg; break;
		case O_CRL:
			if (ncrl == SEAL_CLI_MAX_CRLS) {
				fprintf(stderr, "kho seal: more than %d --crl\n", SEAL_CLI_MAX_CRLS);
				status = EXIT_USAGE;
				goto out;
			}
			crl_paths[ncrl++] = optarg;
			break;
		case O_OCSP:
			if (nocsp == SEAL_CLI_MAX_OCSP) {
				fprintf(stderr, "kho seal: more than %d --ocsp\n", SEAL_CLI_MAX_OCSP);
				status = EXIT_USAGE;
				goto out;
			}
			ocsp_paths[nocsp++] = optarg;
			break;
		case O_DIGEST:
			md = digest_by_name(optarg);
			if (md == NULL) {
				fprintf(stderr, "kho seal: --digest must be sha256, sha384, sha512 or sha1\n");
				status = EXIT_USAGE;
				goto out;
			}
			break;
		case O_TSA_TIMEOUT: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 || v > 3600) {
				fprintf(stderr, "kho seal: --tsa-timeout must be 1..3600 seconds\n");
				status = EXIT_USAGE;
				goto out;
			}
			tsa_timeout = (int)v;
			break;
		}
		case O_SIGNING_TIME:
			if (kho_time_parse(&signing_time, optarg) != 0 || signing_time == 0) {
				fprintf(stderr, "kho seal: --signing-time '%s' is not an RFC 3339 time\n", optarg);
				status = EXIT_USAGE;
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			fprintf(stderr, "kho seal: unknown or incomplete option '%s' (see 'kho seal --help')\n",
			        argv[optind - 1]);
			status = EXIT_USAGE;
			goto out;
		}
	}
	nfiles = (size_t)(argc - optind);
	if (key_path == NULL || cert_path == NULL || record_path == NULL || out_path == NULL) {
		fprintf(stderr, "kho seal: --key, --cert, --record and -o are required (see 'kho seal --help')\n");
		status = EXIT_USAGE;
		goto out;
	}
	if ((tsa_url != NULL) + (tsa_key_path != NULL || tsa_cert_path != NULL) + no_ts != 1 ||
	    ((tsa_key_path != NULL) != (tsa_cert_path != NULL))) {
		fprintf(stderr, "kho seal: give exactly one of --tsa-key with --tsa-cert, --tsa-url, "
		                "--no-timestamp\n");
		status = EXIT_USAGE;
		goto out;
	}
	if (nfiles == 0) {
		fprintf(stderr, "kho seal: no FILE to seal\n");
		status = EXIT_USAGE;
		goto out;
	}

	{
		struct stat ost;
		int same = 0;
		if (stat(out_path, &ost) == 0) {
			same = same_as_output(&ost, out_path, "--key", key_path) ||
			       same_as_output(&ost, out_path, "--cert", cert_path) ||
			       same_as_output(&ost, out_path, "--record", record_path) ||
			       same_as_output(&ost, out_path, "--tsa-key", tsa_key_path) ||
			       same_as_output(&ost, out_path, "--tsa-cert", tsa_cert_path);
			for (i = 0; !same && i < ncrl; i++)
				same = same_as_output(&ost, out_path, "--crl", crl_paths[i]);
			for (i = 0; !same && i < nocsp; i++)
				same = same_as_output(&ost, out_path, "--ocsp", ocsp_paths[i]);
			for (i = 0; !same && i < nfiles; i++)
				same = same_as_output(&ost, out_path, "FILE", argv[optind + (int)i]);
		}
		if (same) {
			status = EXIT_USAGE;
			goto out;
		}
	}

	/* Inputs. */
	if ((rc = pem_load_key(&key, key_path, &err)) != 0 ||
	    (rc = pem_load_certs(&certs, cert_path, &err)) != 0)
		goto fail;
	if (split_chain(&cert, &chain, certs) != 0) {
		rc = kho_err_set(&err, KHO_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < ncrl; i++)
		if ((rc = pem_load_crls(&crls, crl_paths[i], &err)) != 0)
			goto fail;
	for (i = 0; i < nocsp; i++)
		if ((rc = kho_read_user_file(&ocsp[i], ocsp_paths[i], &err)) != 0)
			goto fail;
	if ((rc = kho_read_user_file(&recbuf, record_path, &err)) != 0)
		goto fail;
	files = calloc(nfiles, sizeof *files);
	data = calloc(nfiles, sizeof *data);
	if (files == NULL || data == NULL) {
		rc = kho_err_set(&err, KHO_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < nfiles; i++)
		kho_buf_init(&data[i], SEAL_CLI_MAX_FILE);
	for (i = 0; i < nfiles; i++) {
		const char *path = argv[optind + (int)i];
		if ((rc = kho_read_user_file(&data[i], path, &err)) != 0)
			goto fail;
		files[i].name = base_name(path);
		files[i].data = data[i].data;
		files[i].len = data[i].len;
	}

	/* Timestamping authority. */
	if ((tsa_key_path != NULL || tsa_url != NULL) &&
	    (rc = cmd_open_tsa(&t, &tsa_certs, tsa_key_path, tsa_cert_path, tsa_url, tsa_timeout,
	                       &err)) != 0)
		goto fail;

	opts.signer.key = key;
	opts.signer.cert = cert;
	opts.signer.chain = chain;
	opts.signer.pss = pss;
	opts.signer.md = md;
	opts.signer.signing_time = signing_time;
	opts.tsa = t;
	opts.tsa_chain = tsa_certs;
	opts.crls = crls;
	opts.ocsp = nocsp > 0 ? ocsp : NULL;
	opts.nocsp = nocsp;
	rc = seal_package(&out, files, nfiles, recbuf.data, recbuf.len, &opts, &err);
	if (rc != 0) {
		/* A bad key/certificate pair or bad PSS use is a failure, not usage. */
		if (rc == KHO_EINVAL)
			rc = KHO_EFORMAT;
		goto fail;
	}
	rc = kho_write_file_durable(out_path, out.data, out.len, 0644, &err);
	if (rc != 0)
		goto fail;
	goto out;
fail:
	fprintf(stderr, "kho seal: %s\n", err.msg[0] != '\0' ? err.msg : kho_strerror(rc));
	status = cmd_exit_status(rc);
out:
	tsa_free(t);
	EVP_PKEY_free(key);
	sk_X509_free(chain);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(tsa_certs, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	for (i = 0; i < SEAL_CLI_MAX_OCSP; i++)
		kho_buf_free(&ocsp[i]);
	for (i = 0; data != NULL && i < nfiles; i++)
		kho_buf_free(&data[i]);
	free(data);
	free(files);
	kho_buf_free(&recbuf);
	kho_buf_free(&out);
	return status;
}
