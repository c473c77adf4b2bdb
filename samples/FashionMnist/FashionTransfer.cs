using Unrolled;
using static Unrolled.Layers;

namespace FashionMnist;

/// <summary>
/// The convolutional base the two transfer models share, by layer name: a block of convolution, BatchNormalization and
/// pooling, then a second block of convolution and pooling (the "top block" fine-tuning unfreezes).
/// </summary>
internal static class TransferBase
{
    public static Model Build()
    {
        var image = Input([28, 28, 1], name: "base_image");
        var x = Conv2D(32, 3, activation: Activation.Relu, name: "block1_conv")(image); // (26, 26, 32)
        x = BatchNormalization(name: "block1_bn")(x);
        x = MaxPooling2D(2, name: "block1_pool")(x);                                    // (13, 13, 32)
        x = Conv2D(64, 3, activation: Activation.Relu, name: "block2_conv")(x);        // (11, 11, 64)
        x = MaxPooling2D(2, name: "block2_pool")(x);                                    // (5, 5, 64)
        return new Model(image, Flatten(name: "base_flatten")(x), name: "base");
    }
}

/// <summary>Pre-training: the base under a classifier of Fashion-MNIST's first five classes (T-shirt … Coat).</summary>
public partial class FashionFirstFive
{
    [ModelBuilder]
    static Model Build()
    {
        var image = Input([28, 28, 1], name: "image");
        var features = TransferBase.Build().Call(image);
        var x = Dropout(0.5)(Dense(128, Activation.Relu, name: "first_hidden")(features));
        return new Model(image, Dense(5, Activation.Softmax, name: "first_five")(x), name: "first_five_model");
    }
}

/// <summary>
/// Transfer: the same base, frozen as Keras's <c>base_model.trainable = False</c>, under a new head for the last five
/// classes (Sandal … Ankle boot). Its base takes the pre-trained weights by name (<c>CopyWeightsFrom</c>).
/// </summary>
public partial class FashionLastFive
{
    [ModelBuilder]
    static Model Build()
    {
        var baseModel = TransferBase.Build();
        baseModel.Trainable = false;
        var image = Input([28, 28, 1], name: "image");
        var features = baseModel.Call(image);
        var x = Dropout(0.5)(Dense(128, Activation.Relu, name: "last_hidden")(features));
        return new Model(image, Dense(5, Activation.Softmax, name: "last_five")(x), name: "last_five_model");
    }
}
