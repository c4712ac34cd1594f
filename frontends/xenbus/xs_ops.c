/*
 * frontends/xenbus/xs_ops.c - the xenstore operations, as payloads.
 *
 * Each operation is a list of strings: a path always travels with its
 * NUL, a written value without one (its length is the payload's), and
 * replies come back NUL-terminated by the ring consumer.
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "xs_client.h"

#define LEN(s)	((uint32_t)__builtin_strlen(s))

static int path_check(const char *path)
{
	uint32_t n = path ? LEN(path) : 0;

	if (!n)
		return -PVK_XEN_EINVAL;
	if (n >= (path[0] == '/' ? PVK_XENSTORE_ABS_PATH_MAX : PVK_XENSTORE_REL_PATH_MAX))
		return -PVK_XEN_ENAMETOOLONG;
	return 0;
}

/* A request whose payload is just a path. */
static int path_op(uint32_t type, pvk_xs_transaction_t t, const char *path,
		   char *out, size_t size)
{
	const char *parts[] = { path };
	uint32_t lens[1];
	int rc = path_check(path);

	if (rc)
		return rc;
	lens[0] = LEN(path) + 1;
	return pvk_xs_request(type, t, parts, lens, 1, out, size);
}

int pvk_xs_read(pvk_xs_transaction_t t, const char *path, char *buf, size_t size)
{
	return path_op(PVK_XS_READ, t, path, buf, size);
}

/*
 * The batch calls' loop: n entries, elem bytes apart, each with a path
 * and an rc at the offsets given, go out in rounds of PVK_XS_MANY_MAX.
 * A round is sent together and waited for together, within one bound
 * from its own start (review s13 S1: one bound for all rounds would
 * squeeze ~11 round trips of a publish into one PVK_XS_TIMEOUT_NS, and
 * send the last rounds with nothing left to wait, M1). A path refused is
 * not sent; fill() makes the rest of an entry's request (parts[0] is its
 * path). A reply's length is the entry's rc when keep_len, else 0 for
 * success.
 *
 * No round is sent after one that stopped the call (stop_rc()): the rest
 * are not sent, and each has the error that stopped it.
 */
struct many_op {
	size_t elem, path_at, rc_at;
	void (*fill)(const void *e, struct pvk_xs_many *m, const char **parts,
		     uint32_t *lens);
	bool keep_len;
};

/* Why a round's answer rc stops the rounds after it: xenstored did not
 * answer in time or the connection is gone (every later round would
 * cost a bound, or fail the same); in a transaction any error but
 * ENOENT (a read of an optional key, a removal of nothing), since the
 * transaction is aborted anyway (review s12 S5). */
static bool stop_rc(pvk_xs_transaction_t t, int rc)
{
	if (rc == -PVK_XEN_ETIMEDOUT || rc == -PVK_XEN_EIO || rc == -PVK_XEN_ENODEV)
		return true;
	return t != PVK_XBT_NIL && rc < 0 && rc != -PVK_XEN_ENOENT;
}

static void many(const struct many_op *op, pvk_xs_transaction_t t, char *e,
		 unsigned int n)
{
	struct pvk_xs_many m[PVK_XS_MANY_MAX];
	const char *parts[PVK_XS_MANY_MAX][2];
	uint32_t lens[PVK_XS_MANY_MAX][2];
	int *rc[PVK_XS_MANY_MAX];
	int stopped = 0;

	while (n) {
		unsigned int k = n < PVK_XS_MANY_MAX ? n : PVK_XS_MANY_MAX, nm = 0;
		struct pvk_xs_bound b;

		for (unsigned int i = 0; i < k; i++, e += op->elem) {
			const char *path = *(const char *const *)(e + op->path_at);
			int *erc = (int *)(e + op->rc_at);

			*erc = stopped ? stopped : path_check(path);
			if (*erc)
				continue;
			parts[nm][0] = path;
			lens[nm][0] = LEN(path) + 1;
			m[nm] = (struct pvk_xs_many){ .t = t, .parts = parts[nm], .lens = lens[nm] };
			op->fill(e, &m[nm], parts[nm], lens[nm]);
			rc[nm++] = erc;
		}
		n -= k;
		if (!nm)
			continue;
		pvk_xs_bound_start(&b);
		pvk_xs_request_many_within(m, nm, &b);
		for (unsigned int j = 0; j < nm; j++) {
			*rc[j] = m[j].rc < 0 || op->keep_len ? m[j].rc : 0;
			if (!stopped && stop_rc(t, m[j].rc))
				stopped = m[j].rc;
		}
	}
}

static void read_fill(const void *e, struct pvk_xs_many *m, const char **parts,
		      uint32_t *lens)
{
	const struct pvk_xs_read_req *r = e;

	(void)parts;
	(void)lens;
	m->type = PVK_XS_READ;
	m->nr = 1;
	m->out = r->buf;
	m->out_size = r->size;
}

void pvk_xs_read_many(pvk_xs_transaction_t t, struct pvk_xs_read_req *r, unsigned int n)
{
	static const struct many_op op = {
		.elem = sizeof(*r), .fill = read_fill, .keep_len = true,
		.path_at = offsetof(struct pvk_xs_read_req, path),
		.rc_at = offsetof(struct pvk_xs_read_req, rc),
	};

	many(&op, t, (char *)r, n);
}

/* A value NULL removes the node. */
static void write_fill(const void *e, struct pvk_xs_many *m, const char **parts,
		       uint32_t *lens)
{
	const struct pvk_xs_write_req *w = e;

	m->type = w->value ? PVK_XS_WRITE : PVK_XS_RM;
	m->nr = w->value ? 2 : 1;
	parts[1] = w->value;
	lens[1] = w->value ? LEN(w->value) : 0;
}

void pvk_xs_write_many(pvk_xs_transaction_t t, struct pvk_xs_write_req *w, unsigned int n)
{
	static const struct many_op op = {
		.elem = sizeof(*w), .fill = write_fill,
		.path_at = offsetof(struct pvk_xs_write_req, path),
		.rc_at = offsetof(struct pvk_xs_write_req, rc),
	};

	many(&op, t, (char *)w, n);
}

int pvk_xs_write(pvk_xs_transaction_t t, const char *path, const char *value)
{
	const char *parts[] = { path, value };
	uint32_t lens[2];
	int rc = path_check(path);

	if (rc)
		return rc;
	lens[0] = LEN(path) + 1;
	lens[1] = LEN(value);
	rc = pvk_xs_request(PVK_XS_WRITE, t, parts, lens, 2, NULL, 0);
	return rc < 0 ? rc : 0;
}

int pvk_xs_mkdir(pvk_xs_transaction_t t, const char *path)
{
	int rc = path_op(PVK_XS_MKDIR, t, path, NULL, 0);

	return rc < 0 ? rc : 0;
}

int pvk_xs_rm(pvk_xs_transaction_t t, const char *path)
{
	int rc = path_op(PVK_XS_RM, t, path, NULL, 0);

	return rc < 0 ? rc : 0;
}

static int string_list(uint32_t type, pvk_xs_transaction_t t, const char *path,
		       char *buf, size_t size)
{
	int len = path_op(type, t, path, buf, size);

	if (len < 0)
		return len;
	return pvk_xs_count_strings(buf, (uint32_t)len);
}

int pvk_xs_directory(pvk_xs_transaction_t t, const char *path, char *buf,
		     size_t size)
{
	return string_list(PVK_XS_DIRECTORY, t, path, buf, size);
}

int pvk_xs_get_perms(pvk_xs_transaction_t t, const char *path, char *buf,
		     size_t size)
{
	return string_list(PVK_XS_GET_PERMS, t, path, buf, size);
}

#define MAX_PERMS 16

int pvk_xs_set_perms(pvk_xs_transaction_t t, const char *path,
		     const char *const *perms, unsigned int nr)
{
	const char *parts[1 + MAX_PERMS];
	uint32_t lens[1 + MAX_PERMS];
	int rc = path_check(path);

	if (rc)
		return rc;
	if (!nr || nr > MAX_PERMS)
		return -PVK_XEN_EINVAL;
	parts[0] = path;
	lens[0] = LEN(path) + 1;
	for (unsigned int i = 0; i < nr; i++) {
		parts[1 + i] = perms[i];
		lens[1 + i] = LEN(perms[i]) + 1;
	}
	rc = pvk_xs_request(PVK_XS_SET_PERMS, t, parts, lens, 1 + nr, NULL, 0);
	return rc < 0 ? rc : 0;
}

int pvk_xs_read_ulong(pvk_xs_transaction_t t, const char *path,
		      unsigned long *out)
{
	char buf[24];
	int rc = pvk_xs_read(t, path, buf, sizeof(buf));

	if (rc < 0)
		return rc;
	return pvk_xs_parse_ulong(buf, out);
}

int pvk_xs_transaction_start(pvk_xs_transaction_t *t)
{
	const char *parts[] = { "" };
	uint32_t lens[] = { 1 };
	unsigned long id;
	char buf[24];
	int rc;

	rc = pvk_xs_request(PVK_XS_TRANSACTION_START, PVK_XBT_NIL, parts, lens,
			    1, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	rc = pvk_xs_parse_ulong(buf, &id);
	if (rc || id == 0 || id > UINT32_MAX)	/* tx_id is 32 bits on the wire */
		return -PVK_XEN_EIO;
	*t = (pvk_xs_transaction_t)id;
	return 0;
}

int pvk_xs_transaction_end(pvk_xs_transaction_t t, bool abort)
{
	const char *parts[] = { abort ? "F" : "T" };
	uint32_t lens[] = { sizeof("T") };	/* "T" or "F" and its NUL */
	int rc;

	if (t == PVK_XBT_NIL)
		return -PVK_XEN_EINVAL;
	rc = pvk_xs_request(PVK_XS_TRANSACTION_END, t, parts, lens, 1, NULL, 0);
	return rc < 0 ? rc : 0;
}

int pvk_xs_transaction(int (*fn)(pvk_xs_transaction_t t, void *arg), void *arg,
		       unsigned int *attempts)
{
	unsigned int tries = 0;
	int rc;

	do {
		pvk_xs_transaction_t t;

		tries++;
		rc = pvk_xs_transaction_start(&t);
		if (rc)
			break;
		rc = fn(t, arg);
		if (rc < 0) {
			pvk_xs_transaction_end(t, true);
			break;
		}
		rc = pvk_xs_transaction_end(t, false);
	} while (rc == -PVK_XEN_EAGAIN && tries < PVK_XS_TRANSACTION_RETRIES);
	if (rc == -PVK_XEN_EAGAIN)
		pvk_warn("xenstore: transaction still conflicting after %u tries", tries);
	if (attempts)
		*attempts = tries;
	return rc;
}
