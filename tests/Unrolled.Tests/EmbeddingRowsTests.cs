using System;
using System.IO;
using System.Linq;
using Xunit;
using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>One Embedding read by two inputs, a Dense between it and a second Embedding in the weight buffer. The first
/// table's rows are wide (1 KiB), so that its used rows form several runs (<see cref="Kernels.RowSet.NextRun"/>).</summary>
public partial class RowTablesModel
{
    [ModelBuilder]
    static Model Build()
    {
        var a = Input([6], dtype: DType.Int32, name: "a");
        var b = Input([3], dtype: DType.Int32, name: "b");
        var words = Embedding(40, 256, name: "words");
        var pooled = Concatenate(name: "pooled")([GlobalAveragePooling1D()(words(a)), GlobalAveragePooling1D()(words(b))]);
        var hidden = Dense(5, Activation.Tanh, name: "hidden")(pooled);
        var tags = Flatten()(Embedding(20, 4, name: "tags")(b));
        return new Model([a, b], Dense(2, name: "out")(Concatenate()([hidden, tags])));
    }
}

/// <summary>A table large enough (1.5 M weights) for its rows' update to be split over two cores.</summary>
public partial class WideRowTableModel
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([200], dtype: DType.Int32, name: "ids");
        return new Model(ids, Dense(1, name: "out")(GlobalAveragePooling1D()(Embedding(6000, 256, name: "words")(ids))));
    }
}

/// <summary>
/// A training step updates an Embedding table only in the rows its ids name when the optimizer leaves a weight with a
/// zero gradient alone (SGD, Adagrad, RMSprop without momentum; docs/performance.md, <em>Embedding rows</em>). The
/// reference is the same optimizer updating every weight, which a <c>ClipValue</c> of <see cref="float.MaxValue"/> forces
/// (clipping touches every weight, and clipping finite values to ±<see cref="float.MaxValue"/> changes none): weights and
/// optimizer state must agree bit for bit after every sequence of steps, freezing, saving and failing below.
/// </summary>
public class EmbeddingRowsTests
{
    private const int Batch = 4;

    /// <summary>Step <paramref name="step"/>'s ids: a window of the vocabulary that moves, so that rows go unused for several
    /// steps and are then used again (which is when a skipped row's RMSprop velocity must have decayed); every fourth step
    /// names more than half of each table's rows, which a step clears and checks whole.</summary>
    private static (float[] A, float[] B, float[] Targets) Batch_(int step, float targetScale = 1)
    {
        var random = new Random(100 + step);
        int start = step * 7 % 40;
        bool most = step % 4 == 3;
        float[] a = Enumerable.Range(0, Batch * 6).Select(i => (float)((start + (most ? i : random.Next(9))) % 40)).ToArray();
        float[] b = Enumerable.Range(0, Batch * 3).Select(i => (float)(most ? i % 20 : random.Next(step % 3 == 0 ? 20 : 6))).ToArray();
        float[] targets = Enumerable.Range(0, Batch * 2).Select(_ => targetScale * (float)(random.NextDouble() * 2 - 1)).ToArray();
        return (a, b, targets);
    }

    private static float Train(RowTablesModel model, int step, float targetScale = 1)
    {
        var (a, b, targets) = Batch_(step, targetScale);
        return model.TrainOnBatch(a, b, targets, Batch);
    }

    /// <summary>Two models with the same weights: one updating rows, one updating every weight.</summary>
    private static (RowTablesModel Rows, RowTablesModel Whole) Pair(Func<Optimizer> optimizer, Func<Optimizer> whole)
    {
        var rows = new RowTablesModel(seed: 3);
        var reference = new RowTablesModel(seed: 3);
        rows.Compile(optimizer(), "mse");
        reference.Compile(whole(), "mse");
        return (rows, reference);
    }

    private static void AssertSame(RowTablesModel rows, RowTablesModel whole, string when)
    {
        float[] a = rows.ReadOnlyWeights.ToArray(), b = whole.ReadOnlyWeights.ToArray();
        int differs = FirstDifference(a, b);
        Assert.True(differs < 0, $"{when}: weight {differs} is {(differs < 0 ? 0 : a[differs])} updating rows, {(differs < 0 ? 0 : b[differs])} updating all");
        var ours = rows.Optimizer!.StateBuffers;
        var theirs = whole.Optimizer!.StateBuffers;
        Assert.Equal(theirs.Select(s => s.Name), ours.Select(s => s.Name));
        for (int s = 0; s < ours.Length; s++)
        {
            int at = FirstDifference(ours[s].Values, theirs[s].Values);
            Assert.True(at < 0, $"{when}: {ours[s].Name}[{at}] is {(at < 0 ? 0 : ours[s].Values[at])} updating rows, {(at < 0 ? 0 : theirs[s].Values[at])} updating all");
        }
    }

    /// <summary>The first index where the two differ in any bit, or -1.</summary>
    private static int FirstDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i]))
            {
                return i;
            }
        }

        return -1;
    }

    public static TheoryData<string> Optimizers => new() { "rmsprop", "sgd", "adagrad" };

    private static (Func<Optimizer> Rows, Func<Optimizer> Whole) Make(string name) => name switch
    {
        "rmsprop" => (() => new RMSprop(0.01f), () => new RMSprop(0.01f) { ClipValue = float.MaxValue }),
        "sgd" => (() => new SGD(0.1f), () => new SGD(0.1f) { ClipValue = float.MaxValue }),
        _ => (() => new Adagrad(0.1f), () => new Adagrad(0.1f) { ClipValue = float.MaxValue }),
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Updating_the_used_rows_equals_updating_every_row(string optimizer)
    {
        var (rowsOptimizer, wholeOptimizer) = Make(optimizer);
        var (rows, whole) = Pair(rowsOptimizer, wholeOptimizer);
        for (int step = 0; step < 12; step++)
        {
            Assert.Equal(Train(whole, step), Train(rows, step));

            // The step recorded exactly the rows its ids name, in each table.
            var (a, b, _) = Batch_(step);
            var sets = rows.TrainingWorkspace!.RowSets;
            Assert.Equal(2, sets.Length);
            Assert.Equal(a.Concat(b).Distinct().Count(), sets[0].Count);
            Assert.Equal(b.Distinct().Count(), sets[1].Count);
            Assert.All(a.Concat(b), id => Assert.True(sets[0].Contains((int)id)));
        }

        AssertSame(rows, whole, $"{optimizer}, 12 steps");
        Assert.Equal(2, rows.Optimizer!.TablesUpdatedByRows);
        Assert.Equal(0, whole.Optimizer!.TablesUpdatedByRows);

        // Reading the state brought it up to date; training on from there still agrees.
        for (int step = 12; step < 16; step++)
        {
            Train(whole, step);
            Train(rows, step);
        }

        AssertSame(rows, whole, $"{optimizer}, 16 steps");
    }

    [Fact]
    public void The_reference_updates_every_weight_and_the_tables_are_found()
    {
        // Without this the test above could compare a path with itself.
        var (rows, whole) = Pair(() => new RMSprop(), () => new RMSprop { ClipValue = float.MaxValue });
        Train(rows, 0);
        Train(whole, 0);
        Assert.Equal(["words", "tags"], rows.Compiled!.RowTables.Select(t => t.Weight.Layer));
        Assert.Empty(whole.Compiled!.RowTables);
        Assert.All(rows.Description.Weights, w => Assert.Equal(w.Name == "embeddings", w.RowSparse));

        // Optimizers that move a weight whose gradient is zero update every row.
        foreach (Optimizer other in new Optimizer[]
        {
            new RMSprop(momentum: 0.9f), new RMSprop(centered: true), new RMSprop(epsilon: 0), new SGD(momentum: 0.5f), "adam", "adamw", "nadam",
            "lion", "ftrl", "adadelta", "adamax", "adafactor", new RMSprop { WeightDecay = 0.01f }, new RMSprop { UseEma = true },
            new RMSprop { GlobalClipNorm = 1 }, new Adagrad(initialAccumulatorValue: 0, epsilon: 0),
        })
        {
            var model = new RowTablesModel(seed: 3);
            model.Compile(other, "mse");
            Assert.Empty(model.Compiled!.RowTables);
        }
    }

    [Fact]
    public void Odd_velocities_of_a_loaded_state_decay_as_in_the_whole_update()
    {
        // −0, negative subnormal, subnormal and infinite velocities (a state loaded from elsewhere): a skipped row's
        // velocity must still end as the whole update's, bit for bit (ρ·v + 0 turns −0 into +0). Not NaN, or below −ε:
        // there the whole update makes an unused row's weights NaN at once, the row path when the row is next used.
        var (rows, whole) = Pair(() => new RMSprop(0.01f), () => new RMSprop(0.01f) { ClipValue = float.MaxValue });
        Train(rows, 0);
        Train(whole, 0);
        float[] odd = [-0f, -1e-40f, 1e-40f, float.PositiveInfinity, 3f, float.Epsilon, 1e-30f];
        foreach (var model in new[] { rows, whole })
        {
            float[] velocity = model.Optimizer!.StateBuffers.Single(b => b.Name == "velocity").Values;
            for (int i = 0; i < velocity.Length; i++)
            {
                velocity[i] = odd[i % odd.Length];
            }
        }

        // Steps whose ids leave rows 23-34 of words unused, so that their velocities are caught up only when read.
        foreach (int step in new[] { 1, 2, 5 })
        {
            Train(rows, step);
            Train(whole, step);
        }

        AssertSame(rows, whole, "odd velocities");
    }

    [Fact]
    public void Switching_between_a_row_optimizer_and_a_whole_one_keeps_the_gradient_clean()
    {
        // A whole update writes the tables' gradient without recording rows: the next step that records rows must clear
        // the tables whole.
        var (rows, whole) = Pair(() => new RMSprop(0.01f), () => new RMSprop(0.01f) { ClipValue = float.MaxValue });
        int step = 0;
        foreach (var (ours, theirs) in new (Func<Optimizer>, Func<Optimizer>)[]
        {
            (() => new SGD(0.05f, momentum: 0.5f), () => new SGD(0.05f, momentum: 0.5f)),
            (() => new Adagrad(0.05f), () => new Adagrad(0.05f) { ClipValue = float.MaxValue }),
        })
        {
            for (int end = step + 3; step < end; step++)
            {
                Train(rows, step);
                Train(whole, step);
            }

            rows.Compile(ours(), "mse");
            whole.Compile(theirs(), "mse");
        }

        for (int end = step + 5; step < end; step++)
        {
            Assert.Equal(Train(whole, step), Train(rows, step));
        }

        AssertSame(rows, whole, "after switching optimizers");
    }

    [Fact]
    public void A_frozen_table_owes_nothing_for_the_steps_it_was_frozen()
    {
        // Keras leaves a frozen layer's optimizer state alone: the velocity of its rows must not decay meanwhile.
        var (rows, whole) = Pair(() => new RMSprop(0.01f), () => new RMSprop(0.01f) { ClipValue = float.MaxValue });
        int step = 0;
        for (; step < 3; step++)
        {
            Train(rows, step);
            Train(whole, step);
        }

        rows.Layers.Single(l => l.Name == "words").Trainable = false;
        whole.Layers.Single(l => l.Name == "words").Trainable = false;
        for (; step < 7; step++)
        {
            Train(rows, step);
            Train(whole, step);
        }

        rows.Layers.Single(l => l.Name == "words").Trainable = true;
        whole.Layers.Single(l => l.Name == "words").Trainable = true;
        for (; step < 11; step++)
        {
            Train(rows, step);
            Train(whole, step);
        }

        AssertSame(rows, whole, "frozen for four steps");
    }

    [Fact]
    public void Saving_and_loading_the_optimizer_keeps_what_the_rows_are_owed()
    {
        var (rows, whole) = Pair(() => new RMSprop(0.01f), () => new RMSprop(0.01f) { ClipValue = float.MaxValue });
        for (int step = 0; step < 5; step++)
        {
            Train(rows, step);
            Train(whole, step);
        }

        using var file = new MemoryStream();
        rows.SaveWeights(file, includeOptimizer: true);
        var loaded = new RowTablesModel(seed: 9);
        loaded.Compile(new RMSprop(0.01f), "mse");
        Train(loaded, 0); // its own rows and lags, which the file's state replaces
        file.Position = 0;
        loaded.LoadWeights(file, includeOptimizer: true);
        for (int step = 5; step < 10; step++)
        {
            Train(rows, step);
            Train(whole, step);
            Train(loaded, step);
        }

        AssertSame(rows, whole, "saved after five steps");
        AssertSame(loaded, whole, "loaded after five steps");
    }

    [Theory]
    [InlineData(1)] // a few rows of each table
    [InlineData(3)] // most rows: the tables are checked whole
    public void A_non_finite_row_gradient_stops_the_step_and_the_next_step_starts_clean(int failing)
    {
        var (rows, whole) = Pair(() => new RMSprop(0.01f), () => new RMSprop(0.01f) { ClipValue = float.MaxValue });
        Train(rows, 0);
        Train(whole, 0);

        // tags' rows are zero and out's kernel rows below them huge: the output and the loss stay finite, but the
        // gradient of the used tags rows, the kernel times the output's gradient, overflows.
        float[] kernel = rows.GetReadOnlyWeights("out").ToArray();
        foreach (var model in new[] { rows, whole })
        {
            model.GetWeights("tags", "embeddings").Clear();
            var outKernel = model.GetWeights("out");
            outKernel[(5 * 2)..].Fill(3e38f);
        }

        float[] before = rows.ReadOnlyWeights.ToArray();
        var error = Assert.Throws<TrainingDivergedException>(() => Train(rows, failing, targetScale: 1000));
        Assert.Contains("gradient", error.Message);
        Assert.Throws<TrainingDivergedException>(() => Train(whole, failing, targetScale: 1000));
        Assert.Equal(before, rows.ReadOnlyWeights.ToArray());

        // With the kernel back, the next steps must not see the failed step's rows.
        foreach (var model in new[] { rows, whole })
        {
            kernel.CopyTo(model.GetWeights("out"));
        }

        for (int step = 4; step < 9; step++)
        {
            Assert.Equal(Train(whole, step), Train(rows, step));
        }

        AssertSame(rows, whole, "after a failed step");
    }

    [Fact]
    public void Row_sets_visit_their_rows_in_order_and_in_runs_over_short_gaps()
    {
        var random = new Random(5);
        foreach (int width in new[] { 1, 256, 512, 2000 })
        {
            var set = new Kernels.RowSet(0, 0, 300, width);
            int[] ids = Enumerable.Range(0, 80).Select(_ => random.Next(300)).Append(0).Append(299).ToArray();
            foreach (int id in ids)
            {
                set.Add(id);
            }

            int[] expected = ids.Distinct().Order().ToArray();
            Assert.Equal(expected.Length, set.Count);
            var visited = new System.Collections.Generic.List<int>();
            for (int row = set.Next(0); row >= 0; row = set.Next(row + 1))
            {
                visited.Add(row);
            }

            Assert.Equal(expected, visited);
            Assert.Equal(-1, set.Next(300));

            // Runs: cover every recorded row once, start and end on recorded rows, step over at most GapRows others inside,
            // and are separated by more than that.
            int gap = set.GapRows, previous = -1;
            var covered = new System.Collections.Generic.List<int>();
            for (int first = set.NextRun(0, out int last); first >= 0; first = set.NextRun(last + 1, out last))
            {
                Assert.True(set.Contains(first) && set.Contains(last) && first <= last);
                Assert.True(previous < 0 || first - previous - 1 > gap, $"width {width}: runs ending at {previous} and starting at {first} should be one");
                int inside = previous = last;
                covered.AddRange(Enumerable.Range(first, last - first + 1).Where(set.Contains));
                for (int row = first; row <= last; row = set.Next(row + 1) < 0 ? last + 1 : set.Next(row + 1))
                {
                    Assert.True(row - inside <= gap + 1 || row == first, $"width {width}: a gap of more than {gap} rows inside a run");
                    inside = row;
                }
            }

            Assert.Equal(expected, covered);
            Assert.Throws<ArgumentOutOfRangeException>(() => set.Add(300));
            Assert.Throws<ArgumentOutOfRangeException>(() => set.Add(-1));
            set.Clear();
            Assert.Equal(0, set.Count);
            Assert.Equal(-1, set.NextRun(0, out _));
        }
    }

    [Fact]
    public void A_large_table_updated_on_two_cores_equals_every_row_updated_on_one()
    {
        int saved = Kernels.Threading.MaxThreads;
        try
        {
            var rows = new WideRowTableModel(seed: 4);
            var whole = new WideRowTableModel(seed: 4);
            rows.Compile(new RMSprop(0.01f), "mse");
            whole.Compile(new RMSprop(0.01f) { ClipValue = float.MaxValue }, "mse");
            Kernels.Threading.MaxThreads = 2;
            Assert.True(Kernels.GemmWorker.Enabled, "this machine has one core: the split cannot run");
            int splits = Optimizer.RowSplits;
            for (int step = 0; step < 6 || (Optimizer.RowSplits == splits && step < 200); step++)
            {
                // 1,600 ids over a third of the table (about 1,100 rows), a different third each step; every second step
                // the ids crowd the third's first rows, as words do, so that splitting by table rows would be lopsided.
                var random = new Random(step);
                float[] ids = Enumerable.Range(0, 8 * 200)
                    .Select(_ => (float)(((step * 2000) + (step % 2 == 0 ? random.Next(2000) : (int)(2000 * Math.Pow(random.NextDouble(), 3)))) % 6000))
                    .ToArray();
                float[] targets = Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble()).ToArray();
                Kernels.Threading.MaxThreads = 2;
                float loss = rows.TrainOnBatch(ids, targets, 8);
                Kernels.Threading.MaxThreads = 1;
                Assert.Equal(whole.TrainOnBatch(ids, targets, 8), loss);
            }

            Assert.True(Optimizer.RowSplits > splits, "no row update split over two cores (the helper thread stayed busy)");

            Assert.Equal(whole.ReadOnlyWeights.ToArray(), rows.ReadOnlyWeights.ToArray());
            Assert.Equal(whole.Optimizer!.StateBuffers[0].Values, rows.Optimizer!.StateBuffers[0].Values);
        }
        finally
        {
            Kernels.Threading.MaxThreads = saved;
        }
    }

    [Fact]
    public void A_training_step_that_updates_rows_allocates_nothing()
    {
        var model = new RowTablesModel(seed: 3);
        model.Compile(new RMSprop(), "mse");
        var batches = Enumerable.Range(0, 8).Select(s => Batch_(s)).ToArray();
        int step = 0;
        Assert.Equal(0, AllocationTests.AllocatedBy(() =>
        {
            var (a, b, targets) = batches[step++ % 8];
            model.TrainOnBatch(a, b, targets, Batch);
        }));
    }
}
