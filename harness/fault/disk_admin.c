/*
 * The disk model, writer side (faultrun, never the shim): arming a disk
 * rule measures what its path already holds, and the timeline changes its
 * free space while it runs. The reader side is disk.c.
 */
#define _GNU_SOURCE
#include <faultrun/control.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/*
 * tmpfs keeps a symbolic link's target in the inode below this length and
 * in a block of its own from it on (measured: tests/disk/measure-full.sh).
 */
#define DISK_SYMLINK_INLINE 128

/* The walk's state: nftw(3) takes no argument for its callback. */
static struct {
	const struct fr_rule *rule;
	uint64_t bs, used;
	/* files with several links, counted once */
	struct {
		dev_t dev;
		ino_t ino;
	} seen[1024];
	unsigned nseen;
} walk;

static bool seen_before(const struct stat *st)
{
	for (unsigned i = 0; i < walk.nseen; i++)
		if (walk.seen[i].dev == st->st_dev && walk.seen[i].ino == st->st_ino)
			return true;
	if (walk.nseen < sizeof(walk.seen) / sizeof(walk.seen[0])) {
		walk.seen[walk.nseen].dev = st->st_dev;
		walk.seen[walk.nseen].ino = st->st_ino;
		walk.nseen++;
	}
	return false;
}

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const struct fr_rule *r = walk.rule;
	uint64_t bs = walk.bs;

	(void)ftw;
	if (type != FTW_F && type != FTW_SL)
		return 0;
	if (r->path[0] && !fr_glob_match(r->path, sizeof(r->path), path))
		return 0;
	if (S_ISREG(st->st_mode) && !(st->st_nlink > 1 && seen_before(st)))
		walk.used += ((uint64_t)st->st_size + bs - 1) / bs * bs;
	else if (S_ISLNK(st->st_mode) && st->st_size >= DISK_SYMLINK_INLINE)
		walk.used += bs;
	return 0;
}

/*
 * The directory a glob's files are all under: its text up to the last '/'
 * before the first wildcard ("/var/log/app/ **" -> "/var/log/app").
 */
static void glob_root(const char *glob, size_t len, char *out, size_t outlen)
{
	size_t n = strnlen(glob, len), cut = n, slash = 0;

	for (size_t i = 0; i < n; i++) {
		if (strchr("*?[", glob[i])) {
			cut = i;
			break;
		}
		if (glob[i] == '/')
			slash = i;
	}
	if (cut < n)
		n = slash ? slash : 1;
	snprintf(out, outlen, "%.*s", (int)n, glob);
}

int fr_disk_arm(struct fr_ctl *c, unsigned idx, char *err, size_t errlen)
{
	struct fr_ctl_slot *s;
	char root[PATH_MAX];
	uint64_t cap, freeb;

	if (idx >= FR_MAX_RULES)
		return -ENOENT;
	s = &c->slots[idx];
	if (s->rule.action != FR_ACT_DISK)
		return -EINVAL;
	memset(&walk, 0, sizeof(walk));
	walk.rule = &s->rule;
	walk.bs = fr_disk_block(&s->rule);
	glob_root(s->rule.path, sizeof(s->rule.path), root, sizeof(root));
	/* a missing tree holds nothing yet; an unreadable corner is skipped */
	if (root[0] && nftw(root, walk_one, 16, FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT &&
	    err && errlen)
		snprintf(err, errlen, "disk '%.*s': cannot measure '%s': %s",
			 (int)sizeof(s->rule.name), s->rule.name, root, strerror(errno));
	if (s->rule.flags & FR_RULE_DISK_SIZE) {
		cap = s->rule.amount / walk.bs * walk.bs;
		freeb = cap > walk.used ? cap - walk.used : 0;
	} else {
		freeb = s->rule.amount / walk.bs * walk.bs;
		cap = walk.used + freeb;
	}
	/* the files it followed before are measured again */
	for (unsigned i = 0; i < FR_CTL_FILES; i++)
		if (atomic_load(&c->files[i].rule) == idx)
			atomic_store(&c->files[i].state, FR_FILE_DEAD);
	atomic_store(&s->capacity, cap);
	atomic_store(&s->budget, (int64_t)freeb);
	return 0;
}

int fr_disk_set_free(struct fr_ctl *c, unsigned idx, int64_t delta, bool absolute)
{
	struct fr_ctl_slot *s;
	int64_t left, want;

	if (idx >= fr_ctl_count(c) || !atomic_load(&c->slots[idx].ready))
		return -ENOENT;
	s = &c->slots[idx];
	if (s->rule.action != FR_ACT_DISK)
		return -EINVAL;
	left = atomic_load(&s->budget);
	do {
		want = absolute ? delta : left + delta;
		if (want < 0)
			want = 0;
	} while (!atomic_compare_exchange_weak(&s->budget, &left, want));
	/*
	 * "someone deleted old logs": used space shrinks, the disk stays the
	 * same size, unless the free space asked for is more than it holds
	 */
	uint64_t cap = atomic_load(&s->capacity);
	while ((uint64_t)want > cap &&
	       !atomic_compare_exchange_weak(&s->capacity, &cap, (uint64_t)want))
		;
	return 0;
}
