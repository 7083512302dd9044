# migration-webhook container image.
#
#   docker build -t migration-webhook:0.1.0 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
#
# VERSION, REVISION and SOURCE become the OCI labels org.opencontainers.image.version,
# .revision and .source; REVISION is also the revision migration_webhook_build_info shows
# on /metrics.
#
# Stage "build" compiles on Debian bookworm with the -dev packages of
# scripts/packages.txt and runs the unit tests (--build-arg RUN_UNIT_TESTS=0 skips
# them).  No OpenSSL headers: OpenSSL only cross-checks certificates in tests, and
# those tests skip with a message without it (see README, Dependencies).  Stage "runtime" is bookworm-slim plus only the shared libraries the
# binary links, and libcurl3-gnutls, which it loads on first use (dlopen) when
# it talks to an API server (the GnuTLS flavour of libcurl: GnuTLS is mapped
# already, no OpenSSL at run time); tests/integration/test_dockerfile.sh checks
# that list against `ldd` of the built binary and of libcurl-gnutls.so.4.
# No ca-certificates: the API client trusts only the CA it is given -- in the cluster the
# service account's ca.crt, from a kubeconfig its certificate-authority(-data) -- and never
# the system store.  (A kubeconfig with no CA for a publicly signed API server would need
# one: give it certificate-authority-data.)
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
      libcurl4-gnutls-dev \
      libgnutls28-dev \
      libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG RUN_UNIT_TESTS=1
ARG REVISION=""
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DMW_REVISION="$REVISION" \
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
ARG VERSION=0.1.0
ARG REVISION=""
ARG SOURCE=""
LABEL org.opencontainers.image.title="migration-webhook" \
      org.opencontainers.image.description="Admission webhook that makes KubeVirt / Harvester live migration safe" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.source="$SOURCE"
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/migration-webhook"]
CMD ["serve"]
