# discovery-service: build the jar first (mvn -B -pl discovery-service -am package -DskipTests), then from the repository root:
#   docker build -f deploy/docker/discovery-service.Dockerfile -t dtr-backup/discovery-service:0.1.0 .
FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 dtr-backup
COPY discovery-service/target/discovery-service.jar /opt/dtr-backup/discovery-service.jar
USER 10001
# Config comes from DTR_BACKUP_* env; secrets are mounted as files (see docs/operations.md).
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
ENTRYPOINT ["java", "-jar", "/opt/dtr-backup/discovery-service.jar"]
