/* SPDX-License-Identifier: GPL-2.0-only */
/* The hvc0 dialog of the bootstrap (vm_bootstrap.h). */
#include <stdio.h>
#include <string.h>

#include "vm_bootstrap.h"
#include "vm.h"

static const char *const what[] = { [BOOT_KNOCK] = "knock", [BOOT_START] = "started" };

size_t boot_knock_line(uint32_t nonce, char *buf, size_t size)
{
	int n = snprintf(buf, size, "\025 echo vnl_%s_$((6*7))_%08x\n", what[BOOT_KNOCK], nonce);

	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

size_t boot_start_line(uint32_t nonce, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "\025 stty -echo 2>/dev/null; mkdir -p /run/vnl; "
			 "for b in /sys/block/*; do "
			 "[ \"$(cat $b/serial 2>/dev/null)\" = %s ] && mount -o ro /dev/${b##*/} /run/vnl 2>/dev/null; "
			 "done; sh /run/vnl/start.sh; echo vnl_%s_$((6*7))_%08x\n",
			 VM_CFG_SERIAL, what[BOOT_START], nonce);

	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

bool boot_marker_seen(const char *text, size_t len, enum boot_marker m, uint32_t nonce)
{
	char marker[64];
	int n = snprintf(marker, sizeof(marker), "vnl_%s_42_%08x", what[m], nonce);

	return n > 0 && memmem(text, len, marker, (size_t)n) != NULL;
}
