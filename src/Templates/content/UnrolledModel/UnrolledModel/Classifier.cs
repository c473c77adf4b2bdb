using Unrolled;
using static Unrolled.Layers;

namespace UnrolledModel;

/// <summary>
/// The model: 8 features → Dense 32 relu → Dense 3 softmax. The builder never runs: Unrolled's generator evaluates it
/// at compile time and writes the forward and backward passes into this partial class. Change a layer and the
/// analyzer checks the shapes as you type.
/// </summary>
public partial class Classifier
{
    [ModelBuilder]
    static Model Build()
    {
        var features = Input([SyntheticData.Features], name: "features");
        var x = Dense(32, Activation.Relu, name: "hidden")(features);
        var classes = Dense(SyntheticData.Classes, Activation.Softmax, name: "classes")(x);
        return new Model(features, classes, name: "classifier");
    }
}
