"""The whole suite runs with its own cache folder (spec.cache), removed at the end, so
that no test reads entries of an earlier run or writes into the user's cache."""

import atexit
import os
import shutil
import tempfile

from mmcheck.spec.cache import ENV

_CACHE = tempfile.mkdtemp(prefix="mmcheck-test-cache-")
os.environ[ENV] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
