/*
 * faultrun's side of process accounting: which processes of a run loaded
 * the shim and attached the control block, and which could not and why
 * (include/faultrun/control.h, "fr_ctl_register", "fr_ctl_report").
 * Everything a report says about where the shim reached comes from here.
 */
#ifndef FAULTRUN_FAULT_ATTACH_H
#define FAULTRUN_FAULT_ATTACH_H

#include <faultrun/control.h>

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct fr_proc_info {
	int pid, ppid;
	unsigned uid;
	char exe[FR_CTL_EXE_MAX];
	bool refused;
	int refusal;   /* enum fr_refusal, when refused */
	char why[128]; /* when refused */
};

struct fr_attach {
	struct fr_proc_info *v; /* one per pid: attached ones, then refusals */
	size_t n, cap;
	unsigned unlisted;     /* attached past the block's table (FR_CTL_PROCS) */
	unsigned reports_lost; /* refusals the socket could not hold */
};

/*
 * Listen for refusals of the block at ctl_path: a non-blocking,
 * close-on-exec datagram socket with SO_PASSCRED. Returns the fd or -errno.
 */
int fr_attach_listen(const char *ctl_path);

/*
 * Take every refusal waiting on fd into a. Refusals from processes that
 * are not descendants of this one (checked while the sender still
 * exists) are ignored. Returns the number taken, or -errno.
 */
int fr_attach_drain(struct fr_attach *a, int fd);

/* Take the block's process table into a (one entry per pid, the latest image). */
void fr_attach_collect(struct fr_attach *a, const struct fr_ctl *c);

/* Processes attached / refused. */
size_t fr_attach_count(const struct fr_attach *a, bool refused);

/*
 * "3 processes (node ×2, bash)" — attached ones, by name, the most
 * frequent first; "no process" when none. Into buf[len].
 */
void fr_attach_describe(const struct fr_attach *a, char *buf, size_t len);

/* "process 4711 (node, uid 65534): why" for the i-th refusal, into buf[len]. */
void fr_attach_refusal_text(const struct fr_proc_info *p, char *buf, size_t len);

/*
 * Why a fault that should have fired did not, from where the shim reached:
 * "no process attached the control block", "process 4711 (node, uid 65534)
 * refused the control block: ...", or "the shim was in 3 processes (node
 * ×3); N calls met the rule, none was injected" / "...; no call met the
 * rule". matched: the rule's matched counter. Into buf[len].
 */
void fr_attach_explain(const struct fr_attach *a, uint64_t matched, char *buf, size_t len);

void fr_attach_finish(struct fr_attach *a);

#endif /* FAULTRUN_FAULT_ATTACH_H */
