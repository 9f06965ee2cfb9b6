/*
 * Small helpers shared by the incident targets: an HTTP server on
 * 127.0.0.1 (libmicrohttpd), a plain-text reply, and strict parsing of
 * numeric command-line arguments.
 */
#ifndef FAULTRUN_TARGET_HTTP_H
#define FAULTRUN_TARGET_HTTP_H

#include <microhttpd.h>
#include <stdbool.h>

/*
 * Listen on 127.0.0.1:port with the given MHD_USE_* flags (an internal
 * thread is always added). Returns NULL after printing why on stderr,
 * prefixed with prog.
 */
struct MHD_Daemon *th_start(const char *prog, unsigned int port,
			    unsigned int flags, MHD_AccessHandlerCallback cb,
			    void *cls);

/* Queue a text/plain reply built with printf-style arguments. */
enum MHD_Result th_reply(struct MHD_Connection *conn, unsigned int status,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Parse the value of a numeric flag into [min, max]. On bad input prints
 * "<prog>: invalid value 'x' for --flag (expected min..max)" and returns
 * false.
 */
bool th_parse_uint(const char *prog, const char *flag, const char *s,
		   unsigned long min, unsigned long max, unsigned long *out);

/* Seconds on the monotonic clock. */
double th_now(void);

#endif /* FAULTRUN_TARGET_HTTP_H */
