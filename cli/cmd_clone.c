#include "cli/jobs.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

static const char help[] = "Usage: udocker clone [--name=NAME] CONTAINER\n"
			   "\n"
			   "Copies a container (root and control files) into a new one and prints\n"
			   "its id. An image-backed container's copy shares its image file and\n"
			   "gets a copy of its changes.\n";

UD_CMD(clone)
{
	const char *name = NULL;
	struct ud_opt opts[] = {{"--name", UD_OPT_VALUE, &name}, {0}};
	const struct ud_cli_grammar g = {
		.opts = opts, .help = help, .min = 1, .max = 1, .expected = "one CONTAINER"};
	UD_CLI_PARSE(&g, pos);
	struct ud_error *err = NULL;
	struct ud_container *taken = name ? ud_store_container_get(cli->store, name, NULL) : NULL;
	if (taken) {
		ud_store_container_free(taken);
		ud_cli_error("container name already exists: %s", name);
		return 1;
	}
	struct ud_container *c = ud_store_container_get(cli->store, pos[0], &err);
	if (c == NULL)
		return ud_cli_fail(err);
	bool squash = c->rootfs == UD_ROOTFS_SQUASH;
	ud_store_container_free(c);
	if (squash) {
		/* Its metadata and its changes; the image file is shared. */
		char *nid = ud_store_container_clone_squash(cli->store, pos[0], &err);
		int rc = nid ? 0 : ud_cli_fail(err);
		if (rc == 0 && name && ud_store_container_name(cli->store, nid, name, &err) < 0)
			rc = ud_cli_fail(err);
		if (rc == 0)
			printf("%s\n", nid);
		free(nid);
		return rc;
	}
	_cleanup_free_ char *tmpdir = ud_mkdtemp(cli->conf.tmpdir, "clone", &err);
	if (tmpdir == NULL) {
		return ud_cli_fail(err);
	}
	_cleanup_free_ char *tar = ud_path_join(tmpdir, "container.tar");
	int fd = open(tar, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = 0;
	char *id = NULL;
	if (fd < 0 || ud_store_container_export(cli->store, pos[0], true, fd, &err) < 0)
		rc = fd < 0 ? (ud_cli_error("clone: %s", strerror(errno)), 1) : ud_cli_fail(err);
	if (fd >= 0)
		close(fd);
	if (rc == 0 && (id = ud_store_container_import(cli->store, tar, true, NULL, &err)) == NULL)
		rc = ud_cli_fail(err);
	if (rc == 0 && name && ud_store_container_name(cli->store, id, name, &err) < 0)
		rc = ud_cli_fail(err);
	if (rc == 0)
		printf("%s\n", id);
	free(id);
	ud_rmtree(tmpdir, NULL);
	return rc;
}
