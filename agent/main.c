/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl-agent: the guest side of the agent channel protocol (agentproto.h).
 *
 * Usage: vnl-agent [--port PATH | --fd N | --connect PATH] [--daemon]
 *                  [--log FILE] [--pid-file FILE] [--verbose]
 *        vnl-agent --nic-reset MAC   (nic.c; a command, no link)
 *
 * The link, by default: the virtio-serial port named AP_PORT_NAME (waited
 * for if the driver has not made it yet).  --port PATH: that character
 * device, with the same host-gone semantics.  --fd N: an already connected
 * stream socket (tests), --connect PATH: a unix stream socket; on these two
 * end of file ends the agent.
 *
 * --daemon: fork, setsid, stdio to /dev/null, messages to the log file
 * (default /run/vnl-agent.log, /tmp/... without /run), pid in the pid file
 * (default /run/vnl-agent.pid, idem).  The pid file is flock'ed for the
 * agent's life, and the port too: a second agent finds either taken, says
 * that one already runs and exits 0.
 *
 * The loop: poll() over the link, a signalfd (SIGCHLD, SIGTERM, SIGINT,
 * SIGHUP) and the channels' descriptors, rebuilt each iteration by the
 * modules (ps_add); then the channels' pumps; then closed channels freed.
 * The timeout is the nearest timer (keepalive, host check, kill grace, PTY
 * linger), or 0 while a pump made progress.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "unixsock.h"

struct ps_entry {
	ps_cb cb;
	void *obj;
	int tag;
};

struct pollset {
	struct pollfd *fds;
	struct ps_entry *ent;
	unsigned n, cap;
};

static struct {
	const char *port, *connect, *log, *pidfile;
	const char *nic_reset; /* --nic-reset MAC: that command, no link */
	int fd;            /* --fd, -1 if not given */
	bool daemon, verbose;
} opt = { .fd = -1 };

static bool stopping;

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void ps_add(struct pollset *ps, int fd, short events, ps_cb cb, void *obj, int tag)
{
	if (ps->n == ps->cap) {
		unsigned cap = ps->cap ? 2 * ps->cap : 64;
		struct pollfd *f = realloc(ps->fds, cap * sizeof(*f));
		struct ps_entry *e;

		if (f == NULL)
			return;
		ps->fds = f;
		e = realloc(ps->ent, cap * sizeof(*e));
		if (e == NULL)
			return;
		ps->ent = e;
		ps->cap = cap;
	}
	ps->fds[ps->n] = (struct pollfd){ .fd = fd, .events = events };
	ps->ent[ps->n++] = (struct ps_entry){ .cb = cb, .obj = obj, .tag = tag };
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: vnl-agent [--port PATH | --fd N | --connect PATH] [--daemon] [--log FILE]\n"
		   "                 [--pid-file FILE] [--verbose]\n"
		   "  (default link: the virtio-serial port named " AP_PORT_NAME ")\n"
		   "  --connect PATH   a unix stream socket; exit at its end\n"
		   "  --daemon         detach; messages to the log file, pid to the pid file\n"
		   "  --fd N           an already connected stream socket; exit at its end\n"
		   "  --log FILE       log file of --daemon (default /run/vnl-agent.log)\n"
		   "  --nic-reset MAC  renegotiate that virtio-net NIC keeping its addresses and\n"
		   "                   routes, then exit (vnld's repair; no link)\n"
		   "  --pid-file FILE  pid file, flock'ed while running (default with --daemon:\n"
		   "                   /run/vnl-agent.pid)\n"
		   "  --port PATH      this virtio-serial character device\n"
		   "  --verbose        debug messages\n"
		   "  --version        print the version\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "connect", required_argument, NULL, 'c' }, { "daemon", no_argument, NULL, 'd' },
		{ "fd", required_argument, NULL, 'f' },      { "help", no_argument, NULL, 'h' },
		{ "log", required_argument, NULL, 'l' },     { "pid-file", required_argument, NULL, 'P' },
		{ "nic-reset", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },    { "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },       { 0 },
	};
	char *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'c': opt.connect = optarg; break;
		case 'd': opt.daemon = true; break;
		case 'f':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 0 || v > 65535) {
				fprintf(stderr, "vnl-agent: --fd: not a descriptor number: '%s'\n", optarg);
				return 2;
			}
			opt.fd = (int)v;
			break;
		case 'h': usage(stdout); exit(0);
		case 'l': opt.log = optarg; break;
		case 'n': opt.nic_reset = optarg; break;
		case 'P': opt.pidfile = optarg; break;
		case 'p': opt.port = optarg; break;
		case 'v': opt.verbose = true; break;
		case 'V': printf("vnl-agent %s\n", VNL_VERSION); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || (!!opt.port + !!opt.connect + (opt.fd >= 0)) > 1) {
		fprintf(stderr, "vnl-agent: at most one of --port, --fd, --connect, and no arguments\n");
		return 2;
	}
	return 0;
}

/* /run/NAME, or /tmp/NAME where /run is missing. */
static const char *run_path(const char *name, char *buf, size_t size)
{
	struct stat st;

	snprintf(buf, size, "%s/%s", stat("/run", &st) == 0 && S_ISDIR(st.st_mode) ? "/run" : "/tmp", name);
	return buf;
}

/* Open and flock the pid file: fd, -EWOULDBLOCK if an agent holds it, -errno. */
static int pidfile_lock(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		fprintf(stderr, "vnl-agent: already running (pid %s, %s), nothing to do\n", buf[0] ? buf : "?", path);
		close(fd);
		return e == EWOULDBLOCK ? -EWOULDBLOCK : -e;
	}
	return fd;
}

static void pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		alog(LOG_W, "writing the pid file: %s, ignoring", strerror(errno));
}

/* fork + setsid + stdio to /dev/null + log file; only the child returns. */
static int daemonize(const char *logpath)
{
	FILE *lf;
	pid_t pid;
	int fd;

	lf = fopen(logpath, "ae");
	if (lf == NULL) {
		fprintf(stderr, "vnl-agent: log file %s: %s\n", logpath, strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "vnl-agent: fork: %s\n", strerror(errno));
		return -errno;
	}
	if (pid > 0)
		_exit(0);
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	log_setup(lf, opt.verbose);
	return 0;
}

/* Descriptors 0..2 open (else a pipe could land there and a child's dup2 clash). */
static void stdio_guard(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* A guest with devtmpfs only: mount devpts so PTY execs work. Best effort. */
static void devpts_guard(void)
{
	struct stat st;

	if (stat("/dev/pts/ptmx", &st) == 0 || geteuid() != 0)
		return;
	mkdir("/dev/pts", 0755);
	if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666") < 0) {
		alog(LOG_W, "mounting devpts on /dev/pts: %s, PTY execs will fail", strerror(errno));
		return;
	}
	if (stat("/dev/ptmx", &st) < 0 && symlink("pts/ptmx", "/dev/ptmx") < 0)
		alog(LOG_W, "/dev/ptmx: %s, ignoring", strerror(errno));
	alog(LOG_I, "mounted devpts on /dev/pts");
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}


/*
 * Open the port (PATH, or found by name, waiting for it) and flock it:
 * fd, 0 when another agent has it (exit quietly), -errno on failure.
 */
static int open_port(int sigfd)
{
	char found[256];
	const char *path = opt.port;
	bool told = false;
	int fd, r;

	while (!path) {
		r = port_find(AP_PORT_NAME, found, sizeof(found));
		if (r == 0) {
			path = found;
			break;
		}
		if (r != -ENOENT) {
			alog(LOG_E, "virtio-serial port %s: %s", AP_PORT_NAME, strerror(-r));
			return r;
		}
		if (!told)
			alog(LOG_I, "waiting for the virtio-serial port %s", AP_PORT_NAME);
		told = true;
		struct pollfd p = { .fd = sigfd, .events = POLLIN };
		if (poll(&p, 1, 1000) > 0) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD && si.ssi_signo != SIGHUP)
				return -EINTR;
		}
	}
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == EBUSY) {
		alog(LOG_I, "%s is busy: another vnl-agent runs, nothing to do", path);
		return 0;
	}
	if (fd < 0) {
		alog(LOG_E, "open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		alog(LOG_I, "%s is locked: another vnl-agent runs, nothing to do", path);
		close(fd);
		return 0;
	}
	alog(LOG_I, "link: %s", path);
	return fd;
}

static void on_signal(void *obj, int tag, short revents)
{
	struct signalfd_siginfo si;
	int *sigfd = obj;

	(void)tag;
	(void)revents;
	while (read(*sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			exec_reap();
		else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			stopping = true;
	}
}

static int loop(int sigfd)
{
	struct pollset ps = { 0 };
	bool busy = false;
	uint64_t now, wake;
	unsigned i;
	int t, t2, n;

	while (!stopping && !link_done()) {
		now = now_ms();
		t = link_tick(now);
		t2 = exec_tick(now);
		t = t2 < t ? t2 : t;
		wake = chan_wake_all();
		if (wake != UINT64_MAX)
			t = wake <= now ? 0 : wake - now < (uint64_t)t ? (int)(wake - now) : t;
		if (busy)
			t = 0;
		ps.n = 0;
		ps_add(&ps, sigfd, POLLIN, on_signal, &sigfd, 0);
		link_poll(&ps);
		chan_poll_all(&ps);
		chan_sweep(); /* link_poll may have ended channels */
		n = poll(ps.fds, ps.n, t);
		if (n < 0 && errno != EINTR) {
			alog(LOG_E, "poll: %s", strerror(errno));
			return 1;
		}
		for (i = 0; n > 0 && i < ps.n; i++)
			if (ps.fds[i].revents)
				ps.ent[i].cb(ps.ent[i].obj, ps.ent[i].tag, ps.fds[i].revents);
		busy = chan_pump_all();
		chan_sweep();
	}
	free(ps.fds);
	free(ps.ent);
	return 0;
}

int main(int argc, char **argv)
{
	char logbuf[64], pidbuf[64];
	int r, sigfd, link_fd, pid_fd = -1;
	enum link_kind kind = LINK_FD;
	sigset_t set;

	r = parse_args(argc, argv);
	if (r)
		return r;
	if (opt.nic_reset)
		return nic_reset_main(opt.nic_reset);
	stdio_guard();
	signal(SIGPIPE, SIG_IGN);
	if (opt.fd >= 0 && fcntl(opt.fd, F_GETFD) < 0) {
		fprintf(stderr, "vnl-agent: --fd %d: %s\n", opt.fd, strerror(errno));
		return 1;
	}
	if (opt.daemon && !opt.pidfile)
		opt.pidfile = run_path("vnl-agent.pid", pidbuf, sizeof(pidbuf));
	if (opt.pidfile) {
		pid_fd = pidfile_lock(opt.pidfile);
		if (pid_fd == -EWOULDBLOCK)
			return 0;
		if (pid_fd < 0) {
			fprintf(stderr, "vnl-agent: pid file %s: %s\n", opt.pidfile, strerror(-pid_fd));
			return 1;
		}
	}
	log_setup(NULL, opt.verbose);
	if (opt.daemon && daemonize(opt.log ? opt.log : run_path("vnl-agent.log", logbuf, sizeof(logbuf))) < 0)
		return 1;
	if (pid_fd >= 0)
		pidfile_write(pid_fd);
	raise_nofile();

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0) {
		alog(LOG_E, "signalfd: %s", strerror(errno));
		return 1;
	}

	if (opt.fd >= 0) {
		link_fd = opt.fd;
		if ((r = set_flags(link_fd)) < 0) {
			alog(LOG_E, "--fd %d: %s", link_fd, strerror(-r));
			return 1;
		}
	} else if (opt.connect) {
		link_fd = unix_connect(opt.connect, SOCK_NONBLOCK);
		if (link_fd < 0) {
			alog(LOG_E, "connect %s: %s", opt.connect, strerror(-link_fd));
			return 1;
		}
	} else {
		kind = LINK_PORT;
		devpts_guard();
		link_fd = open_port(sigfd);
		if (link_fd <= 0)
			return link_fd == 0 || link_fd == -EINTR ? 0 : 1;
	}
	alog(LOG_I, "vnl-agent %s, pid %d", VNL_VERSION, (int)getpid());
	if ((r = link_init(link_fd, kind)) < 0) {
		alog(LOG_E, "link: %s", strerror(-r));
		return 1;
	}
	r = loop(sigfd);
	chan_end_all("the agent exits");
	chan_sweep();
	exec_kill_all();
	if (pid_fd >= 0 && opt.pidfile)
		unlink(opt.pidfile);
	alog(LOG_I, "exiting");
	return r;
}
