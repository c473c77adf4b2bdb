using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Unrolled.Generator.Model;

/// <summary>How a weight tensor starts, as Keras initialises it.</summary>
internal enum WeightInit
{
    /// <summary>glorot_uniform, with Keras's fans from the shape (receptive field times the last two axes).</summary>
    GlorotUniform,

    Zeros,

    Ones,

    /// <summary>orthogonal (recurrent kernels).</summary>
    Orthogonal,

    /// <summary>uniform(−0.05, 0.05) (Embedding).</summary>
    Uniform,

    /// <summary>zeros with the forget gate's quarter set to one (LSTM's unit_forget_bias).</summary>
    UnitForgetBias,

    /// <summary>he_normal: truncated normal, variance 2 / fan_in.</summary>
    HeNormal,

    /// <summary>he_uniform: variance 2 / fan_in.</summary>
    HeUniform,

    /// <summary>lecun_normal: truncated normal, variance 1 / fan_in.</summary>
    LecunNormal,

    /// <summary>lecun_uniform: variance 1 / fan_in.</summary>
    LecunUniform,

    /// <summary>glorot_normal: truncated normal, variance 2 / (fan_in + fan_out).</summary>
    GlorotNormal,

    /// <summary>random_normal: mean 0, standard deviation 0.05.</summary>
    RandomNormal,

    /// <summary>truncated_normal: mean 0, standard deviation 0.05, within two.</summary>
    TruncatedNormal,
}

/// <summary>Keras's initialiser names, as the builder's <c>kernelInitializer: "he_normal"</c> gives them.</summary>
internal static class Initializers
{
    public static readonly (string Name, WeightInit Init)[] Known =
    [
        ("glorot_uniform", WeightInit.GlorotUniform), ("glorot_normal", WeightInit.GlorotNormal), ("he_normal", WeightInit.HeNormal),
        ("he_uniform", WeightInit.HeUniform), ("lecun_normal", WeightInit.LecunNormal), ("lecun_uniform", WeightInit.LecunUniform),
        ("zeros", WeightInit.Zeros), ("ones", WeightInit.Ones), ("orthogonal", WeightInit.Orthogonal), ("random_normal", WeightInit.RandomNormal),
        ("random_uniform", WeightInit.Uniform), ("truncated_normal", WeightInit.TruncatedNormal),
    ];

    /// <summary>The builder's regularizer arguments and the weight each penalises.</summary>
    public static readonly (string Argument, string Weight)[] RegularizerArguments =
    [
        ("kernelRegularizer", "kernel"), ("biasRegularizer", "bias"), ("embeddingsRegularizer", "embeddings"), ("recurrentRegularizer", "recurrent_kernel"),
        ("activityRegularizer", "activity"), // the layer's output (Keras's activity_regularizer), not a weight
    ];

    /// <summary>The builder's constraint arguments and the weight each holds to.</summary>
    public static readonly (string Argument, string Weight)[] ConstraintArguments =
    [
        ("kernelConstraint", "kernel"), ("biasConstraint", "bias"), ("embeddingsConstraint", "embeddings"), ("recurrentConstraint", "recurrent_kernel"),
    ];

    /// <summary>The builder's initialiser arguments and the weight each sets.</summary>
    public static readonly (string Argument, string Weight)[] Arguments =
    [
        ("kernelInitializer", "kernel"), ("biasInitializer", "bias"), ("embeddingsInitializer", "embeddings"), ("recurrentInitializer", "recurrent_kernel"),
    ];

    /// <summary>
    /// How the builder set up a layer, as Keras's <c>get_config()</c> would list it: <c>kernel_initializer='he_normal'</c>,
    /// <c>kernel_regularizer=L2(l2=0.0001)</c>, <c>activity_regularizer=…</c>, <c>kernel_constraint=MaxNorm(max_value=3, axis=0)</c>,
    /// <c>trainable=False</c>; only what the builder gave. Each entry is a name and C# for a <c>LayerSetting</c> value.
    /// </summary>
    public static List<(string Name, string Value)> Setup(LayerSpec layer)
    {
        var setup = new List<(string, string)>();
        foreach (string entry in layer.Initializers)
        {
            int eq = entry.IndexOf('=');
            string name = entry.Substring(eq + 1);
            string keras = Known.FirstOrDefault(k => k.Init.ToString() == name).Name ?? name;
            setup.Add((Prefix(entry.Substring(0, eq)) + "_initializer", Literal(keras)));
        }

        foreach (string entry in layer.Regularizers)
        {
            var parts = entry.Split('=', ':');
            double l1 = double.Parse(parts[1], CultureInfo.InvariantCulture), l2 = double.Parse(parts[2], CultureInfo.InvariantCulture);
            string text = l1 > 0 && l2 > 0 ? $"L1L2(l1={R(l1)}, l2={R(l2)})" : l1 > 0 ? $"L1(l1={R(l1)})" : $"L2(l2={R(l2)})";
            setup.Add((Prefix(parts[0]) + "_regularizer", Literal(text)));
        }

        foreach (string entry in layer.Constraints)
        {
            int eq = entry.IndexOf('=');
            var parts = entry.Substring(eq + 1).Split(':');
            string axis = parts[4].Contains(',') ? "[" + parts[4].Replace(",", ", ") + "]" : parts[4];
            string text = parts[0] switch
            {
                "MaxNorm" => $"MaxNorm(max_value={parts[2]}, axis={axis})",
                "MinMaxNorm" => $"MinMaxNorm(min_value={parts[1]}, max_value={parts[2]}, rate={parts[3]}, axis={axis})",
                "UnitNorm" => $"UnitNorm(axis={axis})",
                _ => parts[0] + "()",
            };
            setup.Add((Prefix(entry.Substring(0, eq)) + "_constraint", Literal(text)));
        }

        if (!layer.Trainable)
        {
            setup.Add(("trainable", "false"));
        }

        return setup;

        static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        // Keras names the recurrent kernel's arguments recurrent_initializer, recurrent_regularizer, recurrent_constraint.
        static string Prefix(string weight) => weight == "recurrent_kernel" ? "recurrent" : weight;

        static string Literal(string text) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text, quote: true);
    }

    public static WeightInit? Find(string name)
    {
        foreach (var (known, init) in Known)
        {
            if (known == name)
            {
                return init;
            }
        }

        return null;
    }
}

/// <summary>One weight tensor of a layer, in Keras's order within the layer (<c>kernel</c>, <c>bias</c>, …).</summary>
/// <param name="Name">Keras's name for it.</param>
/// <param name="Dims">Its shape, all constants.</param>
/// <param name="Init">How it starts.</param>
/// <param name="Trainable">False for state the optimizer leaves alone (BatchNormalization's moving statistics).</param>
/// <param name="RowSparse">A [rows, width] table whose gradient the layer's backward pass writes only in the rows its ids
/// name, recording them (<c>workspace.TouchedRows</c>): an Embedding's.</param>
internal sealed record WeightSpec(string Name, EquatableArray<int> Dims, WeightInit Init, bool Trainable = true, bool RowSparse = false)
{
    public int Size
    {
        get
        {
            int size = 1;
            foreach (int d in Dims)
            {
                size = checked(size * d);
            }

            return size;
        }
    }
}
