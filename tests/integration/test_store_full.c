/*
 * test_store_full.c: the store on a REALLY full disk (issue 18, "the daemon
 * stays up when the disk is full"). Without root: the binary re-runs itself
 * under `unshare -r -m` with a 2 MiB tmpfs mounted on a temporary folder, so
 * the database lives on a file system that can fill. A filler file takes
 * every free byte; batches of observations (with a tail position each) are
 * then submitted: the store must not fail (before: the first SQLITE_FULL
 * failed the store for good, every later batch VG_EDB), must say it is
 * unwritable, must refuse more batches (VG_EFULL: the tailer's back-pressure)
 * and commit none; the filler deleted, every observation is stored exactly
 * once and every commit succeeds. unshare missing or refused fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vgerr.h"
#include "data/store.h"
#include "tests/support/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCHES   30
#define PER_BATCH 200

static const char *g_dir; /* the tmpfs, inside the namespace */

struct waiter {
	int commits, errs, space;
	int64_t inserted, duplicates;
};

static void on_commit(void *data, const struct store_commit *c)
{
	struct waiter *w = data;
	w->commits++;
	w->inserted += c->inserted;
	w->duplicates += c->duplicates;
	if (c->err)
		w->errs++;
}

static void on_space(void *data)
{
	((struct waiter *)data)->space++;
}

static struct observation obs_at(int id, int64_t ts)
{
	struct observation o;
	observation_init(&o);
	o.ts_ms = ts;
	snprintf(o.request_id, sizeof(o.request_id), "full-%d", id);
	o.attempt = 1;
	snprintf(o.pid.provider, sizeof(o.pid.provider), "openai");
	snprintf(o.pid.model, sizeof(o.pid.model), "gpt-4o-mini");
	o.http_status = 200;
	o.total_ms = 100;
	o.input_tokens = 10;
	return o;
}

static int64_t count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n = -1;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Write zeros to path until the file system says ENOSPC; bytes written. */
static int64_t fill(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	static char buf[4096];
	int64_t total = 0;
	for (;;) {
		ssize_t n = write(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		total += n;
	}
	assert_int_equal(errno, ENOSPC);
	close(fd);
	return total;
}

static void test_full_disk_waits_and_loses_nothing(void **state)
{
	(void)state;
	char path[512], filler[512];
	snprintf(path, sizeof(path), "%s/vigil.db", g_dir);
	snprintf(filler, sizeof(filler), "%s/filler", g_dir);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct waiter w = { 0 };
	struct store_options o = { .path = path,
		                   .queue_batches = 2,
		                   .batch_ms = 20,
		                   .full_retry_ms = 20,
		                   .on_space = on_space,
		                   .data = &w };
	struct store *s = NULL;
	char *cause = NULL;
	int rc = store_open(&s, &loop, &o, &cause);
	if (rc)
		fprintf(stderr, "store_open: %s\n", cause ? cause : "?");
	free(cause);
	assert_int_equal(rc, 0);
	assert_true(fill(filler) > 0);

	int submitted = 0, refused = 0, id = 0;
	struct store_batch *held = NULL;
	struct store_stats ss;
	while (submitted < BATCHES) {
		if (!held) {
			held = store_batch_new(on_commit, &w);
			for (int i = 0; i < PER_BATCH; i++) {
				struct observation ob = obs_at(id, 1795773600000 + id);
				id++;
				assert_int_equal(store_batch_add_observation(held, &ob), 0);
			}
			struct store_tail_pos tp = {
				.dev = 1, .ino = 2, .offset = id * 100, .line_no = id, .size = -1
			};
			snprintf(tp.path, sizeof(tp.path), "/events.jsonl");
			assert_int_equal(store_batch_set_tail(held, &tp), 0);
		}
		rc = store_submit(s, held);
		if (rc == VG_EFULL) {
			refused++;
			/* the disk is full: the store waits, nothing fails, nothing commits */
			for (int i = 0; i < 2000; i++) {
				store_stats(s, &ss);
				if (ss.unwritable)
					break;
				usleep(1000);
				uv_run(&loop, UV_RUN_NOWAIT);
			}
			store_stats(s, &ss);
			assert_true(ss.unwritable);
			assert_false(ss.failed);
			assert_int_equal(w.errs, 0);
			break;
		}
		assert_int_equal(rc, 0);
		held = NULL;
		submitted++;
	}
	assert_true(refused > 0);
	assert_true(submitted < BATCHES);
	int committed_while_full = w.commits;
	for (int i = 0; i < 50; i++) {
		usleep(2000);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	store_stats(s, &ss);
	assert_true(ss.unwritable);
	assert_true(ss.full_errors >= 2); /* tried again, full again */
	assert_int_equal(w.commits, committed_while_full);
	assert_int_equal(w.errs, 0);

	/* space returns */
	assert_int_equal(unlink(filler), 0);
	while (submitted < BATCHES) {
		if (!held) {
			held = store_batch_new(on_commit, &w);
			for (int i = 0; i < PER_BATCH; i++) {
				struct observation ob = obs_at(id, 1795773600000 + id);
				id++;
				assert_int_equal(store_batch_add_observation(held, &ob), 0);
			}
		}
		rc = store_submit(s, held);
		if (rc == VG_EFULL) {
			int before = w.space;
			for (int i = 0; i < 200000 && w.space == before; i++)
				uv_run(&loop, UV_RUN_ONCE);
			continue;
		}
		assert_int_equal(rc, 0);
		held = NULL;
		submitted++;
	}
	for (int i = 0; i < 200000 && w.commits < BATCHES; i++)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(w.commits, BATCHES);
	assert_int_equal(w.errs, 0);
	assert_int_equal(w.inserted, (int64_t)BATCHES * PER_BATCH);
	assert_int_equal(w.duplicates, 0);
	store_stats(s, &ss);
	assert_false(ss.unwritable);
	store_close(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	assert_int_equal(count(path, "SELECT count(*) FROM observations"),
	                 (int64_t)BATCHES * PER_BATCH);
	assert_int_equal(count(path, "SELECT count(DISTINCT request_id) FROM observations"),
	                 (int64_t)BATCHES * PER_BATCH);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		/* outside: a user and mount namespace with a small tmpfs, then run again */
		char *dir = tu_mkdtemp("storefull");
		char cmd[2048];
		snprintf(cmd, sizeof(cmd),
		         "unshare -r -m sh -c 'mount -t tmpfs -o size=2m tmpfs \"$1\" && "
		         "exec \"$0\" \"$1\"' '%s' '%s'",
		         argv[0], dir);
		int rc = system(cmd);
		tu_rmtree(dir);
		free(dir);
		if (rc != 0)
			fprintf(stderr,
			        "FAIL: the test under `unshare -r -m` with a tmpfs: status %d "
			        "(unshare missing or refused fails this test, never skips it)\n",
			        rc);
		return rc == 0 ? 0 : 1;
	}
	g_dir = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_disk_waits_and_loses_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
