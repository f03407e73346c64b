"""Tests of the host helper; `python3 -m unittest discover -s resources/helper -p 'test_*.py'`."""

import os
import sys

# discover imports this package from resources/helper; make `civic_helper` importable from here too.
HELPER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if HELPER_DIR not in sys.path:
    sys.path.insert(0, HELPER_DIR)
