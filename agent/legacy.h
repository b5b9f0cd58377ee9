/* SPDX-License-Identifier: GPL-2.0 */
/*
 * legacy.h - the state file and journals of fwd 0.1 (before SQLite), read
 * once so that the store can import them (see store.h).
 *
 * Read only, and as strictly as fwd 0.1 read them: a malformed snapshot,
 * or damage in a journal that a valid commit marker follows, is an error
 * naming file, line and offset, so acknowledged overrides are never
 * dropped silently; a torn last batch (never acknowledged) is ignored with
 * a warning.
 */
#ifndef LEGACY_H
#define LEGACY_H

#include <stdbool.h>

#include "htab.h"

/*
 * Read <@state_path>, then replay <@state_path>.journal.old and
 * <@state_path>.journal, into @ovr (IPv4 address -> override: fwd 0.1
 * knew no other; htab_init()ed with 4-byte keys). *found: any of
 * the three existed. 0, or -EINVAL (logged with the reason) or -errno.
 */
int legacy_load(const char *state_path, struct htab *ovr, bool *found);

#endif /* LEGACY_H */
