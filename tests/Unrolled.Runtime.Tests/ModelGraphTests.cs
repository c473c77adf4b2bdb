using System;
using System.Linq;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>The graph's data types on their own: settings text, validation of hand-made graphs, Keras's shape text.</summary>
public class ModelGraphTests
{
    [Fact]
    public void Settings_read_as_python_keyword_arguments_with_their_types()
    {
        const string text = "units=64, activation='relu', use_bias=True, kernel_size=(3, 3), strides=(2,), rate=0.5, epsilon=1e-05, shift=-inf, name='it\\'s a \\\\', axis=-1";
        var settings = LayerSetting.ParseList(text);

        Assert.Equal(new[] { "units", "activation", "use_bias", "kernel_size", "strides", "rate", "epsilon", "shift", "name", "axis" }, settings.Select(s => s.Name));
        Assert.Equal(64, settings[0].AsInt32());
        Assert.Equal("relu", settings[1].AsString());
        Assert.True(settings[2].AsBoolean());
        Assert.Equal(new[] { 3, 3 }, settings[3].AsInt32s());
        Assert.Equal(new[] { 2 }, settings[4].AsInt32s());
        Assert.Equal(0.5, settings[5].AsDouble());
        Assert.Equal(1e-5, settings[6].AsDouble());
        Assert.Equal(double.NegativeInfinity, settings[7].AsDouble());
        Assert.Equal("it's a \\", settings[8].AsString());
        Assert.Equal(-1, settings[9].AsInt32());
        Assert.Equal(-1.0, settings[9].AsDouble()); // an integer reads as a number too, not the other way round
        Assert.Throws<InvalidOperationException>(() => settings[5].AsInt32());
        Assert.Throws<InvalidOperationException>(() => settings[0].AsString());

        // Printed back, the text is the same.
        Assert.Equal(text, string.Join(", ", settings));
        Assert.Empty(LayerSetting.ParseList(string.Empty));
        Assert.Equal("rate=2.0", new LayerSetting("rate", 2.0).ToString());
        Assert.Equal("x=nan", new LayerSetting("x", double.NaN).ToString());
    }

    [Fact]
    public void Typed_settings_as_generated_code_passes_them_read_as_the_same_text()
    {
        LayerSetting[] settings = [new("units", 64), new("activation", "relu"), new("use_bias", true), new("kernel_size", new[] { 3, 3 }), new("rate", 2d)];
        var node = new GraphNode("d", "Dense", GraphNodeKind.Dense, -1, [0], [64], settings);
        settings[0] = new LayerSetting("units", 1); // the node keeps its own copy
        Assert.Equal("units=64, activation='relu', use_bias=True, kernel_size=(3, 3), rate=2.0", string.Join(", ", node.Config));
        Assert.Equal(LayerSettingKind.Number, node.Setting("rate")!.Kind);
        Assert.Throws<ArgumentNullException>(() => new GraphNode("d", "Dense", GraphNodeKind.Dense, -1, [0], [64], (LayerSetting[])null!));
    }

    [Theory]
    [InlineData("units")]
    [InlineData("units=")]
    [InlineData("=3")]
    [InlineData("a=(1, x)")]
    [InlineData("a=(1, 2")]
    [InlineData("a='open")]
    [InlineData("a=1 b=2")]
    [InlineData("a=true")]
    [InlineData("a=1,, b=2")]
    public void Malformed_settings_are_a_format_error_that_says_where(string text)
    {
        var error = Assert.Throws<FormatException>(() => LayerSetting.ParseList(text));
        Assert.Contains("position", error.Message);
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
            new GraphNode("d", "Dense", GraphNodeKind.Dense, -1, new[] { 0 }, new[] { 2 }, "units=2, activation='linear', use_bias=False", firstWeight: 0, weightCount: 1),
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
            new GraphNode("lstm", "LSTM", GraphNodeKind.LSTM, -1, new[] { 0 }, new[] { 5, 4 }, "units=4, return_sequences=True, return_state=True"),
        });
        Assert.Equal("[(None, 5, 3)]", lstm[0].KerasOutputShape);
        Assert.Equal("[(None, 5, 3)]", lstm[0].KerasInputShape);
        Assert.Equal("(None, 5, 3)", lstm[1].KerasInputShape);
        Assert.Equal("[(None, 5, 4), (None, 4), (None, 4)]", lstm[1].KerasOutputShape);
    }
}
