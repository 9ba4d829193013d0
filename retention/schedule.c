/*
 * schedule.c: loading and checking one retention-schedule version (see
 * schedule.h and docs/retention.md).
 *
 * Three gates, in order, each refusing with the line of the offending node:
 *   1. libxml2 parse, hardened: XML_PARSE_NONET, no XML_PARSE_DTDLOAD, no
 *      XML_PARSE_NOENT (entities are never substituted), errors kept in the
 *      parser context instead of printed; any DOCTYPE is refused, so XXE
 *      and entity expansion cannot reach the rest of the code;
 *   2. the XSD compiled into the binary (retention_schedule_xsd), parsed
 *      once per process (pthread_once) and shared read-only by the
 *      validation contexts;
 *   3. semantic checks a schema cannot express (schedule.h lists them).
 * The DOM is then copied into plain C structures and freed, so callers
 * never see libxml2 types.
 */
#include "retention/schedule.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "common/buf.h"
#include "common/util.h"
#include "common/xml.h"

extern const unsigned char retention_schedule_xsd[];
extern const size_t retention_schedule_xsd_len;

/* ---- names ---------------------------------------------------------- */

static const char *const trigger_names[SCHED_TRIGGER_COUNT_] = {
	"dossier-closed", "validity-ended", "superseded", "revoked",
	"subject-ceased", "external-event", "ingest",
};

static const char *const action_names[] = { "destroy", "review", "transfer", "retain" };

const char *schedule_trigger_name(enum sched_trigger t)
{
	if ((unsigned)t >= SCHED_TRIGGER_COUNT_)
		return "unknown";
	return trigger_names[t];
}

const char *schedule_action_name(enum sched_action a)
{
	if ((unsigned)a >= sizeof action_names / sizeof action_names[0])
		return "unknown";
	return action_names[a];
}

int schedule_trigger_from_name(enum sched_trigger *out, const char *s)
{
	int i;

	for (i = 0; s != NULL && i < SCHED_TRIGGER_COUNT_; i++) {
		if (strcmp(s, trigger_names[i]) == 0) {
			*out = (enum sched_trigger)i;
			return 0;
		}
	}
	return KHO_EFORMAT;
}

int schedule_action_from_name(enum sched_action *out, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof action_names / sizeof action_names[0]; i++) {
		if (strcmp(s, action_names[i]) == 0) {
			*out = (enum sched_action)i;
			return 0;
		}
	}
	return KHO_EFORMAT;
}

static int cutoff_from_name(enum due_cutoff *out, const char *s)
{
	if (strcmp(s, "calendar-year") == 0)
		*out = DUE_CUTOFF_CALENDAR_YEAR;
	else if (strcmp(s, "none") == 0)
		*out = DUE_CUTOFF_NONE;
	else
		return KHO_EFORMAT;
	return 0;
}

static int rule_from_name(enum due_rule *out, const char *s)
{
	if (strcmp(s, "end-of-year") == 0)
		*out = DUE_RULE_END_OF_YEAR;
	else if (strcmp(s, "anniversary") == 0)
		*out = DUE_RULE_ANNIVERSARY;
	else
		return KHO_EFORMAT;
	return 0;
}

static int feb29_from_name(enum due_feb29 *out, const char *s)
{
	if (strcmp(s, "mar1") == 0)
		*out = DUE_FEB29_MAR1;
	else if (strcmp(s, "feb28") == 0)
		*out = DUE_FEB29_FEB28;
	else
		return KHO_EFORMAT;
	return 0;
}

/* ---- the embedded schema ---------------------------------------------- */

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static xmlSchemaPtr schema_compiled;

static void quiet_error(void *ud, xmlErrorPtr e)
{
	(void)ud;
	(void)e;
}

static void schema_init(void)
{
	xmlSchemaParserCtxtPtr pc;

	kho_xml_init();
	if (retention_schedule_xsd_len > INT_MAX)
		return;
	pc = xmlSchemaNewMemParserCtxt((const char *)retention_schedule_xsd,
	                               (int)retention_schedule_xsd_len);
	if (pc == NULL)
		return;
	xmlSchemaSetParserStructuredErrors(pc, quiet_error, NULL);
	schema_compiled = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
}

/* The first validation error, with its line. */
struct first_error {
	int have;
	int line;
	char msg[400];
};

static void keep_first_error(void *ud, xmlErrorPtr e)
{
	struct first_error *fe = ud;
	size_t n;

	if (fe->have || e == NULL)
		return;
	fe->have = 1;
	fe->line = e->line;
	snprintf(fe->msg, sizeof fe->msg, "%s", e->message ? e->message : "invalid");
	n = strlen(fe->msg);
	while (n > 0 && (fe->msg[n - 1] == '\n' || fe->msg[n - 1] == ' '))
		fe->msg[--n] = '\0';
}

/* ---- DOM helpers ------------------------------------------------------ */

/* A cover entry: one procedure or result type of one class, with its line. */
struct cover {
	const char *val;
	size_t cls;
	long line;
};

struct loader {
	schedule *s;
	kho_err *err;
	struct cover *procs;
	size_t nprocs;
	struct cover *rtypes;
	size_t nrtypes;
	size_t ncovers;     /* both kinds, against SCHEDULE_MAX_COVERS */
};

static int is_el(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       n->ns->href != NULL && strcmp((const char *)n->ns->href, SCHEDULE_NS) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

static xmlNode *next_el(xmlNode *n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

static xmlNode *first_el(xmlNode *parent)
{
	return parent ? next_el(parent->children) : NULL;
}

static xmlNode *after(xmlNode *n)
{
	return n ? next_el(n->next) : NULL;
}

static long line_of(const xmlNode *n)
{
	return n ? xmlGetLineNo(n) : 0;
}

/* Copy s with XML whitespace collapsed and trimmed (xs:token semantics). */
static char *collapse(const char *s)
{
	size_t n = strlen(s), i, o = 0;
	char *out = malloc(n + 1);
	int space = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = 0;
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

/* The collapsed text content of n (malloc'd, "" if none) into *out. */
static int text_of(char **out, const xmlNode *n, struct loader *L)
{
	xmlChar *c = xmlNodeGetContent(n);

	*out = collapse(c ? (const char *)c : "");
	xmlFree(c);
	if (*out == NULL)
		return kho_err_set(L->err, KHO_ENOMEM, "out of memory");
	return 0;
}

/* The collapsed value of attribute name of n into *out, NULL if absent. */
static int attr_of(char **out, xmlNode *n, const char *name, struct loader *L)
{
	xmlChar *c = xmlGetNoNsProp(n, (const xmlChar *)name);

	*out = NULL;
	if (c == NULL)
		return 0;
	*out = collapse((const char *)c);
	xmlFree(c);
	if (*out == NULL)
		return kho_err_set(L->err, KHO_ENOMEM, "out of memory");
	return 0;
}

static int fail(struct loader *L, const xmlNode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* fail: KHO_EFORMAT with "line N: " and the message, N being n's line. */
static int fail(struct loader *L, const xmlNode *n, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return kho_err_set(L->err, KHO_EFORMAT, "line %ld: %s", line_of(n), msg);
}

static int date_of(int32_t *out, xmlNode *n, struct loader *L)
{
	char *t;
	int rc = text_of(&t, n, L);

	if (rc != 0)
		return rc;
	if (due_parse(out, t) != 0)
		rc = fail(L, n, "%s: not a real date (YYYY-MM-DD)", t);
	free(t);
	return rc;
}

static int years_of(int *out, xmlNode *n, struct loader *L)
{
	char *t, *end;
	long v;
	int rc = text_of(&t, n, L);

	if (rc != 0)
		return rc;
	v = strtol(t, &end, 10);
	if (*t == '\0' || *end != '\0' || v < 1 || v > SCHEDULE_MAX_YEARS)
		rc = fail(L, n, "%s: a number of years must be 1..200", t);
	else
		*out = (int)v;
	free(t);
	return rc;
}

static int add_cover(struct cover **arr, size_t *n, struct loader *L, const char *val,
                     size_t cls, const xmlNode *node)
{
	struct cover *p;

	if (L->ncovers >= SCHEDULE_MAX_COVERS)
		return kho_err_set(L->err, KHO_ETOOBIG, "line %ld: more than %u procedures and result types",
		                   line_of(node), (unsigned)SCHEDULE_MAX_COVERS);
	p = realloc(*arr, (*n + 1) * sizeof **arr);
	if (p == NULL)
		return kho_err_set(L->err, KHO_ENOMEM, "out of memory");
	*arr = p;
	p[*n].val = val;
	p[*n].cls = cls;
	p[*n].line = line_of(node);
	(*n)++;
	L->ncovers++;
	return 0;
}

static size_t count_named(xmlNode *parent, const char *name)
{
	size_t n = 0;
	xmlNode *c;

	for (c = first_el(parent); c != NULL; c = after(c))
		n += is_el(c, name);
	return n;
}

/* ---- one class -------------------------------------------------------- */

static int parse_covers(schedule_class *c, size_t idx, xmlNode *cov, struct loader *L)
{
	size_t np = count_named(cov, "procedure"), nr = count_named(cov, "resultType");
	xmlNode *e;
	int rc;

	c->procedures = calloc(np ? np : 1, sizeof *c->procedures);
	c->result_types = calloc(nr ? nr : 1, sizeof *c->result_types);
	if (c->procedures == NULL || c->result_types == NULL)
		return kho_err_set(L->err, KHO_ENOMEM, "out of memory");
	for (e = first_el(cov); e != NULL; e = after(e)) {
		if (is_el(e, "procedure") && c->nprocedures < np) {
			char **slot = &c->procedures[c->nprocedures];
			if ((rc = text_of(slot, e, L)) != 0)
				return rc;
			c->nprocedures++;
			if ((rc = add_cover(&L->procs, &L->nprocs, L, *slot, idx, e)) != 0)
				return rc;
		} else if (is_el(e, "resultType") && c->nresult_types < nr) {
			char **slot = &c->result_types[c->nresult_types];
			if ((rc = text_of(slot, e, L)) != 0)
				return rc;
			c->nresult_types++;
			if ((rc = add_cover(&L->rtypes, &L->nrtypes, L, *slot, idx, e)) != 0)
				return rc;
		} else {
			return fail(L, e, "unexpected element <%s> in <covers>", (const char *)e->name);
		}
	}
	return 0;
}

static int parse_trigger(schedule_class *c, xmlNode *e, struct loader *L)
{
	schedule_trigger *t;
	char *kind = NULL, *event = NULL;
	size_t i;
	int rc;

	if (c->ntriggers >= SCHEDULE_MAX_TRIGGERS)
		return fail(L, e, "class %s: more than 8 triggers", c->code);
	if ((rc = text_of(&kind, e, L)) != 0 || (rc = attr_of(&event, e, "event", L)) != 0)
		goto out;
	t = &c->triggers[c->ntriggers];
	if (schedule_trigger_from_name(&t->kind, kind) != 0) {
		rc = fail(L, e, "unknown trigger \"%s\"", kind);
		goto out;
	}
	if (t->kind == SCHED_TRIGGER_EXTERNAL_EVENT && event == NULL) {
		rc = fail(L, e, "class %s: trigger external-event needs an event=\"name\"", c->code);
		goto out;
	}
	if (t->kind != SCHED_TRIGGER_EXTERNAL_EVENT && event != NULL) {
		rc = fail(L, e, "class %s: only an external-event trigger takes an event name (%s)",
		          c->code, kind);
		goto out;
	}
	for (i = 0; i < c->ntriggers; i++) {
		const schedule_trigger *o = &c->triggers[i];
		if (o->kind == t->kind &&
		    (event == NULL || (o->event != NULL && strcmp(o->event, event) == 0))) {
			rc = fail(L, e, "class %s: trigger %s listed twice", c->code, kind);
			goto out;
		}
	}
	t->event = event;
	event = NULL;
	c->ntriggers++;
out:
	free(kind);
	free(event);
	return rc;
}

static int parse_class(schedule_class *c, size_t idx, xmlNode *ce, struct loader *L)
{
	schedule *s = L->s;
	xmlNode *e = first_el(ce), *period_el = NULL, *action_el = NULL, *transfer_el = NULL;
	char *t = NULL, *fb = NULL;
	size_t i, nlb;
	int rc;

	c->line = line_of(ce);
	c->cutoff = s->cutoff;
	c->due = s->due;
	c->feb29 = s->feb29;
	if ((rc = attr_of(&c->code, ce, "code", L)) != 0)
		return rc;
	if (c->code == NULL)
		return fail(L, ce, "<class> without a code");
	for (i = 0; i < idx; i++) {
		if (strcmp(s->classes[i].code, c->code) == 0) {
			char first[32];
			snprintf(first, sizeof first, "%ld", s->classes[i].line);
			return fail(L, ce, "duplicate class code \"%s\" (first defined at line %s)",
			            c->code, first);
		}
	}
	if ((rc = attr_of(&fb, ce, "fallback", L)) != 0)
		return rc;
	c->fallback = fb != NULL && (strcmp(fb, "true") == 0 || strcmp(fb, "1") == 0);
	free(fb);

	if (!is_el(e, "title"))
		return fail(L, e ? e : ce, "class %s: <title> expected", c->code);
	if ((rc = text_of(&c->title, e, L)) != 0)
		return rc;
	e = after(e);
	if (!is_el(e, "covers"))
		return fail(L, e ? e : ce, "class %s: <covers> expected", c->code);
	if ((rc = parse_covers(c, idx, e, L)) != 0)
		return rc;
	if (c->nprocedures == 0 && c->nresult_types == 0 && !c->fallback)
		return fail(L, e, "class %s covers no procedure and no result type and is not the fallback",
		            c->code);
	e = after(e);
	if (!is_el(e, "period"))
		return fail(L, e ? e : ce, "class %s: <period> expected", c->code);
	period_el = e;
	{
		xmlNode *p = first_el(e);
		if (is_el(p, "permanent")) {
			c->permanent = 1;
		} else if (is_el(p, "years")) {
			if ((rc = years_of(&c->years, p, L)) != 0)
				return rc;
		} else {
			return fail(L, e, "class %s: <period> needs <years> or <permanent/>", c->code);
		}
	}
	e = after(e);
	for (; is_el(e, "trigger"); e = after(e))
		if ((rc = parse_trigger(c, e, L)) != 0)
			return rc;
	if (is_el(e, "transferAfter")) {
		transfer_el = e;
		if ((rc = years_of(&c->transfer_after, e, L)) != 0)
			return rc;
		e = after(e);
	}
	if (is_el(e, "cutoff")) {
		if ((rc = text_of(&t, e, L)) != 0)
			return rc;
		rc = cutoff_from_name(&c->cutoff, t) ? fail(L, e, "unknown cutoff \"%s\"", t) : 0;
		free(t);
		if (rc != 0)
			return rc;
		e = after(e);
	}
	if (is_el(e, "due")) {
		if ((rc = text_of(&t, e, L)) != 0)
			return rc;
		rc = rule_from_name(&c->due, t) ? fail(L, e, "unknown due rule \"%s\"", t) : 0;
		free(t);
		if (rc != 0)
			return rc;
		e = after(e);
	}
	if (!is_el(e, "action"))
		return fail(L, e ? e : ce, "class %s: <action> expected", c->code);
	action_el = e;
	if ((rc = text_of(&t, e, L)) != 0)
		return rc;
	rc = schedule_action_from_name(&c->action, t) ? fail(L, e, "unknown action \"%s\"", t) : 0;
	free(t);
	if (rc != 0)
		return rc;
	e = after(e);
	nlb = 0;
	{
		xmlNode *x;
		for (x = e; is_el(x, "legalBasis"); x = after(x))
			nlb++;
	}
	if (nlb == 0)
		return fail(L, e ? e : ce, "class %s: <legalBasis> expected", c->code);
	c->legal_basis = calloc(nlb, sizeof *c->legal_basis);
	if (c->legal_basis == NULL)
		return kho_err_set(L->err, KHO_ENOMEM, "out of memory");
	for (; is_el(e, "legalBasis") && c->nlegal_basis < nlb; e = after(e)) {
		if ((rc = text_of(&c->legal_basis[c->nlegal_basis], e, L)) != 0)
			return rc;
		c->nlegal_basis++;
	}
	if (e != NULL)
		return fail(L, e, "class %s: unexpected element <%s>", c->code, (const char *)e->name);

	/* The period and the action must agree (docs/retention.md, "Classes"). */
	if (c->permanent && (c->action == SCHED_ACTION_DESTROY || c->action == SCHED_ACTION_REVIEW))
		return fail(L, action_el, "class %s: a permanent class cannot have action %s",
		            c->code, schedule_action_name(c->action));
	if (!c->permanent && c->action == SCHED_ACTION_RETAIN)
		return fail(L, action_el, "class %s: action retain needs a permanent period", c->code);
	if (!c->permanent && c->ntriggers == 0)
		return fail(L, period_el, "class %s: a period in years needs at least one <trigger>",
		            c->code);
	if (transfer_el != NULL && !(c->permanent && c->action == SCHED_ACTION_TRANSFER))
		return fail(L, transfer_el, "class %s: <transferAfter> only applies to a permanent class "
		            "with action transfer", c->code);
	if (c->permanent && c->ntriggers > 0 && c->transfer_after == 0)
		return fail(L, period_el, "class %s: a permanent class without <transferAfter> takes no "
		            "trigger", c->code);
	if (c->transfer_after > 0 && c->ntriggers == 0)
		return fail(L, transfer_el, "class %s: <transferAfter> needs at least one <trigger>",
		            c->code);
	return 0;
}

/* ---- whole-schedule checks ------------------------------------------- */

static int cover_cmp(const void *a, const void *b)
{
	const struct cover *x = a, *y = b;
	int c = strcmp(x->val, y->val);

	if (c != 0)
		return c;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int share_result_type(const schedule_class *a, const schedule_class *b)
{
	size_t i, j;

	if (a->nresult_types == 0 || b->nresult_types == 0)
		return 1; /* a class without result types takes them all */
	for (i = 0; i < a->nresult_types; i++)
		for (j = 0; j < b->nresult_types; j++)
			if (strcmp(a->result_types[i], b->result_types[j]) == 0)
				return 1;
	return 0;
}

static int ambiguity(struct loader *L, const struct cover *first, const struct cover *second,
                     const char *what)
{
	const schedule_class *a = &L->s->classes[first->cls], *b = &L->s->classes[second->cls];

	return kho_err_set(L->err, KHO_EFORMAT,
	                   "line %ld: ambiguous match: %s %s is covered by class %s (line %ld) "
	                   "and class %s (line %ld) for the same result types",
	                   second->line, what, first->val, a->code, first->line, b->code, second->line);
}

/*
 * Classification (classify.h) tries procedure classes first, then classes
 * that list only result types, then the fallback. Two classes are
 * ambiguous when one record could match both at the same step: both list a
 * procedure and their result types overlap (no list means all), or both
 * list only result types and share one.
 */
static int check_covers(struct loader *L)
{
	size_t i, j, k;

	if (L->nprocs > 1)
		qsort(L->procs, L->nprocs, sizeof *L->procs, cover_cmp);
	for (i = 0; i < L->nprocs; i = j) {
		for (j = i + 1; j < L->nprocs && strcmp(L->procs[j].val, L->procs[i].val) == 0; j++)
			;
		for (k = i + 1; k < j; k++) {
			size_t m;
			if (L->procs[k].cls == L->procs[k - 1].cls)
				return kho_err_set(L->err, KHO_EFORMAT,
				                   "line %ld: procedure %s listed twice in class %s",
				                   L->procs[k].line, L->procs[k].val,
				                   L->s->classes[L->procs[k].cls].code);
			for (m = i; m < k; m++)
				if (share_result_type(&L->s->classes[L->procs[m].cls],
				                      &L->s->classes[L->procs[k].cls]))
					return ambiguity(L, &L->procs[m], &L->procs[k], "procedure");
		}
	}
	if (L->nrtypes > 1)
		qsort(L->rtypes, L->nrtypes, sizeof *L->rtypes, cover_cmp);
	for (i = 0; i < L->nrtypes; i = j) {
		for (j = i + 1; j < L->nrtypes && strcmp(L->rtypes[j].val, L->rtypes[i].val) == 0; j++)
			;
		for (k = i + 1; k < j; k++) {
			size_t m;
			if (L->rtypes[k].cls == L->rtypes[k - 1].cls)
				return kho_err_set(L->err, KHO_EFORMAT,
				                   "line %ld: result type %s listed twice in class %s",
				                   L->rtypes[k].line, L->rtypes[k].val,
				                   L->s->classes[L->rtypes[k].cls].code);
			if (L->s->classes[L->rtypes[k].cls].nprocedures != 0)
				continue;
			for (m = i; m < k; m++)
				if (L->s->classes[L->rtypes[m].cls].nprocedures == 0)
					return ambiguity(L, &L->rtypes[m], &L->rtypes[k], "result type");
		}
	}
	return 0;
}

/* ---- the document ----------------------------------------------------- */

/* The collapsed text of the element `name` at e, or a refusal if e is not it. */
static int expect_text(char **out, xmlNode *e, xmlNode *parent, const char *name,
                       struct loader *L)
{
	*out = NULL;
	if (!is_el(e, name))
		return fail(L, e ? e : parent, "<%s>: <%s> expected", (const char *)parent->name, name);
	return text_of(out, e, L);
}

static int parse_counting(schedule *s, xmlNode *ce, struct loader *L)
{
	xmlNode *e = first_el(ce);
	char *t = NULL;
	int rc;

	if ((rc = expect_text(&t, e, ce, "cutoff", L)) != 0)
		return rc;
	rc = cutoff_from_name(&s->cutoff, t) ? fail(L, e, "unknown cutoff \"%s\"", t) : 0;
	free(t);
	if (rc != 0)
		return rc;
	e = after(e);
	if ((rc = expect_text(&t, e, ce, "due", L)) != 0)
		return rc;
	rc = rule_from_name(&s->due, t) ? fail(L, e, "unknown due rule \"%s\"", t) : 0;
	free(t);
	if (rc != 0)
		return rc;
	e = after(e);
	if ((rc = expect_text(&t, e, ce, "feb29", L)) != 0)
		return rc;
	rc = feb29_from_name(&s->feb29, t) ? fail(L, e, "unknown feb29 rule \"%s\"", t) : 0;
	free(t);
	return rc;
}

static int parse_root(schedule *s, xmlNode *root, struct loader *L)
{
	xmlNode *e = first_el(root), *eff_el, *fb_first = NULL;
	size_t n;
	int rc;

	if (!is_el(e, "identifier"))
		return fail(L, root, "<identifier> expected");
	if ((rc = text_of(&s->identifier, e, L)) != 0)
		return rc;
	e = after(e);
	if (!is_el(e, "version"))
		return fail(L, root, "<version> expected");
	if ((rc = text_of(&s->version, e, L)) != 0)
		return rc;
	e = after(e);
	if (!is_el(e, "issuingAgency"))
		return fail(L, root, "<issuingAgency> expected");
	if ((rc = text_of(&s->agency_name, e, L)) != 0 ||
	    (rc = attr_of(&s->agency_code, e, "code", L)) != 0)
		return rc;
	if (s->agency_code == NULL)
		return fail(L, e, "<issuingAgency> needs a code");
	e = after(e);
	if (!is_el(e, "authority"))
		return fail(L, root, "<authority> expected");

	{
		xmlNode *d = first_el(e), *dt = after(d);
		if (!is_el(d, "decision") || !is_el(dt, "date"))
			return fail(L, e, "<authority> needs <decision> and <date>");
		if ((rc = text_of(&s->decision, d, L)) != 0 || (rc = date_of(&s->decision_date, dt, L)) != 0)
			return rc;
	}
	e = after(e);
	if (!is_el(e, "effective"))
		return fail(L, root, "<effective> expected");
	eff_el = e;
	if ((rc = date_of(&s->effective, e, L)) != 0)
		return rc;
	if (s->effective < s->decision_date) {
		char a[11], b[11];
		return fail(L, eff_el, "effective date %s is before the decision date %s",
		            due_format(a, s->effective), due_format(b, s->decision_date));
	}
	e = after(e);
	if (!is_el(e, "counting"))
		return fail(L, root, "<counting> expected");
	if ((rc = parse_counting(s, e, L)) != 0)
		return rc;
	e = after(e);
	if (!is_el(e, "classes"))
		return fail(L, root, "<classes> expected");
	n = count_named(e, "class");
	if (n == 0)
		return fail(L, e, "<classes> is empty");
	if (n > SCHEDULE_MAX_CLASSES)
		return kho_err_set(L->err, KHO_ETOOBIG, "line %ld: more than %d classes", line_of(e),
		                   SCHEDULE_MAX_CLASSES);
	s->classes = calloc(n, sizeof *s->classes);
	if (s->classes == NULL)
		return kho_err_set(L->err, KHO_ENOMEM, "out of memory");
	{
		xmlNode *c;
		for (c = first_el(e); c != NULL; c = after(c)) {
			if (!is_el(c, "class"))
				return fail(L, c, "unexpected element <%s> in <classes>", (const char *)c->name);
			if (s->nclasses >= n)
				return kho_err_set(L->err, KHO_EINTERNAL, "class count changed");
			/* counted before parsing so that schedule_free sees partial classes */
			s->nclasses++;
			if ((rc = parse_class(&s->classes[s->nclasses - 1], s->nclasses - 1, c, L)) != 0)
				return rc;
			if (s->classes[s->nclasses - 1].fallback) {
				if (fb_first != NULL) {
					char first[64];
					snprintf(first, sizeof first, "%s at line %ld", s->fallback->code,
					         s->fallback->line);
					return fail(L, c, "class %s is a second fallback class (the first is %s)",
					            s->classes[s->nclasses - 1].code, first);
				}
				fb_first = c;
				s->fallback = &s->classes[s->nclasses - 1];
			}
		}
	}
	if (s->fallback == NULL)
		return fail(L, e, "no fallback class: exactly one <class fallback=\"true\"> is required");
	if (after(e) != NULL)
		return fail(L, after(e), "unexpected element <%s>", (const char *)after(e)->name);
	return check_covers(L);
}

/* The line of the first "<!DOCTYPE" in the bytes, or 0 if there is none. */
static long doctype_line(const char *p, size_t len)
{
	static const char pat[] = "<!DOCTYPE";
	size_t i;
	long line = 1;

	for (i = 0; i < len; i++) {
		if (len - i >= sizeof pat - 1 && memcmp(p + i, pat, sizeof pat - 1) == 0)
			return line;
		if (p[i] == '\n')
			line++;
	}
	return 0;
}

int schedule_parse(schedule **out, const void *xml, size_t len, kho_err *err)
{
	struct loader L;
	struct first_error fe;
	xmlParserCtxtPtr pctxt = NULL;
	xmlSchemaValidCtxtPtr vctxt = NULL;
	xmlDocPtr doc = NULL;
	xmlNode *root, *n;
	schedule *s = NULL;
	long dt_line;
	int rc;

	*out = NULL;
	memset(&L, 0, sizeof L);
	memset(&fe, 0, sizeof fe);
	L.err = err;
	if (xml == NULL && len > 0)
		return kho_err_set(err, KHO_EINVAL, "no schedule bytes");
	if (len > SCHEDULE_MAX_SIZE)
		return kho_err_set(err, KHO_ETOOBIG, "schedule of %zu bytes, more than the limit of %u",
		                   len, (unsigned)SCHEDULE_MAX_SIZE);
	if (len == 0)
		return kho_err_set(err, KHO_EFORMAT, "line 1: empty schedule");
	pthread_once(&schema_once, schema_init);
	if (schema_compiled == NULL)
		return kho_err_set(err, KHO_EINTERNAL, "the embedded schedule schema does not compile");

	/* Refused before libxml2 sees it, so that not even the internal subset
	 * is parsed (entity loops, billion laughs); the check after parsing
	 * catches a DOCTYPE in another encoding (UTF-16). The bytes "<!DOCTYPE"
	 * are therefore not allowed anywhere, comments included. */
	if ((dt_line = doctype_line(xml, len)) > 0)
		return kho_err_set(err, KHO_EFORMAT,
		                   "line %ld: DOCTYPE not allowed in a schedule (no DTDs, no entities)",
		                   dt_line);
	pctxt = xmlNewParserCtxt();
	if (pctxt == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	/* No XML_PARSE_NOENT, no XML_PARSE_DTDLOAD: entities stay unexpanded
	 * and nothing external is read; NONET in case a later option would. */
	doc = xmlCtxtReadMemory(pctxt, xml, (int)len, "schedule.xml", NULL,
	                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                        XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA);
	if (doc == NULL || !pctxt->wellFormed) {
		xmlErrorPtr e = xmlCtxtGetLastError(pctxt);
		char msg[400];
		size_t m;
		snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "not well-formed");
		m = strlen(msg);
		while (m > 0 && (msg[m - 1] == '\n' || msg[m - 1] == ' '))
			msg[--m] = '\0';
		rc = kho_err_set(err, KHO_EFORMAT, "line %d: malformed XML: %s", e ? e->line : 1, msg);
		goto out;
	}
	for (n = doc->children; n != NULL; n = n->next) {
		if (n->type == XML_DTD_NODE || doc->intSubset != NULL || doc->extSubset != NULL) {
			rc = kho_err_set(err, KHO_EFORMAT,
			                 "line 1: DOCTYPE not allowed in a schedule (no DTDs, no entities)");
			goto out;
		}
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !is_el(root, "schedule")) {
		rc = kho_err_set(err, KHO_EFORMAT, "line %ld: the root element must be <schedule> in "
		                 "namespace %s", line_of(root), SCHEDULE_NS);
		goto out;
	}

	vctxt = xmlSchemaNewValidCtxt(schema_compiled);
	if (vctxt == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	xmlSchemaSetValidStructuredErrors(vctxt, keep_first_error, &fe);
	if (xmlSchemaValidateDoc(vctxt, doc) != 0) {
		rc = kho_err_set(err, KHO_EFORMAT, "line %d: %s", fe.have ? fe.line : 0,
		                 fe.have ? fe.msg : "does not follow the schedule schema");
		goto out;
	}

	s = calloc(1, sizeof *s);
	if (s == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	L.s = s;
	if ((rc = parse_root(s, root, &L)) != 0)
		goto out;
	if (kho_sha256(s->sha256, xml, len) != 0) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "SHA-256 of the schedule");
		goto out;
	}
	kho_hex(s->sha256_hex, s->sha256, sizeof s->sha256);
	*out = s;
	s = NULL;
	rc = 0;
out:
	free(L.procs);
	free(L.rtypes);
	schedule_free(s);
	xmlSchemaFreeValidCtxt(vctxt);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(pctxt);
	return rc;
}

int schedule_load(schedule **out, const char *path, kho_err *err)
{
	kho_buf b;
	int rc;

	*out = NULL;
	kho_buf_init(&b, SCHEDULE_MAX_SIZE);
	rc = kho_read_file(&b, path, err);
	if (rc == 0) {
		rc = schedule_parse(out, b.data ? (const void *)b.data : "", b.len, err);
		if (rc != 0 && err != NULL) {
			char msg[sizeof err->msg];
			snprintf(msg, sizeof msg, "%s", err->msg);
			kho_err_set(err, rc, "%s: %s", path, msg);
		}
	}
	kho_buf_free(&b);
	return rc;
}

const schedule_class *schedule_class_find(const schedule *s, const char *code)
{
	size_t i;

	if (s == NULL || code == NULL)
		return NULL;
	for (i = 0; i < s->nclasses; i++)
		if (strcmp(s->classes[i].code, code) == 0)
			return &s->classes[i];
	return NULL;
}

/* ---- comparing versions ---------------------------------------------- */

static int same_set(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i, j;

	if (na != nb)
		return 0;
	/* loaded sets hold no duplicates, so inclusion plus equal size is equality */
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && strcmp(a[i], b[j]) != 0; j++)
			;
		if (j == nb)
			return 0;
	}
	return 1;
}

static int same_triggers(const schedule_class *a, const schedule_class *b)
{
	size_t i, j;

	if (a->ntriggers != b->ntriggers)
		return 0;
	for (i = 0; i < a->ntriggers; i++) {
		for (j = 0; j < b->ntriggers; j++) {
			const schedule_trigger *x = &a->triggers[i], *y = &b->triggers[j];
			if (x->kind == y->kind && ((x->event == NULL && y->event == NULL) ||
			    (x->event != NULL && y->event != NULL && strcmp(x->event, y->event) == 0)))
				break;
		}
		if (j == b->ntriggers)
			return 0;
	}
	return 1;
}

static unsigned class_diff(const schedule_class *o, const schedule_class *n)
{
	unsigned f = 0;
	size_t i;

	if (o->permanent != n->permanent)
		f |= o->permanent ? SCHED_DIFF_SHORTER : SCHED_DIFF_LONGER;
	else if (!o->permanent && n->years < o->years)
		f |= SCHED_DIFF_SHORTER;
	else if (!o->permanent && n->years > o->years)
		f |= SCHED_DIFF_LONGER;
	if (o->action != n->action)
		f |= SCHED_DIFF_ACTION;
	if (!same_triggers(o, n) || o->cutoff != n->cutoff || o->due != n->due ||
	    o->feb29 != n->feb29 || o->transfer_after != n->transfer_after)
		f |= SCHED_DIFF_COUNTING;
	if (o->fallback != n->fallback ||
	    !same_set(o->procedures, o->nprocedures, n->procedures, n->nprocedures) ||
	    !same_set(o->result_types, o->nresult_types, n->result_types, n->nresult_types))
		f |= SCHED_DIFF_COVERAGE;
	if (strcmp(o->title, n->title) != 0 || o->nlegal_basis != n->nlegal_basis)
		f |= SCHED_DIFF_TEXT;
	for (i = 0; !(f & SCHED_DIFF_TEXT) && i < o->nlegal_basis; i++)
		if (strcmp(o->legal_basis[i], n->legal_basis[i]) != 0)
			f |= SCHED_DIFF_TEXT;
	return f;
}

int schedule_diff(schedule_change **out, size_t *nout, const schedule *old_s,
                  const schedule *new_s, kho_err *err)
{
	schedule_change *v = NULL;
	size_t n = 0, i, max;

	*out = NULL;
	*nout = 0;
	if (old_s == NULL || new_s == NULL)
		return kho_err_set(err, KHO_EINVAL, "schedule_diff needs two schedules");
	max = old_s->nclasses + new_s->nclasses;
	if (max == 0)
		return 0;
	v = calloc(max, sizeof *v);
	if (v == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	for (i = 0; i < new_s->nclasses; i++) {
		const schedule_class *nc = &new_s->classes[i];
		const schedule_class *oc = schedule_class_find(old_s, nc->code);
		unsigned f = oc ? class_diff(oc, nc) : SCHED_DIFF_ADDED;
		if (f == 0)
			continue;
		v[n].code = nc->code;
		v[n].flags = f;
		if (oc != NULL) {
			v[n].old_permanent = oc->permanent;
			v[n].old_years = oc->years;
		}
		v[n].new_permanent = nc->permanent;
		v[n].new_years = nc->years;
		n++;
	}
	for (i = 0; i < old_s->nclasses; i++) {
		const schedule_class *oc = &old_s->classes[i];
		if (schedule_class_find(new_s, oc->code) != NULL)
			continue;
		v[n].code = oc->code;
		v[n].flags = SCHED_DIFF_REMOVED;
		v[n].old_permanent = oc->permanent;
		v[n].old_years = oc->years;
		n++;
	}
	if (n == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* ---- freeing ----------------------------------------------------------- */

static void free_strv(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void schedule_free(schedule *s)
{
	size_t i, j;

	if (s == NULL)
		return;
	for (i = 0; i < s->nclasses; i++) {
		schedule_class *c = &s->classes[i];
		free(c->code);
		free(c->title);
		free_strv(c->procedures, c->nprocedures);
		free_strv(c->result_types, c->nresult_types);
		free_strv(c->legal_basis, c->nlegal_basis);
		for (j = 0; j < c->ntriggers; j++)
			free(c->triggers[j].event);
	}
	free(s->classes);
	free(s->identifier);
	free(s->version);
	free(s->agency_code);
	free(s->agency_name);
	free(s->decision);
	free(s);
}
