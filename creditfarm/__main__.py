"""`python -m creditfarm …` is the `creditfarm` command."""

from creditfarm.cli import main

main()
