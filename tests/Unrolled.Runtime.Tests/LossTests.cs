using System;
using System.Collections.Generic;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

public class LossTests
{
    private const int Rows = 5, Cols = 4;

    public static IEnumerable<object[]> Cases()
    {
        yield return ["mse", false];
        yield return ["bce", false];
        yield return ["bce_logits", false];
        yield return ["cce", false];
        yield return ["cce_logits", false];
        yield return ["scce", false];
        yield return ["scce_logits", false];
        yield return ["cce", true];
        yield return ["scce", true];
        yield return ["bce", true];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientMatchesCentralDifferences(string name, bool fused)
    {
        Loss loss = Create(name);
        var random = new Random(name.GetHashCode(StringComparison.Ordinal) ^ (fused ? 7 : 1));
        const int cols = Cols;
        var x = new float[Rows * cols];
        for (int i = 0; i < x.Length; i++)
        {
            // Probabilities in (0.05, 0.95) keep the clip inactive; logits / pre-activations in (-3, 3).
            x[i] = name is "bce" or "cce" or "scce" && !fused ? (float)(0.05 + (0.9 * random.NextDouble())) : (float)((random.NextDouble() * 6) - 3);
        }

        float[] targets = Targets(loss, random, cols);
        const float scale = 1.7f;
        Activation activation = loss is BinaryCrossentropy ? Activation.Sigmoid : Activation.Softmax;
        var gradient = new float[x.Length];
        Assert.Equal(fused, fused && loss.FusesWith(activation));
        loss.Compute(Apply(fused, activation, x, cols), targets, gradient, Rows, cols, scale, fused);

        // Reference: the plain (unfused) loss of activation(z) for the fused path, the loss itself otherwise.
        const float h = 1e-3f;
        for (int i = 0; i < x.Length; i++)
        {
            var plus = (float[])x.Clone();
            var minus = (float[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            double step = (double)plus[i] - minus[i];
            double expected = scale * (Plain(loss, fused, activation, plus, targets, cols) - Plain(loss, fused, activation, minus, targets, cols)) / step;
            Assert.True(Math.Abs(expected - gradient[i]) <= (2e-3 * Math.Abs(expected)) + 2e-4,
                $"{name} fused={fused} element {i}: finite difference {expected}, gradient {gradient[i]}");
        }
    }

    [Fact]
    public void MeanSquaredErrorValue()
    {
        // Rows (1, 2) vs (0, 0) and (3, 3) vs (1, 1): row means 2.5 and 4, batch mean 3.25.
        Assert.Equal(3.25, new MeanSquaredError().Compute([1, 2, 3, 3], [0, 0, 1, 1], default, 2, 2, 1, false), 12);
    }

    [Fact]
    public void CategoricalCrossentropyNormalisesAndClipsAsKeras()
    {
        var cce = new CategoricalCrossentropy();
        // p = (2, 1, 1) normalises to (0.5, 0.25, 0.25); target class 0 → −log 0.5.
        Assert.Equal(Math.Log(2), cce.Compute([2, 1, 1], [1, 0, 0], default, 1, 3, 1, false), 6);
        // A zero probability for the true class is clipped at 1e-7: −log(1e-7) ≈ 16.118.
        Assert.Equal(-Math.Log(1e-7), cce.Compute([0, 1, 0], [1, 0, 0], default, 1, 3, 1, false), 3);
        var gradient = new float[3];
        cce.Compute([0, 1, 0], [1, 0, 0], gradient, 1, 3, 1, false);
        Assert.Equal(new float[3], gradient); // the clip passes no gradient
    }

    [Fact]
    public void BinaryCrossentropyMatchesKerasFormula()
    {
        // Keras: −(t·log(p + ε) + (1 − t)·log(1 − p + ε)), mean over the last axis.
        double p = 0.8, eps = 1e-7f;
        double expected = (-Math.Log(p + eps) - Math.Log(1 - p + eps)) / 2;
        Assert.Equal(expected, new BinaryCrossentropy().Compute([0.8f, 0.8f], [1, 0], default, 1, 2, 1, false), 6);
        // From logits: log(1 + e^−z) for t = 1.
        Assert.Equal(Math.Log(1 + Math.Exp(-2.0)), new BinaryCrossentropy(fromLogits: true).Compute([2f], [1], default, 1, 1, 1, false), 6);
    }

    [Fact]
    public void SparseEqualsCategoricalWithOneHotTargets()
    {
        float[] p = [0.2f, 0.5f, 0.3f, 0.1f, 0.1f, 0.8f];
        var sparseGradient = new float[6];
        var denseGradient = new float[6];
        double sparse = new SparseCategoricalCrossentropy().Compute(p, [1, 2], sparseGradient, 2, 3, 1, false);
        double dense = new CategoricalCrossentropy().Compute(p, [0, 1, 0, 0, 0, 1], denseGradient, 2, 3, 1, false);
        Assert.Equal(dense, sparse, 10);
        Assert.Equal(denseGradient, sparseGradient);
    }

    [Theory]
    [InlineData(3.5f)]
    [InlineData(-1f)]
    [InlineData(3f)]
    [InlineData(float.NaN)]
    public void InvalidSparseLabelsNameTheOutputSampleAndValue(float label)
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            SparseCategoricalCrossentropy.ValidateLabels([0, 1, label], 3, 1, 10, "digits", "y"));
        Assert.Contains("'digits'", ex.Message);
        Assert.Contains("sample 12", ex.Message);
        Assert.Contains(label.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
    }

    [Fact]
    public void NamesConvertAsKeras()
    {
        Assert.IsType<MeanSquaredError>((Loss)"mse");
        Assert.IsType<MeanSquaredError>((Loss)"mean_squared_error");
        Assert.IsType<BinaryCrossentropy>((Loss)"binary_crossentropy");
        Assert.IsType<CategoricalCrossentropy>((Loss)"categorical_crossentropy");
        Assert.IsType<SparseCategoricalCrossentropy>((Loss)"sparse_categorical_crossentropy");
        var ex = Assert.Throws<ArgumentException>(() => (Loss)"sigmoid_focal_crossentropy");
        Assert.Contains("'sigmoid_focal_crossentropy'", ex.Message);
        Assert.Contains("sparse_categorical_crossentropy", ex.Message);
    }

    [Fact]
    public void FusionOnlyForTheKerasPairs()
    {
        Assert.True(new CategoricalCrossentropy().FusesWith(Activation.Softmax));
        Assert.True(new SparseCategoricalCrossentropy().FusesWith(Activation.Softmax));
        Assert.True(new BinaryCrossentropy().FusesWith(Activation.Sigmoid));
        Assert.False(new CategoricalCrossentropy(fromLogits: true).FusesWith(Activation.Softmax));
        Assert.False(new BinaryCrossentropy().FusesWith(Activation.Softmax));
        Assert.False(new CategoricalCrossentropy().FusesWith(Activation.Sigmoid));
        Assert.False(new MeanSquaredError().FusesWith(Activation.Sigmoid));
    }

    private static Loss Create(string name) => name switch
    {
        "mse" => new MeanSquaredError(),
        "bce" => new BinaryCrossentropy(),
        "bce_logits" => new BinaryCrossentropy(fromLogits: true),
        "cce" => new CategoricalCrossentropy(),
        "cce_logits" => new CategoricalCrossentropy(fromLogits: true),
        "scce" => new SparseCategoricalCrossentropy(),
        _ => new SparseCategoricalCrossentropy(fromLogits: true),
    };

    private static float[] Targets(Loss loss, Random random, int cols)
    {
        if (loss.IsSparse)
        {
            var labels = new float[Rows];
            for (int r = 0; r < Rows; r++)
            {
                labels[r] = random.Next(cols);
            }

            return labels;
        }

        var targets = new float[Rows * cols];
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                targets[(r * cols) + c] = loss switch
                {
                    MeanSquaredError => (float)random.NextDouble(),
                    BinaryCrossentropy => random.Next(2),
                    // Soft targets whose rows do not sum to 1 exercise the Σt factor of the gradient.
                    _ => (float)random.NextDouble(),
                };
            }
        }

        return targets;
    }

    private static float[] Apply(bool fused, Activation activation, float[] z, int cols)
    {
        if (!fused)
        {
            return z;
        }

        var y = new float[z.Length];
        ActivationKernels.Forward(activation, z, y, z.Length / cols, cols);
        return y;
    }

    private static double Plain(Loss loss, bool fused, Activation activation, float[] x, float[] targets, int cols)
        => loss.Compute(Apply(fused, activation, x, cols), targets, default, Rows, cols, 1, false);
}
