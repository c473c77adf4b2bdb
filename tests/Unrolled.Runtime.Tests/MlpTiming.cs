using System;
using System.Diagnostics;
using Unrolled.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// A 784-64-64-10 ReLU/softmax MLP written against the kernels as generated code is, to time a training epoch
/// (60 000 samples, batch 64, Adam) and check the kernels train together. Speed is reported, not asserted.
/// </summary>
public class MlpTiming(ITestOutputHelper output)
{
    [Fact]
    public void ReportsEpochTimeAndLearns()
    {
        const int samples = 6400, batch = 64;
        var random = new Random(1);
        var x = new float[samples * 784];
        var y = new float[samples * 10];
        var projection = new float[784 * 10];
        for (int i = 0; i < projection.Length; i++)
        {
            projection[i] = (float)((random.NextDouble() * 2) - 1);
        }

        for (int s = 0; s < samples; s++)
        {
            for (int i = 0; i < 784; i++)
            {
                x[(s * 784) + i] = random.NextDouble() < 0.2 ? (float)random.NextDouble() : 0f;
            }

            int best = 0;
            double bestScore = double.NegativeInfinity;
            for (int c = 0; c < 10; c++)
            {
                double score = 0;
                for (int i = 0; i < 784; i++)
                {
                    score += x[(s * 784) + i] * projection[(i * 10) + c];
                }

                if (score > bestScore)
                {
                    (best, bestScore) = (c, score);
                }
            }

            y[(s * 10) + best] = 1;
        }

        var model = new Mlp();
        model.Compile("adam", "categorical_crossentropy", metrics: ["accuracy"]);
        model.Fit(x, y, epochs: 1, batchSize: batch, verbose: 0, seed: 1); // warm-up (JIT tiering)
        var watch = Stopwatch.StartNew();
        History history = model.Fit(x, y, epochs: 3, batchSize: batch, verbose: 0, seed: 1);
        double perStep = watch.Elapsed.TotalSeconds / (3 * samples / batch);
        output.WriteLine($"784-64-64-10 MLP, batch 64, Adam: {perStep * 1e6:F0} us/step → {perStep * 60000 / batch:F2} s per 60 000-sample epoch");
        watch.Restart();
        model.Fit(x, y, epochs: 3, batchSize: batch, verbose: 0, seed: 1, shuffle: false);
        output.WriteLine($"without shuffling (no gather): {watch.Elapsed.TotalSeconds / (3 * samples / batch) * 1e6:F0} us/step");
        Assert.True(history["loss"][^1] < history["loss"][0], $"loss {history["loss"][0]} → {history["loss"][^1]}");
        Assert.True(history["accuracy"][^1] > 0.5, $"accuracy {history["accuracy"][^1]}");
    }

    private sealed class Mlp() : CompiledModel(Description, seed: 1)
    {
        private const int X = 0, H1 = 784, H2 = 848, Out = 912;
        private const int W1 = 0, B1 = 50176, W2 = 50240, B2 = 54336, W3 = 54400, B3 = 55040;

        private static new readonly ModelDescription Description = new("mlp",
            [new TensorInfo("x", [784], DType.Float32, X)],
            [new TensorInfo("out", [10], DType.Float32, Out, Activation.Softmax)],
            parameterCount: 55050, activationSize: 922, scratchSize: 0, summary: "mlp");

        protected override void InitializeWeights(Span<float> w, ref WeightInitializer init)
        {
            init.GlorotUniform(w.Slice(W1, 784 * 64), 784, 64);
            init.GlorotUniform(w.Slice(W2, 64 * 64), 64, 64);
            init.GlorotUniform(w.Slice(W3, 64 * 10), 64, 10);
        }

        protected override void Forward(Workspace ws, int n, bool training)
        {
            ReadOnlySpan<float> w = Weights;
            Dense(ws.Values(X, n * 784), w, W1, B1, ws.Values(H1, n * 64), n, 784, 64, Activation.Relu);
            Dense(ws.Values(H1, n * 64), w, W2, B2, ws.Values(H2, n * 64), n, 64, 64, Activation.Relu);
            Dense(ws.Values(H2, n * 64), w, W3, B3, ws.Values(Out, n * 10), n, 64, 10, Activation.Softmax);
        }

        protected override void Backward(Workspace ws, int n)
        {
            ReadOnlySpan<float> w = Weights;
            Span<float> g = ws.ParameterGradients;
            Span<float> dOut = ws.Gradient(Out, n * 10), dH2 = ws.Gradient(H2, n * 64), dH1 = ws.Gradient(H1, n * 64);
            if (!ws.OutputGradientIsPreActivation[0])
            {
                ActivationKernels.Backward(Activation.Softmax, default, ws.Values(Out, n * 10), dOut, n, 10);
            }

            DenseBackward(ws.Values(H2, n * 64), dOut, w, g, W3, B3, dH2, n, 64, 10);
            ActivationKernels.Backward(Activation.Relu, default, ws.Values(H2, n * 64), dH2, n, 64);
            DenseBackward(ws.Values(H1, n * 64), dH2, w, g, W2, B2, dH1, n, 64, 64);
            ActivationKernels.Backward(Activation.Relu, default, ws.Values(H1, n * 64), dH1, n, 64);
            DenseBackward(ws.Values(X, n * 784), dH1, w, g, W1, B1, default, n, 784, 64);
        }

        private static void Dense(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int kernel, int bias, Span<float> y,
            int n, int k, int units, Activation activation)
        {
            Gemm.Multiply(x, w.Slice(kernel, k * units), y, n, k, units, accumulate: false);
            TensorOps.AddBias(y, w.Slice(bias, units), n, units);
            ActivationKernels.Forward(activation, y, y, n, units);
        }

        private static void DenseBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> g,
            int kernel, int bias, Span<float> dx, int n, int k, int units)
        {
            Gemm.MultiplyTransposedA(x, dy, g.Slice(kernel, k * units), k, n, units, accumulate: true);
            TensorOps.AccumulateBiasGradient(dy, g.Slice(bias, units), n, units);
            if (!dx.IsEmpty)
            {
                Gemm.MultiplyTransposedB(dy, w.Slice(kernel, k * units), dx, n, units, k, accumulate: true);
            }
        }
    }
}
