/* SPDX-License-Identifier: GPL-2.0 */
/*
 * actions.h - the JSON actions of POST /: request body in, HTTP status and
 * JSON reply out.
 *
 * Pure apart from the api_ops it is given, so that unit tests and the
 * fuzzer drive it with a fake table. It never calls ops->flush: a reply
 * with @flush set acknowledges a change that the caller must make durable
 * first (the HTTP server does it once for a whole batch: group commit).
 */
#ifndef API_ACTIONS_H
#define API_ACTIONS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "api.h"

/* Request bodies above this are refused with API_ERR_TOO_LARGE. */
#define API_BODY_MAX (64 * 1024)
/* Longest traceId echoed; longer ones are a format error. */
#define API_TRACE_MAX 128

/* Reply codes: the original's (1000...1201) and the ones fwd adds. */
enum api_code {
	API_OK = 200,
	API_ERR_READ = 1000,	     /* read request body error (400) */
	API_ERR_TOO_LARGE = 1001,    /* request body too large (413) */
	API_ERR_UNAUTHORIZED = 1002, /* missing or wrong bearer token (401) */
	API_ERR_NOT_FOUND = 1003,    /* no such path (404) */
	API_ERR_METHOD = 1004,	     /* method not allowed on the path (405) */
	API_ERR_BAD_REQUEST = 1005,  /* malformed HTTP, e.g. no Host (400) */
	API_ERR_JSON = 1100,	     /* json format error, bad field (400) */
	API_ERR_ACTION = 1101,	     /* not support action error (400) */
	API_ERR_UPDATE = 1200,	     /* update error (500) */
	API_ERR_QUERY = 1201,	     /* query error (500) */
	API_ERR_NO_OVERRIDE = 1202,  /* DeleteForward: no such override (404) */
};

/*
 * QueryForward of more rows than this is not built at once: the rows are
 * copied (one pass, a few ms at 100k) and formatted as the connection
 * takes them, a block at a time, so the loop never spends a whole table's
 * JSON in one callback. Up to it, the reply is built whole, as before.
 */
#define API_QUERY_INLINE 1024

/* A reply's body formatted as it is read (see API_QUERY_INLINE). */
struct api_stream;

struct api_reply {
	unsigned int status;	   /* HTTP status, mirrors the class of @code */
	int code;		   /* enum api_code */
	char *body;		   /* malloc'ed JSON text, NUL-terminated */
	size_t len;		   /* strlen(body) */
	struct api_stream *stream; /* instead of @body: read as it is sent */
	bool flush; /* acknowledges a change: ops->flush must succeed first */
	char trace_id[API_TRACE_MAX + 1]; /* as echoed in @body */
};

/* The HTTP status for a reply code. */
unsigned int api_code_status(int code);

/*
 * Run the action in @body (@len bytes, need not be NUL-terminated) and fill
 * @r. Every outcome, good or bad, is a reply; 0 or -ENOMEM (no reply could
 * be built). On any error reply nothing was changed.
 */
int api_action(const struct api_ops *ops, const char *body, size_t len,
	       struct api_reply *r);

/*
 * Fill @r with an error reply {"code","traceId","message"}. A NULL or empty
 * @trace_id gets a fresh UUID. 0 or -ENOMEM. Frees a body @r held before.
 */
__attribute__((format(printf, 4, 5))) int api_error_reply(struct api_reply *r,
							  int code,
							  const char *trace_id,
							  const char *fmt, ...);

void api_reply_free(struct api_reply *r);

/*
 * Up to @max bytes more of a streamed reply's body into @buf: their count,
 * 0 once it is all read, -ENOMEM if a row could not be formatted (the
 * body is then cut short: close the connection). Frees nothing.
 */
long api_stream_read(struct api_stream *s, char *buf, size_t max);
void api_stream_free(struct api_stream *s);

#endif /* API_ACTIONS_H */
