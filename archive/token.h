/*
 * token.h: bearer tokens for the daemon's API (table `tokens` of the catalog).
 *
 * A token is "kho_" followed by 64 hex digits (256 random bits). It is shown
 * once, when created; the catalog keeps only its SHA-256 (a fast hash is
 * enough for a 256-bit random secret: there is nothing to brute-force), so a
 * copy of the catalog does not grant access. Each token has a unique name,
 * one role, and for officers the agency they act for. Adding and revoking
 * are audited ("config" events).
 */
#ifndef KHO_TOKEN_H
#define KHO_TOKEN_H

#include <stdint.h>

#include <jansson.h>

#include "archive/catalog.h"
#include "common/err.h"

#define TOKEN_PREFIX "kho_"
#define TOKEN_LEN (4 + 64)         /* characters, without NUL */
#define TOKEN_NAME_MAX 64

/* Roles: one per token; endpoints name the set they accept. */
enum token_role {
	TOKEN_OFFICER = 1,
	TOKEN_RECORDS_MANAGER = 2,
	TOKEN_AUDITOR = 4,
	TOKEN_ADMIN = 8,
};

/* What a request's token resolves to. */
typedef struct token_info {
	int64_t id;
	char name[TOKEN_NAME_MAX + 1];
	enum token_role role;
	char agency[32];               /* "" if none */
	int revoked;                   /* token_check refused it as a revoked one (its use is
	                                  always audited, with its name); the fields above but
	                                  name are then unset */
} token_info;

extern const char token_schema_sql[];

/* token_role_parse: "officer" -> TOKEN_OFFICER...; 0 if unknown. */
int token_role_parse(const char *s);
const char *token_role_name(int role);

/*
 * token_add: create a token named name (1..64 of [A-Za-z0-9._@-]) with role
 * and agency (required for officers, an agency code), store its hash, audit
 * it, and write the token into out (TOKEN_LEN + 1 bytes). KHO_EEXIST if the
 * name is taken, KHO_EINVAL for a bad name, role or agency.
 */
int token_add(catalog *c, const char *name, int role, const char *agency, const char *actor,
              char out[TOKEN_LEN + 1], kho_err *err);

/* token_revoke: revoke by name (audited). KHO_ENOTFOUND. */
int token_revoke(catalog *c, const char *name, const char *actor, kho_err *err);

/*
 * token_withdraw: delete the token named name (audited, with why), so that
 * the name can be given again: for a token just added whose value never
 * reached the user (kho token add writing to a full disk), which nobody can
 * hold. Any other token is revoked, not withdrawn. KHO_ENOTFOUND.
 */
int token_withdraw(catalog *c, const char *name, const char *actor, const char *why,
                   kho_err *err);

/*
 * token_check: resolve a presented token. KHO_EAUTH if it is malformed,
 * unknown or revoked (one answer for all three).
 */
int token_check(catalog *c, const char *token, token_info *out, kho_err *err);

/* token_list_json: [{name, role, agency, created, revoked}] (never the hashes). */
int token_list_json(catalog *c, json_t **out, kho_err *err);

/*
 * token_trail_check: each token of the table against the audit events
 * that added and revoked it (kho fsck): fn(name, why) for a token no event
 * added, whose role, agency or hash differ from its add event (hash only
 * for events that carry it: since 2026-12-07), or revoked by an event but
 * active. *unhashed: active tokens whose add event carries no hash (their
 * hash cannot be checked: reissue them). fn's non-zero return stops and
 * is returned.
 */
int token_trail_check(catalog *c, int (*fn)(const char *name, const char *why, void *arg),
                      void *arg, size_t *unhashed, kho_err *err);

#endif
