using System;
using BenchmarkDotNet.Attributes;
using Unrolled.Kernels;
using static Unrolled.Layers;

namespace Unrolled.Benchmarks;

/// <summary>The tutorial's MLP (784-64-64-10): predict at batch 1 and 64, and one RMSprop training step at batch 64.</summary>
[MemoryDiagnoser]
public class MlpBenchmarks
{
    private readonly Mlp _model = new(seed: 1);
    private readonly float[] _x = new float[64 * Mlp.Input1Size];
    private readonly float[] _y = new float[64 * Mlp.Dense2Size];
    private readonly float[] _target = new float[64 * Mlp.Dense2Size];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (int i = 0; i < _x.Length; i++)
        {
            _x[i] = (float)random.NextDouble();
        }

        for (int b = 0; b < 64; b++)
        {
            _target[b * 10 + b % 10] = 1;
        }

        _model.Compile(new RMSprop(), new CategoricalCrossentropy());
    }

    [Benchmark]
    public void PredictBatch1() => _model.Predict(_x.AsSpan(0, Mlp.Input1Size), _y.AsSpan(0, Mlp.Dense2Size), 1);

    [Benchmark]
    public void PredictBatch64() => _model.Predict(_x, _y, 64);

    [Benchmark]
    public float TrainStepBatch64() => _model.TrainOnBatch(_x, _target, 64);
}

/// <summary>The GEMM shapes of the MLP's first layer, forward and both backward products.</summary>
public class GemmBenchmarks
{
    private readonly float[] _a = new float[64 * 784];
    private readonly float[] _b = new float[784 * 64];
    private readonly float[] _c = new float[784 * 64];

    [Benchmark]
    public void Forward_64x784x64() => Gemm.Multiply(_a, _b, _c.AsSpan(0, 64 * 64), 64, 784, 64, accumulate: false);

    [Benchmark]
    public void WeightGradient_784x64x64() => Gemm.MultiplyTransposedA(_a, _c.AsSpan(0, 64 * 64), _b, 784, 64, 64, accumulate: true);

    [Benchmark]
    public void InputGradient_64x64x784() => Gemm.MultiplyTransposedB(_c.AsSpan(0, 64 * 64), _b, _a, 64, 64, 784, accumulate: true);
}

/// <summary>The tutorial's first model.</summary>
public partial class Mlp
{
    [ModelBuilder]
    static Model Build()
    {
        var inputs = Input([784]);
        var x = Dense(64, Activation.Relu)(inputs);
        x = Dense(64, Activation.Relu)(x);
        return new Model(inputs, Dense(10, Activation.Softmax)(x), name: "mnist_model");
    }
}
