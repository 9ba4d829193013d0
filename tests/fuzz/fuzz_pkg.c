/*
 * fuzz_pkg.c: libFuzzer harness for the container reader (pkg_read_mem).
 * Any input must give 0 or a negative KHO_E* code with a message, never a
 * crash, a leak or unbounded memory. Caps are lowered so that a run stays fast.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "archive/pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	pkg_limits lim;
	kho_err err;
	pkg *p = NULL;
	int rc;

	pkg_limits_default(&lim);
	lim.max_entry_size = 8u << 20;
	lim.max_total_size = 16u << 20;
	lim.keep_max = 64u << 10;
	memset(&err, 0, sizeof err);
	rc = pkg_read_mem(&p, data, size, &lim, &err);
	if (rc == 0) {
		for (size_t i = 0; i < p->nentries; i++) {
			if (pkg_entry_digest(&p->entries[i], EVP_sha256(), md, &mdlen, &err) != 0)
				abort(); /* every entry has data or stream digests */
			if (pkg_find(p, p->entries[i].name) != &p->entries[i])
				abort(); /* names are unique */
		}
	} else if (p != NULL || rc > 0 || err.msg[0] == '\0') {
		abort(); /* a failure leaves no package and explains itself */
	}
	pkg_free(p);
	return 0;
}
