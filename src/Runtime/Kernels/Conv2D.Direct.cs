using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

public static partial class Conv2D
{
    /// <summary>The largest patch (taps × input channels) that the direct kernels take instead of im2col + GEMM.</summary>
    private const int DirectPatch = 32;

    /// <summary>
    /// Whether the direct kernels serve this geometry's forward pass where the implicit GEMM does not (the kernel gradient
    /// goes to the implicit GEMM, 4× faster on 3×3 over one channel): a small patch (a first layer over few channels, such as 3×3 over
    /// one), where a GEMM with K ≤ 32 spends its time building the patch matrix; and 16 to 64 output channels, one to four
    /// 512-bit vectors.
    /// </summary>
    private static bool UsesDirect(in ConvGeometry g)
        => Vector512.IsHardwareAccelerated && g.PatchSize <= DirectPatch && g.OutChannels % 16 == 0 && g.OutChannels <= 64;

    /// <summary>y (+)= the convolution, output pixel by output pixel, with the pixel's channels in vector registers.</summary>
    private static void DirectForward(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, Span<float> y, in ConvGeometry g, int batch, bool accumulate)
    {
        int vectors = g.OutChannels / 16;
        ref float x0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        ref float k0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(kernel);
        ref float y0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
        int row = 0;
        for (int b = 0; b < batch; b++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int ox = 0;
                if (vectors == 1)
                {
                    // Four pixels at a time: four independent FMA chains hide the FMA latency.
                    for (; ox + 4 <= g.OutWidth && FitsAcross(g, ox, 4); ox += 4, row += 4)
                    {
                        FourPixels(ref x0, ref k0, ref Unsafe.Add(ref y0, row * 16), g, b, oy, ox, accumulate);
                    }
                }

                for (; ox < g.OutWidth; ox++, row++)
                {
                    ref float yRow = ref Unsafe.Add(ref y0, row * g.OutChannels);
                    Vector512<float> a0 = accumulate ? Vector512.LoadUnsafe(ref yRow) : Vector512<float>.Zero;
                    Vector512<float> a1 = accumulate && vectors > 1 ? Vector512.LoadUnsafe(ref yRow, 16) : Vector512<float>.Zero;
                    Vector512<float> a2 = accumulate && vectors > 2 ? Vector512.LoadUnsafe(ref yRow, 32) : Vector512<float>.Zero;
                    Vector512<float> a3 = accumulate && vectors > 3 ? Vector512.LoadUnsafe(ref yRow, 48) : Vector512<float>.Zero;
                    for (int ky = 0; ky < g.KernelHeight; ky++)
                    {
                        int iy = (oy * g.StrideHeight) - g.PadTop + (ky * g.DilationHeight);
                        if ((uint)iy >= (uint)g.InHeight)
                        {
                            continue;
                        }

                        for (int kx = 0; kx < g.KernelWidth; kx++)
                        {
                            int ix = (ox * g.StrideWidth) - g.PadLeft + (kx * g.DilationWidth);
                            if ((uint)ix >= (uint)g.InWidth)
                            {
                                continue;
                            }

                            int xBase = (((b * g.InHeight) + iy) * g.InWidth + ix) * g.InChannels;
                            int kBase = ((ky * g.KernelWidth) + kx) * g.InChannels * g.OutChannels;
                            for (int c = 0; c < g.InChannels; c++)
                            {
                                var v = Vector512.Create(Unsafe.Add(ref x0, xBase + c));
                                ref float w = ref Unsafe.Add(ref k0, kBase + (c * g.OutChannels));
                                a0 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w), a0);
                                if (vectors > 1)
                                {
                                    a1 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w, 16), a1);
                                }

                                if (vectors > 2)
                                {
                                    a2 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w, 32), a2);
                                }

                                if (vectors > 3)
                                {
                                    a3 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w, 48), a3);
                                }
                            }
                        }
                    }

                    a0.StoreUnsafe(ref yRow);
                    if (vectors > 1)
                    {
                        a1.StoreUnsafe(ref yRow, 16);
                    }

                    if (vectors > 2)
                    {
                        a2.StoreUnsafe(ref yRow, 32);
                    }

                    if (vectors > 3)
                    {
                        a3.StoreUnsafe(ref yRow, 48);
                    }
                }
            }
        }
    }

    /// <summary>Whether every tap of pixels [ox, ox + count) lies inside the input's width (they then need no checks).</summary>
    private static bool FitsAcross(in ConvGeometry g, int ox, int count)
    {
        int first = (ox * g.StrideWidth) - g.PadLeft;
        int last = ((ox + count - 1) * g.StrideWidth) - g.PadLeft + ((g.KernelWidth - 1) * g.DilationWidth);
        return first >= 0 && last < g.InWidth;
    }

    /// <summary>Four adjacent output pixels of 16 channels, all taps inside the width (rows are checked here).</summary>
    private static void FourPixels(ref float x0, ref float k0, ref float yRow, in ConvGeometry g, int b, int oy, int ox, bool accumulate)
    {
        Vector512<float> a0 = accumulate ? Vector512.LoadUnsafe(ref yRow) : Vector512<float>.Zero;
        Vector512<float> a1 = accumulate ? Vector512.LoadUnsafe(ref yRow, 16) : Vector512<float>.Zero;
        Vector512<float> a2 = accumulate ? Vector512.LoadUnsafe(ref yRow, 32) : Vector512<float>.Zero;
        Vector512<float> a3 = accumulate ? Vector512.LoadUnsafe(ref yRow, 48) : Vector512<float>.Zero;
        int step = g.StrideWidth * g.InChannels;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int iy = (oy * g.StrideHeight) - g.PadTop + (ky * g.DilationHeight);
            if ((uint)iy >= (uint)g.InHeight)
            {
                continue;
            }

            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int ix = (ox * g.StrideWidth) - g.PadLeft + (kx * g.DilationWidth);
                ref float xp = ref Unsafe.Add(ref x0, ((((b * g.InHeight) + iy) * g.InWidth) + ix) * g.InChannels);
                ref float w = ref Unsafe.Add(ref k0, ((ky * g.KernelWidth) + kx) * g.InChannels * 16);
                for (int c = 0; c < g.InChannels; c++)
                {
                    var wv = Vector512.LoadUnsafe(ref w, (nuint)(c * 16));
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xp, c)), wv, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xp, c + step)), wv, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xp, c + (2 * step))), wv, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xp, c + (3 * step))), wv, a3);
                }
            }
        }

        a0.StoreUnsafe(ref yRow);
        a1.StoreUnsafe(ref yRow, 16);
        a2.StoreUnsafe(ref yRow, 32);
        a3.StoreUnsafe(ref yRow, 48);
    }
}
