/*
 * dlsym(RTLD_NEXT, name) without dlsym: read the dynamic symbol tables of
 * the objects loaded after ours ourselves.
 *
 * Why: the shim binds about 200 names when it starts, and dlsym costs
 * about 850 instructions a name (its error handling, locks, a lookup that
 * also serves dlopen'ed objects), most of a process's start under the
 * shim. Worse, a dlsym that fails (a name the C library lacks, or has only
 * as a compat version, like glibc 2.34+'s __res_*) mallocs its error
 * message (dlerror(3)), and the shim may be starting from inside an
 * allocator's initialisation (jemalloc calls syscall() with its lock
 * held): that deadlocks. Nothing here allocates, takes a lock other than
 * dl_iterate_phdr's (a recursive one) or makes a system call.
 *
 * What dlsym(RTLD_NEXT) does, from glibc's elf/dl-sym.c and dl-lookup.c
 * (2.36), and what we do alike:
 *  - the objects searched are the caller's lookup scope after the caller:
 *    for a preload, the program's global scope (the program, the preloads,
 *    their dependencies breadth first, then objects dlopen'ed with
 *    RTLD_GLOBAL), which is the order of the link map list that
 *    dl_iterate_phdr(3) walks (the base namespace comes last in it);
 *  - in each object, the name's GNU hash chain; an entry is a candidate if
 *    it has a value (or is SHN_ABS or TLS), is of a type that defines
 *    something and has the name. Unversioned (DT_VERSYM index 0 or 1):
 *    taken at once. Versioned: hidden ones (compat versions, "name@VER")
 *    are skipped, and the one default version ("name@@VER") is taken if
 *    the chain holds no unversioned definition. Since glibc 2.36 that is
 *    dlsym(RTLD_NEXT)'s rule too; before, it could return the oldest
 *    version (glibc bug 14932): here the default one is always taken;
 *  - a local binding is no definition: the search goes on in the next
 *    object; weak and global ones end it;
 *  - the address is the object's load bias plus st_value; an
 *    STT_GNU_IFUNC's is what its resolver returns, called as ld.so does
 *    (elf_ifunc_invoke: no argument on x86).
 * What we leave to dlsym (SHIM_SYM_UNSURE): an object with no DT_GNU_HASH
 * (old DT_HASH-only linkers) or past our table's size, and everything
 * after it; TLS, STB_GNU_UNIQUE and, off x86, IFUNC symbols; LD_AUDIT
 * (an auditor may rebind any lookup: la_symbind) and LD_DYNAMIC_WEAK
 * (weak definitions do not end the search).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "symbols.h"

#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdlib.h>

/* enough for any program's objects up to its C library, in practice */
#define SYM_MAX_OBJS 128

struct sym_obj {
	uintptr_t bias;
	const ElfW(Sym) * symtab;
	const char *strtab;
	const ElfW(Half) * versym; /* NULL: no versions */
	const ElfW(Addr) * bloom;
	const uint32_t *buckets;
	const uint32_t *chain; /* indexed by symbol index - symoffset */
	uint32_t nbuckets, symoffset, bloom_mask, bloom_shift;
};

static struct sym_obj objs[SYM_MAX_OBJS];
static unsigned nobjs;
/* the walk stopped before the end: a name not found may be further on */
static bool walk_partial;
static bool weak_goes_on;
static uintptr_t self_lo, self_hi;

struct walk {
	uintptr_t self_dynamic;
	bool seen_self, stopped;
};

/*
 * A d_ptr is an address once ld.so has relocated the dynamic section,
 * and an offset where it did not (a read-only one, as the vDSO's):
 * an offset is below the object's load bias, which is never 0 for a
 * shared object.
 */
static const void *dyn_ptr(uintptr_t bias, ElfW(Addr) p)
{
	return (const void *)(p < bias ? p + bias : p);
}

/* Fill o from a dynamic section; false if it has no GNU hash table. */
static bool read_object(struct sym_obj *o, uintptr_t bias, const ElfW(Dyn) * d)
{
	const uint32_t *gnu = NULL;

	*o = (struct sym_obj){ .bias = bias };
	for (; d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_SYMTAB:
			o->symtab = dyn_ptr(bias, d->d_un.d_ptr);
			break;
		case DT_STRTAB:
			o->strtab = dyn_ptr(bias, d->d_un.d_ptr);
			break;
		case DT_VERSYM:
			o->versym = dyn_ptr(bias, d->d_un.d_ptr);
			break;
		case DT_GNU_HASH:
			gnu = dyn_ptr(bias, d->d_un.d_ptr);
			break;
		}
	}
	if (!gnu || !o->symtab || !o->strtab)
		return false;
	/* DT_GNU_HASH: nbuckets, symoffset, bloom words, bloom shift */
	o->nbuckets = gnu[0];
	o->symoffset = gnu[1];
	o->bloom_mask = gnu[2] - 1; /* a power of two (ld.so relies on it too) */
	o->bloom_shift = gnu[3];
	o->bloom = (const ElfW(Addr) *)(gnu + 4);
	o->buckets = (const uint32_t *)(o->bloom + gnu[2]);
	o->chain = o->buckets + o->nbuckets;
	return true;
}

static const ElfW(Dyn) * dynamic_of(const struct dl_phdr_info *info)
{
	for (unsigned i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			return (const void *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	return NULL;
}

static void record_self(const struct dl_phdr_info *info)
{
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (!self_lo || a < self_lo)
			self_lo = a;
		if (a + ph->p_memsz > self_hi)
			self_hi = a + ph->p_memsz;
	}
}

static int walk_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct walk *w = arg;
	const ElfW(Dyn) *dyn = dynamic_of(info);

	(void)size;
	if (!w->seen_self) {
		if (dyn && (uintptr_t)dyn == w->self_dynamic) {
			w->seen_self = true;
			record_self(info);
		}
		return 0;
	}
	if (!dyn) /* nothing to look up in (ld.so skips it too) */
		return 0;
	if (nobjs == SYM_MAX_OBJS || !read_object(&objs[nobjs], info->dlpi_addr, dyn)) {
		w->stopped = true;
		return 1;
	}
	/* an empty table: ld.so skips it (l_nbuckets == 0) */
	if (objs[nobjs].nbuckets)
		nobjs++;
	return 0;
}

bool shim_sym_open(const void *self_dynamic)
{
	struct walk w = { (uintptr_t)self_dynamic, false, false };

	nobjs = 0;
	self_lo = self_hi = 0;
	dl_iterate_phdr(walk_one, &w);
	weak_goes_on = getenv("LD_DYNAMIC_WEAK") != NULL;
	/* la_symbind may give dlsym another address than the table's */
	walk_partial = w.stopped || !w.seen_self || getenv("LD_AUDIT") != NULL;
	if (!w.seen_self || getenv("LD_AUDIT"))
		nobjs = 0;
	return w.seen_self;
}

void shim_sym_self_range(uintptr_t *lo, uintptr_t *hi)
{
	*lo = self_lo;
	*hi = self_hi;
}

/* dl_new_hash: the GNU hash of a symbol name */
static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static bool same_name(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* st_info, the same in ELF32 and ELF64 */
#define SYM_BIND(i) ((unsigned)(i) >> 4)
#define SYM_TYPE(i) ((unsigned)(i)&0xf)

#define SYM_DEFINES                                                                        \
	((1u << STT_NOTYPE) | (1u << STT_OBJECT) | (1u << STT_FUNC) | (1u << STT_COMMON) | \
	 (1u << STT_TLS) | (1u << STT_GNU_IFUNC))

/* dl-lookup.c's check_match for dlsym (no version asked, the newest rule) */
static bool candidate(const struct sym_obj *o, uint32_t idx, const char *name,
		      const ElfW(Sym) * *versioned, unsigned *nversions)
{
	const ElfW(Sym) *s = &o->symtab[idx];
	unsigned type = SYM_TYPE(s->st_info);

	if (s->st_value == 0 && s->st_shndx != SHN_ABS && type != STT_TLS)
		return false;
	if (!((1u << type) & SYM_DEFINES) || !same_name(o->strtab + s->st_name, name))
		return false;
	if (o->versym && (o->versym[idx] & 0x7fff) >= 2) {
		/* a version: the non-hidden one is kept, in case nothing better */
		if (!(o->versym[idx] & 0x8000) && (*nversions)++ == 0)
			*versioned = s;
		return false;
	}
	return true;
}

/* The definition of name (hash h) in o, as do_lookup_x picks it; or NULL. */
static const ElfW(Sym) * find_in(const struct sym_obj *o, const char *name, uint32_t h)
{
	const unsigned bits = sizeof(ElfW(Addr)) * 8;
	ElfW(Addr) word = o->bloom[(h / bits) & o->bloom_mask];
	const ElfW(Sym) *versioned = NULL;
	unsigned nversions = 0;
	uint32_t idx, ch;

	if (!((word >> (h % bits)) & (word >> ((h >> o->bloom_shift) % bits)) & 1))
		return NULL;
	idx = o->buckets[h % o->nbuckets];
	if (idx == 0 || idx < o->symoffset)
		return NULL;
	do {
		ch = o->chain[idx - o->symoffset];
		if (((ch ^ h) >> 1) == 0 && candidate(o, idx, name, &versioned, &nversions))
			return &o->symtab[idx];
		idx++;
	} while (!(ch & 1));
	/* two default versions of one name would be ambiguous: none */
	return nversions == 1 ? versioned : NULL;
}

/* elf_ifunc_invoke: x86 resolvers take no argument (others take hwcaps) */
static enum shim_sym_result ifunc_value(uintptr_t resolver, void **out)
{
#if defined(__x86_64__) || defined(__i386__)
	*out = (void *)((uintptr_t(*)(void))resolver)();
	return SHIM_SYM_FOUND;
#else
	(void)resolver;
	(void)out;
	return SHIM_SYM_UNSURE;
#endif
}

enum shim_sym_result shim_sym_lookup(const char *name, void **out)
{
	uint32_t h = gnu_hash(name);

	*out = NULL;
	for (unsigned i = 0; i < nobjs; i++) {
		const struct sym_obj *o = &objs[i];
		const ElfW(Sym) *s = find_in(o, name, h);
		unsigned bind, type;
		uintptr_t addr;

		if (!s)
			continue;
		bind = SYM_BIND(s->st_info);
		type = SYM_TYPE(s->st_info);
		if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
			continue; /* local: no definition, ld.so goes on */
		if (bind == STB_GNU_UNIQUE || type == STT_TLS || (bind == STB_WEAK && weak_goes_on))
			return SHIM_SYM_UNSURE;
		addr = (s->st_shndx == SHN_ABS ? 0 : o->bias) + s->st_value;
		if (type == STT_GNU_IFUNC)
			return ifunc_value(addr, out);
		*out = (void *)addr;
		return SHIM_SYM_FOUND;
	}
	return walk_partial ? SHIM_SYM_UNSURE : SHIM_SYM_ABSENT;
}
