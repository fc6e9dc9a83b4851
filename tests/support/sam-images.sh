#!/usr/bin/env bash
# Builds, without any container registry, the two Docker images `make sam-local-test` needs,
# each only if no image with its tag exists yet (so a real, pulled image is never replaced):
#
#   public.ecr.aws/lambda/provided:al2023-x86_64
#       The tag `sam local` looks for as the base image of a provided.al2023 x86_64
#       function. Here it is a minimal Debian root filesystem (debootstrap --variant=minbase,
#       from Debian's packages) carrying the environment the real image sets; SAM layers its
#       bundled runtime interface emulator (aws-lambda-rie) on top itself. Our bootstraps
#       need only glibc and libgcc, which it has. Where the real image can be pulled, pull
#       it instead (docs/local-gateway.md).
#   tenant-api-localdb:moto-<version>
#       The same root filesystem plus python3 and moto[server] at the version pinned in
#       tests/support/requirements.txt: the DynamoDB engine the function containers reach
#       over a Docker network (tests/support/sam-local-test.sh mounts localdb.py and
#       template.yaml into it).
#
# Prints the two tags. Needs root (debootstrap, chroot) and a reachable Docker engine;
# installs debootstrap with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

LAMBDA_IMAGE=public.ecr.aws/lambda/provided:al2023-x86_64
moto_version=$(sed -n 's/^moto\[server\]==\([^ ]*\).*/\1/p' tests/support/requirements.txt)
[ -n "$moto_version" ] || { echo "no moto[server]==<version> pin in tests/support/requirements.txt" >&2; exit 1; }
LOCALDB_IMAGE=tenant-api-localdb:moto-$moto_version
SUITE=bookworm

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

if have_image "$LAMBDA_IMAGE" && have_image "$LOCALDB_IMAGE"; then
  echo "$LAMBDA_IMAGE"
  echo "$LOCALDB_IMAGE"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  echo "installing debootstrap (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq debootstrap >&2
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/tenant-api-rootfs.XXXXXX")
rootfs="$work/rootfs"
cleanup() {
  umount "$rootfs/proc" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "debootstrap --variant=minbase $SUITE (about a minute)" >&2
# DEBOOTSTRAP_MIRROR: a Debian mirror of your own; by default debootstrap's.
debootstrap --variant=minbase "$SUITE" "$rootfs" ${DEBOOTSTRAP_MIRROR:+"$DEBOOTSTRAP_MIRROR"} >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# Lambda's directories: code in /var/task (SAM mounts it there), runtime, layers.
mkdir -p "$rootfs/var/task" "$rootfs/var/runtime" "$rootfs/opt"

import_rootfs() { # tag, then docker import --change options
  local tag=$1
  shift
  tar -C "$rootfs" --numeric-owner --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* \
    --exclude=./var/cache/apt/archives/*.deb -c . | docker import "$@" - "$tag" >/dev/null
  echo "built $tag" >&2
}

if ! have_image "$LAMBDA_IMAGE"; then
  # The environment and working directory of the real provided:al2023 image.
  import_rootfs "$LAMBDA_IMAGE" \
    --change 'ENV LANG=en_US.UTF-8' \
    --change 'ENV TZ=:/etc/localtime' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
    --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
    --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
    --change 'WORKDIR /var/task' \
    --change "LABEL org.opencontainers.image.description=\"offline stand-in for $LAMBDA_IMAGE (Debian $SUITE minbase), built by tests/support/sam-images.sh\""
fi

if ! have_image "$LOCALDB_IMAGE"; then
  echo "installing python3 and moto[server]==$moto_version into the local DynamoDB image" >&2
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  mount -t proc proc "$rootfs/proc" 2>/dev/null || true
  # pip inside the chroot trusts what this machine trusts (its CA bundle, e.g. a proxy's
  # CA) and uses its index settings, if any; both are removed before the import.
  host_ca=${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
  pip_env=(PIP_DISABLE_PIP_VERSION_CHECK=1)
  if [ -f "$host_ca" ]; then
    cp "$host_ca" "$rootfs/tmp/host-ca.crt"
    pip_env+=(PIP_CERT=/tmp/host-ca.crt)
  fi
  [ -n "${PIP_INDEX_URL:-}" ] && pip_env+=("PIP_INDEX_URL=$PIP_INDEX_URL")
  in_root() { chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
  {
    in_root apt-get update -qq
    in_root DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
    in_root apt-get clean
    in_root python3 -m venv /opt/localdb
    in_root "${pip_env[@]}" /opt/localdb/bin/pip install --quiet --no-cache-dir "moto[server]==$moto_version"
  } >"$work/localdb.log" 2>&1 || { tail -n 30 "$work/localdb.log" >&2; exit 1; }
  umount "$rootfs/proc" 2>/dev/null || true
  rm -f "$rootfs/tmp/host-ca.crt"
  : >"$rootfs/etc/resolv.conf"
  rm -rf "$rootfs/var/lib/apt/lists/"*
  import_rootfs "$LOCALDB_IMAGE" \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/opt/localdb/bin:/usr/local/bin:/usr/bin:/bin' \
    --change 'WORKDIR /srv' \
    --change 'EXPOSE 8042' \
    --change "LABEL org.opencontainers.image.description=\"moto $moto_version (DynamoDB) for sam local tests, built by tests/support/sam-images.sh\""
fi

echo "$LAMBDA_IMAGE"
echo "$LOCALDB_IMAGE"
