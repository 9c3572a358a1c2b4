# Host setup for vnl-switchd: hugepages, hugetlbfs, bpffs and the run
# directory. Source it and call host_setup (or one step). Every step is
# idempotent, only adds what is missing, and never takes anything away from
# a process that is already running (hugepages are raised, never lowered).
#
# Each function returns 0 when the host is ready for that step, and non-zero
# after printing one "error:" line that says what is wrong.

# 2 MiB pages wanted in total: 2048 pages = 4 GiB, enough for the switch and
# a DPDK traffic generator side by side. Override with VNL_HUGEPAGES.
VNL_HUGEPAGES=${VNL_HUGEPAGES:-2048}
VNL_HUGEPAGES_SYSFS=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
VNL_RUN_DIR=${VNL_RUN_DIR:-/run/vnetlab}

_hs_info() { printf '    %s\n' "$*"; }
_hs_err()  { printf 'error: %s\n' "$*" >&2; }

# Raise the number of 2 MiB hugepages to $VNL_HUGEPAGES if it is lower.
setup_hugepages() {
	local want=$VNL_HUGEPAGES have got
	if [[ ! -w $VNL_HUGEPAGES_SYSFS ]]; then
		_hs_err "this kernel offers no 2 MiB hugepages ($VNL_HUGEPAGES_SYSFS)"
		return 1
	fi
	have=$(<"$VNL_HUGEPAGES_SYSFS")
	if ((have >= want)); then
		_hs_info "hugepages: $have x 2 MiB already reserved (want $want)"
		return 0
	fi
	# The kernel reserves what it can; what it got is read back below.
	echo "$want" 2>/dev/null >"$VNL_HUGEPAGES_SYSFS" || true
	got=$(<"$VNL_HUGEPAGES_SYSFS")
	if ((got < want)); then
		# Free memory is often fragmented: compact it and ask once more.
		echo 1 2>/dev/null >/proc/sys/vm/compact_memory || true
		echo "$want" 2>/dev/null >"$VNL_HUGEPAGES_SYSFS" || true
		got=$(<"$VNL_HUGEPAGES_SYSFS")
	fi
	if ((got < want)); then
		# Give back the partial raise: a half-sized pool helps nobody.
		echo "$have" 2>/dev/null >"$VNL_HUGEPAGES_SYSFS" || true
		_hs_err "asked the kernel for $want hugepages of 2 MiB but it reserved only $got" \
			"(HugePages_Total); free some memory or reboot, then re-run"
		return 1
	fi
	_hs_info "hugepages: raised from $have to $got x 2 MiB"
}

# Mount hugetlbfs at /dev/hugepages unless something is mounted there.
setup_hugetlbfs() {
	if mountpoint -q /dev/hugepages; then
		_hs_info "hugetlbfs: /dev/hugepages already mounted"
		return 0
	fi
	mkdir -p /dev/hugepages &&
		mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages ||
		{ _hs_err "cannot mount hugetlbfs at /dev/hugepages"; return 1; }
	_hs_info "hugetlbfs: mounted at /dev/hugepages"
}

# Mount the BPF filesystem at /sys/fs/bpf (libxdp pins its dispatcher there).
setup_bpffs() {
	if mountpoint -q /sys/fs/bpf; then
		_hs_info "bpffs: /sys/fs/bpf already mounted"
		return 0
	fi
	mkdir -p /sys/fs/bpf &&
		mount -t bpf bpf /sys/fs/bpf ||
		{ _hs_err "cannot mount bpffs at /sys/fs/bpf"; return 1; }
	_hs_info "bpffs: mounted at /sys/fs/bpf"
}

# Create the directory that holds control sockets and logs.
setup_run_dir() {
	mkdir -p "$VNL_RUN_DIR" ||
		{ _hs_err "cannot create $VNL_RUN_DIR"; return 1; }
	_hs_info "run directory: $VNL_RUN_DIR"
}

# All of the above, stopping at the first step that fails.
host_setup() {
	setup_hugepages && setup_hugetlbfs && setup_bpffs && setup_run_dir
}
