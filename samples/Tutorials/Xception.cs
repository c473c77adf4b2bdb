using System;
using System.Linq;
using Unrolled;
using static Unrolled.Layers;

namespace Tutorials;

/// <summary>
/// Deep Learning with Python 7.1.6, models as layers: one Xception convolutional base (Keras's applications.Xception,
/// include_top=False, written out here as Keras defines it) applied to two cameras' images, so both share its weights.
/// </summary>
public partial class XceptionSiamese
{
    /// <summary>Keras's Xception without its classifier: 20,861,480 parameters, 54,528 of them non-trainable.</summary>
    internal static Model XceptionBase()
    {
        var image = Input([null, null, 3]);
        Tensor ConvBn(Tensor t, int filters, int kernel, int strides = 1, Padding padding = Padding.Valid)
            => BatchNormalization()(Conv2D(filters, kernel, strides: strides, padding: padding, useBias: false)(t));
        Tensor SepBn(Tensor t, int filters)
            => BatchNormalization()(SeparableConv2D(filters, 3, padding: Padding.Same, useBias: false)(t));
        Tensor Relu(Tensor t) => ActivationLayer(Activation.Relu)(t);

        var x = Relu(ConvBn(image, 32, 3, strides: 2));
        x = Relu(ConvBn(x, 64, 3));

        // Entry flow: three blocks that halve the image, each with a strided 1×1 projection beside it.
        bool first = true;
        foreach (int filters in new[] { 128, 256, 728 })
        {
            var residual = ConvBn(x, filters, 1, strides: 2, padding: Padding.Same);
            var y = SepBn(first ? x : Relu(x), filters);
            y = SepBn(Relu(y), filters);
            y = MaxPooling2D(3, strides: 2, padding: Padding.Same)(y);
            x = Add([y, residual]);
            first = false;
        }

        // Middle flow: eight residual blocks of three separable convolutions.
        for (int block = 0; block < 8; block++)
        {
            var y = x;
            for (int i = 0; i < 3; i++)
            {
                y = SepBn(Relu(y), 728);
            }

            x = Add([y, x]);
        }

        // Exit flow.
        var projection = ConvBn(x, 1024, 1, strides: 2, padding: Padding.Same);
        var z = SepBn(Relu(x), 728);
        z = SepBn(Relu(z), 1024);
        z = MaxPooling2D(3, strides: 2, padding: Padding.Same)(z);
        x = Add([z, projection]);
        x = Relu(SepBn(x, 1536));
        x = Relu(SepBn(x, 2048));
        return new Model(image, x, name: "xception");
    }

    [ModelBuilder]
    static Model Build()
    {
        Layer xceptionBase = XceptionBase();
        var leftInput = Input([250, 250, 3]);
        var rightInput = Input([250, 250, 3]);
        var leftFeatures = xceptionBase(leftInput);
        var rightFeatures = xceptionBase(rightInput);
        var mergedFeatures = Concatenate([leftFeatures, rightFeatures], axis: -1);
        return new Model([leftInput, rightInput], mergedFeatures);
    }

    public static void Run()
    {
        var model = new XceptionSiamese(seed: 15);
        Console.WriteLine(model.Summary());
        var data = new Data(15);
        float[] left = data.Uniform(250 * 250 * 3), right = data.Uniform(250 * 250 * 3);
        float[] features = model.Predict(left, right);
        Console.WriteLine($"merged features of one pair: {features.Length} values (8 × 8 × 4096), mean {features.Average():G3}, largest {features.Max():G3}");

        // A few training steps towards given features: the gradients of both images reach the one shared base.
        model.Compile(new SGD(learningRate: 0.01f), "mse");
        float[] target = data.Uniform(features.Length);
        for (int step = 1; step <= 2; step++)
        {
            Console.WriteLine($"step {step}: loss {model.TrainOnBatch(left, right, target, batchSize: 1):G4}");
        }
    }
}
