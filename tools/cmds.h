/*
 * cmds.h: the subcommands of bin/kho. Each takes the arguments after the
 * subcommand name (argv[0] is the subcommand) and returns the exit status.
 * Only tools/ prints and exits; each command has its own --help.
 */
#ifndef KHO_CMDS_H
#define KHO_CMDS_H

int cmd_pki(int argc, char **argv);
int cmd_seal(int argc, char **argv);
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

#endif
