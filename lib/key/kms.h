/*
 * key/kms.h - AWS KMS as a key source (envelope encryption): each new
 * stream is sealed with a fresh data key from GenerateDataKey (AES_256),
 * and its header keeps the wrapped copy (key type 2, bk-format(5)); a
 * stream is opened with the data key KMS Decrypt gives back.  Requests
 * are the JSON 1.1 protocol over libcurl, signed with store/sigv4.h
 * (service "kms"); settings as for S3 (store/awsconf.h), the endpoint
 * from AWS_ENDPOINT_URL_KMS, then AWS_ENDPOINT_URL, then the profile's
 * kms endpoint_url and endpoint_url, then https://kms.REGION.amazonaws.com.
 * The plaintext data key never leaves memory and is wiped after use.
 */
#ifndef BK_KEY_KMS_H
#define BK_KEY_KMS_H

#include <stddef.h>

#include "key/keysrc.h"

#define KMS_KEYID_MAX 512	/* of the key ARN kept in a header */

/*
 * A key source that seals with data keys of the KMS key keyid (an id,
 * ARN, alias name or alias ARN; NULL: this source cannot seal) and opens
 * key type 2 through KMS Decrypt, naming keyid as the expected key when
 * it is set (else the key ARN the header keeps).  Headers of other key
 * types go to other (NULL: refused, saying a keyring is needed); the
 * source takes other over.  Settings are read at the first KMS request.
 * NULL on error (reported; other is freed).
 *
 * seal_key and open_key return a bk_result: BK_FAIL (KMS refused: key
 * disabled, not found, access denied; or no settings), BK_NEGATIVE (KMS
 * says the wrapped key is not one of its keys' or was altered), BK_RETRY
 * (throttled, 5xx, unreachable after the retries).
 */
struct bk_keysrc *bk_keysrc_kms(const char *keyid, struct bk_keysrc *other);
/*
 * The keys that open any container, as every tool that opens one uses
 * them: KMS for key type 2 (settings from the environment, read at the
 * first KMS request; with kms_keyid, only containers sealed under that
 * KMS key), and the keyring at keyring, if not NULL, for the rest.  NULL
 * on error (reported).
 */
struct bk_keysrc *bk_keysrc_opener(const char *keyring,
    const char *kms_keyid);

/* A parsed KMS JSON reply: the fields bk uses, each optional. */
struct kms_reply {
	char type[128];		/* error: "__type" after any '#', or "" */
	char message[512];	/* error: "message" / "Message", or "" */
	char *keyid;		/* "KeyId" (a key ARN), or NULL */
	unsigned char *blob;	/* "CiphertextBlob" decoded, or NULL */
	size_t bloblen;
	int has_plaintext;	/* "Plaintext" decoded to 32 bytes */
	unsigned char plaintext[BK_KEY_LEN];
};

/*
 * Parse the reply body[0..len) into r (cleared first).  A field of the
 * wrong JSON type, base64 that does not decode, or a Plaintext that is
 * not exactly 32 bytes is an error.  0, or -1 (reported: what is wrong,
 * naming what).  Call kms_reply_free in either case.
 */
int kms_reply_parse(const char *body, size_t len, const char *what,
    struct kms_reply *r);
/* Wipe and free what r holds. */
void kms_reply_free(struct kms_reply *r);

/*
 * What a KMS error answer (HTTP status, error type) means: BK_RETRY
 * (throttled, 5xx, KMS internal), BK_NEGATIVE (the ciphertext is not the
 * key's: InvalidCiphertextException, IncorrectKeyException), else BK_FAIL
 * (disabled, not found, access denied, ...).
 */
int kms_error_result(long status, const char *type);

/*
 * The header's key reference for type 2: the key ARN's length (2 bytes,
 * big-endian), the ARN, then the CiphertextBlob.  0, or -1 (reported)
 * when it does not fit BK_KEY_REFMAX.
 */
int kms_ref_make(unsigned char *ref, size_t *reflen, const char *keyid,
    const unsigned char *blob, size_t bloblen);
/*
 * Split ref into the key ARN (copied to keyid, NUL-ended, at most
 * KMS_KEYID_MAX) and the blob (*blob points into ref).  0, or -1 (not
 * reported) if malformed: no room, an empty blob, an ARN that does not
 * start "arn:" or holds a space or control byte.
 */
int kms_ref_split(const unsigned char *ref, size_t reflen,
    char keyid[KMS_KEYID_MAX + 1], const unsigned char **blob,
    size_t *bloblen);

/*
 * The KMS endpoint URL for region, resolved as above (profile AWS_PROFILE
 * or "default" in AWS_CONFIG_FILE or ~/.aws/config); a new string, or
 * NULL (reported) on a malformed setting or no memory.
 */
char *kms_endpoint(const char *region);

#endif /* !BK_KEY_KMS_H */
