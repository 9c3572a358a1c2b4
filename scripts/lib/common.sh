# Helpers shared by scripts/install and scripts/test. Source it; it defines
# functions only and changes no state by itself.
#
# Contract: every function returns 0 on success and non-zero after printing
# one "error:" line that says what failed and what to do about it.

# Top of the source tree, whatever the caller's working directory.
VNL_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Build directory (relative paths are taken from the source tree).
VNL_BUILD=${VNL_BUILD:-build}
[[ $VNL_BUILD = /* ]] || VNL_BUILD=$VNL_SRC/$VNL_BUILD

step() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
err()  { printf 'error: %s\n' "$*" >&2; }

need_root() {
	if [[ $EUID -ne 0 ]]; then
		err "run this as root (it installs packages and sets up hugepages)"
		return 1
	fi
}

# Print the package names listed in the given files (comments and blank
# lines dropped, duplicates removed, order kept).
read_package_lists() {
	sed -e 's/#.*//' -e 's/[[:space:]]//g' "$@" | awk 'NF && !seen[$0]++'
}

# Install the packages named in the given list files. apt is only run when
# something is missing, so a re-run on a ready host is quick and offline.
install_packages() {
	local pkgs missing=() p
	pkgs=$(read_package_lists "$@") || return 1
	for p in $pkgs; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' ||
			missing+=("$p")
	done
	if [[ ${#missing[@]} -eq 0 ]]; then
		info "all $(wc -w <<<"$pkgs") packages already installed"
		return 0
	fi
	info "missing: ${missing[*]}"
	# apt's chatter goes to a log that is shown only if something fails.
	local log rc=0
	log=$(mktemp /tmp/vnetlab-apt.XXXXXX)
	{
		DEBIAN_FRONTEND=noninteractive apt-get update &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
	} >"$log" 2>&1 || rc=$?
	if ((rc != 0)); then
		cat "$log" >&2
		err "apt-get failed installing: ${missing[*]} (output above)"
	fi
	rm -f "$log"
	return "$rc"
}

# Configure (or reconfigure) and compile the tree in $VNL_BUILD.
build_tree() {
	local setup=(meson setup "$VNL_BUILD" "$VNL_SRC" --prefix /usr/local)
	# coredata.dat exists once a setup has succeeded; only then can meson
	# reconfigure. A plain setup also takes a half-made directory left by a
	# setup that failed.
	if [[ -f $VNL_BUILD/meson-private/coredata.dat ]]; then
		setup+=(--reconfigure)
	fi
	"${setup[@]}" || { err "meson setup failed (see above)"; return 1; }
	ninja -C "$VNL_BUILD" || { err "the build failed (see above)"; return 1; }
}
