// Compiled into the runtime (the public enum users pass) and into the generator and analyzer (which read its names),
// so that the two can never disagree.
#if UNROLLED_GENERATOR
namespace Unrolled.Generator.Model;
#else
namespace Unrolled;
#endif

/// <summary>
/// Activation functions, as Keras's <c>activation=</c> strings (<c>Relu</c> is <c>"relu"</c>, <c>Linear</c> is
/// <c>None</c> / <c>"linear"</c>). Formulas and constants follow Keras 3.
/// </summary>
#if UNROLLED_GENERATOR
internal enum Activation
#else
public enum Activation
#endif
{
    /// <summary>Identity, <c>"linear"</c> (Keras's default for <c>Dense</c>).</summary>
    Linear,
    /// <summary><c>max(x, 0)</c>.</summary>
    Relu,
    /// <summary><c>min(max(x, 0), 6)</c>.</summary>
    Relu6,
    /// <summary><c>x</c> if <c>x &gt; 0</c>, else <c>exp(x) - 1</c> (alpha 1).</summary>
    Elu,
    /// <summary>Scaled ELU with Keras's constants (alpha 1.67326324, scale 1.05070098).</summary>
    Selu,
    /// <summary><c>1 / (1 + exp(-x))</c>.</summary>
    Sigmoid,
    /// <summary>Keras 3's <c>relu6(x + 3) / 6</c>.</summary>
    HardSigmoid,
    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
    /// <summary>Softmax over the last axis.</summary>
    Softmax,
    /// <summary><c>log(1 + exp(x))</c>.</summary>
    Softplus,
    /// <summary><c>x / (1 + |x|)</c>.</summary>
    Softsign,
    /// <summary><c>x * sigmoid(x)</c> (also called SiLU).</summary>
    Swish,
    /// <summary>Exact GELU, <c>x * Φ(x)</c> (Keras's default <c>approximate=False</c>).</summary>
    Gelu,
    /// <summary><c>exp(x)</c>.</summary>
    Exponential,
}
