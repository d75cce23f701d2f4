#!/bin/bash
# Entrypoint of the postgres:15 stand-in (tests only, see ./build). The part of the official
# image's entrypoint that compose.yaml relies on: on an empty data directory, initdb with
# POSTGRES_USER/POSTGRES_PASSWORD and create POSTGRES_DB; then run the server as postgres,
# listening on every address with password (scram-sha-256) authentication over TCP.
set -euo pipefail

if [[ $(id -u) == 0 ]]; then
    # A fresh named volume may belong to root: hand it to postgres, then drop privileges.
    mkdir -p "$PGDATA" /var/run/postgresql
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [[ ${1:-} == postgres && ! -s $PGDATA/PG_VERSION ]]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (as with the official image)}"
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    if [[ $db != postgres ]]; then  # initdb made only "postgres" (and the templates)
        # A server on the socket only while creating the database, as the official image does.
        pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
        createdb --username="$user" "$db"
        pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    fi
    echo "docker-entrypoint: initialised $PGDATA (user $user, database $db)"
fi
exec "$@"
