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
 * Limits are enforced before the body is used: the bearer token goes
 * first, so a 401 never waits for a body; a body over the limit is read
 * and dropped (up to a bound) and answered 413, on both listeners.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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
#include <sys/stat.h>
#include <sys/un.h>

#include "actions.h"
#include "api.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "util.h"

#define API_MAX_CONNS 256  /* open connections per listener */
#define API_MAX_PER_IP 128 /* ... per TCP client address (wrk uses 64) */
/*
 * Connections that have not yet shown a whole request's headers (with the
 * token, where one is needed), per TCP listener. One more evicts the
 * oldest of them: idle or trickling connections cannot hold the slots
 * that clients with the token need, however many addresses they come
 * from; they can only keep replacing each other.
 */
#define API_MAX_UNAUTH 64
/*
 * On the control socket, connections per peer uid (SO_PEERCRED), and
 * slots that only root may take: one user of the socket's group cannot
 * lock out the others, nor all of them root.
 */
#define API_MAX_PER_UID 32
#define API_ROOT_SLOTS 16
/*
 * A connection silent this long is closed: a client that opens one and
 * sends nothing (or a header byte now and then) holds its slot at most
 * this long; the per-address limit keeps one address from taking all.
 */
#define API_TIMEOUT_S 5
/*
 * ... and a request must be complete, headers and body, this long after
 * the connection opened or its previous request ended: a client that
 * trickles a byte now and then is cut here (MHD's timeout is idle time).
 */
#define API_REQUEST_S 10
#define API_CONN_MEMORY 16384 /* per connection: request line + headers */
/* A streamed reply is formatted this much at a time (~150 rows). */
#define API_STREAM_BLOCK 16384
/* Flushes one hook may do back to back before yielding to other fds. */
#define API_COMMIT_ROUNDS 4
/*
 * An oversized body is read and dropped up to here, then answered 413
 * (chunked: cut); a Content-Length above it is answered at once.
 */
#define API_DISCARD_MAX (1024 * 1024)

enum api_route {
	ROUTE_ACTION,  /* POST / */
	ROUTE_METRICS, /* GET /metrics */
	ROUTE_HEALTHZ, /* GET /healthz */
};

/*
 * A listener: the control socket (file mode decides who may connect) or
 * the TCP address (every request needs the token, if there is one). Each
 * has an MHD instance of its own, so a flood of one cannot take the other's
 * connection slots.
 */
enum api_srv_id { SRV_CONTROL, SRV_TCP, N_SRV };

struct api_srv {
	struct api *api;
	enum api_srv_id id;
	struct MHD_Daemon *mhd; /* NULL: not serving */
	int mhd_fd;		/* MHD's own epoll fd, watched by the loop */
	bool need_token;	/* requests carry the bearer token */
	unsigned int n_unauth;	/* its connections not yet authed, not cut */
};

/* One connection, from accept to close: the deadline of its request. */
struct api_conn {
	struct api_conn *next, **pprev; /* in api->conns */
	struct api_srv *srv;		/* the listener it came in on */
	int fd;
	uint64_t deadline_us; /* loop_now_us(); 0: the request is all in */
	uint64_t opened_us;   /* when accepted: the oldest goes first */
	uid_t uid;	      /* the peer's, on the control socket */
	bool authed;	      /* has sent a whole (authorized) request head */
	bool cut;	      /* shut down by us, MHD has yet to close it */
};

/* One request, from its headers to its completion callback. */
struct api_req {
	struct api *api;
	struct api_srv *srv;
	struct MHD_Connection *conn;
	enum api_route route;
	char *body;		   /* the body so far, up to API_BODY_MAX */
	size_t len, cap;	   /* bytes in @body, bytes allocated */
	size_t dropped;		   /* bytes of an oversized body thrown away */
	unsigned long long length; /* its Content-Length, 0: none */
	bool too_large;		   /* body passed API_BODY_MAX */
	bool queued;		   /* a response is queued: ignore the rest */
	bool done;   /* @reply is final (flushed), send it on resume */
	uint64_t t0; /* headers in, loop_now_us(): the latency's start */
	struct api_reply reply;
	struct api_req *next; /* in api->pending */
};

struct api {
	struct loop *loop;
	struct api_ops ops;
	struct api_srv srv[N_SRV];
	int timer_fd;	    /* MHD's connection timeouts */
	uint64_t timer_due; /* when timer_fd fires (loop_now_us), 0: fired */
	char *control;	    /* the control socket's path, unlinked at close */
	char *token;	    /* NULL: no authentication on TCP */
	size_t token_len;
	struct api_req *pending; /* suspended until the next flush */
	struct api_conn *conns;	 /* every open connection */
	int tick_fd;		 /* once a second: deadlines */
	struct api_counts counts;
};

static void run_all(struct api *api);
static void conn_authed(struct MHD_Connection *conn);

/* MHD's messages per second before the rest of that second is counted. */
#define API_LOG_BURST 5

/*
 * libmicrohttpd's messages, at most API_LOG_BURST a second: a connection
 * flood must not become a log flood (each refused connection is one).
 * What was held back is counted once its second is over.
 */
static struct {
	uint64_t second, shown, dropped;
} mhd_rate;

static void mhd_log_flush(void)
{
	uint64_t now = loop_now_us() / 1000000;

	if (now == mhd_rate.second)
		return;
	if (mhd_rate.dropped)
		pr_warn("http: %" PRIu64 " more message(s) in a second not "
			"shown",
			mhd_rate.dropped);
	mhd_rate.second = now;
	mhd_rate.shown = mhd_rate.dropped = 0;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	mhd_log_flush();
	if (mhd_rate.shown++ >= API_LOG_BURST) {
		mhd_rate.dropped++;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pr_warn("http: %s", msg);
}

static enum MHD_Result send_buf(struct api_req *req, unsigned int status,
				const char *type, char *buf, size_t len,
				const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	api_latency_observe(&req->api->counts, loop_now_us() - req->t0);
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

/* MHD's reader of a streamed reply: a block each time the peer takes one. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	long got = api_stream_read(cls, buf, max);

	(void)pos;
	if (got < 0) {
		pr_warn("http: a reply cut short: %s", strerror((int)-got));
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	return got ? got : MHD_CONTENT_READER_END_OF_STREAM;
}

static void stream_free(void *cls)
{
	api_stream_free(cls);
}

/*
 * Queue req->reply; the body, or the stream that formats it, goes to MHD
 * (chunked: its length is not known before the last row).
 */
static enum MHD_Result send_reply(struct api_req *req, const char *allow)
{
	struct api_reply *r = &req->reply;
	struct MHD_Response *resp;
	struct api_stream *st = r->stream;
	char *body = r->body;
	enum MHD_Result ret;

	req->api->counts.requests++;
	if (r->code != API_OK)
		req->api->counts.errors++;
	r->body = NULL;
	r->stream = NULL;
	if (!st)
		return send_buf(req, r->status, "application/json", body,
				r->len, allow);
	api_latency_observe(&req->api->counts, loop_now_us() - req->t0);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
						 API_STREAM_BLOCK, stream_read,
						 st, stream_free);
	if (!resp) {
		api_stream_free(st);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json");
	ret = MHD_queue_response(req->conn, r->status, resp);
	MHD_destroy_response(resp);
	req->queued = true;
	return ret;
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

static bool authorized(const struct api_req *req, struct MHD_Connection *conn)
{
	struct api *api = req->api;
	const char *h;

	if (!req->srv->need_token)
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
				  const char *method, const char *version)
{
	struct MHD_Connection *conn = req->conn;
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) ||
		   !strcmp(method, MHD_HTTP_METHOD_HEAD);
	const char *cl;

	/* RFC 9112 3.2: an HTTP/1.1 request without Host is answered 400 */
	if (!strcmp(version, MHD_HTTP_VERSION_1_1) &&
	    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_HOST))
		return send_error(req, API_ERR_BAD_REQUEST, NULL,
				  "bad request: HTTP/1.1 without a Host "
				  "header (RFC 9112 3.2)");
	if (!authorized(req, conn))
		return send_error(req, API_ERR_UNAUTHORIZED, NULL,
				  "unauthorized: missing or wrong "
				  "\"Authorization: Bearer\" token");
	conn_authed(conn);
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
	/*
	 * Over the limit: answered once the body is read and dropped, up to
	 * API_DISCARD_MAX. Answering at once and closing would leave the
	 * client writing into a closed socket: on a Unix socket its write
	 * fails (EPIPE) and the 413 is never read. Beyond the bound, at once.
	 */
	req->length = cl ? strtoull(cl, NULL, 10) : 0;
	if (req->length > API_DISCARD_MAX)
		return send_error(req, API_ERR_TOO_LARGE, NULL,
				  "request body too large: %.24s bytes, "
				  "at most %d",
				  cl, API_BODY_MAX);
	if (req->length > API_BODY_MAX)
		req->too_large = true;
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

	if (req->too_large && req->length)
		return send_error(req, API_ERR_TOO_LARGE, NULL,
				  "request body too large: %llu bytes, at "
				  "most %d",
				  req->length, API_BODY_MAX);
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

static struct api_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i ? i->socket_context : NULL;
}

/* The next request on @conn must be in by @us from now (0: no limit). */
static void conn_deadline(struct MHD_Connection *conn, uint64_t us)
{
	struct api_conn *c = conn_of(conn);

	if (c)
		c->deadline_us = us ? loop_now_us() + us : 0;
}

/* Shut @c down: MHD sees the end of its stream and closes it. */
static void conn_cut(struct api_conn *c)
{
	if (c->cut)
		return;
	shutdown(c->fd, SHUT_RDWR);
	c->cut = true;
	c->deadline_us = 0;
	if (!c->authed)
		c->srv->n_unauth--;
}

/* A request head came in whole, with the token if one is needed. */
static void conn_authed(struct MHD_Connection *conn)
{
	struct api_conn *c = conn_of(conn);

	if (!c || c->authed)
		return;
	c->authed = true;
	if (!c->cut)
		c->srv->n_unauth--;
}

/* TCP: past API_MAX_UNAUTH unauthenticated, the oldest of them goes. */
static void admit_tcp(struct api *api, struct api_conn *c)
{
	struct api_conn *o, *oldest = NULL;

	if (++c->srv->n_unauth <= API_MAX_UNAUTH)
		return;
	for (o = api->conns; o; o = o->next)
		if (o->srv == c->srv && !o->authed && !o->cut &&
		    (!oldest || o->opened_us < oldest->opened_us))
			oldest = o;
	if (oldest) {
		api->counts.conns_evicted++;
		conn_cut(oldest);
	}
}

/*
 * Control socket: at most API_MAX_PER_UID connections per peer uid, and
 * the last API_ROOT_SLOTS of the listener's for root. Over either, the
 * new connection is closed at once.
 */
static void admit_control(struct api *api, struct api_conn *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	unsigned int same = 0, users = 0;
	struct api_conn *o;

	c->authed = true; /* the file mode decided, before connect() */
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		cred.uid = (uid_t)-1; /* unknown: counted as a user */
	c->uid = cred.uid;
	if (c->uid == 0)
		return;
	for (o = api->conns; o; o = o->next) {
		if (o == c || o->srv != c->srv || o->cut || o->uid == 0)
			continue;
		users++;
		same += o->uid == c->uid;
	}
	if (same >= API_MAX_PER_UID ||
	    users >= API_MAX_CONNS - API_ROOT_SLOTS) {
		api->counts.conns_refused++;
		mhd_log_flush();
		if (mhd_rate.shown++ >= API_LOG_BURST)
			mhd_rate.dropped++;
		else
			pr_warn("api: control socket: uid %d has %u "
				"connection(s), users %u: refused",
				(int)c->uid, same, users);
		conn_cut(c);
	}
}

static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_ctx,
			  enum MHD_ConnectionNotificationCode what)
{
	const union MHD_ConnectionInfo *i;
	struct api_srv *srv = cls;
	struct api *api = srv->api;
	struct api_conn *c = *socket_ctx;

	if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (c) {
			if (!c->authed && !c->cut)
				c->srv->n_unauth--;
			*c->pprev = c->next;
			if (c->next)
				c->next->pprev = c->pprev;
			free(c);
		}
		*socket_ctx = NULL;
		return;
	}
	i = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	c = calloc(1, sizeof(*c));
	if (!c || !i) {
		free(c);
		return; /* no deadline: the idle timeout still applies */
	}
	c->srv = srv;
	c->fd = i->connect_fd;
	c->opened_us = loop_now_us();
	c->deadline_us = c->opened_us + API_REQUEST_S * 1000000ULL;
	c->next = api->conns;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &api->conns;
	api->conns = c;
	*socket_ctx = c;
	if (srv->id == SRV_TCP)
		admit_tcp(api, c);
	else
		admit_control(api, c);
}

/*
 * Cut connections past their deadline: shutdown() makes MHD see the end
 * of the stream and close it in its own time, as if the client had gone.
 */
static void on_tick(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct api *api = arg;
	uint64_t now = loop_now_us();
	struct api_conn *c;
	int n = 0;

	(void)loop;
	(void)fd;
	(void)events;
	mhd_log_flush();
	for (c = api->conns; c; c = c->next)
		if (c->deadline_us && now > c->deadline_us) {
			conn_cut(c);
			n++;
		}
	if (n) {
		pr_info("api: closed %d connection(s) without a whole request "
			"in %d s",
			n, API_REQUEST_S);
		run_all(api);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *size, void **ctx)
{
	struct api_req *req = *ctx;

	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->srv = cls;
		req->api = req->srv->api;
		req->conn = conn;
		req->t0 = loop_now_us();
		*ctx = req;
		return on_headers(req, url, method, version);
	}
	if (*size) {
		enum MHD_Result ret = MHD_YES;

		if (!req->queued)
			ret = on_data(req, data, *size);
		*size = 0;
		return ret;
	}
	conn_deadline(conn, 0); /* all in: what is left is ours */
	if (req->queued)
		return MHD_YES;
	if (req->done)
		return req->reply.body || req->reply.stream
			       ? send_reply(req, NULL)
			       : MHD_NO;
	if (req->route != ROUTE_ACTION)
		return on_metrics(req);
	return on_body(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **ctx,
			 enum MHD_RequestTerminationCode why)
{
	struct api *api = cls;
	struct api_req *req = *ctx, **pp;

	(void)why;
	conn_deadline(conn, API_REQUEST_S * 1000000ULL);
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
	MHD_UNSIGNED_LONG_LONG ms = ULLONG_MAX, t;
	uint64_t now, due;

	for (int i = 0; i < N_SRV; i++)
		if (api->srv[i].mhd &&
		    MHD_get_timeout(api->srv[i].mhd, &t) == MHD_YES && t < ms)
			ms = t;
	if (ms == ULLONG_MAX)
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

static void run_all(struct api *api)
{
	for (int i = 0; i < N_SRV; i++)
		if (api->srv[i].mhd)
			MHD_run(api->srv[i].mhd);
}

/* Make every pending change durable with one flush, then answer them. */
static void commit(struct api *api)
{
	struct api_req *req, *next;
	int err;

	err = api->ops.flush(api->ops.arg);
	api->counts.flushes++;
	if (err) {
		api->counts.flush_errors++;
		pr_err("api: overrides not made durable: %s", strerror(-err));
	}
	for (req = api->pending; req; req = next) {
		next = req->next;
		req->next = NULL;
		req->done = true;
		if (!err)
			api->counts.updates++;
		else if (api_error_reply(&req->reply, API_ERR_UPDATE,
					 req->reply.trace_id,
					 "update error: not made durable, "
					 "nothing changed: %s",
					 strerror(-err)))
			api_reply_free(&req->reply); /* no reply: drop it */
		MHD_resume_connection(req->conn);
	}
	api->pending = NULL;
	run_all(api);
}

/*
 * Before each epoll_wait: one flush for every change the callbacks of
 * this iteration made, then the replies go out. Sending them runs MHD,
 * which may read and apply more updates that arrived during the flush;
 * their events are consumed, so nothing would wake the loop for them:
 * commit them too, and past a few rounds (a steady stream of updates)
 * come back through the timer so the other fds get their turn.
 */
static void on_hook(struct loop *loop, void *arg)
{
	struct api *api = arg;
	int round;

	(void)loop;
	for (round = 0; api->pending && round < API_COMMIT_ROUNDS; round++)
		commit(api);
	if (api->pending) {
		if (loop_timer_set(api->timer_fd, 1, 0) == 0)
			api->timer_due = loop_now_us() + 1000;
		return;
	}
	arm_timer(api);
}

static void on_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct api_srv *srv = arg;

	(void)loop;
	(void)fd;
	(void)events;
	MHD_run(srv->mhd);
}

static void on_timer(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct api *api = arg;

	(void)loop;
	(void)fd;
	(void)events;
	api->timer_due = 0;
	run_all(api);
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

/*
 * A socket file left at @path by an instance that died: nobody accepts
 * on it. A live one is another daemon's, and stays.
 */
static int clear_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, err;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("api: control socket %s: exists and is not a socket",
		       path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) ? -errno
								      : 0;
	close(fd);
	if (!err) {
		pr_err("api: control socket %s: another process serves it",
		       path);
		return -EADDRINUSE;
	}
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

/*
 * The control socket's directory and every one above it, as OpenSSH's
 * safe_path() checks a key's: owned by root or by us, and not writable by
 * group or others unless sticky. Otherwise another user could rename the
 * socket away, bind one of their own at its path, and be sent every
 * fwdctl request (a token, an override). Symbolic links are resolved
 * first, so it is the directories really used that are checked.
 */
static int check_dir_chain(const char *dir)
{
	char real[PATH_MAX], *slash;
	uid_t me = geteuid();
	struct stat st;

	if (!realpath(dir, real))
		return -errno;
	for (;;) {
		if (stat(real, &st))
			return -errno;
		if (st.st_uid != 0 && st.st_uid != me) {
			pr_err("api: control socket directory %s is owned by "
			       "uid %u: its owner could replace the socket",
			       real, (unsigned int)st.st_uid);
			return -EPERM;
		}
		if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX)) {
			pr_err("api: control socket directory %s is mode "
			       "%04o: others could replace the socket (chmod "
			       "go-w, or use a directory of fwd's own)",
			       real, (unsigned int)(st.st_mode & 07777));
			return -EPERM;
		}
		if (!strcmp(real, "/"))
			return 0;
		slash = strrchr(real, '/');
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/*
 * The socket's group, set through a descriptor of the file just bound
 * (O_PATH, not following links), not through its name a second time.
 */
static int chgrp_socket(const char *path, long gid)
{
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
		err = -EEXIST; /* not the socket we bound */
	else if (fchownat(fd, "", (uid_t)-1, (gid_t)gid, AT_EMPTY_PATH))
		err = -errno;
	close(fd);
	return err;
}

/*
 * The control socket: its directory made 0750 if missing and checked
 * along its path (check_dir_chain()), the socket created 0660 (never
 * wider, not even for an instant: the umask is set around bind()), group
 * @gid unless it is -1.
 */
static int open_control(const char *path, long gid)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[sizeof(sun.sun_path)];
	mode_t old;
	int fd, err;
	char *slash;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (!mkdir(dir, 0750)) {
			if (gid != -1 && chown(dir, (uid_t)-1, (gid_t)gid))
				pr_warn("api: chgrp %s: %s", dir,
					strerror(errno));
		} else if (errno != EEXIST) {
			err = -errno;
			pr_err("api: control socket directory %s: %s", dir,
			       strerror(-err));
			return err;
		}
	}
	err = check_dir_chain(slash ? (slash == dir ? "/" : dir) : ".");
	if (err) {
		if (err != -EPERM)
			pr_err("api: control socket directory of %s: %s", path,
			       strerror(-err));
		return err;
	}
	err = clear_stale(path, &sun);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(0117);
	err = bind(fd, (const struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(old);
	if (!err && gid != -1)
		err = chgrp_socket(path, gid);
	if (!err && listen(fd, 128))
		err = -errno;
	if (err) {
		pr_err("api: control socket %s: %s", path, strerror(-err));
		close(fd);
		unlink(path);
		return err;
	}
	return fd;
}

/* Serve @fd (MHD owns it from here, also on failure). */
static int srv_start(struct api *api, enum api_srv_id id, int fd,
		     const char *name)
{
	struct api_srv *srv = &api->srv[id];
	const union MHD_DaemonInfo *info;
	int err;

	srv->api = api;
	srv->id = id;
	srv->need_token = id == SRV_TCP && api->token;
	/* MHD's per-address limit knows only IP addresses: TCP only. */
	srv->mhd = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0,
		NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, api, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)API_MAX_CONNS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned int)(id == SRV_TCP ? API_MAX_PER_IP : 0),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)API_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONN_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		MHD_OPTION_END);
	if (!srv->mhd) {
		pr_err("api: cannot start the HTTP server on %s", name);
		close(fd);
		return -EIO;
	}
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0) {
		pr_err("api: libmicrohttpd has no epoll fd");
		err = -EIO;
		goto err_stop;
	}
	srv->mhd_fd = info->epoll_fd;
	err = loop_add(api->loop, srv->mhd_fd, EPOLLIN, on_ready, srv);
	if (err)
		goto err_stop;
	pr_info("api: listening on %s%s", name,
		srv->need_token ? " (bearer token required)" : "");
	return 0;

err_stop:
	MHD_stop_daemon(srv->mhd);
	srv->mhd = NULL;
	return err;
}

static void srv_stop(struct api_srv *srv)
{
	if (!srv->mhd)
		return;
	loop_del(srv->api->loop, srv->mhd_fd);
	MHD_stop_daemon(srv->mhd);
	srv->mhd = NULL;
}

int api_open(struct api **out, struct loop *loop, const struct api_opts *o,
	     const struct api_ops *ops)
{
	struct sockaddr_storage ss;
	struct api *api;
	socklen_t sl;
	int fd, err;

	if (o->listen && api_parse_listen(o->listen, &ss, &sl)) {
		pr_err("api: --listen %s: want ADDR:PORT, e.g. 127.0.0.1:5555 "
		       "or [::1]:5555",
		       o->listen);
		return -EINVAL;
	}
	if (o->listen && !o->token_file && !o->insecure_listen) {
		pr_err("api: refusing to listen on %s without --token-file: "
		       "anyone who can reach it, any local user included, "
		       "could rewrite the forwarding table "
		       "(--insecure-listen forces it)",
		       o->listen);
		return -EPERM;
	}
	api = calloc(1, sizeof(*api));
	if (!api)
		return -ENOMEM;
	api->loop = loop;
	api->ops = *ops;
	api->timer_fd = -1;
	api->tick_fd = -1;
	if (o->listen && o->token_file) {
		const char *why;

		err = api_load_token(o->token_file, true, &api->token,
				     &api->token_len, &why);
		if (err) {
			pr_err("api: token file %s: %s", o->token_file,
			       why ? why : strerror(-err));
			goto err_free;
		}
	} else if (o->listen) {
		pr_warn("api: listening on %s without authentication "
			"(--insecure-listen)",
			o->listen);
	}

	if (o->control) {
		api->control = strdup(o->control);
		if (!api->control) {
			err = -ENOMEM;
			goto err_free;
		}
		fd = open_control(o->control, o->control_gid);
		if (fd < 0) {
			err = fd;
			free(api->control);
			api->control = NULL;
			goto err_free;
		}
		err = srv_start(api, SRV_CONTROL, fd, o->control);
		if (err)
			goto err_stop;
	}
	if (o->listen) {
		fd = open_listener(o->listen, &ss, sl);
		if (fd < 0) {
			err = fd;
			goto err_stop;
		}
		err = srv_start(api, SRV_TCP, fd, o->listen);
		if (err)
			goto err_stop;
	}
	/* armed for real by the hook, from MHD_get_timeout() */
	api->timer_fd = loop_timer_add(loop, 1000, 0, on_timer, api);
	api->timer_due = loop_now_us() + 1000 * 1000;
	if (api->timer_fd < 0) {
		err = api->timer_fd;
		goto err_stop;
	}
	api->tick_fd = loop_timer_add(loop, 1000, 1000, on_tick, api);
	if (api->tick_fd < 0) {
		err = api->tick_fd;
		goto err_del_timer;
	}
	err = loop_add_hook(loop, on_hook, api);
	if (err)
		goto err_del_tick;
	*out = api;
	return 0;

err_del_tick:
	loop_del(loop, api->tick_fd);
err_del_timer:
	loop_del(loop, api->timer_fd);
err_stop:
	for (int i = 0; i < N_SRV; i++)
		srv_stop(&api->srv[i]);
	if (api->control)
		unlink(api->control);
err_free:
	free(api->control);
	free(api->token);
	free(api);
	return err;
}

/*
 * Only once loop_run() has returned: the loop cannot remove a hook, and
 * on_hook would otherwise run on a freed api.
 */
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
	loop_del(api->loop, api->tick_fd);
	for (int i = 0; i < N_SRV; i++)
		srv_stop(&api->srv[i]);
	if (api->control)
		unlink(api->control);
	free(api->control);
	free(api->token);
	free(api);
}
