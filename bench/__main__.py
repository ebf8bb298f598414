"""`python -m bench [--quick]`: the benchmarks; writes bench/results.json."""

import sys

from bench.run import cli

sys.exit(cli())
