package io.dtrbackup.cli;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The freshness board as one self-contained HTML page (inline SVG, no scripts, no external
 * files): a row per cluster, a bar of its backup's age against the freshness window (the dashed
 * line), coloured by status. For a wall screen or a CI artifact.
 */
final class HtmlBoard {
    private static final int ROW = 34;
    private static final int LABEL = 200;
    private static final int BAR = 520;
    /** The bar axis runs to 150% of the window; older backups are clipped and marked. */
    static final double AXIS = 1.5;

    private HtmlBoard() {
    }

    static String colour(FreshnessBoard.Status s) {
        return switch (s) {
            case FRESH -> "#2e9d48";
            case AGING -> "#e0a100";
            case OVERDUE -> "#d13b30";
            case NEVER -> "#8a8a8a";
        };
    }

    static String render(List<FreshnessBoard.Row> rows, Instant now) {
        int height = 40 + ROW * Math.max(1, rows.size());
        int width = LABEL + BAR + 240;
        int windowX = LABEL + (int) Math.round(BAR / AXIS);
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"13\">%n", width, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"16\" fill=\"#555\" text-anchor=\"middle\">freshness window</text>%n", windowX));
        int y = 28;
        for (FreshnessBoard.Row r : rows) {
            double f = Double.isNaN(r.ageFraction()) ? 0 : Math.min(AXIS, r.ageFraction());
            int w = (int) Math.round(BAR * f / AXIS);
            String status = r.status().name();
            String age = r.age() == null ? "never backed up" : Render.duration(r.age()) + " / " + Render.duration(r.window());
            svg.append(String.format(Locale.ROOT, "<g class=\"row %s\"><title>%s: %s (%s)</title>%n",
                    status.toLowerCase(Locale.ROOT), esc(r.clusterId()), status,
                    esc(r.lastBackupId() == null ? "no verified backup" : r.lastBackupId())));
            svg.append(String.format(Locale.ROOT, "  <text x=\"0\" y=\"%d\">%s</text>%n", y + 16, esc(r.clusterId())));
            svg.append(String.format(Locale.ROOT, "  <rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"22\" fill=\"#eee\"/>%n", LABEL, y, BAR));
            svg.append(String.format(Locale.ROOT, "  <rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"22\" fill=\"%s\"/>%n",
                    LABEL, y, r.status() == FreshnessBoard.Status.NEVER ? BAR : w, colour(r.status())));
            svg.append(String.format(Locale.ROOT, "  <text x=\"%d\" y=\"%d\">%s %s</text>%n", LABEL + BAR + 10, y + 16,
                    status, esc(age)));
            svg.append("</g>\n");
            y += ROW;
        }
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"22\" x2=\"%d\" y2=\"%d\" stroke=\"#333\" "
                + "stroke-dasharray=\"4 3\"/>%n", windowX, windowX, height - 4));
        svg.append("</svg>\n");
        long bad = rows.stream().filter(r -> r.status() == FreshnessBoard.Status.OVERDUE
                || r.status() == FreshnessBoard.Status.NEVER).count();
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>dtr-backup freshness</title>\n"
                + "<style>body{font-family:sans-serif;margin:24px;color:#222}h1{font-size:18px}p{color:#555}</style>"
                + "</head>\n<body>\n<h1>dtr-backup: last verified backup per cluster</h1>\n"
                + "<p>" + esc(Render.DATE_TIME.format(now)) + " &middot; " + rows.size() + " clusters &middot; " + bad
                + " overdue or never backed up &middot; bar = age of the last verified backup, dashed line = the "
                + "cluster's freshness window</p>\n" + svg + "</body></html>\n";
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
