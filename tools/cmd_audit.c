/*
 * cmd_audit.c: `kho audit verify|head|list`: check the hash chain of the
 * audit trail and name the first broken event, print its head for a witness
 * to record, or print events.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "archive/audit.h"
#include "common/buf.h"
#include "common/util.h"
#include "archive/catalog.h"
#include "archive/keystore.h"
#include "retention/rstore.h"
#include "tools/cmds.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kho audit verify --data DIR [--witness FILE] [--keys DIR] [--master-key FILE]\n"
"       kho audit head --data DIR\n"
"       kho audit list --data DIR [--after SEQ] [--limit N]\n"
"\n"
"verify  recompute the SHA-256 chain of the audit trail (each event hashes the\n"
"        previous event's hash and its own fields) and report the first event\n"
"        that was altered, deleted or relinked. With --witness, also check every\n"
"        head recorded in FILE: a trail that ends before a witnessed event (its\n"
"        last events were removed) or differs from it (it was rewritten) fails.\n"
"        Every destruction certificate also records the head of the trail as\n"
"        the destructions left it, signed and timestamped with it: verify\n"
"        checks each of those heads the same way (a certificate that cannot be\n"
"        read is said on stderr; kho fsck checks the certificates themselves).\n"
"head    print the last event as one line 'SEQ HASH TIME'. The chain alone\n"
"        cannot show that its *last* events were removed: record this line\n"
"        regularly somewhere the operator cannot change (another agency's\n"
"        register, a shipped log, a signed report) and give those lines back to\n"
"        verify --witness. kho serve writes the same line to its log every\n"
"        audit_head_interval seconds (docs/config.md): from a shipped log,\n"
"        sed -n 's/.* audit head //p' LOG > heads.txt\n"
"list    print events as JSON lines\n"
"\n"
"Options:\n"
"  --data DIR      the data directory (its catalog.db)\n"
"  --witness FILE  lines 'SEQ HASH [TIME]' as printed by head; blank lines and\n"
"                  lines starting with # are ignored\n"
"  --keys DIR      the key store, for reading the certificates (default DIR.keys)\n"
"  --master-key FILE  the daemon's master key file (default DIR/keys/master.key)\n"
"                  Neither is ever created: one given that does not exist is an\n"
"                  error (exit 4); a missing default leaves the certificates'\n"
"                  heads unchecked, said on stderr\n"
"  --after SEQ     list events after this one (default 0)\n"
"  --limit N       list at most N events, 1..100000 (default 1000)\n"
"\n"
"Exit status: 0 the chain holds (and matches every witness), 1 it is broken\n"
"(the event is named), 3 usage or an unreadable witness file, 4 the catalog\n"
"cannot be read (DIR is not a data directory: audit creates nothing) or a\n"
"--keys or --master-key given does not exist.\n");
}

/*
 * Check every witnessed head of the file at path against the trail. Prints
 * the first mismatch. 0 all hold, 1 one does not, EXIT_USAGE bad file,
 * EXIT_IO catalog error.
 */
static int check_witnesses(catalog *c, const char *path)
{
	kho_buf b;
	kho_err err;
	char *line, *save = NULL;
	long lineno = 0, n = 0;
	int ret = 0, rc;

	kho_buf_init(&b, 16u << 20);
	if (kho_read_user_file(&b, path, &err) != 0) {
		fprintf(stderr, "kho audit verify: %s: %s\n", path, err.msg);
		kho_buf_release(&b);
		return EXIT_USAGE;
	}
	if (b.len == 0 || memchr(b.data, '\0', b.len) != NULL) {
		fprintf(stderr, "kho audit verify: %s: empty or not a text file\n", path);
		kho_buf_release(&b);
		return EXIT_USAGE;
	}
	for (line = strtok_r((char *)b.data, "\n", &save); line != NULL && ret == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		audit_mark m;
		long long seq;
		char hash[80], extra;
		lineno++;
		line += strspn(line, " \t\r");
		if (*line == '\0' || *line == '#')
			continue;
		memset(&m, 0, sizeof m);
		if (sscanf(line, "%lld %79s %c", &seq, hash, &extra) < 2 || seq < 0 ||
		    strlen(hash) != 64 || strspn(hash, "0123456789abcdef") != 64) {
			fprintf(stderr, "kho audit verify: %s:%ld: expected 'SEQ HASH [TIME]' "
			        "(a 64-digit lower-case hex hash)\n", path, lineno);
			ret = EXIT_USAGE;
			break;
		}
		m.seq = seq;
		memcpy(m.hash, hash, 65);
		n++;
		rc = audit_check_mark(c, &m, &err);
		if (rc == KHO_ECONFLICT) {
			printf("audit trail BROKEN against witness %s:%ld: %s\n", path, lineno, err.msg);
			ret = 1;
		} else if (rc != 0) {
			fprintf(stderr, "kho audit verify: %s\n", err.msg);
			ret = EXIT_IO;
		}
	}
	if (ret == 0 && n == 0) {
		fprintf(stderr, "kho audit verify: %s: no witnessed head in the file\n", path);
		ret = EXIT_USAGE;
	}
	if (ret == 0)
		printf("witnesses OK: %ld head(s) from %s found in the trail\n", n, path);
	kho_buf_release(&b);
	return ret;
}

struct cert_heads {
	catalog *c;
	long n;
	int ret;
};

static int check_cert_head(int64_t batch, const audit_mark *m, void *arg)
{
	struct cert_heads *h = arg;
	kho_err err;
	int rc = audit_check_mark(h->c, m, &err);

	h->n++;
	if (rc == KHO_ECONFLICT) {
		printf("audit trail BROKEN against the destruction certificate of batch %lld: %s\n",
		       (long long)batch, err.msg);
		h->ret = 1;
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "kho audit verify: %s\n", err.msg);
		h->ret = EXIT_IO;
		return 1;
	}
	return 0;
}

/*
 * need_key_path: rstore creates a missing master key file or key store when
 * it first needs one; a check must never do that. A path the user gave that
 * does not exist is an error (EXIT_IO); a default one that does not exist
 * (the key store kept elsewhere, and no --keys) leaves the certificates
 * unchecked, said on stderr, like any unreadable certificate (1). 0 exists.
 */
static int need_key_path(const char *path, int given, int dir, const char *what)
{
	struct stat st;

	if (stat(path, &st) == 0 && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)))
		return 0;
	if (given) {
		fprintf(stderr, "kho audit verify: %s: no such %s\n", path, what);
		return EXIT_IO;
	}
	fprintf(stderr, "kho audit verify: the destruction certificates cannot be read (%s: no such"
	        " %s; give %s): their witnessed heads are not checked\n", path, what,
	        dir ? "--keys DIR" : "--master-key FILE");
	return 1;
}

/* The heads the destruction certificates recorded (rstore_certificate_heads). */
static int check_certificates(catalog *c, const char *data, const char *keys, const char *mk)
{
	struct cert_heads h = { c, 0, 0 };
	char kdir[PATH_MAX], mkpath[PATH_MAX];
	rstore *rs = NULL;
	kho_err err;
	int rc;

	if ((size_t)snprintf(mkpath, sizeof mkpath, "%s%s", mk != NULL ? mk : data,
	                     mk != NULL ? "" : "/keys/master.key") >= sizeof mkpath ||
	    (keys != NULL ? (size_t)snprintf(kdir, sizeof kdir, "%s", keys) >= sizeof kdir
	                  : keystore_default_dir(kdir, sizeof kdir, data, &err) != 0)) {
		fprintf(stderr, "kho audit verify: path too long\n");
		return EXIT_USAGE;
	}
	if ((rc = need_key_path(mkpath, mk != NULL, 0, "master key file")) != 0 ||
	    (rc = need_key_path(kdir, keys != NULL, 1, "key store directory")) != 0)
		return rc == 1 ? 0 : rc;
	if (rstore_open(&rs, data, kdir, mkpath, &err) != 0) {
		fprintf(stderr, "kho audit verify: the destruction certificates cannot be read (%s):"
		        " their witnessed heads are not checked\n", err.msg);
		return 0;
	}
	rc = rstore_certificate_heads(rs, check_cert_head, &h, &err);
	rstore_close(rs);
	if (rc != 0 && h.ret == 0) {
		fprintf(stderr, "kho audit verify: a destruction certificate cannot be read (%s):"
		        " its witnessed head is not checked\n", err.msg);
		return 0;
	}
	if (h.ret == 0 && h.n > 0)
		printf("certificates OK: %ld witnessed head(s) from destruction certificates found in"
		       " the trail\n", h.n);
	return h.ret;
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "after", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' },
		{ "witness", required_argument, NULL, 'w' },
		{ "keys", required_argument, NULL, 'k' },
		{ "master-key", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *witness = NULL, *keys = NULL, *mk = NULL, *sub;
	long long after = 0, limit = 1000;
	char path[PATH_MAX];
	catalog *c = NULL;
	kho_err err;
	int o, ret = 0;

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
		case 'a':
		case 'l': {
			/* atoll took "garbage" for 0, "-5" as -5 and "2x" as 2. */
			uint64_t v;
			if (kho_parse_uint(&v, optarg, o == 'l' ? 1 : 0,
			                   o == 'l' ? 100000 : (uint64_t)INT64_MAX) != 0) {
				fprintf(stderr, "kho audit: %s must be %s, not '%s'\n",
				        o == 'l' ? "--limit" : "--after",
				        o == 'l' ? "a number 1..100000" : "an event number (0 or more)", optarg);
				return EXIT_USAGE;
			}
			if (o == 'l')
				limit = (long long)v;
			else
				after = (long long)v;
			break;
		}
		case 'w': witness = optarg; break;
		case 'k': keys = optarg; break;
		case 'm': mk = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (data == NULL || optind != argc || limit < 1 || limit > 100000 ||
	    (witness != NULL && strcmp(sub, "verify") != 0)) {
		fprintf(stderr, "kho audit: %s\n\n",
		        data == NULL ? "--data DIR is required"
		        : optind != argc ? "unexpected argument"
		        : witness != NULL && strcmp(sub, "verify") != 0 ? "--witness is for verify only"
		        : "--limit must be 1..100000");
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/catalog.db", data) >= sizeof path)
		return EXIT_USAGE;
	/* A check never creates the archive it checks (a mistyped --data made
	 * an empty catalog whose empty trail "held"). */
	if (access(path, F_OK) != 0) {
		fprintf(stderr, "kho audit: %s is not a kho data directory (no catalog.db)\n", data);
		return EXIT_IO;
	}
	if (catalog_open_existing(&c, path, &err) != 0) {
		fprintf(stderr, "kho audit: %s\n", err.msg);
		return EXIT_IO;
	}
	if (strcmp(sub, "verify") == 0) {
		audit_check chk;
		int rc = audit_verify(c, &chk, &err);
		if (rc == 0) {
			printf("audit trail OK: %lld events, chain intact\n", (long long)chk.events);
			if (witness != NULL)
				ret = check_witnesses(c, witness);
			if (ret == 0)
				ret = check_certificates(c, data, keys, mk);
		} else if (rc == KHO_ECONFLICT) {
			printf("audit trail BROKEN at event %lld: %s\n", (long long)chk.first_bad, chk.reason);
			ret = 1;
		} else {
			fprintf(stderr, "kho audit verify: %s\n", err.msg);
			ret = EXIT_IO;
		}
	} else if (strcmp(sub, "head") == 0) {
		audit_mark m;
		char t[32];
		if (audit_head(c, &m, &err) != 0) {
			fprintf(stderr, "kho audit head: %s\n", err.msg);
			ret = EXIT_IO;
		} else {
			printf("%lld %s %s\n", (long long)m.seq, m.hash,
			       m.seq ? kho_time_format(t, sizeof t, (time_t)m.at) : "-");
		}
	} else if (strcmp(sub, "list") == 0) {
		json_t *a = NULL, *e;
		size_t i;
		if (audit_list_json(c, after, (int)limit, &a, &err) != 0) {
			fprintf(stderr, "kho audit list: %s\n", err.msg);
			ret = EXIT_IO;
		} else {
			json_array_foreach(a, i, e) {
				char *s = json_dumps(e, JSON_COMPACT);
				if (s != NULL)
					printf("%s\n", s);
				free(s);
			}
			json_decref(a);
		}
	} else {
		fprintf(stderr, "kho audit: unknown subcommand '%s' (verify, head, list)\n", sub);
		ret = EXIT_USAGE;
	}
	catalog_close(c);
	return ret;
}
