"""`python -m api.cli`: the werkmatch command line."""

from api.cli import main

raise SystemExit(main())
