using System;
using System.Collections.Generic;
using System.IO;
using Unrolled.Interop.Keras;

namespace Unrolled;

public abstract partial class CompiledModel
{
    /// <summary>The largest file read (the whole file is held in memory while it is read).</summary>
    private const long MaxKerasFileBytes = int.MaxValue;

    /// <summary>
    /// Loads weights trained by Keras into this model: a Keras 3 <c>.weights.h5</c> (<c>model.save_weights</c>), a
    /// Keras 3 <c>.keras</c> archive (<c>model.save</c>), or a Keras 2 <c>.h5</c> (<c>model.save</c> or
    /// <c>model.save_weights</c>); the format is recognised from the content. The file must hold exactly the model's
    /// weights, each with the model's shape (Keras's shapes and layouts are the model's, so nothing is transposed):
    /// otherwise nothing is loaded and the exception lists every mismatch.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="matching">How the file's layers are paired with the model's (see <see cref="KerasLayerMatching"/>).</param>
    /// <returns>What was loaded from where.</returns>
    /// <exception cref="KerasWeightsMismatchException">The file's weights do not fit the model: a weight has another shape,
    /// a layer of the model is missing from the file, or the file has layers the model does not; the message names each
    /// layer, weight and both shapes. Nothing was loaded.</exception>
    /// <exception cref="InvalidDataException">The file is not a Keras weight file, or is corrupt or truncated.</exception>
    /// <exception cref="NotSupportedException">The file uses an HDF5 or Keras feature this reader does not handle
    /// (the message names it): integer or compound weights, szip compression, external or virtual storage, ….</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    public KerasImportReport LoadKerasWeights(string path, KerasLayerMatching matching = KerasLayerMatching.Auto)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return LoadKerasWeights(stream, matching, Path.GetFileName(path));
    }

    /// <summary>
    /// Loads Keras weights from a stream holding one of the files <see cref="LoadKerasWeights(string, KerasLayerMatching)"/>
    /// reads (read to its end; the format is recognised from the content).
    /// </summary>
    /// <param name="stream">The file's bytes.</param>
    /// <param name="matching">How the file's layers are paired with the model's.</param>
    /// <returns>What was loaded from where.</returns>
    /// <exception cref="KerasWeightsMismatchException">The file's weights do not fit the model; nothing was loaded.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a Keras weight file, or are corrupt or truncated.</exception>
    /// <exception cref="NotSupportedException">The file uses an HDF5 or Keras feature this reader does not handle.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    public KerasImportReport LoadKerasWeights(Stream stream, KerasLayerMatching matching = KerasLayerMatching.Auto)
        => LoadKerasWeights(stream, matching, "the stream");

    private KerasImportReport LoadKerasWeights(Stream stream, KerasLayerMatching matching, string source)
        => LoadKerasWeights(stream, matching, source, null);

    /// <summary>
    /// Loads a Keras file saved from a model that is nested here (Keras's <c>base_model.load_weights(path)</c> on the
    /// model a larger one applies as a layer): only <paramref name="into"/>'s weights are matched and loaded, as if the
    /// nested model stood alone; the others keep their values.
    /// </summary>
    internal KerasImportReport LoadKerasWeights(string path, KerasLayerMatching matching, ModelLayer into)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return LoadKerasWeights(stream, matching, Path.GetFileName(path), into);
    }

    /// <inheritdoc cref="LoadKerasWeights(string, KerasLayerMatching, ModelLayer)"/>
    internal KerasImportReport LoadKerasWeights(Stream stream, KerasLayerMatching matching, ModelLayer into)
        => LoadKerasWeights(stream, matching, "the stream", into);

    /// <summary>A nested model's weights as they would be described were it the whole model: its layers directly under
    /// <c>layers/</c> (Keras 3) and each its own <c>model.layers</c> entry (Keras 2), in the same relative order.</summary>
    private static WeightInfo[] Standalone(IReadOnlyList<WeightInfo> weights)
    {
        string? prefix = null;
        foreach (var weight in weights)
        {
            string? here = weight.KerasPath is { } p && p.StartsWith("layers/", StringComparison.Ordinal) && p.IndexOf('/', 7) is > 7 and int end &&
                p.AsSpan(end + 1).StartsWith("layers/") ? p[..(end + 1)] : null;
            prefix = prefix is null || prefix == here ? here : string.Empty;
        }

        var result = new WeightInfo[weights.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var w = weights[i];
            string? path = string.IsNullOrEmpty(prefix) || w.KerasPath is null ? w.KerasPath : w.KerasPath[prefix.Length..];
            result[i] = new WeightInfo(w.Layer, w.Name, [.. w.Shape], w.Offset, w.Trainable, path, w.Layer, w.KerasIndex);
        }

        return result;
    }

    private KerasImportReport LoadKerasWeights(Stream stream, KerasLayerMatching matching, string source, ModelLayer? into)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!Enum.IsDefined(matching))
        {
            throw new ArgumentOutOfRangeException(nameof(matching), matching, "Not a KerasLayerMatching value.");
        }

        if (into is not null && into.Weights.Count == 0)
        {
            throw new ArgumentException($"Layer '{into.Name}' of model '{Description.Name}' has no weights to load.", nameof(into));
        }

        byte[] bytes = ReadAll(stream, source);
        var file = KerasFile.Open(bytes, source);
        IReadOnlyList<WeightInfo> weights = into is null ? Description.Weights : Standalone(into.Weights);
        string target = into is null ? $"model '{Description.Name}'" : $"layer '{into.Name}' of model '{Description.Name}'";
        var attempt = new KerasWeightMatcher(file, weights).Match(matching);
        if (attempt.Problems.Count > 0)
        {
            const int shown = 20;
            string list = string.Join(Environment.NewLine, System.Linq.Enumerable.Select(System.Linq.Enumerable.Take(attempt.Problems, shown), p => "  - " + p));
            if (attempt.Problems.Count > shown)
            {
                list += Environment.NewLine + $"  … and {attempt.Problems.Count - shown} more.";
            }

            throw new KerasWeightsMismatchException(
                $"The Keras weights in {source} ({file.Format}) do not fit {target} when matched " +
                $"{(attempt.Mode == KerasLayerMatching.ByName ? "by name" : "by position")}; nothing was loaded:{Environment.NewLine}{list}",
                attempt.Problems);
        }

        // Read everything before touching the model: a dataset that cannot be read leaves the weights as they were.
        var staged = new float[_weights.Length];
        var sources = new string[weights.Count];
        for (int i = 0; i < weights.Count; i++)
        {
            var weight = weights[i];
            var tensor = attempt.Sources[i]!;
            tensor.Dataset.ReadFloats(staged.AsSpan(weight.Offset, weight.Size));
            sources[i] = tensor.Path;
        }

        Enter();
        try
        {
            WeightsWritten();
            foreach (var weight in weights)
            {
                staged.AsSpan(weight.Offset, weight.Size).CopyTo(_weights.AsSpan(weight.Offset, weight.Size));
            }
        }
        finally
        {
            Exit();
        }

        return new KerasImportReport(file.Format, file.Version, attempt.Mode, into is null ? Description.Weights : into.Weights, sources);
    }

    private static byte[] ReadAll(Stream stream, string source)
    {
        if (stream.CanSeek)
        {
            long length = stream.Length - stream.Position;
            if (length > MaxKerasFileBytes)
            {
                throw new NotSupportedException($"{source} is {length} bytes; Keras weight files over 2 GiB are not supported.");
            }

            var bytes = new byte[length];
            stream.ReadExactly(bytes);
            return bytes;
        }

        return BoundedRead.UpTo(stream, MaxKerasFileBytes)
            ?? throw new NotSupportedException($"{source} is over 2 GiB; Keras weight files that large are not supported.");
    }
}
