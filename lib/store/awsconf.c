/*
 * store/awsconf.c - AWS CLI style configuration: environment, shared
 * credentials file, config file.  Only the settings an S3 client needs.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/awsconf.h"
#include "bk.h"

#define LINE_MAX_LEN 4096

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Does the "[...]" line name section (spaces around the name ignored)? */
static int
is_section(char *line, const char *section)
{
	char *end;

	if (*line != '[' || (end = strchr(line, ']')) == NULL)
		return -1;
	*end = '\0';
	return strcmp(trim(line + 1), section) == 0;
}

char *
awsconf_ini_get(const char *path, const char *section, const char *parent,
    const char *key, int *found)
{
	char line[LINE_MAX_LEN], *s, *eq, *val = NULL;
	int insec = 0, innest = 0, indented, lineno = 0, r;
	FILE *f;

	struct stat st;
	int fd;

	/* An absent file is no error; a FIFO is refused, never waited on. */
	if (stat(path, &st) != 0 && errno == ENOENT) {
		errno = 0;
		return NULL;
	}
	if ((fd = bk_open_regular(path, 0, "AWS configuration")) == -1) {
		errno = EINVAL;
		return NULL;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		warnp("open %s", path);
		close(fd);
		return NULL;
	}
	errno = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			warn0("%s:%d: line too long", path, lineno);
			errno = EINVAL;
			goto out;
		}
		indented = (line[0] == ' ' || line[0] == '\t');
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if ((r = is_section(s, section)) < 0) {
				warn0("%s:%d: malformed section", path,
				    lineno);
				errno = EINVAL;
				goto out;
			}
			insec = r;
			if (insec)
				*found = 1;
			innest = 0;
			continue;
		}
		if (!insec || (eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		if (!indented)
			innest = (parent != NULL &&
			    strcmp(trim(s), parent) == 0);
		if ((parent == NULL) == indented || (parent && !innest) ||
		    strcmp(trim(s), key) != 0)
			continue;
		free(val);
		if ((val = strdup(trim(eq + 1))) == NULL) {
			warnp("malloc");
			goto out;
		}
	}
	if (ferror(f)) {
		warnp("read %s", path);
		free(val);
		val = NULL;
	}
out:
	bk_wipe(line, sizeof(line));
	fclose(f);
	return val;
}

/* A file path from env, or $HOME/.aws/name. */
static char *
conf_path(const char *env, const char *name)
{
	const char *v = getenv(env), *home = getenv("HOME");
	char *p;

	if (v != NULL && *v != '\0')
		return strdup(v);
	if (asprintf(&p, "%s/.aws/%s", home ? home : "", name) < 0)
		return NULL;
	return p;
}

static char *
env_dup(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0') ? strdup(v) : NULL;
}

/* Set *dst from the profile when still unset; -1 on error. */
static int
from_file(char **dst, const char *path, const char *section,
    const char *parent, const char *key, int *found)
{
	if (*dst != NULL)
		return 0;
	*dst = awsconf_ini_get(path, section, parent, key, found);
	return (*dst == NULL && errno != 0) ? -1 : 0;
}

/* Read everything the profile says into c, where c has no value yet. */
static int
load_profile(struct awsconf *c, const char *profile)
{
	char *cred = conf_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	char *conf = conf_path("AWS_CONFIG_FILE", "config");
	char *sec = NULL, *ak = NULL, *any = NULL;
	int found = 0, rc = -1;

	if (cred == NULL || conf == NULL ||
	    (strcmp(profile, "default") == 0 ? (sec = strdup(profile)) == NULL
	    : asprintf(&sec, "profile %s", profile) < 0)) {
		warnp("malloc");
		goto out;
	}
	/* Keys come as a pair: never mix a file's id with the env's secret. */
	if (c->access_key == NULL) {
		if (from_file(&ak, cred, profile, NULL, "aws_access_key_id",
		    &found) || from_file(&ak, conf, sec, NULL,
		    "aws_access_key_id", &found))
			goto out;
		if (ak != NULL) {
			c->access_key = ak;
			if (from_file(&c->secret_key, cred, profile, NULL,
			    "aws_secret_access_key", &found) ||
			    from_file(&c->secret_key, conf, sec, NULL,
			    "aws_secret_access_key", &found) ||
			    from_file(&c->token, cred, profile, NULL,
			    "aws_session_token", &found) ||
			    from_file(&c->token, conf, sec, NULL,
			    "aws_session_token", &found))
				goto out;
		}
	}
	if (from_file(&c->region, conf, sec, NULL, "region", &found) ||
	    from_file(&c->endpoint, conf, sec, "s3", "endpoint_url", &found) ||
	    from_file(&c->endpoint, conf, sec, NULL, "endpoint_url", &found) ||
	    from_file(&c->ca_bundle, conf, sec, NULL, "ca_bundle", &found) ||
	    from_file(&c->addressing, conf, sec, "s3", "addressing_style",
	    &found))
		goto out;
	/* Accept a profile that exists only in the credentials file. */
	if (!found && from_file(&any, cred, profile, NULL, "", &found))
		goto out;
	if (!found && c->profile != NULL) {
		warn0("AWS profile %s: not in %s or %s", profile, cred, conf);
		goto out;
	}
	rc = 0;
out:
	free(any);
	free(sec);
	free(cred);
	free(conf);
	return rc;
}

/* The environment's settings, where c has no value yet. */
static int
load_env(struct awsconf *c)
{
	if (c->access_key == NULL && getenv("AWS_ACCESS_KEY_ID") != NULL &&
	    *getenv("AWS_ACCESS_KEY_ID") != '\0') {
		c->access_key = env_dup("AWS_ACCESS_KEY_ID");
		c->secret_key = env_dup("AWS_SECRET_ACCESS_KEY");
		c->token = env_dup("AWS_SESSION_TOKEN");
	}
	if (c->region == NULL && (c->region = env_dup("AWS_REGION")) == NULL)
		c->region = env_dup("AWS_DEFAULT_REGION");
	if (c->endpoint == NULL &&
	    (c->endpoint = env_dup("AWS_ENDPOINT_URL_S3")) == NULL)
		c->endpoint = env_dup("AWS_ENDPOINT_URL");
	if (c->ca_bundle == NULL)
		c->ca_bundle = env_dup("AWS_CA_BUNDLE");
	return 0;
}

int
awsconf_load(struct awsconf *c, const char *profile)
{
	const char *envprof = getenv("AWS_PROFILE");
	int fd;

	memset(c, 0, sizeof(*c));
	if (profile != NULL) {
		if ((c->profile = strdup(profile)) == NULL ||
		    load_profile(c, profile) != 0 || load_env(c) != 0)
			goto err;
	} else {
		if (envprof == NULL || *envprof == '\0')
			envprof = "default";
		if (load_env(c) != 0 || load_profile(c, envprof) != 0)
			goto err;
	}
	if (c->region == NULL && (c->region = strdup("us-east-1")) == NULL)
		goto err;
	/* libcurl would wait forever on a FIFO: look at it first. */
	if (c->ca_bundle != NULL) {
		if ((fd = bk_open_regular(c->ca_bundle, 0, "CA bundle")) ==
		    -1) {
			errno = EINVAL;
			goto err;
		}
		close(fd);
	}
	if (c->access_key != NULL && c->secret_key == NULL) {
		warn0("AWS credentials%s%s: an access key id without a "
		    "secret access key", profile ? " of profile " : "",
		    profile ? profile : "");
		goto err;
	}
	return 0;
err:
	if (errno == ENOMEM)
		warnp("malloc");
	awsconf_free(c);
	return -1;
}

static void
free_secret(char *s)
{
	if (s != NULL) {
		bk_wipe(s, strlen(s));
		free(s);
	}
}

void
awsconf_free(struct awsconf *c)
{
	if (c == NULL)
		return;
	free(c->profile);
	free(c->access_key);
	free_secret(c->secret_key);
	free_secret(c->token);
	free(c->region);
	free(c->endpoint);
	free(c->ca_bundle);
	free(c->addressing);
	memset(c, 0, sizeof(*c));
}
