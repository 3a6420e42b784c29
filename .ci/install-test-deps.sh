#!/usr/bin/env bash
# System packages the test suite needs: Debian's dovecot (a real IMAP server for the IMAP importer tests),
# git-pw (the Patchwork client the Patchwork API is tested with), b4 (the public-inbox client the
# /lists/ archive is tested with) and chromium (the browser the dashboard is tested in).
# Installs only what is missing; runs apt-get update only when the first install attempt fails.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# install_missing <package> <program paths…>: installs the package unless one of the programs exists
install_missing() {
  local package=$1
  shift
  for program in "$@"; do
    if command -v "$program" >/dev/null 2>&1 || [ -x "$program" ]; then return 0; fi
  done
  $SUDO apt-get install -y "$package" || { $SUDO apt-get update && $SUDO apt-get install -y "$package"; }
}

install_missing dovecot-imapd dovecot /usr/sbin/dovecot
install_missing git-pw git-pw
install_missing b4 b4
install_missing chromium /usr/bin/chromium
install_missing public-inbox public-inbox-init
