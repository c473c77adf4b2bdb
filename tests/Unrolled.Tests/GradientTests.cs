using System;
using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// The generated backward pass against central finite differences of an independently computed loss (evaluated
/// here in double precision from Predict's outputs). The analytic gradient is read off one SGD step with learning
/// rate 1: the weights move by exactly minus the gradient.
/// </summary>
public class GradientTests
{
    internal static float[] Random(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    internal static double[] AnalyticGradient(CompiledModel model, Func<float> trainStep)
    {
        float[] before = model.Weights.ToArray();
        trainStep();
        float[] after = model.Weights.ToArray();
        before.CopyTo(model.Weights);
        return before.Select((w, i) => (double)w - after[i]).ToArray();
    }

    /// <summary>
    /// Gradients of the training loss against finite differences where training differs from predicting (dropout masks,
    /// batch statistics): a fresh instance's first training step draws the same masks every time, so its training loss
    /// is a function of the weights alone. The analytic gradient is one SGD step of rate 1 on a fresh copy; the moving
    /// statistics that step also moves are no gradient (the training loss does not read them).
    /// </summary>
    /// <param name="model">The model whose weights are probed.</param>
    /// <param name="fresh">A new instance with the model's seed.</param>
    /// <param name="inputs">The inputs.</param>
    /// <param name="targets">The targets of every output (mse).</param>
    /// <param name="batch">Samples.</param>
    /// <returns>The training loss at the model's weights (to check it differs from the predicted one).</returns>
    internal static double AssertTrainingGradientMatchesFiniteDifferences(CompiledModel model, Func<CompiledModel> fresh, float[][] inputs, float[][] targets,
        int batch)
    {
        CompiledModel Copy(float learningRate)
        {
            var copy = fresh();
            model.Weights.CopyTo(copy.Weights);
            copy.Compile(new SGD(learningRate), "mse");
            return copy;
        }

        double Loss() => Copy(1e-30f).Fit(inputs, targets, batchSize: batch, shuffle: false, verbose: 0)["loss"][0];
        double first = Loss();
        Assert.Equal(first, Loss()); // repeatable: the masks are the fresh instance's

        var stepped = Copy(1f);
        float[] before = model.Weights.ToArray();
        stepped.Fit(inputs, targets, batchSize: batch, shuffle: false, verbose: 0);
        var analytic = before.Select((w, i) => model.Description.Weights.Last(info => info.Offset <= i).Trainable ? (double)w - stepped.Weights[i] : 0)
            .ToArray();
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
        return first;
    }

    /// <summary>Keras's mean squared error, computed here in double precision as the independent reference.</summary>
    internal static double MeanSquaredError(float[] predictions, float[] targets)
        => predictions.Select((v, i) => (double)(v - targets[i]) * (v - targets[i])).Sum() / predictions.Length;

    internal static double CentralDifference(CompiledModel model, int i, float h, Func<double> loss)
    {
        var weights = model.Weights;
        float w = weights[i];
        weights[i] = w + h;
        double plus = loss();
        weights[i] = w - h;
        double minus = loss();
        weights[i] = w;
        return (plus - minus) / (2 * h);
    }

    /// <summary>
    /// Every weight's backward gradient against central differences. Where the two disagree, the differences are
    /// taken again with a quarter of the step: if those move by more than the tolerance, the loss is not smooth
    /// there (a ReLU, max or |x| kink within the step), so the point says nothing about the derivative and is set
    /// aside. At most a tenth of the weights may be set aside, and every other one must match.
    /// </summary>
    internal static void AssertMatchesFiniteDifferences(CompiledModel model, double[] analytic, Func<double> loss, Func<int, string> where)
    {
        const float h = 1e-3f;
        int nonSmooth = 0;
        for (int i = 0; i < analytic.Length; i++)
        {
            double numeric = CentralDifference(model, i, h, loss);
            double tolerance = 2e-3 + 2e-2 * Math.Abs(numeric);
            if (Math.Abs(analytic[i] - numeric) <= tolerance)
            {
                continue;
            }

            double finer = CentralDifference(model, i, h / 4, loss);
            if (Math.Abs(finer - numeric) > tolerance)
            {
                nonSmooth++;
                continue;
            }

            Assert.Fail($"{where(i)}: weight {i}: backward gives {analytic[i]:G6}, finite differences {numeric:G6} (and {finer:G6} with a quarter of the step)");
        }

        Assert.Equal(model.Description.ParameterCount, analytic.Length);
        Assert.True(nonSmooth <= analytic.Length / 10, $"{nonSmooth} of {analytic.Length} weights sit at kinks; the test data needs changing");
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-4); // the test is not vacuous
    }

    [Fact]
    public void Dense_with_every_activation_concatenate_and_the_trunk_match_finite_differences()
    {
        const int batch = 4;
        var model = new EveryActivation(seed: 7);
        float[] x = Random(batch * 5, 1, 1.5f);
        float[] y = Random(batch * EveryActivation.ConcatenateSize, 2);
        model.Compile(new SGD(learningRate: 1f), new MeanSquaredError());

        double Loss() => MeanSquaredError(model.Predict(x), y);

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(x, y, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => i < 36 ? "trunk" : $"branch_{(i - 36) / 21} ({(Activation)((i - 36) / 21)})");
    }

    [Fact]
    public void Two_outputs_with_weighted_cross_entropies_match_finite_differences()
    {
        const int batch = 5;
        var model = new TwoHeads(seed: 3);
        float[] features = Random(batch * 8, 4), extra = Random(batch * 4, 5);
        float[] category = new float[batch * 4], flag = new float[batch];
        for (int b = 0; b < batch; b++)
        {
            category[b * 4 + b % 4] = 1f;
            flag[b] = b % 2;
        }

        model.Compile(new SGD(learningRate: 1f), new Loss[] { new CategoricalCrossentropy(), new BinaryCrossentropy() }, lossWeights: [1f, 0.5f]);

        double Loss()
        {
            var (p, q) = model.Predict(features, extra);
            double cce = 0, bce = 0;
            for (int b = 0; b < batch; b++)
            {
                for (int c = 0; c < 4; c++)
                {
                    cce -= category[b * 4 + c] * Math.Log(p[b * 4 + c]);
                }

                bce -= flag[b] * Math.Log(q[b]) + (1 - flag[b]) * Math.Log(1 - q[b]);
            }

            return cce / batch + 0.5 * bce / batch;
        }

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(features, extra, category, flag, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => "two_heads");
    }

    [Fact]
    public void Sparse_targets_give_the_same_gradient_as_one_hot_targets()
    {
        const int batch = 6;
        float[] features = Random(batch * 8, 8), extra = Random(batch * 4, 9);
        float[] labels = Enumerable.Range(0, batch).Select(b => (float)(b * 7 % 4)).ToArray();
        float[] oneHot = new float[batch * 4];
        for (int b = 0; b < batch; b++)
        {
            oneHot[b * 4 + (int)labels[b]] = 1f;
        }

        float[] flag = Enumerable.Range(0, batch).Select(b => (float)(b % 2)).ToArray();
        var sparse = new TwoHeads(seed: 11);
        var dense = new TwoHeads(seed: 11);
        sparse.Compile(new SGD(1f), new Loss[] { new SparseCategoricalCrossentropy(), new BinaryCrossentropy() });
        dense.Compile(new SGD(1f), new Loss[] { new CategoricalCrossentropy(), new BinaryCrossentropy() });
        var a = AnalyticGradient(sparse, () => sparse.TrainOnBatch(features, extra, labels, flag, batch));
        var b2 = AnalyticGradient(dense, () => dense.TrainOnBatch(features, extra, oneHot, flag, batch));
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(Math.Abs(a[i] - b2[i]) <= 1e-5 + 1e-4 * Math.Abs(b2[i]), $"weight {i}: sparse {a[i]}, one-hot {b2[i]}");
        }
    }

    [Fact]
    public void Activations_that_keep_their_pre_activation_match_finite_differences()
    {
        const int batch = 3;
        var model = new Regressor(seed: 5);
        float[] x = Random(batch * 3, 12, 2f), y = Random(batch * 2, 13);
        model.Compile(new SGD(1f), "mse");

        double Loss() => MeanSquaredError(model.Predict(x), y);

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(x, y, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => "regressor");
    }

    [Fact]
    public void Every_merge_layer_matches_finite_differences()
    {
        const int batch = 4;
        var model = new EveryMerge(seed: 21);
        float[] a = Random(batch * 6, 31, 1.5f), b = Random(batch * 6, 32, 1.5f);
        float[] y = Random(batch * EveryMerge.ConcatenateSize, 33);
        model.Compile(new SGD(learningRate: 1f), "mse");

        double Loss() => MeanSquaredError(model.Predict(a, b), y);

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(a, b, y, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => i < 42 ? "dense (a)" : "dense_1 (b)");
    }

    [Fact]
    public void Dot_over_every_kind_of_axis_pair_matches_finite_differences()
    {
        const int batch = 3;
        var model = new EveryDot(seed: 23);
        Assert.Equal(20 + 8 + 6 + 15 + 6 + 5 + 36 + 25, EveryDot.ConcatenateSize);
        float[] a = Random(batch * 12, 34), b = Random(batch * 15, 35);
        float[] y = Random(batch * EveryDot.ConcatenateSize, 36);
        model.Compile(new SGD(learningRate: 1f), "mse");

        double Loss() => MeanSquaredError(model.Predict(a, b), y);

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(a, b, y, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => "every dot");
    }

    [Fact]
    public void Merge_forward_values_match_their_definitions()
    {
        var model = new EveryMerge(seed: 2);
        float[] a = Random(6, 41), b = Random(6, 42);
        float[] output = model.Predict(a, b);
        Assert.Equal(6 * 7 + 1 + 1, EveryMerge.ConcatenateSize);
        // h1 and h2 are not exposed; recover them from Add (last 6) and Subtract (first 6): h1 = (sum + diff) / 2.
        var sum = output.AsSpan(output.Length - 6).ToArray();
        var diff = output.AsSpan(0, 6).ToArray();
        var h1 = sum.Select((s, i) => (s + diff[i]) / 2).ToArray();
        var h2 = sum.Select((s, i) => (s - diff[i]) / 2).ToArray();
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(h1[i] * h2[i], output[6 + i], 4);
            Assert.Equal(h1[i] * h2[i] * diff[i], output[12 + i], 4);
            Assert.Equal((h1[i] + h2[i] + diff[i]) / 3, output[18 + i], 4);
            Assert.Equal(Math.Max(Math.Max(h1[i], h2[i]), diff[i]), output[24 + i], 4);
            Assert.Equal(Math.Min(h1[i], h2[i]), output[30 + i], 4);
        }

        double dot = h1.Zip(h2, (x, z) => (double)x * z).Sum();
        double cosine = dot / Math.Sqrt(h1.Sum(x => (double)x * x) * h2.Sum(x => (double)x * x));
        Assert.Equal(dot, output[36], 4);
        Assert.Equal(cosine, output[37], 4);
    }

    [Fact]
    public void A_nested_model_called_twice_sums_both_calls_gradients_into_one_set_of_weights()
    {
        const int batch = 4;
        var model = new Siamese(seed: 8);
        Assert.Equal(5 * 6 + 6 + 6 * 4 + 4 + 1 + 1, Siamese.ParameterCount); // the tower's weights once
        float[] left = Random(batch * 5, 51, 1.5f), right = Random(batch * 5, 52, 1.5f);
        float[] same = [1, 0, 1, 0];
        model.Compile(new SGD(learningRate: 1f), "binary_crossentropy");

        double Loss()
        {
            float[] p = model.Predict(left, right);
            return -p.Select((v, i) => same[i] * Math.Log(v) + (1 - same[i]) * Math.Log(1 - v)).Sum() / batch;
        }

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(left, right, same, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => i < 64 ? "tower" : "same");
        Assert.Contains("tower (Functional)", model.Summary());
    }

    [Fact]
    public void The_manhattan_similarity_lambda_is_differentiated_at_compile_time()
    {
        const int batch = 4;
        var model = new Manhattan(seed: 4);
        float[] left = Random(batch * 12, 61), right = Random(batch * 12, 62);
        float[] target = [1, 0, 0.5f, 0.2f];
        model.Compile(new SGD(learningRate: 1f), "mse");

        double Loss()
        {
            float[] p = model.Predict(left, right);
            return p.Select((v, i) => (double)(v - target[i]) * (v - target[i])).Sum() / batch;
        }

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(left, right, target, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => "encoder");

        // The forward value is the tutorial's formula.
        var (l, r) = (left.AsSpan(0, 12).ToArray(), right.AsSpan(0, 12).ToArray());
        var w = model.Weights.ToArray();
        double[] Encode(float[] v) => Enumerable.Range(0, 6).Select(j => Math.Tanh(w[72 + j] + Enumerable.Range(0, 12).Sum(i => (double)v[i] * w[i * 6 + j]))).ToArray();
        double expected = Math.Exp(-Encode(l).Zip(Encode(r), (a, b) => Math.Abs(a - b)).Sum());
        Assert.Equal(expected, model.Predict(l, r)[0], 5);
        Assert.Contains("lambda (Lambda)", model.Summary());
    }

    [Fact]
    public void Every_tensor_operation_with_broadcasting_matches_finite_differences()
    {
        const int batch = 3;
        var model = new EveryOp(seed: 6);
        float[] x = Random(batch * 12, 71), y = Random(batch * 2, 72);
        model.Compile(new SGD(learningRate: 1f), "mse");

        double Loss() => MeanSquaredError(model.Predict(x), y);

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(x, y, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => i < 20 ? "dense" : "dense_1");
    }

    public static TheoryData<string> OpModelNames => new() { "OpLogs", "OpNormalise", "OpCentre", "OpBound", "OpGates", "OpAffine" };

    [Theory]
    [MemberData(nameof(OpModelNames))]
    public void Each_tensor_operation_matches_finite_differences(string name)
    {
        const int batch = 3;
        CompiledModel model = name switch
        {
            "OpLogs" => new OpLogs(6),
            "OpNormalise" => new OpNormalise(6),
            "OpCentre" => new OpCentre(6),
            "OpBound" => new OpBound(6),
            "OpGates" => new OpGates(6),
            _ => new OpAffine(6),
        };
        float[] x = Random(batch * 12, 71), y = Random(batch * 2, 72);
        model.Compile(new SGD(learningRate: 1f), "mse");

        double Loss() => MeanSquaredError(model.Predict(new[] { x })[0], y);

        // One Fit epoch over exactly one batch is one training step.
        var analytic = AnalyticGradient(model, () => (float)model.Fit(x, y, epochs: 1, batchSize: batch, shuffle: false, verbose: 0)["loss"][0]);
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => name);
    }

    [Fact]
    public void Merges_broadcast_as_keras_and_match_finite_differences()
    {
        const int batch = 3;
        var model = new BroadcastMerges(seed: 12);
        float[] x = Random(batch * 12, 81), y = Random(batch * 2, 82);
        model.Compile(new SGD(learningRate: 1f), "mse");

        double Loss() => MeanSquaredError(model.Predict(x), y);

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(x, y, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => "broadcast merges");
    }

    [Fact]
    public void TimeDistributed_of_a_layer_and_of_a_model_matches_finite_differences()
    {
        const int batch = 3;
        var model = new TimeSteps(seed: 13);
        float[] x = Random(batch * 20, 91), y = Random(batch, 92);
        model.Compile(new SGD(learningRate: 1f), "mse");

        double Loss() => MeanSquaredError(model.Predict(x), y);

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(x, y, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => "time steps");
        string summary = model.Summary();
        // Keras cuts the first column at 28 characters.
        Assert.Contains("time_distributed (TimeDistri (None, 5, 3)              15", summary);
        Assert.Contains("time_distributed_1 (TimeDist (None, 5, 2)              20", summary);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Run_time_lengths_through_TimeDistributed_and_broadcasting_match_finite_differences(int length)
    {
        const int batch = 3;
        var model = new Tagger(seed: 17);
        float[] tokens = Random(batch * length * 3, 93), bias = Random(batch * 2, 94), y = Random(batch * length * 2, 95);
        model.Compile(new SGD(learningRate: 1f), "mse");

        double Loss() => MeanSquaredError(model.Predict(tokens, bias, length), y);

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(tokens, bias, y, length, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => $"tagger, length {length}");
    }

    [Fact]
    public void Two_sequences_of_their_own_lengths_joined_in_time_match_finite_differences()
    {
        const int batch = 4, titleLength = 2, bodyLength = 5;
        var model = new JoinedSequences(seed: 19);
        float[] title = Random(batch * titleLength * 3, 96), body = Random(batch * bodyLength * 3, 97), tags = Random(batch * 4, 98);
        float[] priority = Random(batch, 99), department = new float[batch * 4];
        for (int b = 0; b < batch; b++)
        {
            department[b * 4 + (b + 1) % 4] = 1f;
        }

        model.Compile(new SGD(learningRate: 1f), new Loss[] { new MeanSquaredError(), new CategoricalCrossentropy() });

        double Loss()
        {
            var (p, d) = model.Predict(title, body, tags, titleLength, bodyLength);
            double cce = 0;
            for (int i = 0; i < d.Length; i++)
            {
                cce -= department[i] * Math.Log(d[i]);
            }

            return MeanSquaredError(p, priority) + cce / batch;
        }

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(title, body, tags, priority, department, titleLength, bodyLength, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => "joined sequences");
    }
}
