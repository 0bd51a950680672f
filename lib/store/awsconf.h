/*
 * store/awsconf.h - S3 settings resolved the way the AWS CLI resolves them:
 * environment variables, then ~/.aws/credentials and ~/.aws/config
 * (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE), profile AWS_PROFILE or
 * "default".  A profile named explicitly (per destination) wins over the
 * environment, so one run can use two accounts.
 */
#ifndef AWSCONF_H
#define AWSCONF_H

struct awsconf {
	char *profile;		/* the profile used, or NULL for none */
	char *access_key;
	char *secret_key;	/* wiped by awsconf_free */
	char *token;		/* session token or NULL */
	char *region;		/* never NULL after awsconf_load */
	char *endpoint;		/* "scheme://host[:port]" or NULL for AWS */
	char *ca_bundle;	/* CA file or NULL for the system store */
	char *addressing;	/* "path", "virtual" or NULL (automatic) */
};

/*
 * Fill c for the given profile (NULL: the environment, then AWS_PROFILE or
 * "default").  Precedence for an explicit profile: the profile, then the
 * environment; otherwise the environment, then the profile.  Missing
 * credentials are not an error here (the store reports them when it
 * needs them).  Returns 0, or -1 (reported) on a malformed file, an
 * explicit profile that does not exist, or no memory.
 */
int awsconf_load(struct awsconf *c, const char *profile);

/* Free and wipe everything in c; c itself is the caller's. */
void awsconf_free(struct awsconf *c);

/*
 * Look up key in section of the INI file at path (AWS syntax: "[name]"
 * or "[profile name]" as the caller spells it; "key = value"; a nested
 * block "parent =" followed by indented lines when parent is not NULL).
 * *found is set when the section exists.  Returns a new string, NULL if
 * absent (then errno is 0) or on error (reported; errno set).
 */
char *awsconf_ini_get(const char *path, const char *section,
    const char *parent, const char *key, int *found);

#endif /* !AWSCONF_H */
