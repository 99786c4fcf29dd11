#!/usr/bin/env bash
# The test suite checks Broadsheet's Redis queue against a real Redis on 127.0.0.1:6379.
# When none answers there, install Debian's redis-server if needed and start one that keeps
# nothing on disk.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
answers() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null; }

answers && exit 0
if ! command -v redis-server >/dev/null 2>&1; then
    echo "Installing Debian's redis-server for the queue tests..."
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends redis-server
fi
echo "Starting redis-server on 127.0.0.1:6379..."
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/broadsheet-test-redis.log
for _ in $(seq 50); do answers && exit 0; sleep 0.1; done
echo "redis-server did not start; see /tmp/broadsheet-test-redis.log" >&2
exit 1
