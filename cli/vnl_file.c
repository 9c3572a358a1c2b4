/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verbs of topology files and whole labs: deploy (vnld reads the file
 * itself, so vnl sends its absolute path), save (vnld sends the text, vnl
 * writes it atomically) and destroy.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vnl.h"
#include "vnl_client.h"
#include "vnl_print.h"

/* Print each string of reply's array key as "label: string"; how many. */
static size_t print_list(struct json_object *reply, const char *key, const char *label)
{
	struct json_object *a = vnl_jarr(reply, key);
	size_t n = a ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++)
		printf("%s: %s\n", label, json_object_get_string(json_object_array_get_idx(a, i)));
	return n;
}

int vnl_cmd_deploy(struct vnl_cli *cli, int argc, char **argv)
{
	struct json_object *req, *reply;
	char path[PATH_MAX];
	struct vnl_err err;
	size_t n;
	int r = vnl_args(cli, argc, argv, 1, 1);

	if (r >= 0)
		return r;
	if (realpath(argv[optind], path) == NULL)
		return vnl_fail("%s: %s", argv[optind], strerror(errno));
	if (vnl_lab_ensure(cli->lab, &err) < 0)
		return vnl_fail("%s", err.msg);
	req = vnl_req("deploy");
	json_object_object_add(req, "file", json_object_new_string(path));
	r = vnl_call(cli->lab, req, VNL_TIMEOUT_LONG, &reply, &err);
	json_object_put(req);
	if (r < 0)
		return vnl_fail("%s", err.msg);
	if (cli->json) {
		vnl_print_json(reply);
	} else {
		n = print_list(reply, "created", "created");
		n += print_list(reply, "differs", "differs");
		n += print_list(reply, "extra", "extra");
		if (n == 0)
			printf("lab '%s' already matches %s\n", cli->lab, argv[optind]);
	}
	json_object_put(reply);
	return VNL_EXIT_OK;
}

/* Write text to path through a temporary file in the same folder, synced. */
static int write_atomic(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	size_t done = 0;
	int fd, e = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (done < len && e == 0) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno != EINTR)
			e = errno;
		else if (w > 0)
			done += (size_t)w;
	}
	if (e == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		e = errno;
	if (close(fd) < 0 && e == 0)
		e = errno;
	if (e == 0 && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return -e;
	}
	return 0;
}

int vnl_cmd_save(struct vnl_cli *cli, int argc, char **argv)
{
	struct json_object *req, *reply, *topo;
	const char *file;
	int r = vnl_args(cli, argc, argv, 1, 1);

	if (r >= 0)
		return r;
	file = argv[optind];
	req = vnl_req("save");
	if ((r = vnl_ask(cli, req, VNL_TIMEOUT, &reply)) >= 0)
		return r;
	if (!json_object_object_get_ex(reply, "topology", &topo) || !json_object_is_type(topo, json_type_string)) {
		json_object_put(reply);
		return vnl_fail("vnld's save reply has no topology text");
	}
	if (strcmp(file, "-") == 0) {
		fwrite(json_object_get_string(topo), 1, (size_t)json_object_get_string_len(topo), stdout);
		r = fflush(stdout) == 0 ? 0 : -errno;
	} else {
		r = write_atomic(file, json_object_get_string(topo), (size_t)json_object_get_string_len(topo));
		if (r == 0 && !cli->json)
			printf("saved lab '%s' to %s\n", cli->lab, file);
	}
	json_object_put(reply);
	if (r < 0)
		return vnl_fail("writing %s: %s", strcmp(file, "-") ? file : "stdout", strerror(-r));
	return VNL_EXIT_OK;
}

int vnl_cmd_destroy(struct vnl_cli *cli, int argc, char **argv)
{
	struct json_object *req, *reply, *removed;
	struct vnl_err err;
	int r = vnl_args(cli, argc, argv, 0, 0);

	if (r >= 0)
		return r;
	req = vnl_req("destroy");
	r = vnl_call(cli->lab, req, VNL_TIMEOUT_LONG, &reply, &err);
	json_object_put(req);
	if (r == -ENOTCONN) {
		if (!cli->json)
			printf("lab '%s' is not running: nothing to destroy\n", cli->lab);
		return VNL_EXIT_OK;
	}
	if (r < 0)
		return vnl_fail("%s", err.msg);
	if (cli->json) {
		vnl_print_json(reply);
	} else {
		if (!json_object_object_get_ex(reply, "removed", &removed))
			removed = NULL;
		long long n = vnl_jint(removed, "nodes", 0), l = vnl_jint(removed, "lans", 0);
		long long k = vnl_jint(removed, "links", 0);

		printf("removed %lld node%s, %lld LAN%s, %lld link%s\n", n, n == 1 ? "" : "s", l,
		       l == 1 ? "" : "s", k, k == 1 ? "" : "s");
	}
	json_object_put(reply);
	return VNL_EXIT_OK;
}
