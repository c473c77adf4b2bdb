using Unrolled;
using static Unrolled.Layers;

namespace FashionMnist;

/// <summary>The tutorial's first model: 784 → Dense 64 relu → Dense 64 relu → Dense 10 softmax.</summary>
public partial class FashionMlp
{
    [ModelBuilder]
    static Model Build()
    {
        var inputs = Input([784]);
        var x = Dense(64, Activation.Relu)(inputs);
        x = Dense(64, Activation.Relu)(x);
        var outputs = Dense(10, Activation.Softmax)(x);
        return new Model(inputs, outputs, name: "mnist_model");
    }
}
