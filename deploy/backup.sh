#!/usr/bin/env bash
# Back up Vigil: the audit chain head, the database (pg_dump, custom format) and VIGIL_DATA_DIR
# (encrypted media, uploads in progress) into DIR/<UTC time>/, with SHA256SUMS.
# The key files are NOT included: keep them apart (docs/operations.md, "Backups").
#   DATABASE_URL=… VIGIL_DATA_DIR=… deploy/backup.sh /var/backups/vigil
set -euo pipefail
dest=${1:?usage: backup.sh DIR}
: "${DATABASE_URL:?DATABASE_URL is not set (EnvironmentFile=/etc/vigil/vigil.env)}"
: "${VIGIL_DATA_DIR:?VIGIL_DATA_DIR is not set}"
umask 077
out="$dest/$(date -u +%Y-%m-%dT%H%M%SZ)"
mkdir -p "$out"
# As the service account when run by root on the server (peer authentication on the socket).
as=()
if [ "$(id -u)" = 0 ] && id vigil >/dev/null 2>&1 && [ -z "${VIGIL_BACKUP_AS_ROOT:-}" ]; then
  as=(runuser -u vigil --)
fi
# Order matters. The audit chain head first: the dump then holds every event it names (events
# newer than the head verify by their MACs). The data folder last: every media row in the dump
# has its sealed file already written (files are sealed before their row commits).
head=${VIGIL_AUDIT_HEAD_FILE:-$VIGIL_DATA_DIR/audit/head.json}
if [ -f "$head" ]; then cp -p "$head" "$out/audit-head.json"; else : >"$out/audit-head.json"; fi
"${as[@]}" pg_dump --format=custom --no-owner --dbname="$DATABASE_URL" >"$out/vigil.dump"
# Static files are rebuilt by collectstatic; everything else in the data folder is kept.
tar -C "$VIGIL_DATA_DIR" --exclude=./static --exclude=./audit/head.json --exclude=./audit/head.json.lock \
    -cf "$out/data.tar" .
(cd "$out" && sha256sum audit-head.json vigil.dump data.tar >SHA256SUMS)
echo "$out"
