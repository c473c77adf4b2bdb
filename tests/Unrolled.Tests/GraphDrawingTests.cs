using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Unrolled.Tests;

/// <summary>
/// <c>model.Graph()</c> against Keras's <c>plot_model(show_shapes=True, show_layer_names=True, expand_nested=True)</c>:
/// box and edge counts worked out by hand from the seed models' layers and connections, exact text for small models,
/// and Graphviz's own parser (<c>dot -Tsvg</c>) for the DOT.
/// </summary>
public class GraphDrawingTests
{
    private readonly ITestOutputHelper _output;

    public GraphDrawingTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> Counts() => new (string, Func<CompiledModel>, bool, int, int, int)[]
    {
        // main_input, embedding, lstm, aux_output, aux_input, concatenate, dense, dense_1, dense_2, main_output; the
        // summary's nine connections.
        ("news", () => new GraphNews(seed: 0), true, 10, 9, 0),
        // input, five 3x3 convolutions, the 1x1 projection, max pooling, two adds, global pooling, dense: the chain's
        // eleven edges and the two skips (input -> add, add -> projection).
        ("residual", () => new GraphResidual(seed: 0), true, 12, 13, 0),
        // One LSTM box for its two calls, fed by both inputs; Keras draws lstm -> concatenate once.
        ("shared lstm", () => new GraphSharedLstm(seed: 0), true, 5, 4, 0),
        // img, the encoder's 7 layers (original_img first), the decoder's 7: img -> original_img, 6 inside each model,
        // the encoder's last layer -> encoded_img.
        ("nested autoencoder", () => new GraphNestedAutoencoder(seed: 0), true, 15, 14, 2),
        // img -> encoder -> decoder.
        ("nested autoencoder, not expanded", () => new GraphNestedAutoencoder(seed: 0), false, 3, 2, 0),
        // a, b; middle (middle_in, middle_steps, reduce_mean, middle_dense) holding inner (inner_in, inner_dense,
        // inner_lambda, concatenate); eight top-level layers. Both calls of middle are one cluster.
        ("deep nesting", () => new GraphDeepNesting(seed: 0), true, 18, 20, 2),
        ("deep nesting, not expanded", () => new GraphDeepNesting(seed: 0), false, 11, 12, 0),
        // The LSTM's states come from the LSTM box: input -> lstm -> gru, lstm -> concatenate, gru -> concatenate -> dense.
        ("returned states", () => new ReturnedStates(seed: 0), true, 5, 5, 0),
    }.Select(c => new object[] { c.Item1, c.Item2, c.Item3, c.Item4, c.Item5, c.Item6 });

    [SkippableTheory]
    [MemberData(nameof(Counts))]
    public void A_box_per_layer_and_an_edge_per_connection(string name, Func<CompiledModel> create, bool expand, int boxes, int edges, int clusters)
    {
        var model = create();
        string dot = model.Graph(GraphFormat.Dot, expandNested: expand);
        string mermaid = model.Graph(GraphFormat.Mermaid, expandNested: expand);

        Assert.Equal(boxes, Regex.Matches(dot, @"^\s*n\d+ \[label=", RegexOptions.Multiline).Count);
        Assert.Equal(edges, Regex.Matches(dot, @"^\s*n\d+ -> n\d+;$", RegexOptions.Multiline).Count);
        Assert.Equal(clusters, Regex.Matches(dot, @"^\s*subgraph cluster_\d+ \{$", RegexOptions.Multiline).Count);
        Assert.Equal(boxes, Regex.Matches(mermaid, @"^\s*n\d+\[""", RegexOptions.Multiline).Count);
        Assert.Equal(edges, Regex.Matches(mermaid, @"^\s*n\d+ --> n\d+$", RegexOptions.Multiline).Count);
        Assert.Equal(clusters, Regex.Matches(mermaid, @"^\s*subgraph c\d+\[""", RegexOptions.Multiline).Count);
        Assert.Equal(Regex.Matches(mermaid, @"^\s*subgraph ", RegexOptions.Multiline).Count, Regex.Matches(mermaid, @"^\s*end$", RegexOptions.Multiline).Count);

        Graphviz.Require();

        var svg = Graphviz.Svg(dot);
        Assert.Equal(boxes, Graphviz.Groups(svg, "node").Length);
        Assert.Equal(edges, Graphviz.Groups(svg, "edge").Length);
        Assert.Equal(clusters, Graphviz.Groups(svg, "cluster").Length);
        _output.WriteLine($"{name}: dot drew {boxes} boxes, {edges} edges, {clusters} clusters.");
    }

    [SkippableTheory]
    [MemberData(nameof(GraphDescriptionTests.Models), MemberType = typeof(GraphDescriptionTests))]
    public void Graphviz_reads_every_drawing_of_every_model(string name, Func<CompiledModel> create)
    {
        var model = create();
        Graphviz.Require();

        foreach (bool shapes in new[] { true, false })
        {
            foreach (bool expand in new[] { true, false })
            {
                var svg = Graphviz.Svg(model.Graph(GraphFormat.Dot, shapes, expand));
                Assert.True(Graphviz.Groups(svg, "node").Length > 0, name);
            }
        }
    }

    [Fact]
    public void Dot_for_the_guide_s_first_model_is_keras_s_record_drawing()
    {
        // The guide's my_first_model_with_shape_info.png: name and class, then input and output shapes, per layer.
        Assert.Equal(
            """
            digraph "mnist_model" {
              graph [rankdir=TB];
              node [shape=record];
              n0 [label="input_1: InputLayer|{input:|output:}|{{[(None, 784)]}|{[(None, 784)]}}"];
              n1 [label="dense: Dense|{input:|output:}|{{(None, 784)}|{(None, 64)}}"];
              n2 [label="dense_1: Dense|{input:|output:}|{{(None, 64)}|{(None, 64)}}"];
              n3 [label="dense_2: Dense|{input:|output:}|{{(None, 64)}|{(None, 10)}}"];
              n0 -> n1;
              n1 -> n2;
              n2 -> n3;
            }

            """.ReplaceLineEndings("\n"), new Mlp(seed: 0).Graph());
    }

    [Fact]
    public void A_nested_model_called_twice_is_one_cluster_fed_by_both_calls()
    {
        var model = new Siamese(seed: 0);
        Assert.Equal(
            """
            digraph "model" {
              graph [rankdir=TB];
              node [shape=record];
              n0 [label="left: InputLayer|{input:|output:}|{{[(None, 5)]}|{[(None, 5)]}}"];
              n1 [label="right: InputLayer|{input:|output:}|{{[(None, 5)]}|{[(None, 5)]}}"];
              subgraph cluster_0 {
                label="tower";
                style=dashed;
                labeljust=l;
                n2 [label="input_1: InputLayer|{input:|output:}|{{[(None, 5)]}|{[(None, 5)]}}"];
                n3 [label="dense_1: Dense|{input:|output:}|{{(None, 5)}|{(None, 6)}}"];
                n4 [label="dense: Dense|{input:|output:}|{{(None, 6)}|{(None, 4)}}"];
              }
              n5 [label="dot: Dot|{input:|output:}|{{[(None, 4), (None, 4)]}|{(None, 1)}}"];
              n6 [label="same: Dense|{input:|output:}|{{(None, 1)}|{(None, 1)}}"];
              n0 -> n2;
              n2 -> n3;
              n3 -> n4;
              n1 -> n2;
              n4 -> n5;
              n5 -> n6;
            }

            """.ReplaceLineEndings("\n"), model.Graph());
        Assert.Equal(
            """
            flowchart TB
              n0["left: InputLayer<br/>input: [(None, 5)]<br/>output: [(None, 5)]"]
              n1["right: InputLayer<br/>input: [(None, 5)]<br/>output: [(None, 5)]"]
              subgraph c0["tower"]
                n2["input_1: InputLayer<br/>input: [(None, 5)]<br/>output: [(None, 5)]"]
                n3["dense_1: Dense<br/>input: (None, 5)<br/>output: (None, 6)"]
                n4["dense: Dense<br/>input: (None, 6)<br/>output: (None, 4)"]
              end
              n5["dot: Dot<br/>input: [(None, 4), (None, 4)]<br/>output: (None, 1)"]
              n6["same: Dense<br/>input: (None, 1)<br/>output: (None, 1)"]
              n0 --> n2
              n2 --> n3
              n3 --> n4
              n1 --> n2
              n4 --> n5
              n5 --> n6
              style c0 stroke-dasharray: 5 5

            """.ReplaceLineEndings("\n"), model.Graph(GraphFormat.Mermaid));
    }

    [Fact]
    public void Without_shapes_or_expansion_a_nested_model_is_one_named_box()
    {
        Assert.Equal(
            """
            digraph "autoencoder" {
              graph [rankdir=TB];
              node [shape=record];
              n0 [label="img: InputLayer"];
              n1 [label="encoder: Functional"];
              n2 [label="decoder: Functional"];
              n0 -> n1;
              n1 -> n2;
            }

            """.ReplaceLineEndings("\n"), new GraphNestedAutoencoder(seed: 0).Graph(showShapes: false, expandNested: false));
    }

    [Fact]
    public void TimeDistributed_shows_the_layer_it_wraps_and_draws_a_wrapped_model_beside_it()
    {
        // As Keras: TimeDistributed(Dense) is one box named after both; TimeDistributed(model) is a box whose model is a
        // cluster it feeds, and the model's last layer feeds what follows.
        Assert.Equal(
            """
            digraph "model" {
              graph [rankdir=TB];
              node [shape=record];
              n0 [label="input_1: InputLayer|{input:|output:}|{{[(None, 5, 4)]}|{[(None, 5, 4)]}}"];
              n1 [label="time_distributed(dense): TimeDistributed(Dense)|{input:|output:}|{{(None, 5, 4)}|{(None, 5, 3)}}"];
              n2 [label="time_distributed_1: TimeDistributed|{input:|output:}|{{(None, 5, 3)}|{(None, 5, 2)}}"];
              subgraph cluster_0 {
                label="step";
                style=dashed;
                labeljust=l;
                n3 [label="input_2: InputLayer|{input:|output:}|{{[(None, 3)]}|{[(None, 3)]}}"];
                n4 [label="dense_2: Dense|{input:|output:}|{{(None, 3)}|{(None, 3)}}"];
                n5 [label="dense_1: Dense|{input:|output:}|{{(None, 3)}|{(None, 2)}}"];
              }
              n6 [label="tf.math.reduce_mean: TFOpLambda|{input:|output:}|{{(None, 5, 2)}|{(None, 2)}}"];
              n7 [label="dense_3: Dense|{input:|output:}|{{(None, 2)}|{(None, 1)}}"];
              n0 -> n1;
              n1 -> n2;
              n2 -> n3;
              n3 -> n4;
              n4 -> n5;
              n5 -> n6;
              n6 -> n7;
            }

            """.ReplaceLineEndings("\n"), new TimeSteps(seed: 0).Graph());
        Assert.Contains("n2 [label=\"time_distributed_1(step): TimeDistributed(Functional)|", new TimeSteps(seed: 0).Graph(expandNested: false));
    }

    /// <summary>A hand-made graph whose names hold every character DOT's strings and records or Mermaid's labels treat specially.</summary>
    private static ModelGraph AwkwardNames() => new(new[] { 0 }, new[] { 4 }, new[]
    {
        new GraphNode("in\"put<1>", "InputLayer", GraphNodeKind.InputLayer, -1, Array.Empty<int>(), new[] { 3 }, new InputSettings("float32")),
        new GraphNode("enc#1 & `x` \"q\" \\", "Functional", GraphNodeKind.Functional, -1, new[] { 0 }, new[] { 2 }, outputs: new[] { 3 }),
        new GraphNode("inner|in", "InputLayer", GraphNodeKind.InputLayer, 1, new[] { 0 }, new[] { 3 }),
        new GraphNode("{dense}\\N\nline", "Dense", GraphNodeKind.Dense, 1, new[] { 2 }, new[] { 2 }, new DenseSettings(2, "linear", true)),
        new GraphNode("out>", "Dense", GraphNodeKind.Dense, -1, new[] { 3 }, new[] { 1 }, new DenseSettings(1, "linear", true)),
    });

    [SkippableFact]
    public void Quotes_brackets_bars_braces_and_backslashes_in_names_are_escaped()
    {
        var graph = AwkwardNames();
        string dot = graph.ToText(GraphFormat.Dot);
        Assert.Contains("n0 [label=\"in\\\"put\\<1\\>: InputLayer|{input:|output:}|{{[(None, 3)]}|{[(None, 3)]}}\"];", dot);
        Assert.Contains("label=\"enc#1 & `x` \\\"q\\\" \\\\\";", dot);
        Assert.Contains("n1 [label=\"inner\\|in: InputLayer|", dot);
        Assert.Contains("n2 [label=\"\\{dense\\}\\\\N\\nline: Dense|", dot);
        Assert.Contains("n3 [label=\"out\\>: Dense|", dot);

        string mermaid = graph.ToText(GraphFormat.Mermaid);
        Assert.Contains("n0[\"in#quot;put#lt;1#gt;: InputLayer<br/>input: [(None, 3)]<br/>output: [(None, 3)]\"]", mermaid);
        Assert.Contains("subgraph c0[\"enc#35;1 #amp; #96;x#96; #quot;q#quot; \\\"]", mermaid);
        Assert.Contains("n2[\"{dense}\\N line: Dense<br/>", mermaid);
        Assert.Contains("n3[\"out#gt;: Dense<br/>", mermaid);

        Graphviz.Require();

        // Graphviz reads back every name as written (the line break as a line break).
        var svg = Graphviz.Svg(dot);
        var nodes = Graphviz.Groups(svg, "node").Select(Graphviz.Texts).ToList();
        Assert.Contains(nodes, t => t[0] == "in\"put<1>: InputLayer" && t[3] == "[(None, 3)]");
        Assert.Contains(nodes, t => t[0] == "inner|in: InputLayer");
        Assert.Contains(nodes, t => t[0] == "{dense}\\N" && t[1] == "line: Dense");
        Assert.Contains(nodes, t => t[0] == "out>: Dense");
        Assert.Equal("enc#1 & `x` \"q\" \\", Graphviz.Texts(Assert.Single(Graphviz.Groups(svg, "cluster")))[0]);
    }

    [Fact]
    public void A_layer_called_on_different_shapes_shows_a_question_mark_as_plot_model_does()
    {
        var graph = new ModelGraph(new[] { 0, 1 }, new[] { 4 }, new[]
        {
            new GraphNode("a", "InputLayer", GraphNodeKind.InputLayer, -1, Array.Empty<int>(), new[] { 3 }),
            new GraphNode("b", "InputLayer", GraphNodeKind.InputLayer, -1, Array.Empty<int>(), new[] { 4 }),
            new GraphNode("act", "Activation", GraphNodeKind.Activation, -1, new[] { 0 }, new[] { 3 }, new ActivationSettings("relu")),
            new GraphNode("act", "Activation", GraphNodeKind.Activation, -1, new[] { 1 }, new[] { 4 }, new ActivationSettings("relu")),
            new GraphNode("concatenate", "Concatenate", GraphNodeKind.Concatenate, -1, new[] { 2, 3 }, new[] { 7 }, new ConcatenateSettings(-1)),
        });

        string dot = graph.ToText();
        Assert.Contains("n2 [label=\"act: Activation|{input:|output:}|{{?}|{?}}\"];", dot);
        Assert.Equal(3, Regex.Matches(dot, "->").Count); // a -> act, b -> act, act -> concatenate once
    }
}
