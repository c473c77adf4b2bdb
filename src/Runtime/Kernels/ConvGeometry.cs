using System;
using System.ComponentModel;

namespace Unrolled.Kernels;

/// <summary>
/// Geometry of a 2-D convolution or pooling window over channels-last tensors ([batch, height, width, channels]).
/// Output pixel (oy, ox) and tap (ky, kx) read input pixel iy = oy·StrideHeight − PadTop + ky·DilationHeight (ix
/// likewise); a pixel outside the input is zero padding for a convolution and ignored by pooling. A 1-D operation
/// uses InHeight = OutHeight = KernelHeight = StrideHeight = DilationHeight = 1 and PadTop = 0.
/// </summary>
/// <param name="InHeight">Input rows.</param>
/// <param name="InWidth">Input columns.</param>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutHeight">Output rows.</param>
/// <param name="OutWidth">Output columns.</param>
/// <param name="OutChannels">Output channels (filters; the input's channels for pooling; channels × multiplier for a
/// depthwise convolution).</param>
/// <param name="KernelHeight">Window rows (the pool size for pooling).</param>
/// <param name="KernelWidth">Window columns.</param>
/// <param name="StrideHeight">Step between output rows, in input rows.</param>
/// <param name="StrideWidth">Step between output columns, in input columns.</param>
/// <param name="DilationHeight">Step between window rows, in input rows.</param>
/// <param name="DilationWidth">Step between window columns, in input columns.</param>
/// <param name="PadTop">Padding rows above the input (the rest of the padding goes below).</param>
/// <param name="PadLeft">Padding columns left of the input (the rest goes on the right).</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct ConvGeometry(
    int InHeight, int InWidth, int InChannels,
    int OutHeight, int OutWidth, int OutChannels,
    int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth,
    int DilationHeight, int DilationWidth,
    int PadTop, int PadLeft)
{
    /// <summary>
    /// Keras's (TensorFlow's) output length along one axis: ⌈input / stride⌉ for <c>padding="same"</c>, otherwise
    /// ⌊(input − (kernel − 1)·dilation − 1) / stride⌋ + 1, or 0 when the dilated window is longer than the input.
    /// </summary>
    /// <param name="input">Input length.</param>
    /// <param name="kernel">Window length.</param>
    /// <param name="stride">Stride.</param>
    /// <param name="dilation">Dilation rate.</param>
    /// <param name="same">True for <c>padding="same"</c>, false for <c>"valid"</c>.</param>
    /// <returns>The output length.</returns>
    public static int OutputLength(int input, int kernel, int stride, int dilation, bool same)
    {
        if (input < 0 || kernel < 1 || stride < 1 || dilation < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(input),
                $"Invalid window: input {input}, kernel {kernel}, stride {stride}, dilation {dilation}.");
        }

        if (same)
        {
            return (input + stride - 1) / stride;
        }

        int span = ((kernel - 1) * dilation) + 1;
        return input < span ? 0 : ((input - span) / stride) + 1;
    }

    /// <summary>
    /// Padding before the input along one axis, as TensorFlow's SAME padding places it: the total
    /// max((output − 1)·stride + (kernel − 1)·dilation + 1 − input, 0), halved and rounded down, so an odd extra
    /// pixel goes after. Gives 0 for valid padding's output length.
    /// </summary>
    /// <param name="input">Input length.</param>
    /// <param name="output">Output length (from <see cref="OutputLength"/>).</param>
    /// <param name="kernel">Window length.</param>
    /// <param name="stride">Stride.</param>
    /// <param name="dilation">Dilation rate.</param>
    /// <returns>The padding before the first input element.</returns>
    public static int PadBefore(int input, int output, int kernel, int stride, int dilation)
        => Math.Max(((output - 1) * stride) + ((kernel - 1) * dilation) + 1 - input, 0) / 2;

    /// <summary>Floats in one sample of the input.</summary>
    internal int InputSize => checked(InHeight * InWidth * InChannels);

    /// <summary>Floats in one sample of the output.</summary>
    internal int OutputSize => checked(OutHeight * OutWidth * OutChannels);

    /// <summary>Output pixels per sample.</summary>
    internal int OutputPixels => checked(OutHeight * OutWidth);

    /// <summary>Taps in the window times input channels: one im2col row, one kernel matrix's rows.</summary>
    internal int PatchSize => checked(KernelHeight * KernelWidth * InChannels);

    /// <summary>
    /// The taps of a window that land inside the input along one axis: taps k in [First, End) have
    /// 0 ≤ start + k·dilation &lt; length. Empty (First == End) when none does.
    /// </summary>
    /// <param name="start">Input position of tap 0 (output position × stride − pad before).</param>
    /// <param name="dilation">Step between taps.</param>
    /// <param name="taps">Window length.</param>
    /// <param name="length">Input length.</param>
    internal static (int First, int End) InRange(int start, int dilation, int taps, int length)
    {
        int first = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
        int end = start >= length ? 0 : Math.Min(taps, (length - start + dilation - 1) / dilation);
        return first < end ? (first, end) : (0, 0);
    }

    /// <summary>Checks that every size is positive (pads may be any non-negative value).</summary>
    internal void Validate()
    {
        if (InHeight < 1 || InWidth < 1 || InChannels < 1 || OutHeight < 0 || OutWidth < 0 || OutChannels < 1
            || KernelHeight < 1 || KernelWidth < 1 || StrideHeight < 1 || StrideWidth < 1
            || DilationHeight < 1 || DilationWidth < 1 || PadTop < 0 || PadLeft < 0)
        {
            throw new ArgumentOutOfRangeException("g", $"Invalid convolution geometry: {this}.");
        }
    }
}
