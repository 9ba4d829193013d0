/*
 * cmd_inspect.c: `kho inspect`, what a package contains, without any trust
 * decision: its entries (name, size, compressed or not), the deviations the
 * reader noted, each manifest (its SigReference, references and digests),
 * a summary of each signature as it claims itself, and the record fields.
 * Nothing is written to disk. Exit 0, 1 if the container cannot be read, 4 if
 * standard output cannot be written.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "archive/manifest.h"
#include "archive/pkg.h"
#include "archive/record.h"
#include "common/utf8.h"
#include "common/util.h"
#include "tools/cmds.h"
#include "verify/cms.h"

static void help(FILE *f)
{
	fputs(
"NAME\n"
"    kho inspect - show what a package contains, without checking trust\n"
"\n"
"SYNOPSIS\n"
"    kho inspect PACKAGE\n"
"\n"
"DESCRIPTION\n"
"    Reads PACKAGE with the same safe reader as 'kho verify' (hostile ZIPs\n"
"    are refused) and prints: every entry with its size and whether it is\n"
"    compressed; the deviations from ETSI EN 319 162-1 the reader noted;\n"
"    each manifest with its SigReference and every reference with its\n"
"    digest algorithm and value; each signature's claimed signer, signing\n"
"    time and timestamps; and the fields of record.xml.\n"
"\n"
"    Nothing here is verified: digests are not compared, signatures are not\n"
"    checked, and the record is shown even if no signature covers it. Use\n"
"    'kho verify' for a verdict.\n"
"\n"
"EXIT STATUS\n"
"    0  the container was read\n"
"    1  the container is missing, unreadable or refused (reason on stderr)\n"
"    3  usage error\n"
"    4  the listing could not be written to standard output\n"
"\n"
"EXAMPLE\n"
"    kho inspect ketqua.asice\n", f);
}

/* Print text from the package with control characters replaced. */
/* Untrusted text to the terminal: no control (C0, C1), bidi or invalid byte. */
static void fput_clean(const char *s, FILE *f)
{
	char *c = s != NULL ? kho_text_clean(s, 0) : NULL;

	if (c != NULL)
		fputs(c, f);
	else if (s != NULL)
		fputs("?", f);
	free(c);
}

static void put(const char *s)
{
	fput_clean(s, stdout);
}

static void show_manifest(const pkg_entry *e)
{
	manifest *m = NULL;
	kho_err err = { 0, "" };
	size_t i;

	printf("\nManifest ");
	put(e->name);
	printf("\n");
	if (e->data == NULL && e->size > 0) {
		printf("  (too large to show)\n");
		return;
	}
	if (manifest_parse(&m, e->data ? (const void *)e->data : "", (size_t)e->size, &err) != 0) {
		printf("  unparsable: ");
		put(err.msg);
		printf("\n");
		return;
	}
	printf("  %s, SigReference ", m->is_archive ? "archive manifest" : "manifest");
	put(m->sig_uri);
	printf("\n");
	for (i = 0; i < m->nrefs; i++) {
		char *b64 = kho_base64_encode(m->refs[i].digest, m->refs[i].digest_len);
		printf("  reference ");
		put(m->refs[i].uri);
		printf("\n    digest ");
		put(m->refs[i].digest_alg);
		printf("\n    value  %s\n", b64 != NULL ? b64 : "?");
		free(b64);
	}
	manifest_free(m);
}

static void show_signature(const pkg_entry *e)
{
	vcms *v = NULL;
	kho_err err = { 0, "" };
	char t[32], *s;
	time_t st;
	int weak;

	printf("\nSignature ");
	put(e->name);
	printf(" (claims, not verified)\n");
	if (e->data == NULL || vcms_parse(&v, e->data, (size_t)e->size, &err) != 0) {
		printf("  unparsable: ");
		put(err.msg[0] ? err.msg : "too large");
		printf("\n");
		return;
	}
	if (v->signer != NULL) {
		s = vcms_name(X509_get_subject_name(v->signer));
		printf("  signer        ");
		put(s);
		printf("\n");
		free(s);
	} else {
		printf("  signer        (certificate not included)\n");
	}
	printf("  algorithms    %s with %s\n", vcms_digest_name(v, &weak), vcms_sig_name(v));
	if (vcms_signing_time(v, &st) == 0)
		printf("  signing time  %s\n", kho_time_format(t, sizeof t, st));
	{
		kho_buf tok[VCMS_MAX_TOKENS];
		size_t n = 0, i;
		const unsigned char *sv;
		size_t svlen;

		vcms_signature_value(v, &sv, &svlen);
		if (vcms_timestamp_tokens(v, tok, VCMS_MAX_TOKENS, &n, &err) == 0)
			for (i = 0; i < n; i++) {
				vcms_tst ts;
				vcms_timestamp_check(&ts, tok[i].data, tok[i].len, sv, svlen, NULL, v->certs,
				                     kho_now(), NULL);
				if (ts.have_gen_time)
					printf("  timestamp     %s by ", kho_time_format(t, sizeof t, ts.gen_time));
				else
					printf("  timestamp     (undecodable) by ");
				put(ts.tsa_subject ? ts.tsa_subject : "?");
				printf("\n");
				vcms_tst_clear(&ts);
			}
		for (i = 0; i < n; i++)
			kho_buf_free(&tok[i]);
	}
	printf("  certificates  %d, CRLs %d, OCSP responses %zu\n", sk_X509_num(v->certs),
	       sk_X509_CRL_num(v->crls), v->nocsp);
	vcms_free(v);
}

static void show_record(const pkg_entry *e)
{
	record *r = NULL;
	kho_err err = { 0, "" };
	size_t i;

	printf("\nRecord %s (not verified)\n", RECORD_ENTRY);
	if (e->data == NULL ||
	    record_parse(&r, e->data, (size_t)e->size, &err) != 0) {
		printf("  invalid: ");
		put(err.msg[0] ? err.msg : "too large");
		printf("\n");
		return;
	}
#define F(k, v) do { if ((v) != NULL) { printf("  %-21s ", k); put(v); printf("\n"); } } while (0)
	F("result code", r->result_code);
	F("dossier code", r->dossier_code);
	F("procedure", r->procedure_national);
	F("provincial procedure", r->procedure_provincial);
	F("agency code", r->agency_code);
	F("result type", r->result_type);
	F("number/symbol", r->number_symbol);
	F("subject kind", r->subject_kind);
	F("subject name", r->subject_name);
	F("title", r->title);
	F("issue date", r->issue_date);
	F("digitized on", r->digitized_on);
	F("signer", r->signer);
	F("valid from", r->valid_from);
	F("valid until", r->valid_until);
	F("language", r->language);
	F("supersedes", r->supersedes);
#undef F
	/* The personal identification number is personal data (domain.md):
	 * shown only as present. */
	if (r->subject_id != NULL)
		printf("  %-21s (present, not shown)\n", "subject id");
	for (i = 0; i < r->nothers; i++) {
		printf("  subject %-13zu %s, ", i + 2, r->others[i].kind);
		put(r->others[i].name);
		printf(", id (present, not shown)\n");
	}
	record_free(r);
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	pkg_limits lim;
	pkg *p = NULL;
	kho_err err = { 0, "" };
	size_t i;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			help(stdout);
			return 0;
		}
		fprintf(stderr, "kho inspect: unknown option '%s' (see 'kho inspect --help')\n",
		        argv[optind - 1]);
		return EXIT_USAGE;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "kho inspect: exactly one PACKAGE expected (see 'kho inspect --help')\n");
		return EXIT_USAGE;
	}
	pkg_limits_default(&lim);
	char real[PATH_MAX];
	if (pkg_read_file(&p, realpath(argv[optind], real) != NULL ? real : argv[optind], &lim,
	                  &err) != 0) {   /* a link named here is followed, as by verify */
		fprintf(stderr, "kho inspect: ");
		fput_clean(err.msg, stderr);
		fputc('\n', stderr);
		return 1;
	}
	printf("Container: %s, %zu entries\n", p->is_asice ? "ASiC-E" : p->is_asics ? "ASiC-S (by its mimetype)" : "ZIP (not ASiC-E)",
	       p->nentries);
	for (i = 0; i < p->nentries; i++) {
		printf("  %12llu  %-10s  ", (unsigned long long)p->entries[i].size,
		       p->entries[i].compressed ? "deflated" : "stored");
		put(p->entries[i].name);
		printf("\n");
	}
	if (p->ndeviations > 0) {
		printf("Deviations:\n");
		for (i = 0; i < p->ndeviations; i++) {
			printf("  ");
			put(p->deviations[i]);
			printf("\n");
		}
	}
	for (i = 0; i < p->nentries; i++) {
		const char *n = p->entries[i].name;
		size_t l = strlen(n);
		if (strncmp(n, "META-INF/", 9) == 0 && l > 4 && strcmp(n + l - 4, ".xml") == 0 &&
		    strstr(n, "anifest") != NULL)
			show_manifest(&p->entries[i]);
	}
	for (i = 0; i < p->nentries; i++) {
		const char *n = p->entries[i].name;
		size_t l = strlen(n);
		if (strncmp(n, "META-INF/", 9) == 0 && l > 4 && strcmp(n + l - 4, ".p7s") == 0)
			show_signature(&p->entries[i]);
	}
	if (pkg_find(p, RECORD_ENTRY) != NULL)
		show_record(pkg_find(p, RECORD_ENTRY));
	pkg_free(p);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "kho inspect: cannot write to standard output\n");
		return EXIT_IO;
	}
	return 0;
}
