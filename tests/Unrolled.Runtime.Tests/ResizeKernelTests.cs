using System;
using Unrolled.Kernels;
using Xunit;
using static Unrolled.Runtime.Tests.KernelChecks;

namespace Unrolled.Runtime.Tests;

public class ResizeKernelTests
{
    [Fact]
    public void UpSampleMatchesNaiveAndFiniteDifferences()
    {
        const int batch = 2, h = 3, w = 2, c = 3, sh = 2, sw = 3;
        var x = Random(batch * h * w * c, 16);
        var y = Random(batch * h * sh * w * sw * c, 17);
        Resize.UpSampleForward(x, y, batch, h, w, c, sh, sw);
        var expected = new double[y.Length];
        var dy = Random(y.Length, 18);
        var dx = Random(x.Length, 19);
        var want = Array.ConvertAll(dx, v => (double)v);
        for (int s = 0; s < batch; s++)
        for (int i = 0; i < h * sh; i++)
        for (int j = 0; j < w * sw; j++)
        for (int ch = 0; ch < c; ch++)
        {
            int o = (((((s * h * sh) + i) * w * sw) + j) * c) + ch;
            int source = (((((s * h) + (i / sh)) * w) + (j / sw)) * c) + ch;
            expected[o] = x[source];
            want[source] += dy[o];
        }

        AssertClose(expected, y, "upsample forward", 0);
        Resize.UpSampleBackward(dy, dx, batch, h, w, c, sh, sw);
        AssertClose(want, dx, "upsample backward");

        double Loss()
        {
            Resize.UpSampleForward(x, y, batch, h, w, c, sh, sw);
            return Dot(y, dy);
        }

        var gradient = new float[x.Length];
        Resize.UpSampleBackward(dy, gradient, batch, h, w, c, sh, sw);
        AssertGradient(x, gradient, Loss, "upsample");
    }

    [Fact]
    public void KernelsAllocateNothing()
    {
        var x = Random(2 * 6 * 6 * 2, 1);
        var dx = new float[x.Length];
        var up = new float[x.Length * 6];
        Assert.Equal(0, AllocatedBy(() => Resize.UpSampleForward(x, up, 2, 6, 6, 2, 2, 3)));
        Assert.Equal(0, AllocatedBy(() => Resize.UpSampleBackward(up, dx, 2, 6, 6, 2, 2, 3)));
    }
}
