#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for the tests and deploy/slurm/local-test.sh.
#   setup/services/postgres.sh start STATE   initdb (as the postgres user) into a temporary folder, start it on a free
#                                           127.0.0.1 port, create database "fmnist"; writes STATE (shell variables) and
#                                           prints the store URL (postgresql://postgres@127.0.0.1:PORT/fmnist) on stdout
#   setup/services/postgres.sh stop STATE    stop that cluster (by its postmaster PID) and delete its folder and STATE
# Debian's initdb refuses to run as root, hence runuser; with no --auth, initdb trusts local and loopback connections,
# which is what a throwaway test server wants (it listens on 127.0.0.1 only and lives for one run).
set -euo pipefail
action="${1:-}"; state="${2:-}"
log() { printf '[postgres] %s\n' "$*" >&2; }
if [ -z "$action" ] || [ -z "$state" ]; then
  echo "usage: $0 start|stop STATE_FILE" >&2; exit 2
fi

bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    log "PostgreSQL's server programs are missing: install the Debian package postgresql (setup/debian-packages.txt lists it)."
    exit 1
  fi
  echo "$dir"
}

as_postgres() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  log "found no free port"; exit 1
}

case "$action" in
  start)
    bin="$(bindir)"
    dir="$(mktemp -d /tmp/fmnist-pg.XXXXXX)"
    [ "$(id -u)" = "0" ] && chown postgres: "$dir"
    chmod 700 "$dir"
    port="$(free_port)"
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync off: a throwaway test cluster trades durability (which the tests do not exercise) for speed.
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres fmnist
    pid="$(head -n 1 "$dir/data/postmaster.pid")"
    url="postgresql://postgres@127.0.0.1:$port/fmnist"
    printf 'PG_DIR=%q\nPG_PORT=%q\nPG_PID=%q\nPG_BIN=%q\nPG_URL=%q\n' "$dir" "$port" "$pid" "$bin" "$url" > "$state"
    log "started PostgreSQL (pid $pid) on 127.0.0.1:$port in $dir"
    echo "$url"
    ;;
  stop)
    [ -f "$state" ] || { log "no state file $state: nothing to stop"; exit 0; }
    # shellcheck disable=SC1090
    source "$state"
    if [ -d "$PG_DIR/data" ]; then
      as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    fi
    # If pg_ctl could not stop it, end the postmaster by the PID it wrote at start, and only that one.
    if [ -n "${PG_PID:-}" ] && kill -0 "$PG_PID" 2>/dev/null; then
      kill -TERM "$PG_PID" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$PG_PID" 2>/dev/null && kill -KILL "$PG_PID" 2>/dev/null || true
    fi
    rm -rf "$PG_DIR" "$state"
    log "stopped PostgreSQL on port $PG_PORT"
    ;;
  *)
    echo "usage: $0 start|stop STATE_FILE" >&2; exit 2 ;;
esac
