using static Unrolled.Layers;

namespace Unrolled.Tests;

// Models for the ONNX export tests that the other test models do not already cover.

/// <summary>Same padding on odd sizes with strides and even kernels (uneven pads before and after), dilation with same
/// padding, and pooling with same padding and strides that do not divide the input.</summary>
public partial class OnnxPadding
{
    [ModelBuilder]
    static Model Build()
    {
        var image = Input([7, 5, 2], name: "image");
        var x = Conv2D(3, 4, strides: 2, padding: Padding.Same, activation: Activation.Relu6)(image);     // (4, 3, 3)
        var y = Conv2D(2, [3, 2], dilationRate: [2, 1], padding: Padding.Same, activation: Activation.Elu)(image);  // (7, 5, 2)
        y = MaxPooling2D(3, strides: 2, padding: Padding.Same)(y);                                          // (4, 3, 2)
        var z = AveragePooling2D(2, strides: 3, padding: Padding.Same)(image);                              // (3, 2, 2)
        z = Conv2D(2, [2, 2], strides: [1, 2], padding: Padding.Same)(z);                                        // (3, 1, 2)
        var sequence = Input([9, 3], name: "sequence");
        var s = Conv1D(4, 4, strides: 3, padding: Padding.Same, activation: Activation.HardSigmoid)(sequence);  // (3, 4)
        s = AveragePooling1D(2, padding: Padding.Same)(s);                                                   // (2, 4)
        var t = Conv1D(2, 3, dilationRate: 3, padding: Padding.Same, activation: Activation.Softsign)(sequence); // (9, 2)
        t = MaxPooling1D(4, strides: 3, padding: Padding.Same)(t);                                           // (3, 2)
        return new Model([image, sequence], [Concatenate([x, y], axis: -1), Flatten()(z), s, t]);
    }
}

/// <summary>BatchNormalization on images and sequences (channels last, so the export transposes around it), with and
/// without its scale and offset, trained a few steps so its moving statistics are not the initial ones.</summary>
public partial class OnnxBatchNorm
{
    [ModelBuilder]
    static Model Build()
    {
        var image = Input([6, 6, 3], name: "image");
        var x = Conv2D(4, 3, activation: Activation.Linear)(image);     // (4, 4, 4)
        x = BatchNormalization(momentum: 0.5)(x);
        x = ActivationLayer(Activation.Relu)(x);
        x = SeparableConv2D(5, 3, strides: 2, padding: Padding.Same, dilationRate: 1, depthMultiplier: 1)(x);   // (2, 2, 5)
        x = BatchNormalization(momentum: 0.6, epsilon: 0.01, center: false)(x);
        var pooled = GlobalAveragePooling2D()(x);
        var h = Dense(6)(pooled);
        h = BatchNormalization(momentum: 0.7, scale: false)(h);
        h = Dropout(0.3)(h);
        return new Model(image, Dense(3, Activation.Softmax)(ActivationLayer(Activation.Selu)(h)));
    }
}

/// <summary>Every recurrent setting: sequences and states, GRU with and without reset_after, no bias, SimpleRNN
/// returning sequences and its state.</summary>
public partial class OnnxRecurrent
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([7, 3], name: "x");
        var (a, aState) = GRU(4, returnSequences: true, resetAfter: false, returnState: true)(x);
        var (b, bState) = SimpleRNN(3, returnSequences: true, returnState: true)(a);
        var c = LSTM(2, useBias: false)(b);
        var d = GRU(3, useBias: false)(x);
        var e = SimpleRNN(2, useBias: false)(x);
        return new Model(x, [Concatenate([aState, bState, c, d, e]), b]);
    }
}

/// <summary>Same padding with strides over lengths known only at run time (the export's SAME_UPPER), BatchNormalization
/// on a sequence, and a dot product of two sequences.</summary>
public partial class OnnxDynamicWindows
{
    [ModelBuilder]
    static Model Build()
    {
        var sequence = Input([null, 3], name: "sequence");
        var x = Conv1D(4, 4, strides: 3, padding: Padding.Same, activation: Activation.Tanh)(sequence);
        x = BatchNormalization()(x);
        x = MaxPooling1D(3, strides: 2, padding: Padding.Same)(x);
        var y = Conv1D(4, 3, dilationRate: 2, padding: Padding.Same)(sequence);
        y = AveragePooling1D(2, padding: Padding.Same)(y);
        var scores = Dot([x, y], axes: -1);                                         // (None, None, None)
        var pooled = GlobalAveragePooling1D()(Concatenate([x, y], axis: 1));        // (None, 4)
        return new Model(sequence, [pooled, Ops.Mean(Ops.Mean(scores, axis: 1), axis: 1, keepDims: true)]);
    }
}

/// <summary>Images of any size through strided same-padded convolutions, upsampling and a transposed convolution.</summary>
public partial class OnnxDynamicImage
{
    [ModelBuilder]
    static Model Build()
    {
        var image = Input([null, null, 2], name: "image");
        var x = Conv2D(3, 3, strides: 2, padding: Padding.Same, activation: Activation.Relu)(image);
        x = UpSampling2D(2)(x);
        x = Conv2DTranspose(2, 3, strides: 2, padding: Padding.Same, activation: Activation.Tanh)(x);
        var y = Conv2DTranspose(2, 2, strides: 3)(image);
        y = AveragePooling2D(3, strides: 2, padding: Padding.Same)(y);
        return new Model(image, [GlobalMaxPooling2D()(x), GlobalAveragePooling2D()(y)]);
    }
}

/// <summary>Dot over the last axes of matrices and of higher-rank tensors, plain and normalised.</summary>
public partial class OnnxDots
{
    [ModelBuilder]
    static Model Build()
    {
        var a = Input([4, 3], name: "a");
        var b = Input([5, 3], name: "b");
        var c = Input([2, 2, 3], name: "c");
        var d = Input([1, 2, 3], name: "d");
        return new Model([a, b, c, d], [Dot([a, b], axes: -1), Dot([a, b], axes: -1, normalize: true), Dot([c, d], axes: -1), Dot([d, c], axes: -1, normalize: true)]);
    }
}
