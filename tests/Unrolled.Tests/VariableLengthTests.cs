using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;
using static Unrolled.Tests.GradientTests;

namespace Unrolled.Tests;

/// <summary>
/// Inputs with unknown (<c>null</c>) axes: the length is an argument of each call, checked, and the workspace grows
/// only when a call needs more than it has (or when <c>Reserve</c> asks for more).
/// </summary>
public class VariableLengthTests
{
    /// <summary>MeanOverTime computed here from its weights, in double precision: tanh(x W + b) per step, mean over
    /// the steps, then softmax(h V + c).</summary>
    private static double[] Reference(MeanOverTime model, float[] words, int length, int batch)
    {
        var w = model.GetWeights("dense").ToArray();
        var b = model.GetWeights("dense", "bias").ToArray();
        var v = model.GetWeights("dense_1").ToArray();
        var c = model.GetWeights("dense_1", "bias").ToArray();
        var result = new double[batch * 3];
        for (int s = 0; s < batch; s++)
        {
            var mean = new double[6];
            for (int t = 0; t < length; t++)
            {
                for (int u = 0; u < 6; u++)
                {
                    double z = b[u];
                    for (int i = 0; i < 4; i++)
                    {
                        z += words[(s * length + t) * 4 + i] * w[i * 6 + u];
                    }

                    mean[u] += Math.Tanh(z) / length;
                }
            }

            var logits = Enumerable.Range(0, 3).Select(k => c[k] + Enumerable.Range(0, 6).Sum(u => mean[u] * v[u * 3 + k])).ToArray();
            double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
            for (int k = 0; k < 3; k++)
            {
                result[s * 3 + k] = Math.Exp(logits[k] - max) / sum;
            }
        }

        return result;
    }

    [Fact]
    public void Predict_takes_a_new_length_on_every_call_and_matches_the_reference()
    {
        const int batch = 3;
        var model = new MeanOverTime(seed: 5);
        foreach (int length in new[] { 7, 1, 3, 7 })
        {
            float[] words = Random(batch * length * 4, length);
            float[] output = new float[batch * 3];
            model.Predict(words, output, length, batch);
            var expected = Reference(model, words, length, batch);
            for (int i = 0; i < output.Length; i++)
            {
                Assert.True(Math.Abs(output[i] - expected[i]) < 1e-5, $"length {length}, output {i}: {output[i]} vs {expected[i]}");
            }

            Assert.Equal(output, model.Predict(words, length));
        }
    }

    [Fact]
    public void A_shape_with_two_run_time_axes_takes_both_lengths()
    {
        var model = new AnySizeImage(seed: 2);
        Assert.Equal(["imageLength1", "imageLength2"], model.Description.Lengths.Select(l => l.Name));
        float[] image = Random(2 * 3 * 5 * 2, 4);
        float[] output = model.Predict(image, 3, 5);
        var w = model.GetWeights("dense").ToArray();
        var b = model.GetWeights("dense", "bias").ToArray();
        for (int s = 0; s < 2; s++)
        {
            for (int u = 0; u < 3; u++)
            {
                double mean = 0;
                for (int p = 0; p < 15; p++)
                {
                    double z = b[u] + image[(s * 15 + p) * 2] * w[u] + image[(s * 15 + p) * 2 + 1] * w[3 + u];
                    mean += Math.Max(z, 0) / 15;
                }

                Assert.True(Math.Abs(output[s * 3 + u] - mean) < 1e-5, $"sample {s}, unit {u}: {output[s * 3 + u]} vs {mean}");
            }
        }
    }

    [Fact]
    public void The_description_and_summary_show_None_for_run_time_axes()
    {
        var model = new JoinedSequences(seed: 1);
        var description = model.Description;
        Assert.True(description.IsDynamic);
        Assert.Equal(["titleLength", "bodyLength"], description.Lengths.Select(l => l.Name));
        Assert.Equal([0, 1], description.Lengths.Select(l => l.Input));
        Assert.Equal([1, 1], description.Lengths.Select(l => l.Axis));
        Assert.Equal("(None, None, 3)", description.Inputs[0].KerasShape);
        Assert.Equal(-1, description.Inputs[0].Size);
        Assert.Equal(4, description.Inputs[2].Size);
        Assert.Contains("(None, None, 3)", model.Summary());
        Assert.Contains("(None, None, 5)", model.Summary());
        Assert.False(new Mlp(seed: 1).Description.IsDynamic);
    }

    [Fact]
    public void Bad_lengths_and_spans_get_clear_errors_and_change_nothing()
    {
        var model = new MeanOverTime(seed: 5);
        float[] output = new float[3];
        var tooShort = Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(new float[4], output, 0, 1));
        Assert.Contains("'wordsLength', the length of axis 1 of input 'words', must be at least 1", tooShort.Message);
        var wrongSpan = Assert.Throws<ArgumentException>(() => model.Predict(new float[4 * 5 - 1], output, 5, 1));
        Assert.Contains("'words' expects 20 values per sample", wrongSpan.Message);
        var huge = Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(new float[4], output, int.MaxValue / 2, 1));
        Assert.Contains("too large", huge.Message);

        // The instance still works, at the lengths it is given next.
        float[] words = Random(4 * 2, 1);
        model.Predict(words, output, 2, 1);
        Assert.Equal(Reference(model, words, 2, 1).Select(v => (float)Math.Round(v, 4)), output.Select(v => (float)Math.Round(v, 4)));

        // The runtime's array API cannot tell the length when every input's size depends on it.
        var ambiguous = Assert.Throws<ArgumentException>(() => model.Predict(new[] { words }));
        Assert.Contains("lengths: [wordsLength]", ambiguous.Message);
        Assert.Equal(output, model.Predict(new[] { words }, lengths: [2])[0]);
        Assert.Throws<ArgumentException>(() => model.Predict(new[] { words }, lengths: [2, 2]));
        Assert.Throws<ArgumentException>(() => new Mlp(seed: 1).Predict(new[] { new float[784] }, lengths: [3]));
    }

    [Fact]
    public void Fit_works_the_lengths_out_from_the_arrays_and_learns()
    {
        const int samples = 96, titleLength = 3, bodyLength = 6;
        var model = new JoinedSequences(seed: 3);
        float[] title = Random(samples * titleLength * 3, 1), body = Random(samples * bodyLength * 3, 2), tags = Random(samples * 4, 3);
        float[] priority = new float[samples], department = new float[samples * 4];
        for (int s = 0; s < samples; s++)
        {
            // A learnable rule: priority is the sum of the body's first feature, the department the sign pattern of two tags.
            priority[s] = Enumerable.Range(0, bodyLength).Sum(t => body[(s * bodyLength + t) * 3]) / bodyLength;
            department[s * 4 + (tags[s * 4] > 0 ? 1 : 0) + (tags[s * 4 + 1] > 0 ? 2 : 0)] = 1f;
        }

        model.Compile(new Adam(learningRate: 0.01f), new Dictionary<string, Loss> { ["priority"] = "mse", ["department"] = "categorical_crossentropy" });
        var x = new Dictionary<string, float[]> { ["title"] = title, ["body"] = body, ["tags"] = tags };
        var y = new Dictionary<string, float[]> { ["priority"] = priority, ["department"] = department };
        var before = model.Evaluate(x, y);
        var history = model.Fit(x, y, epochs: 20, batchSize: 16, verbose: 0, seed: 1, validationSplit: 0.25);
        var after = model.Evaluate(x, y);
        Assert.True(after["loss"] < 0.6 * before["loss"], $"loss {before["loss"]} -> {after["loss"]}");
        Assert.Equal(20, history.Epochs);

        // Given explicitly, the same lengths give the same result; wrong ones are caught before any work.
        var explicitly = model.Evaluate(x, y, lengths: [titleLength, bodyLength]);
        Assert.Equal(after["loss"], explicitly["loss"], 6);
        var wrong = Assert.Throws<ArgumentException>(() => model.Fit(x, y, lengths: [titleLength + 1, bodyLength], verbose: 0));
        Assert.Contains("'title'", wrong.Message);
        Assert.Equal(after["loss"], model.Evaluate(x, y)["loss"], 6);

        // A title length the arrays do not hold is reported with the numbers involved.
        var ragged = new Dictionary<string, float[]>(x) { ["title"] = title.AsSpan(0, title.Length - 1).ToArray() };
        var message = Assert.Throws<ArgumentException>(() => model.Fit(ragged, y, verbose: 0)).Message;
        Assert.Contains("Input 'title'", message);
    }

    [Fact]
    public void A_workspace_too_large_for_one_array_names_the_lengths_and_the_largest_batch_that_fits()
    {
        var model = new MeanOverTime(seed: 5);
        model.Compile("rmsprop", "categorical_crossentropy");
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => model.Reserve(100_000, 100_000));
        Assert.Equal("batchSize", ex.ParamName);
        Assert.Equal(100_000, ex.ActualValue);
        Assert.Contains("MeanOverTime (model ", ex.Message);
        Assert.Contains("a batch of 100000 samples with run-time lengths wordsLength = 100000", ex.Message);

        // The figures agree with each other: a step of 100000 words holds at least its 4 inputs and 6 tanh units.
        var figures = System.Text.RegularExpressions.Regex.Match(ex.Message,
            @"would need (\d+) floats \((\d+) per sample\).*largest batch size that fits is (\d+)\.");
        Assert.True(figures.Success, ex.Message);
        long needed = long.Parse(figures.Groups[1].Value);
        int perSample = int.Parse(figures.Groups[2].Value), largest = int.Parse(figures.Groups[3].Value);
        Assert.True(perSample >= 100_000 * (4 + 6), ex.Message);
        Assert.Equal((long)perSample * 100_000, needed);
        Assert.Equal(Array.MaxLength / perSample, largest);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Reserve(largest + 1, 100_000));

        // A length too long for even one sample points at the lengths, and the instance still works afterwards.
        var lengths = Assert.Throws<ArgumentOutOfRangeException>(() => model.Reserve(1, Array.MaxLength / 4));
        Assert.Equal("lengths", lengths.ParamName);
        float[] words = Random(4 * 2, 1), output = new float[3];
        model.Predict(words, output, 2, 1);
        Assert.Equal(Reference(model, words, 2, 1).Select(v => (float)Math.Round(v, 4)), output.Select(v => (float)Math.Round(v, 4)));

        // A workspace grows to hold both its old batches and the new lengths only while one array can: 200000 samples of
        // 20000 words cannot, so a call on one such sample gets a workspace of its own size instead of an error.
        var grown = new MeanOverTime(seed: 5);
        grown.Reserve(200_000, 1);
        grown.Reserve(1, 20_000);
        float[] longer = Random(20_000 * 4, 2);
        grown.Predict(longer, output, 20_000, 1);
        Assert.Equal(Reference(grown, longer, 20_000, 1).Select(v => (float)Math.Round(v, 4)), output.Select(v => (float)Math.Round(v, 4)));
    }

    [Fact]
    public void Shorter_calls_reuse_the_workspace_and_Reserve_sizes_it_in_advance()
    {
        const int batch = 8;
        var model = new MeanOverTime(seed: 5);
        model.Compile("rmsprop", "categorical_crossentropy");
        model.Reserve(batch, 10);
        int[] lengths = [10, 4, 1, 7];
        float[] words = Random(batch * 10 * 4, 1), output = new float[batch * 3], targets = new float[batch * 3];
        for (int s = 0; s < batch; s++)
        {
            targets[s * 3 + s % 3] = 1f;
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (int length in lengths)
        {
            model.Predict(words.AsSpan(0, batch * length * 4), output, length, batch);
            model.TrainOnBatch(words.AsSpan(0, batch * length * 4), targets, length, batch);
        }

        long firstRound = GC.GetAllocatedBytesForCurrentThread() - before;
        for (int i = 0; i < 60; i++)
        {
            // Past the JIT's tier-up thresholds, as AllocationTests warms up.
            model.Predict(words.AsSpan(0, batch * 4 * 4), output, 4, batch);
            model.TrainOnBatch(words.AsSpan(0, batch * 4 * 4), targets, 4, batch);
        }

        // Later rounds over changing lengths must allocate nothing at all (the least of five rounds, as AllocationTests).
        long least = long.MaxValue;
        for (int round = 0; round < 5 && least > 0; round++)
        {
            before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++)
            {
                foreach (int length in lengths)
                {
                    model.Predict(words.AsSpan(0, batch * length * 4), output, length, batch);
                    model.TrainOnBatch(words.AsSpan(0, batch * length * 4), targets, length, batch);
                }
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, least);
        Assert.True(firstRound < 1_000_000, $"{firstRound} bytes in the first round");

        // A longer call than reserved grows the workspace once, then allocates nothing again.
        float[] longer = Random(batch * 40 * 4, 2);
        model.Predict(longer, output, 40, batch);
        before = GC.GetAllocatedBytesForCurrentThread();
        model.Predict(longer, output, 40, batch);
        model.Predict(words.AsSpan(0, batch * 4), output, 1, batch);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
