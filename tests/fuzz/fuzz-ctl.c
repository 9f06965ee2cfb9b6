/*
 * Fuzz target: the control block as untrusted input.
 *
 * The block is shared writable with every process of the target's tree,
 * so any of them (a buggy target, a stray write through a wild pointer)
 * can corrupt it; faultrun and the shim must then neither crash nor hang.
 *
 * Each input is applied as patches to a valid block holding a dozen real
 * rules (armed and disarmed), so the fuzzer reaches hostile contents
 * behind a header that passes validation: nslots beyond the table, op and
 * rule masks with bits for slots never published, action and errno values
 * out of range, strings that fill their arrays with no NUL, budgets and
 * counters at their limits. Then, as the shim would:
 * - fr_ctl_validate on the raw input and on the patched block, and (when
 *   the input asks) fr_ctl_attach through a file of the input's length,
 *   so that short files and bad headers are refused;
 * - the decision path for every operation: shim_decide_path on absolute
 *   and relative paths and on a path from the input, shim_decide_fd on a
 *   regular file, a pipe, a socket pair, a TCP socket, fd -1 and an fd
 *   beyond the table, shim_decide_mask with an arbitrary candidate mask,
 *   then shim_settle and a zero-length stall wait on what was decided;
 * - the per-slot readers (fr_ctl_armed, fr_ctl_fire, fr_ctl_budget_take,
 *   fr_ctl_event, fr_ctl_find) with indices in and out of range;
 * - faultrun's readers and writers on the same block: the counts, events
 *   and JSON that exec and ctl print (ctlread.c), fr_ctl_set_armed and
 *   fr_ctl_add.
 *
 * Input: byte 0 flags, byte 1 path length L, L path bytes, then patches
 * (u16 offset into the first 64 KiB of the block, u8 length, bytes).
 */
#include "shim.h"
#include "ctlread.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define F_RAW_HEADER 0x01 /* do not re-stamp a valid header after patching */
#define F_ATTACH 0x02     /* go through fr_ctl_attach on a file */
#define F_TRUNCATE 0x04   /* ... a file cut to the input's length */
#define F_WRITERS 0x08    /* faultrun's writer side too */

static struct fr_ctl *tmpl, *blk;
static char dir[64], ctlpath[96], filepath[96];
static int fds[8];
static unsigned nfds;
static FILE *devnull;
static _Atomic uint32_t zero_word;

static const char *const specs[] = {
	"name=log write errno=ENOSPC path=/tmp/**",
	"name=state open errno=EACCES path=**/state.json",
	"name=budget write budget=1KiB",
	"name=short read,write short times=3",
	"name=slow fsync delay=1ms probability=0.5",
	"name=refuse connect refuse port=3306",
	"name=stall recv stall host=127.0.0.1",
	"name=reset send,recv reset unix=/run/*.sock",
	"name=after unlink,rename,mkdir errno=EIO after=2",
	"name=proc truncate,allocate errno=EIO proc=sh*",
	"name=net connect errno=ECONNREFUSED lport=80",
	"name=prob read errno=EIO probability=0.001",
};

static void set_header(struct fr_ctl *c)
{
	c->magic = FR_CTL_MAGIC;
	c->version = FR_CTL_VERSION;
	c->size = sizeof(struct fr_ctl);
	c->max_rules = FR_MAX_RULES;
	c->max_events = FR_CTL_EVENTS;
}

static void cleanup(void)
{
	unlink(ctlpath);
	unlink(filepath);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct fr_ctl *c;
	struct fr_rule r;
	char err[256];
	int sv[2], p[2];

	(void)argc;
	(void)argv;
	strcpy(dir, "/tmp/fuzz-ctl-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(ctlpath, sizeof(ctlpath), "%s/ctl", dir);
	snprintf(filepath, sizeof(filepath), "%s/data.log", dir);
	atexit(cleanup);
	if (fr_ctl_create(ctlpath, 42, &c) < 0)
		abort();
	for (unsigned i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		if (fr_spec_parse(specs[i], &r, i, err, sizeof(err)) < 0) {
			fprintf(stderr, "fuzz-ctl: %s: %s\n", specs[i], err);
			abort();
		}
		if (fr_ctl_add(c, &r, i % 3 != 2) < 0)
			abort();
	}
	tmpl = mmap(NULL, sizeof(*tmpl), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	blk = mmap(NULL, sizeof(*blk), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tmpl == MAP_FAILED || blk == MAP_FAILED)
		abort();
	memcpy(tmpl, c, sizeof(*c));
	fr_ctl_close(c);
	unlink(ctlpath);

	fds[nfds++] = open(filepath, O_RDWR | O_CREAT, 0600);
	if (pipe(p) == 0) {
		fds[nfds++] = p[0];
		fds[nfds++] = p[1];
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
		fds[nfds++] = sv[0];
		fds[nfds++] = sv[1];
	}
	fds[nfds++] = socket(AF_INET, SOCK_STREAM, 0);
	fds[nfds++] = -1;
	fds[nfds++] = 5 << 20; /* beyond the fd table: resolved, never cached */
	devnull = fopen("/dev/null", "w");
	/* the debug log formats hostile names and errnos: exercise it */
	shim_debug = getenv("FUZZ_SHIM_DEBUG") != NULL;
	return 0;
}

/* Everything the shim does with a block it attached. */
static void shim_side(struct fr_ctl *c, const char *path, uint64_t cand)
{
	static const char *const paths[] = {
		"/tmp/x/app.log", "state.json", "a/../../b//c/./d", "/", "",
	};
	struct shim_verdict v;

	shim_ctl = c;
	shim_armed_word = &c->armed_ops;
	for (unsigned i = 0; i < nfds; i++)
		shim_fd_forget(fds[i]);
	for (unsigned op = 0; op < FR_OP_COUNT; op++) {
		if (!shim_armed(FR_OPBIT(op)) && !(cand & 1))
			continue;
		for (unsigned i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			shim_decide_path(op, AT_FDCWD, paths[i], "fuzz", &v);
			shim_settle(&v, 0);
		}
		shim_decide_path2(op, AT_FDCWD, path, fds[0], "rel", "fuzz", &v);
		if (v.what == SHIM_STALL)
			shim_stall_wait(v.rule, 1);
		for (unsigned i = 0; i < nfds; i++) {
			shim_decide_fd(op, fds[i], 4096, "fuzz", (unsigned)cand & 1,
				       &v);
			shim_settle(&v, (ssize_t)(v.allow / 2));
			if (v.what == SHIM_STALL)
				shim_stall_wait(v.rule, 1);
		}
		shim_decide_mask(c, op, cand, (size_t)cand, 0, "fuzz", path, &v);
		shim_settle(&v, -1);
	}
	shim_fd_record_open(fds[0], AT_FDCWD, path, NULL);
	shim_fd_set_peer(fds[5 < nfds ? 5 : 0], NULL, 0);
	for (unsigned i = 0; i < 70; i += 7) {
		unsigned idx = i + (unsigned)(cand >> 58);

		fr_ctl_armed(c, idx);
		fr_ctl_fire(c, idx);
		fr_ctl_budget_take(c, idx, cand);
		fr_ctl_event(c, idx, (enum fr_op)(idx % FR_OP_COUNT), (int)idx,
			     idx & 1 ? path : NULL);
	}
	fr_ctl_find(c, path);
	shim_ctl = NULL;
	shim_armed_word = &zero_word;
}

/* What faultrun exec / ctl do with a block its target may have scribbled on. */
static void faultrun_side(struct fr_ctl *c, bool writers, uint64_t cand)
{
	char *argv[] = { "fuzz", NULL };
	struct fr_rule r;
	char err[64];

	fr_ctl_print_counts(c, devnull, "");
	fr_ctl_print_events(c, devnull);
	struct fr_attach none = { 0 };
	struct fr_exec_record x = { .cmd = argv, .attach = &none };

	fr_exec_write_json(c, &x, "/dev/null");
	if (!writers)
		return;
	fr_ctl_set_armed(c, (unsigned)(cand % 70), cand & 2);
	if (fr_spec_parse("name=fuzz-added write errno=EIO", &r, 0, err,
			  sizeof(err)) == 0)
		fr_ctl_add(c, &r, true);
	fr_ctl_count(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[260];
	uint8_t flags;
	size_t off, plen;
	uint64_t cand = 0;

	fr_ctl_validate(data, size);
	if (size < 2)
		return 0;
	flags = data[0];
	plen = data[1] < size - 2 ? data[1] : size - 2;
	memcpy(path, data + 2, plen);
	path[plen] = '\0';
	for (size_t i = 0; i < 8 && i < size; i++)
		cand = cand << 8 | data[size - 1 - i];

	memcpy(blk, tmpl, sizeof(*blk));
	for (off = 2 + plen; off + 3 <= size;) {
		size_t at = (size_t)data[off] | (size_t)data[off + 1] << 8;
		size_t n = data[off + 2];

		off += 3;
		if (n > size - off)
			n = size - off;
		if (at + n > sizeof(*blk))
			n = at < sizeof(*blk) ? sizeof(*blk) - at : 0;
		memcpy((char *)blk + at, data + off, n);
		off += n;
	}
	if (!(flags & F_RAW_HEADER))
		set_header(blk);

	if (flags & F_ATTACH) {
		size_t len = flags & F_TRUNCATE ? size * 64 : sizeof(*blk);
		int fd = open(ctlpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		struct fr_ctl *c;

		if (fd < 0)
			abort();
		if (len > sizeof(*blk))
			len = sizeof(*blk);
		if (write(fd, blk, len) != (ssize_t)len)
			abort();
		close(fd);
		c = fr_ctl_attach(ctlpath);
		if (c && len < sizeof(*blk)) {
			fprintf(stderr, "fuzz-ctl: attached a %zu-byte block\n", len);
			abort();
		}
		if (c && !fr_ctl_validate(c, sizeof(*c)))
			abort();
		if (c) {
			shim_side(c, path, cand);
			faultrun_side(c, flags & F_WRITERS, cand);
			fr_ctl_close(c);
		}
		unlink(ctlpath);
		return 0;
	}
	if (!fr_ctl_validate(blk, sizeof(*blk)))
		return 0; /* what the shim does: injection off */
	shim_side(blk, path, cand);
	faultrun_side(blk, flags & F_WRITERS, cand);
	return 0;
}
