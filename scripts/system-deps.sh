#!/usr/bin/env bash
# The Debian packages the test suites need: PostgreSQL 15 (throwaway servers in the fixtures),
# Chromium (browser tests) and docker-compose (the compose file is validated, not run).
# As root they are installed with apt-get; otherwise the exact command is printed and we stop.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql postgresql-contrib)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
    echo "Installing system packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
    echo "The tests need these Debian packages; install them, then run make test again:" >&2
    echo "    sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 1
fi
