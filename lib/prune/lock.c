/*
 * prune/lock.c - the prune lock (lock.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bk.h"
#include "prune/lock.h"
#include "prune/retention.h"

/* The lock's key: the prefix (a directory) and the lock name. */
static char *
lock_key(struct store *s)
{
	char *k;

	if (asprintf(&k, "%s%s", s->u.key, PRUNE_LOCK_NAME) < 0) {
		warnp("malloc");
		return NULL;
	}
	return k;
}

/* When the lock at key was taken (its "at" field); 0 if unreadable. */
static int64_t
lock_time(struct store *s, const char *key, char *who, size_t wlen)
{
	char *buf = NULL, *at;
	int64_t t = 0;
	size_t len;

	snprintf(who, wlen, "(unreadable)");
	if (store_get_small(s, key, 4096, &buf, &len) != BK_OK)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(who, wlen, "%s", buf);
	if ((at = strstr(buf, " at ")) != NULL)
		ret_parse_time(at + 4, &t);
	free(buf);
	return t;
}

/* The lock exists: break it if stale, else say who holds it. */
static int
held(struct store *s, const char *key, int64_t now, int64_t stale)
{
	char who[256];
	int64_t t = lock_time(s, key, who, sizeof(who));

	if (t != 0 && now - t > stale) {
		warn0("%s%s: breaking a stale lock (%s, older than %llds)",
		    s->u.url, PRUNE_LOCK_NAME, who, (long long)stale);
		return store_remove_all(s, key) == BK_OK ? BK_OK : BK_FAIL;
	}
	warn0("%s%s: locked by %s; another prune is running (a dead one's "
	    "lock is broken after %llds, or with --break-lock)", s->u.url,
	    PRUNE_LOCK_NAME, who, (long long)stale);
	return BK_RETRY;
}

/*
 * The store refused to create a lock that is not there: versitygw
 * v1.7.0 answers 412 to If-None-Match: * for any key of a versioned
 * bucket that was ever deleted.  Then: write it, wait, and read it back:
 * ours, unless another prune wrote in the same moment (best effort).
 */
static int
best_effort(struct store *s, const char *key, const char *text)
{
	char *buf = NULL;
	size_t len;
	int rc;

	if ((rc = store_put_small(s, key, text, strlen(text), 0,
	    "text/plain")) != BK_OK)
		return rc;
	sleep(1);
	if ((rc = store_get_small(s, key, 4096, &buf, &len)) != BK_OK)
		return rc;
	if (strcmp(buf, text) != 0) {
		warn0("%s%s: another prune took the lock", s->u.url,
		    PRUNE_LOCK_NAME);
		rc = BK_RETRY;
	}
	free(buf);
	return rc;
}

int
prune_lock(struct store *s, int64_t now, int64_t stale, int brk)
{
	char host[128] = "?", text[512], when[32];
	struct tm tm;
	time_t t = (time_t)now;
	char *key;
	uint64_t size;
	int exists, rc, tries;

	if ((key = lock_key(s)) == NULL)
		return BK_FAIL;
	gethostname(host, sizeof(host) - 1);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(text, sizeof(text), "bk-prune pid %ld on %s at %s\n",
	    (long)getpid(), host, when);
	if (brk && (rc = store_remove_all(s, key)) != BK_OK)
		goto out;
	for (tries = 0; tries < 2; tries++) {
		if ((rc = store_head(s, key, &exists, &size)) != BK_OK)
			break;
		if (exists) {
			if ((rc = held(s, key, now, stale)) != BK_OK)
				break;
			continue;
		}
		/* Created only if absent: two prunes cannot both get here. */
		if ((rc = store_create(s, key, text, strlen(text))) !=
		    BK_NEGATIVE)
			break;
		if ((rc = store_head(s, key, &exists, &size)) != BK_OK)
			break;
		if (!exists) {
			rc = best_effort(s, key, text);
			break;
		}
	}
out:
	free(key);
	return rc;
}

int
prune_unlock(struct store *s)
{
	char *key;
	int rc;

	if ((key = lock_key(s)) == NULL)
		return BK_FAIL;
	rc = store_remove_all(s, key);
	free(key);
	return rc;
}

int
prune_lock_check(struct store *s, int64_t now, int64_t stale)
{
	char who[256], *key;
	uint64_t size;
	int64_t t;
	int exists, rc;

	if ((key = lock_key(s)) == NULL)
		return BK_FAIL;
	rc = store_head(s, key, &exists, &size);
	if (rc == BK_OK && exists) {
		t = lock_time(s, key, who, sizeof(who));
		if (t == 0 || now - t <= stale) {
			warn0("%s%s: a prune is running (%s): what it lists "
			    "may change under a check; try again later",
			    s->u.url, PRUNE_LOCK_NAME, who);
			rc = BK_RETRY;
		}
	}
	free(key);
	return rc;
}
