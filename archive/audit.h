/*
 * audit.h: the append-only, hash-chained audit trail (table `audit` of the
 * catalog).
 *
 * Every event (ingest, retrieve, lookup with its purpose, status change,
 * denied request, configuration change such as a token added) is a row
 * (seq, at, actor, action, object, status, detail, prev, hash) where
 *   hash = SHA-256( prev || len||at || len||actor || len||action ||
 *                   len||object || len||status || len||detail )
 * with each field preceded by its length as 8 bytes big-endian (so no field
 * boundary is ambiguous), prev the hash of event seq-1 (32 zero bytes for the
 * first) and numbers as decimal text. Triggers refuse UPDATE and DELETE; an
 * edit behind SQLite's back breaks the chain at the first altered event,
 * which audit_verify names. Never put a personal number in any field.
 */
#ifndef KHO_AUDIT_H
#define KHO_AUDIT_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "archive/catalog.h"
#include "common/err.h"

#define AUDIT_FIELD_MAX 2048   /* each text field is cut to this many bytes */

typedef struct audit_event {
	const char *actor;    /* token name, "cli", "daemon" or "anonymous" */
	const char *action;   /* "ingest", "retrieve", "lookup", "status", "denied", "config", ... */
	const char *object;   /* package id, result code, route; may be NULL */
	int status;           /* HTTP status or 0 */
	const char *detail;   /* free text, may be NULL */
} audit_event;

/* The SQL that creates the table and its triggers (used by catalog_open). */
extern const char audit_schema_sql[];

/*
 * audit_append_locked: append ev with the catalog lock held and inside a
 * transaction that the caller commits (so that the event commits with the
 * change it records).
 */
int audit_append_locked(catalog *c, const audit_event *ev, kho_err *err);

/* audit_append: the same in a transaction of its own. */
int audit_append(catalog *c, const audit_event *ev, kho_err *err);

typedef struct audit_check {
	int64_t events;        /* events checked */
	int64_t first_bad;     /* seq of the first broken event, 0 if none */
	char reason[256];      /* why it is broken */
} audit_check;

/*
 * audit_verify: recompute the chain. 0 when it holds (out->first_bad = 0);
 * KHO_ECONFLICT when it is broken, with out->first_bad and out->reason.
 */
int audit_verify(catalog *c, audit_check *out, kho_err *err);

/*
 * The head of the chain: its last event. The chain by itself cannot show
 * that its *last* events were removed (what remains still links up), so the
 * head is meant to be recorded outside the operator's reach (a witness:
 * the Department's register, a log shipped elsewhere, a printed report) and
 * compared later with audit_check_mark. An empty trail has seq 0 and the
 * all-zero hash.
 */
typedef struct audit_mark {
	int64_t seq;
	int64_t at;            /* time of that event (0 for an empty trail) */
	char hash[65];         /* hex SHA-256 of that event */
} audit_mark;

int audit_head(catalog *c, audit_mark *out, kho_err *err);

/*
 * audit_check_mark: 0 when event m->seq exists with hash m->hash;
 * KHO_ECONFLICT with the reason in err when the trail ends before it (the
 * tail was dropped) or the event differs (the trail was rewritten).
 */
int audit_check_mark(catalog *c, const audit_mark *m, kho_err *err);

/* audit_list_json: events with seq > after, at most limit, as a JSON array. */
int audit_list_json(catalog *c, int64_t after, int limit, json_t **out, kho_err *err);

#endif
