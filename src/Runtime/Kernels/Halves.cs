using System;

namespace Unrolled.Kernels;

/// <summary>
/// Passes bound by memory rather than arithmetic (clearing gradients, activation gradients, pooling, embedding gathers,
/// the finite check) over two cores, on <see cref="GemmWorker"/>'s helper thread: the rows are split in two halves and
/// each row is computed exactly as on one thread, so results are bit-identical to one thread's.
/// </summary>
/// <remarks>
/// Up to the size of the last-level cache the second core nearly doubles the bandwidth on this project's machine (a
/// pass over 4 MB measured in C: 109 GB/s on one thread, 216 on two); from main memory it gives less and varies with
/// the other work on the machine (64 MB: 50 → 70 GB/s). docs/performance.md has what it gives whole training steps.
/// </remarks>
internal static unsafe class Halves
{
    /// <summary>
    /// Passes touching fewer floats than this (4 MB) run on the calling thread: clearing 1 MB took 10 µs on one thread
    /// and 24 µs on two (waking the helper costs more than the pass), 4 MB 41 and 30 µs, 8 MB 98 and 65 µs.
    /// </summary>
    public const long MinFloats = 1 << 20;

    /// <summary>Whether a pass touching <paramref name="floats"/> floats is worth splitting.</summary>
    public static bool Worth(long floats) => floats >= MinFloats && GemmWorker.Enabled;

    /// <summary>
    /// Runs <c>work(state, 0, count, 0)</c> as two halves on two cores when the helper thread is free; false (having done
    /// nothing) otherwise. Callers ask <see cref="Worth"/> first.
    /// </summary>
    public static bool TryRun(delegate*<void*, int, int, int, void> work, void* state, int count, object? context = null)
        => GemmWorker.TrySplit(work, state, count, context);

    /// <summary>The context object of the pass running (see <see cref="GemmWorker.TrySplit"/>).</summary>
    public static object? Context => GemmWorker.Context;

    /// <summary>Rows of <see cref="BlockFloats"/> floats covering <paramref name="length"/> floats.</summary>
    public static int Blocks(int length) => (int)(((long)length + BlockFloats - 1) / BlockFloats);

    /// <summary>The floats [first, end) blocks cover of <paramref name="length"/>: (start, length).</summary>
    public static (int Start, int Length) BlockRange(int first, int end, int length)
    {
        long start = (long)first * BlockFloats;
        long stop = Math.Min((long)end * BlockFloats, length);
        return ((int)start, (int)(stop - start));
    }

    /// <summary>Sets <paramref name="values"/> to zero, on two cores when it is large.</summary>
    public static void Clear(Span<float> values)
    {
        if (Worth(values.Length))
        {
            fixed (float* start = values)
            {
                var job = new Block { Start = start, Length = values.Length };
                if (TryRun(&ClearBlocks, &job, Blocks(values.Length)))
                {
                    return;
                }
            }
        }

        values.Clear();
    }

    /// <summary>Whether no element of <paramref name="values"/> is NaN or ±∞ (<see cref="FiniteCheck.AllFinite"/>), on two cores when large.</summary>
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        if (Worth(values.Length))
        {
            fixed (float* start = values)
            {
                var job = new Block { Start = start, Length = values.Length };
                if (TryRun(&CheckBlocks, &job, Blocks(values.Length)))
                {
                    return job.Finite0 && job.Finite1;
                }
            }
        }

        return FiniteCheck.AllFinite(values);
    }

    /// <summary>Units of 4096 floats (16 KB), so that the second half starts on a page boundary of the span.</summary>
    public const int BlockFloats = 4096;

    private static Span<float> Range(in Block job, int first, int end)
    {
        var (start, length) = BlockRange(first, end, job.Length);
        return new Span<float>(job.Start + start, length);
    }

    private static void ClearBlocks(void* state, int first, int end, int part) => Range(*(Block*)state, first, end).Clear();

    private static void CheckBlocks(void* state, int first, int end, int part)
    {
        ref Block job = ref *(Block*)state;
        bool finite = FiniteCheck.AllFinite(Range(job, first, end));
        if (part == 0)
        {
            job.Finite0 = finite;
        }
        else
        {
            job.Finite1 = finite;
        }
    }

    private struct Block
    {
        public float* Start;
        public int Length;
        public bool Finite0;
        public bool Finite1;
    }
}
