/*
 * prune/lifecycle.c - the S3 lifecycle configuration that goes with a
 * policy: bk-prune tags each kept backup bk-retain=RULE (its longest
 * reason), and for each rule the configuration moves a backup so tagged
 * to a colder class by age, but only where the rule keeps it long enough
 * to pay that class's minimum storage duration (30 days Standard-IA, 90
 * Glacier Flexible Retrieval, 180 Deep Archive): the tiers hot 0-30 d,
 * warm 31-365 d, cold 1-7 y, archive 7 y+.  Old versions (what a prune
 * removed, kept for the grace period) expire after the grace; unfinished
 * uploads are aborted after the upload grace.
 */
#include <stdio.h>
#include <string.h>

#include <bson/bson.h>

#include "bk.h"
#include "prune/prune.h"

#define DAY 86400
#define FOREVER (1L << 30)

static const struct tier {
	const char *class;
	long at, min;		/* days of age; minimum storage duration */
} tiers[] = {
	{ "STANDARD_IA", 30, 30 },
	{ "GLACIER", 365, 90 },
	{ "DEEP_ARCHIVE", 7 * 365, 180 },
};

/* The longest a rule keeps a backup, in days (FOREVER: -1); 0: unknown. */
static long
keep_days(enum ret_rule r, long n)
{
	static const long per[RET_NRULES] = { 0, 0, 1, 7, 31, 366 };

	if (n == 0 || r == RET_LAST)
		return 0;
	if (n < 0)
		return FOREVER;
	if (r == RET_HOURLY)
		return (n + 23) / 24;
	return n * per[r];
}

/* The filter: the prefix and, if tag, bk-retain=tag. */
static void
add_filter(bson_t *rule, const char *prefix, const char *tag)
{
	bson_t f, and, tags, t;

	BSON_APPEND_DOCUMENT_BEGIN(rule, "Filter", &f);
	if (tag == NULL) {
		BSON_APPEND_UTF8(&f, "Prefix", prefix);
	} else {
		BSON_APPEND_DOCUMENT_BEGIN(&f, "And", &and);
		BSON_APPEND_UTF8(&and, "Prefix", prefix);
		BSON_APPEND_ARRAY_BEGIN(&and, "Tags", &tags);
		BSON_APPEND_DOCUMENT_BEGIN(&tags, "0", &t);
		BSON_APPEND_UTF8(&t, "Key", "bk-retain");
		BSON_APPEND_UTF8(&t, "Value", tag);
		bson_append_document_end(&tags, &t);
		bson_append_array_end(&and, &tags);
		bson_append_document_end(&f, &and);
	}
	bson_append_document_end(rule, &f);
}

/* The rule for backups tagged with rule r, if it moves them at all. */
static void
add_tier_rule(bson_t *rules, int *k, enum ret_rule r, long days,
    const char *prefix)
{
	bson_t rule, tr, one;
	char idx[16], id[64];
	size_t i, m = 0;

	for (i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++)
		if (days >= tiers[i].at + tiers[i].min)
			m = i + 1;
	if (m == 0)
		return;
	snprintf(idx, sizeof(idx), "%d", (*k)++);
	snprintf(id, sizeof(id), "bk-retain-%s", ret_rule_name(r));
	BSON_APPEND_DOCUMENT_BEGIN(rules, idx, &rule);
	BSON_APPEND_UTF8(&rule, "ID", id);
	BSON_APPEND_UTF8(&rule, "Status", "Enabled");
	add_filter(&rule, prefix, ret_rule_name(r));
	BSON_APPEND_ARRAY_BEGIN(&rule, "Transitions", &tr);
	for (i = 0; i < m; i++) {
		snprintf(idx, sizeof(idx), "%zu", i);
		BSON_APPEND_DOCUMENT_BEGIN(&tr, idx, &one);
		BSON_APPEND_INT32(&one, "Days", (int32_t)tiers[i].at);
		BSON_APPEND_UTF8(&one, "StorageClass", tiers[i].class);
		bson_append_document_end(&tr, &one);
	}
	bson_append_array_end(&rule, &tr);
	bson_append_document_end(rules, &rule);
}

/* Old versions expire after the grace; dead uploads are aborted. */
static void
add_grace_rule(bson_t *rules, int k, const struct prune_opts *o,
    const char *prefix)
{
	bson_t rule, d;
	char idx[16];

	snprintf(idx, sizeof(idx), "%d", k);
	BSON_APPEND_DOCUMENT_BEGIN(rules, idx, &rule);
	BSON_APPEND_UTF8(&rule, "ID", "bk-grace");
	BSON_APPEND_UTF8(&rule, "Status", "Enabled");
	add_filter(&rule, prefix, NULL);
	BSON_APPEND_DOCUMENT_BEGIN(&rule, "NoncurrentVersionExpiration", &d);
	BSON_APPEND_INT32(&d, "NoncurrentDays",
	    (int32_t)((o->grace + DAY - 1) / DAY));
	bson_append_document_end(&rule, &d);
	BSON_APPEND_DOCUMENT_BEGIN(&rule, "AbortIncompleteMultipartUpload",
	    &d);
	BSON_APPEND_INT32(&d, "DaysAfterInitiation",
	    (int32_t)((o->upload_grace + DAY - 1) / DAY));
	bson_append_document_end(&rule, &d);
	bson_append_document_end(rules, &rule);
}

int
prune_lifecycle(const struct prune_opts *o, const char *prefix, FILE *out)
{
	bson_t *doc, rules;
	char *json;
	int r, k = 0;

	if ((doc = bson_new()) == NULL) {
		warn0("cannot allocate the lifecycle configuration");
		return -1;
	}
	BSON_APPEND_ARRAY_BEGIN(doc, "Rules", &rules);
	for (r = RET_HOURLY; r < RET_NRULES; r++)
		add_tier_rule(&rules, &k, (enum ret_rule)r,
		    keep_days((enum ret_rule)r, o->pol.count[r]), prefix);
	add_grace_rule(&rules, k, o, prefix);
	bson_append_array_end(doc, &rules);
	json = bson_as_relaxed_extended_json(doc, NULL);
	bson_destroy(doc);
	if (json == NULL) {
		warn0("cannot format the lifecycle configuration");
		return -1;
	}
	fprintf(out, "%s\n", json);
	bson_free(json);
	return 0;
}
