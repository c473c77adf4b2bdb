using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Unrolled;

/// <summary>
/// Training curves as a self-contained SVG picture (no script, no fonts, no other file): per epoch, the losses in one
/// panel and the other metrics (accuracy) in another, each with axes, ticks, labels and a legend. A validation series
/// (<c>val_loss</c>) has its training series' colour, dashed. What matplotlib's <c>plt.plot(history.history[…])</c>
/// shows in the Keras tutorials, without Python.
/// </summary>
/// <remarks>
/// A value that is NaN or infinite (a diverged epoch) is left out of its line and marked with a × on the plot's top edge
/// (bottom for −∞). A series that never changes is drawn flat in the middle of a small range around its value; a single
/// epoch is drawn as a point.
/// </remarks>
public static class TrainingCurves
{
    private const int Left = 64;
    private const int Right = 16;
    private const int Top = 36;
    private const int Bottom = 48;

    private static readonly string[] s_colours =
        { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };

    /// <summary>The curves of what <c>Fit</c> recorded.</summary>
    /// <param name="history">The history <c>Fit</c> returned.</param>
    /// <param name="title">A title over the panels, or none.</param>
    /// <param name="panelWidth">Each panel's width in pixels (at least 200).</param>
    /// <param name="panelHeight">Each panel's height in pixels (at least 150).</param>
    /// <returns>The SVG document.</returns>
    public static string Svg(History history, string? title = null, int panelWidth = 480, int panelHeight = 320)
    {
        ArgumentNullException.ThrowIfNull(history);
        return Svg(history.Values, title, panelWidth, panelHeight);
    }

    /// <summary>Curves of any per-epoch series, keyed as Keras keys them: keys ending in <c>loss</c> share the loss panel,
    /// the others the metrics panel; <c>val_x</c> is drawn as <c>x</c>'s validation counterpart.</summary>
    /// <param name="series">Values per epoch (the first is epoch 1), by key, in the order to draw them.</param>
    /// <param name="title">A title over the panels, or none.</param>
    /// <param name="panelWidth">Each panel's width in pixels (at least 200).</param>
    /// <param name="panelHeight">Each panel's height in pixels (at least 150).</param>
    /// <returns>The SVG document.</returns>
    public static string Svg(IReadOnlyDictionary<string, IReadOnlyList<double>> series, string? title = null, int panelWidth = 480, int panelHeight = 320)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentOutOfRangeException.ThrowIfLessThan(panelWidth, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(panelHeight, 150);

        var keys = series.Keys.ToList();
        var losses = keys.Where(k => Base(k).EndsWith("loss", StringComparison.Ordinal)).ToList();
        var metrics = keys.Where(k => !losses.Contains(k)).ToList();
        var panels = new List<(string Title, List<string> Keys)>();
        if (losses.Count > 0 || metrics.Count == 0)
        {
            panels.Add(("loss", losses));
        }

        if (metrics.Count > 0)
        {
            var names = metrics.Select(k => Base(k)).Distinct().ToList();
            bool accuracy = names.All(n => n.EndsWith("accuracy", StringComparison.Ordinal) || n.EndsWith("acc", StringComparison.Ordinal));
            panels.Add((accuracy ? "accuracy" : "metric", metrics));
        }

        // One colour per series name, its validation series sharing it, in the order the keys come.
        var colours = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in keys)
        {
            if (!colours.ContainsKey(Base(key)))
            {
                colours[Base(key)] = s_colours[colours.Count % s_colours.Length];
            }
        }

        int legendWidth = 40 + 7 * Math.Max(6, keys.Select(k => k.Length).DefaultIfEmpty(0).Max());
        int width = panels.Count * (panelWidth + legendWidth);
        int titleHeight = title is null ? 0 : 28;
        int height = panelHeight + titleHeight;

        var svg = new StringBuilder();
        svg.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(N(width)).Append("\" height=\"").Append(N(height))
            .Append("\" viewBox=\"0 0 ").Append(N(width)).Append(' ').Append(N(height))
            .Append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append("  <title>").Append(Xml(title ?? "Training curves")).Append("</title>\n");
        svg.Append("  <rect width=\"").Append(N(width)).Append("\" height=\"").Append(N(height)).Append("\" fill=\"white\"/>\n");
        if (title is not null)
        {
            svg.Append("  <text class=\"title\" x=\"").Append(N(width / 2)).Append("\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">")
                .Append(Xml(title)).Append("</text>\n");
        }

        for (int p = 0; p < panels.Count; p++)
        {
            Panel(svg, panels[p].Title, panels[p].Keys, series, colours, p * (panelWidth + legendWidth), titleHeight, panelWidth, panelHeight);
        }

        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>The series' name without its validation prefix.</summary>
    private static string Base(string key) => key.StartsWith("val_", StringComparison.Ordinal) ? key.Substring(4) : key;

    private static void Panel(StringBuilder svg, string title, List<string> keys, IReadOnlyDictionary<string, IReadOnlyList<double>> series,
        Dictionary<string, string> colours, int x0, int y0, int width, int height)
    {
        int epochs = keys.Select(k => series[k].Count).DefaultIfEmpty(0).Max();
        var finite = keys.SelectMany(k => series[k]).Where(double.IsFinite).ToList();
        var (yMin, yMax, yStep) = Scale(finite);
        double plotLeft = Left, plotRight = width - Right, plotTop = Top, plotBottom = height - Bottom;

        // Epoch e (from 1) across the plot; a single epoch in the middle.
        double xMin = epochs > 1 ? 1 : 0, xMax = epochs > 1 ? epochs : 2;
        double X(double epoch) => plotLeft + (epoch - xMin) / (xMax - xMin) * (plotRight - plotLeft);
        double Y(double value) => plotBottom - (value - yMin) / (yMax - yMin) * (plotBottom - plotTop);

        svg.Append("  <g class=\"panel\" data-title=\"").Append(Xml(title)).Append("\" transform=\"translate(").Append(N(x0)).Append(' ').Append(N(y0)).Append(")\">\n");
        svg.Append("    <text class=\"panel-title\" x=\"").Append(F((plotLeft + plotRight) / 2)).Append("\" y=\"20\" text-anchor=\"middle\" font-size=\"13\">")
            .Append(Xml(title)).Append("</text>\n");

        // The y axis: grid lines and labels at round values.
        int ticks = (int)Math.Round((yMax - yMin) / yStep);
        for (int i = 0; i <= ticks; i++)
        {
            double value = yMin + i * yStep;
            double y = Y(value);
            svg.Append("    <line class=\"grid\" x1=\"").Append(F(plotLeft)).Append("\" x2=\"").Append(F(plotRight)).Append("\" y1=\"").Append(F(y))
                .Append("\" y2=\"").Append(F(y)).Append("\" stroke=\"#e0e0e0\"/>\n");
            svg.Append("    <text class=\"ytick\" x=\"").Append(F(plotLeft - 6)).Append("\" y=\"").Append(F(y + 4)).Append("\" text-anchor=\"end\">")
                .Append(Tick(value, yStep)).Append("</text>\n");
        }

        // The x axis: whole epochs, at most about ten labels.
        int epochStep = Math.Max(1, (int)NiceStep(Math.Max(1, epochs - 1) / 8.0, integer: true));
        for (int epoch = 1; epoch <= epochs; epoch += epochStep)
        {
            double x = X(epoch);
            svg.Append("    <line class=\"xtick\" x1=\"").Append(F(x)).Append("\" x2=\"").Append(F(x)).Append("\" y1=\"").Append(F(plotBottom))
                .Append("\" y2=\"").Append(F(plotBottom + 5)).Append("\" stroke=\"black\"/>\n");
            svg.Append("    <text class=\"xtick\" x=\"").Append(F(x)).Append("\" y=\"").Append(F(plotBottom + 18)).Append("\" text-anchor=\"middle\">")
                .Append(N(epoch)).Append("</text>\n");
        }

        svg.Append("    <path class=\"axis\" d=\"M").Append(F(plotLeft)).Append(' ').Append(F(plotTop)).Append(" V").Append(F(plotBottom))
            .Append(" H").Append(F(plotRight)).Append("\" fill=\"none\" stroke=\"black\"/>\n");
        svg.Append("    <text class=\"xlabel\" x=\"").Append(F((plotLeft + plotRight) / 2)).Append("\" y=\"").Append(F(height - 10))
            .Append("\" text-anchor=\"middle\">epoch</text>\n");
        svg.Append("    <text class=\"ylabel\" transform=\"translate(16 ").Append(F((plotTop + plotBottom) / 2)).Append(") rotate(-90)\" text-anchor=\"middle\">")
            .Append(Xml(title)).Append("</text>\n");

        foreach (string key in keys)
        {
            var values = series[key];
            string colour = colours[Base(key)];
            string dash = key.StartsWith("val_", StringComparison.Ordinal) ? " stroke-dasharray=\"6 4\"" : string.Empty;
            var points = new List<(double X, double Y)>();
            for (int i = 0; i < values.Count; i++)
            {
                if (double.IsFinite(values[i]))
                {
                    points.Add((X(i + 1), Y(values[i])));
                }
            }

            svg.Append("    <polyline class=\"series\" data-key=\"").Append(Xml(key)).Append("\" points=\"")
                .Append(string.Join(" ", points.Select(pt => F(pt.X) + "," + F(pt.Y)))).Append("\" fill=\"none\" stroke=\"").Append(colour)
                .Append("\" stroke-width=\"2\"").Append(dash).Append("/>\n");

            // A point with no neighbour on its line (one epoch, or between non-finite ones) would not show: mark it.
            for (int i = 0; i < values.Count; i++)
            {
                bool alone = double.IsFinite(values[i]) && (i == 0 || !double.IsFinite(values[i - 1])) && (i == values.Count - 1 || !double.IsFinite(values[i + 1]));
                if (alone)
                {
                    svg.Append("    <circle class=\"point\" data-key=\"").Append(Xml(key)).Append("\" cx=\"").Append(F(X(i + 1))).Append("\" cy=\"")
                        .Append(F(Y(values[i]))).Append("\" r=\"3\" fill=\"").Append(colour).Append("\"/>\n");
                }
                else if (!double.IsFinite(values[i]))
                {
                    string what = double.IsNaN(values[i]) ? "NaN" : values[i] > 0 ? "+inf" : "-inf";
                    svg.Append("    <text class=\"nonfinite\" data-key=\"").Append(Xml(key)).Append("\" x=\"").Append(F(X(i + 1))).Append("\" y=\"")
                        .Append(F(values[i] < 0 ? plotBottom - 3 : plotTop + 4)).Append("\" text-anchor=\"middle\" fill=\"").Append(colour).Append("\">&#215;<title>")
                        .Append(Xml(key)).Append(", epoch ").Append(N(i + 1)).Append(": ").Append(what).Append("</title></text>\n");
                }
            }
        }

        // The legend, beside the plot.
        for (int k = 0; k < keys.Count; k++)
        {
            double y = plotTop + 8 + 18 * k;
            string dash = keys[k].StartsWith("val_", StringComparison.Ordinal) ? " stroke-dasharray=\"6 4\"" : string.Empty;
            svg.Append("    <g class=\"legend\" data-key=\"").Append(Xml(keys[k])).Append("\">")
                .Append("<line x1=\"").Append(F(width + 4)).Append("\" x2=\"").Append(F(width + 28)).Append("\" y1=\"").Append(F(y)).Append("\" y2=\"").Append(F(y))
                .Append("\" stroke=\"").Append(colours[Base(keys[k])]).Append("\" stroke-width=\"2\"").Append(dash).Append("/>")
                .Append("<text x=\"").Append(F(width + 34)).Append("\" y=\"").Append(F(y + 4)).Append("\">").Append(Xml(keys[k])).Append("</text></g>\n");
        }

        svg.Append("  </g>\n");
    }

    /// <summary>The y range, on round values: the finite values' span, widened around a constant, [0, 1] for none.</summary>
    internal static (double Min, double Max, double Step) Scale(IReadOnlyCollection<double> values)
    {
        double low = values.Count > 0 ? values.Min() : 0, high = values.Count > 0 ? values.Max() : 1;
        if (high - low <= Math.Abs(high) * 1e-12 || high == low)
        {
            // A constant: a small range around it, so that it draws flat in the middle.
            double pad = low == 0 ? 1 : Math.Abs(low) * 0.1;
            (low, high) = (low - pad, high + pad);
        }

        double step = NiceStep((high - low) / 5, integer: false);
        double min = Math.Floor(low / step) * step, max = Math.Ceiling(high / step) * step;
        if (!double.IsFinite(min) || !double.IsFinite(max) || max <= min)
        {
            return (0, 1, 0.2);
        }

        return (min, max, step);
    }

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="rough"/>.</summary>
    private static double NiceStep(double rough, bool integer)
    {
        if (!(rough > 0) || !double.IsFinite(rough))
        {
            return 1;
        }

        double power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double fraction = rough / power;
        double step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
        return integer ? Math.Max(1, Math.Round(step)) : step;
    }

    /// <summary>A tick label with as many decimals as the step needs.</summary>
    private static string Tick(double value, double step)
    {
        if (Math.Abs(value) < step * 1e-9)
        {
            value = 0;
        }

        int decimals = Math.Max(0, (int)-Math.Floor(Math.Log10(step) + 1e-9));
        return decimals > 6 || Math.Abs(value) >= 1e7
            ? value.ToString("G4", CultureInfo.InvariantCulture)
            : value.ToString("F" + N(decimals), CultureInfo.InvariantCulture);
    }

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    private static string Xml(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            switch (c)
            {
                case '<': escaped.Append("&lt;"); break;
                case '>': escaped.Append("&gt;"); break;
                case '&': escaped.Append("&amp;"); break;
                case '"': escaped.Append("&quot;"); break;
                case '\'': escaped.Append("&apos;"); break;
                default:
                    // XML 1.0 has no place for most control characters.
                    escaped.Append(c < ' ' && c is not ('\t' or '\n' or '\r') ? ' ' : c);
                    break;
            }
        }

        return escaped.ToString();
    }
}
