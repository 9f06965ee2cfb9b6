/*
 * The SPEC grammar: a fault rule from text.
 *
 * A SPEC is words and key=value fields in any order (docs/faults.md):
 *
 *	write errno=ENOSPC path=/var/log/app.log
 *	name=disk write,fsync errno=EIO probability=0.01
 *	recv stall port=3306
 *
 * The scenario loader feeds the same fields one by one through
 * fr_rule_set(), so both forms accept exactly the same language and give
 * the same messages. faultrun only: the shim reads rules already parsed
 * from the control block.
 */
#define _GNU_SOURCE
#include "units.h"

#include <faultrun/rule.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Operations each action makes sense for. */
static const uint32_t action_ops[FR_ACT_COUNT] = {
	[FR_ACT_ERRNO] = FR_OPS_IO | FR_OPS_NET | FR_OPBIT(FR_OP_IO_URING),
	[FR_ACT_SHORT] = FR_OPBIT(FR_OP_READ) | FR_OPBIT(FR_OP_WRITE) | FR_OPBIT(FR_OP_SEND) |
			 FR_OPBIT(FR_OP_RECV),
	[FR_ACT_BUDGET] = FR_OPBIT(FR_OP_WRITE) | FR_OPBIT(FR_OP_ALLOCATE),
	[FR_ACT_DELAY] = FR_OPS_IO | FR_OPS_NET | FR_OPBIT(FR_OP_RESOLVE),
	[FR_ACT_STALL] = FR_OPS_NET | FR_OPBIT(FR_OP_RESOLVE),
	[FR_ACT_RESET] = FR_OPBIT(FR_OP_CONNECT) | FR_OPBIT(FR_OP_SEND) | FR_OPBIT(FR_OP_RECV),
	[FR_ACT_REFUSE] = FR_OPBIT(FR_OP_CONNECT),
	[FR_ACT_DISK] = FR_OPS_DISK,
	[FR_ACT_GAIERR] = FR_OPBIT(FR_OP_RESOLVE),
	[FR_ACT_BLACKHOLE] = FR_OPBIT(FR_OP_CONNECT) | FR_OPBIT(FR_OP_SEND) | FR_OPBIT(FR_OP_RECV),
	[FR_ACT_CLOSE] = FR_OPBIT(FR_OP_SEND) | FR_OPBIT(FR_OP_RECV),
	[FR_ACT_SLOWCLOSE] = FR_OPBIT(FR_OP_SEND) | FR_OPBIT(FR_OP_RECV),
	[FR_ACT_DROP] = FR_OPBIT(FR_OP_SEND) | FR_OPBIT(FR_OP_RECV),
	[FR_ACT_DUPLICATE] = FR_OPBIT(FR_OP_SEND),
	[FR_ACT_REORDER] = FR_OPBIT(FR_OP_RECV),
};

/* Every key a SPEC or a scenario fault mapping may use. */
static const char *const rule_keys[] = {
	"name",	      "op",	     "ops",	    "action",	    "errno",	    "short",
	"budget",     "delay",	     "stall",	    "reset",	    "refuse",	    "path",
	"proc",	      "probability", "after",	    "times",	    "port",	    "host",
	"unix",	      "lport",	     "mode",	    "may-not-fire", "disk",	    "free",
	"size",	      "block",	     "error",	    "query",	    "jitter",	    "seed",
	"slice",      "blackhole",   "close-after", "then",	    "per",	    "rate",
	"slow-close", "drop",	     "duplicate",   "reorder",	    "distribution", "correlation",
};
#define N_RULE_KEYS (sizeof(rule_keys) / sizeof(rule_keys[0]))

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* "write,fsync", "net/recv", "io" (a family) -> mask; 0 when a word is unknown. */
static uint32_t parse_ops(const char *list, char *bad, size_t badlen)
{
	uint32_t mask = 0;
	const char *p = list;

	snprintf(bad, badlen, "%s", "(empty)");
	while (*p) {
		size_t n = strcspn(p, ",");
		char word[32];
		uint32_t bit = 0;

		if (n == 0 || n >= sizeof(word)) {
			snprintf(bad, badlen, "%.*s", (int)(n ? n : 1), p);
			return 0;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		if (strcmp(word, "*") == 0)
			bit = FR_OPS_IO | FR_OPS_NET;
		else if (strcmp(word, "io/*") == 0 || strcmp(word, "io") == 0)
			bit = FR_OPS_IO;
		else if (strcmp(word, "net/*") == 0 || strcmp(word, "net") == 0)
			bit = FR_OPS_NET;
		for (unsigned op = 0; !bit && op < FR_OP_COUNT; op++)
			if (op != FR_OP_STATFS && (strcmp(word, fr_op_name(op)) == 0 ||
						   strcmp(word, fr_op_path(op)) == 0))
				bit = FR_OPBIT(op);
		if (!bit) {
			snprintf(bad, badlen, "%s", word);
			return 0;
		}
		mask |= bit;
		p += n;
		if (*p == ',')
			p++;
	}
	return mask;
}

static int set_action(struct fr_rule *r, enum fr_action act, char *err, size_t errlen)
{
	if (r->action != FR_ACT_NONE && r->action != (uint32_t)act)
		return fail(err, errlen, "two actions given: '%s' and '%s'",
			    fr_action_name(r->action), fr_action_name(act));
	r->action = act;
	return 0;
}

static int copy_field(char *dst, size_t size, const char *key, const char *value, char *err,
		      size_t errlen)
{
	size_t n = strlen(value);

	if (n == 0)
		return fail(err, errlen, "'%s' needs a value", key);
	if (n >= size)
		return fail(err, errlen, "'%s' is too long (at most %zu characters)", key,
			    size - 1);
	memset(dst, 0, size);
	memcpy(dst, value, n);
	return 0;
}

static int parse_count(const char *key, const char *value, uint64_t *out, char *err, size_t errlen)
{
	char *end;

	if (!isdigit((unsigned char)value[0]))
		return fail(err, errlen, "'%s=%s': expected a whole number", key, value);
	errno = 0;
	unsigned long long v = strtoull(value, &end, 10);
	if (errno || *end)
		return fail(err, errlen, "'%s=%s': expected a whole number", key, value);
	*out = v;
	return 0;
}

static int parse_port(const char *key, const char *value, uint16_t *out, char *err, size_t errlen)
{
	uint64_t v = 0;

	if (parse_count(key, value, &v, err, errlen) < 0 || v == 0 || v > 65535)
		return fail(err, errlen, "'%s=%s': expected a port from 1 to 65535", key, value);
	*out = (uint16_t)v;
	return 0;
}

static bool is_true(const char *v)
{
	return !v || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0;
}

/* A bare word: an action without value, or operations. */
static int set_word(struct fr_rule *r, const char *key, char *err, size_t errlen)
{
	char bad[64];

	if (strcmp(key, "short") == 0 || strcmp(key, "stall") == 0 || strcmp(key, "reset") == 0 ||
	    strcmp(key, "refuse") == 0 || strcmp(key, "may-not-fire") == 0 ||
	    strcmp(key, "blackhole") == 0)
		return fr_rule_set(r, key, "true", err, errlen);
	if (strcmp(key, "disk") == 0)
		return set_action(r, FR_ACT_DISK, err, errlen);
	if (fr_rule_dgram_word(key))
		return fr_rule_set(r, key, "true", err, errlen);
	uint32_t ops = parse_ops(key, bad, sizeof(bad));
	if (!ops) {
		const char *names[FR_OP_COUNT + 7]; /* the operations, then the seven words above */
		size_t n = 0;
		for (unsigned op = 0; op < FR_OP_COUNT; op++)
			if (op != FR_OP_STATFS)
				names[n++] = fr_op_name(op);
		names[n++] = "short";
		names[n++] = "stall";
		names[n++] = "reset";
		names[n++] = "refuse";
		names[n++] = "may-not-fire";
		names[n++] = "disk";
		names[n++] = "blackhole";
		const char *near = fr_nearest(bad, names, n);
		return fail(err, errlen, "unknown operation or action '%s'%s%s%s", bad,
			    near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
	}
	r->ops |= ops;
	return 0;
}

/*
 * An errno name not known: ENOSPEC, ENOSCP and EACESS are typos of a name
 * that is (the names are those fr_errno_name knows, errno(3)).
 */
static int unknown_errno(const char *value, char *err, size_t errlen)
{
	const char *names[160];
	size_t n = 0;

	for (int e = 1; e < 160 && n < sizeof(names) / sizeof(names[0]); e++)
		if (fr_errno_name(e))
			names[n++] = fr_errno_name(e);
	const char *near = fr_nearest(value, names, n);
	if (!near)
		return fail(err, errlen, "'errno=%s': unknown errno name", value);
	return fail(err, errlen, "'errno=%s': unknown errno '%s' (did you mean %s?)", value, value,
		    near);
}

/*
 * The action fields (action, errno, short, reset, refuse, stall, delay,
 * budget). Returns 1 when key is not one of them.
 */
static int set_action_field(struct fr_rule *r, const char *key, const char *value, char *err,
			    size_t errlen)
{
	int ret;

	if (strcmp(key, "action") == 0) {
		/* action: short | stall | reset | refuse (others take a value) */
		for (unsigned a = FR_ACT_SHORT; a < FR_ACT_COUNT; a++)
			if (strcmp(value, fr_action_name(a)) == 0 && a != FR_ACT_BUDGET &&
			    a != FR_ACT_DELAY && a != FR_ACT_GAIERR && a != FR_ACT_CLOSE &&
			    a != FR_ACT_SLOWCLOSE)
				return fr_rule_set(r, value, NULL, err, errlen);
		return fail(err, errlen,
			    "'action=%s': expected short, stall, reset, refuse, blackhole, drop, "
			    "duplicate, reorder or disk (errno, error, budget, delay, close-after "
			    "and slow-close take a value: errno=ENOSPC)",
			    value);
	}
	if (strcmp(key, "errno") == 0) {
		int e = fr_errno_from_name(value);
		if (!e)
			return unknown_errno(value, err, errlen);
		if ((ret = set_action(r, FR_ACT_ERRNO, err, errlen)) < 0)
			return ret;
		r->err = e;
		return 0;
	}
	if (strcmp(key, "error") == 0) {
		int e = fr_gai_from_name(value);
		if (!e)
			return fail(err, errlen,
				    "'error=%s': expected EAI_AGAIN, EAI_NONAME or EAI_FAIL",
				    value);
		if ((ret = set_action(r, FR_ACT_GAIERR, err, errlen)) < 0)
			return ret;
		r->err = e;
		return 0;
	}
	if (strcmp(key, "blackhole") == 0) {
		/*
		 * no blackhole=DURATION: a vanished peer lasts until cleared, and
		 * the program's own timeouts decide (docs/faults.md)
		 */
		if (!is_true(value))
			return fail(err, errlen,
				    "'blackhole' takes no value: the peer stays gone until the "
				    "rule is cleared (for a bounded silence use stall=DURATION)");
		return set_action(r, FR_ACT_BLACKHOLE, err, errlen);
	}
	if (strcmp(key, "short") == 0 || strcmp(key, "reset") == 0 || strcmp(key, "refuse") == 0) {
		if (!is_true(value))
			return fail(err, errlen, "'%s' takes no value", key);
		enum fr_action a = key[0] == 's' ? FR_ACT_SHORT :
				   key[2] == 's' ? FR_ACT_RESET :
						   FR_ACT_REFUSE;
		return set_action(r, a, err, errlen);
	}
	if (strcmp(key, "stall") == 0) {
		uint64_t ns = 0;
		if (!is_true(value) && fr_parse_duration(value, &ns) < 0)
			return fail(err, errlen,
				    "'stall=%s': expected a duration with a unit (ms, s, m)",
				    value);
		/* the rule stores "until cleared" as 0: a zero window must not become it */
		if (!is_true(value) && ns == 0)
			return fail(err, errlen,
				    "'stall=%s' would never stall; write 'stall' alone to "
				    "stall until the rule is cleared",
				    value);
		if ((ret = set_action(r, FR_ACT_STALL, err, errlen)) < 0)
			return ret;
		r->amount = ns;
		return 0;
	}
	if (strcmp(key, "delay") == 0) {
		uint64_t ns;
		if (fr_parse_duration(value, &ns) < 0 || ns == 0)
			return fail(err, errlen,
				    "'delay=%s': expected a duration with a unit (ms, s, m)",
				    value);
		if ((ret = set_action(r, FR_ACT_DELAY, err, errlen)) < 0)
			return ret;
		r->amount = ns;
		return 0;
	}
	if (strcmp(key, "budget") == 0) {
		uint64_t bytes;
		if (fr_parse_size(value, &bytes) < 0 || bytes > INT64_MAX)
			return fail(err, errlen,
				    "'budget=%s': expected a size (512, 64KiB, 10MiB, 1GiB)",
				    value);
		if ((ret = set_action(r, FR_ACT_BUDGET, err, errlen)) < 0)
			return ret;
		r->amount = bytes;
		return 0;
	}
	return 1;
}

static int set_probability(struct fr_rule *r, const char *value, char *err, size_t errlen)
{
	const char *end;
	double p;
	/* a fraction ("0.1"), or a percentage as netem writes it ("10%") */
	int bad = fr_parse_number(value, &p, &end);
	if (!bad && strcmp(end, "%") == 0) {
		p /= 100.0;
		end++;
	}
	if (bad || *end || p > 1.0)
		return fail(err, errlen,
			    "'probability=%s': expected a number from 0 to 1, or a percentage "
			    "(10%%)",
			    value);
	r->probability = p;
	if (p >= 1.0) {
		r->flags &= ~FR_RULE_PROB;
	} else {
		r->flags |= FR_RULE_PROB;
		/* p * 2^64, exact: p < 1 here (ldexp would pull libm into faultrun) */
		r->prob_threshold = (uint64_t)(p * 0x1p64);
	}
	return 0;
}

static int set_host(struct fr_rule *r, const char *value, char *err, size_t errlen)
{
	const char *v = value;
	char buf[INET6_ADDRSTRLEN + 2];
	memset(r->host, 0, sizeof(r->host));
	if (strcmp(v, "localhost") == 0)
		v = "127.0.0.1";
	if (v[0] == '[' && strlen(v) < sizeof(buf) && v[strlen(v) - 1] == ']') {
		snprintf(buf, sizeof(buf), "%.*s", (int)strlen(v) - 2, v + 1);
		v = buf;
	}
	if (inet_pton(AF_INET, v, r->host) == 1)
		r->host_family = AF_INET;
	else if (inet_pton(AF_INET6, v, r->host) == 1)
		r->host_family = AF_INET6;
	else
		return fail(err, errlen, "'host=%s': expected an IPv4 or IPv6 address", value);
	r->flags |= FR_RULE_HOST;
	return 0;
}

/*
 * The selector and counting fields (name, op, path, unix, proc,
 * probability, after, times, port, lport, host, mode). Returns 1 when key
 * is not one of them.
 */
static int set_selector_field(struct fr_rule *r, const char *key, const char *value, char *err,
			      size_t errlen)
{
	char bad[64];
	int ret;

	if (strcmp(key, "name") == 0) {
		for (const char *p = value; *p; p++)
			if (isspace((unsigned char)*p) || *p == '=')
				return fail(err, errlen, "'name=%s': a name has no spaces or '='",
					    value);
		return copy_field(r->name, sizeof(r->name), key, value, err, errlen);
	}
	if (strcmp(key, "op") == 0 || strcmp(key, "ops") == 0) {
		uint32_t ops = parse_ops(value, bad, sizeof(bad));
		if (!ops)
			return fail(err, errlen, "'%s=%s': unknown operation '%s'", key, value,
				    bad);
		r->ops |= ops;
		return 0;
	}
	if (strcmp(key, "path") == 0)
		return copy_field(r->path, sizeof(r->path), key, value, err, errlen);
	if (strcmp(key, "unix") == 0)
		return copy_field(r->unix_path, sizeof(r->unix_path), key, value, err, errlen);
	if (strcmp(key, "proc") == 0)
		return copy_field(r->proc, sizeof(r->proc), key, value, err, errlen);
	if (strcmp(key, "query") == 0) {
		/* DNS names compare case-insensitively (RFC 4343): stored lower case */
		if ((ret = copy_field(r->query, sizeof(r->query), key, value, err, errlen)) < 0)
			return ret;
		for (char *q = r->query; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		return 0;
	}
	if (strcmp(key, "probability") == 0)
		return set_probability(r, value, err, errlen);
	if (strcmp(key, "after") == 0)
		return parse_count(key, value, &r->after, err, errlen);
	if (strcmp(key, "times") == 0) {
		if ((ret = parse_count(key, value, &r->times, err, errlen)) < 0)
			return ret;
		if (r->times == 0)
			return fail(err, errlen,
				    "'times=0' would never inject; "
				    "leave it out for no limit");
		return 0;
	}
	if (strcmp(key, "port") == 0)
		return parse_port(key, value, &r->port, err, errlen);
	if (strcmp(key, "lport") == 0)
		return parse_port(key, value, &r->lport, err, errlen);
	if (strcmp(key, "host") == 0)
		return set_host(r, value, err, errlen);
	if (strcmp(key, "may-not-fire") == 0) {
		if (strcmp(value, "true") == 0)
			r->flags |= FR_RULE_MAY_NOT_FIRE;
		else if (strcmp(value, "false") == 0)
			r->flags &= ~FR_RULE_MAY_NOT_FIRE;
		else
			return fail(err, errlen, "'may-not-fire=%s': expected true or false",
				    value);
		return 0;
	}
	if (strcmp(key, "mode") == 0) {
		if (strcmp(value, "read") == 0)
			r->open_mode = FR_MODE_READ;
		else if (strcmp(value, "write") == 0)
			r->open_mode = FR_MODE_WRITE;
		else
			return fail(err, errlen, "'mode=%s': expected read or write", value);
		return 0;
	}
	return 1;
}

/*
 * The disk fields: disk (as key: disk=true), free=SIZE or size=SIZE (the
 * free space when armed, or the whole file system), block=SIZE (a power
 * of two). Returns 1 when key is not one of them.
 */
static int set_disk_field(struct fr_rule *r, const char *key, const char *value, char *err,
			  size_t errlen)
{
	uint64_t v;
	int ret;

	if (strcmp(key, "disk") == 0) {
		if (!is_true(value))
			return fail(err, errlen, "'disk' takes no value (disk free=64KiB)");
		return set_action(r, FR_ACT_DISK, err, errlen);
	}
	if (strcmp(key, "free") && strcmp(key, "size") && strcmp(key, "block"))
		return 1;
	if (fr_parse_size(value, &v) < 0 || v > INT64_MAX)
		return fail(err, errlen, "'%s=%s': expected a size (512, 64KiB, 10MiB, 1GiB)", key,
			    value);
	if (key[0] == 'b') {
		unsigned sh = v ? (unsigned)__builtin_ctzll(v) : 0;
		if (!v || (v & (v - 1)) || sh < FR_DISK_BLOCK_MIN_SHIFT ||
		    sh > FR_DISK_BLOCK_MAX_SHIFT)
			return fail(err, errlen,
				    "'block=%s': expected a power of two from 512 to 1MiB", value);
		r->block_shift = (uint16_t)sh;
		return 0;
	}
	if ((ret = set_action(r, FR_ACT_DISK, err, errlen)) < 0)
		return ret;
	if (r->amount || (r->flags & FR_RULE_DISK_SIZE))
		return fail(err, errlen, "'%s=': give the disk free= or size=, once", key);
	r->amount = v;
	if (key[0] == 's')
		r->flags |= FR_RULE_DISK_SIZE;
	return 0;
}

/*
 * A disk rule watches its own operations (FR_OPS_DISK) over path=, and
 * takes none of the selectors that count calls: it is a file system, not
 * an injection. Returns 0, or -EINVAL with a message.
 */
static int finish_disk(struct fr_rule *r, char *err, size_t errlen)
{
	if (r->ops)
		return fail(err, errlen,
			    "'disk' watches writes, truncates, allocations, renames, unlinks "
			    "and links itself: give no operation");
	if (!r->path[0])
		return fail(err, errlen, "'disk' needs path= (the tree it holds: /var/log/app/**)");
	if (r->after || r->times || (r->flags & FR_RULE_PROB) || r->open_mode)
		return fail(err, errlen,
			    "'disk' takes no after=, times=, probability= or mode=: "
			    "it fails calls when it is full");
	r->ops = FR_OPS_DISK;
	return 0;
}

int fr_rule_set(struct fr_rule *r, const char *key, const char *value, char *err, size_t errlen)
{
	int ret;

	if (!value)
		return set_word(r, key, err, errlen);
	ret = set_action_field(r, key, value, err, errlen);
	if (ret <= 0)
		return ret;
	ret = set_selector_field(r, key, value, err, errlen);
	if (ret <= 0)
		return ret;

	ret = set_disk_field(r, key, value, err, errlen);
	if (ret <= 0)
		return ret;
	ret = fr_rule_set_shape(r, key, value, err, errlen);
	if (ret <= 0)
		return ret;
	ret = fr_rule_set_close(r, key, value, err, errlen);
	if (ret <= 0)
		return ret;

	const char *near = fr_nearest(key, rule_keys, N_RULE_KEYS);
	return fail(err, errlen, "unknown field '%s'%s%s%s", key, near ? " (did you mean '" : "",
		    near ? near : "", near ? "'?)" : "");
}

/*
 * Which field key=value (or a bare word) sets, as an index into
 * rule_keys, for telling a field given twice; -1 for the operations,
 * which add up ("write fsync" is "write,fsync"), and for what
 * fr_rule_set() will refuse anyway.
 */
static int field_id(const char *key, const char *value)
{
	if (strcmp(key, "action") == 0 && value) {
		key = value;
		value = NULL;
	}
	if (!strcmp(key, "op") || !strcmp(key, "ops"))
		return -1;
	if (!value && strcmp(key, "short") && strcmp(key, "stall") && strcmp(key, "reset") &&
	    strcmp(key, "refuse") && strcmp(key, "may-not-fire") && strcmp(key, "blackhole") &&
	    !fr_rule_dgram_word(key))
		return -1;
	for (size_t i = 0; i < N_RULE_KEYS; i++)
		if (strcmp(key, rule_keys[i]) == 0)
			return (int)i;
	return -1;
}

int fr_rule_set_once(struct fr_rule *r, uint64_t *seen, const char *key, const char *value,
		     char *err, size_t errlen)
{
	int id = field_id(key, value);

	if (id >= 0 && id < 64) {
		if (*seen & (uint64_t)1 << id)
			return fail(err, errlen,
				    "'%s' is given twice (each field once; only operations "
				    "may repeat)",
				    rule_keys[id]);
		*seen |= (uint64_t)1 << id;
	}
	return fr_rule_set(r, key, value, err, errlen);
}

/*
 * A relative path= glob ("logs/" + "**", "./app.log") would never match: the
 * shim matches absolute paths. It means "under the directory I am in", so
 * it is made absolute against faultrun's working directory here, at parse
 * time (docs/faults.md). A glob that starts with '*' ("**" + "/x.log",
 * "*.log") already says where it may match and is left alone. "." and ".."
 * segments of the result are resolved textually.
 */
static int absolute_glob(struct fr_rule *r, char *err, size_t errlen)
{
	char cwd[PATH_MAX], out[sizeof(r->path)];
	size_t n;

	if (!r->path[0] || r->path[0] == '/' || r->path[0] == '*')
		return 0;
	if (!getcwd(cwd, sizeof(cwd)))
		return fail(err, errlen,
			    "'path=%s' is relative and the working directory is unknown", r->path);
	n = strlen(cwd);
	if (n + 1 >= sizeof(out))
		return fail(err, errlen, "'path=%s' is too long once made absolute", r->path);
	memcpy(out, cwd, n + 1);
	for (const char *p = r->path; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			n = n > 1 ? n - 1 : 1;
			out[n] = '\0';
		} else if (len && !(len == 1 && p[0] == '.')) {
			if (n + (n > 1) + len + 1 > sizeof(out))
				return fail(err, errlen, "'path=%s' is too long once made absolute",
					    r->path);
			if (n > 1)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
			out[n] = '\0';
		}
		p += len;
		p += *p == '/';
	}
	memcpy(r->path, out, n + 1);
	return 0;
}

int fr_rule_finish(struct fr_rule *r, unsigned index, char *err, size_t errlen)
{
	enum fr_op bad;

	if (r->action == FR_ACT_DISK && finish_disk(r, err, errlen) < 0)
		return -EINVAL;
	if (fr_rule_finish_shape(r, err, errlen) < 0 || fr_rule_finish_close(r, err, errlen) < 0)
		return -EINVAL;
	if (!r->ops)
		return fail(err, errlen,
			    "no operation given (open, read, write, fsync, truncate, "
			    "allocate, rename, unlink, link, mkdir, connect, accept, send, recv, "
			    "resolve, io_uring)");
	if (r->action == FR_ACT_NONE)
		return fail(err, errlen,
			    "no action given (errno=NAME, short, budget=SIZE, "
			    "delay=DURATION, stall, reset, refuse, blackhole, close-after=SIZE, "
			    "slow-close=DURATION, drop, duplicate, reorder, error=EAI_*)");
	uint32_t misfit = r->ops & ~action_ops[r->action];
	if (misfit && r->action == FR_ACT_ERRNO && (misfit & FR_OPBIT(FR_OP_RESOLVE)))
		return fail(err, errlen,
			    "'errno=%s' does not apply to 'resolve': a lookup fails with "
			    "error=EAI_AGAIN, EAI_NONAME or EAI_FAIL",
			    fr_errno_name(r->err) ? fr_errno_name(r->err) : "?");
	if (misfit && r->action == FR_ACT_GAIERR)
		return fail(err, errlen,
			    "'error=%s' applies to 'resolve' only; '%s' fails with errno=NAME",
			    fr_errno_name(r->err), fr_op_name(__builtin_ctz(misfit)));
	if (misfit) {
		unsigned op = __builtin_ctz(misfit);
		return fail(err, errlen, "action '%s' does not apply to '%s'",
			    fr_action_name(r->action), fr_op_name(op));
	}
	if (r->action == FR_ACT_ERRNO && !fr_errno_valid(r->ops, r->err, &bad))
		return fail(err, errlen, "'errno=%s': %s() never fails with %s",
			    fr_errno_name(r->err), fr_op_name(bad), fr_errno_name(r->err));
	if (r->path[0] && !(r->ops & FR_OPS_IO))
		return fail(err, errlen,
			    "'path=' selects files; for sockets use host=, port= or unix=");
	if ((r->port || r->lport || r->unix_path[0] || (r->flags & FR_RULE_HOST)) &&
	    !(r->ops & FR_OPS_NET))
		return fail(err, errlen,
			    "host=, port=, lport= and unix= select sockets; "
			    "this rule has no socket operation");
	if (r->query[0] && !(r->ops & FR_OPBIT(FR_OP_RESOLVE)))
		return fail(err, errlen,
			    "'query=' selects name lookups; this rule has no resolve operation");
	if (absolute_glob(r, err, errlen) < 0)
		return -EINVAL;
	if (r->open_mode && !(r->ops & FR_OPBIT(FR_OP_OPEN)))
		return fail(err, errlen,
			    "'mode=%s' selects opens by access mode; "
			    "this rule has no open operation",
			    r->open_mode == FR_MODE_READ ? "read" : "write");
	if (!r->name[0])
		snprintf(r->name, sizeof(r->name), "rule%u", index);
	fr_rule_default_seed(r);
	return 0;
}

int fr_spec_parse(const char *spec, struct fr_rule *r, unsigned index, char *err, size_t errlen)
{
	char word[FR_GLOB_MAX + 32];
	const char *p = spec;
	uint64_t seen = 0;
	int ret;

	fr_rule_init(r);
	if (!spec)
		return fail(err, errlen, "empty fault spec");
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		size_t n = 0;
		while (p[n] && !isspace((unsigned char)p[n]))
			n++;
		if (n >= sizeof(word))
			return fail(err, errlen, "field '%.20s...' is too long", p);
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		char *eq = strchr(word, '=');
		if (eq) {
			*eq = '\0';
			if (!word[0])
				return fail(err, errlen, "'=%s': field name missing", eq + 1);
			ret = fr_rule_set_once(r, &seen, word, eq + 1, err, errlen);
		} else {
			ret = fr_rule_set_once(r, &seen, word, NULL, err, errlen);
		}
		if (ret < 0)
			return ret;
	}
	return fr_rule_finish(r, index, err, errlen);
}
