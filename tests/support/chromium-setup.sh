#!/usr/bin/env bash
# Debian's chromium for the console's browser tests (tests/console/), installed with apt-get
# only when /usr/bin/chromium is missing: Playwright's own browser download needs a CDN
# these machines cannot reach, and Playwright drives Debian's build as well
# (executable_path=/usr/bin/chromium). --no-install-recommends: headless needs none of
# chromium's desktop recommends (sandbox helper, notification daemon, upower). The fonts
# make screenshots readable: DejaVu for everything, Liberation for pages asking for
# Arial/Helvetica/Times (metric-compatible), Noto Color Emoji so emoji are not boxes.
# Runs in the background of make test from its start (stages.sh), beside the compilation.
# (Debian's launcher /usr/bin/chromium may print "[: ...: unexpected operator" from
# /etc/chromium.d/dev-shm when findmnt lists /dev/shm twice: harmless, /dev/shm's size is
# only checked there to add --disable-dev-shm-usage.)
set -euo pipefail
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
packages=(chromium fonts-dejavu-core fonts-liberation fonts-noto-color-emoji)

if [ -x "$CHROMIUM" ]; then
  "$CHROMIUM" --version
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo=(sudo -n); else
    echo "$CHROMIUM is missing and installing it needs root: apt-get install ${packages[*]}" >&2
    exit 1
  fi
else
  sudo=()
fi
apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -q --no-install-recommends)
begin=$(date +%s)
# The package lists may be missing (a fresh container) or older than the security
# archive's current chromium (its .deb then 404s): update once and retry.
if ! "${sudo[@]}" "${apt[@]}" install "${packages[@]}"; then
  "${sudo[@]}" apt-get -q update
  "${sudo[@]}" "${apt[@]}" install "${packages[@]}"
fi
echo "chromium installed in $(($(date +%s) - begin)) s: $("$CHROMIUM" --version)"
