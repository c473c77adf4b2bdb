namespace Unrolled.Generator.Model;

/// <summary>
/// What the generator needs to know about each <c>Unrolled.Activation</c> value, in the enum's order
/// (a test checks the order against the runtime's enum).
/// </summary>
internal static class ActivationInfo
{
    public static readonly string[] Names =
    [
        "Linear", "Relu", "Relu6", "Elu", "Selu", "Sigmoid", "HardSigmoid", "Tanh", "Softmax", "Softplus", "Softsign", "Swish", "Gelu", "Exponential",
    ];

    public const int Linear = 0;
    public const int Sigmoid = 5;
    public const int Softmax = 8;

    public static int Count => Names.Length;

    /// <summary>Whether the derivative needs the pre-activation (it cannot be computed from the output alone).</summary>
    public static bool NeedsPreActivation(int activation) => Names[activation] is "Swish" or "Gelu";
}
