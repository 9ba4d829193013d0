/*
 * cmd_pki.c: `kho pki init DIR`, a complete test PKI made with OpenSSL's
 * APIs (no shelling out): a root and an issuing CA, agency signers (RSA,
 * ECDSA, revoked, expired, weak), a TSA, and the CRLs. Every time is
 * relative to kho_now(), so KHO_NOW builds a PKI for any date and tests of
 * past-time validation stay reproducible. docs/pki.md and DIR/README.txt
 * describe the files.
 *
 * Certificates follow RFC 5280 profiles: v3, random positive 128-bit
 * serials (4.1.2.2), SKI and AKI (4.2.1.1-2), basicConstraints critical on
 * CAs with a path length (4.2.1.9), keyUsage critical (4.2.1.3); the TSA has
 * the critical extendedKeyUsage timeStamping that RFC 3161 2.3 requires.
 */
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "tools/cmds.h"

#define DAY   86400L
/* Validity offsets in whole calendar years (now-10y is the same date and time
 * ten years earlier), encoded as years * YEAR so that specs stay readable. */
#define YEAR  (1L << 40)

/* One certificate to issue. */
struct certspec {
	const char *cn;
	const char *o;
	int ca;             /* 1 = CA */
	int pathlen;        /* CA path length */
	int tsa;            /* 1 = TSA: critical EKU timeStamping */
	long from, to;      /* validity relative to now: years * YEAR */
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kho pki init [--force] DIR\n"
"\n"
"Create a complete TEST public-key infrastructure in DIR, for demos and tests\n"
"of 'kho seal' and 'kho verify'. Never use it for real records: the keys are\n"
"written unencrypted.\n"
"\n"
"All validity periods are relative to now, which KHO_NOW=RFC3339-TIME replaces,\n"
"so a PKI can be made for any date. DIR/README.txt documents every file:\n"
"\n"
"  root.key root.pem        root CA \"kho Test Root CA\", RSA-3072, now-10y..now+20y\n"
"  ca.key ca.pem            issuing CA \"kho Test Issuing CA\", RSA-2048, now-10y..now+15y\n"
"  trust.pem                the trust anchors (= root.pem)\n"
"  signer.key signer.pem    agency signer, RSA-2048, now-1y..now+2y (cert, then ca.pem)\n"
"  ecdsa-signer.key/.pem    agency signer, ECDSA P-256, same shape\n"
"  tsa.key tsa.pem          time-stamping authority, RSA-2048, critical EKU timeStamping,\n"
"                           now-5y..now+10y (cert, then ca.pem)\n"
"  revoked-signer.key/.pem  RSA-2048 signer revoked at now-10d (keyCompromise)\n"
"  expired-signer.key/.pem  RSA-2048 signer valid now-3y..now-1y\n"
"  weak-signer.key/.pem     RSA-1024 signer (for algorithm-constraint tests)\n"
"  ca.crl root.crl          CRLs of the issuing and root CA, now..now+30d\n"
"  crls.pem                 both CRLs, PEM\n"
"\n"
"Options:\n"
"  --force      write into DIR even if it exists and is not empty (files are replaced)\n"
"  -h, --help   this help\n"
"\n"
"Exit status: 0 done, 3 usage (or DIR not empty without --force), 4 I/O error,\n"
"5 other failure.\n");
}

/* write_bio_file: the bytes of a memory BIO into DIR/NAME, written durably with mode. */
static int write_bio_file(const char *dir, const char *name, BIO *bio, int mode, kho_err *err)
{
	char path[PATH_MAX];
	char *data;
	long n = BIO_get_mem_data(bio, &data);

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return kho_err_set(err, KHO_EINVAL, "%s/%s: path too long", dir, name);
	if (n < 0)
		return kho_err_set(err, KHO_EINTERNAL, "no PEM data");
	return kho_write_file_durable(path, data, (size_t)n, mode, err);
}

static int write_key(const char *dir, const char *name, EVP_PKEY *key, kho_err *err)
{
	BIO *b = BIO_new(BIO_s_secmem());
	int rc;

	if (b == NULL)
		b = BIO_new(BIO_s_mem());
	if (b == NULL || !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(b);
		return kho_err_ssl(err, KHO_ECRYPTO, "cannot encode %s", name);
	}
	rc = write_bio_file(dir, name, b, 0600, err);
	BIO_free(b);
	return rc;
}

/* write_certs: certs in order, PEM, one file. */
static int write_certs(const char *dir, const char *name, X509 *const *certs, size_t n, kho_err *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	size_t i;
	int rc;

	if (b == NULL)
		return kho_err_ssl(err, KHO_ENOMEM, "BIO_new");
	for (i = 0; i < n; i++)
		if (!PEM_write_bio_X509(b, certs[i])) {
			BIO_free(b);
			return kho_err_ssl(err, KHO_ECRYPTO, "cannot encode %s", name);
		}
	rc = write_bio_file(dir, name, b, 0644, err);
	BIO_free(b);
	return rc;
}

static int write_crls(const char *dir, const char *name, X509_CRL *const *crls, size_t n, kho_err *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	size_t i;
	int rc;

	if (b == NULL)
		return kho_err_ssl(err, KHO_ENOMEM, "BIO_new");
	for (i = 0; i < n; i++)
		if (!PEM_write_bio_X509_CRL(b, crls[i])) {
			BIO_free(b);
			return kho_err_ssl(err, KHO_ECRYPTO, "cannot encode %s", name);
		}
	rc = write_bio_file(dir, name, b, 0644, err);
	BIO_free(b);
	return rc;
}

static int random_serial(ASN1_INTEGER *serial)
{
	unsigned char r[16];
	BIGNUM *bn;
	int ok;

	if (kho_random(r, sizeof r) != 0)
		return 0;
	r[0] &= 0x7f;           /* RFC 5280 4.1.2.2: positive, at most 20 octets */
	r[0] |= 0x01;
	bn = BN_bin2bn(r, sizeof r, NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, serial) != NULL;
	BN_free(bn);
	return ok;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (ext == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* at: now moved by off, where off is years * YEAR + seconds. */
static time_t at(time_t now, long off)
{
	long years = off / YEAR, secs = off % YEAR;
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL)
		return now + secs;
	tm.tm_year += (int)years;   /* 29 February moves to 1 March: timegm normalizes */
	return timegm(&tm) + secs;
}

/*
 * issue: a certificate for key per spec, signed by issuer_key (issuer NULL:
 * self-signed). SHA-256 with RSA PKCS#1 v1.5.
 */
static int issue(X509 **out, const struct certspec *s, EVP_PKEY *key, X509 *issuer,
                 EVP_PKEY *issuer_key, time_t now, kho_err *err)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	char bc[64];
	int ok;

	*out = NULL;
	ok = x != NULL && name != NULL && X509_set_version(x, X509_VERSION_3) &&
	     random_serial(X509_get_serialNumber(x)) &&
	     X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, (const unsigned char *)"VN", -1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)s->o, -1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)s->cn, -1, -1, 0) &&
	     X509_set_subject_name(x, name) &&
	     X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) &&
	     ASN1_TIME_set(X509_getm_notBefore(x), at(now, s->from)) != NULL &&
	     ASN1_TIME_set(X509_getm_notAfter(x), at(now, s->to)) != NULL &&
	     X509_set_pubkey(x, key);
	if (ok) {
		X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
		if (s->ca)
			snprintf(bc, sizeof bc, "critical,CA:TRUE,pathlen:%d", s->pathlen);
		else
			snprintf(bc, sizeof bc, "critical,CA:FALSE");
		ok = add_ext(x, &ctx, NID_basic_constraints, bc) &&
		     add_ext(x, &ctx, NID_key_usage,
		             s->ca ? "critical,keyCertSign,cRLSign" :
		             s->tsa ? "critical,digitalSignature" :
		                      "critical,digitalSignature,nonRepudiation") &&
		     add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
		     (!s->tsa || add_ext(x, &ctx, NID_ext_key_usage, "critical,timeStamping"));
		/* AKI of a self-signed root is its own SKI (RFC 5280 4.2.1.1 allows it). */
		if (ok) {
			if (issuer == NULL)
				X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
			ok = add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
		}
	}
	if (ok)
		ok = X509_sign(x, issuer_key, EVP_sha256()) > 0;
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return kho_err_ssl(err, KHO_ECRYPTO, "cannot issue the certificate '%s'", s->cn);
	}
	*out = x;
	return 0;
}

/*
 * make_crl: a v2 CRL (RFC 5280 5.1) by issuer: thisUpdate now, nextUpdate
 * now+30d, AKI and CRL number (5.2.1, 5.2.3), and the given certificate
 * revoked with reason keyCompromise (5.3.1) at revoked_at.
 */
static int make_crl(X509_CRL **out, X509 *issuer, EVP_PKEY *key, X509 *revoked,
                    time_t revoked_at, time_t now, kho_err *err)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = NULL;
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	ASN1_ENUMERATED *reason = NULL;
	X509_REVOKED *rev = NULL;
	X509_EXTENSION *ext = NULL;
	X509V3_CTX ctx;
	int ok;

	*out = NULL;
	ok = crl != NULL && num != NULL && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
	     X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) &&
	     (t = ASN1_TIME_set(NULL, now)) != NULL && X509_CRL_set1_lastUpdate(crl, t) &&
	     ASN1_TIME_set(t, now + 30 * DAY) != NULL && X509_CRL_set1_nextUpdate(crl, t) &&
	     ASN1_INTEGER_set_int64(num, (int64_t)now) &&
	     X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
	if (ok && revoked != NULL) {
		rev = X509_REVOKED_new();
		reason = ASN1_ENUMERATED_new();
		ok = rev != NULL && reason != NULL &&
		     X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(revoked)) &&
		     ASN1_TIME_set(t, revoked_at) != NULL &&
		     X509_REVOKED_set_revocationDate(rev, t) &&
		     ASN1_ENUMERATED_set(reason, CRL_REASON_KEY_COMPROMISE) &&
		     X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) &&
		     X509_CRL_add0_revoked(crl, rev);
		if (ok)
			rev = NULL;
	}
	if (ok) {
		X509V3_set_ctx(&ctx, issuer, NULL, NULL, crl, 0);
		ext = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
		ok = ext != NULL && X509_CRL_add_ext(crl, ext, -1) && X509_CRL_sort(crl) &&
		     X509_CRL_sign(crl, key, EVP_sha256()) > 0;
	}
	X509_EXTENSION_free(ext);
	X509_REVOKED_free(rev);
	ASN1_ENUMERATED_free(reason);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t);
	if (!ok) {
		X509_CRL_free(crl);
		return kho_err_ssl(err, KHO_ECRYPTO, "cannot make the CRL");
	}
	*out = crl;
	return 0;
}

static const char readme[] =
"kho test PKI\n"
"============\n"
"\n"
"Made by 'kho pki init' for demos and tests. TEST ONLY: the private keys are\n"
"unencrypted (mode 0600). All times are relative to the moment of creation\n"
"(\"now\", the clock or KHO_NOW), written below as now-10y etc.\n"
"Every certificate: X.509 v3, random 128-bit serial, SHA-256 with RSA\n"
"signature, subject/authority key identifiers, critical keyUsage and\n"
"basicConstraints, C=VN, UTF-8 names.\n"
"\n"
"root.key            RSA-3072 private key of the root CA (PKCS#8 PEM)\n"
"root.pem            root CA \"kho Test Root CA\", self-signed, now-10y .. now+20y,\n"
"                    CA:TRUE pathlen:1, keyCertSign+cRLSign\n"
"ca.key             RSA-2048 private key of the issuing CA\n"
"ca.pem             issuing CA \"kho Test Issuing CA\", signed by the root,\n"
"                    now-10y .. now+15y, CA:TRUE pathlen:0, keyCertSign+cRLSign\n"
"trust.pem           the trust anchors to give to 'kho verify' and to openssl\n"
"                    -CAfile / certtool --load-ca-certificate: root.pem\n"
"signer.key          RSA-2048 key of the agency signer\n"
"signer.pem          signer \"UBND xã Tân Phong\", O=\"Ủy ban nhân dân xã Tân Phong\",\n"
"                    now-1y .. now+2y, digitalSignature+nonRepudiation;\n"
"                    the certificate followed by ca.pem (the --cert of kho seal)\n"
"ecdsa-signer.key    ECDSA P-256 key of a second agency signer\n"
"ecdsa-signer.pem    \"UBND xã Tân Phong (ECDSA)\", same shape as signer.pem\n"
"tsa.key             RSA-2048 key of the time-stamping authority\n"
"tsa.pem             TSA \"kho Test TSA\", now-5y .. now+10y, keyUsage\n"
"                    digitalSignature, critical extendedKeyUsage timeStamping;\n"
"                    the certificate followed by ca.pem (--tsa-cert of kho seal)\n"
"revoked-signer.key  RSA-2048 key\n"
"revoked-signer.pem  \"kho Test Signer (revoked)\", now-1y .. now+2y, REVOKED at\n"
"                    now-10d with reason keyCompromise (listed in ca.crl); then ca.pem\n"
"expired-signer.key  RSA-2048 key\n"
"expired-signer.pem  \"kho Test Signer (expired)\", valid now-3y .. now-1y; then ca.pem\n"
"weak-signer.key     RSA-1024 key (below the 2048-bit constraint)\n"
"weak-signer.pem     \"kho Test Signer (weak RSA-1024)\", now-1y .. now+2y; then ca.pem\n"
"ca.crl              CRL v2 of the issuing CA (PEM): thisUpdate now, nextUpdate\n"
"                    now+30d, CRL number, lists revoked-signer (revocation date\n"
"                    now-10d, keyCompromise)\n"
"root.crl            CRL v2 of the root CA (PEM), empty, same times\n"
"crls.pem            ca.crl followed by root.crl (the --crl of kho seal/verify)\n"
"\n"
"Example:\n"
"  kho seal --key signer.key --cert signer.pem --tsa-key tsa.key --tsa-cert tsa.pem \\\n"
"           --crl crls.pem --record record.xml -o result.asice ketqua.pdf\n";

/* dir_state: 0 absent or empty, 1 non-empty, negative on error. */
static int dir_state(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			found = 1;
	closedir(d);
	return found;
}

/* The PKI, made in memory then written. */
struct pki {
	EVP_PKEY *root_key, *ca_key, *signer_key, *ecdsa_key, *tsa_key, *revoked_key,
	         *expired_key, *weak_key;
	X509 *root, *ca, *signer, *ecdsa, *tsa, *revoked, *expired, *weak;
	X509_CRL *ca_crl, *root_crl;
};

static void pki_free(struct pki *p)
{
	EVP_PKEY_free(p->root_key); EVP_PKEY_free(p->ca_key); EVP_PKEY_free(p->signer_key);
	EVP_PKEY_free(p->ecdsa_key); EVP_PKEY_free(p->tsa_key); EVP_PKEY_free(p->revoked_key);
	EVP_PKEY_free(p->expired_key); EVP_PKEY_free(p->weak_key);
	X509_free(p->root); X509_free(p->ca); X509_free(p->signer); X509_free(p->ecdsa);
	X509_free(p->tsa); X509_free(p->revoked); X509_free(p->expired); X509_free(p->weak);
	X509_CRL_free(p->ca_crl); X509_CRL_free(p->root_crl);
}

static int gen_keys(struct pki *p, kho_err *err)
{
	p->root_key = EVP_RSA_gen(3072);
	p->ca_key = EVP_RSA_gen(2048);
	p->signer_key = EVP_RSA_gen(2048);
	p->ecdsa_key = EVP_EC_gen("P-256");
	p->tsa_key = EVP_RSA_gen(2048);
	p->revoked_key = EVP_RSA_gen(2048);
	p->expired_key = EVP_RSA_gen(2048);
	p->weak_key = EVP_RSA_gen(1024);
	if (!p->root_key || !p->ca_key || !p->signer_key || !p->ecdsa_key || !p->tsa_key ||
	    !p->revoked_key || !p->expired_key || !p->weak_key)
		return kho_err_ssl(err, KHO_ECRYPTO, "key generation failed");
	return 0;
}

static int make_pki(struct pki *p, time_t now, kho_err *err)
{
	static const char *agency = "Ủy ban nhân dân xã Tân Phong";
	const struct certspec root = { "kho Test Root CA", "kho Test PKI", 1, 1, 0, -10 * YEAR, 20 * YEAR };
	const struct certspec ca = { "kho Test Issuing CA", "kho Test PKI", 1, 0, 0, -10 * YEAR, 15 * YEAR };
	const struct certspec signer = { "UBND xã Tân Phong", agency, 0, 0, 0, -YEAR, 2 * YEAR };
	const struct certspec ecdsa = { "UBND xã Tân Phong (ECDSA)", agency, 0, 0, 0, -YEAR, 2 * YEAR };
	const struct certspec tsa = { "kho Test TSA", "kho Test PKI", 0, 0, 1, -5 * YEAR, 10 * YEAR };
	const struct certspec revoked = { "kho Test Signer (revoked)", agency, 0, 0, 0, -YEAR, 2 * YEAR };
	const struct certspec expired = { "kho Test Signer (expired)", agency, 0, 0, 0, -3 * YEAR, -YEAR };
	const struct certspec weak = { "kho Test Signer (weak RSA-1024)", agency, 0, 0, 0, -YEAR, 2 * YEAR };
	int rc;

	if ((rc = gen_keys(p, err)) != 0 ||
	    (rc = issue(&p->root, &root, p->root_key, NULL, p->root_key, now, err)) != 0 ||
	    (rc = issue(&p->ca, &ca, p->ca_key, p->root, p->root_key, now, err)) != 0 ||
	    (rc = issue(&p->signer, &signer, p->signer_key, p->ca, p->ca_key, now, err)) != 0 ||
	    (rc = issue(&p->ecdsa, &ecdsa, p->ecdsa_key, p->ca, p->ca_key, now, err)) != 0 ||
	    (rc = issue(&p->tsa, &tsa, p->tsa_key, p->ca, p->ca_key, now, err)) != 0 ||
	    (rc = issue(&p->revoked, &revoked, p->revoked_key, p->ca, p->ca_key, now, err)) != 0 ||
	    (rc = issue(&p->expired, &expired, p->expired_key, p->ca, p->ca_key, now, err)) != 0 ||
	    (rc = issue(&p->weak, &weak, p->weak_key, p->ca, p->ca_key, now, err)) != 0 ||
	    (rc = make_crl(&p->ca_crl, p->ca, p->ca_key, p->revoked, now - 10 * DAY, now, err)) != 0 ||
	    (rc = make_crl(&p->root_crl, p->root, p->root_key, NULL, 0, now, err)) != 0)
		return rc;
	return 0;
}

static int write_pki(const struct pki *p, const char *dir, kho_err *err)
{
	struct {
		const char *key_name, *cert_name;
		EVP_PKEY *key;
		X509 *cert;
		int chained;
	} files[] = {
		{ "root.key", "root.pem", p->root_key, p->root, 0 },
		{ "ca.key", "ca.pem", p->ca_key, p->ca, 0 },
		{ "signer.key", "signer.pem", p->signer_key, p->signer, 1 },
		{ "ecdsa-signer.key", "ecdsa-signer.pem", p->ecdsa_key, p->ecdsa, 1 },
		{ "tsa.key", "tsa.pem", p->tsa_key, p->tsa, 1 },
		{ "revoked-signer.key", "revoked-signer.pem", p->revoked_key, p->revoked, 1 },
		{ "expired-signer.key", "expired-signer.pem", p->expired_key, p->expired, 1 },
		{ "weak-signer.key", "weak-signer.pem", p->weak_key, p->weak, 1 },
	};
	X509_CRL *crls[2] = { p->ca_crl, p->root_crl };
	char path[PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		X509 *certs[2] = { files[i].cert, p->ca };
		if ((rc = write_key(dir, files[i].key_name, files[i].key, err)) != 0 ||
		    (rc = write_certs(dir, files[i].cert_name, certs, files[i].chained ? 2 : 1, err)) != 0)
			return rc;
	}
	if ((rc = write_certs(dir, "trust.pem", &p->root, 1, err)) != 0 ||
	    (rc = write_crls(dir, "ca.crl", &crls[0], 1, err)) != 0 ||
	    (rc = write_crls(dir, "root.crl", &crls[1], 1, err)) != 0 ||
	    (rc = write_crls(dir, "crls.pem", crls, 2, err)) != 0)
		return rc;
	if ((size_t)snprintf(path, sizeof path, "%s/README.txt", dir) >= sizeof path)
		return kho_err_set(err, KHO_EINVAL, "%s: path too long", dir);
	return kho_write_file_durable(path, readme, sizeof readme - 1, 0644, err);
}

int cmd_pki(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pki p;
	kho_err err = { 0, "" };
	const char *dir;
	int c, force = 0, rc, st;

	memset(&p, 0, sizeof p);
	/* `kho pki --help` and `kho pki init --help` both work. */
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "init") != 0) {
		fprintf(stderr, "kho pki: expected 'init' (see 'kho pki --help')\n");
		return EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "kho pki: unknown option '%s' (see 'kho pki --help')\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "kho pki: init takes exactly one directory (see 'kho pki --help')\n");
		return EXIT_USAGE;
	}
	dir = argv[optind];
	st = dir_state(dir);
	if (st < 0) {
		fprintf(stderr, "kho pki: %s: %s\n", dir, strerror(errno));
		return EXIT_IO;
	}
	if (st == 1 && !force) {
		fprintf(stderr, "kho pki: %s exists and is not empty (use --force to overwrite)\n", dir);
		return EXIT_USAGE;
	}
	rc = kho_mkdir_p(dir, 0755, &err);
	if (rc == 0)
		rc = make_pki(&p, kho_now(), &err);
	if (rc == 0)
		rc = write_pki(&p, dir, &err);
	pki_free(&p);
	if (rc != 0) {
		fprintf(stderr, "kho pki: %s\n", err.msg);
		return cmd_exit_status(rc);
	}
	return 0;
}
