#!/usr/bin/env bash
# Installs a built lockgw as a systemd service on a gateway (Debian / Raspberry Pi OS).
#
#   sudo scripts/install-gateway.sh --gateway-id gw-0042 [--root /] [--no-systemctl]
#
# Run from a checkout after `npm ci && npm run build`. It copies dist/, package files and the
# production node_modules to /opt/lockgw, the unit to /etc/systemd/system, the production config
# to /etc/lockgw/lockgw.yaml (never overwriting an existing one), creates the lockgw user and
# /var/lib/lockgw, and provisions the device secret (mode 0600) if there is none.
# --root DIR stages everything under DIR instead of / (for image builds and tests); it implies
# --no-systemctl and skips creating the user.
set -euo pipefail

root=/
gateway_id=
systemctl=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --gateway-id) gateway_id=${2:?--gateway-id needs an id}; shift 2 ;;
    --no-systemctl) systemctl=0; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install-gateway: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$gateway_id" ] || { echo "install-gateway: --gateway-id is required (letters, digits, . _ : @ -)" >&2; exit 2; }
[[ "$gateway_id" =~ ^[A-Za-z0-9._:@-]{1,128}$ ]] || { echo "install-gateway: --gateway-id '$gateway_id' may contain only letters, digits and . _ : @ -" >&2; exit 2; }

src=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$src/dist/src/main.js" ] || { echo "install-gateway: $src/dist is missing: run npm ci && npm run build first" >&2; exit 1; }
staged=0
[ "$root" != / ] && { staged=1; systemctl=0; }
r=${root%/}

opt="$r/opt/lockgw"; etc="$r/etc/lockgw"; var="$r/var/lib/lockgw"; unit="$r/etc/systemd/system"
mkdir -p "$opt" "$etc" "$var" "$unit"

if [ "$staged" = 0 ] && ! id lockgw >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/lockgw --shell /usr/sbin/nologin --groups dialout lockgw
fi

rm -rf "$opt/dist"
cp -R "$src/dist" "$src/package.json" "$src/package-lock.json" "$src/config" "$opt/"
if [ -d "$src/node_modules" ]; then
  rm -rf "$opt/node_modules"
  cp -R "$src/node_modules" "$opt/"
  (cd "$opt" && npm prune --omit=dev --no-audit --no-fund >/dev/null 2>&1) || echo "install-gateway: npm prune failed; dev dependencies stay in $opt/node_modules" >&2
fi
install -m 0644 "$src/systemd/lockgw.service" "$unit/lockgw.service"

if [ ! -f "$etc/lockgw.yaml" ]; then
  sed "s/^  id: gw-CHANGE-ME$/  id: $gateway_id/" "$src/config/lockgw.production.yaml" > "$etc/lockgw.yaml"
  chmod 0640 "$etc/lockgw.yaml"
else
  echo "install-gateway: keeping the existing $etc/lockgw.yaml"
fi

if [ ! -f "$var/device-secret" ]; then
  (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$var/device-secret" && echo >> "$var/device-secret")
  echo "install-gateway: created a device secret in $var/device-secret — back it up: without it no stored PIN can be checked"
fi
chmod 0600 "$var/device-secret"
if [ "$staged" = 0 ]; then
  chown -R lockgw:lockgw "$var"
  chgrp lockgw "$etc/lockgw.yaml"
fi

if [ "$systemctl" = 1 ]; then
  systemctl daemon-reload
  systemctl enable --now lockgw.service
  echo "install-gateway: lockgw is running; follow it with: journalctl -fu lockgw"
else
  echo "install-gateway: staged in $root (systemctl not run)"
fi
