using System;
using System.Threading;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// A hand-written stand-in for generated code: inputs "a" [3] and "b" [2] are concatenated to x [5], then two dense
/// heads: "class" = act1(x·W1 + b1) [3] and "flag" = act2(x·W2 + b2) [1]. Forward and backward are plain loops so the
/// training tests do not depend on the kernels under test elsewhere. Supports Linear, Sigmoid and Softmax heads.
/// </summary>
internal sealed class TwoInputModel : CompiledModel
{
    public const int ASize = 3, BSize = 2, XSize = 5, Classes = 3;
    private const int AOffset = 0, BOffset = 3, XOffset = 5, ClassOffset = 10, FlagOffset = 13;
    private const int W1 = 0, B1 = 15, W2 = 18, B2 = 23, ParameterCount = 24;
    private readonly Activation _classActivation;
    private readonly Activation _flagActivation;

    public TwoInputModel(Activation classActivation = Activation.Softmax, Activation flagActivation = Activation.Sigmoid, int seed = 1)
        : base(Describe(classActivation, flagActivation), seed)
    {
        _classActivation = classActivation;
        _flagActivation = flagActivation;
    }

    /// <summary>Called at the start of every forward pass (lets a test pause a running Fit).</summary>
    public Action? OnForward { get; set; }

    public int ForwardCalls => Volatile.Read(ref _forwardCalls);

    private int _forwardCalls;

    public static ModelDescription Describe(Activation classActivation, Activation flagActivation) => new(
        "two_input",
        [new TensorInfo("a", [ASize], DType.Float32, AOffset), new TensorInfo("b", [BSize], DType.Float32, BOffset)],
        [new TensorInfo("class", [Classes], DType.Float32, ClassOffset, classActivation),
         new TensorInfo("flag", [1], DType.Float32, FlagOffset, flagActivation)],
        ParameterCount, activationSize: 14, scratchSize: 0, summary: "two_input",
        weights: [new WeightInfo("class", "kernel", [XSize, Classes], W1), new WeightInfo("class", "bias", [Classes], B1),
                  new WeightInfo("flag", "kernel", [XSize, 1], W2), new WeightInfo("flag", "bias", [1], B2)]);

    /// <summary>What generated <c>TrainOnBatch</c> looks like.</summary>
    public float TrainOnBatch(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> classTarget,
        ReadOnlySpan<float> flagTarget, int batchSize)
    {
        CheckLength(a.Length, batchSize, ASize, "a", nameof(a));
        CheckLength(b.Length, batchSize, BSize, "b", nameof(b));
        var ws = AcquireTrainingWorkspace(batchSize);
        try
        {
            SetTarget(ws, 0, classTarget, batchSize, nameof(classTarget));
            SetTarget(ws, 1, flagTarget, batchSize, nameof(flagTarget));
            a.CopyTo(ws.Values(AOffset, batchSize * ASize));
            b.CopyTo(ws.Values(BOffset, batchSize * BSize));
            return TrainStep(ws, batchSize);
        }
        finally
        {
            ReleaseWorkspace(ws);
        }
    }

    protected override void InitializeWeights(Span<float> weights, ref WeightInitializer initializer)
    {
        initializer.GlorotUniform(weights.Slice(W1, XSize * Classes), XSize, Classes);
        initializer.Zeros(weights.Slice(B1, Classes));
        initializer.GlorotUniform(weights.Slice(W2, XSize), XSize, 1);
        initializer.Zeros(weights.Slice(B2, 1));
    }

    protected override void Forward(Workspace ws, int batch, bool training)
    {
        Interlocked.Increment(ref _forwardCalls);
        OnForward?.Invoke();
        Span<float> a = ws.Values(AOffset, batch * ASize), b = ws.Values(BOffset, batch * BSize), x = ws.Values(XOffset, batch * XSize);
        Span<float> cls = ws.Values(ClassOffset, batch * Classes), flag = ws.Values(FlagOffset, batch);
        ReadOnlySpan<float> w = Weights;
        for (int s = 0; s < batch; s++)
        {
            a.Slice(s * ASize, ASize).CopyTo(x.Slice(s * XSize));
            b.Slice(s * BSize, BSize).CopyTo(x.Slice((s * XSize) + ASize));
            Dense(x.Slice(s * XSize, XSize), w, W1, B1, Classes, cls.Slice(s * Classes, Classes));
            Dense(x.Slice(s * XSize, XSize), w, W2, B2, 1, flag.Slice(s, 1));
            Activate(_classActivation, cls.Slice(s * Classes, Classes));
            Activate(_flagActivation, flag.Slice(s, 1));
        }
    }

    protected override void Backward(Workspace ws, int batch)
    {
        Span<float> x = ws.Values(XOffset, batch * XSize), dx = ws.Gradient(XOffset, batch * XSize);
        Span<float> cls = ws.Values(ClassOffset, batch * Classes), flag = ws.Values(FlagOffset, batch);
        Span<float> dcls = ws.Gradient(ClassOffset, batch * Classes), dflag = ws.Gradient(FlagOffset, batch);
        Span<float> g = ws.ParameterGradients;
        ReadOnlySpan<float> w = Weights;
        for (int s = 0; s < batch; s++)
        {
            if (!ws.OutputGradientIsPreActivation[0])
            {
                Deactivate(_classActivation, cls.Slice(s * Classes, Classes), dcls.Slice(s * Classes, Classes));
            }

            if (!ws.OutputGradientIsPreActivation[1])
            {
                Deactivate(_flagActivation, flag.Slice(s, 1), dflag.Slice(s, 1));
            }

            DenseBackward(x.Slice(s * XSize, XSize), dcls.Slice(s * Classes, Classes), w, g, W1, B1, Classes, dx.Slice(s * XSize, XSize));
            DenseBackward(x.Slice(s * XSize, XSize), dflag.Slice(s, 1), w, g, W2, B2, 1, dx.Slice(s * XSize, XSize));
        }
    }

    private static void Dense(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int kernel, int bias, int units, Span<float> y)
    {
        for (int u = 0; u < units; u++)
        {
            float sum = w[bias + u];
            for (int i = 0; i < x.Length; i++)
            {
                sum += x[i] * w[kernel + (i * units) + u];
            }

            y[u] = sum;
        }
    }

    private static void DenseBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> g,
        int kernel, int bias, int units, Span<float> dx)
    {
        for (int u = 0; u < units; u++)
        {
            g[bias + u] += dy[u];
            for (int i = 0; i < x.Length; i++)
            {
                g[kernel + (i * units) + u] += x[i] * dy[u];
                dx[i] += w[kernel + (i * units) + u] * dy[u];
            }
        }
    }

    internal static void Activate(Activation activation, Span<float> z)
    {
        switch (activation)
        {
            case Activation.Sigmoid:
                for (int i = 0; i < z.Length; i++)
                {
                    z[i] = (float)(1 / (1 + Math.Exp(-z[i])));
                }

                break;
            case Activation.Softmax:
                double max = double.NegativeInfinity, sum = 0;
                foreach (float v in z)
                {
                    max = Math.Max(max, v);
                }

                for (int i = 0; i < z.Length; i++)
                {
                    sum += Math.Exp(z[i] - max);
                }

                for (int i = 0; i < z.Length; i++)
                {
                    z[i] = (float)(Math.Exp(z[i] - max) / sum);
                }

                break;
            case Activation.Linear:
                break;
            default:
                throw new NotSupportedException(activation.ToString());
        }
    }

    private static void Deactivate(Activation activation, ReadOnlySpan<float> y, Span<float> dy)
    {
        switch (activation)
        {
            case Activation.Sigmoid:
                for (int i = 0; i < y.Length; i++)
                {
                    dy[i] *= y[i] * (1 - y[i]);
                }

                break;
            case Activation.Softmax:
                float dot = 0;
                for (int i = 0; i < y.Length; i++)
                {
                    dot += y[i] * dy[i];
                }

                for (int i = 0; i < y.Length; i++)
                {
                    dy[i] = y[i] * (dy[i] - dot);
                }

                break;
        }
    }
}

/// <summary>A one-input, one-output linear regression y = x·w + b with x [2], hand-written like <see cref="TwoInputModel"/>.</summary>
internal sealed class LineModel : CompiledModel
{
    public LineModel(Activation activation = Activation.Linear, int seed = 3)
        : base(new ModelDescription("line", [new TensorInfo("x", [2], DType.Float32, 0)],
            [new TensorInfo("y", [1], DType.Float32, 2, activation)], 3, 3, 0, "line",
            weights: [new WeightInfo("dense", "kernel", [2, 1], 0), new WeightInfo("dense", "bias", [1], 2)]), seed)
    {
        Activation = activation;
    }

    public Activation Activation { get; }

    protected override void InitializeWeights(Span<float> weights, ref WeightInitializer initializer)
    {
        initializer.GlorotUniform(weights[..2], 2, 1);
        initializer.Zeros(weights[2..]);
    }

    protected override void Forward(Workspace ws, int batch, bool training)
    {
        Span<float> x = ws.Values(0, batch * 2), y = ws.Values(2, batch);
        for (int s = 0; s < batch; s++)
        {
            y[s] = (x[2 * s] * Weights[0]) + (x[(2 * s) + 1] * Weights[1]) + Weights[2];
            TwoInputModel.Activate(Activation, y.Slice(s, 1));
        }
    }

    protected override void Backward(Workspace ws, int batch)
    {
        Span<float> x = ws.Values(0, batch * 2), y = ws.Values(2, batch), dy = ws.Gradient(2, batch);
        for (int s = 0; s < batch; s++)
        {
            float d = dy[s];
            if (Activation == Activation.Sigmoid && !ws.OutputGradientIsPreActivation[0])
            {
                d *= y[s] * (1 - y[s]);
            }

            ws.ParameterGradients[0] += x[2 * s] * d;
            ws.ParameterGradients[1] += x[(2 * s) + 1] * d;
            ws.ParameterGradients[2] += d;
        }
    }
}
