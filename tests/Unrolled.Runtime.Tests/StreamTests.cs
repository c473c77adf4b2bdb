using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>Fit and Evaluate over streams of batches (data that does not fit in memory) against the same batches as arrays.</summary>
public class StreamTests
{
    private static readonly SyntheticData Data = SyntheticData.Create(20, seed: 31);

    private static TwoInputModel Compiled()
    {
        var model = new TwoInputModel();
        model.Compile(new Adam(0.05f), ["categorical_crossentropy", "binary_crossentropy"], metrics: ["accuracy"]);
        return model;
    }

    /// <summary>The data's samples [start, start + count) as one batch.</summary>
    private static DataBatch Slice(SyntheticData data, int start, int count)
        => new([data.A[(start * 3)..((start + count) * 3)], data.B[(start * 2)..((start + count) * 2)]],
            [data.Class[(start * 3)..((start + count) * 3)], data.Flag[start..(start + count)]]);

    private static IEnumerable<DataBatch> Stream(SyntheticData data, int batchSize)
    {
        for (int start = 0; start < data.Count; start += batchSize)
        {
            yield return Slice(data, start, Math.Min(batchSize, data.Count - start));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_stream_trains_as_the_same_batches_from_arrays(bool prefetch)
    {
        var arrays = Compiled();
        var expected = arrays.Fit(Data.X, Data.Y, epochs: 3, batchSize: 6, shuffle: false, verbose: 0);
        var streamed = Compiled();
        var history = streamed.Fit(Stream(Data, 6), epochs: 3, verbose: 0, prefetch: prefetch);
        Assert.Equal(arrays.ReadOnlyWeights.ToArray(), streamed.ReadOnlyWeights.ToArray());
        Assert.Equal(expected["loss"], history["loss"]);
        Assert.Equal(expected["class_accuracy"], history["class_accuracy"]);

        var held = SyntheticData.Create(9, seed: 32);
        var evaluated = arrays.Evaluate(held.X, held.Y, batchSize: 4);
        Assert.Equal(evaluated["loss"], streamed.Evaluate(Stream(held, 4))["loss"], 12);
        var validated = Compiled().Fit(Stream(Data, 6), epochs: 1, validationData: Stream(held, 4), verbose: 0);
        Assert.True(validated.Values.ContainsKey("val_class_accuracy"));
    }

    [Fact]
    public void Steps_per_epoch_carry_a_pass_across_epochs()
    {
        int passes = 0;
        IEnumerable<DataBatch> Counted()
        {
            passes++;
            foreach (var batch in Stream(Data, 5))
            {
                yield return batch;
            }
        }

        var model = Compiled();
        var steps = new List<int>();
        model.Fit(Counted(), epochs: 4, stepsPerEpoch: 3, verbose: 0,
            callbacks: [new LambdaCallback(onEpochBegin: (_, _) => steps.Add(0), onTrainBatchEnd: (_, _) => steps[^1]++)]);
        Assert.Equal([3, 1, 3, 1], steps); // 4 batches per pass: 3, the pass's last 1, then a new pass
        Assert.Equal(2, passes);
    }

    [Fact]
    public void A_bad_batch_names_its_index_and_input_and_keeps_the_steps_before_it()
    {
        IEnumerable<DataBatch> Broken()
        {
            yield return Slice(Data, 0, 5);
            yield return Slice(Data, 5, 5);
            var bad = Slice(Data, 10, 5);
            yield return bad with { Inputs = [bad.Inputs[0][..^1], bad.Inputs[1]] };
        }

        var model = Compiled();
        var reference = Compiled();
        reference.Fit(Stream(Data, 5).Take(2), epochs: 1, verbose: 0);
        var error = Assert.Throws<ArgumentException>(() => model.Fit(Broken(), epochs: 1, verbose: 0));
        Assert.Contains("Batch 2", error.Message);
        Assert.Contains("'a'", error.Message);
        Assert.Equal(reference.ReadOnlyWeights.ToArray(), model.ReadOnlyWeights.ToArray());

        IEnumerable<DataBatch> Failing()
        {
            yield return Slice(Data, 0, 5);
            throw new IOException("disk gone");
        }

        Assert.Equal("disk gone", Assert.Throws<IOException>(() => Compiled().Fit(Failing(), epochs: 1, verbose: 0)).Message);
        Assert.Throws<ArgumentException>(() => Compiled().Fit(Array.Empty<DataBatch>(), epochs: 1, verbose: 0));
        model.Predict(Data.X); // the model is free
    }

    [Fact]
    public void Batches_from_samples_keep_the_order_or_shuffle_through_a_buffer()
    {
        var samples = Enumerable.Range(0, Data.Count).Select(s => (Inputs: new[] { Data.A[(s * 3)..((s + 1) * 3)], Data.B[(s * 2)..((s + 1) * 2)] },
            Targets: new[] { Data.Class[(s * 3)..((s + 1) * 3)], Data.Flag[s..(s + 1)] })).ToList();
        var ordered = Batches.FromSamples(samples, batchSize: 6).ToList();
        Assert.Equal([6, 6, 6, 2], ordered.Select(b => b.Targets[1]!.Length));
        Assert.Equal(Data.A, ordered.SelectMany(b => b.Inputs[0]).ToArray());

        var shuffled = Batches.FromSamples(samples, batchSize: 6, shuffleBuffer: 8, seed: 4).ToList();
        var flags = shuffled.SelectMany(b => b.Inputs[1]).ToArray();
        Assert.NotEqual(Data.B, flags);
        Assert.Equal(Data.B.Order(), flags.Order()); // the same samples
        Assert.Equal(flags, Batches.FromSamples(samples, 6, 8, seed: 4).SelectMany(b => b.Inputs[1]).ToArray());

        // A model trains on them as on any stream.
        Assert.Equal(2, Compiled().Fit(Batches.FromSamples(samples, 6, 8, seed: 4), epochs: 2, verbose: 0).Epochs);
    }

    private static async IAsyncEnumerable<DataBatch> AsyncStream(SyntheticData data, int batchSize)
    {
        foreach (var batch in Stream(data, batchSize))
        {
            await System.Threading.Tasks.Task.Yield();
            yield return batch;
        }
    }

    [Fact]
    public void An_asynchronous_stream_trains_as_the_synchronous_one()
    {
        var sync = Compiled();
        sync.Fit(Stream(Data, 6), epochs: 2, verbose: 0);
        var asynchronous = Compiled();
        var history = asynchronous.Fit(AsyncStream(Data, 6), epochs: 2, verbose: 0);
        Assert.Equal(2, history.Epochs);
        Assert.Equal(sync.ReadOnlyWeights.ToArray(), asynchronous.ReadOnlyWeights.ToArray());
    }

    [Fact]
    public void A_schedule_that_gives_NaN_stops_training_with_the_weights_unchanged()
    {
        var model = new TwoInputModel();
        model.Compile(new SGD { Schedule = new BrokenAfter(3) }, ["categorical_crossentropy", "binary_crossentropy"]);
        float[]? afterTwo = null;
        var error = Assert.Throws<InvalidOperationException>(() => model.Fit(Data.X, Data.Y, batchSize: 5, shuffle: false, verbose: 0,
            callbacks: [new LambdaCallback(onTrainBatchEnd: (b, _) => { if (b == 2) afterTwo = model.ReadOnlyWeights.ToArray(); })]));
        Assert.Contains("BrokenAfter", error.Message);
        Assert.Contains("iteration 3", error.Message);
        Assert.Equal(afterTwo, model.ReadOnlyWeights.ToArray());
    }

    /// <summary>A user's schedule that goes wrong at a step.</summary>
    private sealed class BrokenAfter(long step) : LearningRateSchedule
    {
        public override double At(long iteration) => iteration < step ? 0.1 : double.NaN;
    }
}
