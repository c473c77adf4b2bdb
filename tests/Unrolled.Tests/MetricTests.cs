using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace Unrolled.Tests;

/// <summary>scikit-learn (tests/sklearn/metrics.py), when installed.</summary>
internal static class ScikitLearn
{
    private static readonly Lazy<string?> s_missing = new(() => Peer.PythonImports("sklearn")
        ? null
        : $"scikit-learn is not installed: {Peer.Python} cannot import sklearn (apt-get install python3-sklearn)");

    /// <summary>Skips the test when scikit-learn is missing (fails it under UNROLLED_REQUIRE_SKLEARN=1).</summary>
    public static void Require() => Peer.Require(s_missing.Value, "UNROLLED_REQUIRE_SKLEARN");
}

/// <summary>
/// Keras's metrics on a model's predictions, against scikit-learn on the same predictions (AUC, precision, recall, F1,
/// R²) and against formulas written out here (the accuracies, the errors); names as Keras logs them with several outputs
/// and per output.
/// </summary>
public class MetricTests
{
    /// <summary>A classifier's predictions spread over [0, 1] (a seeded, untrained model is too sure of nothing).</summary>
    private static (float[] Predictions, float[] Targets, int Rows) Classes()
    {
        const int rows = 300, cols = 4;
        var random = new Random(5);
        var p = new float[rows * cols];
        var t = new float[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            int truth = random.Next(cols);
            t[(r * cols) + truth] = 1;
            double sum = 0;
            for (int c = 0; c < cols; c++)
            {
                double score = Math.Exp((random.NextDouble() * 2) + (c == truth ? 1.2 : 0));
                p[(r * cols) + c] = (float)score;
                sum += score;
            }

            for (int c = 0; c < cols; c++)
            {
                p[(r * cols) + c] = (float)(p[(r * cols) + c] / sum);
            }
        }

        return (p, t, rows);
    }

    private static double Evaluate(Metric metric, float[] p, float[] t, int rows, Loss? loss = null, float[]? weights = null)
    {
        var state = metric.Create(loss ?? new CategoricalCrossentropy(), p.Length / rows);
        // In three uneven batches, as an epoch feeds them.
        int cols = p.Length / rows, width = t.Length / rows;
        foreach (var (start, count) in new[] { (0, 7), (7, 150), (157, rows - 157) })
        {
            state.Update(p.AsSpan(start * cols, count * cols), t.AsSpan(start * width, count * width), count, cols,
                weights is null ? default : weights.AsSpan(start, count));
        }

        return state.Result();
    }

    /// <summary>Sample weights over [0, 3), some 0, as a weighted metric sees them.</summary>
    private static float[] Weights(int rows)
    {
        var random = new Random(9);
        return Enumerable.Range(0, rows).Select(r => r % 7 == 0 ? 0f : (float)(random.NextDouble() * 3)).ToArray();
    }

    [SkippableFact]
    public void Confusion_metrics_and_r2_match_scikit_learn_on_the_same_predictions()
    {
        ScikitLearn.Require();
        var (p, t, rows) = Classes();
        string file = Path.Combine(Path.GetTempPath(), $"unrolled-metrics-{Guid.NewGuid():N}.json");
        int cols = p.Length / rows;
        File.WriteAllText(file, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["predictions"] = Enumerable.Range(0, rows).Select(r => p.Skip(r * cols).Take(cols).Select(v => (double)v).ToArray()).ToArray(),
            ["targets"] = Enumerable.Range(0, rows).Select(r => t.Skip(r * cols).Take(cols).Select(v => (double)v).ToArray()).ToArray(),
            ["weights"] = Weights(rows).Select(v => (double)v).ToArray(),
        }));
        try
        {
            var (code, printed, error) = ExternalProcess.Run(Peer.Python, $"\"{RepositoryFiles.Find("tests/sklearn/metrics.py")}\" \"{file}\"");
            Assert.True(code == 0, error);
            var sk = JsonDocument.Parse(printed).RootElement;
            double Sk(string name) => sk.GetProperty(name).GetDouble();

            Assert.Equal(Sk("precision"), Evaluate(new Precision(), p, t, rows), 9);
            Assert.Equal(Sk("recall"), Evaluate(new Recall(), p, t, rows), 9);
            Assert.Equal(Sk("f1_macro"), Evaluate(new F1Score(), p, t, rows), 9);
            Assert.Equal(Sk("f1_micro"), Evaluate(new F1Score(F1Average.Micro), p, t, rows), 9);
            Assert.Equal(Sk("f1_weighted"), Evaluate(new F1Score(F1Average.Weighted), p, t, rows), 9);
            Assert.Equal(Sk("r2"), Evaluate(new R2Score(), p, t, rows), 6);

            // Keras's AUC approximates the area from 200 thresholds: within 0.005 of the exact one here, and closer with more.
            double exact = Sk("roc_auc");
            Assert.Equal(exact, Evaluate(new AUC(), p, t, rows), 2);
            Assert.True(Math.Abs(exact - Evaluate(new AUC(numThresholds: 2000), p, t, rows)) < Math.Max(Math.Abs(exact - Evaluate(new AUC(), p, t, rows)), 1e-4));
            Assert.Equal(Sk("pr_auc"), Evaluate(new AUC(curve: AucCurve.PR), p, t, rows), 1);

            // Keras's weighted_metrics: the same metrics with each row counted by its sample weight.
            var w = Weights(rows);
            Assert.Equal(Sk("precision_weighted"), Evaluate(new Precision(), p, t, rows, weights: w), 9);
            Assert.Equal(Sk("recall_weighted"), Evaluate(new Recall(), p, t, rows, weights: w), 9);
            Assert.Equal(Sk("f1_macro_weighted"), Evaluate(new F1Score(), p, t, rows, weights: w), 9);
            Assert.Equal(Sk("f1_micro_weighted"), Evaluate(new F1Score(F1Average.Micro), p, t, rows, weights: w), 9);
            Assert.Equal(Sk("f1_weighted_weighted"), Evaluate(new F1Score(F1Average.Weighted), p, t, rows, weights: w), 9);
            Assert.Equal(Sk("r2_weighted"), Evaluate(new R2Score(), p, t, rows, weights: w), 6);
            Assert.Equal(Sk("roc_auc_weighted"), Evaluate(new AUC(), p, t, rows, weights: w), 2);
            Assert.NotEqual(Evaluate(new Precision(), p, t, rows), Evaluate(new Precision(), p, t, rows, weights: w), 6);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Accuracies_and_errors_match_their_formulas()
    {
        var (p, t, rows) = Classes();
        int cols = 4;
        int ArgMax(float[] a, int r) => Enumerable.Range(0, cols).MaxBy(c => a[(r * cols) + c]);
        double categorical = Enumerable.Range(0, rows).Average(r => ArgMax(p, r) == ArgMax(t, r) ? 1.0 : 0.0);
        Assert.Equal(categorical, Evaluate("accuracy", p, t, rows), 12);
        Assert.Equal(categorical, Evaluate("categorical_accuracy", p, t, rows), 12);
        double top2 = Enumerable.Range(0, rows).Average(r =>
            Enumerable.Range(0, cols).Count(c => p[(r * cols) + c] > p[(r * cols) + ArgMax(t, r)]) < 2 ? 1.0 : 0.0);
        Assert.Equal(top2, Evaluate(new TopKCategoricalAccuracy(k: 2), p, t, rows), 12);
        Assert.True(top2 > categorical);

        float[] sparse = Enumerable.Range(0, rows).Select(r => (float)ArgMax(t, r)).ToArray();
        var sparseLoss = new SparseCategoricalCrossentropy();
        Assert.Equal(categorical, Evaluate("sparse_categorical_accuracy", p, sparse, rows, sparseLoss), 12);
        Assert.Equal(top2, Evaluate(new SparseTopKCategoricalAccuracy(k: 2), p, sparse, rows, sparseLoss), 12);

        double mae = p.Zip(t).Average(z => Math.Abs(z.First - z.Second));
        double mse = p.Zip(t).Average(z => Math.Pow(z.First - z.Second, 2));
        Assert.Equal(mae, Evaluate("mae", p, t, rows), 6);
        Assert.Equal(mse, Evaluate("mse", p, t, rows), 6);
        Assert.Equal(Math.Sqrt(mse), Evaluate("rmse", p, t, rows), 6);
        double mape = 100 * p.Zip(t).Average(z => Math.Abs(z.Second - z.First) / Math.Max(Math.Abs(z.Second), 1e-7f));
        Assert.Equal(1, Evaluate("mape", p, t, rows) / mape, 6); // zero targets make it huge: compared relatively
        double binary = p.Zip(t).Average(z => (z.First > 0.3f ? 1f : 0f) == z.Second ? 1.0 : 0.0);
        Assert.Equal(binary, Evaluate(new BinaryAccuracy(threshold: 0.3f), p, t, rows), 12);
    }

    [Fact]
    public void Metrics_per_output_are_logged_under_Keras_names()
    {
        var data = new Random(3);
        var model = new TwoHeads(seed: 2);
        model.Compile("adam", ["categorical_crossentropy", "binary_crossentropy"], metrics: ["accuracy"],
            metricsByOutput: new Dictionary<string, Metric[]> { ["flag"] = ["auc", new Precision(name: "p")] });
        int batch = 16;
        float[] features = GradientTests.Random(batch * 8, 4), extra = GradientTests.Random(batch * 4, 5);
        float[] category = new float[batch * 4], flag = new float[batch];
        for (int b = 0; b < batch; b++)
        {
            category[(b * 4) + data.Next(4)] = 1;
            flag[b] = data.Next(2);
        }

        var history = model.Fit([features, extra], [category, flag], epochs: 1, batchSize: 8, verbose: 0, validationSplit: 0.25);
        string outputs = string.Join(",", model.Description.Outputs.Select(o => o.Name));
        Assert.Equal("category,flag", outputs);
        Assert.Contains("flag_auc", history.Values.Keys);
        Assert.Contains("val_flag_auc", history.Values.Keys);
        Assert.Contains("flag_p", history.Values.Keys);
        Assert.Contains("category_accuracy", history.Values.Keys);
        Assert.DoesNotContain("category_auc", history.Values.Keys);

        var twice = Assert.Throws<ArgumentException>(() => model.Compile("adam", ["categorical_crossentropy", "binary_crossentropy"],
            metrics: ["auc"], metricsByOutput: new Dictionary<string, Metric[]> { ["flag"] = ["auc"] }));
        Assert.Contains("twice", twice.Message);
        Assert.Throws<ArgumentException>(() => model.Compile("adam", ["categorical_crossentropy", "binary_crossentropy"], metrics: ["auroc"]));
        Assert.Throws<ArgumentException>(() => model.Compile("adam", ["categorical_crossentropy", "binary_crossentropy"],
            metricsByOutput: new Dictionary<string, Metric[]> { ["nope"] = ["auc"] }));
    }

    [Fact]
    public void Weighted_metrics_count_each_sample_by_its_weight_under_Keras_names()
    {
        var data = new Random(4);
        var model = new TwoHeads(seed: 3);
        model.Compile("adam", ["categorical_crossentropy", "binary_crossentropy"], metrics: ["accuracy"],
            weightedMetrics: ["accuracy", "mae"]);
        int batch = 24;
        float[] features = GradientTests.Random(batch * 8, 6), extra = GradientTests.Random(batch * 4, 7);
        float[] category = new float[batch * 4], flag = new float[batch];
        for (int b = 0; b < batch; b++)
        {
            category[(b * 4) + data.Next(4)] = 1;
            flag[b] = data.Next(2);
        }

        float[] weights = Enumerable.Range(0, batch).Select(b => b % 3 == 0 ? 3f : (float)(b % 2)).ToArray();
        var results = model.Evaluate([features, extra], [category, flag], batchSize: 10, sampleWeight: weights);

        // Keras's CompileMetrics.result: the weighted accuracy shares its name with an unweighted one, so it is prefixed.
        Assert.Equal(["loss", "category_loss", "flag_loss", "category_accuracy", "category_weighted_accuracy", "category_mae",
            "flag_accuracy", "flag_weighted_accuracy", "flag_mae"], results.Keys);

        var p = model.Predict([features, extra], batchSize: 24);
        int ArgMax(float[] a, int r) => Enumerable.Range(0, 4).MaxBy(c => a[(r * 4) + c]);
        double correct = 0, weightedCorrect = 0, weightedError = 0;
        for (int b = 0; b < batch; b++)
        {
            double hit = ArgMax(p[0], b) == ArgMax(category, b) ? 1 : 0;
            correct += hit;
            weightedCorrect += weights[b] * hit;
            weightedError += weights[b] * Enumerable.Range(0, 4).Average(c => Math.Abs(p[0][(b * 4) + c] - category[(b * 4) + c]));
        }

        Assert.Equal(correct / batch, results["category_accuracy"], 6);
        Assert.Equal(weightedCorrect / weights.Sum(), results["category_weighted_accuracy"], 6);
        Assert.Equal(weightedError / weights.Sum(), results["category_mae"], 6);
        Assert.NotEqual(results["category_accuracy"], results["category_weighted_accuracy"], 6);

        // Without weights a weighted metric is the unweighted one; Fit logs them too, with val_.
        var plain = model.Evaluate([features, extra], [category, flag], batchSize: 10);
        Assert.Equal(plain["category_accuracy"], plain["category_weighted_accuracy"], 12);
        var history = model.Fit([features, extra], [category, flag], epochs: 1, batchSize: 8, verbose: 0, validationSplit: 0.25, sampleWeight: weights);
        Assert.Contains("val_flag_weighted_accuracy", history.Values.Keys);
    }
}
