// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_legacy.c - libFuzzer harness over legacy_load(), the reader of fwd
 * 0.1's state file and journals that the store imports once.
 *
 * An input is up to three files separated by NUL bytes: state.json, then
 * state.json.journal, then state.json.journal.old. Beyond "no crash, no
 * leak, no UB": a load that succeeds yields only overrides fwd could use
 * (an address, an ifindex), and loading the same files twice gives the
 * same table (replay is idempotent: each record says its key's state).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "legacy.h"
#include "log.h"

static char dir[] = "/tmp/fuzz-legacy.XXXXXX";
static char state[PATH_MAX];

/* legacy.c logs every reason it refuses: not here, at this rate. */
void log_msg(enum log_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

enum log_level log_get_level(void)
{
	return LOG_LEVEL_ERR;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_legacy: contract broken: %s\n", what);
		abort();
	}
}

static void put(const char *suffix, const uint8_t *data, size_t len,
		int present)
{
	char path[PATH_MAX + 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", state, suffix);
	unlink(path);
	if (!present)
		return;
	f = fopen(path, "w");
	check(f != NULL, "temp file");
	if (len)
		fwrite(data, 1, len, f);
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	snprintf(state, sizeof(state), "%s/state.json", dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const suffix[3] = {"", ".journal", ".journal.old"};
	struct htab a, b;
	const struct slot *sa, *t;
	uint32_t i;
	const uint8_t *p = data, *end = data + size;
	bool found_a, found_b;
	int ra, rb;

	htab_init(&a, 4);
	htab_init(&b, 4);
	for (i = 0; i < 3; i++) {
		const uint8_t *nul = p < end ? memchr(p, 0, end - p) : NULL;
		size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);

		/* no snapshot at all is a case of its own: an empty one is not */
		put(suffix[i], p, len, i ? p < end : len > 0);
		p = nul ? nul + 1 : end;
	}
	ra = legacy_load(state, &a, &found_a);
	rb = legacy_load(state, &b, &found_b);
	check(ra == rb && found_a == found_b, "the same files, another answer");
	if (!ra) {
		check(a.n == b.n, "replayed twice, another count");
		htab_for_each(&a, i, sa)
		{
			check(sa->e.ifindex >= 1,
			      "an override without ifindex");
			t = htab_find(&b, sa->key);
			check(t && !memcmp(&t->e, &sa->e, sizeof(sa->e)),
			      "replayed twice, another override");
		}
	}
	htab_free(&a);
	htab_free(&b);
	return 0;
}
