using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// The graph the generator describes at run time (<see cref="ModelDescription.Graph"/>), checked against Keras's
/// published summaries of the seed models and, for the flat computation, by running it with an interpreter that reads
/// nothing but the description and comparing with <c>Predict</c>.
/// </summary>
public class GraphDescriptionTests
{
    /// <summary>One line per node: id, name, class, group, flat inputs, and Keras's input and output shapes.</summary>
    internal static string Describe(ModelGraph graph) => string.Join("\n", graph.Nodes.Select(n =>
        $"{n.Id}: {n.Name} ({n.ClassName}) in {n.Parent} [{string.Join(", ", n.Inputs)}] {n.KerasInputShape} -> {n.KerasOutputShape}"));

    private static int Parameters(GraphNode node) => node.Weights.Sum(w => w.Size);

    [Fact]
    public void News_model_lists_every_layer_call_with_keras_s_names_shapes_and_parameters()
    {
        var graph = new GraphNews(seed: 0).Description.Graph;

        // The shapes and parameter counts are those of the summary Keras prints for this model (Keras's functional API
        // guide); the nodes are in the order the tutorial calls the layers.
        Assert.Equal(
            """
            0: main_input (InputLayer) in -1 [] [(None, 100)] -> [(None, 100)]
            1: embedding (Embedding) in -1 [0] (None, 100) -> (None, 100, 512)
            2: lstm (LSTM) in -1 [1] (None, 100, 512) -> (None, 32)
            3: aux_output (Dense) in -1 [2] (None, 32) -> (None, 1)
            4: aux_input (InputLayer) in -1 [] [(None, 5)] -> [(None, 5)]
            5: concatenate (Concatenate) in -1 [2, 4] [(None, 32), (None, 5)] -> (None, 37)
            6: dense (Dense) in -1 [5] (None, 37) -> (None, 64)
            7: dense_1 (Dense) in -1 [6] (None, 64) -> (None, 64)
            8: dense_2 (Dense) in -1 [7] (None, 64) -> (None, 64)
            9: main_output (Dense) in -1 [8] (None, 64) -> (None, 1)
            """.ReplaceLineEndings("\n"), Describe(graph));
        Assert.Equal(new[] { 0, 4 }, graph.Inputs);
        Assert.Equal(new[] { 9, 3 }, graph.Outputs);
        Assert.Equal(new[] { 0, 5_120_000, 69_760, 33, 0, 0, 2_432, 4_160, 4_160, 65 }, graph.Nodes.Select(Parameters));
        Assert.Equal(DType.Int32, graph[0].DType);
        Assert.Equal(DType.Float32, graph[1].DType);

        var lstm = graph[2];
        Assert.Equal(GraphNodeKind.LSTM, lstm.Kind);
        Assert.Equal("units=32, activation='tanh', recurrent_activation='sigmoid', use_bias=True, return_sequences=False, return_state=False, go_backwards=False, unit_forget_bias=True",
            string.Join(", ", lstm.Config));
        Assert.Equal(new[] { "kernel [512, 128]", "recurrent_kernel [32, 128]", "bias [128]" }, lstm.Weights.Select(w => $"{w.Name} [{string.Join(", ", w.Shape)}]"));
        Assert.All(lstm.Weights, w => Assert.Equal("lstm", w.Layer));
        Assert.Equal(10000, graph[1].Setting("input_dim")!.AsInt32());
        Assert.Equal(512, graph[1].Setting("output_dim")!.AsInt32());
        Assert.Equal("embeddings", Assert.Single(graph[1].Weights).Name);
        Assert.Equal("sigmoid", graph[9].Setting("activation")!.AsString());
        Assert.Equal(-1, graph[5].Setting("axis")!.AsInt32());
        Assert.All(graph.Nodes, n => Assert.Equal(n.Inputs, n.Inbound));
    }

    [Fact]
    public void Nested_models_are_groups_that_start_with_their_input_layers()
    {
        var model = new GraphNestedAutoencoder(seed: 0);
        var graph = model.Description.Graph;

        // The shapes of the encoder's and decoder's summaries in the guide (seed 002); the names a fresh Keras session gives.
        Assert.Equal(
            """
            0: img (InputLayer) in -1 [] [(None, 28, 28, 1)] -> [(None, 28, 28, 1)]
            1: encoder (Functional) in -1 [0] (None, 28, 28, 1) -> (None, 16)
            2: original_img (InputLayer) in 1 [0] [(None, 28, 28, 1)] -> [(None, 28, 28, 1)]
            3: conv2d (Conv2D) in 1 [2] (None, 28, 28, 1) -> (None, 26, 26, 16)
            4: conv2d_1 (Conv2D) in 1 [3] (None, 26, 26, 16) -> (None, 24, 24, 32)
            5: max_pooling2d (MaxPooling2D) in 1 [4] (None, 24, 24, 32) -> (None, 8, 8, 32)
            6: conv2d_2 (Conv2D) in 1 [5] (None, 8, 8, 32) -> (None, 6, 6, 32)
            7: conv2d_3 (Conv2D) in 1 [6] (None, 6, 6, 32) -> (None, 4, 4, 16)
            8: global_max_pooling2d (GlobalMaxPooling2D) in 1 [7] (None, 4, 4, 16) -> (None, 16)
            9: decoder (Functional) in -1 [8] (None, 16) -> (None, 28, 28, 1)
            10: encoded_img (InputLayer) in 9 [8] [(None, 16)] -> [(None, 16)]
            11: reshape (Reshape) in 9 [10] (None, 16) -> (None, 4, 4, 1)
            12: conv2d_transpose (Conv2DTranspose) in 9 [11] (None, 4, 4, 1) -> (None, 6, 6, 16)
            13: conv2d_transpose_1 (Conv2DTranspose) in 9 [12] (None, 6, 6, 16) -> (None, 8, 8, 32)
            14: up_sampling2d (UpSampling2D) in 9 [13] (None, 8, 8, 32) -> (None, 24, 24, 32)
            15: conv2d_transpose_2 (Conv2DTranspose) in 9 [14] (None, 24, 24, 32) -> (None, 26, 26, 16)
            16: conv2d_transpose_3 (Conv2DTranspose) in 9 [15] (None, 26, 26, 16) -> (None, 28, 28, 1)
            """.ReplaceLineEndings("\n"), Describe(graph));
        Assert.Equal(new[] { 16 }, graph.Outputs);
        Assert.Equal(new[] { 8 }, graph[1].Outputs);
        Assert.Equal(new[] { 16 }, graph[9].Outputs);
        Assert.Equal(new[] { 2, 3, 4, 5, 6, 7, 8 }, graph[1].Children.Select(c => c.Id));

        // Keras's parameter counts: encoder 18,672 and decoder 9,569.
        Assert.Equal(18_672, graph[1].Children.Sum(Parameters));
        Assert.Equal(9_569, graph[9].Children.Sum(Parameters));

        // As Keras draws them: the decoder (and its input layer) is fed by the encoder's call, not by a layer inside it.
        Assert.Equal(new[] { 1 }, graph[9].Inbound);
        Assert.Equal(new[] { 1 }, graph[10].Inbound);
        Assert.Equal(new[] { 10 }, graph[11].Inbound);

        Assert.Equal("filters=16, kernel_size=(3, 3), strides=(1, 1), padding='valid', data_format='channels_last', dilation_rate=(1, 1), activation='relu', use_bias=True",
            string.Join(", ", graph[3].Config));
        Assert.Equal((3, 3), (graph[5].Setting("pool_size")!.AsInt32s()[0], graph[5].Setting("strides")!.AsInt32s()[1]));
        Assert.Equal(new[] { 4, 4, 1 }, graph[11].Setting("target_shape")!.AsInt32s());
        Assert.Equal(new[] { 3, 3 }, graph[14].Setting("size")!.AsInt32s());
        Assert.Equal(new[] { "kernel [3, 3, 1, 16]", "bias [16]" }, graph[3].Weights.Select(w => $"{w.Name} [{string.Join(", ", w.Shape)}]"));
    }

    [Fact]
    public void A_shared_layer_has_a_node_per_call_and_one_set_of_weights()
    {
        var graph = new GraphSharedLstm(seed: 0).Description.Graph;

        Assert.Equal(
            """
            0: input_1 (InputLayer) in -1 [] [(None, 50, 128)] -> [(None, 50, 128)]
            1: lstm (LSTM) in -1 [0] (None, 50, 128) -> (None, 32)
            2: input_2 (InputLayer) in -1 [] [(None, 50, 128)] -> [(None, 50, 128)]
            3: lstm (LSTM) in -1 [2] (None, 50, 128) -> (None, 32)
            4: concatenate (Concatenate) in -1 [1, 3] [(None, 32), (None, 32)] -> (None, 64)
            5: dense (Dense) in -1 [4] (None, 64) -> (None, 1)
            """.ReplaceLineEndings("\n"), Describe(graph));

        // Keras: 4 · (32 · (128 + 32) + 32) = 20,608 parameters, once.
        Assert.Equal(20_608, Parameters(graph[1]));
        Assert.Equal(graph[1].Weights, graph[3].Weights);
        Assert.Equal(20_608 + 65, new GraphSharedLstm(seed: 0).Description.ParameterCount);
    }

    [Fact]
    public void Groups_nest_through_copies_of_models_lambdas_and_time_distributed()
    {
        var graph = new GraphDeepNesting(seed: 0).Description.Graph;

        // middle's graph applies TimeDistributed to inner, which holds a Lambda; middle is applied twice, so each call
        // has its own copy of every group in it. Operations outside Lambdas are Keras's TFOpLambda layers. The inputs a
        // and b come first: the builder creates both before it applies middle.
        Assert.Equal(
            """
            0: a (InputLayer) in -1 [] [(None, 2, 4)] -> [(None, 2, 4)]
            1: b (InputLayer) in -1 [] [(None, 2, 4)] -> [(None, 2, 4)]
            2: middle (Functional) in -1 [0] (None, 2, 4) -> (None, 2)
            3: middle_in (InputLayer) in 2 [0] [(None, 2, 4)] -> [(None, 2, 4)]
            4: middle_steps (TimeDistributed) in 2 [3] (None, 2, 4) -> (None, 2, 7)
            5: fold (Fold) in 4 [3] (None, 2, 4) -> (None, 4)
            6: inner (Functional) in 4 [5] (None, 4) -> (None, 7)
            7: inner_in (InputLayer) in 6 [5] [(None, 4)] -> [(None, 4)]
            8: inner_dense (Dense) in 6 [7] (None, 4) -> (None, 3)
            9: inner_lambda (Lambda) in 6 [8] (None, 3) -> (None, 3)
            10: tf.math.square (TFOpLambda) in 9 [8] (None, 3) -> (None, 3)
            11: tf.math.negative (TFOpLambda) in 9 [10] (None, 3) -> (None, 3)
            12: tf.math.exp (TFOpLambda) in 9 [11] (None, 3) -> (None, 3)
            13: tf.math.subtract (TFOpLambda) in 9 [12] (None, 3) -> (None, 3)
            14: concatenate (Concatenate) in 6 [13, 7] [(None, 3), (None, 4)] -> (None, 7)
            15: unfold (Unfold) in 4 [14] (None, 7) -> (None, 2, 7)
            16: tf.math.reduce_mean (TFOpLambda) in 2 [15] (None, 2, 7) -> (None, 7)
            17: middle_dense (Dense) in 2 [16] (None, 7) -> (None, 2)
            18: middle (Functional) in -1 [1] (None, 2, 4) -> (None, 2)
            19: middle_in (InputLayer) in 18 [1] [(None, 2, 4)] -> [(None, 2, 4)]
            20: middle_steps (TimeDistributed) in 18 [19] (None, 2, 4) -> (None, 2, 7)
            21: fold (Fold) in 20 [19] (None, 2, 4) -> (None, 4)
            22: inner (Functional) in 20 [21] (None, 4) -> (None, 7)
            23: inner_in (InputLayer) in 22 [21] [(None, 4)] -> [(None, 4)]
            24: inner_dense (Dense) in 22 [23] (None, 4) -> (None, 3)
            25: inner_lambda (Lambda) in 22 [24] (None, 3) -> (None, 3)
            26: tf.math.square (TFOpLambda) in 25 [24] (None, 3) -> (None, 3)
            27: tf.math.negative (TFOpLambda) in 25 [26] (None, 3) -> (None, 3)
            28: tf.math.exp (TFOpLambda) in 25 [27] (None, 3) -> (None, 3)
            29: tf.math.subtract (TFOpLambda) in 25 [28] (None, 3) -> (None, 3)
            30: concatenate (Concatenate) in 22 [29, 23] [(None, 3), (None, 4)] -> (None, 7)
            31: unfold (Unfold) in 20 [30] (None, 7) -> (None, 2, 7)
            32: tf.math.reduce_mean (TFOpLambda) in 18 [31] (None, 2, 7) -> (None, 7)
            33: middle_dense (Dense) in 18 [32] (None, 7) -> (None, 2)
            34: tf.math.subtract (TFOpLambda) in -1 [17, 33] [(None, 2), (None, 2)] -> (None, 2)
            35: tf.math.reduce_sum (TFOpLambda) in -1 [1] (None, 2, 4) -> (None, 4)
            36: gate (Dense) in -1 [35] (None, 4) -> (None, 2)
            37: tf.math.sigmoid (TFOpLambda) in -1 [36] (None, 2) -> (None, 2)
            38: multiply (Multiply) in -1 [34, 37] [(None, 2), (None, 2)] -> (None, 2)
            39: tf.math.multiply (TFOpLambda) in -1 [34] (None, 2) -> (None, 2)
            40: average (Average) in -1 [38, 39] [(None, 2), (None, 2)] -> (None, 2)
            41: out (Dense) in -1 [40] (None, 2) -> (None, 1)
            """.ReplaceLineEndings("\n"), Describe(graph));

        // Keras's edges: a layer fed from a group's output is fed by the group; a group's first children by what feeds it.
        Assert.Equal(new[] { 2, 18 }, graph[34].Inbound);
        Assert.Equal(new[] { 4 }, graph[16].Inbound);
        Assert.Equal(new[] { 9, 7 }, graph[14].Inbound);
        Assert.Equal(new[] { 3 }, graph[5].Inbound);
        Assert.Equal(new[] { 10, 11, 12, 13 }, graph[9].Children.Select(c => c.Id));
        Assert.Equal(new[] { 13 }, graph[9].Outputs);
        Assert.Equal(new[] { 15 }, graph[4].Outputs);
        Assert.Equal(new[] { 17 }, graph[2].Outputs);
        Assert.Equal(new[] { 41 }, graph.Outputs);
        Assert.Equal("scale=-1.0, shift=1.0", string.Join(", ", graph[13].Config));
        Assert.Equal("function='math.reduce_mean', axis=1, keepdims=False", string.Join(", ", graph[16].Config));
        Assert.Equal(2, graph[5].Setting("steps")!.AsInt32());
        Assert.Equal(graph[8].Weights, graph[24].Weights);
    }

    public static IEnumerable<object[]> Models() => new (string, Func<CompiledModel>)[]
    {
        ("news", () => new GraphNews(seed: 1)),
        ("residual", () => new GraphResidual(seed: 1)),
        ("shared lstm", () => new GraphSharedLstm(seed: 1)),
        ("nested autoencoder", () => new GraphNestedAutoencoder(seed: 1)),
        ("deep nesting", () => new GraphDeepNesting(seed: 1)),
        ("siamese", () => new Siamese(seed: 1)),
        ("manhattan", () => new Manhattan(seed: 1)),
        ("time steps", () => new TimeSteps(seed: 1)),
        ("nested time", () => new NestedTime(seed: 1)),
        ("every op", () => new EveryOp(seed: 1)),
        ("broadcast merges", () => new BroadcastMerges(seed: 1)),
        ("every merge", () => new EveryMerge(seed: 1)),
        ("every dot", () => new EveryDot(seed: 1)),
        ("every softmax", () => new EverySoftmax(seed: 1)),
        ("multi-head by hand", () => new MultiHeadByHand(seed: 1)),
        ("attention layers", () => new AttentionLayers(seed: 1)),
        ("multi-head attention layers", () => new MultiHeadAttentionLayers(seed: 1)),
        ("additive attention layers", () => new AdditiveAttentionLayers(seed: 1)),
        ("einsum dense layers", () => new EinsumDenseLayers(seed: 1)),
        ("einsum general layers", () => new EinsumGeneralLayers(seed: 1)),
        ("broadcast matmuls", () => new BroadcastMatMuls(seed: 1)),
        ("autoencoder", () => new Autoencoder(seed: 1)),
        ("returned states", () => new ReturnedStates(seed: 1)),
        ("bidirectional", () => new BidirectionalLayers(seed: 1)),
        ("encoder-decoder", () => new EncoderDecoders(seed: 1)),
        ("time distributed layers", () => new TimeDistributedLayers(seed: 1)),
        ("tagger (run-time lengths)", () => new Tagger(seed: 1)),
        ("every layer", () => new SmallConvNet(seed: 1)),
        ("layer norm forms", () => new LayerNormForms(seed: 1)),
        ("layer norm time distributed", () => new LayerNormTimeDistributed(seed: 1)),
    }.Select(m => new object[] { m.Item1, m.Item2 });

    [Theory]
    [MemberData(nameof(Models))]
    public void The_flat_graph_is_topological_and_accounts_for_every_input_output_and_weight(string name, Func<CompiledModel> create)
    {
        var description = create().Description;
        var graph = description.Graph;
        Assert.Equal(description.Name, graph.Name);
        Assert.True(graph.Nodes.Count > 0, name);
        for (int id = 0; id < graph.Nodes.Count; id++)
        {
            var node = graph[id];
            Assert.Equal(id, node.Id);
            Assert.All(node.Inputs, i => Assert.True(i < id && !graph[i].IsGroup, $"{node} reads {i}"));
            Assert.True(node.Parent < id && (node.Parent < 0 || graph[node.Parent].IsGroup), $"{node} is in {node.Parent}");
            Assert.All(node.Outputs, o => Assert.True(IsInside(graph, o, id), $"{node} gives {o}, which is not inside it"));
            Assert.NotNull(node.Config);
            Assert.Equal(node.InputShapes.Count, node.Inputs.Count);
            Assert.Equal(node.Inputs.Count, node.Inbound.Count);
            if (node.Kind == GraphNodeKind.InputLayer)
            {
                Assert.Equal(node.Parent < 0 ? 0 : 1, node.Inputs.Count);
            }
        }

        // Inputs and outputs: the description's, in order.
        Assert.Equal(description.Inputs.Select(i => i.Name), graph.Inputs.Select(i => graph[i].Name));
        Assert.Equal(description.Inputs.Select(i => string.Join(",", i.Shape)), graph.Inputs.Select(i => string.Join(",", graph[i].Shape)));
        Assert.Equal(description.Outputs.Select(o => string.Join(",", o.Shape)), graph.Outputs.Select(o => string.Join(",", graph[o].Shape)));

        // Every weight tensor belongs to exactly one layer, whatever the number of its calls.
        var owners = new Dictionary<int, string>();
        foreach (var node in graph.Nodes.Where(n => n.WeightCount > 0))
        {
            for (int w = node.FirstWeight; w < node.FirstWeight + node.WeightCount; w++)
            {
                Assert.Equal(node.Name, description.Weights[w].Layer);
                Assert.True(!owners.TryGetValue(w, out var owner) || owner == node.Name, $"weight {w} read by {owner} and {node.Name}");
                owners[w] = node.Name;
            }
        }

        Assert.Equal(Enumerable.Range(0, description.Weights.Count), owners.Keys.Order());
    }

    private static bool IsInside(ModelGraph graph, int node, int group)
    {
        for (int p = graph[node].Parent; p >= 0; p = graph[p].Parent)
        {
            if (p == group)
            {
                return true;
            }
        }

        return false;
    }

    public static IEnumerable<object[]> DenseFamilyModels() => Models().Where(m => (string)m[0] is "deep nesting" or "siamese" or "manhattan"
        or "time steps" or "nested time" or "every op" or "broadcast merges" or "every merge" or "every dot" or "every softmax" or "multi-head by hand" or "attention layers" or "multi-head attention layers" or "additive attention layers" or "einsum dense layers" or "einsum general layers" or "broadcast matmuls" or "autoencoder" or "layer norm forms"
        or "layer norm time distributed");

    [Theory]
    [MemberData(nameof(DenseFamilyModels))]
    public void Running_the_flat_graph_alone_gives_what_predict_gives(string name, Func<CompiledModel> create)
    {
        var model = create();
        const int batch = 3;
        var random = new Random(7);
        float[][] inputs = model.Description.Inputs.Select(i => Enumerable.Range(0, batch * i.Size).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();

        float[][] expected = model.Predict(inputs, batchSize: batch);
        float[][] actual = FlatGraphInterpreter.Run(model.Description.Graph, model.Weights.ToArray(), inputs, batch);

        Assert.Equal(expected.Length, actual.Length);
        for (int o = 0; o < expected.Length; o++)
        {
            Assert.Equal(expected[o].Length, actual[o].Length);
            for (int i = 0; i < expected[o].Length; i++)
            {
                Assert.True(Math.Abs(expected[o][i] - actual[o][i]) <= 1e-4 + 1e-4 * Math.Abs(expected[o][i]),
                    $"{name}: output {o}[{i}] is {expected[o][i]} by Predict, {actual[o][i]} from the graph");
            }
        }
    }

    [Fact]
    public void A_layers_setup_is_in_its_graph_settings_under_Keras_names()
    {
        string Config(CompiledModel model, string layer)
            => string.Join(", ", model.Description.Graph!.Nodes.First(n => n.Name == layer).Config.Select(c => c.ToString()));

        var initialized = new InitializedLayers(seed: 1);
        Assert.EndsWith("kernel_initializer='he_normal', bias_initializer='ones'", Config(initialized, "conv"));
        Assert.EndsWith("kernel_initializer='glorot_normal', bias_initializer='zeros', recurrent_initializer='orthogonal'", Config(initialized, "lstm"));
        Assert.EndsWith("kernel_regularizer='L2(l2=0.02)', recurrent_regularizer='L1(l1=0.01)'", Config(new RegularizedLayers(seed: 1), "rnn"));

        var regularized = new RegularizedLayers(seed: 1);
        Assert.EndsWith("kernel_regularizer='L2(l2=0.01)', bias_regularizer='L1(l1=0.02)'", Config(regularized, "hidden"));
        Assert.EndsWith("kernel_regularizer='L1L2(l1=0.005, l2=0.03)'", Config(regularized, "out"));

        var constrained = new ConstrainedLayers(seed: 1);
        Assert.EndsWith("kernel_constraint='MaxNorm(max_value=0.3, axis=[0, 1, 2])'", Config(constrained, "conv"));
        Assert.EndsWith("kernel_constraint='MaxNorm(max_value=0.5, axis=0)', bias_constraint='NonNeg()'", Config(constrained, "max_norm"));
        Assert.EndsWith("kernel_constraint='MinMaxNorm(min_value=0.2, max_value=0.4, rate=1, axis=0)'", Config(constrained, "min_max"));

        Assert.EndsWith("activity_regularizer='L1L2(l1=0.01, l2=0.02)'", Config(new ActivityRegularizedDense(seed: 1), "hidden"));
        Assert.Contains("trainable=False", Config(new BuilderFrozen(seed: 1), "base_dense"));
        Assert.DoesNotContain("initializer", Config(new Mlp(seed: 1), "dense_1")); // defaults are not listed
    }
}
