#!/usr/bin/env bash
# make fresh-machine: the README's first hour on a new Debian 12 (SUITE=noble: Ubuntu 24.04), proved on this
# machine without touching it.
#
# debootstrap builds the root; apt-get installs what the README's "Run it" names; the project is
# cloned into it. Then, in a network namespace of its own (only a loopback, so its 127.0.0.1:3306 and
# :5432 are not this machine's), its MariaDB and PostgreSQL start, the README's commands let the site
# log in, and `make test` and `make run` run as a newcomer runs them: a user who is not root, with sudo
# (NOPASSWD stands for typing the password). Package downloads (apt, pip,
# Chromium) happen before the namespace is entered: it has no route out. Needs root; removes all it
# made, on failure too (KEEP=1 keeps the root for a look). Not part of `make test`.
set -o errexit -o pipefail -o nounset
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "make fresh-machine needs root (debootstrap, chroot, ip netns)." >&2; exit 1; }
suite=${SUITE:-bookworm}
case $suite in
  bookworm) mirror=${MIRROR:-http://deb.debian.org/debian} ;;
  noble) mirror=${MIRROR:-http://archive.ubuntu.com/ubuntu} ;;
  *) echo "SUITE is bookworm (Debian 12) or noble (Ubuntu 24.04), not $suite." >&2; exit 1 ;;
esac
root=$(mktemp -d /var/tmp/fresh-machine.XXXXXX)
chmod 755 "$root"  # its /: mktemp's 700 would keep every user but root out (postgres, exim's mail)
ns=fresh-machine-$$
started=$(date +%s)

step() { printf '\n== %s (%d s)\n' "$*" $(($(date +%s) - started)); }
quiet() { "$@" >"$root.log" 2>&1 || { tail -n 40 "$root.log"; return 1; }; }  # the output when it fails
# as USER online|offline COMMAND: run COMMAND in the root as USER, with the network or in the namespace.
# PIP_CERT: the system's bundle, which holds this machine's own CAs too (a TLS-inspecting proxy's, if any).
as() {
  local user=$1 home=/root namespace=()
  [ "$user" = root ] || home=/home/$user
  [ "$2" = offline ] && namespace=(ip netns exec "$ns")
  "${namespace[@]}" chroot "$root" /usr/sbin/runuser -u "$user" -- /usr/bin/env -i HOME="$home" USER="$user" \
    LOGNAME="$user" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt /bin/bash -c "$3"
}

cleanup() {
  set +o errexit
  if ip netns list | grep -qw "$ns"; then
    ip netns pids "$ns" | xargs -r kill -9 2>/dev/null
    ip netns delete "$ns"
  fi
  for mount in dev/shm dev/pts dev proc sys; do umount -l "$root/$mount" 2>/dev/null; done
  if [ "${KEEP:-}" = 1 ]; then echo "Kept $root."; else rm -rf --one-file-system "$root" "$root.log" "$root.keyring"; fi
}
trap cleanup EXIT

# Ubuntu's archive key (2018), the one key its releases are signed with. Debian 12 packages no Ubuntu keyring,
# so it comes from Ubuntu's own package, and only the key with this fingerprint is kept from it.
UBUNTU_ARCHIVE_KEY=F6ECB3762474EDA9D21B7022871920D1991BC93C
ubuntu_keyring() {
  local package=$root.keyring.deb home
  home=$(mktemp -d)
  curl -fsS "$mirror/pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb" -o "$package"
  dpkg-deb --fsys-tarfile "$package" | tar -xO ./usr/share/keyrings/ubuntu-archive-keyring.gpg >"$home/all.gpg"
  gpg --homedir "$home" --quiet --no-default-keyring --keyring "$home/all.gpg" \
    --export "$UBUNTU_ARCHIVE_KEY" >"$root.keyring"
  rm -rf "$home" "$package"
  [ -s "$root.keyring" ] || { echo "Ubuntu's keyring package holds no key $UBUNTU_ARCHIVE_KEY." >&2; return 1; }
}

step "debootstrap $suite into $root"
if [ "$suite" = noble ]; then
  ubuntu_keyring
  # Debian 12's debootstrap has no script named noble; gutsy's is the one every Ubuntu release uses.
  quiet debootstrap --variant=minbase --keyring="$root.keyring" noble "$root" "$mirror" \
    /usr/share/debootstrap/scripts/gutsy
  # A stock Ubuntu 24.04 has all four components, with its updates and security fixes.
  for pocket in noble noble-updates noble-security; do
    echo "deb $mirror $pocket main restricted universe multiverse"
  done >"$root/etc/apt/sources.list"
else
  quiet debootstrap --variant=minbase "$suite" "$root" "$mirror"
fi
# This machine's network settings: its name servers, and the CAs it trusts beyond Debian's.
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/usr/local/share/ca-certificates"
cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
# Package scripts must not start servers here, in this machine's network: they start inside the namespace.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
# /dev/shm is a mount of its own, which the bind leaves out: an empty directory only root may write to.
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"

step "the README's packages"
# A stock machine has sudo; the person answers apt-get's question with yes.
echo 'APT::Get::Assume-Yes "true";' > "$root/etc/apt/apt.conf.d/90yes"
readme_line() { grep -m1 -F -- "\$ sudo $1" README.md | sed 's/^\$ //'; }
as root online "echo 'debconf debconf/frontend select Noninteractive' | debconf-set-selections"  # sudo drops it
quiet as root online "apt-get update -qq && apt-get install -qq sudo"
as root online "useradd --create-home --shell /bin/bash newcomer && \
  echo 'newcomer ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/newcomer"
quiet as newcomer online "$(readme_line 'apt-get update') && $(readme_line 'apt-get install')"
quiet as root online update-ca-certificates
# The package made its cluster while this machine's own server held 5432, so it took the next port;
# on a machine of its own it gets 5432, as here inside the namespace.
sed -i -E 's/^port = [0-9]+/port = 5432/' "$root"/etc/postgresql/*/main/postgresql.conf

step "clone the project"
git clone -q . "$root/srv/project"
as root online "chown -R newcomer: /srv/project"

# Ubuntu's Chromium is a snap, and snapd cannot run in a chroot: there the browser tests are left out, and said so.
make_test=(make test)
browser=browser
if [ "$suite" = noble ]; then
  make_test+=(BROWSER_DEPS= "PYTEST_ARGS=-m 'not browser'")
  browser=
fi

step "what make installs, while the network is there: .venv, the test packages${browser:+, Chromium}"
quiet as newcomer online "cd /srv/project && make install test-deps $browser"

step "start MariaDB and PostgreSQL in a namespace of their own"
ip netns add "$ns"
ip -n "$ns" link set lo up
as root offline "install -d -o mysql -g mysql /run/mysqld && (mysqld_safe >/dev/null 2>&1 &) && \
  pg_ctlcluster \$(ls /etc/postgresql) main start"
as root offline "for _ in \$(seq 30); do mariadb-admin ping >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1"

step "the README's login commands, as written"
for command in mariadb sed "-u postgres"; do
  line=$(readme_line "$command")
  echo "\$ $line"
  as newcomer offline "$line" >/dev/null
done

step "${make_test[*]}"
as newcomer offline "cd /srv/project && $(printf '%q ' "${make_test[@]}")"

step "make run: the pages answer"
as newcomer offline "set -o errexit; cd /srv/project && (make run >/tmp/run.log 2>&1 &) && for _ in \$(seq 120); do \
  python3 -c 'import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:8000/health/\")' 2>/dev/null && break; sleep 1; done; \
  for page in / /films/ /books/ /admin/login/; do \
    python3 -c \"import sys, urllib.request; print(sys.argv[1], urllib.request.urlopen('http://127.0.0.1:8000' + sys.argv[1]).status)\" \$page; \
  done"

step "done: ${make_test[*]} and make run worked on a fresh $suite root"
