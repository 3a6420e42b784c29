#!/usr/bin/env bash
# System packages the test suite needs: Debian's dovecot (a real IMAP server for the IMAP importer tests),
# git-pw (the Patchwork client the Patchwork API is tested with) and b4 (the public-inbox client the
# /lists/ archive is tested with).
# Installs only what is missing; runs apt-get update only when the first install attempt fails.
set -euo pipefail

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y dovecot-imapd || { $SUDO apt-get update && $SUDO apt-get install -y dovecot-imapd; }
fi

if ! command -v git-pw >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y git-pw || { $SUDO apt-get update && $SUDO apt-get install -y git-pw; }
fi

if ! command -v b4 >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y b4 || { $SUDO apt-get update && $SUDO apt-get install -y b4; }
fi
