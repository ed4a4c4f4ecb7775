"""`python -m forewarn` runs the command line."""

from forewarn.flows.cli import main

main()
