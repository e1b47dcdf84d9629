#!/usr/bin/env bash
# Installs (if needed) and starts a Redis 7 server for the bench suite, bound to loopback, no persistence.
#   redis.sh start PORT     prints the server's version line when it answers PING
#   redis.sh stop PORT
# RedisPeer runs it from its class path (copied to a temp file), so it works from the shaded jar as well.
# Debian's package is the source: apt-get as root, or through sudo without a password. Anything else is an
# error with the reason on stderr, which the bench reports as "skipped".
set -euo pipefail

cmd=${1:-}
port=${2:-}
if [[ -z "$cmd" || -z "$port" || ! "$port" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 start|stop PORT" >&2
  exit 64
fi

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
  else echo "redis-server is not installed and installing it needs root (or password-less sudo)" >&2; return 1
  fi
}

install_redis() {
  command -v redis-server >/dev/null && return 0
  command -v apt-get >/dev/null || { echo "redis-server is not installed and there is no apt-get to install it" >&2; return 1; }
  echo "installing Debian's redis-server package..." >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null 2>&1 \
    || { as_root apt-get update -q >/dev/null 2>&1 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null 2>&1; } \
    || { echo "apt-get install redis-server failed" >&2; return 1; }
  # The package starts a system-wide server on 6379; the bench uses its own, so stop that one if it runs.
  (command -v systemctl >/dev/null && as_root systemctl stop redis-server >/dev/null 2>&1) || true
}

# Bounded, because redis-cli waits for ever on a port where something other than Redis listens.
cli() { timeout 2 redis-cli -p "$port" "$@"; }

case "$cmd" in
  start)
    install_redis
    version=$(redis-server --version)
    if [[ ! "$version" =~ v=([0-9]+)\. ]] || (( BASH_REMATCH[1] < 7 )); then
      echo "need Redis 7 or newer, found: $version" >&2
      exit 1
    fi
    cli shutdown nosave >/dev/null 2>&1 || true
    redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes --save '' --appendonly no \
      --daemonize yes --logfile "/tmp/remem-bench-redis-$port.log" --pidfile "/tmp/remem-bench-redis-$port.pid"
    deadline=$((SECONDS + 10))
    while (( SECONDS < deadline )); do
      if [[ $(cli ping 2>/dev/null) == PONG ]]; then
        echo "$version"
        exit 0
      fi
      sleep 0.1
    done
    # The server daemonizes before it binds, so a taken port shows only in its log.
    echo "redis-server did not answer PING on 127.0.0.1:$port within 10 s: $(tail -n 1 "/tmp/remem-bench-redis-$port.log" 2>/dev/null)" >&2
    exit 1
    ;;
  stop)
    cli shutdown nosave >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop PORT" >&2
    exit 64
    ;;
esac
