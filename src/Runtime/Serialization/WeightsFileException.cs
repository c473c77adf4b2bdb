using System.IO;

namespace Unrolled;

/// <summary>What is wrong with a weights file (see <see cref="WeightsFileException.Error"/>).</summary>
public enum WeightsFileError
{
    /// <summary>The bytes do not start with the magic number of an Unrolled weights file (another format, or not a
    /// weights file at all).</summary>
    NotAWeightsFile,

    /// <summary>The file's format version is newer than this Unrolled reads: update the package.</summary>
    NewerVersion,

    /// <summary>The file ends before the length its header records: it was cut short (an interrupted copy or download).</summary>
    Truncated,

    /// <summary>A checksum does not match, or a field holds a value no writer produces: the bytes were damaged.</summary>
    Corrupt,

    /// <summary>The file is intact but holds other weight tensors than the model (a missing or extra tensor, another
    /// shape): it was saved from a different model.</summary>
    ModelMismatch,

    /// <summary>The file's optimizer state does not fit the optimizer the model is compiled with (another type, other
    /// hyper-parameters).</summary>
    OptimizerMismatch,
}

/// <summary>
/// Thrown by <see cref="CompiledModel.LoadWeights(string, bool?)"/> and
/// <see cref="CompiledModel.LoadWeights(System.IO.Stream, bool?)"/> when a file cannot be loaded into the model: it is
/// not a weights file, was written by a newer Unrolled, is truncated or corrupt, or was saved from another model. The
/// message names the problem (for a mismatch, the tensor and both shapes); <see cref="Error"/> classifies it. When it is
/// thrown the model's weights and optimizer state are unchanged.
/// </summary>
/// <remarks>
/// It derives from <see cref="IOException"/> (the BCL's <see cref="InvalidDataException"/> is sealed), so code that
/// handles failed file operations handles it too; the failures of the file or stream itself (a read error) are plain
/// <see cref="IOException"/>s.
/// </remarks>
public sealed class WeightsFileException : IOException
{
    internal WeightsFileException(WeightsFileError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>What kind of problem the file has.</summary>
    public WeightsFileError Error { get; }
}
