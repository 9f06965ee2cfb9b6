/* Deciding one notified call (sec_decide.c). */
#ifndef FAULTRUN_SEC_DECIDE_H
#define FAULTRUN_SEC_DECIDE_H

#include "sec_internal.h"

#include <linux/seccomp.h>
#include <sys/vfs.h>

/* What faultrun does with a call it decided. */
enum sec_what {
	SEC_PASS,   /* the kernel makes it (SECCOMP_USER_NOTIF_FLAG_CONTINUE) */
	SEC_FAIL,   /* -1 with err */
	SEC_DELAY,  /* answered CONTINUE after ns */
	SEC_STALL,  /* held until the rule is cleared or its window ends, then CONTINUE */
	SEC_CUT,    /* faultrun makes it with `allow` bytes (sec_io_cut) and answers the count */
	SEC_RESET,  /* the socket is aborted (sec_sock_reset), then -1 with err (ECONNRESET) */
	SEC_STATFS, /* faultrun's statfs result (sfs) into the target's buffer, then 0 */
	SEC_VALUE,  /* answered `allow` without the kernel making it (a send blackhole's swallow) */
	SEC_SHUT, /* the socket shut down both ways (then=close); a recv reads 0, a send goes on */
};

struct sec_verdict {
	int tid, tgid;	    /* in: the calling thread and its process */
	bool read_target;   /* out: the target's state was read (check the id is still valid) */
	bool inject;	    /* out: a rule injected (what says how) */
	enum sec_what what; /* out */
	int err;	    /* SEC_FAIL's errno; ENOSPC for a budget's crossing write */
	unsigned rule;	    /* the slot that injects */
	enum fr_op op;	    /* the operation the call was decided as */
	uint64_t counted;   /* slots fr_ctl_fire counted a match in */
	uint64_t ns;	    /* SEC_DELAY: how long; SEC_STALL: the window's end (0: none) */
	uint64_t allow;	    /* SEC_CUT: the bytes it moves; SEC_DELAY: then cut to (0: whole) */
	uint64_t slice;	    /* slice=: what was drawn for the call */
	uint64_t tag;	    /* SEC_DELAY, SEC_STALL: the rule's arming (arm_count) */
	bool episode;	    /* SEC_STALL: an episode already counted holds the call */
	int budget_rule;    /* -1, or the budget the call's bytes were taken from */
	uint64_t taken;	    /* ... and how many */
	uint64_t sock_ino;  /* the socket's inode (0: not a socket) */
	int fd;		    /* the fd the call acts on (-1: none) */
	int8_t sized;	    /* want: 0 not read yet, 1 read, -1 unknown */
	uint64_t want;	    /* the bytes the call asks to move */
	char where[FR_CTL_WHERE_MAX * 2]; /* the path or peer, for the event */
	int disk_rule;			  /* -1, or the disk rule whose tree the call is in */
	struct fr_disk_take disk;	  /* ... and what a write took of it (sec_disk.c) */
	struct statfs sfs;		  /* SEC_STATFS: the answer (sec_statfs.c) */
	uint64_t buf;			  /* ... and where it goes in the target */
};

/*
 * Decide the call d (its thread in v->tid, v->tgid): counts in c as the
 * shim does. Returns v->inject.
 */
bool sec_decide(struct fr_sec *s, struct fr_ctl *c, const struct seccomp_data *d,
		struct sec_verdict *v);

/* shim_rule_match_file: whether file rule r covers path (NULL: unknown, only a rule without path). */
bool sec_match_file(const struct fr_rule *r, const char *path);

/* Take back what sec_decide counted: the call never completed (the target was killed). */
void sec_undo(struct fr_ctl *c, const struct sec_verdict *v);

/* Whether rule idx, armed as v->tag says, still holds a call (armed, not disabled). */
bool sec_rule_live(struct fr_ctl *c, unsigned idx, uint64_t tag);
/* Rule idx's arming: its slot's arm count, which a new arming changes. */
uint64_t sec_arm_tag(struct fr_ctl *c, unsigned idx);
/*
 * Keep, of the n entries of arr, those whose rule (.rule) is still in the
 * arming (.tag) they were made in: an episode or a connection of an
 * arming that is over is gone.
 */
#define SEC_KEEP_LIVE(c, arr, n)                                               \
	do {                                                                   \
		size_t kept_ = 0;                                              \
		for (size_t j_ = 0; j_ < (n); j_++)                            \
			if (sec_rule_live((c), (arr)[j_].rule, (arr)[j_].tag)) \
				(arr)[kept_++] = (arr)[j_];                    \
		(n) = kept_;                                                   \
	} while (0)

/* io_uring_setup from process tgid was let through: count the ring in c (uring_setups). */
void sec_uring_passed(struct fr_ctl *c, int tgid);

#endif /* FAULTRUN_SEC_DECIDE_H */
