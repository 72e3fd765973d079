"""`python -m schoolit.probes.agent`: the same as the `schoolit-probe` command."""

import sys

from schoolit.probes.agent.cli import main

sys.exit(main())
