/*
 * dns-resq NAME DOMAIN: calls the resolver's queries (resolver(3)) the way
 * a program reading DNS records does, and prints one line per call:
 *
 *	FUNCTION RETURN H_ERRNO [RES_H_ERRNO]
 *
 * res_query, res_search (NAME, type A), res_querydomain (NAME, DOMAIN),
 * res_nquery, res_nsearch, res_nquerydomain (a res_ninit'ed state, whose
 * res_h_errno is printed too), and on x86_64 __res_query@GLIBC_2.2.5, the
 * symbol a program linked before glibc 2.34 (against libresolv) imports.
 * h_errno is set to -1 before each call, so a call that leaves it alone
 * shows -1.
 */
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
#define OLD_RES_QUERY 1
int old_res_query(const char *dname, int class, int type, unsigned char *answer, int anslen);
__asm__(".symver old_res_query, __res_query@GLIBC_2.2.5");
#endif

static unsigned char answer[4096];

static void show(const char *fn, int ret, const struct __res_state *st)
{
	if (st)
		printf("%s %d %d %d\n", fn, ret, h_errno, st->res_h_errno);
	else
		printf("%s %d %d\n", fn, ret, h_errno);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct __res_state st;
	const char *name, *domain;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: dns-resq NAME DOMAIN\n");
		return 2;
	}
	name = argv[1];
	domain = argv[2];
	h_errno = -1;
	ret = res_query(name, ns_c_in, ns_t_a, answer, sizeof(answer));
	show("res_query", ret, NULL);
	h_errno = -1;
	ret = res_search(name, ns_c_in, ns_t_a, answer, sizeof(answer));
	show("res_search", ret, NULL);
	h_errno = -1;
	ret = res_querydomain(name, domain, ns_c_in, ns_t_a, answer, sizeof(answer));
	show("res_querydomain", ret, NULL);

	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0) {
		fprintf(stderr, "dns-resq: res_ninit failed\n");
		return 1;
	}
	st.res_h_errno = -1;
	h_errno = -1;
	ret = res_nquery(&st, name, ns_c_in, ns_t_a, answer, sizeof(answer));
	show("res_nquery", ret, &st);
	st.res_h_errno = -1;
	h_errno = -1;
	ret = res_nsearch(&st, name, ns_c_in, ns_t_a, answer, sizeof(answer));
	show("res_nsearch", ret, &st);
	st.res_h_errno = -1;
	h_errno = -1;
	ret = res_nquerydomain(&st, name, domain, ns_c_in, ns_t_a, answer, sizeof(answer));
	show("res_nquerydomain", ret, &st);
	res_nclose(&st);
#ifdef OLD_RES_QUERY
	h_errno = -1;
	ret = old_res_query(name, ns_c_in, ns_t_a, answer, sizeof(answer));
	show("__res_query", ret, NULL);
#endif
	return 0;
}
