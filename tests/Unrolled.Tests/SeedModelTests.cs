using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>The tutorials' models compile, train and predict the ways the tutorials use them.</summary>
public class SeedModelTests
{
    private static float[] Uniform(int count, int seed) => Enumerable.Range(0, count).Select(i => (float)new Random(seed + i * 7919).NextDouble()).ToArray();

    [Fact]
    public void Functional_intro_trains_and_evaluates_as_the_tutorial_does()
    {
        // Keras: 64*32+32 + 32*32+32 + 32*10+10 = 3,466 parameters.
        Assert.Equal(3466, FunctionalIntro.ParameterCount);
        var model = new FunctionalIntro(seed: 1);
        Assert.Contains("Total params: 3,466", model.Summary());
        model.Compile("rmsprop", "categorical_crossentropy");
        float[] x = Uniform(1000 * 64, 1), y = Uniform(1000 * 10, 2);
        var history = model.Fit(x, y, epochs: 10, batchSize: 128, verbose: 0);
        Assert.Equal(10, history.Epochs);
        Assert.True(history["loss"][^1] < history["loss"][0]);
        var score = model.Evaluate(x, y);
        Assert.True(double.IsFinite(score["loss"]));
    }

    [Fact]
    public void News_model_fits_by_list_then_by_name_with_loss_weights_and_predicts_both_ways()
    {
        const int samples = 12;
        var random = new Random(0);
        float[] headline = Enumerable.Range(0, samples * 100).Select(_ => (float)Math.Round(random.NextDouble() * 100) / 100).ToArray();
        float[] additional = Enumerable.Range(0, samples * 5).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] headlineLabels = Enumerable.Range(0, samples).Select(i => (float)(i % 2)).ToArray();
        float[] additionalLabels = Enumerable.Range(0, samples).Select(i => (float)((i / 2) % 2)).ToArray();

        var model = new NewsHeadlines(seed: 0);
        model.Compile("rmsprop", "binary_crossentropy", lossWeights: [1f, 0.2f]);
        var byList = model.Fit(new[] { headline, additional }, new[] { headlineLabels, additionalLabels }, epochs: 50, batchSize: 32, verbose: 0);
        Assert.Equal(byList["main_output_loss"][^1] + 0.2 * byList["aux_output_loss"][^1], byList["loss"][^1], 3);
        Assert.True(byList["loss"][^1] < byList["loss"][0]);

        model.Compile("rmsprop",
            new Dictionary<string, Loss> { ["main_output"] = "binary_crossentropy", ["aux_output"] = "binary_crossentropy" },
            new Dictionary<string, float> { ["main_output"] = 1f, ["aux_output"] = 0.2f });
        var byName = model.Fit(
            new Dictionary<string, float[]> { ["main_input"] = headline, ["aux_input"] = additional },
            new Dictionary<string, float[]> { ["main_output"] = headlineLabels, ["aux_output"] = additionalLabels },
            epochs: 50, batchSize: 32, verbose: 0);
        Assert.True(byName["loss"][^1] <= byList["loss"][0]);

        var named = model.Predict(new Dictionary<string, float[]> { ["main_input"] = headline, ["aux_input"] = additional });
        var positional = model.Predict(new[] { headline, additional });
        Assert.Equal(named["main_output"], positional[0]);
        Assert.Equal(named["aux_output"], positional[1]);
        var (main, aux) = model.Predict(headline, additional);
        Assert.Equal(positional[0], main);
        Assert.Equal(positional[1], aux);
    }

    [Fact]
    public void Question_answering_model_fits_by_position_and_by_input_name()
    {
        const int samples = 256;
        var random = new Random(3);
        float[] text = Enumerable.Range(0, samples * 100).Select(_ => (float)random.Next(1, 10_000) / 10_000).ToArray();
        float[] question = Enumerable.Range(0, samples * 100).Select(_ => (float)random.Next(1, 10_000) / 10_000).ToArray();
        float[] answers = new float[samples * 500];
        for (int s = 0; s < samples; s++)
        {
            answers[s * 500 + random.Next(500)] = 1;
        }

        var model = new QuestionAnswering(seed: 2);
        Assert.Contains("answer (Dense)", model.Summary());
        model.Compile("rmsprop", "categorical_crossentropy", metrics: ["acc"]);
        var output = new StringWriter();
        model.Fit(new[] { text, question }, new[] { answers }, epochs: 2, batchSize: 128, output: output);
        Assert.Contains("acc", output.ToString());
        var history = model.Fit(new Dictionary<string, float[]> { ["text"] = text, ["question"] = question },
            new Dictionary<string, float[]> { ["answer"] = answers }, epochs: 2, batchSize: 128, verbose: 0);
        Assert.True(double.IsFinite(history["loss"][^1]));
    }
}
