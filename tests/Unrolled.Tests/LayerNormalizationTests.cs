using System;
using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// LayerNormalization as Keras 3 defines it: weights (names, shapes, order, initial values, parameter count), the
/// summary row, the graph's settings and picture, and the output against its definition on a hand-checked case.
/// Gradients are in <see cref="LayerGradientTests"/>, PyTorch in <see cref="TorchComparisonTests"/>, ONNX Runtime in
/// <see cref="OnnxExportTests"/>, Keras files in <see cref="KerasImportTests"/>.
/// </summary>
public class LayerNormalizationTests
{
    [Fact]
    public void Weights_are_gamma_then_beta_spanning_the_normalised_axes_as_keras_builds_them()
    {
        var model = new LayerNormForms(seed: 1);
        var weights = model.Description.Weights.Where(w => w.Layer.StartsWith("layer_normalization", StringComparison.Ordinal))
            .Select(w => $"{w.Layer}/{w.Name} [{string.Join(", ", w.Shape)}]");
        Assert.Equal(
            [
                "layer_normalization/gamma [5, 8]", "layer_normalization/beta [5, 8]",   // axis [-2, -1]
                "layer_normalization_1/gamma [5]",                                      // axis 1, center off
                "layer_normalization_2/beta [8]",                                       // scale off
                "layer_normalization_3/gamma [8]",                                      // rms_scaling: gamma only
            ],
            weights);
        Assert.All(model.GetWeights("layer_normalization", "gamma").ToArray(), v => Assert.Equal(1f, v));
        Assert.All(model.GetWeights("layer_normalization", "beta").ToArray(), v => Assert.Equal(0f, v));

        // Keras: dense 8·8+8, 40+40, 5, 8, 8, dense_1 8·2+2.
        Assert.Equal(72 + 80 + 5 + 8 + 8 + 18, LayerNormForms.ParameterCount);
    }

    [Fact]
    public void The_summary_row_is_keras_s()
    {
        string summary = new LayerNormForms(seed: 1).Summary().ReplaceLineEndings("\n");
        // Keras cuts the first column at 28 characters.
        Assert.Matches(@"\nlayer_normalization \(LayerNo \(None, 5, 8\) +80 *\n", summary);
        Assert.Matches(@"\nlayer_normalization_1 \(Layer \(None, 5, 8\) +5 *\n", summary);
        Assert.Matches(@"\nlayer_normalization_3 \(Layer \(None, 5, 8\) +8 *\n", summary);
        Assert.Contains("Total params: 191", summary);
    }

    [Fact]
    public void The_graph_carries_keras_s_settings_and_draws_the_layer()
    {
        var model = new LayerNormForms(seed: 1);
        var nodes = model.Description.Graph.Nodes.Where(n => n.Kind == GraphNodeKind.LayerNormalization).ToList();
        Assert.Equal(4, nodes.Count);
        Assert.Equal("axis=(-2, -1), epsilon=0.001, center=True, scale=True, rms_scaling=False", string.Join(", ", nodes[0].Config));
        Assert.Equal("axis=1, epsilon=0.001, center=False, scale=True, rms_scaling=False", string.Join(", ", nodes[1].Config));
        Assert.Equal(0.01, nodes[2].Setting("epsilon")!.AsDouble());
        Assert.True(nodes[3].Setting("rms_scaling")!.AsBoolean());
        Assert.All(nodes, n => Assert.Equal("LayerNormalization", n.ClassName));

        string dot = model.Graph();
        Assert.Contains("layer_normalization: LayerNormalization|{input:|output:}|{{(None, 5, 8)}|{(None, 5, 8)}}", dot);
        Assert.Contains("layer_normalization_3: LayerNormalization", model.Graph(GraphFormat.Mermaid));
    }

    [Fact]
    public void Each_row_is_normalised_to_mean_zero_and_deviation_one_then_scaled_and_shifted()
    {
        // [1, 2, 3, 6]: mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5; [4, 4, 4, 4]: variance 0, so 0 / sqrt(ε).
        var model = new LayerNormOnly(seed: 1);
        float[] y = model.Predict([1, 2, 3, 6, 4, 4, 4, 4]);
        double deviation = Math.Sqrt(3.5 + 0.001);
        Assert.Equal([-2 / deviation, -1 / deviation, 0, 3 / deviation, 0, 0, 0, 0], y.Select(v => (double)v), new Tolerance(1e-6));

        // gamma and beta scale and shift each position.
        model.GetWeights("layer_normalization", "gamma").Fill(2);
        model.GetWeights("layer_normalization", "beta")[3] = 1;
        y = model.Predict([1, 2, 3, 6]);
        Assert.Equal([-4 / deviation, -2 / deviation, 0, 6 / deviation + 1], y.Select(v => (double)v), new Tolerance(1e-6));
    }

    [Fact]
    public void Predict_equals_the_flat_graph_run_in_plain_double_loops()
    {
        var model = new LayerNormLast(seed: 1);
        float[] x = [0.5f, -1, 2, 0.25f, 1, -0.5f];
        float[] y = model.Predict(x);
        var flat = FlatGraphInterpreter.Run(model.Description.Graph, model.Weights.ToArray(), [x], 1)[0];
        Assert.Equal(y.Select(v => (double)v), flat.Select(v => (double)v), new Tolerance(1e-5));
    }

    private sealed class Tolerance(double tolerance) : System.Collections.Generic.IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance * Math.Max(1, Math.Abs(b));

        public int GetHashCode(double value) => 0;
    }

    [Fact]
    public void Predict_allocates_nothing_once_warm()
    {
        var model = new LayerNormForms(seed: 2);
        float[] x = new float[4 * 5 * 8], y = new float[4 * 2];
        model.Predict(x, y, 4);
        long before = GC.GetAllocatedBytesForCurrentThread();
        model.Predict(x, y, 4);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
