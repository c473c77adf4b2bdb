using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// Keras's Bidirectional beyond what the references check (PyTorch's bidirectional modules: TorchComparisonTests;
/// gradients: LayerGradientTests; ONNX Runtime: OnnxExportTests; a Keras-layout file: KerasImportTests): the copies'
/// names, weights and saving paths, the summary's one row per wrapper, what a given backward layer keeps, and the picture.
/// </summary>
public class BidirectionalTests
{
    [Fact]
    public void The_copies_are_named_weighted_and_saved_as_Keras_does()
    {
        var model = new BidirectionalLayers(seed: 1);
        var first = model.Description.Weights.Take(6).Select(w => $"{w.Layer}/{w.Name} [{string.Join(", ", w.Shape)}] {w.KerasPath}");
        Assert.Equal(
            [
                "forward_lstm/kernel [3, 16] layers/bidirectional/forward_layer/cell/vars/0",
                "forward_lstm/recurrent_kernel [4, 16] layers/bidirectional/forward_layer/cell/vars/1",
                "forward_lstm/bias [16] layers/bidirectional/forward_layer/cell/vars/2",
                "backward_lstm/kernel [3, 16] layers/bidirectional/backward_layer/cell/vars/0",
                "backward_lstm/recurrent_kernel [4, 16] layers/bidirectional/backward_layer/cell/vars/1",
                "backward_lstm/bias [16] layers/bidirectional/backward_layer/cell/vars/2",
            ],
            first);

        // The two directions start from weights of their own.
        Assert.NotEqual(model.GetReadOnlyWeights("forward_lstm", "kernel").ToArray(), model.GetReadOnlyWeights("backward_lstm", "kernel").ToArray());

        // A given backward layer keeps its own name; the template layers passed in are never part of the model.
        Assert.Contains(model.Description.Weights, w => w.Layer == "simple_rnn_2" && w.KerasPath!.Contains("/backward_layer/cell/"));
        Assert.DoesNotContain(model.Description.Weights, w => w.Layer is "lstm" or "gru" or "simple_rnn");

        var nodes = model.Description.Graph.Nodes;
        Assert.Equal(6, nodes.Count(n => n.Kind == GraphNodeKind.Bidirectional));
        Assert.Equal(3, nodes.Count(n => n.Kind == GraphNodeKind.Flip)); // the three that return sequences
        Assert.All(nodes.Where(n => n.Kind == GraphNodeKind.Flip), n => Assert.Equal(1, n.Setting("axis")!.AsInt32()));
    }

    [Fact]
    public void The_summary_shows_one_row_per_wrapper_with_both_directions_parameters()
    {
        string summary = new BidirectionalLayers(seed: 1).Summary();
        // LSTM(4) over 3 features: 4·4·(3 + 4) + 16 = 128 per direction.
        Assert.Contains("bidirectional (Bidirectional)   (None, 5, 8)         256         x[0][0]", summary);
        Assert.Contains("bidirectional_2 (Bidirectional) (None, 2)            24          bidirectional_1[0][0]", summary);
        // Started from states: they are listed among its inputs, as Keras lists initial_state.
        Assert.Contains("bidirectional_5 (Bidirectional) (None, 4)            24          x[0][0]", summary);
        Assert.Contains("bidirectional_4[0][4]", summary);
        Assert.DoesNotContain("forward_", summary);
        Assert.Contains("Total params: 764", summary);
    }

    [Fact]
    public void The_picture_draws_a_wrapper_as_one_box_named_after_what_it_wraps()
    {
        string dot = new BidirectionalLayers(seed: 1).Description.Graph.ToText();
        Assert.Contains("bidirectional(lstm): Bidirectional(LSTM)", dot);
        Assert.Contains("bidirectional_1(gru): Bidirectional(GRU)", dot);
        Assert.DoesNotContain("flip", dot);
    }
}
