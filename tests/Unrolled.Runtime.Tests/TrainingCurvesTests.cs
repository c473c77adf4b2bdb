using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// <see cref="TrainingCurves"/>: the SVG must parse as XML, have one line per series with a point per finite value, and
/// put each point where the picture's own tick labels say its epoch and value are.
/// </summary>
public class TrainingCurvesTests
{
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";

    private static Dictionary<string, IReadOnlyList<double>> Series(params (string Key, double[] Values)[] series)
        => series.ToDictionary(s => s.Key, s => (IReadOnlyList<double>)s.Values);

    private static XElement[] WithClass(XContainer root, string name, string @class)
        => root.Descendants(s_svg + name).Where(e => (string?)e.Attribute("class") == @class).ToArray();

    private static double D(XElement e, string attribute) => double.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);

    private static (double X, double Y)[] Points(XElement polyline)
        => ((string)polyline.Attribute("points")!).Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split(',')).Select(p => (double.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture))).ToArray();

    /// <summary>The panel's scales read off its tick labels: epoch → x and value → y, fitted through the first and last tick.</summary>
    private static (Func<double, double> X, Func<double, double> Y) Scales(XElement panel)
    {
        var yTicks = WithClass(panel, "text", "ytick").Select(t => (Value: double.Parse(t.Value, CultureInfo.InvariantCulture), Y: D(t, "y") - 4)).ToArray();
        var xTicks = WithClass(panel, "text", "xtick").Select(t => (Epoch: double.Parse(t.Value, CultureInfo.InvariantCulture), X: D(t, "x"))).ToArray();
        Assert.True(yTicks.Length >= 2, "fewer than two y ticks");
        var (v0, y0) = yTicks[0];
        var (v1, y1) = yTicks[^1];
        Func<double, double> x = xTicks.Length >= 2
            ? e => xTicks[0].X + (e - xTicks[0].Epoch) / (xTicks[^1].Epoch - xTicks[0].Epoch) * (xTicks[^1].X - xTicks[0].X)
            : _ => xTicks[0].X;
        return (x, v => y0 + (v - v0) / (v1 - v0) * (y1 - y0));
    }

    [Fact]
    public void Losses_and_accuracies_get_a_panel_each_and_a_line_per_series_at_the_right_places()
    {
        var series = Series(
            ("loss", new[] { 1.2, 0.7, 0.45, 0.31, 0.26 }),
            ("accuracy", new[] { 0.52, 0.71, 0.83, 0.88, 0.9 }),
            ("val_loss", new[] { 1.0, 0.8, 0.6, 0.58, 0.61 }),
            ("val_accuracy", new[] { 0.6, 0.7, 0.76, 0.8, 0.79 }));
        var svg = XDocument.Parse(TrainingCurves.Svg(series, title: "fit <&> \"run\""));

        Assert.Equal(s_svg + "svg", svg.Root!.Name);
        Assert.Equal("fit <&> \"run\"", WithClass(svg, "text", "title").Single().Value);
        var panels = WithClass(svg, "g", "panel");
        Assert.Equal(new[] { "loss", "accuracy" }, panels.Select(p => (string)p.Attribute("data-title")!));

        foreach (var panel in panels)
        {
            var (x, y) = Scales(panel);
            var lines = WithClass(panel, "polyline", "series");
            Assert.Equal(2, lines.Length);
            foreach (var line in lines)
            {
                var values = series[(string)line.Attribute("data-key")!];
                var points = Points(line);
                Assert.Equal(values.Count, points.Length);
                for (int i = 0; i < points.Length; i++)
                {
                    Assert.Equal(x(i + 1), points[i].X, 1);
                    Assert.Equal(y(values[i]), points[i].Y, 1);
                }
            }

            // Every value lies within the ticks' span, and the ticks are in order of value.
            var ticks = WithClass(panel, "text", "ytick").Select(t => double.Parse(t.Value, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(ticks.Order(), ticks);
            Assert.All(lines.SelectMany(l => series[(string)l.Attribute("data-key")!]), v => Assert.InRange(v, ticks[0], ticks[^1]));
            Assert.Equal(new[] { "1", "2", "3", "4", "5" }, WithClass(panel, "text", "xtick").Select(t => t.Value));
            Assert.Equal("epoch", WithClass(panel, "text", "xlabel").Single().Value);
        }

        // A validation series has its training series' colour, dashed; the legend names each.
        var all = WithClass(svg, "polyline", "series").ToDictionary(l => (string)l.Attribute("data-key")!);
        Assert.Equal((string?)all["loss"].Attribute("stroke"), (string?)all["val_loss"].Attribute("stroke"));
        Assert.NotEqual((string?)all["loss"].Attribute("stroke"), (string?)all["accuracy"].Attribute("stroke"));
        Assert.Null(all["loss"].Attribute("stroke-dasharray"));
        Assert.NotNull(all["val_loss"].Attribute("stroke-dasharray"));
        Assert.Equal(new[] { "loss", "val_loss", "accuracy", "val_accuracy" }, WithClass(svg, "g", "legend").Select(g => g.Value));
    }

    [Fact]
    public void One_epoch_is_a_point_in_the_middle()
    {
        var svg = XDocument.Parse(TrainingCurves.Svg(Series(("loss", new[] { 0.69 }))));
        var panel = Assert.Single(WithClass(svg, "g", "panel"));
        var point = Assert.Single(Points(Assert.Single(WithClass(panel, "polyline", "series"))));
        var marker = Assert.Single(WithClass(panel, "circle", "point"));
        Assert.Equal(point, (D(marker, "cx"), D(marker, "cy")));
        Assert.Equal("1", Assert.Single(WithClass(panel, "text", "xtick")).Value);

        // Halfway across the plot, which runs from the y axis to the last grid line's end.
        var grid = WithClass(panel, "line", "grid")[0];
        Assert.Equal((D(grid, "x1") + D(grid, "x2")) / 2, point.X, 1);
        Assert.Equal(Scales(panel).Y(0.69), point.Y, 1);
    }

    [Fact]
    public void NaN_and_infinite_values_are_left_out_of_the_line_and_marked()
    {
        var values = new[] { 1.0, double.NaN, 0.5, double.PositiveInfinity, 0.25, double.NegativeInfinity };
        var svg = XDocument.Parse(TrainingCurves.Svg(Series(("loss", values))));
        var panel = Assert.Single(WithClass(svg, "g", "panel"));
        var (x, y) = Scales(panel);

        var points = Points(Assert.Single(WithClass(panel, "polyline", "series")));
        Assert.Equal(new[] { (x(1), y(1.0)), (x(3), y(0.5)), (x(5), y(0.25)) }.Select(p => (Math.Round(p.Item1, 1), Math.Round(p.Item2, 1))),
            points.Select(p => (Math.Round(p.X, 1), Math.Round(p.Y, 1))));
        var marks = WithClass(panel, "text", "nonfinite");
        Assert.Equal(new[] { "loss, epoch 2: NaN", "loss, epoch 4: +inf", "loss, epoch 6: -inf" }, marks.Select(m => m.Element(s_svg + "title")!.Value));
        Assert.Equal(new[] { x(2), x(4), x(6) }.Select(v => Math.Round(v, 1)), marks.Select(m => Math.Round(D(m, "x"), 1)));

        // The scale comes from the finite values only.
        var ticks = WithClass(panel, "text", "ytick").Select(t => double.Parse(t.Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(ticks[0] <= 0.25 && ticks[0] > 0 - 1e-9 && ticks[^1] >= 1 && ticks[^1] < 1.5, string.Join(", ", ticks));

        // Nothing finite at all still draws the axes and an empty line.
        var empty = XDocument.Parse(TrainingCurves.Svg(Series(("loss", new[] { double.NaN, double.NaN }))));
        Assert.Empty(Points(Assert.Single(WithClass(empty, "polyline", "series"))));
        Assert.Equal(2, WithClass(empty, "text", "nonfinite").Length);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.7)]
    [InlineData(-3e6)]
    [InlineData(1e-8)]
    public void A_constant_series_is_flat_inside_the_plot(double value)
    {
        var svg = XDocument.Parse(TrainingCurves.Svg(Series(("accuracy", Enumerable.Repeat(value, 4).ToArray()))));
        var panel = Assert.Single(WithClass(svg, "g", "panel"));
        Assert.Equal("accuracy", (string)panel.Attribute("data-title")!);
        var points = Points(Assert.Single(WithClass(panel, "polyline", "series")));
        Assert.Equal(4, points.Length);
        Assert.Single(points.Select(p => p.Y).Distinct());

        var grid = WithClass(panel, "line", "grid").Select(g => D(g, "y1")).ToArray();
        Assert.InRange(points[0].Y, grid.Min() + 1, grid.Max() - 1);
        Assert.Equal(Scales(panel).Y(value), points[0].Y, 1);
    }

    [Fact]
    public void A_fit_s_history_draws_every_key_it_logged()
    {
        var data = SyntheticData.Create(100, seed: 2);
        var model = new TwoInputModel();
        model.Compile("adam", new Loss[] { "categorical_crossentropy", "binary_crossentropy" }, metrics: ["accuracy"]);
        History history = model.Fit(data.X, data.Y, epochs: 3, batchSize: 16, validationSplit: 0.2, seed: 1, verbose: 0);

        var svg = XDocument.Parse(history.ToSvg("two outputs"));
        var lines = WithClass(svg, "polyline", "series");
        Assert.Equal(history.Values.Keys.Order(), lines.Select(l => (string)l.Attribute("data-key")!).Order());
        Assert.All(lines, l => Assert.Equal(3, Points(l).Length));
        var panels = WithClass(svg, "g", "panel");
        Assert.Equal(6, WithClass(panels[0], "polyline", "series").Length);    // loss, class_loss, flag_loss and their val_
        Assert.Equal(4, WithClass(panels[1], "polyline", "series").Length);    // class_accuracy, flag_accuracy and their val_
    }

    [Fact]
    public void Keys_are_escaped_and_sizes_checked()
    {
        var svg = XDocument.Parse(TrainingCurves.Svg(Series(("<out>&\"x\"_loss", new[] { 1.0, 0.5 }))));
        Assert.Equal("<out>&\"x\"_loss", (string)WithClass(svg, "polyline", "series").Single().Attribute("data-key")!);
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingCurves.Svg(Series(("loss", new[] { 1.0 })), panelWidth: 10));
        Assert.NotNull(XDocument.Parse(TrainingCurves.Svg(new Dictionary<string, IReadOnlyList<double>>())).Root);
    }
}
