using FashionMnist.Data;
using FashionMnist.Interop;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Onnx;

/// <summary>The ORT wrapper under garbage collection: what a busy web server does to it.</summary>
public class OnnxRuntimeSessionTests
{
    [Fact]
    public async Task Runs_stay_correct_while_the_collector_runs_finalizers_between_and_during_them()
    {
        // The wrapper once passed a fresh RunOptions to each run; nothing kept it alive during the native call, so a
        // collection could finalize it mid-run ("Invalid run log severity level"). Here a second thread collects and
        // runs finalizers all the time, and every run must still give the first run's probabilities (before the fix this
        // failed within a few thousand runs; 30,000 take about 5 s).
        byte[] model = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", "torch-small-cnn.onnx"));
        using var session = OnnxRuntimeSession.Load(model, "torch-small-cnn.onnx", threads: 1);
        float[] image = TestData.Test.Pixels.Take(ImageSet.PixelCount).Select(b => b / 255f).ToArray();
        string input = session.Inputs[0].Name, output = session.Outputs[0].Name;
        long[] shape = [1, 1, ImageSet.Height, ImageSet.Width];
        float[] expected = session.Run(input, image, shape, output).Values;

        using var stop = new CancellationTokenSource();
        var collector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        try
        {
            for (int i = 0; i < 30000; i++) Assert.Equal(expected, session.Run(input, image, shape, output).Values);
        }
        finally
        {
            stop.Cancel();
            await collector;
        }
    }
}
