using System;
using System.Linq;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>The graph's data types on their own: settings text, validation of hand-made graphs, Keras's shape text.</summary>
public class ModelGraphTests
{
    [Fact]
    public void Typed_settings_read_as_keras_s_keyword_arguments_with_their_types()
    {
        var settings = new ConvolutionSettings(16, [3, 3], [2, 1], "same", "channels_last", [1, 1], "relu", UseBias: true, DepthMultiplier: 2);
        var node = new GraphNode("c", "SeparableConv2D", GraphNodeKind.SeparableConv2D, -1, [0], [8, 8, 16], settings);
        Assert.Same(settings, node.Settings);
        Assert.Equal("filters=16, kernel_size=(3, 3), strides=(2, 1), padding='same', data_format='channels_last', dilation_rate=(1, 1), "
            + "depth_multiplier=2, activation='relu', use_bias=True", string.Join(", ", node.Config));
        Assert.Equal(string.Join(", ", node.Config), settings.ToString());
        Assert.Equal(LayerSettingKind.Integers, node.Setting("kernel_size")!.Kind);
        Assert.Equal(new[] { 2, 1 }, node.Setting("strides")!.AsInt32s());
        Assert.Equal(LayerSettingKind.Integer, node.Setting("depth_multiplier")!.Kind);
        Assert.Null(node.Setting("units"));

        // Python's forms: a number keeps its point, a tuple of one its comma, quotes and backslashes are escaped; an
        // integer reads as a number too, not the other way round.
        Assert.Equal("rate=2.0, x=nan, shift=-inf, epsilon=1e-05", string.Join(", ", new LayerSetting[] { new("rate", 2.0), new("x", double.NaN), new("shift", double.NegativeInfinity), new("epsilon", 1e-5) }));
        Assert.Equal("name='it\\'s a \\\\', strides=(2,)", string.Join(", ", new LayerSetting[] { new("name", "it's a \\"), new("strides", new[] { 2 }) }));
        Assert.Equal(-1.0, new LayerSetting("axis", -1).AsDouble());
        Assert.Throws<InvalidOperationException>(() => new LayerSetting("rate", 0.5).AsInt32());
        Assert.Throws<InvalidOperationException>(() => new LayerSetting("units", 3).AsString());

        // One axis prints as Keras prints it, a number; a list as a tuple.
        Assert.Equal("axis=-1, epsilon=0.001, center=True, scale=True, rms_scaling=False", new LayerNormalizationSettings(-1, 1e-3, true, true, false).ToString());
        Assert.Equal("axis=(1, 2), epsilon=0.001, center=True, scale=True, rms_scaling=False", new LayerNormalizationSettings([1, 2], 1e-3, true, true, false).ToString());
    }

    [Fact]
    public void Settings_of_another_kind_are_refused_naming_the_node()
    {
        var dense = new DenseSettings(4, "relu", true);
        var error = Assert.Throws<ArgumentException>(() => new GraphNode("c", "Conv2D", GraphNodeKind.Conv2D, -1, [0], [4], dense));
        Assert.Contains("'c' is a Conv2D", error.Message);
        Assert.Contains("DenseSettings", error.Message);

        // Each recurrent kind has its own optional settings: LSTM's unit_forget_bias, GRU's reset_after.
        var gru = new RecurrentSettings(3, "tanh", true, false, false, RecurrentActivation: "sigmoid", ResetAfter: true);
        Assert.Throws<ArgumentException>(() => new GraphNode("l", "LSTM", GraphNodeKind.LSTM, -1, [0], [3], gru));
        Assert.Equal(GraphNodeKind.GRU, new GraphNode("g", "GRU", GraphNodeKind.GRU, -1, [0], [3], gru).Kind);
        Assert.Throws<ArgumentException>(() => new GraphNode("c", "Conv2D", GraphNodeKind.Conv2D, -1, [0], [4],
            new ConvolutionSettings(1, [1, 1], [1, 1], "valid", "channels_last", [1, 1], "linear", true, DepthMultiplier: 1)));

        // No settings at all: a merge has none, and a hand-built node may leave them out.
        Assert.Empty(new GraphNode("a", "Add", GraphNodeKind.Add, -1, [0, 1], [4]).Config);
    }

    [Fact]
    public void A_graph_checks_that_its_edges_and_groups_point_backwards()
    {
        GraphNode Input(string name = "x") => new(name, "InputLayer", GraphNodeKind.InputLayer, -1, Array.Empty<int>(), new[] { 2 });
        GraphNode Dense(int parent, params int[] inputs) => new("d", "Dense", GraphNodeKind.Dense, parent, inputs, new[] { 2 });
        GraphNode Group(params int[] outputs) => new("g", "Functional", GraphNodeKind.Functional, -1, new[] { 0 }, new[] { 2 }, outputs: outputs);

        Assert.Throws<ArgumentException>(() => new ModelGraph(new[] { 0 }, new[] { 1 }, new[] { Input(), Dense(-1, 2), Dense(-1, 0) }));  // reads a later node
        Assert.Throws<ArgumentException>(() => new ModelGraph(new[] { 0 }, new[] { 2 }, new[] { Input(), Group(2), Dense(-1, 1) }));     // reads a group
        Assert.Throws<ArgumentException>(() => new ModelGraph(new[] { 0 }, new[] { 2 }, new[] { Input(), Dense(-1, 0), Dense(1, 1) }));  // parent is no group
        Assert.Throws<ArgumentException>(() => new ModelGraph(new[] { 0 }, new[] { 5 }, new[] { Input(), Dense(-1, 0) }));               // no such output
        Assert.Throws<ArgumentException>(() => new ModelGraph(new[] { 0 }, new[] { 2 }, new[] { Input(), Group(7), Dense(1, 0) }));      // group gives nothing real

        var graph = new ModelGraph(new[] { 0 }, new[] { 3 }, new[] { Input(), Group(2), Dense(1, 0), Dense(-1, 2) });
        Assert.Equal(new[] { 2 }, graph[1].Children.Select(c => c.Id));
        Assert.Equal(new[] { 1 }, graph[3].Inbound);   // fed by the group, as Keras draws it
        Assert.Equal(new[] { 0 }, graph[2].Inbound);
        Assert.Equal("model", graph.Name);
        Assert.Equal(new[] { 0, 1, 3 }, graph.TopLevel.Select(n => n.Id));

        // A graph belongs to one description, whose name and weights it reports.
        var weights = new[] { new WeightInfo("d", "kernel", new[] { 2, 2 }, 0) };
        var described = new ModelGraph(new[] { 0 }, new[] { 1 }, new[]
        {
            Input(),
            new GraphNode("d", "Dense", GraphNodeKind.Dense, -1, new[] { 0 }, new[] { 2 }, new DenseSettings(2, "linear", false), firstWeight: 0, weightCount: 1),
        });
        Assert.Throws<InvalidOperationException>(() => described[1].Weights);
        var description = new ModelDescription("tiny", Array.Empty<TensorInfo>(), Array.Empty<TensorInfo>(), 4, 0, 0, string.Empty, weights, graph: described);
        Assert.Same(description.Graph, described);
        Assert.Equal("tiny", described.Name);
        Assert.Same(weights[0], Assert.Single(described[1].Weights));
        Assert.Throws<ArgumentException>(() => new ModelDescription("again", Array.Empty<TensorInfo>(), Array.Empty<TensorInfo>(), 4, 0, 0, string.Empty, weights, graph: described));
        Assert.Throws<ArgumentException>(() => new ModelDescription("few", Array.Empty<TensorInfo>(), Array.Empty<TensorInfo>(), 0, 0, 0, string.Empty,
            graph: new ModelGraph(new[] { 0 }, new[] { 1 }, new[] { Input(), new GraphNode("d", "Dense", GraphNodeKind.Dense, -1, new[] { 0 }, new[] { 2 }, firstWeight: 0, weightCount: 1) })));

        // A node belongs to one graph.
        var node = Input();
        _ = new ModelGraph(new[] { 0 }, new[] { 0 }, new[] { node });
        Assert.Throws<ArgumentException>(() => new ModelGraph(new[] { 0 }, new[] { 0 }, new[] { node }));
    }

    [Fact]
    public void Shapes_print_as_keras_prints_them()
    {
        Assert.Equal("(None,)", ModelGraph.KerasShape(Array.Empty<int>()));
        Assert.Equal("(None, 784)", ModelGraph.KerasShape(new[] { 784 }));
        Assert.Equal("(None, None, 28, 1)", ModelGraph.KerasShape(new[] { -1, 28, 1 }));

        var lstm = new ModelGraph(new[] { 0 }, new[] { 1 }, new[]
        {
            new GraphNode("x", "InputLayer", GraphNodeKind.InputLayer, -1, Array.Empty<int>(), new[] { 5, 3 }),
            new GraphNode("lstm", "LSTM", GraphNodeKind.LSTM, -1, new[] { 0 }, new[] { 5, 4 },
                new RecurrentSettings(4, "tanh", true, ReturnSequences: true, ReturnState: true, RecurrentActivation: "sigmoid", UnitForgetBias: true)),
        });
        Assert.Equal("[(None, 5, 3)]", lstm[0].KerasOutputShape);
        Assert.Equal("[(None, 5, 3)]", lstm[0].KerasInputShape);
        Assert.Equal("(None, 5, 3)", lstm[1].KerasInputShape);
        Assert.Equal("[(None, 5, 4), (None, 4), (None, 4)]", lstm[1].KerasOutputShape);
    }
}
