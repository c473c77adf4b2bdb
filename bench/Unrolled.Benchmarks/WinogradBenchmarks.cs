using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using Unrolled.Kernels;

namespace Unrolled.Benchmarks;

/// <summary>
/// The seed models' 3×3 stride-1 convolutions one at a time, direct (implicit GEMM) against Winograd in the tile size
/// <see cref="Winograd.TileSize"/> picks, with bias and ReLU, one thread: the per-layer figures of docs/performance.md.
/// <c>UNROLLED_THREADS=1 dotnet run -c Release --project bench/Unrolled.Benchmarks -- --filter '*WinogradBenchmarks*' --job short</c>
/// </summary>
public class WinogradBenchmarks
{
    /// <summary>A layer: input height, width and channels, filters, same padding, and a label naming where it is.</summary>
    public sealed record Layer(string Name, int Height, int Width, int Channels, int Filters, bool Same)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<Layer> Layers() => new[]
    {
        new Layer("encoder 26x26x16-32", 26, 26, 16, 32, false),
        new Layer("encoder 8x8x32-32", 8, 8, 32, 32, false),
        new Layer("encoder 6x6x32-16", 6, 6, 32, 16, false),
        new Layer("resnet 30x30x32-64", 30, 30, 32, 64, false),
        new Layer("resnet 9x9x64-64 same", 9, 9, 64, 64, true),
    };

    [ParamsSource(nameof(Layers))]
    public Layer Shape { get; set; } = null!;

    [Params(1, 64)]
    public int Batch { get; set; }

    private ConvGeometry _g;
    private float[] _x = [], _kernel = [], _transformed = [], _bias = [], _y = [], _scratch = [];

    [GlobalSetup]
    public void Setup()
    {
        Threading.MaxThreads = 1;
        var s = Shape;
        int outHeight = s.Same ? s.Height : s.Height - 2, outWidth = s.Same ? s.Width : s.Width - 2, pad = s.Same ? 1 : 0;
        _g = new ConvGeometry(s.Height, s.Width, s.Channels, outHeight, outWidth, s.Filters, 3, 3, 1, 1, 1, 1, pad, pad);
        var random = new Random(1);
        float Next() => (float)(random.NextDouble() - 0.5);
        _x = new float[Batch * s.Height * s.Width * s.Channels];
        _kernel = new float[9 * s.Channels * s.Filters];
        _bias = new float[s.Filters];
        for (int i = 0; i < _x.Length; i++)
        {
            _x[i] = Next();
        }

        for (int i = 0; i < _kernel.Length; i++)
        {
            _kernel[i] = Next();
        }

        _y = new float[Batch * outHeight * outWidth * s.Filters];
        _scratch = new float[Conv2D.ScratchBound(_g)];
        _transformed = new float[Winograd.KernelLength(_g)];
        Winograd.TransformKernel(_kernel, _transformed, _g);
    }

    [Benchmark(Baseline = true)]
    public void Direct() => Conv2D.ForwardBiasActivation(_x, _kernel, _y, _g, Batch, _scratch, _bias, Activation.Relu, _y);

    [Benchmark]
    public void WinogradTiles() => Winograd.Forward(_x, _transformed, _y, _g, Batch, _scratch, _bias, Activation.Relu, _y);
}
