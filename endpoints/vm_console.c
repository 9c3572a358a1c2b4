/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl console NODE` for VMs: the guest's serial console (ttyS0) on the
 * caller's terminal, through qemu's ttyS0 socket (vm.h).  The terminal is
 * raw, so every key goes to the guest; Ctrl-] (VM_CONSOLE_ESCAPE) leaves.
 * qemu serves one console client at a time: a second one waits for the
 * first to leave.  Runs in the vnl process.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "vm_priv.h"
#include "unixsock.h"

#define VM_CONSOLE_ESCAPE 0x1d /* Ctrl-] */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		buf += n, len -= (size_t)n;
	}
	return 0;
}

int vm_console(struct node_ctx *node, int *status, struct vnl_err *err)
{
	struct termios saved, raw;
	struct vm_paths p;
	bool tty = isatty(0), done = false;
	char buf[4096];
	int fd;

	vm_paths(node->lab, node->name, &p);
	if (vm_qemu_pid(&p) <= 0)
		return vnl_errf(err, -EHOSTDOWN, "vm %s is not running (vnl reboot %s starts it)", node->name,
				node->name);
	fd = unix_connect(p.ttys0, 0);
	if (fd < 0)
		return vnl_errno(err, fd, "console of %s: %s", node->name, p.ttys0);
	fprintf(stderr, "Console of %s (ttyS0). Leave with Ctrl-].\r\n", node->name);
	if (tty && tcgetattr(0, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	} else {
		tty = false;
	}
	/* A carriage return makes the guest print its prompt again. */
	write_all(fd, "\r", 1);
	while (!done) {
		struct pollfd pfd[2] = { { .fd = 0, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0 || write_all(1, buf, (size_t)n) < 0)
				done = true; /* qemu went away */
		}
		if (pfd[0].revents && !done) {
			char *esc;

			n = read(0, buf, sizeof(buf));
			if (n <= 0)
				break; /* end of our input: leave, the guest goes on */
			esc = memchr(buf, VM_CONSOLE_ESCAPE, (size_t)n);
			if (esc)
				n = esc - buf, done = true;
			if (n > 0 && write_all(fd, buf, (size_t)n) < 0)
				done = true;
		}
	}
	if (tty)
		tcsetattr(0, TCSANOW, &saved);
	close(fd);
	fprintf(stderr, "\nLeft the console of %s.\n", node->name);
	*status = 0;
	return 0;
}
