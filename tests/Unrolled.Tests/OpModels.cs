using Unrolled;
using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>One model per group of tensor operations, so a wrong derivative names its operation.</summary>
internal static class OpModels
{
    public static Model Make(int which)
    {
        var x = Input([3, 4], name: "x");
        var a = Dense(4, Activation.Tanh)(x);
        var p = Ops.Square(a) + 0.5f;
        var y = which switch
        {
            0 => Ops.Log(p) * Ops.Sqrt(p),
            1 => p / Ops.Sum(p, axis: -1, keepDims: true),
            2 => a - Ops.Mean(a, axis: 1, keepDims: true),
            3 => Ops.Maximum(Ops.Minimum(a, 0.2f * p), -0.3f * p),
            4 => Ops.Sigmoid(a) * Ops.Tanh(a) + Ops.Relu(a - 0.1f),
            _ => 2f - (a + p) / 3f,
        };
        var pooled = Ops.Mean(Ops.Exp(y * 0.5f), axis: 1);
        return new Model(x, Dense(2)(pooled));
    }
}

public partial class OpLogs { [ModelBuilder] static Model Build() => OpModels.Make(0); }
public partial class OpNormalise { [ModelBuilder] static Model Build() => OpModels.Make(1); }
public partial class OpCentre { [ModelBuilder] static Model Build() => OpModels.Make(2); }
public partial class OpBound { [ModelBuilder] static Model Build() => OpModels.Make(3); }
public partial class OpGates { [ModelBuilder] static Model Build() => OpModels.Make(4); }
public partial class OpAffine { [ModelBuilder] static Model Build() => OpModels.Make(5); }
