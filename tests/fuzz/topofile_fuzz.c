/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the topology file reader (model/topofile.c):
 * the input is the whole file, any bytes (NULs included, as topo_load_file
 * reads them).  The reader must return either a validated topology or an
 * error with a message, never both, and never crash; a topology it returns
 * must pass topo_validate again.  (Save -> load of what it accepts is the
 * round-trip target's part.)  The kinds are vnld's (endpoints/kinds.c).
 * Built and run by run_fuzz.sh.
 */
#include "../../model/topofile.c" /* load_buf(): the reader behind topo_load_file() */
#include "node_kind.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	node_kinds_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnl_err err = { 0 };
	struct topo *t = NULL;
	char *buf;
	int r;

	if (size > TOPO_FILE_MAX)
		return 0; /* topo_load_file refuses these before parsing */
	/* load_buf() wants buf[len] == NUL, as topo_load_file() and topo_parse() give it. */
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	r = load_buf(buf, size, &t, &err);
	free(buf);
	if ((r == 0) != (t != NULL) || (r < 0 && err.msg[0] == '\0'))
		abort();
	if (t && topo_validate(t, &err) < 0)
		abort();
	topo_free(t);
	return 0;
}
