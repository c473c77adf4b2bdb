using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

/// <summary>
/// Keras's <c>Conv2D</c> and <c>Conv1D</c> (and, through <see cref="BackwardInput"/>, <c>Conv2DTranspose</c>) over
/// channels-last tensors. The kernel has Keras's layout [KernelHeight, KernelWidth, InChannels, OutChannels], which
/// read as a [KernelHeight·KernelWidth·InChannels, OutChannels] matrix is exactly what an im2col row multiplies:
/// each kernel is a matrix product over a patch matrix built in the caller's scratch. Output pixels are processed in
/// chunks of rows small enough for the patch matrix to stay in cache. Where it measured faster, <see cref="Forward"/>
/// and (for stride 1) <see cref="BackwardInput"/> build no patch matrix at all: an implicit GEMM reads each tap's input
/// pixels in place (Conv2D.Implicit.cs). Allocates nothing.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Conv2D
{
    /// <summary>
    /// Floats of patch matrix built per chunk (256 KiB). Measured on AVX-512 with batch 32: building the whole batch's
    /// matrix at once (37 MB for a 32×32×32 same 3×3 layer) halved the forward pass's speed, as the matrix left the
    /// cache between im2col and the product; 64 KiB chunks slowed the backward input pass by a third (too few rows
    /// per product). On the conv encoder's second layer at batch 64, 256 KiB beat 1 MiB by 5–25 % (alternated runs).
    /// </summary>
    private const int ChunkFloats = 1 << 16;

    /// <summary>Fewest output pixels per chunk, so even very deep patches give the product enough rows.</summary>
    private const int MinChunkRows = 64;

    /// <summary>
    /// y = conv(x, kernel), or y += conv(x, kernel) when <paramref name="accumulate"/> is true.
    /// </summary>
    /// <param name="x">Input, [batch, InHeight, InWidth, InChannels].</param>
    /// <param name="kernel">Kernel, [KernelHeight, KernelWidth, InChannels, OutChannels].</param>
    /// <param name="y">Output, [batch, OutHeight, OutWidth, OutChannels].</param>
    /// <param name="g">The geometry.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="scratch">Room for the patch matrix: <see cref="ScratchLength"/> floats suffice, and at least
    /// KernelHeight·KernelWidth·InChannels are needed unless the convolution is pointwise (1×1, stride 1, unpadded),
    /// which uses none.</param>
    /// <param name="accumulate">Add to <paramref name="y"/> instead of overwriting it.</param>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, Span<float> y, in ConvGeometry g, int batch,
        Span<float> scratch, bool accumulate)
    {
        int rows = Prepare(g, batch);
        x = x[..checked(batch * g.InputSize)];
        kernel = kernel[..checked(g.PatchSize * g.OutChannels)];
        y = y[..checked(rows * g.OutChannels)];
        if (IsPointwise(g))
        {
            // The input already is the patch matrix.
            Gemm.Multiply(x, kernel, y, rows, g.InChannels, g.OutChannels, accumulate);
            return;
        }

        // The implicit GEMM first, even for the small patches the direct kernels take: on the conv encoder's first
        // layer (3×3 over one channel, 16 filters) it ran in 160 µs where they took 305 (batch 64), on a 3×3 'same'
        // layer over 3 channels in 150 µs where they took 650.
        if (UsesImplicit(g) && ImplicitForward(GemmPaths.Best, x, kernel, y, g, batch, scratch, accumulate))
        {
            return;
        }

        if (UsesDirect(g))
        {
            DirectForward(x, kernel, y, g, batch, accumulate);
            return;
        }

        Im2ColForward(x, kernel, y, g, rows, scratch, accumulate);
    }

    /// <summary>
    /// z = conv(x, kernel) + bias and y = activation(z), computed together: the bias and activation are applied to each
    /// part of the output as it is finished, while it is still in cache, rather than in two passes over the whole output.
    /// </summary>
    /// <param name="x">Input, [batch, InHeight, InWidth, InChannels].</param>
    /// <param name="kernel">Kernel, [KernelHeight, KernelWidth, InChannels, OutChannels].</param>
    /// <param name="z">The convolution plus bias, [batch, OutHeight, OutWidth, OutChannels].</param>
    /// <param name="g">The geometry.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="scratch">Room for the kernels, as for <see cref="Forward"/>.</param>
    /// <param name="bias">OutChannels floats, or empty for none.</param>
    /// <param name="activation">The activation; <see cref="Activation.Linear"/> for none.</param>
    /// <param name="y">The activation's output, shaped as <paramref name="z"/>; it may be <paramref name="z"/> itself.
    /// Ignored for <see cref="Activation.Linear"/>.</param>
    public static unsafe void ForwardBiasActivation(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, Span<float> z, in ConvGeometry g, int batch,
        Span<float> scratch, ReadOnlySpan<float> bias, Activation activation, Span<float> y)
    {
        int rows = Prepare(g, batch);
        int n = g.OutChannels;
        x = x[..checked(batch * g.InputSize)];
        kernel = kernel[..checked(g.PatchSize * n)];
        z = z[..checked(rows * n)];
        bias = bias.IsEmpty ? bias : bias[..n];
        y = activation == Activation.Linear ? Span<float>.Empty : y[..z.Length];
        if (!IsPointwise(g) && UsesImplicit(g) && ImplicitForward(GemmPaths.Best, x, kernel, z, g, batch, scratch, false, bias, activation, y))
        {
            return;
        }

        fixed (float* pb = bias, py = y)
        {
            var epilogue = new ConvEpilogue(bias.IsEmpty ? null : pb, activation, activation == Activation.Linear ? null : py);
            if (!IsPointwise(g) && !UsesDirect(g))
            {
                // im2col: each chunk of output rows gets its epilogue right after its product.
                Im2ColForward(x, kernel, z, g, rows, scratch, accumulate: false, epilogue);
                return;
            }

            Forward(x, kernel, z, g, batch, scratch, accumulate: false);
            epilogue.Apply(z, 0, rows, n);
        }
    }

    /// <summary>y (+)= conv(x, kernel) through patch matrices built chunk by chunk in scratch, each multiplied by the
    /// kernel, then given <paramref name="epilogue"/> (if any) while the chunk's rows are still in cache.</summary>
    internal static void Im2ColForward(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, Span<float> y, in ConvGeometry g, int rows,
        Span<float> scratch, bool accumulate, ConvEpilogue epilogue = default)
    {
        int patch = g.PatchSize, chunk = ChunkRows(patch, rows, scratch.Length), channels = g.OutChannels;
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int n = Math.Min(chunk, rows - r0);
            Span<float> columns = scratch[..(n * patch)];
            Im2Col(x, columns, g, r0, n);
            Span<float> part = y.Slice(r0 * channels, n * channels);
            Gemm.Multiply(columns, kernel, part, n, patch, channels, accumulate);
            epilogue.Apply(part, (nint)r0 * channels, n, channels);
        }
    }

    /// <summary>
    /// <see cref="Forward"/> by implicit GEMM on a given instruction set, for tests: false (having done nothing) when the
    /// geometry or scratch does not allow it.
    /// </summary>
    internal static bool TryImplicitForward(GemmPath path, ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, Span<float> y,
        in ConvGeometry g, int batch, Span<float> scratch, bool accumulate)
    {
        int rows = Prepare(g, batch);
        return ImplicitForward(path, x[..checked(batch * g.InputSize)], kernel[..checked(g.PatchSize * g.OutChannels)],
            y[..checked(rows * g.OutChannels)], g, batch, scratch, accumulate);
    }

    /// <summary>
    /// <see cref="BackwardInput"/> by implicit GEMM on a given instruction set, for tests: false (having done nothing)
    /// when the geometry or scratch does not allow it.
    /// </summary>
    internal static bool TryImplicitBackwardInput(GemmPath path, ReadOnlySpan<float> dy, ReadOnlySpan<float> kernel, Span<float> dx,
        in ConvGeometry g, int batch, Span<float> scratch, bool accumulate)
    {
        int rows = Prepare(g, batch);
        return ImplicitBackwardInput(path, dy[..checked(rows * g.OutChannels)], kernel[..checked(g.PatchSize * g.OutChannels)],
            dx[..checked(batch * g.InputSize)], g, batch, scratch, accumulate);
    }

    /// <summary>
    /// dx = the gradient of <see cref="Forward"/> with respect to x given dy, or dx += it when
    /// <paramref name="accumulate"/> is true. This is also the forward pass of <c>Conv2DTranspose</c>, whose kernel
    /// [KernelHeight, KernelWidth, filters, InChannels] is this kernel with dy as its input and dx as its output.
    /// </summary>
    /// <param name="dy">Output gradient, [batch, OutHeight, OutWidth, OutChannels].</param>
    /// <param name="kernel">Kernel, [KernelHeight, KernelWidth, InChannels, OutChannels].</param>
    /// <param name="dx">Input gradient, [batch, InHeight, InWidth, InChannels].</param>
    /// <param name="g">The geometry.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="scratch">Room for the patch-gradient matrix, as for <see cref="Forward"/>.</param>
    /// <param name="accumulate">Add to <paramref name="dx"/> instead of overwriting it.</param>
    public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> kernel, Span<float> dx, in ConvGeometry g, int batch,
        Span<float> scratch, bool accumulate)
    {
        int rows = Prepare(g, batch);
        dy = dy[..checked(rows * g.OutChannels)];
        kernel = kernel[..checked(g.PatchSize * g.OutChannels)];
        dx = dx[..checked(batch * g.InputSize)];
        if (IsPointwise(g))
        {
            Gemm.MultiplyTransposedB(dy, kernel, dx, rows, g.OutChannels, g.InChannels, accumulate);
            return;
        }

        if (UsesScatterBackward(g) && ScatterBackwardInput(GemmPaths.Best, dy, kernel, dx, g, batch, scratch, accumulate))
        {
            return;
        }

        if (UsesImplicitBackward(g) && ImplicitBackwardInput(GemmPaths.Best, dy, kernel, dx, g, batch, scratch, accumulate))
        {
            return;
        }

        Im2ColBackwardInput(dy, kernel, dx, g, rows, scratch, accumulate);
    }

    /// <summary>dx (+)= the input gradient through patch-gradient matrices in scratch, added back onto their pixels.</summary>
    internal static void Im2ColBackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> kernel, Span<float> dx, in ConvGeometry g, int rows,
        Span<float> scratch, bool accumulate)
    {
        int patch = g.PatchSize, chunk = ChunkRows(patch, rows, scratch.Length);
        if (!accumulate)
        {
            // Pixels no window reaches (strides longer than the kernel) get no gradient, so start from zero.
            dx.Clear();
        }

        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int n = Math.Min(chunk, rows - r0);
            Span<float> columns = scratch[..(n * patch)];
            Gemm.MultiplyTransposedB(dy.Slice(r0 * g.OutChannels, n * g.OutChannels), kernel, columns, n, g.OutChannels, patch, accumulate: false);
            Col2ImAdd(columns, dx, g, r0, n);
        }
    }

    /// <summary>dKernel += the gradient of <see cref="Forward"/> with respect to the kernel given dy.</summary>
    /// <param name="x">Input, [batch, InHeight, InWidth, InChannels].</param>
    /// <param name="dy">Output gradient, [batch, OutHeight, OutWidth, OutChannels].</param>
    /// <param name="dKernel">Kernel gradient, [KernelHeight, KernelWidth, InChannels, OutChannels], accumulated into.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="scratch">Room for the patch matrix, as for <see cref="Forward"/>.</param>
    public static void BackwardKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dKernel, in ConvGeometry g, int batch,
        Span<float> scratch)
    {
        int rows = Prepare(g, batch);
        x = x[..checked(batch * g.InputSize)];
        dy = dy[..checked(rows * g.OutChannels)];
        dKernel = dKernel[..checked(g.PatchSize * g.OutChannels)];
        if (IsPointwise(g))
        {
            Gemm.MultiplyTransposedA(x, dy, dKernel, g.InChannels, rows, g.OutChannels, accumulate: true);
            return;
        }

        if (UsesImplicitKernelGradient(g) && ImplicitBackwardKernel(GemmPaths.Best, x, dy, dKernel, g, batch, scratch))
        {
            return;
        }

        int patch = g.PatchSize, chunk = ChunkRows(patch, rows, scratch.Length);
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int n = Math.Min(chunk, rows - r0);
            Span<float> columns = scratch[..(n * patch)];
            Im2Col(x, columns, g, r0, n);
            Gemm.MultiplyTransposedA(columns, dy.Slice(r0 * g.OutChannels, n * g.OutChannels), dKernel, patch, n, g.OutChannels, accumulate: true);
        }
    }

    /// <summary>
    /// Scratch floats that let every kernel of this class work in one pass: batch · OutHeight · OutWidth ·
    /// KernelHeight · KernelWidth · InChannels (0 for a pointwise convolution). Less also works (down to one patch row,
    /// KernelHeight · KernelWidth · InChannels); more than this is never touched. The implicit GEMMs need far less, and
    /// not per batch: for 'same' padding a ring of zero-padded input rows per thread (the window's dilated height ×
    /// the padded width × InChannels), for the input gradient a flipped (gather form) or transposed (scatter form) copy
    /// of the kernel, and for a ragged last vector of filters over a kernel too deep for a 32 KiB stack copy, a
    /// zero-padded copy of that vector; for the kernel gradient two ints per patch row, a copy of dy's last output row
    /// when the filters are not whole vectors, and where windows reach into padding, zero-padded input rows for one
    /// block of about 128 output positions per thread. Given too little, the kernels fall back to im2col.
    /// </summary>
    /// <param name="g">The geometry.</param>
    /// <param name="batch">Samples.</param>
    /// <returns>The scratch length in floats.</returns>
    public static int ScratchLength(in ConvGeometry g, int batch)
        => IsPointwise(g) ? 0 : checked(batch * g.OutputPixels * g.PatchSize);

    /// <summary>
    /// Scratch floats that let every kernel of this class (forward, input gradient, kernel gradient) run at full speed on
    /// any batch: the largest im2col chunk, or what the implicit GEMMs keep (a ring of padded input rows per thread, a
    /// flipped or transposed kernel for the input gradient, a padded last vector of filters; for the kernel gradient the
    /// patch rows' offsets, a padded copy of dy's last output row and a block of padded input rows per thread),
    /// or what Winograd's inference path keeps (<see cref="Winograd.ScratchLength"/>), whichever is most. Unlike
    /// <see cref="ScratchLength"/> it does not grow with the batch.
    /// </summary>
    /// <param name="g">The geometry.</param>
    /// <returns>The scratch length in floats.</returns>
    public static int ScratchBound(in ConvGeometry g)
    {
        g.Validate();
        if (IsPointwise(g))
        {
            return 0;
        }

        long patch = g.PatchSize;
        long bound = patch * Math.Max(MinChunkRows, ChunkFloats / patch);
        int width = VectorWidth(GemmPaths.Best);
        if (ImplicitLayout.TryCreate(g, width, kernelCopy: 0, int.MaxValue, out ImplicitLayout forward))
        {
            bound = Math.Max(bound, forward.Floats);
        }

        if (TransposedGeometry(g, out ConvGeometry t) && patch * g.OutChannels <= int.MaxValue
            && ImplicitLayout.TryCreate(t, width, (int)(patch * g.OutChannels), int.MaxValue, out ImplicitLayout backward))
        {
            bound = Math.Max(bound, backward.Floats);
        }

        if (UsesScatterBackward(g))
        {
            bound = Math.Max(bound, ScatterFloats(g, width));
        }

        if (KernelGradLayout.TryCreate(g, width, int.MaxValue, out KernelGradLayout gradient))
        {
            bound = Math.Max(bound, gradient.Floats);
        }

        if (Winograd.Applies(g))
        {
            bound = Math.Max(bound, Winograd.ScratchLength(g));
        }

        return (int)Math.Min(bound, int.MaxValue);
    }

    private static int Prepare(in ConvGeometry g, int batch)
    {
        g.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        return checked(batch * g.OutputPixels);
    }

    /// <summary>A 1×1, stride-1, unpadded convolution is a plain matrix product of the input with the kernel.</summary>
    private static bool IsPointwise(in ConvGeometry g)
        => g.KernelHeight == 1 && g.KernelWidth == 1 && g.StrideHeight == 1 && g.StrideWidth == 1 && g.PadTop == 0
            && g.PadLeft == 0 && g.OutHeight == g.InHeight && g.OutWidth == g.InWidth;

    private static int ChunkRows(int patch, int rows, int scratchLength)
    {
        int fit = scratchLength / patch;
        if (fit < 1 && rows > 0)
        {
            throw new ArgumentException(
                $"The convolution needs at least {patch} floats of scratch (one patch row) but got {scratchLength}.", "scratch");
        }

        return Math.Max(1, Math.Min(rows, Math.Min(fit, Math.Max(MinChunkRows, ChunkFloats / patch))));
    }

    /// <summary>
    /// Row i of <paramref name="columns"/> = the patch of output pixel r0 + i (pixels numbered over the whole batch),
    /// laid out [KernelHeight, KernelWidth, InChannels] with zeros for taps in the padding.
    /// </summary>
    private static void Im2Col(ReadOnlySpan<float> x, Span<float> columns, in ConvGeometry g, int r0, int n)
    {
        int channels = g.InChannels, patch = g.PatchSize, pixels = g.OutputPixels, rowLength = g.InWidth * channels;
        int tapRow = g.KernelWidth * channels;
        for (int i = 0; i < n; i++)
        {
            int r = r0 + i, s = r / pixels, p = r - (s * pixels), oy = p / g.OutWidth, ox = p - (oy * g.OutWidth);
            ReadOnlySpan<float> sample = x.Slice(s * g.InputSize, g.InputSize);
            Span<float> row = columns.Slice(i * patch, patch);
            int iy0 = (oy * g.StrideHeight) - g.PadTop, ix0 = (ox * g.StrideWidth) - g.PadLeft;
            var (kx0, kx1) = ConvGeometry.InRange(ix0, g.DilationWidth, g.KernelWidth, g.InWidth);
            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                int iy = iy0 + (ky * g.DilationHeight);
                Span<float> taps = row.Slice(ky * tapRow, tapRow);
                if ((uint)iy >= (uint)g.InHeight || kx0 == kx1)
                {
                    taps.Clear();
                    continue;
                }

                taps[..(kx0 * channels)].Clear();
                taps[(kx1 * channels)..].Clear();
                ReadOnlySpan<float> line = sample.Slice(iy * rowLength, rowLength);
                if (g.DilationWidth == 1)
                {
                    // Adjacent taps read adjacent pixels: one copy for the whole in-range run.
                    line.Slice((ix0 + kx0) * channels, (kx1 - kx0) * channels).CopyTo(taps[(kx0 * channels)..]);
                }
                else
                {
                    for (int kx = kx0; kx < kx1; kx++)
                    {
                        line.Slice((ix0 + (kx * g.DilationWidth)) * channels, channels).CopyTo(taps.Slice(kx * channels, channels));
                    }
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: adds each patch row's in-range taps back onto the pixels they came from.</summary>
    private static void Col2ImAdd(ReadOnlySpan<float> columns, Span<float> dx, in ConvGeometry g, int r0, int n)
    {
        int channels = g.InChannels, patch = g.PatchSize, pixels = g.OutputPixels, rowLength = g.InWidth * channels;
        int tapRow = g.KernelWidth * channels;
        for (int i = 0; i < n; i++)
        {
            int r = r0 + i, s = r / pixels, p = r - (s * pixels), oy = p / g.OutWidth, ox = p - (oy * g.OutWidth);
            Span<float> sample = dx.Slice(s * g.InputSize, g.InputSize);
            ReadOnlySpan<float> row = columns.Slice(i * patch, patch);
            int iy0 = (oy * g.StrideHeight) - g.PadTop, ix0 = (ox * g.StrideWidth) - g.PadLeft;
            var (kx0, kx1) = ConvGeometry.InRange(ix0, g.DilationWidth, g.KernelWidth, g.InWidth);
            if (kx0 == kx1)
            {
                continue;
            }

            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                int iy = iy0 + (ky * g.DilationHeight);
                if ((uint)iy >= (uint)g.InHeight)
                {
                    continue;
                }

                ReadOnlySpan<float> taps = row.Slice(ky * tapRow, tapRow);
                Span<float> line = sample.Slice(iy * rowLength, rowLength);
                if (g.DilationWidth == 1)
                {
                    Span<float> target = line.Slice((ix0 + kx0) * channels, (kx1 - kx0) * channels);
                    TensorPrimitives.Add(target, taps.Slice(kx0 * channels, target.Length), target);
                }
                else
                {
                    for (int kx = kx0; kx < kx1; kx++)
                    {
                        Span<float> target = line.Slice((ix0 + (kx * g.DilationWidth)) * channels, channels);
                        TensorPrimitives.Add(target, taps.Slice(kx * channels, channels), target);
                    }
                }
            }
        }
    }
}
