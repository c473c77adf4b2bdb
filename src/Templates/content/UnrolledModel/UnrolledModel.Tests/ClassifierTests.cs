using Unrolled;
using Xunit;

namespace UnrolledModel.Tests;

public class ClassifierTests
{
    [Fact]
    public void Has_the_parameters_Keras_would_count()
    {
        // Dense 8→32 (8·32 + 32) and Dense 32→3 (32·3 + 3).
        Assert.Equal(8 * 32 + 32 + 32 * 3 + 3, Classifier.ParameterCount);
        Assert.Contains("Total params: 387", new Classifier(seed: 1).Summary());
    }

    [Fact]
    public void Predicts_a_probability_distribution_per_sample()
    {
        var model = new Classifier(seed: 1);
        var (x, _) = SyntheticData.Make(samples: 4, seed: 3);
        var probabilities = new float[4 * Classifier.ClassesSize];
        model.Predict(x, probabilities, batchSize: 4);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(1f, probabilities.AsSpan(i * 3, 3).ToArray().Sum(), 4);
        }
    }

    [Fact]
    public void Training_lowers_the_loss_and_learns_the_clusters()
    {
        var (x, y) = SyntheticData.Make(samples: 600, seed: 1);
        var model = new Classifier(seed: 1);
        model.Compile(new Adam(learningRate: 0.01f), new CategoricalCrossentropy(), metrics: ["accuracy"]);
        var before = model.Evaluate(x, y)["loss"];
        model.Fit(x, y, epochs: 5, batchSize: 32);
        var after = model.Evaluate(x, y);
        Assert.True(after["loss"] < before / 2, $"loss {before} → {after["loss"]}");
        Assert.True(after["accuracy"] > 0.9, $"accuracy {after["accuracy"]}");
    }

    [Fact]
    public void Saved_weights_load_into_a_fresh_model_exactly()
    {
        var trained = new Classifier(seed: 1);
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".weights");
        try
        {
            trained.SaveWeights(path);
            var loaded = new Classifier(seed: 2);
            loaded.LoadWeights(path);
            Assert.Equal(trained.ReadOnlyWeights.ToArray(), loaded.ReadOnlyWeights.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
