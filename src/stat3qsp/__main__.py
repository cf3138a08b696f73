"""``python -m stat3qsp``: the same command line as ``stat3qsp`` (:func:`stat3qsp.cli.main`)."""
import sys

from stat3qsp.cli import main

sys.exit(main())
