/*
 * cmds.h: the subcommands of bin/kho. Each takes the arguments after the
 * subcommand name (argv[0] is the subcommand) and returns the exit status.
 * Only tools/ prints and exits; each command has its own --help.
 */
#ifndef KHO_CMDS_H
#define KHO_CMDS_H

#include <stddef.h>

#include <openssl/x509.h>

#include "common/err.h"

int cmd_pki(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_renew(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_retention(int argc, char **argv);
int cmd_qr(int argc, char **argv);

/* Exit statuses shared by the commands (verify uses 0/1/2 for its result). */
#define EXIT_USAGE 3   /* bad arguments */
#define EXIT_IO    4   /* a file could not be read or written */
#define EXIT_FAIL  5   /* the operation failed for another reason */

/* cmd_exit_status: the exit status for a kho error code (I/O, not found or
 * unsafe: EXIT_IO; EINVAL: EXIT_USAGE; anything else: EXIT_FAIL). */
int cmd_exit_status(int rc);

/*
 * cmd_load_trust: the certificates of the trust[0..ntrust) files as
 * anchors and the CRLs of crl[0..ncrl) (the --trust and --crl of verify
 * and renew) into new stacks. The error names the option and the file.
 */
#include <stddef.h>
#include <openssl/x509.h>
#include "common/err.h"
/*
 * cmd_open_tsa: the TSA of --tsa-key/--tsa-cert (built-in; *certs gets the
 * certificate file's certificates, TSA first, for embedding; the caller
 * frees them) or of --tsa-url (remote, timeout seconds; *certs NULL). A
 * certificate without the timeStamping purpose is KHO_ECRYPTO, not usage.
 */
struct tsa;
int cmd_open_tsa(struct tsa **t, STACK_OF(X509) **certs, const char *key_path, const char *cert_path,
                 const char *url, int timeout, kho_err *err);

int cmd_load_trust(STACK_OF(X509) **anchors, STACK_OF(X509_CRL) **crls,
                   const char *const *trust, size_t ntrust, const char *const *crl, size_t ncrl,
                   kho_err *err);

#endif
