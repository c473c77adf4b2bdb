using System;
using System.Collections.Generic;

namespace Unrolled;

/// <summary>
/// A Keras weight file that is valid but does not fit the model: a weight with another shape, a layer of the model the
/// file lacks, a layer of the file the model lacks. Nothing was loaded.
/// </summary>
public sealed class KerasWeightsMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The whole message.</param>
    /// <param name="problems">Each problem, one sentence each.</param>
    public KerasWeightsMismatchException(string message, IReadOnlyList<string> problems)
        : base(message)
    {
        Problems = problems ?? Array.Empty<string>();
    }

    /// <summary>Each mismatch, one sentence each (also in <see cref="Exception.Message"/>).</summary>
    public IReadOnlyList<string> Problems { get; }
}
