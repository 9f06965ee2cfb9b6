/*
 * faultrun — the control block: how faultrun talks to the shim.
 *
 * One small file in a private run directory (0700 dir, 0600 file), mapped
 * MAP_SHARED by faultrun and by every process of the target's tree. Its
 * path travels in FAULTRUN_CTL, so children and exec'd programs join
 * automatically. See docs/control-block.md.
 *
 * Writers (faultrun, faultrun ctl) publish rules and flip their armed
 * flags; the shim only reads rules and bumps counters and events. Rules
 * are immutable once published (only the armed flag and the counters
 * change), so the shim needs no lock: it reads `armed_ops` (one relaxed
 * atomic load) and, only when its operation's bit is set, the per-op mask
 * of armed rules.
 *
 * The shim treats the block as untrusted: fr_ctl_validate() checks every
 * bound, and readers bound every string by its array size.
 */
#ifndef FAULTRUN_CONTROL_H
#define FAULTRUN_CONTROL_H

#include <faultrun/rule.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define FR_CTL_MAGIC 0x314b4c424c544346ULL /* "FCTLBLK1" little-endian */
/*
 * Bumped whenever a reader would misread the block: 2 gave struct fr_rule
 * its open_mode (a shim of version 1 would fault every open of a mode=
 * rule's files, reads included) and the block its process table; 3 the
 * disk model (a slot's capacity, the file table); 4 the resolve operation
 * (one more armed_rules entry), struct fr_rule's query, its shaping fields
 * (jitter, seed, slice) and close-after fields, and the blackhole and
 * close-after actions.
 */
#define FR_CTL_VERSION 4u
#define FR_CTL_EVENTS 256u
#define FR_CTL_WHERE_MAX 96
#define FR_CTL_PROCS 1024u	    /* processes the block can list */
#define FR_CTL_EXE_MAX 48	    /* an executable's name, truncated */
#define FR_CTL_FILES 4096u	    /* files the disk rules can follow at once */
#define FR_CTL_ENV "FAULTRUN_CTL"   /* path of the block */
#define FR_SEED_ENV "FAULTRUN_SEED" /* informational; the block holds the seed */

/* A rule slot. `rule` never changes once `ready` is 1. */
struct fr_ctl_slot {
	struct fr_rule rule;
	_Atomic uint32_t ready;	    /* 1 once `rule` is fully written */
	_Atomic uint32_t armed;	    /* 1 while the rule is in force */
	_Atomic uint64_t matched;   /* calls that met every selector */
	_Atomic uint64_t injected;  /* calls that were made to fail/stall */
	_Atomic uint64_t bytes;	    /* bytes through matching writes/sends */
	_Atomic int64_t budget;	    /* FR_ACT_BUDGET: bytes left */
	_Atomic uint64_t first_ns;  /* CLOCK_MONOTONIC of the first injection */
	_Atomic uint64_t last_ns;   /* ... and of the last one */
	_Atomic uint64_t arm_count; /* times armed, for the probability hash */
	_Atomic uint64_t capacity;  /* FR_ACT_DISK: the file system's size (free: `budget`) */
};

/*
 * A file a disk rule follows, keyed by (dev, ino): the blocks the model
 * holds for it, as up to FR_FILE_EXTENTS sorted, disjoint ranges of block
 * numbers (a file with holes, or allocated past its end, has several).
 * Past that many, the two closest ranges merge and the blocks between
 * them, never charged, are counted in `ghost` so that freeing the file
 * never gives back more than it took. `end` is where the model puts an
 * O_APPEND write (the end of the data the run wrote).
 *
 * Entries are claimed and given back under `files_lock` (rarely: a
 * file's first write, its removal). A file's ranges change under its own
 * `lock` (the tid holding it, 0 = none), with `seq` odd while they do: a
 * reader copies them without the lock and keeps the copy if `seq` was
 * even and unchanged (a sequence lock). `key` 0 means never used: lookups
 * stop there.
 */
enum fr_file_state {
	FR_FILE_DEAD = 0, /* free for reuse (key kept, so chains stay whole) */
	FR_FILE_LIVE = 1,
	FR_FILE_ORPHAN = 2, /* its last link is gone; still charged while open */
};

#define FR_FILE_EXTENTS 4

struct fr_ctl_file {
	_Atomic uint64_t key; /* a hash of (dev, ino), never 0 once used */
	_Atomic uint64_t dev, ino;
	_Atomic uint32_t state; /* enum fr_file_state */
	_Atomic uint32_t rule;	/* the disk rule's slot */
	_Atomic uint32_t lock;	/* tid changing the ranges, 0 = none */
	_Atomic uint32_t seq;	/* odd while they change */
	_Atomic uint32_t next;	/* ranges in use */
	uint32_t reserved;
	_Atomic uint64_t ghost; /* blocks inside the ranges never charged */
	_Atomic uint64_t end;	/* bytes: where an O_APPEND write lands at least */
	struct {
		_Atomic uint64_t first, last; /* blocks [first, last) */
	} ext[FR_FILE_EXTENTS];
};

/* One injection, as the shim saw it. `seq` is written last (0 = empty). */
struct fr_ctl_event {
	_Atomic uint64_t seq; /* event number + 1 */
	uint64_t time_ns;     /* CLOCK_MONOTONIC */
	int32_t pid;
	uint16_t rule;	/* slot index */
	uint8_t op;	/* enum fr_op */
	uint8_t action; /* enum fr_action */
	int32_t err;	/* errno given, 0 for short/budget/delay/stall */
	uint32_t reserved;
	char where[FR_CTL_WHERE_MAX]; /* path or peer (fr_where_copy) */
};

/*
 * A process that attached the block (it loaded the shim and mapped it).
 * `state` is written last (0 = empty): a reader takes the entry only when
 * it is FR_PROC_ATTACHED. An exec'd image registers again under its pid.
 */
enum fr_proc_state {
	FR_PROC_EMPTY = 0,
	FR_PROC_BUSY = 1,     /* claimed, being filled */
	FR_PROC_ATTACHED = 2, /* mapped the block after exec (or at start) */
	FR_PROC_FORKED = 3,   /* a fork of an attached process, same image */
	FR_PROC_LEFT = 4,     /* exec'd or spawned `exe` with an environment that drops the run */
};

struct fr_ctl_proc {
	_Atomic uint32_t state; /* enum fr_proc_state */
	int32_t pid, ppid;
	uint32_t uid;
	uint64_t time_ns;	  /* CLOCK_MONOTONIC when it attached */
	char exe[FR_CTL_EXE_MAX]; /* basename of /proc/self/exe */
};

struct fr_ctl {
	uint64_t magic;
	uint32_t version;
	uint32_t size;	     /* sizeof(struct fr_ctl) */
	uint32_t max_rules;  /* FR_MAX_RULES */
	uint32_t max_events; /* FR_CTL_EVENTS */
	uint32_t owner_uid;
	uint32_t creator_pid;
	uint64_t seed;	     /* probability decisions derive from it */
	uint64_t created_ns; /* CLOCK_MONOTONIC at creation */

	_Atomic uint32_t nslots;		   /* slots reserved (clamp to max_rules!) */
	_Atomic uint32_t rules_gen;		   /* bumped when a rule is published */
	_Atomic uint32_t generation;		   /* futex word: bumped on every arm/disarm */
	_Atomic uint32_t armed_ops;		   /* FR_OPBIT mask: THE hot-path word */
	_Atomic uint64_t armed_rules[FR_OP_COUNT]; /* per op: armed slot mask */
	_Atomic uint64_t event_head;		   /* events ever written */
	_Atomic uint32_t disabled;		   /* set by a writer to switch everything off */
	_Atomic uint32_t nprocs;	 /* process entries ever claimed (may pass FR_CTL_PROCS) */
	_Atomic uint32_t files_lock;	 /* tid claiming or freeing a file entry, 0 = none */
	_Atomic uint32_t files_overflow; /* files a disk rule could not follow (table full) */
	/* connections the shim's shaping rules met, run-wide: each its own draws (shape.c) */
	_Atomic uint32_t conns;
	/* calls a connection rule could not follow (the shim's table unmappable, limit.c) */
	_Atomic uint32_t conns_untracked;
	/* datagrams a reorder rule could not hold (too large, store busy: dgram.c) */
	_Atomic uint32_t dgram_unheld;
	/*
	 * epoll registrations the seccomp backend could not re-arm when a
	 * stall ended (sec_wake.c): their program may keep waiting for an
	 * edge. One of version 4's reserved words, zero in an older block.
	 */
	_Atomic uint32_t wakes_failed;
	uint32_t reserved[6];
	/*
	 * io_uring instances processes of the run set up (io_uring_setup(2)
	 * returned a ring), and the first one's pid (0: none yet): I/O through
	 * a ring bypasses every file and socket rule (docs/limitations.md).
	 * Two of version 4's reserved words, zero in a block that predates them.
	 */
	_Atomic uint32_t uring_setups;
	_Atomic int32_t uring_pid;

	struct fr_ctl_slot slots[FR_MAX_RULES];
	struct fr_ctl_event events[FR_CTL_EVENTS];
	struct fr_ctl_proc procs[FR_CTL_PROCS];
	struct fr_ctl_file files[FR_CTL_FILES];
};

/*
 * Reader side (harness/fault/ctl.c, the only part libfaultshim.so links).
 * All of these are async-signal-safe and do not allocate.
 */

/* Whether mem (size bytes) is a block this build can use. */
bool fr_ctl_validate(const void *mem, size_t size);

/*
 * Map the block at path for a process that wants to bump counters: opened
 * O_RDWR|O_NOFOLLOW, must be a regular file owned by the effective user,
 * of the right size, and valid. Returns the mapping or NULL (errno kept).
 * The fd is closed before returning.
 */
struct fr_ctl *fr_ctl_attach(const char *path);

/*
 * Called when a call met every selector of the armed rule `idx`: counts
 * the match, then applies after=, probability= and times= and returns
 * true when this call must be injected (and counts the injection).
 */
bool fr_ctl_fire(struct fr_ctl *c, unsigned idx);
/* The same, giving the time it counted the injection at in *now (for its event). */
bool fr_ctl_fire_at(struct fr_ctl *c, unsigned idx, uint64_t *now);

/*
 * Take back the match and injection fr_ctl_fire() just counted for idx:
 * the shim found the call was not what the rule selects after all (an fd
 * number reused where it could not see, shim_fd_confirm). The same call,
 * decided again, then gets the same after=/probability= turn.
 */
void fr_ctl_unfire(struct fr_ctl *c, unsigned idx);

/*
 * For FR_ACT_BUDGET: take up to `want` bytes from the rule's budget.
 * Returns how many may be written (0 = the disk is full).
 */
uint64_t fr_ctl_budget_take(struct fr_ctl *c, unsigned idx, uint64_t want);

/*
 * s into out (size bytes, size > 0), NUL-terminated; a name too long for
 * it is kept by its end, "..." and its last size - 4 bytes (a file's own
 * name is what a reader of an event needs). Returns the length written.
 */
size_t fr_where_copy(char *out, size_t size, const char *s);

/* Record an injection in the ring. `where` may be NULL (named as fr_where_copy). */
void fr_ctl_event(struct fr_ctl *c, unsigned idx, enum fr_op op, int err, const char *where);
/* The same, by process pid (the shim knows its own without a system call). */
void fr_ctl_event_pid(struct fr_ctl *c, int pid, unsigned idx, enum fr_op op, int err,
		      const char *where);
/*
 * The same, at time ns (fr_now_ns's clock) when the caller has it from
 * fr_ctl_fire_at (0: read the clock): an injection reads it once, not twice.
 */
void fr_ctl_event_at(struct fr_ctl *c, int pid, unsigned idx, enum fr_op op, int err,
		     const char *where, uint64_t ns);

/*
 * List the calling process in the block's process table (state is
 * FR_PROC_ATTACHED or FR_PROC_FORKED; exe may be NULL: read from
 * /proc/self/exe). Past FR_CTL_PROCS entries only nprocs grows.
 */
void fr_ctl_register(struct fr_ctl *c, enum fr_proc_state state, const char *exe);

/*
 * An attached process is about to exec (pid: itself) or has spawned (pid:
 * the child) the program `path` with an environment that keeps neither
 * FAULTRUN_CTL nor the shim in LD_PRELOAD: that process and its children
 * leave the run. Lists it as FR_PROC_LEFT and returns its entry's index
 * (or -1 when the table is full), for fr_ctl_unregister when the exec
 * failed after all.
 */
int fr_ctl_register_left(struct fr_ctl *c, int pid, const char *path);
void fr_ctl_unregister(struct fr_ctl *c, int idx);

/* The basename of /proc/self/exe into out[FR_CTL_EXE_MAX] ("?" when unknown). */
void fr_ctl_self_exe(char *out);

/*
 * Why a process could not use the block at path: map() failed with err.
 * Fills why[len] with one line ("owned by uid 0, not by uid 65534", ...)
 * and returns a FR_REFUSED_* code. Raw syscalls only.
 */
enum fr_refusal {
	FR_REFUSED_MISSING = 1, /* no such file */
	FR_REFUSED_UNREADABLE,	/* permission denied opening it */
	FR_REFUSED_FOREIGN,	/* owned by another user, or open to others */
	FR_REFUSED_INVALID,	/* not a block this build can use */
	FR_REFUSED_OTHER,	/* anything else (errno in the report) */
	FR_REFUSED_LEFT,	/* started with an environment that drops the run */
};
enum fr_refusal fr_ctl_refusal(const char *path, int err, char *why, size_t len);

/*
 * A process that could not use the block tells faultrun so, once, with a
 * datagram to an abstract unix socket named after the block's path
 * (fr_ctl_report_name): the kernel attaches the sender's pid and uid
 * (SCM_CREDENTIALS, unix(7)), so a refusal cannot be told in another
 * process's name. Best effort: a process in another network namespace
 * cannot reach it. No fd stays open.
 */
#define FR_REPORT_MAGIC 0x46525246u /* "FRRF" */
struct fr_ctl_report {
	uint32_t magic;
	uint32_t refusal; /* enum fr_refusal */
	int32_t err;	  /* the errno that map() failed with */
	int32_t ppid;
	char exe[FR_CTL_EXE_MAX];
	char why[128];
};
void fr_ctl_report_refusal(const char *path, int err);

/*
 * Map the block at path as fr_ctl_attach does, and say why not: NULL with
 * the errno value in *err.
 */
struct fr_ctl *fr_ctl_join(const char *path, int *err);

/* The abstract socket name for the block at path, NUL-terminated, into name[len] (>= 32). */
void fr_ctl_report_name(const char *path, char *name, size_t len);

/*
 * The disk model (harness/fault/disk.c), reader side: every function is
 * async-signal-safe, allocation-free and lock-free but for claiming and
 * freeing a file entry (a few stores under files_lock, signals blocked).
 * `rule` is a disk rule's slot; `file` an index into files[].
 */

/* The entry of (dev, ino) for rule, claimed with alloc = size if new; -1 when the table is full. */
int fr_disk_file(struct fr_ctl *c, unsigned rule, uint64_t dev, uint64_t ino, uint64_t size);

/*
 * A write of len bytes at start to file (append: at the model's end of
 * the file, `start` is then its size as fstat saw it): charges the blocks
 * it covers that the file does not hold yet. Returns how many of the len
 * bytes fit (all, a short count up to the last block it got, or 0 for
 * ENOSPC) and fills *tk for fr_disk_settle. `all`: fallocate, which wants
 * all or nothing and moves no end.
 */
struct fr_disk_take {
	int file;	 /* -1: nothing changed */
	uint32_t seq;	 /* the file's seq after the change */
	uint64_t start;	 /* where the call writes */
	uint64_t fit;	 /* bytes it may write */
	uint64_t charge; /* bytes taken from the rule's free space */
	bool all;
	bool lockfree; /* blocks it held: only the end moved (from `end`) */
	/* the file's ranges before, to undo the change */
	uint32_t next;
	uint64_t ghost, end;
	uint64_t first[FR_FILE_EXTENTS], last[FR_FILE_EXTENTS];
};
uint64_t fr_disk_grow(struct fr_ctl *c, unsigned rule, int file, uint64_t start, uint64_t len,
		      bool append, bool all, struct fr_disk_take *tk);
/* The call moved `done` bytes (< 0: failed): give back what it did not use. */
void fr_disk_settle(struct fr_ctl *c, unsigned rule, const struct fr_disk_take *tk, int64_t done);
/* file was cut to len bytes: free the blocks past it. */
void fr_disk_shrink(struct fr_ctl *c, unsigned rule, int file, uint64_t len);
/*
 * The file's last link is gone: free its blocks once no process of the
 * run holds it open (now, or at a later fr_disk_reclaim).
 */
void fr_disk_release(struct fr_ctl *c, unsigned rule, int file);
/* Free the blocks of rule's removed files that no process holds open any more. */
void fr_disk_reclaim(struct fr_ctl *c, unsigned rule);
/* Take or give back whole blocks of free space (symlinks); 0 or -ENOSPC. */
int fr_disk_take_blocks(struct fr_ctl *c, unsigned rule, uint64_t bytes);
void fr_disk_give(struct fr_ctl *c, unsigned rule, uint64_t bytes);

/* Whether slot idx is published and armed (acquire). */
bool fr_ctl_armed(const struct fr_ctl *c, unsigned idx);

/*
 * The least budget left (0 for one overdrawn) among the budget rules of
 * the slot mask hit, into *left: what statvfs reports free under them.
 * false when hit is empty.
 */
bool fr_ctl_budget_least(const struct fr_ctl *c, uint64_t hit, uint64_t *left);

/*
 * The armed rules among cand with this action that cover a statfs of
 * absolute path abs: match(rule, path) says so of abs itself or of a file
 * in it ("abs/x"), since a rule for a tree names its files. None for a
 * path of PATH_MAX bytes or more, which the kernel refuses (ENAMETOOLONG).
 * match is the backend's own (each compiles globs its way).
 */
uint64_t fr_ctl_rules_over(const struct fr_ctl *c, uint64_t cand, enum fr_action action,
			   const char *abs, bool (*match)(const struct fr_rule *, const char *));

/*
 * The disk the disk rules of the slot mask hit model: the first in slot
 * order (two disks over one path are one disk), its removed files' space
 * given back first. Its capacity, free bytes and block size; false when
 * hit is empty.
 */
bool fr_ctl_disk_space(struct fr_ctl *c, uint64_t hit, uint64_t *cap, uint64_t *freeb,
		       uint64_t *bs);

/* Number of published slots (bounded by FR_MAX_RULES); inline: every armed path call asks. */
static inline unsigned fr_ctl_count(const struct fr_ctl *c)
{
	unsigned n = atomic_load_explicit(&c->nslots, memory_order_acquire);

	return n > FR_MAX_RULES ? FR_MAX_RULES : n;
}

/* CLOCK_MONOTONIC in ns (async-signal-safe). */
uint64_t fr_now_ns(void);

/*
 * Writer side (harness/fault/ctl_admin.c: faultrun and the tests, never
 * the shim). Not signal-safe; may allocate.
 */

/*
 * Create the block at path (O_EXCL, 0600) and map it. Returns 0 or -errno.
 */
int fr_ctl_create(const char *path, uint64_t seed, struct fr_ctl **out);

/* Map an existing block for a writer (ctl): same checks as attach. */
int fr_ctl_open(const char *path, struct fr_ctl **out);

/* Unmap; NULL is a no-op. */
void fr_ctl_close(struct fr_ctl *c);

/*
 * Publish a rule (already checked with fr_rule_finish). Returns its slot
 * index, -EEXIST when the name is taken, -ENOSPC when the table is full,
 * or, for the first disk rule, when the file system holding the block has
 * no room for its file table (-ENOMEM: no memory for it).
 */
int fr_ctl_add(struct fr_ctl *c, const struct fr_rule *r, bool armed);

/* Slot index of the rule called name, or -ENOENT. */
int fr_ctl_find(const struct fr_ctl *c, const char *name);

/*
 * Arm or disarm a slot; recomputes the masks, bumps `generation` and wakes
 * every stalled call (futex). Arming resets nothing: counters accumulate;
 * after= and times= count from the first arming. Returns 0 or -ENOENT.
 */
int fr_ctl_set_armed(struct fr_ctl *c, unsigned idx, bool armed);

/*
 * Switch every rule off for good (the block's `disabled`): the masks are
 * recomputed empty and stalled calls woken. For processes that outlive
 * the writer that would report their faults (faultrun exec's command
 * left them running).
 */
void fr_ctl_switch_off(struct fr_ctl *c);

/*
 * Withdraw a slot's rule (faultrun ctl remove): disarmed, `ready` back to
 * 0, never reused (docs/control-block.md). Returns 0 or -ENOENT.
 */
int fr_ctl_remove(struct fr_ctl *c, unsigned idx);

/*
 * Disk rules (harness/fault/disk_admin.c). Arming one measures the files
 * already under its path (their block-rounded sizes are used space), sets
 * its capacity (size=, or used + free=) and forgets the files it followed
 * before. Returns 0 or -errno (err filled).
 */
int fr_disk_arm(struct fr_ctl *c, unsigned idx, char *err, size_t errlen);
/*
 * Change a disk's free space while it runs: by delta bytes (relative), or
 * to delta bytes (absolute); the capacity follows. Returns 0, -ENOENT (no
 * such slot) or -EINVAL (not a disk rule).
 */
int fr_disk_set_free(struct fr_ctl *c, unsigned idx, int64_t delta, bool absolute);

#endif /* FAULTRUN_CONTROL_H */
