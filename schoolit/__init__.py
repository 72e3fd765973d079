"""schoolit: school-IT fleet inventory and support tickets for German counties that run schools."""

import os

# Piccolo finds its engine through this module path; setting it here means the CLI, the app and
# the tests all use the same engine without depending on the current working directory.
os.environ.setdefault("PICCOLO_CONF", "schoolit.piccolo_conf")

__version__ = "0.1.0"
