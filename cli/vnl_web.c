/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl web [--listen ADDR:PORT] [--capture-max KIB]`: the lab canvas in a
 * browser. vnl becomes vnl-web (web/, the program next to vnl), which
 * serves every lab of the host and prints the address to open. Both
 * options go to vnl-web as they are; it checks them.
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
	static const struct option opts[] = { { "capture-max", required_argument, NULL, 'M' },
					      { "listen", required_argument, NULL, 'L' },
					      { NULL, 0, NULL, 0 } };
	char bin[PATH_MAX], *listen = "127.0.0.1:8080", *cap_max = NULL;
	int c;

	while ((c = vnl_getopt(cli, argc, argv, "L:M:", opts)) != -1) {
		if (c == 'L')
			listen = optarg;
		else if (c == 'M')
			cap_max = optarg;
		else
			return vnl_opt_exit(cli, c);
	}
	if (optind != argc)
		return vnl_usage_error(cli, "web: no arguments besides --listen ADDR:PORT and --capture-max KIB");
	exe_sibling("vnl-web", bin, sizeof(bin));
	fflush(NULL);
	if (cap_max)
		execl(bin, "vnl-web", "--listen", listen, "--capture-max", cap_max, (char *)NULL);
	else
		execl(bin, "vnl-web", "--listen", listen, (char *)NULL);
	return vnl_fail("web: cannot run %s: %s", bin, strerror(errno));
}
