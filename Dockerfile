# xent on an NVIDIA GPU (or the CPU): build the jar with Maven, run it as a non-root user on a plain Debian base.
#   docker build -t xent .
#   docker run --gpus all --rm -v "$PWD:/data" xent eval --logits /data/logits.npy --targets /data/targets.npy --device cuda
# The base is not an nvidia/cuda image on purpose: those declare NVIDIA_REQUIRE_CUDA=cuda>=12.x, and the NVIDIA
# container toolkit then refuses to start them on a host whose driver is older, although xent needs no CUDA toolkit
# in the image at all. JCuda's driver binding needs only libcuda.so.1, which the toolkit mounts from the host driver
# (asked for by the two NVIDIA_* variables below), and the PTX kernels ask for ISA 7.0, which drivers since CUDA 11.0
# JIT-compile. Without --gpus the image runs on the CPU (--device auto chooses it).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -ntp -q dependency:go-offline
COPY src src
COPY cuda cuda
# the build scripts/xent runs (no .git in the context: --version says "commit unknown")
RUN mvn -B -ntp -q -DskipTests package dependency:copy-dependencies -DoutputDirectory=target/lib -DincludeScope=runtime
# a runtime with exactly the modules xent uses (the Vector API among them), as scripts/device-bundle links it
RUN jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,jdk.incubator.vector \
          --strip-debug --no-header-files --no-man-pages --output /opt/jre

FROM debian:bookworm-slim
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
RUN useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin xent
COPY --from=build /opt/jre /opt/jre
COPY --from=build /src/target/xent.jar /opt/xent/xent.jar
COPY --from=build /src/target/lib /opt/xent/lib
USER xent
WORKDIR /data
# scripts/xent's flags; the JVM's incubator-module line stays on stderr here (no launcher script to drop it)
ENTRYPOINT ["/opt/jre/bin/java", "--add-modules", "jdk.incubator.vector", "-XX:MaxRAMPercentage=75", "-jar", "/opt/xent/xent.jar"]
CMD ["info"]
