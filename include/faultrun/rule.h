/*
 * faultrun — the fault-rule model.
 *
 * A rule says which calls fail (operations + selectors) and how (action).
 * The same fields are written as a one-line SPEC (`faultrun exec -f`), as a
 * YAML mapping in a scenario, and stored verbatim in the control block.
 * struct fr_rule is part of the control-block ABI: it is fixed-size, holds
 * no pointers, and every string in it is a bounded, NUL-padded array.
 */
#ifndef FAULTRUN_RULE_H
#define FAULTRUN_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FR_NAME_MAX 48
#define FR_GLOB_MAX 240
#define FR_PROC_MAX 32
#define FR_MAX_RULES 64
/* a query= glob: room for any DNS name (253 characters, RFC 1035 2.3.4) */
#define FR_QUERY_MAX 256

/*
 * Operations. The numbering is ABI (bit positions in masks). Names are
 * hierarchical ("io/write", "net/recv"); the bare word ("write") is accepted
 * too, and "io/ *" (no space) selects a whole family.
 */
enum fr_op {
	FR_OP_OPEN = 0,
	FR_OP_READ,
	FR_OP_WRITE,
	FR_OP_FSYNC,
	FR_OP_TRUNCATE,
	FR_OP_ALLOCATE,
	FR_OP_RENAME,
	FR_OP_UNLINK,
	FR_OP_MKDIR,
	FR_OP_CONNECT,
	FR_OP_ACCEPT,
	FR_OP_SEND,
	FR_OP_RECV,
	FR_OP_LINK, /* link, linkat, symlink, symlinkat */
	/* internal: set while a budget or disk rule is armed, so statvfs looks */
	FR_OP_STATFS,
	/*
	 * name resolution (getaddrinfo, gethostbyname*, getnameinfo): not in
	 * FR_OPS_NET, so "net/ *" and errno= rules keep meaning sockets
	 */
	FR_OP_RESOLVE,
	/*
	 * io_uring_setup(2): I/O submitted through a ring makes no read() or
	 * write() call, so file and socket rules never see it. A rule on this
	 * operation (errno=ENOSYS) makes the program fall back to plain calls
	 * (docs/faults.md "io_uring"). Not in any family ("io/ *", "*").
	 */
	FR_OP_IO_URING,
	FR_OP_COUNT
};

#define FR_OPBIT(op) (1u << (op))
#define FR_OPS_IO                                                                      \
	(FR_OPBIT(FR_OP_OPEN) | FR_OPBIT(FR_OP_READ) | FR_OPBIT(FR_OP_WRITE) |         \
	 FR_OPBIT(FR_OP_FSYNC) | FR_OPBIT(FR_OP_TRUNCATE) | FR_OPBIT(FR_OP_ALLOCATE) | \
	 FR_OPBIT(FR_OP_RENAME) | FR_OPBIT(FR_OP_UNLINK) | FR_OPBIT(FR_OP_MKDIR) |     \
	 FR_OPBIT(FR_OP_LINK))
#define FR_OPS_NET                                                                 \
	(FR_OPBIT(FR_OP_CONNECT) | FR_OPBIT(FR_OP_ACCEPT) | FR_OPBIT(FR_OP_SEND) | \
	 FR_OPBIT(FR_OP_RECV))

enum fr_action {
	FR_ACT_NONE = 0,
	FR_ACT_ERRNO,  /* fail with rule.err */
	FR_ACT_SHORT,  /* a short write/read (half, at least one byte) */
	FR_ACT_BUDGET, /* writes succeed until a shared byte budget is spent */
	FR_ACT_DELAY,  /* sleep rule.amount ns, then do the real call */
	FR_ACT_STALL,  /* peer silent until cleared or rule.amount ns (0 = until cleared) */
	FR_ACT_RESET,  /* ECONNRESET, socket unusable afterwards */
	FR_ACT_REFUSE, /* connect: ECONNREFUSED */
	FR_ACT_DISK,   /* a file system of rule.amount bytes over rule.path (docs/faults.md) */
	FR_ACT_GAIERR, /* resolve: fail with rule.err, an EAI_* code (negative in glibc) */
	/*
	 * connect, send, recv: the peer vanished without FIN or RST (nothing
	 * arrives, sends are swallowed up to SO_SNDBUF then block, a connect
	 * hangs) until cleared (docs/faults.md)
	 */
	FR_ACT_BLACKHOLE,
	FR_ACT_CLOSE, /* send/recv: a connection fails after close_bytes or close_ns */
	/* a matching socket's close() waits amount ns before the FIN goes out */
	FR_ACT_SLOWCLOSE,
	/*
	 * datagram sockets (SOCK_DGRAM) only, netem's loss, duplicate and
	 * reorder (docs/faults.md "Datagram faults"): a send reports success
	 * and nothing leaves, a recv consumes one and discards it; a send
	 * leaves twice; a recv holds one and hands it out after the next
	 */
	FR_ACT_DROP,
	FR_ACT_DUPLICATE,
	FR_ACT_REORDER,
	FR_ACT_COUNT
};

/* rule.open_mode: which opens an `open` rule selects (mode=) */
#define FR_MODE_ANY 0u
#define FR_MODE_READ 1u	 /* O_RDONLY without O_CREAT/O_TRUNC; fopen "r" */
#define FR_MODE_WRITE 2u /* O_WRONLY, O_RDWR, O_CREAT or O_TRUNC; "w" "a" "r+" */

/* rule.flags */
#define FR_RULE_PROB 0x1u	  /* prob_threshold applies */
#define FR_RULE_HOST 0x2u	  /* host/host_family apply */
#define FR_RULE_PAUSED 0x4u	  /* loaded disarmed */
#define FR_RULE_MAY_NOT_FIRE 0x8u /* a run in which it never fires still proves something */
#define FR_RULE_DISK_SIZE 0x10u	  /* disk: amount is the whole size (size=), not the free space */
#define FR_RULE_PER_CONN 0x20u	  /* per=connection: after/probability/times count connections */

/* rule.close_then: how a close-after= connection fails (then=) */
#define FR_THEN_RESET 1u /* a reset: the next call fails with ECONNRESET, the peer gets a RST */
#define FR_THEN_CLOSE 2u /* a clean close: FIN to the peer, recv returns 0, send EPIPE */

/*
 * The operations a disk rule watches: what grows, shrinks or removes files
 * (write, truncate, allocate; open with O_TRUNC; unlink, rename over) and
 * what may need a block of its own (symlink), and the free-space reports.
 */
#define FR_OPS_DISK                                                                   \
	(FR_OPBIT(FR_OP_OPEN) | FR_OPBIT(FR_OP_WRITE) | FR_OPBIT(FR_OP_TRUNCATE) |    \
	 FR_OPBIT(FR_OP_ALLOCATE) | FR_OPBIT(FR_OP_RENAME) | FR_OPBIT(FR_OP_UNLINK) | \
	 FR_OPBIT(FR_OP_LINK) | FR_OPBIT(FR_OP_STATFS))
/* disk: the default block (tmpfs's page) and the range block= accepts */
#define FR_DISK_BLOCK_SHIFT 12
#define FR_DISK_BLOCK_MIN_SHIFT 9
#define FR_DISK_BLOCK_MAX_SHIFT 20

/*
 * One rule. Zero means "any" for every selector. Strings are NUL-padded
 * and may fill the array (readers must bound them by the array size).
 */
struct fr_rule {
	char name[FR_NAME_MAX];
	uint32_t ops;	 /* FR_OPBIT mask */
	uint32_t action; /* enum fr_action */
	int32_t err;	 /* errno for FR_ACT_ERRNO */
	uint32_t flags;	 /* FR_RULE_* */
	uint64_t amount; /* budget, disk: bytes; delay/stall: ns (stall 0 = until cleared) */
	uint64_t after;	 /* the first N matching calls pass */
	uint64_t times;	 /* inject at most N times, 0 = no limit */
	uint64_t prob_threshold;     /* inject when hash < threshold (FR_RULE_PROB) */
	double probability;	     /* as written, for reports */
	char path[FR_GLOB_MAX];	     /* file path glob */
	char unix_path[FR_GLOB_MAX]; /* unix socket path glob */
	char proc[FR_PROC_MAX];	     /* process name glob */
	uint8_t host[16];	     /* IPv4 (first 4 bytes) or IPv6 address */
	uint16_t host_family;	     /* AF_INET / AF_INET6 when FR_RULE_HOST */
	uint16_t port;		     /* peer port */
	uint16_t lport;		     /* local port (accepted sockets) */
	uint16_t open_mode;	     /* FR_MODE_*: opens for reading or writing */
	uint16_t block_shift;	     /* disk: log2 of the block size (0: FR_DISK_BLOCK_SHIFT) */
	uint16_t reserved;
	char query[FR_QUERY_MAX]; /* resolve: name glob, lower case (case-insensitive) */
	/* traffic shaping (control block version 4; docs/faults.md) */
	uint64_t jitter;    /* delay: each delay is amount +- up to this many ns */
	uint64_t seed;	    /* draws of jitter= and slice=MIN..MAX (set by fr_rule_finish) */
	uint32_t slice_min; /* short, delay on send/recv: bytes per call (0: no slice) */
	uint32_t slice_max;
	/* close-after= (docs/faults.md "Closing a connection"): one of the two is set */
	uint64_t close_bytes; /* the connection fails once it moved this many bytes */
	uint64_t close_ns;    /* ... or this long after the rule first saw it */
	uint32_t close_then;  /* FR_THEN_*, 0 until then= or fr_rule_finish sets it */
	uint32_t reserved2;
	/* bandwidth: send/recv move at most this many bytes per second (rate=), 0: none */
	uint64_t rate;
	/* delay= jitter=: how delays spread (FR_DIST_*), and netem's correlation */
	uint32_t distribution;
	uint32_t correlation; /* each draw's weight on the previous one, in millionths (25%: 250000) */
};

/* rule.distribution: netem's delay distributions (docs/faults.md "Shaping") */
#define FR_DIST_UNIFORM 0u /* amount +- jitter, every value as likely */
#define FR_DIST_NORMAL 1u
#define FR_DIST_PARETO 2u
#define FR_DIST_PARETONORMAL 3u
#define FR_DIST_COUNT 4u

/* The name of an operation ("write"), or NULL. */
const char *fr_op_name(enum fr_op op);
/* The canonical hierarchical name ("io/write"), or NULL. */
const char *fr_op_path(enum fr_op op);
/* The name of an action ("errno"), or NULL. */
const char *fr_action_name(enum fr_action act);

/*
 * ENOSPC -> "ENOSPC"; unknown -> NULL. Also names the EAI_* codes an
 * `error=` rule gives (negative in glibc, so never an errno): EAI_AGAIN ->
 * "EAI_AGAIN", as events and reports print them.
 */
const char *fr_errno_name(int err);
/* "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL" -> the code; anything else -> 0. */
int fr_gai_from_name(const char *name);
/* "ENOSPC" -> ENOSPC; unknown -> 0. */
int fr_errno_from_name(const char *name);
/* Whether every operation in ops can really return err (man pages). */
bool fr_errno_valid(uint32_t ops, int err, enum fr_op *bad_op);

/*
 * Parse "10MiB", "512", "1k" into bytes; "250ms", "2s", "1m", "1.5s" into
 * nanoseconds. Return 0 or -EINVAL. A duration needs its unit.
 */
int fr_parse_size(const char *s, uint64_t *out);
int fr_parse_duration(const char *s, uint64_t *out_ns);

/* The block size of a disk rule, in bytes (harness/fault/disk.c). */
uint64_t fr_disk_block(const struct fr_rule *r);

/* Reset a rule to "no selectors, no action". */
void fr_rule_init(struct fr_rule *r);

/*
 * Apply one SPEC element to a rule: a bare word (operations, comma
 * separated, or an action without value such as "short", "stall",
 * "reset", "refuse") when value is NULL, else key=value. On error returns
 * -EINVAL and writes a one-line message (no prefix) into err.
 */
int fr_rule_set(struct fr_rule *r, const char *key, const char *value, char *err, size_t errlen);

/*
 * fr_rule_set(), refusing a field given twice ("errno=EIO errno=ENOSPC",
 * "stall action=stall"), which would otherwise quietly keep the last one.
 * *seen records the fields set so far (0 for a new rule). Operations are
 * the exception: they add up ("write fsync" is "write,fsync").
 */
int fr_rule_set_once(struct fr_rule *r, uint64_t *seen, const char *key, const char *value,
		     char *err, size_t errlen);

/*
 * Check a rule once all fields are set: an operation and an action are
 * given, the action fits the operations, the errno is one they can return.
 * Gives an unnamed rule the name "rule<index>".
 */
int fr_rule_finish(struct fr_rule *r, unsigned index, char *err, size_t errlen);

/*
 * Parse a whole one-line SPEC ("write errno=ENOSPC path=/var/log/app/..."), see docs/faults.md.
 * Returns 0, or -EINVAL with a message naming the bad field in err.
 */
int fr_spec_parse(const char *spec, struct fr_rule *r, unsigned index, char *err, size_t errlen);

/* Write a rule back as a SPEC line (for ctl list and reports). */
int fr_rule_format(const struct fr_rule *r, char *buf, size_t len);

/*
 * The candidate nearest to word by edit distance, for "did you mean"
 * messages; NULL when nothing is close (distance > 2 and > a third of it).
 */
const char *fr_nearest(const char *word, const char *const *cands, size_t n);

/*
 * Glob matching, async-signal-safe and allocation-free: '*' matches within
 * one path segment, '**' across segments, '?' one character, [abc] / [a-z]
 * / [!x] a class. pattern is bounded by plen (stops at NUL earlier).
 */
bool fr_glob_match(const char *pattern, size_t plen, const char *str);

#endif /* FAULTRUN_RULE_H */
