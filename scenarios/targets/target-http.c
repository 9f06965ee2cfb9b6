/*
 * The incident targets' HTTP side (see target-http.h).
 */
#include "target-http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct MHD_Daemon *th_start(const char *prog, unsigned int port,
			    unsigned int flags, MHD_AccessHandlerCallback cb,
			    void *cls)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct MHD_Daemon *d;

	d = MHD_start_daemon(flags | MHD_USE_INTERNAL_POLLING_THREAD |
				     MHD_USE_ERROR_LOG,
			     port, NULL, NULL, cb, cls,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
			     MHD_OPTION_END);
	if (!d)
		fprintf(stderr, "%s: cannot listen on 127.0.0.1:%u\n", prog,
			port);
	return d;
}

enum MHD_Result th_reply(struct MHD_Connection *conn, unsigned int status,
			 const char *fmt, ...)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	resp = MHD_create_response_from_buffer(n, buf, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/plain");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}
