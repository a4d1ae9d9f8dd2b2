#!/usr/bin/env bash
# Installs the Debian packages listed in test/setup/debian-packages.txt that are missing, so that
# `npm ci && npm test` on a fresh machine (CI runs as root) has the real servers the interop tests
# start (Prometheus, ...). Never fails the test run: it prints what it could not install, and the
# tests that need it say so. Set MOG_SKIP_INSTALL_DEPS=1 to skip.
set -u
cd "$(dirname "$0")"
[ "${MOG_SKIP_INSTALL_DEPS:-}" = "1" ] && exit 0

missing=()
while read -r pkg cmd _; do
  case "$pkg" in ''|'#'*) continue ;; esac
  command -v "${cmd:-$pkg}" >/dev/null 2>&1 || missing+=("$pkg")
done < debian-packages.txt
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: not root or no apt-get; missing Debian packages (tests needing them will say so): ${missing[*]}" >&2
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || echo "install-deps: apt-get update failed" >&2
# No service is started by the packages (policy-rc.d 101): the tests start their own on loopback.
own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
fi
failed=()
for pkg in "${missing[@]}"; do
  # One at a time: one unavailable package must not keep the others out.
  apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 || failed+=("$pkg")
done
[ "$own_policy" = "1" ] && rm -f /usr/sbin/policy-rc.d
if [ "${#failed[@]}" -gt 0 ]; then
  echo "install-deps: could not install: ${failed[*]} (tests needing them will say so)" >&2
fi
exit 0
