using System;
using Xunit;

namespace Unrolled.Tests;

/// <summary>Predict and the training step allocate nothing once the workspace exists.</summary>
public class AllocationTests
{
    /// <summary>
    /// Bytes allocated by <paramref name="repeat"/> calls, after a warm-up past the JIT's tier-up thresholds. The
    /// least of several rounds is returned: the runtime may itself allocate once on this thread while it tiers a
    /// method up mid-round, but an allocation in our code happens on every call and so shows in every round.
    /// </summary>
    internal static long AllocatedBy(Action action, int repeat = 20)
    {
        for (int i = 0; i < 60; i++)
        {
            action(); // grows the workspace and compiles every path
        }

        long least = long.MaxValue;
        for (int round = 0; round < 5 && least > 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < repeat; i++)
            {
                action();
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    public void Predict_allocates_nothing(int batch)
    {
        var model = new Mlp(seed: 1);
        float[] x = new float[batch * Mlp.Input1Size], y = new float[batch * Mlp.Dense2Size];
        Assert.Equal(0, AllocatedBy(() => model.Predict(x, y, batch)));
        // A smaller batch reuses the grown workspace.
        Assert.Equal(0, AllocatedBy(() => model.Predict(x.AsSpan(0, Mlp.Input1Size), y.AsSpan(0, Mlp.Dense2Size), 1)));
    }

    public static TheoryData<string> Optimizers => new() { "sgd", "rmsprop", "adam" };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Train_step_allocates_nothing(string optimizer)
    {
        const int batch = 64;
        var model = new Mlp(seed: 1);
        Optimizer chosen = optimizer == "sgd" ? new SGD(momentum: 0.9f, nesterov: true) : optimizer;
        model.Compile(chosen, "categorical_crossentropy", metrics: ["accuracy"]);
        float[] x = new float[batch * Mlp.Input1Size], y = new float[batch * Mlp.Dense2Size];
        for (int b = 0; b < batch; b++)
        {
            y[b * 10 + b % 10] = 1;
            x[b * 784 + b] = 1;
        }

        Assert.Equal(0, AllocatedBy(() => model.TrainOnBatch(x, y, batch)));
    }

    [Fact]
    public void Two_output_train_step_allocates_nothing()
    {
        const int batch = 16;
        var model = new TwoHeads(seed: 2);
        model.Compile("adam", new Loss[] { "sparse_categorical_crossentropy", "binary_crossentropy" }, lossWeights: [1f, 0.2f], metrics: ["accuracy"]);
        float[] f = new float[batch * 8], e = new float[batch * 4], c = new float[batch], g = new float[batch];
        Assert.Equal(0, AllocatedBy(() => model.TrainOnBatch(f, e, c, g, batch)));
    }
    /// <summary>Tensor operations (broadcasting binaries, means, Lambda-style graphs) pass constant shapes to their
    /// kernels; those must not be rebuilt per call, even before the JIT has optimised the model's code.</summary>
    [Fact]
    public void Train_step_through_tensor_operations_allocates_nothing()
    {
        const int batch = 4;
        static void Check(CompiledModel model, Func<float[], float[], float> step)
        {
            model.Compile(new SGD(0.01f), "mse");
            float[] x = GradientTests.Random(batch * model.Description.Inputs[0].Size, 1);
            float[] y = GradientTests.Random(batch * model.Description.Outputs[0].Size, 2);
            Assert.Equal(0, AllocatedBy(() => step(x, y)));
        }

        var gates = new OpGates(seed: 1);
        Check(gates, (x, y) => gates.TrainOnBatch(x, y, batch));
        var centre = new OpCentre(seed: 1);
        Check(centre, (x, y) => centre.TrainOnBatch(x, y, batch));
        var normalise = new OpNormalise(seed: 1);
        Check(normalise, (x, y) => normalise.TrainOnBatch(x, y, batch));
    }
}
