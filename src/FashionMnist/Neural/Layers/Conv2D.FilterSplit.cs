namespace FashionMnist.Neural.Layers;

/// <summary>
/// An inference pass of fewer images than threads (one image at batch 1) with the filters split across the threads:
/// part p of P computes the p-th contiguous range of 8-filter blocks for every image, with slice p's scratch. The
/// broadcast and Winograd paths compute each 8-filter block on its own (the broadcast kernel from the padded image,
/// Winograd from the image's transformed input V, which every part makes for itself: 5-20 % of the layer's work, less
/// than a second fork and join to share it), so every output has the same bits whichever part computes it and however
/// many parts there are (tested). The batch split gives one image to one thread only; ONNX Runtime splits one image's
/// convolutions across its threads.
/// </summary>
internal sealed partial class Conv2D
{
    // The pass ForwardFilterParts hands to its parts: fields read by one cached delegate, so a call allocates nothing.
    private float[] _splitX = [], _splitY = [];
    private int _splitCount, _splitParts;
    private bool _splitPooled, _splitReLU;
    private Action<int>? _splitBody;

    /// <summary>
    /// Whether an inference pass (pooled into its 2x2 max-pool when <paramref name="pooled"/>) can split its filters:
    /// the Winograd or broadcast path, at least two 8-filter blocks. The packed GEMM path (cnn3's 5x5 -> 3x3 conv) does not.
    /// </summary>
    internal bool CanSplitFilters(bool pooled) => Filters >= 16 && (UseWinograd(pooled) || UseBroadcast);

    /// <summary>
    /// Images 0 .. <paramref name="count"/> of x into y (pooled when <paramref name="pooled"/>, then the ReLU when
    /// <paramref name="relu"/>) by <paramref name="parts"/> threads, each a range of filters; after <see cref="PrepareRows"/>
    /// with at least <paramref name="parts"/> slices.
    /// </summary>
    internal void ForwardFilterParts(float[] x, float[] y, int count, int parts, bool pooled, bool relu)
    {
        (_splitX, _splitY, _splitCount, _splitParts, _splitPooled, _splitReLU) = (x, y, count, parts, pooled, relu);
        _splitBody ??= ForwardFilterPart;
        try
        {
            BatchParallel.ForSlices(parts, (long)count * Filters * _outPixels * _kernelSize, _splitBody);
        }
        finally
        {
            _splitX = _splitY = []; // the layer keeps no reference to the caller's buffers
        }
    }

    private void ForwardFilterPart(int part)
    {
        var (block, blocks) = BatchParallel.Range(Filters / 8, _splitParts, part);
        if (blocks == 0) return;
        int start = 8 * block, end = 8 * (block + blocks);
        bool pooled = _splitPooled;
        if (UseWinograd(pooled)) ForwardWinograd(_splitX, part, 0, _splitCount, _splitY, pooled, _splitReLU, start, end);
        else if (pooled) ForwardBroadcastPooled(_splitX, part, 0, _splitCount, _splitY, _outHeight / 2, _outWidth / 2, _splitReLU, start, end);
        else ForwardBroadcast(_splitX, part, 0, _splitCount, _splitY, _splitReLU, start, end);
    }
}
