using System;
using System.Diagnostics;
using System.Collections.Generic;
using System.Linq;

namespace Unrolled.Benchmarks;

/// <summary>
/// Quick timings without BenchmarkDotNet, for side-by-side runs with PyTorch and ONNX Runtime: each case runs for
/// about 0.3 s per round, several rounds, and the median microseconds per call are printed as "name µs".
/// </summary>
public static class Probe
{
    public static void Run(int rounds, string only = "")
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

        // Ids as words come in text: Zipf's law over the 10,000 ids (rank r drawn with weight 1/r), so that a batch of 6,400
        // names about 2,100 distinct rows of the embedding, where the ids above name 6,400.
        float[] zipfIds = ZipfIds(64 * 100, 10000, seed: 7);

        var resnet = new ToyResNet(seed: 1);
        resnet.Compile(new RMSprop(), new CategoricalCrossentropy());
        float[] pictures = Random(64 * 32 * 32 * 3), classes = new float[64 * 10], labels = new float[64 * 10];
        for (int b = 0; b < 64; b++) { labels[b * 10 + b % 10] = 1; }

        // Fine-tuning (docs/fine-tuning.md): the same ResNet with its convolutional base frozen, so that only the Dense
        // head trains, and with the last convolution unfrozen too; the backward pass skips what frozen layers need not do.
        var resnetHead = new ToyResNet(seed: 1);
        var resnetTop = new ToyResNet(seed: 1);
        foreach (var (model, keep) in new[] { (resnetHead, 0), (resnetTop, 1) })
        {
            model.Compile(new RMSprop(), new CategoricalCrossentropy());
            var convolutions = model.Layers.Where(l => l.Kind == GraphNodeKind.Conv2D).ToList();
            foreach (var layer in convolutions.Take(convolutions.Count - keep))
            {
                layer.Trainable = false;
            }
        }

        var transformer = new TextTransformer(seed: 1);
        transformer.Compile(new RMSprop(), "sparse_categorical_crossentropy");
        float[] words = Enumerable.Range(0, 64 * 200).Select(i => (float)(i * 7919 % 20000)).ToArray();
        float[] sentiment = new float[64 * 2], sentimentTarget = Enumerable.Range(0, 64).Select(i => (float)(i % 2)).ToArray();

        // Attention alone, 4 heads of 16 over 128 or 512 steps (causal too), batch 1 and 32.
        var attention128 = new Attention128(seed: 1);
        var attention512 = new Attention512(seed: 1);
        var causal512 = new CausalAttention512(seed: 1);
        float[] tokens = Random(32 * 512 * 64), attended = new float[32 * 512 * 64];

        // ONNX Runtime in this process on each model's own export (same weights), for the inference cases.
        float[] Slice(float[] a, int n) => a.AsSpan(0, n).ToArray();
        int[] Ints(float[] a, int n) => a.Take(n).Select(v => (int)v).ToArray();
        var peers = new List<OrtPeer>();
        OrtPeer Peer(CompiledModel model, int batch, params Array[] inputs)
        {
            var peer = new OrtPeer(model, batch, i => inputs[i]);
            peers.Add(peer);
            return peer;
        }

        var ortMlp1 = Peer(mlp, 1, Slice(x, 784));
        var ortMlp64 = Peer(mlp, 64, Slice(x, 64 * 784));
        var ortConv1 = Peer(conv, 1, Slice(img, 784));
        var ortConv64 = Peer(conv, 64, Slice(img, 64 * 784));
        var ortNews1 = Peer(news, 1, Ints(ids, 100), Slice(aux, 5));
        var ortNews64 = Peer(news, 64, Ints(ids, 6400), Slice(aux, 320));
        var ortResNet1 = Peer(resnet, 1, Slice(pictures, 32 * 32 * 3));
        var ortResNet64 = Peer(resnet, 64, pictures);
        var ortTransformer1 = Peer(transformer, 1, Ints(words, 200));
        var ortTransformer64 = Peer(transformer, 64, Ints(words, 64 * 200));
        var ortAttention128x1 = Peer(attention128, 1, Slice(tokens, 128 * 64));
        var ortAttention128x32 = Peer(attention128, 32, Slice(tokens, 32 * 128 * 64));
        var ortAttention512x1 = Peer(attention512, 1, Slice(tokens, 512 * 64));
        var ortAttention512x32 = Peer(attention512, 32, tokens);
        var ortCausal512x1 = Peer(causal512, 1, Slice(tokens, 512 * 64));
        var ortCausal512x32 = Peer(causal512, 32, tokens);

        (string Name, Action Call, Action? Ort)[] cases =
        [
            ("mlp_predict_b1", () => mlp.Predict(x.AsSpan(0, 784), y.AsSpan(0, 10), 1), ortMlp1.Run),
            ("mlp_predict_b64", () => mlp.Predict(x, y, 64), ortMlp64.Run),
            ("mlp_train_b64", () => mlp.TrainOnBatch(x, t, 64), null),
            ("conv_predict_b1", () => conv.Predict(img.AsSpan(0, 784), code.AsSpan(0, 16), 1), ortConv1.Run),
            ("conv_predict_b64", () => conv.Predict(img, code, 64), ortConv64.Run),
            ("conv_train_b64", () => conv.TrainOnBatch(img, codeTarget, 64), null),
            ("conv_predict_4096_array", () => conv.Predict([bigImages], batchSize: 64), null),
            ("lstm_predict_b1", () => news.Predict(ids.AsSpan(0, 100), aux.AsSpan(0, 5), main.AsSpan(0, 1), auxOut.AsSpan(0, 1), 1), ortNews1.Run),
            ("lstm_predict_b64", () => news.Predict(ids, aux, main, auxOut, 64), ortNews64.Run),
            ("lstm_train_b64", () => news.TrainOnBatch(ids, aux, mainT, auxT, 64), null),
            ("lstm_train_b64_zipf", () => news.TrainOnBatch(zipfIds, aux, mainT, auxT, 64), null),
            ("resnet_predict_b1", () => resnet.Predict(pictures.AsSpan(0, 32 * 32 * 3), classes.AsSpan(0, 10), 1), ortResNet1.Run),
            ("resnet_predict_b64", () => resnet.Predict(pictures, classes, 64), ortResNet64.Run),
            ("resnet_train_b64", () => resnet.TrainOnBatch(pictures, labels, 64), null),
            ("resnet_train_b64_head_only", () => resnetHead.TrainOnBatch(pictures, labels, 64), null),
            ("resnet_train_b64_top_conv", () => resnetTop.TrainOnBatch(pictures, labels, 64), null),
            ("transformer_predict_b1", () => transformer.Predict(words.AsSpan(0, 200), sentiment.AsSpan(0, 2), 1), ortTransformer1.Run),
            ("transformer_predict_b64", () => transformer.Predict(words, sentiment, 64), ortTransformer64.Run),
            ("transformer_train_b64", () => transformer.TrainOnBatch(words, sentimentTarget, 64), null),
            ("attention128_predict_b1", () => attention128.Predict(tokens.AsSpan(0, 128 * 64), attended.AsSpan(0, 128 * 64), 1), ortAttention128x1.Run),
            ("attention128_predict_b32", () => attention128.Predict(tokens.AsSpan(0, 32 * 128 * 64), attended.AsSpan(0, 32 * 128 * 64), 32), ortAttention128x32.Run),
            ("attention512_predict_b1", () => attention512.Predict(tokens.AsSpan(0, 512 * 64), attended.AsSpan(0, 512 * 64), 1), ortAttention512x1.Run),
            ("attention512_predict_b32", () => attention512.Predict(tokens, attended, 32), ortAttention512x32.Run),
            ("causal512_predict_b1", () => causal512.Predict(tokens.AsSpan(0, 512 * 64), attended.AsSpan(0, 512 * 64), 1), ortCausal512x1.Run),
            ("causal512_predict_b32", () => causal512.Predict(tokens, attended, 32), ortCausal512x32.Run),
        ];

        // Same weights, same answers: the peers' first outputs against Unrolled's, before any training step.
        Check("mlp b64", () => mlp.Predict(x, y, 64), y, ortMlp64);
        Check("conv b64", () => conv.Predict(img, code, 64), code, ortConv64);
        Check("lstm b64", () => news.Predict(ids, aux, main, auxOut, 64), main, ortNews64);
        Check("resnet b64", () => resnet.Predict(pictures, classes, 64), classes, ortResNet64);
        Check("transformer b64", () => transformer.Predict(words, sentiment, 64), sentiment, ortTransformer64);
        Check("attention512 b32", () => attention512.Predict(tokens, attended, 32), attended, ortAttention512x32);
        Check("causal512 b32", () => causal512.Predict(tokens, attended, 32), attended, ortCausal512x32);

        // The first call ran the LSTM's input projection as a product; by the second, 12,800 ids have been looked up,
        // more than the vocabulary's 10,000 rows, so it is folded into the embedding table (docs/performance.md): the
        // timed calls run that way, so check that way too.
        Check("lstm b64, folded", () => news.Predict(ids, aux, main, auxOut, 64), main, ortNews64);

        // "ours:" before the case runs Unrolled's side alone (for profiling it without the peer's samples); "threads:"
        // runs it alone too, on one thread and on two in alternate rounds, and prints the ratio.
        bool threads = only.StartsWith("threads:", StringComparison.Ordinal);
        bool oursOnly = threads || only.StartsWith("ours:", StringComparison.Ordinal);
        only = oursOnly ? only[(only.IndexOf(':') + 1)..] : only;
        foreach (var (name, call, peer) in cases)
        {
            if (!name.StartsWith(only, StringComparison.Ordinal))
            {
                continue;
            }

            if (threads)
            {
                CompareThreads(name, call, rounds);
                continue;
            }

            var ort = oursOnly ? null : peer;

            // Warm up past tiering: the JIT recompiles hot methods with full optimisation after ~30 calls and a delay.
            Warm(call);
            if (ort is not null)
            {
                Warm(ort);
            }

            // The two sides alternate round by round, so the machine's noise falls on both.
            var ours = new double[rounds];
            var theirs = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                ours[r] = Time(call);
                if (ort is not null)
                {
                    theirs[r] = Time(ort);
                }
            }

            Array.Sort(ours);
            Console.WriteLine($"{name} {ours[rounds / 2]:F2}");
            if (ort is not null)
            {
                Array.Sort(theirs);
                Console.WriteLine($"ort:{name} {theirs[rounds / 2]:F2}");
            }
        }

        foreach (var peer in peers)
        {
            peer.Dispose();
        }
    }

    /// <summary>
    /// One call on one thread against the same call on two (<see cref="Unrolled.Kernels.Threading.MaxThreads"/>), alternating round by
    /// round in this process so that the machine's noise falls on both: medians, and the median and range of each
    /// round's ratio.
    /// </summary>
    private static void CompareThreads(string name, Action call, int rounds)
    {
        int saved = Unrolled.Kernels.Threading.MaxThreads;
        var one = new double[rounds];
        var two = new double[rounds];
        var ratios = new double[rounds];
        try
        {
            foreach (int t in new[] { 1, 2 })
            {
                Unrolled.Kernels.Threading.MaxThreads = t;
                Warm(call);
            }

            for (int r = 0; r < rounds; r++)
            {
                // Alternate which side goes first, too.
                foreach (int t in r % 2 == 0 ? new[] { 1, 2 } : new[] { 2, 1 })
                {
                    Unrolled.Kernels.Threading.MaxThreads = t;
                    (t == 1 ? one : two)[r] = Time(call);
                }

                ratios[r] = one[r] / two[r];
            }
        }
        finally
        {
            Unrolled.Kernels.Threading.MaxThreads = saved;
        }

        Array.Sort(one);
        Array.Sort(two);
        Array.Sort(ratios);
        Console.WriteLine($"{name}@1 {one[rounds / 2]:F2}");
        Console.WriteLine($"{name}@2 {two[rounds / 2]:F2}");
        Console.WriteLine($"{name} one/two {ratios[rounds / 2]:F2} ({ratios[0]:F2}-{ratios[^1]:F2})");
    }

    private static void Warm(Action call)
    {
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 0.5)
        {
            call();
        }
    }

    private static double Time(Action call)
    {
        int n = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < 0.3 || n < 3)
        {
            call();
            n++;
        }

        return clock.Elapsed.TotalMicroseconds / n;
    }

    private static void Check(string name, Action ours, float[] output, OrtPeer peer)
    {
        ours();
        peer.Run();
        var theirs = peer.FirstOutput;
        double worst = 0;
        for (int i = 0; i < theirs.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(theirs[i] - output[i]));
        }

        Console.Error.WriteLine($"ONNX Runtime against Unrolled, {name}: largest difference {worst:G3}");
        if (worst > 1e-3)
        {
            throw new InvalidOperationException($"ONNX Runtime and Unrolled disagree on {name} ({worst:G3}): not the same computation");
        }
    }

    /// <summary><paramref name="count"/> ids in [0, <paramref name="vocabulary"/>) drawn by Zipf's law: id r − 1 with weight
    /// 1/r.</summary>
    private static float[] ZipfIds(int count, int vocabulary, int seed)
    {
        var cumulative = new double[vocabulary];
        double total = 0;
        for (int r = 0; r < vocabulary; r++)
        {
            total += 1.0 / (r + 1);
            cumulative[r] = total;
        }

        var random = new Random(seed);
        var ids = new float[count];
        for (int i = 0; i < count; i++)
        {
            int at = Array.BinarySearch(cumulative, random.NextDouble() * total);
            ids[i] = Math.Min(at < 0 ? ~at : at, vocabulary - 1);
        }

        return ids;
    }
}
