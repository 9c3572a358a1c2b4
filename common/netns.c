/* SPDX-License-Identifier: GPL-2.0-only */
/* Named network namespaces like iproute2's: see netns.h. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "wait.h"

int netns_name_check(const char *name, struct vnl_err *err)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > NETNS_NAME_MAX)
		return vnl_errf(err, -EINVAL, "netns name '%s': must have 1 to %d characters",
				name ? name : "", NETNS_NAME_MAX);
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		return vnl_errf(err, -EINVAL, "netns name '%s': only letters, digits, '_', '.', '-' allowed",
				name);
	return 0;
}

static void netns_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", NETNS_RUN_DIR, name);
}

/* Run fn(arg) in a new thread and wait for it: namespace changes die with it. */
static int in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int r;

	r = pthread_create(&t, NULL, fn, arg);
	if (r)
		return -r;
	pthread_join(t, NULL);
	return 0;
}

/* Make /run/netns exist and be a shared mount, like `ip netns add`. */
static int run_dir_prepare(struct vnl_err *err)
{
	int bound = 0;

	if (mkdir("/run", 0755) < 0 && errno != EEXIST)
		return vnl_errno(err, errno, "mkdir /run");
	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return vnl_errno(err, errno, "mkdir %s", NETNS_RUN_DIR);
	/* EINVAL: not a mount point yet; make it one by binding it onto itself. */
	while (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL || bound)
			return vnl_errno(err, errno, "making %s a shared mount", NETNS_RUN_DIR);
		if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
			return vnl_errno(err, errno, "bind-mounting %s onto itself", NETNS_RUN_DIR);
		bound = 1;
	}
	return 0;
}

struct create_job {
	const char *path;   /* file to bind the new namespace onto */
	int code;           /* out: 0 or -errno */
	const char *step;   /* out: the step that failed */
};

static void *create_thread(void *arg)
{
	struct create_job *job = arg;

	if (unshare(CLONE_NEWNET) < 0) {
		job->code = -errno;
		job->step = "unshare(CLONE_NEWNET)";
	} else if (mount("/proc/thread-self/ns/net", job->path, "none", MS_BIND, NULL) < 0) {
		job->code = -errno;
		job->step = "bind-mounting the new namespace";
	}
	return NULL;
}

int netns_create(const char *name, struct vnl_err *err)
{
	char path[sizeof(NETNS_RUN_DIR) + NETNS_NAME_MAX + 2];
	struct create_job job = { .path = path };
	int fd, r;

	r = netns_name_check(name, err);
	if (r < 0)
		return r;
	r = run_dir_prepare(err);
	if (r < 0)
		return vnl_err_wrap(err, "creating netns '%s'", name);
	netns_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		if (errno == EEXIST)
			return vnl_errf(err, -EEXIST, "creating netns '%s': already exists", name);
		return vnl_errno(err, errno, "creating netns '%s': creating %s", name, path);
	}
	close(fd);
	r = in_thread(create_thread, &job);
	if (r == 0 && job.code < 0)
		r = job.code;
	if (r < 0) {
		unlink(path);
		return vnl_errno(err, r, "creating netns '%s': %s", name,
				 job.step ? job.step : "starting a thread");
	}
	return 0;
}

int netns_delete(const char *name, struct vnl_err *err)
{
	char path[sizeof(NETNS_RUN_DIR) + NETNS_NAME_MAX + 2];
	int r;

	r = netns_name_check(name, err);
	if (r < 0)
		return r;
	netns_path(path, sizeof(path), name);
	/* EINVAL: not mounted (half-created by someone else); ENOENT: gone. */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return vnl_errno(err, errno, "deleting netns '%s': unmounting %s", name, path);
	if (unlink(path) < 0 && errno != ENOENT)
		return vnl_errno(err, errno, "deleting netns '%s': removing %s", name, path);
	return 0;
}

int netns_exists(const char *name)
{
	char path[sizeof(NETNS_RUN_DIR) + NETNS_NAME_MAX + 2];
	struct statfs sfs;

	if (netns_name_check(name, NULL) < 0)
		return 0;
	netns_path(path, sizeof(path), name);
	return statfs(path, &sfs) == 0 && sfs.f_type == NSFS_MAGIC;
}

int netns_open(const char *name, struct vnl_err *err)
{
	char path[sizeof(NETNS_RUN_DIR) + NETNS_NAME_MAX + 2];
	int fd, r;

	r = netns_name_check(name, err);
	if (r < 0)
		return r;
	if (!netns_exists(name))
		return vnl_errf(err, -ENOENT, "netns '%s' does not exist", name);
	netns_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vnl_errno(err, errno, "opening netns '%s'", name);
	return fd;
}

struct call_job {
	int netns_fd;            /* in: the namespace to enter */
	int (*fn)(void *arg);    /* in: what to run there */
	void *arg;
	int entered;             /* out: 1 once setns() succeeded */
	int r;                   /* out: fn's return value, or -errno of setns() */
};

static void *call_thread(void *arg)
{
	struct call_job *job = arg;

	if (setns(job->netns_fd, CLONE_NEWNET) < 0) {
		job->r = -errno;
		return NULL;
	}
	job->entered = 1;
	job->r = job->fn(job->arg);
	return NULL;
}

int netns_call(int netns_fd, int (*fn)(void *arg), void *arg, struct vnl_err *err)
{
	struct call_job job = { .netns_fd = netns_fd, .fn = fn, .arg = arg };
	int r;

	if (netns_fd < 0)
		return fn(arg);
	r = in_thread(call_thread, &job);
	if (r < 0)
		return vnl_errno(err, r, "running in a netns: starting a thread");
	if (!job.entered)
		return vnl_errno(err, job.r, "running in a netns: entering the namespace");
	return job.r;
}

/* An fd made by netns_call(): a socket() when path is NULL, else an open() of path. */
struct fd_job {
	int domain, type, protocol;  /* in: socket() arguments */
	const char *path;            /* in: or open() this ... */
	int flags;                   /* ... with these flags */
};

static int fd_make(void *arg)
{
	struct fd_job *job = arg;
	int fd;

	fd = job->path ? open(job->path, job->flags | O_CLOEXEC)
		       : socket(job->domain, job->type | SOCK_CLOEXEC, job->protocol);
	return fd < 0 ? -errno : fd;
}

/* Run job in netns_fd (the caller's own when < 0); what names the fd in errors. */
static int fd_in_netns(int netns_fd, struct fd_job *job, const char *what, struct vnl_err *err)
{
	struct vnl_err own = { 0 };  /* set only by netns_call's own failures */
	int r = netns_call(netns_fd, fd_make, job, &own);

	if (r >= 0)
		return r;
	if (own.code) {
		if (err)
			*err = own;
		return vnl_err_wrap(err, "%s", what), r;
	}
	return vnl_errno(err, r, "%s%s", what, netns_fd < 0 ? "" : " in a netns");
}

int netns_socket(int netns_fd, int domain, int type, int protocol, struct vnl_err *err)
{
	struct fd_job job = { .domain = domain, .type = type, .protocol = protocol };

	return fd_in_netns(netns_fd, &job, "creating a socket", err);
}

int netns_open_path(int netns_fd, const char *path, int flags, struct vnl_err *err)
{
	struct fd_job job = { .path = path, .flags = flags };
	char what[128];

	snprintf(what, sizeof(what), "opening %s", path);
	return fd_in_netns(netns_fd, &job, what, err);
}

/* Until the child pid exits or ms pass: 0 exited, -ETIMEDOUT.  Through its
 * pidfd (wait.h); when none can be had (EMFILE) waitpid(WNOHANG) every
 * 10 ms, which may reap it: then *reaped and *status are set. */
static int wait_child(pid_t pid, int ms, int *status, bool *reaped)
{
	long long deadline = mono_ms() + ms;
	int r = wait_pid(pid, ms);
	pid_t w;

	if (r == 0 || r == -ETIMEDOUT)
		return r;
	for (;;) {
		if ((w = waitpid(pid, status, WNOHANG)) == pid) {
			*reaped = true;
			return 0;
		}
		if (w < 0 && errno != EINTR)
			return 0; /* not ours to wait for: the waitpid after says why */
		if (mono_ms() >= deadline)
			return -ETIMEDOUT;
		wait_ms(10);
	}
}

int netns_run(const char *name, const char *what, int (*fn)(void *arg), void *arg, int timeout_ms,
	      struct vnl_err *err)
{
	int fd, status = 0, child_errno = 0, pipefd[2], r;
	bool reaped = false;
	pid_t pid;
	ssize_t n;

	if (timeout_ms <= 0)
		timeout_ms = NETNS_RUN_MS;
	fd = netns_open(name, err);
	if (fd < 0)
		return fd;
	/* The child reports a failed setns() through this pipe; exec closes it.
	 * Non-blocking: a grandchild that kept the write end must not stall us. */
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
		close(fd);
		return vnl_errno(err, errno, "running %s in netns '%s': pipe", what, name);
	}
	pid = fork();
	if (pid == 0) {
		/* Its own process group: a deadline kills whatever fn started. */
		setpgid(0, 0);
		close(pipefd[0]);
		if (setns(fd, CLONE_NEWNET) < 0) {
			child_errno = errno;
			if (write(pipefd[1], &child_errno, sizeof(child_errno)) < 0)
				_exit(126);
			_exit(127);
		}
		close(fd);
		_exit(fn(arg) & 0xff);
	}
	close(fd);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return vnl_errno(err, errno, "running %s in netns '%s': fork", what, name);
	}
	setpgid(pid, pid); /* as the child does: whichever runs first */
	r = wait_child(pid, timeout_ms, &status, &reaped);
	if (r < 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		/* It dies at once, unless it sleeps in the kernel (D state):
		 * the loop keeps running for NETNS_REAP_MS, then we block. */
		wait_child(pid, NETNS_REAP_MS, &status, &reaped);
	}
	while (!reaped && waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			close(pipefd[0]);
			return vnl_errno(err, errno, "running %s in netns '%s': waitpid", what, name);
		}
	n = read(pipefd[0], &child_errno, sizeof(child_errno));
	close(pipefd[0]);
	if (r == -ETIMEDOUT)
		return vnl_errf(err, -ETIMEDOUT, "running %s in netns '%s': not done within %d ms, killed", what, name,
				timeout_ms);
	if (n == (ssize_t)sizeof(child_errno))
		return vnl_errno(err, child_errno, "running %s in netns '%s': setns", what, name);
	if (WIFSIGNALED(status))
		return vnl_errf(err, -EINTR, "running %s in netns '%s': child killed by signal %d (%s)", what, name,
				WTERMSIG(status), strsignal(WTERMSIG(status)));
	return WEXITSTATUS(status);
}

int netns_enter(int netns_fd, struct vnl_err *err)
{
	int saved;

	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return vnl_errno(err, errno, "entering a netns: opening the current one");
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		int r = -errno;

		close(saved);
		return vnl_errno(err, r, "entering a netns: setns");
	}
	return saved;
}

int netns_leave(int saved, struct vnl_err *err)
{
	int r = 0;

	if (setns(saved, CLONE_NEWNET) < 0)
		r = vnl_errno(err, errno, "returning to the original netns: setns");
	close(saved);
	return r;
}
