using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Diagnostics;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Parsing;

internal sealed partial class BuilderEvaluator
{
    /// <summary>Keras's aliases, and the class each stands for.</summary>
    private static readonly Dictionary<string, LayerKind> s_layerFactories = new()
    {
        ["Conv1D"] = LayerKind.Conv1D,
        ["Conv2D"] = LayerKind.Conv2D,
        ["Conv2DTranspose"] = LayerKind.Conv2DTranspose,
        ["SeparableConv2D"] = LayerKind.SeparableConv2D,
        ["MaxPooling1D"] = LayerKind.MaxPooling1D,
        ["MaxPool1D"] = LayerKind.MaxPooling1D,
        ["MaxPooling2D"] = LayerKind.MaxPooling2D,
        ["MaxPool2D"] = LayerKind.MaxPooling2D,
        ["AveragePooling1D"] = LayerKind.AveragePooling1D,
        ["AvgPool1D"] = LayerKind.AveragePooling1D,
        ["AveragePooling2D"] = LayerKind.AveragePooling2D,
        ["AvgPool2D"] = LayerKind.AveragePooling2D,
        ["GlobalMaxPooling1D"] = LayerKind.GlobalMaxPooling1D,
        ["GlobalMaxPool1D"] = LayerKind.GlobalMaxPooling1D,
        ["GlobalMaxPooling2D"] = LayerKind.GlobalMaxPooling2D,
        ["GlobalMaxPool2D"] = LayerKind.GlobalMaxPooling2D,
        ["GlobalAveragePooling1D"] = LayerKind.GlobalAveragePooling1D,
        ["GlobalAvgPool1D"] = LayerKind.GlobalAveragePooling1D,
        ["GlobalAveragePooling2D"] = LayerKind.GlobalAveragePooling2D,
        ["GlobalAvgPool2D"] = LayerKind.GlobalAveragePooling2D,
        ["UpSampling2D"] = LayerKind.UpSampling2D,
        ["Reshape"] = LayerKind.Reshape,
        ["Flatten"] = LayerKind.Flatten,
        ["Embedding"] = LayerKind.Embedding,
        ["LSTM"] = LayerKind.LSTM,
        ["GRU"] = LayerKind.GRU,
        ["SimpleRNN"] = LayerKind.SimpleRNN,
        ["Dropout"] = LayerKind.Dropout,
        ["ActivationLayer"] = LayerKind.Activation,
        ["BatchNormalization"] = LayerKind.BatchNormalization,
    };

    /// <summary>Creates one of the layers above from its (compile-time) arguments; null when the factory is not one of them.</summary>
    private Value? CreateLayer(string factory, Arguments args, SourceSpan span, string? name, SourceSpan? nameSpan)
    {
        if (!s_layerFactories.TryGetValue(factory, out var kind))
        {
            return null;
        }

        Value Invalid() => Value.Unknown("invalid argument");

        int Add(int units = 0, int activation = 0, bool useBias = false, EquatableArray<int> shape = default, double scale = 1,
            double shift = 0, params int[] config)
            => Graph.AddLayer(kind, name, span, nameSpan, units: units, activation: activation, useBias: useBias, shape: shape,
                scale: scale, shift: shift, config: config.ToEquatableArray());

        switch (kind)
        {
            case LayerKind.Conv1D or LayerKind.Conv2D or LayerKind.Conv2DTranspose or LayerKind.SeparableConv2D:
            {
                bool oneD = kind == LayerKind.Conv1D;
                int? filters = Positive(args, "filters", factory);
                var kernel = Window(args, "kernelSize", factory, oneD, fallback: null);
                var strides = Window(args, "strides", factory, oneD, fallback: 1);
                var dilation = kind == LayerKind.Conv2DTranspose ? (1, 1) : Window(args, "dilationRate", factory, oneD, fallback: 1);
                int? padding = PaddingArgument(args);
                int? activation = ActivationArgument(args);
                bool? useBias = args.Bool("useBias");
                int? multiplier = kind == LayerKind.SeparableConv2D ? Positive(args, "depthMultiplier", factory) : 1;
                if (filters is null || kernel is null || strides is null || dilation is null || padding is null || activation is null
                    || useBias is null || multiplier is null)
                {
                    return Invalid();
                }

                if ((strides.Value.Item1 > 1 || strides.Value.Item2 > 1) && (dilation.Value.Item1 > 1 || dilation.Value.Item2 > 1))
                {
                    Report(DiagnosticIds.InvalidArgument, args.SpanOf("dilationRate"),
                        $"{factory} cannot combine strides above 1 with a dilation rate above 1 (Keras rejects it too)");
                    return Invalid();
                }

                return Value.Layer(Add(filters.Value, activation.Value, useBias.Value, config: new[]
                {
                    kernel.Value.Item1, kernel.Value.Item2, strides.Value.Item1, strides.Value.Item2,
                    dilation.Value.Item1, dilation.Value.Item2, padding.Value == 1 ? 1 : 0, multiplier.Value,
                }));
            }

            case LayerKind.MaxPooling1D or LayerKind.MaxPooling2D or LayerKind.AveragePooling1D or LayerKind.AveragePooling2D:
            {
                bool oneD = kind.IsOneDimensional();
                var pool = Window(args, "poolSize", factory, oneD, fallback: 2);
                var strides = args.Raw("strides").Kind == ValueKind.Null ? pool : Window(args, "strides", factory, oneD, fallback: null);
                int? padding = PaddingArgument(args);
                if (pool is null || strides is null || padding is null)
                {
                    return Invalid();
                }

                return Value.Layer(Add(config: new[] { pool.Value.Item1, pool.Value.Item2, strides.Value.Item1, strides.Value.Item2, padding.Value == 1 ? 1 : 0 }));
            }

            case LayerKind.UpSampling2D:
            {
                var size = Window(args, "size", factory, oneDimensional: false, fallback: 2);
                return size is null ? Invalid() : Value.Layer(Add(config: new[] { size.Value.Item1, size.Value.Item2 }));
            }

            case LayerKind.Reshape:
            {
                var target = args.Known("targetShape");
                if (target is null)
                {
                    return Invalid();
                }

                var dims = target.Kind == ValueKind.List && target.Items!.All(d => d is { Kind: ValueKind.Number, IsInteger: true })
                    ? target.Items!.Select(d => (int)d.Number).ToList()
                    : null;
                if (dims is null || dims.Count == 0 || dims.Any(d => d == 0 || d < -1) || dims.Count(d => d == -1) > 1)
                {
                    Report(DiagnosticIds.InvalidArgument, args.SpanOf("targetShape"),
                        "Reshape needs a target shape of positive sizes, with at most one -1 for the size that is left, such as [4, 4, 1]");
                    return Invalid();
                }

                return Value.Layer(Add(shape: dims.ToEquatableArray()));
            }

            case LayerKind.Embedding:
            {
                int? inputDim = Positive(args, "inputDim", factory);
                int? outputDim = Positive(args, "outputDim", factory);
                return inputDim is null || outputDim is null ? Invalid() : Value.Layer(Add(units: outputDim.Value, config: inputDim.Value));
            }

            case LayerKind.LSTM or LayerKind.GRU or LayerKind.SimpleRNN:
            {
                int? units = Positive(args, "units", factory);
                bool? sequences = args.Bool("returnSequences");
                bool? useBias = args.Bool("useBias");
                bool? option = kind switch
                {
                    LayerKind.LSTM => args.Bool("unitForgetBias"),
                    LayerKind.GRU => args.Bool("resetAfter"),
                    _ => false,
                };
                bool? state = args.Bool("returnState");
                if (units is null || sequences is null || useBias is null || option is null || state is null)
                {
                    return Invalid();
                }

                return Value.Layer(Add(units.Value, useBias: useBias.Value, config: new[] { sequences.Value ? 1 : 0, option.Value ? 1 : 0, state.Value ? 1 : 0 }));
            }

            case LayerKind.Activation:
            {
                int? activation = ActivationArgument(args);
                return activation is null ? Invalid() : Value.Layer(Add(activation: activation.Value));
            }

            case LayerKind.Dropout:
            {
                var rate = args.Known("rate");
                if (rate is null)
                {
                    return Invalid();
                }

                // The rate is applied in single precision: it must stay below 1 there too.
                if (rate.Kind != ValueKind.Number || !(rate.Number >= 0 && (float)rate.Number < 1f))
                {
                    Report(DiagnosticIds.InvalidArgument, args.SpanOf("rate"), $"Dropout's rate must lie in [0, 1), but it is {rate}");
                    return Invalid();
                }

                return Value.Layer(Add(scale: rate.Number));
            }

            case LayerKind.BatchNormalization:
            {
                var momentum = args.Known("momentum");
                var epsilon = args.Known("epsilon");
                bool? center = args.Bool("center");
                bool? scale = args.Bool("scale");
                if (momentum is null || epsilon is null || center is null || scale is null)
                {
                    return Invalid();
                }

                if (momentum.Kind != ValueKind.Number || !(momentum.Number >= 0 && momentum.Number <= 1) || epsilon.Kind != ValueKind.Number
                    || !((float)epsilon.Number > 0f && !float.IsInfinity((float)epsilon.Number)))
                {
                    Report(DiagnosticIds.InvalidArgument, span,
                        "BatchNormalization needs a momentum in [0, 1] and an epsilon that is positive in single precision (such as 0.001)");
                    return Invalid();
                }

                return Value.Layer(Add(scale: momentum.Number, shift: epsilon.Number, config: new[] { center.Value ? 1 : 0, scale.Value ? 1 : 0 }));
            }

            default: // global pooling, Flatten
                return Value.Layer(Add());
        }
    }

    private int? PaddingArgument(Arguments args)
    {
        int? padding = args.Int("padding");
        if (padding is not (null or 0 or 1))
        {
            Report(DiagnosticIds.InvalidArgument, args.SpanOf("padding"), $"{padding} is not an Unrolled.Padding value (Padding.Valid or Padding.Same)");
            return null;
        }

        return padding;
    }

    private int? ActivationArgument(Arguments args)
    {
        int? activation = args.Int("activation");
        if (activation is < 0 || activation >= ActivationInfo.Count)
        {
            Report(DiagnosticIds.InvalidArgument, args.SpanOf("activation"), $"{activation} is not an Unrolled.Activation value");
            return null;
        }

        return activation;
    }

    private int? Positive(Arguments args, string parameter, string factory)
    {
        int? value = args.Int(parameter);
        if (value is <= 0)
        {
            Report(DiagnosticIds.InvalidArgument, args.SpanOf(parameter),
                $"{factory} needs a positive '{parameter}', but it is {value.Value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return value;
    }

    /// <summary>
    /// A window argument (kernel size, strides, dilation, pool size) as (height, width): an integer for both, or an
    /// array [height, width]. A 1-D layer has height 1. Null (reported) when invalid.
    /// </summary>
    private (int, int)? Window(Arguments args, string parameter, string factory, bool oneDimensional, int? fallback)
    {
        var value = args.Known(parameter);
        if (value is null)
        {
            return null;
        }

        (int, int)? pair = value switch
        {
            { Kind: ValueKind.Null } when fallback is int f => (oneDimensional ? 1 : f, f),
            { Kind: ValueKind.Number, IsInteger: true } => (oneDimensional ? 1 : (int)value.Number, (int)value.Number),
            { Kind: ValueKind.List } when !oneDimensional && value.Items!.Count == 2 && value.Items.All(v => v is { Kind: ValueKind.Number, IsInteger: true })
                => ((int)value.Items[0].Number, (int)value.Items[1].Number),
            _ => null,
        };
        if (pair is not { } p || p.Item1 <= 0 || p.Item2 <= 0)
        {
            Report(DiagnosticIds.InvalidArgument, args.SpanOf(parameter),
                $"{factory} needs '{parameter}' to be a positive integer" + (oneDimensional ? string.Empty : " or [height, width] of positive integers") + $", but it is {value}");
            return null;
        }

        return pair;
    }
}
