# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/lib/tshark.sh: what tshark (Wireshark's reader, not ours) reads in a
# capture file, for the capture tests at switch level (31-capture, after
# switchd.sh) and through vnl (106-vnl-capture, after vnl.sh). The caller
# checks that tshark is installed.

# icmp_tally FILE: FILE's ICMP frames as tshark counts them, one line
# "COUNT NAME|DIRECTION|TYPE" per interface name, direction flag and ICMP type,
# sorted by name: DIRECTION 0x00000001 = inbound (the node received the
# frame), 0x00000002 = outbound (the node sent it); TYPE 8 = echo request,
# 0 = echo reply.
icmp_tally() {
	tshark -n -r "$1" -Y icmp -T fields -E separator='|' -e frame.interface_name \
		-e frame.packet_flags_direction -e icmp.type 2>/dev/null | LC_ALL=C sort | uniq -c | awk '{ print $1, $2 }'
}

# echo_tally N NAME DIR_OF_REQUESTS [NAME DIR_OF_REQUESTS...]: the icmp_tally
# of N pings that cross each NAME (given in sorted order), whose requests go
# DIR_OF_REQUESTS (in or out) and whose replies the other way.
echo_tally() {
	local n=$1 name dir
	shift
	while [ $# -ge 2 ]; do
		name=$1 dir=$2
		shift 2
		if [ "$dir" = out ]; then
			printf '%s %s|0x00000001|0\n%s %s|0x00000002|8\n' "$n" "$name" "$n" "$name"
		else
			printf '%s %s|0x00000001|8\n%s %s|0x00000002|0\n' "$n" "$name" "$n" "$name"
		fi
	done
}

# if_descriptions FILE: the interface descriptions tshark reads in FILE's
# frames, one per line, sorted, each once.
if_descriptions() {
	tshark -n -r "$1" -T fields -e frame.interface_description 2>/dev/null | LC_ALL=C sort -u
}
