using System;
using System.Collections.Generic;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>Bad arguments throw <see cref="ArgumentException"/>s that name the tensor and the sizes, before any weight changes.</summary>
public class ValidationTests
{
    private readonly SyntheticData _data = SyntheticData.Create(20, seed: 1);

    private static TwoInputModel Compiled(Loss? classLoss = null)
    {
        var model = new TwoInputModel();
        model.Compile(new SGD(0.5f), [classLoss ?? "categorical_crossentropy", "binary_crossentropy"]);
        return model;
    }

    [Fact]
    public void InputNotAWholeNumberOfSamples()
    {
        var model = Compiled();
        var ex = AssertRejected(model, m => m.Fit([_data.A[..^1], _data.B], _data.Y, verbose: 0));
        Assert.Contains("input 'a'", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("3 values per sample", ex.Message);
        Assert.Contains("59", ex.Message);
    }

    [Fact]
    public void InputsWithDifferentSampleCounts()
    {
        var ex = AssertRejected(Compiled(), m => m.Fit([_data.A, _data.B[..^2]], _data.Y, verbose: 0));
        Assert.Contains("input 'b'", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("19 samples", ex.Message);
        Assert.Contains("input 'a' holds 20", ex.Message);
    }

    [Fact]
    public void TargetWithWrongSize()
    {
        var ex = AssertRejected(Compiled(), m => m.Fit(_data.X, [_data.Class, new float[19]], verbose: 0));
        Assert.Contains("output 'flag'", ex.Message);
        Assert.Contains("19 samples", ex.Message);
        Assert.Equal("y", ex.ParamName);
    }

    [Fact]
    public void UnknownAndMissingNames()
    {
        var model = Compiled();
        var unknown = AssertRejected(model, m => m.Fit(
            new Dictionary<string, float[]> { ["a"] = _data.A, ["c"] = _data.B },
            new Dictionary<string, float[]> { ["class"] = _data.Class, ["flag"] = _data.Flag }, verbose: 0));
        Assert.Contains("'c'", unknown.Message);
        Assert.Contains("'a', 'b'", unknown.Message);

        var missing = AssertRejected(model, m => m.Fit(
            new Dictionary<string, float[]> { ["a"] = _data.A },
            new Dictionary<string, float[]> { ["class"] = _data.Class, ["flag"] = _data.Flag }, verbose: 0));
        Assert.Contains("input 'b'", missing.Message);

        var missingTarget = AssertRejected(model, m => m.Fit(
            new Dictionary<string, float[]> { ["a"] = _data.A, ["b"] = _data.B },
            new Dictionary<string, float[]> { ["class"] = _data.Class }, verbose: 0));
        Assert.Contains("output 'flag'", missingTarget.Message);

        var badOutput = AssertRejected(model, m => m.Evaluate(
            new Dictionary<string, float[]> { ["a"] = _data.A, ["b"] = _data.B },
            new Dictionary<string, float[]> { ["class"] = _data.Class, ["flags"] = _data.Flag }));
        Assert.Contains("'flags'", badOutput.Message);
        Assert.Contains("'class', 'flag'", badOutput.Message);
    }

    [Fact]
    public void WrongArrayCounts()
    {
        var ex = AssertRejected(Compiled(), m => m.Fit([_data.A], _data.Y, verbose: 0));
        Assert.Contains("2 inputs", ex.Message);
        var single = AssertRejected(Compiled(), m => m.Fit(_data.A, _data.Flag, verbose: 0));
        Assert.Contains("one input", single.Message);
    }

    [Fact]
    public void SparseLabelOutOfRangeNamesOutputSampleAndValue()
    {
        var labels = new float[20];
        labels[13] = 3;
        var ex = AssertRejected(Compiled("sparse_categorical_crossentropy"), m => m.Fit(_data.X, [labels, _data.Flag], verbose: 0));
        Assert.Contains("'class'", ex.Message);
        Assert.Contains("sample 13", ex.Message);
        Assert.Contains(" 3 ", ex.Message);

        labels[13] = 1.5f;
        Assert.Contains("1.5", AssertRejected(Compiled("sparse_categorical_crossentropy"), m => m.Fit(_data.X, [labels, _data.Flag], verbose: 0)).Message);
    }

    [Fact]
    public void BadOptions()
    {
        AssertRejected(Compiled(), m => m.Fit(_data.X, _data.Y, epochs: 0, verbose: 0));
        AssertRejected(Compiled(), m => m.Fit(_data.X, _data.Y, batchSize: 0, verbose: 0));
        AssertRejected(Compiled(), m => m.Fit(_data.X, _data.Y, validationSplit: 1, verbose: 0));
        AssertRejected(Compiled(), m => m.Fit(_data.X, _data.Y, validationSplit: -0.1, verbose: 0));
        // Keras splits at floor(n · (1 − split)): 20 samples leave none to train on at 0.99, none to validate at 1e-20.
        Assert.Contains("20 samples", AssertRejected(Compiled(), m => m.Fit(_data.X, _data.Y, validationSplit: 0.99, verbose: 0)).Message);
        AssertRejected(Compiled(), m => m.Fit(_data.X, _data.Y, validationSplit: 1e-20, verbose: 0));
        AssertRejected(Compiled(), m => m.Fit(_data.X, _data.Y, verbose: 3));
    }

    [Fact]
    public void TypedTrainOnBatchChecksTargetsBeforeTraining()
    {
        var model = Compiled();
        float[] before = model.Weights.ToArray();
        var ex = Assert.Throws<ArgumentException>(() => model.TrainOnBatch(_data.A, _data.B, _data.Class, new float[19], 20));
        Assert.Equal("flagTarget", ex.ParamName);
        Assert.Contains("output 'flag'", ex.Message);
        Assert.Contains("20", ex.Message);
        Assert.Contains("19", ex.Message);
        Assert.Equal(before, model.Weights.ToArray());
        // The guard was released: the next call works.
        model.TrainOnBatch(_data.A, _data.B, _data.Class, _data.Flag, 20);
        Assert.NotEqual(before, model.Weights.ToArray());
    }

    [Fact]
    public void CompileRejectsWrongCountsNamesAndMetrics()
    {
        var model = new TwoInputModel();
        var count = Assert.Throws<ArgumentException>(() => model.Compile("adam", new Loss[] { "mse" }));
        Assert.Contains("'class', 'flag'", count.Message);
        var name = Assert.Throws<ArgumentException>(() => model.Compile("adam", new Dictionary<string, Loss> { ["klass"] = "mse" }));
        Assert.Contains("'klass'", name.Message);
        Assert.Contains("'class', 'flag'", name.Message);
        var weights = Assert.Throws<ArgumentException>(() => model.Compile("adam", "mse", lossWeights: [1f]));
        Assert.Contains("2 outputs", weights.Message);
        var metric = Assert.Throws<ArgumentException>(() => model.Compile("adam", "mse", metrics: ["auroc"]));
        Assert.Contains("'auroc'", metric.Message);
        Assert.Contains("'accuracy'", metric.Message);
        Assert.Throws<InvalidOperationException>(() => model.Fit(_data.X, _data.Y, verbose: 0));
    }

    [Fact]
    public void DictionaryCompileMayLeaveAnOutputUntrained()
    {
        var model = new TwoInputModel();
        model.Compile(new SGD(0.5f), new Dictionary<string, Loss> { ["class"] = "categorical_crossentropy" }, metrics: ["accuracy"]);
        float[] before = model.Weights.ToArray();
        History history = model.Fit(new Dictionary<string, float[]> { ["a"] = _data.A, ["b"] = _data.B },
            new Dictionary<string, float[]> { ["class"] = _data.Class }, epochs: 2, verbose: 0);
        Assert.Equal(new[] { "loss", "class_loss", "class_accuracy" }, history.Values.Keys);
        float[] after = model.Weights.ToArray();
        Assert.Equal(before[18..], after[18..]); // the flag head got no gradient
        Assert.NotEqual(before[..18], after[..18]);
    }

    [Fact]
    public void AnOptimizerBelongsToOneModel()
    {
        var adam = new Adam();
        new TwoInputModel().Compile(adam, "mse");
        var ex = Assert.Throws<ArgumentException>(() => new TwoInputModel().Compile(adam, "mse"));
        Assert.Contains("another model", ex.Message);
    }

    private static ArgumentException AssertRejected(TwoInputModel model, Action<TwoInputModel> call)
    {
        float[] before = model.Weights.ToArray();
        long iterations = model.Optimizer?.Iterations ?? 0;
        var ex = Assert.ThrowsAny<ArgumentException>(() => call(model));
        Assert.Equal(before, model.Weights.ToArray());
        Assert.Equal(iterations, model.Optimizer?.Iterations ?? 0);
        Assert.Equal(0, model.ForwardCalls);
        return ex;
    }
}
