#!/bin/bash
# tools/fresh_check.sh — README's first run on a clean Debian 12 (`make fresh-check`).
#
#   tools/fresh_check.sh            build or reuse the base root, then run `make demo` and `make test`
#   tools/fresh_check.sh --base     only build the cached base root
#   tools/fresh_check.sh --umount   end what still runs in the root and unmount it (after a crash)
#
# Needs root (debootstrap, mount, chroot) and Debian's mirror. Steps:
#   1. base: once, `debootstrap bookworm` (default variant: required + important packages) with
#      bookworm, bookworm-updates and bookworm-security in its sources and `make` installed, since
#      README's reader types `make`; the package lists are then removed, so `make deps` must fetch
#      them. Cached as build/fresh-check/base.tar (delete it to rebuild the base).
#   2. root: base.tar unpacked afresh into build/fresh-check/root; a `git clone` of this repository
#      (the committed HEAD, not the working tree) at /srv/statewave; the host's resolv.conf and
#      local CA certificates (/usr/local/share/ca-certificates: the network's, not the project's);
#      ../shared/data bind-mounted read-only at /srv/shared/data (the tests read ../shared
#      relative to the repository root);
#      proc, sys, dev, a private devpts and a private /dev/shm mounted.
#   3. In the root, with a clean environment as root: `make demo`, then `make test`, each once.
#      Their output goes to build/fresh-check/log with each command's wall time and exit status.
# Downloaded .debs are kept in build/fresh-check/debs (bind-mounted as apt's archive cache) so a
# rerun does not download them again; apt still resolves and installs every package afresh.
# Exits non-zero when either command failed. Not part of `make test` or CI.
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
fc=$here/build/fresh-check
root=$fc/root
base_tar=$fc/base.tar
debs=$fc/debs
log=$fc/log
mirror=${FRESH_CHECK_MIRROR:-http://deb.debian.org/debian}
shared_data=$here/../shared/data
repo_in=/srv/statewave     # inside the root; ../shared is then /srv/shared

die() { echo "fresh-check: FAILED: $*" >&2; exit 1; }

# Mount points under DIR, deepest first (escaped as in /proc/self/mounts; ours have no spaces).
mounts_under() {
  awk -v d="$1/" 'index($2, d) == 1 { print length($2) " " $2 }' /proc/self/mounts | sort -rn | cut -d' ' -f2-
}

# End the processes whose root directory is DIR (only what this script started in there:
# leftover jackd, Ardour, ...), then unmount everything under DIR. Nothing is deleted here.
release() {
  local dir=$1 p pids="" m
  [ -d "$dir" ] || return 0
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$dir" ] && pids="$pids ${p#/proc/}"
  done
  if [ -n "$pids" ]; then
    echo "fresh-check: ending processes still running in $dir:$pids"
    kill -TERM $pids 2>/dev/null; sleep 2; kill -KILL $pids 2>/dev/null
  fi
  for m in $(mounts_under "$dir"); do
    umount "$m" 2>/dev/null || umount -l "$m" || echo "fresh-check: cannot unmount $m" >&2
  done
  [ -z "$(mounts_under "$dir")" ]
}

# rm -rf DIR, but never through a live mount.
remove_tree() {
  local dir=$1
  [ -e "$dir" ] || return 0
  release "$dir" || die "$dir still has mounts; not deleting it"
  rm -rf --one-file-system "$dir"
}

in_root() {  # in_root DIR COMMAND: run COMMAND with bash in the chroot DIR, clean environment
  chroot "$1" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$2"
}

mount_root() {  # the kernel file systems a machine has, private where the host's would leak in
  local dir=$1
  mount -t proc proc "$dir/proc" &&
  mount -t sysfs -o ro sysfs "$dir/sys" &&
  mount --bind /dev "$dir/dev" &&
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$dir/dev/pts" &&
  mount -t tmpfs -o mode=1777,size=2g shm "$dir/dev/shm"
}

if [ "${1:-}" = "--umount" ]; then
  release "$root" && release "$fc/base.tmp" && echo "fresh-check: nothing mounted under $fc"
  exit
fi
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, mount, chroot)"
[ -d "$shared_data" ] || die "../shared/data not found next to the repository"
mkdir -p "$fc" "$debs"
trap 'release "$root"; release "$fc/base.tmp"' EXIT
trap 'exit 130' INT TERM

# ---- 1. base root (cached) ----
if [ ! -s "$base_tar" ]; then
  command -v debootstrap >/dev/null || {
    echo "fresh-check: installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap ||
      die "cannot install debootstrap"; }
  b=$fc/base.tmp
  remove_tree "$b"
  echo "fresh-check: debootstrap bookworm into $b ($mirror)"
  debootstrap bookworm "$b" "$mirror" > "$fc/debootstrap.log" 2>&1 ||
    { tail -20 "$fc/debootstrap.log"; die "debootstrap (see $fc/debootstrap.log)"; }
  rm -f "$b/etc/apt/sources.list"
  cat > "$b/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # A chroot has no init: packages must not try to start services.
  printf '#!/bin/sh\nexit 101\n' > "$b/usr/sbin/policy-rc.d" && chmod 755 "$b/usr/sbin/policy-rc.d"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$b/etc/hosts"
  echo fresh > "$b/etc/hostname"
  cp /etc/resolv.conf "$b/etc/resolv.conf"
  mount_root "$b" || die "mounting proc/sys/dev in $b"
  in_root "$b" 'export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get upgrade -y -q &&
    apt-get install -y -q --no-install-recommends make && apt-get clean && rm -rf /var/lib/apt/lists/*' \
    >> "$fc/debootstrap.log" 2>&1 || { tail -20 "$fc/debootstrap.log"; die "installing make in the base"; }
  release "$b" || die "unmounting $b"
  tar -C "$b" -cf "$base_tar.tmp" . && mv "$base_tar.tmp" "$base_tar" || die "writing $base_tar"
  remove_tree "$b"
  echo "fresh-check: base root cached in $base_tar"
fi
[ "${1:-}" = "--base" ] && exit 0

# ---- 2. a fresh root with a fresh clone ----
remove_tree "$root"
mkdir -p "$root" && tar -C "$root" -xf "$base_tar" || die "unpacking $base_tar"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The network's trust, like its resolver: where TLS goes through a local CA (an inspecting proxy),
# every machine on that network has its certificate in /usr/local/share/ca-certificates. Copied in
# here, it joins /etc/ssl/certs when make deps installs Debian's ca-certificates (npm needs it
# for the registry). Nothing of the project's is added.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  [ -x "$root/usr/sbin/update-ca-certificates" ] && chroot "$root" update-ca-certificates >/dev/null 2>&1
fi
git clone -q --no-hardlinks "$here" "$root$repo_in" || die "git clone"
head=$(git -C "$root$repo_in" log -1 --format='%h %s')
mkdir -p "$root/srv/shared/data"
mount_root "$root" || die "mounting proc/sys/dev in $root"
mount --bind "$shared_data" "$root/srv/shared/data" && mount -o remount,bind,ro "$root/srv/shared/data" ||
  die "bind-mounting ../shared/data"
mount --bind "$debs" "$root/var/cache/apt/archives" || die "bind-mounting the .deb cache"

# ---- 3. README's two commands ----
: > "$log"
exec > >(tee -a "$log") 2>&1
echo "fresh-check: $(date -u '+%F %T') UTC, Debian $(cat "$root/etc/debian_version") root, clone of $head"
summary=() ; failed=0
for cmd in "make demo" "make test"; do
  echo "fresh-check: ==== $cmd ===="
  t0=$(date +%s.%N)
  in_root "$root" "cd $repo_in && $cmd"
  rc=$?
  t1=$(date +%s.%N)
  line=$(awk -v c="$cmd" -v a="$t0" -v b="$t1" -v r="$rc" \
    'BEGIN { printf "fresh-check: %-9s exit %d, %.0f s wall", c, r, b - a }')
  echo "$line"; summary+=("$line")
  [ "$rc" = 0 ] || failed=1
done
echo "fresh-check: ==== summary ===="
printf '%s\n' "${summary[@]}"
if [ "$failed" = 0 ]; then
  echo "fresh-check: PASSED: make demo and make test both succeeded on their first run"
else
  echo "fresh-check: FAILED: see $log"
fi
exit "$failed"
