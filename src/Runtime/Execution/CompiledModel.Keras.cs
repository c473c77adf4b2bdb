using System;
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
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!Enum.IsDefined(matching))
        {
            throw new ArgumentOutOfRangeException(nameof(matching), matching, "Not a KerasLayerMatching value.");
        }

        byte[] bytes = ReadAll(stream, source);
        var file = KerasFile.Open(bytes, source);
        var attempt = new KerasWeightMatcher(file, Description).Match(matching);
        if (attempt.Problems.Count > 0)
        {
            const int shown = 20;
            string list = string.Join(Environment.NewLine, System.Linq.Enumerable.Select(System.Linq.Enumerable.Take(attempt.Problems, shown), p => "  - " + p));
            if (attempt.Problems.Count > shown)
            {
                list += Environment.NewLine + $"  … and {attempt.Problems.Count - shown} more.";
            }

            throw new KerasWeightsMismatchException(
                $"The Keras weights in {source} ({file.Format}) do not fit model '{Description.Name}' when matched " +
                $"{(attempt.Mode == KerasLayerMatching.ByName ? "by name" : "by position")}; nothing was loaded:{Environment.NewLine}{list}",
                attempt.Problems);
        }

        // Read everything before touching the model: a dataset that cannot be read leaves the weights as they were.
        var staged = new float[_weights.Length];
        var sources = new string[Description.Weights.Count];
        for (int i = 0; i < Description.Weights.Count; i++)
        {
            var weight = Description.Weights[i];
            var tensor = attempt.Sources[i]!;
            tensor.Dataset.ReadFloats(staged.AsSpan(weight.Offset, weight.Size));
            sources[i] = tensor.Path;
        }

        Enter();
        try
        {
            WeightsWritten();
            foreach (var weight in Description.Weights)
            {
                staged.AsSpan(weight.Offset, weight.Size).CopyTo(_weights.AsSpan(weight.Offset, weight.Size));
            }
        }
        finally
        {
            Exit();
        }

        return new KerasImportReport(file.Format, file.Version, attempt.Mode, Description.Weights, sources);
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
