// SPDX-License-Identifier: GPL-2.0
/*
 * api.c - the HTTP server behind api.h's api_open()/api_close():
 * libmicrohttpd in external epoll mode inside the daemon's own loop, so the
 * table is only ever touched by the one thread.
 *
 * MHD's epoll fd sits in the loop; readiness runs MHD_run(). A loop hook
 * (before every epoll_wait) re-arms a timerfd from MHD_get_timeout() so
 * idle connections time out, and does the group commit: an update or
 * delete is applied at once but its connection is suspended until the
 * hook has called ops->flush() once for every change made since the last
 * iteration; only then are the replies queued. Nothing is acknowledged
 * before it is durable, and N concurrent updates cost one durable write.
 *
 * Limits are enforced before the body is read: the bearer token and the
 * Content-Length go first, so a 401 or 413 never waits for a body.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "actions.h"
#include "api.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "util.h"

#define API_MAX_CONNS 256     /* open connections, all clients */
#define API_MAX_PER_IP 128    /* ... from one address (wrk uses 64) */
#define API_TIMEOUT_S 10      /* idle connection timeout */
#define API_CONN_MEMORY 16384 /* per connection: request line + headers */
/* An oversized chunked body is read and dropped up to here, then cut. */
#define API_DISCARD_MAX (1024 * 1024)

enum api_route {
	ROUTE_ACTION,  /* POST / */
	ROUTE_METRICS, /* GET /metrics */
	ROUTE_HEALTHZ, /* GET /healthz */
};

/* One request, from its headers to its completion callback. */
struct api_req {
	struct api *api;
	struct MHD_Connection *conn;
	enum api_route route;
	char *body;	 /* the body so far, up to API_BODY_MAX */
	size_t len, cap; /* bytes in @body, bytes allocated */
	size_t dropped;	 /* bytes of an oversized body thrown away */
	bool too_large;	 /* body passed API_BODY_MAX */
	bool queued;	 /* a response is queued: ignore the rest */
	bool done;	 /* @reply is final (flushed), send it on resume */
	struct api_reply reply;
	struct api_req *next; /* in api->pending */
};

struct api {
	struct loop *loop;
	struct api_ops ops;
	struct MHD_Daemon *mhd;
	int mhd_fd;	    /* MHD's own epoll fd, watched by the loop */
	int timer_fd;	    /* MHD's connection timeouts */
	uint64_t timer_due; /* when timer_fd fires (loop_now_us), 0: fired */
	int listen_fd;	    /* owned by MHD once it started */
	char *token;	    /* NULL: no authentication */
	size_t token_len;
	struct api_req *pending; /* suspended until the next flush */
	struct api_counts counts;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pr_warn("http: %s", msg);
}

static enum MHD_Result send_buf(struct api_req *req, unsigned int status,
				const char *type, char *buf, size_t len,
				const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	/* MHD frees @buf with free() once sent, also on failure */
	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer");
	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	req->queued = true;
	return ret;
}

/* Queue req->reply; the body goes to MHD. */
static enum MHD_Result send_reply(struct api_req *req, const char *allow)
{
	struct api_reply *r = &req->reply;
	char *body = r->body;

	req->api->counts.requests++;
	if (r->code != API_OK)
		req->api->counts.errors++;
	r->body = NULL;
	return send_buf(req, r->status, "application/json", body, r->len,
			allow);
}

/* Error before or instead of an action; @trace_id may be NULL. */
__attribute__((format(printf, 4, 5))) static enum MHD_Result
send_error(struct api_req *req, int code, const char *allow, const char *fmt,
	   ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (api_error_reply(&req->reply, code, NULL, "%s", msg))
		return MHD_NO; /* no memory: drop the connection */
	return send_reply(req, allow);
}

static bool authorized(struct api *api, struct MHD_Connection *conn)
{
	const char *h;

	if (!api->token)
		return true;
	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_AUTHORIZATION);
	/* the scheme is case-insensitive (RFC 9110 11.1) */
	if (!h || strncasecmp(h, "Bearer ", 7))
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	return api_secret_equal(api->token, api->token_len, h, strlen(h));
}

/*
 * The original's clients send JSON with whatever curl or their library
 * chose: none, application/json, text/plain or curl -d's form type. A
 * body declared as something else (multipart, XML...) is refused.
 */
static bool content_type_ok(struct MHD_Connection *conn)
{
	static const char *const ok[] = {
		"application/json",
		"text/plain",
		"application/x-www-form-urlencoded",
	};
	const char *t = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t i, n;

	if (!t || !*t)
		return true;
	n = strcspn(t, "; \t");
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (n == strlen(ok[i]) && !strncasecmp(t, ok[i], n))
			return true;
	return false;
}

/* First call for a request: everything that needs only the headers. */
static enum MHD_Result on_headers(struct api_req *req, const char *url,
				  const char *method)
{
	struct MHD_Connection *conn = req->conn;
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) ||
		   !strcmp(method, MHD_HTTP_METHOD_HEAD);
	const char *cl;

	if (!authorized(req->api, conn))
		return send_error(req, API_ERR_UNAUTHORIZED, NULL,
				  "unauthorized: missing or wrong "
				  "\"Authorization: Bearer\" token");
	if (!strcmp(url, "/")) {
		if (strcmp(method, MHD_HTTP_METHOD_POST))
			return send_error(req, API_ERR_METHOD, "POST",
					  "method not allowed: %.16s / "
					  "(POST a JSON action)",
					  method);
		req->route = ROUTE_ACTION;
	} else if (!strcmp(url, "/metrics") || !strcmp(url, "/healthz")) {
		if (!get)
			return send_error(req, API_ERR_METHOD, "GET, HEAD",
					  "method not allowed: %.16s %.64s",
					  method, url);
		req->route = url[1] == 'm' ? ROUTE_METRICS : ROUTE_HEALTHZ;
		return MHD_YES;
	} else {
		return send_error(req, API_ERR_NOT_FOUND, NULL,
				  "not found: %.64s (POST / , GET /metrics, "
				  "GET /healthz)",
				  url);
	}

	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > API_BODY_MAX)
		return send_error(req, API_ERR_TOO_LARGE, NULL,
				  "request body too large: %.24s bytes, "
				  "at most %d",
				  cl, API_BODY_MAX);
	if (!content_type_ok(conn))
		return send_error(req, API_ERR_READ, NULL,
				  "read request body error: Content-Type is "
				  "not JSON");
	return MHD_YES;
}

static enum MHD_Result on_data(struct api_req *req, const char *data,
			       size_t size)
{
	if (req->too_large || req->len + size > API_BODY_MAX) {
		/* chunked: no Content-Length told us; count and drop */
		req->too_large = true;
		req->dropped += size;
		free(req->body);
		req->body = NULL;
		return req->dropped > API_DISCARD_MAX ? MHD_NO : MHD_YES;
	}
	if (req->len + size > req->cap) {
		size_t cap = req->cap ? req->cap : 1024;
		char *b;

		while (cap < req->len + size)
			cap *= 2;
		b = realloc(req->body, cap);
		if (!b)
			return MHD_NO;
		req->body = b;
		req->cap = cap;
	}
	memcpy(req->body + req->len, data, size);
	req->len += size;
	return MHD_YES;
}

static enum MHD_Result on_metrics(struct api_req *req)
{
	char *text;
	size_t len;
	int err;

	if (req->route == ROUTE_HEALTHZ) {
		text = strdup("ok\n");
		if (!text)
			return MHD_NO;
		req->api->counts.requests++;
		return send_buf(req, MHD_HTTP_OK, "text/plain", text, 3, NULL);
	}
	err = api_metrics_render(&req->api->ops, &req->api->counts, &text,
				 &len);
	if (err)
		return send_error(req, API_ERR_QUERY, NULL, "query error: %s",
				  strerror(-err));
	req->api->counts.requests++;
	return send_buf(req, MHD_HTTP_OK, "text/plain; version=0.0.4", text,
			len, NULL);
}

/* The whole body is in: run the action, or park it until the flush. */
static enum MHD_Result on_body(struct api_req *req)
{
	struct api *api = req->api;

	if (req->too_large)
		return send_error(req, API_ERR_TOO_LARGE, NULL,
				  "request body too large: more than %d "
				  "bytes",
				  API_BODY_MAX);
	if (api_action(&api->ops, req->body, req->len, &req->reply))
		return MHD_NO;
	free(req->body);
	req->body = NULL;
	if (!req->reply.flush)
		return send_reply(req, NULL);
	req->next = api->pending;
	api->pending = req;
	MHD_suspend_connection(req->conn);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *size, void **ctx)
{
	struct api_req *req = *ctx;

	(void)version;
	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->api = cls;
		req->conn = conn;
		*ctx = req;
		return on_headers(req, url, method);
	}
	if (*size) {
		enum MHD_Result ret = MHD_YES;

		if (!req->queued)
			ret = on_data(req, data, *size);
		*size = 0;
		return ret;
	}
	if (req->queued)
		return MHD_YES;
	if (req->done)
		return send_reply(req, NULL);
	if (req->route != ROUTE_ACTION)
		return on_metrics(req);
	return on_body(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **ctx,
			 enum MHD_RequestTerminationCode why)
{
	struct api *api = cls;
	struct api_req *req = *ctx, **pp;

	(void)conn;
	(void)why;
	if (!req)
		return;
	for (pp = &api->pending; *pp; pp = &(*pp)->next) {
		if (*pp == req) {
			*pp = req->next;
			break;
		}
	}
	free(req->body);
	api_reply_free(&req->reply);
	free(req);
	*ctx = NULL;
}

/*
 * Keep the timerfd due no later than MHD's next timeout. Re-arming costs a
 * syscall per loop iteration, so an earlier expiry is left alone: firing
 * early only runs MHD once for nothing.
 */
static void arm_timer(struct api *api)
{
	MHD_UNSIGNED_LONG_LONG ms;
	uint64_t now, due;

	if (MHD_get_timeout(api->mhd, &ms) != MHD_YES)
		return;
	/* 0 = due now; a timerfd armed with 0 would be disarmed instead */
	if (ms == 0)
		ms = 1;
	now = loop_now_us();
	due = now + ms * 1000;
	if (api->timer_due > now && api->timer_due <= due)
		return;
	if (loop_timer_set(api->timer_fd, ms, 0) == 0)
		api->timer_due = due;
}

/*
 * Before each epoll_wait: one flush for every change the callbacks of
 * this iteration made, then the replies go out.
 */
static void on_hook(struct loop *loop, void *arg)
{
	struct api *api = arg;
	struct api_req *req, *next;
	int err;

	(void)loop;
	if (api->pending) {
		err = api->ops.flush(api->ops.arg);
		api->counts.flushes++;
		if (err) {
			api->counts.flush_errors++;
			pr_err("api: overrides not made durable: %s",
			       strerror(-err));
		}
		for (req = api->pending; req; req = next) {
			next = req->next;
			req->next = NULL;
			req->done = true;
			if (!err)
				api->counts.updates++;
			else if (api_error_reply(&req->reply, API_ERR_UPDATE,
						 req->reply.trace_id,
						 "update error: applied but "
						 "not made durable: %s",
						 strerror(-err)))
				api_reply_free(&req->reply);
			MHD_resume_connection(req->conn);
		}
		api->pending = NULL;
		MHD_run(api->mhd);
	}
	arm_timer(api);
}

static void on_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct api *api = arg;

	(void)loop;
	(void)fd;
	(void)events;
	MHD_run(api->mhd);
}

static void on_timer(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct api *api = arg;

	api->timer_due = 0;
	on_ready(loop, fd, events, arg);
}

/* "127.0.0.1:5555", "[::1]:5555": literal addresses only, no DNS. */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
			socklen_t *sl)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port;
	unsigned long p;
	char *end;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -EINVAL;
		n = colon - s - 1;
		port = colon + 2;
		s++;
	} else {
		/* an IPv6 literal needs its brackets: "::1:5555" is unclear */
		colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':'))
			return -EINVAL;
		n = colon - s;
		port = colon + 1;
	}
	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *end || errno || p == 0 || p > 65535 || *port == '-' ||
	    *port == '+')
		return -EINVAL;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p);
		*sl = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p);
		*sl = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
	       s6->sin6_addr.s6_addr[12] == 127;
}

static int open_listener(const char *listen_on,
			 const struct sockaddr_storage *ss, socklen_t sl)
{
	int fd, one = 1, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	/* a restart must not wait for TIME_WAIT; [::] must not take v4 */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)ss, sl) || listen(fd, 128)) {
		err = -errno;
		pr_err("api: listen on %s: %s", listen_on, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

int api_open(struct api **out, struct loop *loop, const struct api_opts *o,
	     const struct api_ops *ops)
{
	const char *listen_on = o->listen ? o->listen : "127.0.0.1:5555";
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	struct api *api;
	socklen_t sl;
	int err;

	if (parse_listen(listen_on, &ss, &sl)) {
		pr_err("api: --listen %s: want ADDR:PORT, e.g. 127.0.0.1:5555 "
		       "or [::1]:5555",
		       listen_on);
		return -EINVAL;
	}
	if (!is_loopback(&ss) && !o->token_file && !o->insecure_listen) {
		pr_err("api: refusing to listen on %s without --token-file: "
		       "anyone who can reach it could rewrite the forwarding "
		       "table (--insecure-listen forces it)",
		       listen_on);
		return -EPERM;
	}
	api = calloc(1, sizeof(*api));
	if (!api)
		return -ENOMEM;
	api->loop = loop;
	api->ops = *ops;
	api->timer_fd = -1;
	api->mhd_fd = -1;
	if (o->token_file) {
		err = api_read_token(o->token_file, &api->token,
				     &api->token_len);
		if (err) {
			pr_err("api: token file %s: %s", o->token_file,
			       err == -EINVAL ? "want one line of printable "
						"ASCII without spaces"
					      : strerror(-err));
			goto err_free;
		}
	} else if (!is_loopback(&ss)) {
		pr_warn("api: listening on %s without authentication",
			listen_on);
	}

	api->listen_fd = open_listener(listen_on, &ss, sl);
	if (api->listen_fd < 0) {
		err = api->listen_fd;
		goto err_free;
	}
	api->mhd = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0,
		NULL, NULL, on_request, api, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, api, MHD_OPTION_LISTEN_SOCKET, api->listen_fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)API_MAX_CONNS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned int)API_MAX_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)API_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)API_CONN_MEMORY, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, api, MHD_OPTION_END);
	if (!api->mhd) {
		pr_err("api: cannot start the HTTP server on %s", listen_on);
		err = -EIO;
		goto err_close_listen;
	}
	info = MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0) {
		pr_err("api: libmicrohttpd has no epoll fd");
		err = -EIO;
		goto err_stop;
	}
	api->mhd_fd = info->epoll_fd;
	err = loop_add(loop, api->mhd_fd, EPOLLIN, on_ready, api);
	if (err)
		goto err_stop;
	/* armed for real by the hook, from MHD_get_timeout() */
	api->timer_fd = loop_timer_add(loop, 1000, 0, on_timer, api);
	api->timer_due = loop_now_us() + 1000 * 1000;
	if (api->timer_fd < 0) {
		err = api->timer_fd;
		goto err_del_mhd;
	}
	err = loop_add_hook(loop, on_hook, api);
	if (err)
		goto err_del_timer;
	pr_info("api: listening on %s%s", listen_on,
		api->token ? " (bearer token required)" : "");
	*out = api;
	return 0;

err_del_timer:
	loop_del(loop, api->timer_fd);
err_del_mhd:
	loop_del(loop, api->mhd_fd);
err_stop:
	MHD_stop_daemon(api->mhd);
err_close_listen:
	/* MHD closes a listen socket it was given only once it started */
	if (!api->mhd)
		close(api->listen_fd);
err_free:
	free(api->token);
	free(api);
	return err;
}

void api_close(struct api *api)
{
	struct api_req *req;

	if (!api)
		return;
	/*
	 * MHD refuses to stop with suspended connections. Their changes are
	 * applied; whether they became durable is the daemon's final flush.
	 */
	for (req = api->pending; req; req = req->next)
		MHD_resume_connection(req->conn);
	api->pending = NULL;
	loop_del(api->loop, api->timer_fd);
	loop_del(api->loop, api->mhd_fd);
	MHD_stop_daemon(api->mhd);
	free(api->token);
	free(api);
}
