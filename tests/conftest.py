"""The whole suite runs with its own cache folder (spec.cache), removed at the end, so
that no test reads entries of an earlier run or writes into the user's cache. The
pytest-xdist workers of a run share the folder their controller made (the cache takes
concurrent writers), so each kernel of the run is compiled once."""

import atexit
import os
import shutil
import tempfile

from mmcheck.spec.cache import ENV

_RUN_CACHE = "MMCHECK_TEST_RUN_CACHE"  # the folder of this run, for its xdist workers

if "PYTEST_XDIST_WORKER" in os.environ and os.environ.get(_RUN_CACHE):
    os.environ[ENV] = os.environ[_RUN_CACHE]
else:
    _CACHE = tempfile.mkdtemp(prefix="mmcheck-test-cache-")
    os.environ[ENV] = os.environ[_RUN_CACHE] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
