/*
 * approve.h - two-person restore into a protected target: the restore
 * policy, OpenSSH allowed_signers, SSHSIG signatures (ssh-keygen -Y sign),
 * restore requests, and the check that ties them together.  bk-approve(1)
 * and bk-restore(1), APPROVALS, describe the formats.
 *
 * Results are enum bk_result (bk.h): BK_NEGATIVE for a refusal (a bad or
 * missing approval, an expired request, a mismatch), BK_FAIL for an
 * operational failure; each reported once where it is found.
 */
#ifndef BK_APPROVE_H
#define BK_APPROVE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bk.h"

#define APPROVE_NAMESPACE "bk-restore"
#define APPROVE_POLICY_DEFAULT "/etc/bk/restore-policy"
#define APPROVE_FILE_MAX (64 * 1024)	/* policy, signers, request, sig */
#define APPROVE_PATTERNS_MAX 256
#define APPROVE_SIGNERS_MAX 1024
#define APPROVE_REQUIRE_MAX 16
#define APPROVE_KEY_MAX 2048		/* a public key blob */

/* policy.c: the restore policy file. */
struct approve_policy {
	char *protect[APPROVE_PATTERNS_MAX];
	size_t nprotect;
	unsigned require;	/* approvals needed: 2 unless the file says */
	char *signers;		/* the allowed-signers file */
};
/*
 * Parse policy text (path for messages): lines "protect PATTERN",
 * "require N", "allowed-signers FILE" (a relative FILE is beside the
 * policy), blank lines and "#" comments.  NULL on error (reported).
 */
struct approve_policy *approve_policy_parse(const char *text,
    const char *path);
/*
 * Read and parse the policy at path, refusing a file or directory that
 * group or others can write.  With missing_ok, a path that does not exist
 * gives a policy that protects nothing.  NULL on error (reported).
 */
struct approve_policy *approve_policy_load(const char *path, int missing_ok);
/* NULL is a no-op. */
void approve_policy_free(struct approve_policy *p);
/*
 * 1 if target ("/abs/dir" or "HOST:PORT/DB") is protected: it matches a
 * pattern (fnmatch), or, for a directory, lies beneath a protected one.
 */
int approve_protected(const struct approve_policy *p, const char *target);

/* One line of an allowed_signers file. */
struct approve_signer {
	char *principals;
	int any_namespace;	/* no namespaces= option */
	int bk_namespace;	/* namespaces= names bk-restore */
	size_t keylen;
	unsigned char key[APPROVE_KEY_MAX];	/* the public key blob */
};
struct approve_signers {
	struct approve_signer *v;
	size_t n;
};
/*
 * Parse allowed_signers text (path for messages): "PRINCIPALS [OPTIONS]
 * KEYTYPE BASE64 [COMMENT]".  Lines with the cert-authority,
 * valid-after or valid-before options, which bk does not implement, are
 * left out (said once each).  NULL on error (reported).
 */
struct approve_signers *approve_signers_parse(const char *text,
    const char *path);
/* Read (refusing a file others can write) and parse.  NULL on error. */
struct approve_signers *approve_signers_load(const char *path);
/* NULL is a no-op. */
void approve_signers_free(struct approve_signers *s);

/* sshsig.c: an SSHSIG signature (OpenSSH PROTOCOL.sshsig). */
struct approve_sig {
	size_t keylen;
	unsigned char key[APPROVE_KEY_MAX];	/* the signer's public key */
	char ns[64];				/* its namespace */
	char hash[8];				/* "sha256" or "sha512" */
	size_t reslen, siglen;
	unsigned char *reserved, *sig;
};
/*
 * Parse the armored signature text ("-----BEGIN SSH SIGNATURE-----"...)
 * into *s (name for messages).  BK_OK, BK_NEGATIVE (malformed) or
 * BK_FAIL (reported).  approve_sig_clear frees what it holds.
 */
int approve_sig_parse(const char *text, size_t len, const char *name,
    struct approve_sig *s);
void approve_sig_clear(struct approve_sig *s);
/*
 * Verify s over msg under namespace ns: ssh-ed25519,
 * sk-ssh-ed25519@openssh.com (the user-presence flag required),
 * ecdsa-sha2-nistp256, and RSA with rsa-sha2-256/512.  BK_OK,
 * BK_NEGATIVE (a bad signature, another namespace, an unknown key type;
 * reported, naming name) or BK_FAIL.
 */
int approve_sig_verify(const struct approve_sig *s, const void *msg,
    size_t len, const char *ns, const char *name);
/* Decode base64 text (no whitespace) into out (max bytes): length or -1. */
long approve_b64decode(const char *in, size_t len, unsigned char *out,
    size_t max);

/* request.c: the restore request (bk-approve(1)). */
#define APPROVE_REQUEST_VERSION "bk-restore-request 1"
struct approve_request {
	char backup[512], target[1024], requester[256], nonce[33];
	unsigned char sha256[BK_SHA256_LEN];
	time_t expires, created;
};
/*
 * Fill in what a new request takes from the system: a fresh nonce, the
 * requester (user@host) and the time created.  0, or -1 (reported).
 */
int approve_request_init(struct approve_request *r);
/* The text of request r, into a new string.  NULL on error (reported). */
char *approve_request_format(const struct approve_request *r);
/* Parse request text.  BK_OK, BK_NEGATIVE (malformed) or BK_FAIL. */
int approve_request_parse(const char *text, const char *name,
    struct approve_request *r);
/* "YYYY-MM-DDTHH:MM:SSZ" into *t.  0, or -1 (not reported). */
int approve_parse_time(const char *s, time_t *t);
/* *t as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes). */
void approve_fmt_time(char out[21], time_t t);

/* check.c: does a request, with its approvals, allow this restore? */
struct approve_result {
	char *approvers[APPROVE_REQUIRE_MAX];	/* principals, one a signer */
	size_t n;
	struct approve_request req;
};
/*
 * Check the request file reqpath against the policy for target at time
 * now: it parses, it is unexpired, it names target (NULL: the caller
 * compares res->req.target itself), and at least
 * p->require of the signature files sigs[0..nsigs) are valid bk-restore
 * signatures of its exact bytes by distinct keys of p's allowed signers.
 * *res gets the request and the approvers.  BK_OK, BK_NEGATIVE (refused,
 * saying why) or BK_FAIL (reported).  approve_result_clear frees *res.
 */
int approve_check(const struct approve_policy *p, const char *reqpath,
    const char *const *sigs, size_t nsigs, const char *target, time_t now,
    struct approve_result *res);
void approve_result_clear(struct approve_result *res);

/*
 * check.c: read a request or a signature handed in (at most APPROVE_FILE_MAX
 * bytes of text).  NULL on error (reported), *rc then BK_NEGATIVE for
 * one that is binary or too large (refused, as malformed), else BK_FAIL.
 */
char *approve_read(const char *path, const char *what, size_t *len,
    int *rc);

/* intake.c: what bk-restore reads, hashed, checked, opened. */
struct approve_intake;
/*
 * Make standard input what the restore reads.  With want (an approved
 * digest), read all of standard input first into an unlinked file in
 * $TMPDIR, hashing it, and refuse (BK_NEGATIVE, nothing restored) if its
 * SHA-256 differs.  Otherwise, with keyring or hash set, a thread pumps
 * standard input through a hash (and, with open, the container's
 * opening, io/aead.h, with bk_keysrc_opener(keyring)) into a pipe that becomes standard input, so the
 * digest is known when the restore has read everything.  *out gets the
 * state (approve_intake_end); NULL when there is nothing to do.  A
 * result.
 */
int approve_intake_start(const char *keyring, int open,
    const unsigned char *want, int hash, struct approve_intake **out);
/*
 * The restore has ended: stop the thread, and the result of reading and
 * opening the input (BK_OK, or the failure, reported); sha256 (may be
 * NULL) gets the digest of the bytes read when there is one, and *have
 * says so.  Frees in; NULL gives BK_OK.
 */
int approve_intake_end(struct approve_intake *in,
    unsigned char sha256[BK_SHA256_LEN], int *have);

/*
 * gate.c: bk-restore's use of all the above.  The options a restore
 * takes: -k KEYRING, --request REQ, --approval SIG (repeated).
 */
struct approve_gate_opts {
	const char *keyring, *request;
	int kms;		/* --kms: open a container without a keyring */
	const char *approvals[APPROVE_REQUIRE_MAX];
	size_t napprovals;
	int incremental;	/* bk-restore --files --delete */
};
struct approve_gate;
struct bk_status;
/*
 * Before a restore reads its input.  With writes set (not a dry run),
 * load the restore policy ($BK_RESTORE_POLICY, else
 * APPROVE_POLICY_DEFAULT if it exists); with dir (a directory restore's
 * target), refuse unless dir is unprotected or the request and its
 * approvals allow it; for a database (dir NULL) the request's approvals
 * are checked here and its targets later by approve_gate_target.  Then
 * approve_intake_start.  An approved directory restore is made aside,
 * into a new sibling of dir (approve_gate_dir), its input hashed as it
 * comes and checked at the end, and swapped in by approve_gate_close;
 * other approved restores spool and check their input first.  *out
 * gets the gate (free it with approve_gate_close, also after a
 * failure).  A result.
 */
int approve_gate_open(const struct approve_gate_opts *o, const char *dir,
    int writes, struct approve_gate **out);
/*
 * For restore_db_opts.target_check: BK_OK if target is unprotected or is
 * the approved request's; else a refusal (reported).  NULL if no
 * database target needs checking.  Sets *protect for a protected
 * target (the restore goes aside, then is swapped in).
 */
int approve_gate_target(void *gate, const char *target, int *protect);
/* Where a directory restore writes: dir, or the sibling it goes aside to. */
const char *approve_gate_dir(const struct approve_gate *g, const char *dir);
/* 1 if the gate has a policy that protects anything or a request. */
int approve_gate_active(const struct approve_gate *g);
/*
 * After the restore, whose result is rc: end the intake; for a restore
 * made aside, refuse a digest other than the approved one, then swap the
 * sibling in place of dir (renameat2 RENAME_EXCHANGE, or rename if dir
 * did not exist) and remove the previous contents, or on any failure
 * remove the sibling and leave dir as it was; record in st
 * "sha256" (of the bytes read, when hashed) and, for an approved
 * restore, "approvers" (their principals), "request" (its nonce) and
 * "target".  Frees g (NULL is a no-op).  The combined result.
 */
int approve_gate_close(struct approve_gate *g, int rc, struct bk_status *st);

#endif /* !BK_APPROVE_H */
