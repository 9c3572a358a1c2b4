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
#include <unistd.h>

#include "term.h"
#include "unixsock.h"
#include "vm_priv.h"

#define VM_CONSOLE_ESCAPE 0x1d /* Ctrl-] */

int vm_console(struct node_ctx *node, int *status, struct vnl_err *err)
{
	struct vm_paths p;
	bool tty, done = false;
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
	tty = term_raw(0) > 0;
	/* A carriage return makes the guest print its prompt again. */
	term_write(fd, "\r", 1);
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
			if (n <= 0 || term_write(1, buf, (size_t)n) < 0)
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
			if (n > 0 && term_write(fd, buf, (size_t)n) < 0)
				done = true;
		}
	}
	if (tty)
		term_restore();
	close(fd);
	fprintf(stderr, "\nLeft the console of %s.\n", node->name);
	*status = 0;
	return 0;
}
