/*
 * The control block, writer side (faultrun, faultrun ctl, the tests):
 * create a block, publish rules, arm and disarm them. Never linked into
 * libfaultshim.so (harness/fault/meson.build): it calls open(), close()
 * and unlink(), which inside the shim would be its own wrappers.
 */
#define _GNU_SOURCE
#include <faultrun/control.h>
#include "ctl_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * What every run writes: the header, the rule slots, the event ring and
 * the process table. The file table after it (three quarters of the
 * block, 512 KiB) is read and written only for a disk rule (disk.c,
 * disk_admin.c), so it gets its pages when the first disk rule is
 * published (back_files): allocating and freeing them for every
 * `faultrun exec` was a sixth of its cost over the command.
 */
#define CTL_COMMON_SIZE offsetof(struct fr_ctl, files)

/*
 * Give the file table its pages, through this process's mapping, so no
 * later touch of it (here, in the shim, in faultrun) can be the SIGBUS of
 * a full tmpfs. MADV_POPULATE_WRITE (Linux 5.14) faults the pages in as a
 * write would, but fails with EFAULT where the write would have taken a
 * SIGBUS (madvise(2)); pages already there cost a page-table entry. A
 * kernel without it says EINVAL: fr_ctl_create found that too and
 * allocated the whole block, as does every older faultrun.
 */
static int back_files(struct fr_ctl *c)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)c->files & ~(page - 1);
	uintptr_t end = (uintptr_t)c + sizeof(struct fr_ctl);

	if (madvise((void *)start, end - start, MADV_POPULATE_WRITE) == 0 || errno == EINVAL)
		return 0;
	return errno == EFAULT ? -ENOSPC : -errno;
}

int fr_ctl_create(const char *path, uint64_t seed, struct fr_ctl **out)
{
	struct fr_ctl *c;
	int fd, ret;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/*
	 * Allocate the pages every run writes now: a sparse file mapped
	 * shared gets its pages on first touch, and on a full file system
	 * (the run directory is often on the very disk an incident fills)
	 * that touch is a SIGBUS in the target or in faultrun (mmap(2),
	 * "SIGBUS"). posix_fallocate(3) fails with ENOSPC instead, before
	 * anything maps the block. The file table stays a hole until a disk
	 * rule needs it (back_files), the file its full size.
	 */
	ret = posix_fallocate(fd, 0, CTL_COMMON_SIZE);
	if (ret) {
		ret = -ret;
		goto err_unlink;
	}
	if (ftruncate(fd, sizeof(struct fr_ctl)) < 0) {
		ret = -errno;
		goto err_unlink;
	}
	c = mmap(NULL, sizeof(struct fr_ctl), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c == MAP_FAILED) {
		ret = -errno;
		goto err_unlink;
	}
	/* no MADV_POPULATE_WRITE (before 5.14): the file table now, as before */
	if (madvise(c, 1, MADV_POPULATE_WRITE) < 0 && errno == EINVAL &&
	    (ret = posix_fallocate(fd, 0, sizeof(struct fr_ctl)))) {
		munmap(c, sizeof(struct fr_ctl));
		ret = -ret;
		goto err_unlink;
	}
	close(fd);
	/* the file is zero-filled: set the header, magic last */
	c->version = FR_CTL_VERSION;
	c->size = sizeof(struct fr_ctl);
	c->max_rules = FR_MAX_RULES;
	c->max_events = FR_CTL_EVENTS;
	c->owner_uid = (uint32_t)geteuid();
	c->creator_pid = (uint32_t)getpid();
	c->seed = seed;
	c->created_ns = fr_now_ns();
	atomic_thread_fence(memory_order_release);
	c->magic = FR_CTL_MAGIC;
	*out = c;
	return 0;

err_unlink:
	close(fd);
	unlink(path);
	return ret;
}

int fr_ctl_open(const char *path, struct fr_ctl **out)
{
	int err = 0;
	struct fr_ctl *c = fr_ctl_map(path, &err);

	if (!c)
		return -err;
	*out = c;
	return 0;
}

void fr_ctl_close(struct fr_ctl *c)
{
	if (c)
		munmap(c, sizeof(struct fr_ctl));
}

int fr_ctl_find(const struct fr_ctl *c, const char *name)
{
	unsigned n = fr_ctl_count(c);

	for (unsigned i = 0; i < n; i++) {
		const struct fr_ctl_slot *s = &c->slots[i];
		if (atomic_load_explicit(&s->ready, memory_order_acquire) &&
		    strncmp(s->rule.name, name, sizeof(s->rule.name)) == 0 &&
		    strlen(name) < sizeof(s->rule.name))
			return (int)i;
	}
	return -ENOENT;
}

/*
 * Recompute the hot-path masks from the armed flags. Two writers may race;
 * each retries until its generation bump wins, so the last one to finish
 * has stored masks computed after every flag it could see.
 */
static void recompute(struct fr_ctl *c)
{
	uint32_t g;

	do {
		uint64_t per_op[FR_OP_COUNT] = { 0 };
		uint32_t ops = 0;
		unsigned n = fr_ctl_count(c);

		g = atomic_load_explicit(&c->generation, memory_order_acquire);
		for (unsigned i = 0; i < n; i++) {
			struct fr_ctl_slot *s = &c->slots[i];
			if (!atomic_load_explicit(&s->ready, memory_order_acquire) ||
			    !atomic_load_explicit(&s->armed, memory_order_relaxed))
				continue;
			uint32_t r_ops = s->rule.ops;
			if (s->rule.action == FR_ACT_BUDGET || s->rule.action == FR_ACT_DISK)
				r_ops |= FR_OPBIT(FR_OP_STATFS);
			for (unsigned op = 0; op < FR_OP_COUNT; op++)
				if (r_ops & FR_OPBIT(op))
					per_op[op] |= 1ull << i;
			ops |= r_ops;
		}
		if (atomic_load_explicit(&c->disabled, memory_order_relaxed)) {
			ops = 0;
			memset(per_op, 0, sizeof(per_op));
		}
		/* masks before the summary word, so a reader seeing a bit finds its rules */
		for (unsigned op = 0; op < FR_OP_COUNT; op++)
			atomic_store_explicit(&c->armed_rules[op], per_op[op],
					      memory_order_release);
		atomic_store_explicit(&c->armed_ops, ops, memory_order_release);
	} while (!atomic_compare_exchange_strong_explicit(
		&c->generation, &g, g + 1, memory_order_acq_rel, memory_order_acquire));
	/* release every stalled call so it re-reads its rule */
	syscall(SYS_futex, &c->generation, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

int fr_ctl_add(struct fr_ctl *c, const struct fr_rule *r, bool armed)
{
	unsigned idx;
	struct fr_ctl_slot *s;

	if (fr_ctl_find(c, r->name) >= 0)
		return -EEXIST;
	/* before the slot is taken: a rule refused leaves the table as it was */
	if (r->action == FR_ACT_DISK) {
		int ret = back_files(c);

		if (ret < 0)
			return ret;
	}
	idx = atomic_fetch_add_explicit(&c->nslots, 1, memory_order_acq_rel);
	if (idx >= FR_MAX_RULES)
		return -ENOSPC;
	s = &c->slots[idx];
	s->rule = *r;
	atomic_store_explicit(&s->budget, (int64_t)r->amount, memory_order_relaxed);
	if (armed && r->action == FR_ACT_DISK)
		fr_disk_arm(c, idx, NULL, 0);
	atomic_store_explicit(&s->armed, armed ? 1 : 0, memory_order_relaxed);
	if (armed)
		atomic_store_explicit(&s->arm_count, 1, memory_order_relaxed);
	atomic_store_explicit(&s->ready, 1, memory_order_release);
	atomic_fetch_add_explicit(&c->rules_gen, 1, memory_order_acq_rel);
	recompute(c);
	return (int)idx;
}

void fr_ctl_switch_off(struct fr_ctl *c)
{
	atomic_store_explicit(&c->disabled, 1, memory_order_relaxed);
	recompute(c);
}

int fr_ctl_set_armed(struct fr_ctl *c, unsigned idx, bool armed)
{
	struct fr_ctl_slot *s;

	if (idx >= fr_ctl_count(c))
		return -ENOENT;
	s = &c->slots[idx];
	if (!atomic_load_explicit(&s->ready, memory_order_acquire))
		return -ENOENT;
	if (armed && !atomic_load_explicit(&s->armed, memory_order_relaxed)) {
		/* a new full disk each time the fault goes in */
		atomic_store_explicit(&s->budget, (int64_t)s->rule.amount, memory_order_relaxed);
		/* a disk starts from what its tree holds now */
		if (s->rule.action == FR_ACT_DISK)
			fr_disk_arm(c, idx, NULL, 0);
		atomic_fetch_add_explicit(&s->arm_count, 1, memory_order_relaxed);
	}
	atomic_store_explicit(&s->armed, armed ? 1 : 0, memory_order_release);
	recompute(c);
	return 0;
}

/*
 * Removing a rule with what version 4 of the block already has: the slot
 * is withdrawn (`ready` back to 0, disarmed) and never reused, since
 * nslots only grows. Every reader already skips a slot that is not ready
 * (the shim, recompute, fr_ctl_find), and the rule's bytes stay as they
 * were, so a shim in the middle of deciding a call on it reads a whole
 * rule, and events that name the slot still find its name.
 */
int fr_ctl_remove(struct fr_ctl *c, unsigned idx)
{
	struct fr_ctl_slot *s;
	uint32_t one = 1;

	if (idx >= fr_ctl_count(c))
		return -ENOENT;
	s = &c->slots[idx];
	/* only one of two removers wins; ready first, so no recompute arms it again */
	if (!atomic_compare_exchange_strong_explicit(&s->ready, &one, 0, memory_order_acq_rel,
						     memory_order_acquire))
		return -ENOENT;
	atomic_store_explicit(&s->armed, 0, memory_order_release);
	atomic_fetch_add_explicit(&c->rules_gen, 1, memory_order_acq_rel);
	recompute(c);
	return 0;
}
