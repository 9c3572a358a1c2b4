/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl graph`: fetch the whole lab (`show`) and draw it with graph.c, as
 * dot or Mermaid text, or as SVG by piping the dot text through Graphviz's
 * `dot -Tsvg` (run directly, no shell).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "graph.h"
#include "vnl.h"
#include "vnl_client.h"

/* Is there an executable `dot` in PATH? */
static bool have_dot(void)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX], file[PATH_MAX + 8];

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, p);
		snprintf(file, sizeof(file), "%s/dot", n ? dir : ".");
		if (access(file, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* dot -Tsvg < text > outfd; 0 or the exit status printed. */
static int svg(const char *text, size_t len, int outfd)
{
	void (*old)(int);
	size_t done = 0;
	int p[2], st;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return vnl_fail("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (dup2(p[0], 0) < 0 || dup2(outfd, 1) < 0)
			_exit(127);
		execlp("dot", "dot", "-Tsvg", (char *)NULL);
		dprintf(2, "vnl: cannot run dot: %s\n", strerror(errno));
		_exit(127);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return vnl_fail("fork: %s", strerror(errno));
	}
	old = signal(SIGPIPE, SIG_IGN); /* dot may stop reading: its status says why */
	while (done < len) {
		ssize_t w = write(p[1], text + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		done += (size_t)w;
	}
	close(p[1]);
	signal(SIGPIPE, old);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return vnl_fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return vnl_fail("dot -Tsvg failed (%s %d)", WIFEXITED(st) ? "status" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return VNL_EXIT_OK;
}

int vnl_cmd_graph(struct vnl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "dot", *output = NULL;
	struct json_object *req, *reply;
	char *text = NULL;
	size_t len = 0;
	FILE *mem, *out;
	int c, r;

	while ((c = vnl_getopt(cli, argc, argv, "f:o:", opts)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		default: return vnl_opt_exit(cli, c);
		}
	}
	if (optind < argc)
		return vnl_usage_error(cli, "graph: unexpected argument '%s'", argv[optind]);
	if (strcmp(format, "svg") && graph_format_parse(format) < 0)
		return vnl_usage_error(cli, "graph: format '%s' is not dot, mermaid or svg", format);
	/* Before anything is asked or written: an -o FILE is not touched. */
	if (strcmp(format, "svg") == 0 && !have_dot())
		return vnl_fail("svg needs Graphviz's dot (apt install graphviz)");
	req = vnl_req("show");
	if ((r = vnl_ask(cli, req, VNL_TIMEOUT, &reply)) >= 0)
		return r;
	mem = open_memstream(&text, &len);
	if (mem == NULL) {
		json_object_put(reply);
		return vnl_fail("out of memory");
	}
	graph_render(reply, strcmp(format, "svg") ? (enum graph_format)graph_format_parse(format) : GRAPH_DOT, mem);
	json_object_put(reply);
	if (fclose(mem) != 0) {
		free(text);
		return vnl_fail("out of memory");
	}
	out = output && strcmp(output, "-") ? fopen(output, "we") : stdout;
	if (out == NULL) {
		free(text);
		return vnl_fail("%s: %s", output, strerror(errno));
	}
	if (strcmp(format, "svg") == 0) {
		fflush(out);
		r = svg(text, len, fileno(out));
	} else {
		fwrite(text, 1, len, out);
		r = VNL_EXIT_OK;
	}
	free(text);
	if ((out == stdout ? fflush(out) : fclose(out)) != 0 && r == VNL_EXIT_OK)
		r = vnl_fail("writing %s: %s", output ? output : "stdout", strerror(errno));
	return r;
}
