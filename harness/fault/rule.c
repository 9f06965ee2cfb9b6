/*
 * The fault-rule model: names, errno tables, the SPEC grammar.
 *
 * A SPEC is words and key=value fields in any order (docs/faults.md):
 *
 *	write errno=ENOSPC path=/var/log/app.log
 *	name=disk write,fsync errno=EIO probability=0.01
 *	recv stall port=3306
 *
 * The scenario loader feeds the same fields one by one through
 * fr_rule_set(), so both forms accept exactly the same language and give
 * the same messages.
 */
#define _GNU_SOURCE
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

static const struct {
	const char *word; /* "write" */
	const char *path; /* "io/write" */
} op_names[FR_OP_COUNT] = {
	[FR_OP_OPEN] = { "open", "io/open" },
	[FR_OP_READ] = { "read", "io/read" },
	[FR_OP_WRITE] = { "write", "io/write" },
	[FR_OP_FSYNC] = { "fsync", "io/fsync" },
	[FR_OP_TRUNCATE] = { "truncate", "io/truncate" },
	[FR_OP_ALLOCATE] = { "allocate", "io/allocate" },
	[FR_OP_RENAME] = { "rename", "io/rename" },
	[FR_OP_UNLINK] = { "unlink", "io/unlink" },
	[FR_OP_MKDIR] = { "mkdir", "io/mkdir" },
	[FR_OP_CONNECT] = { "connect", "net/connect" },
	[FR_OP_ACCEPT] = { "accept", "net/accept" },
	[FR_OP_SEND] = { "send", "net/send" },
	[FR_OP_RECV] = { "recv", "net/recv" },
	[FR_OP_STATFS] = { "statfs", "io/statfs" },
};

static const char *const action_names[FR_ACT_COUNT] = {
	[FR_ACT_NONE] = "none",	    [FR_ACT_ERRNO] = "errno",
	[FR_ACT_SHORT] = "short",   [FR_ACT_BUDGET] = "budget",
	[FR_ACT_DELAY] = "delay",   [FR_ACT_STALL] = "stall",
	[FR_ACT_RESET] = "reset",   [FR_ACT_REFUSE] = "refuse",
};

/* Operations each action makes sense for. */
static const uint32_t action_ops[FR_ACT_COUNT] = {
	[FR_ACT_ERRNO] = FR_OPS_IO | FR_OPS_NET,
	[FR_ACT_SHORT] = FR_OPBIT(FR_OP_READ) | FR_OPBIT(FR_OP_WRITE) |
			 FR_OPBIT(FR_OP_SEND) | FR_OPBIT(FR_OP_RECV),
	[FR_ACT_BUDGET] = FR_OPBIT(FR_OP_WRITE) | FR_OPBIT(FR_OP_ALLOCATE),
	[FR_ACT_DELAY] = FR_OPS_IO | FR_OPS_NET,
	[FR_ACT_STALL] = FR_OPS_NET,
	[FR_ACT_RESET] = FR_OPBIT(FR_OP_CONNECT) | FR_OPBIT(FR_OP_SEND) |
			 FR_OPBIT(FR_OP_RECV),
	[FR_ACT_REFUSE] = FR_OPBIT(FR_OP_CONNECT),
};

#define E(x) { x, #x }
static const struct {
	int err;
	const char *name;
} errno_names[] = {
	E(EPERM),	 E(ENOENT),	  E(EINTR),	  E(EIO),
	E(ENXIO),	 E(EBADF),	  E(EAGAIN),	  E(ENOMEM),
	E(EACCES),	 E(EFAULT),	  E(EBUSY),	  E(EEXIST),
	E(EXDEV),	 E(ENODEV),	  E(ENOTDIR),	  E(EISDIR),
	E(EINVAL),	 E(ENFILE),	  E(EMFILE),	  E(ETXTBSY),
	E(EFBIG),	 E(ENOSPC),	  E(ESPIPE),	  E(EROFS),
	E(EMLINK),	 E(EPIPE),	  E(ENAMETOOLONG), E(ENOSYS),
	E(ENOTEMPTY),	 E(ELOOP),	  E(EOVERFLOW),	  E(ENOTSOCK),
	E(EDESTADDRREQ), E(EMSGSIZE),	  E(EPROTOTYPE),  E(EOPNOTSUPP),
	E(EAFNOSUPPORT), E(EADDRINUSE),	  E(EADDRNOTAVAIL), E(ENETDOWN),
	E(ENETUNREACH),	 E(ECONNABORTED), E(ECONNRESET),  E(ENOBUFS),
	E(EISCONN),	 E(ENOTCONN),	  E(ETIMEDOUT),	  E(ECONNREFUSED),
	E(EHOSTUNREACH), E(EALREADY),	  E(EINPROGRESS), E(EDQUOT),
	E(EPROTO),	 E(ENOLCK),
};
#undef E

/*
 * The errnos each operation's entry points can return, from their man
 * pages (open(2), write(2), fsync(2), connect(2), recv(2), ...). EINTR and
 * EIO are allowed everywhere a real device or signal can produce them.
 */
static const int valid_open[] = {
	EACCES, EBUSY, EDQUOT, EEXIST, EFBIG, EINTR, EINVAL, EIO, EISDIR,
	ELOOP, EMFILE, ENAMETOOLONG, ENFILE, ENODEV, ENOENT, ENOMEM, ENOSPC,
	ENOTDIR, ENXIO, EOVERFLOW, EPERM, EROFS, ETXTBSY, EAGAIN, 0
};
static const int valid_read[] = {
	EAGAIN, EBADF, EFAULT, EINTR, EINVAL, EIO, EISDIR, ENOMEM, 0
};
static const int valid_write[] = {
	EAGAIN, EBADF, EDESTADDRREQ, EDQUOT, EFAULT, EFBIG, EINTR, EINVAL,
	EIO, ENOSPC, EPERM, EPIPE, ENOMEM, 0
};
static const int valid_fsync[] = {
	EBADF, EINTR, EIO, EROFS, EINVAL, ENOSPC, EDQUOT, 0
};
static const int valid_truncate[] = {
	EACCES, EBADF, EFAULT, EFBIG, EINTR, EINVAL, EIO, EISDIR, ELOOP,
	ENAMETOOLONG, ENOENT, ENOTDIR, EPERM, EROFS, ETXTBSY, ENOSPC, EDQUOT, 0
};
static const int valid_allocate[] = {
	EBADF, EFBIG, EINTR, EINVAL, EIO, ENODEV, ENOSPC, ENOSYS, EOPNOTSUPP,
	EPERM, ESPIPE, ETXTBSY, EDQUOT, 0
};
static const int valid_rename[] = {
	EACCES, EBUSY, EDQUOT, EFAULT, EINVAL, EISDIR, ELOOP, EMLINK,
	ENAMETOOLONG, ENOENT, ENOMEM, ENOSPC, ENOTDIR, ENOTEMPTY, EEXIST,
	EPERM, EROFS, EXDEV, EIO, 0
};
static const int valid_unlink[] = {
	EACCES, EBUSY, EFAULT, EIO, EISDIR, ELOOP, ENAMETOOLONG, ENOENT,
	ENOMEM, ENOTDIR, EPERM, EROFS, ENOTEMPTY, 0
};
static const int valid_mkdir[] = {
	EACCES, EDQUOT, EEXIST, EFAULT, EINVAL, ELOOP, EMLINK, ENAMETOOLONG,
	ENOENT, ENOMEM, ENOSPC, ENOTDIR, EPERM, EROFS, EIO, 0
};
static const int valid_connect[] = {
	EACCES, EPERM, EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, EAGAIN,
	EALREADY, EBADF, ECONNREFUSED, EFAULT, EINPROGRESS, EINTR, EISCONN,
	ENETUNREACH, ENOTSOCK, EPROTOTYPE, ETIMEDOUT, EHOSTUNREACH,
	ECONNRESET, ENETDOWN, ENOBUFS, 0
};
static const int valid_accept[] = {
	EAGAIN, EBADF, ECONNABORTED, EFAULT, EINTR, EINVAL, EMFILE, ENFILE,
	ENOBUFS, ENOMEM, ENOTSOCK, EOPNOTSUPP, EPROTO, EPERM, ENETDOWN,
	EHOSTUNREACH, ENETUNREACH, ETIMEDOUT, 0
};
static const int valid_send[] = {
	EACCES, EAGAIN, EBADF, ECONNRESET, EDESTADDRREQ, EFAULT, EINTR,
	EINVAL, EISCONN, EMSGSIZE, ENOBUFS, ENOMEM, ENOTCONN, ENOTSOCK,
	EOPNOTSUPP, EPIPE, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, ENETDOWN,
	EIO, 0
};
static const int valid_recv[] = {
	EAGAIN, EBADF, ECONNREFUSED, EFAULT, EINTR, EINVAL, ENOMEM, ENOTCONN,
	ENOTSOCK, ECONNRESET, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, ENETDOWN,
	EIO, 0
};

static const int *const valid_errnos[FR_OP_COUNT] = {
	[FR_OP_OPEN] = valid_open,	   [FR_OP_READ] = valid_read,
	[FR_OP_WRITE] = valid_write,	   [FR_OP_FSYNC] = valid_fsync,
	[FR_OP_TRUNCATE] = valid_truncate, [FR_OP_ALLOCATE] = valid_allocate,
	[FR_OP_RENAME] = valid_rename,	   [FR_OP_UNLINK] = valid_unlink,
	[FR_OP_MKDIR] = valid_mkdir,	   [FR_OP_CONNECT] = valid_connect,
	[FR_OP_ACCEPT] = valid_accept,	   [FR_OP_SEND] = valid_send,
	[FR_OP_RECV] = valid_recv,
};

/* Every key a SPEC or a scenario fault mapping may use. */
static const char *const rule_keys[] = {
	"name", "op",	"ops",	   "action", "errno", "short",	     "budget",
	"delay", "stall", "reset",  "refuse", "path",  "proc", "probability",
	"after", "times", "port",   "host",   "unix",  "lport",
};
#define N_RULE_KEYS (sizeof(rule_keys) / sizeof(rule_keys[0]))

const char *fr_op_name(enum fr_op op)
{
	return (unsigned)op < FR_OP_COUNT ? op_names[op].word : NULL;
}

const char *fr_op_path(enum fr_op op)
{
	return (unsigned)op < FR_OP_COUNT ? op_names[op].path : NULL;
}

const char *fr_action_name(enum fr_action act)
{
	return (unsigned)act < FR_ACT_COUNT ? action_names[act] : NULL;
}

const char *fr_errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return NULL;
}

int fr_errno_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (strcmp(errno_names[i].name, name) == 0)
			return errno_names[i].err;
	if (strcmp(name, "EWOULDBLOCK") == 0)
		return EAGAIN;
	return 0;
}

bool fr_errno_valid(uint32_t ops, int err, enum fr_op *bad_op)
{
	for (unsigned op = 0; op < FR_OP_COUNT; op++) {
		if (!(ops & FR_OPBIT(op)) || !valid_errnos[op])
			continue;
		bool ok = false;
		for (const int *e = valid_errnos[op]; *e; e++)
			if (*e == err)
				ok = true;
		if (!ok) {
			if (bad_op)
				*bad_op = op;
			return false;
		}
	}
	return true;
}

/* Parse a non-negative decimal number with optional fraction; end in *end. */
static int parse_number(const char *s, double *out, const char **end)
{
	char *e;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &e);
	if (errno || e == s || !isfinite(v) || v < 0)
		return -EINVAL;
	*out = v;
	*end = e;
	return 0;
}

struct unit {
	const char *name;
	double mult;
};

/* A number followed by one of the units (exactly); the value times its unit. */
static int parse_with_unit(const char *s, const struct unit *units, size_t n,
			   double *out)
{
	const char *end;
	double v;

	if (!s || parse_number(s, &v, &end) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(end, units[i].name) == 0) {
			*out = v * units[i].mult;
			return 0;
		}
	}
	return -EINVAL;
}

int fr_parse_size(const char *s, uint64_t *out)
{
	static const struct unit units[] = {
		{ "", 1 },	       { "B", 1 },	     { "k", 1024.0 },
		{ "K", 1024.0 },       { "KiB", 1024.0 },    { "KB", 1e3 },
		{ "M", 1048576.0 },    { "MiB", 1048576.0 }, { "MB", 1e6 },
		{ "G", 1073741824.0 }, { "GiB", 1073741824.0 }, { "GB", 1e9 },
		{ "TiB", 1099511627776.0 },
	};
	double b;

	if (parse_with_unit(s, units, sizeof(units) / sizeof(units[0]), &b) < 0 ||
	    b >= 18446744073709551615.0 || b != floor(b))
		return -EINVAL;
	*out = (uint64_t)b;
	return 0;
}

int fr_parse_duration(const char *s, uint64_t *out_ns)
{
	static const struct unit units[] = {
		{ "ns", 1 },	    { "us", 1e3 },   { "ms", 1e6 },
		{ "s", 1e9 },	    { "m", 60e9 },   { "min", 60e9 },
		{ "h", 3600e9 },
	};
	double ns;

	if (parse_with_unit(s, units, sizeof(units) / sizeof(units[0]), &ns) < 0 ||
	    ns >= 9.2e18)
		return -EINVAL;
	*out_ns = (uint64_t)llround(ns);
	return 0;
}

void fr_rule_init(struct fr_rule *r)
{
	memset(r, 0, sizeof(*r));
}

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

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
		for (unsigned op = 0; !bit && op < FR_OP_STATFS; op++)
			if (strcmp(word, op_names[op].word) == 0 ||
			    strcmp(word, op_names[op].path) == 0)
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

static int set_action(struct fr_rule *r, enum fr_action act, char *err,
		      size_t errlen)
{
	if (r->action != FR_ACT_NONE && r->action != (uint32_t)act)
		return fail(err, errlen, "two actions given: '%s' and '%s'",
			    action_names[r->action], action_names[act]);
	r->action = act;
	return 0;
}

static int copy_field(char *dst, size_t size, const char *key,
		      const char *value, char *err, size_t errlen)
{
	size_t n = strlen(value);

	if (n == 0)
		return fail(err, errlen, "'%s' needs a value", key);
	if (n >= size)
		return fail(err, errlen, "'%s' is too long (at most %zu characters)",
			    key, size - 1);
	memset(dst, 0, size);
	memcpy(dst, value, n);
	return 0;
}

static int parse_count(const char *key, const char *value, uint64_t *out,
		       char *err, size_t errlen)
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

static int parse_port(const char *key, const char *value, uint16_t *out,
		      char *err, size_t errlen)
{
	uint64_t v;

	if (parse_count(key, value, &v, err, errlen) < 0 || v == 0 || v > 65535)
		return fail(err, errlen, "'%s=%s': expected a port from 1 to 65535",
			    key, value);
	*out = (uint16_t)v;
	return 0;
}

static bool is_true(const char *v)
{
	return !v || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0;
}

int fr_rule_set(struct fr_rule *r, const char *key, const char *value,
		char *err, size_t errlen)
{
	char bad[64];
	int ret;

	if (!value) {
		/* a bare word: an action without value, or operations */
		if (strcmp(key, "short") == 0 || strcmp(key, "stall") == 0 ||
		    strcmp(key, "reset") == 0 || strcmp(key, "refuse") == 0)
			return fr_rule_set(r, key, "true", err, errlen);
		uint32_t ops = parse_ops(key, bad, sizeof(bad));
		if (!ops) {
			const char *names[FR_OP_STATFS + 4];
			size_t n = 0;
			for (unsigned op = 0; op < FR_OP_STATFS; op++)
				names[n++] = op_names[op].word;
			names[n++] = "short";
			names[n++] = "stall";
			names[n++] = "reset";
			names[n++] = "refuse";
			const char *near = fr_nearest(bad, names, n);
			return fail(err, errlen,
				    "unknown operation or action '%s'%s%s%s", bad,
				    near ? " (did you mean '" : "",
				    near ? near : "", near ? "'?)" : "");
		}
		r->ops |= ops;
		return 0;
	}

	if (strcmp(key, "name") == 0) {
		for (const char *p = value; *p; p++)
			if (isspace((unsigned char)*p) || *p == '=')
				return fail(err, errlen,
					    "'name=%s': a name has no spaces or '='", value);
		return copy_field(r->name, sizeof(r->name), key, value, err, errlen);
	}
	if (strcmp(key, "op") == 0 || strcmp(key, "ops") == 0) {
		uint32_t ops = parse_ops(value, bad, sizeof(bad));
		if (!ops)
			return fail(err, errlen, "'%s=%s': unknown operation '%s'",
				    key, value, bad);
		r->ops |= ops;
		return 0;
	}
	if (strcmp(key, "action") == 0) {
		/* action: short | stall | reset | refuse (others take a value) */
		for (unsigned a = FR_ACT_SHORT; a < FR_ACT_COUNT; a++)
			if (strcmp(value, action_names[a]) == 0 &&
			    a != FR_ACT_BUDGET && a != FR_ACT_DELAY)
				return fr_rule_set(r, value, NULL, err, errlen);
		return fail(err, errlen,
			    "'action=%s': expected short, stall, reset or refuse "
			    "(errno, budget and delay take a value: errno=ENOSPC)",
			    value);
	}
	if (strcmp(key, "errno") == 0) {
		int e = fr_errno_from_name(value);
		if (!e)
			return fail(err, errlen, "'errno=%s': unknown errno name", value);
		if ((ret = set_action(r, FR_ACT_ERRNO, err, errlen)) < 0)
			return ret;
		r->err = e;
		return 0;
	}
	if (strcmp(key, "short") == 0 || strcmp(key, "reset") == 0 ||
	    strcmp(key, "refuse") == 0) {
		if (!is_true(value))
			return fail(err, errlen, "'%s' takes no value", key);
		enum fr_action a = key[0] == 's' ? FR_ACT_SHORT :
				   key[2] == 's' ? FR_ACT_RESET : FR_ACT_REFUSE;
		return set_action(r, a, err, errlen);
	}
	if (strcmp(key, "stall") == 0) {
		uint64_t ns = 0;
		if (!is_true(value) && fr_parse_duration(value, &ns) < 0)
			return fail(err, errlen,
				    "'stall=%s': expected a duration with a unit (ms, s, m)",
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
	if (strcmp(key, "path") == 0)
		return copy_field(r->path, sizeof(r->path), key, value, err, errlen);
	if (strcmp(key, "unix") == 0)
		return copy_field(r->unix_path, sizeof(r->unix_path), key, value,
				  err, errlen);
	if (strcmp(key, "proc") == 0)
		return copy_field(r->proc, sizeof(r->proc), key, value, err, errlen);
	if (strcmp(key, "probability") == 0) {
		const char *end;
		double p;
		if (parse_number(value, &p, &end) < 0 || *end || p > 1.0)
			return fail(err, errlen,
				    "'probability=%s': expected a number from 0 to 1", value);
		r->probability = p;
		if (p >= 1.0) {
			r->flags &= ~FR_RULE_PROB;
		} else {
			r->flags |= FR_RULE_PROB;
			r->prob_threshold = (uint64_t)ldexp(p, 64);
		}
		return 0;
	}
	if (strcmp(key, "after") == 0)
		return parse_count(key, value, &r->after, err, errlen);
	if (strcmp(key, "times") == 0) {
		if ((ret = parse_count(key, value, &r->times, err, errlen)) < 0)
			return ret;
		if (r->times == 0)
			return fail(err, errlen, "'times=0' would never inject; "
				    "leave it out for no limit");
		return 0;
	}
	if (strcmp(key, "port") == 0)
		return parse_port(key, value, &r->port, err, errlen);
	if (strcmp(key, "lport") == 0)
		return parse_port(key, value, &r->lport, err, errlen);
	if (strcmp(key, "host") == 0) {
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
			return fail(err, errlen,
				    "'host=%s': expected an IPv4 or IPv6 address", value);
		r->flags |= FR_RULE_HOST;
		return 0;
	}

	const char *near = fr_nearest(key, rule_keys, N_RULE_KEYS);
	return fail(err, errlen, "unknown field '%s'%s%s%s", key,
		    near ? " (did you mean '" : "", near ? near : "",
		    near ? "'?)" : "");
}

int fr_rule_finish(struct fr_rule *r, unsigned index, char *err, size_t errlen)
{
	enum fr_op bad;

	if (!r->ops)
		return fail(err, errlen,
			    "no operation given (open, read, write, fsync, truncate, "
			    "allocate, rename, unlink, mkdir, connect, accept, send, recv)");
	if (r->action == FR_ACT_NONE)
		return fail(err, errlen,
			    "no action given (errno=NAME, short, budget=SIZE, "
			    "delay=DURATION, stall, reset, refuse)");
	uint32_t misfit = r->ops & ~action_ops[r->action];
	if (misfit) {
		unsigned op = __builtin_ctz(misfit);
		return fail(err, errlen, "action '%s' does not apply to '%s'",
			    action_names[r->action], op_names[op].word);
	}
	if (r->action == FR_ACT_ERRNO && !fr_errno_valid(r->ops, r->err, &bad))
		return fail(err, errlen, "'errno=%s': %s() never fails with %s",
			    fr_errno_name(r->err), op_names[bad].word,
			    fr_errno_name(r->err));
	if (r->path[0] && !(r->ops & FR_OPS_IO))
		return fail(err, errlen,
			    "'path=' selects files; for sockets use host=, port= or unix=");
	if ((r->port || r->lport || r->unix_path[0] || (r->flags & FR_RULE_HOST)) &&
	    !(r->ops & FR_OPS_NET))
		return fail(err, errlen,
			    "host=, port=, lport= and unix= select sockets; "
			    "this rule has no socket operation");
	if (!r->name[0])
		snprintf(r->name, sizeof(r->name), "rule%u", index);
	return 0;
}

int fr_spec_parse(const char *spec, struct fr_rule *r, unsigned index,
		  char *err, size_t errlen)
{
	char word[FR_GLOB_MAX + 32];
	const char *p = spec;
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
			ret = fr_rule_set(r, word, eq + 1, err, errlen);
		} else {
			ret = fr_rule_set(r, word, NULL, err, errlen);
		}
		if (ret < 0)
			return ret;
	}
	return fr_rule_finish(r, index, err, errlen);
}

/* Append to buf at *off, never overflowing; returns -ENOSPC when cut. */
static int append(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	*off += (size_t)n;
	return *off < len ? 0 : -ENOSPC;
}

static void format_duration(char *buf, size_t len, uint64_t ns)
{
	if (ns % 1000000000ull == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ns / 1000000000ull));
	else if (ns % 1000000ull == 0)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000ull));
	else if (ns % 1000ull == 0)
		snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000ull));
	else
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
}

int fr_rule_format(const struct fr_rule *r, char *buf, size_t len)
{
	size_t off = 0;
	char tmp[64];
	int ret = 0;
	bool first = true;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	ret |= append(buf, len, &off, "name=%.*s ", (int)sizeof(r->name), r->name);
	for (unsigned op = 0; op < FR_OP_STATFS; op++) {
		if (!(r->ops & FR_OPBIT(op)))
			continue;
		ret |= append(buf, len, &off, "%s%s", first ? "" : ",", op_names[op].word);
		first = false;
	}
	switch (r->action) {
	case FR_ACT_ERRNO:
		ret |= append(buf, len, &off, " errno=%s",
			      fr_errno_name(r->err) ? fr_errno_name(r->err) : "?");
		break;
	case FR_ACT_BUDGET:
		ret |= append(buf, len, &off, " budget=%llu",
			      (unsigned long long)r->amount);
		break;
	case FR_ACT_DELAY:
	case FR_ACT_STALL:
		if (r->action == FR_ACT_STALL && !r->amount) {
			ret |= append(buf, len, &off, " stall");
			break;
		}
		format_duration(tmp, sizeof(tmp), r->amount);
		ret |= append(buf, len, &off, " %s=%s",
			      action_names[r->action], tmp);
		break;
	default:
		if (r->action < FR_ACT_COUNT)
			ret |= append(buf, len, &off, " %s", action_names[r->action]);
		break;
	}
	if (r->path[0])
		ret |= append(buf, len, &off, " path=%.*s", (int)sizeof(r->path), r->path);
	if (r->unix_path[0])
		ret |= append(buf, len, &off, " unix=%.*s",
			      (int)sizeof(r->unix_path), r->unix_path);
	if (r->proc[0])
		ret |= append(buf, len, &off, " proc=%.*s", (int)sizeof(r->proc), r->proc);
	if (r->flags & FR_RULE_HOST) {
		char a[INET6_ADDRSTRLEN];
		if (inet_ntop(r->host_family == AF_INET6 ? AF_INET6 : AF_INET,
			      r->host, a, sizeof(a)))
			ret |= append(buf, len, &off, " host=%s", a);
	}
	if (r->port)
		ret |= append(buf, len, &off, " port=%u", r->port);
	if (r->lport)
		ret |= append(buf, len, &off, " lport=%u", r->lport);
	if (r->flags & FR_RULE_PROB) {
		/* the shortest form that reads back as the same number (%g loses digits) */
		for (int prec = 6; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, r->probability);
			if (strtod(tmp, NULL) == r->probability)
				break;
		}
		ret |= append(buf, len, &off, " probability=%s", tmp);
	}
	if (r->after)
		ret |= append(buf, len, &off, " after=%llu", (unsigned long long)r->after);
	if (r->times)
		ret |= append(buf, len, &off, " times=%llu", (unsigned long long)r->times);
	return ret ? -ENOSPC : 0;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[64];

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

const char *fr_nearest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, cands[i]);
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	if (!best || best_d == 0)
		return best_d == 0 ? best : NULL;
	if (best_d > 2 || best_d * 3 > strlen(word) + 1)
		return NULL;
	return best;
}
