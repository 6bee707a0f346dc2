// The namespaces nearly every command uses: the command line, the console, and the library's data, models and
// experiments. Folder rules (what may use what) apply to the library, not to the CLI, so these live here once.
global using System.CommandLine;
global using FashionMnist.Data;
global using FashionMnist.Experiments;
global using FashionMnist.Models;
global using Spectre.Console;
