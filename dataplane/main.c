/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl-switchd: parse the options, start DPDK's EAL, create the packet pool,
 * the MAC table and the workers, serve the control socket until SIGTERM or
 * SIGINT, then stop cleanly: workers joined, captures ended, ports closed
 * (vhost server sockets removed, XDP programs detached), control socket
 * removed and its loop freed last. The EAL
 * runs --in-memory, so no hugepage or runtime file outlives the process even
 * after a crash.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_version.h>

#include "capture.h"
#include "config.h"
#include "control.h"
#include "dp_log.h"
#include "impair.h"
#include "offload.h"
#include "port.h"
#include "registry.h"
#include "snapshot.h"
#include "worker.h"

struct rte_mempool *vnl_pktmbuf_pool;
uint16_t vnl_max_frame;

static int log_level_of(const char *s)
{
	static const char *const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };

	for (int i = 0; i < 8; i++)
		if (strcmp(s, names[i]) == 0)
			return i + 1;
	return -1;
}

/* The EAL's arguments: our cores, no PCI, no shared files, then the user's. */
static char **eal_args(const char *argv0, int *argc)
{
	static char lcores[512], main_core[16], mem[32];
	char **a = calloc((size_t)cfg.eal_extra_argc + 16, sizeof(char *));
	size_t off;
	int n = 0;

	if (a == NULL)
		return NULL;
	off = (size_t)snprintf(lcores, sizeof(lcores), "--lcores=%u@%u", cfg.main_core, cfg.main_core);
	for (unsigned i = 0; i < cfg.nb_workers && off < sizeof(lcores); i++)
		off += (size_t)snprintf(lcores + off, sizeof(lcores) - off, ",%u@%u", cfg.worker_lcores[i],
					cfg.worker_cpus[i]);
	snprintf(main_core, sizeof(main_core), "%u", cfg.main_core);
	a[n++] = (char *)argv0;
	a[n++] = lcores;
	a[n++] = "--main-lcore";
	a[n++] = main_core;
	/* --in-memory is --no-shconf plus unlinked hugepage files; DPDK refuses
	 * it with --no-huge (which implies legacy memory), and without
	 * hugepages --no-shconf alone leaves no file behind. */
	a[n++] = cfg.no_huge ? "--no-shconf" : "--in-memory";
	a[n++] = "--no-pci";
	a[n++] = "--no-telemetry";
	a[n++] = "--log-level=lib.eal:notice";
	a[n++] = "--log-level=lib.vhost.config:warning"; /* we log connects and disconnects */
	if (cfg.no_huge)
		a[n++] = "--no-huge";
	if (cfg.mem_mb) {
		snprintf(mem, sizeof(mem), "%u", cfg.mem_mb);
		a[n++] = "-m";
		a[n++] = mem;
	}
	for (int i = 0; i < cfg.eal_extra_argc; i++)
		a[n++] = cfg.eal_extra_argv[i];
	*argc = n;
	return a;
}

int main(int argc, char **argv)
{
	struct worker_params wp;
	struct vnl_err err = { 0, "" };
	int eal_argc, level, r;
	char **eal_argv;
	sigset_t mask;

	r = config_parse(argc, argv, &err);
	if (r > 0)
		return 0;
	if (r < 0) {
		fprintf(stderr, "vnl-switchd: %s\n", err.msg);
		return 2;
	}
	level = log_level_of(cfg.log_level);
	if (level < 0) {
		fprintf(stderr, "vnl-switchd: --log-level: '%s' is not emerg, alert, crit, err, warning, notice, info or debug\n",
			cfg.log_level);
		return 2;
	}
	if (cfg.check) {
		config_print(stdout);
		return 0;
	}

	/* Every thread, EAL's included, inherits the mask: signals reach our signalfd only. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* AF_XDP memory is locked memory on older kernels. */
	setrlimit(RLIMIT_MEMLOCK, &(struct rlimit){ RLIM_INFINITY, RLIM_INFINITY });

	eal_argv = eal_args(argv[0], &eal_argc);
	r = eal_argv ? rte_eal_init(eal_argc, eal_argv) : -1;
	free(eal_argv); /* the EAL copies what it keeps; the strings are static or argv's */
	if (r < 0) {
		fprintf(stderr, "vnl-switchd: cannot start DPDK's EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	rte_log_set_level_pattern("vnl.*", (uint32_t)level);

	/* Ports receive the longest frame of any LAN: a LAN's mtu may exceed --max-frame. */
	vnl_max_frame = (uint16_t)RTE_MAX(cfg.max_frame, (uint32_t)(VNL_LAN_MTU_MAX + VNL_LAN_L2_OVERHEAD));
	/* 2 KiB of data per buffer whatever the frame limits: a longer frame is
	 * a chain (a 9022-byte frame holds 5 buffers, a 64 KiB one 33). */
	vnl_pktmbuf_pool = rte_pktmbuf_pool_create("vnl_mbufs", cfg.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						   (int)rte_socket_id());
	if (vnl_pktmbuf_pool == NULL) {
		fprintf(stderr, "vnl-switchd: cannot allocate %u packet buffers: %s (hugepages free? see --mbufs, --no-huge)\n",
			cfg.mbufs, rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	/* Offloads' software fallback: indirect mbufs for rte_gso (offload.h). */
	r = ol_init(vnl_pktmbuf_pool, (int)rte_socket_id());
	if (r < 0) {
		fprintf(stderr, "vnl-switchd: cannot allocate the indirect mbufs: %s\n", rte_strerror(-r));
		rte_mempool_free(vnl_pktmbuf_pool);
		rte_eal_cleanup();
		return 1;
	}
	/* Per worker: a burst of 32 frames of 64 KiB in flight (32 x 33 buffers),
	 * plus what rx rings and tx queues hold. Fewer still work, with drops. */
	if (cfg.mbufs < 4096 * cfg.nb_workers + 1024)
		LOG(WARNING, main, "--mbufs %u: fewer than %u buffers; bursts of large frames may be dropped (drop_rx_nombuf)",
		    cfg.mbufs, 4096 * cfg.nb_workers + 1024);
	wp.busy_poll = strcmp(cfg.poll, "busy") == 0;
	wp.idle_after_us = cfg.idle_after_us;
	wp.sleep_max_us = cfg.idle_sleep_max_us;
	r = snapshot_init(cfg.nb_workers);
	/* Delay queues may hold half the pool, shared out among the workers. */
	if (r == 0)
		r = impair_init(cfg.nb_workers, cfg.mbufs / 2 / cfg.nb_workers);
	if (r == 0)
		r = workers_init(cfg.nb_workers, cfg.worker_lcores, &wp);
	if (r == 0)
		r = reg_init(cfg.nb_workers, (uint16_t)cfg.max_frame, cfg.aging, cfg.fdb_size);
	if (r < 0) {
		fprintf(stderr, "vnl-switchd: cannot set up: %s\n", strerror(-r));
		rte_eal_cleanup();
		return 1;
	}
	/* From here every path, a failed start included, ends in the one
	 * teardown below. */
	r = control_open(cfg.socket, &err);
	if (r < 0) {
		fprintf(stderr, "vnl-switchd: %s\n", err.msg);
	} else if ((r = workers_launch()) < 0) {
		fprintf(stderr, "vnl-switchd: cannot launch workers: %s\n", strerror(-r));
	} else {
		LOG(NOTICE, main, "ready: socket %s, %u worker(s) on lcore(s) %s, %s polling, %s", cfg.socket,
		    cfg.nb_workers, cfg.worker_cores, cfg.poll, rte_version());
		r = control_run();
		if (r < 0)
			LOG(ERR, main, "control loop failed: %s", strerror(-r));
	}
	/* Each step needs what the later ones free: the captures end while
	 * the workers still run (as a capture-stop does: their rings are
	 * drained over every worker and their statistics written; their
	 * timer is on the loop), the workers stop (no frame moves any more),
	 * the ports close (neigh.c's netlink watches are on the loop too),
	 * then the control socket and the loop go. */
	capture_fini();
	workers_fini();
	reg_fini();
	control_close();
	snapshot_fini();
	ol_fini();
	rte_mempool_free(vnl_pktmbuf_pool);
	rte_eal_cleanup();
	LOG(NOTICE, main, "stopped");
	return r < 0 ? 1 : 0;
}
