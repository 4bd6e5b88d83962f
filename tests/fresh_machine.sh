#!/usr/bin/env bash
# make fresh-machine: the README's first hour on a new Debian 12, proved on this machine without touching it.
#
# debootstrap builds a Debian root; apt-get installs what the README's "Run it" names; the project is
# cloned into it. Then, in a network namespace of its own (only a loopback, so its 127.0.0.1:3306 and
# :5432 are not this machine's), its MariaDB and PostgreSQL start, the README's commands let the site
# log in, and `make test` and `make run` run as a newcomer runs them. Package downloads (apt, pip,
# Chromium) happen before the namespace is entered: it has no route out. Needs root; removes all it
# made, on failure too (KEEP=1 keeps the root for a look). Not part of `make test`: about 15 minutes.
set -o errexit -o pipefail -o nounset
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "make fresh-machine needs root (debootstrap, chroot, ip netns)." >&2; exit 1; }
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d /var/tmp/fresh-machine.XXXXXX)
ns=fresh-machine-$$
started=$(date +%s)

step() { printf '\n== %s (%d s)\n' "$*" $(($(date +%s) - started)); }
inside() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 /bin/bash -c "$1"; }
offline() { ip netns exec "$ns" chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 /bin/bash -c "$1"; }

cleanup() {
  set +o errexit
  if ip netns list | grep -qw "$ns"; then
    ip netns pids "$ns" | xargs -r kill -9 2>/dev/null
    ip netns delete "$ns"
  fi
  for mount in dev/pts dev proc sys; do umount -l "$root/$mount" 2>/dev/null; done
  if [ "${KEEP:-}" = 1 ]; then echo "Kept $root."; else rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT

step "debootstrap $suite into $root"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >/dev/null
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Package scripts must not start servers here, in this machine's network: they start inside the namespace.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"

step "the README's packages"
# A stock machine has sudo; the person answers apt-get's question with yes.
echo 'APT::Get::Assume-Yes "true";' > "$root/etc/apt/apt.conf.d/90yes"
readme_line() { grep -m1 -F -- "\$ sudo $1" README.md | sed 's/^\$ //'; }
inside "echo 'debconf debconf/frontend select Noninteractive' | debconf-set-selections"  # sudo drops DEBIAN_FRONTEND
inside "apt-get update -qq && apt-get install -qq sudo >/dev/null"
inside "$(readme_line 'apt-get install') >/dev/null"

step "clone the project"
git clone -q . "$root/root/project"

step "what make installs, while the network is there: .venv, the test packages, Chromium"
inside "cd /root/project && make install test-deps browser >/dev/null"

step "start MariaDB and PostgreSQL in a namespace of their own"
ip netns add "$ns"
ip -n "$ns" link set lo up
offline "install -d -o mysql -g mysql /run/mysqld && (mysqld_safe >/dev/null 2>&1 &) && \
  pg_ctlcluster \$(ls /etc/postgresql) main start"
offline "for _ in \$(seq 30); do mariadb-admin ping >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1"

step "the README's login commands, as written"
for command in mariadb sed "-u postgres"; do
  line=$(readme_line "$command")
  echo "\$ $line"
  offline "$line" >/dev/null
done

step "make test"
offline "cd /root/project && make test"

step "make run: the pages answer"
offline "cd /root/project && (make run >/tmp/run.log 2>&1 &) && for _ in \$(seq 120); do \
  python3 -c 'import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:8000/health/\")' 2>/dev/null && break; sleep 1; done; \
  for page in / /films/ /books/ /admin/login/; do \
    python3 -c \"import sys, urllib.request; print(sys.argv[1], urllib.request.urlopen('http://127.0.0.1:8000' + sys.argv[1]).status)\" \$page; \
  done"

step "done: make test and make run worked on a fresh $suite root"
