#!/usr/bin/env bash
# Installs or upgrades lockgw on a gateway (Debian / Raspberry Pi OS), or rolls an upgrade back.
#
#   sudo scripts/install-gateway.sh --gateway-id gw-0042      fresh install, or upgrade to this build
#   sudo scripts/install-gateway.sh --rollback                back to the previous release
#
# Run from a built checkout (`npm ci && npm run build`), or give --from DIR (a built release:
# dist/, package.json, package-lock.json, config/). Each release goes to
# /opt/lockgw/releases/<version> with its production dependencies installed there, on this
# machine (`npm ci --omit=dev`: a native addon built elsewhere breaks here); /opt/lockgw/current
# points at the running one and /opt/lockgw/previous at the one before it. An upgrade backs the
# gateway up first (/var/lib/lockgw/backups/pre-upgrade-*.backup), switches `current`, restarts
# the service and keeps the previous release for --rollback. The gateway id is written once: a
# re-run with another id is refused unless --change-id is given. Also installed: the production
# config (never overwritten), the device secret and the backup passphrase (created once, 0600 /
# 0640), /usr/local/bin/lockgw, and the nightly check-and-backup timer (lockgw-nightly.timer).
#
# options:
#   --gateway-id ID        this gateway's id (required except with --rollback)
#   --change-id            allow changing the id of a gateway that has one
#   --from DIR             the built release to install (default: this checkout)
#   --rollback             make the previous release current again and restart
#   --root DIR             stage everything under DIR instead of / (image builds, tests): no user
#                          is created, nothing is chowned, no service manager runs unless given
#   --service-manager CMD  what runs `daemon-reload`, `enable --now`, `restart` (default systemctl;
#                          none when staged); LOCKGW_SERVICE_MANAGER likewise
#   --no-systemctl         run no service manager
# environment:
#   LOCKGW_INSTALL_DEPS    the command run in the new release directory to install its
#                          dependencies (default: npm ci --omit=dev --no-audit --no-fund)
set -euo pipefail

say() { echo "install-gateway: $*"; }
fail() { echo "install-gateway: $1" >&2; exit "${2:-1}"; }

root=/
gateway_id=
change_id=0
rollback=0
from=
service_manager=${LOCKGW_SERVICE_MANAGER-}
service_manager_given=0
[ -n "$service_manager" ] && service_manager_given=1
install_deps=${LOCKGW_INSTALL_DEPS:-npm ci --omit=dev --no-audit --no-fund}
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --gateway-id) gateway_id=${2:?--gateway-id needs an id}; shift 2 ;;
    --change-id) change_id=1; shift ;;
    --from) from=${2:?--from needs a directory}; shift 2 ;;
    --rollback) rollback=1; shift ;;
    --service-manager) service_manager=${2:?--service-manager needs a command}; service_manager_given=1; shift 2 ;;
    --no-systemctl) service_manager=; service_manager_given=1; shift ;;
    -h|--help) sed -n '2,30p' "$0" | cut -c3-; exit 0 ;;
    *) fail "unknown option $1 (see --help)" 2 ;;
  esac
done

staged=0
[ "$root" != / ] && staged=1
[ "$service_manager_given" = 1 ] || { [ "$staged" = 0 ] && service_manager=systemctl; }
r=${root%/}
opt="$r/opt/lockgw"; etc="$r/etc/lockgw"; var="$r/var/lib/lockgw"; unit="$r/etc/systemd/system"; bin="$r/usr/local/bin"
config="$etc/lockgw.yaml"; passphrase="$etc/backup-passphrase"; backups="$var/backups"

manage() {
  if [ -n "$service_manager" ]; then $service_manager "$@"; fi
}

# as the daemon's user, so the files SQLite leaves beside the database stay the daemon's
as_lockgw() {
  if [ "$staged" = 0 ] && [ "$(id -u)" = 0 ]; then runuser -u lockgw -- "$@"; else "$@"; fi
}

# the gateway id in a config file: gateway.id (the `  id:` line under the top-level `gateway:`)
config_id() {
  awk '/^gateway:/ { inside = 1; next } /^[^ #]/ { inside = 0 }
       inside && /^  id:/ { sub(/^  id:[ ]*/, ""); sub(/[ ]+#.*$/, ""); gsub(/["'"'"']/, ""); print; exit }' "$1"
}

set_config_id() {
  local file=$1 id=$2 temp="$1.install-$$"
  awk -v id="$id" '/^gateway:/ { inside = 1; print; next } /^[^ #]/ { inside = 0 }
       inside && !done && /^  id:/ { print "  id: " id; done = 1; next } { print }' "$file" > "$temp"
  [ "$(config_id "$temp")" = "$id" ] || { rm -f "$temp"; fail "cannot set gateway.id in $file (no '  id:' line under 'gateway:'); edit it by hand"; }
  chmod --reference="$file" "$temp"
  [ "$staged" = 1 ] || chgrp --reference="$file" "$temp"
  mv "$temp" "$file"
}

switch_link() { # name target: atomically point $opt/name at target
  ln -sfn "$2" "$opt/.$1.new"
  mv -T "$opt/.$1.new" "$opt/$1"
}

stamp() { date -u +%Y%m%dT%H%M%SZ; }

if [ "$rollback" = 1 ]; then
  [ -L "$opt/previous" ] || fail "there is no previous release to roll back to in $opt"
  cur=$(readlink "$opt/current"); prev=$(readlink "$opt/previous")
  [ -d "$opt/$prev" ] || fail "the previous release $opt/$prev is gone"
  switch_link current "$prev"
  switch_link previous "$cur"
  say "current release: ${prev#releases/} (was ${cur#releases/})"
  manage restart lockgw.service
  last=$(ls -1 "$backups"/pre-upgrade-*.backup 2>/dev/null | tail -1 || true)
  [ -z "$last" ] || say "if ${prev#releases/} refuses the database as too new, restore the backup taken before the upgrade: sudo -u lockgw lockgw restore $last --passphrase-file $passphrase (with the service stopped)"
  exit 0
fi

[ -n "$gateway_id" ] || fail "--gateway-id is required (letters, digits, . _ : @ -)" 2
[[ "$gateway_id" =~ ^[A-Za-z0-9._:@-]{1,128}$ ]] || fail "--gateway-id '$gateway_id' may contain only letters, digits and . _ : @ -" 2
[ "$gateway_id" != gw-CHANGE-ME ] || fail "--gateway-id gw-CHANGE-ME is the placeholder; give this gateway its own id" 2

# the id first: nothing is touched when this run would change it unasked
if [ -f "$config" ]; then
  existing=$(config_id "$config")
  if [ -n "$existing" ] && [ "$existing" != "$gateway_id" ] && [ "$existing" != gw-CHANGE-ME ] && [ "$change_id" = 0 ]; then
    fail "$config says this gateway is $existing, not $gateway_id: nothing was changed. Re-run with --gateway-id $existing, or add --change-id to make it $gateway_id (the cloud must know the new id)" 2
  fi
fi

src=${from:-$(cd "$(dirname "$0")/.." && pwd)}
src=$(cd "$src" && pwd)
for f in dist/src/main.js dist/src/cli/lockgw.js package.json package-lock.json; do
  [ -f "$src/$f" ] || fail "$src/$f is missing: run npm ci && npm run build first (or give --from a built release)"
done
version=$(node -p 'require(process.argv[1]).version' "$src/package.json")
[[ "$version" =~ ^[0-9A-Za-z.+-]+$ ]] || fail "$src/package.json has no usable version ('$version')"

mkdir -p "$opt/releases" "$etc" "$var" "$unit" "$bin"
if [ "$staged" = 0 ] && ! id lockgw >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/lockgw --shell /usr/sbin/nologin --groups dialout lockgw
fi
# GPIO door inputs (docs/gpio-inputs.md): the gpio group where the system has one; the unit names
# no SupplementaryGroups, so a system without the group still starts it (docs/systemd.md)
if [ "$staged" = 0 ] && getent group gpio >/dev/null 2>&1; then
  usermod -aG gpio lockgw
fi

old=
[ -L "$opt/current" ] && old=$(readlink "$opt/current") && old=${old#releases/}
# an install made before releases/ (dist/ straight in /opt/lockgw): upgraded like a release, its files left in place
legacy=
if [ -z "$old" ] && [ -f "$opt/dist/src/main.js" ]; then
  legacy=legacy-$(node -p 'require(process.argv[1]).version' "$opt/package.json" 2>/dev/null || echo unknown)
fi
running=${old:-$legacy}
release="$opt/releases/$version"
if [ "$old" = "$version" ]; then
  say "release $version is already current; not reinstalled"
else
  # a release directory is the installer's own: one left by an earlier attempt is replaced
  rm -rf "$release" "$release.partial"
  mkdir -p "$release.partial"
  # never node_modules: dependencies are installed here, for this machine
  cp -R "$src/dist" "$src/package.json" "$src/package-lock.json" "$release.partial/"
  [ -d "$src/config" ] && cp -R "$src/config" "$release.partial/"
  chmod 0755 "$release.partial/dist/src/cli/lockgw.js"
  say "installing the dependencies of $version on this machine: $install_deps"
  (cd "$release.partial" && $install_deps) || { rm -rf "$release.partial"; fail "installing the dependencies failed; nothing else was changed (the current release is ${old:-none})"; }
  mv -T "$release.partial" "$release"
fi

# the production config (never overwritten), with this id
if [ ! -f "$config" ]; then
  sed "s/^  id: gw-CHANGE-ME$/  id: $gateway_id/" "$src/config/lockgw.production.yaml" > "$config"
  chmod 0640 "$config"
  [ "$staged" = 1 ] || chgrp lockgw "$config"
elif [ "$(config_id "$config")" != "$gateway_id" ]; then
  was=$(config_id "$config")
  set_config_id "$config" "$gateway_id"
  say "gateway id: $gateway_id (was ${was:-unset}) in $config"
else
  say "keeping the existing $config"
fi

if [ ! -f "$var/device-secret" ]; then
  (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$var/device-secret" && echo >> "$var/device-secret")
  say "created a device secret in $var/device-secret — back it up (lockgw backup): without it no stored PIN can be checked"
fi
chmod 0600 "$var/device-secret"
if [ ! -f "$passphrase" ]; then
  (umask 027 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$passphrase" && echo >> "$passphrase")
  say "created the backup passphrase $passphrase — keep a copy off this gateway: no backup opens without it"
fi
chmod 0640 "$passphrase"
mkdir -p "$backups"
chmod 0700 "$backups"
if [ "$staged" = 0 ]; then
  chown -R lockgw:lockgw "$var"
  chgrp lockgw "$passphrase"
fi

# an upgrade backs the gateway up before anything it runs on changes; with the new release's
# CLI (an older release may not have `backup`), which reads the database without migrating it
if { [ -n "$old" ] && [ "$old" != "$version" ]; } || [ -n "$legacy" ]; then
  database=$(node --input-type=module -e "const { loadConfig } = await import(process.argv[1]); const { resolve } = await import('node:path'); const c = loadConfig(process.argv[2]); console.log(resolve(c.gateway.dataDir, c.store.file))" "$release/dist/src/app/config/loadConfig.js" "$config") \
    || fail "cannot read $config with release $version: nothing was switched (still $running)"
  if [ -f "$database" ]; then
    file="$backups/pre-upgrade-$running-to-$version-$(stamp).backup"
    LOCKGW_CONFIG="$config" as_lockgw node "$release/dist/src/cli/lockgw.js" backup "$file" --passphrase-file "$passphrase" \
      || fail "the backup before the upgrade failed: nothing was switched (still $running); release $version stays in $release"
    say "backed up to $file"
  else
    say "no database at $database yet: nothing to back up"
  fi
fi

# the unit points at the current release
if grep -q '/opt/lockgw/current' "$src/systemd/lockgw.service"; then
  install -m 0644 "$src/systemd/lockgw.service" "$unit/lockgw.service"
else
  sed -e 's#^WorkingDirectory=/opt/lockgw$#WorkingDirectory=/opt/lockgw/current#' -e 's#/opt/lockgw/dist/#/opt/lockgw/current/dist/#g' \
    "$src/systemd/lockgw.service" > "$unit/lockgw.service"
  chmod 0644 "$unit/lockgw.service"
fi
for f in lockgw-nightly.service lockgw-nightly.timer; do install -m 0644 "$src/systemd/$f" "$unit/$f"; done
# Bluetooth capabilities only when the config has a ble: section (locks or phone keys; docs/systemd.md)
if grep -Eq '^ble:' "$config" 2>/dev/null; then
  install -d -m 0755 "$unit/lockgw.service.d"
  install -m 0644 "$src/systemd/lockgw.service.d/bluetooth.conf" "$unit/lockgw.service.d/bluetooth.conf"
  say "BLE is configured: installed the Bluetooth drop-in (lockgw.service.d/bluetooth.conf)"
elif [ -f "$unit/lockgw.service.d/bluetooth.conf" ]; then
  rm -f "$unit/lockgw.service.d/bluetooth.conf"
  say "BLE is not configured: removed the Bluetooth drop-in"
fi
cat > "$bin/lockgw.new" <<'EOF'
#!/bin/sh
# installed by lockgw's scripts/install-gateway.sh: the CLI of the current release
: "${LOCKGW_CONFIG:=/etc/lockgw/lockgw.yaml}"
export LOCKGW_CONFIG
exec node /opt/lockgw/current/dist/src/cli/lockgw.js "$@"
EOF
chmod 0755 "$bin/lockgw.new"
mv "$bin/lockgw.new" "$bin/lockgw"

if [ "$old" != "$version" ]; then
  [ -n "$old" ] && [ "$old" != "$version" ] && switch_link previous "releases/$old"
  switch_link current "releases/$version"
  # keep the current and the previous release; older ones are this installer's and go
  for dir in "$opt"/releases/*; do
    name=releases/$(basename "$dir")
    [ "$name" = "releases/$version" ] || [ "$name" = "releases/$old" ] || rm -rf "$dir"
  done
fi

manage daemon-reload
if [ -n "$running" ]; then
  manage restart lockgw.service
else
  manage enable --now lockgw.service
fi
manage enable --now lockgw-nightly.timer
if [ -n "$legacy" ]; then
  say "upgraded the install in $opt ($legacy) → $version in $release; its dist/, node_modules/ and package files in $opt are no longer used and were left in place: remove them once $version runs well"
elif [ -n "$old" ] && [ "$old" != "$version" ]; then
  say "upgraded $old → $version; the previous release stays for: $0 --rollback"
else
  say "installed $version"
fi
if [ -z "$service_manager" ]; then say "staged in $root (no service manager run)"; else say "follow it with: journalctl -fu lockgw"; fi
