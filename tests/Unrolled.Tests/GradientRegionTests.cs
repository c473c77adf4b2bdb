using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;
using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>One step of 8 features whose flattened view is also the LSTM's initial state: the sequence's gradient and the
/// initial state's are the same floats, so the LSTM must add to them, not write over them.</summary>
public partial class ViewAsInitialStateModel
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([1, 5], name: "x");
        var c0 = Input([8], name: "c0");
        var m = Dense(8, Activation.Tanh, name: "projected")(x);
        var h = LSTM(8, name: "lstm")(m, initialState: [Flatten(name: "state")(m), c0]);
        return new Model([x, c0], Dense(2, name: "out")(h));
    }
}

/// <summary>
/// The backward pass reads no gradient it has not written or cleared in the same step. Gradient regions are reused
/// between nodes and steps, and the generated pass skips clearing some of them: a region whose first writer writes it
/// whole (a recurrent layer's input gradient, <c>LayerRule.OverwritesInputGradient</c>) and regions nothing reads (a
/// recurrent layer's cache, <c>LayerRule.TemporaryHasGradient</c>). Every model of the catalogue takes a step, then a
/// second one with every activation gradient poisoned with NaN beforehand; it must move exactly as the same model
/// whose buffers hold only what its first step left.
/// </summary>
public class GradientRegionTests
{
    /// <summary>Models besides the catalogue's: recurrent dropout, whose kernels add each gate's part of the input gradient.</summary>
    private static readonly Dictionary<string, Func<CompiledModel>> s_more = new()
    {
        ["state_dropout"] = () => new StateDropoutGradientModel(seed: 18),
        ["recurrent_state_dropout"] = () => new RecurrentStateDropoutModel(seed: 5),
    };

    public static IEnumerable<object[]> Models => FreezingTests.Models.Concat(s_more.Keys.Select(k => new object[] { k }));

    [Theory]
    [MemberData(nameof(Models))]
    public void A_step_reads_no_gradient_it_did_not_write(string name)
    {
        var make = s_more.TryGetValue(name, out var more) ? more : OnnxExportTests.s_models[name];
        var poisoned = OnnxExportTests.Randomized(make());
        var clean = OnnxExportTests.Randomized(make());
        if (poisoned.Description.ParameterCount == 0)
        {
            return;
        }

        var (inputs, targets) = FreezingTests.Data(name, poisoned);
        foreach (var model in new[] { poisoned, clean })
        {
            model.Compile(new SGD(0.1f), "mse");
            model.Fit(inputs, targets, batchSize: 3, shuffle: false, verbose: 0);
        }

        poisoned.TrainingWorkspace!.Gradients.AsSpan().Fill(float.NaN);
        foreach (var model in new[] { poisoned, clean })
        {
            model.Fit(inputs, targets, batchSize: 3, shuffle: false, verbose: 0);
        }

        Assert.Equal(clean.ReadOnlyWeights.ToArray(), poisoned.ReadOnlyWeights.ToArray());
    }

    [Fact]
    public void A_layer_that_reads_its_input_again_through_a_view_adds_to_its_gradient()
    {
        var model = new ViewAsInitialStateModel(seed: 6);
        const int batch = 3;
        float[][] inputs = [GradientTests.Random(batch * 5, 301), GradientTests.Random(batch * 8, 302)];
        float[][] targets = [GradientTests.Random(batch * 2, 303)];
        GradientTests.AssertTrainingGradientMatchesFiniteDifferences(model, () => new ViewAsInitialStateModel(seed: 6), inputs, targets, batch);
    }
}
