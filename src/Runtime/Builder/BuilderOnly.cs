using System;

namespace Unrolled;

/// <summary>
/// Thrown when a member of the builder API (<see cref="Layers"/>, <see cref="Tensor"/>, <see cref="Model"/>)
/// is called at run time. Builder methods are evaluated by the Unrolled generator at compile time and never run.
/// </summary>
public sealed class BuilderOnlyException : InvalidOperationException
{
    internal BuilderOnlyException(string member)
        : base($"'{member}' belongs to the model builder API. A [ModelBuilder] method is evaluated by the Unrolled " +
               "generator at compile time and must not be called at run time; create the generated model class instead " +
               "(for example 'new MyModel()').")
    {
    }

    internal static BuilderOnlyException For(string member) => new(member);
}
