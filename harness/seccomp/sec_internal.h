/*
 * The seccomp backend's internals, shared by its files (seccomp.h is the
 * interface faultrun uses).
 */
#ifndef FAULTRUN_SEC_INTERNAL_H
#define FAULTRUN_SEC_INTERNAL_H

#include "seccomp.h"

#include <linux/filter.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * One system call the backend understands: which operation it is and
 * where its facts are among the six arguments (-1: none). A dirfd of -1
 * means AT_FDCWD. `alt`: the operation a read or write on a socket is
 * (send, recv), as the shim decides it (shim_decide_fd).
 */
struct sec_call {
	int nr;
	const char *name;
	uint8_t op, alt;    /* enum fr_op; alt == op when none */
	int8_t fd;	    /* the fd the call acts on */
	int8_t dirfd, path; /* the path it names */
	int8_t dirfd2, path2;
	int8_t flags; /* open flags (-2: creat's, -3: openat2's struct open_how) */
	int8_t addr;  /* connect: the address (len in the next argument) */
};

/* The call of system call nr, or NULL. */
const struct sec_call *sec_call_find(int nr);

/* What the decision needs to know of the target, the supervisor's state. */
struct fr_sec {
	uint32_t ops;		  /* operations the filter sends us */
	struct sock_filter *prog; /* the filter */
	unsigned short nprog;
	struct sec_handoff *handoff; /* a page shared with the child */
	int listener;		     /* ours, -1 before fr_sec_take */
	/* the processes seen (thread id -> process id), for the block's table */
	struct sec_task {
		int tid, tgid;
	} * tasks;
	size_t ntasks, cap;
	uint32_t seen_gen;	/* rules_gen last checked for rules we cannot do */
	uint64_t warned;	/* slots already reported */
	uint64_t notifications; /* received */
	/*
	 * stall episodes: a socket and direction a stall rule injected on,
	 * in one arming of the rule, holds every later call there uncounted
	 */
	struct sec_episode {
		uint64_t ino, tag;
		uint64_t used, cap; /* send blackhole: bytes swallowed, of at most SO_SNDBUF */
		uint16_t rule;
		uint8_t op;
	} * eps;
	size_t neps, capeps;
	/* stall=DURATION windows: opened (tag + 1, 0: none) at the rule's first injection */
	uint64_t win_tag[FR_MAX_RULES], win_start[FR_MAX_RULES];
	/* jitter= draws: how many each rule made, and the last one (correlation=) */
	uint64_t draws[FR_MAX_RULES];
	uint32_t last_u[FR_MAX_RULES];
	/* calls answered later (delay, stall): sec_hold.c */
	struct sec_held *held;
	size_t nheld, capheld;
	size_t respsz; /* the kernel's struct seccomp_notif_resp (SECCOMP_GET_NOTIF_SIZES) */
	/* sockets a stall answered EAGAIN on, woken when it ends: sec_wake.c */
	struct sec_wake *wakes;
	size_t nwakes, capwakes;
	uint64_t woken, wake_failed; /* epoll registrations re-armed, and that could not be */
	/* close-after=DURATION: each connection's clock (sec_limit.c) */
	struct sec_conn {
		uint64_t ino, tag, start;
		uint16_t rule;
		uint8_t state;
	} * conns;
	size_t nconns, capconns;
	uint64_t wake_failed_told; /* of wake_failed, added to the block's wakes_failed */
};

/* The page the child fills before it stops (fr_sec_child_install). */
struct sec_handoff {
	int listener; /* the child's listener fd, -1 until installed */
	int err;      /* errno of a failed install */
};

/*
 * Whether this backend can do rule r's action on operation op (errno=,
 * delay=, short, budget=, stall on what a supervisor can hold, reset,
 * refuse).
 */
bool sec_action_ok(const struct fr_rule *r, enum fr_op op);

/* Rule slot idx's reason not to apply under this backend, or NULL. */
const char *sec_rule_unsupported(const struct fr_sec *s, const struct fr_rule *r, char *buf,
				 size_t len);

/*
 * The steps of the supervisor (sec_serve.c) that the thread of a scenario
 * run (sec_thread.c) shares: receive and answer one notification (0, or
 * -errno when the listener fails), and report once rules ctl published
 * that this backend cannot apply.
 */
struct seccomp_notif;
struct seccomp_notif_resp;
int sec_answer_one(struct fr_sec *s, struct fr_ctl *c, struct seccomp_notif *req, size_t reqsz,
		   struct seccomp_notif_resp *resp, size_t respsz);
void sec_check_new_rules(struct fr_sec *s, struct fr_ctl *c);

/*
 * arr with room for one more than its n entries of `size` bytes, the
 * capacity *cap doubled (first from `first`) when it is full; NULL, arr
 * and *cap untouched, without the memory: the supervisor then follows
 * less (an episode, a connection, a wake) rather than stop the program.
 */
static inline void *sec_grow(void *arr, size_t n, size_t *cap, size_t first, size_t size)
{
	size_t c = *cap ? *cap * 2 : first;
	void *p;

	if (n < *cap)
		return arr;
	p = reallocarray(arr, c, size);
	if (p)
		*cap = c;
	return p;
}

#endif /* FAULTRUN_SEC_INTERNAL_H */
