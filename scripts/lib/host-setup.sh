# Host setup for vnl-switchd and crun: hugepages, hugetlbfs, bpffs, the run
# directory and a cgroup layout crun accepts. Source it and call host_setup
# (or one step). Every step is idempotent, only adds what is missing, and
# never takes anything away from a process that is already running
# (hugepages are raised, never lowered).
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

# crun refuses a hybrid cgroup layout (v1 hierarchies plus a cgroup2 mount)
# while cgroup2 holds a controller. Give each such controller (hugetlb on
# these hosts) its own v1 hierarchy, which moves it out of cgroup2. A unified
# layout (cgroup2 at /sys/fs/cgroup) and a hybrid one with an empty cgroup2
# need nothing.
setup_cgroup_for_crun() {
	local fstype v2 c left moved=
	fstype=$(stat -fc %T /sys/fs/cgroup 2>/dev/null)
	if [[ $fstype == cgroup2fs ]]; then
		_hs_info "cgroup: unified (cgroup2 at /sys/fs/cgroup), nothing to do"
		return 0
	fi
	v2=$(awk '$9 == "cgroup2" && $5 ~ "^/sys/fs/cgroup/" { print $5; exit }' /proc/self/mountinfo)
	if [[ -z $v2 ]]; then
		_hs_info "cgroup: v1 only (no cgroup2 mount), nothing to do"
		return 0
	fi
	for c in $(<"$v2/cgroup.controllers"); do
		mkdir -p "/sys/fs/cgroup/$c" &&
			mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" ||
			{ _hs_err "cgroup: cannot mount a v1 $c hierarchy at /sys/fs/cgroup/$c" \
				"(crun refuses while $v2 holds $c)"; return 1; }
		moved+=" $c"
	done
	# cgroup files report size 0: read the list rather than test -s.
	left=$(<"$v2/cgroup.controllers")
	if [[ -n $left ]]; then
		_hs_err "cgroup: $v2 still holds controllers ($left); crun refuses hybrid mode"
		return 1
	fi
	if [[ -n $moved ]]; then
		_hs_info "cgroup: hybrid; mounted v1 hierarchies for$moved, $v2 holds no controller"
	else
		_hs_info "cgroup: hybrid, $v2 holds no controller already"
	fi
}

# All of the above, stopping at the first step that fails.
host_setup() {
	setup_hugepages && setup_hugetlbfs && setup_bpffs && setup_run_dir &&
		setup_cgroup_for_crun
}
