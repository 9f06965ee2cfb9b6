/*
 * Binding the real functions (STYLE "Shim rules" 2).
 *
 * One table of unions {fn; obj} generated from wrapped.def, filled with
 * dlsym(RTLD_NEXT) inside one pthread_once (init.c). RTLD_NEXT rather than
 * dlopen("libc.so.6") so that ASan, libfiu or another preload placed after
 * us keep working. A symbol the C library lacks stays NULL: its wrapper
 * then fails with ENOSYS, which only a program calling a function its own
 * libc does not have could see.
 */
#include "shim.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>

struct shim_real_table shim_real;

static const struct {
	const char *name;
	void **slot;
} bindings[] = {
#define WRAP(name, ret, params, args, op, shape, fail, errnos) { #name, &shim_real.name.obj },
#include "wrapped.def"
#undef WRAP
};

/* Print and abort: a preload that calls itself would loop forever. */
static void die_self_bound(const char *name)
{
	static const char pre[] = "faultshim: dlsym(RTLD_NEXT, \"";
	static const char post[] = "\") returned the shim itself\n";

	/* raw syscalls: our own write() is what may be unbound here */
	fr_syscall(SYS_write, STDERR_FILENO, pre, sizeof(pre) - 1);
	fr_syscall(SYS_write, STDERR_FILENO, name, strlen(name));
	fr_syscall(SYS_write, STDERR_FILENO, post, sizeof(post) - 1);
	abort();
}

/* Our own object's loaded address range, to catch a self-binding dlsym. */
struct self_range {
	uintptr_t base, lo, hi;
};

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct self_range *r = arg;

	(void)size;
	if (info->dlpi_addr != r->base)
		return 0;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (!r->lo || a < r->lo)
			r->lo = a;
		if (a + ph->p_memsz > r->hi)
			r->hi = a + ph->p_memsz;
	}
	return 1;
}

/* dlsym of "__" + name, for a res_* name (at most 31 characters) */
static void *shim_dlsym_res(const char *name)
{
	char alt[32] = "__";
	size_t len = strlen(name);

	if (len + 3 > sizeof(alt))
		return NULL;
	memcpy(alt + 2, name, len + 1);
	return dlsym(RTLD_NEXT, alt);
}

void shim_resolve_all(void)
{
	struct self_range self = { 0, 0, 0 };
	Dl_info info;
	size_t i;

	/* one dladdr and one walk, not one dladdr per symbol (~100k instructions each) */
	if (dladdr((void *)shim_resolve_all, &info) && info.dli_fbase) {
		self.base = (uintptr_t)info.dli_fbase;
		dl_iterate_phdr(find_self, &self);
	}
	for (i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++) {
		const char *name = bindings[i].name;
		void *p;

		/*
		 * The resolver's __res_query... (what programs linked before
		 * glibc 2.34 import) are only compat versions in libc.so.6
		 * since 2.34, which dlsym never returns; they are res_query...
		 * there, the same code. Before 2.34 it was the other way round
		 * (libresolv had only __res_*), so each name falls back on the
		 * other. res_* is asked first for both: a dlsym that fails
		 * mallocs its error message, and we may be here from inside a
		 * malloc (jemalloc calls syscall() while it initialises, with
		 * its lock held: redis-cli hung in that lock), so the name
		 * that exists on a current glibc must be the one tried.
		 */
		if (!strncmp(name, "__res_", 6)) {
			p = dlsym(RTLD_NEXT, name + 2);
			if (!p)
				p = dlsym(RTLD_NEXT, name);
		} else {
			p = dlsym(RTLD_NEXT, name);
			if (!p && !strncmp(name, "res_", 4))
				p = shim_dlsym_res(name);
		}

		if (p && (uintptr_t)p >= self.lo && (uintptr_t)p < self.hi)
			die_self_bound(name);
		/* publish: other threads test the pointer without the once */
		__atomic_store_n(bindings[i].slot, p, __ATOMIC_RELEASE);
	}
}
