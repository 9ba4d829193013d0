/*
 * schedule.h: one version of a retention schedule ("danh mục thời hạn lưu
 * trữ của từng TTHC", issued by the Department of Home Affairs), loaded from
 * XML (schema retention/schedule.xsd, documented in docs/retention.md).
 *
 * A schedule file is one immutable version: identifier, version, issuing
 * agency, authority (decision number and date), effective date, counting
 * defaults, and classes. Each class names the procedures (national codes)
 * and/or result types it covers, its period (years or permanent), the
 * triggers the period counts from, cut-off and due rule, the action at the
 * end, and its legal basis. Exactly one class is the fallback.
 *
 * Loading is strict. The bytes are parsed by libxml2 with XML_PARSE_NONET,
 * without DTD loading or entity substitution, and a document with a
 * DOCTYPE is refused (XXE, billion laughs); then validated against the XSD
 * compiled into the binary (unknown elements or values, missing fields);
 * then checked: duplicate class codes, a procedure or result type listed
 * twice, ambiguous matches (two classes that could both claim one
 * procedure + result type), not exactly one fallback class, a period that
 * contradicts the action, a missing or useless trigger, dates out of order.
 * Every refusal is KHO_EFORMAT with "line N: ..." in err.
 */
#ifndef KHO_SCHEDULE_H
#define KHO_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "retention/due.h"

#define SCHEDULE_NS "urn:kho:schedule:1"
#define SCHEDULE_MAX_SIZE (2u * 1024 * 1024) /* bytes of one schedule file */
#define SCHEDULE_MAX_CLASSES 1000
#define SCHEDULE_MAX_COVERS 20000           /* procedures + result types, all classes */
#define SCHEDULE_MAX_TRIGGERS 8             /* per class */
#define SCHEDULE_MAX_YEARS 200              /* longest period in years */

/* What a period counts from. The names are those of the XML. */
enum sched_trigger {
	SCHED_TRIGGER_DOSSIER_CLOSED = 0, /* "dossier-closed" */
	SCHED_TRIGGER_VALIDITY_ENDED,     /* "validity-ended": expired, superseded, revoked, annulled */
	SCHED_TRIGGER_SUPERSEDED,         /* "superseded" */
	SCHED_TRIGGER_REVOKED,            /* "revoked" (also annulled) */
	SCHED_TRIGGER_SUBJECT_CEASED,     /* "subject-ceased": business closed, death */
	SCHED_TRIGGER_EXTERNAL_EVENT,     /* "external-event", with the event's name */
	SCHED_TRIGGER_INGEST,             /* "ingest": the day the archive received the record */
	SCHED_TRIGGER_COUNT_
};

/* What happens when the period ends. */
enum sched_action {
	SCHED_ACTION_DESTROY = 0, /* "destroy": through an approved batch */
	SCHED_ACTION_REVIEW,      /* "review": a records manager decides */
	SCHED_ACTION_TRANSFER,    /* "transfer": to the historical archive (nộp lưu) */
	SCHED_ACTION_RETAIN,      /* "retain": keep here (permanent classes only) */
};

typedef struct schedule_trigger {
	enum sched_trigger kind;
	char *event;                 /* the event name for external-event, else NULL */
} schedule_trigger;

typedef struct schedule_class {
	char *code;                  /* "CT.01" */
	char *title;                 /* Vietnamese title */
	char **procedures;           /* national procedure codes d.dddddd */
	size_t nprocedures;
	char **result_types;         /* result types ("certified-copy") */
	size_t nresult_types;
	int fallback;                /* 1 for the schedule's one fallback class */
	int permanent;               /* 1: vĩnh viễn (years is 0) */
	int years;                   /* 1..SCHEDULE_MAX_YEARS when not permanent */
	int transfer_after;          /* permanent + transfer: years before transfer is due; 0: not set */
	schedule_trigger triggers[SCHEDULE_MAX_TRIGGERS];
	size_t ntriggers;            /* 0 only for a permanent class */
	enum due_cutoff cutoff;      /* resolved: the class's own or the schedule default */
	enum due_rule due;           /* resolved likewise */
	enum due_feb29 feb29;        /* the schedule's 29 February rule */
	enum sched_action action;
	char **legal_basis;          /* one or more citations */
	size_t nlegal_basis;
	long line;                   /* line of the <class> element */
} schedule_class;

typedef struct schedule {
	char *identifier;            /* stable across versions */
	char *version;               /* this version's label */
	char *agency_code;           /* issuing agency, ddd.dd.dd.Ldd */
	char *agency_name;
	char *decision;              /* number of the approving decision, "123/QĐ-SNV" */
	int32_t decision_date;       /* due.h day number */
	int32_t effective;           /* first day in force */
	enum due_cutoff cutoff;      /* defaults for classes */
	enum due_rule due;
	enum due_feb29 feb29;
	schedule_class *classes;
	size_t nclasses;
	const schedule_class *fallback; /* points into classes */
	unsigned char sha256[32];    /* of the exact bytes loaded */
	char sha256_hex[65];
} schedule;

/*
 * schedule_parse: load one schedule version from XML bytes. 0, or
 * KHO_EFORMAT with "line N: reason" in err, KHO_ETOOBIG past
 * SCHEDULE_MAX_SIZE or a count cap, KHO_ENOMEM, KHO_ECRYPTO. *out is owned
 * by the caller (schedule_free).
 */
int schedule_parse(schedule **out, const void *xml, size_t len, kho_err *err);

/* schedule_load: schedule_parse on a file's bytes (read with O_NOFOLLOW).
 * Messages are prefixed with the path. Also KHO_ENOTFOUND, KHO_EIO. */
int schedule_load(schedule **out, const char *path, kho_err *err);

/* schedule_class_find: the class with this code, or NULL. Borrowed from s. */
const schedule_class *schedule_class_find(const schedule *s, const char *code);

/* Names as written in the XML, and back. The parsers return 0 or KHO_EFORMAT. */
const char *schedule_trigger_name(enum sched_trigger t);
const char *schedule_action_name(enum sched_action a);
int schedule_trigger_from_name(enum sched_trigger *out, const char *s);
int schedule_action_from_name(enum sched_action *out, const char *s);

/*
 * What changed for one class between two versions (schedule_diff). A class
 * present in both versions with no difference is not reported.
 */
enum {
	SCHED_DIFF_ADDED     = 1 << 0, /* only in the new version */
	SCHED_DIFF_REMOVED   = 1 << 1, /* only in the old version */
	SCHED_DIFF_SHORTER   = 1 << 2, /* period shortened (permanent -> years counts) */
	SCHED_DIFF_LONGER    = 1 << 3, /* period lengthened */
	SCHED_DIFF_ACTION    = 1 << 4, /* action at the end changed */
	SCHED_DIFF_COUNTING  = 1 << 5, /* triggers, cut-off, due rule or 29 February rule */
	SCHED_DIFF_COVERAGE  = 1 << 6, /* procedures, result types or fallback: reclassify */
	SCHED_DIFF_TEXT      = 1 << 7, /* title or legal basis only */
};

typedef struct schedule_change {
	const char *code;            /* borrowed from the new version, or the old one if removed */
	unsigned flags;              /* SCHED_DIFF_* */
	int old_permanent, old_years; /* as in the old version (0, 0 if added) */
	int new_permanent, new_years; /* as in the new version (0, 0 if removed) */
} schedule_change;

/*
 * schedule_diff: compare two versions class by class (by code). *out gets a
 * malloc'd array of *nout changes (NULL when none), owned by the caller
 * (free()); its code pointers borrow from old_s and new_s, which must
 * outlive it. A change that may bring some due date earlier (SHORTER, or
 * COUNTING, whose effect depends on each record's dates) is the daemon's
 * to refuse or to apply only to periods not yet running: this function
 * only reports. 0 or KHO_ENOMEM.
 */
int schedule_diff(schedule_change **out, size_t *nout, const schedule *old_s,
                  const schedule *new_s, kho_err *err);

/* schedule_free: release s and everything in it; NULL is a no-op. */
void schedule_free(schedule *s);

#endif
