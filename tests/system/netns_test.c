/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: named namespaces from common/netns.c are real, iproute2 sees
 * them (and we see iproute2's), the calling thread never changes namespace,
 * errors carry a message, and nothing is left behind. netns_run's wait is
 * bounded: a child that sleeps past its deadline is killed with what it
 * started (its process group), and the caller gets -ETIMEDOUT naming the
 * command and the timeout within the bound; when no pidfd can be had
 * (pidfd_open refused by a seccomp filter) the child is polled (not
 * killed) and its status comes back.
 */
#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "clock.h"
#include "sys.h"
#include "wait.h"

/* CPU time of this process so far, ms. */
static long cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static ino_t ns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static ino_t fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/* Runs in the namespace: 42 if we are in the one whose inode is *arg. */
static int check_inside(void *arg)
{
	return ns_ino("/proc/self/ns/net") == *(ino_t *)arg ? 42 : 1;
}

/* Runs in the namespace and hangs: a grandchild (its pid written to the
 * pipe *arg) and this child both sleep 30 s. */
static int hang(void *arg)
{
	pid_t g = fork();

	if (g == 0) {
		g = getpid();
		if (write(*(int *)arg, &g, sizeof(g)) != sizeof(g))
			_exit(1);
		execlp("sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	sleep(30);
	return 0;
}

/* Runs in the namespace: 42 after 200 ms. */
static int slow42(void *arg)
{
	(void)arg;
	usleep(200000);
	return 42;
}

/* With no pidfd to be had (pidfd_open fails with EMFILE: a seccomp filter
 * in a forked copy of this test), the wait polls: the child is not killed,
 * its status comes back, and little CPU goes by. */
static void test_run_no_pidfd(const char *name)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pidfd_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EMFILE),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	long long res[4] = { -1, -1, -1, -1 };
	int p[2], st;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		ok(0, "pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct vnl_err err = { 0 };
		long long t0;
		long cpu;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
			_exit(2);
		res[0] = wait_pidfd(getpid());
		t0 = mono_ms();
		cpu = cpu_ms();
		res[1] = netns_run(name, "slow42", slow42, NULL, 5000, &err);
		res[3] = cpu_ms() - cpu;
		res[2] = mono_ms() - t0;
		_exit(write(p[1], res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], res, sizeof(res)) != sizeof(res))
		res[0] = -1;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	ok(res[0] == -EMFILE, "pidfd_open refused (%lld)", res[0]);
	ok(res[1] == 42, "without a pidfd the child is polled, not killed: its status comes back (%lld)", res[1]);
	ok(res[2] >= 200 && res[3] < 100, "... after %lld ms, with %lld ms of CPU (no busy loop)", res[2], res[3]);
}

/* A hung command in a netns: killed at the deadline, with its grandchild. */
static void test_run_deadline(const char *name)
{
	struct vnl_err err = { 0 };
	int p[2], r;
	long long t0, took;
	pid_t g = 0;

	if (pipe2(p, O_CLOEXEC) < 0) {
		ok(0, "pipe");
		return;
	}
	t0 = mono_ms();
	r = netns_run(name, "'sleep 30'", hang, &p[1], 300, &err);
	took = mono_ms() - t0;
	ok(r == -ETIMEDOUT && strstr(err.msg, "'sleep 30'") && strstr(err.msg, "300 ms") && strstr(err.msg, name),
	   "a child sleeping past 300 ms -> -ETIMEDOUT: %s", err.msg);
	/* 300 ms, plus a kill and a reap; a loaded host gets 2 s of slack. */
	ok(took >= 300 && took < 2300, "... returned after %lld ms", took);
	close(p[1]);
	r = read(p[0], &g, sizeof(g)) == sizeof(g) && g > 0 && wait_pid(g, 2000) == 0;
	ok(r, "... its grandchild (pid %d, same process group) was killed too", (int)g);
	if (!r && g > 0)
		kill(g, SIGKILL);
	close(p[0]);
	r = netns_run(name, "'true'", check_inside, &(ino_t){ 0 }, 0, &err);
	ok(r == 1, "the default deadline lets a quick child finish (%d)", r);
}

int main(void)
{
	char name[32], ipname[32], path[128], longname[80];
	struct vnl_err err = { 0 };
	ino_t self, nsino;
	int fd, sock, nsfd, saved, r;

	sys_init();
	sys_name(name, sizeof(name), "ns");
	sys_name(ipname, sizeof(ipname), "ip");
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	self = ns_ino("/proc/thread-self/ns/net");

	ok(!netns_exists(name), "netns %s absent at start", name);
	r = netns_create(name, &err);
	ok(r == 0, "netns_create -> %d (%s)", r, err.msg);
	ok(netns_exists(name), "netns_exists after create");
	ok(ns_ino("/proc/thread-self/ns/net") == self, "calling thread's namespace unchanged");
	nsino = ns_ino(path);
	ok(nsino && nsino != self, "%s holds another namespace", path);
	ok(sh("ip netns list | grep -q '^%s\\( \\|$\\)'", name) == 0, "ip netns list shows it");
	ok(sh("ip netns exec %s ip -j link show | jq -e 'length == 1 and .[0].ifname == \"lo\"' >/dev/null",
	      name) == 0, "ip netns exec runs inside: only lo");

	vnl_err_clear(&err);
	r = netns_create(name, &err);
	ok(r == -EEXIST && strstr(err.msg, name) && strstr(err.msg, "already exists"),
	   "duplicate -> -EEXIST: %s", err.msg);
	ok(netns_exists(name), "failed duplicate left the original alone");

	fd = netns_open(name, &err);
	ok(fd >= 0 && fd_ino(fd) == nsino, "netns_open gives the namespace");

	r = netns_run(name, "check_inside", check_inside, &nsino, 5000, &err);
	ok(r == 42, "netns_run runs fn inside and returns its status (%d)", r);
	test_run_deadline(name);
	test_run_no_pidfd(name);

	sock = netns_socket(fd, AF_INET, SOCK_DGRAM, 0, &err);
	nsfd = sock >= 0 ? ioctl(sock, SIOCGSKNS) : -1;
	ok(sock >= 0 && fd_ino(nsfd) == nsino, "netns_socket makes a socket in the namespace");
	ok(ns_ino("/proc/thread-self/ns/net") == self, "calling thread's namespace still unchanged");
	if (nsfd >= 0)
		close(nsfd);
	if (sock >= 0)
		close(sock);

	saved = netns_enter(fd, &err);
	ok(saved >= 0 && ns_ino("/proc/thread-self/ns/net") == nsino, "netns_enter moves this thread");
	r = saved >= 0 ? netns_leave(saved, &err) : -1;
	ok(r == 0 && ns_ino("/proc/thread-self/ns/net") == self, "netns_leave moves it back");
	if (fd >= 0)
		close(fd);

	/* The other direction: iproute2 creates, we see and delete. */
	ok(sh("ip netns add %s", ipname) == 0, "ip netns add %s", ipname);
	ok(netns_exists(ipname), "netns_exists sees iproute2's namespace");
	ok(netns_delete(ipname, &err) == 0, "netns_delete removes it");
	ok(sh("ip netns list | grep -q '^%s\\( \\|$\\)'", ipname) != 0, "ip netns list no longer shows it");

	/* Bad input: every error says what is wrong. */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[NETNS_NAME_MAX + 1] = '\0';
	{
		const char *bad[] = { "", "a/b", "..", ".", "a b", "x;rm", longname };

		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			vnl_err_clear(&err);
			r = netns_create(bad[i], &err);
			ok(r == -EINVAL && err.msg[0], "bad name '%.20s' -> -EINVAL: %s", bad[i], err.msg);
		}
	}
	ok(netns_create(NULL, &err) == -EINVAL, "NULL name -> -EINVAL");
	vnl_err_clear(&err);
	r = netns_open("vt-missing-ns", &err);
	ok(r == -ENOENT && strstr(err.msg, "vt-missing-ns"), "open missing -> -ENOENT: %s", err.msg);
	r = netns_run("vt-missing-ns", "check_inside", check_inside, &nsino, 0, &err);
	ok(r == -ENOENT, "run in missing -> -ENOENT");
	ok(netns_enter(-1, &err) == -EBADF, "enter bad fd -> -EBADF: %s", err.msg);
	ok(ns_ino("/proc/thread-self/ns/net") == self, "failed enter left this thread alone");

	r = netns_delete(name, &err);
	ok(r == 0, "netns_delete -> %d", r);
	ok(!netns_exists(name) && access(path, F_OK) != 0, "gone: no namespace, no file");
	ok(sh("ip netns list | grep -q '^%s\\( \\|$\\)'", name) != 0, "ip netns list no longer shows it");
	ok(netns_delete(name, &err) == 0, "netns_delete again: idempotent");

	sys_cleanup();
	ok(sys_leftovers_settled() == 0, "nothing with prefix %s left", sys_pfx);
	return tap_done();
}
