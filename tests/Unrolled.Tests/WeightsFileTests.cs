using System;
using System.IO;
using System.Linq;
using Xunit;
using static Unrolled.Layers;
using static Unrolled.Tests.GradientTests;

namespace Unrolled.Tests;

/// <summary>The tutorial's MLP with 12 classes instead of 10, under the same model name: a file of one does not fit the other.</summary>
public partial class MlpTwelve
{
    [ModelBuilder]
    static Model Build()
    {
        var inputs = Input([784]);
        var x = Dense(64, Activation.Relu)(inputs);
        x = Dense(64, Activation.Relu)(x);
        var outputs = Dense(12, Activation.Softmax)(x);
        return new Model(inputs, outputs, name: "mnist_model");
    }
}

/// <summary>
/// SaveWeights / LoadWeights on generated models: weights and predictions survive a round trip into a fresh model,
/// training resumed from a file is bit for bit the uninterrupted training, and mismatched files are refused by name.
/// </summary>
public sealed class WeightsFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("unrolled-weights-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static void AssertSameBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToUInt32Bits(expected[i]) != BitConverter.SingleToUInt32Bits(actual[i]))
            {
                Assert.Fail($"Value {i} differs: {expected[i]:R} expected, {actual[i]:R} found.");
            }
        }
    }

    /// <summary>Saves <paramref name="source"/>, loads into <paramref name="fresh"/> (another seed), and compares weights and
    /// predictions on <paramref name="inputs"/>.</summary>
    private void RoundTrip(CompiledModel source, CompiledModel fresh, float[][] inputs, int batch)
    {
        Assert.NotEqual(source.Weights.ToArray(), fresh.Weights.ToArray());
        string path = PathOf(source.GetType().Name + ".unrw");
        source.SaveWeights(path);
        Assert.InRange(new FileInfo(path).Length, 4L * source.Description.ParameterCount, (4L * source.Description.ParameterCount) + 300 + (100 * source.Description.Weights.Count));
        fresh.LoadWeights(path);
        AssertSameBits(source.Weights, fresh.Weights);
        float[][] expected = source.Predict(inputs, batch), actual = fresh.Predict(inputs, batch);
        for (int j = 0; j < expected.Length; j++)
        {
            AssertSameBits(expected[j], actual[j]);
        }
    }


    [Fact]
    public void Mlp_round_trip_is_bit_exact_and_predicts_the_same()
    {
        var trained = new Mlp(seed: 1);
        trained.Compile("adam", "categorical_crossentropy");
        float[] x = Random(16 * 784, 1);
        float[] y = new float[16 * 10];
        for (int s = 0; s < 16; s++)
        {
            y[(s * 10) + (s % 10)] = 1;
        }

        trained.TrainOnBatch(x, y, 16);
        RoundTrip(trained, new Mlp(seed: 2), [x], 16);
    }

    [Fact]
    public void Convolution_recurrent_multi_output_and_batch_norm_models_round_trip()
    {
        RoundTrip(new SmallConvNet(seed: 1), new SmallConvNet(seed: 2), [Random(3 * 6 * 7 * 2, 2)], 3);
        float[] words = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0];
        RoundTrip(new Recurrents(seed: 1), new Recurrents(seed: 2), [words], 2);
        RoundTrip(new TwoHeads(seed: 1), new TwoHeads(seed: 2), [Random(4 * 8, 3), Random(4 * 4, 4)], 4);

        // BatchNormalization's moving statistics (non-trainable weights) change only in training: train, then compare.
        var regularized = new Regularized(seed: 1);
        regularized.Compile(new SGD(0.1f), "mse");
        regularized.TrainOnBatch(Random(8 * 6, 5), Random(8, 6), 8);
        Assert.NotEqual(0f, regularized.GetWeights("batch_normalization", "moving_mean")[0]);
        RoundTrip(regularized, new Regularized(seed: 2), [Random(4 * 6, 7)], 4);
    }

    public static TheoryData<string> OptimizerNames => new() { "sgd", "rmsprop", "adam", "adafactor" };

    private static Optimizer Make(string name) => name switch
    {
        "sgd" => new SGD(0.05f, momentum: 0.9f),
        "rmsprop" => new RMSprop(0.01f, momentum: 0.3f, centered: true),
        "adafactor" => new Adafactor(0.05f), // factored rows and columns, kept in the file's per-weight layout
        _ => new Adam(0.01f),
    };

    /// <summary>
    /// Train N steps, save with the optimizer, load into a fresh model (another seed) compiled with a fresh optimizer,
    /// train M more: the weights, the optimizer's state and the Dropout sequence must equal those of N + M uninterrupted
    /// steps, bit for bit (compared as the bytes of a file saved with the optimizer). Loading only the weights must not.
    /// </summary>
    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void Training_resumed_from_a_file_equals_uninterrupted_training(string optimizer)
    {
        const int N = 4, M = 5, Batch = 8;
        float[][] xs = Enumerable.Range(0, N + M).Select(k => Random(Batch * 6, 10 + k)).ToArray();
        float[][] ys = Enumerable.Range(0, N + M).Select(k => Random(Batch, 50 + k)).ToArray();

        var uninterrupted = new Regularized(seed: 1);
        uninterrupted.Compile(Make(optimizer), "mse");
        for (int k = 0; k < N + M; k++)
        {
            uninterrupted.TrainOnBatch(xs[k], ys[k], Batch);
        }

        var first = new Regularized(seed: 1);
        first.Compile(Make(optimizer), "mse");
        for (int k = 0; k < N; k++)
        {
            first.TrainOnBatch(xs[k], ys[k], Batch);
        }

        string checkpoint = PathOf("checkpoint.unrw");
        first.SaveWeights(checkpoint, includeOptimizer: true);

        CompiledModel Resume(bool? includeOptimizer)
        {
            var resumed = new Regularized(seed: 7);
            resumed.Compile(Make(optimizer), "mse");
            resumed.LoadWeights(checkpoint, includeOptimizer);
            for (int k = N; k < N + M; k++)
            {
                resumed.TrainOnBatch(xs[k], ys[k], Batch);
            }

            return resumed;
        }

        var exact = Resume(includeOptimizer: null);
        Assert.Equal(N + M, exact.Optimizer!.Iterations);
        AssertSameBits(uninterrupted.Weights, exact.Weights);
        Assert.Equal(Bytes(uninterrupted), Bytes(exact));

        var weightsOnly = Resume(includeOptimizer: false);
        Assert.NotEqual(uninterrupted.Weights.ToArray(), weightsOnly.Weights.ToArray());
    }

    private static byte[] Bytes(CompiledModel model)
    {
        using var stream = new MemoryStream();
        model.SaveWeights(stream, includeOptimizer: true);
        return stream.ToArray();
    }

    [Fact]
    public void A_file_of_another_shape_is_refused_naming_the_tensor_and_both_shapes()
    {
        string path = PathOf("mnist.unrw");
        new Mlp(seed: 1).SaveWeights(path);
        var twelve = new MlpTwelve(seed: 3);
        float[] before = twelve.Weights.ToArray();
        var ex = Assert.Throws<WeightsFileException>(() => twelve.LoadWeights(path));
        Assert.Equal(WeightsFileError.ModelMismatch, ex.Error);
        Assert.Equal(
            $"Weights file '{path}' was saved from model 'mnist_model' and does not fit model 'mnist_model': " +
            "dense_2/kernel has shape [64, 10] in the file but [64, 12] in model 'mnist_model'; " +
            "dense_2/bias has shape [10] in the file but [12] in model 'mnist_model'. Nothing was loaded.", ex.Message);
        Assert.Equal(before, twelve.Weights.ToArray());
    }

    [Fact]
    public void A_file_of_another_model_is_refused_and_changes_nothing()
    {
        string path = PathOf("two_heads.unrw");
        new TwoHeads(seed: 1).SaveWeights(path);
        var mlp = new Mlp(seed: 1);
        float[] before = mlp.Weights.ToArray();
        var ex = Assert.Throws<WeightsFileException>(() => mlp.LoadWeights(path));
        Assert.Equal(WeightsFileError.ModelMismatch, ex.Error);
        Assert.Contains("saved from model 'two_heads' and does not fit model 'mnist_model'", ex.Message);
        Assert.Contains("dense/kernel has shape [12, 16] in the file but [784, 64] in model 'mnist_model'", ex.Message);
        Assert.Contains("the file has category/kernel [16, 4], which model 'mnist_model' does not have", ex.Message);
        Assert.Equal(before, mlp.Weights.ToArray());
    }
}
