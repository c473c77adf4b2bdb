using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

/// <summary>
/// 3×3, stride-1 convolutions by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, 2016), for inference: each
/// 2×2 block of outputs is computed from a 4×4 block of input with 16 multiplications per input and output channel
/// pair instead of 36, that is 2.25 times fewer. The input tiles and the kernel are transformed (additions only, and
/// the kernel once per weights: <see cref="TransformKernel"/>), the 16 transformed positions are 16 independent matrix
/// products [tiles × InChannels]·[InChannels × OutChannels], and an output transform (additions) gives the 2×2 outputs,
/// to which the bias and activation are added while they are in registers. Tiles go in blocks small enough for the
/// transformed block to stay in L2. Channels-last tensors, Keras's kernel layout, no allocation.
/// </summary>
/// <remarks>
/// The transforms add and subtract inputs before multiplying, so results differ from direct convolution by rounding
/// (relative differences of a few 1e-7 for inputs of similar magnitude). The training step keeps the direct
/// convolution, whose backward pass reads the same arithmetic.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit] // the offset tables are written before they are read
public static class Winograd
{
    /// <summary>Transformed positions per tile: a 4×4 input tile.</summary>
    private const int Positions = 16;

    /// <summary>The transformed blocks of input and output are kept within this many floats (384 KiB of L2).</summary>
    private const int BlockFloats = 96 * 1024;

    /// <summary>
    /// Whether this convolution runs faster as Winograd: a 3×3 window, stride 1, no dilation, and enough channels for the
    /// matrix products to dominate the transforms: 32 or more in, 16 or more out. Measured (one thread): 30×30×32 → 64
    /// 91 µs instead of 143 at batch 1, 9×9×64 → 64 same 1.29 ms instead of 2.21 at batch 64, but 26×26×16 → 32
    /// 1.97 ms instead of 1.65 at batch 64 (with 16 input channels the transforms cost more than they save).
    /// </summary>
    /// <param name="g">The geometry.</param>
    /// <returns>True when <see cref="Forward"/> applies and pays.</returns>
    public static bool Applies(in ConvGeometry g)
        => g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideHeight == 1 && g.StrideWidth == 1 && g.DilationHeight == 1
           && g.DilationWidth == 1 && g.InChannels >= 32 && g.OutChannels >= 16 && g.OutHeight > 0 && g.OutWidth > 0;

    /// <summary>Floats of the transformed kernel: 16 × InChannels × OutChannels.</summary>
    /// <param name="g">The geometry.</param>
    /// <returns>The length <see cref="TransformKernel"/> writes.</returns>
    public static int KernelLength(in ConvGeometry g) => checked(Positions * g.InChannels * g.OutChannels);

    /// <summary>Floats of scratch <see cref="Forward"/> needs, whatever the batch.</summary>
    /// <param name="g">The geometry.</param>
    /// <returns>The scratch length.</returns>
    public static int ScratchLength(in ConvGeometry g) => checked(Positions * TilesPerBlock(g) * (g.InChannels + g.OutChannels));

    /// <summary>U = G·g·Gᵀ for every (input channel, output channel) pair, laid out [16, InChannels, OutChannels].</summary>
    /// <param name="kernel">[3, 3, InChannels, OutChannels], Keras's layout.</param>
    /// <param name="transformed"><see cref="KernelLength"/> floats, written.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels (filters).</param>
    public static void TransformKernel(ReadOnlySpan<float> kernel, Span<float> transformed, int inChannels, int outChannels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inChannels);
        ArgumentOutOfRangeException.ThrowIfNegative(outChannels);
        int pair = checked(inChannels * outChannels);
        kernel = kernel[..checked(9 * pair)];
        transformed = transformed[..checked(Positions * pair)];
        Span<float> g = stackalloc float[9];
        Span<float> t = stackalloc float[12];
        for (int p = 0; p < pair; p++)
        {
            for (int k = 0; k < 9; k++)
            {
                g[k] = kernel[(k * pair) + p];
            }

            // t = G·g (4 × 3), with G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
            for (int j = 0; j < 3; j++)
            {
                float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                t[j] = g0;
                t[3 + j] = 0.5f * (g0 + g1 + g2);
                t[6 + j] = 0.5f * (g0 - g1 + g2);
                t[9 + j] = g2;
            }

            // U = t·Gᵀ (4 × 4).
            for (int i = 0; i < 4; i++)
            {
                float t0 = t[3 * i], t1 = t[(3 * i) + 1], t2 = t[(3 * i) + 2];
                transformed[(((4 * i) + 0) * pair) + p] = t0;
                transformed[(((4 * i) + 1) * pair) + p] = 0.5f * (t0 + t1 + t2);
                transformed[(((4 * i) + 2) * pair) + p] = 0.5f * (t0 - t1 + t2);
                transformed[(((4 * i) + 3) * pair) + p] = t2;
            }
        }
    }

    /// <summary>
    /// z = conv(x, kernel) + bias and y = activation(z), as <see cref="Conv2D.ForwardBiasActivation"/>, from the kernel
    /// transformed by <see cref="TransformKernel"/>.
    /// </summary>
    /// <param name="x">Input, [batch, InHeight, InWidth, InChannels].</param>
    /// <param name="transformedKernel">The kernel as <see cref="TransformKernel"/> wrote it.</param>
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
            throw new ArgumentException($"Winograd F(2×2, 3×3) needs a 3×3, stride-1, undilated convolution from 32 or more channels to 16 or more; got {g}.", nameof(g));
        }

        int cin = g.InChannels, cout = g.OutChannels, block = TilesPerBlock(g);
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
        // position's product reads and writes every 16th row. (Position-major blocks made the transforms stream from 16
        // places at once, and they took as long as the products at batch 64.)
        Span<float> v = scratch[..(Positions * block * cin)];
        Span<float> m = scratch.Slice(Positions * block * cin, Positions * block * cout);
        int tilesHigh = (g.OutHeight + 1) / 2, tilesWide = (g.OutWidth + 1) / 2, perImage = tilesHigh * tilesWide;
        long tiles = (long)batch * perImage;
        fixed (float* px = x, pv = v, pm = m, pz = z, pb = bias, py = relu ? y : default)
        {
            for (long first = 0; first < tiles; first += block)
            {
                int count = (int)Math.Min(block, tiles - first);
                for (int i = 0; i < count; i++)
                {
                    long tile = first + i;
                    int image = (int)(tile / perImage), within = (int)(tile % perImage);
                    InputTile(px, pv, g, image, (within / tilesWide) * 2, (within % tilesWide) * 2, i);
                }

                for (int p = 0; p < Positions; p++)
                {
                    StridedGemm.Multiply(v[(p * cin)..], Positions * cin, transformedKernel.Slice(p * cin * cout, cin * cout), cout,
                        m[(p * cout)..], Positions * cout, count, cin, cout, accumulate: false);
                }

                for (int i = 0; i < count; i++)
                {
                    long tile = first + i;
                    int image = (int)(tile / perImage), within = (int)(tile % perImage);
                    OutputTile(pm, pz, py, pb, g, image, (within / tilesWide) * 2, (within % tilesWide) * 2, i);
                }
            }
        }

        if (!relu && activation != Activation.Linear)
        {
            ActivationKernels.Forward(activation, z, y, batch * g.OutputPixels, cout);
        }
    }

    /// <summary>Tiles per block: as many as keep the block's transformed input and output within <see cref="BlockFloats"/>.</summary>
    private static int TilesPerBlock(in ConvGeometry g) => Math.Clamp(BlockFloats / (Positions * (g.InChannels + g.OutChannels)), 8, 256);

    /// <summary>Bᵀ·d·B of the 4×4 input tile whose top-left output is (row, column) of <paramref name="image"/>, into tile
    /// <paramref name="index"/> of the block.</summary>
    private static unsafe void InputTile(float* x, float* v, in ConvGeometry g, int image, int row, int column, int index)
    {
        int cin = g.InChannels, top = row - g.PadTop, left = column - g.PadLeft;
        float* destination = v + ((nint)index * Positions * cin);

        // The 16 input pixels' offsets, or -1 where the tile hangs over the border (zero padding).
        Span<int> at = stackalloc int[Positions];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                int r = top + i, c = left + j;
                at[(4 * i) + j] = r >= 0 && r < g.InHeight && c >= 0 && c < g.InWidth
                    ? (((image * g.InHeight) + r) * g.InWidth + c) * cin
                    : -1;
            }
        }

        int channel = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            channel = InputChannels<Avx512Ops, Vector512<float>>(x, at, destination, cin, channel, cin);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            channel = InputChannels<Avx2Ops, Vector256<float>>(x, at, destination, cin, channel, cin);
        }

        InputChannels<ScalarOps, float>(x, at, destination, cin, channel, cin);
    }

    private static unsafe int InputChannels<TOps, TV>(float* x, ReadOnlySpan<int> at, float* v, int stride, int channel, int channels)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        int a0 = at[0], a1 = at[1], a2 = at[2], a3 = at[3], a4 = at[4], a5 = at[5], a6 = at[6], a7 = at[7];
        int a8 = at[8], a9 = at[9], a10 = at[10], a11 = at[11], a12 = at[12], a13 = at[13], a14 = at[14], a15 = at[15];
        nint s = stride;
        for (; channel + TOps.Count <= channels; channel += TOps.Count)
        {
            // Bᵀ·d down the columns, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1] ...
            float* c = x + channel;
            TV d0 = Load<TOps, TV>(c, a0), d1 = Load<TOps, TV>(c, a1), d2 = Load<TOps, TV>(c, a2), d3 = Load<TOps, TV>(c, a3);
            TV d4 = Load<TOps, TV>(c, a4), d5 = Load<TOps, TV>(c, a5), d6 = Load<TOps, TV>(c, a6), d7 = Load<TOps, TV>(c, a7);
            TV d8 = Load<TOps, TV>(c, a8), d9 = Load<TOps, TV>(c, a9), d10 = Load<TOps, TV>(c, a10), d11 = Load<TOps, TV>(c, a11);
            TV d12 = Load<TOps, TV>(c, a12), d13 = Load<TOps, TV>(c, a13), d14 = Load<TOps, TV>(c, a14), d15 = Load<TOps, TV>(c, a15);
            TV r00 = TOps.Subtract(d0, d8), r01 = TOps.Subtract(d1, d9), r02 = TOps.Subtract(d2, d10), r03 = TOps.Subtract(d3, d11);
            TV r10 = TOps.Add(d4, d8), r11 = TOps.Add(d5, d9), r12 = TOps.Add(d6, d10), r13 = TOps.Add(d7, d11);
            TV r20 = TOps.Subtract(d8, d4), r21 = TOps.Subtract(d9, d5), r22 = TOps.Subtract(d10, d6), r23 = TOps.Subtract(d11, d7);
            TV r30 = TOps.Subtract(d4, d12), r31 = TOps.Subtract(d5, d13), r32 = TOps.Subtract(d6, d14), r33 = TOps.Subtract(d7, d15);

            // ... then ·B along the rows, each result to its position.
            float* destination = v + channel;
            Row<TOps, TV>(r00, r01, r02, r03, destination, s);
            Row<TOps, TV>(r10, r11, r12, r13, destination + (4 * s), s);
            Row<TOps, TV>(r20, r21, r22, r23, destination + (8 * s), s);
            Row<TOps, TV>(r30, r31, r32, r33, destination + (12 * s), s);
        }

        return channel;
    }

    /// <summary>The vector at <paramref name="offset"/>, or zeros for a pixel outside the input (-1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TV Load<TOps, TV>(float* x, int offset)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
        => offset < 0 ? TOps.Zero : TOps.Load(x + offset);

    /// <summary>One row of Bᵀ·d times B: four positions, <paramref name="v"/> onwards, <paramref name="stride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Row<TOps, TV>(TV c0, TV c1, TV c2, TV c3, float* v, nint stride)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        TOps.Store(v, TOps.Subtract(c0, c2));
        TOps.Store(v + stride, TOps.Add(c1, c2));
        TOps.Store(v + (2 * stride), TOps.Subtract(c2, c1));
        TOps.Store(v + (3 * stride), TOps.Subtract(c1, c3));
    }

    /// <summary>Aᵀ·m·A of tile <paramref name="index"/> plus the bias into the 2×2 outputs at (row, column) (those inside
    /// the output), and their ReLU into <paramref name="relu"/> unless it is null.</summary>
    private static unsafe void OutputTile(float* m, float* z, float* relu, float* bias, in ConvGeometry g, int image, int row, int column, int index)
    {
        int cout = g.OutChannels;
        Span<int> at = stackalloc int[4];
        for (int r = 0; r < 2; r++)
        {
            for (int c = 0; c < 2; c++)
            {
                at[(2 * r) + c] = row + r < g.OutHeight && column + c < g.OutWidth
                    ? (((image * g.OutHeight) + row + r) * g.OutWidth + column + c) * cout
                    : -1;
            }
        }

        float* source = m + ((nint)index * Positions * cout);

        // 0: z only; 1: z and its ReLU; 2: the ReLU in place of z (one store instead of two to the same address).
        int mode = relu == null ? 0 : relu == z ? 2 : 1;
        int channel = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            channel = OutputChannels<Avx512Ops, Vector512<float>>(source, cout, at, z, relu, mode, bias, channel, cout);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            channel = OutputChannels<Avx2Ops, Vector256<float>>(source, cout, at, z, relu, mode, bias, channel, cout);
        }

        OutputChannels<ScalarOps, float>(source, cout, at, z, relu, mode, bias, channel, cout);
    }

    private static unsafe int OutputChannels<TOps, TV>(float* m, int stride, ReadOnlySpan<int> at, float* z, float* relu, int mode,
        float* bias, int channel, int channels)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        int p0 = at[0], p1 = at[1], p2 = at[2], p3 = at[3];
        nint s = stride;
        for (; channel + TOps.Count <= channels; channel += TOps.Count)
        {
            // Aᵀ·m down the columns, Aᵀ = [1 1 1 0; 0 1 −1 −1] ...
            float* c = m + channel;
            var (u0, w0) = Column<TOps, TV>(c, s);
            var (u1, w1) = Column<TOps, TV>(c + s, s);
            var (u2, w2) = Column<TOps, TV>(c + (2 * s), s);
            var (u3, w3) = Column<TOps, TV>(c + (3 * s), s);

            // ... then ·A along the rows, plus the bias.
            TV offset = bias != null ? TOps.Load(bias + channel) : TOps.Zero;
            Put<TOps, TV>(TOps.Add(TOps.Add(TOps.Add(u0, u1), u2), offset), p0, channel, z, relu, mode);
            Put<TOps, TV>(TOps.Add(TOps.Subtract(TOps.Subtract(u1, u2), u3), offset), p1, channel, z, relu, mode);
            Put<TOps, TV>(TOps.Add(TOps.Add(TOps.Add(w0, w1), w2), offset), p2, channel, z, relu, mode);
            Put<TOps, TV>(TOps.Add(TOps.Subtract(TOps.Subtract(w1, w2), w3), offset), p3, channel, z, relu, mode);
        }

        return channel;
    }

    /// <summary>A column of Aᵀ·m, from its first position <paramref name="m"/>: (m0j + m1j + m2j, m1j − m2j − m3j).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (TV Top, TV Bottom) Column<TOps, TV>(float* m, nint stride)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        TV m0 = TOps.Load(m), m1 = TOps.Load(m + (4 * stride)), m2 = TOps.Load(m + (8 * stride)), m3 = TOps.Load(m + (12 * stride));
        return (TOps.Add(TOps.Add(m0, m1), m2), TOps.Subtract(TOps.Subtract(m1, m2), m3));
    }

    /// <summary>Writes one output pixel's channels (and their ReLU, beside them or in their place), unless it lies
    /// outside the output (-1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put<TOps, TV>(TV value, int position, int channel, float* z, float* relu, int mode)
        where TOps : ISimdOps<TV>
        where TV : unmanaged
    {
        if (position >= 0)
        {
            TOps.Store(z + position + channel, mode == 2 ? TOps.Max(value, TOps.Zero) : value);
            if (mode == 1)
            {
                TOps.Store(relu + position + channel, TOps.Max(value, TOps.Zero));
            }
        }
    }
}
