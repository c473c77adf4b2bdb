using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unrolled.Kernels;

/// <summary>The instruction set a GEMM runs on; the best supported one is chosen once, tests can force the others.</summary>
internal enum GemmPath
{
    Scalar,
    Vector128,
    Avx2Fma,
    Avx512,
}

/// <summary>Chooses and checks GEMM code paths.</summary>
internal static class GemmPaths
{
    /// <summary>The fastest path this machine supports.</summary>
    public static readonly GemmPath Best =
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? GemmPath.Avx512
        : Fma.IsSupported && Avx.IsSupported ? GemmPath.Avx2Fma
        : Vector128.IsHardwareAccelerated ? GemmPath.Vector128
        : GemmPath.Scalar;

    /// <summary>Whether <paramref name="path"/> can run here.</summary>
    public static bool IsSupported(GemmPath path) => path switch
    {
        GemmPath.Avx512 => Avx512F.IsSupported && Vector512.IsHardwareAccelerated,
        GemmPath.Avx2Fma => Fma.IsSupported && Avx.IsSupported,
        GemmPath.Vector128 => Vector128.IsHardwareAccelerated,
        _ => true,
    };
}
