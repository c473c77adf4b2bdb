using System;

namespace Unrolled;

/// <summary>
/// A length given at run time: the size of an input axis declared <c>null</c> in the builder (Keras's <c>None</c>), such
/// as the number of words of a variable-length sequence. Each call passes its value; all samples of one call share it.
/// </summary>
public sealed class LengthInfo
{
    /// <summary>Creates a description; called by generated code.</summary>
    /// <param name="name">The generated methods' parameter for it (<c>titleLength</c>).</param>
    /// <param name="input">The input's position in <see cref="ModelDescription.Inputs"/>.</param>
    /// <param name="axis">The axis as Keras counts it (1 is the first axis after the batch).</param>
    public LengthInfo(string name, int input, int axis)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Input = input;
        Axis = axis;
    }

    /// <summary>The generated methods' parameter for this length (<c>titleLength</c>).</summary>
    public string Name { get; }

    /// <summary>The input's position in <see cref="ModelDescription.Inputs"/>.</summary>
    public int Input { get; }

    /// <summary>The axis, as Keras counts it (the batch axis is 0).</summary>
    public int Axis { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} (axis {Axis} of input {Input})";
}
