using System;

namespace Unrolled;

public abstract partial class CompiledModel
{
    /// <summary>
    /// Runs this model as a custom loss's graph (inputs <c>y_true</c> and <c>y_pred</c>, output the loss values) on
    /// <paramref name="samples"/> samples: writes the loss values to <paramref name="values"/>, and unless
    /// <paramref name="gradient"/> is empty, the gradient with respect to the predictions of Σ upstream·values.
    /// The workspace grows to the largest batch seen and is then reused, so a steady run allocates nothing.
    /// </summary>
    internal void RunLossGraph(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, int samples, Span<float> values,
        ReadOnlySpan<float> upstream, Span<float> gradient)
    {
        var current = _trainingWorkspace;
        if (current is null || current.Capacity < samples)
        {
            _trainingWorkspace = current = NewWorkspace(current, samples,
                new(_layout.ActivationSize, _layout.ScratchSize, _layout.GradientActivationSize, 0), training: true, _randomSeed);
        }

        int size = _layout.InputSize(1);
        int count = samples * size;
        targets[..count].CopyTo(current.Values(_layout.InputOffset(0), count));
        predictions[..count].CopyTo(current.Values(_layout.InputOffset(1), count));
        Forward(current, samples, training: true);
        int results = samples * _layout.OutputSize(0);
        current.Values(_layout.OutputOffset(0), results).CopyTo(values);
        if (gradient.IsEmpty)
        {
            return;
        }

        current.OutputGradientIsPreActivation[0] = false;
        upstream[..results].CopyTo(current.Gradient(_layout.OutputOffset(0), results));
        Backward(current, samples);

        // The inputs lie at the same offsets in both layouts, so the prediction's gradient is at its value's offset.
        current.Gradient(_layout.InputOffset(1), count).CopyTo(gradient);
    }

    /// <summary>Floats per sample of a loss graph's output: the loss values of one sample.</summary>
    internal int LossGraphValues => _layout.OutputSize(0);
}
