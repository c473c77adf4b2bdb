using System;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// Batch sizes and other counts at the edges: a batch larger than the data is clamped to the data as Keras does, a
/// non-positive one is refused by name, and a size too large for one array is refused with the figures, never a NaN
/// loss, a negative value count or a bare <see cref="OverflowException"/>.
/// </summary>
public class BatchSizeTests
{
    private static readonly Loss[] Losses = ["categorical_crossentropy", "binary_crossentropy"];

    private static TwoInputModel Compiled()
    {
        var model = new TwoInputModel(seed: 7);
        model.Compile(new SGD(0.5f, momentum: 0.5f), Losses, metrics: ["accuracy"]);
        return model;
    }

    [Theory]
    [InlineData(5)]
    [InlineData(int.MaxValue - 1)]
    [InlineData(int.MaxValue)]
    public void A_batch_larger_than_the_data_is_clamped_to_the_data(int batchSize)
    {
        // Keras: fit(x, y, batch_size=n) on fewer than n samples trains on one batch of all of them.
        var data = SyntheticData.Create(4, seed: 6);
        var reference = Compiled();
        History expected = reference.Fit(data.X, data.Y, epochs: 3, batchSize: 4, seed: 2, verbose: 0);
        var model = Compiled();
        float[] initial = model.Weights.ToArray();
        History actual = model.Fit(data.X, data.Y, epochs: 3, batchSize: batchSize, seed: 2, verbose: 0);

        Assert.All(actual["loss"], loss => Assert.True(double.IsFinite(loss), $"loss {loss}"));
        Assert.Equal(expected["loss"], actual["loss"]);
        Assert.Equal(expected["class_accuracy"], actual["class_accuracy"]);
        Assert.NotEqual(initial, model.Weights.ToArray());
        Assert.Equal(reference.Weights.ToArray(), model.Weights.ToArray());

        var scores = model.Evaluate(data.X, data.Y, batchSize: batchSize);
        Assert.Equal(reference.Evaluate(data.X, data.Y, batchSize: 4), scores);
        Assert.True(double.IsFinite(scores["loss"]));
        float[][] predicted = model.Predict(data.X, batchSize: batchSize);
        float[][] predictedByReference = reference.Predict(data.X, batchSize: 4);
        Assert.Equal(predictedByReference[0], predicted[0]);
        Assert.Equal(predictedByReference[1], predicted[1]);
    }

    [Fact]
    public void A_huge_batch_with_a_validation_split_is_clamped_to_each_part()
    {
        // 10 samples, validationSplit 0.2: 8 to train on in one batch, the last 2 validated in one batch.
        var data = SyntheticData.Create(10, seed: 8);
        var reference = Compiled();
        History expected = reference.Fit(data.X, data.Y, epochs: 2, batchSize: 8, validationSplit: 0.2, seed: 3, verbose: 0);
        var model = Compiled();
        History actual = model.Fit(data.X, data.Y, epochs: 2, batchSize: int.MaxValue, validationSplit: 0.2, seed: 3, verbose: 0);
        Assert.All(actual["val_loss"], loss => Assert.True(double.IsFinite(loss), $"val_loss {loss}"));
        Assert.Equal(expected["loss"], actual["loss"]);
        Assert.Equal(expected["val_loss"], actual["val_loss"]);
        Assert.Equal(reference.Weights.ToArray(), model.Weights.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void A_non_positive_batch_size_is_refused_by_name_everywhere(int batchSize)
    {
        var data = SyntheticData.Create(4, seed: 9);
        var model = Compiled();
        float[] before = model.Weights.ToArray();
        AssertBatchSizeRefused(batchSize, () => model.Fit(data.X, data.Y, batchSize: batchSize, verbose: 0));
        AssertBatchSizeRefused(batchSize, () => model.Evaluate(data.X, data.Y, batchSize: batchSize));
        AssertBatchSizeRefused(batchSize, () => model.Predict(data.X, batchSize: batchSize));
        AssertBatchSizeRefused(batchSize, () => model.Reserve(batchSize));
        // What generated TrainOnBatch and Predict do first: check the spans' lengths against the batch size.
        AssertBatchSizeRefused(batchSize, () => model.TrainOnBatch(data.A, data.B, data.Class, data.Flag, batchSize));
        AssertBatchSizeRefused(batchSize, () => model.TrainOnBatch([], [], [], [], batchSize));
        Assert.Equal(before, model.Weights.ToArray());
        Assert.Equal(0, model.ForwardCalls);
        model.Fit(data.X, data.Y, batchSize: 2, verbose: 0); // nothing was left busy
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Non_positive_epochs_are_refused_by_name(int epochs)
    {
        var data = SyntheticData.Create(4, seed: 10);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Compiled().Fit(data.X, data.Y, epochs: epochs, verbose: 0));
        Assert.Equal("epochs", ex.ParamName);
        Assert.Equal(epochs, ex.ActualValue);
    }

    [Fact]
    public void Other_options_out_of_range_are_refused_by_name()
    {
        var data = SyntheticData.Create(4, seed: 11);
        Assert.Equal("verbose", Assert.Throws<ArgumentOutOfRangeException>(() => Compiled().Fit(data.X, data.Y, verbose: -1)).ParamName);
        Assert.Equal("verbose", Assert.Throws<ArgumentOutOfRangeException>(() => Compiled().Evaluate(data.X, data.Y, verbose: int.MinValue)).ParamName);
        Assert.Equal("validationSplit", Assert.Throws<ArgumentOutOfRangeException>(
            () => Compiled().Fit(data.X, data.Y, validationSplit: double.NaN, verbose: 0)).ParamName);
        Assert.Equal("validationSplit", Assert.Throws<ArgumentOutOfRangeException>(
            () => Compiled().Fit(data.X, data.Y, validationSplit: double.PositiveInfinity, verbose: 0)).ParamName);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reserving_a_workspace_larger_than_an_array_names_the_model_the_batch_and_the_largest_batch_that_fits(bool compiled)
    {
        var model = compiled ? Compiled() : new TwoInputModel();
        // The largest per-sample buffer is the activations (14 floats a sample: inputs, x, both heads); targets hold 4.
        int perSample = model.Description.ActivationSize;
        Assert.Equal(14, perSample);
        long needed = (long)int.MaxValue * perSample;
        int largest = Array.MaxLength / perSample;

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => model.Reserve(int.MaxValue));
        Assert.Equal("batchSize", ex.ParamName);
        Assert.Equal(int.MaxValue, ex.ActualValue);
        Assert.Contains(nameof(TwoInputModel), ex.Message);
        Assert.Contains("'two_input'", ex.Message);
        Assert.Contains($"batch of {int.MaxValue} samples", ex.Message);
        Assert.Contains($"{needed} floats", ex.Message);
        Assert.Contains($"{perSample} per sample", ex.Message);
        Assert.Contains($"{Array.MaxLength}", ex.Message);
        Assert.Contains($"largest batch size that fits is {largest}", ex.Message);

        // Just past the largest that fits: refused the same way, although the product still fits in an int.
        Assert.True((long)(largest + 1) * perSample <= int.MaxValue);
        var past = Assert.Throws<ArgumentOutOfRangeException>(() => model.Reserve(largest + 1));
        Assert.Contains($"largest batch size that fits is {largest}", past.Message);

        // Nothing was left busy or half-grown.
        var data = SyntheticData.Create(4, seed: 12);
        Assert.Equal(4, model.Predict(data.X)[1].Length);
    }

    [Fact]
    public void Outputs_larger_than_an_array_are_refused_before_anything_runs()
    {
        // One float in, 1024 out: 2,097,152 samples (8 MB of input) would need 2^31 floats for the output, one more than an int counts.
        var model = new WideModel();
        int samples = (Array.MaxLength / WideModel.Width) + 1;
        var ex = Assert.Throws<ArgumentException>(() => model.Predict([new float[samples]], batchSize: 64));
        Assert.Equal("inputs", ex.ParamName);
        Assert.Contains("output 'wide'", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"{samples} samples", ex.Message);
        Assert.Contains($"{(long)samples * WideModel.Width} floats", ex.Message);
        Assert.Contains($"{Array.MaxLength / WideModel.Width} samples", ex.Message);
        Assert.Equal(0, model.ForwardCalls);
        Assert.Equal(2 * WideModel.Width, model.Predict([new float[2]], batchSize: int.MaxValue)[0].Length);
    }

    private static void AssertBatchSizeRefused(int batchSize, Action call)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(call);
        Assert.Equal("batchSize", ex.ParamName);
        Assert.Equal(batchSize, ex.ActualValue);
        Assert.Contains("at least 1", ex.Message);
    }

    /// <summary>Input "x" [1] repeated into output "wide" [1024]: an output far larger than its input.</summary>
    private sealed class WideModel() : CompiledModel(new ModelDescription("wide_model", [new TensorInfo("x", [1], DType.Float32, 0)],
        [new TensorInfo("wide", [Width], DType.Float32, 1)], 0, 1 + Width, 0, "wide_model"), seed: 1)
    {
        public const int Width = 1024;

        public int ForwardCalls { get; private set; }

        protected override void InitializeWeights(Span<float> weights, ref WeightInitializer initializer)
        {
        }

        protected override void Forward(Workspace workspace, int batchSize, bool training)
        {
            ForwardCalls++;
            Span<float> x = workspace.Values(0, batchSize), y = workspace.Values(1, batchSize * Width);
            for (int s = 0; s < batchSize; s++)
            {
                y.Slice(s * Width, Width).Fill(x[s]);
            }
        }

        protected override void Backward(Workspace workspace, int batchSize) => throw new NotSupportedException();
    }
}
