# Stand-in for the official postgres:15 image, ONLY for scripts/check-docker on machines that
# reach no image registry (see ./build): Debian's PostgreSQL 15 with a small entrypoint that
# honours what compose.yaml uses of the official one (POSTGRES_USER/PASSWORD/DB, the data
# directory /var/lib/postgresql/data, running as the postgres user, pg_isready on PATH).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
# As the official image: SIGINT is PostgreSQL's "fast shutdown".
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
