using System;
using System.Linq;
using Xunit;
using static Unrolled.Tests.GradientTests;

namespace Unrolled.Tests;

/// <summary>
/// A recurrent layer fed by an Embedding has its input projection folded into a [vocabulary, gates × units] table at
/// inference, once the ids looked up since the weights last changed reach the vocabulary's size. The folded pass must
/// predict what the unfolded one does (the same sums, looked up instead of multiplied), refuse the same bad ids, and
/// never use a table folded from weights that have since changed.
/// </summary>
public class ProjectionFoldTests
{
    private const float Tolerance = 1e-5f;

    private static float[] Ids(int count, int vocabulary, int seed)
        => Enumerable.Range(0, count).Select(i => (float)((i * 7 + seed) % vocabulary)).ToArray();

    /// <summary>
    /// Predicts on a fresh copy of the model's weights that never folds: taking its <c>Weights</c> hands out a writable
    /// view, after which that instance folds nothing.
    /// </summary>
    private static float[] Unfolded(Func<CompiledModel> create, CompiledModel source, float[] ids, int batch, int[]? lengths = null)
    {
        var fresh = create();
        fresh.CopyWeightsFrom(source);
        _ = fresh.Weights;
        float[] output = fresh.Predict([ids], batchSize: batch, lengths)[0];
        Assert.Equal(0, fresh.CurrentFoldedProjections);
        return output;
    }

    private static void Near(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * (1 + Math.Abs(expected[i])),
                $"output {i}: unfolded {expected[i]}, folded {actual[i]}");
        }
    }

    [Fact]
    public void Folded_decoders_start_from_their_initial_states()
    {
        var model = new FoldedDecoder(seed: 5);
        float[] ids = Ids(4 * 6, 12, 2);
        float[] first = model.Predict([ids], batchSize: 4)[0];
        Assert.True(model.CurrentFoldedProjections >= 2, $"{model.CurrentFoldedProjections} folded"); // 24 ids ≥ 12 rows
        Near(Unfolded(() => new FoldedDecoder(seed: 5), model, ids, 4), model.Predict([ids], batchSize: 4)[0]);
        Near(first, model.Predict([ids], batchSize: 4)[0]);
    }

    [Fact]
    public void Folded_passes_predict_what_unfolded_passes_do()
    {
        // One Embedding shared by a GRU, a SimpleRNN and a pooling (so it still runs); an LSTM without bias on its own.
        var model = new FoldedRecurrents(seed: 3);
        float[] ids = Ids(6, 12, 1);
        float[] first = model.Predict([ids], batchSize: 1)[0];
        Assert.Equal(0, model.CurrentFoldedProjections); // 6 ids < 12 rows: not worth folding yet

        float[] second = model.Predict([ids], batchSize: 1)[0];
        Assert.Equal(3, model.CurrentFoldedProjections); // 12 ids: the GRU, the SimpleRNN and the LSTM fold
        Near(first, second);

        float[] batch = Ids(5 * 6, 12, 4);
        Near(Unfolded(() => new FoldedRecurrents(seed: 3), model, batch, 5), model.Predict([batch], batchSize: 5)[0]);
    }

    [Fact]
    public void An_embedding_read_only_by_folded_layers_is_skipped_and_results_stay_the_same()
    {
        // Recurrents: one Embedding feeds an LSTM and a GRU without reset_after, nothing else.
        var model = new Recurrents(seed: 2);
        float[] ids = Ids(4 * 5, 10, 2);
        float[] expected = Unfolded(() => new Recurrents(seed: 2), model, ids.AsSpan(0, 5).ToArray(), 1);
        model.Predict([ids], batchSize: 4);
        Assert.Equal(2, model.CurrentFoldedProjections);
        Near(expected, model.Predict([ids.AsSpan(0, 5).ToArray()], batchSize: 1)[0]);
    }

    [Fact]
    public void Run_time_lengths_fold_too()
    {
        var model = new TextBranch(seed: 5);
        float[] title = Ids(3 * 9, 20, 3);
        float[] expected = Unfolded(() => new TextBranch(seed: 5), model, title, 3, [9]); // 9 ids a call, 20 rows
        model.Predict([title], batchSize: 3, lengths: [9]);
        Assert.Equal(1, model.CurrentFoldedProjections);
        Near(expected, model.Predict([title], batchSize: 3, lengths: [9])[0]);
        float[] shorter = title.AsSpan(0, 3 * 4).ToArray();
        Near(new TextBranch(seed: 5).Predict([shorter], batchSize: 3, lengths: [4])[0], model.Predict([shorter], batchSize: 3, lengths: [4])[0]);
    }

    [Fact]
    public void Changed_weights_are_never_read_from_an_old_table()
    {
        var model = new FoldedRecurrents(seed: 7);
        float[] ids = Ids(4 * 6, 12, 5);
        float[] target = Enumerable.Repeat(1f, 4 * 2).ToArray();
        model.Predict([ids], batchSize: 4);
        Assert.Equal(3, model.CurrentFoldedProjections);

        // A training step writes every weight: the tables are stale, and the next predictions fold the new weights.
        model.Compile(new SGD(learningRate: 0.5f), "mse");
        model.TrainOnBatch(ids, target, 4);
        Assert.Equal(0, model.CurrentFoldedProjections);
        float[] trained = model.Predict([ids], batchSize: 4)[0];
        Assert.Equal(3, model.CurrentFoldedProjections);
        Near(Unfolded(() => new FoldedRecurrents(seed: 7), model, ids, 4), trained);

        // So do copying them from another model and SetWeights.
        model.CopyWeightsFrom(new FoldedRecurrents(seed: 8));
        Assert.Equal(0, model.CurrentFoldedProjections);
        Near(Unfolded(() => new FoldedRecurrents(seed: 8), new FoldedRecurrents(seed: 8), ids, 4), model.Predict([ids], batchSize: 4)[0]);
        Assert.Equal(3, model.CurrentFoldedProjections);

        var other = new FoldedRecurrents(seed: 9);
        float[] values = other.ReadOnlyWeights.ToArray();
        model.SetWeights(values);
        Assert.Equal(0, model.CurrentFoldedProjections);
        Near(Unfolded(() => new FoldedRecurrents(seed: 9), other, ids, 4), model.Predict([ids], batchSize: 4)[0]);
        Assert.Equal(3, model.CurrentFoldedProjections);
        Assert.Throws<ArgumentException>(() => model.SetWeights(values.AsSpan(1)));
    }

    [Fact]
    public void A_writable_view_of_the_weights_stops_folding_for_good_so_every_write_through_it_is_seen()
    {
        var model = new FoldedRecurrents(seed: 7);
        float[] ids = Ids(4 * 6, 12, 5);
        float[] target = Enumerable.Repeat(1f, 4 * 2).ToArray();
        model.Predict([ids], batchSize: 4);
        Assert.Equal(3, model.CurrentFoldedProjections);

        // The view is kept across predictions and written between them, as a finite-difference check does ...
        Span<float> embeddings = model.GetWeights("embedding", "embeddings");
        Assert.Equal(0, model.CurrentFoldedProjections);
        for (int round = 0; round < 3; round++)
        {
            embeddings[7 + round] += 0.5f;
            float[] predicted = model.Predict([ids], batchSize: 4)[0];
            Assert.Equal(0, model.CurrentFoldedProjections);
            Near(Unfolded(() => new FoldedRecurrents(seed: 7), model, ids, 4), predicted);
        }

        // ... and still after the model has written every weight itself (a training step, SetWeights), because the
        // view may still be written.
        model.Compile(new SGD(learningRate: 0.5f), "mse");
        model.TrainOnBatch(ids, target, 4);
        model.SetWeights(model.ReadOnlyWeights.ToArray());
        model.Predict([ids], batchSize: 4);
        embeddings[3] -= 0.25f;
        float[] afterWrite = model.Predict([ids], batchSize: 4)[0];
        Assert.Equal(0, model.CurrentFoldedProjections);
        Near(Unfolded(() => new FoldedRecurrents(seed: 7), model, ids, 4), afterWrite);

        // A new instance given these weights folds again.
        var copy = new FoldedRecurrents(seed: 1);
        copy.SetWeights(model.ReadOnlyWeights);
        Near(afterWrite, copy.Predict([ids], batchSize: 4)[0]);
        Assert.Equal(3, copy.CurrentFoldedProjections);
    }

    [Fact]
    public void A_folded_pass_refuses_a_bad_id_as_the_unfolded_pass_does()
    {
        var model = new FoldedRecurrents(seed: 1);
        float[] ids = Ids(4 * 6, 12, 0);
        model.Predict([ids], batchSize: 4);
        Assert.Equal(3, model.CurrentFoldedProjections);
        ids[9] = 12;
        var folded = Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict([ids], batchSize: 4));
        var unfolded = Assert.Throws<ArgumentOutOfRangeException>(() => new FoldedRecurrents(seed: 1).Predict([ids.AsSpan(0, 12).ToArray()], batchSize: 2));
        Assert.Equal(unfolded.Message, folded.Message);
        Assert.Contains("sample 1, position 3", folded.Message);
    }

    [Fact]
    public void Training_never_folds_and_a_folded_prediction_allocates_nothing()
    {
        const int batch = 4;
        var model = new FoldedRecurrents(seed: 9);
        model.Compile("rmsprop", "mse");
        float[] ids = Ids(batch * 6, 12, 6), target = Random(batch * 2, 6), output = new float[batch * 2];
        for (int i = 0; i < 5; i++)
        {
            model.TrainOnBatch(ids, target, batch);
        }

        Assert.Equal(0, model.CurrentFoldedProjections);
        Assert.Equal(0, AllocationTests.AllocatedBy(() => model.Predict(ids, output, batch)));
        Assert.Equal(3, model.CurrentFoldedProjections);
    }

    [Fact]
    public void A_many_batch_predict_decides_folding_once_so_its_outputs_do_not_depend_on_threads_or_timing()
    {
        float[] ids = Ids(70 * 6, 12, 7);
        int saved = Kernels.Threading.MaxThreads;
        try
        {
            // 420 ids against 12 rows: folded before the first batch, on both threads alike.
            Kernels.Threading.MaxThreads = 2;
            var model = new FoldedRecurrents(seed: 11);
            float[] two = model.Predict([ids], batchSize: 8)[0];
            Assert.Equal(3, model.CurrentFoldedProjections);
            Kernels.Threading.MaxThreads = 1;
            float[] one = new FoldedRecurrents(seed: 11).Predict([ids], batchSize: 8)[0];
            Assert.Equal(one, two);
            Kernels.Threading.MaxThreads = 2;
            Assert.Equal(two, model.Predict([ids], batchSize: 8)[0]);
            Near(Unfolded(() => new FoldedRecurrents(seed: 11), model, ids, 70), two);

            // A call whose ids do not make folding pay, with what came before, runs every batch unfolded; the next
            // call counts from there and decides before its first batch.
            var small = new FoldedRecurrents(seed: 12);
            small.Predict([ids.AsSpan(0, 6).ToArray()], batchSize: 1); // 6 ids of 12: not yet
            Assert.Equal(0, small.CurrentFoldedProjections);
            float[] twoSamples = ids.AsSpan(0, 12).ToArray();
            float[] decided = small.Predict([twoSamples], batchSize: 1)[0]; // 6 + 12: folded before both batches
            Assert.Equal(3, small.CurrentFoldedProjections);
            Assert.Equal(decided, small.Predict([twoSamples], batchSize: 1)[0]);
        }
        finally
        {
            Kernels.Threading.MaxThreads = saved;
        }
    }
}
