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
		return store_remove(s, key) == BK_OK ? BK_OK : BK_FAIL;
	}
	warn0("%s%s: locked by %s; another prune is running (a dead one's "
	    "lock is broken after %llds, or with --break-lock)", s->u.url,
	    PRUNE_LOCK_NAME, who, (long long)stale);
	return BK_RETRY;
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
	if (brk && (rc = store_remove(s, key)) != BK_OK)
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
		if ((rc = store_put_small(s, key, text, strlen(text), 1,
		    "text/plain")) == BK_OK)
			break;
		rc = BK_RETRY;
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
	rc = store_remove(s, key);
	free(key);
	return rc;
}
