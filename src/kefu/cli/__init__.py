"""The `kefu` command line (Typer + Rich)."""
