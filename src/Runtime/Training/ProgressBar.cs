using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;

namespace Unrolled;

/// <summary>
/// Keras 2's <c>Progbar</c> lines: <c>750/750 [==============================] - 1s 1ms/step - loss: 0.5412 - …</c>.
/// A live bar is redrawn with '\r' only on an interactive console; redirected output gets only the final line.
/// </summary>
internal sealed class ProgressBar
{
    private const int Width = 30;
    private static readonly long RedrawTicks = Stopwatch.Frequency / 20;
    private readonly TextWriter _writer;
    private readonly int _steps;
    private readonly int _verbose;
    private readonly bool _live;
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _lastDraw;
    private int _lastLength;

    public ProgressBar(TextWriter writer, int steps, int verbose, bool live)
    {
        _writer = writer;
        _steps = steps;
        _verbose = verbose;
        _live = live && verbose == 1;
    }

    /// <summary>Whether <see cref="Update"/> draws anything (callers skip computing the logs otherwise).</summary>
    public bool WantsUpdate(int step)
        => _live && step < _steps && Stopwatch.GetTimestamp() - _lastDraw >= RedrawTicks;

    /// <summary>Redraws the live bar after <paramref name="step"/> steps.</summary>
    public void Update(int step, IReadOnlyList<KeyValuePair<string, double>> logs)
    {
        _lastDraw = Stopwatch.GetTimestamp();
        double elapsed = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        double eta = step > 0 ? elapsed / step * (_steps - step) : 0;
        var line = new StringBuilder();
        line.Append(Counter(step)).Append(' ').Append(Bar(step));
        line.Append(" - ETA: ").Append(FormatEta(eta));
        AppendLogs(line, logs);
        Write("\r" + line.ToString().PadRight(_lastLength), newLine: false);
        _lastLength = line.Length;
    }

    /// <summary>Prints the final line of the epoch.</summary>
    public void Finish(IReadOnlyList<KeyValuePair<string, double>> logs)
    {
        double elapsed = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        double perStep = _steps > 0 ? elapsed / _steps : 0;
        var line = new StringBuilder();
        line.Append(Counter(_steps));
        if (_verbose == 1)
        {
            line.Append(' ').Append(Bar(_steps)).Append(" - ").Append(Seconds(elapsed)).Append(' ').Append(PerStep(perStep));
        }
        else
        {
            line.Append(" - ").Append(Seconds(elapsed)).Append(" - ").Append(PerStep(perStep));
        }

        AppendLogs(line, logs);
        string text = line.ToString();
        Write((_live && _lastLength > 0 ? "\r" : string.Empty) + text.PadRight(_live ? _lastLength : 0), newLine: true);
    }

    /// <summary>Keras's value format: 4 decimals, or scientific for magnitudes up to 1e-3.</summary>
    internal static string FormatValue(double value)
        => Math.Abs(value) > 1e-3 || double.IsNaN(value)
            ? value.ToString("0.0000", CultureInfo.InvariantCulture)
            : value.ToString("0.0000e+00", CultureInfo.InvariantCulture);

    /// <summary>Keras's time per step: whole seconds, milliseconds or microseconds.</summary>
    internal static string PerStep(double seconds)
        => seconds >= 1 || seconds == 0 ? Seconds(seconds) + "/step"
            : seconds >= 1e-3 ? (seconds * 1e3).ToString("0", CultureInfo.InvariantCulture) + "ms/step"
            : (seconds * 1e6).ToString("0", CultureInfo.InvariantCulture) + "us/step";

    private static string Seconds(double seconds) => seconds.ToString("0", CultureInfo.InvariantCulture) + "s";

    private static string FormatEta(double seconds)
        => seconds > 3600 ? $"{(int)seconds / 3600}:{(int)seconds % 3600 / 60:00}:{(int)seconds % 60:00}"
            : seconds > 60 ? $"{(int)seconds / 60}:{(int)seconds % 60:00}"
            : Seconds(seconds);

    private static void AppendLogs(StringBuilder line, IReadOnlyList<KeyValuePair<string, double>> logs)
    {
        foreach (var (key, value) in logs)
        {
            line.Append(" - ").Append(key).Append(": ").Append(FormatValue(value));
        }
    }

    private string Counter(int step) => step.ToString(CultureInfo.InvariantCulture).PadLeft(_steps.ToString(CultureInfo.InvariantCulture).Length) + "/" + _steps.ToString(CultureInfo.InvariantCulture);

    private string Bar(int step)
    {
        int filled = _steps == 0 ? Width : (int)((long)Width * step / _steps);
        var bar = new StringBuilder("[");
        if (filled > 0)
        {
            bar.Append('=', filled - 1).Append(step < _steps ? '>' : '=');
        }

        return bar.Append('.', Width - filled).Append(']').ToString();
    }

    private void Write(string text, bool newLine)
    {
        if (newLine)
        {
            _writer.WriteLine(text);
        }
        else
        {
            _writer.Write(text);
        }

        _writer.Flush();
    }
}
