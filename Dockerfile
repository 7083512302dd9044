# migration-webhook container image.
#
#   docker build -t migration-webhook:0.1.0 .
#
# Stage "build" compiles on Debian bookworm with the -dev packages of
# scripts/packages.txt and runs the unit tests (--build-arg RUN_UNIT_TESTS=0 skips
# them).  Stage "runtime" is bookworm-slim plus only the shared libraries the
# binary links, and libcurl3-gnutls, which it loads on first use (dlopen) when
# it talks to an API server (the GnuTLS flavour of libcurl: GnuTLS is mapped
# already, no OpenSSL at run time); tests/integration/test_dockerfile.sh checks
# that list against `ldd` of the built binary and of libcurl-gnutls.so.4.
# The server runs as uid/gid 65532, needs no shell,
# and writes nothing to its root filesystem (the chart mounts it read-only).

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential \
      cmake \
      pkg-config \
      libmicrohttpd-dev \
      libcjson-dev \
      libyaml-dev \
      libssl-dev \
      libcurl4-openssl-dev \
      libgnutls28-dev \
      libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG RUN_UNIT_TESTS=1
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build -j"$(nproc)" --target migration-webhook \
 && if [ "$RUN_UNIT_TESTS" = 1 ]; then \
      cmake --build /build -j"$(nproc)" && ctest --test-dir /build -R '^unit/' --output-on-failure; \
    fi \
 && strip /build/migration-webhook

FROM debian:bookworm-slim AS runtime
# libcurl3-gnutls is not linked: it is loaded on first use, by --kubeconfig / in-cluster
# mode and `certs patch` (a --cluster-dir server never maps it).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 \
      libcjson1 \
      libyaml-0-2 \
      libcurl3-gnutls \
      libgnutls30 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log
COPY --from=build /build/migration-webhook /usr/local/bin/migration-webhook
LABEL org.opencontainers.image.title="migration-webhook" \
      org.opencontainers.image.description="Admission webhook that makes KubeVirt / Harvester live migration safe"
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/migration-webhook"]
CMD ["serve"]
