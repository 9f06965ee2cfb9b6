/*
 * What faultrun says about the io_uring rings a run's processes set up
 * (the block's uring_setups and uring_pid, counted by the shim's
 * syscall() wrapper or the seccomp backend): reads and writes submitted
 * through a ring make no read() or write() call, so file and socket rules
 * never see them, and a run that used one must not look like a run the
 * rules covered (docs/limitations.md).
 */
#define _GNU_SOURCE
#include "attach.h"
#include "uring_note.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Operations whose calls a ring's I/O makes without them. */
#define BYPASSED (FR_OPS_IO | FR_OPS_NET)

bool fr_uring_bypasses(const struct fr_rule *r)
{
	return (r->ops & BYPASSED) != 0;
}

bool fr_uring_bypass_rules(const struct fr_ctl *c)
{
	unsigned n = fr_ctl_count(c);

	for (unsigned i = 0; i < n; i++)
		if (atomic_load_explicit(&c->slots[i].ready, memory_order_acquire) &&
		    fr_uring_bypasses(&c->slots[i].rule))
			return true;
	return false;
}

/* The executable of pid in the block's process table (the latest image), or "?". */
static void exe_of(const struct fr_ctl *c, int pid, char *out, size_t len)
{
	uint32_t n = atomic_load_explicit(&c->nprocs, memory_order_acquire);

	snprintf(out, len, "?");
	if (n > FR_CTL_PROCS)
		n = FR_CTL_PROCS;
	for (uint32_t i = 0; i < n; i++) {
		const struct fr_ctl_proc *p = &c->procs[i];
		uint32_t st = atomic_load_explicit(&p->state, memory_order_acquire);

		if (p->pid == pid && (st == FR_PROC_ATTACHED || st == FR_PROC_FORKED))
			snprintf(out, len, "%.*s", FR_CTL_EXE_MAX, p->exe);
	}
}

/* "python3 (pid 42) set up an io_uring" or "python3 (pid 42) and others set up 3 io_urings". */
static void who(const struct fr_ctl *c, char *buf, size_t len)
{
	uint32_t k = atomic_load_explicit(&c->uring_setups, memory_order_relaxed);
	int pid = atomic_load_explicit(&c->uring_pid, memory_order_relaxed);
	char exe[FR_CTL_EXE_MAX + 1];

	exe_of(c, pid, exe, sizeof(exe));
	if (k == 1)
		snprintf(buf, len, "%s (pid %d) set up an io_uring", exe, pid);
	else
		snprintf(buf, len, "%s (pid %d) and others set up %" PRIu32 " io_urings", exe, pid,
			 k);
}

bool fr_uring_note(const struct fr_ctl *c, char *buf, size_t len)
{
	char w[FR_CTL_EXE_MAX + 96];

	buf[0] = '\0';
	if (!atomic_load_explicit(&c->uring_setups, memory_order_relaxed) ||
	    !fr_uring_bypass_rules(c))
		return false;
	who(c, w, sizeof(w));
	snprintf(buf, len,
		 "%s: I/O through %s bypasses faultrun; add 'io_uring errno=ENOSYS' to make it "
		 "fall back",
		 w,
		 atomic_load_explicit(&c->uring_setups, memory_order_relaxed) == 1 ? "it" : "them");
	return true;
}

void fr_uring_explain(const struct fr_ctl *c, unsigned idx, char *buf, size_t len)
{
	size_t off = strnlen(buf, len);
	char w[FR_CTL_EXE_MAX + 96];

	if (idx >= FR_MAX_RULES || !fr_uring_bypasses(&c->slots[idx].rule) ||
	    !atomic_load_explicit(&c->uring_setups, memory_order_relaxed) || off + 1 >= len)
		return;
	who(c, w, sizeof(w));
	snprintf(buf + off, len - off, "; %s, whose I/O no rule sees (io_uring errno=ENOSYS)", w);
}
