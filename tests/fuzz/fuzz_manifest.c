/*
 * fuzz_manifest.c: libFuzzer harness for the hardened ASiCManifest parser
 * (manifest_parse). A parsed manifest always has a SigReference URI and at
 * least one reference whose digest length fits its algorithm.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	manifest *m = NULL;
	kho_err err;
	int rc;

	memset(&err, 0, sizeof err);
	rc = manifest_parse(&m, data, size, &err);
	if (rc == 0) {
		if (m->sig_uri == NULL || m->nrefs == 0)
			abort();
		for (size_t i = 0; i < m->nrefs; i++) {
			const manifest_ref *r = &m->refs[i];
			if (r->uri == NULL || r->digest_alg == NULL || r->digest_len == 0 ||
			    r->digest_len > sizeof r->digest)
				abort();
			if (r->md != NULL && (int)r->digest_len != EVP_MD_get_size(r->md))
				abort();
		}
	} else if (m != NULL || err.msg[0] == '\0') {
		abort();
	}
	manifest_free(m);
	return 0;
}
