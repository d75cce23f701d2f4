#!/bin/sh
# Entrypoint of the haproxy:<version> stand-in (tests only, see ./build), as the official
# image's: `docker run haproxy:2.6 -f x.cfg` means haproxy with those flags, and haproxy runs
# in master-worker mode (-W: SIGUSR2 reloads) in the foreground (-db).
set -e
if [ "${1#-}" != "$1" ]; then
    set -- haproxy "$@"
fi
if [ "$1" = haproxy ]; then
    shift
    set -- haproxy -W -db "$@"
fi
exec "$@"
