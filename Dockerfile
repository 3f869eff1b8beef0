# Swiftlet container image. Build: docker build -t swiftlet .
# Stage 1 builds a release binary with the Swift runtime linked statically.
FROM swift:6.2-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libnghttp2-dev zlib1g-dev libdeflate-dev libyaml-dev libzstd-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift Makefile ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY scripts ./scripts
# `make release` is the one home of the release link flags (static Swift runtime and libstdc++).
RUN make release \
 && install -D -m 0755 .build/release/swiftlet /out/swiftlet \
 && strip /out/swiftlet

# Stage 2 holds the binary and only the shared libraries it links (glibc's are in the base image).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libnghttp2-14 zlib1g libdeflate0 libyaml-0-2 libzstd1 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/swiftlet /usr/local/bin/swiftlet
COPY config/docker.yaml /etc/swiftlet/config.yaml
USER 10001:10001
# OTLP gRPC, OTLP HTTP, Zipkin, Jaeger gRPC, Jaeger thrift HTTP, Jaeger agent UDP, health, metrics.
EXPOSE 4317 4318 9411 14250 14268 6831/udp 6832/udp 13133 8888
# bash's /dev/tcp keeps curl out of the image.
HEALTHCHECK --interval=10s --timeout=2s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/13133 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && head -c 12 <&3 | grep -q ' 200'"]
ENTRYPOINT ["/usr/local/bin/swiftlet"]
CMD ["--config", "/etc/swiftlet/config.yaml"]
