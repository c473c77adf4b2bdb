using System;
using System.Collections.Generic;

namespace Unrolled;

/// <summary>
/// Keras's <c>sample_weight</c> and <c>class_weight</c> for one <c>Fit</c> or <c>Evaluate</c>: a weight per sample (the
/// same for every output, and for each row of a sequence output), or a weight per class of the single output's targets
/// (the row's arg-max, or its class index, as Keras's <c>class_weight_to_sample_weights</c>; a class not listed weighs 1).
/// Losses are then reduced as Keras reduces them: the weighted sum over the rows divided by the rows (with a mask, by
/// the kept rows). Metrics are not weighted (Keras's <c>metrics</c>, unlike its <c>weighted_metrics</c>).
/// </summary>
internal sealed class SampleWeighting
{
    private readonly float[]? _samples;
    private readonly IReadOnlyDictionary<int, float>? _classes;
    private float[] _batch = [];
    private float[] _rows = [];

    private SampleWeighting(float[]? samples, IReadOnlyDictionary<int, float>? classes)
    {
        _samples = samples;
        _classes = classes;
    }

    /// <summary>Checks the arguments (before anything trains) and returns the weighting, or null for none.</summary>
    public static SampleWeighting? Create(float[]? sampleWeight, IReadOnlyDictionary<int, float>? classWeight, int samples, CompiledTraining compiled,
        ModelDescription description, string name = "sampleWeight")
    {
        if (sampleWeight is not null && classWeight is not null)
        {
            throw new ArgumentException("Pass sampleWeight or classWeight, not both (Keras refuses both too).", nameof(classWeight));
        }

        if (sampleWeight is not null)
        {
            if (sampleWeight.Length != samples)
            {
                throw new ArgumentException($"{name} holds {sampleWeight.Length} weights but the arrays hold {samples} samples: one weight per sample.",
                    name);
            }

            for (int i = 0; i < sampleWeight.Length; i++)
            {
                if (!(sampleWeight[i] >= 0) || !float.IsFinite(sampleWeight[i]))
                {
                    throw new ArgumentException($"{name}[{i}] is {sampleWeight[i]}; a weight must be finite and ≥ 0.", name);
                }
            }

            return new SampleWeighting(sampleWeight, null);
        }

        if (classWeight is null)
        {
            return null;
        }

        int withLoss = 0;
        foreach (var loss in compiled.Losses)
        {
            withLoss += loss is null ? 0 : 1;
        }

        if (withLoss != 1)
        {
            throw new ArgumentException(
                $"classWeight weighs the classes of one output, but model '{description.Name}' trains {withLoss} outputs; pass sampleWeight instead " +
                "(Keras supports class_weight for single-output models only).", nameof(classWeight));
        }

        foreach (var (cls, weight) in classWeight)
        {
            if (cls < 0 || !(weight >= 0) || !float.IsFinite(weight))
            {
                throw new ArgumentException($"classWeight[{cls}] = {weight}: classes are ≥ 0 and weights finite and ≥ 0.", nameof(classWeight));
            }
        }

        return new SampleWeighting(null, classWeight);
    }

    /// <summary>Whether weights come per class (from the targets) rather than per sample.</summary>
    public bool ByClass => _classes is not null;

    /// <summary>Takes the weights of a batch's samples, by their indices in the data.</summary>
    public void Gather(ReadOnlySpan<int> samples)
    {
        if (_samples is null)
        {
            return;
        }

        Grow(ref _batch, samples.Length);
        for (int s = 0; s < samples.Length; s++)
        {
            _batch[s] = _samples[samples[s]];
        }
    }

    /// <summary>Takes the weights of samples [start, start + count).</summary>
    public void Gather(int start, int count)
    {
        if (_samples is null)
        {
            return;
        }

        Grow(ref _batch, count);
        _samples.AsSpan(start, count).CopyTo(_batch);
    }

    /// <summary>
    /// Each row's weight for one output's loss in the current batch (the mask folded in), and what Keras divides the
    /// weighted sum by.
    /// </summary>
    public (ReadOnlyMemory<float> Weights, double Denominator) Rows(int rows, int rowsPerSample, ReadOnlySpan<float> targets, int columns,
        bool sparse, ReadOnlySpan<float> mask)
    {
        Grow(ref _rows, rows);
        int targetWidth = rows == 0 ? 0 : targets.Length / rows;
        double kept = 0;
        for (int r = 0; r < rows; r++)
        {
            float weight = _classes is null ? _batch[r / rowsPerSample] : ClassWeight(targets.Slice(r * targetWidth, targetWidth), columns, sparse);
            if (!mask.IsEmpty)
            {
                bool keep = mask[r] >= 0.5f;
                kept += keep ? 1 : 0;
                weight = keep ? weight : 0;
            }

            _rows[r] = weight;
        }

        return (_rows.AsMemory(0, rows), mask.IsEmpty ? rows : kept + Loss.Epsilon);
    }

    /// <summary>Keras's rule: the arg-max of a one-hot row, else the rounded value (a class index or a 0/1 label).</summary>
    private float ClassWeight(ReadOnlySpan<float> target, int columns, bool sparse)
    {
        int cls;
        if (!sparse && target.Length > 1)
        {
            cls = 0;
            for (int c = 1; c < target.Length; c++)
            {
                cls = target[c] > target[cls] ? c : cls;
            }
        }
        else
        {
            cls = (int)Math.Round(target[0], MidpointRounding.ToEven);
        }

        return _classes!.TryGetValue(cls, out float weight) ? weight : 1f;
    }

    private static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
    }
}
