# Stand-in for the official rust:<version>-bookworm image, ONLY for scripts/check-docker on
# machines that reach no image registry (see ./build). Same layout as the official image:
# rustup and its proxies in CARGO_HOME/bin, one toolchain in RUSTUP_HOME, both on PATH.
# The context is prepared by ./build: toolchain/ (this machine's, docs removed) and rustup.
FROM debian:bookworm-slim
ARG RUST_VERSION
# What the official image's buildpack-deps base gives a crate build: a C compiler and linker
# (ring's build script, rustc's linking), pkg-config, and CA certificates (crates.io downloads).
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev pkg-config ca-certificates make \
 && rm -rf /var/lib/apt/lists/*
ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    RUST_VERSION=${RUST_VERSION}
COPY toolchain /usr/local/rustup/toolchains/${RUST_VERSION}-x86_64-unknown-linux-gnu
COPY rustup /usr/local/cargo/bin/rustup
RUN printf 'version = "12"\ndefault_toolchain = "%s-x86_64-unknown-linux-gnu"\nprofile = "minimal"\nauto_self_update = "disable"\n' \
        "$RUST_VERSION" >"$RUSTUP_HOME/settings.toml" \
 && for proxy in cargo rustc rustdoc cargo-fmt rustfmt cargo-clippy clippy-driver; do \
        ln -s rustup "$CARGO_HOME/bin/$proxy"; done \
 && rustup --version && cargo --version && rustc --version
