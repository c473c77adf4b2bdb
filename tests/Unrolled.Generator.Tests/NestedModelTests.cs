using System.Linq;
using Microsoft.CodeAnalysis;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>Models used as layers: the tutorial's autoencoder nesting and ensemble, with Dense stand-ins.</summary>
public class NestedModelTests
{
    [Fact]
    public void Encoder_and_decoder_nest_as_one_row_each_like_keras()
    {
        string code = Generated.Code("""
            using Unrolled;
            using static Unrolled.Layers;

            public partial class Autoencoder
            {
                internal static Model Encoder()
                {
                    var input = Input([784], name: "original_img");
                    var x = Dense(64, Activation.Relu)(input);
                    return new Model(input, Dense(16, Activation.Relu)(x), name: "encoder");
                }

                internal static Model Decoder()
                {
                    var input = Input([16], name: "encoded_img");
                    var x = Dense(64, Activation.Relu)(input);
                    return new Model(input, Dense(784, Activation.Sigmoid)(x), name: "decoder");
                }

                [ModelBuilder]
                static Model Build()
                {
                    Layer encoder = Encoder();
                    Layer decoder = Decoder();
                    var img = Input([784], name: "img");
                    return new Model(img, decoder(encoder(img)), name: "autoencoder");
                }
            }
            """);
        string expected =
            "Model: \"autoencoder\"\n" +
            "_________________________________________________________________\n" +
            "Layer (type)                 Output Shape              Param #   \n" +
            "=================================================================\n" +
            "img (InputLayer)             [(None, 784)]             0         \n" +
            "_________________________________________________________________\n" +
            "encoder (Functional)         (None, 16)                51280     \n" +
            "_________________________________________________________________\n" +
            "decoder (Functional)         (None, 784)               52048     \n" +
            "=================================================================\n" +
            "Total params: 103,328\n" +
            "Trainable params: 103,328\n" +
            "Non-trainable params: 0\n" +
            "_________________________________________________________________\n";
        Assert.Equal(expected, Generated.Summary(code));
    }

    [Fact]
    public void An_ensemble_of_three_models_from_a_helper_has_three_sets_of_weights()
    {
        string code = Generated.Code("""
            using Unrolled;
            using static Unrolled.Layers;

            public partial class Ensemble
            {
                static Model GetModel()
                {
                    var inputs = Input([128]);
                    return new Model(inputs, Dense(1)(inputs));
                }

                [ModelBuilder]
                static Model Build()
                {
                    Layer model1 = GetModel(), model2 = GetModel(), model3 = GetModel();
                    var inputs = Input([128]);
                    var outputs = Average([model1(inputs), model2(inputs), model3(inputs)]);
                    return new Model(inputs, outputs);
                }
            }
            """);
        Assert.Contains("ParameterCount = 387;", code); // 3 × (128 + 1), as Keras counts
        string summary = Generated.Summary(code);
        Assert.Contains("model (Functional)", summary);
        Assert.Contains("model_1 (Functional)", summary);
        Assert.Contains("model_2 (Functional)", summary);
        Assert.Contains("Model: \"model_3\"", summary);
        Assert.Contains("model_2[0][0]", summary);
    }

    [Fact]
    public void One_model_applied_twice_shares_its_weights()
    {
        string code = Generated.Code("""
            using Unrolled;
            using static Unrolled.Layers;

            public partial class Siamese
            {
                [ModelBuilder]
                static Model Build()
                {
                    var x = Input([10]);
                    var tower = new Model(x, Dense(8, Activation.Tanh)(Dense(8, Activation.Relu)(x)), name: "tower");
                    var left = Input([10], name: "left");
                    var right = Input([10], name: "right");
                    var distance = Subtract([tower.Call(left), tower.Call(right)]);
                    return new Model([left, right], Dense(1, Activation.Sigmoid)(distance));
                }
            }
            """);
        Assert.Contains("ParameterCount = 169;", code); // tower 10*8+8 + 8*8+8 = 160 once, head 8+1
        string summary = Generated.Summary(code);
        Assert.Contains("tower (Functional)", summary);
        Assert.Contains("tower[1][0]", summary); // the second call is node 1 of the nested model
    }

    [Fact]
    public async System.Threading.Tasks.Task A_model_applied_again_has_several_nodes_and_its_output_is_ambiguous()
    {
        var (source, expected) = Markup.Parse("""
            using Unrolled;
            using static Unrolled.Layers;

            public partial class Twice
            {
                [ModelBuilder]
                static Model Build()
                {
                    var x = Input([4]);
                    var tower = new Model(x, Dense(4)(x), name: "tower");
                    var a = Input([4]);
                    var first = tower.Call(a);
                    var again = tower.GetOutputAt(1);                     // the call's output: the same tensor as first
                    var built = tower.GetOutputAt(0);                     // the model as built, on x
                    var y = {|UNR0015:tower.Output|};
                    return new Model(a, Add([first, again]));
                }
            }
            """);
        var diagnostics = (await TestCompiler.AnalyzeAsync(TestCompiler.Compile(source))).Where(d => d.Id.StartsWith("UNR", System.StringComparison.Ordinal)).ToList();
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(expected.Single().Span, diagnostic.Location.SourceSpan);
        Assert.Contains("'tower' has 2 nodes", diagnostic.GetMessage());

        var fixes = await CodeFixRunner.ApplyEachAsync(new Unrolled.CodeFixes.AmbiguousNodeCodeFix(), source, diagnostic);
        Assert.Equal(new[] { "Use GetOutputAt(0)", "Use GetOutputAt(1)" }, fixes.Select(f => f.Title));
        string code = Generated.Code(fixes[1].Source);
        Assert.Contains("ParameterCount = 20;", code);
    }
}
