# xent on an NVIDIA GPU: build the jar with Maven, run it on a CUDA base image.
#   docker build -t xent .
#   docker run --gpus all --rm -v "$PWD:/data" xent eval --logits /data/logits.npy --targets /data/targets.npy --device cuda
# JCuda's driver binding needs only libcuda.so.1, which the NVIDIA container runtime mounts from the host driver.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -ntp dependency:go-offline
COPY src src
COPY cuda cuda
RUN mvn -B -ntp -DskipTests package dependency:copy-dependencies -DoutputDirectory=target/lib -DincludeScope=runtime
# a runtime with exactly the modules xent uses (the Vector API among them)
RUN jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,jdk.incubator.vector \
          --strip-debug --no-header-files --no-man-pages --output /opt/jre

FROM nvidia/cuda:12.6.3-base-ubuntu22.04
COPY --from=build /opt/jre /opt/jre
COPY --from=build /src/target/xent.jar /opt/xent/xent.jar
COPY --from=build /src/target/lib /opt/xent/lib
ENTRYPOINT ["/opt/jre/bin/java", "--add-modules", "jdk.incubator.vector", "-XX:MaxRAMPercentage=75", "-jar", "/opt/xent/xent.jar"]
CMD ["info"]
