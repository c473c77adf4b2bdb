using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

public static partial class Conv2D
{
    /// <summary>
    /// <see cref="BackwardKernel"/> by implicit GEMM on a given instruction set, for tests: false (having done nothing)
    /// when the geometry or scratch does not allow it.
    /// </summary>
    internal static bool TryImplicitBackwardKernel(GemmPath path, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dKernel,
        in ConvGeometry g, int batch, Span<float> scratch)
    {
        int rows = Prepare(g, batch);
        return ImplicitBackwardKernel(path, x[..checked(batch * g.InputSize)], dy[..checked(rows * g.OutChannels)],
            dKernel[..checked(g.PatchSize * g.OutChannels)], g, batch, scratch);
    }

    /// <summary>
    /// dKernel += the kernel gradient by implicit GEMM on <paramref name="path"/>, if the geometry and scratch allow it;
    /// returns false (having done nothing) otherwise. The spans must already be cut to the geometry's sizes.
    /// </summary>
    private static unsafe bool ImplicitBackwardKernel(GemmPath path, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dKernel,
        in ConvGeometry g, int batch, Span<float> scratch)
    {
        if (!KernelGradLayout.TryCreate(g, VectorWidth(path), scratch.Length, out KernelGradLayout layout))
        {
            return false;
        }

        fixed (float* px = x, pdy = dy, pdk = dKernel, ps = scratch)
        {
            switch (path)
            {
                case GemmPath.Avx512:
                    ImplicitKernelGradient<Avx512Ops, Vector512<float>>.Run(px, pdy, pdk, g, batch, ps, layout);
                    break;
                case GemmPath.Avx2Fma:
                    ImplicitKernelGradient<Avx2Ops, Vector256<float>>.Run(px, pdy, pdk, g, batch, ps, layout);
                    break;
                case GemmPath.Vector128:
                    ImplicitKernelGradient<Vector128Ops, Vector128<float>>.Run(px, pdy, pdk, g, batch, ps, layout);
                    break;
                default:
                    ImplicitKernelGradient<ScalarOps, float>.Run(px, pdy, pdk, g, batch, ps, layout);
                    break;
            }
        }

        return true;
    }

    /// <summary>Copies input row <paramref name="iy"/> of a sample into <paramref name="padded"/> positions starting at
    /// column −PadLeft, zeros outside the input (all zeros for a row above or below it).</summary>
    internal static unsafe void PadInputRow(float* sample, int iy, float* target, in ConvGeometry g, int padded)
    {
        int cin = g.InChannels;
        if ((uint)iy >= (uint)g.InHeight)
        {
            new Span<float>(target, padded * cin).Clear();
            return;
        }

        float* row = sample + ((nint)iy * g.InWidth * cin);
        int left = Math.Min(g.PadLeft, padded);
        int inside = Math.Max(0, Math.Min(g.InWidth, padded - g.PadLeft));
        new Span<float>(target, left * cin).Clear();
        new ReadOnlySpan<float>(row, inside * cin).CopyTo(new Span<float>(target + (left * cin), inside * cin));
        new Span<float>(target + ((left + inside) * cin), (padded - left - inside) * cin).Clear();
    }
}

/// <summary>
/// Where the implicit kernel gradient keeps its working data, in the caller's scratch, in order: the input offset of
/// every patch row and how many patch rows from it lie at consecutive floats (2 · PatchSize ints); when the filters are
/// not a whole number of vectors, a copy of the batch's last output row of dy with a vector of zeros after it (so whole
/// vectors can be loaded past its last filter); and, when the window reaches past any edge of the input, a buffer of
/// zero-padded input rows for one block of output rows (a second for the second thread when there is room). None of it
/// grows with the batch.
/// </summary>
internal readonly record struct KernelGradLayout(int BlockRows, bool InPlace, int PaddedWidth, int RowFloats, int TailOffset,
    int BufferOffset, int BufferFloats, int Buffers, int Floats)
{
    /// <summary>
    /// Output positions per block, at least (whole output rows): the tiles' accumulators sum over a block's positions
    /// before they are added into dK, so a block's input and output gradient should stay in cache while every tile
    /// passes over them. Measured on AVX-512 (26×26×16 → 32, and 3×3 layers of 64 to 256 channels): 128 was best;
    /// 32 and 64 cost 0–15 %, 256 up to 50 % on 128 channels.
    /// </summary>
    public const int TargetPositions = 128;

    /// <summary>Most output rows per block (the rows' table lives on the stack).</summary>
    public const int MaxBlockRows = 256;

    /// <summary>Whether two threads can share the work: each needs its own buffer of padded rows (if any).</summary>
    public bool Splittable => InPlace || Buffers == 2;

    public static bool TryCreate(in ConvGeometry g, int width, int scratchLength, out KernelGradLayout layout)
    {
        layout = default;
        if (g.OutWidth == 0 || g.OutHeight == 0)
        {
            return false;
        }

        int blockRows = (int)Math.Clamp((TargetPositions + (long)g.OutWidth - 1) / g.OutWidth, 1, MaxBlockRows);
        long paddedWidth = ((long)(g.OutWidth - 1) * g.StrideWidth) + ((long)(g.KernelWidth - 1) * g.DilationWidth) + 1;
        bool inPlace = Conv2D.ReachesNoPadding(g);
        long floats = 2L * g.PatchSize;
        int tailOffset = 0;
        if (g.OutChannels % width != 0)
        {
            tailOffset = (int)Math.Min(floats, int.MaxValue);
            floats += ((long)g.OutWidth * g.OutChannels) + width;
        }

        int bufferOffset = (int)Math.Min(floats, int.MaxValue), bufferFloats = 0, buffers = 0;
        long rowFloats = (inPlace ? g.InWidth : paddedWidth) * g.InChannels;
        if (!inPlace)
        {
            // A block stays within one sample: its rows need (rows − 1) · stride + the dilated window's height input rows.
            long rows = ((long)(Math.Min(blockRows, g.OutHeight) - 1) * g.StrideHeight) + ((long)(g.KernelHeight - 1) * g.DilationHeight) + 1;
            long buffer = rows * rowFloats;
            if (buffer > int.MaxValue)
            {
                return false;
            }

            bufferFloats = (int)buffer;
            buffers = 1;
            floats += buffer;
            if (floats + buffer <= scratchLength)
            {
                buffers = 2;
                floats += buffer;
            }
        }

        if (floats > scratchLength || rowFloats * g.InHeight > int.MaxValue)
        {
            return false;
        }

        layout = new KernelGradLayout(blockRows, inPlace, (int)paddedWidth, (int)rowFloats, tailOffset, bufferOffset, bufferFloats,
            buffers, (int)floats);
        return true;
    }
}

/// <summary>
/// The implicit-GEMM kernel gradient: dK[p, o] += Σ over output positions of x[position, p] · dy[position, o], p a
/// patch row (tap, input channel). The batch's output rows are taken in blocks of a few rows; for each block every tile
/// (8 or 4 patch rows × 2 or 1 vectors of filters, <see cref="ConvGradTiles{TOps, TV, TRows}"/>) sums over all the
/// block's positions in registers, reading input and output gradient in place, then adds into dK. Two threads take
/// disjoint sets of tiles, each over every block in the same order, so each element of dK is summed the same way on
/// one thread or two.
/// </summary>
[SkipLocalsInit] // the row table and stack tile are written before they are read
internal static unsafe class ImplicitKernelGradient<TOps, TV>
    where TOps : ISimdOps<TV>
    where TV : unmanaged
{
    /// <summary>Patch rows per tile: 8 where 32 registers hold 8 × 2 vectors of accumulators, else 4.</summary>
    private static int Height => TOps.FourVectorTile ? 8 : 4;

    public static void Run(float* x, float* dy, float* dk, in ConvGeometry g, int batch, float* scratch, in KernelGradLayout layout)
    {
        int w = TOps.Count, n = g.OutChannels, patch = g.PatchSize, cin = g.InChannels, kw = g.KernelWidth;

        // Each patch row's input offset from the position's patch row 0, and the run of consecutive floats from it.
        int* offsets = (int*)scratch, runs = offsets + patch;
        for (int p = 0; p < patch; p++)
        {
            int tap = p / cin, c = p - (tap * cin), ky = tap / kw, kx = tap - (ky * kw);
            offsets[p] = (ky * g.DilationHeight * layout.RowFloats) + (kx * g.DilationWidth * cin) + c;
        }

        for (int p = patch - 1; p >= 0; p--)
        {
            runs[p] = p + 1 < patch && offsets[p + 1] == offsets[p] + 1 ? runs[p + 1] + 1 : 1;
        }

        int rows = batch * g.OutHeight;
        float* dyTail = null;
        if (n % w != 0 && rows > 0)
        {
            // The last row's last position would read whole vectors past dy's end: a copy with room after it.
            dyTail = scratch + layout.TailOffset;
            int rowFloats = g.OutWidth * n;
            new ReadOnlySpan<float>(dy + ((nint)(rows - 1) * rowFloats), rowFloats).CopyTo(new Span<float>(dyTail, rowFloats));
            new Span<float>(dyTail + rowFloats, w).Clear();
        }

        // Tiles: row tiles of Height patch rows × column blocks (pairs of vectors, a single vector, a partial vector).
        int full = n / w, pairs = full / 2, columnBlocks = pairs + (full % 2) + (n % w != 0 ? 1 : 0);
        int tileHeight = Height, rowTiles = (patch + tileHeight - 1) / tileHeight, items = rowTiles * columnBlocks;

        // Split the tiles where their multiply-adds are halved.
        long total = 0, half = 0;
        for (int i = 0; i < items; i++)
        {
            total += Weight(i, columnBlocks, pairs, patch, tileHeight);
        }

        int split = 0;
        for (; split < items && 2 * (half + Weight(split, columnBlocks, pairs, patch, tileHeight)) <= total; split++)
        {
            half += Weight(split, columnBlocks, pairs, patch, tileHeight);
        }

        split = Math.Max(split, 1);
        var job = new Job
        {
            X = x, Dy = dy, Dk = dk, DyTail = dyTail, Offsets = offsets, Runs = runs, Buffer = scratch + layout.BufferOffset, G = g,
            Layout = layout, Batch = batch, Items = items, Split = split, ColumnBlocks = columnBlocks, Pairs = pairs,
        };

        long multiplyAdds = (long)batch * g.OutputPixels * patch * n;
        if (!layout.Splittable || items < 2 || !GemmWorker.TryRunSplit(&RunParts, &job, 2, multiplyAdds))
        {
            RunParts(&job, 0, 2, 0);
        }
    }

    private static long Weight(int item, int columnBlocks, int pairs, int patch, int tileHeight)
    {
        int t = item / columnBlocks, cb = item - (t * columnBlocks);
        return (long)Math.Min(tileHeight, patch - (t * tileHeight)) * (cb < pairs ? 2 : 1);
    }

    /// <summary>What <see cref="RunParts"/> works on, on the calling thread's stack while both threads run.</summary>
    private struct Job
    {
        public float* X;
        public float* Dy;
        public float* Dk;
        public float* DyTail;
        public int* Offsets;
        public int* Runs;
        public float* Buffer;
        public ConvGeometry G;
        public KernelGradLayout Layout;
        public int Batch;
        public int Items;
        public int Split;
        public int ColumnBlocks;
        public int Pairs;
    }

    /// <summary>Parts [first, end) of two: part 0 the tiles before the split, part 1 the rest (with the second buffer).</summary>
    private static void RunParts(void* state, int first, int end, int part)
    {
        ref readonly Job job = ref *(Job*)state;
        ref readonly ConvGeometry g = ref job.G;
        ref readonly KernelGradLayout layout = ref job.Layout;
        int itemFirst = first == 0 ? 0 : job.Split, itemEnd = end == 2 ? job.Items : job.Split;
        int w = TOps.Count, n = g.OutChannels, patch = g.PatchSize, outWidth = g.OutWidth, outHeight = g.OutHeight;
        int totalRows = job.Batch * outHeight, blockRows = layout.BlockRows, tail = n % w, main = n - tail;
        int columnBlocks = job.ColumnBlocks, pairs = job.Pairs, tileHeight = Height;
        nint rowFloats = layout.RowFloats, xStep = (nint)g.StrideWidth * g.InChannels, dyRow = (nint)outWidth * n;
        nint sampleRows = (nint)g.StrideHeight * rowFloats;
        float* buffer = job.Buffer + (part * (nint)layout.BufferFloats);
        ConvGradRow* rows = stackalloc ConvGradRow[blockRows];
        float* tile = stackalloc float[8 * w];
        int window = ((g.KernelHeight - 1) * g.DilationHeight) + 1;
        for (int r0 = 0, r1; r0 < totalRows; r0 = r1)
        {
            int count;
            if (layout.InPlace)
            {
                r1 = Math.Min(r0 + blockRows, totalRows);
                count = r1 - r0;
                for (int i = 0; i < count; i++)
                {
                    int r = r0 + i, s = r / outHeight, oy = r - (s * outHeight);
                    rows[i].X = job.X + ((nint)s * g.InputSize) + (oy * sampleRows);
                    rows[i].Dy = job.Dy + (r * dyRow);
                }
            }
            else
            {
                // Within one sample: copy its input rows, zero-padded on every side, then read the copy.
                int s = r0 / outHeight, oy0 = r0 - (s * outHeight);
                count = Math.Min(blockRows, outHeight - oy0);
                r1 = r0 + count;
                int inputRows = ((count - 1) * g.StrideHeight) + window, iy0 = (oy0 * g.StrideHeight) - g.PadTop;
                float* sample = job.X + ((nint)s * g.InputSize);
                for (int j = 0; j < inputRows; j++)
                {
                    Conv2D.PadInputRow(sample, iy0 + j, buffer + (j * rowFloats), g, layout.PaddedWidth);
                }

                for (int i = 0; i < count; i++)
                {
                    rows[i].X = buffer + (i * sampleRows);
                    rows[i].Dy = job.Dy + ((r0 + i) * dyRow);
                }
            }

            if (r1 == totalRows && job.DyTail != null)
            {
                rows[count - 1].Dy = job.DyTail;
            }

            // Tile (t, cb) = item t · columnBlocks + cb, stepped along without dividing.
            for (int item = itemFirst, t = itemFirst / columnBlocks, cb = itemFirst - (t * columnBlocks); item < itemEnd; item++)
            {
                int p0 = t * tileHeight, height = Math.Min(tileHeight, patch - p0);
                int vectors = cb < pairs ? 2 : 1;
                nint co = cb < pairs ? cb * 2 * w : pairs * 2 * w + ((cb - pairs) * w);
                bool partial = co == main && tail != 0;
                for (int p = p0, stop = p0 + height, h; p < stop; p += h)
                {
                    int left = stop - p;
                    h = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;

                    bool contiguous = job.Runs[p] >= h;
                    if (partial)
                    {
                        new Span<float>(tile, h * w).Clear();
                        Tile(h, 1, contiguous, rows, count, outWidth, xStep, n, co, job.Offsets + p, tile, w);
                        for (int i = 0; i < h; i++)
                        {
                            float* target = job.Dk + ((nint)(p + i) * n) + co;
                            for (int j = 0; j < tail; j++)
                            {
                                target[j] += tile[(i * w) + j];
                            }
                        }
                    }
                    else
                    {
                        Tile(h, vectors, contiguous, rows, count, outWidth, xStep, n, co, job.Offsets + p, job.Dk + ((nint)p * n) + co, n);
                    }
                }

                if (++cb == columnBlocks)
                {
                    cb = 0;
                    t++;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(int h, int vectors, bool contiguous, ConvGradRow* rows, int count, int positions, nint xStep, nint ldy,
        nint co, int* off, float* dk, nint ldk)
    {
        if (contiguous)
        {
            Tile<ContiguousRows>(h, vectors, rows, count, positions, xStep, ldy, co, off, dk, ldk);
        }
        else
        {
            Tile<TabledRows>(h, vectors, rows, count, positions, xStep, ldy, co, off, dk, ldk);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TRows>(int h, int vectors, ConvGradRow* rows, int count, int positions, nint xStep, nint ldy, nint co,
        int* off, float* dk, nint ldk)
        where TRows : IGradRows
    {
        switch (h * 2 + vectors)
        {
            case 18:
                ConvGradTiles<TOps, TV, TRows>.Tile8x2(rows, count, positions, xStep, ldy, co, off, dk, ldk);
                break;
            case 17:
                ConvGradTiles<TOps, TV, TRows>.Tile8x1(rows, count, positions, xStep, ldy, co, off, dk, ldk);
                break;
            case 10:
                ConvGradTiles<TOps, TV, TRows>.Tile4x2(rows, count, positions, xStep, ldy, co, off, dk, ldk);
                break;
            case 9:
                ConvGradTiles<TOps, TV, TRows>.Tile4x1(rows, count, positions, xStep, ldy, co, off, dk, ldk);
                break;
            case 6:
                ConvGradTiles<TOps, TV, TRows>.Tile2x2(rows, count, positions, xStep, ldy, co, off, dk, ldk);
                break;
            case 5:
                ConvGradTiles<TOps, TV, TRows>.Tile2x1(rows, count, positions, xStep, ldy, co, off, dk, ldk);
                break;
            case 4:
                ConvGradTiles<TOps, TV, TRows>.Tile1x2(rows, count, positions, xStep, ldy, co, off, dk);
                break;
            default:
                ConvGradTiles<TOps, TV, TRows>.Tile1x1(rows, count, positions, xStep, ldy, co, off, dk);
                break;
        }
    }
}
