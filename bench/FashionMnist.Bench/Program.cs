// Benchmarks: see bench/README.md. SKELETON: the runner lands with the numerics work (issue 2).
Console.WriteLine("No benchmarks yet.");
return 0;
