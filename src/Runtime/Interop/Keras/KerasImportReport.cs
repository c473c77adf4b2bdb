using System.Collections.Generic;
using System.Text;

namespace Unrolled;

/// <summary>What <see cref="CompiledModel.LoadKerasWeights(string, KerasLayerMatching)"/> loaded, and from where.</summary>
public sealed class KerasImportReport
{
    internal KerasImportReport(KerasFileFormat format, string? kerasVersion, KerasLayerMatching matching, IReadOnlyList<WeightInfo> weights,
        IReadOnlyList<string> sources)
    {
        Format = format;
        KerasVersion = kerasVersion;
        Matching = matching;
        Weights = weights;
        Sources = sources;
    }

    /// <summary>The kind of file.</summary>
    public KerasFileFormat Format { get; }

    /// <summary>The Keras version that wrote the file, when the file says (<c>metadata.json</c>, or Keras 2's
    /// <c>keras_version</c> attribute); otherwise null.</summary>
    public string? KerasVersion { get; }

    /// <summary>How layers were paired: <see cref="KerasLayerMatching.ByName"/> or <see cref="KerasLayerMatching.ByPosition"/>.</summary>
    public KerasLayerMatching Matching { get; }

    /// <summary>The model's weights (<see cref="ModelDescription.Weights"/>), every one of which was loaded.</summary>
    public IReadOnlyList<WeightInfo> Weights { get; }

    /// <summary>For each of <see cref="Weights"/>, the path of the dataset it was read from.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>One line per weight: <c>dense_1/kernel [5, 3] &lt;- layers/dense_1/vars/0</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Format).Append(KerasVersion is null ? string.Empty : $" (Keras {KerasVersion})").Append(", matched ").Append(Matching).AppendLine(":");
        for (int i = 0; i < Weights.Count; i++)
        {
            text.Append("  ").Append(Weights[i]).Append(" <- ").AppendLine(Sources[i]);
        }

        return text.ToString();
    }
}
