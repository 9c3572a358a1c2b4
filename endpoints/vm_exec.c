/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl exec` and `vnl shell` on a VM (vm_session.h): one channel whose
 * source is vnl's stdin and whose sinks are its stdout and stderr, with
 * vnl's signals forwarded to the command and, for -t, vnl's terminal raw
 * (common/term.h) and its size sent as RESIZE.  The channel itself runs in
 * the engine (vm_session.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node_kind.h"
#include "vm_session.h"
#include "vm_session_priv.h"

#define SHELL_CMD "if command -v bash >/dev/null; then exec bash -l; else exec sh -l; fi"

/* The terminal's size now, 24x80 when unknown. */
static void tty_size(struct vms_tty *t)
{
	struct winsize ws;

	if (t->size_fd >= 0 && term_size(t->size_fd, &ws) == 0 && ws.ws_row && ws.ws_col) {
		t->rows = ws.ws_row;
		t->cols = ws.ws_col;
	} else {
		t->rows = 24;
		t->cols = 80;
	}
}

/* The size of stdin's terminal, else stdout's, else 24x80. */
static void tty_init(struct vms_tty *t)
{
	*t = (struct vms_tty){ .size_fd = isatty(0) ? 0 : isatty(1) ? 1 : -1 };
	tty_size(t);
}

/* The terminal's signals in an exec -t: a new size, or a stop (^Z). */
static bool tty_signal(struct sess *s, int sig)
{
	if (sig == SIGTSTP)
		term_stop();  /* stop as SIGTSTP would have, the terminal given back meanwhile */
	else if (sig != SIGWINCH)
		return false;
	tty_size(s->tty);
	s->resize_pending = true;
	return true;
}

int vms_exec(int fd, const char *node, char *const argv[], int flags, unsigned wait_ms, int *status,
	     struct vnl_err *err)
{
	static const int sig_list[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP };
	struct ap_open o = { .op = AP_OP_EXEC, .wait_ms = wait_ms, .target = node };
	char term[256];
	const char *env[1];
	struct sess *s;
	struct vms_sigs g;
	struct vms_tty t;
	int r;

	vnl_err_clear(err);
	while (argv[o.argc])
		o.argc++;
	if (o.argc == 0)
		return vnl_errf(err, -EINVAL, "exec on %s: empty command", node);
	o.argv = (const char *const *)argv;
	if (!(s = vms_sess_new(fd, AP_OP_EXEC)))
		return vnl_errf(err, -ENOMEM, "exec on %s: out of memory", node);
	if (flags & NODE_EXEC_TTY) {
		tty_init(&t);
		s->tty = &t;
		s->on_signal = tty_signal;
		o.flags = AP_OPEN_PTY;
		o.rows = t.rows;
		o.cols = t.cols;
		if (getenv("TERM") && getenv("TERM")[0]) {
			snprintf(term, sizeof(term), "TERM=%s", getenv("TERM"));
			env[0] = term;
			o.env = env;
			o.envc = 1;
		}
	}
	if ((r = vms_sess_open(s, &o)) < 0) {
		vms_sess_free(s);
		return vnl_errf(err, r, "exec on %s: %s", node,
				r == -EMSGSIZE ? "command line too long" : "invalid command (an empty argument?)");
	}
	s->src_fd = 0;
	vms_sink_fd(s, AP_STDOUT, 1);
	vms_sink_fd(s, AP_STDERR, 2);
	s->sig_fwd = 1ull << SIGINT | 1ull << SIGQUIT;
	if (!s->tty)
		s->sig_fwd |= 1ull << SIGTERM | 1ull << SIGHUP;
	s->sig_status = true;
	/* SIGWINCH and SIGTSTP only matter with a PTY (5 and 6 of the list). */
	if ((r = vms_sigs_install(&g, sig_list, s->tty ? 6 : 4)) < 0) {
		vms_sess_free(s);
		return vnl_errno(err, r, "exec on %s: pipe", node);
	}
	s->sigs = &g.pipe;
	if (s->tty)
		term_raw(0);
	r = vms_sess_run(s);
	if (s->tty)
		term_restore();
	vms_sigs_restore(&g);
	if (s->fail_status >= 0) {  /* broken pipe, or -t ended by a signal */
		*status = s->fail_status;
		r = 0;
	} else if (r < 0 || s->fail) {
		r = vnl_errf(err, r < 0 ? r : s->fail, "exec on %s: %s", node, s->fail_msg);
	} else if (s->code < 0) {
		r = vnl_errf(err, s->code, "exec on %s: %s", node, s->msg[0] ? s->msg : strerror(-s->code));
	} else {
		*status = s->code;
	}
	vms_sess_free(s);
	return r;
}

int vms_shell(int fd, const char *node, unsigned wait_ms, int *status, struct vnl_err *err)
{
	char *const argv[] = { "/bin/sh", "-c", SHELL_CMD, NULL };

	return vms_exec(fd, node, argv, NODE_EXEC_TTY, wait_ms, status, err);
}
