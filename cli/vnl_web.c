/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl web [--listen ADDR:PORT]`: the lab canvas in a browser. vnl becomes
 * vnl-web (web/, the program next to vnl), which serves every lab of the
 * host and prints the address to open.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "vnl.h"

int vnl_cmd_web(struct vnl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "listen", required_argument, NULL, 'L' }, { NULL, 0, NULL, 0 } };
	char bin[PATH_MAX], *listen = "127.0.0.1:8080";
	int c;

	while ((c = vnl_getopt(cli, argc, argv, "L:", opts)) != -1) {
		if (c != 'L')
			return vnl_opt_exit(cli, c);
		listen = optarg;
	}
	if (optind != argc)
		return vnl_usage_error(cli, "web: no arguments besides --listen ADDR:PORT");
	exe_sibling("vnl-web", bin, sizeof(bin));
	fflush(NULL);
	execl(bin, "vnl-web", "--listen", listen, (char *)NULL);
	return vnl_fail("web: cannot run %s: %s", bin, strerror(errno));
}
