using System;
using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>Keras's weight constraints (keras/src/constraints), applied after every update: the norms of each slice over
/// the constraint's axes, measured on the trained weights, and the formulas against a direct computation.</summary>
public class ConstraintTests
{
    /// <summary>Column norms of a [rows, columns] kernel (Keras's axis 0).</summary>
    private static double[] ColumnNorms(float[] w, int columns)
        => Enumerable.Range(0, columns).Select(c => Math.Sqrt(Enumerable.Range(0, w.Length / columns).Sum(r => (double)w[(r * columns) + c] * w[(r * columns) + c]))).ToArray();

    [Fact]
    public void Trained_weights_keep_to_their_constraints()
    {
        var model = new ConstrainedLayers(seed: 3);
        model.Compile(new Adam(0.5f), "mse");
        var x = GradientTests.Random(16 * 50, 1, 3f);
        var y = GradientTests.Random(16 * 3, 2, 5f);
        model.Fit(x, y, epochs: 3, batchSize: 4, verbose: 0);

        Assert.All(ColumnNorms(model.GetReadOnlyWeights("conv").ToArray(), 4), n => Assert.True(n <= 0.3 + 1e-5, $"conv filter norm {n}"));
        Assert.All(ColumnNorms(model.GetReadOnlyWeights("max_norm").ToArray(), 8), n => Assert.True(n <= 0.5 + 1e-5, $"column norm {n}"));
        Assert.All(model.GetReadOnlyWeights("max_norm", "bias").ToArray(), b => Assert.True(b >= 0));
        Assert.All(ColumnNorms(model.GetReadOnlyWeights("unit").ToArray(), 4), n => Assert.Equal(1, n, 4));
        Assert.All(ColumnNorms(model.GetReadOnlyWeights("min_max").ToArray(), 3), n => Assert.True(n >= 0.2 - 1e-5 && n <= 0.4 + 1e-5, $"norm {n}"));
    }

    [Fact]
    public void Min_max_norm_moves_each_norm_by_its_rate_as_Keras()
    {
        // w · (rate · clip(n, min, max) + (1 − rate) · n) / (ε + n), per column.
        var random = new Random(4);
        float[] w = Enumerable.Range(0, 12).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        var before = ColumnNorms(w, 3);
        var constraint = WeightConstraint.Parse("MinMaxNorm:0.5:1:0.25:0", [4, 3], "test");
        float[] constrained = (float[])w.Clone();
        constraint.Apply(constrained);
        for (int c = 0; c < 3; c++)
        {
            double n = before[c], desired = (0.25 * Math.Clamp(n, 0.5, 1)) + (0.75 * n);
            for (int r = 0; r < 4; r++)
            {
                Assert.Equal(w[(r * 3) + c] * desired / (1e-7 + n), constrained[(r * 3) + c], 5);
            }
        }

        Assert.Throws<ArgumentException>(() => WeightConstraint.Parse("MaxNorm:0:1:1:5", [4, 3], "test"));
    }
}
