using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// Freezing (Keras's <c>trainable</c>): a frozen layer's weights do not move and the optimizer keeps no state for them;
/// every other weight moves exactly as with nothing frozen (the generated backward pass skips the frozen layer's weight
/// gradients and every input gradient below the lowest layer that trains, which must not change what remains); a
/// frozen BatchNormalization runs in inference mode, checked against finite differences of the inference loss.
/// </summary>
public class FreezingTests
{
    private const int Batch = 3;

    public static IEnumerable<object[]> Models => OnnxExportTests.s_models.Keys.Select(k => new object[] { k });

    /// <summary>The model's inputs and mse targets for one batch, seeded by the model's name.</summary>
    internal static (float[][] Inputs, float[][] Targets) Data(string name, CompiledModel model)
    {
        var random = new Random(name.Aggregate(29, (hash, c) => unchecked((hash * 31) + c)) & 0xffff);
        var description = model.Description;
        var inputs = new float[description.Inputs.Count][];
        for (int i = 0; i < inputs.Length; i++)
        {
            var info = description.Inputs[i];
            int size = Batch * info.Shape.Aggregate(1, (a, b) => a * b);
            int vocabulary = info.DType == DType.Int32 ? OnnxExportTests.Vocabulary(description.Graph, i) : 0;
            inputs[i] = Enumerable.Range(0, size).Select(_ => info.DType == DType.Int32 ? random.Next(vocabulary) : (float)(random.NextDouble() * 2 - 1)).ToArray();
        }

        var targets = description.Outputs.Select(o => Enumerable.Range(0, Batch * o.Shape.Aggregate(1, (a, b) => a * b))
            .Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
        return (inputs, targets);
    }

    /// <summary>One SGD step of rate 1 on the model's batch: the weights' change is minus the gradient.</summary>
    private static float[] Step(string name, CompiledModel model, Optimizer? optimizer = null)
    {
        var (inputs, targets) = Data(name, model);
        model.Compile(optimizer ?? new SGD(1f), "mse");
        float[] before = model.ReadOnlyWeights.ToArray();
        model.Fit(inputs, targets, batchSize: Batch, shuffle: false, verbose: 0);
        return before.Select((w, i) => model.ReadOnlyWeights[i] - w).ToArray();
    }

    private static bool HasBatchNormalization(CompiledModel model) => model.Description.Graph.Nodes.Any(n => n.Kind == GraphNodeKind.BatchNormalization);

    /// <summary>Every layer with weights, at any depth, with the names that reach it from the top.</summary>
    private static IEnumerable<string[]> WeightedLeaves(IReadOnlyList<ModelLayer> layers, string[] path)
    {
        foreach (var layer in layers)
        {
            string[] here = [.. path, layer.Name];
            if (layer.Layers.Count == 0 && layer.Weights.Count > 0)
            {
                yield return here;
            }

            foreach (var inner in WeightedLeaves(layer.Layers, here))
            {
                yield return inner;
            }
        }
    }

    private static ModelLayer Find(CompiledModel model, string[] path)
    {
        var layer = model.GetLayer(path[0]);
        foreach (string name in path.Skip(1))
        {
            layer = layer.GetLayer(name);
        }

        return layer;
    }

    private static void AssertMovesAsBefore(string what, CompiledModel model, float[] reference, float[] moved, ISet<int> frozen)
    {
        for (int i = 0; i < moved.Length; i++)
        {
            var weight = model.Description.Weights.Last(w => w.Offset <= i);
            if (frozen.Contains(i))
            {
                Assert.True(moved[i] == 0, $"{what}: frozen weight {weight} moved by {moved[i]} at {i}");
                continue;
            }

            double tolerance = 1e-6 + (1e-5 * Math.Abs(reference[i]));
            Assert.True(Math.Abs(moved[i] - reference[i]) <= tolerance,
                $"{what}: weight {weight} (index {i}) moved by {moved[i]:G7}, with nothing frozen by {reference[i]:G7}");
        }
    }

    /// <summary>Freezes every layer but the one at <paramref name="path"/> (and the models around it).</summary>
    private static void TrainOnly(IReadOnlyList<ModelLayer> layers, string[] path, int depth)
    {
        var kept = layers.First(l => l.Name == path[depth]);
        kept.Trainable = true;
        foreach (var layer in layers.Where(l => l != kept))
        {
            layer.Trainable = false;
        }

        if (depth + 1 < path.Length)
        {
            TrainOnly(kept.Layers, path, depth + 1);
        }
    }

    private static HashSet<int> IndicesOf(IEnumerable<WeightInfo> weights) => weights.SelectMany(w => Enumerable.Range(w.Offset, w.Size)).ToHashSet();

    [Theory]
    [MemberData(nameof(Models))]
    public void Freezing_any_one_layer_stops_it_and_leaves_every_other_gradient_as_it_was(string name)
    {
        var make = OnnxExportTests.s_models[name];
        var probe = make();
        if (HasBatchNormalization(probe))
        {
            return; // a frozen BatchNormalization computes differently (inference mode): its own tests below
        }

        if (probe.Description.ParameterCount == 0)
        {
            return;
        }

        float[] reference = Step(name, OnnxExportTests.Randomized(make()));
        Assert.Contains(reference, d => d != 0);
        foreach (string[] path in WeightedLeaves(probe.Layers, []))
        {
            var model = OnnxExportTests.Randomized(make());
            var layer = Find(model, path);
            layer.Trainable = false;
            Assert.Empty(layer.TrainableWeights);
            float[] moved = Step(name, model);
            AssertMovesAsBefore($"{name} with {string.Join("/", path)} frozen", model, reference, moved, IndicesOf(layer.Weights));

            // The backward pass did not compute the frozen weights' gradients at all (they stay as cleared).
            var gradients = model.TrainingWorkspace!.ParameterGradients;
            Assert.All(IndicesOf(layer.Weights), i => Assert.True(gradients[i] == 0, $"{name}: {string.Join("/", path)}'s gradient was computed"));
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Training_only_the_last_layer_skips_the_rest_and_gives_it_the_same_gradient(string name)
    {
        var make = OnnxExportTests.s_models[name];
        var model = OnnxExportTests.Randomized(make());
        if (HasBatchNormalization(model) || model.Description.ParameterCount == 0)
        {
            return;
        }

        float[] reference = Step(name, OnnxExportTests.Randomized(make()));
        string[] last = WeightedLeaves(model.Layers, []).Last();
        TrainOnly(model.Layers, last, 0);
        Assert.Equal(Find(model, last).CountParams(), model.TrainableParameterCount);
        float[] moved = Step(name, model);
        var frozen = IndicesOf(model.Description.Weights.Except(Find(model, last).Weights));
        AssertMovesAsBefore($"{name} training only {string.Join("/", last)}", model, reference, moved, frozen);
        Assert.Contains(moved, d => d != 0);
    }

    [Fact]
    public void A_frozen_model_changes_no_weight_and_still_reports_its_loss()
    {
        var model = new ConvBaseAndHead(seed: 1);
        model.Trainable = false;
        float[] before = model.ReadOnlyWeights.ToArray();
        var (inputs, targets) = Data("conv", model);
        model.Compile(new Adam(0.1f), "mse");
        var history = model.Fit(inputs, targets, batchSize: Batch, epochs: 2, shuffle: false, verbose: 0);
        Assert.Equal(before, model.ReadOnlyWeights.ToArray());
        Assert.Equal(history["loss"][0], history["loss"][1], 6);
        Assert.Equal(0, model.TrainableParameterCount);
        Assert.All(model.Optimizer!.StateBuffers, b => Assert.All(b.Values, v => Assert.Equal(0f, v)));
    }

    [Fact]
    public void The_optimizer_keeps_no_state_for_frozen_weights_and_resumes_them_when_unfrozen()
    {
        var model = new ConvBaseAndHead(seed: 2);
        var conv = model.GetLayer("conv_a");
        conv.Trainable = false;
        var (inputs, targets) = Data("conv", model);
        var adam = new Adam(0.01f);
        model.Compile(adam, "mse");
        model.Fit(inputs, targets, batchSize: Batch, epochs: 2, shuffle: false, verbose: 0);
        var frozen = IndicesOf(conv.Weights);
        foreach (var (bufferName, values) in adam.StateBuffers)
        {
            Assert.All(frozen, i => Assert.Equal(0f, values[i]));
            Assert.Contains(values.Where((_, i) => !frozen.Contains(i)), v => v != 0);
        }

        // Unfrozen between steps (Keras: recompile; here the next step follows the flag), the layer trains again.
        conv.Trainable = true;
        float[] before = model.ReadOnlyWeights.ToArray();
        model.Fit(inputs, targets, batchSize: Batch, epochs: 1, shuffle: false, verbose: 0);
        Assert.Contains(frozen, i => model.ReadOnlyWeights[i] != before[i]);
    }

    [Fact]
    public void AdamW_decays_only_trainable_weights_not_the_moving_statistics()
    {
        // Keras applies weight decay to trainable variables only; the moving statistics are state.
        float[] Statistics(Optimizer optimizer)
        {
            var model = new ConvBaseAndHead(seed: 3);
            Step("conv", model, optimizer);
            var bn = model.GetLayer("bn");
            return bn.Weights.Where(w => !w.Trainable).SelectMany(w => model.GetReadOnlyWeights("bn", w.Name).ToArray()).ToArray();
        }

        Assert.Equal(Statistics(new SGD(1e-6f)), Statistics(new AdamW(0.1f, weightDecay: 0.5f)));
    }

    [Fact]
    public void A_frozen_batch_normalization_runs_in_inference_mode_and_its_gradients_match_finite_differences()
    {
        var model = new ConvBaseAndHead(seed: 4);
        var bn = model.GetLayer("bn");
        bn.Trainable = false;
        // Moving statistics away from the initial (0, 1), so that inference mode is visible.
        model.GetWeights("bn", "moving_mean").Fill(0.3f);
        model.GetWeights("bn", "moving_variance").Fill(2f);
        float[] statistics = bn.Weights.SelectMany(w => model.GetReadOnlyWeights("bn", w.Name).ToArray()).ToArray();
        var (inputs, targets) = Data("bn", model);
        model.Compile(new SGD(1f), "mse");
        double predicted = model.Evaluate(inputs, targets, batchSize: Batch, verbose: 0)["loss"];

        // The training step's loss is the inference loss (the batch's own statistics would give another).
        float[] before = model.ReadOnlyWeights.ToArray();
        double trained = model.Fit(inputs, targets, batchSize: Batch, shuffle: false, verbose: 0)["loss"][0];
        Assert.Equal(predicted, trained, 5);
        Assert.Equal(statistics, bn.Weights.SelectMany(w => model.GetReadOnlyWeights("bn", w.Name).ToArray()).ToArray());

        // The gradients through the frozen layer (conv_a below it) against central differences of the inference loss.
        double[] analytic = before.Select((w, i) => (double)w - model.ReadOnlyWeights[i]).ToArray();
        model.SetWeights(before);
        double Loss() => GradientTests.MeanSquaredError(model.Predict(inputs, Batch)[0], targets[0]);
        var probed = IndicesOf(model.Description.Weights.Where(w => !bn.Weights.Contains(w)));
        int checkedCount = 0;
        foreach (int i in probed)
        {
            double numeric = GradientTests.CentralDifference(model, i, 1e-3f, Loss);
            double tolerance = 2e-3 + (2e-2 * Math.Abs(numeric));
            if (Math.Abs(analytic[i] - numeric) > tolerance)
            {
                // A ReLU kink: the differences themselves move with the step.
                double finer = GradientTests.CentralDifference(model, i, 2.5e-4f, Loss);
                Assert.True(Math.Abs(finer - numeric) > tolerance,
                    $"{model.Description.Weights.Last(w => w.Offset <= i)}: backward {analytic[i]:G6}, finite differences {numeric:G6}");
                continue;
            }

            checkedCount++;
        }

        Assert.True(checkedCount > probed.Count * 9 / 10);
        Assert.Contains(IndicesOf(model.GetLayer("conv_a").Weights), i => Math.Abs(analytic[i]) > 1e-4);
        Assert.All(IndicesOf(bn.Weights), i => Assert.Equal(0, analytic[i]));
    }

    [Fact]
    public void Layers_mirror_Keras_model_layers_and_the_summary_counts_frozen_weights_as_non_trainable()
    {
        var model = new ConvBaseAndHead(seed: 5);
        Assert.Equal(["input_1", "conv_a", "bn", "conv_b", "global_average_pooling2d", "head_hidden", "head_out"], model.Layers.Select(l => l.Name));
        int total = model.Description.ParameterCount, state = 2 * 4;
        Assert.Equal(total - state, model.TrainableParameterCount);
        Assert.Contains($"Non-trainable params: {state:N0}", model.Summary());

        var conv = model.GetLayer("conv_b");
        conv.Trainable = false;
        Assert.False(conv.Trainable);
        Assert.Equal(["kernel", "bias"], conv.NonTrainableWeights.Select(w => w.Name));
        Assert.Equal(total - state - conv.CountParams(), model.TrainableParameterCount);
        Assert.Contains($"Trainable params: {total - state - conv.CountParams():N0}\n", model.Summary());
        Assert.Contains($"Non-trainable params: {state + conv.CountParams():N0}\n", model.Summary());

        var error = Assert.Throws<ArgumentException>(() => model.GetLayer("conv_c"));
        Assert.Contains("'conv_c'", error.Message);
        Assert.Contains("'conv_b'", error.Message); // lists the layers it has
    }

    [Fact]
    public void A_nested_model_freezes_as_one_layer_and_a_layer_inside_a_frozen_model_stays_frozen()
    {
        var model = new GraphNestedAutoencoder(seed: 6);
        var encoder = model.GetLayer("encoder");
        Assert.Equal(GraphNodeKind.Functional, encoder.Kind);
        encoder.Trainable = false;
        Assert.All(encoder.Layers, l => Assert.False(l.Trainable));
        encoder.Layers[1].Trainable = true; // Keras: a layer of a frozen model is not trained
        var frozen = IndicesOf(encoder.Weights);
        Assert.Equal(model.Description.ParameterCount - frozen.Count, model.TrainableParameterCount);

        float[] moved = Step("nested_autoencoder", model);
        Assert.All(frozen, i => Assert.Equal(0f, moved[i]));
        Assert.Contains(moved, d => d != 0);
    }

    [Fact]
    public void The_builder_freezes_a_layer_by_its_argument_and_a_nested_model_by_its_property()
    {
        var model = new BuilderFrozen(seed: 7);
        Assert.False(model.GetLayer("base").Trainable);
        Assert.False(model.GetLayer("base").GetLayer("base_dense").Trainable);
        Assert.False(model.GetLayer("frozen_dense").Trainable);
        Assert.True(model.GetLayer("out").Trainable);
        Assert.Equal(model.GetLayer("out").CountParams(), model.TrainableParameterCount);
        Assert.Equal(["base_dense", "base_bn", "frozen_dense", "base"], model.Description.FrozenLayers);

        // The generated summary already counts them so.
        Assert.Contains($"Trainable params: {model.GetLayer("out").CountParams():N0}\n", model.Description.Summary);

        float[] moved = Step("builder", model);
        var frozen = IndicesOf(model.Description.Weights.Except(model.GetLayer("out").Weights));
        Assert.All(frozen, i => Assert.Equal(0f, moved[i]));

        // Unfreezing at run time trains them (the BatchNormalization in training mode again).
        model.GetLayer("base").Trainable = true;
        Assert.True(model.GetLayer("base").GetLayer("base_bn").Trainable);
        moved = Step("builder", model);
        Assert.Contains(IndicesOf(model.GetLayer("base").GetLayer("base_dense").Weights), i => moved[i] != 0);
    }
}
