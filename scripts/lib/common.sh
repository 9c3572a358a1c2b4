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

# build_tree [DIR [MESON SETUP OPTIONS...]]: configure (or reconfigure) and
# compile the tree in DIR (default $VNL_BUILD) with the given options.
build_tree() {
	local dir=${1:-$VNL_BUILD}
	(($# > 0)) && shift
	local setup=(meson setup "$dir" "$VNL_SRC" --prefix /usr/local "$@")
	# coredata.dat exists once a setup has succeeded; only then can meson
	# reconfigure. A plain setup also takes a half-made directory left by a
	# setup that failed.
	if [[ -f $dir/meson-private/coredata.dat ]]; then
		setup+=(--reconfigure)
	fi
	"${setup[@]}" || { err "meson setup failed (see above)"; return 1; }
	ninja -C "$dir" || { err "the build failed (see above)"; return 1; }
}

# The sanitizer tree: AddressSanitizer + UndefinedBehaviorSanitizer on every
# program but the static vnl-init and vnl-agent (meson.build); any UB report
# is fatal (-fno-sanitize-recover). -Db_lundef=false: the sanitizer runtimes
# are not linked into shared objects.
# shellcheck disable=SC2034,SC2054 # used by scripts/test; the commas are meson's
VNL_SAN_SETUP=(-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=undefined)

# san_env DIR: print the environment (NAME=VALUE lines) under which the
# sanitized programs write every report into DIR (one file per process,
# asan.PID / ubsan.PID) and stop at the first one. The daemons the tests start
# (vnld, vnl-switchd) inherit it, so their reports land there too rather than
# in a log nobody reads; san_reports then fails the run on any such file.
san_env() {
	echo "ASAN_OPTIONS=log_path=$1/asan:halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=0"
	echo "UBSAN_OPTIONS=log_path=$1/ubsan:halt_on_error=1:abort_on_error=1:print_stacktrace=1"
}

# san_reports DIR: 0 when DIR holds no sanitizer report; else print each
# (with the command line of the process when known) and return 1.
san_reports() {
	local f n=0
	for f in "$1"/asan.* "$1"/ubsan.*; do
		[[ -s $f ]] || continue
		n=$((n + 1))
		printf '==> sanitizer report %s\n' "$f"
		cat "$f"
	done
	((n == 0)) || { err "$n sanitizer report(s) in $1 (above)"; return 1; }
}

# npm_ci DIR...: fetch the npm packages pinned in each DIR's package-lock.json
# into DIR/node_modules (the browser canvas's UI, the browser tests). Skipped
# when node_modules already matches the lock (npm writes its own copy of the
# lock there), so a re-run is quick and offline. Debian's npm is installed
# when there is no npm command (a nodejs that bundles npm is kept).
npm_ci() {
	local d
	if ! command -v npm >/dev/null; then
		install_packages <(echo npm) || return 1
	fi
	for d in "$@"; do
		if [[ -f $d/node_modules/.package-lock.json ]] &&
			cmp -s <(jq -S .packages "$d/package-lock.json" | jq -S 'del(.[""])') \
				<(jq -S .packages "$d/node_modules/.package-lock.json"); then
			info "npm packages of $d up to date"
			continue
		fi
		(cd "$d" && npm ci --no-audit --no-fund --loglevel=error) ||
			{ err "npm ci failed in $d (see above): the npm registry must be reachable"; return 1; }
	done
}
