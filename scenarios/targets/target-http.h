/*
 * The incident targets' HTTP side: a server on 127.0.0.1 (libmicrohttpd)
 * and a plain-text reply. What else they share is in common.h.
 */
#ifndef FAULTRUN_TARGET_HTTP_H
#define FAULTRUN_TARGET_HTTP_H

#include <microhttpd.h>

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

#endif /* FAULTRUN_TARGET_HTTP_H */
