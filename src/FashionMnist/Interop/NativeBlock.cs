namespace FashionMnist.Interop;

/// <summary>
/// One block of unmovable native memory (NativeMemory.Alloc), freed exactly once when disposed or, failing that,
/// by the finalizer. Native libraries that keep pointers into memory we give them (LIBSVM's support vectors)
/// get memory from here, never from the GC heap.
/// </summary>
internal sealed unsafe class NativeBlock : SafeHandle
{
    public NativeBlock(nuint bytes) : base(IntPtr.Zero, ownsHandle: true)
    {
        if (bytes > 0)
        {
            SetHandle((IntPtr)NativeMemory.Alloc(bytes));
            GC.AddMemoryPressure((long)bytes);
        }
        Bytes = bytes;
    }

    public nuint Bytes { get; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public void* Pointer => (void*)handle;

    protected override bool ReleaseHandle()
    {
        NativeMemory.Free((void*)handle);
        GC.RemoveMemoryPressure((long)Bytes);
        return true;
    }
}
