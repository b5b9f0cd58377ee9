// SPDX-License-Identifier: GPL-2.0
/*
 * legacy.c - read an older fwd's state file and journals. See legacy.h.
 *
 * The format, as fwd 0.1 wrote it: <state> is a JSON snapshot,
 * {"version":1,"overrides":[{"ip","ifindex","iface","smac","dmac"},...]},
 * replaced atomically; <state>.journal appends one line per change,
 * "CRC32 JSON\n" with the CRC over the JSON (an object of the snapshot's
 * shape, or {"ip"} alone for a deletion), and each flush's lines end with
 * a commit marker line, {"commit":records,"bytes":length,"crc":"CRC32 of
 * the batch"}. Only batches a valid marker closes count: a crash during a
 * multi-page append may persist a later page and not an earlier one, and
 * that batch, never acknowledged, goes whole. <state>.journal.old is a
 * journal a crash interrupted the folding of into a new snapshot;
 * replaying it first is right whether the snapshot holds it or not (each
 * record says the final state of its key).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cjson/cJSON.h>

#include "legacy.h"
#include "log.h"
#include "util.h"

#define STATE_VERSION 1

struct legacy {
	const char *state_path;
	struct htab *ovr;
};

static char *read_file(const char *path, size_t *lenp, int *err)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		*err = -errno;
		return NULL;
	}
	for (;;) {
		size_t n;

		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);

			if (!nb) {
				*err = -ENOMEM;
				goto out_free;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		*err = -EIO;
		goto out_free;
	}
	buf[len] = 0;
	fclose(f);
	if (lenp)
		*lenp = len;
	return buf;
out_free:
	free(buf);
	fclose(f);
	return NULL;
}

static const char *parse_override(const cJSON *o, uint32_t *ip,
				  struct fwd_entry *e)
{
	const cJSON *jip = cJSON_GetObjectItemCaseSensitive(o, "ip");
	const cJSON *jif = cJSON_GetObjectItemCaseSensitive(o, "ifindex");
	const cJSON *jname = cJSON_GetObjectItemCaseSensitive(o, "iface");
	const cJSON *js = cJSON_GetObjectItemCaseSensitive(o, "smac");
	const cJSON *jd = cJSON_GetObjectItemCaseSensitive(o, "dmac");
	struct in_addr a;
	double d;

	if (!cJSON_IsString(jip) ||
	    inet_pton(AF_INET, jip->valuestring, &a) != 1 || !a.s_addr)
		return "bad or missing \"ip\"";
	*ip = a.s_addr;
	if (!jif && !js && !jd)
		return ""; /* a journal delete record: only the ip */
	if (!jif || !cJSON_IsNumber(jif))
		return "bad or missing \"ifindex\"";
	d = jif->valuedouble;
	if (d < 1 || d > UINT32_MAX || d != (uint32_t)d)
		return "bad \"ifindex\"";
	e->ifindex = d;
	if (cJSON_IsString(jname)) {
		unsigned int idx = if_nametoindex(jname->valuestring);

		if (idx)
			e->ifindex = idx;
	}
	if (!cJSON_IsString(js) || api_parse_mac(js->valuestring, e->smac))
		return "bad or missing \"smac\"";
	if (!cJSON_IsString(jd) || api_parse_mac(jd->valuestring, e->dmac))
		return "bad or missing \"dmac\"";
	return NULL;
}

static int load_snapshot(struct legacy *t)
{
	const cJSON *arr, *o, *ver;
	cJSON *root;
	char *text;
	size_t len;
	int err = 0, i = 0;

	text = read_file(t->state_path, &len, &err);
	if (!text) {
		if (err == -ENOENT)
			return err;
		pr_err("cannot read state file %s: %s", t->state_path,
		       strerror(-err));
		return err;
	}
	root = cJSON_Parse(text);
	free(text);
	ver = cJSON_GetObjectItemCaseSensitive(root, "version");
	arr = cJSON_GetObjectItemCaseSensitive(root, "overrides");
	if (!root || !cJSON_IsNumber(ver) ||
	    ver->valuedouble != STATE_VERSION || !cJSON_IsArray(arr)) {
		pr_err("state file %s: not a version %d fwd state file "
		       "(move it away to start without its overrides)",
		       t->state_path, STATE_VERSION);
		err = -EINVAL;
		goto out_free;
	}
	cJSON_ArrayForEach(o, arr)
	{
		struct fwd_entry e = {};
		const char *why;
		struct slot *s;
		uint32_t ip;
		bool created;

		why = parse_override(o, &ip, &e);
		if (why) {
			pr_err("state file %s: override #%d: %s", t->state_path,
			       i,
			       *why ? why
				    : "no \"ifindex\", \"smac\", "
				      "\"dmac\"");
			err = -EINVAL;
			goto out_free;
		}
		s = htab_insert(t->ovr, &ip, &created);
		if (!s) {
			err = -ENOMEM;
			goto out_free;
		}
		s->e = e;
		i++;
	}
	pr_info("state file %s: %d override(s) loaded", t->state_path, i);
out_free:
	cJSON_Delete(root);
	return err;
}

static const char *check_line(const char *line, size_t len)
{
	unsigned long crc;
	char hex[9], *end;

	if (len < 11 || line[8] != ' ')
		return "not a record";
	memcpy(hex, line, 8);
	hex[8] = 0;
	crc = strtoul(hex, &end, 16);
	if (*end || crc != crc32(0, (const Bytef *)line + 9, len - 9))
		return "checksum mismatch";
	return NULL;
}

/* Is this sound line a commit marker? Then its fields. */
static bool parse_marker(const char *line, size_t len, uint32_t *n,
			 size_t *blen, unsigned long *crc)
{
	char body[96];
	int used = -1;

	if (len - 9 >= sizeof(body) || strncmp(line + 9, "{\"commit\":", 10))
		return false;
	memcpy(body, line + 9, len - 9);
	body[len - 9] = 0;
	if (sscanf(body, "{\"commit\":%u,\"bytes\":%zu,\"crc\":\"%8lx\"}%n", n,
		   blen, crc, &used) != 3)
		return false;
	return used == (int)(len - 9);
}

/* Check one record (without its newline) and apply it; NULL or why not. */
static const char *apply_record(struct legacy *t, const char *line, size_t len)
{
	struct fwd_entry e = {};
	const char *why;
	struct slot *s;
	cJSON *o;
	uint32_t ip;
	bool created;

	why = check_line(line, len);
	if (why)
		return why;
	o = cJSON_ParseWithLength(line + 9, len - 9);
	if (!o)
		return "not JSON";
	why = parse_override(o, &ip, &e);
	cJSON_Delete(o);
	if (why && *why)
		return why;
	if (why) { /* no override */
		s = htab_find(t->ovr, &ip);
		if (s)
			htab_remove(t->ovr, s);
		return NULL;
	}
	s = htab_insert(t->ovr, &ip, &created);
	if (!s)
		return "out of memory";
	s->e = e;
	return NULL;
}

/*
 * Apply the records of one committed batch, buf[from, to); *line counts
 * the journal's lines. NULL, or why not with *at the bad line's offset.
 */
static const char *apply_batch(struct legacy *t, const char *buf, size_t from,
			       size_t to, uint32_t n, int *line, size_t *at)
{
	const char *why;
	uint32_t k = 0;
	size_t off;

	for (off = from; off < to; k++, ++*line) {
		const char *nl = memchr(buf + off, '\n', to - off);

		*at = off;
		if (!nl)
			return "not a record";
		why = apply_record(t, buf + off, nl - (buf + off));
		if (why)
			return why;
		off = nl + 1 - buf;
	}
	return k == n ? NULL : "record count differs from its commit marker";
}

/*
 * The first bad line of buf[from, to), damage a later commit proves is not
 * a torn write; for the log.
 */
static const char *first_bad(const char *buf, size_t from, size_t to, int *line,
			     size_t *at)
{
	int first = *line;
	const char *why;
	size_t off;

	for (off = from; off < to; ++*line) {
		const char *nl = memchr(buf + off, '\n', to - off);

		*at = off;
		if (!nl)
			return "not a record";
		why = check_line(buf + off, nl - (buf + off));
		if (why)
			return why;
		off = nl + 1 - buf;
	}
	*line = first;
	*at = from;
	return "lines not closed by a valid commit marker";
}

/*
 * Replay the journal over the snapshot, one committed batch at a time. A
 * flush writes its records and then a commit marker in one append, and
 * acknowledges only after the fdatasync, so everything after the last
 * valid marker belongs to a flush a crash cut short, never acknowledged:
 * it is ignored, whatever state the crash left its pages in. Damage that a
 * later valid marker follows is not that: refuse.
 */
static int replay(struct legacy *t, const char *path)
{
	size_t len, off = 0, good = 0, at = 0;
	int err = 0, n = 0, line = 0, good_line = 0;
	const char *why = NULL;
	char *buf;

	buf = read_file(path, &len, &err);
	if (!buf) {
		if (err != -ENOENT)
			pr_err("cannot read journal %s: %s", path,
			       strerror(-err));
		return err;
	}
	while (off < len) {
		char *nl = memchr(buf + off, '\n', len - off);
		size_t ll, blen, from;
		unsigned long crc;
		uint32_t cnt;

		if (!nl)
			break;
		ll = nl - (buf + off);
		if (check_line(buf + off, ll) ||
		    !parse_marker(buf + off, ll, &cnt, &blen, &crc) ||
		    blen > off ||
		    crc != crc32(0, (const Bytef *)buf + off - blen, blen)) {
			off = nl + 1 - buf;
			continue;
		}
		from = off - blen;
		line = good_line;
		if (from != good) {
			why = first_bad(buf, good, from < good ? good : from,
					&line, &at);
			err = -EINVAL;
			break;
		}
		why = apply_batch(t, buf, from, off, cnt, &line, &at);
		if (why) {
			err = -EINVAL;
			break;
		}
		good = off = nl + 1 - buf;
		good_line = ++line;
		n += cnt;
	}
	if (err) {
		pr_err("journal %s: line #%d at byte %zu: %s, and a "
		       "committed batch follows it (move the journal away "
		       "to start without the changes it holds)",
		       path, line, at, why);
	} else if (good < len) {
		pr_warn("journal %s: %zu byte(s) after the last commit "
			"marker, from a flush a crash cut short, ignored",
			path, len - good);
	}
	free(buf);
	if (err)
		return err;
	pr_info("journal %s: %d change(s) replayed", path, n);
	return 0;
}

int legacy_load(const char *state_path, struct htab *ovr, bool *found)
{
	struct legacy l = {.state_path = state_path, .ovr = ovr};
	char path[PATH_MAX];
	int err, ret;

	*found = false;
	err = load_snapshot(&l);
	if (err && err != -ENOENT)
		return err;
	*found = !err;
	/* the interrupted fold first, then the current journal */
	for (int i = 0; i < 2; i++) {
		ret = snprintf(path, sizeof(path), "%s.journal%s", state_path,
			       i ? "" : ".old");
		if (ret < 0 || ret >= (int)sizeof(path))
			return -ENAMETOOLONG;
		err = replay(&l, path);
		if (err && err != -ENOENT)
			return err;
		*found |= !err;
	}
	return 0;
}
