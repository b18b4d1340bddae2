/* The generations in a database directory (store.h): reading and
 * switching the current link, removing generations no longer in service. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_priv.h"

/* gen-N the current link points at: N, or -ENOENT. */
int current_gen(const char *dir, unsigned long *gen)
{
	char path[PATH_MAX], target[64];
	ssize_t n;
	char *end;

	snprintf(path, sizeof(path), "%s/" CURRENT_LINK, dir);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (strncmp(target, GEN_PREFIX, strlen(GEN_PREFIX)))
		return -EBADMSG;
	errno = 0;
	*gen = strtoul(target + strlen(GEN_PREFIX), &end, 10);
	if (errno || *end)
		return -EBADMSG;
	return 0;
}

int rm_tree(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		unlink(sub);
	}
	closedir(d);
	return rmdir(path) < 0 ? -errno : 0;
}

/* Remove every gen-N other than keep (leftovers of crashed or replaced
 * generations). Readers that still map an old one keep working: the files
 * live on until they unmap them. */
void remove_other_gens(const char *dir, unsigned long keep)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		unsigned long g;

		if (strncmp(de->d_name, GEN_PREFIX, strlen(GEN_PREFIX)))
			continue;
		g = strtoul(de->d_name + strlen(GEN_PREFIX), &end, 10);
		if (*end || g == keep)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rm_tree(path);
	}
	closedir(d);
}

int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Point DIR/current at gen-N atomically: symlink beside it, rename over. */
int publish(const char *dir, unsigned long gen)
{
	char tmp[PATH_MAX], link[PATH_MAX], target[64];
	int rc;

	snprintf(target, sizeof(target), GEN_PREFIX "%lu", gen);
	snprintf(tmp, sizeof(tmp), "%s/" CURRENT_LINK ".tmp", dir);
	snprintf(link, sizeof(link), "%s/" CURRENT_LINK, dir);
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return -errno;
	if (rename(tmp, link) < 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	/* Published: a failing directory fsync now only risks durability of
	 * the switch, never consistency, so it must not undo the generation. */
	fsync_dir(dir);
	return 0;
}
