using System;
using System.Diagnostics;
using System.Linq;

namespace Unrolled.Benchmarks;

/// <summary>
/// Quick timings without BenchmarkDotNet, for side-by-side runs with PyTorch and ONNX Runtime: each case runs for
/// about 0.3 s per round, several rounds, and the median microseconds per call are printed as "name µs".
/// </summary>
public static class Probe
{
    public static void Run(int rounds)
    {
        var random = new Random(1);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();

        var mlp = new Mlp(seed: 1);
        mlp.Compile(new RMSprop(), new CategoricalCrossentropy());
        float[] x = Random(64 * 784), y = new float[64 * 10], t = new float[64 * 10];
        for (int b = 0; b < 64; b++) { t[b * 10 + b % 10] = 1; }

        var conv = new ConvEncoder(seed: 1);
        conv.Compile(new RMSprop(), "mse");
        float[] img = Random(64 * 784), code = new float[64 * 16], codeTarget = Random(64 * 16);
        float[] bigImages = Random(4096 * 784);

        var news = new NewsLstm(seed: 1);
        news.Compile(new RMSprop(), "binary_crossentropy", lossWeights: [1f, 0.2f]);
        float[] ids = Enumerable.Range(0, 64 * 100).Select(i => (float)(i * 7919 % 10000)).ToArray(), aux = Random(64 * 5);
        float[] main = new float[64], auxOut = new float[64], mainT = Random(64), auxT = Random(64);

        (string Name, Action Call)[] cases =
        [
            ("mlp_predict_b1", () => mlp.Predict(x.AsSpan(0, 784), y.AsSpan(0, 10), 1)),
            ("mlp_predict_b64", () => mlp.Predict(x, y, 64)),
            ("mlp_train_b64", () => mlp.TrainOnBatch(x, t, 64)),
            ("conv_predict_b1", () => conv.Predict(img.AsSpan(0, 784), code.AsSpan(0, 16), 1)),
            ("conv_predict_b64", () => conv.Predict(img, code, 64)),
            ("conv_train_b64", () => conv.TrainOnBatch(img, codeTarget, 64)),
            ("conv_predict_4096_array", () => conv.Predict([bigImages], batchSize: 64)),
            ("lstm_predict_b1", () => news.Predict(ids.AsSpan(0, 100), aux.AsSpan(0, 5), main.AsSpan(0, 1), auxOut.AsSpan(0, 1), 1)),
            ("lstm_train_b64", () => news.TrainOnBatch(ids, aux, mainT, auxT, 64)),
        ];

        foreach (var (name, call) in cases)
        {
            // Warm up past tiering: the JIT recompiles hot methods with full optimisation after ~30 calls and a delay.
            var warm = Stopwatch.StartNew();
            while (warm.Elapsed.TotalSeconds < 0.5)
            {
                call();
            }

            var medians = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                int n = 0;
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed.TotalSeconds < 0.3 || n < 3)
                {
                    call();
                    n++;
                }

                medians[r] = clock.Elapsed.TotalMicroseconds / n;
            }

            Array.Sort(medians);
            Console.WriteLine($"{name} {medians[rounds / 2]:F2}");
        }
    }
}
