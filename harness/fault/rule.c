/*
 * The fault-rule model: operation, action and errno names, the errnos each
 * operation can really return (from the man pages), and a rule written
 * back as a SPEC line. Parsing a SPEC is rule_spec.c.
 */
#define _GNU_SOURCE
#include <faultrun/rule.h>
#include "units.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
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
	[FR_OP_LINK] = { "link", "io/link" },
	[FR_OP_STATFS] = { "statfs", "io/statfs" },
	[FR_OP_RESOLVE] = { "resolve", "net/resolve" },
	[FR_OP_IO_URING] = { "io_uring", "sys/io_uring" },
};

static const char *const action_names[FR_ACT_COUNT] = {
	[FR_ACT_NONE] = "none",
	[FR_ACT_ERRNO] = "errno",
	[FR_ACT_SHORT] = "short",
	[FR_ACT_BUDGET] = "budget",
	[FR_ACT_DELAY] = "delay",
	[FR_ACT_STALL] = "stall",
	[FR_ACT_RESET] = "reset",
	[FR_ACT_REFUSE] = "refuse",
	[FR_ACT_DISK] = "disk",
	[FR_ACT_GAIERR] = "error",
	[FR_ACT_BLACKHOLE] = "blackhole",
	[FR_ACT_CLOSE] = "close-after",
	[FR_ACT_SLOWCLOSE] = "slow-close",
	[FR_ACT_DROP] = "drop",
	[FR_ACT_DUPLICATE] = "duplicate",
	[FR_ACT_REORDER] = "reorder",
};

#define E(x)          \
	{             \
		x, #x \
	}
static const struct {
	int err;
	const char *name;
} errno_names[] = {
	E(EPERM),	E(ENOENT),	 E(EINTR),	  E(EIO),	    E(ENXIO),
	E(EBADF),	E(EAGAIN),	 E(ENOMEM),	  E(EACCES),	    E(EFAULT),
	E(EBUSY),	E(EEXIST),	 E(EXDEV),	  E(ENODEV),	    E(ENOTDIR),
	E(EISDIR),	E(EINVAL),	 E(ENFILE),	  E(EMFILE),	    E(ETXTBSY),
	E(EFBIG),	E(ENOSPC),	 E(ESPIPE),	  E(EROFS),	    E(EMLINK),
	E(EPIPE),	E(ENAMETOOLONG), E(ENOSYS),	  E(ENOTEMPTY),	    E(ELOOP),
	E(EOVERFLOW),	E(ENOTSOCK),	 E(EDESTADDRREQ), E(EMSGSIZE),	    E(EPROTOTYPE),
	E(EOPNOTSUPP),	E(EAFNOSUPPORT), E(EADDRINUSE),	  E(EADDRNOTAVAIL), E(ENETDOWN),
	E(ENETUNREACH), E(ECONNABORTED), E(ECONNRESET),	  E(ENOBUFS),	    E(EISCONN),
	E(ENOTCONN),	E(ETIMEDOUT),	 E(ECONNREFUSED), E(EHOSTUNREACH),  E(EALREADY),
	E(EINPROGRESS), E(EDQUOT),	 E(EPROTO),	  E(ENOLCK),
};

/*
 * What an `error=` rule may give a lookup: the getaddrinfo(3) codes a
 * failing name server produces (EAI_AGAIN: try again later, EAI_NONAME: no
 * such name, EAI_FAIL: a permanent failure). The others (EAI_BADFLAGS,
 * EAI_FAMILY, EAI_MEMORY, EAI_SYSTEM...) are the caller's or the
 * machine's, not the name service's.
 */
static const struct {
	int err;
	const char *name;
} gai_names[] = { E(EAI_AGAIN), E(EAI_NONAME), E(EAI_FAIL) };
#undef E

/*
 * The errnos each operation's entry points can return, from their man
 * pages (open(2), write(2), fsync(2), connect(2), recv(2), ...). EINTR and
 * EIO are allowed everywhere a real device or signal can produce them.
 */
static const int valid_open[] = { EACCES, EBUSY,   EDQUOT, EEXIST,  EFBIG,	  EINTR,     EINVAL,
				  EIO,	  EISDIR,  ELOOP,  EMFILE,  ENAMETOOLONG, ENFILE,    ENODEV,
				  ENOENT, ENOMEM,  ENOSPC, ENOTDIR, ENXIO,	  EOVERFLOW, EPERM,
				  EROFS,  ETXTBSY, EAGAIN, 0 };
static const int valid_read[] = { EAGAIN, EBADF, EFAULT, EINTR, EINVAL, EIO, EISDIR, ENOMEM, 0 };
static const int valid_write[] = { EAGAIN, EBADF, EDESTADDRREQ, EDQUOT, EFAULT, EFBIG,	EINTR,
				   EINVAL, EIO,	  ENOSPC,	EPERM,	EPIPE,	ENOMEM, 0 };
static const int valid_fsync[] = { EBADF, EINTR, EIO, EROFS, EINVAL, ENOSPC, EDQUOT, 0 };
static const int valid_truncate[] = { EACCES, EBADF,  EFAULT,  EFBIG,	     EINTR,  EINVAL,
				      EIO,    EISDIR, ELOOP,   ENAMETOOLONG, ENOENT, ENOTDIR,
				      EPERM,  EROFS,  ETXTBSY, ENOSPC,	     EDQUOT, 0 };
static const int valid_allocate[] = { EBADF,  EFBIG,	  EINTR, EINVAL, EIO,	  ENODEV, ENOSPC,
				      ENOSYS, EOPNOTSUPP, EPERM, ESPIPE, ETXTBSY, EDQUOT, 0 };
static const int valid_rename[] = { EACCES, EBUSY,  EDQUOT,  EFAULT,	   EINVAL,
				    EISDIR, ELOOP,  EMLINK,  ENAMETOOLONG, ENOENT,
				    ENOMEM, ENOSPC, ENOTDIR, ENOTEMPTY,	   EEXIST,
				    EPERM,  EROFS,  EXDEV,   EIO,	   0 };
static const int valid_unlink[] = { EACCES, EBUSY,  EFAULT,  EIO,   EISDIR, ELOOP,     ENAMETOOLONG,
				    ENOENT, ENOMEM, ENOTDIR, EPERM, EROFS,  ENOTEMPTY, 0 };
static const int valid_mkdir[] = { EACCES, EDQUOT,	 EEXIST, EFAULT, EINVAL, ELOOP,
				   EMLINK, ENAMETOOLONG, ENOENT, ENOMEM, ENOSPC, ENOTDIR,
				   EPERM,  EROFS,	 EIO,	 0 };
/* link(2), symlink(2) */
static const int valid_link[] = { EACCES, EDQUOT,	EEXIST, EFAULT, EIO,	ELOOP,
				  EMLINK, ENAMETOOLONG, ENOENT, ENOMEM, ENOSPC, ENOTDIR,
				  EPERM,  EROFS,	EXDEV,	0 };
static const int valid_connect[] = {
	EACCES,	  EPERM,	EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, EAGAIN,   EALREADY,
	EBADF,	  ECONNREFUSED, EFAULT,	    EINPROGRESS,   EINTR,	 EISCONN,  ENETUNREACH,
	ENOTSOCK, EPROTOTYPE,	ETIMEDOUT,  EHOSTUNREACH,  ECONNRESET,	 ENETDOWN, ENOBUFS,
	0
};
static const int valid_accept[] = { EAGAIN,	  EBADF,       ECONNABORTED, EFAULT,  EINTR,
				    EINVAL,	  EMFILE,      ENFILE,	     ENOBUFS, ENOMEM,
				    ENOTSOCK,	  EOPNOTSUPP,  EPROTO,	     EPERM,   ENETDOWN,
				    EHOSTUNREACH, ENETUNREACH, ETIMEDOUT,    0 };
static const int valid_send[] = { EACCES,  EAGAIN,    EBADF,	    ECONNRESET,	 EDESTADDRREQ,
				  EFAULT,  EINTR,     EINVAL,	    EISCONN,	 EMSGSIZE,
				  ENOBUFS, ENOMEM,    ENOTCONN,	    ENOTSOCK,	 EOPNOTSUPP,
				  EPIPE,   ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, ENETDOWN,
				  EIO,	   0 };
static const int valid_recv[] = { EAGAIN,      EBADF,	   ECONNREFUSED, EFAULT,
				  EINTR,       EINVAL,	   ENOMEM,	 ENOTCONN,
				  ENOTSOCK,    ECONNRESET, ETIMEDOUT,	 EHOSTUNREACH,
				  ENETUNREACH, ENETDOWN,   EIO,		 0 };

/*
 * io_uring_setup(2): ENOSYS where the kernel has no io_uring (built
 * without CONFIG_IO_URING), EPERM where it is disabled (the
 * kernel.io_uring_disabled sysctl, a container's seccomp profile), ENOMEM,
 * EMFILE, ENFILE when the ring cannot be allocated or has no fd: the
 * answers a program must already survive by falling back.
 */
static const int valid_io_uring[] = { EFAULT, EINVAL, EMFILE, ENFILE, ENOMEM, ENOSYS, EPERM, 0 };

static const int *const valid_errnos[FR_OP_COUNT] = {
	[FR_OP_OPEN] = valid_open,	   [FR_OP_READ] = valid_read,
	[FR_OP_WRITE] = valid_write,	   [FR_OP_FSYNC] = valid_fsync,
	[FR_OP_TRUNCATE] = valid_truncate, [FR_OP_ALLOCATE] = valid_allocate,
	[FR_OP_RENAME] = valid_rename,	   [FR_OP_UNLINK] = valid_unlink,
	[FR_OP_MKDIR] = valid_mkdir,	   [FR_OP_CONNECT] = valid_connect,
	[FR_OP_ACCEPT] = valid_accept,	   [FR_OP_SEND] = valid_send,
	[FR_OP_RECV] = valid_recv,	   [FR_OP_LINK] = valid_link,
	[FR_OP_IO_URING] = valid_io_uring,
};

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

int fr_gai_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(gai_names) / sizeof(gai_names[0]); i++)
		if (strcmp(gai_names[i].name, name) == 0)
			return gai_names[i].err;
	return 0;
}

const char *fr_errno_name(int err)
{
	for (size_t i = 0; i < sizeof(gai_names) / sizeof(gai_names[0]); i++)
		if (gai_names[i].err == err)
			return gai_names[i].name;
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

void fr_rule_init(struct fr_rule *r)
{
	memset(r, 0, sizeof(*r));
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

/*
 * " KEY=VALUE" for a string field (at most max bytes, maybe without NUL).
 * A value that a scenario's placeholder filled may hold spaces, so such a
 * value is quoted ('"' and '\\' escaped, control characters as \xNN):
 * "path=/x times=1" must not read as two fields in `ctl list` or a
 * report. A value without spaces, all a SPEC can hold, stays as it is, so
 * that fr_spec_parse() reads the line back.
 */
static int append_str(char *buf, size_t len, size_t *off, const char *key, const char *v,
		      size_t max)
{
	size_t n = strnlen(v, max);
	bool plain = true;
	int ret;

	for (size_t i = 0; i < n && plain; i++)
		plain = !isspace((unsigned char)v[i]);
	if (plain)
		return append(buf, len, off, " %s=%.*s", key, (int)n, v);
	ret = append(buf, len, off, " %s=\"", key);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '"' || c == '\\')
			ret |= append(buf, len, off, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			ret |= append(buf, len, off, "\\x%02x", c);
		else
			ret |= append(buf, len, off, "%c", c);
	}
	return ret | append(buf, len, off, "\"");
}

/* jitter=, slice= (a short rule's action) and seed= when they are set. */
static int format_shape(const struct fr_rule *r, char *buf, size_t len, size_t *off)
{
	char tmp[64];
	int ret = 0;

	if (r->jitter) {
		format_duration(tmp, sizeof(tmp), r->jitter);
		ret |= append(buf, len, off, " jitter=%s", tmp);
	}
	if (r->slice_max && r->slice_min == r->slice_max)
		ret |= append(buf, len, off, " slice=%u", r->slice_max);
	else if (r->slice_max)
		ret |= append(buf, len, off, " slice=%u..%u", r->slice_min, r->slice_max);
	if (r->seed)
		ret |= append(buf, len, off, " seed=%llu", (unsigned long long)r->seed);
	if (r->rate)
		ret |= append(buf, len, off, " rate=%llu/s", (unsigned long long)r->rate);
	fr_rule_format_dist(r, tmp, sizeof(tmp));
	if (tmp[0])
		ret |= append(buf, len, off, "%s", tmp);
	return ret;
}

/* close-after=SIZE or DURATION, and then= once the rule is finished. */
static int format_close(const struct fr_rule *r, char *buf, size_t len, size_t *off)
{
	char tmp[64];
	int ret;

	if (r->close_ns) {
		format_duration(tmp, sizeof(tmp), r->close_ns);
		ret = append(buf, len, off, " close-after=%s", tmp);
	} else {
		ret = append(buf, len, off, " close-after=%llu",
			     (unsigned long long)r->close_bytes);
	}
	if (r->close_then)
		ret |= append(buf, len, off, " then=%s",
			      r->close_then == FR_THEN_CLOSE ? "close" : "reset");
	return ret;
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
	for (unsigned op = 0; op < FR_OP_COUNT; op++) {
		if (!(r->ops & FR_OPBIT(op)) || op == FR_OP_STATFS)
			continue;
		ret |= append(buf, len, &off, "%s%s", first ? "" : ",", op_names[op].word);
		first = false;
	}
	switch (r->action) {
	case FR_ACT_ERRNO:
		ret |= append(buf, len, &off, " errno=%s",
			      fr_errno_name(r->err) ? fr_errno_name(r->err) : "?");
		break;
	case FR_ACT_GAIERR:
		ret |= append(buf, len, &off, " error=%s",
			      fr_errno_name(r->err) ? fr_errno_name(r->err) : "?");
		break;
	case FR_ACT_BUDGET:
		ret |= append(buf, len, &off, " budget=%llu", (unsigned long long)r->amount);
		break;
	case FR_ACT_DISK:
		/*
		 * "disk", not its operations: they are implied (and parsed back
		 * so). The line starts over, and so does whether it fits: the
		 * operations written so far may not have, the shorter line may.
		 */
		off = 0;
		ret = 0;
		ret |= append(buf, len, &off, "name=%.*s disk %s=%llu", (int)sizeof(r->name),
			      r->name, r->flags & FR_RULE_DISK_SIZE ? "size" : "free",
			      (unsigned long long)r->amount);
		if (r->block_shift)
			ret |= append(buf, len, &off, " block=%llu",
				      (unsigned long long)fr_disk_block(r));
		break;
	case FR_ACT_DELAY:
	case FR_ACT_STALL:
	case FR_ACT_SLOWCLOSE:
		if (r->action == FR_ACT_STALL && !r->amount) {
			ret |= append(buf, len, &off, " stall");
			break;
		}
		format_duration(tmp, sizeof(tmp), r->amount);
		ret |= append(buf, len, &off, " %s=%s", action_names[r->action], tmp);
		break;
	case FR_ACT_SHORT:
		if (!r->slice_max && !r->rate)
			ret |= append(buf, len, &off, " short");
		break;
	case FR_ACT_CLOSE:
		ret |= format_close(r, buf, len, &off);
		break;
	default:
		if (r->action < FR_ACT_COUNT)
			ret |= append(buf, len, &off, " %s", action_names[r->action]);
		break;
	}
	ret |= format_shape(r, buf, len, &off);
	if (r->path[0])
		ret |= append_str(buf, len, &off, "path", r->path, sizeof(r->path));
	if (r->unix_path[0])
		ret |= append_str(buf, len, &off, "unix", r->unix_path, sizeof(r->unix_path));
	if (r->query[0])
		ret |= append_str(buf, len, &off, "query", r->query, sizeof(r->query));
	if (r->open_mode)
		ret |= append(buf, len, &off, " mode=%s",
			      r->open_mode == FR_MODE_READ ? "read" : "write");
	if (r->proc[0])
		ret |= append_str(buf, len, &off, "proc", r->proc, sizeof(r->proc));
	if (r->flags & FR_RULE_HOST) {
		char a[INET6_ADDRSTRLEN];
		if (inet_ntop(r->host_family == AF_INET6 ? AF_INET6 : AF_INET, r->host, a,
			      sizeof(a)))
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
	if (r->flags & FR_RULE_MAY_NOT_FIRE)
		ret |= append(buf, len, &off, " may-not-fire");
	if (r->times)
		ret |= append(buf, len, &off, " times=%llu", (unsigned long long)r->times);
	if (r->flags & FR_RULE_PER_CONN)
		ret |= append(buf, len, &off, " per=connection");
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
