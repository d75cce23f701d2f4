# Stand-in for the official haproxy:<version> image, ONLY for scripts/check-docker on machines
# that reach no image registry (see ./build): Debian's haproxy package, laid out as the
# official image (config at /usr/local/etc/haproxy/haproxy.cfg, run as the haproxy user from
# /var/lib/haproxy, its entrypoint adding -W -db, SIGUSR1 as the stop signal: a soft stop that
# lets requests in flight finish). No HTTP client, as the official image: compose's
# healthcheck uses bash's /dev/tcp, which both have.
FROM debian:bookworm-slim
# The version compose.yaml names (2.6): Debian bookworm's package must be that one.
ARG HAPROXY_VERSION
RUN apt-get update \
 && apt-get install -y --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/* \
 && haproxy -v | grep -q "version ${HAPROXY_VERSION}\." \
 && mkdir -p /usr/local/etc/haproxy /var/lib/haproxy \
 && chown haproxy:haproxy /var/lib/haproxy
COPY haproxy-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
STOPSIGNAL SIGUSR1
ENTRYPOINT ["docker-entrypoint.sh"]
USER haproxy
WORKDIR /var/lib/haproxy
CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
