/*
 * cmd_fsck.c: `kho fsck`: the archive's integrity check, catalog against
 * store: every package is decrypted, re-hashed against its id and (with
 * trust anchors) re-verified; every store file must be known to the catalog.
 * A progress bar on a terminal, a summary, a non-zero exit on any problem.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/config.h"
#include "archive/ingest.h"
#include "archive/keystore.h"
#include "archive/catalog.h"
#include "archive/token.h"
#include "retention/rstore.h"
#include "common/util.h"
#include "tools/cmds.h"

/* The longest --grace: an ingest in flight takes seconds; a week is plenty. */
#define FSCK_GRACE_MAX (7 * 86400)

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kho fsck --data DIR [--keys DIR] [--trust PEM]... [--crl PEM]... [--config FILE]\n"
"                [--no-verify] [--rate BYTES/S] [--grace SECONDS]\n"
"\n"
"Check the archive: for each package of the catalog, its encrypted file exists,\n"
"decrypts under its key, passes its AES-GCM tag and hashes to its id; with\n"
"trust anchors it is also re-validated now (signature, timestamp, chain). Every\n"
"file of the store must be known to the catalog (orphans and strays are errors).\n"
"The destruction certificate of every executed disposition batch (a permanent\n"
"record kept in the store) must be there and read back intact. Every package\n"
"the audit trail says was acknowledged (its ingest or renew event) must be in\n"
"the catalog or under the tombstone of a destruction. Every token must be as\n"
"the audit events that added and revoked it say (role, agency, hash). Every\n"
"result's validity decisions (status, decision reference, effective day, the\n"
"result superseding it) must be the ones its audit events recorded.\n"
"\n"
"  --data DIR        the daemon's data directory (it may keep running); it must\n"
"                    hold catalog.db, keys/master.key and keys/subject.key:\n"
"                    fsck creates nothing\n"
"  --keys DIR        the package key store (default DATA.keys), which must exist;\n"
"                    a package whose key file is missing there is a problem\n"
"  --trust PEM       trust anchors (else from --config; without any, packages are\n"
"                    re-hashed but not re-validated, and the summary says so)\n"
"  --crl PEM         CRLs for validation\n"
"  --config FILE     the daemon's config (keys, trust)\n"
"  --no-verify       re-hash only\n"
"  --rate BYTES/S    read at most this many bytes per second (default unlimited)\n"
"  --grace SECONDS   ignore store files younger than this (an ingest in flight\n"
"                    between its store write and catalog commit); 0..604800,\n"
"                    default 0\n"
"\n"
"Exit status: 0 clean, 1 problems found (orphan, missing, corrupt or failing\n"
"package or certificate, missing key, a catalogued result that differs from its\n"
"package's record.xml, an acknowledged package gone without a destruction, a\n"
"validity decision or token that differs from the audit trail), 3 usage, 4 the\n"
"archive cannot be opened (not a data directory, a missing key file or key\n"
"store).\n");
}

/* Tokens that differ from their audit events (token_trail_check). */
struct token_findings {
	int64_t n;
	size_t unhashed;
	char first[300];
};

static int token_bad(const char *name, const char *why, void *arg)
{
	struct token_findings *t = arg;

	if (t->n++ == 0)
		snprintf(t->first, sizeof t->first, "token %.64s: %s", name, why);
	return 0;
}

/* Pending key files (keystore.h) of packages the catalog does not hold:
 * leftovers of ingests a crash stopped before their commit (or ingests in
 * progress). Not a problem: a note. A committed package's pending key is
 * its key (keystore_has finds it: not missing). */
struct pending_findings {
	catalog *cat;
	int64_t n;
};

static int pending_unknown(const char *id, void *arg)
{
	struct pending_findings *p = arg;

	if (catalog_get_package(p->cat, id, NULL, NULL) == KHO_ENOTFOUND)
		p->n++;
	return 0;
}

/* Results whose validity decisions differ from the audit trail
 * (catalog_status_trail_check): each listed, the first kept. */
struct status_findings {
	int64_t n, checked;
	char first[300];
};

static void list_problem(const char *id, const char *why, void *arg);

static int status_bad(const char *code, const char *why, void *arg)
{
	struct status_findings *f = arg;

	if (f->n++ == 0)
		snprintf(f->first, sizeof f->first, "%.96s: %.190s", code, why);
	list_problem(code, why, NULL);
	return 0;
}

/* Each problem of the packages and the store as found, on stdout before
 * the summary (the summary names only the first); at most 1,000, then a
 * count. */
static long listed;

static void list_problem(const char *id, const char *why, void *arg)
{
	(void)arg;
	if (isatty(2))
		fputs("\r\033[K", stderr);   /* the progress bar's line */
	if (listed++ < 1000)
		printf("problem:  %s: %s\n", id, why);
	else if (listed == 1001)
		printf("problem:  ... (more: see the counts below)\n");
}

static void progress(int64_t done, int64_t total, void *arg)
{
	int width = 40, fill;

	(void)arg;
	if (total <= 0)
		return;
	fill = (int)(done * width / total);
	fprintf(stderr, "\r[%.*s%*s] %lld/%lld", fill, "########################################",
	        width - fill, "", (long long)done, (long long)total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

int cmd_fsck(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "keys", required_argument, NULL, 'k' },
		{ "trust", required_argument, NULL, 't' },
		{ "crl", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "no-verify", no_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'R' },
		{ "grace", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *cfgfile = NULL;
	unsigned long long rate = 0;
	uint64_t num = 0;
	unsigned grace = 0;
	int o, noverify = 0, ret;
	fixity_summary sum;
	rstore_cert_check cc;
	struct token_findings tk;
	struct status_findings sf;
	struct pending_findings pk = { NULL, 0 };
	rstore *rs = NULL;
	int64_t problems;
	ingest_ctx *ic = NULL;
	kho_err err;
	config cfg;

	config_defaults(&cfg);
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': data = optarg; break;
		case 'k': config_set_str(&cfg.keys, optarg); break;
		case 't': config_add_str(&cfg.trust, &cfg.ntrust, optarg); break;
		case 'r': config_add_str(&cfg.crls, &cfg.ncrls, optarg); break;
		case 'c': cfgfile = optarg; break;
		case 'n': noverify = 1; break;
		case 'R':
			/* Digits only: strtoull took "abc" for 0 (unlimited). */
			if (kho_parse_uint(&num, optarg, 0, UINT64_MAX) != 0) {
				fprintf(stderr, "kho fsck: --rate must be a number of bytes per second"
				        " (0 unlimited), not '%s'\n", optarg);
				config_free(&cfg);
				return EXIT_USAGE;
			}
			rate = num;
			break;
		case 'g':
			/* atoi took "-1" and wrapped it to 4294967295 s, which hid every orphan. */
			if (kho_parse_uint(&num, optarg, 0, FSCK_GRACE_MAX) != 0) {
				fprintf(stderr, "kho fsck: --grace must be a number of seconds 0..%d, not '%s'\n",
				        FSCK_GRACE_MAX, optarg);
				config_free(&cfg);
				return EXIT_USAGE;
			}
			grace = (unsigned)num;
			break;
		case 'h': usage(stdout); config_free(&cfg); return 0;
		default: usage(stderr); config_free(&cfg); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kho fsck: unexpected argument '%s'\n\n", argv[optind]);
		usage(stderr);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (cfgfile != NULL) {
		config file;
		size_t i;
		config_defaults(&file);
		if (config_load(&file, cfgfile, &err) != 0) {
			fprintf(stderr, "kho fsck: %s\n", err.msg);
			config_free(&file);
			config_free(&cfg);
			return EXIT_USAGE;
		}
		/* Flags win; take keys, data and (absent flags) trust from the file. */
		config_set_str(&cfg.master_key_file, file.master_key_file);
		config_set_str(&cfg.subject_key_file, file.subject_key_file);
		if (cfg.keys == NULL && file.keys != NULL)
			config_set_str(&cfg.keys, file.keys);
		if (data == NULL && file.data != NULL)
			config_set_str(&cfg.data, file.data);
		if (cfg.ntrust == 0)
			for (i = 0; i < file.ntrust; i++)
				config_add_str(&cfg.trust, &cfg.ntrust, file.trust[i]);
		if (cfg.ncrls == 0)
			for (i = 0; i < file.ncrls; i++)
				config_add_str(&cfg.crls, &cfg.ncrls, file.crls[i]);
		for (i = 0; i < file.naccept; i++)
			config_add_str(&cfg.accept_indeterminate, &cfg.naccept, file.accept_indeterminate[i]);
		config_free(&file);
	}
	if (data == NULL)
		data = cfg.data;
	if (data == NULL) {
		fprintf(stderr, "kho fsck: --data DIR is required\n");
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (access(data, F_OK) != 0) {
		fprintf(stderr, "kho fsck: %s: no such directory\n", data);
		config_free(&cfg);
		return EXIT_IO;
	}
	/* Never create: a mistyped --data or --keys, or a lost key file, must
	 * not become a new empty archive or a new key ("fsck: clean"). */
	if (ingest_open_existing(&ic, &cfg, data, 0, &err) != 0) {
		fprintf(stderr, "kho fsck: %s\n", err.msg);
		config_free(&cfg);
		return EXIT_IO;
	}
	if (ingest_fixity(ic, NULL, !noverify, rate, grace, isatty(2) ? progress : NULL, list_problem,
	                  NULL, &sum,
	                  &err) != 0) {
		fprintf(stderr, "kho fsck: %s\n", err.msg);
		ingest_close(ic);
		config_free(&cfg);
		return EXIT_IO;
	}
	printf("packages: %lld checked, %lld ok, %lld missing, %lld corrupt, %lld failing validation\n"
	       "store:    %lld orphan files, %lld stray files; %llu bytes read\n"
	       "keys:     %lld missing from the key store %s\n"
	       "catalog:  %lld records that differ from their package's record.xml\n",
	       (long long)sum.packages, (long long)sum.ok, (long long)sum.missing,
	       (long long)sum.corrupt, (long long)sum.failed, (long long)sum.orphans,
	       (long long)sum.strays, (unsigned long long)sum.bytes, (long long)sum.missing_keys,
	       keystore_dir(ic->ks), (long long)sum.mismatched);
	/* Issue 4 item 7: destruction certificates are permanent records; each
	 * is also a package above, and here it is read back by its batch. */
	memset(&cc, 0, sizeof cc);
	if (rstore_open(&rs, data, keystore_dir(ic->ks), cfg.master_key_file, &err) != 0 ||
	    rstore_certificates_check(rs, &cc, &err) != 0) {
		fprintf(stderr, "kho fsck: destruction certificates: %s\n", err.msg);
		rstore_close(rs);
		ingest_close(ic);
		config_free(&cfg);
		return EXIT_IO;
	}
	rstore_close(rs);
	memset(&tk, 0, sizeof tk);
	if (token_trail_check(ic->cat, token_bad, &tk, &tk.unhashed, &err) != 0) {
		fprintf(stderr, "kho fsck: tokens: %s\n", err.msg);
		ingest_close(ic);
		config_free(&cfg);
		return EXIT_IO;
	}
	memset(&sf, 0, sizeof sf);
	if (catalog_status_trail_check(ic->cat, status_bad, &sf, &sf.checked, &err) != 0) {
		fprintf(stderr, "kho fsck: validity decisions: %s\n", err.msg);
		ingest_close(ic);
		config_free(&cfg);
		return EXIT_IO;
	}
	printf("certificates: %lld checked, %lld ok, %lld missing, %lld corrupt"
	       " (%lld not yet moved into the store)\n"
	       "tombstones: %lld inconsistent with the catalog\n"
	       "trail:    %lld packages acknowledged but neither in the catalog nor destroyed\n",
	       (long long)cc.checked, (long long)cc.ok, (long long)cc.missing,
	       (long long)cc.corrupt, (long long)cc.not_in_store, (long long)cc.tombstones_bad,
	       (long long)cc.lost);
	printf("tokens:   %lld that differ from the audit events that added or revoked them\n"
	       "status:   %lld of %lld results whose validity decisions differ from the audit"
	       " trail\n", (long long)tk.n, (long long)sf.n, (long long)sf.checked);
	pk.cat = ic->cat;
	if (keystore_each_pending(ic->ks, pending_unknown, &pk, &err) == 0 && pk.n > 0)
		printf("note:     %lld pending key files (KEYS/ab/<id>.key.pending) of packages not in"
		       " the catalog: ingests stopped before their commit (never acknowledged), or in"
		       " progress; the daemon's next start shreds each with the store file it removes"
		       " (one whose store file was lost stays, used only if the same package is sent"
		       " again)\n", (long long)pk.n);
	if (tk.unhashed > 0)
		printf("note:     %zu active tokens were added before their hash was recorded in the"
		       " audit trail (before 2026-12-07): a hash swapped in the catalog cannot be seen for"
		       " them; add new tokens and revoke these\n", tk.unhashed);
	if (noverify || ic->anchors == NULL)
		printf("note:     %s: packages were re-hashed, not re-validated, and no catalog record"
		       " was compared with its package's record.xml\n",
		       noverify ? "--no-verify" : "no trust anchors given");
	problems = fixity_problems(&sum) + cc.missing + cc.corrupt + cc.tombstones_bad + cc.lost +
	           tk.n + sf.n;
	if (problems > 0) {
		printf("first problem: %s\nfsck: PROBLEMS FOUND (%lld)\n",
		       fixity_problems(&sum) > 0 ? sum.first_problem
		       : cc.first_problem[0] != '\0' ? cc.first_problem
		       : tk.n > 0 ? tk.first : sf.first,
		       (long long)problems);
		ret = 1;
	} else {
		printf("fsck: clean\n");
		ret = 0;
	}
	ingest_close(ic);
	config_free(&cfg);
	return ret;
}
