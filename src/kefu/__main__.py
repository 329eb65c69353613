"""`python -m kefu …` runs the kefu command (where the `kefu` script is not on PATH)."""

from kefu.cli.main import main

main()
