/*
 * store/download.c - one object out of a store whole (download.h).
 */
#include <unistd.h>

#include "bk.h"
#include "store/download.h"

/* Ask for a restore and, with o->wait, poll until it is done. */
static int
restore(struct store *s, const struct download_opts *o)
{
	int rc, done;

	if ((rc = store_restore(s, s->u.key, o->vid, o->days, o->tier)) !=
	    BK_OK)
		return rc;
	warn0("%s: restore requested (%s, %d days)", s->u.url, o->tier,
	    o->days);
	if (!o->wait) {
		warn0("%s: not readable until the restore finishes; run again "
		    "later", s->u.url);
		return BK_RETRY;
	}
	for (;;) {
		if ((rc = store_restored(s, s->u.key, o->vid, &done)) != BK_OK)
			return rc;
		if (done)
			return BK_OK;
		sleep((unsigned int)o->interval);
	}
}

int
store_download(struct store *s, const struct download_opts *o,
    store_sink_fn *sink, void *arg, uint64_t *bytes)
{
	int archived, rc, tries;

	*bytes = 0;
	for (tries = 0; tries < 2; tries++) {
		rc = store_get(s, s->u.key, o->vid, sink, arg, bytes, o->size,
		    &archived);
		if (!archived)
			return rc;
		if (!o->restore || tries > 0) {
			warn0("%s: InvalidObjectState: the object is in an "
			    "archive storage class; --restore requests a copy"
			    "%s", s->u.url, o->restore ? "" :
			    " (--wait waits for it)");
			return BK_FAIL;
		}
		if ((rc = restore(s, o)) != BK_OK)
			return rc;
	}
	return BK_FAIL;
}
