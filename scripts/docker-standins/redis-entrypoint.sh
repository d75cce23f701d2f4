#!/bin/bash
# Entrypoint of the redis:7 stand-in (tests only, see ./build).
set -euo pipefail
# `docker run redis:7 --appendonly yes` means redis-server with those flags.
if [[ ${1:-} == -* ]]; then set -- redis-server "$@"; fi
if [[ ${1:-} == redis-server && $(id -u) == 0 ]]; then
    chown -R redis:redis /data
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [[ ${1:-} == redis-server && ${2:-} != *.conf ]]; then
    # No config file: Redis 7 then listens on every address; turn protected mode off so other
    # containers may connect, as the official entrypoint does.
    set -- "$@" --protected-mode no
fi
exec "$@"
