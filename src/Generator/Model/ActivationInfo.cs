namespace Unrolled.Generator.Model;

/// <summary>What the generator needs to know about each <c>Unrolled.Activation</c> value (the enum is shared with the
/// runtime: src/Shared/Activation.cs).</summary>
internal static class ActivationInfo
{
    /// <summary>The members' names, by value.</summary>
    public static readonly string[] Names = System.Enum.GetNames(typeof(Activation));

    public const int Linear = (int)Activation.Linear;
    public const int Sigmoid = (int)Activation.Sigmoid;
    public const int Softmax = (int)Activation.Softmax;

    public static int Count => Names.Length;

    /// <summary>Whether the derivative needs the pre-activation (it cannot be computed from the output alone).</summary>
    public static bool NeedsPreActivation(int activation) => activation is (int)Activation.Swish or (int)Activation.Gelu;
}
