using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

public static partial class Conv2D
{
    /// <summary>
    /// Most kernel floats (PatchSize · OutChannels) for the implicit GEMM: each tile of output positions reads the whole
    /// kernel, so a kernel far past L2 is read from memory over and over, where the GEMM's panels keep it in cache. With
    /// 8-position tiles (AVX-512) 4 MiB: a 3×3 512 → 512 layer (9.4 MiB) ran 10–20 % slower than im2col, 256 → 256
    /// (2.4 MiB) 10 % faster. With 4-position tiles (AVX2) 1 MiB: 256 → 256 ran 15–45 % slower, 128 → 128 (0.6 MiB)
    /// 8–27 % faster.
    /// </summary>
    private static readonly long ImplicitMaxKernel = GemmPaths.Best == GemmPath.Avx512 ? 1 << 20 : 1 << 18;

    /// <summary>
    /// Whether the implicit GEMM (rather than im2col + GEMM) serves this non-pointwise forward pass. Measured on AVX-512
    /// (single thread, alternated runs): 1.6–2.4× faster where output rows are 8 or more wide (the conv encoder's second
    /// layer, 'same' 3×3 layers, 16 to 64 filters, 1-D convolutions, 5×5 over 3 channels), 5–25 % faster on 4- to 6-wide
    /// rows, but 10 % slower on 7-wide rows (a third of the positions in 1- and 2-position tiles) and 4× slower on 1×1
    /// outputs, where only the GEMM's 8-row tiles reuse each kernel row enough. AVX2 (forced on the same machine): the
    /// same picture, 1.3–1.7× on the wide layers.
    /// </summary>
    private static bool UsesImplicit(in ConvGeometry g)
        => WideRows(g.OutWidth) && (long)g.PatchSize * g.OutChannels <= ImplicitMaxKernel;

    /// <summary>
    /// Whether <see cref="BackwardInput"/> takes the implicit GEMM: stride 1 (checked when the layout is made), rows as
    /// for <see cref="UsesImplicit"/>; input channels (its output channels) filling at least two thirds of their
    /// vectors, since im2col's product is as wide as the patch while 3 channels would fill 3 lanes of 16 (2.8× slower);
    /// and at most twice as many input pixels as output pixels, since each input pixel sums over a whole window, zero
    /// padding included (a 4×4 dy to a 6×6 dx multiplies more zeros than not, 7 % slower). Measured: 10–50 % faster
    /// on the conv encoder's second and third layers and on 'same' layers of 16 to 256 channels.
    /// </summary>
    private static bool UsesImplicitBackward(in ConvGeometry g)
    {
        int width = VectorWidth(GemmPaths.Best), vectors = (g.InChannels + width - 1) / width;
        return WideRows(g.InWidth) && 3 * g.InChannels >= 2 * vectors * width
            && (long)g.InHeight * g.InWidth <= 2L * g.OutputPixels && (long)g.PatchSize * g.OutChannels <= ImplicitMaxKernel;
    }

    /// <summary>Largest transposed kernel (PatchSize · OutChannels floats, 1 MiB) for the scatter-form input gradient:
    /// every tile reads a kernel row's columns over all filters, so past L2 it is read from memory over and over (a
    /// valid 3×3 256 → 256 layer, 2.4 MiB, ran 1.65× slower than the gather form; 128 → 128, 0.6 MiB, 28 % faster).</summary>
    private const long ScatterMaxKernel = 1 << 18;

    /// <summary>
    /// Whether <see cref="BackwardInput"/> takes the scatter form (Conv2D.Scatter.cs): input channels in whole vectors
    /// and at least a vector of filters to sum over; no window reaching into padding (edge positions go one at a time:
    /// 'same' layers ran 10–70 % slower, 3× on 8×8 maps of 128 channels); the transposed kernel within
    /// <see cref="ScatterMaxKernel"/>; and, with a single vector of filters (a short sum per tile), only where the
    /// gather form does not serve or would multiply many zeros (a quarter more input pixels than output pixels).
    /// Measured on AVX-512, batch 64, one thread: the conv encoder's layers 26×26×16 → 32 (2.4–2.9 ms → 1.7), 8×8×32 → 32
    /// (0.27 → 0.22), 6×6×32 → 16 (0.087 → 0.055, from im2col); valid 3×3 layers of 16 to 128 channels 3–29 % faster,
    /// stride 2 valid 24 % faster; a 30×30×64 → 16 layer 8 % slower, so left to the gather form.
    /// </summary>
    private static bool UsesScatterBackward(in ConvGeometry g)
    {
        int width = VectorWidth(GemmPaths.Best);
        if (g.InChannels % width != 0 || g.OutChannels < width || !ReachesNoPadding(g) || (long)g.PatchSize * g.OutChannels > ScatterMaxKernel)
        {
            return false;
        }

        bool gather = g.StrideHeight == 1 && g.StrideWidth == 1 && UsesImplicitBackward(g);
        return g.OutChannels >= 2 * width || !gather || 4L * g.InHeight * g.InWidth >= 5L * g.OutputPixels;
    }

    /// <summary>
    /// Whether <see cref="BackwardKernel"/> takes the implicit GEMM (Conv2D.KernelGradient.cs) for a non-pointwise
    /// convolution: everywhere it measured (AVX-512, one thread), as fast or faster than im2col + GEMM and than the
    /// direct kernels: the conv encoder's layers 4.4× (28×28×1 → 16, direct), 2× (26×26×16 → 32), 1.3× (8×8×32 → 32,
    /// 6×6×32 → 16); 3×3 'same' over 1 or 3 channels 8×; 'same' and valid 3×3 layers of 16 to 256 channels 0.95–1.9×
    /// (ties within noise from 64 channels up); strided, dilated and 1-D layers 1.1–1.5×.
    /// </summary>
    private static bool UsesImplicitKernelGradient(in ConvGeometry g) => true;

    /// <summary>Whether every window lies wholly inside the input (no padding above, below, left or right is read).</summary>
    internal static bool ReachesNoPadding(in ConvGeometry g)
        => g.PadTop == 0 && g.PadLeft == 0
            && ((long)(g.OutHeight - 1) * g.StrideHeight) + ((long)(g.KernelHeight - 1) * g.DilationHeight) < g.InHeight
            && ((long)(g.OutWidth - 1) * g.StrideWidth) + ((long)(g.KernelWidth - 1) * g.DilationWidth) < g.InWidth;

    /// <summary>Whether at least two thirds of a row of this many output positions falls in tiles of 4 or 8 positions.</summary>
    private static bool WideRows(int width) => 3 * (width - (width % 4)) >= 2 * width;

    /// <summary>
    /// y (+)= conv(x, kernel) by implicit GEMM on <paramref name="path"/>, if the geometry and scratch allow it; returns
    /// false (having done nothing) otherwise. The spans must already be cut to the geometry's sizes.
    /// </summary>
    private static unsafe bool ImplicitForward(GemmPath path, ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, Span<float> y,
        in ConvGeometry g, int batch, Span<float> scratch, bool accumulate)
        => ImplicitForward(path, x, kernel, y, g, batch, scratch, accumulate, ReadOnlySpan<float>.Empty, Activation.Linear, Span<float>.Empty);

    /// <summary>The implicit forward pass; with <paramref name="bias"/> non-empty or an activation, each output row then
    /// gets the bias added and the activation written to <paramref name="activated"/> while it is still in L1.</summary>
    private static unsafe bool ImplicitForward(GemmPath path, ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, Span<float> y,
        in ConvGeometry g, int batch, Span<float> scratch, bool accumulate, ReadOnlySpan<float> bias, Activation activation, Span<float> activated)
    {
        if (!ImplicitLayout.TryCreate(g, VectorWidth(path), kernelCopy: 0, scratch.Length, out ImplicitLayout layout))
        {
            return false;
        }

        fixed (float* px = x, pk = kernel, py = y, ps = scratch, pb = bias, pa = activated)
        {
            var epilogue = new ConvEpilogue(bias.IsEmpty ? null : pb, activation, activation == Activation.Linear ? null : pa);
            RunImplicit(path, px, pk, g.OutChannels, py, g, batch, accumulate, ps, layout, epilogue);
        }

        return true;
    }

    /// <summary>
    /// dx (+)= the input gradient by implicit GEMM, for stride 1: a convolution of dy with the kernel flipped in space and
    /// its two channel axes swapped (copied into scratch), padded by the window's extent less the forward padding.
    /// Returns false (having done nothing) when the geometry or scratch does not allow it.
    /// </summary>
    private static unsafe bool ImplicitBackwardInput(GemmPath path, ReadOnlySpan<float> dy, ReadOnlySpan<float> kernel, Span<float> dx,
        in ConvGeometry g, int batch, Span<float> scratch, bool accumulate)
    {
        if (!TransposedGeometry(g, out ConvGeometry t))
        {
            return false;
        }

        int flipped = checked(g.PatchSize * g.OutChannels);
        if (!ImplicitLayout.TryCreate(t, VectorWidth(path), flipped, scratch.Length, out ImplicitLayout layout))
        {
            return false;
        }

        // Flipped[(ky', kx'), o, c] = kernel[(kh − 1 − ky', kw − 1 − kx'), c, o].
        int taps = g.KernelHeight * g.KernelWidth, cin = g.InChannels, cout = g.OutChannels;
        Span<float> copy = scratch[..flipped];
        for (int tap = 0; tap < taps; tap++)
        {
            ReadOnlySpan<float> source = kernel.Slice((taps - 1 - tap) * cin * cout, cin * cout);
            Span<float> target = copy.Slice(tap * cout * cin, cout * cin);
            for (int c = 0; c < cin; c++)
            {
                for (int o = 0; o < cout; o++)
                {
                    target[(o * cin) + c] = source[(c * cout) + o];
                }
            }
        }

        fixed (float* pdy = dy, pdx = dx, ps = scratch)
        {
            RunImplicit(path, pdy, ps, cin, pdx, t, batch, accumulate, ps, layout);
        }

        return true;
    }

    /// <summary>
    /// The stride-1 convolution whose forward pass is <paramref name="g"/>'s input gradient: dy as input, dx as output,
    /// channels swapped, padding before = the dilated window's extent − 1 − the forward padding before. False when the
    /// strides are not 1 or the forward padding exceeds the window (no such convolution).
    /// </summary>
    private static bool TransposedGeometry(in ConvGeometry g, out ConvGeometry t)
    {
        int top = ((g.KernelHeight - 1) * g.DilationHeight) - g.PadTop, left = ((g.KernelWidth - 1) * g.DilationWidth) - g.PadLeft;
        t = new ConvGeometry(g.OutHeight, g.OutWidth, g.OutChannels, g.InHeight, g.InWidth, g.InChannels,
            g.KernelHeight, g.KernelWidth, 1, 1, g.DilationHeight, g.DilationWidth, top, left);
        return g.StrideHeight == 1 && g.StrideWidth == 1 && top >= 0 && left >= 0 && g.OutHeight > 0 && g.OutWidth > 0;
    }

    private static int VectorWidth(GemmPath path) => path switch
    {
        GemmPath.Avx512 => Vector512<float>.Count,
        GemmPath.Avx2Fma => Vector256<float>.Count,
        GemmPath.Vector128 => Vector128<float>.Count,
        _ => 1,
    };

    private static unsafe void RunImplicit(GemmPath path, float* x, float* b, nint ldb, float* y, in ConvGeometry g, int batch,
        bool accumulate, float* scratch, in ImplicitLayout layout, ConvEpilogue epilogue = default)
    {
        switch (path)
        {
            case GemmPath.Avx512:
                ImplicitConv<Avx512Ops, Vector512<float>>.Run(x, b, ldb, y, g, batch, accumulate, scratch, layout, epilogue);
                break;
            case GemmPath.Avx2Fma:
                ImplicitConv<Avx2Ops, Vector256<float>>.Run(x, b, ldb, y, g, batch, accumulate, scratch, layout, epilogue);
                break;
            case GemmPath.Vector128:
                ImplicitConv<Vector128Ops, Vector128<float>>.Run(x, b, ldb, y, g, batch, accumulate, scratch, layout, epilogue);
                break;
            default:
                ImplicitConv<ScalarOps, float>.Run(x, b, ldb, y, g, batch, accumulate, scratch, layout, epilogue);
                break;
        }
    }
}

/// <summary>
/// Where the implicit-GEMM convolution keeps its working data. In the caller's scratch, in order: an optional kernel
/// copy (the backward input pass's flipped kernel, <see cref="KernelFloats"/>); when the output channels are not a whole
/// number of vectors and the kernel is too deep for the stack, a zero-padded copy of the kernel's last, partial vector
/// of columns (PatchSize × vector width floats; up to <see cref="StackTailFloats"/> it lives on the stack instead); and,
/// when the window reaches past the left or right edge, a ring of zero-padded input rows (the window's dilated height
/// in rows of PaddedWidth · InChannels floats; a second ring for the second thread when there is room), each input row
/// copied once per sample and thread. Rows above and below the input need no copy: their taps are left out of the
/// sum. None of it grows with the batch.
/// </summary>
internal readonly record struct ImplicitLayout(int KernelFloats, int TailFloats, bool TailOnStack, int TailOffset, int RowOffset,
    int PaddedWidth, int Slots, int Rings, int Floats)
{
    /// <summary>Most window taps (KernelHeight · KernelWidth) the kernels keep in their stack tap table.</summary>
    public const int MaxTaps = 512;

    /// <summary>Most padded input rows kept at once (the window's dilated height).</summary>
    public const int MaxSlots = 256;

    /// <summary>Largest padded kernel tail kept on the stack (32 KiB).</summary>
    public const int StackTailFloats = 8192;

    public int RowFloats(in ConvGeometry g) => PaddedWidth * g.InChannels;

    /// <summary>Whether two threads can share the work: each needs its own ring of padded rows (if any).</summary>
    public bool Splittable => Slots == 0 || Rings == 2;

    /// <summary>The layout for <paramref name="g"/> on vectors of <paramref name="width"/> floats, or false when it
    /// needs more than <paramref name="scratchLength"/> floats or larger stack tables than the kernels keep.</summary>
    public static bool TryCreate(in ConvGeometry g, int width, int kernelCopy, int scratchLength, out ImplicitLayout layout)
    {
        layout = default;
        if (g.KernelHeight * g.KernelWidth > MaxTaps)
        {
            return false;
        }

        long floats = kernelCopy;
        long tail = g.OutChannels % width == 0 ? 0 : (long)g.PatchSize * width;
        bool tailOnStack = tail <= StackTailFloats;
        int tailOffset = (int)Math.Min(floats, int.MaxValue);
        if (!tailOnStack)
        {
            floats += tail;
        }

        int rowOffset = (int)Math.Min(floats, int.MaxValue);
        int padded = 0, slots = 0;
        if (g.OutWidth > 0)
        {
            long last = ((long)(g.OutWidth - 1) * g.StrideWidth) + ((long)(g.KernelWidth - 1) * g.DilationWidth);
            if (g.PadLeft > 0 || last - g.PadLeft >= g.InWidth)
            {
                if (last >= int.MaxValue)
                {
                    return false;
                }

                padded = (int)(last + 1);
                slots = ((g.KernelHeight - 1) * g.DilationHeight) + 1;
                if (slots > MaxSlots)
                {
                    return false;
                }

                floats += (long)slots * padded * g.InChannels;
            }
        }

        if (floats > scratchLength)
        {
            return false;
        }

        // A second ring, for a second thread, when the scratch has room for it.
        int rings = slots == 0 ? 0 : 1;
        long ring = (long)slots * padded * g.InChannels;
        if (slots > 0 && floats + ring <= scratchLength)
        {
            rings = 2;
            floats += ring;
        }

        layout = new ImplicitLayout(kernelCopy, (int)tail, tailOnStack, tailOffset, rowOffset, padded, slots, rings, (int)floats);
        return true;
    }
}

/// <summary>
/// The implicit-GEMM convolution: for each output row of the batch, a table of the row's in-range taps, then tiles of
/// 8 (32 registers only), 4, 2 and 1 output positions × 2 or 1 vectors of output channels (4 vectors for tiles of fewer
/// than 8 positions, 32 registers only) of <see cref="ConvTiles{TOps, TV}"/>, each summing over the whole window.
/// </summary>
[SkipLocalsInit] // the tap table, slot table and stack tile are written before they are read
internal static unsafe class ImplicitConv<TOps, TV>
    where TOps : ISimdOps<TV>
    where TV : unmanaged
{
    /// <summary>
    /// y (+)= conv(x, B) where B is the [PatchSize, OutChannels] kernel matrix with leading dimension
    /// <paramref name="ldb"/>; <paramref name="scratch"/> holds <paramref name="layout"/>.
    /// </summary>
    public static void Run(float* x, float* b, nint ldb, float* y, in ConvGeometry g, int batch, bool accumulate, float* scratch,
        in ImplicitLayout layout, ConvEpilogue epilogue)
    {
        int w = TOps.Count, n = g.OutChannels, tail = n % w, main = n - tail;
        float* stackTail = stackalloc float[layout.TailOnStack ? Math.Max(layout.TailFloats, 1) : 1];
        float* tailB = layout.TailOnStack ? stackTail : scratch + layout.TailOffset;
        if (tail != 0)
        {
            // The last, partial vector of columns, zero-padded to a whole vector (ldb = w).
            TailTiles.PadColumns(b + main, ldb, tailB, w, g.PatchSize, tail);
        }

        var job = new Job
        {
            X = x, B = b, Ldb = ldb, TailB = tailB, Y = y, Ring = scratch + layout.RowOffset,
            RingFloats = (nint)layout.Slots * layout.RowFloats(g), G = g, Layout = layout, Accumulate = accumulate,
            Epilogue = epilogue,
        };

        // Output rows (over the whole batch) split between two threads; every output sums in the same order either way.
        int outputRows = batch * g.OutHeight;
        long multiplyAdds = (long)batch * g.OutputPixels * g.PatchSize * n;
        if (!layout.Splittable || !GemmWorker.TryRunSplit(&RunRows, &job, outputRows, multiplyAdds))
        {
            RunRows(&job, 0, outputRows, 0);
        }
    }

    /// <summary>What <see cref="RunRows"/> works on, on the calling thread's stack while both threads run.</summary>
    private struct Job
    {
        public float* X;
        public float* B;
        public nint Ldb;
        public float* TailB;
        public float* Y;
        public float* Ring;
        public nint RingFloats;
        public ConvGeometry G;
        public ImplicitLayout Layout;
        public bool Accumulate;
        public ConvEpilogue Epilogue;
    }

    /// <summary>Output rows [first, end) of the batch (row r is sample r / OutHeight, row r % OutHeight); part 1 (the
    /// second thread) uses the second ring of padded rows.</summary>
    private static void RunRows(void* state, int first, int end, int part)
    {
        ref readonly Job job = ref *(Job*)state;
        ref readonly ConvGeometry g = ref job.G;
        float* x = job.X, b = job.B, y = job.Y, tailB = job.TailB;
        nint ldb = job.Ldb;
        bool accumulate = job.Accumulate;
        int w = TOps.Count, n = g.OutChannels, tail = n % w, main = n - tail, cin = g.InChannels;
        int kh = g.KernelHeight, kw = g.KernelWidth, outWidth = g.OutWidth;
        nint rowStride = (nint)g.StrideWidth * cin, tapStep = (nint)g.DilationWidth * cin, inputRow = (nint)g.InWidth * cin;
        ConvTap* taps = stackalloc ConvTap[kh * kw];
        int slots = job.Layout.Slots, padded = job.Layout.PaddedWidth;
        int* held = stackalloc int[Math.Max(slots, 1)];
        float* ring = job.Ring + (part * job.RingFloats);
        nint rowFloats = job.Layout.RowFloats(g);
        float* tile = stackalloc float[8 * w];
        for (int r = first; r < end; r++)
        {
            int s = r / g.OutHeight, oy = r - (s * g.OutHeight);
            float* sample = x + ((nint)s * g.InHeight * inputRow);
            if (r == first || oy == 0)
            {
                // A new sample: no slot holds any of its rows yet.
                for (int i = 0; i < slots; i++)
                {
                    held[i] = -1;
                }
            }

            // The row's taps: rows of the window above or below the input contribute nothing and are left out.
            int count = 0;
            for (int ky = 0; ky < kh; ky++)
            {
                int iy = (oy * g.StrideHeight) - g.PadTop + (ky * g.DilationHeight);
                if ((uint)iy >= (uint)g.InHeight)
                {
                    continue;
                }

                float* row = sample + (iy * inputRow);
                if (slots > 0)
                {
                    float* slot = ring + ((iy % slots) * rowFloats);
                    if (held[iy % slots] != iy)
                    {
                        PadRow(row, slot, g, padded);
                        held[iy % slots] = iy;
                    }

                    row = slot;
                }

                for (int kx = 0; kx < kw; kx++)
                {
                    taps[count].A = row + (kx * tapStep);
                    taps[count].B = ((ky * kw) + kx) * cin;
                    count++;
                }
            }

            float* yRow = y + ((nint)r * outWidth * n);
            for (int ox = 0, span; ox < outWidth; ox += span)
            {
                span = TOps.FourVectorTile && ox + 8 <= outWidth ? 8 : ox + 4 <= outWidth ? 4 : ox + 2 <= outWidth ? 2 : 1;
                nint offset = ox * rowStride;
                float* c = yRow + (ox * n);
                int j = 0;
                if (TOps.FourVectorTile && span < 8)
                {
                    // Fewer positions than 8: four vectors wide, so each kernel row loaded serves 4 to 16 FMAs.
                    for (; j + (4 * w) <= main; j += 4 * w)
                    {
                        Tile4(span, taps, count, offset, rowStride, cin, b + j, ldb, c + j, n, accumulate);
                    }
                }

                for (; j + (2 * w) <= main; j += 2 * w)
                {
                    Tile2(span, taps, count, offset, rowStride, cin, b + j, ldb, c + j, n, accumulate);
                }

                for (; j < main; j += w)
                {
                    Tile1(span, taps, count, offset, rowStride, cin, b + j, ldb, c + j, n, accumulate);
                }

                if (tail != 0)
                {
                    Tile1(span, taps, count, offset, rowStride, cin, tailB, w, tile, w, accumulate: false);
                    TailTiles.Merge(tile, w, c + main, n, span, tail, accumulate);
                }
            }

            job.Epilogue.Apply(new Span<float>(yRow, outWidth * n), (nint)r * outWidth * n, outWidth, n);
        }
    }

    /// <summary>A tile of <paramref name="span"/> (1, 2 or 4) positions × 4 vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4(int span, ConvTap* taps, int count, nint offset, nint rowStride, int cin, float* b, nint ldb, float* c,
        nint ldc, bool accumulate)
    {
        switch (span)
        {
            case 4:
                ConvTiles<TOps, TV>.Tile4x4(taps, count, offset, rowStride, cin, b, ldb, c, ldc, accumulate);
                break;
            case 2:
                ConvTiles<TOps, TV>.Tile2x4(taps, count, offset, rowStride, cin, b, ldb, c, ldc, accumulate);
                break;
            default:
                ConvTiles<TOps, TV>.Tile1x4(taps, count, offset, cin, b, ldb, c, accumulate);
                break;
        }
    }

    /// <summary>A tile of <paramref name="span"/> (1, 2, 4 or 8) positions × 2 vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile2(int span, ConvTap* taps, int count, nint offset, nint rowStride, int cin, float* b, nint ldb, float* c,
        nint ldc, bool accumulate)
    {
        switch (span)
        {
            case 8:
                ConvTiles<TOps, TV>.Tile8x2(taps, count, offset, rowStride, cin, b, ldb, c, ldc, accumulate);
                break;
            case 4:
                ConvTiles<TOps, TV>.Tile4x2(taps, count, offset, rowStride, cin, b, ldb, c, ldc, accumulate);
                break;
            case 2:
                ConvTiles<TOps, TV>.Tile2x2(taps, count, offset, rowStride, cin, b, ldb, c, ldc, accumulate);
                break;
            default:
                ConvTiles<TOps, TV>.Tile1x2(taps, count, offset, cin, b, ldb, c, accumulate);
                break;
        }
    }

    /// <summary>A tile of <paramref name="span"/> (1, 2, 4 or 8) positions × 1 vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile1(int span, ConvTap* taps, int count, nint offset, nint rowStride, int cin, float* b, nint ldb, float* c,
        nint ldc, bool accumulate)
    {
        switch (span)
        {
            case 8:
                ConvTiles<TOps, TV>.Tile8x1(taps, count, offset, rowStride, cin, b, ldb, c, ldc, accumulate);
                break;
            case 4:
                ConvTiles<TOps, TV>.Tile4x1(taps, count, offset, rowStride, cin, b, ldb, c, ldc, accumulate);
                break;
            case 2:
                ConvTiles<TOps, TV>.Tile2x1(taps, count, offset, rowStride, cin, b, ldb, c, ldc, accumulate);
                break;
            default:
                ConvTiles<TOps, TV>.Tile1x1(taps, count, offset, cin, b, ldb, c, accumulate);
                break;
        }
    }

    /// <summary>Copies one input row into a slot of <paramref name="padded"/> positions, zeros left of and past the input.</summary>
    private static void PadRow(float* row, float* slot, in ConvGeometry g, int padded)
    {
        int cin = g.InChannels;
        int left = Math.Min(g.PadLeft, padded);
        int inside = Math.Max(0, Math.Min(g.InWidth, padded - g.PadLeft));
        new Span<float>(slot, left * cin).Clear();
        new ReadOnlySpan<float>(row, inside * cin).CopyTo(new Span<float>(slot + (left * cin), inside * cin));
        new Span<float>(slot + ((left + inside) * cin), (padded - left - inside) * cin).Clear();
    }
}

/// <summary>
/// Bias and activation applied to a convolution's output rows as they are finished (while they are still in L1),
/// instead of in two passes over the whole output: z += bias, then activated = activation(z), in place when
/// <see cref="Activated"/> is the output itself. Pointers into pinned spans; <c>default</c> does nothing.
/// </summary>
internal readonly unsafe struct ConvEpilogue(float* bias, Activation activation, float* activated)
{
    public float* Bias { get; } = bias;

    public Activation Activation { get; } = activation;

    /// <summary>Where the activation goes: the start of the whole activated tensor (same layout as the output).</summary>
    public float* Activated { get; } = activated;

    /// <summary>Applies the epilogue to the <paramref name="rows"/> rows of <paramref name="columns"/> floats in
    /// <paramref name="z"/>, which lies <paramref name="offset"/> floats into the output. Does nothing for <c>default</c>.</summary>
    public void Apply(Span<float> z, nint offset, int rows, int columns)
    {
        if (Bias != null)
        {
            TensorOps.AddBias(z, new ReadOnlySpan<float>(Bias, columns), rows, columns);
        }

        if (Activated != null)
        {
            ActivationKernels.Forward(Activation, z, new Span<float>(Activated + offset, rows * columns), rows, columns);
        }
    }
}
