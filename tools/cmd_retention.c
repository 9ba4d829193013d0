/*
 * cmd_retention.c: `kho retention ...`: retention schedules, classification,
 * trigger events, holds, reviews, sweeps, reports and disposition batches,
 * working directly on a data directory (retention/rstore.h). The daemon may
 * be running: SQLite's locking and busy timeouts serialise the writers.
 *
 * The acting records manager is named by --actor (default "cli"); the
 * daemon names it by its bearer token. Dates default to today (kho_now(),
 * which honours KHO_NOW) and can be given with --at YYYY-MM-DD, except that
 * the irreversible steps (batch approve, execute, export, ack) refuse an
 * --at later than today: a simulation moves the clock with KHO_NOW, on a
 * copy of the data. Each subcommand takes only its own options and
 * arguments (anything else is a usage error, exit 3).
 */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "common/util.h"
#include "retention/api.h"
#include "retention/rstore.h"
#include "tools/cmds.h"
#include "tools/pem.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kho retention SUBCOMMAND --data DIR [OPTIONS]\n"
"\n"
"  load FILE [--confirm-shorten] [--new-identifier]\n"
"                                  publish a schedule version (refused with its line\n"
"                                  number if malformed); reclassifies records; a\n"
"                                  shortened period is applied to records already\n"
"                                  classified only with --confirm-shorten; a schedule\n"
"                                  whose identifier is not the one the archive follows\n"
"                                  only with --new-identifier\n"
"  classify [--keep-unclassified]  classify every record without a class (default:\n"
"                                  a record no class applies to is refused, exit 5)\n"
"  event CODE --kind K --date D [--name N]\n"
"                                  K: dossier-closed, subject-ceased, external-event\n"
"  hold --scope S --target T --reason R --authority A\n"
"                                  S: record, subject, procedure, query; prints the id\n"
"  release ID --reason R           release a hold\n"
"  holds                           list holds (JSON)\n"
"  eval CODE                       the record's eligibility and why\n"
"  review CODE --outcome destroy|keep-years|keep-permanent [--years N]\n"
"         --decision REF --date D  record a review decision\n"
"  sweep [--dry-run]               evaluate every record; CSV of the records that\n"
"                                  are due, held, still valid or review-due\n"
"  report [--format json|csv]      due in 12 months by class, overdue, held, ...\n"
"  batch propose [--kind destroy|transfer] [--result CODE]...\n"
"                                  propose a batch of every eligible record, or of\n"
"                                  the selected ones (each must be eligible); a\n"
"                                  record already in an open batch (proposed,\n"
"                                  approved within its deadline, exported and not\n"
"                                  acknowledged) is left out, or refuses a selection\n"
"  batch approve ID --decision REF --decision-date D [--deadline-days N]\n"
"  batch reject ID --reason TEXT [--decision REF]\n"
"                                  refuse a proposed or approved batch before its\n"
"                                  execution or export: its items are dropped with\n"
"                                  the reason and can be proposed again\n"
"  batch execute ID --key PEM --cert PEM --tsa-key PEM --tsa-cert PEM\n"
"         --agency CODE --enterprise-code CODE [--crl PEM]\n"
"                                  destroy the approved batch's records and seal its\n"
"                                  certificate with this key and TSA; refused, before\n"
"                                  anything is destroyed, if one of their certificates\n"
"                                  is expired or not yet valid now\n"
"  batch show ID\n"
"  batch certificate ID -o FILE.asice\n"
"                                  the sealed destruction certificate of an executed\n"
"                                  batch, read back from the store (kho verify checks it)\n"
"  batch export ID --bag FILE.tar [--source-org S]\n"
"                                  write an approved transfer batch as a BagIt bag\n"
"  batch ack ID --receipt REF --custody WHERE\n"
"                                  record the historical archive's acknowledgment\n"
"  where CODE                      where a record is (here, transferred, destroyed)\n"
"  tombstone CODE                  the statement left by a destroyed record\n"
"\n"
"Common options: --data DIR (required), --keys DIR (key store, default DIR.keys),\n"
"--master-key FILE (the daemon's master_key_file, default DIR/keys/master.key),\n"
"--actor NAME (the records manager acting, default 'cli'; commands that change\n"
"something; not authenticated: whoever can write DIR is trusted to name himself,\n"
"and approval only refuses the proposer's name, in any case; through the daemon\n"
"the actor is the token's name), --at YYYY-MM-DD (the day, default today; KHO_NOW is honoured;\n"
"commands that use a day). batch approve, execute, export and ack refuse an --at\n"
"later than today (Vietnam's date): to simulate a later day, set KHO_NOW on a copy\n"
"of the data. An option or argument a subcommand does not take is refused.\n"
"\n"
"Exit status: 0 done, 3 usage, 4 the data directory cannot be read, 5 refused\n"
"(the message says why: not found, not allowed, conflict, malformed).\n");
}

struct opts {
	const char *data, *keys, *master_key, *actor, *at, *kind, *date, *name, *scope, *target, *reason,
	    *authority, *outcome, *decision, *decision_date, *format, *key, *cert, *tsa_key,
	    *tsa_cert, *agency, *enterprise, *crl, *bag, *receipt, *custody, *source_org, *out;
	const char *results[1000];
	size_t nresults;
	const char *years_s, *deadline_s;
	int years, deadline_days, dry_run, confirm_shorten, new_identifier, keep_unclassified;
};

/* Option bits (1 << (O_x - O_BASE)), to check what each subcommand takes. */
enum { O_BASE = 256, O_DATA = O_BASE, O_KEYS, O_ACTOR, O_AT, O_KIND, O_DATE, O_NAME, O_SCOPE,
       O_TARGET, O_REASON, O_AUTHORITY, O_OUTCOME, O_DECISION, O_DECISION_DATE, O_FORMAT, O_KEY,
       O_CERT, O_TSA_KEY, O_TSA_CERT, O_AGENCY, O_ENTERPRISE, O_CRL, O_YEARS, O_DEADLINE, O_DRY,
       O_CONFIRM, O_NEWID, O_KEEPU, O_BAG, O_RECEIPT, O_CUSTODY, O_SOURCE, O_OUT, O_MASTER, O_RESULT };
#define B(o) (UINT64_C(1) << ((o) - O_BASE))
#define COMMON (B(O_DATA) | B(O_KEYS) | B(O_MASTER))
#define WRITE (B(O_ACTOR) | B(O_AT))   /* a change on a day, by someone */

/*
 * What each subcommand takes: its options beyond COMMON, its one positional
 * argument (NULL: none), and whether it is an irreversible step that
 * refuses an --at later than today (docs/retention.md: an execution is
 * dated today, never before its approval; an approval starts the execution
 * deadline of Circular 06/2025, so a future one would stretch it).
 */
struct subcmd {
	const char *name;         /* "load", or "batch approve" */
	uint64_t opts;
	const char *arg;          /* "CODE", "ID", "FILE" or NULL */
	int no_future;
};

static const struct subcmd subcmds[] = {
	{ "load", WRITE | B(O_CONFIRM) | B(O_NEWID), "FILE", 0 },
	{ "classify", B(O_ACTOR) | B(O_KEEPU), NULL, 0 },
	{ "event", B(O_ACTOR) | B(O_KIND) | B(O_DATE) | B(O_NAME), "CODE", 0 },
	{ "hold", WRITE | B(O_SCOPE) | B(O_TARGET) | B(O_REASON) | B(O_AUTHORITY), NULL, 0 },
	{ "release", WRITE | B(O_REASON), "ID", 0 },
	{ "holds", 0, NULL, 0 },
	{ "eval", B(O_AT), "CODE", 0 },
	{ "review", B(O_ACTOR) | B(O_OUTCOME) | B(O_YEARS) | B(O_DECISION) | B(O_DATE), "CODE", 0 },
	{ "sweep", WRITE | B(O_DRY), NULL, 0 },
	{ "report", B(O_AT) | B(O_FORMAT), NULL, 0 },
	{ "where", 0, "CODE", 0 },
	{ "tombstone", 0, "CODE", 0 },
	{ "batch propose", WRITE | B(O_KIND) | B(O_RESULT), NULL, 0 },
	{ "batch approve", WRITE | B(O_DECISION) | B(O_DECISION_DATE) | B(O_DEADLINE), "ID", 1 },
	{ "batch reject", WRITE | B(O_REASON) | B(O_DECISION), "ID", 0 },
	{ "batch execute", WRITE | B(O_KEY) | B(O_CERT) | B(O_TSA_KEY) | B(O_TSA_CERT) |
	                       B(O_AGENCY) | B(O_ENTERPRISE) | B(O_CRL), "ID", 1 },
	{ "batch show", 0, "ID", 0 },
	{ "batch certificate", B(O_OUT), "ID", 0 },
	{ "batch export", WRITE | B(O_BAG) | B(O_SOURCE), "ID", 1 },
	{ "batch ack", WRITE | B(O_RECEIPT) | B(O_CUSTODY), "ID", 1 },
};

static int parse_day(int32_t *out, const char *s, const char *what)
{
	if (due_parse(out, s) != 0) {
		fprintf(stderr, "kho retention: %s '%s' is not a date YYYY-MM-DD\n", what, s);
		return -1;
	}
	return 0;
}

/* parse_int: the whole of s as a decimal integer in lo..hi, or a usage
 * error naming the option. */
static int parse_int(int *out, const char *s, const char *what, long lo, long hi)
{
	uint64_t v;

	if (kho_parse_uint(&v, s, (uint64_t)lo, (uint64_t)hi) != 0) {
		fprintf(stderr, "kho retention: %s '%s' is not an integer %ld..%ld\n", what, s, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* one_of: s is one of the NULL-terminated words, or a usage error. */
static int one_of(const char *s, const char *what, const char *const *words, const char *list)
{
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(s, words[i]) == 0)
			return 0;
	fprintf(stderr, "kho retention: %s '%s': must be %s\n", what, s, list);
	return -1;
}

static int fail(kho_err *err, int rc)
{
	fprintf(stderr, "kho retention: %s\n", err->msg[0] ? err->msg : kho_strerror(rc));
	return rc == KHO_EIO ? EXIT_IO : EXIT_FAIL;
}

static void print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (s != NULL) {
		puts(s);
		free(s);
	}
}

static int execute(rstore *r, int64_t id, int32_t on, const struct opts *o)
{
	EVP_PKEY *key = NULL, *tkey = NULL;
	STACK_OF(X509) *certs = NULL, *tcerts = NULL, *chain = NULL, *tchain = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	rstore_signer sg;
	json_t *rep = NULL;
	kho_err err = { 0, "" };
	tsa *t = NULL;
	int rc, status = 0, i;

	if (o->key == NULL || o->cert == NULL || o->tsa_key == NULL || o->tsa_cert == NULL ||
	    o->agency == NULL || o->enterprise == NULL) {
		fprintf(stderr, "kho retention: batch execute needs --key, --cert, --tsa-key,"
		                " --tsa-cert, --agency and --enterprise-code (the archive's seal)\n");
		return EXIT_USAGE;
	}
	if ((rc = pem_load_key(&key, o->key, &err)) != 0 ||
	    (rc = pem_load_certs(&certs, o->cert, &err)) != 0 ||
	    (rc = pem_load_key(&tkey, o->tsa_key, &err)) != 0 ||
	    (rc = pem_load_certs(&tcerts, o->tsa_cert, &err)) != 0 ||
	    (o->crl != NULL && (rc = pem_load_crls(&crls, o->crl, &err)) != 0)) {
		status = fail(&err, rc);
		goto out;
	}
	chain = sk_X509_new_null();
	tchain = sk_X509_new_null();
	if (chain == NULL || tchain == NULL) {
		status = EXIT_FAIL;
		goto out;
	}
	for (i = 1; i < sk_X509_num(certs); i++)
		sk_X509_push(chain, sk_X509_value(certs, i));
	for (i = 1; i < sk_X509_num(tcerts); i++)
		sk_X509_push(tchain, sk_X509_value(tcerts, i));
	if ((rc = tsa_new_local(&t, tkey, sk_X509_value(tcerts, 0), tchain, NULL, &err)) != 0) {
		status = fail(&err, rc);
		goto out;
	}
	memset(&sg, 0, sizeof sg);
	sg.key = key;
	sg.cert = sk_X509_value(certs, 0);
	sg.chain = chain;
	sg.tsa = t;
	sg.tsa_chain = tcerts;
	sg.crls = crls;
	sg.agency = o->agency;
	sg.enterprise_code = o->enterprise;
	if ((rc = rstore_batch_execute(r, id, o->actor, on, &sg, &rep, &err)) != 0) {
		status = fail(&err, rc);
		goto out;
	}
	print_json(rep);
out:
	json_decref(rep);
	tsa_free(t);
	EVP_PKEY_free(key);
	EVP_PKEY_free(tkey);
	sk_X509_free(chain);
	sk_X509_free(tchain);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(tcerts, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return status;
}

static int load(rstore *r, const char *path, int32_t on, const struct opts *o)
{
	kho_err err = { 0, "" };
	json_t *rep = NULL;
	kho_buf b;
	int rc;

	kho_buf_init(&b, SCHEDULE_MAX_SIZE + 1);
	if ((rc = kho_read_file(&b, path, &err)) != 0) {
		kho_buf_free(&b);
		if (rc == KHO_ETOOBIG)
			fprintf(stderr, "kho retention: %s: larger than %u bytes\n", path,
			        SCHEDULE_MAX_SIZE);
		else
			fprintf(stderr, "kho retention: %s\n", err.msg);
		return rc == KHO_ETOOBIG ? EXIT_FAIL : EXIT_IO;
	}
	rc = rstore_publish(r, b.data ? b.data : (unsigned char *)"", b.len, o->actor, on,
	                    (o->confirm_shorten ? RSTORE_CONFIRM_SHORTEN : 0) |
	                    (o->new_identifier ? RSTORE_NEW_IDENTIFIER : 0), &rep, &err);
	kho_buf_free(&b);
	if (rc != 0) {
		fprintf(stderr, "kho retention: %s: %s\n", path, err.msg);
		return rc == KHO_EIO ? EXIT_IO : EXIT_FAIL;
	}
	print_json(rep);
	json_decref(rep);
	return 0;
}

int cmd_retention(int argc, char **argv)
{
	static const char *const scopes[] = { "record", "subject", "procedure", "query", NULL };
	static const char *const kinds[] = { "dossier-closed", "subject-ceased", "external-event",
	                                     NULL };
	static const char *const bkinds[] = { "destroy", "transfer", NULL };
	static const char *const outcomes[] = { "destroy", "keep-years", "keep-permanent", NULL };
	static const char *const formats[] = { "json", "csv", NULL };
	static const struct option lo[] = {
		{ "data", required_argument, NULL, O_DATA },
		{ "keys", required_argument, NULL, O_KEYS },
		{ "master-key", required_argument, NULL, O_MASTER },
		{ "result", required_argument, NULL, O_RESULT },
		{ "actor", required_argument, NULL, O_ACTOR },
		{ "at", required_argument, NULL, O_AT },
		{ "kind", required_argument, NULL, O_KIND },
		{ "date", required_argument, NULL, O_DATE },
		{ "name", required_argument, NULL, O_NAME },
		{ "scope", required_argument, NULL, O_SCOPE },
		{ "target", required_argument, NULL, O_TARGET },
		{ "reason", required_argument, NULL, O_REASON },
		{ "authority", required_argument, NULL, O_AUTHORITY },
		{ "outcome", required_argument, NULL, O_OUTCOME },
		{ "decision", required_argument, NULL, O_DECISION },
		{ "decision-date", required_argument, NULL, O_DECISION_DATE },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "key", required_argument, NULL, O_KEY },
		{ "cert", required_argument, NULL, O_CERT },
		{ "tsa-key", required_argument, NULL, O_TSA_KEY },
		{ "tsa-cert", required_argument, NULL, O_TSA_CERT },
		{ "agency", required_argument, NULL, O_AGENCY },
		{ "enterprise-code", required_argument, NULL, O_ENTERPRISE },
		{ "crl", required_argument, NULL, O_CRL },
		{ "years", required_argument, NULL, O_YEARS },
		{ "deadline-days", required_argument, NULL, O_DEADLINE },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "confirm-shorten", no_argument, NULL, O_CONFIRM },
		{ "new-identifier", no_argument, NULL, O_NEWID },
		{ "keep-unclassified", no_argument, NULL, O_KEEPU },
		{ "bag", required_argument, NULL, O_BAG },
		{ "receipt", required_argument, NULL, O_RECEIPT },
		{ "custody", required_argument, NULL, O_CUSTODY },
		{ "source-org", required_argument, NULL, O_SOURCE },
		{ "out", required_argument, NULL, O_OUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o;
	const char *sub, *sub2 = NULL, *arg = NULL;
	const struct subcmd *sc = NULL;
	char **pos = NULL, full[64], catdb[PATH_MAX];
	int npos = 0, c, status = 0, rc;
	uint64_t seen = 0;
	size_t k;
	struct stat sb;
	int32_t on, today;
	kho_err err = { 0, "" };
	rstore *r = NULL;
	json_t *j = NULL;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	memset(&o, 0, sizeof o);
	o.actor = "cli";
	sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", lo, NULL)) != -1) {
		if (c == 'o')
			c = O_OUT;
		if (c >= O_BASE && c <= O_RESULT)
			seen |= B(c);
		switch (c) {
		case O_DATA: o.data = optarg; break;
		case O_KEYS: o.keys = optarg; break;
		case O_MASTER: o.master_key = optarg; break;
		case O_RESULT:
			if (o.nresults == sizeof o.results / sizeof o.results[0]) {
				fprintf(stderr, "kho retention: at most 1000 --result\n");
				return EXIT_USAGE;
			}
			o.results[o.nresults++] = optarg;
			break;
		case O_ACTOR: o.actor = optarg; break;
		case O_AT: o.at = optarg; break;
		case O_KIND: o.kind = optarg; break;
		case O_DATE: o.date = optarg; break;
		case O_NAME: o.name = optarg; break;
		case O_SCOPE: o.scope = optarg; break;
		case O_TARGET: o.target = optarg; break;
		case O_REASON: o.reason = optarg; break;
		case O_AUTHORITY: o.authority = optarg; break;
		case O_OUTCOME: o.outcome = optarg; break;
		case O_DECISION: o.decision = optarg; break;
		case O_DECISION_DATE: o.decision_date = optarg; break;
		case O_FORMAT: o.format = optarg; break;
		case O_KEY: o.key = optarg; break;
		case O_CERT: o.cert = optarg; break;
		case O_TSA_KEY: o.tsa_key = optarg; break;
		case O_TSA_CERT: o.tsa_cert = optarg; break;
		case O_AGENCY: o.agency = optarg; break;
		case O_ENTERPRISE: o.enterprise = optarg; break;
		case O_CRL: o.crl = optarg; break;
		case O_YEARS: o.years_s = optarg; break;
		case O_DEADLINE: o.deadline_s = optarg; break;
		case O_DRY: o.dry_run = 1; break;
		case O_CONFIRM: o.confirm_shorten = 1; break;
		case O_NEWID: o.new_identifier = 1; break;
		case O_KEEPU: o.keep_unclassified = 1; break;
		case O_BAG: o.bag = optarg; break;
		case O_RECEIPT: o.receipt = optarg; break;
		case O_CUSTODY: o.custody = optarg; break;
		case O_SOURCE: o.source_org = optarg; break;
		case O_OUT: o.out = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "kho retention: unknown or incomplete option '%s'\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	pos = argv + optind;
	npos = argc - optind;
	if (strcmp(sub, "batch") == 0) {
		if (npos < 1) {
			fprintf(stderr, "kho retention: batch propose|approve|reject|execute|show|"
			                "certificate|export|ack\n");
			return EXIT_USAGE;
		}
		sub2 = pos[0];
		pos++;
		npos--;
	}
	snprintf(full, sizeof full, "%s%s%.40s", sub, sub2 ? " " : "", sub2 ? sub2 : "");
	for (k = 0; k < sizeof subcmds / sizeof subcmds[0]; k++)
		if (strcmp(subcmds[k].name, full) == 0)
			sc = &subcmds[k];
	if (sc == NULL) {
		fprintf(stderr, "kho retention: unknown subcommand '%s' (see 'kho retention --help')\n",
		        full);
		return EXIT_USAGE;
	}
	/* Only the options and arguments this subcommand takes: one it ignored
	 * (a --dry-run on execute) would do something else than asked. */
	if ((seen & ~(sc->opts | COMMON)) != 0) {
		for (k = 0; lo[k].name != NULL; k++)
			if (lo[k].val >= O_BASE && (seen & ~(sc->opts | COMMON) & B(lo[k].val)) != 0)
				break;
		fprintf(stderr, "kho retention: %s does not take --%s\n", full,
		        lo[k].name ? lo[k].name : "?");
		return EXIT_USAGE;
	}
	if (sc->arg != NULL && npos == 0) {
		fprintf(stderr, "kho retention: %s needs %s\n", full, sc->arg);
		return EXIT_USAGE;
	}
	if (npos > (sc->arg != NULL ? 1 : 0)) {
		fprintf(stderr, "kho retention: %s: unexpected argument '%s'\n", full,
		        pos[sc->arg != NULL ? 1 : 0]);
		return EXIT_USAGE;
	}
	arg = npos == 1 ? pos[0] : NULL;
	if (o.data == NULL) {
		fprintf(stderr, "kho retention: --data DIR is required (see 'kho retention --help')\n");
		return EXIT_USAGE;
	}
	/* Values checked before anything is opened: a usage error is exit 3. */
	if ((o.years_s != NULL && parse_int(&o.years, o.years_s, "--years", 1, SCHEDULE_MAX_YEARS) != 0) ||
	    (o.deadline_s != NULL &&
	     parse_int(&o.deadline_days, o.deadline_s, "--deadline-days", 1, 15) != 0) ||
	    (o.scope != NULL && one_of(o.scope, "--scope", scopes,
	                                "record, subject, procedure or query") != 0) ||
	    (o.kind != NULL && sub2 == NULL &&
	     one_of(o.kind, "--kind", kinds, "dossier-closed, subject-ceased or external-event") != 0) ||
	    (o.kind != NULL && sub2 != NULL &&
	     one_of(o.kind, "--kind", bkinds, "destroy or transfer") != 0) ||
	    (o.outcome != NULL && one_of(o.outcome, "--outcome", outcomes,
	                                  "destroy, keep-years or keep-permanent") != 0) ||
	    (o.format != NULL && one_of(o.format, "--format", formats, "json or csv") != 0))
		return EXIT_USAGE;
	if (strcmp(full, "hold") == 0 &&
	    (o.scope == NULL || o.target == NULL || o.reason == NULL || o.authority == NULL)) {
		fprintf(stderr, "kho retention: hold --scope S --target T --reason R --authority A"
		                " (all four are required)\n");
		return EXIT_USAGE;
	}
	if (strcmp(full, "review") == 0 && o.outcome != NULL &&
	    (strcmp(o.outcome, "keep-years") == 0) != (o.years_s != NULL)) {
		fprintf(stderr, "kho retention: review: --years goes with --outcome keep-years, and"
		                " only with it\n");
		return EXIT_USAGE;
	}
	if (strcmp(full, "event") == 0 && o.kind != NULL &&
	    (strcmp(o.kind, "external-event") == 0) != (o.name != NULL)) {
		fprintf(stderr, "kho retention: event: --name goes with --kind external-event, and"
		                " only with it\n");
		return EXIT_USAGE;
	}
	today = kho_local_day(kho_now());
	if (o.at != NULL) {
		if (parse_day(&on, o.at, "--at") != 0)
			return EXIT_USAGE;
	} else {
		on = today;
	}
	if (sc->no_future && on > today) {
		char d[11];
		fprintf(stderr, "kho retention: %s --at %s is later than today (%s): an irreversible"
		                " step is never dated ahead; to simulate a later day, set KHO_NOW"
		                " (on a copy of the data)\n", full, o.at, due_format(d, today));
		return EXIT_USAGE;
	}
	/* A mistyped --data must not become a new, empty archive. */
	if ((size_t)snprintf(catdb, sizeof catdb, "%s/catalog.db", o.data) >= sizeof catdb ||
	    stat(catdb, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "kho retention: %s: not a kho data directory (no catalog.db)\n", o.data);
		return EXIT_IO;
	}
	if ((rc = rstore_open(&r, o.data, o.keys, o.master_key, &err)) != 0) {
		fprintf(stderr, "kho retention: %s\n", err.msg);
		return EXIT_IO;
	}

	if (strcmp(sub, "load") == 0) {
		status = load(r, arg, on, &o);
	} else if (strcmp(sub, "classify") == 0) {
		int64_t n, nu;
		if ((rc = rstore_classify_pending(r, o.keep_unclassified ? RSTORE_UNCLASSIFIED_KEEP
		                                                          : RSTORE_UNCLASSIFIED_REFUSE,
		                                  o.actor, &n, &nu, &err)) != 0)
			status = fail(&err, rc);
		else
			printf("classified %lld records (%lld kept unclassified)\n", (long long)n,
			       (long long)nu);
	} else if (strcmp(sub, "event") == 0) {
		int32_t d;
		if (o.kind == NULL || o.date == NULL) {
			fprintf(stderr, "kho retention: event CODE --kind K --date D [--name N]\n");
			status = EXIT_USAGE;
		} else if (parse_day(&d, o.date, "--date") != 0) {
			status = EXIT_USAGE;
		} else if ((rc = rstore_add_event(r, arg, o.kind, d, o.name, o.actor, &err)) != 0) {
			status = fail(&err, rc);
		} else {
			printf("event %s recorded for %s\n", o.kind, arg);
		}
	} else if (strcmp(sub, "hold") == 0) {
		char id[32];
		if ((rc = rstore_hold_place(r, o.scope, o.target, o.reason, o.authority, o.actor, on,
		                            id, sizeof id, &err)) != 0)
			status = fail(&err, rc);
		else
			printf("%s\n", id);
	} else if (strcmp(sub, "release") == 0) {
		if (o.reason == NULL || o.reason[0] == '\0') {
			fprintf(stderr, "kho retention: release ID --reason R\n");
			status = EXIT_USAGE;
		} else if ((rc = rstore_hold_release(r, arg, o.reason, o.actor, on, &err)) != 0) {
			status = fail(&err, rc);
		} else {
			printf("%s released\n", arg);
		}
	} else if (strcmp(sub, "holds") == 0) {
		if ((rc = rstore_holds_json(r, &j, &err)) != 0)
			status = fail(&err, rc);
		else
			print_json(j);
	} else if (strcmp(sub, "eval") == 0) {
		enum elig_outcome out;
		char why[1024];
		if ((rc = rstore_evaluate(r, arg, on, &out, why, sizeof why, &err)) != 0) {
			status = fail(&err, rc);
		} else {
			printf("%s %s: %s\n", arg, elig_outcome_name(out), why);
		}
	} else if (strcmp(sub, "review") == 0) {
		int32_t d;
		if (o.outcome == NULL || o.decision == NULL || o.date == NULL) {
			fprintf(stderr, "kho retention: review CODE --outcome O --decision REF --date D\n");
			status = EXIT_USAGE;
		} else if (parse_day(&d, o.date, "--date") != 0) {
			status = EXIT_USAGE;
		} else if ((rc = rstore_review(r, arg, o.outcome, o.years, d, o.decision, o.actor,
		                               &err)) != 0) {
			status = fail(&err, rc);
		} else {
			printf("review decision %s recorded for %s\n", o.outcome, arg);
		}
	} else if (strcmp(sub, "sweep") == 0) {
		rstore_sweep_stats s;
		if ((rc = rstore_sweep(r, on, o.dry_run, o.actor, stdout, &s, &err)) != 0) {
			status = fail(&err, rc);
		} else {
			fprintf(stderr,
			        "sweep%s: %lld records: %lld eligible to destroy, %lld eligible to"
			        " transfer, %lld review-due, %lld held, %lld still valid, %lld permanent,"
			        " %lld period not elapsed, %lld awaiting event; %lld overdue;"
			        " %lld unclassified\n",
			        o.dry_run ? " (dry run)" : "", (long long)s.records,
			        (long long)s.by_outcome[ELIG_ELIGIBLE_DESTROY],
			        (long long)s.by_outcome[ELIG_ELIGIBLE_TRANSFER],
			        (long long)s.by_outcome[ELIG_REVIEW_DUE],
			        (long long)s.by_outcome[ELIG_HELD],
			        (long long)s.by_outcome[ELIG_STILL_VALID],
			        (long long)s.by_outcome[ELIG_PERMANENT],
			        (long long)s.by_outcome[ELIG_PERIOD_NOT_ELAPSED],
			        (long long)s.by_outcome[ELIG_AWAITING_EVENT], (long long)s.overdue,
			        (long long)s.unclassified);
		}
	} else if (strcmp(sub, "report") == 0) {
		if ((rc = rstore_report(r, on, &j, &err)) != 0)
			status = fail(&err, rc);
		else if (o.format != NULL && strcmp(o.format, "csv") == 0)
			rstore_report_csv(j, stdout);
		else
			print_json(j);
	} else if (strcmp(sub, "where") == 0) {
		if ((rc = rstore_where_json(r, arg, &j, &err)) != 0)
			status = fail(&err, rc);
		else
			print_json(j);
	} else if (strcmp(sub, "tombstone") == 0) {
		if ((rc = rstore_tombstone_json(r, arg, &j, &err)) != 0)
			status = fail(&err, rc);
		else
			print_json(j);
	} else if (sub2 != NULL && strcmp(sub2, "propose") == 0) {
		int64_t id;
		size_t skipped = 0;
		if ((rc = rstore_batch_propose(r, o.kind ? o.kind : "destroy", o.actor, on, o.results,
		                               o.nresults, &id, &skipped, &err)) != 0) {
			status = fail(&err, rc);
		} else {
			if (skipped > 0)
				fprintf(stderr, "kho retention: %zu eligible records left out: already in"
				                " an open batch\n", skipped);
			printf("%lld\n", (long long)id);
		}
	} else if (sub2 != NULL && (strcmp(sub2, "approve") == 0 || strcmp(sub2, "execute") == 0 ||
	                            strcmp(sub2, "reject") == 0 ||
	                            strcmp(sub2, "show") == 0 || strcmp(sub2, "export") == 0 ||
	                            strcmp(sub2, "ack") == 0 || strcmp(sub2, "certificate") == 0)) {
		char *end = NULL;
		long long id = strtoll(arg, &end, 10);
		int32_t dd;
		if (*end != '\0' || id <= 0) {
			fprintf(stderr, "kho retention: batch %s ID\n", sub2);
			status = EXIT_USAGE;
		} else if (strcmp(sub2, "show") == 0) {
			if ((rc = rstore_batch_json(r, id, &j, &err)) != 0)
				status = fail(&err, rc);
			else
				print_json(j);
		} else if (strcmp(sub2, "certificate") == 0) {
			kho_buf cb;
			char sha[65];
			kho_buf_init(&cb, RAPI_MAX_CERTIFICATE);
			if (o.out == NULL) {
				fprintf(stderr, "kho retention: batch certificate ID -o FILE.asice\n");
				status = EXIT_USAGE;
			} else if ((rc = rstore_certificate_get(r, id, &cb, sha, &err)) != 0 ||
			           (rc = kho_write_file_durable(o.out, cb.data, cb.len, 0644, &err)) != 0) {
				status = fail(&err, rc);
			} else {
				printf("%s  %s\n", sha, o.out);
			}
			kho_buf_release(&cb);
		} else if (strcmp(sub2, "reject") == 0) {
			if (o.reason == NULL) {
				fprintf(stderr, "kho retention: batch reject ID --reason TEXT"
				                " [--decision REF]\n");
				status = EXIT_USAGE;
			} else if ((rc = rstore_batch_reject(r, id, o.actor, o.reason, o.decision, on,
			                                     &err)) != 0) {
				status = fail(&err, rc);
			} else {
				printf("batch %lld rejected\n", id);
			}
		} else if (strcmp(sub2, "execute") == 0) {
			status = execute(r, id, on, &o);
		} else if (strcmp(sub2, "export") == 0) {
			if (o.bag == NULL) {
				fprintf(stderr, "kho retention: batch export ID --bag FILE.tar\n");
				status = EXIT_USAGE;
			} else if ((rc = rstore_transfer_execute(r, id, o.actor, on, o.bag, o.source_org,
			                                         &j, &err)) != 0) {
				status = fail(&err, rc);
			} else {
				print_json(j);
			}
		} else if (strcmp(sub2, "ack") == 0) {
			if (o.receipt == NULL || o.custody == NULL) {
				fprintf(stderr, "kho retention: batch ack ID --receipt REF --custody WHERE\n");
				status = EXIT_USAGE;
			} else if ((rc = rstore_transfer_ack(r, id, o.receipt, o.custody, o.actor, on,
			                                     &err)) != 0) {
				status = fail(&err, rc);
			} else {
				printf("batch %lld transferred\n", id);
			}
		} else if (o.decision == NULL || o.decision_date == NULL) {
			fprintf(stderr, "kho retention: batch approve ID --decision REF"
			                " --decision-date D\n");
			status = EXIT_USAGE;
		} else if (parse_day(&dd, o.decision_date, "--decision-date") != 0) {
			status = EXIT_USAGE;
		} else if ((rc = rstore_batch_approve(r, id, o.actor, o.decision, dd, on,
		                                      o.deadline_days, &err)) != 0) {
			status = fail(&err, rc);
		} else {
			printf("batch %lld approved\n", id);
		}
	}
	json_decref(j);
	rstore_close(r);
	return status;
}
