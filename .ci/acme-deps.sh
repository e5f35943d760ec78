#!/bin/sh
# Installs the ACME test CA (Debian's pebble and pebble-challtestsrv) used by packages/acme's
# tests. Without it those tests are skipped with a visible reason. Idempotent.
set -eu
if command -v pebble >/dev/null 2>&1 && command -v pebble-challtestsrv >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends pebble
command -v pebble >/dev/null && command -v pebble-challtestsrv >/dev/null
