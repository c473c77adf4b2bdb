using System;
using System.Linq;
using Xunit;
using static Unrolled.Tests.GradientTests;

namespace Unrolled.Tests;

/// <summary>
/// 3×3 stride-1 convolutions from 16 or more channels predict by Winograd's minimal filtering from a kernel transformed once
/// per weights: the predictions must match the direct convolution's, follow every change of the weights, and the
/// training step must not use it. (PyTorch on the same weights: TorchComparisonTests.Conv2D_by_Winograd_matches_PyTorch.)
/// </summary>
public class WinogradModelTests
{
    private static void Near(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * (1 + Math.Abs(expected[i])), $"output {i}: direct {expected[i]}, Winograd {actual[i]}");
        }
    }

    /// <summary>The direct convolution's predictions: a model whose weights are exposed derives nothing from them.</summary>
    private static float[] Direct(CompiledModel source, float[] x, int batch)
    {
        var direct = new TorchWinograd(seed: 0);
        direct.SetWeights(source.ReadOnlyWeights);
        _ = direct.Weights;
        float[] y = direct.Predict([x], batchSize: batch)[0];
        Assert.Equal(0, direct.CurrentWinogradKernels);
        return y;
    }

    [Fact]
    public void Predictions_match_the_direct_convolution_and_follow_the_weights()
    {
        var model = new TorchWinograd(seed: 3);
        float[] x = Random(4 * 7 * 9 * 32, 3);
        float[] first = model.Predict([x], batchSize: 4)[0];
        Assert.Equal(2, model.CurrentWinogradKernels);
        Near(Direct(model, x, 4), first);

        // New weights: transformed again before the next prediction.
        model.SetWeights(new TorchWinograd(seed: 4).ReadOnlyWeights);
        Assert.Equal(0, model.CurrentWinogradKernels);
        float[] second = model.Predict([x], batchSize: 4)[0];
        Assert.Equal(2, model.CurrentWinogradKernels);
        Near(Direct(model, x, 4), second);
        Assert.NotEqual(first, second);

        // A writable view: direct from then on, so every write through it is seen, even after a SetWeights.
        Span<float> kernel = model.GetWeights("conv2d", "kernel");
        kernel[5] += 1f;
        float[] third = model.Predict([x], batchSize: 4)[0];
        Assert.Equal(0, model.CurrentWinogradKernels);
        Near(Direct(model, x, 4), third);
        model.SetWeights(model.ReadOnlyWeights.ToArray());
        model.Predict([x], batchSize: 4);
        kernel[6] += 1f;
        float[] fourth = model.Predict([x], batchSize: 4)[0];
        Assert.Equal(0, model.CurrentWinogradKernels);
        Near(Direct(model, x, 4), fourth);
    }

    [Fact]
    public void Training_steps_run_the_direct_convolution_and_predictions_allocate_nothing()
    {
        var model = new TorchWinograd(seed: 5);
        model.Compile(new SGD(learningRate: 0.01f), "mse");
        float[] x = Random(2 * 7 * 9 * 32, 5), target = Random(2 * 5 * 7 * 17, 6), y = new float[2 * 5 * 7 * 17];
        model.TrainOnBatch(x, target, 2);
        Assert.Equal(0, model.CurrentWinogradKernels);
        Assert.Equal(0, AllocationTests.AllocatedBy(() => model.Predict(x, y, 2)));
        Assert.Equal(2, model.CurrentWinogradKernels);
        Near(Direct(model, x, 2), y);
    }
}
