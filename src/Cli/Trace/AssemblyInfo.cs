using System.Runtime.CompilerServices;

// The trace tests check the exporters and readers directly, not only through the command line.
[assembly: InternalsVisibleTo("BootActors.Trace.Tests")]
