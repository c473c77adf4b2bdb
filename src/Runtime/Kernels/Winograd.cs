using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Unrolled.Kernels;

/// <summary>
/// 3×3, stride-1 convolutions by Winograd's minimal filtering (Lavin and Gray, 2016), for inference, in one of two tile
/// sizes: F(2×2, 3×3) computes each 2×2 block of outputs from a 4×4 block of input with 16 multiplications per input
/// and output channel pair instead of 36 (2.25 times fewer), F(4×4, 3×3) each 4×4 block from a 6×6 block with 36
/// instead of 144 (4 times fewer). The input tiles and the kernel are transformed (the kernel once per weights:
/// <see cref="TransformKernel"/>), the transformed positions are independent matrix products
/// [tiles × InChannels]·[InChannels × OutChannels], and an output transform gives the outputs, to which the bias and
/// activation are added while they are in registers. Tiles go in blocks small enough for the transformed block to stay
/// in L2. Channels-last tensors, Keras's kernel layout, no allocation.
/// </summary>
/// <remarks>
/// The transforms add and subtract inputs before multiplying, so results differ from direct convolution by rounding:
/// a few 1e-7 of the outputs' magnitude for F(2×2, 3×3), a few 1e-6 for F(4×4, 3×3), whose transforms scale by up to
/// 8. The training step keeps the direct convolution, whose backward pass reads the same arithmetic.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit] // the offset tables are written before they are read
public static partial class Winograd
{
    /// <summary>The transformed blocks of input and output are kept within this many floats (384 KiB of L2).</summary>
    private const int BlockFloats = 96 * 1024;

    /// <summary>
    /// Whether this convolution runs faster as Winograd: a 3×3 window, stride 1, no dilation, 16 or more filters, and
    /// enough input channels for the matrix products to dominate the transforms: 16 or more where the 4×4 tiles are
    /// chosen (<see cref="TileSize"/>), 32 or more otherwise. Measured (one thread, batch 1 and 64): 26×26×16 → 32
    /// 15 µs and 0.96 ms by 4×4 tiles against 25 µs and 1.62 ms direct (2×2 tiles: 25 µs and 1.66 ms, no gain);
    /// 30×30×32 → 64 53 µs against 87 (2×2) and 138 (direct).
    /// </summary>
    /// <param name="g">The geometry.</param>
    /// <returns>True when <see cref="Forward"/> applies and pays.</returns>
    public static bool Applies(in ConvGeometry g)
        => g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideHeight == 1 && g.StrideWidth == 1 && g.DilationHeight == 1
           && g.DilationWidth == 1 && g.OutChannels >= 16 && g.OutHeight > 0 && g.OutWidth > 0
           && g.InChannels >= (TileSize(g) == 4 ? 16 : 32);

    /// <summary>
    /// The output tile this geometry is computed in: 4 (F(4×4, 3×3)) where its tiles need fewer multiplications than 2×2
    /// tiles, counting the ragged last row and column of tiles, which compute outputs that are thrown away; 2 otherwise.
    /// For example a 6×6 output needs 9 tiles × 16 = 144 products per channel pair either way and keeps 2×2 tiles
    /// (measured faster: their transforms are cheaper), a 24×24 output 576 against 1,296 and takes 4×4 tiles.
    /// </summary>
    /// <param name="g">The geometry.</param>
    /// <returns>2 or 4.</returns>
    public static int TileSize(in ConvGeometry g)
    {
        long small = 16L * ((g.OutHeight + 1) / 2) * ((g.OutWidth + 1) / 2);
        long large = 36L * ((g.OutHeight + 3) / 4) * ((g.OutWidth + 3) / 4);
        return large < small ? 4 : 2;
    }

    /// <summary>Floats of the transformed kernel: 16 or 36 positions × InChannels × OutChannels.</summary>
    /// <param name="g">The geometry.</param>
    /// <returns>The length <see cref="TransformKernel"/> writes.</returns>
    public static int KernelLength(in ConvGeometry g) => checked(Positions(g) * g.InChannels * g.OutChannels);

    /// <summary>Floats of scratch <see cref="Forward"/> needs, whatever the batch.</summary>
    /// <param name="g">The geometry.</param>
    /// <returns>The scratch length.</returns>
    public static int ScratchLength(in ConvGeometry g)
        => checked((Positions(g) * TilesPerBlock(g) * (g.InChannels + g.OutChannels)) + (TileSize(g) * TileSize(g) * g.OutChannels));

    /// <summary>U = G·g·Gᵀ for every (input channel, output channel) pair, laid out [positions, InChannels, OutChannels],
    /// for the tile size <see cref="TileSize"/> chooses for <paramref name="g"/>.</summary>
    /// <param name="kernel">[3, 3, InChannels, OutChannels], Keras's layout.</param>
    /// <param name="transformed"><see cref="KernelLength"/> floats, written.</param>
    /// <param name="g">The geometry.</param>
    public static void TransformKernel(ReadOnlySpan<float> kernel, Span<float> transformed, in ConvGeometry g)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(g.InChannels);
        ArgumentOutOfRangeException.ThrowIfNegative(g.OutChannels);
        int pair = checked(g.InChannels * g.OutChannels);
        kernel = kernel[..checked(9 * pair)];
        transformed = transformed[..KernelLength(g)];
        if (TileSize(g) == 4)
        {
            TransformKernel4(kernel, transformed, pair);
        }
        else
        {
            TransformKernel2(kernel, transformed, pair);
        }
    }

    /// <summary>
    /// z = conv(x, kernel) + bias and y = activation(z), as <see cref="Conv2D.ForwardBiasActivation"/>, from the kernel
    /// transformed by <see cref="TransformKernel"/>.
    /// </summary>
    /// <param name="x">Input, [batch, InHeight, InWidth, InChannels].</param>
    /// <param name="transformedKernel">The kernel as <see cref="TransformKernel"/> wrote it for this geometry.</param>
    /// <param name="z">The convolution plus bias, [batch, OutHeight, OutWidth, OutChannels].</param>
    /// <param name="g">The geometry; <see cref="Applies"/> must hold.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> floats.</param>
    /// <param name="bias">OutChannels floats, or empty for none.</param>
    /// <param name="activation">The activation; <see cref="Activation.Linear"/> for none.</param>
    /// <param name="y">The activation's output, shaped as <paramref name="z"/>; it may be <paramref name="z"/> itself.
    /// Ignored for <see cref="Activation.Linear"/>.</param>
    public static unsafe void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> transformedKernel, Span<float> z, in ConvGeometry g, int batch,
        Span<float> scratch, ReadOnlySpan<float> bias, Activation activation, Span<float> y)
    {
        g.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (!Applies(g))
        {
            throw new ArgumentException($"Winograd needs a 3×3, stride-1, undilated convolution to 16 or more filters from 16 or more channels " +
                $"(32 or more for outputs too small for 4×4 tiles); got {g}.", nameof(g));
        }

        int cin = g.InChannels, cout = g.OutChannels, block = TilesPerBlock(g), size = TileSize(g), positions = Positions(g);
        x = x[..checked(batch * g.InputSize)];
        transformedKernel = transformedKernel[..KernelLength(g)];
        z = z[..checked(batch * g.OutputPixels * cout)];
        bias = bias.IsEmpty ? bias : bias[..cout];
        bool relu = activation == Activation.Relu;
        y = activation == Activation.Linear ? Span<float>.Empty : y[..z.Length];
        if (scratch.Length < ScratchLength(g))
        {
            throw new ArgumentException($"Winograd needs {ScratchLength(g)} floats of scratch for {g}; got {scratch.Length}.", nameof(scratch));
        }

        // Tile-major blocks, [tile, position, channel]: a tile's transforms read and write one contiguous run, and each
        // position's product reads and writes every 16th (or 36th) row. (Position-major blocks made the transforms stream
        // from 16 places at once, and they took as long as the products at batch 64.)
        Span<float> v = scratch[..(positions * block * cin)];
        Span<float> m = scratch.Slice(positions * block * cin, positions * block * cout);
        Span<float> border = scratch.Slice(positions * block * (cin + cout), size * size * cout); // see OutputTile
        int tilesHigh = (g.OutHeight + size - 1) / size, tilesWide = (g.OutWidth + size - 1) / size, perImage = tilesHigh * tilesWide;
        long tiles = (long)batch * perImage;

        fixed (float* px = x, pv = v, pm = m, pz = z, pb = bias, py = relu ? y : default, pt = border)
        {
            for (long first = 0; first < tiles; first += block)
            {
                int count = (int)Math.Min(block, tiles - first);
                for (int i = 0; i < count; i++)
                {
                    long t = first + i;
                    int image = (int)(t / perImage), within = (int)(t % perImage);
                    int row = within / tilesWide * size, column = within % tilesWide * size;
                    if (size == 4)
                    {
                        InputTile4(px, pv, g, image, row, column, i);
                    }
                    else
                    {
                        InputTile2(px, pv, g, image, row, column, i);
                    }
                }

                for (int p = 0; p < positions; p++)
                {
                    StridedGemm.Multiply(v[(p * cin)..], positions * cin, transformedKernel.Slice(p * cin * cout, cin * cout), cout,
                        m[(p * cout)..], positions * cout, count, cin, cout, accumulate: false);
                }

                for (int i = 0; i < count; i++)
                {
                    long t = first + i;
                    int image = (int)(t / perImage), within = (int)(t % perImage);
                    int row = within / tilesWide * size, column = within % tilesWide * size;
                    float* tile = pm + ((nint)i * positions * cout);
                    if (size == 4)
                    {
                        OutputTile<Tile4>(tile, pz, py, pb, g, image, row, column, pt);
                    }
                    else
                    {
                        OutputTile<Tile2>(tile, pz, py, pb, g, image, row, column, pt);
                    }
                }
            }
        }

        if (!relu && activation != Activation.Linear)
        {
            ActivationKernels.Forward(activation, z, y, batch * g.OutputPixels, cout);
        }
    }

    /// <summary>Transformed positions per tile: the input tile's area, 16 or 36.</summary>
    private static int Positions(in ConvGeometry g) => TileSize(g) == 4 ? 36 : 16;

    /// <summary>Tiles per block: as many as keep the block's transformed input and output within <see cref="BlockFloats"/>.</summary>
    private static int TilesPerBlock(in ConvGeometry g) => Math.Clamp(BlockFloats / (Positions(g) * (g.InChannels + g.OutChannels)), 8, 256);

    /// <summary>
    /// Aᵀ·m·A of one tile's transformed products <paramref name="m"/> plus the bias into the outputs at (row, column), and
    /// their ReLU into <paramref name="relu"/> unless it is null (in place of z when it is z). A tile inside the output is
    /// written where it lies, with the store chosen at compile time (<see cref="IOutput"/>); a tile over the output's
    /// edge is computed into <paramref name="border"/> (size² × OutChannels floats) and its outputs inside copied out.
    /// </summary>
    private static unsafe void OutputTile<TTile>(float* m, float* z, float* relu, float* bias, in ConvGeometry g, int image, int row, int column,
        float* border)
        where TTile : ITile
    {
        int cout = g.OutChannels, size = TTile.Size;
        nint pixel = (((nint)image * g.OutHeight) + row) * g.OutWidth + column;
        if (row + size <= g.OutHeight && column + size <= g.OutWidth)
        {
            float* corner = z + (pixel * cout);
            nint rowStride = (nint)g.OutWidth * cout;
            if (relu == null)
            {
                TTile.Output<Plain>(m, cout, corner, rowStride, 0, bias);
            }
            else if (relu == z)
            {
                TTile.Output<ReluInPlace>(m, cout, corner, rowStride, 0, bias);
            }
            else
            {
                TTile.Output<PlainAndRelu>(m, cout, corner, rowStride, (nint)(relu - z), bias);
            }

            return;
        }

        TTile.Output<Plain>(m, cout, border, size * cout, 0, bias);
        int rows = Math.Min(size, g.OutHeight - row), columns = Math.Min(size, g.OutWidth - column);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                var value = new ReadOnlySpan<float>(border + (((size * r) + c) * cout), cout);
                nint at = (pixel + ((nint)r * g.OutWidth) + c) * cout;
                if (relu != z)
                {
                    value.CopyTo(new Span<float>(z + at, cout));
                }

                if (relu != null)
                {
                    System.Numerics.Tensors.TensorPrimitives.Max(value, 0f, new Span<float>(relu + at, cout));
                }
            }
        }
    }

    /// <summary>A tile size's output transform, for <see cref="OutputTile{TTile}"/>.</summary>
    private unsafe interface ITile
    {
        /// <summary>The output tile's side: 2 or 4.</summary>
        static abstract int Size { get; }

        /// <summary>Aᵀ·m·A plus the bias for every channel, stored by <typeparamref name="TOutput"/> from
        /// <paramref name="corner"/>, output rows <paramref name="rowStride"/> floats apart.</summary>
        static abstract void Output<TOutput>(float* m, int channels, float* corner, nint rowStride, nint relu, float* bias)
            where TOutput : IOutput;
    }

    /// <summary>How an output vector is stored, chosen once per tile so the JIT compiles each way without a branch per
    /// store.</summary>
    private unsafe interface IOutput
    {
        /// <summary>Stores <paramref name="value"/> at <paramref name="z"/>; <paramref name="relu"/> is the distance to
        /// its ReLU's place, where there is one beside z.</summary>
        static abstract void Put<TOps, TV>(TV value, float* z, nint relu)
            where TOps : ISimdOps<TV>
            where TV : unmanaged;
    }

    /// <summary>z only (no activation here).</summary>
    private readonly unsafe struct Plain : IOutput
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Put<TOps, TV>(TV value, float* z, nint relu)
            where TOps : ISimdOps<TV>
            where TV : unmanaged
            => TOps.Store(z, value);
    }

    /// <summary>The ReLU in place of z.</summary>
    private readonly unsafe struct ReluInPlace : IOutput
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Put<TOps, TV>(TV value, float* z, nint relu)
            where TOps : ISimdOps<TV>
            where TV : unmanaged
            => TOps.Store(z, TOps.Max(value, TOps.Zero));
    }

    /// <summary>z, and its ReLU where the pre-activation is kept apart.</summary>
    private readonly unsafe struct PlainAndRelu : IOutput
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Put<TOps, TV>(TV value, float* z, nint relu)
            where TOps : ISimdOps<TV>
            where TV : unmanaged
        {
            TOps.Store(z, value);
            TOps.Store(z + relu, TOps.Max(value, TOps.Zero));
        }
    }

    /// <summary>The vector at <paramref name="offset"/>, or zeros for a pixel outside the input (-1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TV Load<TOps, TV>(float* x, int offset)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
        => offset < 0 ? TOps.Zero : TOps.Load(x + offset);
}
