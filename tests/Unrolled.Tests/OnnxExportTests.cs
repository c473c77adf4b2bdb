using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Unrolled.Tests;

/// <summary>
/// <see cref="CompiledModel.ExportOnnx(string, int)"/> checked against two independent implementations: ONNX's own
/// checker with full shape inference (tests/onnx/check.py under /usr/bin/python3 or UNROLLED_PYTHON, from Debian's
/// python3-onnx) reads every file, and ONNX Runtime (tests/onnx/run.mjs, onnxruntime-node) runs it on the same inputs as
/// <see cref="CompiledModel.Predict(float[][], int, int[])"/>; the outputs must agree within 1e-4 relative (1e-5
/// absolute near zero). Weights are the models' own initial ones moved by seeded noise, so biases and BatchNormalization
/// statistics are not trivial. Without python3-onnx, Node or onnxruntime-node the comparisons are reported as skipped
/// with the reason; CI sets UNROLLED_REQUIRE_ONNX=1, and then a missing tool fails them (see <see cref="OnnxTools"/>).
/// </summary>
public class OnnxExportTests
{
    private readonly ITestOutputHelper _output;

    public OnnxExportTests(ITestOutputHelper output) => _output = output;

    /// <summary>Every model compared with ONNX Runtime, by a name the test report shows.</summary>
    internal static readonly Dictionary<string, Func<CompiledModel>> s_models = new()
    {
        ["mlp"] = () => new Mlp(seed: 1),
        ["two_heads"] = () => new TwoHeads(seed: 2),
        ["every_activation"] = () => new EveryActivation(seed: 3),
        ["regressor_swish_gelu"] = () => new Regressor(seed: 4),
        ["every_merge"] = () => new EveryMerge(seed: 5),
        ["broadcast_merges"] = () => new BroadcastMerges(seed: 6),
        ["siamese_nested_shared"] = () => new Siamese(seed: 7),
        ["manhattan_lambda_shared"] = () => new Manhattan(seed: 8),
        ["every_op"] = () => new EveryOp(seed: 9),
        ["op_logs"] = () => new OpLogs(seed: 10),
        ["op_normalise"] = () => new OpNormalise(seed: 11),
        ["op_centre"] = () => new OpCentre(seed: 12),
        ["op_bound"] = () => new OpBound(seed: 13),
        ["op_gates"] = () => new OpGates(seed: 14),
        ["op_affine"] = () => new OpAffine(seed: 15),
        ["sequence_mlp_time_distributed"] = () => new SequenceMlp(seed: 16),
        ["time_steps"] = () => new TimeSteps(seed: 17),
        ["nested_time"] = () => new NestedTime(seed: 18),
        ["autoencoder_two_outputs"] = () => new Autoencoder(seed: 19),
        ["small_conv_net"] = () => new SmallConvNet(seed: 20),
        ["dilated_conv_net"] = () => new DilatedConvNet(seed: 21),
        ["upsampler_transpose"] = () => new Upsampler(seed: 22),
        ["separable"] = () => new Separable(seed: 23),
        ["sequence_1d"] = () => new Sequence1D(seed: 24),
        ["recurrents_embedding"] = () => new Recurrents(seed: 25),
        ["regularized_batch_norm"] = () => Trained(new Regularized(seed: 26)),
        ["torch_conv"] = () => new TorchConv(seed: 27),
        ["torch_conv_transpose"] = () => new TorchConvTranspose(seed: 28),
        ["torch_lstm"] = () => new TorchLstm(seed: 29),
        ["torch_gru"] = () => new TorchGru(seed: 30),
        ["returned_states"] = () => new ReturnedStates(seed: 31),
        ["time_distributed_layers"] = () => new TimeDistributedLayers(seed: 32),
        ["view_outputs"] = () => new ViewOutputs(seed: 33),
        ["news_lstm"] = () => new GraphNews(seed: 34),
        ["residual"] = () => new GraphResidual(seed: 35),
        ["shared_lstm"] = () => new GraphSharedLstm(seed: 36),
        ["nested_autoencoder"] = () => new GraphNestedAutoencoder(seed: 37),
        ["deep_nesting"] = () => new GraphDeepNesting(seed: 38),
        ["padding_strides_dilation"] = () => new OnnxPadding(seed: 39),
        ["batch_norm_trained"] = () => Trained(new OnnxBatchNorm(seed: 40)),
        ["recurrent_settings"] = () => new OnnxRecurrent(seed: 41),
        ["question_answering"] = () => new QuestionAnswering(seed: 42),
        ["dots"] = () => new OnnxDots(seed: 43),
        ["every_dot_axes"] = () => new EveryDot(seed: 44),
        ["go_backwards_states"] = () => new Backwards(seed: 47),
        ["go_backwards_stack"] = () => new BackwardsStack(seed: 48),
        ["position_embeddings"] = () => new PositionEmbeddings(seed: 49),
        ["every_softmax"] = () => new EverySoftmax(seed: 61),
        ["multi_head_by_hand"] = () => new MultiHeadByHand(seed: 62),
        ["attention_layers"] = () => new AttentionLayers(seed: 63),
        ["multi_head_attention_layers"] = () => new MultiHeadAttentionLayers(seed: 64),
        ["encoder_decoders"] = () => new EncoderDecoders(seed: 66),
        ["bidirectional_layers"] = () => new BidirectionalLayers(seed: 69),
        ["additive_attention_layers"] = () => new AdditiveAttentionLayers(seed: 71),
        ["dropped_attention"] = () => new DroppedAttention(seed: 72),
        ["einsum_dense_layers"] = () => new EinsumDenseLayers(seed: 73),
        ["broadcast_matmuls"] = () => new BroadcastMatMuls(seed: 74),
        ["folded_decoder"] = () => new FoldedDecoder(seed: 67),
        ["layer_norm_last"] = () => new LayerNormLast(seed: 44),
        ["layer_norm_forms"] = () => new LayerNormForms(seed: 45),
        ["layer_norm_time_distributed"] = () => new LayerNormTimeDistributed(seed: 46),
        ["attention_scores"] = () => new AttentionScoresModel(seed: 47),
        ["attention_concat"] = () => new ConcatAttentionModel(seed: 48),
        ["attention_calls"] = () => new SequenceAttentionCallsModel(seed: 49),
        ["attention_dropped_scores"] = () => new DroppedAttentionScoresModel(seed: 50),
        ["attention_mask"] = () => new AttentionMaskModel(seed: 51),
        ["masked_recurrent"] = () => new MaskedRecurrentExport(seed: 52),
        ["masked_encoder_decoder"] = () => new MaskedEncoderDecoder(seed: 53),
        ["masked_concatenation"] = () => new MaskedConcatenationModel(seed: 54),
        ["einsum_general"] = () => new EinsumGeneralLayers(seed: 55),
        ["attention_axes"] = () => new AttentionAxesModel(seed: 56),
        ["masked_attention"] = () => new MaskedAttentionExport(seed: 49),
    };

    /// <summary>Models with lengths given at run time, and the lengths to run them with.</summary>
    private static readonly Dictionary<string, (Func<CompiledModel> Make, int[] Lengths)> s_dynamic = new()
    {
        ["text_branch"] = (() => new TextBranch(seed: 50), [9]),
        ["posts_small"] = (() => new PostsSmall(seed: 51), [11]),
        ["short_sequences"] = (() => new ShortSequences(seed: 52), [7]),
        ["mean_over_time"] = (() => new MeanOverTime(seed: 53), [6]),
        ["tagger"] = (() => new Tagger(seed: 54), [5]),
        ["joined_sequences"] = (() => new JoinedSequences(seed: 55), [3, 4]),
        ["any_size_image"] = (() => new AnySizeImage(seed: 56), [3, 5]),
        ["dynamic_windows"] = (() => new OnnxDynamicWindows(seed: 57), [10]),
        ["dynamic_image"] = (() => new OnnxDynamicImage(seed: 58), [7, 5]),
        ["layer_norm_sequences"] = (() => new LayerNormSequences(seed: 59), [6]),
        ["attention_run_time_lengths"] = (() => new AttentionOverRunTimeLengths(seed: 60), [5]),
        ["transformer_block_run_time_lengths"] = (() => new TransformerBlockOverRunTimeLengths(seed: 65), [7]),
        ["encoder_decoder_run_time_lengths"] = (() => new EncoderDecoderRunTimeLengths(seed: 68), [6, 3]),
        ["bidirectional_run_time_lengths"] = (() => new BidirectionalRunTimeLengths(seed: 70), [6]),
    };

    public static IEnumerable<object[]> Models => s_models.Keys.Select(k => new object[] { k });

    public static IEnumerable<object[]> DynamicModels => s_dynamic.Keys.Select(k => new object[] { k });

    /// <summary>Models whose operators change between operator sets (reductions' axes, Gelu, Resize, pooling), run at
    /// each newer set the exporter writes.</summary>
    public static IEnumerable<object[]> NewerOpsets =>
        from opset in new[] { 18, 19, 20, 21, 22 }
        from name in new[] { "every_activation", "every_merge", "every_op", "upsampler_transpose", "padding_strides_dilation", "batch_norm_trained", "recurrent_settings", "time_steps", "layer_norm_forms" }
        select new object[] { name, opset };

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void Matches_Predict_in_ONNX_Runtime(string name) => Compare(name, Randomized(s_models[name]()), Array.Empty<int>(), opset: 17);

    [SkippableTheory]
    [MemberData(nameof(DynamicModels))]
    public void Matches_Predict_with_run_time_lengths(string name)
    {
        var (make, lengths) = s_dynamic[name];
        Compare(name, Randomized(make()), lengths, opset: 17);

        // The same file serves other lengths (other remainders of the strides): the axes are symbolic.
        Compare(name, Randomized(make()), lengths.Select(l => l + 1).ToArray(), opset: 17);
    }

    [SkippableTheory]
    [MemberData(nameof(NewerOpsets))]
    public void Matches_Predict_at_newer_operator_sets(string name, int opset) => Compare(name, Randomized(s_models[name]()), Array.Empty<int>(), opset);

    [SkippableFact]
    public void The_file_names_inputs_outputs_and_weights_as_the_model_does()
    {
        OnnxTools.Require();
        var model = Randomized(new GraphNews(seed: 3));
        var summary = Checked(Export(model, 17, out string file));
        File.Delete(file);
        Assert.Equal(8, summary.GetProperty("ir_version").GetInt32());
        var opset = Assert.Single(summary.GetProperty("opset").EnumerateArray());
        Assert.Equal(string.Empty, opset.GetProperty("domain").GetString());
        Assert.Equal(17, opset.GetProperty("version").GetInt32());
        Assert.Equal("Unrolled", summary.GetProperty("producer_name").GetString());
        Assert.False(string.IsNullOrEmpty(summary.GetProperty("producer_version").GetString()));

        var inputs = summary.GetProperty("inputs").EnumerateArray().ToList();
        Assert.Equal(["main_input", "aux_input"], inputs.Select(i => i.GetProperty("name").GetString()));
        Assert.Equal(6, inputs[0].GetProperty("elem_type").GetInt32());     // INT32 word ids
        Assert.Equal(1, inputs[1].GetProperty("elem_type").GetInt32());     // FLOAT
        Assert.Equal("[\"batch\",100]", inputs[0].GetProperty("dims").GetRawText());
        Assert.Equal("[\"batch\",5]", inputs[1].GetProperty("dims").GetRawText());
        var outputs = summary.GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal(["main_output", "aux_output"], outputs.Select(o => o.GetProperty("name").GetString()));
        Assert.All(outputs, o => Assert.Equal("[\"batch\",1]", o.GetProperty("dims").GetRawText()));

        // Every weight of the model is one initializer named layer/weight, in ONNX's layout (LSTM: W [1, 4u, in]).
        var initializers = summary.GetProperty("initializers").EnumerateArray()
            .ToDictionary(i => i.GetProperty("name").GetString()!, i => i.GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()).ToArray());
        foreach (var weight in model.Description.Weights)
        {
            Assert.True(initializers.ContainsKey($"{weight.Layer}/{weight.Name}"), $"no initializer {weight.Layer}/{weight.Name}");
        }

        Assert.Equal([10000L, 512], initializers["embedding/embeddings"]);
        Assert.Equal([1L, 128, 512], initializers["lstm/kernel"]);
        Assert.Equal([1L, 128, 32], initializers["lstm/recurrent_kernel"]);
        Assert.Equal([1L, 256], initializers["lstm/bias"]);
        Assert.Equal([64L, 64], initializers["dense_1/kernel"]);
    }

    [SkippableFact]
    public void Run_time_lengths_are_symbolic_axes_named_as_the_generated_parameters()
    {
        OnnxTools.Require();
        var model = new JoinedSequences(seed: 1);
        var summary = Checked(Export(model, 17, out string file));
        File.Delete(file);
        var inputs = summary.GetProperty("inputs").EnumerateArray().ToList();
        var lengths = model.Description.Lengths;
        Assert.Equal($"[\"batch\",\"{lengths[0].Name}\",3]", inputs[0].GetProperty("dims").GetRawText());
        Assert.Equal($"[\"batch\",\"{lengths[1].Name}\",3]", inputs[1].GetProperty("dims").GetRawText());
        Assert.Equal("[\"batch\",4]", inputs[2].GetProperty("dims").GetRawText());
    }

    [Fact]
    public void The_stream_overload_writes_the_same_bytes_as_the_file()
    {
        var model = Randomized(new SmallConvNet(seed: 4));
        string file = Path.Combine(Path.GetTempPath(), $"unrolled-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            model.ExportOnnx(file);
            using var stream = new MemoryStream();
            stream.WriteByte(42);                       // written at the stream's position, which is left open
            model.ExportOnnx(stream);
            Assert.Equal(File.ReadAllBytes(file), stream.ToArray().Skip(1));
            Assert.True(stream.CanWrite);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Opsets_outside_the_supported_range_are_refused()
    {
        var model = new Mlp(seed: 1);
        using var stream = new MemoryStream();
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ExportOnnx(stream, opset: 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ExportOnnx(stream, opset: 23));
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void An_unsupported_kind_throws_naming_the_layer_before_anything_is_written()
    {
        var model = new HandMadeModel(new GraphNode("resize", "UpSampling2D", GraphNodeKind.UpSampling2D, -1, [0], [4, 4, 1],
            new UpSamplingSettings([2, 2], "channels_last", "bilinear")));
        string directory = Directory.CreateTempSubdirectory("unrolled-onnx-").FullName;
        try
        {
            string file = Path.Combine(directory, "model.onnx");
            File.WriteAllText(file, "the previous model");
            var error = Assert.Throws<NotSupportedException>(() => model.ExportOnnx(file));
            Assert.Contains("'resize'", error.Message);
            Assert.Contains("UpSampling2D", error.Message);
            Assert.Contains("bilinear", error.Message);
            Assert.Equal("the previous model", File.ReadAllText(file));
            Assert.Equal([file], Directory.GetFiles(directory));   // no temporary file left behind

            using var stream = new MemoryStream();
            Assert.Throws<NotSupportedException>(() => model.ExportOnnx(stream));
            Assert.Equal(0, stream.Length);

            var unknown = new HandMadeModel(new GraphNode("mystery", "Mystery", (GraphNodeKind)999, -1, [0], [2, 2, 1]));
            error = Assert.Throws<NotSupportedException>(() => unknown.ExportOnnx(stream));
            Assert.Contains("'mystery'", error.Message);
            Assert.Contains("999", error.Message);
            Assert.Equal(0, stream.Length);

            // A hand-built node may leave its settings out; export then names the node and the record it needs.
            var bare = new HandMadeModel(new GraphNode("bare", "Flatten", GraphNodeKind.Reshape, -1, [0], [4]));
            error = Assert.Throws<NotSupportedException>(() => bare.ExportOnnx(stream));
            Assert.Contains("'bare'", error.Message);
            Assert.Contains("no settings", error.Message);
            Assert.Equal(0, stream.Length);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_masked_recurrent_layer_over_steps_known_only_at_run_time_is_refused_naming_it()
    {
        // Masked recurrence exports one operator per step, so it needs the number of steps.
        using var stream = new MemoryStream();
        var error = Assert.Throws<NotSupportedException>(() => new MaskedTagger(seed: 1).ExportOnnx(stream));
        Assert.Contains("forward_lstm", error.Message);
        Assert.Contains("mask", error.Message);
        Assert.Contains("number of steps", error.Message);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void The_file_is_replaced_whole_through_a_temporary_file()
    {
        string directory = Directory.CreateTempSubdirectory("unrolled-onnx-").FullName;
        try
        {
            string file = Path.Combine(directory, "model.onnx");
            File.WriteAllText(file, new string('x', 1 << 20));       // longer than the model: no stale tail may remain
            var model = new Mlp(seed: 2);
            using (var reader = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                // A reader holding the old file keeps reading the old file: the new one is renamed over it, not rewritten.
                model.ExportOnnx(file);
                Assert.Equal((byte)'x', (byte)reader.ReadByte());
            }

            using var expected = new MemoryStream();
            model.ExportOnnx(expected);
            Assert.Equal(expected.ToArray(), File.ReadAllBytes(file));
            Assert.Equal([file], Directory.GetFiles(directory));

            Assert.Throws<DirectoryNotFoundException>(() => model.ExportOnnx(Path.Combine(directory, "missing", "model.onnx")));
            Assert.Equal([file], Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // ---- the comparison ----

    private void Compare(string name, CompiledModel model, int[] lengths, int opset)
    {
        string runner = OnnxTools.Require();
        const int batch = 3;
        // A hash of the name that is the same in every process (string.GetHashCode is not), so a failure replays.
        var random = new Random(name.Aggregate(17, (hash, c) => unchecked((hash * 31) + c)) & 0xffff);
        var description = model.Description;
        var inputs = new float[description.Inputs.Count][];
        var feeds = new Dictionary<string, object>();
        for (int i = 0; i < inputs.Length; i++)
        {
            var info = description.Inputs[i];
            int[] dims = Dims(description, info, i, lengths, batch);
            int size = dims.Aggregate(1, (a, b) => a * b);
            int vocabulary = info.DType == DType.Int32 ? Vocabulary(description.Graph, i) : 0;
            inputs[i] = Enumerable.Range(0, size)
                .Select(_ => info.DType == DType.Int32 ? random.Next(vocabulary) : (float)(random.NextDouble() * 2 - 1)).ToArray();
            feeds[info.Name] = new Dictionary<string, object>
            {
                ["type"] = info.DType == DType.Int32 ? "int32" : "float32",
                ["dims"] = dims,
                ["data"] = inputs[i],
            };
        }

        float[][] expected = model.Predict(inputs, batch, lengths.Length > 0 ? lengths : null);
        var summary = Checked(Export(model, opset, out string file));
        Assert.True(opset > 17 || summary.GetProperty("checked").GetBoolean(), "onnx.checker did not check an opset-17 file");
        string feedFile = Path.ChangeExtension(file, ".json");
        try
        {
            File.WriteAllText(feedFile, JsonSerializer.Serialize(feeds));
            var (code, output, error) = ExternalProcess.Run("node", $"\"{runner}\" \"{file}\" \"{feedFile}\"", Path.GetDirectoryName(runner)!);
            Assert.True(code == 0, $"ONNX Runtime failed on {name} (opset {opset}):\n{error}");
            using var result = JsonDocument.Parse(output);
            var outputs = result.RootElement.GetProperty("outputs");
            _output.WriteLine($"{name}, opset {opset}: operators {summary.GetProperty("ops").GetRawText()}");
            for (int j = 0; j < description.Outputs.Count; j++)
            {
                var info = description.Outputs[j];
                var actual = outputs.GetProperty(info.Name);
                var dims = actual.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32()).ToArray();
                Assert.True(dims[0] == batch && dims.Skip(1).Aggregate(1, (a, b) => a * b) * batch == expected[j].Length,
                    $"{name}: output '{info.Name}' has shape [{string.Join(", ", dims)}] in ONNX Runtime, {expected[j].Length} values from Predict");
                var values = actual.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                double worst = 0;
                int worstAt = -1;
                for (int k = 0; k < values.Length; k++)
                {
                    double difference = Math.Abs(values[k] - expected[j][k]);
                    double allowed = Math.Max(1e-4 * Math.Max(Math.Abs(values[k]), Math.Abs(expected[j][k])), 1e-5);
                    if (double.IsNaN(values[k]) || difference / allowed > worst)
                    {
                        worst = double.IsNaN(values[k]) ? double.PositiveInfinity : difference / allowed;
                        worstAt = k;
                    }
                }

                _output.WriteLine($"  {info.Name} [{string.Join(", ", dims)}]: worst difference {worst:F3} of the tolerance");
                if (worst > 1)
                {
                    Assert.Fail($"{name} (opset {opset}): output '{info.Name}'[{worstAt}] is {values[worstAt]:R} in ONNX Runtime, {expected[j][worstAt]:R} from Predict");
                }
            }
        }
        finally
        {
            File.Delete(file);
            File.Delete(feedFile);
        }
    }

    private static int[] Dims(ModelDescription description, TensorInfo info, int input, int[] lengths, int batch)
    {
        var dims = new List<int> { batch };
        for (int d = 0; d < info.Shape.Count; d++)
        {
            int length = info.Shape[d];
            if (length < 0)
            {
                int which = description.Lengths.ToList().FindIndex(l => l.Input == input && l.Axis == d + 1);
                length = lengths[which];
            }

            dims.Add(length);
        }

        return dims.ToArray();
    }

    /// <summary>The vocabulary of the Embedding an integer input feeds.</summary>
    internal static int Vocabulary(ModelGraph graph, int input)
    {
        var reached = new HashSet<int> { graph.Inputs[input] };
        foreach (var node in graph.Nodes)
        {
            if (node.Inputs.Any(reached.Contains))
            {
                if (node.Kind == GraphNodeKind.Embedding)
                {
                    return node.Setting("input_dim")!.AsInt32();
                }

                reached.Add(node.Id);
            }
        }

        throw new InvalidOperationException($"Input {input} feeds no Embedding.");
    }

    /// <summary>The model's initial weights moved by seeded noise: biases and BatchNormalization statistics become
    /// non-trivial (variances stay positive).</summary>
    internal static CompiledModel Randomized(CompiledModel model)
    {
        var random = new Random(1234);
        var weights = model.Weights;
        foreach (var weight in model.Description.Weights)
        {
            var values = weights.Slice(weight.Offset, weight.Size);
            for (int i = 0; i < values.Length; i++)
            {
                double noise = random.NextDouble() * 2 - 1;
                values[i] = weight.Name == "moving_variance" ? values[i] * (float)(1 + 0.5 * noise) : values[i] + (float)(0.2 * noise);
            }
        }

        return model;
    }

    /// <summary>A few training steps on random data, so BatchNormalization's moving statistics are the data's.</summary>
    private static CompiledModel Trained(CompiledModel model)
    {
        const int batch = 16;
        var random = new Random(99);
        int inputSize = model.Description.Inputs[0].Size, outputSize = model.Description.Outputs[0].Size;
        model.Compile("adam", "mse");
        float[] x = Enumerable.Range(0, 5 * batch * inputSize).Select(_ => (float)(random.NextDouble() * 3 + 0.5)).ToArray();
        float[] y = Enumerable.Range(0, 5 * batch * outputSize).Select(_ => (float)random.NextDouble()).ToArray();
        model.Fit(x, y, epochs: 1, batchSize: batch, shuffle: false, verbose: 0);     // five steps

        return model;
    }

    // ---- the tools ----

    private static string Export(CompiledModel model, int opset, out string file)
    {
        file = Path.Combine(Path.GetTempPath(), $"unrolled-onnx-{Guid.NewGuid():N}.onnx");
        model.ExportOnnx(file, opset);
        return file;
    }

    /// <summary>Runs ONNX's checker on the file and returns what it read. The checker of Debian's python3-onnx (1.12)
    /// knows operator sets up to 17, so a file of a newer set is only loaded and summarised, not checked.</summary>
    private static JsonElement Checked(string file)
    {
        var (code, output, error) = ExternalProcess.Run(Peer.Python, $"\"{Path.Combine(OnnxTools.Directory, "check.py")}\" \"{file}\"", OnnxTools.Directory);
        Assert.True(code == 0, $"onnx.checker rejected the file:\n{error}");
        using var document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    /// <summary>A model built by hand around one node after an input, for kinds and settings the generator does not make.</summary>
    private sealed class HandMadeModel : CompiledModel
    {
        public HandMadeModel(GraphNode node)
            : base(Describe(node), seed: 0)
        {
        }

        private static ModelDescription Describe(GraphNode node)
        {
            var input = new GraphNode("input", "InputLayer", GraphNodeKind.InputLayer, -1, [], [2, 2, 1], new InputSettings("float32"));
            var graph = new ModelGraph([0], [1], [input, node]);
            return new ModelDescription("hand_made", [new TensorInfo("input", [2, 2, 1], DType.Float32, 0)],
                [new TensorInfo(node.Name, node.Shape.ToArray(), DType.Float32, 4)], parameterCount: 0, activationSize: 4 + node.Shape.Aggregate(1, (a, b) => a * b),
                scratchSize: 0, summary: string.Empty, graph: graph);
        }

        protected override void InitializeWeights(Span<float> weights, ref WeightInitializer initializer)
        {
        }

        protected override void Forward(Workspace workspace, int batchSize, bool training) => throw new NotSupportedException();

        protected override void Backward(Workspace workspace, int batchSize) => throw new NotSupportedException();
    }
}
