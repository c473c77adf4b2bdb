using System;
using System.Linq;
using Xunit;
using static Unrolled.Tests.GradientTests;

namespace Unrolled.Tests;

/// <summary>
/// Keras's <c>go_backwards</c> on LSTM, GRU and SimpleRNN: a layer run backwards on a sequence gives what the same
/// layer run forwards gives on the reversed sequence, outputs in processing order (as Keras returns them) and the same
/// last states; its gradients match finite differences; the folded inference path agrees with the unfolded one.
/// (PyTorch: TorchComparisonTests.LSTM_and_GRU_going_backwards_match_PyTorch; ONNX Runtime: OnnxExportTests.)
/// </summary>
public class GoBackwardsTests
{
    [Fact]
    public void Backwards_is_forwards_on_the_reversed_sequence()
    {
        const int batch = 3, steps = 5, features = 3;
        var backwards = new Backwards(seed: 4);
        var forwards = new ForwardsOnReversed(seed: 99);
        forwards.SetWeights(backwards.ReadOnlyWeights);
        float[] x = Random(batch * steps * features, 41);
        float[] reversed = new float[x.Length];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                Array.Copy(x, ((b * steps) + t) * features, reversed, ((b * steps) + (steps - 1 - t)) * features, features);
            }
        }

        float[][] expected = forwards.Predict([reversed], batchSize: batch);
        float[][] actual = backwards.Predict([x], batchSize: batch);
        Assert.Equal(expected.Length, actual.Length);
        for (int o = 0; o < expected.Length; o++)
        {
            Assert.Equal(expected[o].Length, actual[o].Length);
            for (int i = 0; i < expected[o].Length; i++)
            {
                Assert.True(Math.Abs(expected[o][i] - actual[o][i]) <= 1e-6f, $"output {o}[{i}]: forwards on reversed {expected[o][i]}, backwards {actual[o][i]}");
            }
        }

        // And it is not the forward layer on the sequence as given (the test would pass vacuously if goBackwards were ignored).
        float[] plain = forwards.Predict([x], batchSize: batch)[0];
        Assert.True(plain.Zip(actual[0], (p, q) => Math.Abs(p - q)).Max() > 1e-3f);
        Assert.True(backwards.Description.Graph.Nodes.First(n => n.Name == "lstm").Setting("go_backwards")!.AsBoolean());
        Assert.False(forwards.Description.Graph.Nodes.First(n => n.Name == "lstm").Setting("go_backwards")!.AsBoolean());
    }

    [Fact]
    public void Stacked_backwards_layers_match_finite_differences()
    {
        const int batch = 3;
        var model = new BackwardsStack(seed: 8);
        float[] x = Random(batch * 12, 51), y = Random(batch * BackwardsStack.ConcatenateSize, 52);
        model.Compile(new SGD(learningRate: 1f), "mse");

        double Loss() => MeanSquaredError(model.Predict(x), y);

        var analytic = AnalyticGradient(model, () => model.TrainOnBatch(x, y, batch));
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => "backwards stack");
    }

    [Fact]
    public void Folded_backwards_layers_predict_what_unfolded_ones_do()
    {
        var model = new FoldedBackwards(seed: 5);
        float[] ids = Enumerable.Range(0, 4 * 6).Select(i => (float)((i * 7 + 3) % 12)).ToArray();
        model.Predict([ids], batchSize: 4);   // 24 ids reach the vocabulary: folded from here on
        float[] second = model.Predict([ids], batchSize: 4)[0];
        Assert.Equal(3, model.CurrentFoldedProjections);

        var unfolded = new FoldedBackwards(seed: 1);
        unfolded.CopyWeightsFrom(model);
        _ = unfolded.Weights; // a writable view: this instance never folds
        float[] expected = unfolded.Predict([ids], batchSize: 4)[0];
        Assert.Equal(0, unfolded.CurrentFoldedProjections);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - second[i]) <= 1e-5f * (1 + Math.Abs(expected[i])), $"output {i}: unfolded {expected[i]}, folded {second[i]}");
        }
    }
}
