// The element-wise operations a Lambda is built from, compiled into the runtime (the kernels' public enums) and into
// the generator and analyzer (the settings of the UnaryOp and BinaryOp kinds), so that the generator names exactly the
// members the kernels have.
#if UNROLLED_GENERATOR
namespace Unrolled.Generator.Model;
#else
using System.ComponentModel;

namespace Unrolled.Kernels;
#endif

/// <summary>Element-wise unary operations of <see cref="Unrolled.Ops"/> (Lambda bodies).</summary>
#if UNROLLED_GENERATOR
internal enum UnaryOp
#else
[EditorBrowsable(EditorBrowsableState.Never)]
public enum UnaryOp
#endif
{
    /// <summary>|x|.</summary>
    Abs,
    /// <summary>eˣ.</summary>
    Exp,
    /// <summary>ln x.</summary>
    Log,
    /// <summary>√x.</summary>
    Sqrt,
    /// <summary>x².</summary>
    Square,
}

/// <summary>Binary operations with Keras's (NumPy's) right-aligned broadcasting over the per-sample shape.</summary>
#if UNROLLED_GENERATOR
internal enum BinaryOp
#else
[EditorBrowsable(EditorBrowsableState.Never)]
public enum BinaryOp
#endif
{
    /// <summary>a + b.</summary>
    Add,
    /// <summary>a − b.</summary>
    Subtract,
    /// <summary>a × b.</summary>
    Multiply,
    /// <summary>a ÷ b.</summary>
    Divide,
    /// <summary>max(a, b); ties send the gradient to a.</summary>
    Maximum,
    /// <summary>min(a, b); ties send the gradient to a.</summary>
    Minimum,
}
