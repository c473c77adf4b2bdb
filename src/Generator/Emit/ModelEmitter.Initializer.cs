using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Unrolled.Generator.Planning;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Emit;

/// <summary>The constructors and the weight initialisation, as Keras initialises each weight.</summary>
internal sealed partial class ModelEmitter
{
    private void WriteConstructors()
    {
        _w.Line("/// <summary>Creates the model with weights initialised as Keras does, from a random seed.</summary>");
        _w.Line($"public {_spec.ClassName}()");
        _w.Line("    : this(global::System.Random.Shared.Next())");
        _w.Open(string.Empty);
        _w.Close();
        _w.Line();
        _w.Line("/// <summary>Creates the model with weights initialised as Keras does (glorot-uniform kernels, zero biases) from <paramref name=\"seed\"/>.</summary>");
        _w.Line("/// <param name=\"seed\">The same seed gives the same weights on every machine.</param>");
        _w.Line($"public {_spec.ClassName}(int seed)");
        _w.Line("    : base(s_description, seed)");
        _w.Open(string.Empty);
        _w.Close();
        _w.Line();
    }

    /// <summary>Keras's fans: the last two axes, each times the receptive field (the product of the others); a vector's
    /// length for both.</summary>
    private static (int FanIn, int FanOut) Fans(EquatableArray<int> dims)
    {
        int receptive = dims.Take(dims.Count - 2).Aggregate(1, (a, d) => a * d);
        return dims.Count >= 2 ? (dims[dims.Count - 2] * receptive, dims[dims.Count - 1] * receptive) : (dims[0], dims[0]);
    }

    private void WriteInitialize()
    {
        _w.Line("/// <inheritdoc/>");
        _w.Open($"protected override void InitializeWeights({Span} weights, ref {Rt}WeightInitializer initializer)");
        foreach (int layerIndex in _plan.Layers)
        {
            var layer = _spec.Layers[layerIndex];
            var weights = _plan.Model.WeightsOf(layerIndex);
            if (weights.Count == 0)
            {
                continue;
            }

            _w.Line($"// {layer.Name}: " + string.Join(", ", weights.Select(w => $"{w.Name} [{string.Join(", ", w.Dims.Select(N))}]")));
            for (int w = 0; w < weights.Count; w++)
            {
                var weight = weights[w];
                string slice = $"weights.Slice({N(_plan.WeightOffsets[layerIndex][w])}, {N(weight.Size)})";
                var dims = weight.Dims;
                switch (weight.Init)
                {
                    case WeightInit.GlorotUniform:
                    {
                        var (fanIn, fanOut) = Fans(dims);
                        _w.Line($"initializer.GlorotUniform({slice}, {N(fanIn)}, {N(fanOut)});");
                        break;
                    }

                    case WeightInit.Zeros:
                        _w.Line($"initializer.Zeros({slice});");
                        break;
                    case WeightInit.Ones:
                        _w.Line($"initializer.Ones({slice});");
                        break;
                    case WeightInit.Orthogonal:
                    {
                        // Keras flattens every axis but the last into the rows.
                        int columns = dims[dims.Count - 1];
                        _w.Line($"initializer.Orthogonal({slice}, {N(weight.Size / System.Math.Max(columns, 1))}, {N(columns)});");
                        break;
                    }

                    case WeightInit.HeNormal or WeightInit.HeUniform or WeightInit.LecunNormal or WeightInit.LecunUniform or WeightInit.GlorotNormal:
                    {
                        var (fanIn, fanOut) = Fans(dims);
                        var (scale, fan, uniform) = weight.Init switch
                        {
                            WeightInit.HeNormal => (2.0, (double)fanIn, false),
                            WeightInit.HeUniform => (2.0, fanIn, true),
                            WeightInit.LecunNormal => (1.0, fanIn, false),
                            WeightInit.LecunUniform => (1.0, fanIn, true),
                            _ => (1.0, (fanIn + fanOut) / 2.0, false),
                        };
                        _w.Line($"initializer.VarianceScaling({slice}, {Float(scale)}, {Float(fan)}, uniform: {(uniform ? "true" : "false")}); // {weight.Init}");
                        break;
                    }

                    case WeightInit.RandomNormal:
                        _w.Line($"initializer.RandomNormal({slice}, 0, 0.05);");
                        break;
                    case WeightInit.TruncatedNormal:
                        _w.Line($"initializer.TruncatedNormal({slice}, 0, 0.05);");
                        break;
                    case WeightInit.Uniform:
                        _w.Line($"initializer.RandomUniform({slice}, -0.05f, 0.05f);");
                        break;
                    case WeightInit.UnitForgetBias:
                    {
                        int units = weight.Size / 4;
                        _w.Line($"initializer.Zeros({slice});");
                        _w.Line($"initializer.Ones(weights.Slice({N(_plan.WeightOffsets[layerIndex][w] + units)}, {N(units)})); // the forget gate (unit_forget_bias)");
                        break;
                    }
                }
            }
        }

        _w.Close();
        _w.Line();
    }
}
