using System;

namespace Unrolled;

/// <summary>
/// Marks the static method of a <c>partial</c> class that describes a model with the functional API.
/// The Unrolled generator evaluates the method at compile time (it never runs), infers every shape and
/// adds to the class a constructor, <c>Predict</c>, training, <c>Summary()</c> and the rest.
/// </summary>
/// <remarks>The method must be <c>static</c>, take no parameters and return <see cref="Model"/>.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ModelBuilderAttribute : Attribute
{
}
