using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

public static partial class Conv2D
{
    /// <summary>
    /// <see cref="BackwardInput"/> in scatter form on a given instruction set, for tests: false (having done nothing)
    /// when the geometry or scratch does not allow it.
    /// </summary>
    internal static bool TryScatterBackwardInput(GemmPath path, ReadOnlySpan<float> dy, ReadOnlySpan<float> kernel, Span<float> dx,
        in ConvGeometry g, int batch, Span<float> scratch, bool accumulate)
    {
        int rows = Prepare(g, batch);
        return ScatterBackwardInput(path, dy[..checked(rows * g.OutChannels)], kernel[..checked(g.PatchSize * g.OutChannels)],
            dx[..checked(batch * g.InputSize)], g, batch, scratch, accumulate);
    }

    /// <summary>Scratch floats the scatter-form input gradient needs (the transposed kernel and a table of each kernel
    /// row's vector offsets), or −1 when it does not apply: input channels not a whole number of vectors.</summary>
    private static long ScatterFloats(in ConvGeometry g, int width)
        => g.InChannels % width != 0 ? -1 : ((long)g.PatchSize * g.OutChannels) + ((long)g.KernelWidth * (g.InChannels / width));

    /// <summary>
    /// dx (+)= the input gradient in scatter form on <paramref name="path"/>, if the geometry and scratch allow it;
    /// returns false (having done nothing) otherwise. The spans must already be cut to the geometry's sizes.
    /// </summary>
    private static unsafe bool ScatterBackwardInput(GemmPath path, ReadOnlySpan<float> dy, ReadOnlySpan<float> kernel, Span<float> dx,
        in ConvGeometry g, int batch, Span<float> scratch, bool accumulate)
    {
        int width = VectorWidth(path);
        long floats = ScatterFloats(g, width);
        if (floats < 0 || floats > scratch.Length || g.KernelHeight * g.KernelWidth > ImplicitLayout.MaxTaps)
        {
            return false;
        }

        fixed (float* pdy = dy, pk = kernel, pdx = dx, ps = scratch)
        {
            switch (path)
            {
                case GemmPath.Avx512:
                    ScatterConv<Avx512Ops, Vector512<float>>.Run(pdy, pk, pdx, g, batch, ps, accumulate);
                    break;
                case GemmPath.Avx2Fma:
                    ScatterConv<Avx2Ops, Vector256<float>>.Run(pdy, pk, pdx, g, batch, ps, accumulate);
                    break;
                case GemmPath.Vector128:
                    ScatterConv<Vector128Ops, Vector128<float>>.Run(pdy, pk, pdx, g, batch, ps, accumulate);
                    break;
                default:
                    ScatterConv<ScalarOps, float>.Run(pdy, pk, pdx, g, batch, ps, accumulate);
                    break;
            }
        }

        return true;
    }
}

/// <summary>
/// The input gradient in scatter form: im2col's adjoint fused into the product, so neither a patch-gradient matrix nor
/// a zero-padded copy of dy is built. For each output row, tiles of 8 (32 registers) or 4 positions × up to 3 vectors
/// of a kernel row's (tap, input channel) columns (<see cref="ScatterTiles{TOps, TV}"/>) sum over the filters against
/// the transposed kernel (copied into scratch), then add onto the input pixels the window read. Where no window reaches
/// into padding, a tile takes consecutive positions of the whole sample, across rows (so 6-wide rows still fill 8-wide
/// tiles); otherwise positions whose window reaches past the left or right edge take one position at a time over their
/// in-range taps, and rows of the window above or below the input are left out. Any stride and dilation; input channels a whole number of vectors. Two threads take
/// whole samples, whose input gradients are disjoint, so each element is summed the same way on one thread or two.
/// </summary>
internal static unsafe class ScatterConv<TOps, TV>
    where TOps : ISimdOps<TV>
    where TV : unmanaged
{
    private static int Widest => TOps.FourVectorTile ? 8 : 4;

    public static void Run(float* dy, float* kernel, float* dx, in ConvGeometry g, int batch, float* scratch, bool accumulate)
    {
        int w = TOps.Count, patch = g.PatchSize, n = g.OutChannels, cin = g.InChannels, perTap = cin / w;

        // Kᵀ[o, p] = kernel[p, o], then each kernel row's vector offsets in the input: vector v is tap v / perTap.
        for (int p = 0; p < patch; p++)
        {
            float* source = kernel + ((nint)p * n);
            for (int o = 0; o < n; o++)
            {
                scratch[((nint)o * patch) + p] = source[o];
            }
        }

        int* offsets = (int*)(scratch + ((nint)patch * n));
        for (int v = 0, vectors = g.KernelWidth * perTap; v < vectors; v++)
        {
            int kx = v / perTap;
            offsets[v] = (kx * g.DilationWidth * cin) + ((v - (kx * perTap)) * w);
        }

        var job = new Job { Dy = dy, Kt = scratch, Offsets = offsets, Dx = dx, G = g, Accumulate = accumulate };
        long multiplyAdds = (long)batch * g.OutputPixels * patch * n;
        if (!GemmWorker.TryRunSplit(&RunSamples, &job, batch, multiplyAdds))
        {
            RunSamples(&job, 0, batch, 0);
        }
    }

    private struct Job
    {
        public float* Dy;
        public float* Kt;
        public int* Offsets;
        public float* Dx;
        public ConvGeometry G;
        public bool Accumulate;
    }

    private static void RunSamples(void* state, int first, int end, int part)
    {
        ref readonly Job job = ref *(Job*)state;
        ref readonly ConvGeometry g = ref job.G;
        int cin = g.InChannels, kw = g.KernelWidth, outWidth = g.OutWidth, outHeight = g.OutHeight, inWidth = g.InWidth;
        nint inputRow = (nint)inWidth * cin;
        float** targets = stackalloc float*[8];

        // Output positions whose whole window lies across the input: [interiorStart, interiorEnd) of each row.
        int interiorStart = Math.Min(outWidth, (g.PadLeft + g.StrideWidth - 1) / g.StrideWidth);
        int reach = inWidth - 1 - ((kw - 1) * g.DilationWidth) + g.PadLeft;
        int interiorEnd = reach < 0 ? 0 : Math.Min(outWidth, (reach / g.StrideWidth) + 1);
        interiorEnd = Math.Max(interiorEnd, interiorStart);

        // With no padding reached at all, every position is interior and a tile may run on into the next rows.
        bool flat = Conv2D.ReachesNoPadding(g);
        for (int s = first; s < end; s++)
        {
            float* sample = job.Dx + ((nint)s * g.InputSize);
            float* dySample = job.Dy + ((nint)s * g.OutputSize);
            if (!job.Accumulate)
            {
                new Span<float>(sample, g.InputSize).Clear();
            }

            if (flat)
            {
                // Position q = (oy, ox), stepped along without dividing.
                int positions = outHeight * outWidth, q = 0, oy = 0, ox = 0;
                nint xStep = (nint)g.StrideWidth * cin, yStep = (nint)g.StrideHeight * inputRow;
                float* row = sample;
                for (int span = Widest; span >= 4; span -= 4)
                {
                    for (; q + span <= positions; q += span)
                    {
                        for (int i = 0; i < span; i++)
                        {
                            targets[i] = row + (ox * xStep);
                            if (++ox == outWidth)
                            {
                                ox = 0;
                                oy++;
                                row += yStep;
                            }
                        }

                        Tiles(job, span, targets, dySample + ((nint)q * g.OutChannels), 0, 0, g.KernelHeight);
                    }
                }

                for (; q < positions; q++)
                {
                    int y = q / outWidth;
                    Single(job, sample, dySample + ((nint)y * outWidth * g.OutChannels), q - (y * outWidth), y * g.StrideHeight, 0,
                        g.KernelHeight);
                }

                continue;
            }

            for (int oy = 0; oy < outHeight; oy++)
            {
                int iy0 = (oy * g.StrideHeight) - g.PadTop;
                var (ky0, ky1) = ConvGeometry.InRange(iy0, g.DilationHeight, g.KernelHeight, g.InHeight);
                float* dyRow = dySample + ((nint)oy * outWidth * g.OutChannels);
                int ox = interiorStart;
                for (int span = Widest; span >= 4; span -= 4)
                {
                    for (; ox + span <= interiorEnd; ox += span)
                    {
                        for (int i = 0; i < span; i++)
                        {
                            targets[i] = sample + ((((nint)(ox + i) * g.StrideWidth) - g.PadLeft) * cin);
                        }

                        Tiles(job, span, targets, dyRow + ((nint)ox * g.OutChannels), (nint)iy0 * inputRow, ky0, ky1);
                    }
                }

                for (int x = 0; x < interiorStart; x++)
                {
                    Single(job, sample, dyRow, x, iy0, ky0, ky1);
                }

                for (; ox < outWidth; ox++)
                {
                    Single(job, sample, dyRow, ox, iy0, ky0, ky1);
                }
            }
        }
    }

    /// <summary>A tile of <paramref name="span"/> positions (input pixel of tap (0, 0) at targets[i] + rowShift) over
    /// kernel rows [ky0, ky1), each row's vectors three at a time.</summary>
    private static void Tiles(in Job job, int span, float** targets, float* dy, nint rowShift, int ky0, int ky1)
    {
        ref readonly ConvGeometry g = ref job.G;
        int w = TOps.Count, n = g.OutChannels, rowVectors = g.KernelWidth * (g.InChannels / w);
        nint ldk = g.PatchSize, inputRow = (nint)g.InWidth * g.InChannels;
        int* offsets = job.Offsets;
        for (int ky = ky0; ky < ky1; ky++)
        {
            nint shift = rowShift + ((nint)ky * g.DilationHeight * inputRow);
            float* kt = job.Kt + ((nint)ky * rowVectors * w);
            for (int v = 0, count; v < rowVectors; v += count)
            {
                count = Math.Min(3, rowVectors - v);
                nint o1 = count > 1 ? offsets[v + 1] - offsets[v] : 0, o2 = count > 2 ? offsets[v + 2] - offsets[v] : 0;
                Tile(span, count, kt + ((nint)v * w), ldk, n, dy, n, targets, shift + offsets[v], o1, o2);
            }
        }
    }

    /// <summary>One position's in-range taps, two vectors at a time.</summary>
    private static void Single(in Job job, float* sample, float* dyRow, int ox, int iy0, int ky0, int ky1)
    {
        ref readonly ConvGeometry g = ref job.G;
        int w = TOps.Count, n = g.OutChannels, cin = g.InChannels, perTap = cin / w, rowVectors = g.KernelWidth * perTap;
        nint ldk = g.PatchSize, column = ((nint)ox * g.StrideWidth) - g.PadLeft;
        var (kx0, kx1) = ConvGeometry.InRange((int)column, g.DilationWidth, g.KernelWidth, g.InWidth);
        if (kx0 == kx1)
        {
            return;
        }

        float* dy = dyRow + ((nint)ox * n);
        for (int ky = ky0; ky < ky1; ky++)
        {
            float* target = sample + (((nint)iy0 + (ky * g.DilationHeight)) * g.InWidth * cin) + (column * cin);
            float* kt = job.Kt + ((nint)ky * rowVectors * w);
            for (int v = kx0 * perTap, stop = kx1 * perTap; v < stop; v += 2)
            {
                if (v + 1 < stop)
                {
                    ScatterTiles<TOps, TV>.Tile1x2(kt + ((nint)v * w), ldk, n, dy, target + job.Offsets[v], job.Offsets[v + 1] - job.Offsets[v]);
                }
                else
                {
                    ScatterTiles<TOps, TV>.Tile1x1(kt + ((nint)v * w), ldk, n, dy, target + job.Offsets[v]);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(int span, int count, float* kt, nint ldk, int filters, float* dy, nint ldy, float** dx, nint shift,
        nint o1, nint o2)
    {
        switch ((span * 4) + count)
        {
            case 35:
                ScatterTiles<TOps, TV>.Tile8x3(kt, ldk, filters, dy, ldy, dx, shift, o1, o2);
                break;
            case 34:
                ScatterTiles<TOps, TV>.Tile8x2(kt, ldk, filters, dy, ldy, dx, shift, o1);
                break;
            case 33:
                ScatterTiles<TOps, TV>.Tile8x1(kt, ldk, filters, dy, ldy, dx, shift);
                break;
            case 19:
                ScatterTiles<TOps, TV>.Tile4x3(kt, ldk, filters, dy, ldy, dx, shift, o1, o2);
                break;
            case 18:
                ScatterTiles<TOps, TV>.Tile4x2(kt, ldk, filters, dy, ldy, dx, shift, o1);
                break;
            default:
                ScatterTiles<TOps, TV>.Tile4x1(kt, ldk, filters, dy, ldy, dx, shift);
                break;
        }
    }
}
