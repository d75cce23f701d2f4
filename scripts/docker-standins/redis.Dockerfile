# Stand-in for the official redis:7 image, ONLY for scripts/check-docker on machines that
# reach no image registry (see ./build): Debian's redis-server 7 and redis-cli, data in /data,
# run as the redis user, protected mode off when no config file is given (as the official
# entrypoint does, so other containers may connect).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server redis-tools \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 6379
CMD ["redis-server"]
