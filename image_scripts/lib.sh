# shellcheck shell=bash
# Helpers shared by the image scripts (busybox-image, bookworm-image, and
# the VM images vm-tiny-image, vm-bookworm-image).
# Source it after `set -euo pipefail`; it defines functions and variables
# only. Messages use step/info/err from scripts/lib/common.sh.
#
# The life of a build, in the order the scripts call these:
#   img_parse_args      --name/--out/--force/-h plus the script's options
#   img_need_root       images hold root-owned files: build them as root
#   img_lock_out        one build at a time per output folder (flock)
#   img_exists_check    an image already there: say so, exit 0 (or --force)
#   img_workdir         a temp folder under /var/tmp, removed by a trap
#   img_make_ext4       mke2fs -d from the folder into NAME.ext4.tmp
#   img_publish         e2fsck the .tmp, then rename it to NAME.ext4
#
# A VM image script sets IMG_EXT=qcow2, IMG_KIND=vm and IMG_SIDECARS
# (vmlinuz initrd cmdline) before img_parse_args, builds its files as
# NAME.EXT.tmp through img_sidecar_tmp, and ends with img_vm_publish
# (the VM helpers are at the end of this file).

# shellcheck source-path=SCRIPTDIR
# shellcheck source=../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

IMG_DEFAULT_DIR=/var/lib/vnetlab-images

# What the script builds; a VM script changes these before img_parse_args.
IMG_EXT=ext4     # the image file is NAME.$IMG_EXT
IMG_KIND=cnt     # the node kind named in the closing "use it with" line
IMG_SIDECARS=()  # files NAME.S next to it, part of the image (VMs)

# Set by img_parse_args.
IMG_NAME=
IMG_OUT=
IMG_FORCE=0
# Derived paths.
IMG_FILE=
IMG_TMPFILE=
IMG_WORK=
# A background process group to stop on exit (its leader's pid), if any.
IMG_CHILD=

# ---------------------------------------------------------------- timing ---

# step_begin TEXT / step_end: a "==> TEXT" line, then the elapsed time.
IMG_STEP_T0=
IMG_T_START=$EPOCHREALTIME

img_secs() { # elapsed seconds since $1 (an EPOCHREALTIME), one decimal
	local a=${1/./} b=${EPOCHREALTIME/./} d # microseconds, no fork
	d=$(((10#$b - 10#$a) / 100000))
	printf '%d.%d' $((d / 10)) $((d % 10))
}

step_begin() {
	step "$*"
	IMG_STEP_T0=$EPOCHREALTIME
}

# shellcheck disable=SC2120 # the note is optional
step_end() {
	info "done in $(img_secs "$IMG_STEP_T0") s${1:+ ($1)}"
}

# -------------------------------------------------------------- arguments ---

# img_parse_args USAGE_FUNCTION DEFAULT_NAME EXTRA_HANDLER "$@"
# Handles --name, --out, --force and -h/--help; any other option goes to
# EXTRA_HANDLER OPTION [VALUE], which returns the number of arguments it
# consumed (1 or 2) through IMG_CONSUMED, or 0 when it does not know it.
# "--opt=value" is accepted for every option that takes a value.
img_parse_args() {
	local usage=$1 defname=$2 extra=$3
	shift 3
	local args=() a
	for a in "$@"; do # split --opt=value into --opt value
		if [[ $a == --*=* ]]; then
			args+=("${a%%=*}" "${a#*=}")
		else
			args+=("$a")
		fi
	done
	set -- "${args[@]+"${args[@]}"}"
	IMG_NAME=$defname
	IMG_OUT=${VNL_IMAGES:-$IMG_DEFAULT_DIR}
	while (($#)); do
		case $1 in
		-h | --help)
			"$usage"
			exit 0
			;;
		--name)
			img_optval "$@"
			IMG_NAME=$2
			shift 2
			;;
		--out)
			img_optval "$@"
			IMG_OUT=$2
			shift 2
			;;
		--force)
			IMG_FORCE=1
			shift
			;;
		*)
			IMG_CONSUMED=0
			if [[ $1 == -* ]]; then
				"$extra" "$@"
			fi
			if ((IMG_CONSUMED == 0)); then
				err "unknown argument '$1' (see --help)"
				exit 2
			fi
			shift "$IMG_CONSUMED"
			;;
		esac
	done

	IMG_NAME=${IMG_NAME%."$IMG_EXT"}
	if [[ ! $IMG_NAME =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]]; then
		err "bad image name '$IMG_NAME': use letters, digits, '.', '_', '-' (at most 64, no '/')"
		exit 2
	fi
	[[ -n $IMG_OUT ]] || {
		err "--out needs a folder"
		exit 2
	}
	IMG_OUT=$(realpath -m -- "$IMG_OUT")
	IMG_FILE=$IMG_OUT/$IMG_NAME.$IMG_EXT
	IMG_TMPFILE=$IMG_FILE.tmp
}

# img_optval "$@": the option in $1 needs a value in $2.
img_optval() {
	if (($# < 2)) || [[ -z $2 ]]; then
		err "$1 needs a value (see --help)"
		exit 2
	fi
}

# --------------------------------------------------------------- host side ---

img_need_root() {
	if [[ $EUID -ne 0 ]]; then
		err "run this as root (the image's files must be owned by root, and packages may be installed)"
		exit 1
	fi
}

# img_ensure_packages PKG...: install the missing ones (no recommends).
# apt's output is shown only if it fails.
img_ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	step_begin "installing ${missing[*]} (apt-get)"
	local log rc=0
	log=$(mktemp /tmp/vnetlab-apt.XXXXXX)
	{
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
			{
				DEBIAN_FRONTEND=noninteractive apt-get update &&
					DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
			}
	} >"$log" 2>&1 || rc=$?
	if ((rc != 0)); then
		cat "$log" >&2
		rm -f "$log"
		err "apt-get failed installing: ${missing[*]} (output above)"
		exit 1
	fi
	rm -f "$log"
	step_end
}

# ------------------------------------------------------ lock and re-runs ---

# One build at a time per output folder: a lock on the folder itself
# (nothing to clean up afterwards; the kernel drops it when we exit).
# A second build waits, then usually finds the image made by the first.
img_lock_out() {
	mkdir -p -- "$IMG_OUT" || {
		err "cannot create the image folder $IMG_OUT"
		exit 1
	}
	exec {IMG_LOCKFD}<"$IMG_OUT"
	if ! flock -n "$IMG_LOCKFD"; then
		info "another image build is running in $IMG_OUT; waiting for it"
		flock "$IMG_LOCKFD"
	fi
	# We hold the lock, so a .tmp here is from a build that was killed.
	local f
	for f in "$IMG_TMPFILE" $(img_sidecar_tmps); do
		if [[ -e $f ]]; then
			info "removing $f (left by an interrupted build)"
			rm -f -- "$f"
		fi
	done
}

# Exit 0 if the image exists (unless --force). Call with the lock held.
img_exists_check() {
	local s
	for s in "${IMG_SIDECARS[@]}"; do
		if [[ -e $IMG_FILE && ! -e $IMG_OUT/$IMG_NAME.$s ]]; then
			info "$IMG_FILE exists but $IMG_NAME.$s does not: building it again"
			return 0
		fi
	done
	if [[ -e $IMG_FILE ]]; then
		if ((IMG_FORCE)); then
			info "$IMG_FILE exists; --force: building it again (the old one stays until the new one is ready)"
			return 0
		fi
		info "$IMG_FILE already exists ($(img_human "$(stat -c %s -- "$IMG_FILE")")); nothing to do (--force rebuilds it)"
		exit 0
	fi
}

# ------------------------------------------------------- temp and cleanup ---

# img_workdir: IMG_WORK = a fresh folder under /var/tmp. The trap removes it
# (and NAME.ext4.tmp) on any exit, error or signal. Anything still mounted
# below it (debootstrap mounts proc/sys in its target) is unmounted first,
# and rm stays on this filesystem whatever happens.
img_workdir() {
	IMG_WORK=$(mktemp -d /var/tmp/vnetlab-image.XXXXXX)
	trap img_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# img_stop_group PID: end the process group that PID leads (a command we
# started under setsid): TERM, up to 10 s of grace, then KILL.
img_stop_group() {
	local pid=$1 i
	info "stopping process group $pid"
	kill -TERM -- "-$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 -- "-$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

img_cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	# A signal may land in the middle of a live progress line.
	if ((rc > 128)) && [[ -t 1 ]]; then printf '\n'; fi
	if [[ -n $IMG_CHILD ]] && kill -0 -- "-$IMG_CHILD" 2>/dev/null; then
		img_stop_group "$IMG_CHILD"
	fi
	if [[ -n $IMG_TMPFILE && -e $IMG_TMPFILE ]]; then
		rm -f -- "$IMG_TMPFILE"
	fi
	local f
	for f in $(img_sidecar_tmps); do
		rm -f -- "$f"
	done
	if [[ -n $IMG_WORK && -d $IMG_WORK ]]; then
		local m
		# Deepest first; /proc/self/mountinfo field 5 is the mount point.
		while read -r m; do
			umount -l -- "$m" 2>/dev/null || true
		done < <(awk -v w="$IMG_WORK/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
		rm -rf --one-file-system -- "$IMG_WORK" ||
			err "could not remove $IMG_WORK entirely; remove it by hand"
	fi
	if ((rc != 0)); then
		err "image '$IMG_NAME' was not built (nothing was left behind)"
	fi
	exit "$rc"
}

# ------------------------------------------------------------------ ext4 ---

img_human() { # bytes -> "12.3 MiB"
	awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'
}

# img_size_mb DIR MIN_MB: disk usage of DIR + 30 %, plus room for the
# journal and inode tables, rounded up to whole MiB, at least MIN_MB.
img_size_mb() {
	local dir=$1 min=$2 kib files mb
	kib=$(du -sk --one-file-system -- "$dir" | awk '{ print $1 }')
	files=$(find "$dir" -xdev | wc -l)
	# kib*1.3, + 256 B per inode (x2 inodes), + 4 MiB journal/metadata slack
	mb=$(awk -v k="$kib" -v f="$files" 'BEGIN {
		m = (k * 1.3 + f * 2 * 256 / 1024) / 1024 + 4
		printf "%d", (m == int(m)) ? m : int(m) + 1 }')
	((mb >= min)) || mb=$min
	echo "$mb"
}

# img_make_ext4 DIR SIZE_MB [FILE]: build FILE (default $IMG_TMPFILE)
# from DIR (no mount). 4 KiB blocks, no reserved blocks (an image is a
# lower layer: nobody fills it), inodes for twice the files in DIR (at
# least 4096).
img_make_ext4() {
	local dir=$1 mb=$2 out=${3:-$IMG_TMPFILE} files inodes log
	files=$(find "$dir" -xdev | wc -l)
	inodes=$((files * 2 > 4096 ? files * 2 : 4096))
	chmod 0755 "$dir" # becomes the image's "/", mktemp made it 0700
	log=$IMG_WORK/mke2fs.log
	if ! mke2fs -q -F -t ext4 -b 4096 -m 0 -N "$inodes" -L "${IMG_NAME:0:16}" \
		-E nodiscard -d "$dir" "$out" "${mb}M" >"$log" 2>&1; then
		cat "$log" >&2
		if grep -qiE 'no space|could not allocate|not enough space' "$log"; then
			err "$mb MiB is too small for this tree (du says $(du -sm -- "$dir" | awk '{ print $1 }') MiB); give a larger --size or none"
		else
			err "mke2fs failed building $out (output above)"
		fi
		exit 1
	fi
}

# img_publish: check the fresh filesystem, then rename it into place (a
# rename in one folder is atomic: readers see the old image or the new one,
# never a half-written file).
img_publish() {
	if ! e2fsck -fn "$IMG_TMPFILE" >"$IMG_WORK/e2fsck.log" 2>&1; then
		cat "$IMG_WORK/e2fsck.log" >&2
		err "e2fsck found problems in the new image (output above)"
		exit 1
	fi
	chmod 0644 -- "$IMG_TMPFILE"
	mv -fT -- "$IMG_TMPFILE" "$IMG_FILE"
}

# img_summary: the closing lines.
img_summary() {
	local used
	used=$(du -k -- "$IMG_FILE" | awk '{ print $1 * 1024 }')
	step "image ready: $IMG_FILE"
	info "size $(img_human "$(stat -c %s -- "$IMG_FILE")") ($(img_human "$used") on disk), built in $(img_secs "$IMG_T_START") s"
	if [[ $IMG_OUT == "$(realpath -m -- "${VNL_IMAGES:-$IMG_DEFAULT_DIR}")" ]]; then
		info "use it with: vnl add $IMG_KIND NODE --image $IMG_NAME"
	else
		info "use it with: vnl add $IMG_KIND NODE --image $IMG_FILE"
	fi
}

# ------------------------------------------------------------ VM images ---
# A VM image NAME is NAME.qcow2 (the base disk: vnld only ever puts a qcow2
# overlay on it) plus, for direct kernel boot, the sidecars NAME.vmlinuz,
# NAME.initrd and NAME.cmdline. Each is built as NAME.EXT.tmp next to its
# final place; img_vm_publish renames the sidecars first and the qcow2
# last, so a NAME.qcow2 that exists has its sidecars.

# The .tmp paths of the sidecars, one a line (none before img_parse_args).
img_sidecar_tmps() {
	local s
	[[ -n $IMG_OUT ]] || return 0
	for s in "${IMG_SIDECARS[@]}"; do
		printf '%s\n' "$IMG_OUT/$IMG_NAME.$s.tmp"
	done
}

# img_sidecar_tmp EXT: where to build sidecar EXT (e.g. vmlinuz).
img_sidecar_tmp() {
	printf '%s\n' "$IMG_OUT/$IMG_NAME.$1.tmp"
}

# img_cloud_kernel DIR: Debian's cloud kernel (linux-image-cloud-amd64,
# resolved to the versioned package it depends on) unpacked into DIR with
# apt-get download + dpkg -x: nothing is installed on the host. Sets
# IMG_KVER (e.g. 6.1.0-57-cloud-amd64) and IMG_KDEB (the package file).
IMG_KVER=
IMG_KDEB=
img_cloud_kernel() {
	local dir=$1 pkg dl=$IMG_WORK/debs
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	if [[ -z $pkg ]]; then
		info "apt does not know linux-image-cloud-amd64; running apt-get update"
		apt-get update -qq >/dev/null 2>&1 || true
		pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	fi
	[[ -n $pkg ]] || {
		err "no linux-image-cloud-amd64 in the host's apt sources"
		exit 1
	}
	mkdir -p "$dl"
	# The temp folder is 0700: download as root, not as the _apt user.
	if ! (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg") >"$IMG_WORK/apt-download.log" 2>&1; then
		apt-get update -qq >/dev/null 2>&1 || true
		(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg") >"$IMG_WORK/apt-download.log" 2>&1 || {
			cat "$IMG_WORK/apt-download.log" >&2
			err "apt-get download $pkg failed (output above)"
			exit 1
		}
	fi
	IMG_KDEB=$(compgen -G "$dl/${pkg}_*.deb" | head -n 1)
	dpkg -x "$IMG_KDEB" "$dir"
	IMG_KVER=${pkg#linux-image-}
	[[ -f $dir/boot/vmlinuz-$IMG_KVER && -d $dir/lib/modules/$IMG_KVER ]] || {
		err "$IMG_KDEB holds no boot/vmlinuz-$IMG_KVER and lib/modules/$IMG_KVER"
		exit 1
	}
}

# img_to_qcow2 RAW: convert a raw disk into $IMG_TMPFILE (qcow2, only the
# used clusters take room).
img_to_qcow2() {
	if ! qemu-img convert -q -f raw -O qcow2 "$1" "$IMG_TMPFILE" 2>"$IMG_WORK/qemu-img.log"; then
		cat "$IMG_WORK/qemu-img.log" >&2
		err "qemu-img convert failed (output above)"
		exit 1
	fi
}

# img_vm_publish: check the qcow2, then move the sidecars and last the
# qcow2 into place (each rename is atomic). A running VM keeps the files it
# opened; an overlay made on the old base must not be used on the new one.
img_vm_publish() {
	local s
	if ! qemu-img check -q "$IMG_TMPFILE" >"$IMG_WORK/qemu-img.log" 2>&1; then
		cat "$IMG_WORK/qemu-img.log" >&2
		err "qemu-img check found problems in the new image (output above)"
		exit 1
	fi
	for s in "${IMG_SIDECARS[@]}"; do
		chmod 0644 -- "$(img_sidecar_tmp "$s")"
		mv -fT -- "$(img_sidecar_tmp "$s")" "$IMG_OUT/$IMG_NAME.$s"
	done
	chmod 0644 -- "$IMG_TMPFILE"
	mv -fT -- "$IMG_TMPFILE" "$IMG_FILE"
}

# img_vm_summary: the closing lines of a VM image build.
img_vm_summary() {
	local s
	img_summary
	for s in "${IMG_SIDECARS[@]}"; do
		[[ $s != cmdline ]] || continue
		info "$IMG_NAME.$s: $(img_human "$(stat -c %s -- "$IMG_OUT/$IMG_NAME.$s")")"
	done
	if [[ -e $IMG_OUT/$IMG_NAME.cmdline ]]; then
		info "kernel arguments: $(cat -- "$IMG_OUT/$IMG_NAME.cmdline")"
	fi
}

# ------------------------------------------------------------ debootstrap ---

# img_host_mirror SUITE: the host's Debian mirror, i.e. the first enabled
# "deb" entry for SUITE in apt's sources (one-line .list files and deb822
# .sources files, in apt's order), else the first deb entry at all, else
# nothing.
img_host_mirror() {
	local suite=$1 files=() f
	[[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] && files+=("$f")
	done
	((${#files[@]})) || return 0
	# One "URI SUITE..." line per deb entry, then the pick.
	awk '
	function flush() {
		if (is_deb && on && uri != "") print uri, suites
		is_deb = 0; on = 1; uri = ""; suites = ""
	}
	FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
	/^[ \t]*#/ { next }
	{ sub(/#.*/, "") }
	!deb822 {
		if ($1 != "deb") next
		i = 2
		if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
		print $i, $(i + 1)
		next
	}
	/^[ \t]*$/ { flush(); next }
	tolower($1) == "types:"   { for (i = 2; i <= NF; i++) if ($i == "deb") is_deb = 1 }
	tolower($1) == "enabled:" { if (tolower($2) == "no") on = 0 }
	tolower($1) == "uris:"    { uri = $2 }
	tolower($1) == "suites:"  { for (i = 2; i <= NF; i++) suites = suites " " $i }
	END { flush() }
	' "${files[@]}" | awk -v s="$suite" '
	$1 !~ /^(https?|ftp|file):/ { next }
	!first { first = $1 }
	{ for (i = 2; i <= NF; i++) if ($i == s) { print $1; found = 1; exit } }
	END { if (!found && first) print first }
	'
}

# img_debootstrap_progress LOG: read debootstrap's output on stdin, keep
# all of it in LOG, show one line per stage: per-package lines (Retrieving,
# Extracting, Unpacking, Configuring) are counted (live on a terminal),
# other I: lines are shown with the elapsed time, W:/E: lines as they are.
img_debootstrap_progress() {
	local log=$1 line verb pkg stage='' count=0 t0=$EPOCHREALTIME st0='' tty=0
	[[ -t 1 ]] && tty=1
	_img_ds_end() {
		[[ -n $stage ]] || return 0
		if ((tty)); then printf '\r\033[K'; fi
		printf '    [%5s s] %s %d packages (%s s)\n' "$(img_secs "$t0")" "$stage" "$count" "$(img_secs "$st0")"
		stage='' count=0
	}
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$log"
		verb=
		if [[ $line =~ ^I:\ Retrieving\ ([^ ]+)\ ([^ ]+)$ ]]; then
			verb=downloaded pkg=${BASH_REMATCH[1]}
		elif [[ $line =~ ^I:\ (Extracting|Unpacking|Configuring)\ ([^ ]+)\.\.\.$ ]]; then
			pkg=${BASH_REMATCH[2]}
			verb=${BASH_REMATCH[1],,}
			verb=${verb%ing}ed # extracted, unpacked, configured
		elif [[ $line == 'I: Validating '* ]]; then
			continue
		fi
		if [[ -n $verb ]]; then
			if [[ $verb != "$stage" ]]; then
				_img_ds_end
				stage=$verb st0=$EPOCHREALTIME
			fi
			count=$((count + 1))
			if ((tty)); then
				printf '\r\033[K    [%5s s] %s %d: %s' "$(img_secs "$t0")" "$stage" "$count" "$pkg"
			fi
		elif [[ $line == I:* ]]; then
			_img_ds_end
			printf '    [%5s s] %s\n' "$(img_secs "$t0")" "${line#I: }"
		elif [[ $line == [WE]:* ]]; then
			_img_ds_end
			printf '    %s\n' "$line" >&2
		fi
	done
	_img_ds_end
}

# img_debootstrap SUITE ROOT MIRROR ARG...: debootstrap ARG... SUITE ROOT
# MIRROR with its progress shown. debootstrap carries on through a Ctrl-C
# (its dpkg steps ignore it), so it runs in a session of its own that the
# cleanup trap ends by its id (IMG_CHILD); its output comes through a fifo.
# On failure the tails of its output and of its log are shown, and we exit.
img_debootstrap() {
	local suite=$1 root=$2 mirror=$3 log=$IMG_WORK/debootstrap.out rc=0
	shift 3
	mkfifo "$IMG_WORK/debootstrap.fifo"
	setsid debootstrap "$@" "$suite" "$root" "$mirror" \
		>"$IMG_WORK/debootstrap.fifo" 2>&1 </dev/null &
	IMG_CHILD=$!
	img_debootstrap_progress "$log" <"$IMG_WORK/debootstrap.fifo"
	wait "$IMG_CHILD" || rc=$?
	IMG_CHILD=
	rm -f "$IMG_WORK/debootstrap.fifo"
	((rc == 0)) && return 0
	{
		echo "--- last lines of debootstrap's output:"
		tail -n 25 "$log"
		if [[ -f $root/debootstrap/debootstrap.log ]]; then
			echo "--- last lines of $root/debootstrap/debootstrap.log:"
			tail -n 25 "$root/debootstrap/debootstrap.log"
		fi
	} >&2
	err "debootstrap failed (mirror $mirror; output above)"
	exit 1
}
