/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Agent sessions, client side: what `vnl exec`, `vnl shell`, `vnl cp` and
 * `vnl info` do for a VM node, inside the vnl process (docs/vnld.md, "Where
 * commands run").  vnl connects to vnld's session socket (a "link" of the
 * agent channel protocol, common/agentproto.h) and opens one channel on it
 * per operation; vnld relays the channel to the guest's vnl-agent.  The
 * same calls work on a link straight to a vnl-agent (tests: a socketpair),
 * since the agent ignores the OPEN's target and needs no HELLO for channels.
 *
 * The link is a plain fd (a connected SOCK_STREAM unix socket).  Each call
 * opens one channel, runs it to the end (CLOSE in both directions, or the
 * agent's CLOSE after a normal end) and returns; it reads the link frame by
 * frame and never past the end of the last frame it decodes, so the fd
 * carries no hidden state from one call to the next and may be used for
 * any number of sequential calls, or handed to a forked child for one.
 * Channel ids come from a per-process counter (never 0), so a late frame
 * of an earlier channel is recognised and ignored.  Link frames: PING is
 * answered with PONG, HELLO and PONG are ignored; the client sends no
 * HELLO and no PING (vnld's session socket speaks channels only).
 *
 * Flow control (the header's per-stream credit), as the client applies it:
 * a source (vnl's stdin, a PUT's file) is read only while the agent's
 * credit for it is positive and the link's output queue has room for one
 * more DATA frame; each output stream (stdout, stderr, a GET's file) holds
 * at most one window (AP_WINDOW_INIT bytes, allocated on first use), and a
 * WINDOW is granted once a quarter window has been written to its sink.
 * DATA beyond the credit granted is a channel error (CLOSE -EPROTO).  So a
 * session's memory is bounded by about three windows plus the decoder's
 * frame buffer, whatever the amount of data.
 *
 * Errors (node_kind.h, common/err.h): 0 / negative errno, and `err` (NULL
 * accepted) gets a one-line message naming the node, the side and the path
 * ("copy to vm1:/root/x: open /root/x: No such file or directory").  A CLOSE
 * from the agent or vnld with code < 0 becomes the error, its message from
 * the frame.  The link closing under a session is -ECONNRESET.  Nothing is
 * printed, except by vms_exec() as the exec contract says (the command's
 * own output; a "not found" comes from the agent on the command's stderr).
 *
 * Thread-safety: vnl is single-threaded.  vms_exec() and vms_shell() own the
 * process's signal dispositions and terminal while they run (below), so at
 * most one of them runs at a time in a process; the other calls touch only
 * their arguments, the link and the channel counter (not atomic: one thread
 * per process).
 */
#pragma once

#include "err.h"

/*
 * Connect to the session socket of `lab`.  Returns the fd (SOCK_STREAM,
 * close-on-exec, blocking; the caller closes it), or -ENOTCONN "lab 'x' is
 * not running (...)" when no vnld listens there (no socket, refused),
 * -ENAMETOOLONG for a lab name that does not fit a socket path, another
 * negative errno for other failures (message names the socket).
 */
int vms_connect(const char *lab, struct vnl_err *err);

/*
 * Run argv (argv[0] looked up in PATH in the guest, at most AP_MAX_ARGS
 * strings) on `node` through the link `fd`, with vnl's stdin, stdout and
 * stderr, until the agent's CLOSE.  wait_ms: how long vnld may hold the
 * OPEN while the guest is not ready (0: refuse at once); the client itself
 * gives up with -ETIMEDOUT when no OPENED or CLOSE came wait_ms + 15 s after
 * the OPEN.
 *
 * Returns 0 with *status the command's exit status (the CLOSE code >= 0:
 * 0..255, 128+signal if killed, 127 not found, 126 not executable), or a
 * negative errno when the command did not run or the session broke: the
 * CLOSE's own code < 0 (e.g. -EHOSTDOWN from vnld), -ECONNRESET when the
 * link closed, -EPROTO on a frame that does not parse, -EIO etc. when
 * writing vnl's stdout/stderr failed (the channel is aborted first),
 * -EINTR when a signal came before the command started.
 *
 * Streams: stdin is read only while the agent grants credit; its end of
 * file (or an unreadable stdin, e.g. closed) is sent as EOF.  DATA on
 * STDOUT and STDERR go to fds 1 and 2; every byte received before the CLOSE
 * is written before returning.  EPIPE on fd 1 or 2 (`| head`) aborts the
 * channel (CLOSE: the agent kills the command's process group) and returns
 * 0 with *status 128+SIGPIPE (141), what the shell reports for a local
 * command killed by the broken pipe.  SIGPIPE is ignored while the call
 * runs.
 *
 * flags NODE_EXEC_TTY: the command runs on a PTY in the guest (its stdout
 * carries both outputs).  When stdin is a terminal, it is put in raw mode
 * for the session and restored on every way out (normal end, error, the
 * signals below, a stop by SIGTSTP: restored while stopped, raw again
 * after SIGCONT); rows/cols go in the OPEN and every SIGWINCH sends RESIZE.
 * Without a terminal, -t still asks for a PTY (like `ssh -tt`): the command
 * sees a tty, of the size of fd 1's terminal if it is one, else 24x80.
 * vnl's TERM, when set, is added to the command's environment.  vnl's EOF
 * reaches the PTY as a typed ^D (the agent's doing).
 *
 * Signals received by vnl while the call runs (handlers installed on entry,
 * the previous dispositions restored on return): SIGINT and SIGQUIT are
 * forwarded as SIGNAL frames (the command's process group gets them; its
 * status 128+sig comes back as usual).  SIGTERM and SIGHUP are forwarded
 * the same way without NODE_EXEC_TTY; with it they end the session (CLOSE:
 * the agent kills the process group) and *status is 128+sig, since an
 * interactive shell ignores SIGTERM and vnl must still go away.  Before
 * the command started (no OPENED yet), any of them aborts the OPEN: -EINTR.
 */
int vms_exec(int fd, const char *node, char *const argv[], int flags, unsigned wait_ms, int *status,
	     struct vnl_err *err);

/*
 * `vnl shell NODE`: a login shell (bash -l when the guest has bash, else
 * sh -l) on a PTY, i.e. vms_exec() of /bin/sh -c '...' with NODE_EXEC_TTY.
 */
int vms_shell(int fd, const char *node, unsigned wait_ms, int *status, struct vnl_err *err);

/*
 * Copy `src` to `dst` through the link; to_node != 0: src is a host path
 * and dst a path in the node (absolute), else the reverse.  dst names the
 * copy itself (`cp -T`): callers that mean "into folder D" append the base
 * name first (vnl_cmd_cp does).  Host paths are relative to vnl's cwd.
 *
 * One file (recursive == 0, src must be a file; a symlink is followed):
 * all or nothing.  To the node: PUT with the file's mode (& 07777) and size;
 * the agent writes a temporary file and renames it.  From the node: GET
 * into a temporary file ".NAME.vnl-XXXXXX" next to dst (mkostemp: created
 * with O_EXCL, so a symlink at that name is never followed), checked against
 * the size announced in OPENED, given the announced mode & 0777 & ~umask (no
 * set-id or sticky bit, nothing the umask forbids), then renamed over dst (a
 * symlink at dst is replaced, not followed); on any failure it is removed,
 * so dst is either untouched or complete.  A missing source or destination folder
 * is an error and leaves nothing.
 *
 * recursive != 0: src may also be a folder: dst becomes a copy of the tree
 * (folders are created, or reused when they exist: the trees merge), by
 * MKDIR + PUT walking the host tree (lstat, not following symlinks below
 * src) or LIST + GET + mkdir on the host.  From the node, the guest decides
 * the tree, so the walk is bounded: at most 64 levels (-ELOOP), at most
 * 16 MiB of folder listings held along the path (-E2BIG), names of at most
 * NAME_MAX and host paths under PATH_MAX (-ENAMETOOLONG), each error naming
 * its limit; below dst an existing symlink is never followed (-EEXIST).  Each file is all or nothing; a
 * failure stops the walk and leaves what was copied before it.  Symlinks
 * and special files (fifos, sockets, devices) inside the tree are SKIPPED
 * (the protocol has no op to make them, and following links could leave
 * the tree or loop): the return value counts them, and when it is > 0 the
 * err message names them for the caller's warning while err->code stays 0:
 * "/home/u/t/link" or "vm1:/root/t/link and 2 more" (the first one's path
 * on its side).  A src that is a file is copied as one file.
 *
 * Returns the number of skipped entries (>= 0; always 0 for one file), or
 * a negative errno with "copy to NODE:DST: ..." / "copy from NODE:SRC: ..."
 * and the failing path (host or node side) in the message.
 */
int vms_copy(int fd, const char *node, const char *src, const char *dst, int to_node, int recursive,
	     struct vnl_err *err);

/*
 * The guest's INFO object (hostname, kernel, uptime, interfaces, agent;
 * common/agentproto.h) as JSON text: *json is malloc'ed and NUL-terminated
 * (the caller frees it), NULL on failure.  Text over 1 MiB is -EMSGSIZE.
 */
int vms_info(int fd, const char *node, char **json, struct vnl_err *err);
