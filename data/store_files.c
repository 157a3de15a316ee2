/*
 * store_files.c: the database's files are private. A new database is
 * created 0600 (store.c); one that already exists, with its -wal and -shm,
 * may have been created by hand or by another tool with 0644 or 0666: its
 * mode is tightened at open, and the change reported. With store.group the
 * files are 0640 and owned by that group, so consoles run by other members
 * of the group can read what the daemon writes (they open it read-only).
 * SQLite creates -wal and -shm with the database file's mode, so fixing the
 * main file first covers the ones it creates later.
 */
#include "data/store_internal.h"

#include "core/vgerr.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One file: 0600, or 0640 for `gid` (gid (gid_t)-1: no group). A file that
 * does not exist is fine (the -wal before the first write). */
static int secure_one(const char *path, gid_t gid, const char *group, store_log_cb log, void *data,
                      char **cause)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? 0 : VG_EIO;
	mode_t want = gid == (gid_t)-1 ? 0600 : 0640;
	char line[1200];
	if (gid != (gid_t)-1 && st.st_gid != gid) {
		if (chown(path, (uid_t)-1, gid) != 0)
			return vg_cause(cause, VG_EIO,
			                "%s: cannot give it to group '%s' (store.group): %s", path,
			                group, strerror(errno));
		snprintf(line, sizeof(line), "%s: group set to '%s' (store.group)", path, group);
		if (log)
			log(data, line);
	}
	if ((st.st_mode & 07777) != want) {
		if (chmod(path, want) != 0)
			return vg_cause(cause, VG_EIO, "%s: cannot make it private (mode %04o): %s",
			                path, (unsigned)want, strerror(errno));
		snprintf(line, sizeof(line), "%s: mode %04o tightened to %04o", path,
		         (unsigned)(st.st_mode & 07777), (unsigned)want);
		if (log)
			log(data, line);
	}
	return 0;
}

int store__secure_files(const char *path, const char *group, store_log_cb log, void *data,
                        char **cause)
{
	gid_t gid = (gid_t)-1;
	if (group && group[0]) {
		struct group *g = getgrnam(group);
		if (!g)
			return vg_cause(cause, VG_ECONFIG, "store.group: no group named '%s'",
			                group);
		gid = g->gr_gid;
	}
	static const char *const suffix[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		char file[1100];
		snprintf(file, sizeof(file), "%s%s", path, suffix[i]);
		int rc = secure_one(file, gid, group, log, data, cause);
		if (rc)
			return rc;
	}
	return 0;
}
