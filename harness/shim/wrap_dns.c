/*
 * Name resolution (the `resolve` operation, net/resolve): getaddrinfo,
 * gethostbyname, gethostbyname2, gethostbyname_r, gethostbyname2_r,
 * getnameinfo and the resolver's queries (res_query, res_search,
 * res_querydomain and their res_n* forms, under both the names glibc 2.34+
 * exports and the __res_* ones older programs were linked against), so that a run can replay "DNS failed" (error=EAI_AGAIN,
 * EAI_NONAME, EAI_FAIL), "DNS was slow" (delay=) and "DNS hung" (stall).
 *
 * A lookup is decided on the name it looks up (getnameinfo: the numeric
 * address it would reverse-resolve), lower-cased with one trailing dot
 * dropped, against each rule's query= glob (stored lower case: DNS names
 * compare case-insensitively, RFC 4343). A numeric address given to
 * getaddrinfo or gethostbyname* is never decided: no name server is asked
 * for it, so no DNS failure can reach it.
 *
 * Each entry point fails the way its man page says a failing name server
 * makes it fail (getaddrinfo(3), gethostbyname(3), getnameinfo(3)); the
 * gethostbyname* conventions follow glibc's nss/getXXbyYY_r.c:
 *
 *	rule          getaddrinfo  h_errno         _r returns  errno
 *	EAI_AGAIN     EAI_AGAIN    TRY_AGAIN       EAGAIN      EAGAIN
 *	EAI_NONAME    EAI_NONAME   HOST_NOT_FOUND  0           kept
 *	EAI_FAIL      EAI_FAIL     NO_RECOVERY     0           kept
 *
 * (the _r functions also store NULL in *result, and the code in
 * *h_errnop and h_errno; gethostbyname and gethostbyname2 return NULL). A delay or a
 * stall is waited out (shim_wait: a stall until the rule is disarmed or
 * its stall=DURATION passes, signals ridden out) and the real lookup made.
 */
#include "shim.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <resolv.h>
#include <string.h>

#define SHIM_OPS_RESOLVE SHIM_B(RESOLVE)

/*
 * Before our constructor bound the real function (never in practice):
 * each entry point's own "internal error, see errno".
 */
#define SHIM_FAIL_GAI(e) (errno = (e), EAI_SYSTEM)
#define SHIM_FAIL_HOSTENT(e) (errno = (e), h_errno = NETDB_INTERNAL, (struct hostent *)NULL)
#define SHIM_FAIL_RES(e) (errno = (e), h_errno = NETDB_INTERNAL, -1)

/* A name as rules see it: lower case, one trailing dot dropped. */
struct dns_name {
	char s[FR_QUERY_MAX];
	bool whole; /* false: longer than any DNS name, only rules without query= match */
};

static void dns_name_set(struct dns_name *n, const char *name)
{
	size_t len = strnlen(name, sizeof(n->s));

	n->whole = len < sizeof(n->s);
	if (!n->whole)
		len = sizeof(n->s) - 1;
	if (n->whole && len > 1 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		n->s[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	n->s[len] = '\0';
}

/*
 * Decide a lookup of `name` (already lower case). Only called when a
 * resolve rule is armed. Returns the verdict's outcome; errno kept.
 */
static enum shim_outcome dns_decide(const struct dns_name *n, const char *fn,
				    struct shim_verdict *v)
{
	struct fr_ctl *c = shim_ctl;
	uint64_t cand, m = 0;

	shim_verdict_init(v, FR_OP_RESOLVE);
	if (!c || shim_depth > 0)
		return SHIM_PASS;
	cand = shim_armed_rules(c, FR_OP_RESOLVE);
	while (cand) {
		unsigned i = (unsigned)__builtin_ctzll(cand);
		const struct fr_rule *r = &c->slots[i].rule;

		cand &= cand - 1;
		if (!r->query[0] || (n->whole && fr_glob_match(r->query, sizeof(r->query), n->s)))
			m |= 1ull << i;
	}
	return shim_decide_mask(c, FR_OP_RESOLVE, m, 0, SHIM_NOBUDGET, fn, n->s, v);
}

/* Whether getaddrinfo/gethostbyname would take name as an address, asking no one. */
static bool dns_numeric(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

/*
 * Decide a forward lookup; true when it must fail with v->err (a delay
 * or stall has been waited out otherwise).
 */
static bool dns_forward(const char *name, const char *fn, struct shim_verdict *v)
{
	struct dns_name n;

	if (!name || dns_numeric(name))
		return false;
	dns_name_set(&n, name);
	if (dns_decide(&n, fn, v) == SHIM_PASS)
		return false;
	return shim_gate(v, SHIM_FAILS_PATH);
}

/* The h_errno a failing name service leaves for each EAI_* code. */
static int dns_herr(int eai)
{
	switch (eai) {
	case EAI_AGAIN:
		return TRY_AGAIN;
	case EAI_NONAME:
		return HOST_NOT_FOUND;
	default:
		return NO_RECOVERY;
	}
}

/* gethostbyname_r's return value for a failed lookup (see the top). */
static int dns_fail_r(int eai, struct hostent **result, int *h_errnop)
{
	if (result)
		*result = NULL;
	if (h_errnop)
		*h_errnop = dns_herr(eai);
	/*
	 * glibc's DNS backend leaves it in h_errno too (res_search(3) sets
	 * it), and perl's gethostbyname, made with gethostbyname_r, reads it
	 */
	h_errno = dns_herr(eai);
	if (eai != EAI_AGAIN)
		return 0;
	errno = EAGAIN;
	return EAGAIN;
}

static struct hostent *dns_fail_hostent(int eai)
{
	h_errno = dns_herr(eai);
	if (eai == EAI_AGAIN)
		errno = EAGAIN;
	return NULL;
}

SHIM_SLOW(getaddrinfo, int,
	  (const char *node, const char *service, const struct addrinfo *hints,
	   struct addrinfo **res))
{
	struct shim_verdict v;

	/* AI_NUMERICHOST: the caller asks no name server */
	if (!(hints && (hints->ai_flags & AI_NUMERICHOST)) && dns_forward(node, "getaddrinfo", &v))
		return v.err;
	return SHIM_REAL(getaddrinfo)(node, service, hints, res);
}

SHIM_SLOW(gethostbyname, struct hostent *, (const char *name))
{
	struct shim_verdict v;

	if (dns_forward(name, "gethostbyname", &v))
		return dns_fail_hostent(v.err);
	return SHIM_REAL(gethostbyname)(name);
}

SHIM_SLOW(gethostbyname2, struct hostent *, (const char *name, int af))
{
	struct shim_verdict v;

	if (dns_forward(name, "gethostbyname2", &v))
		return dns_fail_hostent(v.err);
	return SHIM_REAL(gethostbyname2)(name, af);
}

SHIM_SLOW(gethostbyname_r, int,
	  (const char *name, struct hostent *ret, char *buf, size_t buflen, struct hostent **result,
	   int *h_errnop))
{
	struct shim_verdict v;

	if (dns_forward(name, "gethostbyname_r", &v))
		return dns_fail_r(v.err, result, h_errnop);
	return SHIM_REAL(gethostbyname_r)(name, ret, buf, buflen, result, h_errnop);
}

SHIM_SLOW(gethostbyname2_r, int,
	  (const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
	   struct hostent **result, int *h_errnop))
{
	struct shim_verdict v;

	if (dns_forward(name, "gethostbyname2_r", &v))
		return dns_fail_r(v.err, result, h_errnop);
	return SHIM_REAL(gethostbyname2_r)(name, af, ret, buf, buflen, result, h_errnop);
}

/*
 * getnameinfo: decided only when it would ask for a name (a host buffer,
 * no NI_NUMERICHOST), on the address's numeric text ("127.0.0.1", "::1").
 * As glibc's does when the name server fails (inet/getnameinfo.c),
 * EAI_AGAIN is returned, while a name that is not found (EAI_NONAME,
 * EAI_FAIL) gives the numeric form unless NI_NAMEREQD asks for a name,
 * when the rule's code is returned.
 */
SHIM_SLOW(getnameinfo, int,
	  (const struct sockaddr *addr, socklen_t addrlen, char *host, socklen_t hostlen,
	   char *serv, socklen_t servlen, int flags))
{
	char text[INET6_ADDRSTRLEN];
	const void *a = NULL;
	struct shim_verdict v;
	struct dns_name n;
	int af = 0;

	if (addr && addrlen >= sizeof(struct sockaddr_in) && addr->sa_family == AF_INET) {
		a = &((const struct sockaddr_in *)(const void *)addr)->sin_addr;
		af = AF_INET;
	} else if (addr && addrlen >= sizeof(struct sockaddr_in6) && addr->sa_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr;
		af = AF_INET6;
	}
	if (!a || !host || !hostlen || (flags & NI_NUMERICHOST) ||
	    !inet_ntop(af, a, text, sizeof(text)))
		return SHIM_REAL(getnameinfo)(addr, addrlen, host, hostlen, serv, servlen, flags);
	dns_name_set(&n, text);
	if (dns_decide(&n, "getnameinfo", &v) != SHIM_PASS && shim_gate(&v, SHIM_FAILS_PATH)) {
		if (v.err == EAI_AGAIN || (flags & NI_NAMEREQD))
			return v.err;
		flags |= NI_NUMERICHOST;
	}
	return SHIM_REAL(getnameinfo)(addr, addrlen, host, hostlen, serv, servlen, flags);
}

/*
 * The resolver's queries (resolver(3)): each sends the name as given to a
 * name server (no /etc/hosts, and a numeric name is a name too), so every
 * call is decided; res_search on the name before its search-list
 * expansion, res_querydomain on name.domain. An injected call returns -1
 * with the code in h_errno (and, for the res_n* forms, statp->res_h_errno,
 * where glibc's RES_SET_H_ERRNO puts it too); errno is left alone.
 */
static bool dns_res(const char *name, const char *domain, const char *fn, res_state statp)
{
	struct shim_verdict v;
	struct dns_name n;
	char full[FR_QUERY_MAX];
	bool fits = true;
	int herr;

	if (!name)
		return false;
	if (domain) {
		size_t nl = strnlen(name, sizeof(full)), dl = strnlen(domain, sizeof(full));

		/* longer than any DNS name: only rules without query= select it */
		fits = nl + 1 + dl < sizeof(full);
		if (fits) {
			memcpy(full, name, nl);
			full[nl] = '.';
			memcpy(full + nl + 1, domain, dl);
			full[nl + 1 + dl] = '\0';
			name = full;
		}
	}
	dns_name_set(&n, name);
	n.whole = n.whole && fits;
	if (dns_decide(&n, fn, &v) == SHIM_PASS || !shim_gate(&v, SHIM_FAILS_PATH))
		return false;
	herr = dns_herr(v.err);
	if (statp)
		statp->res_h_errno = herr;
	h_errno = herr;
	return true;
}

#define DNS_RES_QUERY(name)                                                                    \
	SHIM_SLOW(name, int,                                                                   \
		  (const char *dname, int class, int type, unsigned char *answer, int anslen)) \
	{                                                                                      \
		if (dns_res(dname, NULL, #name, NULL))                                         \
			return -1;                                                             \
		return SHIM_REAL(name)(dname, class, type, answer, anslen);                    \
	}
#define DNS_RES_NQUERY(name)                                                                       \
	SHIM_SLOW(name, int,                                                                       \
		  (res_state statp, const char *dname, int class, int type, unsigned char *answer, \
		   int anslen))                                                                    \
	{                                                                                          \
		if (dns_res(dname, NULL, #name, statp))                                            \
			return -1;                                                                 \
		return SHIM_REAL(name)(statp, dname, class, type, answer, anslen);                 \
	}
DNS_RES_QUERY(res_query)
DNS_RES_QUERY(__res_query)
DNS_RES_QUERY(res_search)
DNS_RES_QUERY(__res_search)
DNS_RES_NQUERY(res_nquery)
DNS_RES_NQUERY(__res_nquery)
DNS_RES_NQUERY(res_nsearch)
DNS_RES_NQUERY(__res_nsearch)

#define DNS_RES_QUERYDOMAIN(name)                                                   \
	SHIM_SLOW(name, int,                                                        \
		  (const char *dname, const char *domain, int class, int type,      \
		   unsigned char *answer, int anslen))                              \
	{                                                                           \
		if (dns_res(dname, domain, #name, NULL))                            \
			return -1;                                                  \
		return SHIM_REAL(name)(dname, domain, class, type, answer, anslen); \
	}
#define DNS_RES_NQUERYDOMAIN(name)                                                              \
	SHIM_SLOW(name, int,                                                                    \
		  (res_state statp, const char *dname, const char *domain, int class, int type, \
		   unsigned char *answer, int anslen))                                          \
	{                                                                                       \
		if (dns_res(dname, domain, #name, statp))                                       \
			return -1;                                                              \
		return SHIM_REAL(name)(statp, dname, domain, class, type, answer, anslen);      \
	}
DNS_RES_QUERYDOMAIN(res_querydomain)
DNS_RES_QUERYDOMAIN(__res_querydomain)
DNS_RES_NQUERYDOMAIN(res_nquerydomain)
DNS_RES_NQUERYDOMAIN(__res_nquerydomain)

/* The exported fast paths: one relaxed load and a branch when nothing is armed. */
#define SHIM_GEN_DNS_FAST(name, ret, params, args, op, fail) \
	SHIM_GEN_FAST(name, ret, params, args, fail, shim_armed(SHIM_OPS_RESOLVE), false)
#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_DNS(name, ret, params, args, op, shape, fail, errnos) \
	SHIM_GEN_##shape(name, ret, params, args, op, fail)
#include "wrapped.def"
#undef WRAP_DNS
#undef WRAP
