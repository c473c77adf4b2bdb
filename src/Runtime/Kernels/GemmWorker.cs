using System;
using System.Threading;

namespace Unrolled.Kernels;

/// <summary>
/// A second core for large matrix products (and for other kernels' row ranges, such as the implicit-GEMM convolution's
/// output rows): the rows of C are split in two, the calling thread computes the first half while one persistent
/// background thread computes the second. Splitting by rows leaves every element's sum in the same order, so results
/// are bit-identical to one thread's. Nothing is allocated per product; when the helper is busy (another model on
/// another thread), the product simply runs on the calling thread.
/// </summary>
internal static unsafe class GemmWorker
{
    /// <summary>Products smaller than this many multiply-adds run on one thread: the hand-off costs a few microseconds.</summary>
    public const long Threshold = 1L << 21;

    private static readonly object s_startLock = new();
    private static Thread? s_thread;
    private static readonly ManualResetEventSlim s_start = new(false, spinCount: 2000);
    private static readonly ManualResetEventSlim s_done = new(false, spinCount: 2000);
    private static int s_busy;

    // The posted half: C (+)= A·B over rows [0, m) of the given pointers.
    private static GemmPath s_path;
    private static bool s_transposedB;
    private static float* s_a;
    private static nint s_rowStride;
    private static nint s_columnStride;
    private static float* s_b;
    private static nint s_ldb;
    private static float* s_c;
    private static int s_m;
    private static int s_k;
    private static int s_n;
    private static bool s_accumulate;
    private static Exception? s_error;

    // Or a posted range of some other kernel's work: s_work(s_state, s_first, s_end, 1) when s_work is set.
    private static delegate*<void*, int, int, int, void> s_work;
    private static void* s_state;
    private static object? s_context;

    /// <summary>The object given to <see cref="TrySplit"/>, for the two halves of the work it is running.</summary>
    internal static object? Context => s_context;
    private static int s_first;
    private static int s_end;

    /// <summary>Set on a thread that already shares the cores with another (batches predicted in parallel): its
    /// products stay on it, since splitting them too would put three threads on two cores.</summary>
    [ThreadStatic]
    internal static bool KeepOnThread;

    /// <summary>How many pieces of work this thread has split over two threads (tests use it to know a split ran).</summary>
    [ThreadStatic]
    internal static int SplitsStarted;

    /// <summary>Whether products may use a second thread (<see cref="Threading.MaxThreads"/> above 1 and two cores).</summary>
    public static bool Enabled => Threading.MaxThreads > 1 && Environment.ProcessorCount > 1;

    /// <summary>
    /// Runs C (+)= A·B (or A·Bᵀ when <paramref name="transposedB"/>), rows split over two threads when the product is large
    /// and the helper is free; returns false (having done nothing) when the caller should run it alone.
    /// </summary>
    public static bool TryRunSplit(GemmPath path, bool transposedB, float* a, nint rowStride, nint columnStride, float* b, nint ldb, float* c,
        int m, int k, int n, bool accumulate)
    {
        if (!Enabled || KeepOnThread || m < 16 || (long)m * k * n < Threshold || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            EnsureStarted();
            SplitsStarted++;
            int half = (m / 2 + 7) & ~7; // keep row blocks aligned to the kernels' tiles
            s_path = path;
            s_transposedB = transposedB;
            s_a = a + (half * rowStride);
            s_rowStride = rowStride;
            s_columnStride = columnStride;
            s_b = b;
            s_ldb = ldb;
            s_c = c + ((nint)half * n);
            s_m = m - half;
            s_k = k;
            s_n = n;
            s_accumulate = accumulate;
            s_work = null;
            s_error = null;
            s_done.Reset();
            s_start.Set();
            Gemm.RunRows(path, transposedB, a, rowStride, columnStride, b, ldb, c, half, k, n, accumulate);
            s_done.Wait();
            if (s_error is { } error)
            {
                throw new InvalidOperationException("The second GEMM thread failed.", error);
            }

            return true;
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>
    /// Runs <c>work(state, 0, count, 0)</c> as two halves, <c>work(state, 0, half, 0)</c> here and
    /// <c>work(state, half, count, 1)</c> on the helper thread, when the work is large and the helper is free; returns
    /// false (having done nothing) when the caller should run it alone. The last argument tells the halves apart (for
    /// per-thread scratch); <paramref name="state"/> must stay valid until this returns, which it does since the
    /// caller waits.
    /// </summary>
    public static bool TryRunSplit(delegate*<void*, int, int, int, void> work, void* state, int count, long multiplyAdds)
        => multiplyAdds >= Threshold && TrySplit(work, state, count);

    /// <summary>
    /// The kernel-range <c>TryRunSplit</c> without its size test, for callers
    /// that decide for themselves whether the work pays for the hand-off (<see cref="Halves"/>).
    /// </summary>
    /// <param name="work">The work, called once per half.</param>
    /// <param name="state">What <paramref name="work"/> reads; valid until this returns.</param>
    /// <param name="count">The units to split.</param>
    /// <param name="context">An object both halves may read through <see cref="Context"/> while they run (a state
    /// struct cannot hold a managed reference behind a pointer).</param>
    public static bool TrySplit(delegate*<void*, int, int, int, void> work, void* state, int count, object? context = null)
    {
        if (!Enabled || KeepOnThread || count < 2 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            EnsureStarted();
            SplitsStarted++;
            int half = count / 2;
            s_context = context;
            s_work = work;
            s_state = state;
            s_first = half;
            s_end = count;
            s_error = null;
            s_done.Reset();
            s_start.Set();
            work(state, 0, half, 0);
            s_done.Wait();
            if (s_error is { } error)
            {
                throw new InvalidOperationException("The second kernel thread failed.", error);
            }

            return true;
        }
        finally
        {
            s_work = null;
            s_state = null;
            s_context = null;
            Volatile.Write(ref s_busy, 0);
        }
    }

    private static void EnsureStarted()
    {
        if (s_thread is not null)
        {
            return;
        }

        lock (s_startLock)
        {
            if (s_thread is null)
            {
                var thread = new Thread(Loop) { IsBackground = true, Name = "Unrolled GEMM" };
                thread.Start();
                s_thread = thread;
            }
        }
    }

    private static void Loop()
    {
        while (true)
        {
            s_start.Wait();
            s_start.Reset();
            try
            {
                if (s_work != null)
                {
                    s_work(s_state, s_first, s_end, 1);
                }
                else
                {
                    Gemm.RunRows(s_path, s_transposedB, s_a, s_rowStride, s_columnStride, s_b, s_ldb, s_c, s_m, s_k, s_n, s_accumulate);
                }
            }
            catch (Exception error)
            {
                s_error = error;
            }

            s_done.Set();
        }
    }
}

/// <summary>How many cores the kernels may use.</summary>
public static class Threading
{
    private static int s_maxThreads = Environment.GetEnvironmentVariable("UNROLLED_THREADS") is { } text && int.TryParse(text, out int value) && value >= 1
        ? value
        : 2;

    /// <summary>
    /// The most threads one large matrix product may use: 2 (the default, or the environment variable
    /// <c>UNROLLED_THREADS</c>) splits large products over two cores; 1 keeps everything on the calling thread.
    /// Results are the same either way, bit for bit.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public static int MaxThreads
    {
        get => s_maxThreads;
        set => s_maxThreads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "At least one thread.");
    }
}
