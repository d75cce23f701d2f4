# Multi-stage build: dependencies are compiled in their own layer (cached while only our sources
# change), then the release binaries are copied into a small non-root runtime image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
# 1. Dependencies only: manifests plus empty targets.
COPY Cargo.toml Cargo.lock ./
COPY core/Cargo.toml core/
COPY adapters/Cargo.toml adapters/
COPY server/Cargo.toml server/
COPY worker/Cargo.toml worker/
COPY seeder/Cargo.toml seeder/
COPY bench/Cargo.toml bench/
RUN for c in core adapters server worker; do mkdir -p $c/src && touch $c/src/lib.rs; done \
 && for c in server worker seeder bench; do mkdir -p $c/src && echo 'fn main() {}' > $c/src/main.rs; done \
 && cargo build --release -p aforro-server -p aforro-worker -p aforro-seeder \
 && rm -rf core/src adapters/src server/src worker/src seeder/src bench/src
# 2. Our sources (migrations are embedded at compile time).
COPY . .
RUN touch core/src/lib.rs adapters/src/lib.rs server/src/lib.rs server/src/main.rs \
      worker/src/lib.rs worker/src/main.rs seeder/src/main.rs \
 && cargo build --release -p aforro-server -p aforro-worker -p aforro-seeder

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home aforro
COPY --from=build /src/target/release/server /src/target/release/worker /src/target/release/seeder /usr/local/bin/
USER aforro
ENV BIND_ADDR=0.0.0.0:8000
EXPOSE 8000
CMD ["server", "serve"]
