using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// Keras's sample_weight and class_weight: the loss is Σ w·loss / N (sum_over_batch_size), computed here independently
/// in double from Predict's outputs; the gradient against central differences of that loss; class weights as Keras's
/// class_weight_to_sample_weights turns them into sample weights.
/// </summary>
public class SampleWeightTests
{
    private static readonly SyntheticData Data = SyntheticData.Create(12, seed: 21);

    private static readonly float[] Weights = Enumerable.Range(0, 12).Select(i => (float)(i % 4) * 0.75f).ToArray();

    private static TwoInputModel Compiled(float learningRate = 0.1f)
    {
        var model = new TwoInputModel();
        model.Compile(new SGD(learningRate), ["categorical_crossentropy", "binary_crossentropy"], metrics: ["accuracy"]);
        return model;
    }

    /// <summary>Keras's two losses per sample (probabilities clipped to [1e-7, 1 − 1e-7]), weighted and divided by N.</summary>
    private static double Reference(CompiledModel model, float[] weights)
    {
        var outputs = model.Predict(Data.X);
        const double eps = 1e-7;
        double cross = 0, binary = 0;
        for (int s = 0; s < Data.Count; s++)
        {
            double ce = 0;
            for (int c = 0; c < 3; c++)
            {
                double p = Math.Clamp(outputs[0][(s * 3) + c], eps, 1 - eps);
                ce -= Data.Class[(s * 3) + c] * Math.Log(p);
            }

            double q = Math.Clamp(outputs[1][s], eps, 1 - eps), t = Data.Flag[s];
            cross += weights[s] * ce;
            binary += weights[s] * -((t * Math.Log(q)) + ((1 - t) * Math.Log(1 - q)));
        }

        return (cross + binary) / Data.Count;
    }

    [Fact]
    public void The_weighted_loss_is_Keras_sum_over_batch_size_and_its_gradient_matches_finite_differences()
    {
        var model = Compiled();
        double expected = Reference(model, Weights);
        Assert.Equal(expected, model.Evaluate(Data.X, Data.Y, batchSize: 5, sampleWeight: Weights)["loss"], 5);
        Assert.Equal(expected, model.TestOnBatch(Data.X, Data.Y, Weights)["loss"], 5);

        // One SGD step of rate 1 on the whole batch: the weights move by minus the gradient of the weighted loss.
        var stepped = Compiled(1f);
        float[] before = stepped.ReadOnlyWeights.ToArray();
        double trained = stepped.Fit(Data.X, Data.Y, batchSize: 12, shuffle: false, verbose: 0, sampleWeight: Weights)["loss"][0];
        Assert.Equal(expected, trained, 5);
        var probe = Compiled();
        for (int i = 0; i < before.Length; i++)
        {
            double analytic = before[i] - stepped.ReadOnlyWeights[i];
            const float h = 1e-3f;
            var weights = probe.Weights;
            weights[i] = before[i] + h;
            double plus = Reference(probe, Weights);
            weights[i] = before[i] - h;
            double minus = Reference(probe, Weights);
            weights[i] = before[i];
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(analytic - numeric) < 1e-3 + (1e-2 * Math.Abs(numeric)), $"weight {i}: backward {analytic}, differences {numeric}");
        }
    }

    [Fact]
    public void Validation_split_samples_keep_their_weights_and_a_zero_weight_sample_teaches_nothing()
    {
        var model = Compiled();
        var history = model.Fit(Data.X, Data.Y, epochs: 2, batchSize: 4, shuffle: false, verbose: 0, validationSplit: 0.25, sampleWeight: Weights);
        var tail = new[] { Data.A[27..], Data.B[18..] };
        var tailTargets = new[] { Data.Class[27..], Data.Flag[9..] };
        Assert.Equal(model.Evaluate(tail, tailTargets, sampleWeight: Weights[9..])["loss"], history["val_loss"][^1], 5);

        // Weight 0 on every sample but the first two: training on those two alone, with the loss divided by all 12.
        float[] two = new float[12];
        two[0] = two[1] = 1;
        var a = Compiled();
        var b = Compiled();
        a.Fit(Data.X, Data.Y, batchSize: 12, shuffle: false, verbose: 0, sampleWeight: two);
        var firstTwo = new[] { Data.A[..6], Data.B[..4] };
        var firstTwoTargets = new[] { Data.Class[..6], Data.Flag[..2] };
        b.Compile(new SGD(0.1f * 2 / 12), ["categorical_crossentropy", "binary_crossentropy"]);
        b.Fit(firstTwo, firstTwoTargets, batchSize: 2, shuffle: false, verbose: 0);
        for (int i = 0; i < a.ReadOnlyWeights.Length; i++)
        {
            Assert.Equal(b.ReadOnlyWeights[i], a.ReadOnlyWeights[i], 5);
        }
    }

    [Fact]
    public void Class_weights_are_the_sample_weights_of_each_target_class_as_Keras_derives_them()
    {
        var classWeight = new Dictionary<int, float> { [0] = 2f, [2] = 0.25f }; // class 1 is not listed: weight 1
        float[] derived = Enumerable.Range(0, Data.Count).Select(s =>
        {
            int cls = Enumerable.Range(0, 3).MaxBy(c => Data.Class[(s * 3) + c]);
            return classWeight.TryGetValue(cls, out float w) ? w : 1f;
        }).ToArray();

        TwoInputModel OneOutput()
        {
            var model = new TwoInputModel();
            model.Compile(new SGD(0.5f), new Dictionary<string, Loss> { ["class"] = "categorical_crossentropy" });
            return model;
        }

        var byClass = OneOutput();
        var bySample = OneOutput();
        var yClass = new[] { Data.Class, null! };
        var h1 = byClass.Fit(Data.X, yClass, epochs: 2, batchSize: 5, shuffle: false, verbose: 0, classWeight: classWeight);
        var h2 = bySample.Fit(Data.X, yClass, epochs: 2, batchSize: 5, shuffle: false, verbose: 0, sampleWeight: derived);
        Assert.Equal(h2["loss"], h1["loss"]);
        Assert.Equal(bySample.ReadOnlyWeights.ToArray(), byClass.ReadOnlyWeights.ToArray());
        Assert.Contains(derived, w => w == 2f);
        Assert.Contains(derived, w => w == 0.25f);
    }

    [Fact]
    public void Validation_data_takes_its_own_sample_weights_as_Keras_third_item()
    {
        var held = SyntheticData.Create(6, seed: 22);
        float[] heldWeights = [0, 1, 2, 0.5f, 3, 1];
        var model = Compiled();
        var history = model.Fit(Data.X, Data.Y, epochs: 2, batchSize: 4, shuffle: false, verbose: 0, validationData: (held.X, held.Y),
            validationSampleWeight: heldWeights);
        Assert.Equal(model.Evaluate(held.X, held.Y, sampleWeight: heldWeights)["loss"], history["val_loss"][^1], 6);
        Assert.NotEqual(model.Evaluate(held.X, held.Y)["loss"], history["val_loss"][^1], 3);

        // Training weights do not leak into the given validation data's loss.
        var plain = Compiled();
        var trained = plain.Fit(Data.X, Data.Y, epochs: 1, batchSize: 4, shuffle: false, verbose: 0, validationData: (held.X, held.Y), sampleWeight: Weights);
        Assert.Equal(plain.Evaluate(held.X, held.Y)["loss"], trained["val_loss"][^1], 6);
    }

    [Fact]
    public void Validation_weights_without_validation_data_or_of_the_wrong_length_are_refused()
    {
        var model = Compiled();
        float[] before = model.ReadOnlyWeights.ToArray();
        var held = SyntheticData.Create(6, seed: 22);
        var alone = Assert.Throws<ArgumentException>(() => model.Fit(Data.X, Data.Y, verbose: 0, validationSampleWeight: new float[6]));
        Assert.Contains("validationData", alone.Message);
        var length = Assert.Throws<ArgumentException>(() => model.Fit(Data.X, Data.Y, verbose: 0, validationData: (held.X, held.Y),
            validationSampleWeight: new float[5]));
        Assert.Equal("validationSampleWeight", length.ParamName);
        Assert.Contains("holds 5 weights but the arrays hold 6 samples", length.Message);
        Assert.Equal(before, model.ReadOnlyWeights.ToArray());
    }

    [Fact]
    public void Bad_weights_are_refused_before_anything_trains()
    {
        var model = Compiled();
        float[] before = model.ReadOnlyWeights.ToArray();
        Assert.Throws<ArgumentException>(() => model.Fit(Data.X, Data.Y, verbose: 0, sampleWeight: new float[5]));
        Assert.Throws<ArgumentException>(() => model.Fit(Data.X, Data.Y, verbose: 0, sampleWeight: Weights.Select((w, i) => i == 3 ? -1f : w).ToArray()));
        Assert.Throws<ArgumentException>(() => model.Fit(Data.X, Data.Y, verbose: 0, sampleWeight: Weights.Select((w, i) => i == 3 ? float.NaN : w).ToArray()));
        var twoOutputs = Assert.Throws<ArgumentException>(() => model.Fit(Data.X, Data.Y, verbose: 0, classWeight: new Dictionary<int, float> { [0] = 2 }));
        Assert.Contains("single-output", twoOutputs.Message);
        Assert.Throws<ArgumentException>(() => model.Fit(Data.X, Data.Y, verbose: 0, sampleWeight: Weights, classWeight: new Dictionary<int, float> { [0] = 2 }));
        Assert.Equal(before, model.ReadOnlyWeights.ToArray());
    }
}
