using System;
using System.Linq;
using Unrolled;
using Xunit;
using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>
/// A DAG with every kind of region the prediction layout reuses: branches joined by Concatenate and Add, a Swish
/// pre-activation, Maximum's routing mask, an LSTM whose returned state is an output, and two outputs.
/// </summary>
public partial class BranchyModel
{
    [ModelBuilder]
    static Model Build()
    {
        var image = Input([6, 6, 3], name: "image");
        var stem = Conv2D(8, 3, padding: Padding.Same, activation: Activation.Relu)(image);
        var a = Conv2D(4, 1, activation: Activation.Relu)(stem);
        var b = Conv2D(4, 3, padding: Padding.Same, activation: Activation.Swish)(stem);
        var c = MaxPooling2D(3, strides: 1, padding: Padding.Same)(stem);
        var joined = Concatenate([a, b, c]);
        var residual = Add([Conv2D(16, 1)(joined), Conv2D(16, 1)(stem)]);
        var rows = Reshape([6, 96])(residual);
        var (sequence, stateH, stateC) = LSTM(5, returnSequences: true, returnState: true)(rows);
        var pooled = GlobalMaxPooling1D()(sequence);
        var mixed = Maximum([Dense(5, Activation.Swish)(pooled), stateC]);
        var output = Dense(3, Activation.Tanh, name: "score")(mixed);
        return new Model(image, [output, stateH]);
    }
}

/// <summary>An LSTM whose returned state is an output while its sequence feeds another branch: the LSTM's other
/// regions sit beside the output port, and their gradients are zeroed at the start of each backward pass.</summary>
public partial class StateAndSequence
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([4, 3]);
        var (sequence, stateH, stateC) = LSTM(3, returnSequences: true, returnState: true)(x);
        var pooled = Dense(2)(GlobalMaxPooling1D()(sequence));
        return new Model(x, [pooled, stateH]);
    }
}

public class PredictionLayoutTests
{
    [Fact]
    public void A_second_training_step_does_not_see_the_first_steps_gradients()
    {
        // With SGD at rate 1 a step's weight change is minus the gradient; the same batch twice must give the same
        // gradient, which fails if a gradient region beside an output port keeps the previous step's values.
        var model = new StateAndSequence(seed: 6);
        float[] x = GradientTests.Random(5 * 4 * 3, 7);
        float[][] targets = [GradientTests.Random(5 * 2, 8), GradientTests.Random(5 * 3, 9)];
        model.Compile(new SGD(learningRate: 1f), new Loss[] { "mse", "mse" });
        double[] Step() => GradientTests.AnalyticGradient(model, () =>
        {
            model.Fit([x], targets, batchSize: 5, shuffle: false, verbose: 0);
            return 0f;
        });

        double[] first = Step();
        Assert.Contains(first, g => g != 0);
        Assert.Equal(first, Step());
    }

    [Fact]
    public void The_prediction_workspace_is_smaller_and_predicts_what_the_training_layout_computes()
    {
        var model = new BranchyModel(seed: 3);
        Assert.True(model.Description.PredictActivationSize < model.Description.ActivationSize,
            $"{model.Description.PredictActivationSize} vs {model.Description.ActivationSize}");
        var random = new Random(5);
        const int samples = 10;
        float[] x = Enumerable.Range(0, samples * 6 * 6 * 3).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();

        // Predict runs over the reusing layout; Evaluate runs the same forward pass over the training layout. With the
        // predictions as targets the mean squared error is zero only if both layouts computed the same outputs.
        var (score, state) = model.Predict(x);
        model.Compile("sgd", new Loss[] { "mse", "mse" });
        var evaluation = model.Evaluate([x], [score, state], batchSize: 4);
        Assert.Equal(0.0, evaluation["loss"], 12);

        // And a perturbed target shows the check can fail.
        state[0] += 0.5f;
        Assert.True(model.Evaluate([x], [score, state], batchSize: 4)["loss"] > 1e-4);
    }

    [Fact]
    public void A_convolutional_model_keeps_its_convolution_scratch_once_not_per_sample()
    {
        // SmallConvNet has only fixed-shape convolutions: no scratch per sample, a fixed part that is the largest
        // kernel bound, and the answers of a 200-sample batch still match one-sample calls (to rounding).
        var model = new SmallConvNet(seed: 2);
        Assert.Equal(0, model.Description.ScratchSize);
        Assert.True(model.Description.FixedScratchSize > 0);
        float[] images = GradientTests.Random(200 * 6 * 7 * 2, 9);
        float[] all = model.Predict([images], batchSize: 200)[0];
        var one = new float[2];
        for (int s = 0; s < 200; s += 37)
        {
            model.Predict(images.AsSpan(s * 84, 84), one, 1);
            // Batch 200 and batch 1 take different tiles, so the sums may differ in the last bit.
            Assert.Equal(all[s * 2], one[0], 5);
            Assert.Equal(all[(s * 2) + 1], one[1], 5);
        }
    }
}

/// <summary>One value in, 1024 out: an output far larger than its input, for the array <c>Predict</c>'s size check.</summary>
public partial class WideningModel
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([1], name: "x");
        return new Model(x, Dense(1024, name: "wide")(x));
    }
}

/// <summary>Generated array <c>Predict</c>: samples × output size must never wrap around into a wrong-sized array.</summary>
public class GeneratedPredictSizeTests
{
    [Fact]
    public void An_output_too_large_for_an_array_is_refused_naming_it_before_anything_runs()
    {
        var model = new WideningModel(seed: 1);
        int samples = (Array.MaxLength / WideningModel.WideSize) + 1;   // 8 MB of input, 2^31 floats of output
        var error = Assert.Throws<ArgumentException>(() => model.Predict(new float[samples]));
        Assert.Equal("x", error.ParamName);
        Assert.Contains("'wide'", error.Message);
        Assert.Contains($"{(long)samples * WideningModel.WideSize} floats", error.Message);
        Assert.Contains($"Predict at most {Array.MaxLength / WideningModel.WideSize} samples", error.Message);
        Assert.Equal(3 * 1024, model.Predict(new float[3]).Length);
    }
}
