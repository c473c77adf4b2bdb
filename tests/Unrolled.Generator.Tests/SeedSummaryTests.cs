using System.Linq;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>
/// The seed tutorials' models against the summary tables Keras printed for them (TensorFlow's functional API guide):
/// layer names, output shapes and parameter counts. Trailing spaces are ignored (the tutorial's copy drops them).
/// </summary>
public class SeedSummaryTests
{
    private const string EncoderLayers = """
        var x = Conv2D(16, 3, activation: Activation.Relu)(encoderInput);
        x = Conv2D(32, 3, activation: Activation.Relu)(x);
        x = MaxPooling2D(3)(x);
        x = Conv2D(32, 3, activation: Activation.Relu)(x);
        x = Conv2D(16, 3, activation: Activation.Relu)(x);
        var encoderOutput = GlobalMaxPooling2D()(x);
        """;

    private const string DecoderLayers = """
        x = Reshape([4, 4, 1])(decoderInput);
        x = Conv2DTranspose(16, 3, activation: Activation.Relu)(x);
        x = Conv2DTranspose(32, 3, activation: Activation.Relu)(x);
        x = UpSampling2D(3)(x);
        x = Conv2DTranspose(16, 3, activation: Activation.Relu)(x);
        var decoderOutput = Conv2DTranspose(1, 3, activation: Activation.Relu)(x);
        """;

    private static void AssertTable(string expected, string source)
    {
        string actual = Generated.Summary(Generated.Code(source));
        var want = expected.Split('\n').Select(l => l.TrimEnd()).ToArray();
        var got = actual.TrimEnd('\n').Split('\n').Select(l => l.TrimEnd()).ToArray();
        Assert.Equal(string.Join("\n", want), string.Join("\n", got));
    }

    [Fact]
    public void The_convolutional_encoder_matches_its_keras_table()
    {
        const string expected = """
            Model: "encoder"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            img (InputLayer)             [(None, 28, 28, 1)]       0
            _________________________________________________________________
            conv2d (Conv2D)              (None, 26, 26, 16)        160
            _________________________________________________________________
            conv2d_1 (Conv2D)            (None, 24, 24, 32)        4640
            _________________________________________________________________
            max_pooling2d (MaxPooling2D) (None, 8, 8, 32)          0
            _________________________________________________________________
            conv2d_2 (Conv2D)            (None, 6, 6, 32)          9248
            _________________________________________________________________
            conv2d_3 (Conv2D)            (None, 4, 4, 16)          4624
            _________________________________________________________________
            global_max_pooling2d (Global (None, 16)                0
            =================================================================
            Total params: 18,672
            Trainable params: 18,672
            Non-trainable params: 0
            _________________________________________________________________
            """;
        AssertTable(expected, Sources.Builder($$"""
            var encoderInput = Input([28, 28, 1], name: "img");
            {{EncoderLayers}}
            return new Model(encoderInput, encoderOutput, name: "encoder");
            """));
    }

    [Fact]
    public void The_autoencoder_built_from_the_same_layers_matches_its_keras_table()
    {
        const string expected = """
            Model: "autoencoder"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            img (InputLayer)             [(None, 28, 28, 1)]       0
            _________________________________________________________________
            conv2d (Conv2D)              (None, 26, 26, 16)        160
            _________________________________________________________________
            conv2d_1 (Conv2D)            (None, 24, 24, 32)        4640
            _________________________________________________________________
            max_pooling2d (MaxPooling2D) (None, 8, 8, 32)          0
            _________________________________________________________________
            conv2d_2 (Conv2D)            (None, 6, 6, 32)          9248
            _________________________________________________________________
            conv2d_3 (Conv2D)            (None, 4, 4, 16)          4624
            _________________________________________________________________
            global_max_pooling2d (Global (None, 16)                0
            _________________________________________________________________
            reshape (Reshape)            (None, 4, 4, 1)           0
            _________________________________________________________________
            conv2d_transpose (Conv2DTran (None, 6, 6, 16)          160
            _________________________________________________________________
            conv2d_transpose_1 (Conv2DTr (None, 8, 8, 32)          4640
            _________________________________________________________________
            up_sampling2d (UpSampling2D) (None, 24, 24, 32)        0
            _________________________________________________________________
            conv2d_transpose_2 (Conv2DTr (None, 26, 26, 16)        4624
            _________________________________________________________________
            conv2d_transpose_3 (Conv2DTr (None, 28, 28, 1)         145
            =================================================================
            Total params: 28,241
            Trainable params: 28,241
            Non-trainable params: 0
            _________________________________________________________________
            """;
        AssertTable(expected, Sources.Builder($$"""
            var encoderInput = Input([28, 28, 1], name: "img");
            {{EncoderLayers}}
            var decoderInput = encoderOutput;
            {{DecoderLayers}}
            return new Model(encoderInput, decoderOutput, name: "autoencoder");
            """));
    }

    [Fact]
    public void The_decoder_matches_its_keras_table()
    {
        const string expected = """
            Model: "decoder"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            encoded_img (InputLayer)     [(None, 16)]              0
            _________________________________________________________________
            reshape_1 (Reshape)          (None, 4, 4, 1)           0
            _________________________________________________________________
            conv2d_transpose_4 (Conv2DTr (None, 6, 6, 16)          160
            _________________________________________________________________
            conv2d_transpose_5 (Conv2DTr (None, 8, 8, 32)          4640
            _________________________________________________________________
            up_sampling2d_1 (UpSampling2 (None, 24, 24, 32)        0
            _________________________________________________________________
            conv2d_transpose_6 (Conv2DTr (None, 26, 26, 16)        4624
            _________________________________________________________________
            conv2d_transpose_7 (Conv2DTr (None, 28, 28, 1)         145
            =================================================================
            Total params: 9,569
            Trainable params: 9,569
            Non-trainable params: 0
            _________________________________________________________________
            """;
        // The tutorial built the encoder first, so this decoder's layers carry Keras's later numbers.
        AssertTable(expected, Sources.Builder($$"""
            var earlier = new List<Layer> { Reshape([16]), UpSampling2D() };
            for (int i = 0; i < 4; i++) { earlier.Add(Conv2DTranspose(1, 1)); }
            var decoderInput = Input([16], name: "encoded_img");
            Tensor x;
            {{DecoderLayers}}
            return new Model(decoderInput, decoderOutput, name: "decoder");
            """));
    }

    [Fact]
    public void The_autoencoder_of_nested_encoder_and_decoder_models_matches_its_keras_table()
    {
        const string expected = """
            Model: "autoencoder"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            img (InputLayer)             [(None, 28, 28, 1)]       0
            _________________________________________________________________
            encoder (Functional)         (None, 16)                18672
            _________________________________________________________________
            decoder (Functional)         (None, 28, 28, 1)         9569
            =================================================================
            Total params: 28,241
            Trainable params: 28,241
            Non-trainable params: 0
            _________________________________________________________________
            """;
        AssertTable(expected, Sources.Builder("""
            var img = Input([28, 28, 1], name: "img");
            Layer encoder = Encoder();
            Layer decoder = Decoder();
            return new Model(img, decoder(encoder(img)), name: "autoencoder");
            """, $$"""
            static Model Encoder()
            {
                var encoderInput = Input([28, 28, 1], name: "original_img");
                {{EncoderLayers}}
                return new Model(encoderInput, encoderOutput, name: "encoder");
            }

            static Model Decoder()
            {
                var decoderInput = Input([16], name: "encoded_img");
                Tensor x;
                {{DecoderLayers}}
                return new Model(decoderInput, decoderOutput, name: "decoder");
            }
            """));
    }
}
