#!/usr/bin/env bash
# Sets the workspace up before `npm start` / `npm test`: node_modules from the lockfile,
# Debian's Jupyter (nbconvert + nbclient) for headless notebooks, and chromium for the
# browser test. As root on Debian it installs what is missing; otherwise it prints the
# exact command and stops.
#   scripts/setup.sh start   - what `npm start` needs
#   scripts/setup.sh test    - the same plus chromium
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-start}"

# 1. npm packages: `npm ci` when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] installing npm packages from package-lock.json (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

# 2. Debian packages.
apt_packages=()
python_ok() { /usr/bin/python3 -c 'import nbclient, nbformat, jupyter_client' >/dev/null 2>&1; }
if ! command -v jupyter-nbconvert >/dev/null 2>&1 || ! python_ok; then
  apt_packages+=(jupyter-nbconvert python3-nbclient jupyter-client python3-nbformat)
fi
if [ "$purpose" = "test" ] && [ ! -x /usr/bin/chromium ]; then
  apt_packages+=(chromium)
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing Debian packages: ${apt_packages[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${apt_packages[@]}" >&2
  else
    echo "[setup] missing: ${apt_packages[*]}" >&2
    echo "[setup] install them with:  sudo apt-get install -y ${apt_packages[*]}" >&2
    exit 1
  fi
fi
