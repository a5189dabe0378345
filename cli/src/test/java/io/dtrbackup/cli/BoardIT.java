package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.common.kafka.EventPublisher;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.common.kafka.TopicCreator;
import io.dtrbackup.common.kafka.TopicReader;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.KafkaExtension;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The live board in a real headless Chromium (Debian's chromium + chromedriver, never downloaded),
 * on the real embedded KRaft broker: the events the services write are published through the
 * project's {@link EventPublisher} and codec onto the real status and cluster-state topics, read by
 * the board's own {@link BoardFeed}, pushed by {@link BoardServer} over server-sent events, and
 * the test asserts what the page SHOWS after each step (bar widths and aria values, end states,
 * failure reasons, freshness colours read back with getComputedStyle). Any console error or
 * uncaught exception fails the step. Screenshots go to target/board-screenshots/.
 * Fails, never skips, when chromium or chromedriver is missing.
 */
@ExtendWith(KafkaExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BoardIT {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target", "board-screenshots");
    static final String TOKEN = "board-it-" + EventIds.random();
    static final Duration WAIT = Duration.ofSeconds(20);
    static final long MIB = 1024 * 1024;

    /** This run's IDs: the broker is shared with other ITs of the JVM. */
    static final String RUN = Long.toHexString(System.nanoTime()).substring(0, 6);
    static final String FRESH = "eu-fresh-" + RUN;
    static final String AGING = "us-aging-" + RUN;
    static final String OVERDUE = "ap-overdue-" + RUN;
    static final String NEVER = "lab-never-" + RUN;
    static final String RUNNING = "bk-20261202T040000Z-" + RUN + "a1";
    static final String AFTER_RESTART = "bk-20261202T043000Z-" + RUN + "c3";
    static final String BROKEN = "bk-20261202T041500Z-" + RUN + "b2";
    /** A reason with markup in it: the page must show it as text. */
    static final String REASON = "docker/dtr backup exited 1: <b>rethinkdb</b> unreachable on replica a1640e1c15b6 & retries used up";

    @TempDir
    static Path dir;

    static Vertx vertx;
    static EventPublisher publisher;
    static BoardState state;
    static BoardFeed feed;
    static BoardServer server;
    static ChromeDriver driver;
    static String base;

    @BeforeAll
    static void start(EmbeddedKafka kafka) throws IOException {
        assertThat(Files.isExecutable(CHROMIUM)).as(CHROMIUM + " is missing: apt-get install -y chromium "
                + "(deploy/setup-docker-engine.sh installs it)").isTrue();
        assertThat(Files.isExecutable(CHROMEDRIVER)).as(CHROMEDRIVER + " is missing: apt-get install -y chromium-driver")
                .isTrue();
        KafkaSettings settings = KafkaSettings.of(kafka.bootstrapServers());
        TopicCreator.ensureTopics(settings, "board-it");
        Path clusters = dir.resolve("clusters.yaml");
        Files.writeString(clusters, "clusters:\n"
                + "  - id: " + FRESH + "\n    freshness: 26h\n"
                + "  - id: " + AGING + "\n    freshness: 10h\n"
                + "  - id: " + OVERDUE + "\n    freshness: 26h\n"
                + "  - id: " + NEVER + "\n");
        state = new BoardState(FreshnessBoard.windows(clusters), 10, 10);
        vertx = Vertx.vertx();
        publisher = EventPublisher.create(vertx, settings, "board-it");
        feed = new BoardFeed(settings, state, TopicReader.BEGINNING);
        server = BoardServer.start(vertx, state, "127.0.0.1", 0, TOKEN.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        base = "http://127.0.0.1:" + server.port() + "/";
        await().atMost(Duration.ofSeconds(60)).until(state::ready);

        Files.createDirectories(SCREENSHOTS);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + dir.resolve("chromium-profile"), "--window-size=1280,1250");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (server != null) {
            server.close();
        }
        if (feed != null) {
            feed.close();
        }
        if (publisher != null) {
            publisher.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
        }
    }

    @Test
    @Order(1)
    void theTokenInTheAddressBecomesAnHttpOnlyCookieAndLeavesTheAddressBar() {
        driver.get(base + "?token=" + TOKEN);
        assertThat(driver.getCurrentUrl()).isEqualTo(base).doesNotContain(TOKEN);
        Cookie cookie = driver.manage().getCookieNamed(BoardServer.COOKIE);
        assertThat(cookie).as("session cookie").isNotNull();
        assertThat(cookie.isHttpOnly()).isTrue();
        assertThat(cookie.getSameSite()).isEqualTo("Strict");
        assertThat(cookie.getValue()).doesNotContain(TOKEN);
        eventually(() ->
                assertThat(driver.findElement(By.id("connection")).getAttribute("data-state")).isEqualTo("live"));
        assertNoConsoleErrors("page load");
    }

    @Test
    @Order(2)
    void eachClusterIsDrawnWithItsFreshnessStatusInTheHtmlBoardsColours() {
        Instant now = Instant.now();
        recorded(FRESH, "bk-fresh-" + RUN, now.minus(Duration.ofHours(2)));
        recorded(AGING, "bk-aging-" + RUN, now.minus(Duration.ofHours(9)));
        recorded(OVERDUE, "bk-overdue-" + RUN, now.minus(Duration.ofHours(30)));
        Map<String, FreshnessBoard.Status> expected = Map.of(FRESH, FreshnessBoard.Status.FRESH,
                AGING, FreshnessBoard.Status.AGING, OVERDUE, FreshnessBoard.Status.OVERDUE, NEVER, FreshnessBoard.Status.NEVER);
        eventually(() -> expected.forEach((cluster, status) -> {
            WebElement row = cluster(cluster);
            assertThat(row.getAttribute("data-status")).as(cluster).isEqualTo(status.name());
            assertThat(row.findElement(By.cssSelector("text.status")).getText()).as(cluster).startsWith(status.name());
            WebElement age = row.findElement(By.cssSelector("rect.age"));
            assertThat(computed(age, "fill")).as(cluster + " bar colour").isEqualTo(rgb(HtmlBoard.colour(status)));
        }));
        // The bars' lengths are the ages against the window: 2 h of 26 h is short, 9 h of 10 h is past
        // the 80 % mark, 30 h of 26 h is beyond the dashed window line, never is a full grey bar.
        eventually(() -> {
            double axis = width(cluster(FRESH).findElement(By.cssSelector("rect.track")));
            assertThat(width(cluster(FRESH).findElement(By.cssSelector("rect.age"))) / axis)
                    .isCloseTo(2.0 / 26 / HtmlBoard.AXIS, org.assertj.core.data.Offset.offset(0.01));
            assertThat(width(cluster(AGING).findElement(By.cssSelector("rect.age"))) / axis)
                    .isCloseTo(0.9 / HtmlBoard.AXIS, org.assertj.core.data.Offset.offset(0.01));
            assertThat(width(cluster(OVERDUE).findElement(By.cssSelector("rect.age"))) / axis)
                    .isGreaterThan(1 / HtmlBoard.AXIS);
            assertThat(width(cluster(NEVER).findElement(By.cssSelector("rect.age"))) / axis).isEqualTo(1.0);
            assertThat(cluster(NEVER).findElement(By.cssSelector("text.status")).getText()).contains("never backed up");
        });
        assertNoConsoleErrors("freshness");
    }

    @Test
    @Order(3)
    void aRunningBackupShowsAProgressBarPerArtifactAndStage() throws IOException {
        Instant t = Instant.now();
        status(new BackupPhaseChanged(1, EventIds.random(), RUNNING, FRESH, t, BackupPhase.BACKING_UP, "replica a1640e1c15b6",
                List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES)));
        status(progress(RUNNING, FRESH, ArtifactKind.METADATA, ArtifactPhase.STAGING, 4 * MIB, 10 * MIB));
        status(progress(RUNNING, FRESH, ArtifactKind.IMAGES, ArtifactPhase.STAGING, 123 * MIB, null));
        eventually(() -> {
            WebElement card = inFlight(RUNNING);
            assertThat(card.findElement(By.cssSelector(".phase")).getText()).isEqualTo("BACKING_UP");
            assertBar(bar(card, "metadata", "staging"), "active", 40);
            WebElement images = bar(card, "images", "staging");
            assertThat(images.getAttribute("data-state")).isEqualTo("active");
            assertThat(images.getAttribute("class")).as("unknown total: indeterminate").contains("indeterminate");
            assertThat(images.getAttribute("aria-valuenow")).as("an indeterminate bar claims no value").isNull();
            assertThat(images.getText()).contains("123.0 MiB");
            for (String kind : List.of("metadata", "images")) {
                assertBar(bar(card, kind, "encrypting"), "pending", 0);
                assertBar(bar(card, kind, "verifying"), "pending", 0);
            }
        });
        screenshot("1-progress-40.png");
        assertNoConsoleErrors("progress at 40 %");

        status(progress(RUNNING, FRESH, ArtifactKind.METADATA, ArtifactPhase.STAGING, 9 * MIB, 10 * MIB));
        eventually(() -> assertBar(bar(inFlight(RUNNING), "metadata", "staging"), "active", 90));
        assertThat(bar(inFlight(RUNNING), "metadata", "staging").getText()).contains("90 %").contains("9.0 MiB / 10.0 MiB");

        // The next stage: staging done (full), encrypting at half.
        status(progress(RUNNING, FRESH, ArtifactKind.METADATA, ArtifactPhase.ENCRYPTING, 5 * MIB, 10 * MIB));
        eventually(() -> {
            WebElement card = inFlight(RUNNING);
            assertBar(bar(card, "metadata", "staging"), "done", 100);
            assertBar(bar(card, "metadata", "encrypting"), "active", 50);
        });
        screenshot("2-progress-encrypting.png");
        assertNoConsoleErrors("progress at 90 % and encrypting");
    }

    @Test
    @Order(4)
    void aCompletedBackupLeavesInFlightAndShowsItsEnd() throws IOException {
        Instant t = Instant.now();
        status(verified(RUNNING, FRESH, ArtifactKind.METADATA));
        status(verified(RUNNING, FRESH, ArtifactKind.IMAGES));
        status(new BackupCompleted(1, EventIds.random(), RUNNING, FRESH, t, FRESH + "/" + RUNNING + "/manifest.json",
                "a1640e1c15b6", "2.9.4", 61_000, List.of(FRESH + "/" + RUNNING + "/m.tar.gpg")));
        recorded(FRESH, RUNNING, t);
        eventually(() -> {
            assertThat(driver.findElements(By.cssSelector("#in-flight [data-backup='" + RUNNING + "']")))
                    .as("no longer in flight").isEmpty();
            WebElement card = driver.findElement(By.cssSelector("#finished [data-backup='" + RUNNING + "']"));
            assertThat(card.getAttribute("data-phase")).isEqualTo("COMPLETED");
            assertThat(card.findElement(By.cssSelector(".outcome")).getText())
                    .isEqualTo("COMPLETED in 1m01s · manifest " + FRESH + "/" + RUNNING + "/manifest.json");
            assertThat(computed(card, "border-left-color")).isEqualTo(rgb(HtmlBoard.colour(FreshnessBoard.Status.FRESH)));
            for (String kind : List.of("metadata", "images")) {
                for (String stage : List.of("staging", "encrypting", "verifying")) {
                    assertBar(bar(card, kind, stage), "done", 100);
                }
            }
            // The cluster-state record moved the cluster's last verified backup to this one.
            WebElement row = cluster(FRESH);
            assertThat(row.getAttribute("data-status")).isEqualTo("FRESH");
            assertThat(row.findElement(By.tagName("title")).getAttribute("textContent")).contains(RUNNING);
        });
        screenshot("3-completed.png");
        assertNoConsoleErrors("completed");
    }

    @Test
    @Order(5)
    void aFailedBackupShowsItsReasonAsText() throws IOException {
        Instant t = Instant.now();
        status(new BackupPhaseChanged(1, EventIds.random(), BROKEN, OVERDUE, t, BackupPhase.BACKING_UP, null,
                List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES)));
        status(progress(BROKEN, OVERDUE, ArtifactKind.IMAGES, ArtifactPhase.STAGING, 3 * MIB, 8 * MIB));
        status(new ArtifactFailed(1, EventIds.random(), BROKEN, OVERDUE, t, ArtifactKind.METADATA, ArtifactPhase.STAGING,
                REASON));
        status(new BackupFailed(1, EventIds.random(), BROKEN, OVERDUE, t, BackupPhase.FAILED, "metadata",
                "the metadata artifact failed while staging: " + REASON));
        eventually(() -> {
            WebElement failure = driver.findElement(By.cssSelector("#failures [data-backup='" + BROKEN + "']"));
            assertThat(failure.findElement(By.cssSelector(".cluster")).getText()).isEqualTo(OVERDUE);
            assertThat(failure.findElement(By.cssSelector(".phase")).getText()).isEqualTo("FAILED");
            assertThat(failure.findElement(By.cssSelector(".stage")).getText()).isEqualTo("metadata");
            assertThat(failure.findElement(By.cssSelector(".reason")).getText())
                    .isEqualTo("the metadata artifact failed while staging: " + REASON);
            assertThat(failure.findElements(By.tagName("b"))).as("the reason's markup stays text").isEmpty();
            WebElement card = driver.findElement(By.cssSelector("#finished [data-backup='" + BROKEN + "']"));
            assertThat(card.getAttribute("data-phase")).isEqualTo("FAILED");
            assertThat(computed(card, "border-left-color")).isEqualTo(rgb(HtmlBoard.colour(FreshnessBoard.Status.OVERDUE)));
            assertBar(bar(card, "metadata", "staging"), "failed", 100);
            assertThat(card.findElement(By.cssSelector(".detail")).getText()).isEqualTo(REASON);
            assertThat(driver.findElements(By.cssSelector("#in-flight [data-backup='" + BROKEN + "']"))).isEmpty();
            assertThat(cluster(OVERDUE).getAttribute("data-status")).as("a failure does not refresh the cluster")
                    .isEqualTo("OVERDUE");
        });
        screenshot("4-failure.png");
        assertNoConsoleErrors("failure");
    }

    @Test
    @Order(6)
    void thePageReconnectsWhenTheBoardComesBack() throws IOException {
        int port = server.port();
        server.close();
        eventually(() -> assertThat(driver.findElement(By.id("connection")).getAttribute("data-state"))
                .isEqualTo("reconnecting"));
        server = BoardServer.start(vertx, state, "127.0.0.1", port, TOKEN.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        status(new BackupPhaseChanged(1, EventIds.random(), AFTER_RESTART, AGING, Instant.now(), BackupPhase.BACKING_UP,
                null, List.of(ArtifactKind.METADATA)));
        status(progress(AFTER_RESTART, AGING, ArtifactKind.METADATA, ArtifactPhase.STAGING, 7 * MIB, 10 * MIB));
        eventually(() -> {
            assertThat(driver.findElement(By.id("connection")).getAttribute("data-state")).isEqualTo("live");
            assertBar(bar(inFlight(AFTER_RESTART), "metadata", "staging"), "active", 70);
        });
        screenshot("5-after-reconnect.png");
        // While the board was down the browser logged its failed attempts at /events; nothing else is allowed.
        assertNoConsoleErrorsBut("reconnect", e -> e.getMessage().contains("/events") && e.getMessage().contains("net::ERR_"));
    }

    // ---- what the page shows ------------------------------------------------------------------

    /**
     * Retries until the page shows it: the page redraws on each snapshot, so an element found a
     * moment ago may be replaced (stale) or not drawn yet.
     */
    static void eventually(org.awaitility.core.ThrowingRunnable assertion) {
        await().atMost(WAIT).ignoreExceptionsInstanceOf(org.openqa.selenium.WebDriverException.class)
                .untilAsserted(assertion);
    }

    static WebElement cluster(String id) {
        return driver.findElement(By.cssSelector("#freshness g.cluster[data-cluster='" + id + "']"));
    }

    static WebElement inFlight(String backupId) {
        return driver.findElement(By.cssSelector("#in-flight [data-backup='" + backupId + "']"));
    }

    static WebElement bar(WebElement card, String kind, String stage) {
        return card.findElement(By.cssSelector(".bar[data-kind='" + kind + "'][data-stage='" + stage + "']"));
    }

    /** The bar's state, its aria value, and the drawn fill's share of the track, all agreeing on {@code percent}. */
    static void assertBar(WebElement bar, String state, int percent) {
        // One script reads it all, so a redraw cannot slip in between two reads.
        @SuppressWarnings("unchecked")
        Map<String, Object> b = (Map<String, Object>) ((JavascriptExecutor) driver).executeScript(
                "const b = arguments[0], f = b.querySelector('.fill');"
                + "return {where: b.dataset.kind + '/' + b.dataset.stage, state: b.dataset.state,"
                + " aria: b.getAttribute('aria-valuenow'), track: b.getBoundingClientRect().width,"
                + " fill: f.getBoundingClientRect().width};", bar);
        String where = (String) b.get("where");
        assertThat(b.get("state")).as(where + " state").isEqualTo(state);
        assertThat(b.get("aria")).as(where + " aria-valuenow").isEqualTo(String.valueOf(percent));
        double track = ((Number) b.get("track")).doubleValue();
        double fill = ((Number) b.get("fill")).doubleValue();
        assertThat(track).as(where + " drawn").isGreaterThan(50);
        assertThat(fill / track * 100).as(where + " fill width in % of the bar").isCloseTo(percent,
                org.assertj.core.data.Offset.offset(1.5));
    }

    static double width(WebElement e) {
        Object w = ((JavascriptExecutor) driver).executeScript("return arguments[0].getBoundingClientRect().width;", e);
        return ((Number) w).doubleValue();
    }

    static String computed(WebElement e, String property) {
        return (String) ((JavascriptExecutor) driver).executeScript(
                "return getComputedStyle(arguments[0]).getPropertyValue(arguments[1]);", e, property);
    }

    static String rgb(String hex) {
        byte[] b = HexFormat.of().parseHex(hex.substring(1));
        return String.format(Locale.ROOT, "rgb(%d, %d, %d)", b[0] & 0xff, b[1] & 0xff, b[2] & 0xff);
    }

    /** Every browser log entry at SEVERE (console.error, uncaught exceptions, failed loads, CSP violations) fails. */
    static void assertNoConsoleErrors(String step) {
        assertNoConsoleErrorsBut(step, e -> false);
    }

    static void assertNoConsoleErrorsBut(String step, java.util.function.Predicate<LogEntry> expected) {
        List<LogEntry> severe = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).filter(expected.negate()).toList();
        assertThat(severe).as("browser console errors after " + step).isEmpty();
    }

    static void screenshot(String name) throws IOException {
        // The page's body: the whole board, without the empty window below it.
        Files.write(SCREENSHOTS.resolve(name), driver.findElement(By.tagName("body")).getScreenshotAs(OutputType.BYTES));
    }

    // ---- the events the services write ----------------------------------------------------------

    static void status(BackupEvent e) {
        publish(Topics.STATUS, e);
    }

    static void recorded(String cluster, String backupId, Instant completedAt) {
        publish(Topics.CLUSTER_STATE, new ClusterBackupRecorded(1, EventIds.random(), backupId, cluster, completedAt,
                "a1640e1c15b6", "2.9.4", completedAt));
    }

    static void publish(Topic topic, BackupEvent e) {
        publisher.publish(topic, e).toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    }

    static BackupProgress progress(String backupId, String cluster, ArtifactKind kind, ArtifactPhase stage, long done, Long total) {
        return new BackupProgress(1, EventIds.random(), backupId, cluster, Instant.now(), kind, stage, done, total, null,
                42_000_000);
    }

    static ArtifactVerified verified(String backupId, String cluster, ArtifactKind kind) {
        return new ArtifactVerified(1, EventIds.random(), backupId, cluster, Instant.now(), kind,
                cluster + "/" + backupId + "/" + kind.id() + ".tar.gpg", 10 * MIB, "a".repeat(64), 3, null, false, 900);
    }
}
