using System;

namespace Unrolled;

/// <summary>
/// Where a model's inputs and outputs lie in a <see cref="Workspace"/>, and how large the workspace must be, for the
/// current values of its run-time lengths (<see cref="ModelDescription.Lengths"/>). A model without run-time lengths has
/// one fixed layout. Generated code fills it (see <see cref="CompiledModel.Measure"/>); users normally never see it.
/// </summary>
public sealed class WorkspaceLayout
{
    private readonly int[] _lengths;
    private readonly int[] _inputOffsets;
    private readonly int[] _inputSizes;
    private readonly int[] _outputOffsets;
    private readonly int[] _outputSizes;
    private readonly int[] _outputMaskOffsets;

    internal WorkspaceLayout(ModelDescription description)
    {
        _lengths = new int[description.Lengths.Count];
        _inputOffsets = new int[description.Inputs.Count];
        _inputSizes = new int[description.Inputs.Count];
        _outputOffsets = new int[description.Outputs.Count];
        _outputSizes = new int[description.Outputs.Count];
        _outputMaskOffsets = new int[description.Outputs.Count];
        for (int j = 0; j < _outputMaskOffsets.Length; j++)
        {
            _outputMaskOffsets[j] = description.Outputs[j].MaskOffset;
        }
        if (!description.IsDynamic)
        {
            for (int i = 0; i < _inputSizes.Length; i++)
            {
                _inputOffsets[i] = description.Inputs[i].Offset;
                _inputSizes[i] = description.Inputs[i].Size;
            }

            for (int j = 0; j < _outputSizes.Length; j++)
            {
                _outputOffsets[j] = description.Outputs[j].Offset;
                _outputSizes[j] = description.Outputs[j].Size;
            }

            ActivationSize = description.ActivationSize;
            PredictActivationSize = description.PredictActivationSize;
            GradientActivationSize = description.GradientActivationSize;
            ScratchSize = description.ScratchSize;
            IsMeasured = true;
        }
    }

    /// <summary>The run-time lengths this layout is for, in the order of <see cref="ModelDescription.Lengths"/>.</summary>
    public ReadOnlySpan<int> Lengths => _lengths;

    /// <summary>Floats per sample of the activation buffer.</summary>
    public int ActivationSize { get; set; }

    /// <summary>Floats per sample of a prediction workspace's activation buffer (regions reused once read).</summary>
    public int PredictActivationSize { get; set; }

    /// <summary>Floats per sample of a training workspace's gradient buffer (the reuse of a prediction's layout, with every
    /// region training keeps).</summary>
    public int GradientActivationSize { get; set; }

    /// <summary>Floats per sample of the scratch buffer (room for convolution and recurrent kernels).</summary>
    public int ScratchSize { get; set; }

    /// <summary>Per input: its offset in the activation buffer, in floats per sample.</summary>
    public Span<int> InputOffsets => _inputOffsets;

    /// <summary>Per input: floats per sample.</summary>
    public Span<int> InputSizes => _inputSizes;

    /// <summary>Per output: its offset in the activation buffer, in floats per sample.</summary>
    public Span<int> OutputOffsets => _outputOffsets;

    /// <summary>Per output: floats per sample.</summary>
    public Span<int> OutputSizes => _outputSizes;

    internal int[] LengthArray => _lengths;

    /// <summary>Whether the sizes are those of <see cref="Lengths"/> (false before the first lengths are given).</summary>
    internal bool IsMeasured { get; set; }

    internal int InputOffset(int input) => _inputOffsets[input];

    internal int InputSize(int input) => _inputSizes[input];

    /// <summary>Where each output's Keras mask starts, in floats per sample, or -1 for an output without one; generated
    /// code sets them for a model whose sizes depend on run-time lengths.</summary>
    public Span<int> OutputMaskOffsets => _outputMaskOffsets;

    internal int OutputMaskOffset(int output) => _outputMaskOffsets[output];

    internal int OutputOffset(int output) => _outputOffsets[output];

    internal int OutputSize(int output) => _outputSizes[output];
}
