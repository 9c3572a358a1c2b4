/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the host side's handling of frames from a guest, as
 * `vnl info` and `vnl cp` receive them (endpoints/vm_session.c, vm_copy.c): byte 0
 * picks the call (INFO, copy of a file from the guest, copy -r of a folder
 * from the guest: LIST records, GET contents, names chosen by the guest),
 * the rest is what the agent (or vnld) sends on the link.  The link is a
 * socketpair whose far end holds those bytes and then closes; channel ids
 * restart at 1 for every input, so the fuzzer can address the session's
 * channels (a copy -r opens one per entry).  Copies land in a private
 * temporary folder, emptied after each input; nothing may appear beside it.
 * Built and run by run_fuzz.sh.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/socket.h>

#include "../../endpoints/vm_session.c"

static char root[PATH_MAX], dst[PATH_MAX + 8];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void rm_root(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	/* In $TMPDIR: run_fuzz.sh and bench/fuzz remove it even after a crash. */
	snprintf(root, sizeof(root), "%s/vnl-vmsession-fuzz.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(root) == NULL)
		abort();
	atexit(rm_root);
	snprintf(dst, sizeof(dst), "%s/out", root);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnl_err err;
	char *json = NULL;
	int sv[2], r;
	DIR *d;
	struct dirent *e;

	if (size < 1 || size > 200000)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &(int){ 1 << 20 }, sizeof(int));
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	if (size > 1 && write(sv[1], data + 1, size - 1) < 0)
		abort();
	shutdown(sv[1], SHUT_WR); /* the guest says nothing more */
	next_chan = 0;
	switch (data[0] % 3) {
	case 0:
		r = vms_info(sv[0], "fz", &json, &err);
		if ((r == 0) != (json != NULL))
			abort();
		free(json);
		break;
	case 1:
		r = vms_copy(sv[0], "fz", "/etc/hostname", dst, 0, 0, &err);
		break;
	default:
		r = vms_copy(sv[0], "fz", "/srv", dst, 0, 1, &err);
		break;
	}
	if (r < 0 && err.msg[0] == '\0')
		abort(); /* every failure says why */
	close(sv[0]);
	close(sv[1]);
	/* Only dst may have appeared in root. */
	d = opendir(root);
	if (d == NULL)
		abort();
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "out"))
			abort();
	closedir(d);
	nftw(dst, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
