using System;
using System.Linq;
using Unrolled;
using static Unrolled.Layers;

namespace Tutorials;

/// <summary>
/// Deep Learning with Python 7.1.4: an Inception module, four branches concatenated. The book's code leaves the
/// padding valid, which makes the branches 16, 15, 15 and 14 pixels wide on a 32-pixel input: Keras fails at run time,
/// and this library at compile time (UNR0001 on the concatenation). Same padding on the strided layers fixes it.
/// </summary>
public partial class InceptionModule
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([32, 32, 64]);
        var branchA = Conv2D(128, 1, activation: Activation.Relu, strides: 2)(x);
        var branchB = Conv2D(128, 1, activation: Activation.Relu)(x);
        branchB = Conv2D(128, 3, activation: Activation.Relu, strides: 2, padding: Padding.Same)(branchB);
        var branchC = AveragePooling2D(3, strides: 2, padding: Padding.Same)(x);
        branchC = Conv2D(128, 3, activation: Activation.Relu, padding: Padding.Same)(branchC);
        var branchD = Conv2D(128, 1, activation: Activation.Relu)(x);
        branchD = Conv2D(128, 3, activation: Activation.Relu, padding: Padding.Same)(branchD);
        branchD = Conv2D(128, 3, activation: Activation.Relu, strides: 2, padding: Padding.Same)(branchD);
        var output = Concatenate([branchA, branchB, branchC, branchD], axis: -1);   // (16, 16, 512)
        return new Model(x, Dense(10, Activation.Softmax)(GlobalAveragePooling2D()(output)));
    }

    public static void Run()
    {
        var model = new InceptionModule(seed: 4);
        Console.WriteLine(model.Summary());
        var data = new Data(4);
        model.Compile("rmsprop", "categorical_crossentropy", metrics: ["accuracy"]);
        var history = model.Fit(data.Uniform(16 * 32 * 32 * 64), data.OneHot(16, 10), epochs: 2, batchSize: 8, verbose: 0);
        Console.WriteLine($"loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}");
    }
}

/// <summary>
/// Deep Learning with Python 7.1.4: residual connections. The first block adds its input back; the second, which
/// halves the image, adds a strided 1×1 projection of it.
/// </summary>
public partial class ResidualBlocks
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([16, 16, 128]);
        var y = Conv2D(128, 3, activation: Activation.Relu, padding: Padding.Same)(x);
        y = Conv2D(128, 3, activation: Activation.Relu, padding: Padding.Same)(y);
        y = Conv2D(128, 3, activation: Activation.Relu, padding: Padding.Same)(y);
        var identity = Add([y, x]);

        y = Conv2D(128, 3, activation: Activation.Relu, padding: Padding.Same)(identity);
        y = Conv2D(128, 3, activation: Activation.Relu, padding: Padding.Same)(y);
        y = MaxPooling2D(2, strides: 2)(y);
        var residual = Conv2D(128, 1, strides: 2, padding: Padding.Same)(identity);
        var projected = Add([y, residual]);                                         // (8, 8, 128)
        return new Model(x, Dense(1, Activation.Sigmoid)(GlobalMaxPooling2D()(projected)));
    }

    public static void Run()
    {
        var model = new ResidualBlocks(seed: 5);
        Console.WriteLine(model.Summary());
        var data = new Data(5);
        model.Compile("rmsprop", "binary_crossentropy", metrics: ["accuracy"]);
        var history = model.Fit(data.Uniform(8 * 16 * 16 * 128), data.Integers(8, 2), epochs: 2, batchSize: 4, verbose: 0);
        Console.WriteLine($"loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}");
    }
}

/// <summary>
/// TensorFlow's functional API guide: the convolutional encoder, and an autoencoder built from the same layers. One
/// builder makes one model class, so the encoder is its own class over the same layer code and takes the trained
/// weights by layer name, as Keras's <c>load_weights(by_name=True)</c>.
/// </summary>
public partial class ConvAutoencoder
{
    internal static Tensor Encode(Tensor encoderInput)
    {
        var x = Conv2D(16, 3, activation: Activation.Relu)(encoderInput);
        x = Conv2D(32, 3, activation: Activation.Relu)(x);
        x = MaxPooling2D(3)(x);
        x = Conv2D(32, 3, activation: Activation.Relu)(x);
        x = Conv2D(16, 3, activation: Activation.Relu)(x);
        return GlobalMaxPooling2D()(x);
    }

    [ModelBuilder]
    static Model Build()
    {
        var encoderInput = Input([28, 28, 1], name: "img");
        var encoderOutput = Encode(encoderInput);
        var x = Reshape([4, 4, 1])(encoderOutput);
        x = Conv2DTranspose(16, 3, activation: Activation.Relu)(x);
        x = Conv2DTranspose(32, 3, activation: Activation.Relu)(x);
        x = UpSampling2D(3)(x);
        x = Conv2DTranspose(16, 3, activation: Activation.Relu)(x);
        var decoderOutput = Conv2DTranspose(1, 3, activation: Activation.Relu)(x);
        return new Model(encoderInput, decoderOutput, name: "autoencoder");
    }

    public static void Run()
    {
        var autoencoder = new ConvAutoencoder(seed: 6);
        var encoder = new ConvEncoder(seed: 7);
        Console.WriteLine(encoder.Summary());
        Console.WriteLine(autoencoder.Summary());
        var images = new Data(6).Uniform(32 * 28 * 28);
        autoencoder.Compile("adam", "mse");
        var history = autoencoder.Fit(images, images, epochs: 2, batchSize: 16, verbose: 0);
        Console.WriteLine($"reconstruction loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}");
        int copied = encoder.CopyWeightsFrom(autoencoder);
        Console.WriteLine($"encoder took {copied} weight tensors from the autoencoder; first code: " +
            string.Join(", ", encoder.Predict(images.AsSpan(0, 784).ToArray()).Take(4).Select(v => v.ToString("F3"))) + ", …");
    }
}

/// <summary>The encoder half of <see cref="ConvAutoencoder"/>: the same layers, so the same names.</summary>
public partial class ConvEncoder
{
    [ModelBuilder]
    static Model Build()
    {
        var encoderInput = Input([28, 28, 1], name: "img");
        return new Model(encoderInput, ConvAutoencoder.Encode(encoderInput), name: "encoder");
    }
}

/// <summary>TensorFlow's functional API guide: every model is callable like a layer; an encoder and a decoder model nest.</summary>
public partial class NestedAutoencoder
{
    static Model Encoder()
    {
        var encoderInput = Input([28, 28, 1], name: "original_img");
        return new Model(encoderInput, ConvAutoencoder.Encode(encoderInput), name: "encoder");
    }

    static Model Decoder()
    {
        var decoderInput = Input([16], name: "encoded_img");
        var x = Reshape([4, 4, 1])(decoderInput);
        x = Conv2DTranspose(16, 3, activation: Activation.Relu)(x);
        x = Conv2DTranspose(32, 3, activation: Activation.Relu)(x);
        x = UpSampling2D(3)(x);
        x = Conv2DTranspose(16, 3, activation: Activation.Relu)(x);
        var decoderOutput = Conv2DTranspose(1, 3, activation: Activation.Relu)(x);
        return new Model(decoderInput, decoderOutput, name: "decoder");
    }

    [ModelBuilder]
    static Model Build()
    {
        var autoencoderInput = Input([28, 28, 1], name: "img");
        Layer encoder = Encoder();
        Layer decoder = Decoder();
        var encodedImg = encoder(autoencoderInput);
        var decodedImg = decoder(encodedImg);
        return new Model(autoencoderInput, decodedImg, name: "autoencoder");
    }

    public static void Run()
    {
        var model = new NestedAutoencoder(seed: 8);
        Console.WriteLine(model.Summary());
        var images = new Data(8).Uniform(32 * 28 * 28);
        model.Compile("adam", "mse");
        var history = model.Fit(images, images, epochs: 2, batchSize: 16, verbose: 0);
        Console.WriteLine($"reconstruction loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}");
    }
}

/// <summary>TensorFlow's functional API guide: three models of one architecture, their predictions averaged.</summary>
public partial class Ensemble
{
    static Model GetModel()
    {
        var inputs = Input([128]);
        var outputs = Dense(1)(inputs);
        return new Model(inputs, outputs);
    }

    [ModelBuilder]
    static Model Build()
    {
        Layer model1 = GetModel();
        Layer model2 = GetModel();
        Layer model3 = GetModel();
        var inputs = Input([128]);
        var y1 = model1(inputs);
        var y2 = model2(inputs);
        var y3 = model3(inputs);
        var outputs = Average([y1, y2, y3]);
        return new Model(inputs, outputs, name: "ensemble");
    }

    public static void Run()
    {
        var model = new Ensemble(seed: 9);
        Console.WriteLine(model.Summary());
        var data = new Data(9);
        float[] x = data.Uniform(64 * 128), y = data.Uniform(64);
        model.Compile("adam", "mse");
        var history = model.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0);
        Console.WriteLine($"loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}; three sets of weights: {model.Description.Weights.Count} tensors");
    }
}

/// <summary>Keras's functional API guide: TimeDistributed(model) classifies each of 20 images of a sequence.</summary>
public partial class SequenceClassifier
{
    static Model Classifier()
    {
        var x = Input([784]);
        var y = Dense(64, Activation.Relu)(x);
        y = Dense(64, Activation.Relu)(y);
        return new Model(x, Dense(10, Activation.Softmax)(y));
    }

    [ModelBuilder]
    static Model Build()
    {
        var inputSequences = Input([20, 784]);
        var processedSequences = TimeDistributed(Classifier())(inputSequences);
        return new Model(inputSequences, processedSequences);
    }

    public static void Run()
    {
        var model = new SequenceClassifier(seed: 10);
        Console.WriteLine(model.Summary());
        var data = new Data(10);
        model.Compile("rmsprop", "categorical_crossentropy", metrics: ["accuracy"]);
        var history = model.Fit(data.Uniform(32 * 20 * 784), data.OneHot(32 * 20, 10), epochs: 2, batchSize: 16, verbose: 0);
        Console.WriteLine($"loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}");
    }
}
