/*
 * mongo_conn.c - connecting bk-dump and bk-restore to MongoDB: the URI
 * from --uri or $MONGODB_URI, the password from a private file, the read
 * preference, a ping before any work, and redaction of the password in
 * every message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#include "bk.h"
#include "mongo.h"

#define PWFILE_MAX 4096
/* The driver's default of 30 s leaves an operator staring at nothing. */
#define SERVER_SELECTION_MS 5000

char *
mongo_redact_uri(const char *uri)
{
	const char *auth, *end, *at, *colon, *p;
	char *out;

	if ((out = strdup(uri)) == NULL)
		return strdup("<uri>");
	if ((p = strstr(uri, "://")) == NULL)
		return out;
	auth = p + 3;
	end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return out;
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon == NULL)
		return out;
	free(out);
	if (asprintf(&out, "%.*s***%s", (int)(colon + 1 - uri), uri, at) < 0)
		return strdup("<uri>");
	return out;
}

/*
 * The driver logs chatter (FerretDB lacks endSessions) on stderr; keep
 * only its errors, in our one-line format.
 */
static void
log_handler(mongoc_log_level_t level, const char *domain, const char *msg,
    void *arg)
{
	(void)arg;
	if (level <= MONGOC_LOG_LEVEL_ERROR)
		warn0("mongoc %s: %s", domain, msg);
}

/* Set the password of u from the private file path.  0 or -1. */
static int
set_password(mongoc_uri_t *u, const char *path)
{
	size_t len;
	char *pw;
	int rc = 0;

	if ((pw = bk_read_secret_file(path, PWFILE_MAX, &len)) == NULL)
		return -1;
	while (len > 0 && (pw[len - 1] == '\n' || pw[len - 1] == '\r'))
		pw[--len] = '\0';
	if (memchr(pw, '\0', len) != NULL || !mongoc_uri_set_password(u, pw)) {
		warn0("%s: not a usable password", path);
		rc = -1;
	}
	bk_wipe(pw, len);
	free(pw);
	return rc;
}

static int
set_readpref(mongoc_uri_t *u, const char *mode)
{
	static const struct { const char *name; mongoc_read_mode_t m; } t[] = {
		{ "primary", MONGOC_READ_PRIMARY },
		{ "primaryPreferred", MONGOC_READ_PRIMARY_PREFERRED },
		{ "secondary", MONGOC_READ_SECONDARY },
		{ "secondaryPreferred", MONGOC_READ_SECONDARY_PREFERRED },
		{ "nearest", MONGOC_READ_NEAREST },
	};
	mongoc_read_prefs_t *rp;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(mode, t[i].name) == 0)
			break;
	if (i == sizeof(t) / sizeof(t[0])) {
		warn0("--read-preference %s: expected primary, "
		    "primaryPreferred, secondary, secondaryPreferred or "
		    "nearest", mode);
		return -1;
	}
	rp = mongoc_read_prefs_new(t[i].m);
	mongoc_uri_set_read_prefs_t(u, rp);
	mongoc_read_prefs_destroy(rp);
	return 0;
}

int
mongo_uri_db(const char *uri, char **db)
{
	mongoc_uri_t *u;
	const char *d;
	char *shown;
	int rc = 0;

	*db = NULL;
	if (uri == NULL && (uri = getenv("MONGODB_URI")) == NULL)
		return 0;
	if ((u = mongoc_uri_new_with_error(uri, NULL)) == NULL) {
		shown = mongo_redact_uri(uri);
		warn0("%s: not a usable MongoDB URI", shown);
		free(shown);
		return -1;
	}
	d = mongoc_uri_get_database(u);
	if (d != NULL && *d != '\0' && (*db = strdup(d)) == NULL) {
		warnp("malloc");
		rc = -1;
	}
	mongoc_uri_destroy(u);
	return rc;
}

void
mongo_uri_defaults(mongoc_uri_t *u)
{
	if (!mongoc_uri_has_option(u, MONGOC_URI_SERVERSELECTIONTIMEOUTMS))
		mongoc_uri_set_option_as_int32(u,
		    MONGOC_URI_SERVERSELECTIONTIMEOUTMS, SERVER_SELECTION_MS);
}

/* Ping and ask the version; 0 or -1 (reported, *temp if unreachable). */
static int
ping(mongoc_client_pool_t *pool, const char *shown, int *temp,
    char **server_version)
{
	mongoc_client_t *c = mongoc_client_pool_pop(pool);
	bson_t cmd, reply;
	bson_error_t err;
	bson_iter_t it;
	int rc = -1;

	bson_init(&cmd);
	BSON_APPEND_INT32(&cmd, "ping", 1);
	if (!mongoc_client_command_simple(c, "admin", &cmd, NULL, &reply,
	    &err)) {
		*temp = err.domain == MONGOC_ERROR_SERVER_SELECTION ||
		    err.domain == MONGOC_ERROR_STREAM;
		warn0("%s: cannot reach the server: %s", shown, err.message);
		goto done;
	}
	bson_destroy(&reply);
	bson_reinit(&cmd);
	BSON_APPEND_INT32(&cmd, "buildInfo", 1);
	if (mongoc_client_command_simple(c, "admin", &cmd, NULL, &reply,
	    &err) && bson_iter_init_find(&it, &reply, "version") &&
	    BSON_ITER_HOLDS_UTF8(&it))
		*server_version = strdup(bson_iter_utf8(&it, NULL));
	if (*server_version == NULL)
		*server_version = strdup("");
	rc = *server_version ? 0 : -1;
done:
	bson_destroy(&reply);
	bson_destroy(&cmd);
	mongoc_client_pool_push(pool, c);
	return rc;
}

mongoc_client_pool_t *
mongo_pool_open(const char *uri, const char *pwfile, const char *readpref,
    const char *appname, int *temp, char **server_version)
{
	mongoc_client_pool_t *pool = NULL;
	mongoc_uri_t *u = NULL;
	bson_error_t err;
	char *shown;

	*temp = 0;
	*server_version = NULL;
	mongoc_log_set_handler(log_handler, NULL);
	if (uri == NULL && (uri = getenv("MONGODB_URI")) == NULL) {
		warn0("no MongoDB to talk to: give --uri or set MONGODB_URI");
		return NULL;
	}
	shown = mongo_redact_uri(uri);
	if ((u = mongoc_uri_new_with_error(uri, &err)) == NULL) {
		/* The driver's message may quote the URI; ours does not. */
		warn0("%s: not a usable MongoDB URI", shown);
		goto err;
	}
	if ((pwfile != NULL && set_password(u, pwfile) != 0) ||
	    (readpref != NULL && set_readpref(u, readpref) != 0))
		goto err;
	mongo_uri_defaults(u);
	if ((pool = mongoc_client_pool_new(u)) == NULL) {
		warn0("%s: cannot create a client", shown);
		goto err;
	}
	mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
	mongoc_client_pool_set_appname(pool, appname);
	if (ping(pool, shown, temp, server_version) != 0)
		goto err;
	mongoc_uri_destroy(u);
	free(shown);
	return pool;
err:
	mongoc_client_pool_destroy(pool);
	mongoc_uri_destroy(u);
	free(shown);
	return NULL;
}

int
mongo_cursor_end(mongoc_cursor_t *cur, int rc, const char *fmt, ...)
{
	bson_error_t err;
	char what[512];
	va_list ap;

	if (rc == 0 && mongoc_cursor_error(cur, &err)) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		warn0("%s: %s", what, err.message);
		rc = -1;
	}
	mongoc_cursor_destroy(cur);
	return rc;
}
