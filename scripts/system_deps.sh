#!/usr/bin/env bash
# System packages the tests and the demo need beyond python3 and make, from Debian's archive:
# chromium (the HTML report and network graphs are rendered in it) and redis-server (distributed crawls).
# Run by `make` before the Python install; installs only what is missing, so a second run costs nothing.
set -euo pipefail
declare -A need=([chromium]=chromium [redis-server]=redis-server)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "system_deps: need ${missing[*]} (apt-get install ${missing[*]}); not root and no sudo" >&2
  exit 1
fi
echo "system_deps: installing ${missing[*]} from Debian's archive" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
