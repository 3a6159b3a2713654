package dev.devs.sandbox.benchmarks.analyzer;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTitleAnnotation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.plot.CombinedRangeXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The latency chart: one panel per series, side by side on one logarithmic duration axis, each showing
 * its samples in the order they were taken, with the target as a red line, P95 dashed and P50 dotted.
 * Series on other runtimes (runsc) and peers stand next to the warm series they are compared with; a runtime's
 * panel says its ratio to runc, another engine's (podman) its ratio to the first engine's (docker); stop series
 * come last.
 * A log axis because a 0.2 s warm start, a 4 s pull and a 30 s target must all be readable at once.
 */
final class LatencyChart {

    private static final Color OURS = new Color(0x1f, 0x5f, 0xbf);
    private static final Color STAND_IN = new Color(0xd9, 0x7a, 0x00);
    private static final Color PEER = new Color(0x70, 0x70, 0x70);
    private static final Color STOP = new Color(0x2e, 0x8b, 0x57);
    private static final Color TARGET = new Color(0xd0, 0x10, 0x10);
    private static final Font AXIS_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 12);
    private static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final Font HEADING = new Font(Font.SANS_SERIF, Font.BOLD, 11);

    private LatencyChart() {
    }

    /** Draws the chart of {@code a} to {@code png} (atomically: temp file, then rename). */
    static void write(Analysis a, Path png) throws IOException {
        List<Analysis.Row> groups = order(a);
        LogAxis durations = new DurationAxis("duration (log scale)");
        durations.setLabelFont(AXIS_FONT);
        durations.setTickLabelFont(SMALL);
        double[] range = range(groups);
        durations.setRange(range[0], range[1]);

        CombinedRangeXYPlot plot = new CombinedRangeXYPlot(durations);
        plot.setGap(12);
        for (Analysis.Row row : groups) {
            plot.add(panel(row, range, a.ratiosOf(row)), 1);
        }

        JFreeChart chart = new JFreeChart("Sandbox provisioning latency: every sample, in the order taken",
                new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        LatencyReport r = a.report;
        chart.addSubtitle(new TextTitle(r.path() + (r.generatedAt() == null ? "" : "  ·  generated " + r.generatedAt())
                + "  ·  red line: target (bounds P95)  ·  dashed: P95  ·  dotted: P50  ·  nearest rank", SMALL));
        if (a.series.stream().anyMatch(Analysis.Row::standIn)) {
            TextTitle warning = new TextTitle("Orange panels ran against the TEST STAND-IN of the WebContainer runtime, "
                    + "not StackBlitz: they measure the driver and Chromium, not StackBlitz's service.", SMALL);
            warning.setPaint(STAND_IN.darker());
            chart.addSubtitle(warning);
        }

        int width = Math.max(1200, 230 * groups.size());
        Path absolute = png.toAbsolutePath();
        Files.createDirectories(absolute.getParent());
        Path tmp = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName() + ".", ".tmp");
        try {
            // createTempFile makes it 0600; a chart is for everyone who can read the report.
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException notPosix) {
            // keep the file system's default
        }
        try {
            ChartUtils.saveChartAsPNG(tmp.toFile(), chart, width, 720);
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Report order, with each engine's peers right after the (last) warm series of our driver on that engine (docker
     * warm, podman warm), peers without such a series after all series, and the stops at the end.
     */
    private static List<Analysis.Row> order(Analysis a) {
        List<Analysis.Row> out = new ArrayList<>();
        List<Analysis.Row> unplaced = new ArrayList<>(a.peers);
        for (int i = 0; i < a.series.size(); i++) {
            Analysis.Row row = a.series.get(i);
            out.add(row);
            for (Analysis.PeerRatio peer : a.ratios) {
                String warm = peer.engine() + " warm";
                boolean nextIsSameWarm = i + 1 < a.series.size() && a.series.get(i + 1).label().startsWith(warm);
                if (row.label().startsWith(warm) && !nextIsSameWarm && unplaced.remove(peer.peer())) {
                    out.add(peer.peer());
                }
            }
        }
        out.addAll(unplaced);
        out.addAll(a.stops);
        out.addAll(a.burstRows);
        out.addAll(a.execRows);
        return out;
    }

    private static double[] range(List<Analysis.Row> groups) {
        double min = Double.MAX_VALUE;
        double max = 0;
        for (Analysis.Row row : groups) {
            for (double v : row.samples()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            if (row.targetMs().isPresent()) {
                max = Math.max(max, row.targetMs().getAsDouble());
                min = Math.min(min, row.targetMs().getAsDouble());
            }
        }
        if (max == 0) {
            return new double[] {1, 100_000};
        }
        // A log axis cannot show 0: a 0 ms sample sits at the floor, a tenth of a millisecond. Headroom above
        // the highest value (usually a target) keeps the panel headings clear of the lines.
        return new double[] {Math.max(0.1, min / 2), max * 3};
    }

    private static XYPlot panel(Analysis.Row row, double[] range, List<Analysis.Ratio> ratios) {
        XYSeries samples = new XYSeries(row.label(), false, true);
        for (int i = 0; i < row.samples().size(); i++) {
            samples.add(i + 1, Math.max(range[0], row.samples().get(i)));
        }
        Color color = switch (row.kind()) {
            case PEER -> PEER;
            case STOPS -> STOP;
            case SERIES -> row.standIn() ? STAND_IN : OURS;
            case BURST -> row.label().endsWith(" raw") ? PEER : OURS;
            case EXEC -> row.label().endsWith(" raw engine exec") ? PEER : OURS;
        };
        boolean bad = row.verdict() == Analysis.Verdict.OVER || row.verdict() == Analysis.Verdict.ALL_FAILED;
        NumberAxis order = new NumberAxis(shortName(row));
        order.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        order.setRange(0.5, Math.max(1, row.n()) + 0.5);
        order.setLabelFont(AXIS_FONT);
        order.setLabelPaint(color.darker());
        order.setTickLabelFont(SMALL);

        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        renderer.setSeriesPaint(0, color);
        renderer.setSeriesStroke(0, new BasicStroke(1f));
        renderer.setSeriesShape(0, new Ellipse2D.Double(-3, -3, 6, 6));

        XYPlot panel = new XYPlot(new XYSeriesCollection(samples), order, null, renderer);
        panel.setBackgroundPaint(new Color(0xf7, 0xf7, 0xf7));
        panel.setDomainGridlinesVisible(false);
        panel.setRangeGridlinePaint(new Color(0xcc, 0xcc, 0xcc));
        row.targetMs().ifPresent(t -> panel.addRangeMarker(marker(t, "target " + Table.target(row.targetMs()), TARGET,
                new BasicStroke(2f), RectangleAnchor.RIGHT, TextAnchor.TOP_RIGHT)));
        row.p95().ifPresent(p -> panel.addRangeMarker(marker(p, "P95 " + Table.ms(row.p95()) + " ms", Color.DARK_GRAY,
                new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f),
                RectangleAnchor.RIGHT, TextAnchor.BOTTOM_RIGHT)));
        // P50 without a label: the dotted line is explained in the subtitle, and two labels would collide.
        row.p50().ifPresent(p -> panel.addRangeMarker(marker(p, null, Color.GRAY,
                new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {1.5f, 3f}, 0f),
                RectangleAnchor.RIGHT, TextAnchor.TOP_RIGHT)));

        // The panel's own heading, inside the plot area: a label under the axis would be cut in a narrow panel.
        StringBuilder heading = new StringBuilder("n=" + row.n());
        switch (row.verdict()) {
            case OK -> heading.append("  OK");
            case OVER -> heading.append(row.kind() == Analysis.Kind.BURST ? "  STARTS FAILED" : "  OVER TARGET");
            case ALL_FAILED -> heading.append("  ALL STARTS FAILED");
            case EMPTY -> heading.append("  no samples");
            case STAND_IN -> heading.append("  not judged");
            case NO_TARGET -> heading.append(row.kind() == Analysis.Kind.PEER ? "  (baseline)" : "  (no target)");
        }
        if (row.kind() == Analysis.Kind.EXEC) {
            heading.append("\n").append(row.notes()).append(", report only");
        } else if (row.kind() == Analysis.Kind.BURST) {
            // Percentiles over every attempted start, failures slowest: the samples drawn are the successes only.
            heading.append("\n").append(row.notes()).append("\nP50/P95 over all attempts");
        } else if (row.standIn()) {
            heading.append("\nTEST STAND-IN runtime,\nnot StackBlitz");
        } else if (row.label().contains(" [")) {
            // Any other runtime (stackblitz, self-hosted, unknown) is named too: the panel must say what it measured.
            // A peer's bracket names the engine it ran on (raw-engine-api [podman]), a series' its runtime.
            heading.append(row.kind() == Analysis.Kind.PEER ? "\nengine: " : "\nruntime: ")
                    .append(row.label(), row.label().indexOf(" [") + 2, row.label().length() - 1);
        }
        for (Analysis.Ratio ratio : ratios) {
            heading.append("\n/ ").append(ratio.versus()).append(": P50 ").append(Table.ratio(ratio.p50Ratio()))
                    .append(", P95 ").append(Table.ratio(ratio.p95Ratio()));
        }
        TextTitle title = new TextTitle(heading.toString(), HEADING);
        title.setPaint(bad ? TARGET : row.standIn() ? STAND_IN.darker() : Color.BLACK);
        title.setTextAlignment(org.jfree.chart.ui.HorizontalAlignment.LEFT);
        title.setBackgroundPaint(new Color(255, 255, 255, 200));
        panel.addAnnotation(new XYTitleAnnotation(0.03, 0.99, title, RectangleAnchor.TOP_LEFT));
        return panel;
    }

    /** The series name without the runtime in brackets: the heading inside the panel says that. */
    private static String shortName(Analysis.Row row) {
        String label = row.label();
        int bracket = label.indexOf(" [");
        return bracket < 0 ? label : label.substring(0, bracket);
    }

    private static ValueMarker marker(double value, String label, Color color, BasicStroke stroke,
                                      RectangleAnchor anchor, TextAnchor textAnchor) {
        ValueMarker m = new ValueMarker(value, color, stroke);
        if (label != null) {
            m.setLabel(label);
            m.setLabelFont(SMALL);
            m.setLabelPaint(color);
            m.setLabelBackgroundColor(new Color(255, 255, 255, 0));
            m.setLabelAnchor(anchor);
            m.setLabelTextAnchor(textAnchor);
            m.setLabelOffset(new RectangleInsets(2, 4, 2, 4));
        }
        return m;
    }

    /**
     * A log axis with ticks at 1, 2 and 5 times a power of ten, labelled in ms below a second and in s above
     * ("200 ms", "1 s", "20 s"): the default log ticks fall on values like 3,981.072.
     */
    private static final class DurationAxis extends LogAxis {
        private static final long serialVersionUID = 1L;

        DurationAxis(String label) {
            super(label);
            setBase(10);
        }

        @Override
        protected List<NumberTick> refreshTicksVertical(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
            List<NumberTick> ticks = new ArrayList<>();
            double lo = getLowerBound();
            double hi = getUpperBound();
            int decades = (int) Math.ceil(Math.log10(hi / lo));
            int[] steps = decades > 5 ? new int[] {1} : new int[] {1, 2, 5};
            for (int e = (int) Math.floor(Math.log10(lo)); e <= (int) Math.ceil(Math.log10(hi)); e++) {
                for (int step : steps) {
                    double v = step * Math.pow(10, e);
                    if (v >= lo && v <= hi) {
                        ticks.add(new NumberTick(TickType.MAJOR, v, label(v), TextAnchor.CENTER_RIGHT, TextAnchor.CENTER, 0));
                    }
                }
            }
            return ticks;
        }

        static String label(double ms) {
            DecimalFormat f = new DecimalFormat("#,##0.###", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT));
            return ms >= 1000 ? f.format(ms / 1000) + " s" : f.format(ms) + " ms";
        }
    }
}
