"""The `siyu` command line (Typer). Thin: parse, call a capability, render."""
