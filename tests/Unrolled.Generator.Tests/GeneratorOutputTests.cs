using System.Linq;
using Microsoft.CodeAnalysis;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;

namespace Unrolled.Generator.Tests;

public class GeneratorOutputTests
{
    [Theory]
    [InlineData("FashionMlp", TestModels.Mlp)]
    [InlineData("Router", TestModels.Router)]
    public void Generated_code_matches_the_baseline_and_compiles(string name, string source)
    {
        var (result, output) = TestCompiler.Generate(TestCompiler.Compile(source));

        var generated = Assert.Single(result.GeneratedTrees);
        Baseline.Match(name, generated.GetText().ToString());
        var errors = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(errors.Count == 0, TestCompiler.Describe(errors));
    }

    /// <summary>
    /// Layers named like the locals the inference optimisations declare (a folded table <c>folded0</c>, a Winograd kernel
    /// <c>winograd</c>, an input parameter <c>modelInput0</c>) still give code that compiles: the layers' locals yield.
    /// </summary>
    [Fact]
    public void Layer_names_never_clash_with_the_optimisations_locals()
    {
        string source = Sources.Builder("""
            var ids = Input([6], DType.Int32, name: "model_input_0");
            var folded = Embedding(20, 8, name: "folded_0")(ids);
            var h = LSTM(4, name: "folded_1")(folded);
            var image = Input([6, 6, 32], name: "model_input_1");
            var c = Conv2D(16, 3, name: "winograd")(image);
            var d = Conv2D(16, 3, padding: Padding.Same, name: "winograd_1")(Conv2D(32, 3, padding: Padding.Same, name: "x_winograd")(image));
            return new Model([ids, image], [h, GlobalAveragePooling2D()(c), GlobalAveragePooling2D()(d)]);
            """);
        string code = Generated.Code(source);
        Assert.Contains("FoldedProjection(0,", code);
        Assert.Contains("WinogradKernel(", code);
        Assert.Contains("modelInput0", code);
        var (_, output) = TestCompiler.Generate(TestCompiler.Compile(source));
        var errors = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(errors.Count == 0, TestCompiler.Describe(errors));
    }

    [Fact]
    public void The_kitchen_sink_model_generates_and_compiles()
    {
        string code = Generated.Code(TestModels.Everything);
        string summary = Generated.Summary(code);
        // The tower runs inside TimeDistributed, so (as in Keras) only the TimeDistributed rows show it; its weights
        // count once in the total: tower 20 + shared dense_1 20 + dense_2 10 + dense_3 7.
        Assert.Contains("time_distributed_1 (TimeDistrib (None, 3, 4)         20          right[0][0]", summary);
        Assert.Contains("lambda (Lambda)                 (None, 1, 4)         0           time_distributed[0][0]", summary);
        Assert.Contains("                                                                 dense_1[1][0]", summary);
        Assert.Contains("Total params: 57\n", summary);
    }

    [Fact]
    public void Summary_reports_the_workspace_after_keras_s_table()
    {
        // 784 + 64 + 64 + 10 activations per sample, no scratch.
        Assert.Equal("Workspace: 922 floats (3.6 KiB) per sample to predict; 1,844 floats (7.2 KiB) per sample to train, plus a gradient per weight",
            Generated.WorkspaceLine(Generated.Code(TestModels.Mlp)));
        Assert.Equal("Workspace: sized per call from the run-time lengths", Generated.WorkspaceLine(Generated.Code(TestModels.Sequences)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_prediction_workspace_holds_no_attention_weights_unless_the_call_returns_them(bool returnScores)
    {
        // 50 steps of 8 features, 2 heads of 4: the weights are 2 × 50 × 50 = 5,000 floats per sample.
        string call = returnScores ? "var (y, scores) = attention(x, x, returnAttentionScores: true); return new Model(x, [y, scores]);"
                                   : "return new Model(x, attention(x, x));";
        string source = $$"""
            using Unrolled;
            using static Unrolled.Layers;

            public partial class SelfAttention
            {
                [ModelBuilder]
                static Model Build()
                {
                    var x = Input([50, 8]);
                    var attention = MultiHeadAttention(numHeads: 2, keyDim: 4);
                    {{call}}
                }
            }
            """;
        string line = Generated.WorkspaceLine(Generated.Code(source));
        var floats = System.Text.RegularExpressions.Regex.Matches(line, @"([\d,]+) floats")
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        Assert.Equal(2, floats.Length);
        if (returnScores)
        {
            Assert.True(floats[0] >= 5000, line); // the returned weights are an output
        }
        else
        {
            Assert.True(floats[0] < 5000 && floats[1] - floats[0] >= 5000, line);
            Assert.Contains("fixed-shape layers' working space once", line); // one head's scores, 2,500 floats
        }
    }

    [Fact]
    public void Summary_matches_the_tutorials_keras_table()
    {
        // The seed prints this table for the same model (Keras 2, TF 2.x); trailing spaces are Keras's own.
        const string expected =
            "Model: \"mnist_model\"\n" +
            "_________________________________________________________________\n" +
            "Layer (type)                 Output Shape              Param #   \n" +
            "=================================================================\n" +
            "input_1 (InputLayer)         [(None, 784)]             0         \n" +
            "_________________________________________________________________\n" +
            "dense (Dense)                (None, 64)                50240     \n" +
            "_________________________________________________________________\n" +
            "dense_1 (Dense)              (None, 64)                4160      \n" +
            "_________________________________________________________________\n" +
            "dense_2 (Dense)              (None, 10)                650       \n" +
            "=================================================================\n" +
            "Total params: 55,050\n" +
            "Trainable params: 55,050\n" +
            "Non-trainable params: 0\n" +
            "_________________________________________________________________\n";
        Assert.Equal(expected, SummaryOf(TestModels.Mlp));
    }

    [Fact]
    public void Graph_models_get_the_connected_to_column()
    {
        string summary = SummaryOf(TestModels.Router);
        string[] lines = summary.Split('\n');
        Assert.Equal(98, lines[1].Length);
        Assert.StartsWith("Layer (type)                    Output Shape         Param #     Connected to", lines[2]);
        Assert.Contains(lines, l => l.StartsWith("concatenate (Concatenate)       (None, 44)           0           dense_1[0][0]", System.StringComparison.Ordinal));
        Assert.Contains(lines, l => l.TrimEnd() == new string(' ', 65) + "tags[0][0]");
        Assert.Contains("Total params: ", summary);
        // 16*32+32 + 32*32+32 + 44*32+32 + 32*32+32 + 44*32 + 32*1+1 + 32*4+4
        int total = 544 + 1056 + 1440 + 1056 + 1408 + 33 + 132;
        Assert.Contains($"Total params: {total:N0}\n", summary.Replace(",", ","));
    }

    private static string SummaryOf(string source) => Generated.Summary(Generated.Code(source));

    [Fact]
    public void Activation_table_follows_the_runtime_enum()
    {
        Assert.Equal(System.Enum.GetNames<Activation>(), Model.ActivationInfo.Names);
    }
}
