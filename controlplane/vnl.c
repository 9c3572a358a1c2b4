/* SPDX-License-Identifier: GPL-2.0-only */
/* vnl: the CLI (placeholder until the CLI lands). */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "vnl: not built yet\n");
	return 1;
}
