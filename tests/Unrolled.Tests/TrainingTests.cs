using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Unrolled.Tests;

public class TrainingTests
{
    /// <summary>
    /// A learnable two-input, two-output task: the category is the arg-max of four fixed linear scores of the
    /// features, the flag says whether the extra input's sum is positive.
    /// </summary>
    private static (float[] Features, float[] Extra, float[] Category, float[] Flag) Task(int samples, int seed)
    {
        var random = new Random(seed);
        var features = new float[samples * 8];
        var extra = new float[samples * 4];
        var category = new float[samples * 4];
        var flag = new float[samples];
        for (int s = 0; s < samples; s++)
        {
            for (int i = 0; i < 8; i++)
            {
                features[s * 8 + i] = (float)(random.NextDouble() * 2 - 1);
            }

            for (int i = 0; i < 4; i++)
            {
                extra[s * 4 + i] = (float)(random.NextDouble() * 2 - 1);
            }

            int best = 0;
            double bestScore = double.MinValue;
            for (int c = 0; c < 4; c++)
            {
                double score = features[s * 8 + c] - features[s * 8 + c + 4];
                if (score > bestScore)
                {
                    bestScore = score;
                    best = c;
                }
            }

            category[s * 4 + best] = 1;
            flag[s] = extra.Skip(s * 4).Take(4).Sum() > 0 ? 1 : 0;
        }

        return (features, extra, category, flag);
    }

    [Fact]
    public void Two_input_two_output_model_learns_by_position()
    {
        var (features, extra, category, flag) = Task(2000, 1);
        var model = new TwoHeads(seed: 1);
        model.Compile("adam", new Loss[] { "categorical_crossentropy", "binary_crossentropy" }, lossWeights: [1f, 0.5f], metrics: ["accuracy"]);
        var output = new StringWriter();
        var history = model.Fit(new[] { features, extra }, new[] { category, flag }, epochs: 20, batchSize: 32, validationSplit: 0.2, seed: 1, output: output);

        var loss = history["loss"];
        Assert.Equal(20, loss.Count);
        Assert.True(loss[^1] < 0.4 * loss[0], $"loss went from {loss[0]} to {loss[^1]}");
        Assert.True(history["val_category_accuracy"][^1] > 0.85, "category accuracy " + history["val_category_accuracy"][^1]);
        Assert.True(history["val_flag_accuracy"][^1] > 0.9, "flag accuracy " + history["val_flag_accuracy"][^1]);
        foreach (string key in new[] { "category_loss", "flag_loss", "val_loss", "val_category_loss", "val_flag_loss" })
        {
            Assert.True(history.Values.ContainsKey(key), "history lacks " + key + ": " + string.Join(", ", history.Values.Keys));
        }

        // Keras reports the total as the weighted sum of the unweighted per-output losses.
        Assert.Equal(history["val_category_loss"][^1] + 0.5 * history["val_flag_loss"][^1], history["val_loss"][^1], 3);
        string printed = output.ToString();
        Assert.Contains("Epoch 20/20", printed);
        Assert.Contains("val_loss: ", printed);
    }

    [Fact]
    public void Fit_and_evaluate_by_name_match_fit_by_position()
    {
        var (features, extra, category, flag) = Task(600, 2);
        var byPosition = new TwoHeads(seed: 4);
        var byName = new TwoHeads(seed: 4);
        byPosition.Compile("rmsprop", new Loss[] { "categorical_crossentropy", "binary_crossentropy" }, lossWeights: [1f, 0.2f]);
        byName.Compile("rmsprop",
            new Dictionary<string, Loss> { ["flag"] = "binary_crossentropy", ["category"] = "categorical_crossentropy" },
            new Dictionary<string, float> { ["category"] = 1f, ["flag"] = 0.2f });
        var a = byPosition.Fit(new[] { features, extra }, new[] { category, flag }, epochs: 2, batchSize: 16, seed: 5, verbose: 0);
        var b = byName.Fit(new Dictionary<string, float[]> { ["extra"] = extra, ["features"] = features },
            new Dictionary<string, float[]> { ["flag"] = flag, ["category"] = category }, epochs: 2, batchSize: 16, seed: 5, verbose: 0);
        Assert.Equal(a["loss"], b["loss"]);
        Assert.True(byPosition.Weights.SequenceEqual(byName.Weights));

        var evaluation = byName.Evaluate(new Dictionary<string, float[]> { ["features"] = features, ["extra"] = extra },
            new Dictionary<string, float[]> { ["category"] = category, ["flag"] = flag });
        Assert.True(evaluation["loss"] > 0);
    }

    [Fact]
    public void Wrong_inputs_are_rejected_before_any_work_with_names_and_sizes()
    {
        var model = new TwoHeads(seed: 1);
        float[] weights = model.Weights.ToArray();
        var tooShort = Assert.Throws<ArgumentException>(() => model.Predict(new float[3 * 8], new float[3 * 4 - 1], new float[3 * 4], new float[3], 3));
        Assert.Contains("extra", tooShort.Message);
        Assert.Contains("12", tooShort.Message);
        Assert.Contains("11", tooShort.Message);
        Assert.Equal("extra", tooShort.ParamName);

        var wrongBatch = Assert.Throws<ArgumentException>(() => model.Predict(new float[2 * 8], new float[2 * 4], new float[3 * 4], new float[3], 3));
        Assert.Contains("features", wrongBatch.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, Span<float>.Empty, Span<float>.Empty, 0));

        var mismatched = Assert.Throws<ArgumentException>(() => model.Predict(new float[16], new float[12]));
        Assert.Contains("extra", mismatched.Message);

        model.Compile("sgd", "mse");
        var target = Assert.Throws<ArgumentException>(() => model.TrainOnBatch(new float[16], new float[8], new float[8], new float[3], 2));
        Assert.Contains("flag", target.Message);
        var unknown = Assert.Throws<ArgumentException>(() => model.Fit(
            new Dictionary<string, float[]> { ["features"] = new float[16], ["extras"] = new float[8] },
            new Dictionary<string, float[]> { ["category"] = new float[8], ["flag"] = new float[2] }, verbose: 0));
        Assert.Contains("extras", unknown.Message);
        Assert.True(model.Weights.SequenceEqual(weights), "a rejected call changed the weights");
    }

    [Fact]
    public void A_non_finite_loss_stops_fit_and_keeps_the_last_finite_weights()
    {
        var (features, extra, category, flag) = Task(64, 3);
        var model = new TwoHeads(seed: 1);
        model.Compile("sgd", new Loss[] { "categorical_crossentropy", "binary_crossentropy" });
        model.TrainOnBatch(features.AsSpan(0, 16 * 8), extra.AsSpan(0, 16 * 4), category.AsSpan(0, 16 * 4), flag.AsSpan(0, 16), 16);
        float[] lastFinite = model.Weights.ToArray();

        features[40 * 8] = float.NaN;
        var error = Assert.Throws<TrainingDivergedException>(() =>
            model.Fit(new[] { features, extra }, new[] { category, flag }, epochs: 1, batchSize: 64, shuffle: false, verbose: 0));
        Assert.Contains("loss", error.Message);
        Assert.True(model.Weights.SequenceEqual(lastFinite), "the weights changed after the non-finite step");
        Assert.All(model.Weights.ToArray(), w => Assert.True(float.IsFinite(w)));
    }

    [Fact]
    public void A_diverged_step_leaves_batch_normalization_statistics_as_they_were()
    {
        // The forward pass of a training step updates BatchNormalization's moving statistics in the weight buffer; a
        // step that then diverges must undo that too, so that "the weights are unchanged" holds for every weight.
        var model = new Regularized(seed: 3);
        model.Compile("sgd", "mse");
        var random = new Random(5);
        var x = new float[16 * 6];
        var y = new float[16];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble() * 4 - 2;
        }

        model.TrainOnBatch(x, y, 16);
        float[] before = model.Weights.ToArray();
        Assert.NotEqual(0f, model.GetWeights("batch_normalization", "moving_mean")[0]);

        y[3] = float.NaN;
        Assert.Throws<TrainingDivergedException>(() => model.TrainOnBatch(x, y, 16));
        Assert.Equal(before, model.Weights.ToArray());

        // The next good step starts from those statistics, exactly as if the failed step had not been tried.
        y[3] = 0;
        var twin = new Regularized(seed: 3);
        twin.Compile("sgd", "mse");
        twin.TrainOnBatch(x, y, 16);
        twin.TrainOnBatch(x, y, 16);
        model.TrainOnBatch(x, y, 16);
        Assert.Equal(twin.GetWeights("batch_normalization", "moving_mean").ToArray(), model.GetWeights("batch_normalization", "moving_mean").ToArray());
    }

    [Fact]
    public async Task One_instance_runs_one_call_at_a_time_and_says_so()
    {
        var (features, extra, _, _) = Task(8, 4);
        var model = new TwoHeads(seed: 1);
        var (expectedCategory, _) = model.Predict(features, extra);
        using var start = new Barrier(2);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        int refused = 0, wrong = 0;

        void Hammer()
        {
            var category = new float[8 * 4];
            var flag = new float[8];
            start.SignalAndWait();
            while (Volatile.Read(ref refused) == 0 && DateTime.UtcNow < deadline)
            {
                try
                {
                    model.Predict(features, extra, category, flag, 8);
                    if (!category.AsSpan().SequenceEqual(expectedCategory))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
                catch (InvalidOperationException e) when (e.Message.Contains("one call at a time"))
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }

        await System.Threading.Tasks.Task.WhenAll(System.Threading.Tasks.Task.Run(Hammer), System.Threading.Tasks.Task.Run(Hammer));
        Assert.True(refused > 0, "two threads on one instance were never refused");
        Assert.Equal(0, wrong);

        // Separate instances are independent and may run in parallel.
        var results = Enumerable.Range(0, 4).AsParallel().Select(i => new TwoHeads(seed: 9).Predict(features, extra).Category).ToList();
        Assert.All(results, r => Assert.Equal(results[0], r));
    }

    [Fact]
    public void An_encoder_takes_the_weights_its_autoencoder_trained()
    {
        var random = new Random(6);
        float[] images = Enumerable.Range(0, 256 * 64).Select(_ => (float)random.NextDouble()).ToArray();
        var autoencoder = new Autoencoder(seed: 1);
        autoencoder.Compile("adam", new Dictionary<string, Loss> { ["decoded"] = "mse" }); // the code output has no loss
        autoencoder.Fit(new[] { images }, new[] { images, new float[256 * 8] }, epochs: 3, batchSize: 32, verbose: 0);

        var encoder = new Encoder(seed: 2);
        Assert.Equal(4, encoder.CopyWeightsFrom(autoencoder)); // encode_1 and encode_2, kernel and bias
        Assert.True(encoder.GetWeights("encode_2", "bias").SequenceEqual(autoencoder.GetWeights("encode_2", "bias")));
        var (_, code) = autoencoder.Predict(images);
        Assert.Equal(code, encoder.Predict(images));

        var missing = Assert.Throws<ArgumentException>(() => encoder.GetWeights("decoded"));
        Assert.Contains("encode_1/kernel [64, 32]", missing.Message);
        var mismatch = Assert.Throws<ArgumentException>(() => new Mlp(seed: 1).CopyWeightsFrom(new EveryActivation(seed: 1)));
        Assert.Contains("no weight named", mismatch.Message);
    }
}
