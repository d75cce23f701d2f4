# Multi-stage build: dependencies are compiled in their own layer (cached while only our sources
# change), then the release binaries are copied into a small non-root runtime image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
# 1. Dependencies only: the manifests of every workspace member (cargo reads them all, even to
#    build three packages) plus empty targets in the places the manifests name.
COPY Cargo.toml Cargo.lock ./
COPY core/Cargo.toml core/
COPY adapters/Cargo.toml adapters/
COPY server/Cargo.toml server/
COPY worker/Cargo.toml worker/
COPY seeder/Cargo.toml seeder/
COPY bench/Cargo.toml bench/
RUN for c in core adapters server worker; do mkdir -p $c/src && touch $c/src/lib.rs; done \
 && for c in server worker seeder bench; do mkdir -p $c/src && echo 'fn main() {}' > $c/src/main.rs; done \
 && cargo build --release --locked -p aforro-server -p aforro-worker -p aforro-seeder \
 && rm -rf core/src adapters/src server/src worker/src seeder/src bench/src
# 2. Our sources (migrations are embedded at compile time). COPY keeps the files' own mtimes,
#    older than step 1's stubs: touch them so cargo rebuilds our crates.
COPY . .
RUN touch core/src/lib.rs adapters/src/lib.rs server/src/lib.rs server/src/main.rs \
      worker/src/lib.rs worker/src/main.rs seeder/src/main.rs \
 && cargo build --release --locked -p aforro-server -p aforro-worker -p aforro-seeder

FROM debian:bookworm-slim AS runtime
# curl: the api's healthcheck (GET /readyz). No CA bundle: the binaries make no TLS connection
# but SMTP's, and that one trusts the Mozilla roots compiled in (webpki-roots).
RUN apt-get update && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 aforro \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin aforro
COPY --from=build /src/target/release/server /src/target/release/worker /src/target/release/seeder /usr/local/bin/
# Numeric, so that a runtime that checks "runAsNonRoot" can see it is not root.
USER 10001:10001
ENV BIND_ADDR=0.0.0.0:8000
EXPOSE 8000
CMD ["server", "serve"]
