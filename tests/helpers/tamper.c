/*
 * tamper.c: a test tool that rewrites a container with one or more changes,
 * to make the broken packages of the verification tests from good ones:
 *
 *   tamper IN OUT OP...
 *     --replace NAME FILE   the entry NAME gets the bytes of FILE
 *     --remove NAME         the entry NAME is left out
 *     --flip NAME           one bit of NAME's content is flipped
 *     --add NAME FILE       a new entry NAME with the bytes of FILE, at the end
 *
 * It reads with pkg.h and writes with zipw.h (the archive's own reader and
 * strict writer), keeping order and the stored/deflated choice of each
 * entry. Exit 0, 1 on any failure (with the reason on stderr), 3 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/pkg.h"
#include "archive/zipw.h"
#include "common/buf.h"
#include "common/util.h"

#define TAMPER_MAX (256u * 1024 * 1024)

struct op {
	enum { OP_REPLACE, OP_REMOVE, OP_FLIP, OP_ADD } kind;
	const char *name;
	const char *file;
	int used;
};

static int usage(void)
{
	fprintf(stderr, "usage: tamper IN OUT (--replace NAME FILE | --remove NAME | "
	                "--flip NAME | --add NAME FILE)...\n");
	return 3;
}

int main(int argc, char **argv)
{
	struct op ops[32];
	size_t nops = 0, i, k;
	pkg_limits lim;
	pkg *p = NULL;
	zipw *w = NULL;
	kho_buf out, files[32];
	kho_err err = { 0, "" };
	int a, rc = 1;

	if (argc < 4)
		return usage();
	for (a = 3; a < argc; a++) {
		if (nops >= sizeof ops / sizeof ops[0])
			return usage();
		memset(&ops[nops], 0, sizeof ops[nops]);
		if ((strcmp(argv[a], "--replace") == 0 || strcmp(argv[a], "--add") == 0) && a + 2 < argc) {
			ops[nops].kind = argv[a][2] == 'r' ? OP_REPLACE : OP_ADD;
			ops[nops].name = argv[a + 1];
			ops[nops].file = argv[a + 2];
			a += 2;
		} else if ((strcmp(argv[a], "--remove") == 0 || strcmp(argv[a], "--flip") == 0) &&
		           a + 1 < argc) {
			ops[nops].kind = argv[a][2] == 'r' ? OP_REMOVE : OP_FLIP;
			ops[nops].name = argv[a + 1];
			a += 1;
		} else {
			return usage();
		}
		nops++;
	}
	for (i = 0; i < nops; i++) {
		kho_buf_init(&files[i], TAMPER_MAX);
		if (ops[i].file != NULL && kho_read_file(&files[i], ops[i].file, &err) != 0) {
			fprintf(stderr, "tamper: %s\n", err.msg);
			for (k = 0; k <= i; k++)
				kho_buf_free(&files[k]);
			return 1;
		}
	}
	kho_buf_init(&out, TAMPER_MAX);
	pkg_limits_default(&lim);
	if (pkg_read_file(&p, argv[1], &lim, &err) != 0) {
		fprintf(stderr, "tamper: %s: %s\n", argv[1], err.msg);
		goto out;
	}
	if (zipw_new(&w, &out, 1700000000, &err) != 0) {
		fprintf(stderr, "tamper: %s\n", err.msg);
		goto out;
	}
	for (i = 0; i < p->nentries; i++) {
		const pkg_entry *e = &p->entries[i];
		const unsigned char *data = e->data;
		size_t len = (size_t)e->size;
		unsigned char *copy = NULL;
		int skip = 0, r;

		if (data == NULL && len > 0) {
			fprintf(stderr, "tamper: %s is too large to rewrite\n", e->name);
			goto out;
		}
		for (k = 0; k < nops; k++) {
			if (ops[k].kind == OP_ADD || strcmp(ops[k].name, e->name) != 0)
				continue;
			ops[k].used = 1;
			if (ops[k].kind == OP_REMOVE) {
				skip = 1;
			} else if (ops[k].kind == OP_REPLACE) {
				data = files[k].data;
				len = files[k].len;
			} else if (ops[k].kind == OP_FLIP) {
				if (len == 0) {
					fprintf(stderr, "tamper: %s is empty, nothing to flip\n", e->name);
					goto out;
				}
				free(copy);
				copy = malloc(len);
				if (copy == NULL)
					goto out;
				memcpy(copy, data, len);
				copy[len / 2] ^= 0x01;
				data = copy;
			}
		}
		if (!skip) {
			r = zipw_add(w, e->name, data != NULL ? (const void *)data : "", len,
			             e->compressed ? ZIPW_DEFLATED : ZIPW_STORED, &err);
			free(copy);
			if (r != 0) {
				fprintf(stderr, "tamper: %s\n", err.msg);
				goto out;
			}
		} else {
			free(copy);
		}
	}
	for (k = 0; k < nops; k++) {
		if (ops[k].kind != OP_ADD)
			continue;
		ops[k].used = 1;
		if (zipw_add(w, ops[k].name, files[k].data ? (const void *)files[k].data : "",
		             files[k].len, ZIPW_DEFLATED, &err) != 0) {
			fprintf(stderr, "tamper: %s\n", err.msg);
			goto out;
		}
	}
	for (k = 0; k < nops; k++)
		if (!ops[k].used) {
			fprintf(stderr, "tamper: no entry named %s in %s\n", ops[k].name, argv[1]);
			goto out;
		}
	if (zipw_finish(w, &err) != 0 ||
	    kho_write_file_durable(argv[2], out.data, out.len, 0644, &err) != 0) {
		fprintf(stderr, "tamper: %s\n", err.msg);
		goto out;
	}
	rc = 0;
out:
	zipw_free(w);
	pkg_free(p);
	kho_buf_free(&out);
	for (k = 0; k < nops; k++)
		kho_buf_free(&files[k]);
	return rc;
}
