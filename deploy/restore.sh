#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into the database DATABASE_URL names and into
# VIGIL_DATA_DIR (emptied first), then migrate. Stop the web and worker units first. Afterwards:
# `vigil verify_audit` and `vigil check_media` (docs/operations.md, "Restore").
#   DATABASE_URL=… VIGIL_DATA_DIR=… deploy/restore.sh /var/backups/vigil/2026-12-01T020000Z
set -euo pipefail
src=${1:?usage: restore.sh BACKUP-DIR}
: "${DATABASE_URL:?DATABASE_URL is not set}" "${VIGIL_DATA_DIR:?VIGIL_DATA_DIR is not set}"
vigil=${VIGIL_BIN:-/opt/vigil/app/.venv/bin/vigil}
(cd "$src" && sha256sum --quiet --check SHA256SUMS) || { echo "restore: $src fails its SHA256SUMS" >&2; exit 1; }
as=()
if [ "$(id -u)" = 0 ] && id vigil >/dev/null 2>&1 && [ -z "${VIGIL_BACKUP_AS_ROOT:-}" ]; then
  as=(runuser -u vigil --)
fi
"${as[@]}" pg_restore --clean --if-exists --no-owner --exit-on-error --dbname="$DATABASE_URL" <"$src/vigil.dump"
mkdir -p "$VIGIL_DATA_DIR"
find "$VIGIL_DATA_DIR" -mindepth 1 -maxdepth 1 ! -name static -exec rm -rf {} +
tar -C "$VIGIL_DATA_DIR" -xf "$src/data.tar"
head=${VIGIL_AUDIT_HEAD_FILE:-$VIGIL_DATA_DIR/audit/head.json}
if [ -s "$src/audit-head.json" ]; then
  mkdir -p "$(dirname "$head")"; cp -p "$src/audit-head.json" "$head"; chmod 0600 "$head"
fi
[ ${#as[@]} -gt 0 ] && chown -R vigil:vigil "$VIGIL_DATA_DIR"
"${as[@]}" "$vigil" migrate --noinput -v 0
echo "restored $src; now: vigil verify_audit && vigil check_media"
