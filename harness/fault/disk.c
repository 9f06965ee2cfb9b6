/*
 * The disk model, reader side: a file system of a given capacity over a
 * rule's path, shared by every process of the run through the control
 * block. Linked into libfaultshim.so, so: atomics, plain memory and raw
 * system calls only (raw_syscall.h), no malloc, no libc function the shim
 * interposes.
 *
 * What it follows is what tmpfs does when it fills (measured by
 * tests/disk/measure-full.sh; docs/faults.md "disk"): space is taken by
 * the blocks a file's data occupies, not by bytes written; a write that
 * does not fit is short up to the last free block, then ENOSPC; a file
 * that lost its last link keeps its blocks while a process holds it open.
 *
 * Each file is followed by one entry: `alloc`, the end of its allocated
 * prefix. A write past it charges the blocks it adds, one CAS on the
 * rule's free space (slot->budget) and one on alloc. Holes are not
 * followed: a write far past the end charges only the blocks it touches,
 * and the hole counts as allocated from then on (docs/faults.md).
 */
#define _GNU_SOURCE
#include <faultrun/control.h>
#include "raw_syscall.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

uint64_t fr_disk_block(const struct fr_rule *r)
{
	unsigned sh = r->block_shift ? r->block_shift : FR_DISK_BLOCK_SHIFT;

	if (sh < FR_DISK_BLOCK_MIN_SHIFT || sh > FR_DISK_BLOCK_MAX_SHIFT)
		sh = FR_DISK_BLOCK_SHIFT;
	return 1ull << sh;
}

/* bytes -> whole blocks, rounded up */
static uint64_t blocks(uint64_t bytes, uint64_t bs)
{
	return bytes / bs + (bytes % bs != 0);
}

static uint64_t file_key(uint64_t dev, uint64_t ino)
{
	uint64_t x = dev * 0x9e3779b97f4a7c15ull ^ ino;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x ? x : 1;
}

/* ---- free space ------------------------------------------------------ */

/* Take up to `want` bytes (whole blocks) from rule's free space; returns how many. */
static uint64_t take(struct fr_ctl *c, unsigned rule, uint64_t want, uint64_t bs, bool all)
{
	struct fr_ctl_slot *s = &c->slots[rule];
	int64_t left = atomic_load_explicit(&s->budget, memory_order_relaxed), give;

	do {
		uint64_t have = left > 0 ? (uint64_t)left / bs * bs : 0;

		if (!have || (all && have < want))
			return 0;
		give = (int64_t)(have < want ? have : want);
	} while (!atomic_compare_exchange_weak_explicit(
		&s->budget, &left, left - give, memory_order_relaxed, memory_order_relaxed));
	atomic_fetch_add_explicit(&s->bytes, (uint64_t)give, memory_order_relaxed);
	return (uint64_t)give;
}

void fr_disk_give(struct fr_ctl *c, unsigned rule, uint64_t bytes)
{
	if (rule >= FR_MAX_RULES || !bytes)
		return;
	atomic_fetch_add_explicit(&c->slots[rule].budget, (int64_t)bytes, memory_order_relaxed);
}

int fr_disk_take_blocks(struct fr_ctl *c, unsigned rule, uint64_t bytes)
{
	if (rule >= FR_MAX_RULES)
		return 0;
	return take(c, rule, bytes, fr_disk_block(&c->slots[rule].rule), true) == bytes ? 0 :
											  -ENOSPC;
}

/* ---- the file table -------------------------------------------------- */

/*
 * files_lock: claiming and freeing entries is serialised so that a key is
 * never in the table twice (two processes' first writes to one new file).
 * It is held for a few stores, never across a system call, with every
 * signal blocked, so a handler cannot deadlock on its own thread. A holder
 * that died with it (killed in those few instructions) is detected and the
 * lock taken over.
 */
static void files_lock(struct fr_ctl *c, sigset_t *old)
{
	sigset_t all;
	uint32_t tid = (uint32_t)fr_syscall(SYS_gettid), cur;
	unsigned long spins = 0;

	sigfillset(&all);
	fr_syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, old, sizeof(long));
	for (;;) {
		cur = 0;
		if (atomic_compare_exchange_weak_explicit(
			    &c->files_lock, &cur, tid, memory_order_acquire, memory_order_relaxed))
			return;
		if (++spins % (1u << 16) == 0) {
			/* the holder's thread is gone: it died holding the lock */
			if (cur && fr_syscall(SYS_kill, (long)cur, 0L) < 0 && errno == ESRCH)
				atomic_compare_exchange_strong(&c->files_lock, &cur, 0);
			else
				fr_syscall(SYS_sched_yield);
		}
	}
}

static void files_unlock(struct fr_ctl *c, const sigset_t *old)
{
	atomic_store_explicit(&c->files_lock, 0, memory_order_release);
	fr_syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, sizeof(long));
}

static bool is_file(const struct fr_ctl_file *f, uint64_t key, uint64_t dev, uint64_t ino)
{
	return atomic_load_explicit(&f->key, memory_order_acquire) == key &&
	       atomic_load_explicit(&f->state, memory_order_acquire) != FR_FILE_DEAD &&
	       atomic_load_explicit(&f->dev, memory_order_relaxed) == dev &&
	       atomic_load_explicit(&f->ino, memory_order_relaxed) == ino;
}

/* Lock-free lookup: the live entry of (dev, ino), or -1. */
static int lookup(struct fr_ctl *c, uint64_t key, uint64_t dev, uint64_t ino)
{
	for (unsigned n = 0, i = (unsigned)(key % FR_CTL_FILES); n < FR_CTL_FILES;
	     n++, i = (i + 1) % FR_CTL_FILES) {
		const struct fr_ctl_file *f = &c->files[i];
		uint64_t k = atomic_load_explicit(&f->key, memory_order_acquire);

		if (!k)
			return -1;
		if (is_file(f, key, dev, ino))
			return (int)i;
	}
	return -1;
}

int fr_disk_file(struct fr_ctl *c, unsigned rule, uint64_t dev, uint64_t ino, uint64_t size)
{
	uint64_t key = file_key(dev, ino);
	int i = lookup(c, key, dev, ino), free_at = -1;
	sigset_t old;

	if (i >= 0 || rule >= FR_MAX_RULES)
		return i;
	files_lock(c, &old);
	/* again under the lock: another process may have claimed it meanwhile */
	i = lookup(c, key, dev, ino);
	/* absent: the first free entry of its chain (lookups pass a reused one) */
	for (unsigned n = 0, j = (unsigned)(key % FR_CTL_FILES); i < 0 && n < FR_CTL_FILES;
	     n++, j = (j + 1) % FR_CTL_FILES) {
		if (atomic_load_explicit(&c->files[j].state, memory_order_relaxed) ==
		    FR_FILE_DEAD) {
			free_at = (int)j;
			break;
		}
	}
	if (i < 0 && free_at >= 0) {
		struct fr_ctl_file *f = &c->files[free_at];

		atomic_store_explicit(&f->dev, dev, memory_order_relaxed);
		atomic_store_explicit(&f->ino, ino, memory_order_relaxed);
		atomic_store_explicit(&f->alloc, size, memory_order_relaxed);
		atomic_store_explicit(&f->rule, rule, memory_order_relaxed);
		atomic_store_explicit(&f->key, key, memory_order_release);
		atomic_store_explicit(&f->state, FR_FILE_LIVE, memory_order_release);
		i = free_at;
	}
	files_unlock(c, &old);
	if (i < 0)
		atomic_fetch_add_explicit(&c->files_overflow, 1, memory_order_relaxed);
	return i;
}

/* ---- charging -------------------------------------------------------- */

uint64_t fr_disk_grow(struct fr_ctl *c, unsigned rule, int file, uint64_t start, uint64_t len,
		      bool append, bool all, struct fr_disk_take *tk)
{
	uint64_t bs = fr_disk_block(&c->slots[rule].rule);
	struct fr_ctl_file *f;

	tk->file = -1;
	tk->charge = 0;
	if (file < 0 || (unsigned)file >= FR_CTL_FILES)
		return len;
	f = &c->files[file];
	for (;;) {
		uint64_t a = atomic_load_explicit(&f->alloc, memory_order_acquire);
		uint64_t s = append && a > start ? a : start, end = s + len;
		uint64_t first = s / bs > blocks(a, bs) ? s / bs : blocks(a, bs);
		uint64_t need = blocks(end, bs) > first ? (blocks(end, bs) - first) * bs : 0;
		uint64_t got = 0, fit = len, new_end;

		if (end <= a)
			return len; /* an overwrite: nothing to charge */
		if (need && (got = take(c, rule, need, bs, all)) < need) {
			/* what fits: up to the end of the last block it got */
			uint64_t lim = (first * bs) + got;

			fit = lim > s ? lim - s : 0;
			if (!fit || all) {
				fr_disk_give(c, rule, got);
				atomic_fetch_sub_explicit(&c->slots[rule].bytes, got,
							  memory_order_relaxed);
				return 0;
			}
		}
		new_end = s + fit > a ? s + fit : a;
		if (atomic_compare_exchange_strong_explicit(
			    &f->alloc, &a, new_end, memory_order_acq_rel, memory_order_acquire)) {
			tk->file = file;
			tk->start = s;
			tk->old = a;
			tk->end = new_end;
			tk->charge = got;
			return fit;
		}
		/* another write moved the end meanwhile: start over */
		fr_disk_give(c, rule, got);
		atomic_fetch_sub_explicit(&c->slots[rule].bytes, got, memory_order_relaxed);
	}
}

void fr_disk_settle(struct fr_ctl *c, unsigned rule, const struct fr_disk_take *tk, int64_t done)
{
	uint64_t bs, real, back, expect;

	if (tk->file < 0 || rule >= FR_MAX_RULES)
		return;
	real = tk->start + (done > 0 ? (uint64_t)done : 0);
	if (real >= tk->end)
		return;
	if (real < tk->old)
		real = tk->old;
	/* give back only while nothing moved the end since (else keep the charge) */
	expect = tk->end;
	if (!atomic_compare_exchange_strong(&c->files[tk->file].alloc, &expect, real))
		return;
	bs = fr_disk_block(&c->slots[rule].rule);
	back = (blocks(tk->end, bs) - blocks(real, bs)) * bs;
	if (back > tk->charge)
		back = tk->charge;
	fr_disk_give(c, rule, back);
	atomic_fetch_sub_explicit(&c->slots[rule].bytes, back, memory_order_relaxed);
}

void fr_disk_shrink(struct fr_ctl *c, unsigned rule, int file, uint64_t len)
{
	struct fr_ctl_file *f;
	uint64_t bs, a;

	if (file < 0 || (unsigned)file >= FR_CTL_FILES || rule >= FR_MAX_RULES)
		return;
	f = &c->files[file];
	bs = fr_disk_block(&c->slots[rule].rule);
	a = atomic_load_explicit(&f->alloc, memory_order_acquire);
	do {
		if (len >= a)
			return;
	} while (!atomic_compare_exchange_weak_explicit(&f->alloc, &a, len, memory_order_acq_rel,
							memory_order_acquire));
	fr_disk_give(c, rule, (blocks(a, bs) - blocks(len, bs)) * bs);
}

/* ---- removed files --------------------------------------------------- */

/*
 * Whether process pid holds (dev, ino) open: a look through
 * /proc/pid/fd (fstatat follows each link to the open file itself).
 * Files only mapped (mmap) are not seen.
 */
static bool pid_holds(long pid, uint64_t dev, uint64_t ino)
{
	char path[40], buf[2048];
	long dfd, n;
	bool held = false;
	int k = 0;
	unsigned long p = (unsigned long)pid;
	char digits[24];

	/* "/proc/<pid>/fd" without snprintf (not async-signal-safe) */
	do
		digits[k++] = (char)('0' + p % 10);
	while ((p /= 10) && k < (int)sizeof(digits));
	memcpy(path, "/proc/", 6);
	for (int j = 0; j < k; j++)
		path[6 + j] = digits[k - 1 - j];
	memcpy(path + 6 + k, "/fd", 4);
	dfd = fr_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return false;
	while (!held && (n = fr_syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n && !held;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			struct stat st;

			off += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			if (fr_syscall(SYS_newfstatat, dfd, d->d_name, &st, 0) == 0 &&
			    (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino)
				held = true;
		}
	}
	fr_syscall(SYS_close, dfd);
	return held;
}

/* Whether any process of the run (the block's process table) holds the file open. */
static bool run_holds(struct fr_ctl *c, uint64_t dev, uint64_t ino)
{
	unsigned n = atomic_load_explicit(&c->nprocs, memory_order_acquire);

	if (n > FR_CTL_PROCS)
		n = FR_CTL_PROCS;
	for (unsigned i = 0; i < n; i++) {
		uint32_t st = atomic_load_explicit(&c->procs[i].state, memory_order_acquire);

		if ((st == FR_PROC_ATTACHED || st == FR_PROC_FORKED) &&
		    pid_holds(c->procs[i].pid, dev, ino))
			return true;
	}
	return false;
}

/* Free an orphan's blocks if nobody holds it: the entry goes back to the table. */
static void reclaim_one(struct fr_ctl *c, unsigned rule, int file)
{
	struct fr_ctl_file *f = &c->files[file];
	uint64_t bs = fr_disk_block(&c->slots[rule].rule), a;
	uint32_t st = FR_FILE_ORPHAN;
	sigset_t old;
	bool freed;

	if (run_holds(c, atomic_load(&f->dev), atomic_load(&f->ino)))
		return;
	files_lock(c, &old);
	freed = atomic_compare_exchange_strong(&f->state, &st, FR_FILE_DEAD);
	a = freed ? atomic_exchange(&f->alloc, 0) : 0;
	files_unlock(c, &old);
	if (freed)
		fr_disk_give(c, rule, blocks(a, bs) * bs);
}

void fr_disk_release(struct fr_ctl *c, unsigned rule, int file)
{
	uint32_t st = FR_FILE_LIVE;

	if (file < 0 || (unsigned)file >= FR_CTL_FILES || rule >= FR_MAX_RULES)
		return;
	if (atomic_compare_exchange_strong(&c->files[file].state, &st, FR_FILE_ORPHAN))
		reclaim_one(c, rule, file);
}

void fr_disk_reclaim(struct fr_ctl *c, unsigned rule)
{
	for (unsigned i = 0; i < FR_CTL_FILES; i++)
		if (atomic_load_explicit(&c->files[i].state, memory_order_relaxed) ==
			    FR_FILE_ORPHAN &&
		    atomic_load_explicit(&c->files[i].rule, memory_order_relaxed) == rule)
			reclaim_one(c, rule, (int)i);
}
