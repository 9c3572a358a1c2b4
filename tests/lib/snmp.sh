# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/lib/snmp.sh: the one reader of /proc/net/snmp, sourced by switchd.sh
# (snmp: namespaces by index) and vnl.sh (node_snmp: nodes of a lab).

# snmp_field PROTO FIELD: counter FIELD of PROTO ("Tcp" "InCsumErrors") in
# the /proc/net/snmp text on stdin; nothing when either is absent.
snmp_field() {
	awk -v p="$1:" -v f="$2" '$1 == p && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == p && h { if (f in c) print $c[f]; exit }'
}
