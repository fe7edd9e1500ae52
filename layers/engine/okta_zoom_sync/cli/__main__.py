"""`python -m okta_zoom_sync.cli`: the same as the `okzs` console script."""

import sys

from okta_zoom_sync.cli.main import main

sys.exit(main())
