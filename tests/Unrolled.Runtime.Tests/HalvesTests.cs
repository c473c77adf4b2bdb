using System;
using System.Threading;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// Memory-bound passes split over two cores (<see cref="Halves"/>): each gives, bit for bit, what the same pass gives
/// piece by piece on one thread (pieces below the split threshold) or a plain loop, and each test checks that the split
/// really ran (a test that found the helper thread busy every time fails rather than passing unsplit).
/// </summary>
public class HalvesTests
{
    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1) * scale;
        }

        return values;
    }

    /// <summary>Runs <paramref name="call"/> with two threads allowed until one call of it split its work.</summary>
    private static T OnTwoCores<T>(Func<T> call)
    {
        int saved = Threading.MaxThreads;
        Threading.MaxThreads = 2;
        try
        {
            Assert.True(GemmWorker.Enabled, "this machine has one core: the split cannot run");
            for (int attempt = 0; attempt < 200; attempt++)
            {
                int before = GemmWorker.SplitsStarted;
                T result = call();
                if (GemmWorker.SplitsStarted > before)
                {
                    return result;
                }

                Thread.Sleep(5); // another test held the helper thread
            }

            Assert.Fail("The pass never split: the helper thread stayed busy.");
            return default!;
        }
        finally
        {
            Threading.MaxThreads = saved;
        }
    }

    private static T OnOneCore<T>(Func<T> call)
    {
        int saved = Threading.MaxThreads;
        Threading.MaxThreads = 1;
        try
        {
            return call();
        }
        finally
        {
            Threading.MaxThreads = saved;
        }
    }

    [Theory]
    [InlineData(1 << 21)]
    [InlineData(1_100_001)] // not a whole number of blocks
    public void Clear_zeroes_every_float_and_nothing_beyond(int length)
    {
        float[] values = OnTwoCores(() =>
        {
            float[] buffer = Random(length + 3, 1);
            TensorOps.Clear(buffer.AsSpan(0, length));
            return buffer;
        });
        Assert.All(values.AsSpan(0, length).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(Random(length + 3, 1).AsSpan(length).ToArray(), values.AsSpan(length).ToArray());
    }

    [Theory]
    [InlineData(-1, true)]
    [InlineData(17, false)] // in the first half
    [InlineData(1_099_999, false)] // in the second half, in the last, partial block
    public void AllFinite_finds_a_NaN_or_infinity_in_either_half(int at, bool expected)
    {
        float[] values = Random(1_100_003, 2);
        if (at >= 0)
        {
            values[at] = at % 2 == 0 ? float.NaN : float.PositiveInfinity;
        }

        Assert.Equal(expected, OnTwoCores(() => Halves.AllFinite(values)));
        Assert.Equal(expected, FiniteCheck.AllFinite(values));
    }

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Softmax)]
    [InlineData(Activation.Gelu)] // its gradient reads the pre-activations
    public void Activations_and_their_gradients_equal_row_by_row_ones(Activation activation)
    {
        const int rows = 8001, cols = 67;
        float[] z = Random(rows * cols, 3, 4f), dy = Random(rows * cols, 4);

        // Row by row, each call far below the split threshold: the same values up to the rounding of vector code
        // against scalar tails (an element's place in a row decides which it meets).
        float[] yRows = new float[rows * cols], dzRows = (float[])dy.Clone();
        for (int r = 0; r < rows; r++)
        {
            ActivationKernels.Forward(activation, z.AsSpan(r * cols, cols), yRows.AsSpan(r * cols, cols), 1, cols);
            ActivationKernels.Backward(activation, z.AsSpan(r * cols, cols), yRows.AsSpan(r * cols, cols), dzRows.AsSpan(r * cols, cols), 1, cols);
        }

        // The whole call on one thread: what the split must give bit for bit.
        float[] y = new float[rows * cols], dz = (float[])dy.Clone();
        OnOneCore(() =>
        {
            ActivationKernels.Forward(activation, z, y, rows, cols);
            ActivationKernels.Backward(activation, z, y, dz, rows, cols);
            return 0;
        });
        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(y[i] - yRows[i]) <= 1e-6f * Math.Max(1f, Math.Abs(yRows[i])), $"y[{i}]: {y[i]} against {yRows[i]} row by row");
            Assert.True(Math.Abs(dz[i] - dzRows[i]) <= 1e-6f * Math.Max(1f, Math.Abs(dzRows[i])), $"dz[{i}]: {dz[i]} against {dzRows[i]} row by row");
        }

        float[] ySplit = OnTwoCores(() =>
        {
            float[] output = new float[rows * cols];
            ActivationKernels.Forward(activation, z, output, rows, cols);
            return output;
        });
        float[] dzSplit = OnTwoCores(() =>
        {
            float[] gradient = (float[])dy.Clone();
            ActivationKernels.Backward(activation, z, y, gradient, rows, cols);
            return gradient;
        });
        Assert.Equal(y, ySplit);
        Assert.Equal(dz, dzSplit);

        // In place, as generated code calls it.
        float[] inPlace = OnTwoCores(() =>
        {
            float[] values = (float[])z.Clone();
            ActivationKernels.Forward(activation, values, values, rows, cols);
            return values;
        });
        Assert.Equal(y, inPlace);
    }

    [Fact]
    public void Max_pooling_and_its_gradient_equal_sample_by_sample_ones()
    {
        var g = new ConvGeometry(24, 24, 32, 8, 8, 32, 3, 3, 3, 3, 1, 1, 0, 0);
        const int batch = 61;
        float[] x = Random(batch * g.InputSize, 5), dy = Random(batch * g.OutputSize, 6);
        float[] y = new float[batch * g.OutputSize], dx = Random(batch * g.InputSize, 7);
        float[] dxStart = (float[])dx.Clone();
        for (int s = 0; s < batch; s++)
        {
            Pooling.MaxForward(x.AsSpan(s * g.InputSize, g.InputSize), y.AsSpan(s * g.OutputSize, g.OutputSize), g, 1);
            Pooling.MaxBackward(x.AsSpan(s * g.InputSize, g.InputSize), y.AsSpan(s * g.OutputSize, g.OutputSize),
                dy.AsSpan(s * g.OutputSize, g.OutputSize), dx.AsSpan(s * g.InputSize, g.InputSize), g, 1);
        }

        float[] ySplit = OnTwoCores(() =>
        {
            float[] output = new float[batch * g.OutputSize];
            Pooling.MaxForward(x, output, g, batch);
            return output;
        });
        float[] dxSplit = OnTwoCores(() =>
        {
            float[] gradient = (float[])dxStart.Clone();
            Pooling.MaxBackward(x, y, dy, gradient, g, batch);
            return gradient;
        });
        Assert.Equal(y, ySplit);
        Assert.Equal(dx, dxSplit);
    }

    [Fact]
    public void Embedding_gather_and_scatter_equal_plain_loops()
    {
        const int vocabulary = 5000, dim = 160, count = 4099;
        var random = new Random(8);
        float[] ids = new float[count];
        for (int i = 0; i < count; i++)
        {
            // Many repeats, and ids in both halves of the table.
            ids[i] = i % 7 == 0 ? 4999 : i % 5 == 0 ? 3 : random.Next(vocabulary);
        }

        float[] table = Random(vocabulary * dim, 9), dy = Random(count * dim, 10), dTableStart = Random(vocabulary * dim, 11);
        float[] y = new float[count * dim], dTable = (float[])dTableStart.Clone();
        for (int i = 0; i < count; i++)
        {
            int id = (int)ids[i];
            for (int j = 0; j < dim; j++)
            {
                y[(i * dim) + j] = table[(id * dim) + j];
                dTable[(id * dim) + j] += dy[(i * dim) + j];
            }
        }

        float[] ySplit = OnTwoCores(() =>
        {
            float[] output = new float[count * dim];
            Embedding.Forward(ids, table, output, count, dim, vocabulary, 0);
            return output;
        });
        float[] dTableSplit = OnTwoCores(() =>
        {
            float[] gradient = (float[])dTableStart.Clone();
            Embedding.Backward(ids, dy, gradient, count, dim);
            return gradient;
        });
        Assert.Equal(y, ySplit);
        Assert.Equal(dTable, dTableSplit);

        // A bad id is still reported, before anything is written.
        ids[4000] = vocabulary;
        float[] untouched = (float[])dTableStart.Clone();
        Assert.Throws<ArgumentOutOfRangeException>(() => OnTwoCores(() =>
        {
            Embedding.Backward(ids, dy, untouched, count, dim);
            return 0;
        }));
    }

    [Fact]
    public void Split_passes_allocate_nothing()
    {
        float[] values = Random(1 << 21, 14), weights = Random(1 << 21, 15), gradients = Random(1 << 21, 16);
        var optimizer = new RMSprop();
        optimizer.Build(new object(), weights.Length);
        void Passes()
        {
            Halves.AllFinite(values);
            optimizer.Apply(weights, gradients);
            ActivationKernels.Backward(Activation.Relu, default, weights, values, 1 << 15, 64);
            TensorOps.Clear(values);
        }

        OnTwoCores(() =>
        {
            Passes(); // the helper thread and its wait handles exist from here on
            return 0;
        });
        long least = long.MaxValue;
        int splits = 0;
        int saved = Threading.MaxThreads;
        Threading.MaxThreads = 2;
        try
        {
            for (int round = 0; round < 3; round++)
            {
                int before = GemmWorker.SplitsStarted;
                long bytes = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 5; i++)
                {
                    Passes();
                }

                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - bytes);
                splits += GemmWorker.SplitsStarted - before;
            }
        }
        finally
        {
            Threading.MaxThreads = saved;
        }

        Assert.True(splits > 0, "no pass split in the measured rounds");
        Assert.Equal(0, least);
    }

    public static TheoryData<string> ElementWiseOptimizers => ["sgd", "sgd momentum", "rmsprop", "rmsprop centered", "adam", "adamw", "adagrad", "adadelta", "adamax", "lion", "ftrl", "nadam"];

    private static Optimizer Make(string name) => name switch
    {
        "sgd" => new SGD(0.01f),
        "sgd momentum" => new SGD(0.01f, momentum: 0.9f, nesterov: true),
        "rmsprop" => new RMSprop(),
        "rmsprop centered" => new RMSprop(momentum: 0.5f, centered: true),
        "adam" => new Adam(amsgrad: true),
        "adamw" => new AdamW(),
        "adagrad" => new Adagrad(),
        "adadelta" => new Adadelta(learningRate: 1f),
        "adamax" => new Adamax(),
        "lion" => new Lion(),
        "ftrl" => new Ftrl(l1RegularizationStrength: 0.01f, l2ShrinkageRegularizationStrength: 0.01f),
        "nadam" => new Nadam(), // not element-wise in our sense (a running product): stays on one thread
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(ElementWiseOptimizers))]
    public void Optimizer_updates_of_a_large_table_on_two_cores_equal_one_cores(string name)
    {
        const int n = 300_007;
        float[] Train(int threads)
        {
            var optimizer = Make(name);
            optimizer.Build(new object(), n + 10, [(0, n), (n, 10)]);
            float[] w = Random(n + 10, 12);
            int saved = Threading.MaxThreads;
            Threading.MaxThreads = threads;
            try
            {
                for (int step = 0; step < 3; step++)
                {
                    float[] g = Random(n + 10, 13 + step);
                    for (int i = 0; i < n; i += 3)
                    {
                        g[i] = 0; // rows an embedding did not look up
                    }

                    optimizer.Apply(w, g);
                }
            }
            finally
            {
                Threading.MaxThreads = saved;
            }

            return w;
        }

        float[] one = Train(1);
        float[] two = name == "nadam" ? Train(2) : OnTwoCores(() => Train(2));
        Assert.Equal(one, two);
    }
}
