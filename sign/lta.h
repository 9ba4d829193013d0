/*
 * lta.h: archive timestamps (ASiC-E B-LTA, ETSI EN 319 162-1 4.4.3), the
 * renewal that keeps a sealed package verifiable after the certificate of
 * the TSA that stamped it expires.
 *
 * A renewal adds to the container an ASiCArchiveManifest listing every
 * file already in it (data objects, manifests, signatures, earlier
 * timestamp tokens and archive manifests) with its SHA-256, and an RFC 3161
 * token over that manifest's bytes from a TSA whose certificate is valid
 * now. The verifier (verify.c, check_container_timestamps) then validates
 * the earlier tokens at that token's time instead of the validation time:
 * it proves they existed when their TSA certificates were still good.
 *
 * Names: the newest archive manifest is META-INF/ASiCArchiveManifest.xml; a
 * renewal renames the one before it to META-INF/ASiCArchiveManifestNNN.xml
 * (the first free NNN from 001: a token covers a manifest's bytes, not its
 * name) and lists it under that name. The token is META-INF/timestampNNN.tst,
 * the first free NNN. Entry contents are copied byte for byte; the ZIP is
 * written anew by the strict writer (mimetype first, stored).
 */
#ifndef KHO_LTA_H
#define KHO_LTA_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"
#include "sign/tsa.h"

#define LTA_MANIFEST "META-INF/ASiCArchiveManifest.xml"

/*
 * lta_add: the ASiC-E package pkg[0..len) with one more archive timestamp
 * from t, appended to out. KHO_EFORMAT if pkg is not an ASiC-E container
 * kho can read; the TSA's errors as tsa_stamp gives them. out is untouched
 * on failure. The caller checks, before (the package verifies now) and
 * after (the result verifies), as kho renew does.
 */
int lta_add(kho_buf *out, const void *pkg, size_t len, tsa *t, kho_err *err);

#endif
