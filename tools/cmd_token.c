/*
 * cmd_token.c: `kho token add|list|revoke`, the bearer tokens of the daemon.
 * The token is printed once, on the last line of `add`'s output; the
 * catalog keeps only its hash.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "archive/catalog.h"
#include "archive/token.h"
#include "common/util.h"
#include "tools/cmds.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kho token add --data DIR --role ROLE [--agency CODE] NAME\n"
"       kho token list --data DIR\n"
"       kho token revoke --data DIR NAME\n"
"\n"
"Manage the daemon's bearer tokens (stored hashed in DIR/catalog.db; every\n"
"change is in the audit trail). The daemon need not be stopped.\n"
"\n"
"  add      create a token for NAME (1-64 of A-Z a-z 0-9 . _ @ -) and print it\n"
"           once: the last line of the output is the token. If DIR has no\n"
"           catalog.db yet, add creates DIR and a new catalog there: this is\n"
"           how the first token is made before the daemon's first start (kho\n"
"           serve then creates the rest). Check the path: a mistyped --data\n"
"           makes a new, unused catalog (it says so on stderr)\n"
"  list     names, roles, agencies, creation and revocation times (never tokens)\n"
"  revoke   revoke NAME's token at once\n"
"\n"
"  --data DIR      the daemon's data directory\n"
"  --role ROLE     officer | records_manager | auditor | admin\n"
"  --agency CODE   the agency an officer acts for (required for officers)\n"
"\n"
"Roles (docs/api.md, Access): officer (ingest, seal and QR codes for their\n"
"agency's results; retrieval, results and lookup of any agency's), records_manager\n"
"(validity status, retention, reuse statistics), auditor (retrieval, also with\n"
"force, reports, audit trail, metrics, reuse statistics), admin (metrics, reuse\n"
"statistics).\n"
"Exit status: 0 done, 3 usage, 4 catalog error or output not written (add then\n"
"withdraws the token it could not show), 5 refused (duplicate, unknown).\n");
}

/* create: 1 for add (a first token before the first start); list and
 * revoke need an existing catalog: a mistyped --data made an empty one
 * there and listed nothing (found by review). */
static int open_catalog(catalog **c, const char *data, int create)
{
	char path[PATH_MAX];
	kho_err err;

	if ((size_t)snprintf(path, sizeof path, "%s/catalog.db", data) >= sizeof path)
		return EXIT_USAGE;
	if (access(path, F_OK) != 0) {
		if (!create) {
			fprintf(stderr, "kho token: %s is not a kho data directory (no catalog.db)\n", data);
			return EXIT_IO;
		}
		fprintf(stderr, "kho token: %s had no catalog.db: creating a new catalog there (the"
		        " daemon's first start will use it)\n", data);
	}
	if (create ? kho_mkdir_p(data, 0700, &err) != 0 || catalog_open(c, path, &err) != 0
	           : catalog_open_existing(c, path, &err) != 0) {
		fprintf(stderr, "kho token: %s\n", err.msg);
		return EXIT_IO;
	}
	return 0;
}

int cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "role", required_argument, NULL, 'r' },
		{ "agency", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *role = NULL, *agency = NULL, *sub;
	catalog *c = NULL;
	kho_err err;
	int o, rc, ret = 0;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': data = optarg; break;
		case 'r': role = optarg; break;
		case 'a':
			/* Given twice, the token would silently act for the last. */
			if (agency != NULL) {
				fprintf(stderr, "kho token: --agency given twice\n");
				return EXIT_USAGE;
			}
			agency = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (data == NULL) {
		fprintf(stderr, "kho token: --data DIR is required\n");
		return EXIT_USAGE;
	}
	if (strcmp(sub, "add") == 0) {
		char tok[TOKEN_LEN + 1];
		int r = token_role_parse(role);
		if (optind + 1 != argc || r == 0) {
			fprintf(stderr, "kho token add: give --role (officer, records_manager, auditor,"
			                " admin) and one NAME\n");
			return EXIT_USAGE;
		}
		if ((ret = open_catalog(&c, data, 1)) != 0)
			return ret;
		rc = token_add(c, argv[optind], r, agency, "cli", tok, &err);
		if (rc != 0) {
			fprintf(stderr, "kho token add: %s\n", err.msg);
			ret = rc == KHO_EINVAL ? EXIT_USAGE : rc == KHO_EIO ? EXIT_IO : EXIT_FAIL;
		} else {
			int bad, e;
			printf("token for %s (role %s%s%s); it is shown only once:\n%s\n", argv[optind],
			       token_role_name(r), agency ? ", agency " : "", agency ? agency : "", tok);
			/* The token exists only in this output: if it was not written
			 * (a full disk, a closed pipe), nobody has it, and the name
			 * must not stay used up by it. */
			bad = fflush(stdout) != 0 || ferror(stdout);
			e = errno;
			OPENSSL_cleanse(tok, sizeof tok);
			if (bad) {
				if (token_withdraw(c, argv[optind], "cli", "its value could not be written"
				                   " to standard output", &err) != 0)
					fprintf(stderr, "kho token add: the token could not be written to"
					        " standard output (%s), and withdrawing it failed: %s; revoke %s\n",
					        strerror(e), err.msg, argv[optind]);
				else
					fprintf(stderr, "kho token add: the token could not be written to"
					        " standard output (%s): withdrawn, nothing was added\n",
					        strerror(e));
				clearerr(stdout);
				ret = EXIT_IO;
			}
		}
	} else if (strcmp(sub, "list") == 0) {
		json_t *l = NULL;
		size_t i;
		json_t *e;
		if (optind != argc) {
			fprintf(stderr, "kho token list: unexpected argument '%s'\n\n", argv[optind]);
			usage(stderr);
			return EXIT_USAGE;
		}
		if ((ret = open_catalog(&c, data, 0)) != 0)
			return ret;
		if (token_list_json(c, &l, &err) != 0) {
			fprintf(stderr, "kho token list: %s\n", err.msg);
			ret = EXIT_IO;
		} else {
			printf("%-24s %-16s %-14s %-21s %s\n", "NAME", "ROLE", "AGENCY", "CREATED", "REVOKED");
			json_array_foreach(l, i, e) {
				json_t *rv = json_object_get(e, "revoked");
				printf("%-24s %-16s %-14s %-21s %s\n",
				       json_string_value(json_object_get(e, "name")),
				       json_string_value(json_object_get(e, "role")),
				       json_string_value(json_object_get(e, "agency"))[0]
				           ? json_string_value(json_object_get(e, "agency")) : "-",
				       json_string_value(json_object_get(e, "created")),
				       json_is_string(rv) ? json_string_value(rv) : "-");
			}
			json_decref(l);
		}
	} else if (strcmp(sub, "revoke") == 0) {
		if (optind + 1 != argc) {
			fprintf(stderr, "kho token revoke: %s\n\n", optind == argc ? "the token's NAME is required"
			                                                      : "one NAME only");
			usage(stderr);
			return EXIT_USAGE;
		}
		if ((ret = open_catalog(&c, data, 0)) != 0)
			return ret;
		if (token_revoke(c, argv[optind], "cli", &err) != 0) {
			fprintf(stderr, "kho token revoke: %s\n", err.msg);
			ret = EXIT_FAIL;
		} else {
			printf("revoked %s\n", argv[optind]);
		}
	} else {
		fprintf(stderr, "kho token: unknown subcommand '%s' (add, list, revoke)\n", sub);
		return EXIT_USAGE;
	}
	catalog_close(c);
	return ret;
}
