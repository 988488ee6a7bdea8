#!/usr/bin/env bash
# Checks that scripts/setup.sh installs everything the build, the tests and the fuzzers use: builds a
# minimal Debian 12 root (debootstrap --variant=minbase bookworm), clones this repository into it and
# runs the README's two commands there (scripts/demo.sh, then scripts/test.sh) through chroot.
# Run it after any change to the set-up. It is too slow for CI (the root, the packages and a full
# build and test run on 2 cores: about an hour).
#
# Usage (as root; debootstrap is a host tool: apt-get install debootstrap):
#   scripts/check_minimal_root.sh [--root DIR] [--worktree] [--only demo|test] [--keep]
#     --root DIR   where to build the root (default /var/tmp/upres-minimal-root); removed first
#     --worktree   copy this working tree's uncommitted changes over the clone (to check them before
#                  they are committed)
#     --only X     run only the demo command or only the test command
#     --keep       leave the root in place afterwards (its mounts are always undone)
# Logs go to DIR.logs/ (one per command); the exit status is the first failing command's.
#
# Safety: the host's /proc, /sys and /dev are bound into the root while the commands run. Removing
# the root with them bound would delete the host's device nodes, so every exit path (success,
# failure, Ctrl-C) unmounts them and checks with findmnt that nothing is mounted under the root
# before any rm -rf.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

root=/var/tmp/upres-minimal-root
overlay_worktree=0
only=""
keep=0
while (($#)); do
  case "$1" in
    --root) root=$2; shift 2 ;;
    --worktree) overlay_worktree=1; shift ;;
    --only) only=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "check_minimal_root: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "check_minimal_root: run as root (debootstrap, mount, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "check_minimal_root: apt-get install debootstrap" >&2; exit 2; }
root=$(realpath -m "$root")
[[ "$root" != "/" && "$root" == /*/* ]] || { echo "check_minimal_root: refusing root '$root'" >&2; exit 2; }
logs="$root.logs"

# Mount points under the root, deepest first.
mounts_under_root() {
  findmnt -rn -o TARGET | awk -v prefix="$root/" 'index($0 "/", prefix) == 1' | sort -r
}

# Processes running inside the root (a server a test left behind, a build after Ctrl-C): they
# keep the bound file systems busy. Only processes whose root directory is ours are ended.
stop_processes_in_root() {
  local pid
  for pid in /proc/[0-9]*; do
    [[ "$(readlink "$pid/root" 2>/dev/null)" == "$root" ]] && kill -9 "${pid#/proc/}" 2>/dev/null || true
  done
}

unmount_all() {
  local target attempt
  for attempt in 1 2 3; do
    [[ -z "$(mounts_under_root)" ]] && return 0
    stop_processes_in_root
    sleep 1
    while read -r target; do
      [[ -n "$target" ]] && umount "$target" 2>/dev/null || true
    done < <(mounts_under_root)
  done
  # Still busy: detach lazily; the tree disappears from the root at once.
  while read -r target; do
    [[ -n "$target" ]] && umount --lazy "$target" 2>/dev/null || true
  done < <(mounts_under_root)
  [[ -z "$(mounts_under_root)" ]]
}

# The only way the root is ever removed: never while anything is mounted under it.
remove_root() {
  if ! unmount_all; then
    echo "check_minimal_root: still mounted under $root, NOT removing it:" >&2
    mounts_under_root >&2
    return 1
  fi
  rm -rf --one-file-system "$root"
}

finish() {
  local status=$?
  trap - EXIT INT TERM
  if ! unmount_all; then
    echo "check_minimal_root: could not unmount everything under $root; left in place" >&2
    mounts_under_root >&2
    exit 1
  fi
  if ((keep == 0)) && [[ -d "$root" ]]; then remove_root; fi
  exit "$status"
}
trap finish EXIT
trap 'echo "check_minimal_root: interrupted" >&2; exit 130' INT TERM

mkdir -p "$logs"
if [[ -e "$root" ]]; then remove_root; fi

step() { echo "check_minimal_root: $(date -u +%H:%M:%S) $*"; }

step "debootstrap --variant=minbase bookworm $root"
mkdir -p /var/cache/upres-debootstrap
debootstrap --variant=minbase --cache-dir=/var/cache/upres-debootstrap bookworm "$root" \
  http://deb.debian.org/debian >"$logs/debootstrap.log" 2>&1 \
  || { echo "check_minimal_root: debootstrap failed, see $logs/debootstrap.log" >&2; exit 1; }
# The security and update suites, as on an installed system.
cat >"$root/etc/apt/sources.list" <<'EOF'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
# The host's network settings, as this machine's administrator made them: name servers and local
# certificate authorities (a TLS-inspecting proxy's, say; ca-certificates adds them when setup.sh
# installs it). in_root passes the proxy variables and NODE_EXTRA_CA_CERTS on too.
cp /etc/resolv.conf "$root/etc/resolv.conf"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi

step "cloning $repo into $root/root/upres"
git clone --quiet "$repo" "$root/root/upres"
if ((overlay_worktree)); then
  step "copying the working tree's uncommitted changes"
  (cd "$repo" && git ls-files -z -m -o --exclude-standard) | (cd "$repo" && tar --null -T - -cf -) \
    | tar -C "$root/root/upres" -xf -
  (cd "$repo" && git ls-files -z -d) | (cd "$root/root/upres" && xargs -0 -r rm -f --)
fi

for fs in proc sys dev; do
  mount --rbind "/$fs" "$root/$fs"
  mount --make-rslave "$root/$fs"  # unmounting inside the root must never reach the host's mounts
done

# Runs one command in the root as a fresh login would: a clean environment, nice'd (shared cores).
network_variables=()
for name in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY NODE_EXTRA_CA_CERTS; do
  [[ -n "${!name:-}" ]] && network_variables+=("$name=${!name}")
done
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${network_variables[@]}" \
    nice -n 19 bash -c "cd /root/upres && $1"
}

status=0
for command in "bash scripts/demo.sh" "bash scripts/test.sh"; do
  name=${command#bash scripts/}; name=${name%.sh}
  [[ -z "$only" || "$only" == "$name" ]] || continue
  step "running '$command' in the root (log: $logs/$name.log)"
  start=$SECONDS
  if in_root "$command" >"$logs/$name.log" 2>&1; then
    step "'$command' passed in $((SECONDS - start)) s"
  else
    status=$?
    step "'$command' FAILED (exit $status) after $((SECONDS - start)) s; last lines:"
    tail -n 30 "$logs/$name.log"
    break
  fi
done
exit "$status"
