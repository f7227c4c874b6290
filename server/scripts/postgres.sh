#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests, the bench and `make run-two`: its data under
# target/postgres, listening on 127.0.0.1 only, at a free port, trusting local connections.
# It also speaks TLS, with a certificate for 127.0.0.1 from a throw-away authority (which
# clients trust through target/postgres/ca.crt); the role `lab_tls` may connect only over TLS, so a test can tell
# that `sslmode=require` really encrypts.
#
#   postgres.sh start   install Debian's PostgreSQL if missing, start the cluster, print its URL
#   postgres.sh stop    stop it (the data stays until the next start, which begins afresh)
#   postgres.sh url     print the running cluster's URL
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/target/postgres"

# The newest server's programs (the client package alone has a bin/ without initdb).
pg_bin() {
  ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 | xargs -r dirname
}

install_postgres() {
  [ -n "$(pg_bin)" ] && return
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
}

# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The data directory: under target/ when its owner can reach it there; otherwise (a checkout
# in a private directory, say) in a fresh temp directory, remembered in target/postgres/data.
data_dir() {
  if [ -L "$dir/data" ]; then readlink "$dir/data"; else echo "$dir/data"; fi
}

running() {
  [ -f "$dir/url" ] && as_owner "$(pg_bin)/pg_ctl" -D "$(data_dir)" status >/dev/null 2>&1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  install_postgres
  if running; then cat "$dir/url"; return; fi
  local bin data port
  bin="$(pg_bin)"
  [ -L "$dir/data" ] && rm -rf "$(dirname "$(readlink "$dir/data")")"
  rm -rf "$dir"
  mkdir -p "$dir"
  data="$dir/data"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      data="$(mktemp -d /tmp/lab-postgres.XXXXXX)/data"
      chown postgres: "$(dirname "$data")"
      ln -s "$data" "$dir/data"
    fi
  fi
  as_owner "$bin/initdb" -D "$data" -U lab --auth=trust --encoding=UTF8 --no-sync >/dev/null
  make_certificate "$(dirname "$data")"
  # First match wins: `lab_tls` without TLS is refused before the lines that trust everyone.
  as_owner sed -i '1i hostnossl all lab_tls all reject' "$data/pg_hba.conf"
  port="$(free_port)"
  as_owner "$bin/pg_ctl" -D "$data" -l "$(dirname "$data")/server.log" -w \
    -o "-p $port -k $(dirname "$data") -c listen_addresses=127.0.0.1 -c max_connections=400 \
        -c ssl=on -c ssl_cert_file=$(dirname "$data")/server.crt \
        -c ssl_key_file=$(dirname "$data")/server.key" \
    start >/dev/null
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U lab lab
  as_owner "$bin/createuser" -h 127.0.0.1 -p "$port" -U lab --superuser lab_tls
  echo "postgres://lab@127.0.0.1:$port/lab" >"$dir/url"
  cat "$dir/url"
}

# An authority made for this cluster alone, and its certificate for 127.0.0.1 (a client that
# verifies refuses a certificate that is its own authority). The server's key is readable by
# the cluster's owner alone; the authority's key is thrown away.
make_certificate() {
  local where="$1" ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=idempotency lab test authority" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req "${ec[@]}" -subj /CN=127.0.0.1 -keyout "$where/server.key" \
    -out "$dir/server.csr" 2>/dev/null
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -set_serial 1 \
    -days 2 -extfile <(printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n') \
    -out "$where/server.crt" 2>/dev/null
  rm "$dir/ca.key" "$dir/server.csr"
  chmod 600 "$where/server.key"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$where/server.key" "$where/server.crt"; fi
}

stop() {
  if running; then
    as_owner "$(pg_bin)/pg_ctl" -D "$(data_dir)" -m fast -w stop >/dev/null
  fi
  rm -f "$dir/url"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) running && cat "$dir/url" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
