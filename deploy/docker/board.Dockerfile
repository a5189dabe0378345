# board: the live board (`dtr-backup board`), the CLI jar's read-only web page of freshness, backups in
# flight and failures. Build the CLI jar first (mvn -B -pl cli -am package -DskipTests), then from the
# repository root:
#   docker build -f deploy/docker/board.Dockerfile -t dtr-backup/board:0.1.0 .
FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 dtr-backup
COPY cli/target/dtr-backup-cli.jar /opt/dtr-backup/dtr-backup-cli.jar
USER 10001
# Kafka and the clusters file from DTR_BACKUP_* env (docs/operations.md, "Live board"); the token is a
# mounted file. Off loopback the board refuses to start without --token-file.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError" \
    DTR_BACKUP_CLI_LOG=/dev/stdout
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/opt/dtr-backup/dtr-backup-cli.jar", "board"]
CMD ["--bind", "0.0.0.0", "--port", "8080", "--token-file", "/run/secrets/board-token"]
