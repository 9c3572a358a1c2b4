/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl-agent --nic-reset MAC` (agent.h): the guest's side of vnld's repair
 * of a virtio-net NIC whose vhost-user port lost its features to a switch
 * restart (docs/vnld.md, "A VM NIC that loses its features").  vnld runs it
 * as an ordinary EXEC session of the running agent (argv[0]
 * "/proc/self/exe": the forked child is still the agent), so its waits
 * block a child, never the agent's loop, and the protocol has no op for it.
 *
 * The steps (runs in one guest serialised by a flock on RUN_DIR/lock), on
 * the device interface whose permanent address is MAC (not reset when
 * several match, or when it has a master or upper devices: their
 * unregistering would drop them, and the restore does not rebuild them):
 *   1. save its state: name, up, MTU, its permanent addresses (not IPv6
 *      link-local ones: the kernel makes those) and the unicast routes
 *      through it that the kernel did not make itself (RTPROT_KERNEL, RA,
 *      table local), as netlink messages cut to the attributes that an
 *      add takes back;
 *   2. out of the EXEC's process group (detach: the agent signals it
 *      when the channel ends), unbind and bind its virtio device from
 *      driver virtio_net (the netdev's `device` link): the driver resets
 *      the device and acks its features again, now with the backend there
 *      (111-vm-features); once unbound, bind is always tried, and until it
 *      worked RUN_DIR/MAC names the device: a later run that finds no
 *      interface binds it again (its state is lost then: exit 1);
 *   3. wait for an interface with MAC again (RESET_WAIT_MS); if it came
 *      back under another name and the old one is free, rename it back;
 *   4. restore: MTU, addresses, up, routes (each add NLM_F_REPLACE).
 * Output: one line on stdout, "NAME: renegotiated in N ms; restored ..."
 * and exit 0; or what failed on stderr and exit 1 (2: bad MAC).  A failed
 * restore step does not stop the others (the NIC works again anyway).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"

#define RESET_WAIT_MS 15000u /* the interface must be back within this */
#define SAVED_MAX 64u        /* addresses, routes kept (more are not restored: said so) */
#define NL_BUF 32768u
#define RUN_DIR "/run/vnl-nic-reset" /* the runs' lock; the device of an unbind not bound back */
#define BIND_TRIES 5u
#define BIND_GAP_MS 200u

struct saved {
	char name[IFNAMSIZ];
	int ifindex, mtu;
	bool up;
	struct sockaddr hw;  /* its MAC now: the guest may have changed it from qemu's mac= */
	struct nlmsghdr *addr[SAVED_MAX], *route[SAVED_MAX];
	unsigned n_addr, n_route, skipped;
};

/* s = "aa:bb:cc:dd:ee:ff" (then a newline or the end) is mac. */
static bool mac_eq(const char *s, const char *mac)
{
	return !strncasecmp(s, mac, 17) && (s[17] == '\n' || s[17] == '\0');
}

/* The permanent address of interface name (ETHTOOL_GPERMADDR: the one its
 * driver registered, virtio_net's being qemu's mac=), as "aa:..:ff";
 * falls back to the current address when the driver reports none. */
static void perm_addr(int sk, const char *name, char out[18])
{
	struct {
		struct ethtool_perm_addr p;
		uint8_t data[32];
	} ep = { .p = { .cmd = ETHTOOL_GPERMADDR, .size = 32 } };
	struct ifreq ifr = { 0 };
	char path[300];
	FILE *f;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_data = (void *)&ep;
	if (ioctl(sk, SIOCETHTOOL, &ifr) == 0 && ep.p.size == 6 && memcmp(ep.data, "\0\0\0\0\0\0", 6)) {
		snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", ep.data[0], ep.data[1], ep.data[2], ep.data[3],
			 ep.data[4], ep.data[5]);
		return;
	}
	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", name);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(out, 18, f) == NULL)
			out[0] = '\0';
		fclose(f);
	}
}

/* The device interface (one with a `device` link: not a VLAN or bond on
 * top of it) whose *permanent* address is mac (a bond's ports share its
 * current one): 0 with its name, -ENODEV (none), -ENOTUNIQ (several, named
 * in `name` as "a, b"). */
static int find_by_mac(const char *mac, char name[IFNAMSIZ], char *all, size_t all_size)
{
	DIR *d = opendir("/sys/class/net");
	int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct dirent *e;
	unsigned n = 0;

	if (all_size)
		all[0] = '\0';
	if (d == NULL || sk < 0) {
		int r = -errno;

		if (d)
			closedir(d);
		if (sk >= 0)
			close(sk);
		return r;
	}
	while ((e = readdir(d)) != NULL) {
		char path[512], addr[18];

		if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/device", e->d_name);
		if (access(path, F_OK) < 0)
			continue;
		perm_addr(sk, e->d_name, addr);
		if (!mac_eq(addr, mac))
			continue;
		if (n++ == 0)
			snprintf(name, IFNAMSIZ, "%s", e->d_name);
		if (all_size)
			snprintf(all + strlen(all), all_size - strlen(all), "%s%s", n > 1 ? ", " : "", e->d_name);
	}
	closedir(d);
	close(sk);
	return n == 0 ? -ENODEV : n > 1 ? -ENOTUNIQ : 0;
}

/* Why name must not be reset (its master or upper devices, which its
 * unregistering would drop and the restore does not rebuild) into why:
 * true when so. */
static bool stacked(const char *name, char *why, size_t size)
{
	char path[300], link[PATH_MAX];
	struct dirent *e;
	ssize_t n;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/master", name);
	if ((n = readlink(path, link, sizeof(link) - 1)) > 0) {
		link[n] = '\0';
		snprintf(why, size, "%s is a port of %.*s", name, IFNAMSIZ, strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
		return true;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	if ((d = opendir(path)) == NULL)
		return false;
	while ((e = readdir(d)) != NULL && strncmp(e->d_name, "upper_", 6))
		;
	if (e)
		snprintf(why, size, "%s has upper %.*s", name, IFNAMSIZ, e->d_name + 6);
	closedir(d);
	return e != NULL;
}

/* ---- netlink ---- */

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* The next datagram of the socket into buf (NL_BUF bytes): its length or -errno. */
static int nl_recv(int fd, char *buf)
{
	ssize_t n;

	while ((n = recv(fd, buf, NL_BUF, 0)) < 0 && errno == EINTR)
		;
	return n < 0 ? -errno : (int)n;
}

/* Send one request with NLM_F_ACK; 0 or the kernel's -errno. */
static int nl_do(int fd, struct nlmsghdr *h)
{
	static uint32_t seq;
	char buf[NL_BUF];

	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = ++seq;
	if (send(fd, h, h->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		int n = nl_recv(fd, buf);

		if (n < 0)
			return n;
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, n); m = NLMSG_NEXT(m, n))
			if (m->nlmsg_seq == h->nlmsg_seq && m->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(m))->error;
	}
}

/* keep(m, arg) picks messages of a dump and returns a copy to keep (or NULL). */
typedef struct nlmsghdr *(*nl_keep_fn)(const struct nlmsghdr *m, struct saved *s);

/* Dump `type` (RTM_GETADDR, RTM_GETROUTE) of every family through keep. */
static int nl_dump(int fd, uint16_t type, nl_keep_fn keep, struct saved *s, struct nlmsghdr **out,
		   unsigned *n_out)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req = { .h = { .nlmsg_len = sizeof(req), .nlmsg_type = type, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			 .nlmsg_seq = 1 },
		  .g = { .rtgen_family = AF_UNSPEC } };
	char buf[NL_BUF];

	if (send(fd, &req, sizeof(req), 0) < 0)
		return -errno;
	for (;;) {
		int n = nl_recv(fd, buf);

		if (n < 0)
			return n;
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, n); m = NLMSG_NEXT(m, n)) {
			struct nlmsghdr *c;

			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (m->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(m))->error;
			if ((c = keep(m, s)) == NULL)
				continue;
			if (*n_out < SAVED_MAX)
				out[(*n_out)++] = c;
			else
				free(c), s->skipped++;
		}
	}
}

/* A copy of m's header and fixed part (hdr_len bytes) with only the
 * attributes in `allowed` (a 0-terminated list). */
static struct nlmsghdr *cut_copy(const struct nlmsghdr *m, size_t hdr_len, const unsigned short *allowed)
{
	struct nlmsghdr *c = calloc(1, m->nlmsg_len);
	const struct rtattr *a = (const struct rtattr *)((const char *)NLMSG_DATA(m) + NLMSG_ALIGN(hdr_len));
	int len = (int)m->nlmsg_len - (int)NLMSG_LENGTH(NLMSG_ALIGN(hdr_len));
	size_t at = NLMSG_LENGTH(NLMSG_ALIGN(hdr_len));

	if (c == NULL)
		return NULL;
	memcpy(c, m, at);
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		for (const unsigned short *t = allowed; *t; t++)
			if (a->rta_type == *t) {
				memcpy((char *)c + at, a, a->rta_len);
				at += RTA_ALIGN(a->rta_len);
				break;
			}
	c->nlmsg_len = (uint32_t)at;
	return c;
}

static struct nlmsghdr *keep_addr(const struct nlmsghdr *m, struct saved *s)
{
	static const unsigned short allowed[] = { IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST, IFA_FLAGS, 0 };
	const struct ifaddrmsg *ifa = NLMSG_DATA(m);

	if (m->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != s->ifindex ||
	    (ifa->ifa_family == AF_INET6 && ifa->ifa_scope == RT_SCOPE_LINK))
		return NULL;
	return cut_copy(m, sizeof(*ifa), allowed);
}

/* The route's attribute `type` (NULL when absent). */
static const struct rtattr *rt_attr(const struct nlmsghdr *m, unsigned short type)
{
	const struct rtattr *a = RTM_RTA(NLMSG_DATA(m));
	int len = (int)RTM_PAYLOAD(m);

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == type)
			return a;
	return NULL;
}

static struct nlmsghdr *keep_route(const struct nlmsghdr *m, struct saved *s)
{
	static const unsigned short allowed[] = { RTA_DST,     RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC,
						  RTA_TABLE,   RTA_OIF,     RTA_METRICS,  RTA_PREF, 0 };
	const struct rtmsg *rt = NLMSG_DATA(m);
	const struct rtattr *oif = rt_attr(m, RTA_OIF), *table = rt_attr(m, RTA_TABLE);

	if (m->nlmsg_type != RTM_NEWROUTE || oif == NULL || *(const int *)RTA_DATA(oif) != s->ifindex ||
	    rt->rtm_type != RTN_UNICAST || rt->rtm_protocol == RTPROT_KERNEL || rt->rtm_protocol == RTPROT_RA ||
	    (rt->rtm_flags & RTM_F_CLONED) ||
	    (table ? *(const uint32_t *)RTA_DATA(table) : rt->rtm_table) == RT_TABLE_LOCAL)
		return NULL;
	return cut_copy(m, sizeof(*rt), allowed);
}

/* Add a saved message again on interface ifindex; 0 or -errno. */
static int replay(int fd, struct nlmsghdr *m, uint16_t type, int ifindex)
{
	m->nlmsg_type = type;
	m->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	if (type == RTM_NEWADDR) {
		((struct ifaddrmsg *)NLMSG_DATA(m))->ifa_index = (uint32_t)ifindex;
	} else {
		struct rtattr *oif = (struct rtattr *)rt_attr(m, RTA_OIF);

		if (oif)
			*(int *)RTA_DATA(oif) = ifindex;
	}
	return nl_do(fd, m);
}

/* ---- the interface ---- */

static int if_get(int sk, const char *name, unsigned long req, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
	return ioctl(sk, req, ifr) < 0 ? -errno : 0;
}

static int save(int nl, int sk, const char *name, struct saved *s)
{
	struct ifreq ifr;
	int r;

	snprintf(s->name, sizeof(s->name), "%s", name);
	if ((s->ifindex = (int)if_nametoindex(name)) == 0)
		return -errno;
	if ((r = if_get(sk, name, SIOCGIFFLAGS, &ifr)) < 0)
		return r;
	s->up = ifr.ifr_flags & IFF_UP;
	if ((r = if_get(sk, name, SIOCGIFMTU, &ifr)) < 0)
		return r;
	s->mtu = ifr.ifr_mtu;
	if ((r = if_get(sk, name, SIOCGIFHWADDR, &ifr)) < 0)
		return r;
	s->hw = ifr.ifr_hwaddr;
	if ((r = nl_dump(nl, RTM_GETADDR, keep_addr, s, s->addr, &s->n_addr)) < 0)
		return r;
	return nl_dump(nl, RTM_GETROUTE, keep_route, s, s->route, &s->n_route);
}

/* Write `text` into sysfs file `path`: 0 or -errno. */
static int sysfs_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* RUN_DIR/MAC names the virtio device of an unbind not bound back yet. */
static void remember_path(const char *mac, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", RUN_DIR, mac);
}

/* Bind virtio device dev to virtio_net, a few tries: 0 or the last -errno. */
static int bind_dev(const char *dev)
{
	int r = -EIO;

	for (unsigned i = 0; i < BIND_TRIES && r < 0; i++) {
		if (i)
			usleep(BIND_GAP_MS * 1000);
		r = sysfs_write("/sys/bus/virtio/drivers/virtio_net/bind", dev);
	}
	return r;
}

/* Unbind and bind the virtio device under netdev `name` (its virtio_net
 * driver): once unbound, bind is always tried (BIND_TRIES), and until it
 * worked RUN_DIR/MAC names the device for a later run (unbound_dev). */
static int rebind(const char *name, const char *mac, char *dev, size_t size)
{
	char path[300], link[PATH_MAX], *base;
	ssize_t n;
	int r, fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/device", name);
	if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (strlen(base) >= size || strncmp(base, "virtio", 6))
		return -ENOTSUP;
	memcpy(dev, base, strlen(base) + 1);
	remember_path(mac, path, sizeof(path));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0) {
		if (write(fd, dev, strlen(dev)) < 0)
			unlink(path); /* best effort: only a run after an interrupted one needs it */
		close(fd);
	}
	if ((r = sysfs_write("/sys/bus/virtio/drivers/virtio_net/unbind", dev)) < 0) {
		unlink(path);
		return r;
	}
	if ((r = bind_dev(dev)) == 0)
		unlink(path);
	return r;
}

/* The virtio-net device (type 0x0001) that an interrupted run for mac
 * left without a driver (RUN_DIR/MAC): 0 with its name in dev, or -ENODEV. */
static int unbound_dev(const char *mac, char *dev, size_t size)
{
	char path[300], type[16] = "";
	FILE *f;
	int fd;
	ssize_t n;

	remember_path(mac, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -ENODEV;
	n = read(fd, dev, size - 1);
	close(fd);
	if (n <= 0)
		return -ENODEV;
	dev[n] = '\0';
	if (strchr(dev, '/') || dev[0] == '.')
		return -ENODEV;
	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/device", dev);
	if ((f = fopen(path, "re")) == NULL)
		return -ENODEV;
	if (fgets(type, sizeof(type), f) == NULL)
		type[0] = '\0';
	fclose(f);
	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/driver", dev);
	if (strncmp(type, "0x0001", 6) || access(path, F_OK) == 0)
		return -ENODEV;
	return 0;
}

/* Go on in a child in a session of its own, out of the EXEC's process
 * group that the agent signals (then kills) when the channel ends, with
 * SIGHUP, SIGTERM and SIGPIPE ignored: an unbind is always followed by its
 * bind.  The parent waits and exits with the child's status; returns in
 * the child (or here, when fork fails). */
static void detach(void)
{
	pid_t pid;
	int st;

	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL); /* the child's status is ours */
	fflush(NULL);
	if ((pid = fork()) < 0)
		return;
	if (pid == 0) {
		setsid();
		return;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

/* Serialise the runs in this guest (two resets at once swap kernel names):
 * an exclusive flock on RUN_DIR/lock, held until exit; -errno when there
 * is no lock to take (then the run goes on unserialised). */
static int lock_runs(void)
{
	int fd;

	mkdir("/run", 0755);
	mkdir(RUN_DIR, 0700);
	if ((fd = open(RUN_DIR "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	return fd;
}

/* Wait for an interface with permanent address mac (RESET_WAIT_MS from t0). */
static int wait_back(const char *mac, char now_name[IFNAMSIZ], uint64_t t0)
{
	while (find_by_mac(mac, now_name, NULL, 0) < 0) {
		if (now_ms() - t0 > RESET_WAIT_MS)
			return -ETIMEDOUT;
		usleep(50 * 1000);
	}
	return 0;
}

/* Restore s on the interface now named `name`; failures appended to err. */
static void restore(int nl, int sk, struct saved *s, char name[IFNAMSIZ], char *done, size_t dsize, char *err,
		    size_t esize)
{
	unsigned addrs = 0, routes = 0;
	struct ifreq ifr;
	size_t el = strlen(err);
	int idx, r;

#define FAIL(...) (el += (size_t)snprintf(err + el, el < esize ? esize - el : 0, __VA_ARGS__), el = el < esize ? el : esize)
	if (strcmp(name, s->name) && if_nametoindex(s->name) == 0) {
		if_get(sk, name, SIOCGIFFLAGS, &ifr);
		snprintf(ifr.ifr_newname, IFNAMSIZ, "%s", s->name);
		if (ioctl(sk, SIOCSIFNAME, &ifr) == 0)
			snprintf(name, IFNAMSIZ, "%s", s->name);
		else
			FAIL("; rename %s to %s: %s", name, s->name, strerror(errno));
	}
	idx = (int)if_nametoindex(name);
	/* The device comes back with qemu's MAC: a MAC the guest set goes back
	 * on (while the interface is down, as every driver takes it). */
	if (if_get(sk, name, SIOCGIFHWADDR, &ifr) == 0 && memcmp(ifr.ifr_hwaddr.sa_data, s->hw.sa_data, 6)) {
		ifr.ifr_hwaddr = s->hw;
		if (ioctl(sk, SIOCSIFHWADDR, &ifr) < 0)
			FAIL("; mac: %s", strerror(errno));
	}
	if (if_get(sk, name, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu != s->mtu) {
		ifr.ifr_mtu = s->mtu;
		if (ioctl(sk, SIOCSIFMTU, &ifr) < 0)
			FAIL("; mtu %d: %s", s->mtu, strerror(errno));
	}
	for (unsigned i = 0; i < s->n_addr; i++)
		if ((r = replay(nl, s->addr[i], RTM_NEWADDR, idx)) < 0)
			FAIL("; an address: %s", strerror(-r));
		else
			addrs++;
	if (s->up) {
		if ((r = if_get(sk, name, SIOCGIFFLAGS, &ifr)) == 0) {
			ifr.ifr_flags |= IFF_UP;
			r = ioctl(sk, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
		}
		if (r < 0)
			FAIL("; up: %s", strerror(-r));
	}
	for (unsigned i = 0; i < s->n_route; i++)
		if ((r = replay(nl, s->route[i], RTM_NEWROUTE, idx)) < 0)
			FAIL("; a route: %s", strerror(-r));
		else
			routes++;
	if (s->skipped)
		FAIL("; %u addresses or routes beyond %u not saved", s->skipped, SAVED_MAX);
#undef FAIL
	snprintf(done, dsize, "%s, mtu %d, %u address%s, %u route%s", s->up ? "up" : "down", s->mtu, addrs,
		 addrs == 1 ? "" : "es", routes, routes == 1 ? "" : "s");
}

int nic_reset_main(const char *mac)
{
	char name[IFNAMSIZ], now_name[IFNAMSIZ] = "", dev[64] = "", done[160] = "", err[512] = "", all[128];
	struct saved s = { 0 };
	int nl = -1, sk = -1, r;
	uint64_t t0;

	if (strlen(mac) != 17) {
		fprintf(stderr, "vnl-agent: --nic-reset: not a MAC address: '%s'\n", mac);
		return 2;
	}
	lock_runs();
	r = find_by_mac(mac, name, all, sizeof(all));
	if (r == -ENODEV && unbound_dev(mac, dev, sizeof(dev)) == 0) {
		detach();
		t0 = now_ms();
		if ((r = bind_dev(dev)) < 0 || (r = wait_back(mac, now_name, t0)) < 0) {
			fprintf(stderr, "%s (left unbound by an interrupted repair): binding it again: %s\n", dev,
				strerror(-r));
			return 1;
		}
		remember_path(mac, all, sizeof(all));
		unlink(all);
		fprintf(stderr, "%s: %s renegotiated in %llu ms (bound again: a repair was interrupted after "
				"unbinding it); its addresses and routes were lost, not restored\n",
			now_name, dev, (unsigned long long)(now_ms() - t0));
		return 1;
	}
	if (r == -ENOTUNIQ) {
		fprintf(stderr, "several interfaces have permanent MAC %s (%s): not reset\n", mac, all);
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "no interface has MAC %s: %s\n", mac, strerror(-r));
		return 1;
	}
	if (stacked(name, err, sizeof(err))) {
		fprintf(stderr, "%s: not reset; reboot the guest\n", err);
		return 1;
	}
	if ((nl = nl_open()) < 0 || (sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		fprintf(stderr, "%s: netlink: %s\n", name, strerror(nl < 0 ? -nl : errno));
		r = 1;
		goto out;
	}
	if ((r = save(nl, sk, name, &s)) < 0) {
		fprintf(stderr, "%s: reading its state: %s (nothing done)\n", name, strerror(-r));
		r = 1;
		goto out;
	}
	detach();
	t0 = now_ms();
	if ((r = rebind(name, mac, dev, sizeof(dev))) < 0) {
		fprintf(stderr, "%s: rebinding its virtio device %s: %s\n", name, dev, strerror(-r));
		r = 1;
		goto out;
	}
	if (wait_back(mac, now_name, t0) < 0) {
		fprintf(stderr, "%s: no interface with MAC %s within %u ms of rebinding %s\n", name, mac,
			RESET_WAIT_MS, dev);
		r = 1;
		goto out;
	}
	restore(nl, sk, &s, now_name, done, sizeof(done), err, sizeof(err));
	if (err[0]) {
		fprintf(stderr, "%s: %s renegotiated in %llu ms; restored %s; failed%s\n", now_name, dev,
			(unsigned long long)(now_ms() - t0), done, err);
		r = 1;
	} else {
		printf("%s: %s renegotiated in %llu ms; restored %s\n", now_name, dev,
		       (unsigned long long)(now_ms() - t0), done);
		r = 0;
	}
out:
	for (unsigned i = 0; i < s.n_addr; i++)
		free(s.addr[i]);
	for (unsigned i = 0; i < s.n_route; i++)
		free(s.route[i]);
	if (sk >= 0)
		close(sk);
	if (nl >= 0)
		close(nl);
	return r;
}
