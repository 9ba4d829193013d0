/*
 * fuzz_pkg.c: libFuzzer harness for the container reader, both ways it
 * reads memory: copying entries (pkg_read_mem) and borrowing STORED entries
 * from the input (pkg_read_mem_ex with PKG_READ_BORROW, the verifier's path).
 * Any input must give 0 or a negative KHO_E* code with a message, never a
 * crash, a leak or unbounded memory, and both ways must agree on whether it
 * opens. Caps are lowered so that a run stays fast.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "archive/pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One read; returns its result code after checking its invariants. */
static int one(const uint8_t *data, size_t size, unsigned flags)
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
	rc = pkg_read_mem_ex(&p, data, size, &lim, flags, &err);
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
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int copied = one(data, size, 0), borrowed = one(data, size, PKG_READ_BORROW);

	if ((copied == 0) != (borrowed == 0))
		abort(); /* borrowing must not change what opens */
	return 0;
}
