using System;
using System.Linq;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// Keras's MultiHeadAttention beyond what the references check (PyTorch: TorchComparisonTests; gradients:
/// LayerGradientTests; ONNX Runtime: OnnxExportTests; Keras files: KerasImportTests): Keras's weights, settings and
/// summary, what the causal mask hides, one layer's calls with and without it, the kernel's checks, and no
/// allocation.
/// </summary>
public class MultiHeadAttentionTests
{
    [Fact]
    public void Weights_settings_and_summary_are_Keras_s()
    {
        var model = new KerasMultiHeadAttention(seed: 10);
        var weights = model.Description.Weights.Where(w => w.Layer == "multi_head_attention").ToList();
        Assert.Equal(
            ["query/kernel [4, 2, 3]", "query/bias [2, 3]", "key/kernel [4, 2, 3]", "key/bias [2, 3]", "value/kernel [4, 2, 3]", "value/bias [2, 3]",
             "attention_output/kernel [2, 3, 4]", "attention_output/bias [4]"],
            weights.Select(w => $"{w.Name} [{string.Join(", ", w.Shape)}]"));
        Assert.Equal(
            ["_query_dense/vars/0", "_query_dense/vars/1", "_key_dense/vars/0", "_key_dense/vars/1", "_value_dense/vars/0", "_value_dense/vars/1",
             "_output_dense/vars/0", "_output_dense/vars/1"],
            weights.Select(w => w.KerasPath!["layers/multi_head_attention/".Length..]));

        // Keras's glorot_uniform fans of a kernel [4, 2, 3]: receptive field 4, fan_in 4·2, fan_out 4·3.
        double limit = Math.Sqrt(6.0 / ((4 * 2) + (4 * 3)));
        var query = model.GetReadOnlyWeights("multi_head_attention", "query/kernel").ToArray();
        Assert.All(query, v => Assert.InRange(v, -limit, limit));
        Assert.True(query.Max() > limit * 0.7 && query.Min() < -limit * 0.7, "the kernel spans Keras's limit");
        Assert.All(model.GetReadOnlyWeights("multi_head_attention", "query/bias").ToArray(), v => Assert.Equal(0f, v));

        var node = model.Description.Graph.Nodes.Single(n => n.Kind == GraphNodeKind.MultiHeadAttention);
        Assert.Equal("num_heads=2, key_dim=3, value_dim=3, dropout=0.0, use_bias=True, output_shape=None, attention_axes=None, use_causal_mask=True",
            string.Join(", ", node.Config));
        Assert.Equal(3 * ((4 * 6) + 6) + (6 * 4) + 4 + (20 * 2) + 2, KerasMultiHeadAttention.ParameterCount);
        Assert.Contains("multi_head_attention (MultiHead (None, 5, 4)         118         x[0][0]", model.Summary());
    }

    [Fact]
    public void With_the_causal_mask_a_step_does_not_see_later_steps()
    {
        var model = new MultiHeadAttentionLayers(seed: 4);
        float[] x = GradientTests.Random(5 * 4, 1), y = GradientTests.Random(6 * 3, 2);
        float[] causal = model.Predict([x, y], 1)[0];
        float[] changed = (float[])x.Clone();
        for (int i = 3 * 4; i < 5 * 4; i++)
        {
            changed[i] += 1f; // steps 3 and 4
        }

        float[] after = model.Predict([changed, y], 1)[0];
        Assert.Equal(causal[..(3 * 4)], after[..(3 * 4)]);           // steps 0..2 see only steps 0..2
        Assert.NotEqual(causal[(3 * 4)..], after[(3 * 4)..]);

        // The same layer's second call has no mask: every step sees the change.
        float[] cross = model.Predict([x, y], 1)[1], crossAfter = model.Predict([changed, y], 1)[1];
        Assert.True(Enumerable.Range(0, 5).All(step => Enumerable.Range(0, 5).Any(c => cross[(step * 5) + c] != crossAfter[(step * 5) + c])));
    }

    [Fact]
    public void Causal_heads_computed_block_by_block_match_the_reference()
    {
        // 150 query steps: three blocks of the kernel, each computing only the keys it sees; against the flat-graph
        // interpreter's plain loops (the mask applied to every score). The second call has 100 keys for 150 queries.
        var model = new LongCausalAttention(seed: 8);
        float[][] inputs = [GradientTests.Random(2 * 150 * 4, 1), GradientTests.Random(2 * 100 * 4, 2)];
        float[][] expected = FlatGraphInterpreter.Run(model.Description.Graph, model.Weights.ToArray(), inputs, 2);
        float[][] actual = model.Predict(inputs, 2);
        for (int o = 0; o < 2; o++)
        {
            Assert.All(expected[o].Zip(actual[o]), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5 + 1e-4 * Math.Abs(p.First), $"{p.First} against {p.Second}"));
        }
    }

    [Fact]
    public void One_layer_called_with_and_without_the_mask_keeps_one_set_of_weights()
    {
        var model = new MultiHeadAttentionLayers(seed: 4);
        var calls = model.Description.Graph.Nodes.Where(n => n.Kind == GraphNodeKind.MultiHeadAttention && n.Name == "self").ToList();
        Assert.Equal([true, false], calls.Select(n => n.Setting("use_causal_mask")!.AsBoolean()));
        Assert.Equal(8, model.Description.Weights.Count(w => w.Layer == "self"));
        Assert.Equal(4, model.Description.Weights.Count(w => w.Layer == "cross")); // no biases
        Assert.Equal([3, 4, 5], model.Description.Weights.Single(w => w.Layer == "cross" && w.Name == "attention_output/kernel").Shape);
    }

    [Fact]
    public void The_kernel_refuses_spans_that_do_not_fit()
    {
        var shape = new MultiHeadShape(1, 2, 2, 4, 4, 4, 2, 3, 3, 4, Causal: false);
        float[] Buffer(int n) => new float[n];
        var error = Assert.Throws<ArgumentException>(() => MultiHeadAttention.Forward(shape, Buffer(8), Buffer(8), Buffer(8),
            Buffer(24), Buffer(6), Buffer(24), Buffer(6), Buffer(24), Buffer(6), Buffer(23), Buffer(4),
            Buffer(12), Buffer(12), Buffer(12), Buffer(8), Buffer(12), Buffer(8)));
        Assert.Contains("outputKernel", error.Message);
        Assert.Contains("24 floats", error.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => MultiHeadAttention.Forward(shape with { Heads = 0 }, Buffer(8), Buffer(8), Buffer(8),
            Buffer(24), Buffer(6), Buffer(24), Buffer(6), Buffer(24), Buffer(6), Buffer(24), Buffer(4),
            Buffer(12), Buffer(12), Buffer(12), Buffer(8), Buffer(12), Buffer(8)));
    }

    [Fact]
    public void Dropout_on_the_weights_applies_while_training_only()
    {
        // MultiHeadAttention's, Attention's and AdditiveAttention's.
        var model = new DroppedAttention(seed: 2);
        Assert.Equal(0.5, model.Description.Graph.Nodes.Single(n => n.Kind == GraphNodeKind.MultiHeadAttention).Setting("dropout")!.AsDouble());
        Assert.Equal(0.3, model.Description.Graph.Nodes.Single(n => n.Kind == GraphNodeKind.AdditiveAttention).Setting("dropout")!.AsDouble());
        float[] x = GradientTests.Random(4 * 6 * 4, 7), target = GradientTests.Random(4 * 2, 8);

        // Predicting ignores the dropout: the flat-graph interpreter (which has none) agrees, and so does a second call.
        float[] predicted = model.Predict([x], 4)[0];
        float[] reference = FlatGraphInterpreter.Run(model.Description.Graph, model.Weights.ToArray(), [x], 4)[0];
        Assert.All(predicted.Zip(reference), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5 + 1e-4 * Math.Abs(p.Second)));
        Assert.Equal(predicted, model.Predict([x], 4)[0]);

        // Training drops weights: with a learning rate of 0 nothing changes, yet the training loss differs from the
        // evaluated one, and from one step to the next (fresh masks).
        model.Compile(new SGD(learningRate: 0f), "mse");
        double evaluated = model.Evaluate([x], [target], batchSize: 4)["loss"];
        var first = model.Fit([x], [target], batchSize: 4, epochs: 1, shuffle: false, verbose: 0)["loss"][0];
        var second = model.Fit([x], [target], batchSize: 4, epochs: 1, shuffle: false, verbose: 0)["loss"][0];
        Assert.NotEqual(evaluated, first, 6);
        Assert.NotEqual(first, second, 6);
        Assert.Equal(0, AllocationTests.AllocatedBy(() => model.TrainOnBatch(x, target, 4)));
    }

    [Fact]
    public void Outputs_in_temporaries_beside_an_attention_without_kept_weights_are_read_where_they_are()
    {
        // A returned state equals the LSTM's output and returned weights are rows summing to 1: read from a wrong offset
        // (the prediction layout gives the first attention's weights no room), neither holds.
        var model = new AttentionBesideReturnedStates(seed: 3);
        const int batch = 3;
        float[] x = GradientTests.Random(batch * 6 * 4, 5);
        float[][] outputs = model.Predict([x], batch);
        Assert.Equal(outputs[1], outputs[2]);
        float[] scores = outputs[3];
        Assert.Equal(batch * 2 * 6 * 6, scores.Length);
        for (int row = 0; row < scores.Length / 6; row++)
        {
            Assert.Equal(1.0, scores.Skip(row * 6).Take(6).Sum(v => (double)v), 1e-5);
        }

        Assert.All(outputs[4], v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Predict_and_the_train_step_allocate_nothing()
    {
        const int batch = 8;
        var model = new KerasMultiHeadAttention(seed: 10);
        model.Compile("adam", "mse");
        float[] x = GradientTests.Random(batch * 5 * 4, 3), y = new float[batch * 2], target = GradientTests.Random(batch * 2, 4);
        Assert.Equal(0, AllocationTests.AllocatedBy(() => model.Predict(x, y, batch)));
        Assert.Equal(0, AllocationTests.AllocatedBy(() => model.TrainOnBatch(x, target, batch)));
    }
}
