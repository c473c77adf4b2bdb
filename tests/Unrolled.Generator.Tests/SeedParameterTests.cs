using System.Linq;
using System.Threading.Tasks;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>
/// Parameter counts and shapes of the seed models whose tutorials print no table, against Keras's formulas written
/// out here: Embedding v·d; LSTM 4(i·u + u² + u); Conv1D k·c·f + f; Dense i·u + u.
/// </summary>
public class SeedParameterTests
{
    private static int Lstm(int inputs, int units) => 4 * ((inputs * units) + (units * units) + units);

    private static string SummaryOf(string body, string members = "") => Generated.Summary(Generated.Code(Sources.Builder(body, members)));

    [Fact]
    public void The_news_headline_model()
    {
        string summary = SummaryOf("""
            var mainInput = Input([100], DType.Int32, name: "main_input");
            var x = Embedding(inputDim: 10000, outputDim: 512)(mainInput);
            var lstmOut = LSTM(32)(x);
            var auxiliaryOutput = Dense(1, Activation.Sigmoid, name: "aux_output")(lstmOut);
            var auxiliaryInput = Input([5], name: "aux_input");
            x = Concatenate([lstmOut, auxiliaryInput]);
            x = Dense(64, Activation.Relu)(x);
            x = Dense(64, Activation.Relu)(x);
            x = Dense(64, Activation.Relu)(x);
            var mainOutput = Dense(1, Activation.Sigmoid, name: "main_output")(x);
            return new Model([mainInput, auxiliaryInput], [mainOutput, auxiliaryOutput]);
            """);
        Assert.Contains("embedding (Embedding)           (None, 100, 512)     5120000", summary);
        Assert.Contains($"lstm (LSTM)                     (None, 32)           {Lstm(512, 32)}", summary);
        int total = (10000 * 512) + Lstm(512, 32) + 33 + (37 * 64 + 64) + (2 * (64 * 64 + 64)) + 65;
        Assert.Contains($"Total params: {total:N0}", summary);
    }

    [Fact]
    public void The_posts_model_with_three_outputs()
    {
        string summary = SummaryOf("""
            var posts = Input([null], DType.Int32, name: "posts");
            var x = Conv1D(128, 5, activation: Activation.Relu)(Embedding(50000, 256)(posts));
            x = MaxPool1D(5)(x);
            x = Conv1D(256, 5, activation: Activation.Relu)(x);
            x = Conv1D(256, 5, activation: Activation.Relu)(x);
            x = MaxPool1D(5)(x);
            x = Conv1D(256, 5, activation: Activation.Relu)(x);
            x = Conv1D(256, 5, activation: Activation.Relu)(x);
            x = GlobalMaxPool1D()(x);
            x = Dense(128, Activation.Relu)(x);
            return new Model(posts, [Dense(1, name: "age")(x), Dense(10, Activation.Softmax, name: "income")(x), Dense(1, Activation.Sigmoid, name: "gender")(x)]);
            """);
        int conv1 = (5 * 256 * 128) + 128, conv = (5 * 256 * 256) + 256, conv2 = (5 * 128 * 256) + 256;
        Assert.Contains($"conv1d (Conv1D)                 (None, None, 128)    {conv1}", summary);
        Assert.Contains("max_pooling1d (MaxPooling1D)    (None, None, 128)    0", summary);
        Assert.Contains("global_max_pooling1d (GlobalMax (None, 256)          0", summary);
        int total = (50000 * 256) + conv1 + conv2 + (3 * conv) + (256 * 128 + 128) + 129 + 1290 + 129;
        Assert.Contains($"Total params: {total:N0}", summary);
    }

    [Fact]
    public void The_ticket_classifier_and_the_question_answering_model()
    {
        string tickets = SummaryOf("""
            var title = Input([null], DType.Int32, name: "title");
            var body = Input([null], DType.Int32, name: "body");
            var tags = Input([12], name: "tags");
            var t = LSTM(128)(Embedding(10000, 64)(title));
            var b = LSTM(32)(Embedding(10000, 64)(body));
            var x = Concatenate([t, b, tags]);
            return new Model([title, body, tags], [Dense(1, name: "priority")(x), Dense(4, name: "department")(x)]);
            """);
        int total = (2 * 10000 * 64) + Lstm(64, 128) + Lstm(64, 32) + (172 + 1) + (172 * 4 + 4);
        Assert.Contains($"Total params: {total:N0}", tickets);
        Assert.Contains("(None, None, 64)", tickets);

        string qa = SummaryOf("""
            var text = Input([null], DType.Int32, name: "text");
            var question = Input([null], DType.Int32, name: "question");
            var t = LSTM(32)(Embedding(10000, 64)(text));
            var q = LSTM(16)(Embedding(10000, 32)(question));
            return new Model([text, question], Dense(500, Activation.Softmax)(Concatenate([t, q], axis: -1)));
            """);
        Assert.Contains($"Total params: {(10000 * 64) + Lstm(64, 32) + (10000 * 32) + Lstm(32, 16) + (48 * 500 + 500):N0}", qa);
    }

    [Fact]
    public void The_Xception_base_of_the_siamese_sample_has_Keras_s_parameter_counts()
    {
        // Keras's applications.Xception(include_top=False): 20,861,480 parameters, 54,528 of them the batch
        // normalisations' moving statistics. The sample's builder is compiled as it is, without its Run method.
        var directory = new System.IO.DirectoryInfo(System.AppContext.BaseDirectory);
        while (!System.IO.File.Exists(System.IO.Path.Combine(directory!.FullName, "samples", "Tutorials", "Xception.cs")))
        {
            directory = directory.Parent;
        }

        string text = System.IO.File.ReadAllText(System.IO.Path.Combine(directory.FullName, "samples", "Tutorials", "Xception.cs"));
        string source = text.Substring(0, text.IndexOf("    public static void Run()", System.StringComparison.Ordinal)) + "}\n";
        string summary = Generated.Summary(Generated.Code(source));
        Assert.Contains("xception (Functional)", summary);
        Assert.Contains("(None, 8, 8, 2048)", summary);
        Assert.Contains("Total params: 20,861,480", summary);
        Assert.Contains("Trainable params: 20,806,952", summary);
        Assert.Contains("Non-trainable params: 54,528", summary);
    }

    [Fact]
    public async Task The_books_inception_module_without_same_padding_is_caught_at_the_concatenation()
    {
        // Deep Learning with Python's listing as printed: valid padding makes the branches 16, 15, 15 and 14 wide.
        var (source, _) = Markup.Parse(Sources.Builder("""
            var x = Input([32, 32, 64]);
            var branchA = Conv2D(128, 1, activation: Activation.Relu, strides: 2)(x);
            var branchB = Conv2D(128, 1, activation: Activation.Relu)(x);
            branchB = Conv2D(128, 3, activation: Activation.Relu, strides: 2)(branchB);
            var branchC = AveragePooling2D(3, strides: 2)(x);
            branchC = Conv2D(128, 3, activation: Activation.Relu)(branchC);
            var branchD = Conv2D(128, 1, activation: Activation.Relu)(x);
            branchD = Conv2D(128, 3, activation: Activation.Relu)(branchD);
            branchD = Conv2D(128, 3, activation: Activation.Relu, strides: 2)(branchD);
            return new Model(x, Concatenate([branchA, branchB, branchC, branchD], axis: -1));
            """));
        var diagnostics = (await TestCompiler.AnalyzeAsync(TestCompiler.Compile(source))).Where(d => d.Id == "UNR0001").ToList();
        var first = Assert.Single(diagnostics);
        Assert.Contains("(None, 15, 15, 128)", first.GetMessage());
        Assert.Contains("(None, 16, 16, 128)", first.GetMessage());
        Assert.Equal("branchB", source.Substring(first.Location.SourceSpan.Start, first.Location.SourceSpan.Length));
    }
}
