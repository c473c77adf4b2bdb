using System;
using System.Collections.Generic;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// The recurrent kernels against a per-step reference in double written straight from Keras's cell formulas, and
/// their backward passes against central differences of a scalar loss through that reference.
/// </summary>
public class RecurrentKernelTests
{
    public enum Cell
    {
        Lstm,
        Gru,
        GruResetBefore,
        SimpleRnn,
    }

    public static IEnumerable<object[]> Cases()
    {
        // batch, steps, inputSize, units, returnSequences, bias, return_state
        object[][] shapes =
        [
            [3, 1, 2, 3, false, true, true],
            [3, 1, 2, 3, true, false, false],
            [2, 4, 3, 3, true, true, true],
            [2, 5, 3, 4, false, false, false],
            [3, 3, 4, 2, true, false, true],
            [1, 6, 2, 5, false, true, true],
            [4, 7, 9, 17, true, true, true], // sizes off every vector width and tile edge
            [3, 5, 4, 24, false, true, true], // a 16-wide vector, then an 8-wide one
        ];
        foreach (Cell cell in Enum.GetValues<Cell>())
        {
            foreach (object[] shape in shapes)
            {
                yield return [cell, .. shape];
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesKerasFormulas(Cell cell, int batch, int steps, int input, int units, bool sequences, bool bias, bool state)
    {
        var s = new Setup(cell, batch, steps, input, units, sequences, bias, state);
        var run = s.Forward();
        var reference = s.Reference(KernelCheck.ToDouble(s.X), KernelCheck.ToDouble(s.Kernel), KernelCheck.ToDouble(s.RecurrentKernel),
            KernelCheck.ToDouble(s.Bias));
        KernelCheck.Close(reference.Y, run.Y, 2e-6, 2e-5, "y");
        KernelCheck.Close(reference.H, run.H, 2e-6, 2e-5, "lastH");
        KernelCheck.Close(reference.C, run.C, 2e-6, 2e-5, "lastC");
        if (!sequences && state)
        {
            Assert.Equal(run.Y, run.H); // the output is the last h
        }
    }

    /// <summary>
    /// The folded forward passes (ids into a table holding each id's input projection) against the same reference on
    /// x = the embedded ids: the fold must add the right bias (GRU: only the input row) and the time-major LSTM layout
    /// must put every output where the batch-major one does.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void FoldedForwardMatchesKerasFormulas(Cell cell, int batch, int steps, int input, int units, bool sequences, bool bias, bool state)
    {
        var s = new Setup(cell, batch, steps, input, units, sequences, bias, state);
        const int vocabulary = 7;
        float[] embeddings = KernelCheck.Random(vocabulary * input, 41);
        float[] ids = new float[batch * steps];
        float[] x = new float[batch * steps * input];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = (i * 5 + 3) % vocabulary;
            embeddings.AsSpan((int)ids[i] * input, input).CopyTo(x.AsSpan(i * input, input));
        }

        int width = s.Gates * units;
        float[] folded = new float[vocabulary * width];
        Recurrent.Fold(embeddings, s.Kernel, s.Bias.AsSpan(0, s.Bias.Length == 0 ? 0 : width), folded, vocabulary, input, width);
        var run = new Run(new float[s.YLength], new float[state ? batch * units : 0], new float[state && cell == Cell.Lstm ? batch * units : 0],
            new float[batch * steps * s.CacheSlot], new float[batch * steps * 4 * units]);
        Array.Fill(run.Y, float.NaN);
        switch (cell)
        {
            case Cell.Lstm:
                Recurrent.LstmForwardFolded(ids, folded, vocabulary, s.RecurrentKernel, run.Y, run.H, run.C, run.Cache, run.Scratch, batch, steps, units, sequences);
                break;
            case Cell.SimpleRnn:
                Recurrent.SimpleRnnForwardFolded(ids, folded, vocabulary, s.RecurrentKernel, run.Y, run.H, run.Cache, run.Scratch, batch, steps, units, sequences);
                break;
            default:
                Recurrent.GruForwardFolded(ids, folded, vocabulary, s.RecurrentKernel, s.Bias, run.Y, run.H, run.Cache, run.Scratch, batch, steps, units,
                    sequences, resetAfter: cell == Cell.Gru);
                break;
        }

        var reference = s.Reference(KernelCheck.ToDouble(x), KernelCheck.ToDouble(s.Kernel), KernelCheck.ToDouble(s.RecurrentKernel),
            KernelCheck.ToDouble(s.Bias));
        KernelCheck.Close(reference.Y, run.Y, 2e-6, 2e-5, "y");
        KernelCheck.Close(reference.H, run.H, 2e-6, 2e-5, "lastH");
        KernelCheck.Close(reference.C, run.C, 2e-6, 2e-5, "lastC");

        // A bad id is refused before anything is written, naming where it is.
        if (cell == Cell.Lstm && ids.Length > 1)
        {
            ids[^1] = vocabulary;
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => Recurrent.LstmForwardFolded(ids, folded, vocabulary, s.RecurrentKernel,
                run.Y, [], [], new float[batch * steps * 6 * units], new float[batch * steps * 4 * units], batch, steps, units, sequences));
            Assert.Contains($"sample {batch - 1}, position {steps - 1}", error.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardMatchesFiniteDifferences(Cell cell, int batch, int steps, int input, int units, bool sequences, bool bias, bool state)
    {
        var s = new Setup(cell, batch, steps, input, units, sequences, bias, state);
        var run = s.Forward();

        // Start every gradient at arbitrary values: the kernels must add to them.
        var grads = new Gradients(s, prefill: true);
        s.Backward(run.Cache, grads);
        grads.SubtractPrefill();

        double[] x = KernelCheck.ToDouble(s.X), w = KernelCheck.ToDouble(s.Kernel), u = KernelCheck.ToDouble(s.RecurrentKernel),
            b = KernelCheck.ToDouble(s.Bias);
        double Loss() => s.Loss(s.Reference(x, w, u, b));
        const double absolute = 1e-4, relative = 1e-3;
        KernelCheck.Close(KernelCheck.NumericGradient(x, Loss), grads.Dx, absolute, relative, "dx");
        KernelCheck.Close(KernelCheck.NumericGradient(w, Loss), grads.DKernel, absolute, relative, "dKernel");
        KernelCheck.Close(KernelCheck.NumericGradient(u, Loss), grads.DRecurrentKernel, absolute, relative, "dRecurrentKernel");
        KernelCheck.Close(KernelCheck.NumericGradient(b, Loss), grads.DBias, absolute, relative, "dBias");
    }

    public static IEnumerable<object[]> InitialStateCases()
    {
        // batch, steps, inputSize, units, returnSequences, bias, return_state, goBackwards
        object[][] shapes =
        [
            [2, 1, 2, 3, false, true, true, false],
            [2, 4, 3, 3, true, true, true, false],
            [3, 5, 4, 2, true, false, false, true],
            [2, 0, 3, 4, false, true, true, false], // no step: the initial state is the output
            [3, 6, 9, 17, false, true, true, true],
        ];
        foreach (Cell cell in Enum.GetValues<Cell>())
        {
            foreach (object[] shape in shapes)
            {
                yield return [cell, .. shape];
            }
        }
    }

    /// <summary>
    /// Keras's <c>initial_state</c>: the recurrence starts from given h (and LSTM's c) instead of zeros, forwards and
    /// backwards, batch-major and folded; the states' gradients, and every other, against central differences.
    /// </summary>
    [Theory]
    [MemberData(nameof(InitialStateCases))]
    public void InitialStateMatchesKerasFormulasAndFiniteDifferences(Cell cell, int batch, int steps, int input, int units, bool sequences, bool bias,
        bool state, bool backwards)
    {
        var s = new Setup(cell, batch, steps, input, units, sequences, bias, state, initial: true, backwards: backwards);
        var (run, reference) = AssertMatchesReferenceAndFiniteDifferences(s);

        // The folded (inference) forward pass starts from the same state: x is the table's rows, one id per step.
        if (steps > 0)
        {
            float[] ids = new float[batch * steps];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = i;
            }

            int width = s.Gates * units;
            float[] folded = new float[batch * steps * width];
            Recurrent.Fold(s.X, s.Kernel, s.Bias.AsSpan(0, s.Bias.Length == 0 ? 0 : width), folded, batch * steps, input, width);
            var f = new Run(new float[s.YLength], new float[run.H.Length], new float[run.C.Length], new float[run.Cache.Length], new float[run.Scratch.Length]);
            switch (cell)
            {
                case Cell.Lstm:
                    Recurrent.LstmForwardFolded(ids, folded, ids.Length, s.RecurrentKernel, f.Y, f.H, f.C, f.Cache, f.Scratch, batch, steps, units, sequences,
                        backwards, s.InitialH, s.InitialC);
                    break;
                case Cell.SimpleRnn:
                    Recurrent.SimpleRnnForwardFolded(ids, folded, ids.Length, s.RecurrentKernel, f.Y, f.H, f.Cache, f.Scratch, batch, steps, units, sequences,
                        backwards, s.InitialH);
                    break;
                default:
                    Recurrent.GruForwardFolded(ids, folded, ids.Length, s.RecurrentKernel, s.Bias, f.Y, f.H, f.Cache, f.Scratch, batch, steps, units,
                        sequences, resetAfter: cell == Cell.Gru, backwards, s.InitialH);
                    break;
            }

            KernelCheck.Close(reference.Y, f.Y, 2e-6, 2e-5, "folded y");
            KernelCheck.Close(reference.H, f.H, 2e-6, 2e-5, "folded lastH");
        }
    }

    public static IEnumerable<object[]> DropoutCases()
    {
        // batch, steps, inputSize, units, returnSequences, initial state, goBackwards
        object[][] shapes =
        [
            [2, 4, 3, 3, true, false, false],
            [3, 5, 4, 2, false, true, true],
            [3, 6, 9, 17, true, true, false], // sizes off every vector width
        ];
        foreach (Cell cell in Enum.GetValues<Cell>())
        {
            foreach (object[] shape in shapes)
            {
                yield return [cell, .. shape];
            }
        }
    }

    /// <summary>
    /// Keras's recurrent dropout (implementation 1): every gate reads its own input mask and state mask, the same at every
    /// step, against the reference written from Keras's cell (GRU's blend keeps the undropped h); and the gradients through
    /// those masks against central differences.
    /// </summary>
    [Theory]
    [MemberData(nameof(DropoutCases))]
    public void DropoutMasksMatchKerasFormulasAndFiniteDifferences(Cell cell, int batch, int steps, int input, int units, bool sequences, bool initial,
        bool backwards)
    {
        AssertMatchesReferenceAndFiniteDifferences(new Setup(cell, batch, steps, input, units, sequences, bias: true, state: true, initial, backwards, dropout: true));
    }

    /// <summary>The forward pass against the reference, and every gradient (the initial states' included) against
    /// central differences of the loss through it.</summary>
    private static (Run Run, (double[] Y, double[] H, double[] C) Reference) AssertMatchesReferenceAndFiniteDifferences(Setup s)
    {
        var run = s.Forward();
        double[] x = KernelCheck.ToDouble(s.X), w = KernelCheck.ToDouble(s.Kernel), u = KernelCheck.ToDouble(s.RecurrentKernel),
            b = KernelCheck.ToDouble(s.Bias), h0 = KernelCheck.ToDouble(s.InitialH), c0 = KernelCheck.ToDouble(s.InitialC);
        var reference = s.Reference(x, w, u, b, h0, c0);
        KernelCheck.Close(reference.Y, run.Y, 2e-6, 2e-5, "y");
        KernelCheck.Close(reference.H, run.H, 2e-6, 2e-5, "lastH");
        KernelCheck.Close(reference.C, run.C, 2e-6, 2e-5, "lastC");

        var grads = new Gradients(s, prefill: true);
        s.Backward(run.Cache, grads);
        grads.SubtractPrefill();
        double Loss() => s.Loss(s.Reference(x, w, u, b, h0, c0));
        const double absolute = 1e-4, relative = 1e-3;
        KernelCheck.Close(KernelCheck.NumericGradient(x, Loss), grads.Dx, absolute, relative, "dx");
        KernelCheck.Close(KernelCheck.NumericGradient(w, Loss), grads.DKernel, absolute, relative, "dKernel");
        KernelCheck.Close(KernelCheck.NumericGradient(u, Loss), grads.DRecurrentKernel, absolute, relative, "dRecurrentKernel");
        KernelCheck.Close(KernelCheck.NumericGradient(b, Loss), grads.DBias, absolute, relative, "dBias");
        KernelCheck.Close(KernelCheck.NumericGradient(h0, Loss), grads.DInitialH, absolute, relative, "dInitialH");
        KernelCheck.Close(KernelCheck.NumericGradient(c0, Loss), grads.DInitialC, absolute, relative, "dInitialC");
        return (run, reference);
    }

    [Theory]
    [InlineData(Cell.Lstm)]
    [InlineData(Cell.Gru)]
    [InlineData(Cell.GruResetBefore)]
    [InlineData(Cell.SimpleRnn)]
    public void EmptyGradientsAreSkippedAndTheRestUnchanged(Cell cell)
    {
        var s = new Setup(cell, 3, 4, 5, 6, sequences: true, bias: true, state: true);
        var run = s.Forward();
        var all = new Gradients(s, prefill: false);
        s.Backward(run.Cache, all);
        var some = new Gradients(s, prefill: false) { Dx = [], DRecurrentKernel = [] };
        s.Backward(run.Cache, some);
        Assert.Equal(all.DKernel, some.DKernel);
        Assert.Equal(all.DBias, some.DBias);
    }

    [Theory]
    [InlineData(Cell.Lstm)]
    [InlineData(Cell.Gru)]
    [InlineData(Cell.GruResetBefore)]
    [InlineData(Cell.SimpleRnn)]
    public void NoStepsGiveTheZeroState(Cell cell)
    {
        var s = new Setup(cell, 2, 0, 3, 4, sequences: false, bias: true, state: true);
        var run = s.Forward();
        Assert.All(run.Y, v => Assert.Equal(0f, v));
        Assert.All(run.H, v => Assert.Equal(0f, v));
        var grads = new Gradients(s, prefill: false);
        s.Backward(run.Cache, grads);
        Assert.All(grads.DKernel, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(Cell.Lstm)]
    [InlineData(Cell.Gru)]
    [InlineData(Cell.GruResetBefore)]
    [InlineData(Cell.SimpleRnn)]
    public void ForwardAndBackwardAllocateNothing(Cell cell)
    {
        var s = new Setup(cell, 8, 12, 10, 20, sequences: true, bias: true, state: true);
        var run = s.Forward();
        var grads = new Gradients(s, prefill: false);
        Assert.Equal(0, KernelCheck.AllocatedBy(() => s.RunForward(run)));
        Assert.Equal(0, KernelCheck.AllocatedBy(() => s.Backward(run.Cache, grads)));
    }

    [Fact]
    public void ShortBuffersThrow()
    {
        var s = new Setup(Cell.Lstm, 2, 3, 4, 5, sequences: true, bias: true, state: true);
        var ex = Assert.Throws<ArgumentException>(() => Recurrent.LstmForward(s.X, s.Kernel, s.RecurrentKernel, s.Bias, new float[30], [], [],
            new float[(2 * 3 * 6 * 5) - 1], new float[2 * 3 * 4 * 5], 2, 3, 4, 5, returnSequences: true));
        Assert.Equal("cache", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => Recurrent.GruForward(s.X, s.Kernel, s.RecurrentKernel, new float[15], new float[30], [],
            new float[2 * 3 * 5 * 5], new float[2 * 3 * 4 * 5], 2, 3, 4, 5, returnSequences: true, resetAfter: true));
        Assert.Equal("bias", ex.ParamName);
    }

    /// <summary>One layer's sizes, seeded inputs and weights, and the loss weights r1, r2, r3.</summary>
    private sealed class Setup
    {
        // The loss weights as the kernels take them: dL/dy, dL/dlastH, dL/dlastC.
        private readonly float[] _dy, _dLastH, _dLastC;

        public Setup(Cell cell, int batch, int steps, int input, int units, bool sequences, bool bias, bool state, bool initial = false,
            bool backwards = false, bool dropout = false)
        {
            (Cell, Batch, Steps, Input, Units, Sequences, State, Backwards) = (cell, batch, steps, input, units, sequences, state, backwards);
            int seed = ((int)cell * 1000) + (batch * 100) + (steps * 10) + units;
            X = KernelCheck.Random(batch * steps * input, seed);
            Kernel = KernelCheck.Random(input * Gates * units, seed + 1, 0.6f);
            RecurrentKernel = KernelCheck.Random(units * Gates * units, seed + 2, 0.6f);
            Bias = bias ? KernelCheck.Random(BiasLength, seed + 3, 0.5f) : [];
            R1 = KernelCheck.ToDouble(KernelCheck.Random(YLength, seed + 4));
            R2 = KernelCheck.ToDouble(KernelCheck.Random(state ? batch * units : 0, seed + 5));
            R3 = KernelCheck.ToDouble(KernelCheck.Random(state && cell == Cell.Lstm ? batch * units : 0, seed + 6));
            (_dy, _dLastH, _dLastC) = (Array.ConvertAll(R1, v => (float)v), Array.ConvertAll(R2, v => (float)v), Array.ConvertAll(R3, v => (float)v));
            InitialH = initial ? KernelCheck.Random(batch * units, seed + 7) : [];
            InitialC = initial && cell == Cell.Lstm ? KernelCheck.Random(batch * units, seed + 8) : [];

            // Keras's dropout masks once recurrent_dropout is set: 0 or 1 / (1 − rate), one per sample and gate.
            float[] Mask(int length, int at) => Array.ConvertAll(KernelCheck.Random(length, at), r => r > -0.3f ? 1f / 0.65f : 0f);
            InputMasks = dropout ? Mask(batch * Gates * input, seed + 9) : [];
            StateMasks = dropout ? Mask(batch * Gates * units, seed + 10) : [];
        }

        /// <summary>[batch, gates·input], the input dropout masks, or empty.</summary>
        public float[] InputMasks { get; }

        /// <summary>[batch, gates·units], the recurrent dropout masks, or empty.</summary>
        public float[] StateMasks { get; }

        /// <summary>The kernels' scratch: the projections, then room for the dropped inputs or states.</summary>
        public int ScratchLength => (Batch * Steps * 4 * Units)
            + Math.Max(InputMasks.Length == 0 ? 0 : Batch * Steps * Input, StateMasks.Length == 0 ? 0 : Batch * Units);

        /// <summary>Whether the steps run last to first (Keras's go_backwards).</summary>
        public bool Backwards { get; }

        /// <summary>[batch, units], the initial h, or empty.</summary>
        public float[] InitialH { get; }

        /// <summary>[batch, units], LSTM's initial c, or empty.</summary>
        public float[] InitialC { get; }

        public Cell Cell { get; }

        public int Batch { get; }

        public int Steps { get; }

        public int Input { get; }

        public int Units { get; }

        public bool Sequences { get; }

        public bool State { get; }

        public float[] X { get; }

        public float[] Kernel { get; }

        public float[] RecurrentKernel { get; }

        public float[] Bias { get; }

        public double[] R1 { get; }

        public double[] R2 { get; }

        public double[] R3 { get; }

        public int Gates => Cell switch { Cell.Lstm => 4, Cell.SimpleRnn => 1, _ => 3 };

        public int BiasLength => Cell switch { Cell.Gru => 6 * Units, _ => Gates * Units };

        public int CacheSlot => Cell switch { Cell.Lstm => 6, Cell.SimpleRnn => 1, _ => 5 } * Units;

        public int YLength => Batch * (Sequences ? Steps : 1) * Units;

        /// <summary>Runs the kernel on buffers first filled with NaN, so nothing may be read before it is written.</summary>
        public Run Forward()
        {
            var run = new Run(new float[YLength], new float[State ? Batch * Units : 0], new float[State && Cell == Cell.Lstm ? Batch * Units : 0],
                new float[Batch * Steps * CacheSlot], new float[ScratchLength]);
            Array.Fill(run.Cache, float.NaN);
            Array.Fill(run.Scratch, float.NaN);
            Array.Fill(run.Y, float.NaN);
            RunForward(run);
            return run;
        }

        public void RunForward(Run r)
        {
            switch (Cell)
            {
                case Cell.Lstm:
                    Recurrent.LstmForward(X, Kernel, RecurrentKernel, Bias, r.Y, r.H, r.C, r.Cache, r.Scratch, Batch, Steps, Input, Units, Sequences,
                        Backwards, InitialH, InitialC, inputMasks: InputMasks, stateMasks: StateMasks);
                    break;
                case Cell.SimpleRnn:
                    Recurrent.SimpleRnnForward(X, Kernel, RecurrentKernel, Bias, r.Y, r.H, r.Cache, r.Scratch, Batch, Steps, Input, Units, Sequences,
                        Backwards, InitialH, inputMasks: InputMasks, stateMasks: StateMasks);
                    break;
                default:
                    Recurrent.GruForward(X, Kernel, RecurrentKernel, Bias, r.Y, r.H, r.Cache, r.Scratch, Batch, Steps, Input, Units, Sequences,
                        resetAfter: Cell == Cell.Gru, Backwards, InitialH, inputMasks: InputMasks, stateMasks: StateMasks);
                    break;
            }
        }

        /// <summary>Backward with the loss Σ y ⊙ r1 + Σ lastH ⊙ r2 + Σ lastC ⊙ r3, on a NaN-filled scratch.</summary>
        public void Backward(float[] cache, Gradients g)
        {
            float[] dy = _dy, dh = _dLastH, dc = _dLastC;
            Array.Fill(g.Scratch, float.NaN);
            switch (Cell)
            {
                case Cell.Lstm:
                    Recurrent.LstmBackward(X, Kernel, RecurrentKernel, cache, dy, dh, dc, g.Dx, g.DKernel, g.DRecurrentKernel, g.DBias, g.Scratch,
                        Batch, Steps, Input, Units, Sequences, Backwards, InitialH, InitialC, g.DInitialH, g.DInitialC, inputMasks: InputMasks, stateMasks: StateMasks);
                    break;
                case Cell.SimpleRnn:
                    Recurrent.SimpleRnnBackward(X, Kernel, RecurrentKernel, cache, dy, dh, g.Dx, g.DKernel, g.DRecurrentKernel, g.DBias, g.Scratch,
                        Batch, Steps, Input, Units, Sequences, Backwards, InitialH, g.DInitialH, inputMasks: InputMasks, stateMasks: StateMasks);
                    break;
                default:
                    Recurrent.GruBackward(X, Kernel, RecurrentKernel, cache, dy, dh, g.Dx, g.DKernel, g.DRecurrentKernel, g.DBias, g.Scratch,
                        Batch, Steps, Input, Units, Sequences, resetAfter: Cell == Cell.Gru, Backwards, InitialH, g.DInitialH, inputMasks: InputMasks,
                        stateMasks: StateMasks);
                    break;
            }
        }

        public double Loss((double[] Y, double[] H, double[] C) outputs)
        {
            double loss = 0;
            for (int i = 0; i < R1.Length; i++)
            {
                loss += outputs.Y[i] * R1[i];
            }

            for (int i = 0; i < R2.Length; i++)
            {
                loss += outputs.H[i] * R2[i];
            }

            for (int i = 0; i < R3.Length; i++)
            {
                loss += outputs.C[i] * R3[i];
            }

            return loss;
        }

        /// <summary>Keras's cell formulas, one sample and one step at a time, in double.</summary>
        public (double[] Y, double[] H, double[] C) Reference(double[] x, double[] w, double[] u, double[] bias, double[]? h0 = null, double[]? c0 = null)
        {
            int n = Units, gates = Gates * n;
            var y = new double[YLength];
            var lastH = new double[State ? Batch * n : 0];
            var lastC = new double[State && Cell == Cell.Lstm ? Batch * n : 0];
            for (int b = 0; b < Batch; b++)
            {
                var h = h0 is { Length: > 0 } ? h0[(b * n)..((b + 1) * n)] : new double[n];
                var c = c0 is { Length: > 0 } ? c0[(b * n)..((b + 1) * n)] : new double[n];
                for (int step = 0; step < Steps; step++)
                {
                    // go_backwards: the steps last to first, the outputs in that order.
                    int t = Backwards ? Steps - 1 - step : step;
                    // The input side x·W (+ the input bias) and the recurrent side h·U, kept apart for the GRU.
                    // With dropout, column k belongs to gate k / n, which reads x ⊙ m_x and h ⊙ m_h of that gate.
                    var xw = new double[gates];
                    var hu = new double[gates];
                    for (int k = 0; k < gates; k++)
                    {
                        int gate = k / n;
                        for (int i = 0; i < Input; i++)
                        {
                            double m = InputMasks.Length > 0 ? InputMasks[(((b * Gates) + gate) * Input) + i] : 1;
                            xw[k] += x[(((b * Steps) + t) * Input) + i] * m * w[(i * gates) + k];
                        }

                        for (int j = 0; j < n; j++)
                        {
                            hu[k] += h[j] * StateMask(b, gate, j) * u[(j * gates) + k];
                        }

                        if (bias.Length > 0)
                        {
                            xw[k] += bias[k];
                        }
                    }

                    var next = new double[n];
                    for (int j = 0; j < n; j++)
                    {
                        switch (Cell)
                        {
                            case Cell.Lstm:
                            {
                                double i = Sigmoid(xw[j] + hu[j]), f = Sigmoid(xw[n + j] + hu[n + j]);
                                double g = Math.Tanh(xw[(2 * n) + j] + hu[(2 * n) + j]), o = Sigmoid(xw[(3 * n) + j] + hu[(3 * n) + j]);
                                c[j] = (f * c[j]) + (i * g);
                                next[j] = o * Math.Tanh(c[j]);
                                break;
                            }

                            case Cell.Gru:
                            {
                                // reset_after: bias [2, 3u], the second row on the recurrent side.
                                double bz = bias.Length > 0 ? bias[gates + j] : 0, br = bias.Length > 0 ? bias[gates + n + j] : 0;
                                double bh = bias.Length > 0 ? bias[gates + (2 * n) + j] : 0;
                                double z = Sigmoid(xw[j] + hu[j] + bz), r = Sigmoid(xw[n + j] + hu[n + j] + br);
                                double hh = Math.Tanh(xw[(2 * n) + j] + (r * (hu[(2 * n) + j] + bh)));
                                next[j] = (z * h[j]) + ((1 - z) * hh);
                                break;
                            }

                            case Cell.GruResetBefore:
                            {
                                // reset_after=False: hh = tanh(x·W_h + b_h + (r ⊙ h)·U_h), r of every unit first.
                                double z = Sigmoid(xw[j] + hu[j]);
                                double rhu = 0;
                                for (int k = 0; k < n; k++)
                                {
                                    double r = Sigmoid(xw[n + k] + hu[n + k]);
                                    rhu += r * h[k] * StateMask(b, 2, k) * u[(k * gates) + (2 * n) + j];
                                }

                                double hh = Math.Tanh(xw[(2 * n) + j] + rhu);
                                next[j] = (z * h[j]) + ((1 - z) * hh);
                                break;
                            }

                            default:
                                next[j] = Math.Tanh(xw[j] + hu[j]);
                                break;
                        }
                    }

                    h = next;
                    if (Sequences)
                    {
                        h.CopyTo(y, ((b * Steps) + step) * n);
                    }
                }

                if (!Sequences)
                {
                    h.CopyTo(y, b * n);
                }

                if (State)
                {
                    h.CopyTo(lastH, b * n);
                }

                if (State && Cell == Cell.Lstm)
                {
                    c.CopyTo(lastC, b * n);
                }
            }

            return (y, lastH, lastC);
        }

        private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

        /// <summary>Sample b's recurrent dropout mask of a gate at unit j, or 1.</summary>
        private double StateMask(int b, int gate, int j) => StateMasks.Length > 0 ? StateMasks[(((b * Gates) + gate) * Units) + j] : 1;
    }

    private sealed record Run(float[] Y, float[] H, float[] C, float[] Cache, float[] Scratch);

    /// <summary>The gradient buffers, optionally started at arbitrary values to check that the kernels accumulate.</summary>
    private sealed class Gradients
    {
        private readonly float[][] _prefill;

        public Gradients(Setup s, bool prefill)
        {
            int seed = prefill ? 77 : 0;
            float[] Make(int length, int offset) => prefill ? KernelCheck.Random(length, seed + offset) : new float[length];
            Dx = Make(s.Batch * s.Steps * s.Input, 1);
            DKernel = Make(s.Input * s.Gates * s.Units, 2);
            DRecurrentKernel = Make(s.Units * s.Gates * s.Units, 3);
            DBias = Make(s.Bias.Length, 4);
            DInitialH = Make(s.InitialH.Length, 5);
            DInitialC = Make(s.InitialC.Length, 6);
            Scratch = new float[s.ScratchLength];
            _prefill = [(float[])Dx.Clone(), (float[])DKernel.Clone(), (float[])DRecurrentKernel.Clone(), (float[])DBias.Clone(),
                (float[])DInitialH.Clone(), (float[])DInitialC.Clone()];
        }

        public float[] DInitialH { get; }

        public float[] DInitialC { get; }

        public float[] Dx { get; init; }

        public float[] DKernel { get; }

        public float[] DRecurrentKernel { get; init; }

        public float[] DBias { get; }

        public float[] Scratch { get; }

        public void SubtractPrefill()
        {
            float[][] all = [Dx, DKernel, DRecurrentKernel, DBias, DInitialH, DInitialC];
            for (int a = 0; a < all.Length; a++)
            {
                for (int i = 0; i < all[a].Length; i++)
                {
                    all[a][i] -= _prefill[a][i];
                }
            }
        }
    }
}
