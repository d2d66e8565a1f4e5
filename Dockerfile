# mcpguard as a container image: a static (musl) build on a distroless base
# that holds CA certificates (for the live sweep's HTTPS) and nothing else;
# it runs as the unprivileged `nonroot` user (uid 65532).
#
#   docker build -t mcpguard .
#   docker run --rm -v "$PWD:/src" -w /src mcpguard scan .
#
# The mounted directory only needs to be readable by uid 65532; to write a
# report into it, mount it writable and pass `--output` (or add `--user
# "$(id -u):$(id -g)"` so the file is yours).

ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-alpine AS build
# A C compiler and musl headers for mimalloc and ring.
RUN apk add --no-cache gcc musl-dev
WORKDIR /build
# Only what the binary is built from (.dockerignore keeps the rest out).
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY rules rules
COPY aliases aliases
RUN cargo build --release --locked \
 && cp target/release/mcpguard /mcpguard \
 && /mcpguard --version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /mcpguard /usr/local/bin/mcpguard
USER nonroot:nonroot
WORKDIR /src
ENTRYPOINT ["/usr/local/bin/mcpguard"]
CMD ["--help"]
