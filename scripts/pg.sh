#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and demos.
#   scripts/pg.sh start DIR   initialise and start a server in DIR (keep DIR short); prints its connection URI
#   scripts/pg.sh stop DIR    stop it (fast shutdown) and remove DIR
# As root, the server runs as the `postgres` user (initdb refuses root); otherwise as the caller.
set -euo pipefail
cmd=${1:?usage: pg.sh start|stop DIR}
dir=${2:?usage: pg.sh start|stop DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "pg.sh: no PostgreSQL server binaries under /usr/lib/postgresql (run scripts/setup.sh)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
      useradd --system --home-dir /var/lib/postgresql --create-home postgres
    fi
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U payrecon -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    for _ in $(seq 1 50); do
      port=$(( 20000 + RANDOM % 40000 ))
      (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && continue
      if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
          -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null 2>&1; then
        echo "$port" >"$dir/port"
        echo "postgresql://payrecon@127.0.0.1:$port/postgres"
        exit 0
      fi
    done
    echo "pg.sh: could not start PostgreSQL; see $dir/server.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: pg.sh start|stop DIR" >&2; exit 2 ;;
esac
